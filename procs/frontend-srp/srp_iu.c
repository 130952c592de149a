/* SRP information units: decoding with every field checked, encoding of the
 * target's IUs. Offsets follow SRP r16a (LUN fields are 4-byte aligned, at
 * byte 20) and SRP-2 for immediate data. */
#include "procs/frontend-srp/srp_iu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void srp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void srp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void srp_put64(uint8_t *p, uint64_t v)
{
	srp_put32(p, (uint32_t)(v >> 32));
	srp_put32(p + 4, (uint32_t)v);
}

uint64_t srp_get_tag(const uint8_t *p)
{
	uint64_t t;

	memcpy(&t, p, 8);
	return t;
}

void srp_put_tag(uint8_t *p, uint64_t tag)
{
	memcpy(p, &tag, 8);
}

void srp_desc_get(const uint8_t *p, struct srp_desc *d)
{
	d->va = srp_get64(p);
	d->rkey = srp_get32(p + 8);
	d->len = srp_get32(p + 12);
}

void srp_desc_put(uint8_t *p, const struct srp_desc *d)
{
	srp_put64(p, d->va);
	srp_put32(p + 8, d->rkey);
	srp_put32(p + 12, d->len);
}

int srp_decode_login(const uint8_t *p, size_t len, struct srp_login_req *out)
{
	memset(out, 0, sizeof(*out));
	if (len >= SRP_LOGIN_REQ_LEN && p[0] == SRP_OP_LOGIN_REQ) {
		out->tag = srp_get_tag(p + 8);
		out->it_iu_len = srp_get32(p + 16);
		out->buf_fmt = srp_get16(p + 24);
		out->flags = p[26];
		out->imm_off = srp_get16(p + 28);
		memcpy(out->ini_port, p + 32, SRP_PORT_ID_LEN);
		memcpy(out->tgt_port, p + 48, SRP_PORT_ID_LEN);
		return 0;
	}
	/* RDMA CM carries only 56 bytes: the compact form, opcode at 11 */
	if (len >= SRP_LOGIN_REQ_RDMA_LEN && p[11] == SRP_OP_LOGIN_REQ) {
		out->tag = srp_get_tag(p);
		out->buf_fmt = srp_get16(p + 8);
		out->flags = p[10];
		out->it_iu_len = srp_get32(p + 12);
		memcpy(out->ini_port, p + 16, SRP_PORT_ID_LEN);
		memcpy(out->tgt_port, p + 32, SRP_PORT_ID_LEN);
		out->imm_off = srp_get16(p + 48);
		return 0;
	}
	return -EINVAL;
}

size_t srp_encode_login_req(uint8_t *p, const struct srp_login_req *r, bool rdma_form)
{
	if (rdma_form) {
		memset(p, 0, SRP_LOGIN_REQ_RDMA_LEN);
		srp_put_tag(p, r->tag);
		srp_put16(p + 8, r->buf_fmt);
		p[10] = r->flags;
		p[11] = SRP_OP_LOGIN_REQ;
		srp_put32(p + 12, r->it_iu_len);
		memcpy(p + 16, r->ini_port, SRP_PORT_ID_LEN);
		memcpy(p + 32, r->tgt_port, SRP_PORT_ID_LEN);
		srp_put16(p + 48, r->imm_off);
		return SRP_LOGIN_REQ_RDMA_LEN;
	}
	memset(p, 0, SRP_LOGIN_REQ_LEN);
	p[0] = SRP_OP_LOGIN_REQ;
	srp_put_tag(p + 8, r->tag);
	srp_put32(p + 16, r->it_iu_len);
	srp_put16(p + 24, r->buf_fmt);
	p[26] = r->flags;
	srp_put16(p + 28, r->imm_off);
	memcpy(p + 32, r->ini_port, SRP_PORT_ID_LEN);
	memcpy(p + 48, r->tgt_port, SRP_PORT_ID_LEN);
	return SRP_LOGIN_REQ_LEN;
}

int srp_iu_check(const uint8_t *p, size_t len)
{
	size_t min;

	if (len < 1)
		return -EINVAL;
	switch (p[0]) {
	case SRP_OP_LOGIN_REQ: min = SRP_LOGIN_REQ_LEN; break;
	case SRP_OP_TSK_MGMT: min = SRP_TSK_MGMT_LEN; break;
	case SRP_OP_CMD: min = SRP_CMD_LEN; break;
	case SRP_OP_I_LOGOUT: min = SRP_I_LOGOUT_LEN; break;
	case SRP_OP_CRED_RSP: min = SRP_CRED_RSP_LEN; break;
	case SRP_OP_AER_RSP: min = SRP_AER_RSP_LEN; break;
	/* target-to-initiator types are checked by the caller (unexpected) */
	default: min = 16; break;
	}
	return len < min ? -EINVAL : p[0];
}

/* One direction's descriptor at *off; advances *off. */
static enum srp_cmd_err decode_buf(const uint8_t *p, size_t len, size_t *off, uint8_t fmt,
				   uint8_t count, uint16_t formats, uint16_t imm_off,
				   bool out_dir, struct srp_buf *b)
{
	enum srp_cmd_err badfmt = out_dir ? SRP_CMD_BAD_DOUT_FMT : SRP_CMD_BAD_DIN_FMT;

	memset(b, 0, sizeof(*b));
	b->fmt = fmt;
	switch (fmt) {
	case SRP_DESC_NONE:
		return count ? SRP_CMD_BAD_FIELD : SRP_CMD_OK;
	case SRP_DESC_DIRECT: {
		struct srp_desc d;

		if (!(formats & SRP_BUF_FMT_DIRECT))
			return badfmt;
		if (count != 1)
			return SRP_CMD_BAD_FIELD;
		if (len - *off < SRP_DESC_LEN)
			return SRP_CMD_BAD_LEN;
		srp_desc_get(p + *off, &d);
		b->desc = p + *off;
		b->ndesc = 1;
		b->total = d.len;
		*off += SRP_DESC_LEN;
		return SRP_CMD_OK;
	}
	case SRP_DESC_INDIRECT: {
		uint32_t nfull;
		uint64_t sum = 0;

		if (!(formats & SRP_BUF_FMT_INDIRECT))
			return badfmt;
		if (len - *off < 20)
			return SRP_CMD_BAD_LEN;
		srp_desc_get(p + *off, &b->table);
		b->total = srp_get32(p + *off + 16);
		*off += 20;
		if (b->table.len == 0 || b->table.len % SRP_DESC_LEN)
			return SRP_CMD_BAD_FIELD;
		nfull = b->table.len / SRP_DESC_LEN;
		if (count > nfull || nfull > SRP_MAX_DESC)
			return SRP_CMD_BAD_FIELD;
		if (len - *off < (size_t)count * SRP_DESC_LEN)
			return SRP_CMD_BAD_LEN;
		b->desc = p + *off;
		b->ndesc = count;
		*off += (size_t)count * SRP_DESC_LEN;
		if (count < nfull) {
			/* the initiator keeps the rest in its memory */
			b->fetch = true;
			return SRP_CMD_OK;
		}
		for (uint32_t i = 0; i < count; i++)
			sum += srp_get32(b->desc + i * SRP_DESC_LEN + 12);
		return sum == b->total ? SRP_CMD_OK : SRP_CMD_BAD_FIELD;
	}
	case SRP_DESC_IMM:
		if (!out_dir)
			return badfmt;
		if (!imm_off)
			return badfmt; /* immediate data was not negotiated */
		if (count != 0 && count != 1)
			return SRP_CMD_BAD_FIELD;
		if (len - *off < 4)
			return SRP_CMD_BAD_LEN;
		b->total = srp_get32(p + *off);
		*off += 4;
		b->imm_off = imm_off;
		if (*off > imm_off)
			return SRP_CMD_BAD_FIELD;
		if ((uint64_t)imm_off + b->total > len)
			return SRP_CMD_BAD_LEN;
		return SRP_CMD_OK;
	default:
		return badfmt;
	}
}

enum srp_cmd_err srp_decode_cmd(const uint8_t *p, size_t len, uint16_t formats,
				uint16_t imm_off, struct srp_cmd_iu *out)
{
	size_t off;
	uint32_t add;
	enum srp_cmd_err e;

	memset(out, 0, sizeof(*out));
	if (len < SRP_CMD_LEN || p[0] != SRP_OP_CMD)
		return SRP_CMD_BAD_LEN;
	out->tag = srp_get_tag(p + 8);
	out->sol_not = p[1];
	out->lun = srp_get64(p + 20);
	out->attr = p[29] & 0x07;
	add = p[31] & 0xfc;   /* additional CDB length, in dwords, bits 7:2 */
	out->cdb_len = 16 + add;
	if (len < SRP_CMD_LEN + add)
		return SRP_CMD_BAD_LEN;
	out->cdb = p + 32;
	/* the additional CDB bytes follow the 48-byte fixed part; keep the CDB
	 * contiguous for the caller only when there is none (the caller copies) */
	off = SRP_CMD_LEN + add;
	e = decode_buf(p, len, &off, p[5] >> 4, p[6], formats, imm_off, true, &out->out);
	if (e)
		return e;
	e = decode_buf(p, len, &off, p[5] & 0x0f, p[7], formats, imm_off, false, &out->in);
	if (e)
		return e;
	if (out->out.fmt && out->in.fmt)
		return SRP_CMD_BAD_FIELD; /* bidirectional commands are not supported */
	if (out->attr != 0 && out->attr != 1 && out->attr != 2 && out->attr != 4)
		return SRP_CMD_BAD_FIELD;
	return SRP_CMD_OK;
}

int srp_decode_tmf(const uint8_t *p, size_t len, struct srp_tmf_iu *out)
{
	memset(out, 0, sizeof(*out));
	if (len < SRP_TSK_MGMT_LEN || p[0] != SRP_OP_TSK_MGMT)
		return -EINVAL;
	out->tag = srp_get_tag(p + 8);
	out->lun = srp_get64(p + 20);
	out->fn = p[30];
	out->task_tag = srp_get_tag(p + 32);
	return 0;
}

size_t srp_encode_login_rsp(uint8_t *p, uint64_t tag, uint32_t req_lim, uint32_t max_it,
			    uint32_t max_ti, uint16_t buf_fmt, uint8_t flags)
{
	memset(p, 0, SRP_LOGIN_RSP_LEN);
	p[0] = SRP_OP_LOGIN_RSP;
	srp_put32(p + 4, req_lim);
	srp_put_tag(p + 8, tag);
	srp_put32(p + 16, max_it);
	srp_put32(p + 20, max_ti);
	srp_put16(p + 24, buf_fmt);
	p[26] = flags;
	return SRP_LOGIN_RSP_LEN;
}

size_t srp_encode_login_rej(uint8_t *p, uint64_t tag, uint32_t reason, uint16_t buf_fmt)
{
	memset(p, 0, SRP_LOGIN_REJ_LEN);
	p[0] = SRP_OP_LOGIN_REJ;
	srp_put32(p + 4, reason);
	srp_put_tag(p + 8, tag);
	srp_put16(p + 24, buf_fmt);
	return SRP_LOGIN_REJ_LEN;
}

size_t srp_encode_t_logout(uint8_t *p, uint32_t reason)
{
	memset(p, 0, SRP_T_LOGOUT_LEN);
	p[0] = SRP_OP_T_LOGOUT;
	srp_put32(p + 4, reason);
	return SRP_T_LOGOUT_LEN;
}

size_t srp_encode_cred_req(uint8_t *p, uint64_t tag, uint32_t delta)
{
	memset(p, 0, SRP_CRED_REQ_LEN);
	p[0] = SRP_OP_CRED_REQ;
	srp_put32(p + 4, delta);
	srp_put_tag(p + 8, tag);
	return SRP_CRED_REQ_LEN;
}

size_t srp_encode_aer_req(uint8_t *p, size_t cap, uint64_t tag, uint32_t delta, uint64_t lun,
			  const uint8_t *sense, uint32_t sense_len)
{
	if (cap < SRP_AER_REQ_LEN)
		return 0;
	if (sense_len > cap - SRP_AER_REQ_LEN)
		sense_len = (uint32_t)(cap - SRP_AER_REQ_LEN);
	memset(p, 0, SRP_AER_REQ_LEN);
	p[0] = SRP_OP_AER_REQ;
	srp_put32(p + 4, delta);
	srp_put_tag(p + 8, tag);
	srp_put64(p + 20, lun);
	srp_put32(p + 28, sense_len);
	if (sense_len)
		memcpy(p + SRP_AER_REQ_LEN, sense, sense_len);
	return SRP_AER_REQ_LEN + sense_len;
}

size_t srp_encode_rsp(uint8_t *p, size_t max_ti, const struct srp_rsp_info *ri)
{
	uint32_t sl = ri->sense_len, want, res = 0;
	uint8_t flags = 0;

	memset(p, 0, SRP_RSP_LEN);
	p[0] = SRP_OP_RSP;
	srp_put32(p + 4, ri->delta);
	srp_put_tag(p + 8, ri->tag);
	p[19] = ri->status;
	if (ri->dir) {
		bool in = ri->dir == 1;

		want = ri->cdb_xfer ? ri->cdb_xfer : ri->moved;
		if (want > ri->offered) {
			flags |= in ? SRP_RSP_DIOVER : SRP_RSP_DOOVER;
			res = want - ri->offered;
		} else if (ri->moved < ri->offered) {
			flags |= in ? SRP_RSP_DIUNDER : SRP_RSP_DOUNDER;
			res = ri->offered - ri->moved;
		}
		srp_put32(p + (in ? 24 : 20), res);
	}
	if (max_ti < SRP_RSP_LEN)
		max_ti = SRP_RSP_LEN;
	if (sl > max_ti - SRP_RSP_LEN)
		sl = (uint32_t)(max_ti - SRP_RSP_LEN);
	if (sl && ri->sense) {
		flags |= SRP_RSP_SNSVALID;
		srp_put32(p + 28, sl);
		memcpy(p + SRP_RSP_LEN, ri->sense, sl);
	} else {
		sl = 0;
	}
	p[18] = flags;
	return SRP_RSP_LEN + sl;
}

size_t srp_encode_tmf_rsp(uint8_t *p, uint64_t tag, uint32_t delta, uint8_t code)
{
	memset(p, 0, SRP_RSP_LEN + 4);
	p[0] = SRP_OP_RSP;
	srp_put32(p + 4, delta);
	srp_put_tag(p + 8, tag);
	p[18] = SRP_RSP_RSPVALID;
	srp_put32(p + 32, 4);
	p[SRP_RSP_LEN + 3] = code;
	return SRP_RSP_LEN + 4;
}

void srp_port_id_str(const uint8_t id[SRP_PORT_ID_LEN], char out[35])
{
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < SRP_PORT_ID_LEN; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", id[i]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int srp_port_id_parse(const char *s, uint8_t id[SRP_PORT_ID_LEN])
{
	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 2 * SRP_PORT_ID_LEN)
		return -EINVAL;
	for (int i = 0; i < SRP_PORT_ID_LEN; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);

		if (h < 0 || l < 0)
			return -EINVAL;
		id[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}
