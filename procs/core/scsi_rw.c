/* Media commands: READ/WRITE (6/10/12/16), SYNCHRONIZE CACHE (10/16) decoded into
 * a byte range for the backend; READ CAPACITY (10/16). */
#include <string.h>

#include "procs/core/scsi.h"

/* Range check shared by every media command: the LBA must exist (even for a
 * zero-length transfer) and lba + n must not pass the end. */
static bool lba_ok(const struct scsi_lu *lu, uint64_t lba, uint64_t n)
{
	return lba < lu->nblocks && n <= lu->nblocks - lba;
}

int scsi_rw_decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		   struct scsi_result *r)
{
	uint64_t lba = 0, n = 0;
	uint16_t len_byte = 0;   /* where the transfer length sits, for the field pointer */
	bool is_write = false, is_sync = false, is_verify = false, is_atomic = false;
	uint8_t flags = 0;

	memset(io, 0, sizeof(*io));
	switch (cdb[0]) {
	case READ_6:
	case WRITE_6:
		lba = (uint64_t)(cdb[1] & 0x1f) << 16 | scsi_be16(cdb + 2);
		n = cdb[4] ? cdb[4] : 256;    /* SBC: 0 means 256 blocks */
		len_byte = 4;
		is_write = cdb[0] == WRITE_6;
		if (cdb[1] & 0xe0) {
			scsi_invalid_cdb(r, 1, 7);
			return 0;
		}
		break;
	case READ_10:
	case WRITE_10:
		lba = scsi_be32(cdb + 2);
		n = scsi_be16(cdb + 7);
		len_byte = 7;
		flags = cdb[1];
		is_write = cdb[0] == WRITE_10;
		break;
	case READ_12:
	case WRITE_12:
		lba = scsi_be32(cdb + 2);
		n = scsi_be32(cdb + 6);
		len_byte = 6;
		flags = cdb[1];
		is_write = cdb[0] == WRITE_12;
		break;
	case READ_16:
	case WRITE_16:
		lba = scsi_be64(cdb + 2);
		n = scsi_be32(cdb + 10);
		len_byte = 10;
		flags = cdb[1];
		is_write = cdb[0] == WRITE_16;
		break;
	case WRITE_ATOMIC_16:
		lba = scsi_be64(cdb + 2);
		n = scsi_be16(cdb + 12);
		len_byte = 12;
		flags = cdb[1];
		is_write = is_atomic = true;
		break;
	case SYNCHRONIZE_CACHE_10:
		lba = scsi_be32(cdb + 2);
		n = scsi_be16(cdb + 7);
		is_sync = true;
		break;
	case VERIFY_10:
		lba = scsi_be32(cdb + 2);
		n = scsi_be16(cdb + 7);
		flags = cdb[1];
		is_verify = true;
		break;
	case VERIFY_12:
		lba = scsi_be32(cdb + 2);
		n = scsi_be32(cdb + 6);
		flags = cdb[1];
		is_verify = true;
		break;
	case VERIFY_16:
		lba = scsi_be64(cdb + 2);
		n = scsi_be32(cdb + 10);
		flags = cdb[1];
		is_verify = true;
		break;
	case SYNCHRONIZE_CACHE_16:
		lba = scsi_be64(cdb + 2);
		n = scsi_be32(cdb + 10);
		is_sync = true;
		break;
	default:
		return scsi_blk_decode(lu, cdb, io, r);
	}

	if (is_sync) {
		/* IMMED may be honoured by waiting: the flush still completes first */
		if (cdb[1] & 0xf9) {
			scsi_invalid_cdb(r, 1, -1);
			return 0;
		}
		if (n == 0 && lba < lu->nblocks)
			n = lu->nblocks - lba; /* 0 = through the last block */
		if (!lba_ok(lu, lba, n)) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
			return 0;
		}
		io->op = MSG_IO_FLUSH;
		io->dir = MSG_DIR_NONE;
		io->lba = lba;
		io->nblocks = n;
		io->offset = lba << lu->block_shift;
		io->length = n << lu->block_shift;
		r->xfer_len = 0;
		return 1;
	}

	if (is_verify) {
		/* VRPROTECT: no protection information; BYTCHK != 0 would compare
		 * data-out with the medium, which is not implemented */
		if (flags & 0xe0) {
			scsi_invalid_cdb(r, 1, 7);
			return 0;
		}
		/* BYTCHK 01b compares the data-out with the medium; 11b (one
		 * block against each) is not implemented */
		if ((flags & 0x06) != 0 && (flags & 0x06) != 0x02) {
			scsi_invalid_cdb(r, 1, 2);
			return 0;
		}
		io->bytchk = (flags & 0x06) == 0x02;
		r->xfer_len = 0;
		if (io->bytchk) {
			if (n << lu->block_shift > SCSI_MAX_XFER_BYTES) {
				scsi_invalid_cdb(r, cdb[0] == VERIFY_10 ? 7 : cdb[0] == VERIFY_12 ? 6 : 10, -1);
				return 0;
			}
			r->xfer_len = (uint32_t)(n << lu->block_shift);
		}
		if (!lba_ok(lu, lba, n)) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
			return 0;
		}
		io->op = MSG_IO_READ;
		io->verify = true;
		io->dir = io->bytchk ? MSG_DIR_WRITE : MSG_DIR_NONE;
		io->lba = lba;
		io->nblocks = n;
		io->offset = lba << lu->block_shift;
		io->length = n << lu->block_shift;
		if (n == 0) {
			scsi_result_good(r);   /* nothing to verify */
			r->data_len = 0;
			return 0;
		}
		return 1;
	}

	/* RDPROTECT/WRPROTECT: no protection information support */
	if (flags & 0xe0) {
		scsi_invalid_cdb(r, 1, 7);
		return 0;
	}
	/* bit 2 is RARC for reads and reserved for writes; bit 0 obsolete */
	if ((flags & 0x01) || (is_write && (flags & 0x04))) {
		scsi_invalid_cdb(r, 1, (flags & 0x01) ? 0 : 2);
		return 0;
	}
	if (is_atomic && (flags & 0x02)) {
		scsi_invalid_cdb(r, 1, 1);
		return 0;
	}
	if (n << lu->block_shift > (is_atomic ? SCSI_MAX_ATOMIC_BYTES : SCSI_MAX_XFER_BYTES)) {
		r->xfer_len = 0;
		scsi_invalid_cdb(r, len_byte, -1);
		return 0;
	}
	/* ATOMIC BOUNDARY: each boundary-sized piece is atomic; the whole
	 * transfer is, so any boundary up to the maximum is honoured */
	if (is_atomic && (uint64_t)scsi_be16(cdb + 10) << lu->block_shift > SCSI_MAX_ATOMIC_BYTES) {
		r->xfer_len = 0;
		scsi_invalid_cdb(r, 10, -1);
		return 0;
	}
	r->xfer_len = (uint32_t)(n << lu->block_shift);
	if (is_write && lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return 0;
	}
	if (!lba_ok(lu, lba, n)) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return 0;
	}
	io->op = is_write ? MSG_IO_WRITE : MSG_IO_READ;
	io->dir = is_write ? MSG_DIR_WRITE : MSG_DIR_READ;
	io->fua = (flags & 0x08) != 0;   /* DPO (0x10) is only a cache hint */
	io->atomic = is_atomic;
	io->lba = lba;
	io->nblocks = n;
	io->offset = lba << lu->block_shift;
	io->length = n << lu->block_shift;
	if (n == 0) {
		/* SBC: a zero transfer length is not an error and moves nothing */
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	return 1;
}

void scsi_read_capacity(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			uint32_t cap, struct scsi_result *r)
{
	uint8_t b[32];
	uint64_t last = lu->nblocks ? lu->nblocks - 1 : 0;

	memset(b, 0, sizeof(b));
	if (cdb[0] == READ_CAPACITY_10) {
		bool pmi = cdb[8] & 0x01;

		r->xfer_len = 8;
		if (!pmi && scsi_be32(cdb + 2) != 0) {
			scsi_invalid_cdb(r, 2, -1);
			return;
		}
		scsi_put32(b, last > 0xffffffffull ? 0xffffffffu : (uint32_t)last);
		scsi_put32(b + 4, lu->block_size);
		scsi_emit(b, 8, 8, out, cap, r);
		return;
	}
	/* SERVICE ACTION IN (16) / READ CAPACITY (16) */
	uint32_t alloc = scsi_be32(cdb + 10);

	r->xfer_len = alloc;
	if (!(cdb[14] & 0x01) && scsi_be64(cdb + 2) != 0) {
		scsi_invalid_cdb(r, 2, -1);
		return;
	}
	scsi_put64(b, last);
	scsi_put32(b + 8, lu->block_size);
	b[13] = lu->lbppbe & 0x0f;     /* LOWEST ALIGNED LBA (bytes 14-15) is 0 */
	if (lu->thin)
		b[14] = 0x80 | 0x40;   /* LBPME, LBPRZ: unmapped blocks read as zeros */
	scsi_emit(b, 32, alloc, out, cap, r);
}
