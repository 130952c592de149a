/* Unit tests: CHAP (binary encodings, hashes, algorithm choice, the target's
 * state machine, reflection, constant-time compare) and the failed-login rate
 * limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "procs/frontend-iscsi/iscsi_chap.h"
#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"
#include "procs/frontend-iscsi/iscsi_ratelimit.h"

static const struct iscsi_limits lim = {
	.max_recv_dsl = 262144, .max_burst = 1048576, .first_burst = 262144,
	.max_outstanding_r2t = 4, .tpgt = 1,
};
static const struct chap_prefs prefs = { { CHAP_ALG_SHA3_256, CHAP_ALG_SHA256, CHAP_ALG_MD5 }, 3 };

static struct chap_cred cred(bool mutual)
{
	struct chap_cred c;

	memset(&c, 0, sizeof(c));
	strcpy(c.user, "alice");
	memcpy(c.secret, "alice-secret-1", 14);
	c.secret_len = 14;
	if (mutual) {
		c.mutual = true;
		strcpy(c.muser, "target");
		memcpy(c.msecret, "target-secret-2", 15);
		c.msecret_len = 15;
	}
	return c;
}

static const char *answer(const struct iscsi_text *t, const char *key)
{
	size_t pos = 0, kl = strlen(key);
	struct iscsi_kv kv;

	while (iscsi_text_next(t->buf, t->len, &pos, &kv) > 0)
		if (kv.klen == kl && !memcmp(kv.key, key, kl))
			return kv.val;
	return NULL;
}

/* One login request: negotiation records the keys, then the auth step. */
static int req(struct iscsi_neg *n, struct iscsi_auth *a, int csg, struct iscsi_text *out,
	       const char *const *kv)
{
	char buf[8192];
	size_t len = 0;
	int st;

	for (; *kv; kv++) {
		size_t l = strlen(*kv) + 1;

		memcpy(buf + len, *kv, l);
		len += l;
	}
	iscsi_text_reset(out);
	st = iscsi_neg_login(n, csg, buf, len, out);
	if (st)
		return st;
	return iscsi_auth_step(a, &n->auth, csg, out);
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	chap_hex(b, n, out);
}

static void test_decode(void **s)
{
	uint8_t b[64];

	assert_int_equal(iscsi_decode_binary("0x00ff10", 8, b, sizeof(b)), 3);
	assert_memory_equal(b, "\x00\xff\x10", 3);
	assert_int_equal(iscsi_decode_binary("0XAbCd", 6, b, sizeof(b)), 2);
	assert_memory_equal(b, "\xab\xcd", 2);
	assert_int_equal(iscsi_decode_binary("0xabc", 5, b, sizeof(b)), 2); /* odd: 0x0abc */
	assert_memory_equal(b, "\x0a\xbc", 2);
	assert_int_equal(iscsi_decode_binary("0bAAECAw==", 10, b, sizeof(b)), 4);
	assert_memory_equal(b, "\x00\x01\x02\x03", 4);
	assert_int_equal(iscsi_decode_binary("0Bq83vEjR", 9, b, sizeof(b)), -EINVAL); /* not /4 */
	assert_int_equal(iscsi_decode_binary("0Bq83vEjRW", 10, b, sizeof(b)), 6);
	assert_int_equal(iscsi_decode_binary("0bq83vEjRWeJ6J", 14, b, sizeof(b)), 9);
	assert_memory_equal(b, "\xab\xcd\xef\x12\x34\x56\x78\x9e\x89", 9);
	assert_int_equal(iscsi_decode_binary("0bq83vEjRWeJ6J6Q==", 18, b, sizeof(b)), 10);
	assert_int_equal(b[9], 0xe9);
	assert_int_equal(iscsi_decode_binary("0bq83vEjRWeJ6J6", 15, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0b+/+/", 6, b, sizeof(b)), 3);
	assert_int_equal(iscsi_decode_binary("0b+/-/", 6, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0bq8=v", 6, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0bAB==", 6, b, sizeof(b)), -EINVAL); /* stray bits */
	assert_int_equal(iscsi_decode_binary("0bAA==", 6, b, sizeof(b)), 1);
	assert_int_equal(iscsi_decode_binary("0b====", 6, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0x", 2, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0xzz", 4, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("1234", 4, b, sizeof(b)), -EINVAL);
	assert_int_equal(iscsi_decode_binary("0x010203", 8, b, 2), -EINVAL); /* past cap */
	assert_int_equal(iscsi_decode_binary("0bAAECAw==", 10, b, 3), -EINVAL);
}

static void test_hash_vectors(void **s)
{
	/* H(0x07 || "abcdefghijkl" || 00 01 .. 0f), from Python's hashlib */
	static const struct { int alg; const char *hex; } v[] = {
		{ CHAP_ALG_MD5, "0xfb9e45ac2c8befdb26ac0bdcbbf7b715" },
		{ CHAP_ALG_SHA256,
		  "0xd34cc0891330e19925af8fb8059b94041c9bcc80835f6ec2537924c712e08643" },
		{ CHAP_ALG_SHA3_256,
		  "0xdf0139011fcb81fcb1a2c1143719ebd0b2a84df5d95ab0a83cb77f30b62d7bdb" },
	};
	uint8_t chal[16], out[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3];

	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(chap_response(v[i].alg, 7, (const uint8_t *)"abcdefghijkl", 12,
					       chal, 16, out), 0);
		hex_of(out, chap_digest_len(v[i].alg), hex);
		assert_string_equal(hex, v[i].hex);
	}
	assert_int_equal(chap_response(6, 7, chal, 1, chal, 1, out), -EINVAL);
	assert_int_equal(chap_digest_len(CHAP_ALG_MD5), 16);
	assert_int_equal(chap_digest_len(CHAP_ALG_SHA3_256), 32);
	assert_int_equal(chap_digest_len(6), 0);
	assert_int_equal(chap_alg_by_name("SHA-256"), 7);
	assert_int_equal(chap_alg_by_name("sha-256"), -EINVAL);
}

static void test_ct_equal(void **s)
{
	uint8_t a[32], b[32];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(chap_ct_equal(a, b, 32));
	assert_true(chap_ct_equal(a, b, 0));
	b[0] ^= 1;
	assert_false(chap_ct_equal(a, b, 32));
	b[0] ^= 1;
	b[31] ^= 0x80;
	assert_false(chap_ct_equal(a, b, 32));
	assert_true(chap_ct_equal(a, b, 31));
}

static void test_pick_alg(void **s)
{
	struct chap_prefs md5_first = { { CHAP_ALG_MD5, CHAP_ALG_SHA256 }, 2 };

	assert_int_equal(chap_pick_alg(&prefs, 1 << 5), 5);
	assert_int_equal(chap_pick_alg(&prefs, 1 << 5 | 1 << 7), 7);
	assert_int_equal(chap_pick_alg(&prefs, 1 << 5 | 1 << 7 | 1 << 8), 8);
	assert_int_equal(chap_pick_alg(&prefs, 1 << 6), 0);
	assert_int_equal(chap_pick_alg(&prefs, 0), 0);
	/* the configured order wins over the initiator's */
	assert_int_equal(chap_pick_alg(&md5_first, 1 << 5 | 1 << 7 | 1 << 8), 5);
	/* an algorithm left out of the configuration is never chosen */
	assert_int_equal(chap_pick_alg(&md5_first, 1 << 8), 0);
}

/* Drive a whole exchange; returns the login status of the response step.
 * alist: CHAP_A value; secret/user: what the initiator answers with;
 * mutual_c: initiator challenge (hex) or NULL; reflect: send ours back. */
struct run {
	struct iscsi_neg n;
	struct iscsi_auth a;
	struct iscsi_text out;
	int alg;
	uint8_t id;
	uint8_t chal[1024];
	int chal_len;
};

static void run_start(struct run *r, const struct chap_cred *c, const char *alist)
{
	const char *k1[] = { "InitiatorName=iqn.1994-05.com.example:i", "TargetName=iqn.2026-11.org.x:t",
			     "AuthMethod=CHAP,None", NULL };
	char a[64];
	const char *k2[] = { a, NULL };
	bool transit = true;

	iscsi_neg_init(&r->n, &lim);
	iscsi_text_init(&r->out, ISCSI_TEXT_MAX);
	iscsi_auth_init(&r->a, c, &prefs);
	assert_int_equal(req(&r->n, &r->a, ISCSI_STAGE_SECURITY, &r->out, k1), 0);
	assert_string_equal(answer(&r->out, "AuthMethod"), "CHAP");
	/* the initiator asked to move on: not before CHAP is done */
	assert_int_equal(iscsi_auth_transit(&r->a, ISCSI_STAGE_SECURITY, &transit), 0);
	assert_false(transit);
	snprintf(a, sizeof(a), "CHAP_A=%s", alist);
	assert_int_equal(req(&r->n, &r->a, ISCSI_STAGE_SECURITY, &r->out, k2), 0);
	r->alg = atoi(answer(&r->out, "CHAP_A"));
	r->id = (uint8_t)atoi(answer(&r->out, "CHAP_I"));
	r->chal_len = iscsi_decode_binary(answer(&r->out, "CHAP_C"),
					  strlen(answer(&r->out, "CHAP_C")), r->chal,
					  sizeof(r->chal));
	assert_int_equal(r->chal_len, (int)chap_digest_len(r->alg));
}

static int run_respond(struct run *r, const char *user, const char *secret, const char *extra1,
		       const char *extra2)
{
	uint8_t d[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3], n[300], rr[300];
	const char *k[] = { n, rr, extra1, extra2, NULL };

	chap_response(r->alg, r->id, (const uint8_t *)secret, strlen(secret), r->chal,
		      (size_t)r->chal_len, d);
	hex_of(d, chap_digest_len(r->alg), hex);
	snprintf(n, sizeof(n), "CHAP_N=%s", user);
	snprintf(rr, sizeof(rr), "CHAP_R=%s", hex);
	return req(&r->n, &r->a, ISCSI_STAGE_SECURITY, &r->out, k);
}

static void test_oneway(void **s)
{
	struct chap_cred c = cred(false);
	struct run r;
	bool transit = true;

	for (int i = 0; i < 3; i++) {
		const char *alist = i == 0 ? "5" : i == 1 ? "5,7" : "5,7,8";

		run_start(&r, &c, alist);
		assert_int_equal(r.alg, i == 0 ? 5 : i == 1 ? 7 : 8);
		assert_int_equal(run_respond(&r, "alice", "alice-secret-1", NULL, NULL), 0);
		assert_true(iscsi_auth_ok(&r.a));
		assert_null(answer(&r.out, "CHAP_N")); /* no mutual answer */
		transit = true;
		assert_int_equal(iscsi_auth_transit(&r.a, ISCSI_STAGE_SECURITY, &transit), 0);
		assert_true(transit);
		iscsi_text_free(&r.out);
	}
}

static void test_wrong(void **s)
{
	struct chap_cred c = cred(false);
	struct run r;

	run_start(&r, &c, "5");
	assert_int_equal(run_respond(&r, "alice", "alice-secret-X", NULL, NULL),
			 ISCSI_LOGIN_AUTH_FAILED);
	assert_false(iscsi_auth_ok(&r.a));
	assert_string_equal(r.a.user, "alice");
	iscsi_text_free(&r.out);

	run_start(&r, &c, "7");
	assert_int_equal(run_respond(&r, "alicf", "alice-secret-1", NULL, NULL),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);

	/* a prefix of the user name is not the user name */
	run_start(&r, &c, "7");
	assert_int_equal(run_respond(&r, "alic", "alice-secret-1", NULL, NULL),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);

	/* the right secret while rate limited is refused too */
	run_start(&r, &c, "8");
	r.a.blocked = true;
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", NULL, NULL),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);

	/* truncated and malformed responses */
	run_start(&r, &c, "5");
	{
		const char *k[] = { "CHAP_N=alice", "CHAP_R=0x0011", NULL };
		assert_int_equal(req(&r.n, &r.a, 0, &r.out, k), ISCSI_LOGIN_AUTH_FAILED);
	}
	iscsi_text_free(&r.out);
	run_start(&r, &c, "5");
	{
		const char *k[] = { "CHAP_N=alice", "CHAP_R=0xnothex", NULL };
		assert_int_equal(req(&r.n, &r.a, 0, &r.out, k), ISCSI_LOGIN_AUTH_FAILED);
	}
	iscsi_text_free(&r.out);
	run_start(&r, &c, "5");
	{
		const char *k[] = { "CHAP_N=alice", NULL };
		assert_int_equal(req(&r.n, &r.a, 0, &r.out, k), ISCSI_LOGIN_AUTH_FAILED);
	}
	iscsi_text_free(&r.out);
}

static void test_base64_response(void **s)
{
	struct chap_cred c = cred(false);
	struct run r;
	uint8_t d[CHAP_DIGEST_MAX];
	char b64[80], rr[100];
	const char *k[] = { "CHAP_N=alice", rr, NULL };
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	run_start(&r, &c, "5");
	chap_response(r.alg, r.id, c.secret, c.secret_len, r.chal, (size_t)r.chal_len, d);
	/* 16 bytes of base64 */
	for (i = 0; i + 3 <= 16; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];

		b64[o++] = al[v >> 18 & 63];
		b64[o++] = al[v >> 12 & 63];
		b64[o++] = al[v >> 6 & 63];
		b64[o++] = al[v & 63];
	}
	b64[o++] = al[d[15] >> 2];
	b64[o++] = al[(d[15] & 3) << 4];
	b64[o++] = '=';
	b64[o++] = '=';
	b64[o] = '\0';
	snprintf(rr, sizeof(rr), "CHAP_R=0b%s", b64);
	assert_int_equal(req(&r.n, &r.a, 0, &r.out, k), 0);
	assert_true(iscsi_auth_ok(&r.a));
	iscsi_text_free(&r.out);
}

static void test_mutual(void **s)
{
	struct chap_cred c = cred(true);
	struct run r;
	uint8_t ic[24], d[CHAP_DIGEST_MAX], got[64];
	char ch[200], hex[2 * CHAP_DIGEST_MAX + 3];

	for (int i = 0; i < 24; i++)
		ic[i] = (uint8_t)(i * 7 + 1);
	hex_of(ic, 24, hex);
	snprintf(ch, sizeof(ch), "CHAP_C=%s", hex);
	run_start(&r, &c, "7,5");
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", "CHAP_I=42", ch), 0);
	assert_true(iscsi_auth_ok(&r.a) && r.a.mutual_done);
	assert_string_equal(answer(&r.out, "CHAP_N"), "target");
	chap_response(CHAP_ALG_SHA256, 42, c.msecret, c.msecret_len, ic, 24, d);
	assert_int_equal(iscsi_decode_binary(answer(&r.out, "CHAP_R"),
					     strlen(answer(&r.out, "CHAP_R")), got, sizeof(got)), 32);
	assert_memory_equal(got, d, 32);
	iscsi_text_free(&r.out);

	/* reflection: our own challenge sent back */
	run_start(&r, &c, "8");
	hex_of(r.chal, (size_t)r.chal_len, hex);
	snprintf(ch, sizeof(ch), "CHAP_C=%s", hex);
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", "CHAP_I=1", ch),
			 ISCSI_LOGIN_AUTH_FAILED);
	assert_non_null(strstr(r.a.why, "reflection"));
	assert_null(answer(&r.out, "CHAP_R"));
	iscsi_text_free(&r.out);

	/* too short a challenge, CHAP_C without CHAP_I */
	run_start(&r, &c, "5");
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", "CHAP_I=1", "CHAP_C=0x0102"),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);
	run_start(&r, &c, "5");
	snprintf(ch, sizeof(ch), "CHAP_C=0x%032d", 1);
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", ch, NULL),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);

	/* mutual asked for, none configured */
	c = cred(false);
	run_start(&r, &c, "5");
	snprintf(ch, sizeof(ch), "CHAP_C=0x%032d", 1);
	assert_int_equal(run_respond(&r, "alice", "alice-secret-1", "CHAP_I=1", ch),
			 ISCSI_LOGIN_AUTH_FAILED);
	iscsi_text_free(&r.out);
}

static void test_method(void **s)
{
	struct chap_cred c = cred(false);
	struct iscsi_neg n;
	struct iscsi_auth a;
	struct iscsi_text out;
	bool transit;
	const char *none[] = { "AuthMethod=None", NULL };
	const char *chap_only[] = { "AuthMethod=CHAP", NULL };
	const char *both[] = { "AuthMethod=KRB5,CHAP,None", NULL };
	const char *a99[] = { "CHAP_A=6,99", NULL };
	const char *early[] = { "CHAP_N=alice", "CHAP_R=0x00", NULL };
	const char *opkeys[] = { "MaxBurstLength=65536", NULL };

	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	/* CHAP required, initiator offers only None */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, none), ISCSI_LOGIN_AUTH_FAILED);
	assert_string_equal(answer(&out, "AuthMethod"), "Reject");
	/* none required: None chosen even when CHAP is preferred */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, NULL, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, both), 0);
	assert_string_equal(answer(&out, "AuthMethod"), "None");
	assert_true(iscsi_auth_ok(&a));
	/* later CHAP keys are irrelevant then */
	assert_int_equal(req(&n, &a, 0, &out, a99), 0);
	assert_string_equal(answer(&out, "CHAP_A"), "Irrelevant");
	/* none required, initiator insists on CHAP */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, NULL, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, chap_only), ISCSI_LOGIN_AUTH_FAILED);
	/* no acceptable algorithm */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, chap_only), 0);
	assert_int_equal(req(&n, &a, 0, &out, a99), ISCSI_LOGIN_AUTH_FAILED);
	assert_string_equal(answer(&out, "CHAP_A"), "Reject");
	/* response before the challenge */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, chap_only), 0);
	assert_int_equal(req(&n, &a, 0, &out, early), ISCSI_LOGIN_AUTH_FAILED);
	/* CHAP keys without AuthMethod */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, early), ISCSI_LOGIN_AUTH_FAILED);
	/* skipping the security stage when CHAP is required */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, ISCSI_STAGE_OPERATIONAL, &out, opkeys), 0);
	transit = false;
	assert_int_equal(iscsi_auth_transit(&a, ISCSI_STAGE_OPERATIONAL, &transit),
			 ISCSI_LOGIN_AUTH_FAILED);
	/* transit out of security without any AuthMethod */
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	transit = true;
	assert_int_equal(iscsi_auth_transit(&a, ISCSI_STAGE_SECURITY, &transit),
			 ISCSI_LOGIN_AUTH_FAILED);
	/* ... which is fine when nothing is required */
	iscsi_auth_init(&a, NULL, &prefs);
	transit = true;
	assert_int_equal(iscsi_auth_transit(&a, ISCSI_STAGE_SECURITY, &transit), 0);
	assert_true(transit && iscsi_auth_ok(&a));
	iscsi_text_free(&out);
}

/* AuthMethod and CHAP_A in one request, the challenge in the first answer */
static void test_method_and_alg_together(void **s)
{
	struct chap_cred c = cred(false);
	struct iscsi_neg n;
	struct iscsi_auth a;
	struct iscsi_text out;
	const char *k[] = { "InitiatorName=iqn.1994-05.com.example:i", "AuthMethod=CHAP",
			    "CHAP_A=7", NULL };

	iscsi_text_init(&out, ISCSI_TEXT_MAX);
	iscsi_neg_init(&n, &lim);
	iscsi_auth_init(&a, &c, &prefs);
	assert_int_equal(req(&n, &a, 0, &out, k), 0);
	assert_string_equal(answer(&out, "AuthMethod"), "CHAP");
	assert_string_equal(answer(&out, "CHAP_A"), "7");
	assert_int_equal(strlen(answer(&out, "CHAP_C")), 2 + 64);
	assert_int_equal(a.state, AUTH_WAIT_R);
	iscsi_text_free(&out);
}

static void test_challenges_differ(void **s)
{
	struct chap_cred c = cred(false);
	struct run r1, r2;

	run_start(&r1, &c, "5");
	run_start(&r2, &c, "5");
	assert_int_equal(r1.chal_len, 16);
	assert_memory_not_equal(r1.chal, r2.chal, 16);
	iscsi_text_free(&r1.out);
	iscsi_text_free(&r2.out);
}

static void test_ratelimit(void **s)
{
	struct iscsi_ratelimit rl;
	char a[RL_ADDR_MAX];
	double left;

	rl_addr_of("10.0.0.1:3260", a, sizeof(a));
	assert_string_equal(a, "10.0.0.1");
	rl_addr_of("[::1]:40000", a, sizeof(a));
	assert_string_equal(a, "[::1]");

	assert_int_equal(rl_init(&rl, 2, 3, 8.0, 100.0), 0);
	assert_false(rl_blocked(&rl, "A", 0, &left));
	assert_int_equal(rl_fail(&rl, "A", 1), 1);
	assert_int_equal(rl_fail(&rl, "A", 2), 2);
	assert_false(rl_blocked(&rl, "A", 2, &left));
	assert_int_equal(rl_fail(&rl, "A", 3), 3);      /* burst reached: 1 s */
	assert_true(rl_blocked(&rl, "A", 3.5, &left));
	assert_true(left > 0.4 && left < 0.6);
	assert_false(rl_blocked(&rl, "B", 3.5, &left)); /* per address */
	assert_false(rl_blocked(&rl, "A", 4.0, &left));
	rl_fail(&rl, "A", 4);                            /* 2 s */
	assert_true(rl_blocked(&rl, "A", 5.9, &left));
	assert_false(rl_blocked(&rl, "A", 6.0, &left));
	for (int i = 0; i < 10; i++)
		rl_fail(&rl, "A", 10);
	assert_true(rl_blocked(&rl, "A", 17.9, &left)); /* capped at 8 s */
	assert_false(rl_blocked(&rl, "A", 18.1, &left));
	/* quiet for longer than forget: the count starts over */
	assert_int_equal(rl_fail(&rl, "A", 200), 1);
	assert_false(rl_blocked(&rl, "A", 200, &left));
	/* a full table evicts the entry that failed longest ago */
	rl_fail(&rl, "B", 201);
	rl_fail(&rl, "C", 202);
	assert_int_equal(rl_fail(&rl, "B", 203), 2);
	assert_int_equal(rl_fail(&rl, "A", 204), 1);     /* A was evicted by C */
	rl_free(&rl);

	/* burst 0: off */
	assert_int_equal(rl_init(&rl, 4, 0, 8.0, 100.0), 0);
	for (int i = 0; i < 10; i++)
		rl_fail(&rl, "A", 1);
	assert_false(rl_blocked(&rl, "A", 1, &left));
	rl_free(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_pick_alg),
		cmocka_unit_test(test_oneway),
		cmocka_unit_test(test_wrong),
		cmocka_unit_test(test_base64_response),
		cmocka_unit_test(test_mutual),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_method_and_alg_together),
		cmocka_unit_test(test_challenges_differ),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
