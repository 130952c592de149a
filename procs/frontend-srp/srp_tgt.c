/* Process-wide setup of mtgt-srp: limits from CTL_INIT "config", the SRP
 * ports (each on its transport), the core link callbacks, statistics and
 * shutdown draining. */
#include "procs/frontend-srp/srp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/frontend-srp/srp_handover.h"

static uint32_t cfg_u32(json_t *cfg, const char *key, uint32_t def, uint32_t lo, uint32_t hi)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;
	json_int_t x;

	if (json_is_boolean(v))
		return json_is_true(v);
	if (!json_is_integer(v))
		return def;
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		log_warn("config %s=%lld out of [%u, %u]; using %u", key, (long long)x, lo, hi, def);
		return def;
	}
	return (uint32_t)x;
}

/* ---- core link callbacks ---- */

static bool link_msg(struct fe_link *l, const union msg *m, uint8_t kind, void *obj)
{
	return srp_cmd_core_msg(l->user, m, kind, obj);
}

static bool link_keep(const union msg *m)
{
	return m->h.type == MSG_XFER_RDY;
}

static void link_dead(struct fe_link *l, const char *why)
{
	/* without a core nothing completes: every channel goes */
	srp_all_close(l->user, "core link lost");
}

static void link_blocked(struct fe_link *l, bool blocked)
{
	struct srp_tgt *t = l->user;

	/* a full ring stops taking work from the transports */
	t->intake_paused = blocked;
	for (uint32_t i = 0; i < t->nports; i++) {
		if (blocked)
			ev_io_stop(t->loop, &t->ports[i].w);
		else
			ev_io_start(t->loop, &t->ports[i].w);
	}
	if (!blocked)
		for (uint32_t i = 0; i < t->nports; i++)
			ev_feed_event(t->loop, &t->ports[i].w, EV_READ);
}

static void link_flush(struct fe_link *l)
{
	struct srp_tgt *t = l->user;

	srp_cmd_retry_waiting(t);
	srp_chan_flush_all(t);
}

#ifdef MSG_NEXUS_ASYNC
static bool link_unsolicited(struct fe_link *l, const union msg *m)
{
	return srp_cmd_async_event(l->user, m);
}
#endif

static void link_abandon(struct fe_link *l, uint8_t kind, void *obj)
{
	srp_cmd_abandon(l->user, kind, obj);
}

static bool link_replay(struct fe_link *l, uint8_t kind, void *obj, union msg *m)
{
	return srp_cmd_replay(l->user, kind, obj, m);
}

static const struct fe_link_ops srp_link_ops = {
	.replay = link_replay,
	.msg = link_msg,
	.keep = link_keep,
	.dead = link_dead,
	.blocked = link_blocked,
	.flush = link_flush,
	.abandon = link_abandon,
#ifdef MSG_NEXUS_ASYNC
	.unsolicited = link_unsolicited,
#endif
};

static void port_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	srp_port_event(w->data);
}

static int port_open(struct srp_tgt *t, struct srp_port *p, json_t *d, size_t i)
{
	const char *tr = json_string_value(json_object_get(d, "transport"));
	const char *id = json_string_value(json_object_get(d, "port_id"));
	const char *tgt = json_string_value(json_object_get(d, "target"));
	int r;

	p->t = t;
	if (!tr || !strcmp(tr, "soft"))
		p->ops = &srp_soft_ops;
	else if (!strcmp(tr, "verbs"))
		p->ops = &srp_verbs_ops;
	else {
		log_err("srp port %zu: unknown transport %s", i, tr);
		return -EINVAL;
	}
	if (srp_port_id_parse(id, p->id) < 0 || !tgt || strlen(tgt) >= sizeof(p->target)) {
		log_err("srp port %zu: bad port_id or target", i);
		return -EINVAL;
	}
	snprintf(p->target, sizeof(p->target), "%s", tgt);
	snprintf(p->name, sizeof(p->name), "srp port %zu (%s)", i, p->ops->name);
	/* the verbs transport sizes its shared receive buffers by it */
	json_object_set_new(d, "max_iu", json_integer(t->lim.max_it));
	r = p->ops->open(&p->x, d, t->arena, t->arena_size);
	if (r < 0)
		return r;
	ev_io_init(&p->w, port_cb, p->ops->fd(p->x), EV_READ);
	p->w.data = p;
	ev_io_start(t->loop, &p->w);
	log_info("%s: target port id %s serves %s", p->name, id, p->target);
	return 0;
}

int srp_tgt_init(struct srp_tgt *t, struct child *c, struct ev_loop *loop)
{
	json_t *cfg = json_object_get(c->init, "config");
	json_t *ports = json_object_get(c->init, "srp_ports");
	uint32_t ok = 0, unavailable = 0;
	size_t i;
	int r;

	memset(t, 0, sizeof(*t));
	t->c = c;
	t->loop = loop;
	t->next_nexus = 1;
	if (c->nlinks != 1 || c->own_arena < 0 || c->links[0].side != LINK_SIDE_A) {
		log_err("need exactly one link (to the core, side A) and an own arena");
		return -EINVAL;
	}
	r = pool_alloc_init(&t->alloc, &c->pool, (uint32_t)c->own_arena);
	if (r < 0)
		return r;
	t->arena = c->pool.arenas[c->own_arena].base;
	t->arena_size = (uint32_t)c->pool.arenas[c->own_arena].size;
	t->lim.max_it = cfg_u32(cfg, "max_it_iu_len", 8448, 64, (256u << 10));
	t->lim.ti = cfg_u32(cfg, "max_ti_iu_len", 256, 64, 4096);
	t->lim.credits = cfg_u32(cfg, "queue_depth", 64, 1, 1024);
	t->lim.max_chans = cfg_u32(cfg, "max_channels", 16, 1, 256);
	t->lim.max_total = cfg_u32(cfg, "max_total_channels", 256, 1, 4096);
	t->lim.multichannel = cfg_u32(cfg, "multichannel", 1, 0, 1);
	t->lim.immediate = cfg_u32(cfg, "immediate_data", 1, 0, 1);
	t->lim.max_io = cfg_u32(cfg, "max_io", 1u << 20, 4096, 1u << 30);
	t->fl.spin_us = cfg_u32(cfg, "spin_us", 0, 0, 10000);
	if (t->lim.max_io > t->arena_size / 2)
		t->lim.max_io = t->arena_size / 2;

	fe_link_init(&t->fl, c, &c->links[0], loop, &srp_link_ops, t);
	t->fl.spin_us = cfg_u32(cfg, "spin_us", 0, 0, 10000);
	t->fl.poll_us = cfg_u32(cfg, "poll_us", FE_LINK_POLL_US, 0, 10000);

	if (!json_is_array(ports) || !json_array_size(ports)) {
		log_err("no SRP ports in the init message");
		return -EINVAL;
	}
	t->ports = calloc(json_array_size(ports), sizeof(*t->ports));
	if (!t->ports)
		return -ENOMEM;
	for (i = 0; i < json_array_size(ports); i++) {
		struct srp_port *p = &t->ports[t->nports];
		const char *tr = json_string_value(json_object_get(json_array_get(ports, i),
								   "transport"));

		if (srp_handover_incoming(c) && tr && !strcmp(tr, "verbs")) {
			/* the old instance holds its RDMA CM listener and will
			 * refuse to hand over: a plain restart follows */
			log_warn("srp port %zu (verbs): not opened by an upgrade's new instance", i);
			continue;
		}
		r = port_open(t, p, json_array_get(ports, i), i);
		if (r == -ENODEV) {
			log_err("srp port %zu (%s): no RDMA devices: this port is not served",
				i, p->ops->name);
			unavailable++;
			continue;
		}
		if (r < 0) {
			log_err("srp port %zu: %s", i, strerror(-r));
			return r;
		}
		t->nports++;
		ok++;
	}
	if (!ok && unavailable && !srp_handover_incoming(c)) {
		/* tell the supervisor not to restart us: nothing here can run */
		log_err("no SRP port can run on this machine (no RDMA devices); exiting as unavailable");
		exit(SRP_EXIT_UNAVAILABLE);
	}
	return 0;
}

/* The core died and the supervisor keeps us for the next one. Channels and
 * sessions stay (the core's state segment keeps the nexuses): what the
 * initiators send meanwhile waits in its request slot, logins included, and
 * at LINK_UP everything the dead core did not answer goes to the new one
 * (srp_cmd_replay). The initiator sees a pause, not an error. */
void srp_tgt_link_down(struct srp_tgt *t)
{
	fe_link_down(&t->fl);
}

void srp_tgt_link_up(struct srp_tgt *t, struct ctl_msg *m)
{
	if (fe_link_up(&t->fl, m) < 0) {
		/* without a core link nothing can go on: the supervisor restarts us */
		log_err("LINK_UP: malformed or unusable link description");
		exit(1);
	}
	log_info("new core attached: %u requests in flight", t->fl.inflight);
}

void srp_tgt_stats(struct srp_tgt *t)
{
	uint32_t nsess = 0;
	json_t *j;
	char *s;

	for (struct srp_sess *x = t->sessions; x; x = x->next)
		nsess++;
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "channels", (json_int_t)t->nchans, "sessions", (json_int_t)nsess,
		      "in_flight", (json_int_t)t->fl.inflight, "logins", (json_int_t)t->st.logins,
		      "login_rejects", (json_int_t)t->st.rejects,
		      "commands", (json_int_t)t->st.commands, "tmfs", (json_int_t)t->st.tmfs,
		      "bytes_in", (json_int_t)t->st.bytes_in,
		      "bytes_out", (json_int_t)t->st.bytes_out,
		      "t_logouts", (json_int_t)t->st.t_logouts,
		      "rdma_errors", (json_int_t)t->st.rdma_errors,
		      "credit_overruns", (json_int_t)t->st.credit_overruns,
		      "aer_reqs", (json_int_t)t->st.aers);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		ctl_send(CHILD_CTL_FD, CTL_STATS, s, strlen(s), NULL, 0);
	free(s);
	json_decref(j);
}

/* Every 100 ms while draining: channels get a T_LOGOUT once they are idle;
 * exit when all are gone and the core has answered what was in flight. */
static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct srp_tgt *t = w->data;
	struct srp_chan *ch, *n;
	static int ticks;

	ticks++;
	for (ch = t->chans; ch; ch = n) {
		n = ch->next;
		if (!ch->ncmds || ticks > 50)
			srp_chan_close(ch, SRP_TLO_NONE, "target shutting down");
	}
	fe_link_publish(&t->fl);
	if (!t->chans && (t->fl.inflight == 0 || ticks > 100 || !t->fl.ok)) {
		log_info("shutdown complete");
		exit(0);
	}
}

void srp_tgt_shutdown(struct srp_tgt *t)
{
	if (t->shutting_down)
		return;
	log_info("shutting down: draining %u channels", t->nchans);
	t->shutting_down = true;
	ev_timer_init(&t->tick, drain_cb, 0.0, 0.1);
	t->tick.data = t;
	ev_timer_start(t->loop, &t->tick);
}
