/* The "alua" key of a target in mtgtd.json:
 *   "alua": { "mode": "both" | "implicit" | "explicit" | "off",
 *             "transition_time": 0..255,
 *             "states": { "<portal group tag>": "standby", ... },
 *             "preferred": [portal group tags] }
 * Each portal group through which the target is reached is one target port
 * and one target port group (the core's model, procs/core/scsi_alua.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/sup_alua.h"

static int fail(char *err, size_t errlen, const char *what, const char *where)
{
	snprintf(err, errlen, "%s.alua: %s", where, what);
	return -EINVAL;
}

static bool state_ok(const char *s)
{
	static const char *const states[] = { "active/optimized", "active/non-optimized", "standby",
					      "unavailable", "transitioning", NULL };

	for (const char *const *p = states; s && *p; p++)
		if (!strcmp(s, *p))
			return true;
	return false;
}

int sup_alua_parse(json_t *v, struct sup_target *t, const char *where, char *err, size_t errlen)
{
	const char *key, *mode;
	json_t *e, *x;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_object(v))
		return fail(err, errlen, "must be an object", where);
	json_object_foreach(v, key, e)
		if (strcmp(key, "mode") && strcmp(key, "transition_time") && strcmp(key, "states") &&
		    strcmp(key, "preferred"))
			return fail(err, errlen, "unknown key (mode, transition_time, states, "
				    "preferred)", where);
	e = json_object_get(v, "mode");
	mode = json_string_value(e);
	if (e && (!mode || (strcmp(mode, "both") && strcmp(mode, "implicit") &&
			    strcmp(mode, "explicit") && strcmp(mode, "off"))))
		return fail(err, errlen, "mode must be both, implicit, explicit or off", where);
	e = json_object_get(v, "transition_time");
	if (e && (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255))
		return fail(err, errlen, "transition_time must be 0..255 seconds", where);
	e = json_object_get(v, "states");
	if (e && !json_is_object(e))
		return fail(err, errlen, "states must map portal group tags to states", where);
	json_object_foreach(e, key, x)
		if (!state_ok(json_string_value(x)))
			return fail(err, errlen, "states: active/optimized, active/non-optimized, "
				    "standby, unavailable or transitioning", where);
	e = json_object_get(v, "preferred");
	if (e && !json_is_array(e))
		return fail(err, errlen, "preferred must list portal group tags", where);
	json_array_foreach(e, i, x)
		if (!json_is_integer(x))
			return fail(err, errlen, "preferred must list portal group tags", where);
	t->alua = json_deep_copy(v);
	return t->alua ? 0 : fail(err, errlen, "out of memory", where);
}

static bool has_port(const struct sup_config *cfg, const struct sup_target *t, long id)
{
	if (t->ngroups) {
		for (uint32_t g = 0; g < t->ngroups; g++)
			if (t->groups[g] == id)
				return true;
		return false;
	}
	for (uint32_t p = 0; p < cfg->nportals; p++)
		if (cfg->portals[p].group == id)
			return true;
	return false;
}

int sup_alua_check_ports(const struct sup_config *cfg, const struct sup_target *t,
			 const char *where, char *err, size_t errlen)
{
	json_t *e, *s;
	const char *key;
	size_t i;

	if (!t->alua)
		return 0;
	e = json_object_get(t->alua, "states");
	json_object_foreach(e, key, s) {
		char *end;
		long id = strtol(key, &end, 10);

		if (!*key || *end || !has_port(cfg, t, id))
			return fail(err, errlen, "states: a key is not a portal group of the target",
				    where);
	}
	e = json_object_get(t->alua, "preferred");
	json_array_foreach(e, i, s)
		if (!has_port(cfg, t, (long)json_integer_value(s)))
			return fail(err, errlen, "preferred: not a portal group of the target", where);
	return 0;
}

json_t *sup_alua_ports(const struct sup_config *cfg, const struct sup_target *t)
{
	json_t *a = json_array();

	if (t->ngroups) {
		for (uint32_t g = 0; g < t->ngroups; g++)
			json_array_append_new(a, json_integer(t->groups[g]));
		return a;
	}
	for (uint32_t p = 0; p < cfg->nportals; p++) {
		bool dup = false;

		for (uint32_t q = 0; q < p; q++)
			dup |= cfg->portals[q].group == cfg->portals[p].group;
		if (!dup)
			json_array_append_new(a, json_integer(cfg->portals[p].group));
	}
	return a;
}
