/* iSCSI text keys (RFC 7143 sections 6 and 13): parsing key=value text and the
 * target side of login/text negotiation. Pure functions over plain structs so
 * they are unit-tested without sockets. */
#ifndef MTGT_ISCSI_PARAMS_H
#define MTGT_ISCSI_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISCSI_NAME_MAX      223   /* RFC 7143 4.2.7.1 */
#define ISCSI_KEY_MAX       63
#define ISCSI_VALUE_MAX     8192  /* longest value we accept (lists) */
#define ISCSI_TEXT_MAX      65536 /* bound on a whole (continued) text exchange */
#define ISCSI_LOGIN_DSL     8192  /* MaxRecvDataSegmentLength in force during login */

enum iscsi_session_type { ISCSI_SESSION_NORMAL = 0, ISCSI_SESSION_DISCOVERY = 1 };

/* What this target offers; the result of each negotiation never exceeds it. */
#define ISCSI_MAX_CONNS 4 /* MaxConnections we accept per session */

struct iscsi_limits {
	uint32_t max_recv_dsl;        /* our MaxRecvDataSegmentLength */
	uint32_t max_burst;
	uint32_t first_burst;
	uint32_t max_outstanding_r2t;
	bool     initial_r2t;         /* our vote (OR with the initiator's) */
	bool     immediate_data;      /* our vote (AND) */
	bool     crc32c;              /* we can do CRC32C digests */
	bool     hdigest_required;    /* policy: HeaderDigest None is not acceptable */
	bool     ddigest_required;    /* policy: DataDigest None is not acceptable */
	uint16_t tpgt;
	const char *target_alias;     /* NULL: none */
};

#define ISCSI_ERL_MAX 2 /* highest ErrorRecoveryLevel we agree to */
#define ISCSI_T2R_LIMIT 20 /* DefaultTime2Retain we agree to at most (s), at ERL 2 */

/* Negotiated values; iscsi_params_defaults() gives the RFC defaults. */
struct iscsi_params {
	uint8_t  session_type;
	bool     header_digest;       /* true: CRC32C */
	bool     data_digest;
	uint32_t max_connections;
	bool     initial_r2t;
	bool     immediate_data;
	uint32_t max_burst;
	uint32_t first_burst;
	uint32_t time2wait;
	uint32_t time2retain;
	uint32_t max_outstanding_r2t;
	bool     data_pdu_in_order;
	bool     data_seq_in_order;
	uint32_t erl;
	uint32_t protocol_level;
	uint32_t mrdsl_tx;            /* initiator's MaxRecvDataSegmentLength: our send bound */
	uint32_t mrdsl_rx;            /* ours: what the initiator may send us */
	char initiator_name[ISCSI_NAME_MAX + 1];
	char target_name[ISCSI_NAME_MAX + 1];
	char initiator_alias[256];
};

/* Security keys of one login request, recorded by the negotiation for the
 * authentication step (iscsi_chap.c), which runs once the whole request (and
 * its TargetName) is known. Binary values are decoded here; a value that does
 * not decode sets `bad`. Cleared after each request. */
#define ISCSI_CHAP_NAME_MAX 255
#define ISCSI_CHAP_BIN_MAX  1024  /* longest CHAP_C / CHAP_R we take */
struct iscsi_auth_keys {
	bool     have_method;
	bool     offer_none, offer_chap;
	bool     have_a;
	uint16_t a_mask;          /* bit n: CHAP_A value n offered (n < 16) */
	bool     have_i;
	uint32_t i;
	bool     have_n;
	char     n[ISCSI_CHAP_NAME_MAX + 1];
	bool     have_r;
	uint16_t r_len;
	uint8_t  r[ISCSI_CHAP_BIN_MAX];
	bool     have_c;
	uint16_t c_len;
	uint8_t  c[ISCSI_CHAP_BIN_MAX];
	bool     bad;             /* a CHAP value that does not parse */
	const char *bad_key;
};

struct iscsi_neg {
	struct iscsi_params p;
	const struct iscsi_limits *lim;
	uint64_t seen;           /* keys received so far in this login */
	bool declared_op;        /* our operational declarations were sent */
	bool declared_tpgt;
	bool have_initiator_name;
	bool have_target_name;
	bool have_session_type;
	struct iscsi_auth_keys auth; /* security keys of the current request */
};

/* Growable text buffer of "key=value\0" pairs, bounded by max. */
struct iscsi_text {
	char  *buf;
	size_t len;
	size_t cap;
	size_t max;
};

struct iscsi_kv {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

void iscsi_text_init(struct iscsi_text *t, size_t max);
void iscsi_text_free(struct iscsi_text *t);
void iscsi_text_reset(struct iscsi_text *t);
/* Append raw bytes (e.g. a received data segment). -E2BIG past max. */
int  iscsi_text_append(struct iscsi_text *t, const void *data, size_t len);
/* Append "key=value\0". -E2BIG past max. */
int  iscsi_text_add(struct iscsi_text *t, const char *key, const char *val);
int  iscsi_text_addf(struct iscsi_text *t, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Next key=value pair of a text segment starting at *pos. Returns 1 with kv
 * filled, 0 at the end, -EINVAL on a malformed pair (no '=', empty or too long
 * key, too long value). Empty strings between NULs are skipped. */
int iscsi_text_next(const char *text, size_t len, size_t *pos, struct iscsi_kv *kv);

/* Parse a numerical value (decimal or 0x hex). -EINVAL if not a number. */
int iscsi_parse_number(const char *s, size_t len, uint64_t *out);

void iscsi_params_defaults(struct iscsi_params *p);
void iscsi_neg_init(struct iscsi_neg *n, const struct iscsi_limits *lim);

/* Process the keys of one login request (continuations already joined) in
 * stage csg; answers go to out. Returns 0, or a login status
 * (ISCSI_LOGIN_*, > 0) that ends the login. */
int  iscsi_neg_login(struct iscsi_neg *n, int csg, const char *text, size_t len,
		     struct iscsi_text *out);
/* Declarations the target owes in this stage of a login (TargetPortalGroupTag
 * in the first answer of a Normal session, MaxRecvDataSegmentLength etc. once
 * the operational stage is reached). */
int  iscsi_neg_declare(struct iscsi_neg *n, int csg, struct iscsi_text *out);
/* Login complete: make the result self-consistent. */
void iscsi_neg_finish(struct iscsi_neg *n);

/* Full-feature Text Request keys other than SendTargets. A key with use "LO"
 * (leading only) cannot be renegotiated; MaxRecvDataSegmentLength can. Returns
 * 0 or -EINVAL on malformed text. *sendtargets is set to the SendTargets value
 * (NULL when absent, "" when empty). */
int  iscsi_neg_text(struct iscsi_params *p, const char *text, size_t len,
		    struct iscsi_text *out, char *sendtargets, size_t st_size,
		    bool *have_sendtargets);

/* CHAP binary value (RFC 7143 5.1): "0x"/"0X" hex or "0b"/"0B" base64.
 * Returns the decoded length, or -EINVAL (bad syntax, empty, longer than cap). */
int  iscsi_decode_binary(const char *s, size_t len, uint8_t *out, size_t cap);

/* Lowercase copy of an iSCSI name after checking its syntax. -EINVAL if bad. */
int  iscsi_name_check(const char *s, size_t len, char *out, size_t out_size);

#endif
