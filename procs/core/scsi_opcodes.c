/* REPORT SUPPORTED OPERATION CODES (MAINTENANCE IN, service action 0Ch): what
 * the device server implements, with the CDB bits it looks at. The table must
 * follow what scsi_emulate() and scsi_rw_decode() really do. */
#include <string.h>

#include "procs/core/scsi.h"
#include "procs/core/scsi_xcopy.h"

#define CTL 0x05 /* CONTROL: NACA and LINK are checked */

/* Device types a row belongs to: OPC_ALL = every LU (SPC commands, and the SBC
 * commands MMC-6 also defines for a CD/DVD device: READ/WRITE(10/12), VERIFY
 * (10), WRITE AND VERIFY(10), SYNCHRONIZE CACHE(10), START STOP UNIT, PREVENT
 * ALLOW, READ CAPACITY(10)). A CD/DVD LU neither lists nor runs the others. */
#define OPC_ALL  0
#define OPC_DISK 1 /* direct access only (SBC-4) */
#define OPC_CD   2 /* CD/DVD only (MMC-6) */

struct opcode_info {
	uint8_t  op;
	bool     has_sa;
	uint16_t sa;
	uint8_t  len;
	uint8_t  usage[16];
	uint8_t  types;
};

static const struct opcode_info opcodes[] = {
	{ TEST_UNIT_READY, false, 0, 6, { 0x00, 0, 0, 0, 0, CTL }, OPC_ALL },
	{ REQUEST_SENSE, false, 0, 6, { 0x03, 0x01, 0, 0, 0xff, CTL }, OPC_ALL },
	{ READ_6, false, 0, 6, { 0x08, 0x1f, 0xff, 0xff, 0xff, CTL }, OPC_DISK },
	{ WRITE_6, false, 0, 6, { 0x0a, 0x1f, 0xff, 0xff, 0xff, CTL }, OPC_DISK },
	{ INQUIRY, false, 0, 6, { 0x12, 0x03, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ MODE_SENSE_6, false, 0, 6, { 0x1a, 0x08, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ READ_CAPACITY_10, false, 0, 10, { 0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, CTL }, OPC_ALL },
	{ READ_10, false, 0, 10, { 0x28, 0xfd, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ WRITE_10, false, 0, 10, { 0x2a, 0xfd, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ VERIFY_10, false, 0, 10, { 0x2f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ SYNCHRONIZE_CACHE_10, false, 0, 10, { 0x35, 0x06, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ MODE_SENSE_10, false, 0, 10, { 0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ READ_16, false, 0, 16, { 0x88, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ WRITE_16, false, 0, 16, { 0x8a, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ VERIFY_16, false, 0, 16, { 0x8f, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ SYNCHRONIZE_CACHE_16, false, 0, 16, { 0x91, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ SERVICE_ACTION_IN_16, true, SAI_READ_CAPACITY_16, 16,
	  { 0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x01, CTL }, OPC_DISK },
	{ REPORT_LUNS, false, 0, 12, { 0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ MAINTENANCE_IN, true, MI_REPORT_SUPPORTED_OPCODES, 12,
	  { 0xa3, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ READ_12, false, 0, 12, { 0xa8, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ WRITE_12, false, 0, 12, { 0xaa, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ VERIFY_12, false, 0, 12, { 0xaf, 0xf6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ MAINTENANCE_IN, true, MI_REPORT_SUPPORTED_TMFS, 12,
	  { 0xa3, 0x1f, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	/* ALUA (scsi_alua.c): REPORT / SET TARGET PORT GROUPS */
	{ MAINTENANCE_IN, true, 0x0a, 12, { 0xa3, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ 0xa4, true, 0x0a, 12, { 0xa4, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	/* scsi_mode_select.c */
	{ 0x15, false, 0, 6, { 0x15, 0x11, 0, 0, 0xff, CTL }, OPC_ALL },
	{ 0x55, false, 0, 10, { 0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	/* reservations (scsi_pr.c) */
	{ 0x16, false, 0, 6, { 0x16, 0, 0, 0, 0, CTL }, OPC_ALL },
	{ 0x17, false, 0, 6, { 0x17, 0, 0, 0, 0, CTL }, OPC_ALL },
	{ 0x56, false, 0, 10, { 0x56, 0, 0, 0, 0, 0, 0, 0, 0, CTL }, OPC_ALL },
	{ 0x57, false, 0, 10, { 0x57, 0, 0, 0, 0, 0, 0, 0, 0, CTL }, OPC_ALL },
	{ 0x5e, true, 0, 10, { 0x5e, 0x00, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5e, true, 1, 10, { 0x5e, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5e, true, 2, 10, { 0x5e, 0x02, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5e, true, 3, 10, { 0x5e, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 0, 10, { 0x5f, 0x00, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 1, 10, { 0x5f, 0x01, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 2, 10, { 0x5f, 0x02, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 3, 10, { 0x5f, 0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 4, 10, { 0x5f, 0x04, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 5, 10, { 0x5f, 0x05, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 6, 10, { 0x5f, 0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	{ 0x5f, true, 7, 10, { 0x5f, 0x07, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff, CTL }, OPC_ALL },
	/* SBC block commands: scsi_sbc.c (no medium), scsi_blk.c + core_blk.c */
	{ FORMAT_UNIT, false, 0, 6, { 0x04, 0xdf, 0xff, 0xff, 0xff, CTL }, OPC_DISK },
	{ START_STOP_UNIT, false, 0, 6, { 0x1b, 0x01, 0, 0x0f, 0xf7, CTL }, OPC_ALL },
	{ PREVENT_ALLOW_MEDIUM_REMOVAL, false, 0, 6, { 0x1e, 0, 0, 0, 0x03, CTL }, OPC_ALL },
	{ WRITE_VERIFY_10, false, 0, 10, { 0x2e, 0xf2, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_ALL },
	{ PRE_FETCH_10, false, 0, 10, { 0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ READ_DEFECT_DATA_10, false, 0, 10, { 0x37, 0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ WRITE_SAME_10, false, 0, 10, { 0x41, 0xf8, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ UNMAP, false, 0, 10, { 0x42, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ COMPARE_AND_WRITE, false, 0, 16, { 0x89, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0, CTL }, OPC_DISK },
	{ ORWRITE_16, false, 0, 16, { 0x8b, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe0, CTL }, OPC_DISK },
	{ WRITE_VERIFY_16, false, 0, 16, { 0x8e, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ PRE_FETCH_16, false, 0, 16, { 0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ WRITE_SAME_16, false, 0, 16, { 0x93, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ SERVICE_ACTION_IN_16, true, SAI_GET_LBA_STATUS, 16,
	  { 0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ WRITE_VERIFY_12, false, 0, 12, { 0xae, 0xf2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ WRITE_ATOMIC_16, false, 0, 16, { 0x9c, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	{ READ_DEFECT_DATA_12, false, 0, 12, { 0xb7, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_DISK },
	/* third-party copy and SANITIZE: scsi_xcopy.c, scsi_sanitize.c */
	{ EXTENDED_COPY, true, XCOPY_SA_LID1, 16,
	  { 0x83, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ RECEIVE_COPY_RESULTS, true, RCR_SA_COPY_STATUS, 16,
	  { 0x84, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ RECEIVE_COPY_RESULTS, true, RCR_SA_RECEIVE_DATA, 16,
	  { 0x84, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ RECEIVE_COPY_RESULTS, true, RCR_SA_OP_PARAMS, 16,
	  { 0x84, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ RECEIVE_COPY_RESULTS, true, RCR_SA_FAILED_SEGMENTS, 16,
	  { 0x84, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL }, OPC_ALL },
	{ SANITIZE, true, SANITIZE_SA_OVERWRITE, 10, { 0x48, 0xbf, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ SANITIZE, true, SANITIZE_SA_BLOCK_ERASE, 10, { 0x48, 0xbf, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_DISK },
	{ SANITIZE, true, SANITIZE_SA_EXIT_FAILURE, 10, { 0x48, 0xbf, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_DISK },
	/* MMC-6 commands of a CD/DVD LU (scsi_mmc.c) */
	{ GET_CONFIGURATION, false, 0, 10, { 0x46, 0x03, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL }, OPC_CD },
	/* byte 9 bits 7-6: the format's old place (SFF-8020), still honoured */
	{ READ_TOC, false, 0, 10, { 0x43, 0x02, 0x0f, 0, 0, 0, 0xff, 0xff, 0xff, 0xc0 | CTL }, OPC_CD },
	{ GET_EVENT_STATUS, false, 0, 10, { 0x4a, 0x01, 0, 0, 0xff, 0, 0, 0xff, 0xff, CTL }, OPC_CD },
	{ READ_DISC_INFORMATION, false, 0, 10, { 0x51, 0x07, 0, 0, 0, 0, 0, 0xff, 0xff, CTL }, OPC_CD },
	{ MECHANISM_STATUS, false, 0, 12, { 0xbd, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, CTL }, OPC_CD },
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
	scsi_report_opcodes_lu(NULL, cdb, out, cap, r);
}

static bool for_type(const struct scsi_lu *lu, const struct opcode_info *oi)
{
	if (oi->types == OPC_ALL)
		return true;
	if (!lu)
		return oi->types == OPC_DISK;   /* the device server without an LU */
	return oi->types == (lu->pdt == SCSI_PDT_CDROM ? OPC_CD : OPC_DISK);
}

/* Rows of the LU's device type; BLOCK ERASE only on thin LUs (it deallocates). */
static bool offered(const struct scsi_lu *lu, const struct opcode_info *oi)
{
	bool thin_only = oi->op == SANITIZE && oi->sa == SANITIZE_SA_BLOCK_ERASE;

	return for_type(lu, oi) && (!thin_only || (lu && lu->thin));
}

bool scsi_opcode_of_type(const struct scsi_lu *lu, const uint8_t *cdb)
{
	bool listed = false;

	for (size_t i = 0; i < NOPCODES; i++) {
		if (opcodes[i].op != cdb[0])
			continue;
		if (for_type(lu, &opcodes[i]))
			return true;
		listed = true;
	}
	/* not in the table at all: the dispatchers decide (and refuse) */
	return !listed;
}

void scsi_report_opcodes_lu(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			    uint32_t cap, struct scsi_result *r)
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

			if (!offered(lu, &opcodes[i]))
				continue;

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
		if (opcodes[i].op != req_op || !offered(lu, &opcodes[i]))
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
