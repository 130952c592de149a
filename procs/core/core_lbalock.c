/* LBA range exclusion for the commands that read and then write the same
 * blocks (COMPARE AND WRITE, ORWRITE): nothing else may write those blocks
 * between their read and their write, and they must not read while another
 * write to them is in flight.
 *
 *   a writer W may start unless an overlapping exclusive command E of the LU
 *   is running, or is older than W (so a stream of writes cannot starve E);
 *   an exclusive X may start unless an overlapping writer or exclusive is
 *   running, or an overlapping exclusive is older than X.
 *
 * "Running" is started and still enrolled on the LU: a command leaves the
 * task set when it is answered, and the task set is rescanned then. Commands
 * that do not overlap keep running in parallel. With no exclusive command
 * enrolled on the LU (l->nexcl == 0) nothing is scanned. */
#include "procs/core/core.h"

static bool is_exclusive(const struct core_cmd *c)
{
	return c->io.blk == SCSI_BLK_CAW || c->io.blk == SCSI_BLK_ORWRITE;
}

static bool is_writer(const struct core_cmd *c)
{
	if (c->emulated)
		return false;
	if (c->io.blk)
		return c->io.blk != SCSI_BLK_LBA_STATUS;
	return c->io.op == MSG_IO_WRITE;
}

/* UNMAP names its ranges in a parameter list: it counts as the whole LU. */
static void range(const struct core_cmd *c, uint64_t *lo, uint64_t *hi)
{
	if (c->io.blk == SCSI_BLK_UNMAP) {
		*lo = 0;
		*hi = UINT64_MAX;
		return;
	}
	*lo = c->io.lba;
	*hi = c->io.lba + c->io.nblocks;
}

static bool overlap(const struct core_cmd *a, const struct core_cmd *b)
{
	uint64_t alo, ahi, blo, bhi;

	range(a, &alo, &ahi);
	range(b, &blo, &bhi);
	return alo < bhi && blo < ahi;
}

bool core_lba_excl(const struct core_cmd *cmd)
{
	return cmd->kind == CK_CMD && !cmd->emulated && is_exclusive(cmd);
}

bool core_lba_may_start(const struct core_cmd *cmd)
{
	const struct core_lun *l = cmd->lun;
	bool excl, older = true;

	if (cmd->emulated || !l || l->nexcl == 0 || !is_writer(cmd))
		return true;
	excl = is_exclusive(cmd);
	for (const struct clist_node *n = l->tasks.first; n; n = n->next) {
		const struct core_cmd *c = clist_entry(n, struct core_cmd, lnode);

		if (c == cmd) {
			older = false;
			continue;
		}
		if (!is_writer(c) || !overlap(c, cmd))
			continue;
		if (is_exclusive(c) && (c->started || older))
			return false;
		if (excl && c->started)
			return false;
	}
	return true;
}
