/* MODE SELECT in the core: the LU's mode state changes for every nexus, and
 * the others hear MODE PARAMETERS CHANGED (2A/01). */
#include <stdlib.h>

#include "procs/core/core.h"
#include "procs/core/core_state.h"

bool core_mode_run(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	uint8_t *param;
	uint32_t n;
	bool changed = false;

	if (!l || (cmd->cdb[0] != MODE_SELECT_6 && cmd->cdb[0] != MODE_SELECT_10))
		return false;
	if (core_emul_param(co, cmd, &param, &n)) {
		scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
	} else {
		scsi_mode_select(&l->lu, cmd->cdb, param, n, &cmd->res, &changed);
		free(param);
	}
	if (changed)
		core_state_dirty = true;
	if (changed)
		core_ua_raise(l->tgt, (int)l->index, SCSI_UA_MODE_CHANGED, cmd->nexus);
	core_emul_finish(co, cmd);
	return true;
}
