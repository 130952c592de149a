/* Process-wide setup: limits from the init message, listeners, the pool
 * allocator, and shutdown draining. */
#include "procs/frontend-iscsi/iscsi_live.h"
#include "procs/frontend-iscsi/iscsi_tgt.h"
#include "procs/frontend-iscsi/iscsi_auth.h"
#include "procs/frontend-iscsi/iscsi_portal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static void listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct iscsi_listener *l = w->data;

	iscsi_conn_accept(l->t, l);
}

static void pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_listener *l = w->data;

	if (!l->t->shutting_down)
		ev_io_start(loop, &l->w);
}

static uint32_t cfg_u32(json_t *cfg, const char *key, uint32_t def, uint32_t lo, uint32_t hi)
{
	json_t *v = cfg ? json_object_get(cfg, key) : NULL;

	if (!json_is_integer(v))
		return def;
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi) {
		log_warn("config %s=%lld out of [%u, %u]; using %u", key, (long long)x,
			 lo, hi, def);
		return def;
	}
	return (uint32_t)x;
}

/* sched_yield()s before sleeping while answers are owed (iscsi_core.c).
 * Measured with bench/cost.sh (4 KiB reads at QD 32 from a null LUN, targets
 * on one CPU): 8.1 us of target CPU and 3.4 syscalls per I/O without, 5.3-5.4
 * us and 2.3 with 4 to 16. Config iscsi.yield (0: sleep at once). */
#define ISCSI_DEFAULT_YIELD 8
/* The adaptive poll window (iscsi_core.c, idle_poll). 200 us covers an
 * initiator's turn-around at queue depth 1 on these machines (25-40 us) with
 * room to spare; config iscsi.poll_us (0: never poll). */
#define ISCSI_DEFAULT_POLL_US 200

int iscsi_tgt_init(struct iscsi_tgt *t, struct child *c, struct ev_loop *loop)
{
	json_t *cfg = json_object_get(c->init, "config");
	json_t *lis = json_object_get(c->init, "listeners");
	const char *alias;
	size_t i;
	int r;

	memset(t, 0, sizeof(*t));
	t->c = c;
	t->loop = loop;
	t->next_tsih = 1;
	t->next_nexus = 1;
	if (c->nlinks != 1 || c->own_arena < 0) {
		log_err("need exactly one link (to the core) and an own arena");
		return -EINVAL;
	}
	t->link = &c->links[0];
	if (t->link->side != LINK_SIDE_A) {
		log_err("the core link must be side A here");
		return -EINVAL;
	}
	r = pool_alloc_init(&t->alloc, &c->pool, (uint32_t)c->own_arena);
	if (r < 0) {
		log_err("pool allocator: %s", strerror(-r));
		return r;
	}
	t->arena_size = (uint32_t)c->pool.arenas[c->own_arena].size;

	t->lim.max_recv_dsl = cfg_u32(cfg, "max_recv_data_segment_length", 262144,
				      512, ISCSI_DSL_MAX);
	t->lim.max_burst = cfg_u32(cfg, "max_burst_length", 1048576, 512, ISCSI_DSL_MAX);
	t->lim.first_burst = cfg_u32(cfg, "first_burst_length", 262144, 512, ISCSI_DSL_MAX);
	t->lim.max_outstanding_r2t = cfg_u32(cfg, "max_outstanding_r2t", 4, 1, ISCSI_MAX_R2T);
	t->lim.initial_r2t = cfg_u32(cfg, "initial_r2t", 0, 0, 1);
	t->lim.immediate_data = cfg_u32(cfg, "immediate_data", 1, 0, 1);
	t->lim.tpgt = (uint16_t)cfg_u32(cfg, "tpgt", 1, 1, 65535);
	t->spin_us = cfg_u32(cfg, "spin_us", 0, 0, 10000);
	t->poll_us = cfg_u32(cfg, "poll_us", ISCSI_DEFAULT_POLL_US, 0, 10000);
	t->yield_n = cfg_u32(cfg, "yield", ISCSI_DEFAULT_YIELD, 0, 1000);
	/* rx_batch 0 reads every header on its own */
	t->rx_batch = cfg_u32(cfg, "rx_batch", 1, 0, 1);
	t->nop_interval = cfg_u32(cfg, "nop_interval_s", 30, 0, 86400);
	t->nop_timeout = cfg_u32(cfg, "nop_timeout_s", 30, 1, 86400);
	t->logout_wait = cfg_u32(cfg, "shutdown_logout_s", 3, 0, 60);
	alias = cfg ? json_string_value(json_object_get(cfg, "target_alias")) : NULL;
	t->lim.target_alias = alias;
	t->lim.crc32c = true;
	t->lim.hdigest_required = cfg_u32(cfg, "require_header_digest", 0, 0, 1);
	t->lim.ddigest_required = cfg_u32(cfg, "require_data_digest", 0, 0, 1);
	/* a burst must fit the buffers we can ever hand out */
	if (t->lim.max_burst > t->arena_size / 2)
		t->lim.max_burst = t->arena_size / 2 < 512 ? 512 : t->arena_size / 2;
	if (t->lim.first_burst > t->lim.max_burst)
		t->lim.first_burst = t->lim.max_burst;

	r = iscsi_auth_config(t, cfg);
	if (r < 0)
		return r;
	r = iscsi_portal_config(t, cfg);
	if (r < 0)
		return r;

	r = iscsi_core_init(t);
	if (r < 0)
		return r;

	if (!json_is_array(lis) || json_array_size(lis) == 0) {
		log_err("no listeners in the init message");
		return -EINVAL;
	}
	if (json_array_size(lis) > ISCSI_MAX_LISTENERS) {
		log_err("more than %d listeners", ISCSI_MAX_LISTENERS);
		return -EINVAL;
	}
	/* every slot now: portals added live (iscsi_live.c) must not move the
	 * listeners connections point at */
	t->lis = calloc(ISCSI_MAX_LISTENERS, sizeof(*t->lis));
	if (!t->lis)
		return -ENOMEM;
	for (i = 0; i < json_array_size(lis); i++) {
		json_t *e = json_array_get(lis, i);
		json_t *fd = json_object_get(e, "fd");
		json_t *grp = json_object_get(e, "group");

		if (!json_is_integer(fd) || json_integer_value(fd) < 0) {
			log_err("listener %zu: bad fd", i);
			return -EINVAL;
		}
		if (grp && (!json_is_integer(grp) || json_integer_value(grp) < 1 ||
			    json_integer_value(grp) > 65535)) {
			log_err("listener %zu: group must be 1..65535", i);
			return -EINVAL;
		}
		/* the config-wide "tpgt" stays the default group */
		iscsi_listener_start(t, &t->lis[t->nlis++], (int)json_integer_value(fd),
				     grp ? (uint16_t)json_integer_value(grp) : t->lim.tpgt,
				     json_string_value(json_object_get(e, "addr")));
	}
	return iscsi_isns_init(t, json_object_get(c->init, "isns"), cfg);
}

void iscsi_listener_start(struct iscsi_tgt *t, struct iscsi_listener *l, int fd,
			  uint16_t group, const char *addr)
{
	l->t = t;
	l->fd = fd;
	l->group = group;
	snprintf(l->addr, sizeof(l->addr), "%s", addr ? addr : "?");
	ev_io_init(&l->w, listen_cb, l->fd, EV_READ);
	l->w.data = l;
	ev_timer_init(&l->pause, pause_cb, 1.0, 0);
	l->pause.data = l;
	ev_io_start(t->loop, &l->w);
	log_info("listening on %s, portal group %u", l->addr, l->group);
}

/* CTL_STATS: counters for `mtgtctl` (the supervisor asks, we answer). */
void iscsi_tgt_stats(struct iscsi_tgt *t)
{
	uint32_t nsess = 0;
	json_t *j;
	char *s;

	for (struct iscsi_session *x = t->sessions; x; x = x->next)
		nsess++;
	j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		      " s:I, s:I, s:I, s:I, s:I, s:I}",
		      "connections", (json_int_t)t->nconns,
		      "sessions", (json_int_t)nsess,
		      "in_flight", (json_int_t)t->inflight,
		      "connections_accepted", (json_int_t)t->st.conns,
		      "logins", (json_int_t)t->st.logins,
		      "login_failures", (json_int_t)t->st.login_failures,
		      "commands", (json_int_t)t->st.commands,
		      "local_status", (json_int_t)t->st.local_status,
		      "bytes_in", (json_int_t)t->st.bytes_in,
		      "bytes_out", (json_int_t)t->st.bytes_out,
		      "rejects", (json_int_t)t->st.rejects,
		      "protocol_closes", (json_int_t)t->st.protocol_closes,
		      "auth_failures", (json_int_t)t->st.auth_failures,
		      "spill_bytes", (json_int_t)t->spill_bytes,
		      "snacks", (json_int_t)t->st.snacks,
		      "retransmits", (json_int_t)t->st.retransmits,
		      "recovery_r2ts", (json_int_t)t->st.recovery_r2ts,
		      "header_digest_skips", (json_int_t)t->st.hdigest_skips,
		      "async_events", (json_int_t)t->st.async_events,
		      "logout_requests", (json_int_t)t->st.logout_requests);
	if (j)
		json_object_set_new(j, "bytes_copied", json_integer((json_int_t)t->bytes_copied));
	if (j)
		json_object_set_new(j, "rx_batched", json_integer((json_int_t)t->st.rx_batched));
	if (j) {
		char pool[48];

		/* requests the core owes us plus those waiting for ring space */
		json_object_set_new(j, "ring_depth", json_integer((json_int_t)(t->inflight + t->bl_len)));
		snprintf(pool, sizeof(pool), "%u/%u pages", t->alloc.npages - t->alloc.free_pages,
			 t->alloc.npages);
		json_object_set_new(j, "pool_used", json_string(pool));
	}
	if (j)
		json_object_set_new(j, "session_list", iscsi_live_sessions(t));
	iscsi_isns_stats(t, j);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		ctl_send(CHILD_CTL_FD, CTL_STATS, s, strlen(s), NULL, 0);
	free(s);
	json_decref(j);
}

/* Once a second while draining: close idle connections, exit when done. */
static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_tgt *t = w->data;
	struct iscsi_conn *c, *n;
	static int ticks;

	ev_tstamp now = ev_now(loop);

	for (c = t->conns; c; c = n) {
		bool idle = !c->ncmds && !c->txq && !c->tmfs && !c->disc;

		n = c->next;
		if (c->state != CONN_FFP) {
			iscsi_conn_close(c, "target shutting down");
		} else if (c->drop_sent) {
			/* AsyncEvent 2 is on its way; a peer that does not read
			 * it does not hold us up */
			if (now >= t->drain_deadline + 2.0)
				iscsi_conn_close(c, "target shutting down");
		} else if (idle && (!c->logout_asked || now >= t->drain_deadline)) {
			/* asked to log out and did not in time: say we drop it */
			if (c->logout_asked && !c->closing_after_tx)
				iscsi_async_drop(c);
			else
				iscsi_conn_close(c, "target shutting down");
		}
	}
	iscsi_conn_reap(t);
	iscsi_core_publish(t);
	/* commands of closed connections wait for their CMD_RSP so the core
	 * is done with their buffers; give it a bounded time */
	if (!t->conns && (t->inflight == 0 || ++ticks > 100 || !t->link_ok)) {
		log_info("shutdown complete (bytes_copied %llu)",
			 (unsigned long long)t->bytes_copied);
		exit(0);
	}
}

void iscsi_tgt_shutdown(struct iscsi_tgt *t)
{
	if (t->shutting_down)
		return;
	log_info("shutting down: draining %u connections", t->nconns);
	t->shutting_down = true;
	iscsi_isns_shutdown(t);
	for (uint32_t i = 0; i < t->nlis; i++) {
		if (t->lis[i].fd < 0)
			continue; /* removed live */
		ev_io_stop(t->loop, &t->lis[i].w);
		ev_timer_stop(t->loop, &t->lis[i].pause);
		close(t->lis[i].fd);
	}
	/* ask every session to log out (AsyncEvent 1); initiators have
	 * logout_wait seconds before their connections are dropped */
	t->drain_deadline = ev_now(t->loop) + t->logout_wait;
	iscsi_erl2_end_all(t, NULL, "shutting down"); /* ERL 2: sessions without a connection */
	/* what waits behind a missing CmdSN will never run: it must not keep
	 * its connection busy (and us from exiting) */
	for (struct iscsi_conn *c = t->conns; c; c = c->next)
		if (c->state == CONN_FFP)
			iscsi_cmdsn_flush(c, true);
	if (t->logout_wait)
		for (struct iscsi_conn *c = t->conns; c; c = c->next)
			if (c->state == CONN_FFP && !c->closing_after_tx)
				iscsi_async_logout_request(c, (uint16_t)t->logout_wait);
	ev_timer_init(&t->tick, drain_cb, 0.0, 0.1);
	t->tick.data = t;
	ev_timer_start(t->loop, &t->tick);
}
