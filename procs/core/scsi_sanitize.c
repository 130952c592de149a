/* SANITIZE (SBC-3 5.30): the CDB, the OVERWRITE parameter list, the pattern
 * and the SANITIZE IN PROGRESS sense. What each service action means here:
 *
 *   OVERWRITE          1..31 passes of the initialization pattern over every
 *                      block (INVERT: the complement on alternate passes, the
 *                      last pass writes the pattern as given)
 *   BLOCK ERASE        thin LUs only: every block is deallocated (holes read
 *                      as zeros, LBPRZ); refused on fully provisioned LUs,
 *                      whose store cannot be erased other than by overwriting
 *   CRYPTOGRAPHIC ERASE refused: no LU here encrypts its data, so there is no
 *                      key whose change would make the old data unreadable
 *   EXIT FAILURE MODE  leaves the failed state of an earlier sanitize
 *
 * The core runs the operation (core_sanitize.c). */
#include <string.h>

#include "procs/core/scsi_xcopy.h"

static void param_invalid(struct scsi_result *r, uint16_t byte, int bit)
{
	uint8_t sks[3];

	sks[0] = 0x80;
	if (bit >= 0)
		sks[0] |= 0x08 | (uint8_t)bit;
	scsi_put16(sks + 1, byte);
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM, sks);
	r->data_len = 0;
}

int scsi_sanitize_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
			 struct scsi_result *r)
{
	uint8_t sa = cdb[1] & 0x1f;
	uint32_t plen = scsi_be16(cdb + 7);

	memset(io, 0, sizeof(*io));
	r->xfer_len = 0;
	if (cdb[1] & 0x40) {
		scsi_invalid_cdb(r, 1, 6);
		return 0;
	}
	for (unsigned i = 2; i <= 6; i++) {
		if (cdb[i]) {
			scsi_invalid_cdb(r, (uint16_t)i, -1);
			return 0;
		}
	}
	switch (sa) {
	case SANITIZE_SA_OVERWRITE:
		/* the list is a 4-byte header and a pattern of at most one block */
		if (plen <= 4 || plen > lu->block_size + 4) {
			scsi_invalid_cdb(r, 7, -1);
			return 0;
		}
		break;
	case SANITIZE_SA_BLOCK_ERASE:
		if (!lu->thin) {
			scsi_invalid_cdb(r, 1, 4);
			return 0;
		}
		/* fall through */
	case SANITIZE_SA_EXIT_FAILURE:
		if (plen) {
			scsi_invalid_cdb(r, 7, -1);
			return 0;
		}
		break;
	case SANITIZE_SA_CRYPTO_ERASE:
	default:
		scsi_invalid_cdb(r, 1, 4);
		return 0;
	}
	if (sa != SANITIZE_SA_EXIT_FAILURE && lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return 0;
	}
	r->xfer_len = plen;
	io->blk = SCSI_BLK_SANITIZE;
	io->param_len = plen;
	io->dir = plen ? MSG_DIR_WRITE : MSG_DIR_NONE;
	io->lba = 0;
	io->nblocks = lu->nblocks;
	io->length = lu->nblocks << lu->block_shift;
	return 1;
}

int scsi_sanitize_overwrite(const uint8_t *p, uint32_t len, uint32_t block_size,
			    struct scsi_sanitize_ow *ow, struct scsi_result *r)
{
	uint32_t plen;

	memset(ow, 0, sizeof(*ow));
	if (len < 4) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	if (p[0] & 0x60) {              /* TEST: vendor verification modes, none here */
		param_invalid(r, 0, 6);
		return -1;
	}
	ow->invert = p[0] & 0x80;
	ow->passes = p[0] & 0x1f;
	if (ow->passes == 0) {
		param_invalid(r, 0, 4);
		return -1;
	}
	if (p[1]) {
		param_invalid(r, 1, -1);
		return -1;
	}
	plen = scsi_be16(p + 2);
	if (plen == 0 || plen > block_size) {
		param_invalid(r, 2, -1);
		return -1;
	}
	if (plen > len - 4) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	ow->pattern_len = plen;
	ow->pattern = p + 4;
	return 0;
}

void scsi_sanitize_fill(uint8_t *buf, uint32_t len, uint32_t block_size,
			const struct scsi_sanitize_ow *ow, bool inverted)
{
	uint8_t x = inverted ? 0xff : 0x00;
	uint32_t first = len < block_size ? len : block_size;

	/* each block starts with the pattern, repeated to the block's end */
	for (uint32_t i = 0; i < first; i++)
		buf[i] = ow->pattern[i % ow->pattern_len] ^ x;
	for (uint32_t o = block_size; o < len; o += block_size)
		memcpy(buf + o, buf, len - o < block_size ? len - o : block_size);
}

uint32_t scsi_sanitize_sense(uint8_t *out, uint32_t cap, uint16_t progress)
{
	uint8_t sks[3];

	sks[0] = 0x80;                  /* SKSV: progress indication */
	scsi_put16(sks + 1, progress);
	return (uint32_t)scsi_sense_build(out, cap, false, SK_NOT_READY,
					  ASC_LU_NOT_READY_SANITIZE, sks);
}
