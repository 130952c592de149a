/* ACL entries and iSCSI name checks. An entry is a bare name (all LUNs,
 * read-write) or {"name": N, "luns": [0, 2], "map": {"5": 1}, "readonly": b}:
 * the initiator sees LUNs 0 and 2 under their own numbers and LUN 1 as its
 * LUN 5. The core enforces it per nexus; we only check it is consistent. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supervisor/sup_acl.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 3720 3.2.6.3: iqn.YYYY-MM.reversed.domain[:anything], eui. + 16 hex
 * digits, naa. + 16 or 32 hex digits; RFC 3722 stringprep leaves ASCII
 * names lower-case letters, digits, '.', '-', ':' (we accept upper case and
 * compare case-insensitively, as initiators send both). */
const char *sup_iscsi_name_check(const char *n)
{
	size_t len = strlen(n);

	if (len > 223)
		return "longer than 223 bytes";
	if (!strncasecmp(n, "eui.", 4))
		return len == 20 && all_hex(n + 4, 16) ? NULL
						       : "eui. must be followed by 16 hex digits";
	if (!strncasecmp(n, "naa.", 4))
		return (len == 20 || len == 36) && all_hex(n + 4, len - 4)
			? NULL : "naa. must be followed by 16 or 32 hex digits";
	if (strncasecmp(n, "iqn.", 4))
		return "must start with iqn., eui. or naa.";
	if (len < 12 || !isdigit((unsigned char)n[4]) || !isdigit((unsigned char)n[5]) ||
	    !isdigit((unsigned char)n[6]) || !isdigit((unsigned char)n[7]) || n[8] != '-' ||
	    !isdigit((unsigned char)n[9]) || !isdigit((unsigned char)n[10]) || n[11] != '.' ||
	    (n[9] - '0') * 10 + (n[10] - '0') < 1 || (n[9] - '0') * 10 + (n[10] - '0') > 12)
		return "iqn. must be followed by a date yyyy-mm and a dot (iqn.2026-11.org.example)";
	if (!isalnum((unsigned char)n[12]))
		return "iqn.yyyy-mm. must be followed by a reversed domain name";
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:", *p))
			return "only letters, digits, '.', '-' and ':' are allowed";
	return NULL;
}

static int lun_of(json_t *v, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= SUP_MAX_LUNS)
		return -EINVAL;
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

int sup_acl_parse(json_t *e, char **name, struct sup_acl *acl, const char *where, char *err,
		  size_t errlen)
{
	json_t *nm = json_is_object(e) ? json_object_get(e, "name") : e;
	json_t *luns, *map, *ro, *v;
	const char *s = json_string_value(nm), *why, *key;
	size_t i;

	memset(acl, 0, sizeof(*acl));
	acl->all = true;
	if (!s)
		return fail(err, errlen, "%s: an initiator name, \"*\", or {\"name\", \"luns\", "
			    "\"map\", \"readonly\"}", where);
	if (strcmp(s, "*") && (why = sup_iscsi_name_check(s)))
		return fail(err, errlen, "%s: \"%.64s\" is not an iSCSI name: %s", where, s, why);
	*name = strdup(s);
	if (!json_is_object(e))
		return 0;
	json_object_foreach(e, key, v)
		if (strcmp(key, "name") && strcmp(key, "luns") && strcmp(key, "map") &&
		    strcmp(key, "readonly"))
			return fail(err, errlen, "%s.%s: unknown field", where, key);
	luns = json_object_get(e, "luns");
	map = json_object_get(e, "map");
	ro = json_object_get(e, "readonly");
	if (ro && !json_is_boolean(ro))
		return fail(err, errlen, "%s.readonly: must be true or false", where);
	acl->readonly = json_is_true(ro);
	if ((luns && (!json_is_array(luns) || json_array_size(luns) > SUP_MAX_LUNS)) ||
	    (map && (!json_is_object(map) || json_object_size(map) > SUP_MAX_LUNS)))
		return fail(err, errlen, "%s: luns must be a list of LUNs, map an object "
			    "{\"initiator LUN\": target LUN}", where);
	if (!luns && !map)
		return 0;
	acl->all = false;
	acl->map = calloc(json_array_size(luns) + json_object_size(map) + 1, sizeof(*acl->map));
	json_array_foreach(luns, i, v) {
		struct sup_acl_map *m = &acl->map[acl->nmap];

		if (lun_of(v, &m->tlun))
			return fail(err, errlen, "%s.luns[%zu]: must be a LUN 0..%d", where, i,
				    SUP_MAX_LUNS - 1);
		m->ilun = m->tlun;
		acl->nmap++;
	}
	json_object_foreach(map, key, v) {
		struct sup_acl_map *m = &acl->map[acl->nmap];
		char *end;
		long il = strtol(key, &end, 10);

		if (!*key || *end || il < 0 || il >= SUP_MAX_LUNS || lun_of(v, &m->tlun))
			return fail(err, errlen, "%s.map.%.16s: must map a LUN number 0..%d to a "
				    "target LUN", where, key, SUP_MAX_LUNS - 1);
		m->ilun = (uint32_t)il;
		acl->nmap++;
	}
	return 0;
}

int sup_acl_check(const struct sup_target *t, const char *where, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < t->ninitiators; i++) {
		const struct sup_acl *a = &t->acls[i];

		for (uint32_t k = 0; k < a->nmap; k++) {
			bool found = false;

			for (uint32_t l = 0; l < t->nluns; l++)
				found |= t->luns[l].lun == a->map[k].tlun;
			if (!found)
				return fail(err, errlen, "%s.initiators[%u] (%s): target has no LUN %u",
					    where, i, t->initiators[i], a->map[k].tlun);
			for (uint32_t j = 0; j < k; j++)
				if (a->map[j].ilun == a->map[k].ilun)
					return fail(err, errlen, "%s.initiators[%u] (%s): LUN %u "
						    "given twice", where, i, t->initiators[i],
						    a->map[k].ilun);
		}
	}
	return 0;
}

void sup_acl_free(struct sup_acl *acls, uint32_t n)
{
	if (!acls)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(acls[i].map);
	free(acls);
}

json_t *sup_acl_json(const struct sup_target *t, uint32_t i)
{
	const struct sup_acl *a = &t->acls[i];
	json_t *o, *map;

	if (a->all && !a->readonly)
		return json_string(t->initiators[i]);
	o = json_pack("{s:s}", "name", t->initiators[i]);
	if (!a->all) {
		map = json_object();
		for (uint32_t k = 0; k < a->nmap; k++) {
			char key[16];

			snprintf(key, sizeof(key), "%u", a->map[k].ilun);
			json_object_set_new(map, key, json_integer(a->map[k].tlun));
		}
		json_object_set_new(o, "map", map);
	}
	if (a->readonly)
		json_object_set_new(o, "readonly", json_true());
	return o;
}
