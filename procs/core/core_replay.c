/* Commands a frontend re-submits to a new core incarnation (MSG_FLAG_REPLAY).
 *
 * The initiator has no status for them yet, so re-executing is allowed when
 * doing it twice has the effect of doing it once: READ, WRITE, UNMAP, WRITE
 * SAME, SYNCHRONIZE CACHE, the emulated reads. Three kinds are not:
 *  - PERSISTENT RESERVE OUT: the nexus remembers (in the state segment) the
 *    tag of the last one applied and its answer; the same tag gets the same
 *    answer without being applied again. A tag the segment does not name was
 *    not applied (the save precedes the answer), so it runs normally.
 *  - COMPARE AND WRITE: the previous incarnation may have written, and a
 *    second compare would then fail against the initiator's own data.
 *  - EXTENDED COPY: a partly done copy cannot be told from one not started.
 * These two end with ABORTED COMMAND, LOGICAL UNIT COMMUNICATION FAILURE,
 * which initiators retry, as when a backend dies under them. */
#include <string.h>

#include "procs/core/core.h"

#define OP_EXTENDED_COPY 0x83

bool core_replay_answer(struct core *co, struct core_cmd *cmd)
{
	struct core_nexus *nx = cmd->nexus;

	(void)co;
	switch (cmd->cdb[0]) {
	case PERSISTENT_RESERVE_OUT:
		if (!nx || !nx->pr_tag || nx->pr_tag != cmd->fe_tag)
			return false;
		memset(&cmd->res, 0, sizeof(cmd->res));
		cmd->res.status = nx->pr_status;
		cmd->res.sense_len = nx->pr_sense_len;
		memcpy(cmd->res.sense, nx->pr_sense, nx->pr_sense_len);
		return true;
	case COMPARE_AND_WRITE:
	case OP_EXTENDED_COPY:
		scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_LU_COMM_FAILURE);
		return true;
	default:
		return false;
	}
}

void core_replay_record(const struct core_cmd *cmd)
{
	struct core_nexus *nx = cmd->nexus;
	uint8_t n = cmd->res.sense_len;

	if (!nx)
		return;
	if (n > MSG_SENSE_MAX)
		n = MSG_SENSE_MAX;
	nx->pr_tag = cmd->fe_tag;
	nx->pr_status = cmd->res.status;
	nx->pr_sense_len = n;
	memcpy(nx->pr_sense, cmd->res.sense, n);
}
