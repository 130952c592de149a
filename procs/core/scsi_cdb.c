/* CDB shapes: lengths by group code, which commands are media commands, and the
 * checks every CDB gets before its opcode handler sees it. */
#include <string.h>

#include "procs/core/scsi.h"

unsigned scsi_cdb_len(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0: return 6;
	case 1:
	case 2: return 10;
	case 4: return 16;
	case 5: return 12;
	default: return 0; /* variable length and vendor specific: not supported */
	}
}

bool scsi_is_media(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case READ_6: case READ_10: case READ_12: case READ_16:
	case WRITE_6: case WRITE_10: case WRITE_12: case WRITE_16:
	case SYNCHRONIZE_CACHE_10: case SYNCHRONIZE_CACHE_16:
	case VERIFY_10: case VERIFY_12: case VERIFY_16:
	case WRITE_ATOMIC_16:
		return true;
	default:
		return scsi_blk_is(cdb);
	}
}

int scsi_cdb_check(const uint8_t *cdb, unsigned cdb_len, struct scsi_result *r)
{
	unsigned need = scsi_cdb_len(cdb[0]);
	uint8_t control;

	if (need == 0) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return -1;
	}
	if (cdb_len < need) {
		/* the transport delivered fewer bytes than the opcode implies */
		scsi_invalid_cdb(r, (uint16_t)(cdb_len ? cdb_len - 1 : 0), -1);
		return -1;
	}
	control = cdb[need - 1];
	/* NACA (no ACA support) and the obsolete LINK bit */
	if (control & 0x04) {
		scsi_invalid_cdb(r, (uint16_t)(need - 1), 2);
		return -1;
	}
	if (control & 0x01) {
		scsi_invalid_cdb(r, (uint16_t)(need - 1), 0);
		return -1;
	}
	return 0;
}

bool scsi_ua_exempt(const uint8_t *cdb)
{
	return cdb[0] == INQUIRY || cdb[0] == REPORT_LUNS || cdb[0] == REQUEST_SENSE;
}

bool scsi_no_lun_ok(const uint8_t *cdb)
{
	return cdb[0] == INQUIRY || cdb[0] == REPORT_LUNS || cdb[0] == REQUEST_SENSE;
}

void scsi_emit(const uint8_t *data, uint32_t len, uint32_t alloc, uint8_t *out, uint32_t cap,
	       struct scsi_result *r)
{
	uint32_t n = len < alloc ? len : alloc;

	if (n > cap)
		n = cap;
	memcpy(out, data, n);
	scsi_result_good(r);
	r->data_len = n;
	r->xfer_len = alloc;
}
