/* SBC commands answered without touching the medium: START STOP UNIT, PREVENT
 * ALLOW MEDIUM REMOVAL, READ DEFECT DATA 10/12, FORMAT UNIT, PRE-FETCH 10/16.
 *
 * The LUs are not removable (RMB 0) and have no power states or defects, so
 * these validate their fields and report the truth: nothing to stop, eject,
 * list, format or pull into a cache. */
#include <string.h>

#include "procs/core/scsi.h"

static void start_stop(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r)
{
	uint8_t pc = cdb[4] >> 4;

	if (cdb[1] & 0xfe) {                 /* only IMMED */
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (cdb[3] & 0xf0) {
		scsi_invalid_cdb(r, 3, -1);
		return;
	}
	/* START_VALID, ACTIVE, IDLE, STANDBY, LU_CONTROL, FORCE_IDLE_0, FORCE_STANDBY_0 */
	if (pc != 0x0 && pc != 0x1 && pc != 0x2 && pc != 0x3 && pc != 0x7 && pc != 0xa &&
	    pc != 0xb) {
		scsi_invalid_cdb(r, 4, 7);
		return;
	}
	if (cdb[4] & 0x08) {
		scsi_invalid_cdb(r, 4, 3);
		return;
	}
	/* LOEJ (acted on with START_VALID only) needs a removable medium;
	 * a removable LU's medium is handled by the core (core_media.c) */
	if (!lu->removable && (cdb[4] & 0x02) && pc == 0) {
		scsi_invalid_cdb(r, 4, 1);
		return;
	}
	/* no spindle and no removable medium: starting, stopping and LOEJ have
	 * nothing to act on, and the LU stays ready */
	scsi_result_good(r);
}

static void prevent_allow(const uint8_t *cdb, struct scsi_result *r)
{
	if (cdb[1] || cdb[2] || cdb[3]) {
		scsi_invalid_cdb(r, cdb[1] ? 1 : cdb[2] ? 2 : 3, -1);
		return;
	}
	/* 00b allow, 01b prevent (nothing is removable, so nothing changes);
	 * 1xb are medium changer values */
	if (cdb[4] & 0xfe) {
		scsi_invalid_cdb(r, 4, (cdb[4] & 0x02) ? 1 : -1);
		return;
	}
	scsi_result_good(r);
}

static void read_defect(const uint8_t *cdb, uint8_t *out, uint32_t cap, struct scsi_result *r)
{
	uint8_t b[8];
	bool is12 = cdb[0] == READ_DEFECT_DATA_12;
	uint8_t req = is12 ? cdb[1] : cdb[2];
	uint32_t alloc = is12 ? scsi_be32(cdb + 6) : scsi_be16(cdb + 7);
	uint8_t fmt = req & 0x07;

	r->xfer_len = alloc;
	if (!is12 && cdb[1]) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (req & 0xe0) {
		scsi_invalid_cdb(r, is12 ? 1 : 2, -1);
		return;
	}
	/* formats: short block, extended bytes from index, extended physical
	 * sector, long block, bytes from index, physical sector */
	if (fmt != 0 && fmt != 1 && fmt != 2 && fmt != 3 && fmt != 4 && fmt != 5) {
		scsi_invalid_cdb(r, is12 ? 1 : 2, 2);
		return;
	}
	memset(b, 0, sizeof(b));
	/* both lists are valid and empty; the format requested is the one given */
	b[1] = (uint8_t)((req & 0x18) | fmt);
	scsi_emit(b, is12 ? 8 : 4, alloc, out, cap, r);
}

static void format_unit(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r)
{
	if (cdb[1] & 0xc0) {                 /* FMTPINFO: no protection information */
		scsi_invalid_cdb(r, 1, 7);
		return;
	}
	if (cdb[1] & 0x10) {
		/* FMTDATA: a parameter list (defect lists, initialization pattern)
		 * is not supported */
		scsi_invalid_cdb(r, 1, 4);
		return;
	}
	if (cdb[1] & 0x0f) {                 /* CMPLST / DEFECT LIST FORMAT need FMTDATA */
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (cdb[2] || cdb[3] || cdb[4]) {
		scsi_invalid_cdb(r, cdb[2] ? 2 : 3, -1);
		return;
	}
	if (lu->readonly) {
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	/* the medium has a fixed, already formatted geometry: nothing to do */
	scsi_result_good(r);
}

static void pre_fetch(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r)
{
	bool is16 = cdb[0] == PRE_FETCH_16;
	uint64_t lba = is16 ? scsi_be64(cdb + 2) : scsi_be32(cdb + 2);
	uint64_t n = is16 ? scsi_be32(cdb + 10) : scsi_be16(cdb + 7);

	if (cdb[1] & 0xfd) {                 /* only IMMED */
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (lba >= lu->nblocks || n > lu->nblocks - lba) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	/* there is no cache of ours to load the blocks into: GOOD, not
	 * CONDITION MET (SBC: the cache cannot hold them) */
	scsi_result_good(r);
}

void scsi_sbc_emulate(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
		      uint32_t cap, struct scsi_result *r)
{
	if (!lu) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		return;
	}
	switch (cdb[0]) {
	case START_STOP_UNIT:
		start_stop(lu, cdb, r);
		return;
	case PREVENT_ALLOW_MEDIUM_REMOVAL:
		prevent_allow(cdb, r);
		return;
	case READ_DEFECT_DATA_10:
	case READ_DEFECT_DATA_12:
		read_defect(cdb, out, cap, r);
		return;
	case FORMAT_UNIT:
		format_unit(lu, cdb, r);
		return;
	case PRE_FETCH_10:
	case PRE_FETCH_16:
		pre_fetch(lu, cdb, r);
		return;
	default:
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
}
