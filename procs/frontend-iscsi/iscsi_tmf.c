/* Task Management Function requests: mapped to MSG_TMF for the core, answered
 * with its result. Task reassignment (ERL 2) is iscsi_erl2.c. */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct iscsi_tmf {
	struct iscsi_conn *c;       /* NULL once the connection is gone */
	struct iscsi_tmf *next;
	uint32_t itt;
	uint8_t  fn;
};

static void tmf_respond(struct iscsi_conn *c, uint32_t itt, uint8_t rsp, bool close_after)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_TMF_RSP, ISCSI_FLAG_FINAL);

	p->bhs[2] = rsp;
	iscsi_put32(p->bhs + 16, itt);
	iscsi_fill_sn(c, p->bhs, true);
	if (close_after) {
		p->close_after = true;
		c->closing_after_tx = true;
		iscsi_conn_update_rx(c);
	}
	iscsi_conn_queue(c, p);
}

/* ABORT TASK for a task that is not running (RFC 7143 11.5.1):
 * - its status is still kept for a SNACK (ERL 1) or queued: it existed and
 *   has completed, "Function complete";
 * - its command never arrived, RefCmdSN within the CmdSN window (as it was
 *   before this request) and before the TMF's own CmdSN: the CmdSN is
 *   considered received (a late or retried copy is then dropped) and the
 *   answer is "Function complete" (case b);
 * - otherwise RefCmdSN is outside the window: "Task does not exist"
 *   (case c), whether it completed long ago or never existed. */
static uint8_t abort_gone(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t rtt,
			  uint32_t refcmdsn, uint32_t cmdsn, uint32_t exp0, uint32_t max0)
{
	struct iscsi_session *s = c->sess;

	if (cmd || iscsi_erl_find(c, rtt))
		return ISCSI_TMF_RSP_COMPLETE;
	if (iscsi_erl_hole_take(s, refcmdsn))
		return ISCSI_TMF_RSP_COMPLETE; /* lost; its retry is now refused */
	if (iscsi_sn_le(exp0, refcmdsn) && iscsi_sn_le(refcmdsn, max0) &&
	    iscsi_sn_lt(refcmdsn, cmdsn)) {
		/* not yet received: it counts as received (what waits behind
		 * it may run) and a late copy is dropped; another task waiting
		 * with that CmdSN means RefCmdSN names no task of this ITT */
		return iscsi_cmdsn_skip(c, refcmdsn) ? ISCSI_TMF_RSP_COMPLETE :
						     ISCSI_TMF_RSP_NO_TASK;
	}
	return ISCSI_TMF_RSP_NO_TASK;
}

void iscsi_rx_tmf(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	const uint8_t *b = c->bhs;
	uint8_t fn = b[1] & 0x7f;
	uint32_t itt = c->hi.itt, rtt = iscsi_get32(b + 20);
	uint32_t refcmdsn = iscsi_get32(b + 32);
	struct iscsi_tmf *tm;
	union msg m;

	if (c->sess->p.session_type != ISCSI_SESSION_NORMAL) {
		iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
		return;
	}
	/* the window as it was before this request, for RefCmdSN */
	uint32_t exp0 = c->sess->exp_cmd_sn, max0 = c->sess->max_cmd_sn;
	uint32_t cmdsn = iscsi_get32(b + 24);

	if (!iscsi_cmdsn_accept(c, cmdsn, c->hi.immediate))
		return;
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_TMF;
	m.tmf.nexus = c->sess->nexus;
	m.tmf.lun = iscsi_get64(b + 8);
	switch (fn) {
	case ISCSI_TMF_ABORT_TASK: {
		struct iscsi_conn *on;
		/* the task may be on another connection of the session */
		struct iscsi_cmd *cmd = iscsi_mcs_cmd_find(c, rtt, &on);

		if (cmd && (cmd->wait_buf || cmd->held) &&
		    iscsi_cmds_abort_waiting(on, 0, false, rtt, true)) {
			tmf_respond(c, itt, ISCSI_TMF_RSP_COMPLETE, false);
			return;
		}
		if (!cmd || !cmd->in_core) {
			tmf_respond(c, itt, abort_gone(c, cmd, rtt, refcmdsn, cmdsn,
						      exp0, max0), false);
			return;
		}
		m.tmf.fn = MSG_TMF_ABORT_TASK;
		m.tmf.ref_tag = cmd->tag;
		m.tmf.lun = cmd->lun;
		break;
	}
	case ISCSI_TMF_ABORT_TASK_SET: m.tmf.fn = MSG_TMF_ABORT_TASK_SET; break;
	case ISCSI_TMF_CLEAR_ACA: m.tmf.fn = MSG_TMF_CLEAR_ACA; break;
	case ISCSI_TMF_CLEAR_TASK_SET: m.tmf.fn = MSG_TMF_CLEAR_TASK_SET; break;
	case ISCSI_TMF_LUN_RESET: m.tmf.fn = MSG_TMF_LUN_RESET; break;
	case ISCSI_TMF_TARGET_WARM_RESET: m.tmf.fn = MSG_TMF_TARGET_WARM_RESET; break;
	case ISCSI_TMF_TARGET_COLD_RESET: m.tmf.fn = MSG_TMF_TARGET_COLD_RESET; break;
	case ISCSI_TMF_TASK_REASSIGN:
		if (c->sess->p.erl < 2)
			tmf_respond(c, itt, ISCSI_TMF_RSP_NO_REASSIGN, false);
		else
			iscsi_erl2_reassign(c, itt, rtt, iscsi_get32(b + 36));
		return;
	default:
		tmf_respond(c, itt, ISCSI_TMF_RSP_NOT_SUPPORTED, false);
		return;
	}
	if (fn != ISCSI_TMF_ABORT_TASK && fn != ISCSI_TMF_CLEAR_ACA) {
		for (struct iscsi_conn *o = c->sess->conn; o; o = o->snext)
			if (o->state == CONN_FFP)
				iscsi_cmds_abort_waiting(o, m.tmf.lun,
							 fn >= ISCSI_TMF_TARGET_WARM_RESET, 0, false);
		/* commands sent before it but waiting for their CmdSN turn */
		iscsi_cmdsn_tmf(c, m.tmf.lun, fn >= ISCSI_TMF_TARGET_WARM_RESET,
				c->hi.immediate ? cmdsn : cmdsn + 1);
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm) {
		tmf_respond(c, itt, ISCSI_TMF_RSP_REJECTED, false);
		return;
	}
	tm->c = c;
	tm->itt = itt;
	tm->fn = fn;
	m.h.tag = iscsi_req_new(t, REQ_TMF, tm);
	if (!m.h.tag) {
		free(tm);
		tmf_respond(c, itt, ISCSI_TMF_RSP_REJECTED, false);
		return;
	}
	tm->next = c->tmfs;
	c->tmfs = tm;
	log_info("conn %llu: TMF function %u", (unsigned long long)c->id, fn);
	iscsi_core_send(t, &m);
}

/* RFC 7143 11.6.1: after a TARGET COLD RESET "the target MUST then close
 * all of its TCP connections to all initiators (terminates all sessions)".
 * The requester's connection closes once its response is sent (the other
 * connections of its session follow it, iscsi_mcs.c); every other session
 * of the same target node ends now, closing its first connection taking the
 * rest along (their commands were aborted by
 * the reset already; their nexuses go with them, so the initiators see
 * I_T NEXUS LOSS / POWER ON when they log in again). Other target nodes of
 * this process are separate SCSI target devices and are left alone. */
static void tmf_cold_reset_close_others(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_session *s, *next;

	iscsi_erl2_end_all(t, c->sess->p.target_name, "target cold reset");
	for (s = t->sessions; s; s = next) {
		next = s->next;
		if (s == c->sess || !s->conn || s->conn->state == CONN_CLOSED ||
		    s->p.session_type != ISCSI_SESSION_NORMAL ||
		    strcmp(s->p.target_name, c->sess->p.target_name) != 0)
			continue;
		s->conn->no_recover = true; /* ERL 2: the session ends */
		iscsi_conn_close(s->conn, "target cold reset by another session");
	}
}

void iscsi_tmf_done(struct iscsi_tgt *t, void *obj, uint8_t result)
{
	struct iscsi_tmf *tm = obj;
	struct iscsi_conn *c = tm->c;
	uint8_t rsp;

	if (c) {
		struct iscsi_tmf **pp = &c->tmfs;

		while (*pp && *pp != tm)
			pp = &(*pp)->next;
		if (*pp)
			*pp = tm->next;
		switch (result) {
		case MSG_TMF_COMPLETE:
		case MSG_TMF_SUCCEEDED: rsp = ISCSI_TMF_RSP_COMPLETE; break;
		case MSG_TMF_NO_TASK: rsp = ISCSI_TMF_RSP_NO_TASK; break;
		case MSG_TMF_NO_LUN: rsp = ISCSI_TMF_RSP_NO_LUN; break;
		case MSG_TMF_NOT_SUPPORTED: rsp = ISCSI_TMF_RSP_NOT_SUPPORTED; break;
		default: rsp = ISCSI_TMF_RSP_REJECTED; break;
		}
		bool cold = tm->fn == ISCSI_TMF_TARGET_COLD_RESET &&
			    rsp == ISCSI_TMF_RSP_COMPLETE;

		if (cold)
			c->no_recover = true;
		tmf_respond(c, tm->itt, rsp, cold);
		if (cold && c->sess)
			tmf_cold_reset_close_others(c);
	}
	free(tm);
}

void iscsi_tmf_orphan(struct iscsi_conn *c)
{
	struct iscsi_tmf *tm;

	while ((tm = c->tmfs)) {
		c->tmfs = tm->next;
		tm->c = NULL;
	}
}

int iscsi_tmf_abort_quiet(struct iscsi_tgt *t, uint32_t nexus, const struct iscsi_cmd *cmd)
{
	struct iscsi_tmf *tm = calloc(1, sizeof(*tm));
	union msg m;

	if (!tm)
		return -ENOMEM;
	tm->fn = ISCSI_TMF_ABORT_TASK; /* tm->c NULL: the answer goes nowhere */
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_TMF;
	m.h.tag = iscsi_req_new(t, REQ_TMF, tm);
	if (!m.h.tag) {
		free(tm);
		return -EAGAIN;
	}
	m.tmf.nexus = nexus;
	m.tmf.fn = MSG_TMF_ABORT_TASK;
	m.tmf.lun = cmd->lun;
	m.tmf.ref_tag = cmd->tag;
	iscsi_core_send(t, &m);
	return 0;
}

void iscsi_tmf_respond(struct iscsi_conn *c, uint32_t itt, uint8_t rsp)
{
	tmf_respond(c, itt, rsp, false);
}
