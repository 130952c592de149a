/* Frontend<->core link for any transport (see fe_link.h). */
#include "common/fe_link.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/child.h"
#include "common/log.h"
#include "shm/ring.h"

#define SLOT_NONE UINT32_MAX

static void link_dead(struct fe_link *l, const char *why)
{
	if (!l->ok)
		return;
	log_err("core link: %s", why);
	child_violation(l->c, l->link->id, why);
	l->ok = false;
	l->ops->dead(l, why);
}

void fe_link_violation(struct fe_link *l, const char *why)
{
	link_dead(l, why);
}

/* Every request to the core and every answer keeps the poll window open for
 * poll_us more (prepare_cb). */
static void poll_window_open(struct fe_link *l)
{
	if (l->poll_us)
		l->poll_until = ev_now(l->loop) + l->poll_us * 1e-6;
}

uint64_t fe_req_new(struct fe_link *l, uint8_t kind, void *obj)
{
	struct fe_req_slot *s;
	uint32_t i;

	if (l->free_slot == SLOT_NONE) {
		uint32_t n = l->nslots ? l->nslots * 2 : 256;
		struct fe_req_slot *ns = realloc(l->slots, n * sizeof(*ns));

		if (!ns)
			return 0;
		for (i = l->nslots; i < n; i++) {
			ns[i].gen = 1;
			ns[i].kind = 0;
			ns[i].obj = NULL;
			ns[i].next_free = i + 1 < n ? i + 1 : SLOT_NONE;
		}
		l->free_slot = l->nslots;
		l->slots = ns;
		l->nslots = n;
	}
	i = l->free_slot;
	s = &l->slots[i];
	l->free_slot = s->next_free;
	s->kind = kind;
	s->obj = obj;
	s->seq = 0;
	l->inflight++;
	poll_window_open(l);
	return (uint64_t)s->gen << 32 | i;
}

static struct fe_req_slot *req_slot(struct fe_link *l, uint64_t tag)
{
	uint32_t i = (uint32_t)tag;

	if (i >= l->nslots || l->slots[i].gen != (uint32_t)(tag >> 32) || !l->slots[i].kind)
		return NULL;
	return &l->slots[i];
}

void fe_req_set(struct fe_link *l, uint64_t tag, void *obj)
{
	struct fe_req_slot *s = req_slot(l, tag);

	if (s)
		s->obj = obj;
}

void fe_req_free(struct fe_link *l, uint64_t tag)
{
	struct fe_req_slot *s = req_slot(l, tag);

	if (!s)
		return;
	s->kind = 0;
	s->obj = NULL;
	if (++s->gen == 0)
		s->gen = 1;
	s->next_free = l->free_slot;
	l->free_slot = (uint32_t)(s - l->slots);
	l->inflight--;
	poll_window_open(l);
}

static bool backlog_flush(struct fe_link *l)
{
	int err = 0;

	while (l->bl_len) {
		union msg *slot = ring_prod_reserve(&l->link->tx, &err);

		if (!slot) {
			if (err) {
				link_dead(l, "core published an impossible ring head");
				l->bl_len = 0;
			}
			return false;
		}
		memcpy(slot, &l->backlog[l->bl_head], sizeof(*slot));
		ring_prod_push(&l->link->tx);
		l->pushed++;
		l->bl_head = (l->bl_head + 1) % l->bl_cap;
		l->bl_len--;
	}
	return true;
}

static void hold_del(struct fe_link *l, uint32_t nexus)
{
	if (l->nheld_del == l->held_cap) {
		uint32_t n = l->held_cap ? l->held_cap * 2 : 64;
		uint32_t *nh = realloc(l->held_del, n * sizeof(*nh));

		if (!nh) {
			log_err("out of memory holding a NEXUS_DEL");
			abort();
		}
		l->held_del = nh;
		l->held_cap = n;
	}
	l->held_del[l->nheld_del++] = nexus;
}

static bool is_request(uint8_t type)
{
	return type == MSG_CMD || type == MSG_NEXUS_ADD || type == MSG_TMF ||
	       type == MSG_DISCOVER;
}

void fe_link_send(struct fe_link *l, const union msg *m)
{
	if (is_request(m->h.type)) {
		struct fe_req_slot *s = req_slot(l, m->h.tag);

		/* kept until answered: a new core gets it again (ops->replay) */
		if (s) {
			s->msg = *m;
			s->seq = ++l->req_seq;
		}
	}
	if (!l->ok || l->held) {
		/* (held and ok: fe_link_up reads the old core's last answers;
		 * nothing goes into its ring) requests wait in their slots; the
		 * next core must also hear which nexuses are gone */
		if (l->held && m->h.type == MSG_NEXUS_DEL)
			hold_del(l, m->nexus_del.nexus);
		return;
	}
	if (!l->bl_len) {
		int err = 0;
		union msg *slot = ring_prod_reserve(&l->link->tx, &err);

		if (slot) {
			memcpy(slot, m, sizeof(*slot));
			ring_prod_push(&l->link->tx);
			if (++l->pushed >= 32)
				fe_link_publish(l);
			return;
		}
		if (err) {
			link_dead(l, "core published an impossible ring head");
			return;
		}
	}
	/* ring full: keep it (a NEXUS_DEL or DATA_READY must not be lost) */
	if (l->bl_len == l->bl_cap) {
		uint32_t ncap = l->bl_cap ? l->bl_cap * 2 : 64;
		union msg *nb = malloc(ncap * sizeof(*nb));

		if (!nb) {
			log_err("out of memory for the core backlog");
			abort();
		}
		for (uint32_t i = 0; i < l->bl_len; i++)
			nb[i] = l->backlog[(l->bl_head + i) % l->bl_cap];
		free(l->backlog);
		l->backlog = nb;
		l->bl_cap = ncap;
		l->bl_head = 0;
	}
	l->backlog[(l->bl_head + l->bl_len) % l->bl_cap] = *m;
	l->bl_len++;
	if (!l->blocked) {
		l->blocked = true;
		l->ops->blocked(l, true);
	}
}

void fe_link_publish(struct fe_link *l)
{
	if (!l->ok)
		return;
	if (l->prod_waiting) {
		ring_prod_end_wait(&l->link->tx);
		l->prod_waiting = false;
	}
	for (int i = 0; i < 4 && l->bl_len; i++) {
		backlog_flush(l);
		if (l->pushed) {
			ring_prod_publish(&l->link->tx);
			l->pushed = 0;
		}
		if (!l->bl_len)
			break;
		if (ring_prod_prepare_wait(&l->link->tx)) {
			l->prod_waiting = true;
			break;
		}
	}
	if (l->pushed) {
		ring_prod_publish(&l->link->tx);
		l->pushed = 0;
	}
	if (!l->bl_len && l->blocked) {
		l->blocked = false;
		l->ops->blocked(l, false);
	}
}

static void core_msg(struct fe_link *l, const union msg *m)
{
	struct fe_req_slot *s;
	uint8_t kind;
	void *obj;
	bool keep;

#ifdef MSG_NEXUS_ASYNC
	if (m->h.type == MSG_ASYNC_EVENT) {
		if (!l->ops->unsolicited || !l->ops->unsolicited(l, m))
			link_dead(l, "asynchronous event we did not ask for, or malformed");
		return;
	}
#endif
	if (m->h.type < MSG_NEXUS_ADDED || m->h.type > MSG_TMF_RSP) {
		link_dead(l, "message type not allowed from the core");
		return;
	}
	s = req_slot(l, m->h.tag);
	if (!s) {
		link_dead(l, "completion with a tag we did not issue");
		return;
	}
	kind = s->kind;
	obj = s->obj;
	keep = l->ops->keep(m);
	if (!keep)
		fe_req_free(l, m->h.tag);
	if (!l->ops->msg(l, m, kind, obj))
		link_dead(l, "completion that does not fit its request");
}

void fe_link_poll(struct fe_link *l)
{
	union msg m;
	int r, n = 0;

	if (!l->ok)
		return;
	while (n < 256 && (r = ring_cons_pop(&l->link->rx, &m)) > 0) {
		n++;
		core_msg(l, &m);
		if (!l->ok)
			return;
	}
	if (n)
		ring_cons_release(&l->link->rx);
	if (r < 0)
		link_dead(l, "core published an impossible ring tail");
}

static void wake_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fe_link *l = w->data;

	link_drain_wake(l->link);
	fe_link_poll(l);
	fe_link_publish(l);
}

/* Before libev blocks: hand the transport what completed, publish the
 * batch, then arm NEED_WAKEUP (an optional spin first, off by default: on 2
 * cores a spinner steals the CPU the core or the initiator needs). Within
 * the poll window (poll_us after the last request or answer) libev then
 * polls without blocking and idle_cb yields the CPU on each turn, as in
 * mtgt-iscsi (iscsi_core.c, idle_poll): the initiator's next command finds
 * us awake instead of paying a wakeup, an IPI across CPUs. */
static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct fe_link *l = w->data;

	for (int round = 0; round < 8; round++) {
		fe_link_poll(l);
		l->ops->flush(l);
		fe_link_publish(l);
		if (!l->ok)
			return;
		if (l->inflight && l->spin_us && !ring_cons_pending(&l->link->rx)) {
			ev_tstamp end;

			ev_now_update(loop);
			end = ev_now(loop) + l->spin_us * 1e-6;
			for (unsigned k = 0; ; k++) {
				if (ring_cons_pending(&l->link->rx))
					break;
				for (int j = 0; j < 32; j++)
					ring_pause();
				if ((k & 3) == 3) {
					ev_now_update(loop);
					if (ev_now(loop) >= end)
						break;
				}
			}
		}
		if (ring_cons_pending(&l->link->rx))
			continue;
		if (ring_cons_prepare_sleep(&l->link->rx)) {
			l->cons_sleeping = true;
			if (l->poll_us && ev_now(loop) < l->poll_until)
				ev_idle_start(loop, &l->idle);
			return;
		}
	}
	ev_idle_start(loop, &l->idle);
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct fe_link *l = w->data;

	if (l->cons_sleeping) {
		ring_cons_end_sleep(&l->link->rx);
		l->cons_sleeping = false;
	}
	ev_idle_stop(loop, &l->idle);
	fe_link_poll(l);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct fe_link *l = w->data;

	/* polling: give a core or backend on our CPU its turn */
	if (l->poll_us && !l->inflight)
		sched_yield();
}

void fe_link_down(struct fe_link *l)
{
	if (l->held)
		return;
	log_warn("core gone: holding the link until the next core");
	l->ok = false;
	l->held = true;
}

static int by_seq(const void *a, const void *b)
{
	const struct fe_req_slot *x = *(struct fe_req_slot *const *)a;
	const struct fe_req_slot *y = *(struct fe_req_slot *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What the old core did not answer goes to the new one in the order it was
 * first sent (a TMF after the commands it names), or is abandoned. Returns
 * how many were abandoned. */
static uint32_t replay(struct fe_link *l, uint32_t *resent)
{
	struct fe_req_slot **v = malloc((l->nslots ? l->nslots : 1) * sizeof(*v));
	uint32_t n = 0, i, dropped = 0;

	if (!v) {
		log_err("out of memory re-submitting to the new core");
		abort();
	}
	for (i = 0; i < l->nslots; i++)
		if (l->slots[i].kind)
			v[n++] = &l->slots[i];
	qsort(v, n, sizeof(*v), by_seq);
	for (i = 0; i < n; i++) {
		struct fe_req_slot *s = v[i];
		uint64_t tag = (uint64_t)s->gen << 32 | (uint32_t)(s - l->slots);
		uint8_t kind = s->kind;
		void *obj = s->obj;
		union msg m = s->msg;

		if (s->seq && l->ops->replay && l->ops->replay(l, kind, obj, &m)) {
			m.h.flags |= MSG_FLAG_REPLAY;
			m.h.epoch = l->c->epoch;
			m.h.tag = tag;
			fe_link_send(l, &m);
			(*resent)++;
			continue;
		}
		fe_req_free(l, tag);
		if (l->ops->abandon)
			l->ops->abandon(l, kind, obj);
		dropped++;
	}
	free(v);
	return dropped;
}

int fe_link_up(struct fe_link *l, struct ctl_msg *m)
{
	static const char *const keys[] = { "fd", "wake_self", "wake_peer" };
	json_t *root = m->data ? json_loadb(m->data, m->len, 0, NULL) : NULL;
	json_t *desc = json_object_get(root, "link"), *copy = NULL;
	struct link nl;
	uint32_t i, dropped, resent = 0;
	int idx[3];

	if (!json_is_object(desc) || !(copy = json_deep_copy(desc)))
		goto bad;
	for (unsigned k = 0; k < 3; k++) {
		json_t *v = json_object_get(copy, keys[k]);

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= m->nfds)
			goto bad;
		idx[k] = (int)json_integer_value(v);
		json_object_set_new(copy, keys[k], json_integer(m->fds[idx[k]]));
	}
	memset(&nl, 0, sizeof(nl));
	if (child_attach_link(l->c, copy, &nl) || nl.side != LINK_SIDE_A)
		goto bad;
	for (unsigned k = 0; k < 3; k++)
		m->fds[idx[k]] = -1; /* ours now */
	/* the old core's last answers are real: take them */
	l->held = true;
	l->ok = true;
	fe_link_poll(l);
	l->ok = false;
	for (i = 0; i < l->bl_len; i++) {
		const union msg *b = &l->backlog[(l->bl_head + i) % l->bl_cap];

		if (b->h.type == MSG_NEXUS_DEL)
			hold_del(l, b->nexus_del.nexus);
	}
	l->bl_len = l->bl_head = 0;
	l->pushed = 0;
	l->prod_waiting = l->cons_sleeping = false;
	ev_io_stop(l->loop, &l->wake_w);
	link_detach(l->link);
	close(l->link->wake_self);
	close(l->link->wake_peer);
	*l->link = nl;
	ev_io_init(&l->wake_w, wake_cb, l->link->wake_self, EV_READ);
	l->wake_w.data = l;
	ev_io_start(l->loop, &l->wake_w);
	l->ok = true;
	l->held = false;
	if (l->blocked) {
		l->blocked = false;
		l->ops->blocked(l, false);
	}
	dropped = replay(l, &resent);
	for (i = 0; i < l->nheld_del; i++) {
		union msg d;

		memset(&d, 0, sizeof(d));
		d.h.type = MSG_NEXUS_DEL;
		d.h.epoch = l->c->epoch;
#ifdef MSG_FLAG_REPLAY
		/* the previous core may have applied it already */
		d.h.flags = MSG_FLAG_REPLAY;
#endif
		d.nexus_del.nexus = l->held_del[i];
		fe_link_send(l, &d);
	}
	log_info("new core: %u requests sent again, %u dropped, %u nexus removals sent", resent,
		 dropped, l->nheld_del);
	l->nheld_del = 0;
	fe_link_publish(l);
	json_decref(copy);
	json_decref(root);
	return 0;
bad:
	json_decref(copy);
	json_decref(root);
	return -EINVAL;
}

int fe_link_init(struct fe_link *l, struct child *c, struct link *lk, struct ev_loop *loop,
		 const struct fe_link_ops *ops, void *user)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->link = lk;
	l->loop = loop;
	l->ops = ops;
	l->user = user;
	l->free_slot = SLOT_NONE;
	l->ok = true;
	l->poll_us = FE_LINK_POLL_US;
	ev_io_init(&l->wake_w, wake_cb, lk->wake_self, EV_READ);
	l->wake_w.data = l;
	ev_io_start(loop, &l->wake_w);
	ev_prepare_init(&l->prep, prepare_cb);
	l->prep.data = l;
	ev_prepare_start(loop, &l->prep);
	ev_check_init(&l->chk, check_cb);
	l->chk.data = l;
	ev_check_start(loop, &l->chk);
	ev_idle_init(&l->idle, idle_cb);
	l->idle.data = l;
	return 0;
}
