/* The LUN table, targets and ACLs, from the "config" object of CTL_INIT. The
 * supervisor is trusted, but a bad table must stop the core with a clear
 * message rather than serve something half understood. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "procs/core/core.h"

#define CFG_ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

bool core_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* iSCSI names: printable ASCII without spaces, 1..223 bytes. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 223)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static int lun_cmp(const void *a, const void *b)
{
	const struct core_lun *x = a, *y = b;

	return x->lu.lun < y->lu.lun ? -1 : x->lu.lun > y->lu.lun;
}

static bool get_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

int core_config_lun_load(json_t *jl, struct core_target *t, uint32_t i, char *err, size_t errlen)
{
	struct core_lun *l = &t->luns[i];
	uint64_t v, size, bs;
	json_t *s;

	if (!json_is_object(jl))
		CFG_ERR("target %s: lun entry %u is not an object", t->name, i);
	if (!get_u64(jl, "lun", &v) || v > SCSI_LUN_MAX)
		CFG_ERR("target %s: lun entry %u: \"lun\" must be 0..%u", t->name, i, SCSI_LUN_MAX);
	l->lu.lun = (uint32_t)v;
	if (!get_u64(jl, "link", &v) || v > UINT32_MAX)
		CFG_ERR("target %s lun %u: \"link\" missing or invalid", t->name, l->lu.lun);
	l->link = (uint32_t)v;
	if (!get_u64(jl, "dev", &v) || v > UINT32_MAX)
		CFG_ERR("target %s lun %u: \"dev\" missing or invalid", t->name, l->lu.lun);
	l->dev = (uint32_t)v;
	if (!get_u64(jl, "block_size", &bs))
		bs = 512;
	/* "type": "cdrom": an MMC device of 2048-byte blocks, read-only, removable */
	s = json_object_get(jl, "type");
	if (s && (!json_is_string(s) || (strcmp(json_string_value(s), "disk") &&
					 strcmp(json_string_value(s), "cdrom"))))
		CFG_ERR("target %s lun %u: \"type\" must be disk or cdrom", t->name, l->lu.lun);
	if (s && !strcmp(json_string_value(s), "cdrom")) {
		l->lu.pdt = SCSI_PDT_CDROM;
		l->lu.removable = true;
		if (bs != 2048)
			CFG_ERR("target %s lun %u: a cdrom has 2048-byte blocks", t->name,
				l->lu.lun);
	} else if (bs != 512 && bs != 4096) {
		CFG_ERR("target %s lun %u: block_size must be 512 or 4096", t->name, l->lu.lun);
	}
	s = json_object_get(jl, "removable");
	if (s && !json_is_boolean(s))
		CFG_ERR("target %s lun %u: \"removable\" must be a boolean", t->name, l->lu.lun);
	if (json_is_true(s))
		l->lu.removable = true;
	if (!get_u64(jl, "size", &size) || size < bs || size % bs)
		CFG_ERR("target %s lun %u: size must be a positive multiple of block_size",
			t->name, l->lu.lun);
	l->lu.block_size = (uint32_t)bs;
	l->lu.block_shift = bs == 512 ? 9 : bs == 2048 ? 11 : 12;
	l->lu.nblocks = size / bs;
	/* 512-byte blocks on a 4096-byte medium (512e): READ CAPACITY(16) says so */
	if (get_u64(jl, "physical_block_size", &v)) {
		if ((v != bs && v != 4096) || v < bs)
			CFG_ERR("target %s lun %u: physical_block_size must be 512 or 4096, at "
				"least block_size", t->name, l->lu.lun);
		l->lu.lbppbe = v / bs == 8 ? 3 : 0;
	}
	s = json_object_get(jl, "backend");
	if (!json_is_string(s) || json_string_length(s) == 0 ||
	    json_string_length(s) >= sizeof(l->backend))
		CFG_ERR("target %s lun %u: \"backend\" missing or invalid", t->name, l->lu.lun);
	snprintf(l->backend, sizeof(l->backend), "%s", json_string_value(s));
	s = json_object_get(jl, "path");
	if (s && !json_is_string(s))
		CFG_ERR("target %s lun %u: \"path\" must be a string", t->name, l->lu.lun);
	if (s)
		snprintf(l->path, sizeof(l->path), "%s", json_string_value(s));
	s = json_object_get(jl, "readonly");
	if (s && !json_is_boolean(s))
		CFG_ERR("target %s lun %u: \"readonly\" must be a boolean", t->name, l->lu.lun);
	l->lu.readonly = s && json_is_true(s);
	s = json_object_get(jl, "thin");
	if (s && !json_is_boolean(s))
		CFG_ERR("target %s lun %u: \"thin\" must be a boolean", t->name, l->lu.lun);
	l->lu.thin = s && json_is_true(s);
	/* ram and null never spin; a file's medium is unknown to us */
	if (!strcmp(l->backend, "ram") || !strcmp(l->backend, "null"))
		l->lu.rotation = SCSI_ROT_NONE;
	else
		l->lu.rotation = SCSI_ROT_NOT_REPORTED;
	/* a file has the page cache in front of it, and SYNCHRONIZE CACHE flushes it;
	 * "cache": "writethrough" starts with WCE=0 (every write FUA) */
	l->lu.wcache = !strcmp(l->backend, "file");
	s = json_object_get(jl, "cache");
	if (s && (!json_is_string(s) || (strcmp(json_string_value(s), "writeback") &&
					 strcmp(json_string_value(s), "writethrough"))))
		CFG_ERR("target %s lun %u: \"cache\" must be writeback or writethrough",
			t->name, l->lu.lun);
	l->lu.wce = l->lu.wcache && !(s && !strcmp(json_string_value(s), "writethrough"));
	l->lu.wce_default = l->lu.wce;
	if (l->lu.pdt == SCSI_PDT_CDROM)
		l->lu.readonly = true;
	l->lu.ro_config = l->lu.readonly;
	if (get_u64(jl, "queue_depth", &v)) {
		if (v > 4096)
			CFG_ERR("target %s lun %u: queue_depth must be 0..4096", t->name, l->lu.lun);
		l->qd = (uint32_t)v;
	}
	l->lu.target_name = t->name;
	l->lu.rel_port = 1;
	l->index = i;
	l->tgt = t;
	return 0;
fail:
	return -1;
}

static int load_acl(json_t *e, struct core_target *t, char *err, size_t errlen)
{
	json_t *nm = json_is_object(e) ? json_object_get(e, "name") : e;
	struct core_acl *a = &t->acls[t->ninitiators];
	json_t *luns, *map, *ro, *v;
	const char *key;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->all = true;
	if (!json_is_string(nm) ||
	    (strcmp(json_string_value(nm), "*") && !name_ok(json_string_value(nm))))
		CFG_ERR("target %s: initiator %u is not a valid name", t->name, t->ninitiators);
	t->initiators[t->ninitiators] = strdup(json_string_value(nm));
	if (!t->initiators[t->ninitiators])
		CFG_ERR("out of memory");
	t->ninitiators++;
	if (!strcmp(json_string_value(nm), "*"))
		t->any_initiator = true;
	if (!json_is_object(e))
		return 0;
	ro = json_object_get(e, "readonly");
	a->readonly = json_is_true(ro);
	luns = json_object_get(e, "luns");
	map = json_object_get(e, "map");
	if ((luns && !json_is_array(luns)) || (map && !json_is_object(map)) ||
	    json_array_size(luns) + json_object_size(map) > CORE_MAX_LUNS)
		CFG_ERR("target %s initiator %s: bad luns or map", t->name, json_string_value(nm));
	if (!luns && !map)
		return 0;
	a->all = false;
	a->map = calloc(json_array_size(luns) + json_object_size(map) + 1, sizeof(*a->map));
	if (!a->map)
		CFG_ERR("out of memory");
	json_array_foreach(luns, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SCSI_LUN_MAX)
			CFG_ERR("target %s initiator %s: bad LUN in luns", t->name,
				json_string_value(nm));
		a->map[a->nmap].ilun = a->map[a->nmap].tlun = (uint32_t)json_integer_value(v);
		a->nmap++;
	}
	json_object_foreach(map, key, v) {
		char *end;
		long il = strtol(key, &end, 10);

		if (!*key || *end || il < 0 || il > SCSI_LUN_MAX || !json_is_integer(v) ||
		    json_integer_value(v) < 0 || json_integer_value(v) > SCSI_LUN_MAX)
			CFG_ERR("target %s initiator %s: bad map entry", t->name,
				json_string_value(nm));
		a->map[a->nmap].ilun = (uint32_t)il;
		a->map[a->nmap].tlun = (uint32_t)json_integer_value(v);
		a->nmap++;
	}
	return 0;
fail:
	return -1;
}

void core_config_index(struct core_target *t)
{
	uint32_t n = 0;

	/* slots are few and changes rare: an insertion sort by LUN number */
	for (uint32_t i = 0; i < t->nluns; i++) {
		uint32_t k;

		if (!t->luns[i].live)
			continue;
		for (k = n; k > 0 && t->lun_ids[k - 1] > t->luns[i].lu.lun; k--) {
			t->lun_ids[k] = t->lun_ids[k - 1];
			t->order[k] = t->order[k - 1];
		}
		t->lun_ids[k] = t->luns[i].lu.lun;
		t->order[k] = i;
		n++;
	}
	t->nlive = n;
}

int core_config_target_load(json_t *jt, struct core_target *t, char *err, size_t errlen)
{
	json_t *name = json_object_get(jt, "name");
	json_t *inits = json_object_get(jt, "initiators");
	json_t *luns = json_object_get(jt, "luns");
	size_t i;

	memset(t, 0, sizeof(*t));
	t->live = true;
	if (!json_is_string(name) || !name_ok(json_string_value(name)))
		CFG_ERR("target: \"name\" missing or not a valid iSCSI name");
	snprintf(t->name, sizeof(t->name), "%s", json_string_value(name));
	if (!json_is_array(inits) || json_array_size(inits) > CORE_MAX_INITIATORS)
		CFG_ERR("target %s: \"initiators\" must be an array of at most %d names",
			t->name, CORE_MAX_INITIATORS);
	t->initiators = calloc(json_array_size(inits) + 1, sizeof(char *));
	t->acls = calloc(json_array_size(inits) + 1, sizeof(*t->acls));
	if (!t->initiators || !t->acls)
		CFG_ERR("out of memory");
	for (i = 0; i < json_array_size(inits); i++)
		if (load_acl(json_array_get(inits, i), t, err, errlen))
			return -1;
	if (core_alua_config(t, jt, err, errlen))
		return -1;
	if (!json_is_array(luns) || json_array_size(luns) > CORE_MAX_LUNS)
		CFG_ERR("target %s: \"luns\" must be an array of at most %d", t->name, CORE_MAX_LUNS);
	t->nluns = (uint32_t)json_array_size(luns);
	/* every slot up front: LUs added live must never move the others,
	 * which commands point at (untouched slots cost no memory) */
	t->luns = calloc(CORE_MAX_LUNS, sizeof(*t->luns));
	t->lun_ids = calloc(CORE_MAX_LUNS, sizeof(uint32_t));
	t->order = calloc(CORE_MAX_LUNS, sizeof(uint32_t));
	if (!t->luns || !t->lun_ids || !t->order)
		CFG_ERR("out of memory");
	for (i = 0; i < t->nluns; i++)
		if (core_config_lun_load(json_array_get(luns, i), t, (uint32_t)i, err, errlen))
			return -1;
	qsort(t->luns, t->nluns, sizeof(*t->luns), lun_cmp);
	for (i = 0; i < t->nluns; i++) {
		if (i && t->luns[i].lu.lun == t->luns[i - 1].lu.lun)
			CFG_ERR("target %s: lun %u listed twice", t->name, t->luns[i].lu.lun);
		t->luns[i].index = (uint32_t)i;
		t->luns[i].live = true;
		scsi_lu_make_ids(&t->luns[i].lu);
	}
	core_config_index(t);
	return 0;
fail:
	return -1;
}

int core_config_load(json_t *cfg, struct core_config *out, char *err, size_t errlen)
{
	json_t *targets;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(cfg))
		CFG_ERR("\"config\" missing or not an object");
	targets = json_object_get(cfg, "targets");
	if (!json_is_array(targets) || json_array_size(targets) > CORE_MAX_TARGETS)
		CFG_ERR("config: \"targets\" must be an array of at most %d", CORE_MAX_TARGETS);
	out->ntargets = (uint32_t)json_array_size(targets);
	/* all slots: targets added live must not move those nexuses point at */
	out->targets = calloc(CORE_MAX_TARGETS, sizeof(*out->targets));
	if (!out->targets)
		CFG_ERR("out of memory");
	for (i = 0; i < out->ntargets; i++) {
		json_t *jt = json_array_get(targets, i);

		if (!json_is_object(jt))
			CFG_ERR("config: target %zu is not an object", i);
		if (core_config_target_load(jt, &out->targets[i], err, errlen))
			goto fail;
		for (j = 0; j < i; j++)
			if (core_name_eq(out->targets[j].name, out->targets[i].name))
				CFG_ERR("config: target %s listed twice", out->targets[i].name);
	}
	return 0;
fail:
	core_config_free(out);
	return -1;
}

void core_config_target_free(struct core_target *t)
{
	if (t->initiators)
		for (uint32_t j = 0; j < t->ninitiators; j++)
			free(t->initiators[j]);
	free(t->initiators);
	if (t->acls)
		for (uint32_t j = 0; j < t->ninitiators; j++)
			free(t->acls[j].map);
	free(t->acls);
	for (uint32_t j = 0; t->luns && j < t->nluns; j++) {
		scsi_pr_free(&t->luns[j].pr);
		free(t->luns[j].prevent);
	}
	free(t->luns);
	free(t->lun_ids);
	free(t->order);
	t->initiators = NULL;
	t->acls = NULL;
	t->luns = NULL;
	t->lun_ids = t->order = NULL;
	t->ninitiators = t->nluns = t->nlive = 0;
}

void core_config_free(struct core_config *cfg)
{
	for (uint32_t i = 0; cfg->targets && i < cfg->ntargets; i++)
		core_config_target_free(&cfg->targets[i]);
	free(cfg->targets);
	memset(cfg, 0, sizeof(*cfg));
}

struct core_target *core_config_target(struct core_config *cfg, const char *name)
{
	for (uint32_t i = 0; i < cfg->ntargets; i++)
		if (cfg->targets[i].live && core_name_eq(cfg->targets[i].name, name))
			return &cfg->targets[i];
	return NULL;
}

const struct core_acl *core_target_acl(const struct core_target *t, const char *initiator)
{
	const struct core_acl *any = NULL;

	if (!t->live)
		return NULL;
	for (uint32_t i = 0; i < t->ninitiators; i++) {
		if (core_name_eq(t->initiators[i], initiator))
			return &t->acls[i];
		if (!strcmp(t->initiators[i], "*"))
			any = &t->acls[i];
	}
	return any;
}

bool core_target_allows(const struct core_target *t, const char *initiator)
{
	return core_target_acl(t, initiator) != NULL;
}

struct core_lun *core_target_lun(struct core_target *t, uint32_t lun)
{
	uint32_t lo = 0, hi = t->nlive;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->lun_ids[mid] == lun)
			return &t->luns[t->order[mid]];
		if (t->lun_ids[mid] < lun)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
