/* MODE SELECT (6) and (10): a parameter list may change only the bits MODE
 * SENSE reports as changeable (caching WCE, control D_SENSE and SWP); every
 * other byte must repeat the current value. Everything is checked before
 * anything is applied. Saving (SP) is not supported. Also REPORT SUPPORTED
 * TASK MANAGEMENT FUNCTIONS, the other small SPC page this file answers. */
#include <string.h>

#include "procs/core/scsi.h"

static void bad_param(struct scsi_result *r, uint32_t byte, int bit)
{
	uint8_t sks[3] = { 0x80, (uint8_t)(byte >> 8), (uint8_t)byte };

	if (bit >= 0)
		sks[0] |= (uint8_t)(0x08 | bit);
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM, sks);
	r->data_len = 0;
}

uint32_t scsi_mode_select_len(const uint8_t *cdb)
{
	if (cdb[0] == MODE_SELECT_6)
		return cdb[4];
	if (cdb[0] == MODE_SELECT_10)
		return scsi_be16(cdb + 7);
	return 0;
}

static int check_block_desc(const struct scsi_lu *lu, const uint8_t *d, uint32_t bdlen,
			    uint32_t at, struct scsi_result *r)
{
	uint64_t nb = bdlen == 16 ? scsi_be64(d) : scsi_be32(d);
	uint32_t bl = bdlen == 16 ? scsi_be32(d + 12) : scsi_be24(d + 5);

	/* no FORMAT through MODE SELECT: the shape may only be repeated */
	if (nb && nb != lu->nblocks && !(bdlen == 8 && nb == 0xffffffffu && lu->nblocks > nb)) {
		bad_param(r, at, -1);
		return -1;
	}
	if (bl != lu->block_size) {
		bad_param(r, at + (bdlen == 16 ? 12 : 5), -1);
		return -1;
	}
	return 0;
}

void scsi_mode_select(struct scsi_lu *lu, const uint8_t *cdb, const uint8_t *p, uint32_t plen,
		      struct scsi_result *r, bool *changed)
{
	bool ten = cdb[0] == MODE_SELECT_10;
	uint32_t len = scsi_mode_select_len(cdb), hdr = ten ? 8 : 4, bdlen, off;
	bool wce = lu->wce, dsense = lu->d_sense, swp = lu->swp;
	uint8_t cur[64], mask[64];

	*changed = false;
	r->xfer_len = len;
	r->data_len = 0;
	if (cdb[1] & 0xee) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (cdb[1] & 0x01) {
		scsi_invalid_cdb(r, 1, 0); /* SP: no saved pages */
		return;
	}
	if (len == 0) {
		scsi_result_good(r);
		return;
	}
	if (plen < len || len < hdr) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return;
	}
	if (p[ten ? 2 : 1]) {
		bad_param(r, ten ? 2 : 1, -1);  /* medium type */
		return;
	}
	bdlen = ten ? scsi_be16(p + 6) : p[3];
	if (bdlen != 0 && bdlen != 8 && !(ten && (p[4] & 0x01) && bdlen == 16)) {
		bad_param(r, ten ? 6 : 3, -1);
		return;
	}
	if (hdr + bdlen > len) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return;
	}
	if (bdlen && check_block_desc(lu, p + hdr, bdlen, hdr, r))
		return;
	for (off = hdr + bdlen; off < len;) {
		uint8_t code = p[off] & 0x3f;
		uint32_t pl, i;

		if (len - off < 2) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
			return;
		}
		if (p[off] & 0x80) {            /* PS is reserved in MODE SELECT */
			bad_param(r, off, 7);
			return;
		}
		if (p[off] & 0x40) {            /* no subpages */
			bad_param(r, off, 6);
			return;
		}
		pl = scsi_mode_page(lu, code, 0, cur);
		if (pl == 0) {
			bad_param(r, off, 5);
			return;
		}
		if ((uint32_t)p[off + 1] + 2 != pl) {
			bad_param(r, off + 1, -1);
			return;
		}
		if (off + pl > len) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
			return;
		}
		scsi_mode_page(lu, code, 1, mask);
		for (i = 2; i < pl; i++) {
			uint8_t diff = (uint8_t)((p[off + i] ^ cur[i]) & ~mask[i]);

			if (diff) {
				int bit = 7;

				while (!(diff & (1u << bit)))
					bit--;
				bad_param(r, off + i, bit);
				return;
			}
		}
		if (code == 0x08)
			wce = p[off + 2] & 0x04;
		if (code == 0x0a) {
			dsense = p[off + 2] & 0x04;
			swp = p[off + 4] & 0x08;
		}
		off += pl;
	}
	*changed = wce != lu->wce || dsense != lu->d_sense || swp != lu->swp;
	lu->wce = wce;
	lu->d_sense = dsense;
	lu->swp = swp;
	lu->readonly = lu->ro_config || swp;
	scsi_result_good(r);
}

void scsi_report_tmfs(const uint8_t *cdb, uint8_t *out, uint32_t cap, struct scsi_result *r)
{
	bool reptd = cdb[2] & 0x80;
	uint32_t alloc = scsi_be32(cdb + 6);
	uint8_t b[16];

	r->xfer_len = alloc;
	if (cdb[2] & 0x7f) {
		scsi_invalid_cdb(r, 2, -1);
		return;
	}
	memset(b, 0, sizeof(b));
	/* ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET,
	 * QUERY TASK, TARGET RESET; no CLEAR ACA, no wakeup; QUERY
	 * ASYNCHRONOUS EVENT, QUERY TASK SET, I_T NEXUS RESET (the core does
	 * them for every transport; iSCSI's TMF codes cannot ask for them) */
	b[0] = 0x80 | 0x40 | 0x10 | 0x08 | 0x04 | 0x02;
	b[1] = 0x04 | 0x02 | 0x01;
	if (reptd)
		b[3] = 0x0c;   /* additional data length; no per-function timeouts */
	scsi_emit(b, reptd ? 16 : 4, alloc, out, cap, r);
}
