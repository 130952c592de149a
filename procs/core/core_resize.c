/* A LUN's capacity changed (the supervisor resized its store): new block
 * count, and every nexus hears CAPACITY DATA HAS CHANGED (2A/09) on its next
 * command to that LU. */
#include <stdlib.h>

#include "common/log.h"
#include "procs/core/core.h"

void core_lun_resize(struct core *co, const struct ctl_msg *m)
{
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	const char *tname = json_string_value(json_object_get(j, "target"));
	json_t *jl = json_object_get(j, "lun"), *js = json_object_get(j, "size");
	struct core_target *t = tname ? core_config_target(&co->cfg, tname) : NULL;
	struct core_lun *l = NULL;
	uint64_t size;

	if (t && json_is_integer(jl) && json_integer_value(jl) >= 0 &&
	    json_integer_value(jl) <= SCSI_LUN_MAX)
		l = core_target_lun(t, (uint32_t)json_integer_value(jl));
	if (!l || !json_is_integer(js) || json_integer_value(js) <= 0) {
		log_warn("LUN_RESIZE: bad request %s", m->data ? m->data : "");
		json_decref(j);
		return;
	}
	size = (uint64_t)json_integer_value(js);
	if (size % l->lu.block_size) {
		log_warn("LUN_RESIZE: %s LUN %u: %llu bytes is not whole blocks", t->name,
			 l->lu.lun, (unsigned long long)size);
		json_decref(j);
		return;
	}
	log_info("%s LUN %u: capacity %llu -> %llu blocks", t->name, l->lu.lun,
		 (unsigned long long)l->lu.nblocks, (unsigned long long)(size / l->lu.block_size));
	l->lu.nblocks = size / l->lu.block_size;
	core_ua_raise(t, (int)l->index, SCSI_UA_CAPACITY_CHANGED, NULL);
	json_decref(j);
}
