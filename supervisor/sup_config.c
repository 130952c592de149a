/* Config parsing. Every error names the field, as in "targets[0].luns[1].size". */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "supervisor/sup_acl.h"
#include "supervisor/sup_config.h"
#include "supervisor/sup_srp.h"
#include "supervisor/sup_fc.h"
#include "supervisor/sup_alua.h"
#include "supervisor/sup_sandbox.h"

static const char *const backend_names[SUP_BE_COUNT] = { "file", "null", "ram" };

const char *sup_backend_name(enum sup_backend b)
{
	return b < SUP_BE_COUNT ? backend_names[b] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int sup_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case 'p': case 'P': shift = 50; end++; break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Only keys we know are accepted: a typo must not silently mean "default". */
static int check_keys(json_t *obj, const char *const *allowed, const char *where,
		      char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool ok = false;

		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key))
				ok = true;
		if (!ok)
			return fail(err, errlen, "%s%s%s: unknown field", where, *where ? "." : "",
				    key);
	}
	return 0;
}

/* An optional integer key of object obj within [lo, hi], copied into out
 * when present. */
static int opt_uint(json_t *obj, const char *key, uint32_t lo, uint32_t hi, json_t *out,
		    const char *where, char *err, size_t errlen)
{
	json_t *n = json_object_get(obj, key);

	if (!n)
		return 0;
	if (!json_is_integer(n) || json_integer_value(n) < lo || json_integer_value(n) > hi)
		return fail(err, errlen, "%s.%s: must be an integer from %u to %u", where, key,
			    lo, hi);
	json_object_set(out, key, n);
	return 0;
}

static char *abs_path(const char *p)
{
	char cwd[PATH_MAX], *r;

	if (p[0] == '/')
		return strdup(p);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&r, "%s/%s", cwd, p) < 0)
		return NULL;
	return r;
}

/* iSCSI names: iqn./eui./naa. forms, printable, no spaces, at most 223 bytes. */
static bool valid_iscsi_name(const char *n)
{
	return sup_iscsi_name_check(n) == NULL;
}

static int parse_portal(const char *s, struct sup_portal *p)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	unsigned char tmp[16];
	char *end;
	long port;
	size_t hl;

	if (!colon || strlen(s) >= sizeof(p->text))
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return -EINVAL;
	} else if (inet_pton(AF_INET, host, tmp) != 1) {
		return -EINVAL;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	snprintf(p->text, sizeof(p->text), "%s", s);
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = (uint16_t)port;
	return 0;
}

/* Cache mode, O_DIRECT and the physical block size (docs/backends.md). */
static int parse_lun_storage(json_t *j, struct sup_lun *l, const char *where, char *err,
			     size_t errlen)
{
	json_t *v = json_object_get(j, "cache");

	if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "writeback") &&
					 strcmp(json_string_value(v), "writethrough"))))
		return fail(err, errlen, "%s.cache: must be \"writeback\" or \"writethrough\"",
			    where);
	l->writethrough = v && !strcmp(json_string_value(v), "writethrough");
	v = json_object_get(j, "direct");
	if (v && !json_is_boolean(v))
		return fail(err, errlen, "%s.direct: must be true or false", where);
	if (json_is_true(v) && l->backend != SUP_BE_FILE)
		return fail(err, errlen, "%s.direct: only a file LUN can use O_DIRECT", where);
	l->direct = json_is_true(v);
	v = json_object_get(j, "physical_block_size");
	l->phys_block_size = l->block_size;
	if (v && l->cdrom)
		return fail(err, errlen, "%s.physical_block_size: not for a cdrom", where);
	if (v) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

		if ((n != 512 && n != 4096) || (uint32_t)n < l->block_size)
			return fail(err, errlen, "%s.physical_block_size: must be 512 or 4096, "
				    "at least block_size", where);
		l->phys_block_size = (uint32_t)n;
	}
	v = json_object_get(j, "removable");
	if (v && !json_is_boolean(v))
		return fail(err, errlen, "%s.removable: must be true or false", where);
	l->removable = json_is_true(v) || l->cdrom;
	v = json_object_get(j, "queue_depth");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > 4096))
		return fail(err, errlen, "%s.queue_depth: must be 0 (no limit) to 4096", where);
	l->queue_depth = v ? (uint32_t)json_integer_value(v) : 0;
	return 0;
}

static int parse_lun(json_t *j, struct sup_lun *l, const char *where, char *err,
		     size_t errlen)
{
	static const char *const keys[] = { "lun", "backend", "path", "size", "block_size",
					    "readonly", "thin", "cache", "direct",
					    "physical_block_size", "type", "removable", "queue_depth",
					    NULL };
	json_t *v;
	int r;

	if (!json_is_object(j))
		return fail(err, errlen, "%s: must be an object", where);
	if ((r = check_keys(j, keys, where, err, errlen)))
		return r;
	l->fd = -1;
	v = json_object_get(j, "lun");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= SUP_MAX_LUNS)
		return fail(err, errlen, "%s.lun: must be an integer 0..%d", where, SUP_MAX_LUNS - 1);
	l->lun = (uint32_t)json_integer_value(v);

	v = json_object_get(j, "backend");
	if (!json_is_string(v))
		return fail(err, errlen, "%s.backend: missing (file, null or ram)", where);
	for (l->backend = 0; l->backend < SUP_BE_COUNT; l->backend++)
		if (!strcmp(json_string_value(v), backend_names[l->backend]))
			break;
	if (l->backend == SUP_BE_COUNT)
		return fail(err, errlen, "%s.backend: unknown backend \"%s\" (file, null or ram)",
			    where, json_string_value(v));

	v = json_object_get(j, "path");
	if (l->backend == SUP_BE_FILE) {
		if (!json_is_string(v) || !*json_string_value(v))
			return fail(err, errlen, "%s.path: required for a file LUN", where);
		l->path = abs_path(json_string_value(v));
		if (!l->path)
			return fail(err, errlen, "%s.path: cannot resolve", where);
	} else if (v) {
		return fail(err, errlen, "%s.path: only a file LUN has a path", where);
	}

	v = json_object_get(j, "size");
	if (json_is_string(v)) {
		if (sup_parse_size(json_string_value(v), &l->size))
			return fail(err, errlen, "%s.size: bad size \"%s\" (e.g. 512M, 10G)", where,
				    json_string_value(v));
	} else if (json_is_integer(v) && json_integer_value(v) > 0) {
		l->size = (uint64_t)json_integer_value(v);
	} else if (v) {
		return fail(err, errlen, "%s.size: must be a size like \"10G\" or a byte count",
			    where);
	} else if (l->backend != SUP_BE_FILE) {
		return fail(err, errlen, "%s.size: required for a %s LUN", where,
			    backend_names[l->backend]);
	}

	v = json_object_get(j, "type");
	if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "disk") &&
					 strcmp(json_string_value(v), "cdrom"))))
		return fail(err, errlen, "%s.type: must be \"disk\" or \"cdrom\"", where);
	l->cdrom = v && !strcmp(json_string_value(v), "cdrom");
	if (l->cdrom && l->backend != SUP_BE_FILE)
		return fail(err, errlen, "%s.type: a cdrom is a file LUN (an ISO image)", where);
	v = json_object_get(j, "block_size");
	l->block_size = l->cdrom ? 2048 : 512;
	if (v) {
		if (!json_is_integer(v) || (l->cdrom && json_integer_value(v) != 2048))
			return fail(err, errlen, "%s.block_size: a cdrom has 2048-byte blocks", where);
		if (!l->cdrom && json_integer_value(v) != 512 && json_integer_value(v) != 4096)
			return fail(err, errlen, "%s.block_size: must be 512 or 4096", where);
		l->block_size = (uint32_t)json_integer_value(v);
	}
	if (l->size && l->size < l->block_size)
		return fail(err, errlen, "%s.size: smaller than one block", where);
	if (l->size)
		l->size -= l->size % l->block_size;

	v = json_object_get(j, "readonly");
	if (v && !json_is_boolean(v))
		return fail(err, errlen, "%s.readonly: must be true or false", where);
	l->readonly = json_is_true(v) || l->cdrom;

	v = json_object_get(j, "thin");
	if (v && !json_is_boolean(v))
		return fail(err, errlen, "%s.thin: must be true or false", where);
	l->thin = json_is_true(v);
	return parse_lun_storage(j, l, where, err, errlen);
}

static int chap_string(json_t *j, const char *key, bool required, char **out,
		       const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(j, key);
	const char *s = json_string_value(v);

	if (!v && !required)
		return 0;
	if (!s || !*s || strlen(s) > 255)
		return fail(err, errlen, "%s.%s: must be a string of 1 to 255 bytes", where, key);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(err, errlen, "%s.%s: control characters are not allowed", where,
				    key);
	*out = strdup(s);
	return 0;
}

/* Secrets are checked here, at load time: a short secret is refused before
 * any initiator can try to guess it. Messages never include a secret. */
static int parse_chap(json_t *j, struct sup_chap *c, const char *where, char *err,
		      size_t errlen)
{
	static const char *const keys[] = { "user", "secret", "mutual_user", "mutual_secret",
					    NULL };
	int r;

	if (!json_is_object(j))
		return fail(err, errlen, "%s: must be an object with user and secret", where);
	if ((r = check_keys(j, keys, where, err, errlen)))
		return r;
	c->set = true;
	if ((r = chap_string(j, "user", true, &c->user, where, err, errlen)) ||
	    (r = chap_string(j, "secret", true, &c->secret, where, err, errlen)) ||
	    (r = chap_string(j, "mutual_user", false, &c->mutual_user, where, err, errlen)) ||
	    (r = chap_string(j, "mutual_secret", false, &c->mutual_secret, where, err, errlen)))
		return r;
	if (strlen(c->secret) < SUP_CHAP_SECRET_MIN)
		return fail(err, errlen, "%s.secret: shorter than %d bytes", where,
			    SUP_CHAP_SECRET_MIN);
	if (!c->mutual_user != !c->mutual_secret)
		return fail(err, errlen, "%s: mutual_user and mutual_secret go together", where);
	if (c->mutual_secret && strlen(c->mutual_secret) < SUP_CHAP_SECRET_MIN)
		return fail(err, errlen, "%s.mutual_secret: shorter than %d bytes", where,
			    SUP_CHAP_SECRET_MIN);
	/* RFC 7143 12.1.3: one secret per direction, or a reflection attack
	 * needs no secret at all. */
	if (c->mutual_secret && !strcmp(c->secret, c->mutual_secret))
		return fail(err, errlen, "%s.mutual_secret: must differ from secret", where);
	return 0;
}

static void chap_free(struct sup_chap *c)
{
	free(c->user);
	free(c->secret);
	free(c->mutual_user);
	free(c->mutual_secret);
	memset(c, 0, sizeof(*c));
}

static int parse_target(json_t *j, struct sup_target *t, const char *where, char *err,
			size_t errlen)
{
	static const char *const keys[] = { "name", "luns", "initiators", "chap", "max_sessions",
					    "redirect", "portal_groups", "alua", "srp_initiators",
					    "fc_initiators", NULL };
	char w[128];
	json_t *v, *e;
	size_t i;
	int r;

	if (!json_is_object(j))
		return fail(err, errlen, "%s: must be an object", where);
	if ((r = check_keys(j, keys, where, err, errlen)))
		return r;
	v = json_object_get(j, "name");
	if (!json_is_string(v) || !valid_iscsi_name(json_string_value(v)))
		return fail(err, errlen, "%s.name: missing or not a valid iSCSI name (iqn.…)", where);
	t->name = strdup(json_string_value(v));

	v = json_object_get(j, "luns"); /* none: a target added live has no LUN yet */
	if ((v && !json_is_array(v)) || json_array_size(v) > SUP_MAX_LUNS)
		return fail(err, errlen, "%s.luns: must be an array of at most %d", where,
			    SUP_MAX_LUNS);
	t->luns = calloc(json_array_size(v) + 1, sizeof(*t->luns));
	json_array_foreach(v, i, e) {
		snprintf(w, sizeof(w), "%s.luns[%zu]", where, i);
		t->nluns++; /* counted first so sup_config_free() sees a half-parsed one */
		if ((r = parse_lun(e, &t->luns[i], w, err, errlen)))
			return r;
		for (size_t k = 0; k < i; k++)
			if (t->luns[k].lun == t->luns[i].lun)
				return fail(err, errlen, "%s.lun: LUN %u defined twice", w,
					    t->luns[i].lun);
	}

	v = json_object_get(j, "initiators");
	if ((v && !json_is_array(v)) || json_array_size(v) > SUP_MAX_INITIATORS)
		return fail(err, errlen,
			    "%s.initiators: must list initiator names, or [\"*\"] for any", where);
	t->initiators = calloc(json_array_size(v) + 1, sizeof(char *));
	t->acls = calloc(json_array_size(v) + 1, sizeof(*t->acls));
	json_array_foreach(v, i, e) {
		snprintf(w, sizeof(w), "%s.initiators[%zu]", where, i);
		if ((r = sup_acl_parse(e, &t->initiators[t->ninitiators], &t->acls[t->ninitiators],
				       w, err, errlen)))
			return r;
		t->ninitiators++;
		for (uint32_t k = 0; k + 1 < t->ninitiators; k++)
			if (!strcasecmp(t->initiators[k], t->initiators[t->ninitiators - 1]))
				return fail(err, errlen, "%s: %s listed twice", w,
					    t->initiators[k]);
	}
	if ((r = sup_acl_check(t, where, err, errlen)))
		return r;

	v = json_object_get(j, "srp_initiators");
	if (v && (r = sup_srp_target_acl(t, v, where, err, errlen)))
		return r;
	v = json_object_get(j, "fc_initiators");
	if (v && (r = sup_fc_target_acl(t, v, where, err, errlen)))
		return r;

	v = json_object_get(j, "chap");
	if (v) {
		snprintf(w, sizeof(w), "%s.chap", where);
		if ((r = parse_chap(v, &t->chap, w, err, errlen)))
			return r;
	}

	v = json_object_get(j, "max_sessions");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > 65535))
		return fail(err, errlen, "%s.max_sessions: must be 0 (unlimited) to 65535", where);
	t->max_sessions = v ? (uint32_t)json_integer_value(v) : 0;

	v = json_object_get(j, "redirect");
	if (v) {
		static const char *const rkeys[] = { "address", "type", NULL };
		const char *type;
		struct sup_portal tmp;

		snprintf(w, sizeof(w), "%s.redirect", where);
		if (!json_is_object(v))
			return fail(err, errlen, "%s: must be {\"address\": \"IP:port\", \"type\": ...}", w);
		if ((r = check_keys(v, rkeys, w, err, errlen)))
			return r;
		e = json_object_get(v, "address");
		if (!json_is_string(e) || parse_portal(json_string_value(e), &tmp))
			return fail(err, errlen, "%s.address: not \"IPv4:port\" or \"[IPv6]:port\"", w);
		type = json_string_value(json_object_get(v, "type"));
		if (type && strcmp(type, "temporary") && strcmp(type, "permanent"))
			return fail(err, errlen, "%s.type: temporary or permanent", w);
		t->redirect.set = true;
		t->redirect.permanent = type && !strcmp(type, "permanent");
		snprintf(t->redirect.address, sizeof(t->redirect.address), "%s",
			 json_string_value(e));
	}

	v = json_object_get(j, "portal_groups");
	if (v) {
		if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > SUP_MAX_GROUPS)
			return fail(err, errlen, "%s.portal_groups: must list 1 to %d group tags", where,
				    SUP_MAX_GROUPS);
		json_array_foreach(v, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 1 ||
			    json_integer_value(e) > 65535)
				return fail(err, errlen, "%s.portal_groups[%zu]: must be 1..65535",
					    where, i);
			t->groups[t->ngroups++] = (uint16_t)json_integer_value(e);
		}
	}
	return sup_alua_parse(json_object_get(j, "alua"), t, where, err, errlen);
}

static int parse_restart(struct sup_config *cfg, json_t *j, char *err, size_t errlen)
{
	static const char *const names[] = { "core", "iscsi", "iscsi0", "backend", "backend-file",
					     "backend-null", "backend-ram", "srp", "srp0", "fc", "fc0",
					     NULL };
	const char *key;
	char w[64];
	json_t *v;
	int r;

	if (!json_is_object(j))
		return fail(err, errlen, "restart: must be an object of policies by process");
	v = json_object_get(j, "default");
	if (v && (r = sup_policy_parse(v, &sup_policy_builtin, &cfg->restart_default,
				       "restart.default", err, errlen)))
		return r;
	json_object_foreach(j, key, v) {
		bool known = false;

		if (!strcmp(key, "default"))
			continue;
		for (const char *const *n = names; *n; n++)
			known |= !strcmp(*n, key);
		if (!known)
			return fail(err, errlen, "restart.%s: unknown process (core, iscsi, backend, "
				    "backend-file, backend-null, backend-ram)", key);
		snprintf(w, sizeof(w), "restart.%s", key);
		struct sup_named_policy *np = &cfg->policies[cfg->npolicies++];

		snprintf(np->name, sizeof(np->name), "%s", key);
		if ((r = sup_policy_parse(v, &cfg->restart_default, &np->policy, w, err, errlen)))
			return r;
	}
	return 0;
}

/* "backends": {"file": {"engine": "auto", "queue_depth": 128, ...}, ...}: the
 * "config" of each backend's CTL_INIT (docs/backends.md, Tunables). */
static int parse_backends(struct sup_config *cfg, json_t *j, char *err, size_t errlen)
{
	static const char *const common[] = { "spin", "yield", "poll_us", "queue_depth", "batch",
					      NULL };
	static const char *const file[] = { "spin", "yield", "poll_us", "queue_depth", "batch",
					    "engine", "fixed_buffers", "write_zeroes", "sync_writes",
					    "sync_reads", NULL };
	const char *key;
	json_t *v;
	char w[64];
	int r;

	if (!j)
		return 0;
	if (!json_is_object(j))
		return fail(err, errlen, "backends: must be an object of settings by kind");
	json_object_foreach(j, key, v) {
		enum sup_backend b;
		const char *k2;
		json_t *x;

		for (b = 0; b < SUP_BE_COUNT; b++)
			if (!strcmp(key, backend_names[b]))
				break;
		if (b == SUP_BE_COUNT)
			return fail(err, errlen, "backends.%s: unknown backend (file, null, ram)", key);
		snprintf(w, sizeof(w), "backends.%s", key);
		if (!json_is_object(v))
			return fail(err, errlen, "%s: must be an object", w);
		if ((r = check_keys(v, b == SUP_BE_FILE ? file : common, w, err, errlen)))
			return r;
		json_object_foreach(v, k2, x) {
			if (!strcmp(k2, "engine")) {
				const char *e = json_string_value(x);

				if (!e || (strcmp(e, "auto") && strcmp(e, "io_uring") &&
					   strcmp(e, "libaio")))
					return fail(err, errlen, "%s.engine: auto, io_uring or libaio", w);
			} else if (!strcmp(k2, "fixed_buffers") || !strcmp(k2, "sync_writes") ||
				   !strcmp(k2, "sync_reads")) {
				if (!json_is_boolean(x))
					return fail(err, errlen, "%s.%s: true or false", w, k2);
			} else if (!strcmp(k2, "write_zeroes")) {
				const char *e = json_string_value(x);

				if (!e || (strcmp(e, "fallocate") && strcmp(e, "write")))
					return fail(err, errlen, "%s.write_zeroes: fallocate or write", w);
			} else if (!strcmp(k2, "poll_us")) {
				if (!json_is_integer(x) || json_integer_value(x) < 0 ||
				    json_integer_value(x) > 10000)
					return fail(err, errlen, "%s.poll_us: must be 0 (never poll) "
						    "to 10000", w);
			} else if (!json_is_integer(x) || json_integer_value(x) < 0 ||
				   json_integer_value(x) > 10000000) {
				return fail(err, errlen, "%s.%s: must be a non-negative integer", w, k2);
			}
		}
		json_decref(cfg->backend_cfg[b]);
		cfg->backend_cfg[b] = json_deep_copy(v);
	}
	return 0;
}

const struct sup_policy *sup_config_policy(const struct sup_config *cfg, const char *name,
					   const char *kind)
{
	const char *order[] = { name, kind, !strncmp(kind, "backend", 7) ? "backend" : NULL };

	for (int o = 0; o < 3; o++)
		for (uint32_t i = 0; order[o] && i < cfg->npolicies; i++)
			if (!strcmp(cfg->policies[i].name, order[o]))
				return &cfg->policies[i].policy;
	return &cfg->restart_default;
}

/* RFC 7143 12.1.3: a secret proving the target must never also prove an
 * initiator anywhere in the config, or a reflection across targets works. */
static int check_secret_reuse(struct sup_config *cfg, char *err, size_t errlen)
{
	for (uint32_t i = 0; i <= cfg->ntargets; i++) {
		const struct sup_chap *m = i < cfg->ntargets ? &cfg->targets[i].chap
							     : &cfg->discovery_chap;

		if (!m->mutual_secret)
			continue;
		for (uint32_t k = 0; k <= cfg->ntargets; k++) {
			const struct sup_chap *c = k < cfg->ntargets ? &cfg->targets[k].chap
								     : &cfg->discovery_chap;

			if (c->secret && !strcmp(c->secret, m->mutual_secret)) {
				if (i < cfg->ntargets)
					return fail(err, errlen, "targets[%u].chap.mutual_secret: also "
						    "used as an initiator secret", i);
				return fail(err, errlen, "discovery_chap.mutual_secret: also used as "
					    "an initiator secret");
			}
		}
	}
	return 0;
}

int sup_config_load_json(struct sup_config *cfg, json_t *root, char *err, size_t errlen)
{
	static const char *const keys[] = { "admin_socket", "state_dir", "portals", "targets",
					    "discovery_chap", "chap_algorithms", "iscsi", "restart",
					    "heartbeat", "sandbox", "backends", "admin", "start_backends",
					    "isns", "srp", "srp_options", "fc", "fc_options", "core",
					    NULL };
	static const char *const algs[] = { "SHA3-256", "SHA-256", "MD5" };
	char w[64];
	json_t *v, *e;
	size_t i;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!json_is_object(root))
		return fail(err, errlen, "config: must be a JSON object");
	if ((r = check_keys(root, keys, "", err, errlen)))
		return r;
	if ((r = sup_sandbox_config(cfg, json_object_get(root, "sandbox"), err, errlen)))
		return r;

	v = json_object_get(root, "state_dir");
	if (v && (!json_is_string(v) || !*json_string_value(v)))
		return fail(err, errlen, "state_dir: must be a path");
	cfg->state_dir = abs_path(v ? json_string_value(v) : "/var/lib/mtgt");

	v = json_object_get(root, "admin_socket");
	if (v && (!json_is_string(v) || !*json_string_value(v)))
		return fail(err, errlen, "admin_socket: must be a path");
	cfg->admin_socket = abs_path(v ? json_string_value(v) : "/run/mtgt/mtgtd.sock");
	if (strlen(cfg->admin_socket) >= 108)
		return fail(err, errlen, "admin_socket: path longer than 107 bytes");

	v = json_object_get(root, "portals");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > SUP_MAX_PORTALS)
		return fail(err, errlen, "portals: must be a non-empty array of \"IP:port\"");
	json_array_foreach(v, i, e) {
		static const char *const pkeys[] = { "address", "group", NULL };
		json_t *addr = e, *grp = NULL;

		if (json_is_object(e)) {
			snprintf(w, sizeof(w), "portals[%zu]", i);
			if ((r = check_keys(e, pkeys, w, err, errlen)))
				return r;
			addr = json_object_get(e, "address");
			grp = json_object_get(e, "group");
		}
		if (!json_is_string(addr) || parse_portal(json_string_value(addr), &cfg->portals[i]))
			return fail(err, errlen, "portals[%zu]: not \"IPv4:port\" or \"[IPv6]:port\" "
				    "(or {\"address\": ..., \"group\": N})", i);
		cfg->portals[i].group = 1;
		if (grp) {
			if (!json_is_integer(grp) || json_integer_value(grp) < 1 ||
			    json_integer_value(grp) > 65535)
				return fail(err, errlen, "portals[%zu].group: must be 1..65535", i);
			cfg->portals[i].group = (uint16_t)json_integer_value(grp);
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(cfg->portals[k].host, cfg->portals[i].host) &&
			    cfg->portals[k].port == cfg->portals[i].port)
				return fail(err, errlen, "portals[%zu]: listed twice", i);
		cfg->nportals++;
	}

	v = json_object_get(root, "iscsi");
	cfg->nop_interval_s = 30;
	cfg->nop_timeout_s = 30;
	cfg->shutdown_logout_s = 3;
	if (v) {
		static const char *const ikeys[] = { "nop_interval_s", "nop_timeout_s",
						     "shutdown_logout_s", "require_header_digest",
						     "require_data_digest", "poll_us", "yield",
						     "rx_batch", NULL };
		json_t *n;

		if (!json_is_object(v))
			return fail(err, errlen, "iscsi: must be an object");
		if ((r = check_keys(v, ikeys, "iscsi", err, errlen)))
			return r;
		n = json_object_get(v, "nop_interval_s");
		if (n && (!json_is_integer(n) || json_integer_value(n) < 0 ||
			  json_integer_value(n) > 3600))
			return fail(err, errlen, "iscsi.nop_interval_s: must be 0 (off) to 3600");
		if (n)
			cfg->nop_interval_s = (uint32_t)json_integer_value(n);
		n = json_object_get(v, "nop_timeout_s");
		if (n && (!json_is_integer(n) || json_integer_value(n) < 1 ||
			  json_integer_value(n) > 3600))
			return fail(err, errlen, "iscsi.nop_timeout_s: must be 1 to 3600");
		if (n)
			cfg->nop_timeout_s = (uint32_t)json_integer_value(n);
		n = json_object_get(v, "shutdown_logout_s");
		if (n && (!json_is_integer(n) || json_integer_value(n) < 0 ||
			  json_integer_value(n) > 60))
			return fail(err, errlen, "iscsi.shutdown_logout_s: must be 0 to 60");
		if (n)
			cfg->shutdown_logout_s = (uint32_t)json_integer_value(n);
		n = json_object_get(v, "require_header_digest");
		if (n && !json_is_boolean(n))
			return fail(err, errlen, "iscsi.require_header_digest: must be true or false");
		cfg->require_header_digest = json_is_true(n);
		n = json_object_get(v, "require_data_digest");
		if (n && !json_is_boolean(n))
			return fail(err, errlen, "iscsi.require_data_digest: must be true or false");
		cfg->require_data_digest = json_is_true(n);
		/* the frontend's idle policy (procs/frontend-iscsi/iscsi_core.c):
		 * passed on only when set, the defaults live with the code */
		cfg->iscsi_tuning = json_object();
		if ((r = opt_uint(v, "poll_us", 0, 10000, cfg->iscsi_tuning, "iscsi", err,
				  errlen)) ||
		    (r = opt_uint(v, "yield", 0, 1000, cfg->iscsi_tuning, "iscsi", err, errlen)))
			return r;
		n = json_object_get(v, "rx_batch");
		if (n && !json_is_boolean(n))
			return fail(err, errlen, "iscsi.rx_batch: must be true or false");
		if (n)
			json_object_set_new(cfg->iscsi_tuning, "rx_batch",
					    json_integer(json_is_true(n)));
	}

	/* "core": the core's idle policy and command table (procs/core/main.c),
	 * passed on only when set */
	v = json_object_get(root, "core");
	if (v) {
		static const char *const ckeys[] = { "poll_us", "yield", "spin", "commands", NULL };

		if (!json_is_object(v))
			return fail(err, errlen, "core: must be an object");
		cfg->core_tuning = json_object();
		if ((r = check_keys(v, ckeys, "core", err, errlen)) ||
		    (r = opt_uint(v, "poll_us", 0, 10000, cfg->core_tuning, "core", err, errlen)) ||
		    (r = opt_uint(v, "yield", 0, 1000, cfg->core_tuning, "core", err, errlen)) ||
		    (r = opt_uint(v, "spin", 0, 1000000, cfg->core_tuning, "core", err, errlen)) ||
		    (r = opt_uint(v, "commands", 1, 1u << 20, cfg->core_tuning, "core", err,
				  errlen)))
			return r;
	}

	v = json_object_get(root, "isns");
	if (v) {
		static const char *const skeys[] = { "server", "entity", NULL };
		const char *srv, *ent;

		if (!json_is_object(v))
			return fail(err, errlen, "isns: must be {\"server\": \"IP:port\"}");
		if ((r = check_keys(v, skeys, "isns", err, errlen)))
			return r;
		srv = json_string_value(json_object_get(v, "server"));
		if (!srv || parse_portal(srv, &cfg->isns_server) < 0)
			return fail(err, errlen, "isns.server: must be \"IP:port\"");
		ent = json_string_value(json_object_get(v, "entity"));
		if (json_object_get(v, "entity") &&
		    (!ent || !*ent || strlen(ent) >= sizeof(cfg->isns_entity)))
			return fail(err, errlen, "isns.entity: must be a string of 1 to 223 bytes");
		/* default: named after the first portal, unique per target host */
		snprintf(cfg->isns_entity, sizeof(cfg->isns_entity), "%s%s", ent ? "" : "mtgt:",
			 ent ? ent : cfg->nportals ? cfg->portals[0].text : "target");
		cfg->isns_set = true;
	}

	cfg->heartbeat_interval_s = 2;
	cfg->heartbeat_timeout_s = 10;
	v = json_object_get(root, "heartbeat");
	if (v) {
		static const char *const hkeys[] = { "interval_ms", "timeout_ms", NULL };
		json_t *n;

		if (!json_is_object(v))
			return fail(err, errlen, "heartbeat: must be {\"interval_ms\", \"timeout_ms\"}");
		if ((r = check_keys(v, hkeys, "heartbeat", err, errlen)))
			return r;
		n = json_object_get(v, "interval_ms");
		if (n && (!json_is_integer(n) || json_integer_value(n) < 100 ||
			  json_integer_value(n) > 60000))
			return fail(err, errlen, "heartbeat.interval_ms: must be 100..60000");
		if (n)
			cfg->heartbeat_interval_s = json_integer_value(n) / 1000.0;
		n = json_object_get(v, "timeout_ms");
		if (n && (!json_is_integer(n) || json_integer_value(n) < 500 ||
			  json_integer_value(n) > 600000))
			return fail(err, errlen, "heartbeat.timeout_ms: must be 500..600000");
		if (n)
			cfg->heartbeat_timeout_s = json_integer_value(n) / 1000.0;
		if (cfg->heartbeat_timeout_s <= cfg->heartbeat_interval_s)
			return fail(err, errlen, "heartbeat.timeout_ms: must exceed interval_ms");
	}
	if ((r = parse_backends(cfg, json_object_get(root, "backends"), err, errlen)))
		return r;
	cfg->restart_default = sup_policy_builtin;
	v = json_object_get(root, "restart");
	if (v && (r = parse_restart(cfg, v, err, errlen)))
		return r;

	v = json_object_get(root, "discovery_chap");
	if (v && (r = parse_chap(v, &cfg->discovery_chap, "discovery_chap", err, errlen)))
		return r;

	v = json_object_get(root, "chap_algorithms");
	if (v && (!json_is_array(v) || !json_array_size(v) ||
		  json_array_size(v) > SUP_CHAP_ALGS_MAX))
		return fail(err, errlen, "chap_algorithms: must list SHA3-256, SHA-256 and/or MD5 in "
			    "order of preference");
	json_array_foreach(v, i, e) {
		const char *a = json_string_value(e);
		size_t k;

		for (k = 0; k < 3; k++)
			if (a && !strcmp(a, algs[k]))
				break;
		if (k == 3)
			return fail(err, errlen, "chap_algorithms[%zu]: not SHA3-256, SHA-256 or MD5", i);
		for (uint32_t n = 0; n < cfg->nchap_algs; n++)
			if (!strcmp(cfg->chap_algs[n], a))
				return fail(err, errlen, "chap_algorithms[%zu]: %s listed twice", i, a);
		cfg->chap_algs[cfg->nchap_algs++] = strdup(a);
	}
	/* Strongest first by default: initiators that offer them pick them. */
	if (!v)
		for (int k = 0; k < 3; k++)
			cfg->chap_algs[cfg->nchap_algs++] = strdup(algs[k]);

	v = json_object_get(root, "targets");
	if (!json_is_array(v) || json_array_size(v) > SUP_MAX_TARGETS)
		return fail(err, errlen, "targets: must be an array");
	cfg->targets = calloc(json_array_size(v) + 1, sizeof(*cfg->targets));
	json_array_foreach(v, i, e) {
		snprintf(w, sizeof(w), "targets[%zu]", i);
		cfg->ntargets++;
		if ((r = parse_target(e, &cfg->targets[i], w, err, errlen)))
			return r;
		for (size_t k = 0; k < i; k++)
			if (!strcasecmp(cfg->targets[k].name, cfg->targets[i].name))
				return fail(err, errlen, "%s.name: target %s defined twice", w,
					    cfg->targets[i].name);
	}
	if ((r = sup_admin_config(cfg, json_object_get(root, "admin"), err, errlen)) ||
	    (r = sup_backends_config(cfg, json_object_get(root, "start_backends"), err, errlen)))
		return r;
	for (uint32_t t = 0; t < cfg->ntargets; t++)
		for (uint32_t g = 0; g < cfg->targets[t].ngroups; g++) {
			bool found = false;

			for (uint32_t p = 0; p < cfg->nportals; p++)
				found |= cfg->portals[p].group == cfg->targets[t].groups[g];
			if (!found)
				return fail(err, errlen, "targets[%u].portal_groups[%u]: no portal in "
					    "group %u", t, g, cfg->targets[t].groups[g]);
		}
	for (uint32_t t = 0; t < cfg->ntargets; t++) {
		snprintf(w, sizeof(w), "targets[%u]", t);
		if ((r = sup_alua_check_ports(cfg, &cfg->targets[t], w, err, errlen)))
			return r;
	}
	if ((r = sup_srp_config(cfg, root, err, errlen)))
		return r;
	if ((r = sup_fc_config(cfg, root, err, errlen)))
		return r;
	if ((r = check_secret_reuse(cfg, err, errlen)))
		return r;
	cfg->doc = sup_config_doc(cfg, root);
	return 0;
}

int sup_config_load_file(struct sup_config *cfg, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!root)
		return fail(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	r = sup_config_load_json(cfg, root, err, errlen);
	json_decref(root);
	return r;
}

int sup_config_default(struct sup_config *cfg, char *err, size_t errlen)
{
	json_t *root = json_pack(
		"{s:s, s:s, s:[s], s:[{s:s, s:[{s:i, s:s, s:s, s:s, s:i}], s:[s]}]}",
		"admin_socket", "var/mtgtd.sock", "state_dir", "var", "portals", "127.0.0.1:3260",
		"targets", "name", "iqn.2026-11.org.mtgt:demo", "luns", "lun", 0, "backend",
		"file", "path", "var/disk0.img", "size", "1G", "block_size", 512, "initiators",
		"*");
	int r = sup_config_load_json(cfg, root, err, errlen);

	json_decref(root);
	return r;
}

void sup_config_free(struct sup_config *cfg)
{
	sup_srp_free(cfg);
	sup_fc_free(cfg);
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		struct sup_target *t = &cfg->targets[i];

		for (uint32_t k = 0; k < t->nluns; k++)
			free(t->luns[k].path);
		for (uint32_t k = 0; k < t->ninitiators; k++)
			free(t->initiators[k]);
		free(t->luns);
		sup_acl_free(t->acls, t->ninitiators);
		free(t->initiators);
		free(t->name);
		json_decref(t->alua);
		chap_free(&t->chap);
	}
	chap_free(&cfg->discovery_chap);
	for (int b = 0; b < SUP_BE_COUNT; b++)
		json_decref(cfg->backend_cfg[b]);
	json_decref(cfg->iscsi_tuning);
	json_decref(cfg->core_tuning);
	for (uint32_t i = 0; i < cfg->nchap_algs; i++)
		free(cfg->chap_algs[i]);
	free(cfg->targets);
	free(cfg->admin_socket);
	free(cfg->admin_group);
	json_decref(cfg->doc);
	free(cfg->state_dir);
	memset(cfg, 0, sizeof(*cfg));
}
