/* Sense data: the core keeps fixed format internally (the ring's CMD_RSP carries
 * fixed format); REQUEST SENSE may ask for descriptor format. */
#include <errno.h>
#include <string.h>

#include "procs/core/scsi.h"

void scsi_result_good(struct scsi_result *r)
{
	r->status = SCSI_GOOD;
	r->sense_len = 0;
}

size_t scsi_sense_build(uint8_t *out, size_t cap, bool desc, uint8_t key, uint16_t asc,
			const uint8_t *sks)
{
	uint8_t b[SCSI_SENSE_FIXED_LEN];
	size_t n;

	memset(b, 0, sizeof(b));
	if (desc) {
		b[0] = 0x72;
		b[1] = key & 0x0f;
		b[2] = (uint8_t)(asc >> 8);
		b[3] = (uint8_t)asc;
		n = SCSI_SENSE_DESC_LEN;
		if (sks) {
			/* sense-key specific descriptor */
			b[8] = 0x02;
			b[9] = 0x06;
			memcpy(b + 12, sks, 3);
			n += 8;
		}
		b[7] = (uint8_t)(n - 8);
	} else {
		b[0] = 0x70;
		b[2] = key & 0x0f;
		b[7] = SCSI_SENSE_FIXED_LEN - 8;
		b[12] = (uint8_t)(asc >> 8);
		b[13] = (uint8_t)asc;
		if (sks)
			memcpy(b + 15, sks, 3);
		n = SCSI_SENSE_FIXED_LEN;
	}
	if (n > cap)
		n = cap;
	memcpy(out, b, n);
	return n;
}

size_t scsi_sense_convert(const uint8_t *fixed, size_t len, bool desc, uint8_t *out, size_t cap)
{
	uint8_t key, sks[3];
	uint16_t asc;
	bool has_sks;

	if (len < 14 || (fixed[0] & 0x7f) != 0x70) {
		/* nothing meaningful: report NO SENSE */
		return scsi_sense_build(out, cap, desc, SK_NO_SENSE, 0, NULL);
	}
	key = fixed[2] & 0x0f;
	asc = (uint16_t)(fixed[12] << 8 | fixed[13]);
	has_sks = len >= 18 && (fixed[15] & 0x80);
	if (has_sks)
		memcpy(sks, fixed + 15, 3);
	return scsi_sense_build(out, cap, desc, key, asc, has_sks ? sks : NULL);
}

void scsi_check(struct scsi_result *r, uint8_t key, uint16_t asc)
{
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false, key, asc, NULL);
	r->data_len = 0;
}

void scsi_invalid_cdb(struct scsi_result *r, uint16_t byte, int bit)
{
	uint8_t sks[3];

	/* SKSV | C/D (the error is in the CDB) | BPV + bit pointer */
	sks[0] = 0x80 | 0x40;
	if (bit >= 0 && bit <= 7)
		sks[0] |= 0x08 | (uint8_t)bit;
	sks[1] = (uint8_t)(byte >> 8);
	sks[2] = (uint8_t)byte;
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, sks);
	r->data_len = 0;
}

void scsi_check_io_error(struct scsi_result *r, int err, bool is_write)
{
	switch (err) {
	case -ENOSPC:
	case -EDQUOT:
		scsi_check(r, SK_DATA_PROTECT, ASC_SPACE_ALLOC_FAILED_WP);
		break;
	case -EROFS:
	case -EPERM:
	case -EACCES:
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		break;
	case -ENOMEM:
	case -EAGAIN:
		/* transient: the initiator should retry */
		scsi_check(r, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
		break;
	case -EINVAL:
	case -EOPNOTSUPP:
	case -ENODEV:
	case -ENXIO:
		scsi_check(r, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		break;
	default:
		scsi_check(r, SK_MEDIUM_ERROR,
			   is_write ? ASC_WRITE_ERROR : ASC_UNRECOVERED_READ_ERROR);
		break;
	}
}

void scsi_sense_set_info(struct scsi_result *r, uint32_t info)
{
	if (r->sense_len < 7)
		return;
	r->sense[0] |= 0x80;   /* VALID */
	scsi_put32(r->sense + 3, info);
}
