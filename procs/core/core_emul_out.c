/* Emulated commands that carry a parameter list (PR OUT, MODE SELECT): the
 * data-out is pulled with XFER_RDY like a write's, then copied out of the
 * initiator's shared buffer before it is parsed. */
#include <stdlib.h>
#include <string.h>

#include "procs/core/core.h"
#include "shm/pool.h"

#define EMUL_PARAM_MAX (1u << 20)

bool core_emul_wants_data(struct core_cmd *cmd)
{
	uint32_t n = scsi_pr_out_len(cmd->cdb);

	if (!n)
		n = scsi_mode_select_len(cmd->cdb);
	if (!n)
		n = scsi_set_tpgs_len(cmd->cdb);
	if (cmd->dir != MSG_DIR_WRITE)
		return false;
	if (n > cmd->edtl)
		n = cmd->edtl;
	if (n > EMUL_PARAM_MAX)
		n = EMUL_PARAM_MAX;
	cmd->out_len = n;
	cmd->xfer_want = n;
	return n > cmd->imm_len;
}

int core_emul_param(struct core *co, struct core_cmd *cmd, uint8_t **param, uint32_t *len)
{
	uint32_t n = cmd->dir == MSG_DIR_WRITE ? cmd->out_len : 0;
	const uint8_t *src;

	*param = NULL;
	*len = 0;
	if (!n)
		return 0;
	src = pool_ptr(&co->c->pool, &cmd->buf);
	*param = malloc(n);
	if (!*param || !src) {
		free(*param);
		*param = NULL;
		return -1;
	}
	memcpy(*param, src, n); /* the initiator may still write its buffer */
	*len = n;
	return 0;
}

void core_emul_finish(struct core *co, struct core_cmd *cmd)
{
	if (cmd->dir != MSG_DIR_READ)
		cmd->res.data_len = 0;
	if (cmd->res.data_len) {
		uint32_t m = cmd->res.data_len < cmd->edtl ? cmd->res.data_len : cmd->edtl;
		uint8_t *dst = pool_ptr(&co->c->pool, &cmd->buf);

		if (dst && m)
			memcpy(dst, co->scratch, m);
		cmd->res.data_len = dst ? m : 0;
	}
	core_cmd_complete(co, cmd);
}
