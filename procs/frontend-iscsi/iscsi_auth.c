/* Login security policy of the frontend: CHAP credentials per target and for
 * discovery sessions from the CTL_INIT "config", the algorithms offered, the
 * failed-login rate limit per source address, and logging of failures (never
 * of secrets or responses). The exchange itself is iscsi_chap.c. */
#include "procs/frontend-iscsi/iscsi_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define AUTH_RL_ENTRIES 1024
#define AUTH_RL_FORGET  600.0  /* seconds without failures that clear an address */

struct iscsi_auth_target {
	char name[ISCSI_NAME_MAX + 1];
	struct chap_cred cred;
};

struct iscsi_auth_cfg {
	struct iscsi_auth_target *targets;
	uint32_t ntargets;
	bool     have_discovery;
	struct chap_cred discovery;
	struct chap_prefs prefs;
	struct iscsi_ratelimit rl;
};

static int str_field(json_t *o, const char *key, const char *where, bool need,
		     const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v) {
		if (need) {
			log_err("config %s: \"%s\" missing", where, key);
			return -EINVAL;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		log_err("config %s: \"%s\" must be a string", where, key);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

static int parse_cred(json_t *o, const char *where, struct chap_cred *cr)
{
	const char *user, *secret, *muser, *msecret;
	size_t sl;

	memset(cr, 0, sizeof(*cr));
	if (!json_is_object(o)) {
		log_err("config %s: must be an object {user, secret, mutual_user, mutual_secret}",
			where);
		return -EINVAL;
	}
	if (str_field(o, "user", where, true, &user) < 0 ||
	    str_field(o, "secret", where, true, &secret) < 0 ||
	    str_field(o, "mutual_user", where, false, &muser) < 0 ||
	    str_field(o, "mutual_secret", where, false, &msecret) < 0)
		return -EINVAL;
	if (!user[0] || strlen(user) > ISCSI_CHAP_NAME_MAX) {
		log_err("config %s: user must have 1 to %d bytes", where, ISCSI_CHAP_NAME_MAX);
		return -EINVAL;
	}
	sl = strlen(secret);
	if (sl < CHAP_SECRET_MIN || sl > CHAP_SECRET_MAX) {
		log_err("config %s: secret must have %d to %d bytes (has %zu)", where,
			CHAP_SECRET_MIN, CHAP_SECRET_MAX, sl);
		return -EINVAL;
	}
	snprintf(cr->user, sizeof(cr->user), "%s", user);
	memcpy(cr->secret, secret, sl);
	cr->secret_len = sl;
	if (!muser && !msecret)
		return 0;
	if (!muser || !msecret) {
		log_err("config %s: mutual_user and mutual_secret go together", where);
		return -EINVAL;
	}
	sl = strlen(msecret);
	if (!muser[0] || strlen(muser) > ISCSI_CHAP_NAME_MAX) {
		log_err("config %s: mutual_user must have 1 to %d bytes", where,
			ISCSI_CHAP_NAME_MAX);
		return -EINVAL;
	}
	if (sl < CHAP_SECRET_MIN || sl > CHAP_SECRET_MAX) {
		log_err("config %s: mutual_secret must have %d to %d bytes (has %zu)", where,
			CHAP_SECRET_MIN, CHAP_SECRET_MAX, sl);
		return -EINVAL;
	}
	/* RFC 7143 12.1.3: a secret authenticates one direction only */
	if (sl == cr->secret_len && !memcmp(msecret, cr->secret, sl)) {
		log_err("config %s: mutual_secret must differ from secret", where);
		return -EINVAL;
	}
	snprintf(cr->muser, sizeof(cr->muser), "%s", muser);
	memcpy(cr->msecret, msecret, sl);
	cr->msecret_len = sl;
	cr->mutual = true;
	return 0;
}

static int parse_algs(json_t *list, struct chap_prefs *p)
{
	size_t i;
	json_t *v;

	p->n = 0;
	if (!list) {
		/* newest first: initiators that offer them get the stronger hash;
		 * libiscsi and older initiators only offer MD5 */
		p->alg[p->n++] = CHAP_ALG_SHA3_256;
		p->alg[p->n++] = CHAP_ALG_SHA256;
		p->alg[p->n++] = CHAP_ALG_MD5;
		return 0;
	}
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > CHAP_NALGS) {
		log_err("config chap_algorithms: a list of 1 to 3 of \"SHA3-256\", "
			"\"SHA-256\", \"MD5\"");
		return -EINVAL;
	}
	json_array_foreach(list, i, v) {
		int alg = json_is_string(v) ? chap_alg_by_name(json_string_value(v)) : -EINVAL;

		for (unsigned j = 0; alg > 0 && j < p->n; j++)
			if (p->alg[j] == alg)
				alg = -EINVAL;
		if (alg < 0) {
			log_err("config chap_algorithms[%zu]: unknown or repeated (known: "
				"\"SHA3-256\", \"SHA-256\", \"MD5\")", i);
			return -EINVAL;
		}
		p->alg[p->n++] = (uint8_t)alg;
	}
	return 0;
}

static uint32_t cfg_num(json_t *cfg, const char *key, uint32_t def, uint32_t hi)
{
	json_t *v = json_object_get(cfg, key);

	if (!json_is_integer(v))
		return def;
	if (json_integer_value(v) < 0 || json_integer_value(v) > hi) {
		log_warn("config %s out of [0, %u]; using %u", key, hi, def);
		return def;
	}
	return (uint32_t)json_integer_value(v);
}

int iscsi_auth_config(struct iscsi_tgt *t, json_t *cfg)
{
	struct iscsi_auth_cfg *a = calloc(1, sizeof(*a));
	json_t *targets = cfg ? json_object_get(cfg, "targets") : NULL;
	json_t *disc = cfg ? json_object_get(cfg, "discovery_chap") : NULL;
	size_t i;
	json_t *e;
	char where[ISCSI_NAME_MAX + 32];

	if (!a)
		return -ENOMEM;
	t->auth = a;
	if (parse_algs(cfg ? json_object_get(cfg, "chap_algorithms") : NULL, &a->prefs) < 0)
		return -EINVAL;
	if (disc && !json_is_null(disc)) {
		if (parse_cred(disc, "discovery_chap", &a->discovery) < 0)
			return -EINVAL;
		a->have_discovery = true;
	}
	if (targets && !json_is_array(targets)) {
		log_err("config targets: must be a list");
		return -EINVAL;
	}
	a->targets = calloc(json_array_size(targets) + 1, sizeof(*a->targets));
	if (!a->targets)
		return -ENOMEM;
	json_array_foreach(targets, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *chap = json_object_get(e, "chap");
		struct iscsi_auth_target *at = &a->targets[a->ntargets];

		if (!chap || json_is_null(chap))
			continue;
		if (!name || iscsi_name_check(name, strlen(name), at->name,
					      sizeof(at->name)) < 0) {
			log_err("config targets[%zu]: bad or missing name", i);
			return -EINVAL;
		}
		snprintf(where, sizeof(where), "target %s chap", at->name);
		if (parse_cred(chap, where, &at->cred) < 0)
			return -EINVAL;
		a->ntargets++;
	}
	if (rl_init(&a->rl, AUTH_RL_ENTRIES, cfg_num(cfg, "auth_fail_burst", 5, 1000),
		    cfg_num(cfg, "auth_fail_block_max", 60, 3600), AUTH_RL_FORGET) < 0)
		return -ENOMEM;
	if (a->ntargets || a->have_discovery)
		log_info("CHAP required for %u target(s)%s; algorithms %s%s%s%s%s",
			 a->ntargets, a->have_discovery ? " and discovery" : "",
			 chap_alg_name(a->prefs.alg[0]), a->prefs.n > 1 ? "," : "",
			 a->prefs.n > 1 ? chap_alg_name(a->prefs.alg[1]) : "",
			 a->prefs.n > 2 ? "," : "",
			 a->prefs.n > 2 ? chap_alg_name(a->prefs.alg[2]) : "");
	return 0;
}

void iscsi_auth_begin(struct iscsi_conn *c, struct iscsi_auth *a, int session_type,
		      const char *target)
{
	struct iscsi_auth_cfg *ac = c->t->auth;
	const struct chap_cred *cred = NULL;

	if (session_type == ISCSI_SESSION_DISCOVERY) {
		if (ac->have_discovery)
			cred = &ac->discovery;
	} else {
		for (uint32_t i = 0; i < ac->ntargets; i++)
			if (!strcmp(ac->targets[i].name, target))
				cred = &ac->targets[i].cred;
	}
	iscsi_auth_init(a, cred, &ac->prefs);
}

void iscsi_auth_prepare(struct iscsi_conn *c, struct iscsi_auth *a)
{
	char addr[RL_ADDR_MAX];
	double left;

	rl_addr_of(c->peer, addr, sizeof(addr));
	a->blocked = rl_blocked(&c->t->auth->rl, addr, ev_now(c->t->loop), &left);
}

/* A user name from the wire, fit for a log line. */
static void printable(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

void iscsi_auth_failed(struct iscsi_conn *c, struct iscsi_auth *a)
{
	struct iscsi_session *s = c->sess;
	char addr[RL_ADDR_MAX], user[ISCSI_CHAP_NAME_MAX + 1];
	uint32_t n = 0;

	c->t->st.auth_failures++;
	rl_addr_of(c->peer, addr, sizeof(addr));
	printable(a->user, user, sizeof(user));
	/* refusals while blocked do not extend the block: the address gets in
	 * again once it stops guessing */
	if (!a->blocked)
		n = rl_fail(&c->t->auth->rl, addr, ev_now(c->t->loop));
	log_warn("conn %llu (%s): authentication failed: %s (initiator %s, %s%s, "
		 "CHAP user \"%s\"%s%s; %u failure(s) in a row from %s)",
		 (unsigned long long)c->id, c->peer, a->why ? a->why : "?",
		 s ? s->p.initiator_name : "?",
		 s && s->p.session_type == ISCSI_SESSION_DISCOVERY ? "discovery session" : "target ",
		 s && s->p.session_type != ISCSI_SESSION_DISCOVERY ? s->p.target_name : "",
		 user, a->alg ? ", " : "", a->alg ? chap_alg_name(a->alg) : "", n, addr);
}

void iscsi_auth_succeeded(struct iscsi_conn *c, struct iscsi_auth *a)
{
	if (!a->cred)
		return;
	log_info("conn %llu (%s): CHAP %s%s authentication of \"%s\" succeeded",
		 (unsigned long long)c->id, c->peer, chap_alg_name(a->alg),
		 a->mutual_done ? " mutual" : "", a->cred->user);
}
