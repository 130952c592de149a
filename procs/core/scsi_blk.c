/* SBC commands the core runs in several backend steps (core_blk.c): WRITE SAME
 * 10/16, UNMAP, COMPARE AND WRITE, WRITE AND VERIFY 10/12/16, GET LBA STATUS.
 * Here only the CDB (and the UNMAP parameter list) is checked against the LU;
 * every error the CDB alone shows is answered before any data moves. */
#include <string.h>

#include "procs/core/scsi.h"
#include "procs/core/scsi_xcopy.h"

static bool range_ok(const struct scsi_lu *lu, uint64_t lba, uint64_t n)
{
	return lba < lu->nblocks && n <= lu->nblocks - lba;
}

bool scsi_blk_is(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case WRITE_SAME_10: case WRITE_SAME_16: case UNMAP: case COMPARE_AND_WRITE:
	case WRITE_VERIFY_10: case WRITE_VERIFY_12: case WRITE_VERIFY_16: case ORWRITE_16:
	case EXTENDED_COPY: case SANITIZE:
		return true;
	case SERVICE_ACTION_IN_16:
		return (cdb[1] & 0x1f) == SAI_GET_LBA_STATUS;
	default:
		return false;
	}
}

/* Every command that writes checks the same two things, in this order
 * (SBC-3: write protection is reported before the LBA range). */
static bool writable_range(const struct scsi_lu *lu, uint64_t lba, uint64_t n,
			   struct scsi_result *r)
{
	if (lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return false;
	}
	if (!range_ok(lu, lba, n)) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return false;
	}
	return true;
}

static void set_range(const struct scsi_lu *lu, struct scsi_io *io, uint64_t lba, uint64_t n)
{
	io->lba = lba;
	io->nblocks = n;
	io->offset = lba << lu->block_shift;
	io->length = n << lu->block_shift;
}

static int write_same(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		      struct scsi_result *r)
{
	bool is16 = cdb[0] == WRITE_SAME_16;
	uint64_t lba = is16 ? scsi_be64(cdb + 2) : scsi_be32(cdb + 2);
	uint64_t n = is16 ? scsi_be32(cdb + 10) : scsi_be16(cdb + 7);
	uint8_t f = cdb[1];

	r->xfer_len = 0;
	if (f & 0xe0) {                      /* WRPROTECT: no protection information */
		scsi_invalid_cdb(r, 1, 7);
		return 0;
	}
	if (f & 0x10) {                      /* ANCHOR: no anchored state */
		scsi_invalid_cdb(r, 1, 4);
		return 0;
	}
	/* bits 2..1 obsolete (PBDATA/LBDATA); NDOB exists only in the 16-byte CDB */
	if ((f & 0x06) || (!is16 && (f & 0x01))) {
		scsi_invalid_cdb(r, 1, (f & 0x01) && !is16 ? 0 : (f & 0x04) ? 2 : 1);
		return 0;
	}
	io->unmap = (f & 0x08) != 0;
	io->ndob = is16 && (f & 0x01);
	/* write protection first: an unmapping WRITE SAME on a write-protected
	 * LU is DATA PROTECT whatever its provisioning (libiscsi ReadOnlySBC) */
	if (lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return 0;
	}
	/* LBPWS/LBPWS10 are 0 on a fully provisioned LU: UNMAP is refused */
	if (io->unmap && !lu->thin) {
		scsi_invalid_cdb(r, 1, 3);
		return 0;
	}
	/* WSNZ is 0 in the Block Limits page: 0 blocks means through the last
	 * block (SBC-4), still bounded by MAXIMUM WRITE SAME LENGTH; an LBA
	 * past the end leaves n 0 for the range check below */
	if (n == 0)
		n = lba < lu->nblocks ? lu->nblocks - lba : 0;
	if ((n << lu->block_shift) > SCSI_MAX_WS_BYTES) {
		scsi_invalid_cdb(r, is16 ? 10 : 7, -1);
		return 0;
	}
	r->xfer_len = io->ndob ? 0 : lu->block_size;
	if (!writable_range(lu, lba, n, r))
		return 0;
	io->blk = SCSI_BLK_WRITE_SAME;
	io->op = MSG_IO_WRITE;
	io->dir = io->ndob ? MSG_DIR_NONE : MSG_DIR_WRITE;
	set_range(lu, io, lba, n);
	return 1;
}

static int unmap(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		 struct scsi_result *r)
{
	uint32_t plen = scsi_be16(cdb + 7);

	r->xfer_len = plen;
	if (!lu->thin) {
		/* LBPU is 0 in the Logical Block Provisioning page */
		r->xfer_len = 0;
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return 0;
	}
	if (cdb[1] & 0x01) {                 /* ANCHOR */
		scsi_invalid_cdb(r, 1, 0);
		return 0;
	}
	if (cdb[1] & 0xfe) {
		scsi_invalid_cdb(r, 1, -1);
		return 0;
	}
	if (lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return 0;
	}
	if (plen == 0) {                     /* SBC: not an error, nothing to do */
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	if (plen < 8) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return 0;
	}
	io->blk = SCSI_BLK_UNMAP;
	io->op = MSG_IO_UNMAP;
	io->dir = MSG_DIR_WRITE;
	io->param_len = plen;
	io->length = plen;                   /* the data-out to pull */
	return 1;
}

int scsi_unmap_check(const struct scsi_lu *lu, const uint8_t *p, uint32_t len,
		     struct scsi_result *r)
{
	uint32_t bdl, n;

	if (len < 8) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	/* UNMAP DATA LENGTH and the descriptor length must fit what was sent;
	 * a trailing partial descriptor is ignored */
	bdl = scsi_be16(p + 2);
	if (scsi_be16(p) < 6 || bdl > len - 8) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	n = bdl / 16;
	if (n > SCSI_MAX_UNMAP_DESC) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t lba;
		uint32_t cnt;

		scsi_unmap_desc(p, i, &lba, &cnt);
		if (!range_ok(lu, lba, cnt) && !(cnt == 0 && lba <= lu->nblocks)) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
			return -1;
		}
		if (((uint64_t)cnt << lu->block_shift) > SCSI_MAX_UNMAP_BYTES) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
			return -1;
		}
	}
	return (int)n;
}

void scsi_unmap_desc(const uint8_t *p, uint32_t i, uint64_t *lba, uint32_t *n)
{
	*lba = scsi_be64(p + 8 + 16 * i);
	*n = scsi_be32(p + 8 + 16 * i + 8);
}

static int caw(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
	       struct scsi_result *r)
{
	uint64_t lba = scsi_be64(cdb + 2);
	uint32_t n = cdb[13];

	r->xfer_len = (uint32_t)(2 * n) << lu->block_shift;
	if (cdb[1] & 0xe0) {
		scsi_invalid_cdb(r, 1, 7);
		return 0;
	}
	if (cdb[1] & 0x07) {
		scsi_invalid_cdb(r, 1, -1);
		return 0;
	}
	if (n > SCSI_MAX_CAW_BLOCKS) {
		r->xfer_len = 0;
		scsi_invalid_cdb(r, 13, -1);
		return 0;
	}
	if (!writable_range(lu, lba, n, r))
		return 0;
	/* n == 0 compares and writes nothing; core_blk_plan() still checks
	 * that no data-out came with it */
	io->blk = SCSI_BLK_CAW;
	io->op = MSG_IO_READ;
	io->dir = MSG_DIR_WRITE;
	io->fua = (cdb[1] & 0x08) != 0;
	set_range(lu, io, lba, n);
	return 1;
}

/* ORWRITE (16) without the BMOP/PREVIOUS GENERATION PROCESSING of SBC-4's
 * second form (BMOP must be 000b: OR the data-out into the medium). */
static int orwrite(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		   struct scsi_result *r)
{
	uint64_t lba = scsi_be64(cdb + 2), n = scsi_be32(cdb + 10);

	r->xfer_len = 0;
	if (cdb[1] & 0xe0) {                 /* ORPROTECT */
		scsi_invalid_cdb(r, 1, 7);
		return 0;
	}
	if (cdb[1] & 0x07) {
		scsi_invalid_cdb(r, 1, -1);
		return 0;
	}
	if (cdb[14] & 0xe0) {                /* BMOP */
		scsi_invalid_cdb(r, 14, 7);
		return 0;
	}
	if (n << lu->block_shift > SCSI_MAX_XFER_BYTES) {
		scsi_invalid_cdb(r, 10, -1);
		return 0;
	}
	r->xfer_len = (uint32_t)(n << lu->block_shift);
	if (!writable_range(lu, lba, n, r))
		return 0;
	if (n == 0) {
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	io->blk = SCSI_BLK_ORWRITE;
	io->op = MSG_IO_READ;
	io->dir = MSG_DIR_WRITE;
	io->fua = (cdb[1] & 0x08) != 0;
	set_range(lu, io, lba, n);
	return 1;
}

static int write_verify(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
			struct scsi_result *r)
{
	uint64_t lba, n;
	uint16_t len_byte;

	switch (cdb[0]) {
	case WRITE_VERIFY_10:
		lba = scsi_be32(cdb + 2); n = scsi_be16(cdb + 7); len_byte = 7;
		break;
	case WRITE_VERIFY_12:
		lba = scsi_be32(cdb + 2); n = scsi_be32(cdb + 6); len_byte = 6;
		break;
	default:
		lba = scsi_be64(cdb + 2); n = scsi_be32(cdb + 10); len_byte = 10;
		break;
	}
	r->xfer_len = 0;
	if (cdb[1] & 0xe0) {
		scsi_invalid_cdb(r, 1, 7);
		return 0;
	}
	/* BYTCHK 00b/01b: both read back and compare what was written (a
	 * stronger medium check than 00b asks for); 1xb is not supported */
	if (cdb[1] & 0x05) {
		scsi_invalid_cdb(r, 1, (cdb[1] & 0x04) ? 2 : 0);
		return 0;
	}
	if (n << lu->block_shift > SCSI_MAX_XFER_BYTES) {
		scsi_invalid_cdb(r, len_byte, -1);
		return 0;
	}
	r->xfer_len = (uint32_t)(n << lu->block_shift);
	if (!writable_range(lu, lba, n, r))
		return 0;
	if (n == 0) {
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	io->blk = SCSI_BLK_WRITE_VERIFY;
	io->op = MSG_IO_WRITE;
	io->dir = MSG_DIR_WRITE;
	set_range(lu, io, lba, n);
	return 1;
}

static int lba_status(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		      struct scsi_result *r)
{
	uint64_t lba = scsi_be64(cdb + 2);
	uint32_t alloc = scsi_be32(cdb + 10);

	r->xfer_len = alloc;
	if (!lu->thin) {
		r->xfer_len = 0;
		scsi_invalid_cdb(r, 1, 4);       /* no such service action here */
		return 0;
	}
	if (lba >= lu->nblocks) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return 0;
	}
	if (alloc == 0) {
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	io->blk = SCSI_BLK_LBA_STATUS;
	io->op = MSG_IO_LBA_STATUS;
	io->dir = MSG_DIR_READ;
	io->param_len = alloc;
	set_range(lu, io, lba, lu->nblocks - lba);
	return 1;
}

/* EXTENDED COPY: the parameter list is checked whole by the copy manager;
 * for the task set it counts as a writer of the whole LU it is sent to */
static int xcopy(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		 struct scsi_result *r)
{
	uint32_t plen;

	if (!scsi_xcopy_cdb(cdb, &plen, r))
		return 0;
	memset(io, 0, sizeof(*io));
	io->blk = SCSI_BLK_XCOPY;
	io->dir = MSG_DIR_WRITE;
	io->param_len = plen;
	io->nblocks = lu->nblocks;
	return 1;
}

int scsi_blk_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		    struct scsi_result *r)
{
	switch (cdb[0]) {
	case WRITE_SAME_10:
	case WRITE_SAME_16:
		return write_same(lu, cdb, io, r);
	case UNMAP:
		return unmap(lu, cdb, io, r);
	case COMPARE_AND_WRITE:
		return caw(lu, cdb, io, r);
	case WRITE_VERIFY_10:
	case WRITE_VERIFY_12:
	case WRITE_VERIFY_16:
		return write_verify(lu, cdb, io, r);
	case ORWRITE_16:
		return orwrite(lu, cdb, io, r);
	case EXTENDED_COPY:
		return xcopy(lu, cdb, io, r);
	case SANITIZE:
		return scsi_sanitize_decode(lu, cdb, io, r);
	case SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) == SAI_GET_LBA_STATUS)
			return lba_status(lu, cdb, io, r);
		break;
	}
	scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	return 0;
}
