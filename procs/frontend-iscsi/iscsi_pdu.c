/* BHS decoding and building helpers. */
#include "procs/frontend-iscsi/iscsi_pdu.h"

#include <errno.h>
#include <string.h>

void iscsi_bhs_decode(const uint8_t *bhs, struct iscsi_bhs_info *out)
{
	out->opcode = bhs[0] & ISCSI_OP_MASK;
	out->immediate = (bhs[0] & ISCSI_OP_IMMEDIATE) != 0;
	out->final = (bhs[1] & ISCSI_FLAG_FINAL) != 0;
	out->ahs_len = (uint32_t)bhs[4] * 4u;
	out->data_len = iscsi_get24(bhs + 5);
	out->itt = iscsi_get32(bhs + 16);
}

void iscsi_bhs_init(uint8_t *bhs, uint8_t opcode, uint8_t flags, uint32_t dlen)
{
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[0] = opcode;
	bhs[1] = flags;
	iscsi_put24(bhs + 5, dlen);
}

bool iscsi_op_is_initiator(uint8_t opcode)
{
	switch (opcode) {
	case ISCSI_OP_NOP_OUT: case ISCSI_OP_SCSI_CMD: case ISCSI_OP_TMF_REQ:
	case ISCSI_OP_LOGIN_REQ: case ISCSI_OP_TEXT_REQ: case ISCSI_OP_DATA_OUT:
	case ISCSI_OP_LOGOUT_REQ: case ISCSI_OP_SNACK:
		return true;
	}
	return false;
}

int iscsi_cdb_extract(const uint8_t *bhs, const uint8_t *ahs, uint32_t ahs_len,
		      uint8_t *cdb, size_t max)
{
	size_t len = 16;
	bool have_ext = false;
	uint32_t pos = 0;

	if (max < 16)
		return -EINVAL;
	memcpy(cdb, bhs + 32, 16);
	/* Walk every AHS: each is 2 bytes length, 1 byte type, then `length`
	 * bytes, padded to 4. Anything that runs past the total is malformed. */
	while (pos < ahs_len) {
		uint32_t alen, total;
		uint8_t type;

		if (ahs_len - pos < 4)
			return -EINVAL;
		alen = iscsi_get16(ahs + pos);
		type = ahs[pos + 2];
		total = 3 + alen;
		total += iscsi_pad4(total);
		if (alen == 0 || total > ahs_len - pos)
			return -EINVAL;
		if (type == ISCSI_AHS_EXT_CDB) {
			/* one reserved byte, then CDB bytes 16.. */
			uint32_t extra = alen - 1;

			if (have_ext || extra == 0 || 16 + (size_t)extra > max)
				return -EINVAL;
			memcpy(cdb + 16, ahs + pos + 4, extra);
			len = 16 + extra;
			have_ext = true;
		} else if (type == ISCSI_AHS_BIDI_RLEN) {
			if (alen != 5)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		pos += total;
	}
	return (int)len;
}

uint8_t iscsi_residual(uint32_t edtl, uint32_t xfer, uint32_t done,
		       uint32_t *residual)
{
	if (xfer > edtl) {
		*residual = xfer - edtl;
		return ISCSI_RSP_OVERFLOW;
	}
	if (done < edtl) {
		*residual = edtl - done;
		return ISCSI_RSP_UNDERFLOW;
	}
	*residual = 0;
	return 0;
}

const char *iscsi_op_name(uint8_t opcode)
{
	switch (opcode) {
	case ISCSI_OP_NOP_OUT: return "NOP-Out";
	case ISCSI_OP_SCSI_CMD: return "SCSI-Command";
	case ISCSI_OP_TMF_REQ: return "TMF-Request";
	case ISCSI_OP_LOGIN_REQ: return "Login-Request";
	case ISCSI_OP_TEXT_REQ: return "Text-Request";
	case ISCSI_OP_DATA_OUT: return "Data-Out";
	case ISCSI_OP_LOGOUT_REQ: return "Logout-Request";
	case ISCSI_OP_SNACK: return "SNACK";
	case ISCSI_OP_NOP_IN: return "NOP-In";
	case ISCSI_OP_SCSI_RSP: return "SCSI-Response";
	case ISCSI_OP_TMF_RSP: return "TMF-Response";
	case ISCSI_OP_LOGIN_RSP: return "Login-Response";
	case ISCSI_OP_TEXT_RSP: return "Text-Response";
	case ISCSI_OP_DATA_IN: return "Data-In";
	case ISCSI_OP_LOGOUT_RSP: return "Logout-Response";
	case ISCSI_OP_R2T: return "R2T";
	case ISCSI_OP_ASYNC: return "Async";
	case ISCSI_OP_REJECT: return "Reject";
	}
	return "unknown";
}
