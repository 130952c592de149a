/* The link to the core: tags of outstanding requests, sending with a local
 * backlog when the ring is full (which stops socket reads: back-pressure),
 * receiving and validating completions, and the loop watchers that batch
 * publications and sleep without losing a wakeup. */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "shm/link.h"
#include "shm/ring.h"

#define SLOT_NONE UINT32_MAX

static void core_dead(struct iscsi_tgt *t, const char *why)
{
	if (!t->link_ok)
		return;
	log_err("core link: %s; holding every request for the next core", why);
	/* (reading what a dead core left behind, the supervisor knows already) */
	if (!t->core_hold)
		child_violation(t->c, t->link->id, why);
	/* The supervisor replaces the core; sessions go on meanwhile and
	 * every unanswered request goes to the new one (iscsi_core_link_up).
	 * Buffers stay allocated: the old core may still touch them. */
	t->link_ok = false;
	t->core_hold = true;
}

void iscsi_core_violation(struct iscsi_tgt *t, const char *why)
{
	core_dead(t, why);
}

bool iscsi_core_usable(struct iscsi_tgt *t)
{
	return t->link_ok || t->core_hold;
}

/* ---- request tags: generation << 32 | slot ---- */

/* Every request sent to the core and every answer from it keeps the poll
 * window (idle_poll) open for poll_us more. */
static void poll_window_open(struct iscsi_tgt *t)
{
	if (t->poll_us)
		t->poll_until = ev_now(t->loop) + t->poll_us * 1e-6;
}

uint64_t iscsi_req_new(struct iscsi_tgt *t, enum iscsi_req_kind kind, void *obj)
{
	struct iscsi_req_slot *s;
	uint32_t i;

	if (t->free_slot == SLOT_NONE) {
		uint32_t n = t->nslots ? t->nslots * 2 : 256;
		struct iscsi_req_slot *ns = realloc(t->slots, n * sizeof(*ns));

		if (!ns)
			return 0;
		for (i = t->nslots; i < n; i++) {
			ns[i].gen = 1;
			ns[i].kind = REQ_NONE;
			ns[i].obj = NULL;
			ns[i].next_free = i + 1 < n ? i + 1 : SLOT_NONE;
		}
		t->free_slot = t->nslots;
		t->slots = ns;
		t->nslots = n;
	}
	i = t->free_slot;
	s = &t->slots[i];
	t->free_slot = s->next_free;
	s->kind = (uint8_t)kind;
	s->obj = obj;
	s->seq = 0;
	t->inflight++;
	poll_window_open(t);
	return (uint64_t)s->gen << 32 | i;
}

static struct iscsi_req_slot *req_slot(struct iscsi_tgt *t, uint64_t tag)
{
	uint32_t i = (uint32_t)tag;

	if (i >= t->nslots || t->slots[i].gen != (uint32_t)(tag >> 32) ||
	    t->slots[i].kind == REQ_NONE)
		return NULL;
	return &t->slots[i];
}

void iscsi_req_set(struct iscsi_tgt *t, uint64_t tag, void *obj)
{
	struct iscsi_req_slot *s = req_slot(t, tag);

	if (s)
		s->obj = obj;
}

void iscsi_req_free(struct iscsi_tgt *t, uint64_t tag)
{
	struct iscsi_req_slot *s = req_slot(t, tag);

	if (!s)
		return;
	s->kind = REQ_NONE;
	s->obj = NULL;
	if (++s->gen == 0)
		s->gen = 1;
	s->next_free = t->free_slot;
	t->free_slot = (uint32_t)(s - t->slots);
	t->inflight--;
	poll_window_open(t);
}

/* ---- sending ---- */

static bool backlog_flush(struct iscsi_tgt *t)
{
	int err = 0;

	while (t->bl_len) {
		union msg *slot = ring_prod_reserve(&t->link->tx, &err);

		if (!slot) {
			if (err) {
				core_dead(t, "core published an impossible ring head");
				t->bl_len = 0;
			}
			return false;
		}
		memcpy(slot, &t->backlog[t->bl_head], sizeof(*slot));
		ring_prod_push(&t->link->tx);
		t->pushed++;
		t->bl_head = (t->bl_head + 1) % t->bl_cap;
		t->bl_len--;
	}
	return true;
}

static bool is_request(uint8_t type)
{
	return type == MSG_CMD || type == MSG_NEXUS_ADD || type == MSG_DISCOVER ||
	       type == MSG_TMF;
}

static void hold_del(struct iscsi_tgt *t, uint32_t nexus)
{
	if (t->nheld_del == t->held_del_cap) {
		uint32_t n = t->held_del_cap ? t->held_del_cap * 2 : 16;
		uint32_t *p = realloc(t->held_del, n * sizeof(*p));

		if (!p) {
			log_err("out of memory for held NEXUS_DELs");
			abort();
		}
		t->held_del = p;
		t->held_del_cap = n;
	}
	t->held_del[t->nheld_del++] = nexus;
}

void iscsi_core_send(struct iscsi_tgt *t, const union msg *m)
{
	if (is_request(m->h.type)) {
		struct iscsi_req_slot *s = req_slot(t, m->h.tag);

		/* kept until answered: a new core gets it again */
		if (s) {
			s->msg = *m;
			s->seq = ++t->req_seq;
		}
	}
	if (!t->link_ok) {
		/* requests wait in their slots, DATA_READY is rebuilt from the
		 * command; only a NEXUS_DEL has nothing else to remember it by */
		if (t->core_hold && m->h.type == MSG_NEXUS_DEL)
			hold_del(t, m->nexus_del.nexus);
		return;
	}
	if (!t->bl_len) {
		int err = 0;
		union msg *slot = ring_prod_reserve(&t->link->tx, &err);

		if (slot) {
			memcpy(slot, m, sizeof(*slot));
			ring_prod_push(&t->link->tx);
			t->pushed++;
			/* a large batch should not wait for the end of the
			 * loop iteration: the core may be idle */
			if (t->pushed >= 32)
				iscsi_core_publish(t);
			return;
		}
		if (err) {
			core_dead(t, "core published an impossible ring head");
			return;
		}
	}
	/* Ring full: keep the message (it may be a NEXUS_DEL or DATA_READY that
	 * must not be lost) and stop taking new work until it is out. */
	if (t->bl_len == t->bl_cap) {
		uint32_t ncap = t->bl_cap ? t->bl_cap * 2 : 64, i;
		union msg *nb = malloc(ncap * sizeof(*nb));

		if (!nb) {
			log_err("out of memory for the core backlog");
			abort();
		}
		for (i = 0; i < t->bl_len; i++)
			nb[i] = t->backlog[(t->bl_head + i) % t->bl_cap];
		free(t->backlog);
		t->backlog = nb;
		t->bl_cap = ncap;
		t->bl_head = 0;
	}
	t->backlog[(t->bl_head + t->bl_len) % t->bl_cap] = *m;
	t->bl_len++;
	if (!t->core_blocked) {
		t->core_blocked = true;
		iscsi_conns_update_rx(t);
	}
}

void iscsi_core_publish(struct iscsi_tgt *t)
{
	if (!t->link_ok)
		return;
	if (t->prod_waiting) {
		ring_prod_end_wait(&t->link->tx);
		t->prod_waiting = false;
	}
	for (int i = 0; i < 4 && t->bl_len; i++) {
		backlog_flush(t);
		if (t->pushed) {
			ring_prod_publish(&t->link->tx);
			t->pushed = 0;
		}
		if (!t->bl_len)
			break;
		/* still full: ask the core to wake us when it frees space */
		if (ring_prod_prepare_wait(&t->link->tx)) {
			t->prod_waiting = true;
			break;
		}
	}
	if (t->pushed) {
		ring_prod_publish(&t->link->tx);
		t->pushed = 0;
	}
	if (!t->bl_len && t->core_blocked) {
		t->core_blocked = false;
		iscsi_conns_update_rx(t);
	}
}

/* ---- receiving ---- */

static void *req_take(struct iscsi_tgt *t, const union msg *m, enum iscsi_req_kind kind,
		      bool keep)
{
	struct iscsi_req_slot *s = req_slot(t, m->h.tag);
	void *obj;

	if (!s || s->kind != kind) {
		core_dead(t, "completion with a tag we did not issue");
		return NULL;
	}
	obj = s->obj;
	if (!keep)
		iscsi_req_free(t, m->h.tag);
	return obj;
}

static void core_msg(struct iscsi_tgt *t, const union msg *m)
{
	void *obj;

	switch (m->h.type) {
	case MSG_NEXUS_ADDED: {
		struct iscsi_nexus_req *nr = req_take(t, m, REQ_NEXUS, false);

		if (!nr)
			return;
		if (nr->nexus != m->nexus_added.nexus) {
			core_dead(t, "NEXUS_ADDED for another nexus");
			return;
		}
		iscsi_login_nexus_added(t, nr, m->nexus_added.result);
		return;
	}
	case MSG_DISCOVER_DONE:
		if ((obj = req_take(t, m, REQ_DISCOVER, false)))
			iscsi_discover_done(t, obj, &m->discover_done);
		return;
	case MSG_XFER_RDY: {
		struct iscsi_cmd *cmd = req_take(t, m, REQ_CMD, true);

		if (!cmd)
			return;
		if (cmd->dir != MSG_DIR_WRITE || cmd->xfer ||
		    m->xfer_rdy.length == 0 || m->xfer_rdy.length > cmd->edtl) {
			core_dead(t, "XFER_RDY that does not fit its command");
			return;
		}
		iscsi_cmd_xfer_rdy(t, cmd, m->xfer_rdy.length);
		return;
	}
	case MSG_CMD_RSP: {
		struct iscsi_cmd *cmd = req_take(t, m, REQ_CMD, true);

		if (!cmd)
			return;
		if (m->cmd_rsp.sense_len > MSG_SENSE_MAX ||
		    m->cmd_rsp.data_len > cmd->buf.length) {
			core_dead(t, "CMD_RSP with impossible lengths");
			return;
		}
		iscsi_req_free(t, m->h.tag);
		cmd->tag = 0;
		iscsi_cmd_rsp(t, cmd, &m->cmd_rsp);
		return;
	}
	case MSG_TMF_RSP:
		if (m->tmf_rsp.result > MSG_TMF_SUCCEEDED) {
			core_dead(t, "TMF_RSP with an unknown result");
			return;
		}
		if ((obj = req_take(t, m, REQ_TMF, false)))
			iscsi_tmf_done(t, obj, m->tmf_rsp.result);
		return;
	case MSG_ASYNC_EVENT:
		/* not an answer: no tag; the nexus may be gone meanwhile */
		if (m->h.tag != 0 || m->async_event.sense_len > MSG_ASYNC_SENSE_MAX) {
			core_dead(t, "ASYNC_EVENT with a tag or impossible sense length");
			return;
		}
		iscsi_async_scsi_event(t, &m->async_event);
		return;
	default:
		core_dead(t, "message type not allowed from the core");
		return;
	}
}

void iscsi_core_poll(struct iscsi_tgt *t)
{
	union msg m;
	int r, n = 0;

	if (!t->link_ok)
		return;
	/* bounded so sockets get their turn; the prepare watcher comes back */
	while (n < 256 && (r = ring_cons_pop(&t->link->rx, &m)) > 0) {
		n++;
		core_msg(t, &m);
		if (!t->link_ok)
			return;
	}
	if (n)
		ring_cons_release(&t->link->rx);
	if (r < 0)
		core_dead(t, "core published an impossible ring tail");
}

/* ---- loop integration ---- */

static void wake_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct iscsi_tgt *t = w->data;

	link_drain_wake(t->link);
	iscsi_core_poll(t);
	iscsi_core_publish(t);
}

/* Adaptive polling (config iscsi.poll_us, default 200): for poll_us after
 * the last request to or answer from the core, the loop does not block on
 * epoll: an active idle watcher makes libev poll with a zero timeout, and
 * idle_cb yields the CPU once per turn. The initiator's next command then
 * finds us awake: no socket wakeup, which is a cross-CPU IPI. On the 2-vCPU
 * bench machines that wakeup costs 15-30 us, as much as the whole command
 * takes inside the target (perf sched timehist, QD1 4 KiB reads: idle_poll
 * off 14.6-16.3K IOPS, on 17-21K with the core and backend polling too).
 * The yield lets a core or backend that shares our CPU run at once; alone
 * on a CPU it returns at once. After poll_us of quiet we sleep: an idle
 * target burns nothing. */
static void idle_poll(struct iscsi_tgt *t, struct ev_loop *loop)
{
	if (!t->poll_us)
		return;
	if (t->inflight) {
		t->poll_until = ev_now(loop) + t->poll_us * 1e-6;
		return;
	}
	if (ev_now(loop) < t->poll_until)
		ev_idle_start(loop, &t->idle);
}

/* Once per loop iteration, before libev blocks: write what the handlers
 * queued, publish the batch to the core, and if answers are due, optionally
 * spin (config spin_us) before arming NEED_WAKEUP. The default is not to
 * spin: on the 2-core build machines under load, a 2-20 us spin halved QD1
 * IOPS (the spinner steals the CPU the core or the initiator needs). */
static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct iscsi_tgt *t = w->data;
	int round;

	for (round = 0; round < 8; round++) {
		iscsi_core_poll(t);
		iscsi_conn_flush_all(t);
		iscsi_core_publish(t);
		iscsi_conn_reap(t);
		if (!t->link_ok)
			break;
		if (t->inflight && t->spin_us && !ring_cons_pending(&t->link->rx)) {
			ev_tstamp end;

			ev_now_update(loop);
			end = ev_now(loop) + t->spin_us * 1e-6;
			for (unsigned k = 0; ; k++) {
				if (ring_cons_pending(&t->link->rx))
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
		/* Answers are owed and the core (and its backends) may share
		 * our CPU: hand it over with a few yields instead of sleeping,
		 * so the answer needs no eventfd write and no wakeup. */
		for (unsigned k = 0; t->inflight && k < t->yield_n &&
				     !ring_cons_pending(&t->link->rx); k++)
			sched_yield();
		if (ring_cons_pending(&t->link->rx))
			continue;
		if (ring_cons_prepare_sleep(&t->link->rx)) {
			t->cons_sleeping = true;
			idle_poll(t, loop);
			return;
		}
	}
	/* work appeared while arming the flag: do not block this iteration */
	if (t->link_ok)
		ev_idle_start(loop, &t->idle);
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct iscsi_tgt *t = w->data;

	if (t->cons_sleeping) {
		ring_cons_end_sleep(&t->link->rx);
		t->cons_sleeping = false;
	}
	ev_idle_stop(loop, &t->idle);
	iscsi_core_poll(t);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct iscsi_tgt *t = w->data;

	/* polling (idle_poll): give a peer on our CPU its turn */
	if (t->poll_us && !t->inflight)
		sched_yield();
}

int iscsi_core_init(struct iscsi_tgt *t)
{
	t->free_slot = SLOT_NONE;
	t->link_ok = true;
	ev_io_init(&t->wake_w, wake_cb, t->link->wake_self, EV_READ);
	t->wake_w.data = t;
	ev_io_start(t->loop, &t->wake_w);
	ev_prepare_init(&t->prep, prepare_cb);
	t->prep.data = t;
	ev_prepare_start(t->loop, &t->prep);
	ev_check_init(&t->chk, check_cb);
	t->chk.data = t;
	ev_check_start(t->loop, &t->chk);
	ev_idle_init(&t->idle, idle_cb);
	t->idle.data = t;
	return 0;
}

/* ---- a new core incarnation ---- */

void iscsi_core_link_down(struct iscsi_tgt *t)
{
	if (t->core_hold && !t->link_ok)
		return;
	log_warn("core gone: sessions stay, requests held for the next core");
	t->link_ok = false;
	t->core_hold = true;
}

static int by_seq(const void *a, const void *b)
{
	const struct iscsi_req_slot *x = *(struct iscsi_req_slot *const *)a;
	const struct iscsi_req_slot *y = *(struct iscsi_req_slot *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Everything the old core did not answer, in the order it was first sent. */
static void resubmit(struct iscsi_tgt *t)
{
	struct iscsi_req_slot **v = malloc((t->nslots ? t->nslots : 1) * sizeof(*v));
	uint32_t n = 0, i, resent = 0;

	if (!v) {
		log_err("out of memory re-submitting to the new core");
		abort();
	}
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].kind != REQ_NONE && t->slots[i].seq)
			v[n++] = &t->slots[i];
	qsort(v, n, sizeof(*v), by_seq);
	for (i = 0; i < n; i++) {
		struct iscsi_req_slot *s = v[i];
		uint64_t tag = (uint64_t)s->gen << 32 | (uint32_t)(s - t->slots);
		union msg m = s->msg;

		m.h.flags |= MSG_FLAG_REPLAY;
		if (s->kind == REQ_CMD) {
			struct iscsi_cmd *cmd = s->obj;

			if (!cmd->conn) {
				/* its session is gone: no one to answer */
				union msg r;

				memset(&r, 0, sizeof(r));
				r.h.type = MSG_CMD_RSP;
				r.h.tag = tag;
				r.h.flags = MSG_RSP_ABORTED;
				iscsi_req_free(t, tag);
				cmd->tag = 0;
				iscsi_cmd_rsp(t, cmd, &r.cmd_rsp);
				continue;
			}
			/* All the Data-Out the old core asked for is in the
			 * buffer: it counts as immediate data (the same CDB asks
			 * the same of the new core). Otherwise the new core's
			 * XFER_RDY finds what arrived meanwhile (rx_bytes) and
			 * the R2Ts still open, and solicits only the rest. With
			 * recovery R2Ts (ERL 1) bytes in are not one run from 0,
			 * so nothing less than complete is claimed. */
			if (cmd->dir == MSG_DIR_WRITE && !cmd->data_err && cmd->want &&
			    cmd->rx_bytes >= cmd->want && !cmd->nr2t &&
			    cmd->want <= cmd->edtl && cmd->want > m.cmd.imm_len)
				m.cmd.imm_len = cmd->want;
			cmd->xfer = false;
			cmd->data_ready_sent = false;
		} else if (s->kind == REQ_DISCOVER) {
			/* the old core may have overwritten the initiator name
			 * with target names: never ask again with that buffer */
			struct msg_discover_done d;
			void *obj = s->obj;

			memset(&d, 0, sizeof(d));
			d.result = -EAGAIN;
			iscsi_req_free(t, tag);
			iscsi_discover_done(t, obj, &d);
			continue;
		}
		iscsi_core_send(t, &m);
		resent++;
	}
	free(v);
	for (i = 0; i < t->nheld_del; i++) {
		union msg m;

		memset(&m, 0, sizeof(m));
		m.h.type = MSG_NEXUS_DEL;
		m.h.flags = MSG_FLAG_REPLAY;
		m.nexus_del.nexus = t->held_del[i];
		iscsi_core_send(t, &m);
	}
	log_info("new core: %u requests and %u nexus removals sent again", resent,
		 t->nheld_del);
	t->nheld_del = 0;
	iscsi_core_publish(t);
}

void iscsi_core_link_up(struct iscsi_tgt *t, struct ctl_msg *m)
{
	static const char *const keys[] = { "fd", "wake_self", "wake_peer" };
	json_t *root = m->data ? json_loadb(m->data, m->len, 0, NULL) : NULL;
	json_t *desc = json_object_get(root, "link"), *copy = NULL;
	struct link nl;
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
	if (child_attach_link(t->c, copy, &nl) || nl.side != LINK_SIDE_A)
		goto bad;
	for (unsigned k = 0; k < 3; k++)
		m->fds[idx[k]] = -1;

	/* The old core's last answers are real (a quiesced core finished its
	 * commands; a dead one published these before dying): take them. */
	t->core_hold = true;
	t->link_ok = true;
	iscsi_core_poll(t);
	t->link_ok = false;
	/* what was waiting for room in the old ring is void, except NEXUS_DELs */
	for (uint32_t i = 0; i < t->bl_len; i++) {
		const union msg *b = &t->backlog[(t->bl_head + i) % t->bl_cap];

		if (b->h.type == MSG_NEXUS_DEL)
			hold_del(t, b->nexus_del.nexus);
	}
	t->bl_len = t->bl_head = 0;
	t->pushed = 0;
	t->prod_waiting = t->cons_sleeping = false;
	ev_io_stop(t->loop, &t->wake_w);
	link_detach(t->link);
	close(t->link->wake_self);
	close(t->link->wake_peer);
	*t->link = nl;
	ev_io_init(&t->wake_w, wake_cb, t->link->wake_self, EV_READ);
	t->wake_w.data = t;
	ev_io_start(t->loop, &t->wake_w);
	t->link_ok = true;
	t->core_hold = false;
	if (t->core_blocked) {
		t->core_blocked = false;
		iscsi_conns_update_rx(t);
	}
	resubmit(t);
	json_decref(copy);
	json_decref(root);
	return;
bad:
	/* without a core link nothing can go on: the supervisor restarts us */
	log_err("LINK_UP: malformed or unusable link description");
	exit(1);
}
