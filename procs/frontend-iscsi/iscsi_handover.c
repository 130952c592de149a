/* Live upgrade, frontend side.
 *
 * Old instance, on CTL_QUIESCE (+ a memfd from the supervisor):
 *   - stops accepting; connections still logging in get up to a second to
 *     finish (and cross over as sessions), then are closed (their initiators
 *     retry against the new instance; the listening sockets stay open in the
 *     supervisor, so nobody is refused);
 *   - lets each connection read on only while a command still owes it
 *     Data-Out or a PDU is half in: at a PDU boundary it stops, and what the
 *     initiator sends next waits in the socket for the new instance (a BHS
 *     already read ahead travels in the state);
 *   - waits until no command, core request, queued PDU or text exchange is
 *     left, bounded by the deadline: past it, it serves on and says why (the
 *     supervisor then does a plain restart);
 *   - writes every session and connection as JSON into the memfd and sends
 *     the connection fds back, then goes passive (no watcher but the control
 *     channel) until RETIRE (exit at once) or RESUME (rollback: serve again).
 * New instance, started with "handover": true: keeps off the ring and the
 *   listeners, then on CTL_HANDOVER validates the state (it comes from
 *   another process: every field is checked as input), adopts the
 *   connections and answers; on CTL_RESUME it takes up the ring where the old
 *   one left it and serves.
 * Nothing is in flight at the core when the state moves, and the new
 * instance keeps the old one's epoch and nexus ids, so the core sees one
 * frontend that paused. */
#include "procs/frontend-iscsi/iscsi_handover.h"
#include "procs/frontend-iscsi/iscsi_handover_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "shm/ring.h"

#define HO_VERSION     ISCSI_HO_VERSION
#define HO_TICK        0.005
#define HO_MAX_CONNS   ISCSI_HO_MAX_CONNS
#define HO_STATE_MAX   (64u << 20)

enum ho_mode { HO_NONE = 0, HO_QUIESCING, HO_PASSIVE, HO_INCOMING, HO_LOADED };

static struct {
	enum ho_mode mode;
	struct iscsi_tgt *t;
	int      memfd;
	uint32_t max;
	ev_tstamp deadline;
	ev_tstamp login_cutoff;  /* logins still going then are closed */
	ev_timer tick;
} ho = { .memfd = -1 };

bool iscsi_handover_busy(void)
{
	return ho.mode != HO_NONE;
}

bool iscsi_handover_rx_hold(const struct iscsi_conn *c)
{
	const struct iscsi_cmd *cmd;

	if (ho.mode == HO_NONE)
		return false;
	/* headers taken off the socket in a batch are not in the handed-over
	 * state: they run first */
	if (c->hq_len)
		return false;
	if (ho.mode != HO_QUIESCING)
		return true;
	if (c->state != CONN_FFP || c->rx_state != RX_BHS)
		return false;
	/* a write still waiting for its data must get it, or it never ends */
	for (cmd = c->cmds; cmd; cmd = cmd->next)
		if (cmd->dir == MSG_DIR_WRITE && !cmd->data_err &&
		    (cmd->unsol_open || cmd->nr2t ||
		     (cmd->in_core && !cmd->data_ready_sent && cmd->rx_off < cmd->edtl)))
			return false;
	return true;
}

static void reply(bool ok, const char *reason, json_t *extra, const int *fds, int nfds)
{
	json_t *j = extra ? extra : json_object();
	char *s;

	json_object_set_new(j, "ok", json_boolean(ok));
	if (reason)
		json_object_set_new(j, "reason", json_string(reason));
	s = json_dumps(j, JSON_COMPACT);
	if (s)
		ctl_send(CHILD_CTL_FD, CTL_HANDOVER, s, strlen(s), fds, nfds);
	free(s);
	json_decref(j);
}

/* ---- watchers on and off ---- */

static void listeners(struct iscsi_tgt *t, bool on)
{
	for (uint32_t i = 0; i < t->nlis; i++) {
		if (t->lis[i].fd < 0)   /* a portal deleted live */
			continue;
		ev_timer_stop(t->loop, &t->lis[i].pause);
		if (on)
			ev_io_start(t->loop, &t->lis[i].w);
		else
			ev_io_stop(t->loop, &t->lis[i].w);
	}
}

static void core_watchers(struct iscsi_tgt *t, bool on)
{
	if (on) {
		ev_io_start(t->loop, &t->wake_w);
		ev_prepare_start(t->loop, &t->prep);
		ev_check_start(t->loop, &t->chk);
		ev_idle_start(t->loop, &t->idle); /* poll once before sleeping */
	} else {
		ev_io_stop(t->loop, &t->wake_w);
		ev_prepare_stop(t->loop, &t->prep);
		ev_check_stop(t->loop, &t->chk);
		ev_idle_stop(t->loop, &t->idle);
	}
}

static void conns_start(struct iscsi_tgt *t)
{
	for (struct iscsi_conn *c = t->conns; c; c = c->next) {
		iscsi_conn_arm_timer(c);
		iscsi_conn_update_rx(c);
		/* bytes may wait in the socket since the old one stopped */
		if (c->rx_on)
			ev_feed_event(t->loop, &c->rio, EV_READ);
		if (c->txq)
			iscsi_conn_kick(c);
	}
}

static void conns_stop(struct iscsi_tgt *t)
{
	for (struct iscsi_conn *c = t->conns; c; c = c->next) {
		ev_io_stop(t->loop, &c->rio);
		ev_io_stop(t->loop, &c->wio);
		ev_timer_stop(t->loop, &c->timer);
		c->rx_on = c->wio_on = false;
	}
}

/* ---- old instance: quiesce ---- */

static const char *busy_reason(struct iscsi_tgt *t)
{
	static char why[128];

	/* ERL 2: the state has no place for a session without a connection
	 * (nor for tasks waiting for TASK REASSIGN); once Time2Retain ends it
	 * the upgrade goes on, past the deadline it falls back to a restart */
	for (struct iscsi_session *s = t->sessions; s; s = s->next)
		if (s->held)
			return "a session waits for a new connection (ERL 2)";
	if (t->inflight || t->bl_len || t->bw_head || t->pushed) {
		snprintf(why, sizeof(why), "%u requests at the core, %u queued", t->inflight,
			 t->bl_len);
		return why;
	}
	for (struct iscsi_conn *c = t->conns; c; c = c->next) {
		if (c->state != CONN_FFP || !c->sess)
			return "a connection is not in full feature phase";
		if (c->rx_state != RX_BHS || c->rx_on || c->rx_cmd || c->rx_buf || c->hq_len)
			return "a PDU is partly received";
		if (c->ncmds || c->cmds)
			return "commands in progress";
		if (iscsi_cmdsn_queued(c->sess))
			return "PDUs wait for a missing CmdSN";
		if (c->sess->orphans)
			return "tasks wait for reassignment (ERL 2)";
		if (c->txq || c->tx_off)
			return "PDUs not yet sent";
		if (c->tmfs || c->disc || c->txt_busy || c->txt_in.len || c->txt_out.len ||
		    c->txt_off)
			return "a text exchange or task management request in progress";
		if (c->logout_pending || c->closing_after_tx || c->login || c->stall_core ||
		    c->qz || c->login_deferred)
			return "a logout or login in progress";
		if (c->rec_on || c->hdig_bad || c->rx_discard || c->rx_lost)
			return "error recovery in progress";
		if (c->logout_asked || c->drop_sent || c->lo_on)
			return "the initiator was asked to log out";
	}
	return NULL;
}

static json_t *params_json(const struct iscsi_params *p)
{
	return json_pack("{s:i, s:b, s:b, s:I, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:I,"
			 " s:I, s:I, s:I, s:s, s:s, s:s}",
			 "session_type", p->session_type, "header_digest", p->header_digest,
			 "data_digest", p->data_digest, "max_connections",
			 (json_int_t)p->max_connections, "initial_r2t", p->initial_r2t,
			 "immediate_data", p->immediate_data, "max_burst",
			 (json_int_t)p->max_burst, "first_burst", (json_int_t)p->first_burst,
			 "time2wait", (json_int_t)p->time2wait, "time2retain",
			 (json_int_t)p->time2retain, "max_outstanding_r2t",
			 (json_int_t)p->max_outstanding_r2t, "data_pdu_in_order",
			 p->data_pdu_in_order, "data_seq_in_order", p->data_seq_in_order, "erl",
			 (json_int_t)p->erl, "protocol_level", (json_int_t)p->protocol_level,
			 "mrdsl_tx", (json_int_t)p->mrdsl_tx, "mrdsl_rx", (json_int_t)p->mrdsl_rx,
			 "initiator_name", p->initiator_name, "target_name", p->target_name,
			 "initiator_alias", p->initiator_alias);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

static json_t *serialize(struct iscsi_tgt *t, int *fds, int *nfds)
{
	json_t *conns = json_array();
	ev_tstamp now = ev_now(t->loop);

	*nfds = 0;
	for (struct iscsi_conn *c = t->conns; c; c = c->next) {
		struct iscsi_session *s = c->sess;
		char isid[13], part[2 * ISCSI_BHS_LEN + 1];
		json_t *sj, *cj, *holes = json_array();
		/* several connections: each states the digests it negotiated */
		struct iscsi_params p = s->p;

		p.header_digest = c->hdigest;
		p.data_digest = c->ddigest;

		hex(s->isid, 6, isid);
		hex(c->bhs, c->bhs_have, part);
		for (unsigned k = 0; k < s->nholes && k < ISCSI_ERL_HOLES; k++)
			json_array_append_new(holes, json_integer(s->holes[k]));
		sj = json_pack("{s:i, s:s, s:I, s:b, s:I, s:I, s:o, s:o, s:I}", "tsih", s->tsih,
			       "isid", isid, "nexus", (json_int_t)s->nexus, "nexus_added",
			       s->nexus_added, "exp_cmd_sn", (json_int_t)s->exp_cmd_sn,
			       "max_cmd_sn", (json_int_t)s->max_cmd_sn, "params", params_json(&p),
			       "holes", holes, "async_sent", (json_int_t)s->async_sent);
		cj = json_pack("{s:i, s:I, s:s, s:i, s:s, s:s, s:i, s:I, s:I, s:b, s:b, s:I, s:b,"
			       " s:I, s:f, s:f, s:s, s:o}",
			       "fd", *nfds, "id", (json_int_t)c->id, "listener", c->lis->addr,
			       "group", c->group, "peer", c->peer, "local", c->local, "cid", c->cid,
			       "stat_sn", (json_int_t)c->stat_sn, "exp_stat_sn",
			       (json_int_t)c->exp_stat_sn, "hdigest", c->hdigest, "ddigest",
			       c->ddigest, "next_ttt", (json_int_t)c->next_ttt, "nop_out",
			       c->nop_out, "nop_ttt", (json_int_t)c->nop_ttt, "nop_age",
			       c->nop_out ? now - c->nop_sent : 0.0, "idle", now - c->last_rx,
			       "rx_partial", part, "session", sj);
		json_object_set_new(cj, "mrdsl_tx", json_integer(c->mrdsl_tx));
		json_array_append_new(conns, cj);
		fds[(*nfds)++] = c->fd;
	}
	const uint64_t ctr[ISCSI_HO_NSTATS] = { t->st.conns, t->st.logins, t->st.login_failures,
						t->st.commands, t->st.bytes_in, t->st.bytes_out };
	json_t *stats = json_object();

	for (unsigned i = 0; i < ISCSI_HO_NSTATS; i++)
		json_object_set_new(stats, iscsi_ho_stat_names[i],
				    json_integer((json_int_t)(ctr[i] & INT64_MAX)));
	return json_pack("{s:s, s:i, s:i, s:I, s:I, s:o, s:o}", "kind", "iscsi-handover",
			 "version", HO_VERSION, "next_tsih", t->next_tsih, "next_nexus",
			 (json_int_t)t->next_nexus, "next_conn_id", (json_int_t)t->next_conn_id,
			 "conns", conns, "stats", stats);
}

static void quiesce_end(struct iscsi_tgt *t)
{
	ev_timer_stop(t->loop, &ho.tick);
	if (ho.memfd >= 0)
		close(ho.memfd);
	ho.memfd = -1;
}

static void resume_serving(struct iscsi_tgt *t)
{
	ho.mode = HO_NONE;
	quiesce_end(t);
	core_watchers(t, true);
	if (!t->shutting_down)
		listeners(t, true);
	conns_start(t);
}

#ifdef MTGT_TEST_HOOKS
/* Test builds: MTGT_TEST_HANDOVER_CORRUPT=cycle in the environment spoils the
 * state of successive handovers in turn (then one clean handover), so the
 * tests can see the new instance refuse it and the old one serve on. */
static char *test_corrupt(json_t *doc)
{
	static unsigned n;
	const char *e = getenv("MTGT_TEST_HANDOVER_CORRUPT");
	json_t *c0 = json_array_get(json_object_get(doc, "conns"), 0);
	json_t *s0 = json_object_get(c0, "session");

	if (!e || strcmp(e, "cycle") || !c0)
		return NULL;
	switch (n++ % 6) {
	case 0: json_object_set_new(s0, "tsih", json_integer(0)); break;
	case 1: json_object_set_new(json_object_get(s0, "params"), "mrdsl_rx",
				    json_integer(1 << 30)); break;
	case 2: json_object_set_new(c0, "fd", json_integer(40)); break;
	case 3: json_object_set_new(s0, "isid", json_string("80zz22330001")); break;
	case 4: return strdup("{\"kind\":\"iscsi-handover\",\"version\":1,");
	default: return NULL;
	}
	log_warn("upgrade: test hook: handing over a spoiled state");
	return NULL;
}
#endif

static void hand_over(struct iscsi_tgt *t)
{
	int fds[HO_MAX_CONNS], nfds;
	json_t *doc = serialize(t, fds, &nfds);
	char *txt = NULL;

#ifdef MTGT_TEST_HOOKS
	txt = test_corrupt(doc);
#endif
	if (!txt)
		txt = json_dumps(doc, JSON_COMPACT);
	size_t len = txt ? strlen(txt) : 0;
	uint32_t nsess = 0;

	json_decref(doc);
	if (!txt || len > ho.max || pwrite(ho.memfd, txt, len, 0) != (ssize_t)len) {
		free(txt);
		log_warn("upgrade: cannot write the state (%zu bytes); serving on", len);
		resume_serving(t);
		reply(false, "cannot write the state", NULL, NULL, 0);
		return;
	}
	free(txt);
	for (struct iscsi_session *s = t->sessions; s; s = s->next)
		nsess++;
	/* From here on this process touches neither a socket nor the ring. */
	ho.mode = HO_PASSIVE;
	quiesce_end(t);
	core_watchers(t, false);
	conns_stop(t);
	log_info("upgrade: handing over %u sessions on %d connections (%zu bytes of state)",
		 nsess, nfds, len);
	reply(true, NULL, json_pack("{s:I, s:i, s:I}", "len", (json_int_t)len, "connections",
				    nfds, "sessions", (json_int_t)nsess), fds, nfds);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_tgt *t = w->data;
	struct iscsi_conn *c, *n;
	const char *why;

	(void)loop;
	(void)revents;
	/* a login under way may finish and cross over as a session; one that
	 * takes too long is closed (the initiator logs in again, to the new
	 * instance: the listening sockets never close) */
	if (ev_now(t->loop) >= ho.login_cutoff)
		for (c = t->conns; c; c = n) {
			n = c->next;
			if (c->state == CONN_LOGIN)
				iscsi_conn_close(c, "target upgrading: log in again");
		}
	iscsi_conns_update_rx(t);
	iscsi_core_publish(t);
	why = busy_reason(t);
	if (!why) {
		hand_over(t);
		return;
	}
	if (ev_now(t->loop) >= ho.deadline) {
		char msg[200];

		snprintf(msg, sizeof(msg), "not quiescent at the deadline: %s", why);
		log_warn("upgrade: %s; serving on", msg);
		resume_serving(t);
		reply(false, msg, NULL, NULL, 0);
	}
}

static void on_quiesce(struct iscsi_tgt *t, struct ctl_msg *m)
{
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	json_int_t dl = json_integer_value(json_object_get(j, "deadline_ms"));
	json_int_t max = json_integer_value(json_object_get(j, "max"));
	struct stat st;

	json_decref(j);
	if (ho.mode != HO_NONE || t->shutting_down || m->nfds != 1 ||
	    fstat(m->fds[0], &st) < 0 || dl < 1 || dl > 600000 || max < 1 ||
	    max > HO_STATE_MAX || st.st_size < max) {
		reply(false, ho.mode != HO_NONE ? "already upgrading" :
			     t->shutting_down ? "shutting down" : "bad QUIESCE request",
		      NULL, NULL, 0);
		return;
	}
	if (t->nconns > HO_MAX_CONNS) {
		char why[96];

		snprintf(why, sizeof(why), "%u connections: one handover carries at most %d",
			 t->nconns, HO_MAX_CONNS);
		reply(false, why, NULL, NULL, 0);
		return;
	}
	ho.memfd = m->fds[0];
	m->fds[0] = -1;
	ho.max = (uint32_t)max;
	ho.mode = HO_QUIESCING;
	ho.deadline = ev_now(t->loop) + dl / 1000.0;
	ho.login_cutoff = ev_now(t->loop) + (dl < 2000 ? dl / 2000.0 : 1.0);
	log_info("upgrade: quiescing %u connections (deadline %lld ms)", t->nconns,
		 (long long)dl);
	listeners(t, false);
	ev_timer_init(&ho.tick, tick_cb, 0.0, HO_TICK);
	ho.tick.data = t;
	ev_timer_start(t->loop, &ho.tick);
}

/* ---- new instance: load ---- */

static bool is_stream_socket(int fd)
{
	struct stat st;
	int type = 0;
	socklen_t l = sizeof(type);

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_STREAM;
}

/* The listener a connection came in on, by address (portals may have been
 * added or deleted live, so indices differ), else one of its portal group. */
static struct iscsi_listener *listener_of(struct iscsi_tgt *t, const struct iscsi_ho_conn *h)
{
	for (uint32_t i = 0; i < t->nlis; i++)
		if (t->lis[i].fd >= 0 && !strcmp(t->lis[i].addr, h->listener))
			return &t->lis[i];
	for (uint32_t i = 0; i < t->nlis; i++)
		if (t->lis[i].fd >= 0 && t->lis[i].group == h->group)
			return &t->lis[i];
	return NULL;
}

static void build(struct iscsi_tgt *t, const struct iscsi_ho_state *st, int *fds)
{
	ev_tstamp now = ev_now(t->loop);
	uint64_t *ctr[ISCSI_HO_NSTATS] = { &t->st.conns, &t->st.logins, &t->st.login_failures,
					   &t->st.commands, &t->st.bytes_in, &t->st.bytes_out };

	t->next_tsih = st->next_tsih;
	t->next_nexus = st->next_nexus;
	t->next_conn_id = st->next_conn_id;
	for (unsigned i = 0; i < ISCSI_HO_NSTATS; i++)
		*ctr[i] = st->stats[i];
	for (uint32_t i = 0; i < st->n; i++) {
		const struct iscsi_ho_conn *h = &st->conns[i];
		struct iscsi_conn *c = iscsi_conn_adopt(t, fds[h->fd], listener_of(t, h));
		/* a further connection of a session already adopted (checked
		 * by iscsi_ho_parse: same session, another CID) */
		struct iscsi_session *s = iscsi_session_by_tsih(t, h->tsih);
		bool join = s != NULL;

		if (!c || (!s && !(s = iscsi_session_new(c)))) {
			/* the supervisor sees us die and rolls back */
			log_err("upgrade: out of memory while adopting connections");
			_exit(1);
		}
		fds[h->fd] = -1;
		c->id = h->id;
		c->group = h->group;
		c->cid = h->cid;
		snprintf(c->peer, sizeof(c->peer), "%s", h->peer);
		snprintf(c->local, sizeof(c->local), "%s", h->local);
		c->stat_sn = h->stat_sn;
		c->exp_stat_sn = h->exp_stat_sn;
		c->hdigest = h->hdigest;
		c->ddigest = h->ddigest;
		c->next_ttt = h->next_ttt;
		c->nop_out = h->nop_out;
		c->nop_ttt = h->nop_ttt;
		c->nop_sent = now - h->nop_age;
		c->last_rx = now - h->idle;
		memcpy(c->bhs, h->part, h->part_len);
		c->bhs_have = h->part_len;
		c->mrdsl_tx = h->mrdsl_tx;
		c->sess = s;
		if (join) {
			struct iscsi_conn **pp = &s->conn;

			/* oldest first, as logins made it (ids grow) */
			while (*pp && (*pp)->id < c->id)
				pp = &(*pp)->snext;
			c->snext = *pp;
			*pp = c;
			s->nconns++;
			log_info("upgrade: conn %llu (%s) joins session tsih %u (connection %u)",
				 (unsigned long long)c->id, c->peer, s->tsih, c->cid);
			continue;
		}
		s->p = h->p;
		memcpy(s->isid, h->isid, 6);
		s->tsih = h->tsih;
		s->nexus = h->nexus;
		s->nexus_added = h->nexus_added;
		s->exp_cmd_sn = h->exp_cmd_sn;
		s->max_cmd_sn = h->max_cmd_sn;
		memcpy(s->holes, h->holes, sizeof(h->holes[0]) * h->nholes);
		s->nholes = (uint8_t)h->nholes;
		s->async_sent = h->async_sent;
		s->next = t->sessions;
		if (t->sessions)
			t->sessions->prev = s;
		t->sessions = s;
		s->listed = true;
		c->sess = s;
		log_info("upgrade: conn %llu (%s) session tsih %u adopted",
			 (unsigned long long)c->id, c->peer, s->tsih);
	}
}

static void on_handover(struct iscsi_tgt *t, struct ctl_msg *m)
{
	static struct iscsi_ho_state st;
	const struct iscsi_ho_limits lim = {
		.max_recv_dsl = t->lim.max_recv_dsl, .max_burst = t->lim.max_burst,
		.crc32c = t->lim.crc32c,
	};
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	json_int_t len = json_integer_value(json_object_get(j, "len"));
	const char *why = NULL;
	char *txt = NULL, msg[160];
	struct stat sb;
	int r;

	json_decref(j);
	if (ho.mode != HO_INCOMING || m->nfds < 1 || m->nfds - 1 > HO_MAX_CONNS) {
		reply(false, "unexpected HANDOVER", NULL, NULL, 0);
		return;
	}
	if (len < 2 || len > HO_STATE_MAX || fstat(m->fds[0], &sb) < 0 || sb.st_size < len ||
	    !(txt = malloc((size_t)len)) ||
	    pread(m->fds[0], txt, (size_t)len, 0) != (ssize_t)len) {
		free(txt);
		reply(false, "cannot read the state", NULL, NULL, 0);
		return;
	}
	r = iscsi_ho_parse(&lim, txt, (size_t)len, m->nfds - 1, &st, &why);
	free(txt);
	for (uint32_t i = 0; !r && i < st.n; i++) {
		if (!is_stream_socket(m->fds[1 + st.conns[i].fd])) {
			why = "conn.fd is not a TCP connection";
			r = -EINVAL;
		} else if (!listener_of(t, &st.conns[i])) {
			why = "conn.listener: no portal of that address or group here";
			r = -EINVAL;
		}
	}
	if (r) {
		snprintf(msg, sizeof(msg), "invalid state: %s", why ? why : "?");
		log_warn("upgrade: %s", msg);
		reply(false, msg, NULL, NULL, 0);
		return;
	}
	build(t, &st, m->fds + 1);
	ho.mode = HO_LOADED;
	log_info("upgrade: state of %u connections loaded; waiting for the old instance to go",
		 st.n);
	reply(true, NULL, json_pack("{s:I}", "connections", (json_int_t)st.n), NULL, 0);
}

static void on_resume(struct iscsi_tgt *t)
{
	if (ho.mode == HO_LOADED) {
		/* the old instance is gone: take the ring up where it stopped */
		if (ring_resync(&t->link->tx) < 0 || ring_resync(&t->link->rx) < 0) {
			iscsi_core_violation(t, "impossible ring indices at the handover");
			return;
		}
		log_info("upgrade: serving %u handed-over connections", t->nconns);
		resume_serving(t);
	} else if (ho.mode == HO_QUIESCING || ho.mode == HO_PASSIVE) {
		log_info("upgrade rolled back: serving on");
		resume_serving(t);
	}
}

bool iscsi_handover_ctl(struct iscsi_tgt *t, struct ctl_msg *m)
{
	switch (m->type) {
	case CTL_QUIESCE:
		on_quiesce(t, m);
		return true;
	case CTL_HANDOVER:
		on_handover(t, m);
		return true;
	case CTL_RESUME:
		on_resume(t);
		return true;
	case CTL_RETIRE:
		if (ho.mode == HO_PASSIVE) {
			log_info("upgrade: the new instance took over; exiting");
			_exit(0);
		}
		log_warn("RETIRE while not handed over: ignored");
		return true;
	default:
		return false;
	}
}

int iscsi_handover_attach(struct child *c)
{
	json_t *links = json_object_get(c->init, "handover_links"), *l;
	size_t i;
	int err;

	if (!json_is_true(json_object_get(c->init, "handover")))
		return 0;
	if (!json_is_array(links) || c->nlinks + json_array_size(links) > CHILD_MAX_LINKS)
		return -EINVAL;
	json_array_foreach(links, i, l) {
		err = child_attach_link(c, l, &c->links[c->nlinks]);
		if (err)
			return err;
		c->nlinks++;
	}
	return 0;
}

void iscsi_handover_init(struct iscsi_tgt *t)
{
	ho.t = t;
	if (!json_is_true(json_object_get(t->c->init, "handover")))
		return;
	ho.mode = HO_INCOMING;
	listeners(t, false);
	core_watchers(t, false);
	log_info("upgrade: started beside the running instance; waiting for its state");
}
