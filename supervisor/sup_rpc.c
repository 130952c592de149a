/* Admin methods that change targets, LUNs, ACLs and CHAP live. Each edits a
 * copy of the configuration document and hands it to sup_live_apply(), so a
 * change is checked exactly as `mtgtd -c` checks a file, and applied the same
 * way a `config load` is. Parameters arrive checked against the schema
 * (common/rpc_schema.c); here we check what needs the running config, and
 * name the parameter at fault in every error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/rpc_schema.h"
#include "supervisor/sup_live.h"

static char errbuf[1024];

const char *sup_rpc_errf(int *code, int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	*code = c;
	return errbuf;
}

static const char *pstr(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

static json_t *doc_target(json_t *doc, const char *name, size_t *idx)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(doc, "targets"), i, t)
		if (!strcasecmp(json_string_value(json_object_get(t, "name")) ?: "", name)) {
			if (idx)
				*idx = i;
			return t;
		}
	return NULL;
}

static json_t *doc_lun(json_t *t, uint32_t lun, size_t *idx)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(t, "luns"), i, l)
		if (json_integer_value(json_object_get(l, "lun")) == lun) {
			if (idx)
				*idx = i;
			return l;
		}
	return NULL;
}

/* Apply an edited document; the result is the list of changes. */
static json_t *apply(struct sup *s, json_t *doc, int *code, const char **msg)
{
	char err[768];
	json_t *diff;
	int r = sup_live_apply(s, doc, false, &diff, err, sizeof(err));

	json_decref(doc);
	if (r) {
		*msg = sup_rpc_errf(code, r == -ESHUTDOWN ? RPC_E_BUSY : r == -EINVAL ? RPC_E_PARAMS
								       : RPC_E_FAILED, "%s", err);
		return NULL;
	}
	return json_pack("{s:o}", "changes", diff);
}

#define NEED_TARGET(doc, params, t)                                                          \
	do {                                                                                 \
		t = doc_target(doc, pstr(params, "target"), NULL);                           \
		if (!t) {                                                                    \
			json_decref(doc);                                                    \
			*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND,                           \
					    "params.target: no target %.230s (see target list)", \
					    pstr(params, "target"));                         \
			return NULL;                                                         \
		}                                                                            \
	} while (0)

/* ---- targets ---- */

static json_t *rpc_target_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];

		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:b, s:i}", "name", t->name,
						   "luns", t->nluns, "initiators", t->ninitiators,
						   "chap", t->chap.set, "max_sessions",
						   t->max_sessions));
	}
	return a;
}

static json_t *rpc_target_add(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *name = pstr(params, "target"), *why;
	json_t *doc, *t;

	if ((why = sup_iscsi_name_check(name)))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.target: \"%.230s\" is not an iSCSI name: %s", name, why), NULL);
	doc = json_deep_copy(s->cfg.doc);
	if (doc_target(doc, name, NULL)) {
		json_decref(doc);
		*msg = sup_rpc_errf(code, RPC_E_EXISTS, "params.target: %.230s already exists", name);
		return NULL;
	}
	t = json_pack("{s:s, s:[], s:[]}", "name", name, "luns", "initiators");
	if (json_object_get(params, "max_sessions"))
		json_object_set(t, "max_sessions", json_object_get(params, "max_sessions"));
	json_array_append_new(json_object_get(doc, "targets"), t);
	return apply(s, doc, code, msg);
}

static json_t *rpc_target_del(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *doc = json_deep_copy(s->cfg.doc), *t;
	size_t idx;

	t = doc_target(doc, pstr(params, "target"), &idx);
	if (!t) {
		json_decref(doc);
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.target: no target %.230s",
				    pstr(params, "target"));
		return NULL;
	}
	if (json_array_size(json_object_get(t, "luns")) &&
	    !json_is_true(json_object_get(params, "force"))) {
		*msg = sup_rpc_errf(code, RPC_E_FAILED, "params.target: %.230s still has %zu LUNs "
				    "(delete them first, or --force)", pstr(params, "target"),
				    json_array_size(json_object_get(t, "luns")));
		json_decref(doc);
		return NULL;
	}
	json_array_remove(json_object_get(doc, "targets"), idx);
	return apply(s, doc, code, msg);
}

/* ---- LUNs ---- */

static json_t *rpc_lun_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *only = pstr(params, "target");
	json_t *a = json_array();
	bool found = !only;

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];

		if (only && strcasecmp(only, t->name))
			continue;
		found = true;
		for (uint32_t k = 0; k < t->nluns; k++) {
			struct sup_lun *l = &t->luns[k];

			json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:s, s:I, s:i, s:b, s:b}",
				"target", t->name, "lun", l->lun, "backend",
				sup_backend_name(l->backend), "path", l->path ? l->path : "-",
				"size", (json_int_t)l->size, "block_size", l->block_size, "readonly",
				l->readonly, "thin", l->thin));
		}
	}
	if (!found) {
		json_decref(a);
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.target: no target %.230s", only);
		return NULL;
	}
	return a;
}

static int size_param(json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	return sup_parse_size(json_string_value(v), out);
}

static json_t *rpc_lun_add(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *be = pstr(params, "backend"), *path = pstr(params, "path");
	uint32_t lun = (uint32_t)json_integer_value(json_object_get(params, "lun"));
	json_t *doc, *t, *l, *v;
	uint64_t size = 0;
	struct stat st;

	if (strcmp(be, "file") && strcmp(be, "null") && strcmp(be, "ram"))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.backend: \"%.32s\" is not file, null or ram", be), NULL);
	if (lun >= SUP_MAX_LUNS)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.lun: must be 0..%d", SUP_MAX_LUNS - 1), NULL);
	v = json_object_get(params, "size");
	if (v && (size_param(v, &size) || size == 0))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.size: not a size (bytes, or e.g. 512M, 10G)"), NULL);
	v = json_object_get(params, "block_size");
	if (v && json_integer_value(v) != 512 && json_integer_value(v) != 4096)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.block_size: must be 512 or 4096"), NULL);
	if (size && size < (v ? (uint64_t)json_integer_value(v) : 512))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.size: smaller than one block"), NULL);
	if (!strcmp(be, "file")) {
		if (!path)
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
				"params.path: required for a file LUN"), NULL);
		if (path[0] != '/')
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
				"params.path: must be absolute"), NULL);
		if (stat(path, &st) < 0 && !size)
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
				"params.path: %.512s: %s (give --size to create it)", path,
				strerror(errno)), NULL);
	} else {
		if (path)
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
				"params.path: only a file LUN has a path"), NULL);
		if (!size)
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
				"params.size: required for a %s LUN", be), NULL);
	}
	doc = json_deep_copy(s->cfg.doc);
	NEED_TARGET(doc, params, t);
	if (doc_lun(t, lun, NULL)) {
		json_decref(doc);
		*msg = sup_rpc_errf(code, RPC_E_EXISTS, "params.lun: %.230s already has LUN %u",
				    pstr(params, "target"), lun);
		return NULL;
	}
	l = json_pack("{s:i, s:s}", "lun", lun, "backend", be);
	if (path)
		json_object_set_new(l, "path", json_string(path));
	if (size)
		json_object_set_new(l, "size", json_integer((json_int_t)size));
	if ((v = json_object_get(params, "block_size")))
		json_object_set(l, "block_size", v);
	if (json_is_true(json_object_get(params, "thin")))
		json_object_set_new(l, "thin", json_true());
	if (json_is_true(json_object_get(params, "readonly")))
		json_object_set_new(l, "readonly", json_true());
	if (!json_object_get(t, "luns"))
		json_object_set_new(t, "luns", json_array());
	json_array_append_new(json_object_get(t, "luns"), l);
	return apply(s, doc, code, msg);
}

/* Initiators' LUN maps may name the LUN going away: forget it there too. */
static void acl_forget_lun(json_t *t, uint32_t lun)
{
	size_t i, k;
	json_t *e, *v;

	json_array_foreach(json_object_get(t, "initiators"), i, e) {
		json_t *luns = json_object_get(e, "luns"), *map = json_object_get(e, "map");
		const char *key;
		void *tmp;

		for (k = json_array_size(luns); k-- > 0;)
			if (json_integer_value(json_array_get(luns, k)) == lun)
				json_array_remove(luns, k);
		json_object_foreach_safe(map, tmp, key, v)
			if (json_integer_value(v) == lun)
				json_object_del(map, key);
	}
}

static json_t *rpc_lun_del(struct sup *s, json_t *params, int *code, const char **msg)
{
	uint32_t lun = (uint32_t)json_integer_value(json_object_get(params, "lun"));
	json_t *doc = json_deep_copy(s->cfg.doc), *t;
	size_t idx;

	NEED_TARGET(doc, params, t);
	if (!doc_lun(t, lun, &idx)) {
		json_decref(doc);
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.lun: %.230s has no LUN %u",
				    pstr(params, "target"), lun);
		return NULL;
	}
	json_array_remove(json_object_get(t, "luns"), idx);
	acl_forget_lun(t, lun);
	return apply(s, doc, code, msg);
}

/* Grow or shrink: the mechanics are sup_lun_resize() (sup_lun.c: the file,
 * then backend and core in the safe order); here the parameters are checked
 * by name and the configuration document follows. */
static json_t *rpc_lun_resize(struct sup *s, json_t *params, int *code, const char **msg)
{
	uint32_t lun = (uint32_t)json_integer_value(json_object_get(params, "lun"));
	const char *tn = pstr(params, "target");
	struct sup_target *t = NULL;
	struct sup_lun *l = NULL;
	char err[256], line[300];
	uint64_t size, old;
	json_t *jt, *jl;
	int r;

	if (size_param(json_object_get(params, "size"), &size) || !size)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.size: not a size (bytes, or e.g. 512M, 10G)"), NULL);
	for (uint32_t i = 0; i < s->cfg.ntargets && !t; i++)
		if (!strcasecmp(s->cfg.targets[i].name, tn))
			t = &s->cfg.targets[i];
	if (!t)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND,
			"params.target: no target %.230s (see target list)", tn), NULL);
	for (uint32_t k = 0; k < t->nluns && !l; k++)
		if (t->luns[k].lun == lun)
			l = &t->luns[k];
	if (!l)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND,
			"params.lun: %.230s has no LUN %u", tn, lun), NULL);
	old = l->size;
	if (size == old)
		return json_pack("{s:[]}", "changes");
	r = sup_lun_resize(s, t->name, lun, size, err, sizeof(err));
	if (r)
		return (void *)(*msg = sup_rpc_errf(code, r == -EINVAL ? RPC_E_PARAMS : RPC_E_FAILED,
			"params.size: %s", err), NULL);
	jt = doc_target(s->cfg.doc, t->name, NULL);
	jl = jt ? doc_lun(jt, lun, NULL) : NULL;
	if (jl)
		json_object_set_new(jl, "size", json_integer((json_int_t)l->size));
	if (s->cfg.save_on_change && sup_config_save(s, NULL, err, sizeof(err)))
		log_warn("admin.save_on_change: %s", err);
	snprintf(line, sizeof(line), "~ lun %s %u size %llu -> %llu", t->name, lun,
		 (unsigned long long)old, (unsigned long long)l->size);
	return json_pack("{s:[s]}", "changes", line);
}

/* ---- ACLs ---- */

static json_t *rpc_acl_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *only = pstr(params, "target");
	json_t *a = json_array();
	bool found = !only;

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];

		if (only && strcasecmp(only, t->name))
			continue;
		found = true;
		for (uint32_t k = 0; k < t->ninitiators; k++) {
			const struct sup_acl *acl = &t->acls[k];
			char luns[512] = "all";
			size_t n = 0;

			if (!acl->all) {
				luns[0] = 0;
				for (uint32_t m = 0; m < acl->nmap && n < sizeof(luns) - 24; m++) {
					if (acl->map[m].ilun == acl->map[m].tlun)
						n += (size_t)snprintf(luns + n, sizeof(luns) - n, "%s%u",
								      m ? "," : "", acl->map[m].tlun);
					else
						n += (size_t)snprintf(luns + n, sizeof(luns) - n,
								      "%s%u=%u", m ? "," : "",
								      acl->map[m].ilun, acl->map[m].tlun);
				}
				if (!acl->nmap)
					snprintf(luns, sizeof(luns), "none");
			}
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b}", "target", t->name,
				"initiator", t->initiators[k], "luns", luns, "readonly",
				acl->readonly));
		}
	}
	if (!found) {
		json_decref(a);
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.target: no target %.230s", only);
		return NULL;
	}
	return a;
}

static json_t *find_initiator(json_t *t, const char *name, size_t *idx)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(t, "initiators"), i, e) {
		const char *n = json_string_value(json_is_object(e) ? json_object_get(e, "name") : e);

		if (n && !strcasecmp(n, name)) {
			*idx = i;
			return e;
		}
	}
	return NULL;
}

static json_t *rpc_acl_add(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *ini = pstr(params, "initiator"), *why, *key;
	json_t *luns = json_object_get(params, "luns"), *map = json_object_get(params, "map");
	json_t *doc, *t, *e, *v;
	size_t idx, i;

	if (strcmp(ini, "*") && (why = sup_iscsi_name_check(ini)))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.initiator: \"%.230s\" is not an iSCSI name: %s", ini, why), NULL);
	doc = json_deep_copy(s->cfg.doc);
	NEED_TARGET(doc, params, t);
	json_array_foreach(luns, i, v)
		if (!doc_lun(t, (uint32_t)json_integer_value(v), NULL)) {
			json_decref(doc);
			*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.luns: %.230s has no LUN "
					    "%lld", pstr(params, "target"),
					    (long long)json_integer_value(v));
			return NULL;
		}
	json_object_foreach(map, key, v) {
		if (!doc_lun(t, (uint32_t)json_integer_value(v), NULL)) {
			json_decref(doc);
			*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.map: %.230s has no LUN "
					    "%lld", pstr(params, "target"),
					    (long long)json_integer_value(v));
			return NULL;
		}
		json_array_foreach(luns, i, e)
			if (json_integer_value(e) == atoi(key)) {
				json_decref(doc);
				*msg = sup_rpc_errf(code, RPC_E_PARAMS, "params.map: LUN %s is also "
						    "in luns", key);
				return NULL;
			}
	}
	if (!luns && !map && !json_is_true(json_object_get(params, "readonly"))) {
		e = json_string(ini);
	} else {
		e = json_pack("{s:s}", "name", ini);
		if (luns)
			json_object_set(e, "luns", luns);
		if (map)
			json_object_set(e, "map", map);
		if (json_is_true(json_object_get(params, "readonly")))
			json_object_set_new(e, "readonly", json_true());
	}
	if (!json_object_get(t, "initiators"))
		json_object_set_new(t, "initiators", json_array());
	if (find_initiator(t, ini, &idx))
		json_array_set_new(json_object_get(t, "initiators"), idx, e);
	else
		json_array_append_new(json_object_get(t, "initiators"), e);
	return apply(s, doc, code, msg);
}

static json_t *rpc_acl_del(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *doc = json_deep_copy(s->cfg.doc), *t;
	size_t idx;

	NEED_TARGET(doc, params, t);
	if (!find_initiator(t, pstr(params, "initiator"), &idx)) {
		json_decref(doc);
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.initiator: %.230s is not in the "
				    "ACL of %.230s", pstr(params, "initiator"),
				    pstr(params, "target"));
		return NULL;
	}
	json_array_remove(json_object_get(t, "initiators"), idx);
	return apply(s, doc, code, msg);
}

/* ---- CHAP ---- */

static json_t *chap_owner(json_t *doc, json_t *params, int *code, const char **msg)
{
	bool disc = json_is_true(json_object_get(params, "discovery"));
	const char *tn = pstr(params, "target");
	json_t *t;

	if (disc == !!tn) {
		*msg = sup_rpc_errf(code, RPC_E_PARAMS, disc ? "params.target: not with discovery"
							     : "params.target: required (or --discovery)");
		return NULL;
	}
	if (disc)
		return doc;
	t = doc_target(doc, tn, NULL);
	if (!t)
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.target: no target %.230s", tn);
	return t;
}

static json_t *rpc_chap_set(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *sec = pstr(params, "secret"), *msec = pstr(params, "mutual_secret");
	json_t *doc, *owner, *c;

	if (strlen(sec) < SUP_CHAP_SECRET_MIN || strlen(sec) > 255)
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.secret: must have %d to 255 bytes", SUP_CHAP_SECRET_MIN), NULL);
	if (msec && (strlen(msec) < SUP_CHAP_SECRET_MIN || strlen(msec) > 255))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.mutual_secret: must have %d to 255 bytes", SUP_CHAP_SECRET_MIN), NULL);
	if (!msec != !pstr(params, "mutual_user"))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.%s: mutual_user and mutual_secret go together",
			msec ? "mutual_user" : "mutual_secret"), NULL);
	if (msec && !strcmp(msec, sec))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.mutual_secret: must differ from secret"), NULL);
	doc = json_deep_copy(s->cfg.doc);
	if (!(owner = chap_owner(doc, params, code, msg))) {
		json_decref(doc);
		return NULL;
	}
	c = json_pack("{s:s, s:s}", "user", pstr(params, "user"), "secret", sec);
	if (msec)
		json_object_update_new(c, json_pack("{s:s, s:s}", "mutual_user",
						    pstr(params, "mutual_user"), "mutual_secret",
						    msec));
	json_object_set_new(owner, owner == doc ? "discovery_chap" : "chap", c);
	return apply(s, doc, code, msg);
}

static json_t *rpc_chap_clear(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *doc = json_deep_copy(s->cfg.doc), *owner;

	if (!(owner = chap_owner(doc, params, code, msg))) {
		json_decref(doc);
		return NULL;
	}
	json_object_del(owner, owner == doc ? "discovery_chap" : "chap");
	return apply(s, doc, code, msg);
}

/* ---- portals ---- */

static json_t *rpc_portal_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < s->cfg.nportals; i++)
		json_array_append_new(a, json_pack("{s:s, s:i}", "address", s->cfg.portals[i].text,
						   "group", s->cfg.portals[i].group));
	return a;
}

static const char *portal_addr(json_t *e)
{
	return json_string_value(json_is_object(e) ? json_object_get(e, "address") : e);
}

static json_t *rpc_portal_add(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *addr = pstr(params, "address");
	json_t *g = json_object_get(params, "group"), *doc, *ps, *e;
	size_t i;

	if (g && (json_integer_value(g) < 1 || json_integer_value(g) > 65535))
		return (void *)(*msg = sup_rpc_errf(code, RPC_E_PARAMS,
			"params.group: must be 1..65535"), NULL);
	doc = json_deep_copy(s->cfg.doc);
	ps = json_object_get(doc, "portals");
	json_array_foreach(ps, i, e)
		if (!strcmp(portal_addr(e) ?: "", addr)) {
			json_decref(doc);
			return (void *)(*msg = sup_rpc_errf(code, RPC_E_EXISTS,
				"params.address: %.64s is already a portal", addr), NULL);
		}
	json_array_append_new(ps, g ? json_pack("{s:s, s:O}", "address", addr, "group", g)
				    : json_string(addr));
	{
		json_t *r = apply(s, doc, code, msg);

		if (!r && strstr(*msg, "not \"IPv4:port\""))
			*msg = sup_rpc_errf(code, RPC_E_PARAMS, "params.address: \"%.64s\" is not "
					    "IPv4:port or [IPv6]:port", addr);
		return r;
	}
}

static json_t *rpc_portal_del(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *addr = pstr(params, "address");
	json_t *doc = json_deep_copy(s->cfg.doc), *ps = json_object_get(doc, "portals"), *e;
	size_t i;

	json_array_foreach(ps, i, e)
		if (!strcmp(portal_addr(e) ?: "", addr)) {
			if (json_array_size(ps) == 1) {
				json_decref(doc);
				return (void *)(*msg = sup_rpc_errf(code, RPC_E_FAILED,
					"params.address: %.64s is the last portal", addr), NULL);
			}
			json_array_remove(ps, i);
			return apply(s, doc, code, msg);
		}
	json_decref(doc);
	return (void *)(*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND,
		"params.address: %.64s is not a portal (see portal list)", addr), NULL);
}

const struct sup_rpc_entry sup_rpc_live_methods[] = {
	{ "portal.list", rpc_portal_list },
	{ "portal.add", rpc_portal_add },
	{ "portal.del", rpc_portal_del },
	{ "target.list", rpc_target_list },
	{ "target.add", rpc_target_add },
	{ "target.del", rpc_target_del },
	{ "lun.list", rpc_lun_list },
	{ "lun.add", rpc_lun_add },
	{ "lun.del", rpc_lun_del },
	{ "lun.resize", rpc_lun_resize },
	{ "acl.list", rpc_acl_list },
	{ "acl.add", rpc_acl_add },
	{ "acl.del", rpc_acl_del },
	{ "chap.set", rpc_chap_set },
	{ "chap.clear", rpc_chap_clear },
	{ NULL, NULL },
};

sup_rpc_fn sup_rpc_handler(const char *method)
{
	const struct sup_rpc_entry *tables[] = { sup_rpc_live_methods, sup_rpc_config_methods,
						 sup_rpc_stats_methods };

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct sup_rpc_entry *e = tables[t]; e->name; e++)
			if (!strcmp(e->name, method))
				return e->fn;
	return NULL;
}
