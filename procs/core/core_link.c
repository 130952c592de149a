/* Links: receiving, validating and dispatching ring messages in batches, the
 * tx queues in front of full rings, wakeups, and link changes announced on the
 * control channel.
 *
 * Wakeups: every link's wake_self eventfd is watched by libev. Before libev
 * blocks, the prepare watcher polls all rx rings for a short budget (cheap on a
 * 2-core machine, and it hides the cost of waking a sleeping CPU), then sets
 * NEED_WAKEUP on every ring with ring_cons_prepare_sleep(), which re-checks the
 * ring so nothing published meanwhile is missed. The check watcher clears the
 * flags after the poll.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_state.h"

#define CORE_RX_BATCH   64    /* messages per link per round */
#define CORE_MAX_ROUNDS 64    /* busy rounds before libev gets a turn */

struct core_link *core_link_get(struct core *co, uint32_t id)
{
	for (uint32_t i = 0; i < co->nlinks; i++)
		if (co->links[i].id == id)
			return &co->links[i];
	return NULL;
}

void core_violation(struct core *co, struct core_link *cl, const char *reason)
{
	if (cl->broken)
		return;
	cl->broken = true;
	co->n_violations++;
	log_err("link %u (%s): protocol violation: %s", cl->id,
		cl->role == CORE_ROLE_FRONTEND ? "frontend" : "backend", reason);
	child_violation(co->c, cl->id, reason);
}

/* ---- tx ---- */

void core_tx_enqueue(struct core *co, struct core_link *cl, struct core_cmd *cmd, uint8_t op)
{
	(void)co;
	cmd->txop = op;
	if (cmd->qlist == &cl->txq)
		return;
	if (cmd->qlist)
		clist_remove(cmd->qlist, &cmd->qnode);
	clist_push_back(&cl->txq, &cmd->qnode);
	cmd->qlist = &cl->txq;
}

void core_tx_flush(struct core *co, struct core_link *cl)
{
	int err = 0;

	/* what an answer tells the initiator must be in the state segment
	 * before the answer leaves */
	core_state_save(co);
	if (!cl->up || cl->broken || !cl->l)
		return;
	while (cl->txq.first) {
		struct core_cmd *cmd = clist_entry(cl->txq.first, struct core_cmd, qnode);
		union msg *m = ring_prod_reserve(&cl->l->tx, &err);

		if (!m) {
			if (err)
				core_violation(co, cl, "consumer index out of range");
			break;
		}
		clist_remove(&cl->txq, &cmd->qnode);
		cmd->qlist = NULL;
		core_cmd_fill(co, cl, cmd, m);
		ring_prod_push(&cl->l->tx);
		cl->tx_dirty = true;
		core_cmd_sent(co, cl, cmd);
	}
	if (cl->tx_dirty) {
		ring_prod_publish(&cl->l->tx);
		cl->tx_dirty = false;
	}
}

/* ---- rx ---- */

static unsigned poll_rx(struct core *co, struct core_link *cl)
{
	union msg m;
	unsigned n = 0;

	if (!cl->up || cl->broken || !cl->l)
		return 0;
	while (n < CORE_RX_BATCH) {
		int r;

		/* back-pressure: leave work in the ring while we have no slot for it
		 * or the frontend is not taking its answers */
		if (cl->role == CORE_ROLE_FRONTEND &&
		    (co->nfree == 0 || cl->txq.len >= cl->l->tx.count ||
		     !core_quiesce_room(co)))
			break;
		r = ring_cons_pop(&cl->l->rx, &m);
		if (r == 0)
			break;
		if (r < 0) {
			core_violation(co, cl, "producer index out of range");
			break;
		}
		n++;
		if (cl->role == CORE_ROLE_FRONTEND) {
			if (!core_quiesce_park(co, cl, &m))
				core_handle_frontend(co, cl, &m);
		} else
			core_handle_backend(co, cl, &m);
		if (cl->broken)
			break;
	}
	if (n)
		ring_cons_release(&cl->l->rx);
	return n;
}

static unsigned poll_all(struct core *co)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < co->nlinks; i++)
		n += poll_rx(co, &co->links[i]);
	for (i = 0; i < co->nlinks; i++) {
		struct core_link *cl = &co->links[i];
		unsigned before = cl->txq.len;

		core_tx_flush(co, cl);
		n += before - cl->txq.len;
	}
	return n;
}

static bool backends_busy(const struct core *co)
{
	for (uint32_t i = 0; i < co->nlinks; i++)
		if (co->links[i].role == CORE_ROLE_BACKEND && co->links[i].inflight.len)
			return true;
	return false;
}

static void maybe_exit(struct core *co)
{
	if (!co->shutting_down || core_cmds_busy(co))
		return;
	log_info("shutdown: no command in flight, exiting (%llu commands, %llu I/Os served, "
		 "bytes_copied %llu)", (unsigned long long)co->n_cmds,
		 (unsigned long long)co->n_ios, (unsigned long long)co->n_copied);
	exit(0);
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct core *co = w->data;
	unsigned idle = 0, rounds = 0, budget, yields = 0;
	bool more = false;

	(void)revents;
	for (;;) {
		if (poll_all(co)) {
			idle = 0;
			co->poll_until = ev_now(loop) + co->poll_us * 1e-6;
			if (++rounds >= CORE_MAX_ROUNDS) {
				more = true;
				break;
			}
			continue;
		}
		/* spin for a completion a backend owes us; with nothing at a
		 * backend the next message is an initiator round trip away, and
		 * on a 2-core machine the spin would only take its CPU */
		budget = backends_busy(co) ? co->spin : co->spin / 8;
		if (idle++ < budget) {
			ring_pause();
			continue;
		}
		/* A backend owes us a completion and may share our CPU: give
		 * it the CPU rather than sleeping, so its answer needs no
		 * eventfd write and no wakeup. Alone on a CPU, a yield returns
		 * at once: a short, bounded spin. */
		if (yields < co->yield && backends_busy(co)) {
			yields++;
			idle = 0;
			sched_yield();
			continue;
		}
		/* The poll window (core.poll_us) after the last message: do
		 * not arm NEED_WAKEUP and sleep, yield the CPU and let libev
		 * poll without blocking. Peers then publish without an eventfd
		 * write and we answer without a wakeup, which across CPUs is an
		 * IPI (15-30 us on the bench machines); on a shared CPU the
		 * yield runs the frontend or backend at once. */
		if (co->poll_us && !co->shutting_down && ev_now(loop) < co->poll_until) {
			sched_yield();
			more = true;
		}
		break;
	}
	maybe_exit(co);
	core_quiesce_poll(co);
	if (!more) {
		for (uint32_t i = 0; i < co->nlinks; i++) {
			struct core_link *cl = &co->links[i];

			if (!cl->up || cl->broken || !cl->l)
				continue;
			cl->rx_sleeping = true;
			if (!ring_cons_prepare_sleep(&cl->l->rx))
				more = true;
			if (cl->txq.len) {
				cl->tx_waiting = true;
				if (!ring_prod_prepare_wait(&cl->l->tx))
					more = true;
			}
		}
	}
	/* work appeared while arming: let libev poll without blocking */
	if (more)
		ev_idle_start(loop, &co->idle);
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct core *co = w->data;

	(void)revents;
	for (uint32_t i = 0; i < co->nlinks; i++) {
		struct core_link *cl = &co->links[i];

		if (cl->rx_sleeping && cl->l)
			ring_cons_end_sleep(&cl->l->rx);
		if (cl->tx_waiting && cl->l)
			ring_prod_end_wait(&cl->l->tx);
		cl->rx_sleeping = cl->tx_waiting = false;
	}
	ev_idle_stop(loop, &co->idle);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop; (void)w; (void)revents;
}

static void wake_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct core_link *cl = w->data;

	(void)loop; (void)revents;
	if (cl->l)
		link_drain_wake(cl->l);
}

static void watch_link(struct core *co, struct core_link *cl)
{
	if (cl->io_active) {
		ev_io_stop(co->loop, &cl->io);
		cl->io_active = false;
	}
	if (!cl->l || cl->l->wake_self < 0)
		return;
	ev_io_init(&cl->io, wake_cb, cl->l->wake_self, EV_READ);
	cl->io.data = cl;
	ev_io_start(co->loop, &cl->io);
	cl->io_active = true;
}

static void unwatch_link(struct core *co, struct core_link *cl)
{
	if (cl->io_active)
		ev_io_stop(co->loop, &cl->io);
	cl->io_active = false;
}

/* ---- setup ---- */

/* Role and arena of a link from its JSON description. */
static int link_params(struct core *co, json_t *desc, enum core_role *role, uint32_t *arena)
{
	json_t *side = json_object_get(desc, "side");
	json_t *ja = json_object_get(desc, "arena");

	if (!json_is_string(side))
		return -EINVAL;
	if (!strcmp(json_string_value(side), "b")) {
		*role = CORE_ROLE_FRONTEND;
		if (!json_is_integer(ja) || json_integer_value(ja) < 0 ||
		    json_integer_value(ja) >= co->c->pool.narenas ||
		    (uint32_t)json_integer_value(ja) == co->c->core_arena) {
			log_err("frontend link needs a valid \"arena\" (its own, not the core's)");
			return -EINVAL;
		}
		*arena = (uint32_t)json_integer_value(ja);
		return 0;
	}
	if (!strcmp(json_string_value(side), "a")) {
		*role = CORE_ROLE_BACKEND;
		*arena = UINT32_MAX;
		return 0;
	}
	return -EINVAL;
}

static void set_peer(struct core_link *cl, json_t *desc)
{
	json_t *p = json_object_get(desc, "peer");

	snprintf(cl->peer, sizeof(cl->peer), "%s", json_is_string(p) ? json_string_value(p) : "");
	p = json_object_get(desc, "peer_epoch");
	cl->peer_epoch = json_is_integer(p) ? (uint32_t)json_integer_value(p) : 0;
}

int core_links_init(struct core *co)
{
	json_t *links = json_object_get(co->c->init, "links");
	size_t i;

	if (!json_is_array(links) || json_array_size(links) > CHILD_MAX_LINKS) {
		log_err("init: \"links\" missing or too many");
		return -EINVAL;
	}
	for (i = 0; i < json_array_size(links); i++) {
		json_t *d = json_array_get(links, i);
		json_t *jid = json_object_get(d, "id");
		struct core_link *cl = &co->links[co->nlinks];

		if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
		    json_integer_value(jid) > UINT32_MAX) {
			log_err("init: link %zu has no valid id", i);
			return -EINVAL;
		}
		cl->id = (uint32_t)json_integer_value(jid);
		if (core_link_get(co, cl->id)) {
			log_err("init: link %u listed twice", cl->id);
			return -EINVAL;
		}
		if (link_params(co, d, &cl->role, &cl->arena)) {
			log_err("init: link %u: bad side or arena", cl->id);
			return -EINVAL;
		}
		set_peer(cl, d);
		cl->l = child_link(co->c, cl->id);
		if (!cl->l) {
			log_err("init: link %u was not attached", cl->id);
			return -EINVAL;
		}
		cl->up = true;
		cl->gen = 1;
		co->nlinks++;
	}
	/* every LUN must be served by a backend link we have */
	for (uint32_t t = 0; t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t l = 0; l < tg->nluns; l++) {
			struct core_link *cl = core_link_get(co, tg->luns[l].link);

			if (!cl || cl->role != CORE_ROLE_BACKEND) {
				log_err("config: target %s lun %u: link %u is not a backend link",
					tg->name, tg->luns[l].lu.lun, tg->luns[l].link);
				return -EINVAL;
			}
		}
	}
	return 0;
}

void core_loop_start(struct core *co)
{
	for (uint32_t i = 0; i < co->nlinks; i++)
		watch_link(co, &co->links[i]);
	ev_prepare_init(&co->prep, prepare_cb);
	co->prep.data = co;
	ev_prepare_start(co->loop, &co->prep);
	ev_check_init(&co->check, check_cb);
	co->check.data = co;
	ev_check_start(co->loop, &co->check);
	ev_idle_init(&co->idle, idle_cb);
	co->idle.data = co;
}

/* ---- control channel ---- */

static int json_link_id(const struct ctl_msg *m, json_t **root, uint32_t *id)
{
	json_error_t je;
	json_t *v;

	*root = m->data ? json_loadb(m->data, m->len, 0, &je) : NULL;
	if (!*root)
		return -EINVAL;
	v = json_object_get(*root, "link");
	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)json_integer_value(v);
	return 0;
}

static void link_down(struct core *co, struct core_link *cl)
{
	bool was = cl->up;

	unwatch_link(co, cl);
	cl->up = false;
	cl->broken = false;
	if (!was)
		return;
	if (cl->role == CORE_ROLE_FRONTEND)
		core_frontend_down(co, cl);
	else
		core_backend_down(co, cl);
}

static void on_link_down(struct core *co, const struct ctl_msg *m)
{
	json_t *root = NULL;
	uint32_t id;
	struct core_link *cl;

	if (json_link_id(m, &root, &id)) {
		log_err("LINK_DOWN: malformed payload");
		goto out;
	}
	cl = core_link_get(co, id);
	if (!cl) {
		log_warn("LINK_DOWN for unknown link %u", id);
		goto out;
	}
	log_info("link %u (%s) down", id, cl->role == CORE_ROLE_FRONTEND ? "frontend" : "backend");
	link_down(co, cl);
out:
	json_decref(root);
}

/* Give an existing entry (and its slot in the child's table) a new link id. */
static void rename_link(struct core *co, struct core_link *cl, uint32_t id)
{
	struct link *slot = child_link(co->c, cl->id);

	if (slot)
		slot->id = id;
	cl->id = id;
}

/* A restarted backend may come back on a new link id: the down backend link of
 * the same peer is the one it replaces, with its LUNs and queued I/Os. */
static struct core_link *adopt_backend(struct core *co, json_t *desc, uint32_t id)
{
	json_t *p = json_object_get(desc, "peer");
	const char *peer = json_is_string(p) ? json_string_value(p) : "";

	if (!*peer)
		return NULL;
	for (uint32_t i = 0; i < co->nlinks; i++) {
		struct core_link *cl = &co->links[i];
		uint32_t old = cl->id;

		if (cl->role != CORE_ROLE_BACKEND || cl->up || strcmp(cl->peer, peer))
			continue;
		for (uint32_t t = 0; t < co->cfg.ntargets; t++)
			for (uint32_t l = 0; l < co->cfg.targets[t].nluns; l++)
				if (co->cfg.targets[t].luns[l].link == old)
					co->cfg.targets[t].luns[l].link = id;
		for (uint32_t k = 0; k < co->ncmds; k++)
			if (co->cmds[k].state != CS_FREE && co->cmds[k].be_link == old)
				co->cmds[k].be_link = id;
		rename_link(co, cl, id);
		log_info("link %u replaces backend link %u (%s)", id, old, peer);
		return cl;
	}
	return NULL;
}

/* A dead frontend's entry, once drained, can serve a new link. */
static struct core_link *reuse_frontend(struct core *co, uint32_t id)
{
	for (uint32_t i = 0; i < co->nlinks; i++) {
		struct core_link *cl = &co->links[i];

		if (cl->role == CORE_ROLE_FRONTEND && !cl->up && !cl->orphans &&
		    !cl->drain_pending && !cl->txq.len) {
			rename_link(co, cl, id);
			return cl;
		}
	}
	return NULL;
}

/* Slot for a link in the child's table: the old one, or a new one. */
static struct link *child_slot(struct child *c, uint32_t id)
{
	struct link *l = child_link(c, id);

	if (l)
		return l;
	if (c->nlinks >= CHILD_MAX_LINKS)
		return NULL;
	return &c->links[c->nlinks++];
}

static void on_link_up(struct core *co, struct ctl_msg *m)
{
	static const char *const fdkeys[] = { "fd", "wake_self", "wake_peer" };
	json_t *root = NULL, *desc, *copy = NULL;
	struct link nl, *slot;
	struct core_link *cl;
	enum core_role role;
	uint32_t id, arena;
	bool had_slot;
	int err;

	if (json_link_id(m, &root, &id) || !json_is_object(desc = json_object_get(root, "link"))) {
		log_err("LINK_UP: malformed payload");
		goto out;
	}
	copy = json_deep_copy(desc);
	if (!copy)
		goto out;
	/* fds in the message replace the inherited fd numbers of an init entry */
	for (unsigned k = 0; k < 3; k++) {
		json_t *v = json_object_get(copy, fdkeys[k]);

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= m->nfds) {
			log_err("LINK_UP link %u: \"%s\" is not an index of the %d fds sent",
				id, fdkeys[k], m->nfds);
			goto out;
		}
		json_object_set_new(copy, fdkeys[k],
				    json_integer(m->fds[json_integer_value(v)]));
	}
	if (link_params(co, copy, &role, &arena)) {
		log_err("LINK_UP link %u: bad side or arena", id);
		goto out;
	}
	cl = core_link_get(co, id);
	if (cl && cl->role != role) {
		log_err("LINK_UP link %u changes its side: refused", id);
		goto out;
	}
	if (!cl && role == CORE_ROLE_BACKEND)
		cl = adopt_backend(co, desc, id);
	if (!cl && role == CORE_ROLE_FRONTEND)
		cl = reuse_frontend(co, id);
	if (!cl && co->nlinks >= CHILD_MAX_LINKS) {
		log_err("LINK_UP link %u: too many links", id);
		goto out;
	}
	memset(&nl, 0, sizeof(nl));
	err = child_attach_link(co->c, copy, &nl);
	/* child_attach_link closed the memfd either way; ctl_msg_free must not */
	m->fds[json_integer_value(json_object_get(desc, "fd"))] = -1;
	if (err) {
		log_err("LINK_UP link %u: attach failed: %s", id, strerror(-err));
		goto out;
	}
	/* the eventfds now belong to the link */
	m->fds[json_integer_value(json_object_get(desc, "wake_self"))] = -1;
	m->fds[json_integer_value(json_object_get(desc, "wake_peer"))] = -1;
	/* a replacement without LINK_DOWN first (e.g. an upgrade) is a down + up */
	if (cl)
		link_down(co, cl);
	had_slot = child_link(co->c, id) != NULL;
	slot = child_slot(co->c, id);
	if (!slot) {
		link_detach(&nl);
		goto out;
	}
	if (had_slot) {
		link_detach(slot);
		/* link_detach leaves the eventfds of the old incarnation open */
		if (slot->wake_self >= 0 && slot->wake_self != nl.wake_self &&
		    slot->wake_self != nl.wake_peer)
			close(slot->wake_self);
		if (slot->wake_peer >= 0 && slot->wake_peer != nl.wake_self &&
		    slot->wake_peer != nl.wake_peer)
			close(slot->wake_peer);
	}
	*slot = nl;
	if (!cl) {
		cl = &co->links[co->nlinks++];
		memset(cl, 0, sizeof(*cl));
		cl->id = id;
		cl->role = role;
	}
	cl->l = slot;
	cl->arena = arena;
	set_peer(cl, desc);
	cl->gen++;
	cl->broken = false;
	cl->up = true;
	watch_link(co, cl);
	log_info("link %u (%s) up, incarnation %u", id,
		 role == CORE_ROLE_FRONTEND ? "frontend" : "backend", cl->gen);
	if (role == CORE_ROLE_BACKEND)
		core_backend_up(co, cl);
out:
	json_decref(copy);
	json_decref(root);
}

static void on_stats(struct core *co)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:i}",
			      "commands", (json_int_t)co->n_cmds,
			      "ios", (json_int_t)co->n_ios,
			      "violations", (json_int_t)co->n_violations,
			      "stale_data_ready", (json_int_t)co->n_stale_data_ready,
			      "in_flight", (int)core_cmds_busy(co));

	if (j) {
		uint64_t tsf = 0;

		for (uint32_t t = 0; t < co->cfg.ntargets; t++)
			for (uint32_t i = 0; i < co->cfg.targets[t].nluns; i++)
				tsf += co->cfg.targets[t].luns[i].qd_full;
		json_object_set_new(j, "bytes_copied", json_integer((json_int_t)co->n_copied));
		json_object_set_new(j, "task_set_full", json_integer((json_int_t)tsf));
		json_object_update_new(j, core_stats_json(co));
	}
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s)
		ctl_send(CHILD_CTL_FD, CTL_STATS, s, strlen(s), NULL, 0);
	free(s);
	json_decref(j);
}

void core_on_ctl(struct child *c, struct ctl_msg *m)
{
	struct core *co = c->user;

	switch (m->type) {
	case CTL_LINK_DOWN:
		on_link_down(co, m);
		break;
	case CTL_LINK_UP:
		on_link_up(co, m);
		break;
	case CTL_STATS:
		on_stats(co);
		break;
	case CTL_LUN_RESIZE:
		core_lun_resize(co, m);
		break;
	case CTL_CONFIG:
		core_live_config(co, m);
		break;
	case CTL_QUIESCE:
		core_quiesce_begin(co);
		break;
	case CTL_RESUME:
		core_quiesce_resume(co);
		break;
	case CTL_RETIRE:
		/* a new core took over: nothing here may touch the rings again */
		log_info("retired: a new core serves");
		exit(0);
	default:
		log_warn("control message %s ignored", ctl_type_name(m->type));
		break;
	}
}

void core_on_shutdown(struct child *c)
{
	struct core *co = c->user;

	log_info("shutdown requested: finishing %u commands", core_cmds_busy(co));
	co->shutting_down = true;
	maybe_exit(co);
}
