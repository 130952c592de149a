/* LBA range exclusion for the commands that read and then write the same
 * blocks (COMPARE AND WRITE, ORWRITE): nothing else may write those blocks
 * between their read and their write, and they must not read while another
 * write to them is in flight.
 *
 *   a writer W may start unless an overlapping exclusive command E of the LU
 *   is running, or is older than W (so a stream of writes cannot starve E);
 *   an exclusive X may start unless an overlapping writer is running, or an
 *   overlapping exclusive is running or older than X.
 *
 * Each LU keeps its enrolled exclusive commands (lba_excl, few) and its
 * running writes (lba_running); a command is running from its start until
 * it leaves the task set (when it is answered). So a writer's check costs
 * the number of exclusive commands of the LU, nothing at all when there are
 * none, and an exclusive's the number of running writes. Held commands stay
 * in the task set and are retried when a command that could hold them back
 * leaves. Commands that do not overlap keep running in parallel.
 *
 * WRITE ATOMIC 16 is an exclusive that also excludes reads (SBC-4: a read
 * sees all old or all new data): reads are listed as running too, a read
 * does not start while an overlapping atomic write is running or older,
 * and an atomic write waits for overlapping running reads. */
#include "procs/core/core.h"

enum { LBA_NONE = 0, LBA_EXCL = 1, LBA_RUNNING = 2 };

static bool is_exclusive(const struct core_cmd *c)
{
	/* SANITIZE too: it must not start while a write is in flight */
	return c->io.blk == SCSI_BLK_CAW || c->io.blk == SCSI_BLK_ORWRITE ||
	       c->io.blk == SCSI_BLK_SANITIZE || c->io.atomic;
}

static bool is_writer(const struct core_cmd *c)
{
	if (c->kind != CK_CMD || c->emulated || !c->lun)
		return false;
	if (c->io.blk)
		return c->io.blk != SCSI_BLK_LBA_STATUS;
	return c->io.op == MSG_IO_WRITE;
}

/* READ and VERIFY: held back only by WRITE ATOMIC */
static bool is_reader(const struct core_cmd *c)
{
	return c->kind == CK_CMD && !c->emulated && c->lun && !c->io.blk &&
	       c->io.op == MSG_IO_READ;
}

/* UNMAP and EXTENDED COPY name their ranges in a parameter list, SANITIZE
 * covers everything: they count as the whole LU. */
static void range(const struct core_cmd *c, uint64_t *lo, uint64_t *hi)
{
	if (c->io.blk == SCSI_BLK_UNMAP || c->io.blk == SCSI_BLK_XCOPY ||
	    c->io.blk == SCSI_BLK_SANITIZE) {
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

void core_lba_enroll(struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;

	cmd->lba_seq = ++l->lba_seq;
	cmd->lba_on = LBA_NONE;
	if (is_writer(cmd) && is_exclusive(cmd)) {
		clist_push_back(&l->lba_excl, &cmd->xnode);
		cmd->lba_on = LBA_EXCL;
	}
}

bool core_lba_may_start(const struct core_cmd *cmd)
{
	const struct core_lun *l = cmd->lun;
	bool excl, reader = is_reader(cmd);

	if ((!reader && !is_writer(cmd)) || l->lba_excl.len == 0)
		return true;
	excl = is_exclusive(cmd);
	for (const struct clist_node *n = l->lba_excl.first; n; n = n->next) {
		const struct core_cmd *e = clist_entry(n, struct core_cmd, xnode);

		if (reader && !e->io.atomic)
			continue;
		if (e != cmd && overlap(e, cmd) && (e->started || e->lba_seq < cmd->lba_seq))
			return false;
	}
	if (!excl)
		return true;
	for (const struct clist_node *n = l->lba_running.first; n; n = n->next) {
		const struct core_cmd *w = clist_entry(n, struct core_cmd, xnode);

		if (overlap(w, cmd) && (cmd->io.atomic || !is_reader(w)))
			return false;
	}
	return true;
}

void core_lba_started(struct core_cmd *cmd)
{
	if (cmd->lba_on != LBA_NONE || !cmd->enrolled || (!is_writer(cmd) && !is_reader(cmd)))
		return;
	clist_push_back(&cmd->lun->lba_running, &cmd->xnode);
	cmd->lba_on = LBA_RUNNING;
}

bool core_lba_leave(struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	uint8_t on = cmd->lba_on;

	if (on == LBA_EXCL)
		clist_remove(&l->lba_excl, &cmd->xnode);
	else if (on == LBA_RUNNING)
		clist_remove(&l->lba_running, &cmd->xnode);
	cmd->lba_on = LBA_NONE;
	/* an exclusive leaving may free writers and exclusives; a running
	 * write leaving only matters to exclusives */
	return on == LBA_EXCL || (on == LBA_RUNNING && l->lba_excl.len);
}
