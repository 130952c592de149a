/* REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch): what
 * the device server implements, with the CDB bits it looks at. The table must
 * follow what scsi_emulate() and scsi_rw_decode() really do. */
#include <string.h>

#include "procs/core/scsi.h"

#define CTL 0x05 /* CONTROL: NACA and LINK are checked */

struct opcode_info {
	uint8_t  op;
	bool     has_sa;
	uint16_t sa;
	uint8_t  len;
	uint8_t  usage[16];
};

static const struct opcode_info opcodes[] = {
	{ TEST_UNIT_READY, false, 0, 6, { 0x00, 0, 0, 0, 0, CTL } },
	{ REQUEST_SENSE, false, 0, 6, { 0x03, 0x01, 0, 0, 0xff, CTL } },
	{ READ_6, false, 0, 6, { 0x08, 0x1f, 0xff, 0xff, 0xff, CTL } },
	{ WRITE_6, false, 0, 6, { 0x0a, 0x1f, 0xff, 0xff, 0xff, CTL } },
	{ INQUIRY, false, 0, 6, { 0x12, 0x03, 0xff, 0xff, 0xff, CTL } },
	{ MODE_SENSE_6, false, 0, 6, { 0x1a, 0x08, 0xff, 0xff, 0xff, CTL } },
	{ READ_CAPACITY_10, false, 0, 10, { 0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, CTL } },
	{ READ_10, false, 0, 10, { 0x28, 0xfd, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL } },
	{ WRITE_10, false, 0, 10, { 0x2a, 0xfd, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL } },
	{ VERIFY_10, false, 0, 10, { 0x2f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL } },
	{ SYNCHRONIZE_CACHE_10, false, 0, 10, { 0x35, 0x06, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL } },
	{ MODE_SENSE_10, false, 0, 10, { 0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL } },
	{ READ_16, false, 0, 16, { 0x88, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ WRITE_16, false, 0, 16, { 0x8a, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ VERIFY_16, false, 0, 16, { 0x8f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ SYNCHRONIZE_CACHE_16, false, 0, 16, { 0x91, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ SERVICE_ACTION_IN_16, true, SAI_READ_CAPACITY_16, 16,
	  { 0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x01, CTL } },
	{ REPORT_LUNS, false, 0, 12, { 0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ MAINTENANCE_IN, true, MI_REPORT_SUPPORTED_OPCODES, 12,
	  { 0xa3, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ READ_12, false, 0, 12, { 0xa8, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ WRITE_12, false, 0, 12, { 0xaa, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ VERIFY_12, false, 0, 12, { 0xaf, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	{ MAINTENANCE_IN, true, MI_REPORT_SUPPORTED_TMFS, 12,
	  { 0xa3, 0x1f, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL } },
	/* scsi_mode_select.c */
	{ 0x15, false, 0, 6, { 0x15, 0x11, 0, 0, 0xff, CTL } },
	{ 0x55, false, 0, 10, { 0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } },
	/* reservations (scsi_pr.c) */
	{ 0x16, false, 0, 6, { 0x16, 0, 0, 0, 0, CTL } },
	{ 0x17, false, 0, 6, { 0x17, 0, 0, 0, 0, CTL } },
	{ 0x56, false, 0, 10, { 0x56, 0, 0, 0, 0, 0, 0, 0, 0, CTL } },
	{ 0x57, false, 0, 10, { 0x57, 0, 0, 0, 0, 0, 0, 0, 0, CTL } },
	{ 0x5e, true, 0, 10, { 0x5e, 0x00, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } },
	{ 0x5e, true, 1, 10, { 0x5e, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } },
	{ 0x5e, true, 2, 10, { 0x5e, 0x02, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } },
	{ 0x5e, true, 3, 10, { 0x5e, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, CTL } },
	{ 0x5f, true, 0, 10, { 0x5f, 0x00, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 1, 10, { 0x5f, 0x01, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 2, 10, { 0x5f, 0x02, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 3, 10, { 0x5f, 0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 4, 10, { 0x5f, 0x04, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 5, 10, { 0x5f, 0x05, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 6, 10, { 0x5f, 0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
	{ 0x5f, true, 7, 10, { 0x5f, 0x07, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL } },
};

#define NOPCODES (sizeof(opcodes) / sizeof(opcodes[0]))
#define TIMEOUTS_LEN 12

/* Command timeouts descriptor: nothing to recommend (0 = not specified). */
static uint32_t timeouts(uint8_t *p)
{
	memset(p, 0, TIMEOUTS_LEN);
	scsi_put16(p, TIMEOUTS_LEN - 2);
	return TIMEOUTS_LEN;
}

void scsi_report_opcodes(const uint8_t *cdb, uint8_t *out, uint32_t cap, struct scsi_result *r)
{
	bool rctd = cdb[2] & 0x80;
	uint8_t options = cdb[2] & 0x07, req_op = cdb[3];
	uint16_t req_sa = scsi_be16(cdb + 4);
	uint32_t alloc = scsi_be32(cdb + 6), n = 0, i;
	uint8_t b[NOPCODES * 20 + 4];
	const struct opcode_info *oi = NULL;

	r->xfer_len = alloc;
	if (cdb[2] & 0x78) {
		scsi_invalid_cdb(r, 2, -1);
		return;
	}
	memset(b, 0, sizeof(b));
	if (options == 0) {
		n = 4;
		for (i = 0; i < NOPCODES; i++) {
			uint8_t *d = b + n;

			d[0] = opcodes[i].op;
			scsi_put16(d + 2, opcodes[i].sa);
			d[5] = (uint8_t)((rctd ? 0x02 : 0) | (opcodes[i].has_sa ? 0x01 : 0));
			scsi_put16(d + 6, opcodes[i].len);
			n += 8;
			if (rctd)
				n += timeouts(b + n);
		}
		scsi_put32(b, n - 4);
		scsi_emit(b, n, alloc, out, cap, r);
		return;
	}
	if (options > 3) {
		scsi_invalid_cdb(r, 2, 2);
		return;
	}
	for (i = 0; i < NOPCODES; i++) {
		if (opcodes[i].op != req_op)
			continue;
		/* option 1 names an opcode without service actions, 2 one with */
		if ((options == 1 && opcodes[i].has_sa) || (options == 2 && !opcodes[i].has_sa)) {
			scsi_invalid_cdb(r, 2, 2);
			return;
		}
		if (!opcodes[i].has_sa || opcodes[i].sa == req_sa) {
			oi = &opcodes[i];
			break;
		}
	}
	if (!oi) {
		b[1] = 0x01;        /* not supported */
		n = 4;
	} else {
		b[1] = (uint8_t)((rctd ? 0x80 : 0) | 0x03); /* supported, per the standard */
		scsi_put16(b + 2, oi->len);
		memcpy(b + 4, oi->usage, oi->len);
		n = 4 + oi->len;
		if (rctd)
			n += timeouts(b + n);
	}
	scsi_emit(b, n, alloc, out, cap, r);
}
