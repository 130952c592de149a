/* Removable media in the core: START STOP UNIT with LOEJ ejects or loads,
 * PREVENT ALLOW MEDIUM REMOVAL is held per I_T nexus (cleared by its loss,
 * LOGICAL UNIT RESET and target reset), an ejected medium makes media access
 * NOT READY / MEDIUM NOT PRESENT, and the MMC commands of a CD/DVD LU
 * (scsi_mmc.c) run here because they see and change that state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_state.h"

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

	if (prevent_has(l, nx, &i)) {
		l->prevent[i] = l->prevent[--l->nprevent];
		core_state_dirty = true;
	}
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
	core_state_dirty = true;
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
	core_state_dirty = true;
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
		uint8_t ev = l->lu.media_event;

		scsi_mmc_emulate(&l->lu, cdb, co->scratch, co->scratch_len, &cmd->res);
		if (ev != l->lu.media_event)
			core_state_lazy = true; /* reported: at worst reported again */
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
	if (l->nprevent)
		core_state_dirty = true;
	l->nprevent = 0;
	l->lu.prevented = false;
}

/* ---- across core incarnations: key "media" of the state segment ----
 *
 * A core restart is invisible to the initiators (their sessions stay), so a
 * removable LU keeps what they did to it: an ejected medium stays out, a
 * pending media event is still reported, and each I_T nexus that prevented
 * removal still does (SBC-4: prevention ends only with ALLOW, the nexus'
 * loss or a reset). Prevention is saved by nexus (link and id, as the
 * segment's nexus table names them): a nexus the new core does not restore
 * (its frontend was replaced meanwhile) has lost it, as its loss would. */

static json_t *media_save(struct core *co)
{
	json_t *a = json_array();

	for (uint32_t t = 0; a && t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t i = 0; i < tg->nluns; i++) {
			const struct core_lun *l = &tg->luns[i];
			json_t *prev;

			if (!l->live || !l->lu.removable ||
			    (!l->lu.medium_out && !l->lu.media_event && !l->nprevent))
				continue;
			prev = json_array();
			for (uint32_t k = 0; k < l->nprevent; k++)
				json_array_append_new(prev, json_pack("[I, I]",
					(json_int_t)l->prevent[k]->link, (json_int_t)l->prevent[k]->id));
			json_array_append_new(a, json_pack("{s:s, s:i, s:b, s:i, s:o}",
				"target", tg->name, "lun", (int)l->lu.lun, "out", l->lu.medium_out,
				"event", (int)l->lu.media_event, "prevent", prev));
		}
	}
	if (a && !json_array_size(a)) {
		json_decref(a);
		a = NULL;
	}
	return a;
}

static bool media_int(json_t *v, json_int_t lo, json_int_t hi)
{
	return json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi;
}

static int media_check(struct core *co, json_t *v)
{
	json_t *e, *p;
	size_t i, k;

	(void)co;
	if (!json_is_array(v) || json_array_size(v) > 65536)
		return -EINVAL;
	json_array_foreach(v, i, e) {
		const char *tname = json_string_value(json_object_get(e, "target"));
		json_t *prev = json_object_get(e, "prevent");

		if (!json_is_object(e) || !tname || !*tname || strlen(tname) >= MSG_NAME_MAX ||
		    !media_int(json_object_get(e, "lun"), 0, 16383) ||
		    !json_is_boolean(json_object_get(e, "out")) ||
		    !media_int(json_object_get(e, "event"), SCSI_MEDIA_EV_NONE,
			       SCSI_MEDIA_EV_REMOVED) ||
		    !json_is_array(prev) || json_array_size(prev) > 65536)
			return -EINVAL;
		json_array_foreach(prev, k, p)
			if (!json_is_array(p) || json_array_size(p) != 2 ||
			    !media_int(json_array_get(p, 0), 0, UINT32_MAX) ||
			    !media_int(json_array_get(p, 1), 0, UINT32_MAX))
				return -EINVAL;
	}
	return 0;
}

static void media_apply(struct core *co, json_t *v)
{
	json_t *e, *p;
	size_t i, k;

	json_array_foreach(v, i, e) {
		struct core_target *t = core_config_target(&co->cfg,
			json_string_value(json_object_get(e, "target")));
		struct core_lun *l = t ? core_target_lun(t,
			(uint32_t)json_integer_value(json_object_get(e, "lun"))) : NULL;

		/* gone, or no longer removable: nothing to carry over */
		if (!l || !l->live || !l->lu.removable)
			continue;
		l->lu.medium_out = json_is_true(json_object_get(e, "out"));
		l->lu.media_event = (uint8_t)json_integer_value(json_object_get(e, "event"));
		json_array_foreach(json_object_get(e, "prevent"), k, p) {
			struct core_link *cl = core_link_get(co,
				(uint32_t)json_integer_value(json_array_get(p, 0)));
			struct core_nexus *nx = cl ? core_nexus_find(cl,
				(uint32_t)json_integer_value(json_array_get(p, 1))) : NULL;

			if (nx && nx->tgt == t && prevent_add(l, nx))
				log_warn("LUN %u: prevention of nexus %u not restored: no memory",
					 l->lu.lun, nx->id);
		}
		log_info("LUN %u: medium %s, %u nexus(es) preventing removal (state segment)",
			 l->lu.lun, l->lu.medium_out ? "ejected" : "loaded", l->nprevent);
	}
}

static const struct core_state_ext media_ext = {
	.key = "media", .save = media_save, .check = media_check, .apply = media_apply,
};

void core_media_state_register(void)
{
	core_state_register(&media_ext);
}
