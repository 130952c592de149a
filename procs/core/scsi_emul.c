/* Dispatch of the commands the core answers itself. */
#include <string.h>

#include "procs/core/scsi.h"

static void request_sense(const struct scsi_emul_req *q, struct scsi_result *r)
{
	const uint8_t *cdb = q->cdb;
	bool desc = cdb[1] & 0x01;
	uint8_t fixed[SCSI_SENSE_FIXED_LEN], b[SCSI_SENSE_FIXED_LEN + 8];
	size_t flen = 0, n;

	r->xfer_len = cdb[4];
	if (cdb[1] & 0xfe) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (!q->lu && !q->wlun) {
		/* SPC: sense data, not a CHECK CONDITION, for a missing LU */
		n = scsi_sense_build(b, sizeof(b), desc, SK_ILLEGAL_REQUEST,
				     ASC_LUN_NOT_SUPPORTED, NULL);
	} else {
		flen = scsi_ua_take_sense(q->ua_pending, fixed, sizeof(fixed));
		if (flen)
			n = scsi_sense_convert(fixed, flen, desc, b, sizeof(b));
		else
			n = scsi_sense_build(b, sizeof(b), desc, SK_NO_SENSE,
					     ASC_NO_ADDITIONAL_SENSE, NULL);
	}
	scsi_emit(b, (uint32_t)n, cdb[4], q->out, q->cap, r);
}

void scsi_emulate(const struct scsi_emul_req *q, struct scsi_result *r)
{
	const uint8_t *cdb = q->cdb;

	r->data_len = 0;
	r->xfer_len = 0;
	r->sense_len = 0;
	r->status = SCSI_GOOD;

	/* the well-known LUN answers only what SPC lets it */
	if (q->wlun && cdb[0] != REPORT_LUNS && cdb[0] != INQUIRY &&
	    cdb[0] != REQUEST_SENSE && cdb[0] != TEST_UNIT_READY) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (!q->lu && !q->wlun && !scsi_no_lun_ok(cdb)) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		return;
	}
	switch (cdb[0]) {
	case TEST_UNIT_READY:
		scsi_result_good(r);
		return;
	case REQUEST_SENSE:
		request_sense(q, r);
		return;
	case INQUIRY:
		scsi_inquiry(q->lu, q->wlun, q->proto, cdb, q->out, q->cap, r);
		return;
	case REPORT_LUNS:
		scsi_report_luns(cdb, q->luns, q->nluns, q->out, q->cap, r);
		return;
	case MODE_SENSE_6:
	case MODE_SENSE_10:
		scsi_mode_sense(q->lu, cdb, q->out, q->cap, r);
		return;
	case READ_CAPACITY_10:
		scsi_read_capacity(q->lu, cdb, q->out, q->cap, r);
		return;
	case SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) != SAI_READ_CAPACITY_16) {
			scsi_invalid_cdb(r, 1, 4);
			return;
		}
		scsi_read_capacity(q->lu, cdb, q->out, q->cap, r);
		return;
	case MAINTENANCE_IN:
		if ((cdb[1] & 0x1f) == MI_REPORT_SUPPORTED_TMFS) {
			scsi_report_tmfs(cdb, q->out, q->cap, r);
			return;
		}
		if ((cdb[1] & 0x1f) != MI_REPORT_SUPPORTED_OPCODES) {
			scsi_invalid_cdb(r, 1, 4);
			return;
		}
		scsi_report_opcodes_lu(q->lu, cdb, q->out, q->cap, r);
		return;
	default:
		scsi_sbc_emulate(q->lu, cdb, q->out, q->cap, r);
		return;
	}
}
