/* ErrorRecoveryLevel 2: connection recovery within a session (RFC 7143
 * 6.2, 7.1.1, 7.2.2, 11.5.1 TASK REASSIGN, 11.14 Logout reason 2).
 *
 * A connection of an ERL 2 session that fails (or is logged out for
 * recovery, or reinstated) leaves its tasks behind: the unanswered ones
 * stay in the core (a write keeps its buffer and the data it got), the
 * answered ones whose status was not acknowledged keep their Data-In and
 * status. They wait in sess->orphans for a TASK REASSIGN on another
 * connection of the session, which moves the task there and continues it
 * from the initiator's ExpDataSN: Data-In sent again from the buffer, the
 * status with the new connection's StatSN, R2Ts for the write data not yet
 * received. What is not reassigned within Time2Wait + Time2Retain is aborted
 * in the core and dropped.
 *
 * When the failed connection was the session's last one (RFC 7143 6.3.6
 * session continuation, 8.2 session state FAILED), the session is *held*:
 * no connection, no new commands, its tasks waiting as above, its nexus in
 * the core, findable by TSIH. A login with its ISID, TSIH, InitiatorName and
 * TargetName within Time2Wait + Time2Retain adds a connection (the same or a
 * new CID), which then reassigns the tasks. Past that time the tasks are
 * aborted in the core and the session ends (NEXUS_DEL). A logout (close the
 * session or its last connection), a session reinstatement, an
 * administrator's drop, the target's removal, a cold reset and shutdown end
 * a session instead of holding it. */
#include "procs/frontend-iscsi/iscsi.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define ERL2_TICK 0.25 /* s between Time2Retain checks */

static void orphan_unlink(struct iscsi_session *s, struct iscsi_cmd *cmd)
{
	struct iscsi_cmd **pp = &s->orphans;

	while (*pp && *pp != cmd)
		pp = &(*pp)->onext;
	if (*pp) {
		*pp = cmd->onext;
		s->norphans--;
	}
	cmd->onext = NULL;
	cmd->orphan = false;
	if (!s->orphans && !s->held && s->t2r_on) {
		ev_timer_stop(s->t->loop, &s->t2r);
		s->t2r_on = false;
	}
}

/* The task is over without reassignment: abort it in the core if it is
 * still there, drop the reference the connection had. */
static void orphan_drop(struct iscsi_session *s, struct iscsi_cmd *cmd)
{
	struct iscsi_tgt *t = s->t;

	orphan_unlink(s, cmd);
	free(cmd->o_rsp);
	cmd->o_rsp = NULL;
	if (cmd->in_core && s->nexus_added)
		iscsi_tmf_abort_quiet(t, s->nexus, cmd);
	iscsi_cmd_put(t, cmd);
}

static void on_t2r(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_session *s = w->data;
	ev_tstamp now = ev_now(loop);
	struct iscsi_cmd *cmd, *next;

	(void)revents;
	for (cmd = s->orphans; cmd; cmd = next) {
		next = cmd->onext;
		if (cmd->o_expire > now)
			continue;
		log_info("session tsih %u: ITT 0x%x of connection %u not reassigned within "
			 "Time2Retain: aborted", s->tsih, cmd->itt, cmd->o_cid);
		orphan_drop(s, cmd);
	}
	if (s->held && s->held_until <= now)
		iscsi_erl2_end(s, "no connection within Time2Wait + Time2Retain");
}

static void t2r_start(struct iscsi_session *s)
{
	if (s->t2r_on)
		return;
	ev_timer_init(&s->t2r, on_t2r, ERL2_TICK, ERL2_TICK);
	s->t2r.data = s;
	ev_timer_start(s->t->loop, &s->t2r);
	s->t2r_on = true;
}

/* The session can outlive its last connection: it exists for the initiator
 * (listed, nexus in the core) and the initiator wants state retained. */
static bool can_hold(const struct iscsi_session *s)
{
	return s->listed && s->nexus_added && s->p.time2retain > 0;
}

static void orphan_add(struct iscsi_session *s, struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	struct iscsi_tgt *t = s->t;

	cmd->orphan = true;
	cmd->o_cid = c->cid;
	cmd->o_expire = ev_now(t->loop) + s->p.time2wait + s->p.time2retain;
	cmd->onext = s->orphans;
	s->orphans = cmd;
	s->norphans++;
	t2r_start(s);
}

bool iscsi_erl2_conn_lost(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmd *cmd, *next;
	uint32_t n = 0;

	/* the session must outlive this connection for anyone to reassign */
	if (!s || s->p.erl < 2 || c->no_recover || c->t->shutting_down ||
	    s->p.session_type != ISCSI_SESSION_NORMAL || (s->nconns < 2 && !can_hold(s)))
		return false;
	for (cmd = c->cmds; cmd; cmd = next) {
		next = cmd->next;
		/* what never reached the core is dropped: the initiator
		 * learns it from TASK REASSIGN (task does not exist) */
		if (!cmd->in_core)
			continue;
		iscsi_cmd_detach(cmd); /* the connection's reference goes along */
		orphan_add(s, c, cmd);
		n++;
	}
	/* answered, status not acknowledged: it may have been lost */
	while ((cmd = c->kept)) {
		c->kept = cmd->rnext;
		cmd->rnext = NULL;
		cmd->kept = false;
		orphan_add(s, c, cmd);
		n++;
	}
	c->kept_tail = NULL;
	c->nkept = 0;
	c->kept_bytes = 0;
	if (n)
		log_info("session tsih %u: connection %u lost, %u tasks wait for reassignment "
			 "(%u s)", s->tsih, c->cid, n, s->p.time2wait + s->p.time2retain);
	return true;
}

bool iscsi_erl2_rsp(struct iscsi_tgt *t, struct iscsi_cmd *cmd, const struct msg_cmd_rsp *m)
{
	if (!cmd->orphan || cmd->conn)
		return false;
	cmd->in_core = false;
	if (!cmd->o_rsp)
		cmd->o_rsp = malloc(sizeof(*cmd->o_rsp));
	if (cmd->o_rsp)
		memcpy(cmd->o_rsp, m, sizeof(*m));
	iscsi_cmd_put(t, cmd); /* the core's reference */
	return true;
}

void iscsi_erl2_reassign(struct iscsi_conn *c, uint32_t itt, uint32_t rtt, uint32_t exp_datasn)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmd *cmd;
	struct msg_cmd_rsp *saved;

	for (cmd = s->orphans; cmd && cmd->itt != rtt; cmd = cmd->onext)
		;
	if (!cmd) {
		/* still on a live connection: the initiator must first log
		 * that one out (reason 2) or let it fail */
		iscsi_tmf_respond(c, itt, iscsi_mcs_cmd_find(c, rtt, NULL) ?
				  ISCSI_TMF_RSP_ALLEGIANT : ISCSI_TMF_RSP_NO_TASK);
		return;
	}
	if (iscsi_cmd_find(c, rtt)) {
		/* the ITT is taken on this connection: not one task */
		iscsi_tmf_respond(c, itt, ISCSI_TMF_RSP_REJECTED);
		return;
	}
	orphan_unlink(s, cmd);
	saved = cmd->o_rsp;
	cmd->o_rsp = NULL;
	log_info("conn %llu: ITT 0x%x of connection %u reassigned here (ExpDataSN %u)",
		 (unsigned long long)c->id, rtt, cmd->o_cid, exp_datasn);
	iscsi_tmf_respond(c, itt, ISCSI_TMF_RSP_COMPLETE);
	if (saved && (saved->h.flags & MSG_RSP_ABORTED)) {
		/* aborted meanwhile (another TMF, a core restart): no status */
		free(saved);
		iscsi_cmd_put(c->t, cmd);
		return;
	}
	iscsi_cmd_reassigned(c, cmd, exp_datasn, saved);
	free(saved);
}

uint8_t iscsi_erl2_logout(struct iscsi_conn *c, uint16_t cid, bool *close_self)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_conn *o;

	*close_self = false;
	if (s->p.erl < 2)
		return ISCSI_LOGOUT_RSP_NO_RECOVERY;
	if (cid == c->cid) {
		/* its tasks wait once the response is out and it closes (the
		 * last connection: the session is held for a new one) */
		if (s->nconns < 2 && !can_hold(s))
			return ISCSI_LOGOUT_RSP_NO_RECOVERY; /* nothing would be left to recover on */
		*close_self = true;
		return ISCSI_LOGOUT_RSP_OK;
	}
	o = iscsi_mcs_conn_by_cid(s, cid);
	if (o) {
		o->leave_only = true;
		iscsi_conn_close(o, "logged out for recovery");
		return ISCSI_LOGOUT_RSP_OK;
	}
	/* already failed: its tasks are in recovery */
	for (struct iscsi_cmd *cmd = s->orphans; cmd; cmd = cmd->onext)
		if (cmd->o_cid == cid)
			return ISCSI_LOGOUT_RSP_OK;
	return ISCSI_LOGOUT_RSP_NO_CID;
}

void iscsi_erl2_session_free(struct iscsi_session *s)
{
	struct iscsi_cmd *cmd;

	/* the NEXUS_DEL that follows aborts what is still in the core */
	while ((cmd = s->orphans)) {
		orphan_unlink(s, cmd);
		free(cmd->o_rsp);
		cmd->o_rsp = NULL;
		iscsi_cmd_put(s->t, cmd);
	}
	if (s->t2r_on) {
		ev_timer_stop(s->t->loop, &s->t2r);
		s->t2r_on = false;
	}
}

bool iscsi_erl2_hold(struct iscsi_session *s, struct iscsi_conn *c)
{
	struct iscsi_tgt *t = s->t;

	if (s->p.erl < 2 || c->no_recover || t->shutting_down ||
	    s->p.session_type != ISCSI_SESSION_NORMAL || !can_hold(s))
		return false;
	s->conn = NULL;
	s->held = true;
	s->group = c->group;
	s->held_until = ev_now(t->loop) + s->p.time2wait + s->p.time2retain;
	t2r_start(s);
	log_info("session tsih %u: its last connection (%u) failed: session kept %u s for a "
		 "new connection, %u tasks wait for reassignment", s->tsih, c->cid,
		 s->p.time2wait + s->p.time2retain, s->norphans);
	return true;
}

void iscsi_erl2_unhold(struct iscsi_session *s)
{
	if (!s->held)
		return;
	s->held = false;
	log_info("session tsih %u: continued on a new connection, %u tasks to reassign",
		 s->tsih, s->norphans);
	if (!s->orphans && s->t2r_on) {
		ev_timer_stop(s->t->loop, &s->t2r);
		s->t2r_on = false;
	}
}

void iscsi_erl2_end(struct iscsi_session *s, const char *why)
{
	struct iscsi_cmd *cmd;

	if (!s->held || s->conn)
		return;
	log_info("session tsih %u (%s) ends: %s; %u tasks aborted", s->tsih,
		 s->p.initiator_name, why, s->norphans);
	while ((cmd = s->orphans))
		orphan_drop(s, cmd);
	s->held = false;
	iscsi_session_free(s); /* NEXUS_DEL */
}

void iscsi_erl2_end_all(struct iscsi_tgt *t, const char *target, const char *why)
{
	struct iscsi_session *s, *next;

	for (s = t->sessions; s; s = next) {
		next = s->next;
		if (s->held && (!target || !strcmp(s->p.target_name, target)))
			iscsi_erl2_end(s, why);
	}
}
