/* CHAP authentication of the iSCSI security stage (RFC 7143 section 12.1.3,
 * RFC 1994), target side: AuthMethod selection, algorithm choice (CHAP_A 5
 * MD5, 7 SHA-256, 8 SHA3-256, in a configurable order of preference), our
 * challenge, checking the initiator's response in constant time, and the
 * mutual (target) response. Pure apart from getrandom(); unit tested. */
#ifndef MTGT_ISCSI_CHAP_H
#define MTGT_ISCSI_CHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-iscsi/iscsi_params.h"

#define CHAP_ALG_MD5        5
#define CHAP_ALG_SHA256     7
#define CHAP_ALG_SHA3_256   8
#define CHAP_DIGEST_MAX     32
#define CHAP_SECRET_MIN     12    /* RFC 7143 12.1.3: at least 96 bits */
#define CHAP_SECRET_MAX     255
#define CHAP_PEER_CHAL_MIN  16    /* shortest initiator challenge we answer */
#define CHAP_NALGS          3

/* Credentials of one target (or of discovery sessions). */
struct chap_cred {
	char     user[ISCSI_CHAP_NAME_MAX + 1];
	uint8_t  secret[CHAP_SECRET_MAX];
	size_t   secret_len;
	bool     mutual;              /* mutual_user/mutual_secret configured */
	char     muser[ISCSI_CHAP_NAME_MAX + 1];
	uint8_t  msecret[CHAP_SECRET_MAX];
	size_t   msecret_len;
};

/* Algorithms we offer, best first (CHAP_ALG_*). */
struct chap_prefs {
	uint8_t  alg[CHAP_NALGS];
	unsigned n;
};

enum chap_state {
	AUTH_START = 0,   /* nothing agreed yet */
	AUTH_WAIT_A,      /* AuthMethod=CHAP agreed, CHAP_A expected */
	AUTH_WAIT_R,      /* challenge sent, CHAP_N/CHAP_R expected */
	AUTH_OK,          /* authenticated, or no authentication required */
};

struct iscsi_auth {
	enum chap_state state;
	const struct chap_cred *cred;     /* NULL: no authentication required */
	const struct chap_prefs *prefs;
	bool     blocked;                 /* rate limited: refuse any response */
	uint8_t  alg;
	uint8_t  id;
	uint8_t  chal[CHAP_DIGEST_MAX];
	size_t   chal_len;
	bool     mutual_done;
	char     user[ISCSI_CHAP_NAME_MAX + 1]; /* CHAP_N received, for the log */
	const char *why;                  /* reason of the last failure, for the log */
};

/* Name of an algorithm ("MD5", "SHA-256", "SHA3-256") to its CHAP_A number, or
 * -EINVAL. */
int    chap_alg_by_name(const char *name);
const char *chap_alg_name(int alg);
/* Digest size of an algorithm, 0 if unknown. */
size_t chap_digest_len(int alg);
/* RFC 1994 response: H(id || secret || challenge). -EINVAL for an unknown alg. */
int    chap_response(int alg, uint8_t id, const uint8_t *secret, size_t slen,
		     const uint8_t *chal, size_t clen, uint8_t *out);
/* Our most preferred algorithm among those offered (bit n of mask: CHAP_A n),
 * or 0 when none is acceptable. */
int    chap_pick_alg(const struct chap_prefs *p, uint16_t offered_mask);
/* Equal contents, in time independent of the contents. */
bool   chap_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* "0x" + lowercase hex into out (2n + 3 bytes). */
void   chap_hex(const uint8_t *in, size_t n, char *out);
/* Random bytes from the kernel CSPRNG. 0 or -errno. */
int    chap_random(void *buf, size_t n);

/* Start the authentication of one login. cred NULL: none required. */
void   iscsi_auth_init(struct iscsi_auth *a, const struct chap_cred *cred,
		       const struct chap_prefs *prefs);
/* The security keys of one request (recorded by iscsi_neg_login in k) in stage
 * csg: answers go to out. Returns 0 or a login status (0x0201 authentication
 * failure, a->why says why). Clears k for the next request. */
int    iscsi_auth_step(struct iscsi_auth *a, struct iscsi_auth_keys *k, int csg,
		       struct iscsi_text *out);
/* The request asked to leave stage csg (T bit): may it? *transit is cleared
 * while the CHAP exchange still needs another round trip. Returns 0 or 0x0201
 * (authentication required but never started: e.g. a login straight into the
 * operational stage). */
int    iscsi_auth_transit(struct iscsi_auth *a, int csg, bool *transit);
/* Authentication finished (or not required): the login may go on. */
bool   iscsi_auth_ok(const struct iscsi_auth *a);

#endif
