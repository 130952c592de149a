/* Connection reinstatement, done safely (RFC 7143 6.3.4, 7.1.1; SCST's
 * "safe" reinstatement). A login with the CID of a live connection of its
 * session replaces that connection. At ErrorRecoveryLevel < 2 the old
 * connection's tasks are not recovered: they are aborted in the core
 * (ABORT TASK each), and the new connection's final login response - so its
 * first command - waits until every one of them has come back from the core.
 * A write of the old connection that a backend already holds cannot be
 * recalled; waiting for its answer is what keeps it from landing after a
 * command of the new connection. The old tasks end without status: nobody
 * is left to tell. */
#include "procs/frontend-iscsi/iscsi.h"

#include <string.h>
#include <strings.h>

#include "common/log.h"

void iscsi_reinstate_conn(struct iscsi_conn *c, uint16_t tsih)
{
	struct iscsi_session *tmp = c->sess, *s = iscsi_session_by_tsih(c->t, tsih);
	struct iscsi_conn *old;
	uint32_t aborted = 0;

	if (!s || !tmp || memcmp(s->isid, tmp->isid, 6) || !s->conn || s->held ||
	    strcasecmp(s->p.initiator_name, tmp->p.initiator_name) ||
	    strcasecmp(s->p.target_name, tmp->p.target_name))
		return; /* iscsi_mcs_join() refuses it */
	old = iscsi_mcs_conn_by_cid(s, c->cid);
	if (!old || old == c)
		return;
	if (s->p.erl >= 2) {
		/* ERL 2: its tasks wait for TASK REASSIGN (iscsi_erl2.c) */
		old->leave_only = true;
		iscsi_conn_close(old, "connection reinstated by a new login (ERL 2)");
		return;
	}
	for (struct iscsi_cmd *cmd = old->cmds; cmd; cmd = cmd->next) {
		if (!cmd->in_core)
			continue; /* never reached the core: dropped with the connection */
		iscsi_quiesce_add(c, cmd);
		if (s->nexus_added && iscsi_tmf_abort_quiet(c->t, s->nexus, cmd) == 0)
			aborted++;
	}
	log_info("conn %llu: reinstates connection %u of session tsih %u: %u tasks aborted "
		 "in the core, login waits for them", (unsigned long long)c->id, c->cid,
		 s->tsih, aborted);
	old->leave_only = true;
	iscsi_conn_close(old, "connection reinstated by a new login");
}
