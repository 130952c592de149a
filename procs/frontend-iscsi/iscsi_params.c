/* Login and text key negotiation, target side (RFC 7143 sections 6, 12, 13). */
#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffers ---- */

void iscsi_text_init(struct iscsi_text *t, size_t max)
{
	t->buf = NULL;
	t->len = t->cap = 0;
	t->max = max;
}

void iscsi_text_free(struct iscsi_text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}

void iscsi_text_reset(struct iscsi_text *t)
{
	t->len = 0;
}

int iscsi_text_append(struct iscsi_text *t, const void *data, size_t len)
{
	if (len > t->max || t->len > t->max - len)
		return -E2BIG;
	if (t->len + len > t->cap) {
		size_t ncap = t->cap ? t->cap : 512;
		char *nb;

		while (ncap < t->len + len)
			ncap *= 2;
		nb = realloc(t->buf, ncap);
		if (!nb)
			return -ENOMEM;
		t->buf = nb;
		t->cap = ncap;
	}
	if (len)
		memcpy(t->buf + t->len, data, len);
	t->len += len;
	return 0;
}

int iscsi_text_add(struct iscsi_text *t, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), old = t->len;
	int r;

	if ((r = iscsi_text_append(t, key, kl)) < 0 ||
	    (r = iscsi_text_append(t, "=", 1)) < 0 ||
	    (r = iscsi_text_append(t, val, vl + 1)) < 0) {
		t->len = old;
		return r;
	}
	return 0;
}

int iscsi_text_addf(struct iscsi_text *t, const char *key, const char *fmt, ...)
{
	char v[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v))
		return -E2BIG;
	return iscsi_text_add(t, key, v);
}

int iscsi_text_next(const char *text, size_t len, size_t *pos, struct iscsi_kv *kv)
{
	size_t p = *pos, end, eq;

	while (p < len && text[p] == '\0')
		p++;
	if (p >= len) {
		*pos = p;
		return 0;
	}
	end = p;
	while (end < len && text[end] != '\0')
		end++;
	for (eq = p; eq < end && text[eq] != '='; eq++)
		;
	*pos = end < len ? end + 1 : end;
	if (eq == end || eq == p || eq - p > ISCSI_KEY_MAX ||
	    end - eq - 1 > ISCSI_VALUE_MAX)
		return -EINVAL;
	kv->key = text + p;
	kv->klen = eq - p;
	kv->val = text + eq + 1;
	kv->vlen = end - eq - 1;
	return 1;
}

int iscsi_parse_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > 20)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned d;
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int iscsi_name_check(const char *s, size_t len, char *out, size_t out_size)
{
	size_t i;

	if (len == 0 || len > ISCSI_NAME_MAX || len >= out_size)
		return -EINVAL;
	/* RFC 3722: after stringprep, names are lowercase; we accept ASCII
	 * names and fold them so comparisons in the core are exact. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == ',')
			return -EINVAL;
		out[i] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	out[len] = '\0';
	if (!(len > 4 && (!strncmp(out, "iqn.", 4) || !strncmp(out, "eui.", 4) ||
			  !strncmp(out, "naa.", 4))))
		return -EINVAL;
	return 0;
}

/* ---- negotiation ---- */

void iscsi_params_defaults(struct iscsi_params *p)
{
	memset(p, 0, sizeof(*p));
	p->session_type = ISCSI_SESSION_NORMAL;
	p->max_connections = 1;
	p->initial_r2t = true;
	p->immediate_data = true;
	p->max_burst = 262144;
	p->first_burst = 65536;
	p->time2wait = 2;
	p->time2retain = 20;
	p->max_outstanding_r2t = 1;
	p->data_pdu_in_order = true;
	p->data_seq_in_order = true;
	p->erl = 0;
	p->protocol_level = 0;
	p->mrdsl_tx = ISCSI_LOGIN_DSL;
	p->mrdsl_rx = ISCSI_LOGIN_DSL;
}

void iscsi_neg_init(struct iscsi_neg *n, const struct iscsi_limits *lim)
{
	memset(n, 0, sizeof(*n));
	iscsi_params_defaults(&n->p);
	n->lim = lim;
}

enum key_kind {
	K_AUTH, K_DIGEST_H, K_DIGEST_D, K_MAXCONN, K_SENDTARGETS, K_TNAME, K_INAME,
	K_TALIAS, K_IALIAS, K_TADDR, K_TPGT, K_INITIAL_R2T, K_IMMEDIATE, K_MRDSL,
	K_MAXBURST, K_FIRSTBURST, K_T2W, K_T2R, K_MAXR2T, K_PDU_ORDER, K_SEQ_ORDER,
	K_ERL, K_SESSION_TYPE, K_OFMARKER, K_IFMARKER, K_OFMARKINT, K_IFMARKINT,
	K_TASKREPORTING, K_PROTOLEVEL, K_CHAP_A, K_CHAP_I, K_CHAP_C, K_CHAP_N,
	K_CHAP_R,
};

static const struct {
	const char *name;
	enum key_kind kind;
} keys[] = {
	{ "AuthMethod", K_AUTH },
	{ "HeaderDigest", K_DIGEST_H },
	{ "DataDigest", K_DIGEST_D },
	{ "MaxConnections", K_MAXCONN },
	{ "SendTargets", K_SENDTARGETS },
	{ "TargetName", K_TNAME },
	{ "InitiatorName", K_INAME },
	{ "TargetAlias", K_TALIAS },
	{ "InitiatorAlias", K_IALIAS },
	{ "TargetAddress", K_TADDR },
	{ "TargetPortalGroupTag", K_TPGT },
	{ "InitialR2T", K_INITIAL_R2T },
	{ "ImmediateData", K_IMMEDIATE },
	{ "MaxRecvDataSegmentLength", K_MRDSL },
	{ "MaxBurstLength", K_MAXBURST },
	{ "FirstBurstLength", K_FIRSTBURST },
	{ "DefaultTime2Wait", K_T2W },
	{ "DefaultTime2Retain", K_T2R },
	{ "MaxOutstandingR2T", K_MAXR2T },
	{ "DataPDUInOrder", K_PDU_ORDER },
	{ "DataSequenceInOrder", K_SEQ_ORDER },
	{ "ErrorRecoveryLevel", K_ERL },
	{ "SessionType", K_SESSION_TYPE },
	{ "OFMarker", K_OFMARKER },
	{ "IFMarker", K_IFMARKER },
	{ "OFMarkInt", K_OFMARKINT },
	{ "IFMarkInt", K_IFMARKINT },
	{ "TaskReporting", K_TASKREPORTING },
	{ "iSCSIProtocolLevel", K_PROTOLEVEL },
	/* recorded here, answered by the authentication step (iscsi_chap.c) */
	{ "CHAP_A", K_CHAP_A }, { "CHAP_I", K_CHAP_I }, { "CHAP_C", K_CHAP_C },
	{ "CHAP_N", K_CHAP_N }, { "CHAP_R", K_CHAP_R },
};

static int key_lookup(const struct iscsi_kv *kv)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == kv->klen &&
		    !memcmp(keys[i].name, kv->key, kv->klen))
			return (int)i;
	return -1;
}

static bool val_is(const struct iscsi_kv *kv, const char *s)
{
	return strlen(s) == kv->vlen && !memcmp(kv->val, s, kv->vlen);
}

/* An answer an initiator sends back to one of our declarations. */
static bool val_is_answer(const struct iscsi_kv *kv)
{
	return val_is(kv, "NotUnderstood") || val_is(kv, "Irrelevant") ||
	       val_is(kv, "Reject");
}

static int add_kv(struct iscsi_text *out, const struct iscsi_kv *kv, const char *val)
{
	char k[ISCSI_KEY_MAX + 1];

	memcpy(k, kv->key, kv->klen);
	k[kv->klen] = '\0';
	return iscsi_text_add(out, k, val);
}

static int add_num(struct iscsi_text *out, const struct iscsi_kv *kv, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	return add_kv(out, kv, b);
}

/* "Yes"/"No": 1/0, -1 if neither. */
static int parse_bool(const struct iscsi_kv *kv)
{
	if (val_is(kv, "Yes"))
		return 1;
	if (val_is(kv, "No"))
		return 0;
	return -1;
}

static int parse_range(const struct iscsi_kv *kv, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v;

	if (iscsi_parse_number(kv->val, kv->vlen, &v) < 0 || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Does a comma-separated list contain `want`? */
static bool list_has(const struct iscsi_kv *kv, const char *want)
{
	size_t wl = strlen(want), i = 0;

	while (i <= kv->vlen) {
		size_t j = i;

		while (j < kv->vlen && kv->val[j] != ',')
			j++;
		if (j - i == wl && !memcmp(kv->val + i, want, wl))
			return true;
		i = j + 1;
	}
	return false;
}

/* First item of the initiator's list we support and our policy allows (the
 * initiator lists in order of preference), or NULL. */
static const char *list_pick_digest(const struct iscsi_kv *kv, bool crc, bool no_none)
{
	size_t i = 0;

	while (i <= kv->vlen) {
		size_t j = i;

		while (j < kv->vlen && kv->val[j] != ',')
			j++;
		if (!no_none && j - i == 4 && !memcmp(kv->val + i, "None", 4))
			return "None";
		if (crc && j - i == 6 && !memcmp(kv->val + i, "CRC32C", 6))
			return "CRC32C";
		i = j + 1;
	}
	return NULL;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int iscsi_decode_binary(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t i, n = 0;

	if (len < 3 || s[0] != '0')
		return -EINVAL;
	if (s[1] == 'x' || s[1] == 'X') {
		size_t digits = len - 2;
		const char *d = s + 2;

		/* an odd count means a leading zero nibble was left out */
		if ((digits + 1) / 2 > cap)
			return -EINVAL;
		i = 0;
		if (digits % 2) {
			int v = hexval(d[0]);

			if (v < 0)
				return -EINVAL;
			out[n++] = (uint8_t)v;
			i = 1;
		}
		for (; i < digits; i += 2) {
			int hi = hexval(d[i]), lo = hexval(d[i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[n++] = (uint8_t)(hi << 4 | lo);
		}
		return (int)n;
	}
	if (s[1] == 'b' || s[1] == 'B') {
		const char *d = s + 2;
		size_t dl = len - 2, pad = 0;
		uint32_t acc = 0;
		unsigned bits = 0;

		/* RFC 4648 with padding: a multiple of 4, '=' only at the end */
		if (dl % 4)
			return -EINVAL;
		while (pad < 2 && dl > pad && d[dl - 1 - pad] == '=')
			pad++;
		for (i = 0; i < dl - pad; i++) {
			int v = b64val(d[i]);

			if (v < 0)
				return -EINVAL;
			acc = (acc << 6 | (uint32_t)v) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (n >= cap)
					return -EINVAL;
				out[n++] = (uint8_t)(acc >> bits);
			}
		}
		/* the bits left over must be zero (canonical encoding) */
		if (acc & ((1u << bits) - 1) || n == 0)
			return -EINVAL;
		return (int)n;
	}
	return -EINVAL;
}

/* Record one CHAP key of the security stage (see struct iscsi_auth_keys). */
static void auth_key(struct iscsi_auth_keys *a, int kind, const struct iscsi_kv *kv)
{
	uint64_t v;
	int r;

	switch (kind) {
	case K_CHAP_A: {
		size_t i = 0;

		a->have_a = true;
		while (i <= kv->vlen) {
			size_t j = i;

			while (j < kv->vlen && kv->val[j] != ',')
				j++;
			/* unknown algorithms are skipped, not errors */
			if (iscsi_parse_number(kv->val + i, j - i, &v) == 0 && v < 16)
				a->a_mask |= (uint16_t)(1u << v);
			i = j + 1;
		}
		break;
	}
	case K_CHAP_I:
		a->have_i = true;
		if (iscsi_parse_number(kv->val, kv->vlen, &v) < 0 || v > 255) {
			a->bad = true;
			a->bad_key = "CHAP_I";
		}
		a->i = (uint32_t)(v & 0xff);
		break;
	case K_CHAP_N:
		a->have_n = true;
		if (kv->vlen == 0 || kv->vlen > ISCSI_CHAP_NAME_MAX) {
			a->bad = true;
			a->bad_key = "CHAP_N";
			break;
		}
		memcpy(a->n, kv->val, kv->vlen);
		a->n[kv->vlen] = '\0';
		break;
	case K_CHAP_C:
	case K_CHAP_R: {
		uint8_t *dst = kind == K_CHAP_C ? a->c : a->r;

		r = iscsi_decode_binary(kv->val, kv->vlen, dst, ISCSI_CHAP_BIN_MAX);
		if (kind == K_CHAP_C) {
			a->have_c = true;
			a->c_len = r > 0 ? (uint16_t)r : 0;
		} else {
			a->have_r = true;
			a->r_len = r > 0 ? (uint16_t)r : 0;
		}
		if (r <= 0) {
			a->bad = true;
			a->bad_key = kind == K_CHAP_C ? "CHAP_C" : "CHAP_R";
		}
		break;
	}
	}
}

#define R(x) do { int r_ = (x); if (r_ < 0) return ISCSI_LOGIN_TARGET_ERROR; } while (0)

/* One key during login. Returns 0 or a login status. */
static int neg_key(struct iscsi_neg *n, int csg, const struct iscsi_kv *kv,
		   struct iscsi_text *out)
{
	struct iscsi_params *p = &n->p;
	const struct iscsi_limits *lim = n->lim;
	int idx = key_lookup(kv), b;
	uint32_t v;

	if (idx < 0) {
		/* unknown, including X- and X# extensions we do not implement */
		R(add_kv(out, kv, "NotUnderstood"));
		return 0;
	}
	if (n->seen & (1ull << idx))
		return ISCSI_LOGIN_INITIATOR_ERROR; /* a key twice in one login */
	n->seen |= 1ull << idx;

	switch (keys[idx].kind) {
	case K_AUTH:
		if (csg != ISCSI_STAGE_SECURITY) {
			R(add_kv(out, kv, "Irrelevant"));
			break;
		}
		/* answered by the authentication step, which knows whether
		 * this target (or discovery) requires CHAP */
		n->auth.have_method = true;
		n->auth.offer_none = list_has(kv, "None");
		n->auth.offer_chap = list_has(kv, "CHAP");
		break;
	case K_CHAP_A:
	case K_CHAP_I:
	case K_CHAP_C:
	case K_CHAP_N:
	case K_CHAP_R:
		if (csg != ISCSI_STAGE_SECURITY) {
			R(add_kv(out, kv, "Irrelevant"));
			break;
		}
		auth_key(&n->auth, keys[idx].kind, kv);
		break;
	case K_DIGEST_H:
	case K_DIGEST_D: {
		const char *pick = list_pick_digest(kv, lim->crc32c,
						    keys[idx].kind == K_DIGEST_H ?
						    lim->hdigest_required : lim->ddigest_required);

		if (!pick) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		if (keys[idx].kind == K_DIGEST_H)
			p->header_digest = pick[0] == 'C';
		else
			p->data_digest = pick[0] == 'C';
		R(add_kv(out, kv, pick));
		break;
	}
	case K_MAXCONN:
		if (parse_range(kv, 1, 65535, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* min(offer, ours): connections per session (iscsi_mcs.c) */
		p->max_connections = v < ISCSI_MAX_CONNS ? v : ISCSI_MAX_CONNS;
		R(add_num(out, kv, p->max_connections));
		break;
	case K_SENDTARGETS:
		/* only meaningful in a full-feature Text Request */
		R(add_kv(out, kv, "Irrelevant"));
		break;
	case K_TNAME:
		if (iscsi_name_check(kv->val, kv->vlen, p->target_name,
				     sizeof(p->target_name)) < 0)
			return ISCSI_LOGIN_NOT_FOUND;
		n->have_target_name = true;
		break;
	case K_INAME:
		if (iscsi_name_check(kv->val, kv->vlen, p->initiator_name,
				     sizeof(p->initiator_name)) < 0)
			return ISCSI_LOGIN_INITIATOR_ERROR;
		n->have_initiator_name = true;
		break;
	case K_IALIAS:
		if (kv->vlen >= sizeof(p->initiator_alias))
			return ISCSI_LOGIN_INITIATOR_ERROR;
		memcpy(p->initiator_alias, kv->val, kv->vlen);
		p->initiator_alias[kv->vlen] = '\0';
		break;
	case K_TALIAS:
	case K_TADDR:
	case K_TPGT:
		/* target-declared keys: an initiator has nothing to say here */
		R(add_kv(out, kv, "Irrelevant"));
		break;
	case K_INITIAL_R2T:
		if ((b = parse_bool(kv)) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		p->initial_r2t = b || lim->initial_r2t;
		R(add_kv(out, kv, p->initial_r2t ? "Yes" : "No"));
		break;
	case K_IMMEDIATE:
		if ((b = parse_bool(kv)) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		p->immediate_data = b && lim->immediate_data;
		R(add_kv(out, kv, p->immediate_data ? "Yes" : "No"));
		break;
	case K_MRDSL:
		/* declarative: the initiator's receive limit, our send bound */
		if (val_is_answer(kv))
			break;
		if (parse_range(kv, 512, ISCSI_DSL_MAX, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		p->mrdsl_tx = v;
		break;
	case K_MAXBURST:
	case K_FIRSTBURST:
		if (parse_range(kv, 512, ISCSI_DSL_MAX, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		if (keys[idx].kind == K_MAXBURST) {
			p->max_burst = v < lim->max_burst ? v : lim->max_burst;
			R(add_num(out, kv, p->max_burst));
		} else {
			p->first_burst = v < lim->first_burst ? v : lim->first_burst;
			R(add_num(out, kv, p->first_burst));
		}
		break;
	case K_T2W:
		if (parse_range(kv, 0, 3600, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* result function Maximum; our own value is the default 2 */
		p->time2wait = v > 2 ? v : 2;
		R(add_num(out, kv, p->time2wait));
		break;
	case K_T2R:
		if (parse_range(kv, 0, 3600, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* Minimum with ours; tasks are retained only for connection
		 * recovery, ErrorRecoveryLevel 2 (agreed before this key) */
		p->time2retain = p->erl < 2 ? 0 : v < ISCSI_T2R_LIMIT ? v : ISCSI_T2R_LIMIT;
		R(add_num(out, kv, p->time2retain));
		break;
	case K_MAXR2T:
		if (parse_range(kv, 1, 65535, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		p->max_outstanding_r2t = v < lim->max_outstanding_r2t ? v :
			lim->max_outstanding_r2t;
		R(add_num(out, kv, p->max_outstanding_r2t));
		break;
	case K_PDU_ORDER:
	case K_SEQ_ORDER:
		if ((b = parse_bool(kv)) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* OR: our Yes makes the result Yes (in-order data lets one
		 * running offset track every write) */
		if (keys[idx].kind == K_PDU_ORDER)
			p->data_pdu_in_order = true;
		else
			p->data_seq_in_order = true;
		R(add_kv(out, kv, "Yes"));
		break;
	case K_ERL:
		if (parse_range(kv, 0, 2, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* Minimum with ours, 2: SNACK, recovery R2Ts and digest error
		 * recovery within a connection (1), connection recovery (2) */
		p->erl = v < ISCSI_ERL_MAX ? v : ISCSI_ERL_MAX;
		R(add_num(out, kv, p->erl));
		break;
	case K_SESSION_TYPE:
		if (val_is(kv, "Normal"))
			p->session_type = ISCSI_SESSION_NORMAL;
		else if (val_is(kv, "Discovery"))
			p->session_type = ISCSI_SESSION_DISCOVERY;
		else
			return ISCSI_LOGIN_SESSION_TYPE_UNSUPPORTED;
		n->have_session_type = true;
		break;
	case K_OFMARKER:
	case K_IFMARKER:
		if (parse_bool(kv) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		R(add_kv(out, kv, "No")); /* AND with our No */
		break;
	case K_OFMARKINT:
	case K_IFMARKINT:
		/* markers are off, so their intervals do not matter */
		R(add_kv(out, kv, "Irrelevant"));
		break;
	case K_TASKREPORTING:
		/* we implement neither ResponseFence nor FastAbort */
		R(add_kv(out, kv, list_has(kv, "RFC3720") ? "RFC3720" : "Reject"));
		break;
	case K_PROTOLEVEL:
		if (parse_range(kv, 0, 31, &v) < 0) {
			R(add_kv(out, kv, "Reject"));
			break;
		}
		/* Minimum with 1 (RFC 7143) */
		p->protocol_level = v < 1 ? v : 1;
		R(add_num(out, kv, p->protocol_level));
		break;
	}
	return 0;
}

int iscsi_neg_login(struct iscsi_neg *n, int csg, const char *text, size_t len,
		    struct iscsi_text *out)
{
	struct iscsi_kv kv;
	size_t pos = 0;
	int r, st;

	while ((r = iscsi_text_next(text, len, &pos, &kv)) > 0) {
		st = neg_key(n, csg, &kv, out);
		if (st)
			return st;
	}
	if (r < 0)
		return ISCSI_LOGIN_INITIATOR_ERROR;
	return 0;
}

int iscsi_neg_declare(struct iscsi_neg *n, int csg, struct iscsi_text *out)
{
	const struct iscsi_limits *lim = n->lim;

	if (!n->declared_tpgt && n->p.session_type == ISCSI_SESSION_NORMAL) {
		R(iscsi_text_addf(out, "TargetPortalGroupTag", "%u", lim->tpgt));
		if (lim->target_alias && lim->target_alias[0])
			R(iscsi_text_add(out, "TargetAlias", lim->target_alias));
		n->declared_tpgt = true;
	}
	if (csg == ISCSI_STAGE_OPERATIONAL && !n->declared_op) {
		R(iscsi_text_addf(out, "MaxRecvDataSegmentLength", "%u",
				  lim->max_recv_dsl));
		n->declared_op = true;
	}
	return 0;
}

void iscsi_neg_finish(struct iscsi_neg *n)
{
	struct iscsi_params *p = &n->p;

	/* Our declaration applies only if it was made; else the default. */
	p->mrdsl_rx = n->declared_op ? n->lim->max_recv_dsl : ISCSI_LOGIN_DSL;
	if (p->max_burst > n->lim->max_burst)
		p->max_burst = n->lim->max_burst;
	if (p->first_burst > n->lim->first_burst)
		p->first_burst = n->lim->first_burst;
	if (p->first_burst > p->max_burst)
		p->first_burst = p->max_burst;
	if (p->max_outstanding_r2t > n->lim->max_outstanding_r2t)
		p->max_outstanding_r2t = n->lim->max_outstanding_r2t;
}

int iscsi_neg_text(struct iscsi_params *p, const char *text, size_t len,
		   struct iscsi_text *out, char *sendtargets, size_t st_size,
		   bool *have_sendtargets)
{
	struct iscsi_kv kv;
	size_t pos = 0;
	int r;

	*have_sendtargets = false;
	while ((r = iscsi_text_next(text, len, &pos, &kv)) > 0) {
		int idx = key_lookup(&kv);
		uint32_t v;

		if (idx < 0) {
			if (add_kv(out, &kv, "NotUnderstood") < 0)
				return -E2BIG;
			continue;
		}
		switch (keys[idx].kind) {
		case K_SENDTARGETS:
			if (kv.vlen >= st_size) {
				if (add_kv(out, &kv, "Reject") < 0)
					return -E2BIG;
				break;
			}
			memcpy(sendtargets, kv.val, kv.vlen);
			sendtargets[kv.vlen] = '\0';
			*have_sendtargets = true;
			break;
		case K_MRDSL:
			if (val_is_answer(&kv))
				break;
			if (parse_range(&kv, 512, ISCSI_DSL_MAX, &v) < 0) {
				if (add_kv(out, &kv, "Reject") < 0)
					return -E2BIG;
				break;
			}
			p->mrdsl_tx = v;
			break;
		default:
			/* leading-only keys cannot change in full feature phase */
			if (add_kv(out, &kv, "Reject") < 0)
				return -E2BIG;
			break;
		}
	}
	return r < 0 ? -EINVAL : 0;
}
