/* Removable media in the core: START STOP UNIT with LOEJ ejects or loads,
 * PREVENT ALLOW MEDIUM REMOVAL is held per I_T nexus (cleared by its loss,
 * LOGICAL UNIT RESET and target reset), an ejected medium makes media access
 * NOT READY / MEDIUM NOT PRESENT, and the MMC commands of a CD/DVD LU
 * (scsi_mmc.c) run here because they see and change that state. */
#include <stdlib.h>

#include "common/log.h"
#include "procs/core/core.h"

static bool prevent_has(const struct core_lun *l, const struct core_nexus *nx, uint32_t *at)
{
	for (uint32_t i = 0; i < l->nprevent; i++)
		if (l->prevent[i] == nx) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

static void prevent_drop(struct core_lun *l, const struct core_nexus *nx)
{
	uint32_t i;

	if (prevent_has(l, nx, &i))
		l->prevent[i] = l->prevent[--l->nprevent];
	l->lu.prevented = l->nprevent != 0;
}

static int prevent_add(struct core_lun *l, const struct core_nexus *nx)
{
	if (prevent_has(l, nx, NULL))
		return 0;
	if (l->nprevent == l->prevent_cap) {
		uint32_t cap = l->prevent_cap ? 2 * l->prevent_cap : 4;
		const struct core_nexus **p = realloc(l->prevent, cap * sizeof(*p));

		if (!p)
			return -1;
		l->prevent = p;
		l->prevent_cap = cap;
	}
	l->prevent[l->nprevent++] = nx;
	l->lu.prevented = true;
	return 0;
}

bool core_media_gate(struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;

	if (!l || !l->lu.removable || !l->lu.medium_out || scsi_media_absent_ok(cmd->cdb))
		return false;
	scsi_check(&cmd->res, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
	return true;
}

static void start_stop(struct core_lun *l, const struct core_nexus *by, const uint8_t *cdb,
		       struct scsi_result *r)
{
	bool loej = cdb[4] & 0x02, start = cdb[4] & 0x01;

	/* LOEJ acts only with power condition START_VALID (SBC-3 5.25) */
	if (!loej || (cdb[4] >> 4))
		return;
	if (l->lu.prevented) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED);
		return;
	}
	if (start == !l->lu.medium_out)
		return;                 /* already loaded / already out */
	l->lu.medium_out = !start;
	l->lu.media_event = start ? SCSI_MEDIA_EV_NEW : SCSI_MEDIA_EV_REMOVED;
	/* the others learn that the medium may have changed (SBC/MMC: NOT
	 * READY TO READY CHANGE) */
	if (start)
		core_ua_raise(l->tgt, (int)l->index, SCSI_UA_MEDIUM_CHANGED, by);
	log_info("%s LUN %u: medium %s", l->tgt->name, l->lu.lun, start ? "loaded" : "ejected");
}

bool core_media_run(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	const uint8_t *cdb = cmd->cdb;

	if (!l || !l->lu.removable)
		return false;
	if (l->lu.pdt == SCSI_PDT_CDROM && scsi_mmc_is(cdb)) {
		scsi_mmc_emulate(&l->lu, cdb, co->scratch, co->scratch_len, &cmd->res);
		core_emul_finish(co, cmd);
		return true;
	}
	if (cdb[0] != START_STOP_UNIT && cdb[0] != PREVENT_ALLOW_MEDIUM_REMOVAL)
		return false;
	/* the field checks of the fixed-disk versions, then the medium */
	scsi_sbc_emulate(&l->lu, cdb, co->scratch, co->scratch_len, &cmd->res);
	if (cmd->res.status == SCSI_GOOD) {
		if (cdb[0] == START_STOP_UNIT)
			start_stop(l, cmd->nexus, cdb, &cmd->res);
		else if (!(cdb[4] & 0x01))
			prevent_drop(l, cmd->nexus);
		else if (cmd->nexus && prevent_add(l, cmd->nexus))
			scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
	}
	core_emul_finish(co, cmd);
	return true;
}

void core_media_nexus_lost(struct core_nexus *nx)
{
	for (uint32_t i = 0; nx->tgt && i < nx->tgt->nluns; i++)
		if (nx->tgt->luns[i].nprevent)
			prevent_drop(&nx->tgt->luns[i], nx);
}

void core_media_lun_reset(struct core_lun *l)
{
	l->nprevent = 0;
	l->lu.prevented = false;
}
