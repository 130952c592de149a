/* CHAP for the iSCSI security stage, target side (see iscsi_chap.h). Hashes
 * and the constant-time comparison come from nettle. */
#include "procs/frontend-iscsi/iscsi_chap.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <nettle/sha3.h>

static const struct {
	const char *name;
	int alg;
	size_t dlen;
} algs[] = {
	{ "MD5", CHAP_ALG_MD5, MD5_DIGEST_SIZE },
	{ "SHA-256", CHAP_ALG_SHA256, SHA256_DIGEST_SIZE },
	{ "SHA3-256", CHAP_ALG_SHA3_256, SHA3_256_DIGEST_SIZE },
};

int chap_alg_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i].name, name))
			return algs[i].alg;
	return -EINVAL;
}

const char *chap_alg_name(int alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "?";
}

size_t chap_digest_len(int alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].dlen;
	return 0;
}

int chap_response(int alg, uint8_t id, const uint8_t *secret, size_t slen,
		  const uint8_t *chal, size_t clen, uint8_t *out)
{
	switch (alg) {
	case CHAP_ALG_MD5: {
		struct md5_ctx h;

		md5_init(&h);
		md5_update(&h, 1, &id);
		md5_update(&h, slen, secret);
		md5_update(&h, clen, chal);
		md5_digest(&h, MD5_DIGEST_SIZE, out);
		return 0;
	}
	case CHAP_ALG_SHA256: {
		struct sha256_ctx h;

		sha256_init(&h);
		sha256_update(&h, 1, &id);
		sha256_update(&h, slen, secret);
		sha256_update(&h, clen, chal);
		sha256_digest(&h, SHA256_DIGEST_SIZE, out);
		return 0;
	}
	case CHAP_ALG_SHA3_256: {
		struct sha3_256_ctx h;

		sha3_256_init(&h);
		sha3_256_update(&h, 1, &id);
		sha3_256_update(&h, slen, secret);
		sha3_256_update(&h, clen, chal);
		sha3_256_digest(&h, SHA3_256_DIGEST_SIZE, out);
		return 0;
	}
	}
	return -EINVAL;
}

int chap_pick_alg(const struct chap_prefs *p, uint16_t offered_mask)
{
	for (unsigned i = 0; i < p->n && i < CHAP_NALGS; i++)
		if (p->alg[i] < 16 && (offered_mask & (1u << p->alg[i])))
			return p->alg[i];
	return 0;
}

bool chap_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memeql_sec(a, b, n) != 0;
}

void chap_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*out++ = d[in[i] >> 4];
		*out++ = d[in[i] & 15];
	}
	*out = '\0';
}

int chap_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	/* short reads only happen past 256 bytes or on a signal; bounded */
	for (int tries = 0; n && tries < 16; tries++) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return n ? -EIO : 0;
}

void iscsi_auth_init(struct iscsi_auth *a, const struct chap_cred *cred,
		     const struct chap_prefs *prefs)
{
	memset(a, 0, sizeof(*a));
	a->cred = cred;
	a->prefs = prefs;
	a->state = AUTH_START;
}

bool iscsi_auth_ok(const struct iscsi_auth *a)
{
	return a->state == AUTH_OK;
}

static int fail(struct iscsi_auth *a, const char *why)
{
	a->why = why;
	a->state = AUTH_START;
	return ISCSI_LOGIN_AUTH_FAILED;
}

#define R(x) do { if ((x) < 0) return ISCSI_LOGIN_TARGET_ERROR; } while (0)

/* CHAP_N and CHAP_R (and, for mutual CHAP, CHAP_I and CHAP_C) answering our
 * challenge. */
static int check_response(struct iscsi_auth *a, const struct iscsi_auth_keys *k,
			  struct iscsi_text *out)
{
	const struct chap_cred *cr = a->cred;
	uint8_t want[CHAP_DIGEST_MAX], mine[CHAP_DIGEST_MAX];
	char user[ISCSI_CHAP_NAME_MAX + 1];
	char hex[2 * CHAP_DIGEST_MAX + 3];
	size_t dlen = chap_digest_len(a->alg);
	bool ok;

	if (k->have_n)
		snprintf(a->user, sizeof(a->user), "%s", k->n);
	if (!k->have_n || !k->have_r)
		return fail(a, "CHAP_N or CHAP_R missing");
	if (k->bad)
		return fail(a, "malformed CHAP value");
	if (a->blocked)
		return fail(a, "too many failed logins from this address");
	/* Both checks always run and are combined at the end, so the time taken
	 * says nothing about which one failed (or how much of a name matched). */
	memset(user, 0, sizeof(user));
	memcpy(user, k->n, strnlen(k->n, ISCSI_CHAP_NAME_MAX));
	ok = chap_ct_equal((const uint8_t *)user, (const uint8_t *)cr->user, sizeof(user));
	R(chap_response(a->alg, a->id, cr->secret, cr->secret_len, a->chal, a->chal_len, want));
	memset(mine, 0, sizeof(mine));
	memcpy(mine, k->r, k->r_len < dlen ? k->r_len : dlen);
	ok &= chap_ct_equal(mine, want, dlen);
	ok &= k->r_len == dlen;
	if (!ok)
		return fail(a, "wrong CHAP user name or response");
	if (k->have_c || k->have_i) {
		/* the initiator authenticates us too */
		if (!k->have_c || !k->have_i)
			return fail(a, "mutual CHAP needs both CHAP_I and CHAP_C");
		if (!cr->mutual)
			return fail(a, "mutual CHAP asked for but not configured");
		if (k->c_len < CHAP_PEER_CHAL_MIN)
			return fail(a, "initiator challenge too short");
		/* RFC 7143 12.1.3: the initiator must not send our own challenge
		 * back (reflection: we would answer it for the attacker) */
		if (k->c_len == a->chal_len && !memcmp(k->c, a->chal, a->chal_len))
			return fail(a, "initiator challenge identical to ours (reflection)");
		R(chap_response(a->alg, (uint8_t)k->i, cr->msecret, cr->msecret_len, k->c,
				k->c_len, mine));
		chap_hex(mine, dlen, hex);
		R(iscsi_text_add(out, "CHAP_N", cr->muser));
		R(iscsi_text_add(out, "CHAP_R", hex));
		a->mutual_done = true;
	}
	a->state = AUTH_OK;
	return 0;
}

static int irrelevant(const struct iscsi_auth_keys *k, struct iscsi_text *out)
{
	if (k->have_a)
		R(iscsi_text_add(out, "CHAP_A", "Irrelevant"));
	if (k->have_i)
		R(iscsi_text_add(out, "CHAP_I", "Irrelevant"));
	if (k->have_c)
		R(iscsi_text_add(out, "CHAP_C", "Irrelevant"));
	if (k->have_n)
		R(iscsi_text_add(out, "CHAP_N", "Irrelevant"));
	if (k->have_r)
		R(iscsi_text_add(out, "CHAP_R", "Irrelevant"));
	return 0;
}

static int step(struct iscsi_auth *a, const struct iscsi_auth_keys *k, int csg,
		struct iscsi_text *out)
{
	bool chap_keys = k->have_a || k->have_i || k->have_c || k->have_n || k->have_r;
	char hex[2 * CHAP_DIGEST_MAX + 3];
	int alg;

	if (csg != ISCSI_STAGE_SECURITY)
		return 0; /* the negotiation answered them Irrelevant */
	if (k->have_method) {
		if (a->state != AUTH_START)
			return fail(a, "AuthMethod after authentication started");
		if (a->cred) {
			if (!k->offer_chap) {
				R(iscsi_text_add(out, "AuthMethod", "Reject"));
				return fail(a, "CHAP required, initiator did not offer it");
			}
			R(iscsi_text_add(out, "AuthMethod", "CHAP"));
			a->state = AUTH_WAIT_A;
		} else if (k->offer_none) {
			R(iscsi_text_add(out, "AuthMethod", "None"));
			a->state = AUTH_OK;
		} else {
			/* the initiator insists on authentication, we have no
			 * secret to do it with */
			R(iscsi_text_add(out, "AuthMethod", "Reject"));
			return fail(a, "initiator requires authentication, none configured");
		}
	}
	if (!chap_keys)
		return 0;
	if (!a->cred) {
		if (a->state != AUTH_OK)
			return fail(a, "CHAP keys before AuthMethod");
		return irrelevant(k, out);
	}
	switch (a->state) {
	case AUTH_START:
		return fail(a, "CHAP keys before AuthMethod");
	case AUTH_WAIT_A:
		if (!k->have_a || k->have_n || k->have_r || k->have_c || k->have_i)
			return fail(a, "CHAP_A expected");
		alg = chap_pick_alg(a->prefs, k->a_mask);
		if (!alg) {
			R(iscsi_text_add(out, "CHAP_A", "Reject"));
			return fail(a, "no acceptable CHAP algorithm offered");
		}
		a->alg = (uint8_t)alg;
		/* RFC 1994: challenge unpredictable, at least the digest size */
		a->chal_len = chap_digest_len(alg);
		if (chap_random(a->chal, a->chal_len) < 0 || chap_random(&a->id, 1) < 0)
			return ISCSI_LOGIN_TARGET_ERROR;
		chap_hex(a->chal, a->chal_len, hex);
		R(iscsi_text_addf(out, "CHAP_A", "%d", alg));
		R(iscsi_text_addf(out, "CHAP_I", "%u", a->id));
		R(iscsi_text_add(out, "CHAP_C", hex));
		a->state = AUTH_WAIT_R;
		return 0;
	case AUTH_WAIT_R:
		if (k->have_a)
			return fail(a, "CHAP_A twice");
		return check_response(a, k, out);
	case AUTH_OK:
		break;
	}
	return fail(a, "CHAP keys after authentication");
}

int iscsi_auth_step(struct iscsi_auth *a, struct iscsi_auth_keys *k, int csg,
		    struct iscsi_text *out)
{
	int st = step(a, k, csg, out);

	/* nothing of the initiator's values stays around */
	memset(k, 0, sizeof(*k));
	return st;
}

int iscsi_auth_transit(struct iscsi_auth *a, int csg, bool *transit)
{
	if (a->state == AUTH_OK)
		return 0;
	if (csg == ISCSI_STAGE_SECURITY && !*transit)
		return 0;
	if (!a->cred) {
		/* no AuthMethod at all: nothing to authenticate */
		a->state = AUTH_OK;
		return 0;
	}
	if (csg == ISCSI_STAGE_SECURITY && a->state != AUTH_START) {
		/* the exchange needs another round trip: stay */
		*transit = false;
		return 0;
	}
	a->why = "authentication required, initiator skipped it";
	return ISCSI_LOGIN_AUTH_FAILED;
}
