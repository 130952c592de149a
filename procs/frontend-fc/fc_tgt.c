/* Process-wide setup of mtgt-fc: the FC ports from CTL_INIT (each on its
 * port driver), the driver callbacks, the core link callbacks, the timer
 * that runs driver and exchange timeouts, statistics and shutdown. */
#include "procs/frontend-fc/fc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_port_vfio.h"

uint64_t fc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const struct fc_port_ops *fc_port_driver(const char *name)
{
	if (name && !strcmp(name, "fcoe"))
		return &fc_fcoe_ops;
	if (name && !strcmp(name, "vfio"))
		return &fc_vfio_ops;
	return NULL;
}

/* ---- port driver callbacks ---- */

static void drv_link(void *arg, bool up, uint32_t nport_id, uint32_t max_payload)
{
	struct fc_lport *lp = arg;

	if (!up) {
		log_warn("%s: link down", lp->name);
		lp->up = false;
		while (lp->rports)
			fc_rport_logout(lp->rports, "link down");
		fc_fabric_link(lp, false);
		return;
	}
	lp->up = true;
	lp->nport_id = nport_id;
	lp->max_payload = max_payload < 256 ? 256 : max_payload;
	log_info("%s: link up, N_Port id %06x, frame payload %u", lp->name, nport_id,
		 lp->max_payload);
	fc_fabric_link(lp, true);
}

static void drv_recv(void *arg, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct fc_lport *lp = arg;

	if (h->s_id >= 0xfffff0u && fc_fabric_recv(lp, h, pl, len))
		return;
	if (h->r_ctl == FC_RCTL_ELS_REQ && h->type == FC_TYPE_ELS)
		fc_ls_recv(lp, h, pl, len);
	else if (h->r_ctl == FC_RCTL_BA_ABTS && h->type == FC_TYPE_BLS)
		fc_abts_recv(lp, h);
	else if (h->r_ctl == FC_RCTL_DD_UNSOL_CMD && h->type == FC_TYPE_FCP)
		fc_cmd_recv(lp, h, pl, len);
	else if (h->r_ctl == FC_RCTL_ELS_REP && h->type == FC_TYPE_ELS)
		fc_ls_reply_recv(lp, h, pl, len);
	else
		lp->t->st.dropped++;
}

static void drv_xfer_done(void *arg, struct fc_xfer *xf, int status)
{
	fc_cmd_xfer_done(arg, xf, status);
}

static void drv_peer_gone(void *arg, uint32_t peer)
{
	struct fc_rport *rp = fc_rport_find(arg, peer);

	if (rp)
		fc_rport_logout(rp, "remote port gone from the link");
}

static const struct fc_port_cb fc_drv_cb = {
	.link = drv_link,
	.recv = drv_recv,
	.xfer_done = drv_xfer_done,
	.peer_gone = drv_peer_gone,
};

/* ---- core link callbacks ---- */

static bool link_msg(struct fe_link *l, const union msg *m, uint8_t kind, void *obj)
{
	return fc_cmd_core_msg(l->user, m, kind, obj);
}

static bool link_keep(const union msg *m)
{
	return m->h.type == MSG_XFER_RDY;
}

static void link_dead(struct fe_link *l, const char *why)
{
	fc_all_logout(l->user, "core link lost");
}

static void link_blocked(struct fe_link *l, bool blocked)
{
	struct fc_tgt *t = l->user;

	/* a full ring stops taking frames: they wait in the socket buffer */
	t->intake_paused = blocked;
	for (uint32_t i = 0; i < t->nports; i++) {
		if (blocked)
			ev_io_stop(t->loop, &t->ports[i].w);
		else {
			ev_io_start(t->loop, &t->ports[i].w);
			ev_feed_event(t->loop, &t->ports[i].w, EV_READ);
		}
	}
}

static void link_flush(struct fe_link *l)
{
	/* once per loop turn: buffers freed meanwhile start waiting commands */
	fc_wait_kick(l->user);
}

static void link_abandon(struct fe_link *l, uint8_t kind, void *obj)
{
	fc_cmd_abandon(l->user, kind, obj);
}

static bool link_replay(struct fe_link *l, uint8_t kind, void *obj, union msg *m)
{
	return fc_cmd_replay(l->user, kind, obj, m);
}

static const struct fe_link_ops fc_link_ops = {
	.msg = link_msg,
	.keep = link_keep,
	.dead = link_dead,
	.blocked = link_blocked,
	.flush = link_flush,
	.abandon = link_abandon,
	.replay = link_replay,
};

static void port_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fc_lport *lp = w->data;

	if (lp->ops->poll(lp->drv) > 0 && !lp->t->intake_paused)
		ev_feed_event(loop, w, EV_READ);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fc_tgt *t = w->data;
	uint64_t now = fc_now_ms();

	for (uint32_t i = 0; i < t->nports; i++) {
		if (!t->intake_paused)
			t->ports[i].ops->poll(t->ports[i].drv);
		fc_exch_expire(t->ports[i].em, now);
		fc_cmd_timers(&t->ports[i], now);
		fc_fabric_tick(&t->ports[i], now);
	}
}

static bool parse_wwn(const char *s, uint64_t *out)
{
	char *end;

	if (!s || strncmp(s, "0x", 2) || strlen(s) != 18)
		return false;
	*out = strtoull(s + 2, &end, 16);
	return !*end && *out;
}

static int port_open(struct fc_tgt *t, struct fc_lport *lp, json_t *d, size_t i)
{
	const char *drv = json_string_value(json_object_get(d, "driver"));
	const char *tgt = json_string_value(json_object_get(d, "target"));
	json_t *fd = json_object_get(d, "fd");
	struct fc_port_conf conf = { 0 };
	int r;

	lp->t = t;
	lp->ops = fc_port_driver(drv);
	if (!lp->ops) {
		log_err("fc port %zu: unknown driver %s", i, drv ? drv : "(none)");
		return -EINVAL;
	}
	if (!parse_wwn(json_string_value(json_object_get(d, "wwpn")), &lp->wwpn) ||
	    !parse_wwn(json_string_value(json_object_get(d, "wwnn")), &lp->wwnn) || !tgt ||
	    strlen(tgt) >= sizeof(lp->target)) {
		log_err("fc port %zu: bad wwpn, wwnn or target", i);
		return -EINVAL;
	}
	snprintf(lp->target, sizeof(lp->target), "%s", tgt);
	snprintf(lp->name, sizeof(lp->name), "fc port %zu (%s %016" PRIx64 ")", i, lp->ops->name,
		 lp->wwpn);
	lp->em = malloc(sizeof(*lp->em));
	if (!lp->em)
		return -ENOMEM;
	fc_exch_mgr_init(lp->em);
	lp->next_ox = 1;
	conf.wwpn = lp->wwpn;
	conf.wwnn = lp->wwnn;
	conf.name = lp->name;
	conf.driver_conf = d;
	conf.fd = json_is_integer(fd) ? (int)json_integer_value(fd) : -1;
	r = lp->ops->open(&lp->drv, &conf, &fc_drv_cb, lp);
	if (r < 0)
		return r;
	r = lp->ops->map(lp->drv, t->c->pool.arenas[t->c->own_arena].base,
			 t->c->pool.arenas[t->c->own_arena].size);
	if (r < 0) {
		lp->ops->close(lp->drv);
		lp->drv = NULL;
		return r;
	}
	ev_io_init(&lp->w, port_cb, lp->ops->fd(lp->drv), EV_READ);
	lp->w.data = lp;
	ev_io_start(t->loop, &lp->w);
	log_info("%s serves %s", lp->name, lp->target);
	return 0;
}

/* Errors that say the port's hardware or its driver is missing here (no
 * /dev/vfio, no such PCI device, no firmware interface for the HBA), as
 * opposed to a bad config or a resource failure. */
static bool unavailable(int r)
{
	return r == -ENODEV || r == -ENOENT || r == -ENOTSUP || r == -ENXIO;
}

int fc_tgt_init(struct fc_tgt *t, struct child *c, struct ev_loop *loop)
{
	json_t *cfg = json_object_get(c->init, "config");
	json_t *ports = json_object_get(c->init, "fc_ports");
	json_t *v;
	size_t nskipped = 0;
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
	v = json_object_get(cfg, "max_io");
	t->max_io = json_is_integer(v) && json_integer_value(v) >= 4096 &&
		    json_integer_value(v) <= (1 << 26) ? (uint32_t)json_integer_value(v) : 1u << 20;
	if (t->max_io > c->pool.arenas[c->own_arena].size / 2)
		t->max_io = (uint32_t)(c->pool.arenas[c->own_arena].size / 2);
	/* fc_options.pool_bytes: the part of the arena FCP commands may hold
	 * (a smaller budget for this transport); beyond it commands wait in a
	 * queue of fc_options.wait_queue per port, then TASK SET FULL */
	v = json_object_get(cfg, "pool_bytes");
	if (json_is_integer(v) && json_integer_value(v) >= 65536 &&
	    (uint64_t)json_integer_value(v) < c->pool.arenas[c->own_arena].size) {
		t->pool_limit = (uint64_t)json_integer_value(v);
		if (t->max_io > t->pool_limit)
			t->max_io = (uint32_t)t->pool_limit;
	}
	v = json_object_get(cfg, "wait_queue");
	t->wait_max = json_is_integer(v) && json_integer_value(v) >= 0 &&
		      json_integer_value(v) <= 4096 ? (uint32_t)json_integer_value(v) : 256;
	v = json_object_get(cfg, "data_out_timeout_ms");
	t->data_out_ms = json_is_integer(v) && json_integer_value(v) >= 100 &&
			 json_integer_value(v) <= 600000 ? (uint32_t)json_integer_value(v)
							 : FC_R_A_TOV_MS;
	fe_link_init(&t->fl, c, &c->links[0], loop, &fc_link_ops, t);
	v = json_object_get(cfg, "spin_us");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 10000)
		t->fl.spin_us = (uint32_t)json_integer_value(v);
	v = json_object_get(cfg, "poll_us");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 10000)
		t->fl.poll_us = (uint32_t)json_integer_value(v);
	if (!json_is_array(ports) || !json_array_size(ports)) {
		log_err("no FC ports in the init message");
		return -EINVAL;
	}
	t->ports = calloc(json_array_size(ports), sizeof(*t->ports));
	if (!t->ports)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(ports); i++) {
		struct fc_lport *lp = &t->ports[t->nports];

		r = port_open(t, lp, json_array_get(ports, i), i);
		if (r < 0 && unavailable(r)) {
			/* this port cannot run on this machine (no device, no
			 * driver for it): the others serve, it is not retried */
			log_err("fc port %zu not served: %s (see above)", i, strerror(-r));
			free(lp->em);
			memset(lp, 0, sizeof(*lp));
			nskipped++;
			continue;
		}
		if (r < 0) {
			log_err("fc port %zu: %s", i, strerror(-r));
			return r;
		}
		t->nports++;
	}
	if (!t->nports) {
		log_err("no FC port can run on this machine (%zu not served); exiting as unavailable",
			nskipped);
		exit(FC_EXIT_UNAVAILABLE);
	}
	ev_timer_init(&t->tick, tick_cb, 0.1, 0.1);
	t->tick.data = t;
	ev_timer_start(loop, &t->tick);
	return 0;
}

/* The core died (or is being upgraded) and the supervisor keeps us for the
 * next one. Logins (PLOGI, PRLI) and open exchanges stay: the core's state
 * segment keeps the nexuses. What initiators send meanwhile waits in its
 * request slot (fe_link holds it), PRLIs included, and at LINK_UP what the
 * dead core did not answer goes to the new one (fc_cmd_replay). The
 * initiator sees a pause, not a logout. */
void fc_tgt_link_down(struct fc_tgt *t)
{
	fe_link_down(&t->fl);
}

void fc_tgt_link_up(struct fc_tgt *t, struct ctl_msg *m)
{
	if (fe_link_up(&t->fl, m) < 0) {
		log_err("LINK_UP: malformed or unusable link description");
		exit(1);
	}
	log_info("new core attached: %u requests in flight", t->fl.inflight);
}

void fc_tgt_stats(struct fc_tgt *t)
{
	json_t *j, *ports = json_array();
	uint32_t nrp = 0;
	char *s;

	for (uint32_t i = 0; i < t->nports; i++) {
		char buf[1024];

		t->ports[i].ops->stats(t->ports[i].drv, buf, sizeof(buf));
		json_array_append_new(ports, json_loads(buf, 0, NULL));
		for (struct fc_rport *rp = t->ports[i].rports; rp; rp = rp->next)
			nrp += rp->prli && !rp->gone;
	}
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		      "s:I, s:o}",
		      "sessions", (json_int_t)nrp, "in_flight", (json_int_t)t->fl.inflight,
		      "plogi", (json_int_t)t->st.plogi, "prli", (json_int_t)t->st.prli,
		      "logo", (json_int_t)t->st.logo, "prlo", (json_int_t)t->st.prlo,
		      "ls_rjt", (json_int_t)t->st.ls_rjt, "abts", (json_int_t)t->st.abts,
		      "ba_rjt", (json_int_t)t->st.ba_rjt, "commands", (json_int_t)t->st.commands,
		      "tmfs", (json_int_t)t->st.tmfs, "bytes_in", (json_int_t)t->st.bytes_in,
		      "bytes_out", (json_int_t)t->st.bytes_out, "bad_cmnd", (json_int_t)t->st.bad_cmnd,
		      "busy", (json_int_t)t->st.busy, "ports", ports);
	if (j) {
		json_t *w = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "waiting",
				      (json_int_t)t->nwait, "waited", (json_int_t)t->st.waited,
				      "wait_full", (json_int_t)t->st.wait_full, "wait_peak",
				      (json_int_t)t->st.wait_peak, "pool_used",
				      (json_int_t)t->pool_used, "pool_limit",
				      (json_int_t)(t->pool_limit ? t->pool_limit
						   : t->c->pool.arenas[t->c->own_arena].size));

		json_object_update(j, w);
		json_decref(w);
	}
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		ctl_send(CHILD_CTL_FD, CTL_STATS, s, strlen(s), NULL, 0);
	free(s);
	json_decref(j);
}

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fc_tgt *t = w->data;
	static int ticks;

	ticks++;
	fe_link_publish(&t->fl);
	if (t->fl.inflight == 0 || ticks > 100 || !t->fl.ok) {
		log_info("shutdown complete");
		/* a fabric port logs out of the FCF (FIP LOGO) */
		for (uint32_t i = 0; i < t->nports; i++)
			if (t->ports[i].ops->fabric && t->ports[i].ops->fabric(t->ports[i].drv))
				t->ports[i].ops->close(t->ports[i].drv);
		exit(0);
	}
}

void fc_tgt_shutdown(struct fc_tgt *t)
{
	if (t->shutting_down)
		return;
	log_info("shutting down: logging every remote port out");
	t->shutting_down = true;
	fc_all_logout(t, "target shutting down");
	ev_timer_stop(t->loop, &t->tick);
	ev_timer_init(&t->tick, drain_cb, 0.0, 0.1);
	t->tick.data = t;
	ev_timer_start(t->loop, &t->tick);
}
