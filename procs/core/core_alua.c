/* ALUA in the core: each target's port groups from the config, the access
 * state check of every command, REPORT / SET TARGET PORT GROUPS with the
 * nexus' port, ASYMMETRIC ACCESS STATE CHANGED for the other nexuses, and the
 * state as plain data for the core state segment.
 *
 * Config (per target, from the supervisor):
 *   "ports": [tags]        the target's portal group tags = relative target
 *                           ports = target port groups (default [1])
 *   "alua": { "mode": "both" | "implicit" | "explicit" | "off",
 *             "transition_time": 0..255,
 *             "states": { "<tag>": "standby", ... },   (default active/optimized)
 *             "preferred": [tags] } */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"

#define CFG_ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int load_ports(struct core_target *t, json_t *ports, char *err, size_t errlen)
{
	struct scsi_alua *a = &t->alua;
	size_t i;
	json_t *v;

	if (!ports) {
		a->ngroups = 1;
		a->groups[0].id = 1;
		return 0;
	}
	if (!json_is_array(ports) || json_array_size(ports) == 0 ||
	    json_array_size(ports) > SCSI_ALUA_MAX_GROUPS)
		CFG_ERR("target %s: \"ports\" must list 1 to %d portal group tags", t->name,
			SCSI_ALUA_MAX_GROUPS);
	json_array_foreach(ports, i, v) {
		json_int_t id = json_is_integer(v) ? json_integer_value(v) : 0;

		if (id < 1 || id > 65535)
			CFG_ERR("target %s: ports[%zu] must be 1..65535", t->name, i);
		if (scsi_alua_group(a, (uint16_t)id))
			CFG_ERR("target %s: port %lld listed twice", t->name, (long long)id);
		a->groups[a->ngroups++].id = (uint16_t)id;
	}
	return 0;
}

static struct scsi_alua_group *group_named(struct core_target *t, const char *key)
{
	char *end;
	long id = strtol(key, &end, 10);

	if (*key == '\0' || *end || id < 1 || id > 65535)
		return NULL;
	return scsi_alua_group(&t->alua, (uint16_t)id);
}

int core_alua_config(struct core_target *t, json_t *jt, char *err, size_t errlen)
{
	struct scsi_alua *a = &t->alua;
	json_t *o = json_object_get(jt, "alua"), *v;
	const char *mode = "both", *key;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (load_ports(t, json_object_get(jt, "ports"), err, errlen))
		return -1;
	if (o && !json_is_object(o))
		CFG_ERR("target %s: \"alua\" must be an object", t->name);
	v = json_object_get(o, "mode");
	if (v && !json_is_string(v))
		CFG_ERR("target %s: alua.mode must be a string", t->name);
	if (v)
		mode = json_string_value(v);
	if (!strcmp(mode, "both"))
		a->tpgs = ALUA_TPGS_IMPLICIT | ALUA_TPGS_EXPLICIT;
	else if (!strcmp(mode, "implicit"))
		a->tpgs = ALUA_TPGS_IMPLICIT;
	else if (!strcmp(mode, "explicit"))
		a->tpgs = ALUA_TPGS_EXPLICIT;
	else if (strcmp(mode, "off"))
		CFG_ERR("target %s: alua.mode must be both, implicit, explicit or off", t->name);
	v = json_object_get(o, "transition_time");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255))
		CFG_ERR("target %s: alua.transition_time must be 0..255 seconds", t->name);
	a->trans_time = v ? (uint8_t)json_integer_value(v) : 0;
	v = json_object_get(o, "states");
	if (v && !json_is_object(v))
		CFG_ERR("target %s: alua.states must map portal group tags to states", t->name);
	json_object_foreach(v, key, o) {
		struct scsi_alua_group *g = group_named(t, key);
		int st = json_is_string(o) ? scsi_alua_state_parse(json_string_value(o)) : -1;

		if (!g)
			CFG_ERR("target %s: alua.states: \"%s\" is not a port of the target", t->name, key);
		if (st < 0)
			CFG_ERR("target %s: alua.states.%s: active/optimized, active/non-optimized, "
				"standby, unavailable or transitioning", t->name, key);
		g->state = (uint8_t)st;
	}
	v = json_object_get(json_object_get(jt, "alua"), "preferred");
	if (v && !json_is_array(v))
		CFG_ERR("target %s: alua.preferred must list portal group tags", t->name);
	json_array_foreach(v, i, o) {
		json_int_t id = json_is_integer(o) ? json_integer_value(o) : 0;
		struct scsi_alua_group *g = id >= 1 && id <= 65535 ?
					    scsi_alua_group(a, (uint16_t)id) : NULL;

		if (!g)
			CFG_ERR("target %s: alua.preferred[%zu] is not a port of the target",
				t->name, i);
		g->pref = 1;
	}
	return 0;
}

const struct scsi_lu *core_alua_lu_view(const struct core_cmd *cmd, struct scsi_lu *view)
{
	const struct core_lun *l = cmd->lun;

	*view = l->lu;
	if (cmd->nexus) {
		view->rel_port = cmd->nexus->port;
		view->tpgs = l->tgt->alua.tpgs;
		view->tpg_id = cmd->nexus->port; /* one group per port, same number */
		/* a read-only ACL entry: MODE SENSE shows WP to this initiator */
		view->readonly |= cmd->nexus->readonly;
	}
	return view;
}

bool core_alua_refuse(struct core *co, struct core_cmd *cmd)
{
	(void)co;
	if (!cmd->lun || !cmd->nexus)
		return false;
	return scsi_alua_refuse(&cmd->lun->tgt->alua, cmd->nexus->port, cmd->cdb, &cmd->res);
}

bool core_alua_run(struct core *co, struct core_cmd *cmd)
{
	struct core_target *t;
	uint8_t *param;
	uint32_t n;
	bool changed = false;

	if (!cmd->lun || !cmd->nexus || !scsi_alua_handles(cmd->cdb))
		return false;
	t = cmd->lun->tgt;
	if (cmd->cdb[0] == MAINTENANCE_IN) {
		scsi_report_tpgs(&t->alua, cmd->cdb, co->scratch, co->scratch_len, &cmd->res);
		core_emul_finish(co, cmd);
		return true;
	}
	if (core_emul_param(co, cmd, &param, &n)) {
		scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
	} else {
		scsi_set_tpgs(&t->alua, cmd->cdb, param, n, &cmd->res, &changed);
		free(param);
	}
	if (changed) {
		/* SPC-4: every I_T nexus but the one that asked, on every LU */
		core_ua_raise(t, -1, SCSI_UA_ALUA_CHANGED, cmd->nexus);
		log_info("target %s: SET TARGET PORT GROUPS from nexus %u", t->name,
			 cmd->nexus->id);
	}
	core_emul_finish(co, cmd);
	return true;
}

int core_alua_set_state(struct core_target *t, uint16_t group, uint8_t state)
{
	struct scsi_alua_group *g = scsi_alua_group(&t->alua, group);

	if (!g)
		return -ENOENT;
	if (state != ALUA_ACTIVE_OPTIMIZED && state != ALUA_ACTIVE_NON_OPTIMIZED &&
	    state != ALUA_STANDBY && state != ALUA_UNAVAILABLE && state != ALUA_TRANSITIONING)
		return -EINVAL;
	if (g->state == state)
		return 0;
	g->state = state;
	g->status = ALUA_STATUS_IMPLICIT;
	core_ua_raise(t, -1, SCSI_UA_ALUA_CHANGED, NULL);
	log_info("target %s: port group %u is now %s (implicit)", t->name, group,
		 scsi_alua_state_name(state));
	return 0;
}

void core_alua_adopt(struct core_target *t, const struct core_target *old)
{
	struct scsi_alua prev = old->alua;

	for (uint16_t i = 0; i < t->alua.ngroups && i < SCSI_ALUA_MAX_GROUPS; i++) {
		struct scsi_alua_group *g = &t->alua.groups[i];
		const struct scsi_alua_group *o = scsi_alua_group(&prev, g->id);

		if (o) {
			g->state = o->state;
			g->status = o->status;
		}
	}
}

/* ---- state segment ----
 * A header, then one record per target: its name and struct scsi_alua as
 * is (no pointers). Loading matches targets by name and groups by id, so a
 * config that changed meanwhile keeps what still applies. */

#define ALUA_STATE_MAGIC   0x41554c41u /* "ALUA" */
#define ALUA_STATE_VERSION 1u

struct alua_state_hdr {
	uint32_t magic, version, ntargets, rec_size;
};

struct alua_state_rec {
	char name[MSG_NAME_MAX];
	struct scsi_alua alua;
};

size_t core_alua_state_size(const struct core *co)
{
	return sizeof(struct alua_state_hdr) + co->cfg.ntargets * sizeof(struct alua_state_rec);
}

size_t core_alua_save(const struct core *co, void *buf, size_t cap)
{
	struct alua_state_hdr h = { ALUA_STATE_MAGIC, ALUA_STATE_VERSION, co->cfg.ntargets,
				    sizeof(struct alua_state_rec) };
	uint8_t *p = buf;

	if (cap < core_alua_state_size(co))
		return 0;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (uint32_t i = 0; i < co->cfg.ntargets; i++) {
		struct alua_state_rec rec;

		memset(&rec, 0, sizeof(rec));
		snprintf(rec.name, sizeof(rec.name), "%s", co->cfg.targets[i].name);
		rec.alua = co->cfg.targets[i].alua;
		memcpy(p, &rec, sizeof(rec));
		p += sizeof(rec);
	}
	return core_alua_state_size(co);
}

int core_alua_load(struct core *co, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct alua_state_hdr h;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, p, sizeof(h));
	if (h.magic != ALUA_STATE_MAGIC || h.version != ALUA_STATE_VERSION ||
	    h.rec_size != sizeof(struct alua_state_rec) ||
	    h.ntargets > (len - sizeof(h)) / sizeof(struct alua_state_rec))
		return -EINVAL;
	p += sizeof(h);
	for (uint32_t i = 0; i < h.ntargets; i++, p += sizeof(struct alua_state_rec)) {
		struct alua_state_rec rec;
		struct core_target *t;

		memcpy(&rec, p, sizeof(rec));
		rec.name[MSG_NAME_MAX - 1] = '\0';
		t = core_config_target(&co->cfg, rec.name);
		if (!t)
			continue;
		for (uint16_t k = 0; k < rec.alua.ngroups && k < SCSI_ALUA_MAX_GROUPS; k++) {
			const struct scsi_alua_group *src = &rec.alua.groups[k];
			struct scsi_alua_group *g = scsi_alua_group(&t->alua, src->id);
			int st = scsi_alua_state_parse(scsi_alua_state_name(src->state));

			if (!g || st < 0)
				continue;   /* a group no longer configured, or garbage */
			g->state = (uint8_t)st;
			g->status = src->status <= ALUA_STATUS_IMPLICIT ? src->status : 0;
		}
	}
	return 0;
}
