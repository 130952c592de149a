/* Portal policy per target, from the CTL_INIT "config": the portal groups a
 * target may be reached through (and listed for by SendTargets), its session
 * limit, and login redirection to another portal. Listeners carry their
 * group tag (TPGT) in the "listeners" entries. */
#include "procs/frontend-iscsi/iscsi_portal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define PORTAL_MAX_GROUPS 16

struct iscsi_portal_target {
	char     name[ISCSI_NAME_MAX + 1];
	uint32_t max_sessions;            /* 0: unlimited */
	char     redirect[80];            /* "" : none */
	bool     permanent;
	uint32_t ngroups;                 /* 0: every group */
	uint16_t groups[PORTAL_MAX_GROUPS];
};

struct iscsi_portal_cfg {
	struct iscsi_portal_target *targets;
	uint32_t ntargets;
};

/* "IP:port" or "[IPv6]:port", the form of TargetAddress */
static bool address_ok(const char *a)
{
	const char *colon;
	char *end;
	long port;

	if (!a[0] || strlen(a) >= 80)
		return false;
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');

		if (!rb || rb == a + 1 || rb[1] != ':')
			return false;
		colon = rb + 1;
	} else {
		colon = strrchr(a, ':');
		if (!colon || colon == a || memchr(a, ':', (size_t)(colon - a)))
			return false;
	}
	for (const char *p = a; p < colon; p++)
		if (*p <= ' ' || *p == ',' || *p > '~')
			return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && end != colon + 1 && port > 0 && port < 65536;
}

static int parse_target(json_t *e, size_t i, struct iscsi_portal_target *pt)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	json_t *ms = json_object_get(e, "max_sessions");
	json_t *rd = json_object_get(e, "redirect");
	json_t *pg = json_object_get(e, "portal_groups");

	if (!name || strlen(name) > ISCSI_NAME_MAX) {
		log_err("config targets[%zu]: bad \"name\"", i);
		return -EINVAL;
	}
	snprintf(pt->name, sizeof(pt->name), "%s", name);
	if (ms) {
		if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
		    json_integer_value(ms) > 65535) {
			log_err("config targets[%zu] (%s): max_sessions must be 0..65535", i, name);
			return -EINVAL;
		}
		pt->max_sessions = (uint32_t)json_integer_value(ms);
	}
	if (rd) {
		const char *addr = json_string_value(json_object_get(rd, "address"));
		const char *type = json_string_value(json_object_get(rd, "type"));

		if (!addr || !address_ok(addr)) {
			log_err("config targets[%zu] (%s): redirect.address must be "
				"\"IP:port\" or \"[IPv6]:port\"", i, name);
			return -EINVAL;
		}
		if (type && strcmp(type, "temporary") && strcmp(type, "permanent")) {
			log_err("config targets[%zu] (%s): redirect.type must be "
				"\"temporary\" or \"permanent\"", i, name);
			return -EINVAL;
		}
		snprintf(pt->redirect, sizeof(pt->redirect), "%s", addr);
		pt->permanent = type && !strcmp(type, "permanent");
	}
	if (pg) {
		size_t k;
		json_t *v;

		if (!json_is_array(pg) || json_array_size(pg) == 0 ||
		    json_array_size(pg) > PORTAL_MAX_GROUPS) {
			log_err("config targets[%zu] (%s): portal_groups must list 1 to %d tags",
				i, name, PORTAL_MAX_GROUPS);
			return -EINVAL;
		}
		json_array_foreach(pg, k, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 65535) {
				log_err("config targets[%zu] (%s): portal group tags are 1..65535",
					i, name);
				return -EINVAL;
			}
			pt->groups[pt->ngroups++] = (uint16_t)json_integer_value(v);
		}
	}
	return 0;
}

int iscsi_portal_config(struct iscsi_tgt *t, json_t *cfg)
{
	json_t *list = cfg ? json_object_get(cfg, "targets") : NULL;
	struct iscsi_portal_cfg *pc;
	size_t i;
	json_t *e;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	t->portal = pc;
	if (!json_is_array(list))
		return 0;
	pc->targets = calloc(json_array_size(list) + 1, sizeof(*pc->targets));
	if (!pc->targets)
		return -ENOMEM;
	json_array_foreach(list, i, e) {
		int r = parse_target(e, i, &pc->targets[pc->ntargets]);

		if (r < 0)
			return r;
		pc->ntargets++;
	}
	return 0;
}

static const struct iscsi_portal_target *find(const struct iscsi_tgt *t, const char *name)
{
	const struct iscsi_portal_cfg *pc = t->portal;

	for (uint32_t i = 0; pc && i < pc->ntargets; i++)
		if (!strcmp(pc->targets[i].name, name))
			return &pc->targets[i];
	return NULL;
}

static bool in_group(const struct iscsi_portal_target *pt, uint16_t group)
{
	if (!pt || !pt->ngroups)
		return true;
	for (uint32_t i = 0; i < pt->ngroups; i++)
		if (pt->groups[i] == group)
			return true;
	return false;
}

int iscsi_portal_login_check(struct iscsi_conn *c, const char *target, const char **redirect)
{
	const struct iscsi_portal_target *pt = find(c->t, target);

	*redirect = NULL;
	if (!in_group(pt, c->group))
		return ISCSI_LOGIN_NOT_FOUND; /* as if it did not exist here */
	/* already where it points to (one of our own portals): no loop */
	if (pt && pt->redirect[0] && strcmp(pt->redirect, c->local)) {
		*redirect = pt->redirect;
		return pt->permanent ? ISCSI_LOGIN_TARGET_MOVED_PERM :
				       ISCSI_LOGIN_TARGET_MOVED_TEMP;
	}
	return 0;
}

int iscsi_portal_session_limit(struct iscsi_conn *c, const char *target)
{
	const struct iscsi_portal_target *pt = find(c->t, target);
	uint32_t n = 0;

	if (!pt || !pt->max_sessions)
		return 0;
	for (struct iscsi_session *s = c->t->sessions; s; s = s->next) {
		/* sessions going away (reinstated, dropped) no longer count */
		if (s == c->sess || (s->conn ? s->conn->state == CONN_CLOSED : !s->held) ||
		    s->p.session_type != ISCSI_SESSION_NORMAL ||
		    strcmp(s->p.target_name, target))
			continue;
		/* one this login reinstates (same initiator and ISID) is replaced */
		if (!memcmp(s->isid, c->sess->isid, 6) &&
		    !strcmp(s->p.initiator_name, c->sess->p.initiator_name))
			continue;
		n++;
	}
	if (n < pt->max_sessions)
		return 0;
	log_warn("conn %llu (%s): %s has its %u sessions: login refused",
		 (unsigned long long)c->id, c->peer, target, pt->max_sessions);
	return ISCSI_LOGIN_OUT_OF_RESOURCES;
}

static bool wildcard(const char *addr)
{
	return !strncmp(addr, "0.0.0.0:", 8) || !strncmp(addr, "[::]:", 5);
}

int iscsi_portal_addresses(struct iscsi_conn *c, const char *target, struct iscsi_text *out)
{
	const struct iscsi_portal_target *pt = find(c->t, target);
	const struct iscsi_tgt *t = c->t;
	int r = 0;

	for (uint32_t i = 0; i < t->nlis && r == 0; i++) {
		const struct iscsi_listener *l = &t->lis[i];
		const char *a = l->addr;

		if (l->fd < 0 || !in_group(pt, l->group))
			continue; /* removed live, or not in the target's groups */
		if (wildcard(a)) {
			/* the address the initiator reached us on, if through it */
			if (c->lis != l)
				continue;
			a = c->local;
		}
		r = iscsi_text_addf(out, "TargetAddress", "%s,%u", a, l->group);
	}
	return r;
}

bool iscsi_portal_target_in_group(const struct iscsi_tgt *t, const char *target, uint16_t group)
{
	return in_group(find(t, target), group);
}
