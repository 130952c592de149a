/* Sessions (their connections: iscsi_mcs.c), TSIH, the CmdSN window and
 * StatSN, and the small full-feature PDUs: NOP, Logout, Reject. */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct iscsi_session *iscsi_session_new(struct iscsi_conn *c)
{
	struct iscsi_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->t = c->t;
	s->conn = c;
	s->nconns = 1;
	iscsi_params_defaults(&s->p);
	return s;
}

struct iscsi_session *iscsi_session_by_tsih(struct iscsi_tgt *t, uint16_t tsih)
{
	for (struct iscsi_session *s = t->sessions; s; s = s->next)
		if (s->tsih == tsih)
			return s;
	return NULL;
}

/* Make a session visible: TSIH assigned, findable for reinstatement. */
void iscsi_session_list(struct iscsi_session *s)
{
	struct iscsi_tgt *t = s->t;

	for (int i = 0; i < 65536; i++) {
		uint16_t v = t->next_tsih++;

		if (v && !iscsi_session_by_tsih(t, v)) {
			s->tsih = v;
			break;
		}
	}
	s->next = t->sessions;
	if (t->sessions)
		t->sessions->prev = s;
	t->sessions = s;
	s->listed = true;
}

void iscsi_session_free(struct iscsi_session *s)
{
	struct iscsi_tgt *t = s->t;

	if (s->listed) {
		if (s->prev)
			s->prev->next = s->next;
		else
			t->sessions = s->next;
		if (s->next)
			s->next->prev = s->prev;
	}
	iscsi_cmdsn_free(s);
	iscsi_erl2_session_free(s);
	if (s->nreq)
		s->nreq->sess = NULL; /* NEXUS_ADDED will find no one: it deletes */
	if (s->nexus_added) {
		union msg m;

		memset(&m, 0, sizeof(m));
		m.h.type = MSG_NEXUS_DEL;
		m.nexus_del.nexus = s->nexus;
		iscsi_core_send(t, &m);
	}
	free(s);
}

/* Safe reinstatement: commands of the old session that the core still
 * runs (a write may be at a backend and cannot be recalled) would otherwise
 * race the new session's commands to the medium. The new login's final
 * response waits until each has come back (CMD_RSP, aborted by NEXUS_DEL),
 * so nothing of the old session lands after anything of the new one. */
void iscsi_quiesce_add(struct iscsi_conn *nc, struct iscsi_cmd *cmd)
{
	struct iscsi_quiesce *qz = nc->qz;

	if (!cmd->in_core || cmd->qz)
		return;
	if (!qz) {
		qz = calloc(1, sizeof(*qz));
		if (!qz)
			return; /* then only the core's abort protects */
		qz->waiter = nc;
		nc->qz = qz;
	}
	cmd->qz = qz;
	qz->pending++;
}

static void quiesce_old(struct iscsi_conn *nc, struct iscsi_conn *oc)
{
	for (struct iscsi_cmd *cmd = oc->cmds; cmd; cmd = cmd->next)
		iscsi_quiesce_add(nc, cmd);
	if (nc->qz)
		log_info("conn %llu: login waits for %u commands of the replaced session",
			 (unsigned long long)nc->id, nc->qz->pending);
}

void iscsi_quiesce_release(struct iscsi_cmd *cmd)
{
	struct iscsi_quiesce *qz = cmd->qz;
	struct iscsi_conn *w;

	cmd->qz = NULL;
	if (!qz || --qz->pending)
		return;
	w = qz->waiter;
	if (!w) {
		free(qz);
		return;
	}
	w->qz = NULL;
	free(qz);
	iscsi_login_resume(w);
}

void iscsi_quiesce_conn_lost(struct iscsi_conn *c)
{
	if (!c->qz)
		return;
	c->qz->waiter = NULL;
	if (!c->qz->pending)
		free(c->qz);
	c->qz = NULL;
}

/* Session reinstatement (RFC 7143 6.3.5): a new leading login with TSIH 0 for
 * an I_T nexus that already has a session closes the old one. */
void iscsi_session_reinstate(struct iscsi_tgt *t, struct iscsi_session *s)
{
	struct iscsi_session *o, *n;

	for (o = t->sessions; o; o = n) {
		n = o->next;
		if (o == s || memcmp(o->isid, s->isid, 6) ||
		    o->p.session_type != s->p.session_type ||
		    strcmp(o->p.initiator_name, s->p.initiator_name) ||
		    strcmp(o->p.target_name, s->p.target_name))
			continue;
		log_info("session tsih %u reinstated by a new login from %s",
			 o->tsih, o->p.initiator_name);
		for (struct iscsi_conn *oc = o->conn; oc; oc = oc->snext) {
			quiesce_old(s->conn, oc);
			oc->no_recover = true; /* ERL 2: nothing of it is reassigned */
		}
		/* ERL 2: tasks of failed connections still in the core are
		 * waited for like those of live ones */
		for (struct iscsi_cmd *cmd = o->orphans; cmd; cmd = cmd->onext)
			iscsi_quiesce_add(s->conn, cmd);
		if (o->conn)
			iscsi_conn_close(o->conn, "session reinstatement"); /* and its others */
		else
			iscsi_erl2_end(o, "session reinstatement"); /* held: no connection */
	}
}

/* ---- sequence numbers ---- */

void iscsi_fill_sn(struct iscsi_conn *c, uint8_t *bhs, bool status)
{
	struct iscsi_session *s = c->sess;

	iscsi_put32(bhs + 24, status ? c->stat_sn++ : c->stat_sn);
	if (!s)
		return;
	/* The window is what we can still queue. MaxCmdSN never goes back:
	 * an initiator ignores a smaller one anyway. */
	uint32_t free_slots = s->active < ISCSI_QDEPTH ? ISCSI_QDEPTH - s->active : 0;
	uint32_t max = s->exp_cmd_sn + free_slots - 1;

	if (c->t->shutting_down || iscsi_sn_lt(max, s->max_cmd_sn))
		max = s->max_cmd_sn;
	s->max_cmd_sn = max;
	iscsi_put32(bhs + 28, s->exp_cmd_sn);
	iscsi_put32(bhs + 32, max);
}

void iscsi_window_release(struct iscsi_conn *c)
{
	if (c && c->sess && c->sess->active)
		c->sess->active--;
}

/* ---- Reject ---- */

void iscsi_send_reject(struct iscsi_conn *c, uint8_t reason, const uint8_t *bhs)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_REJECT, ISCSI_FLAG_FINAL);

	c->t->st.rejects++;
	log_warn("conn %llu: reject %s, reason 0x%02x", (unsigned long long)c->id,
		 iscsi_op_name(bhs[0] & ISCSI_OP_MASK), reason);
	p->bhs[2] = reason;
	iscsi_put32(p->bhs + 16, ISCSI_RSVD_TAG);
	iscsi_fill_sn(c, p->bhs, true);
	p->owned = malloc(ISCSI_BHS_LEN);
	if (p->owned) {
		memcpy(p->owned, bhs, ISCSI_BHS_LEN);
		p->data = p->owned;
		p->dlen = ISCSI_BHS_LEN;
	}
	iscsi_conn_queue(c, p);
}

/* ---- NOP ---- */

void iscsi_rx_nop_out(struct iscsi_conn *c, const uint8_t *data)
{
	const uint8_t *b = c->bhs;
	uint32_t itt = iscsi_get32(b + 16), ttt = iscsi_get32(b + 20);
	struct iscsi_txpdu *p;

	if (itt == ISCSI_RSVD_TAG) {
		/* an answer to our ping, or a bare ExpStatSN update */
		if (ttt != ISCSI_RSVD_TAG) {
			if (c->nop_out && ttt == c->nop_ttt)
				c->nop_out = false;
			else
				iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		}
		return;
	}
	if (ttt != ISCSI_RSVD_TAG) {
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		return;
	}
	if (!iscsi_cmdsn_accept(c, iscsi_get32(b + 24), c->hi.immediate))
		return;
	p = iscsi_txpdu_new(ISCSI_OP_NOP_IN, ISCSI_FLAG_FINAL);
	memcpy(p->bhs + 8, b + 8, 8);
	iscsi_put32(p->bhs + 16, itt);
	iscsi_put32(p->bhs + 20, ISCSI_RSVD_TAG);
	iscsi_fill_sn(c, p->bhs, true);
	if (c->hi.data_len && data) {
		/* ping data is echoed; we own the receive buffer, so take it */
		p->owned = c->rx_buf;
		c->rx_buf = NULL;
		p->data = p->owned;
		/* never more than the initiator said it can receive */
		p->dlen = c->hi.data_len < iscsi_conn_mrdsl_tx(c) ? c->hi.data_len :
			  iscsi_conn_mrdsl_tx(c);
	}
	iscsi_conn_queue(c, p);
}

void iscsi_nop_ping(struct iscsi_conn *c)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_NOP_IN, ISCSI_FLAG_FINAL);

	c->nop_ttt = c->next_ttt++;
	if (c->nop_ttt == ISCSI_RSVD_TAG)
		c->nop_ttt = c->next_ttt++;
	c->nop_out = true;
	c->nop_sent = ev_now(c->t->loop);
	iscsi_put32(p->bhs + 16, ISCSI_RSVD_TAG);
	iscsi_put32(p->bhs + 20, c->nop_ttt);
	iscsi_fill_sn(c, p->bhs, false);
	iscsi_conn_queue(c, p);
}

/* ---- Asynchronous Message ---- */

#define ISCSI_ASYNC_LOGOUT_REQUEST 1
#define ISCSI_ASYNC_DROP_CONN      2

/* Time2Wait in what asks or tells an initiator to go: the DefaultTime2Wait
 * negotiated for the session (at least our 2 s, RFC 7143 13.15). */
static uint16_t time2wait(const struct iscsi_conn *c)
{
	uint32_t v = c->sess ? c->sess->p.time2wait : 2;

	return (uint16_t)(v > 3600 ? 3600 : v);
}

static struct iscsi_txpdu *async_new(struct iscsi_conn *c, uint8_t event)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_ASYNC, ISCSI_FLAG_FINAL);

	iscsi_put32(p->bhs + 16, ISCSI_RSVD_TAG);
	iscsi_fill_sn(c, p->bhs, true);
	p->bhs[36] = event;
	return p;
}

void iscsi_async_logout_request(struct iscsi_conn *c, uint16_t secs)
{
	struct iscsi_txpdu *p = async_new(c, ISCSI_ASYNC_LOGOUT_REQUEST);

	iscsi_put16(p->bhs + 42, secs); /* Parameter3: log out within this */
	c->logout_asked = true;
	iscsi_conn_queue(c, p);
}

void iscsi_async_drop(struct iscsi_conn *c)
{
	struct iscsi_txpdu *p = async_new(c, ISCSI_ASYNC_DROP_CONN);

	iscsi_put16(p->bhs + 38, c->cid);           /* Parameter1: CID */
	iscsi_put16(p->bhs + 40, time2wait(c));     /* Parameter2: Time2Wait */
	iscsi_put16(p->bhs + 42, 0);                /* Parameter3: Time2Retain (ERL 0) */
	p->close_after = true;
	c->drop_sent = true;
	c->closing_after_tx = true;
	iscsi_conn_queue(c, p);
	iscsi_conn_update_rx(c);
}

/* ---- Logout ---- */

void iscsi_logout_try(struct iscsi_conn *c)
{
	struct iscsi_txpdu *p;

	if (!c->logout_pending || c->ncmds || c->state != CONN_FFP)
		return;
	/* every command has its status queued before the Logout Response */
	c->logout_pending = false;
	p = iscsi_txpdu_new(ISCSI_OP_LOGOUT_RSP, ISCSI_FLAG_FINAL);
	p->bhs[2] = ISCSI_LOGOUT_RSP_OK;
	iscsi_put32(p->bhs + 16, c->logout_itt);
	iscsi_fill_sn(c, p->bhs, true);
	/* Time2Wait: reconnect at once, unless we are going away or asked it
	 * to go (then DefaultTime2Wait) */
	iscsi_put16(p->bhs + 40, c->t->shutting_down || c->logout_asked ? time2wait(c) : 0);
	iscsi_put16(p->bhs + 42, 0); /* Time2Retain: nothing is kept after a logout */
	p->close_after = true;
	c->closing_after_tx = true;
	/* closing one connection leaves the session to the others */
	c->leave_only = c->logout_reason == ISCSI_LOGOUT_CLOSE_CONN;
	c->no_recover = true; /* ERL 2: its tasks end with it */
	iscsi_conn_queue(c, p);
	iscsi_conn_update_rx(c);
}

void iscsi_rx_logout(struct iscsi_conn *c)
{
	const uint8_t *b = c->bhs;
	uint8_t reason = b[1] & 0x7f;
	uint16_t cid = iscsi_get16(b + 20);
	struct iscsi_txpdu *p;
	uint8_t rsp;
	bool close_self = false;

	if (!iscsi_cmdsn_accept(c, iscsi_get32(b + 24), c->hi.immediate))
		return;
	switch (reason) {
	case ISCSI_LOGOUT_CLOSE_SESSION:
	case ISCSI_LOGOUT_CLOSE_CONN:
		if (reason == ISCSI_LOGOUT_CLOSE_CONN && cid != c->cid) {
			/* another connection of the session (e.g. one that hangs) */
			struct iscsi_conn *o = iscsi_mcs_conn_by_cid(c->sess, cid);

			rsp = ISCSI_LOGOUT_RSP_NO_CID;
			if (o) {
				o->leave_only = true;
				iscsi_conn_close(o, "logged out from another connection");
				rsp = ISCSI_LOGOUT_RSP_OK;
			}
			break;
		}
		if (c->logout_pending) {
			iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
			return;
		}
		/* what waits behind a missing CmdSN will never run (all of it,
		 * or what came on this connection) */
		iscsi_cmdsn_flush(c, reason == ISCSI_LOGOUT_CLOSE_SESSION);
		c->logout_pending = true;
		c->logout_itt = iscsi_get32(b + 16);
		c->logout_reason = reason;
		iscsi_logout_try(c);
		return;
	case ISCSI_LOGOUT_RECOVERY:
		rsp = iscsi_erl2_logout(c, cid, &close_self); /* connection recovery, ERL 2 */
		break;
	default:
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		return;
	}
	p = iscsi_txpdu_new(ISCSI_OP_LOGOUT_RSP, ISCSI_FLAG_FINAL);
	p->bhs[2] = rsp;
	iscsi_put32(p->bhs + 16, iscsi_get32(b + 16));
	iscsi_fill_sn(c, p->bhs, true);
	if (reason == ISCSI_LOGOUT_RECOVERY && rsp == ISCSI_LOGOUT_RSP_OK)
		iscsi_put16(p->bhs + 42, (uint16_t)c->sess->p.time2retain);
	if (close_self) {
		/* its tasks wait for reassignment once it is closed */
		p->close_after = true;
		c->closing_after_tx = true;
		c->leave_only = true;
		iscsi_conn_update_rx(c);
	}
	iscsi_conn_queue(c, p);
}

/* Full-feature PDUs other than SCSI Command and Data-Out. Returns -EPROTO to
 * drop the connection. */
int iscsi_rx_ffp(struct iscsi_conn *c, const uint8_t *data)
{
	const uint8_t *b = c->bhs;

	c->exp_stat_sn = iscsi_get32(b + 28);
	if (c->hi.opcode != ISCSI_OP_SNACK)
		iscsi_erl_ack(c, c->exp_stat_sn);
	switch (c->hi.opcode) {
	case ISCSI_OP_NOP_OUT:
		iscsi_rx_nop_out(c, data);
		return 0;
	case ISCSI_OP_TMF_REQ:
		iscsi_rx_tmf(c);
		return 0;
	case ISCSI_OP_TEXT_REQ:
		iscsi_rx_text(c, data);
		return 0;
	case ISCSI_OP_LOGOUT_REQ:
		iscsi_rx_logout(c);
		return 0;
	case ISCSI_OP_SNACK:
		iscsi_rx_snack(c);
		return 0;
	case ISCSI_OP_LOGIN_REQ:
		iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
		return 0;
	default:
		iscsi_send_reject(c, ISCSI_REJECT_CMD_NOT_SUPPORTED, b);
		return 0;
	}
}
