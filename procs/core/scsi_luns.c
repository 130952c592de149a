/* LUN addressing (SAM-5 single level: peripheral and flat space methods, the
 * REPORT LUNS well-known LUN) and REPORT LUNS. */
#include <string.h>

#include "procs/core/scsi.h"

enum scsi_lun_kind scsi_lun_decode(uint64_t wire, uint32_t *lun)
{
	uint8_t b0 = (uint8_t)(wire >> 56), b1 = (uint8_t)(wire >> 48);

	/* only single-level LUNs: the lower six bytes must be zero */
	if (wire & 0x0000ffffffffffffull)
		return SCSI_LUN_INVALID;
	switch (b0 >> 6) {
	case 0: /* peripheral device addressing; bus identifier must be 0 */
		if (b0 & 0x3f)
			return SCSI_LUN_INVALID;
		*lun = b1;
		return SCSI_LUN_NORMAL;
	case 1: /* flat space */
		*lun = (uint32_t)(b0 & 0x3f) << 8 | b1;
		return SCSI_LUN_NORMAL;
	case 3:
		if (((uint32_t)b0 << 8 | b1) == SCSI_WLUN_REPORT_LUNS)
			return SCSI_LUN_WLUN_REPORT_LUNS;
		return SCSI_LUN_INVALID;
	default:
		return SCSI_LUN_INVALID;
	}
}

uint64_t scsi_lun_encode(uint32_t lun)
{
	if (lun < 256)
		return (uint64_t)lun << 48;
	return (uint64_t)(0x40 | ((lun >> 8) & 0x3f)) << 56 | (uint64_t)(lun & 0xff) << 48;
}

void scsi_report_luns(const uint8_t *cdb, const uint32_t *luns, uint32_t nluns,
		      uint8_t *out, uint32_t cap, struct scsi_result *r)
{
	uint32_t alloc = scsi_be32(cdb + 6), n = 0, i, total;
	uint8_t select = cdb[2];

	r->xfer_len = alloc;
	if (alloc < 16) {
		/* SPC-4: allocation length below 16 is an invalid field */
		scsi_invalid_cdb(r, 6, -1);
		return;
	}
	switch (select) {
	case 0x00: /* logical units (no well-known ones) */
	case 0x02: /* all: the REPORT LUNS W-LUN is not listed in 0x00 */
		n = nluns;
		break;
	case 0x01: /* well-known only */
		n = 0;
		break;
	default:
		scsi_invalid_cdb(r, 2, -1);
		return;
	}
	if (select == 0x02 || select == 0x01)
		n++; /* REPORT LUNS well-known LUN */
	total = 8 + n * 8;
	memset(out, 0, cap < total ? cap : total);
	if (cap >= 4)
		scsi_put32(out, n * 8);
	for (i = 0; i < n; i++) {
		uint64_t v;

		if (8 + (i + 1) * 8 > cap)
			break;
		if (select == 0x01 || (select == 0x02 && i == n - 1))
			v = (uint64_t)SCSI_WLUN_REPORT_LUNS << 48;
		else
			v = scsi_lun_encode(luns[i]);
		scsi_put64(out + 8 + i * 8, v);
	}
	scsi_result_good(r);
	r->data_len = total < alloc ? total : alloc;
	if (r->data_len > cap)
		r->data_len = cap;
}
