/* Several connections per session (RFC 7143 3.2, 6.3: MaxConnections up to
 * ISCSI_MAX_CONNS). A login with the TSIH of a live session and its ISID
 * adds a connection (a new CID) or reinstates one (a CID in use: the old
 * connection's tasks are aborted in the core and the login waits for them,
 * iscsi_reinstate.c; the old connection goes). Commands of all the
 * connections share the session's CmdSN window and run in CmdSN order
 * (iscsi_cmdsn.c); each connection keeps its StatSN, digests and the
 * initiator's MaxRecvDataSegmentLength, and the tasks it carries
 * (connection allegiance). At ErrorRecoveryLevel <= 1 there is no
 * connection recovery: a connection that fails takes its session along
 * (the other connections are closed, the initiator reinstates the session);
 * one that logs out (close the connection) or is reinstated leaves alone.
 * At ERL 2 a failed connection's tasks wait for TASK REASSIGN
 * (iscsi_erl2.c), and a session whose last connection failed is held for a
 * new one: a login may join a session that has no connection. */
#include "procs/frontend-iscsi/iscsi.h"

#include <string.h>
#include <strings.h>

#include "common/log.h"

uint32_t iscsi_conn_mrdsl_tx(const struct iscsi_conn *c)
{
	return c->mrdsl_tx ? c->mrdsl_tx : c->sess->p.mrdsl_tx;
}

struct iscsi_conn *iscsi_mcs_conn_by_cid(struct iscsi_session *s, uint16_t cid)
{
	for (struct iscsi_conn *o = s->conn; o; o = o->snext)
		if (o->cid == cid && o->state != CONN_CLOSED)
			return o;
	return NULL;
}

struct iscsi_cmd *iscsi_mcs_cmd_find(struct iscsi_conn *c, uint32_t itt, struct iscsi_conn **on)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmd *cmd = iscsi_cmd_find(c, itt);

	if (on)
		*on = c;
	if (cmd || !s || s->nconns < 2)
		return cmd;
	for (struct iscsi_conn *o = s->conn; o; o = o->snext) {
		if (o == c || o->state != CONN_FFP || !(cmd = iscsi_cmd_find(o, itt)))
			continue;
		if (on)
			*on = o;
		return cmd;
	}
	return NULL;
}

int iscsi_mcs_join_check(struct iscsi_conn *c, uint16_t tsih, const uint8_t isid[6])
{
	struct iscsi_session *s = iscsi_session_by_tsih(c->t, tsih);

	if (!s || memcmp(s->isid, isid, 6) || s->p.session_type != ISCSI_SESSION_NORMAL ||
	    (s->conn ? s->conn->state != CONN_FFP : !s->held))
		return ISCSI_LOGIN_NO_SUCH_SESSION;
	struct iscsi_conn *old = iscsi_mcs_conn_by_cid(s, c->cid);

	/* a CID in use is reinstated only beside another connection: at
	 * ERL < 2 nothing of a session outlives its last connection (at ERL 2
	 * the session is held meanwhile, iscsi_erl2.c) */
	if (old ? s->nconns < 2 && s->p.erl < 2 : s->nconns >= s->p.max_connections)
		return ISCSI_LOGIN_TOO_MANY_CONNS;
	if (c->group != (s->conn ? s->conn->group : s->group))
		return ISCSI_LOGIN_NOT_FOUND; /* one portal group per session */
	return 0;
}

bool iscsi_mcs_join(struct iscsi_conn *c, uint16_t tsih)
{
	struct iscsi_session *tmp = c->sess, *s = iscsi_session_by_tsih(c->t, tsih);
	struct iscsi_conn *old, **pp;

	if (!s || memcmp(s->isid, tmp->isid, 6) || (!s->conn && !s->held) ||
	    strcasecmp(s->p.initiator_name, tmp->p.initiator_name) ||
	    strcasecmp(s->p.target_name, tmp->p.target_name))
		return false;
	old = iscsi_mcs_conn_by_cid(s, c->cid);
	if (old) {
		/* connection reinstatement: the old one goes alone */
		log_info("conn %llu: reinstates connection %u of session tsih %u",
			 (unsigned long long)c->id, c->cid, s->tsih);
		old->leave_only = true;
		iscsi_conn_close(old, "connection reinstated by a new login");
		if (!(s = iscsi_session_by_tsih(c->t, tsih)))
			return false;
	}
	if (s->nconns >= s->p.max_connections)
		return false;
	c->mrdsl_tx = tmp->p.mrdsl_tx;
	tmp->conn = NULL;
	tmp->nconns = 0;
	iscsi_session_free(tmp);
	c->sess = s;
	c->snext = NULL;
	for (pp = &s->conn; *pp; pp = &(*pp)->snext)
		;
	*pp = c;
	s->nconns++;
	iscsi_erl2_unhold(s);
	log_info("conn %llu: connection %u joins session tsih %u (%u of %u)",
		 (unsigned long long)c->id, c->cid, s->tsih, s->nconns, s->p.max_connections);
	return true;
}

void iscsi_mcs_conn_gone(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_conn *victims[ISCSI_MAX_CONNS], **pp;
	uint32_t n = 0;

	if (!s)
		return;
	c->sess = NULL;
	for (pp = &s->conn; *pp && *pp != c; pp = &(*pp)->snext)
		;
	if (*pp) {
		*pp = c->snext;
		s->nconns--;
	}
	c->snext = NULL;
	iscsi_cmdsn_conn_gone(s, c);
	if (!s->nconns) {
		s->conn = NULL;
		if (!iscsi_erl2_hold(s, c))
			iscsi_session_free(s);
		return;
	}
	if (c->leave_only || s->t->shutting_down)
		return;
	if (s->p.erl >= 2 && !c->no_recover)
		return; /* connection recovery: the others go on, its tasks wait */
	/* ERL < 2: no connection recovery; the session fails with it */
	for (struct iscsi_conn *o = s->conn; o && n < ISCSI_MAX_CONNS; o = o->snext) {
		o->leave_only = true; /* closed here, not by a cascade of their own */
		o->no_recover = true;
		victims[n++] = o;
	}
	log_info("session tsih %u: a connection failed: closing its %u other connections",
		 s->tsih, n);
	for (uint32_t i = 0; i < n; i++)
		iscsi_conn_close(victims[i], "another connection of its session failed");
}
