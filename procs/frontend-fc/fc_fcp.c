/* FCP information units (see fc_fcp.h). */
#include "procs/frontend-fc/fc_fcp.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"

/* Layout: FCP_LUN(8) | CRN | priority:4 attr:3 | TMF flags | add CDB len:6
 * RD WR | CDB(16) | additional CDB (4n) | FCP_DL(4) | [bidi read DL(4)] */
int fcp_cmnd_decode(const uint8_t *p, size_t len, struct fcp_cmnd *c)
{
	uint32_t add, need;

	memset(c, 0, sizeof(*c));
	if (len < FCP_CMND_MIN_LEN)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		c->lun = c->lun << 8 | p[i];
	c->crn = p[8];
	c->priority = (uint8_t)(p[9] >> 3 & 0x0f);
	c->attr = p[9] & 0x07;
	c->tmf = p[10];
	add = (uint32_t)(p[11] >> 2) * 4;
	c->rd = p[11] & 0x02;
	c->wr = p[11] & 0x01;
	need = FCP_CMND_MIN_LEN + add + (c->rd && c->wr ? 4 : 0);
	if (len < need)
		return -EINVAL;
	if (c->attr == 3 || c->attr > 4)
		return -EINVAL;
	if (c->tmf) {
		/* one function per IU, and no command with it */
		if (c->tmf & (c->tmf - 1) || c->rd || c->wr || add)
			return -EINVAL;
		return 0;
	}
	c->cdb_len = 16 + add;
	memcpy(c->cdb, p + 12, c->cdb_len);
	c->dl = fc_get32(p + 28 + add);
	if (c->rd && c->wr)
		c->bidi_read_dl = fc_get32(p + 32 + add);
	return 0;
}

int fcp_cmnd_encode(const struct fcp_cmnd *c, uint8_t *out, size_t cap)
{
	uint32_t add = c->cdb_len > 16 ? c->cdb_len - 16 : 0;
	size_t len = FCP_CMND_MIN_LEN + add + (c->rd && c->wr ? 4 : 0);

	if (add % 4 || add > 252 || len > cap)
		return -EMSGSIZE;
	memset(out, 0, len);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(c->lun >> (56 - 8 * i));
	out[8] = c->crn;
	out[9] = (uint8_t)((c->priority & 0x0f) << 3 | (c->attr & 0x07));
	out[10] = c->tmf;
	out[11] = (uint8_t)((add / 4) << 2 | (c->rd ? 2 : 0) | (c->wr ? 1 : 0));
	memcpy(out + 12, c->cdb, c->cdb_len < 16 ? c->cdb_len : 16 + add);
	fc_put32(out + 28 + add, c->dl);
	if (c->rd && c->wr)
		fc_put32(out + 32 + add, c->bidi_read_dl);
	return (int)len;
}

void fcp_xfer_rdy_encode(uint32_t offset, uint32_t burst, uint8_t out[FCP_XFER_RDY_LEN])
{
	memset(out, 0, FCP_XFER_RDY_LEN);
	fc_put32(out, offset);
	fc_put32(out + 4, burst);
}

int fcp_xfer_rdy_decode(const uint8_t *p, size_t len, uint32_t *offset, uint32_t *burst)
{
	if (len < FCP_XFER_RDY_LEN)
		return -EINVAL;
	*offset = fc_get32(p);
	*burst = fc_get32(p + 4);
	return 0;
}

/* Layout: reserved(8) | retry delay / status qualifier(2) | flags | SCSI
 * status | FCP_RESID(4) | FCP_SNS_LEN(4) | FCP_RSP_LEN(4) | response info
 * (FCP_RSP_LEN) | sense (FCP_SNS_LEN) */
int fcp_rsp_encode(const struct fcp_rsp *r, uint8_t *out, size_t max_len)
{
	uint32_t rsp_len = r->has_rsp_code ? 4 : 0, sense = r->sense_len;
	size_t len = FCP_RSP_HDR_LEN + rsp_len;

	if (len > max_len)
		return -EMSGSIZE;
	if (sense > max_len - len)
		sense = (uint32_t)(max_len - len); /* sense is cut, never the header */
	memset(out, 0, len);
	out[10] = (uint8_t)(r->flags & (FCP_RESID_OVER | FCP_RESID_UNDER | FCP_CONF_REQ));
	out[11] = r->status;
	fc_put32(out + 12, r->flags & (FCP_RESID_OVER | FCP_RESID_UNDER) ? r->resid : 0);
	if (sense) {
		out[10] |= FCP_SNS_LEN_VALID;
		fc_put32(out + 16, sense);
	}
	if (rsp_len) {
		out[10] |= FCP_RSP_LEN_VALID;
		fc_put32(out + 20, rsp_len);
		out[FCP_RSP_HDR_LEN + 3] = r->rsp_code;
	}
	if (sense)
		memcpy(out + len, r->sense, sense);
	return (int)(len + sense);
}

int fcp_rsp_decode(const uint8_t *p, size_t len, struct fcp_rsp *r)
{
	uint32_t rsp_len = 0, sns_len = 0;

	memset(r, 0, sizeof(*r));
	if (len < FCP_RSP_HDR_LEN)
		return -EINVAL;
	r->flags = p[10];
	r->status = p[11];
	r->resid = fc_get32(p + 12);
	if (p[10] & FCP_SNS_LEN_VALID)
		sns_len = fc_get32(p + 16);
	if (p[10] & FCP_RSP_LEN_VALID)
		rsp_len = fc_get32(p + 20);
	if (rsp_len > len - FCP_RSP_HDR_LEN || sns_len > len - FCP_RSP_HDR_LEN - rsp_len)
		return -EINVAL;
	if (rsp_len) {
		if (rsp_len != 4 && rsp_len != 8)
			return -EINVAL;
		r->has_rsp_code = true;
		r->rsp_code = p[FCP_RSP_HDR_LEN + 3];
	}
	r->sense = p + FCP_RSP_HDR_LEN + rsp_len;
	r->sense_len = sns_len;
	return 0;
}
