/* Per-LU queue depth and fairness between the I_T nexuses sharing an LU.
 *
 * With "queue_depth": N on a LUN, at most N of its commands run at once
 * (started and not yet answered), and each I_T nexus may have at most N
 * commands in the LU's task set: one more is refused with TASK SET FULL
 * (SAM-5 5.3.2; the nexus then has commands in the task set, so BUSY would be
 * the wrong status). When a running slot frees, the next command to start is
 * taken round robin between nexuses: the ready command of the nexus served
 * longest ago, oldest first within a nexus. So an initiator that keeps 64
 * commands queued gets at most N of them in and shares the LU's slots with
 * one that sends a command at a time, instead of starving it.
 * Without "queue_depth" (0) nothing here applies: arrival order as before. */
#include "procs/core/core.h"

static uint64_t core_qd_seq;

bool core_qd_admit(struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	uint32_t mine = 0;

	if (!l || !l->qd || scsi_ua_exempt(cmd->cdb))
		return true;
	for (struct clist_node *n = l->tasks.first; n && mine < l->qd; n = n->next)
		if (clist_entry(n, struct core_cmd, lnode)->nexus == cmd->nexus)
			mine++;
	if (mine < l->qd)
		return true;
	l->qd_full++;
	cmd->res.status = SCSI_TASK_SET_FULL;
	cmd->res.sense_len = 0;
	cmd->res.data_len = 0;
	return false;
}

struct core_cmd *core_qd_pick(struct core_lun *l, uint32_t pass)
{
	struct core_cmd *best = NULL;
	uint64_t best_seq = UINT64_MAX;
	bool oldest = true;

	if (l->running >= l->qd)
		return NULL;
	for (struct clist_node *n = l->tasks.first; n; n = n->next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, lnode);
		bool cand = c->ready && !c->started && c->qd_pass != pass;
		uint64_t seq = c->nexus ? c->nexus->served : 0;

		if (c->attr == MSG_TASK_ORDERED) {
			/* an ORDERED command starts alone and first; nothing
			 * after it may start before it */
			if (oldest && cand && !best)
				best = c;
			break;
		}
		if (cand && seq < best_seq) {
			best = c;
			best_seq = seq;
		}
		oldest = false;
	}
	if (best) {
		best->qd_pass = pass;
		if (best->nexus)
			best->nexus->served = ++core_qd_seq;
	}
	return best;
}

void core_qd_started(struct core_cmd *cmd)
{
	if (cmd->lun && cmd->lun->qd && cmd->enrolled && !cmd->qd_counted) {
		cmd->qd_counted = true;
		cmd->lun->running++;
	}
}

bool core_qd_left(struct core_cmd *cmd)
{
	if (!cmd->qd_counted)
		return false;
	cmd->qd_counted = false;
	cmd->lun->running--;
	return true;
}
