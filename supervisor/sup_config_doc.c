/* The "admin" block of the config, and the configuration kept as a JSON
 * document: live changes edit the document and reload it through the same
 * parser as `mtgtd -c`, so what config.save writes is always what mtgtd reads. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/sup_config.h"

int sup_admin_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen)
{
	const char *key;
	json_t *e;

	cfg->admin_idle_ms = 30000;
	if (!v)
		return 0;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "admin: must be {\"group\", \"idle_timeout_ms\", "
			 "\"save_on_change\"}");
		return -EINVAL;
	}
	json_object_foreach(v, key, e) {
		if (!strcmp(key, "group")) {
			if (!json_is_string(e) || !*json_string_value(e)) {
				snprintf(err, errlen, "admin.group: must be a group name");
				return -EINVAL;
			}
			if (!getgrnam(json_string_value(e))) {
				snprintf(err, errlen, "admin.group: no group \"%.64s\"",
					 json_string_value(e));
				return -EINVAL;
			}
			cfg->admin_group = strdup(json_string_value(e));
		} else if (!strcmp(key, "idle_timeout_ms")) {
			if (!json_is_integer(e) || json_integer_value(e) < 100 ||
			    json_integer_value(e) > 3600000) {
				snprintf(err, errlen, "admin.idle_timeout_ms: must be 100..3600000");
				return -EINVAL;
			}
			cfg->admin_idle_ms = (uint32_t)json_integer_value(e);
		} else if (!strcmp(key, "save_on_change")) {
			if (!json_is_boolean(e)) {
				snprintf(err, errlen, "admin.save_on_change: must be true or false");
				return -EINVAL;
			}
			cfg->save_on_change = json_is_true(e);
		} else {
			snprintf(err, errlen, "admin.%.32s: unknown field", key);
			return -EINVAL;
		}
	}
	return 0;
}

int sup_backends_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen)
{
	size_t i;
	json_t *e;

	if (v && !json_is_array(v)) {
		snprintf(err, errlen, "start_backends: must list backend kinds (file, null, ram) "
			 "to run even before a LUN uses them");
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		int b;

		for (b = 0; b < SUP_BE_COUNT; b++)
			if (json_is_string(e) && !strcmp(json_string_value(e), sup_backend_name(b)))
				break;
		if (b == SUP_BE_COUNT) {
			snprintf(err, errlen, "start_backends[%zu]: not file, null or ram", i);
			return -EINVAL;
		}
		cfg->backend_always[b] = true;
	}
	return 0;
}

/* Relative paths were resolved against mtgtd's directory at load time; the
 * saved file must mean the same wherever it is read from. */
json_t *sup_config_doc(const struct sup_config *cfg, json_t *root)
{
	json_t *doc = json_deep_copy(root), *targets = json_object_get(doc, "targets");

	json_object_set_new(doc, "admin_socket", json_string(cfg->admin_socket));
	json_object_set_new(doc, "state_dir", json_string(cfg->state_dir));
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		json_t *luns = json_object_get(json_array_get(targets, i), "luns");

		for (uint32_t k = 0; k < cfg->targets[i].nluns; k++)
			if (cfg->targets[i].luns[k].path)
				json_object_set_new(json_array_get(luns, k), "path",
						    json_string(cfg->targets[i].luns[k].path));
	}
	return doc;
}
