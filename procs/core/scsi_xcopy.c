/* EXTENDED COPY (LID1) parameter lists, RECEIVE COPY RESULTS data and the
 * Third-party Copy VPD page (SPC-4 6.4, 6.18, 7.8.17). Pure: the copy
 * manager (core_xcopy.c) resolves the CSCD descriptors to LUs and moves the
 * data. */
#include <string.h>

#include "procs/core/scsi_xcopy.h"

/* INVALID FIELD IN PARAMETER LIST and its relatives: the field pointer names
 * a byte of the parameter list (C/D = 0). */
static void param_err(struct scsi_result *r, uint16_t asc, uint32_t byte, int bit)
{
	uint8_t sks[3];

	sks[0] = 0x80;
	if (bit >= 0 && bit <= 7)
		sks[0] |= 0x08 | (uint8_t)bit;
	scsi_put16(sks + 1, (uint16_t)(byte > 0xffff ? 0xffff : byte));
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, asc, sks);
	r->data_len = 0;
}

static bool reserved_zero(const uint8_t *cdb, unsigned from, unsigned to, struct scsi_result *r)
{
	for (unsigned i = from; i <= to; i++) {
		if (cdb[i]) {
			scsi_invalid_cdb(r, (uint16_t)i, -1);
			return false;
		}
	}
	return true;
}

int scsi_xcopy_cdb(const uint8_t *cdb, uint32_t *param_len, struct scsi_result *r)
{
	r->xfer_len = 0;
	if (cdb[1] & 0xe0) {
		scsi_invalid_cdb(r, 1, -1);
		return 0;
	}
	/* EXTENDED COPY (LID4) and the token-based copies are not offered */
	if ((cdb[1] & 0x1f) != XCOPY_SA_LID1) {
		scsi_invalid_cdb(r, 1, 4);
		return 0;
	}
	if (!reserved_zero(cdb, 2, 9, r) || !reserved_zero(cdb, 14, 14, r))
		return 0;
	*param_len = scsi_be32(cdb + 10);
	r->xfer_len = *param_len;
	if (*param_len == 0) {
		/* SPC-4: not an error, nothing is copied */
		scsi_result_good(r);
		r->data_len = 0;
		return 0;
	}
	if (*param_len > XCOPY_MAX_PARAM) {
		/* more than the longest list we accept: refused before any data moves */
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return 0;
	}
	return 1;
}

static int parse_cscd(const uint8_t *p, uint32_t off, struct scsi_xcopy_cscd *c,
		      struct scsi_result *r)
{
	const uint8_t *d = p + off;

	c->off = (uint16_t)off;
	/* LU ID TYPE and NUL are ignored (SPC-4: the designator identifies the
	 * LU); the relative initiator port only matters to a copy manager that
	 * sends commands out through ports, which this one never does */
	c->devtype = d[1] & 0x1f;
	if (c->devtype != 0x00) {
		/* only block devices: their type-specific parameters follow */
		param_err(r, ASC_INVALID_FIELD_IN_PARAM, off + 1, 4);
		return -1;
	}
	c->code_set = d[4] & 0x0f;
	c->assoc = (d[5] >> 4) & 0x03;
	c->desig_type = d[5] & 0x0f;
	c->desig_len = d[7];
	if (c->desig_len > sizeof(c->desig) || c->desig_len == 0) {
		param_err(r, ASC_INVALID_FIELD_IN_PARAM, off + 7, -1);
		return -1;
	}
	memcpy(c->desig, d + 8, c->desig_len);
	c->block_len = scsi_be24(d + 29);
	return 0;
}

static void parse_seg(const uint8_t *p, uint32_t off, struct scsi_xcopy_seg *s)
{
	const uint8_t *d = p + off;

	/* DC and CAT only matter when the two block lengths differ, which the
	 * copy manager refuses (UNEXPECTED INEXACT SEGMENT) */
	s->type = d[0];
	s->off = (uint16_t)off;
	s->src = scsi_be16(d + 4);
	s->dst = scsi_be16(d + 6);
	s->src_lba = scsi_be64(d + 12);
	s->dst_lba = scsi_be64(d + 20);
	if (s->type == XCOPY_SEG_B2B) {
		s->nblocks = scsi_be16(d + 10);
	} else {
		s->nbytes = scsi_be32(d + 8);
		s->src_off = scsi_be16(d + 28);
		s->dst_off = scsi_be16(d + 30);
	}
}

int scsi_xcopy_parse(const uint8_t *p, uint32_t len, struct scsi_xcopy_list *x,
		     struct scsi_result *r)
{
	uint32_t tlen, slen, ilen, off, end, dlen;

	memset(x, 0, sizeof(*x));
	if (len < XCOPY_HDR_LEN) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	x->list_id = p[0];
	x->usage = (p[1] >> 3) & 0x03;
	if (p[1] & 0xc0) {
		param_err(r, ASC_INVALID_FIELD_IN_PARAM, 1, -1);
		return -1;
	}
	if (x->usage == 1) {
		param_err(r, ASC_INVALID_FIELD_IN_PARAM, 1, 4);
		return -1;
	}
	if (x->usage == XCOPY_LIST_NONE && x->list_id) {
		/* no list identifier in use: the field must be zero */
		param_err(r, ASC_INVALID_FIELD_IN_PARAM, 0, -1);
		return -1;
	}
	for (off = 4; off < 8; off++) {
		if (p[off]) {
			param_err(r, ASC_INVALID_FIELD_IN_PARAM, off, -1);
			return -1;
		}
	}
	tlen = scsi_be16(p + 2);
	slen = scsi_be32(p + 8);
	ilen = scsi_be32(p + 12);
	/* SPC-4 6.4.1: descriptor lists longer than MAXIMUM DESCRIPTOR LIST
	 * LENGTH, or a list the parameter list length cuts short */
	if ((uint64_t)tlen + slen > XCOPY_MAX_DESC_LIST ||
	    (uint64_t)XCOPY_HDR_LEN + tlen + slen + ilen > len) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return -1;
	}
	if (ilen) {
		/* no segment type we offer consumes inline data */
		param_err(r, ASC_INLINE_DATA_LENGTH_EXCEEDED, 12, -1);
		return -1;
	}

	end = XCOPY_HDR_LEN + tlen;
	for (off = XCOPY_HDR_LEN; off < end; off += XCOPY_CSCD_LEN) {
		if (p[off] != XCOPY_CSCD_ID_DESC) {
			param_err(r, ASC_UNSUPPORTED_TARGET_DESC, off, -1);
			return -1;
		}
		if (x->ncscd == XCOPY_MAX_CSCD) {
			param_err(r, ASC_TOO_MANY_TARGET_DESC, off, -1);
			return -1;
		}
		if (off + XCOPY_CSCD_LEN > end) {
			/* the list length cuts a descriptor */
			param_err(r, ASC_INVALID_FIELD_IN_PARAM, 2, -1);
			return -1;
		}
		if (parse_cscd(p, off, &x->cscd[x->ncscd], r))
			return -1;
		x->ncscd++;
	}

	end += slen;
	for (off = XCOPY_HDR_LEN + tlen; off < end; off += dlen) {
		if (off + 4 > end) {
			param_err(r, ASC_INVALID_FIELD_IN_PARAM, 8, -1);
			return -1;
		}
		if (p[off] == XCOPY_SEG_B2B) {
			dlen = XCOPY_B2B_LEN;
		} else if (p[off] == XCOPY_SEG_B2B_OFF) {
			dlen = XCOPY_B2B_OFF_LEN;
		} else {
			param_err(r, ASC_UNSUPPORTED_SEGMENT_DESC, off, -1);
			return -1;
		}
		if (x->nseg == XCOPY_MAX_SEGMENTS) {
			param_err(r, ASC_TOO_MANY_SEGMENT_DESC, off, -1);
			return -1;
		}
		if (scsi_be16(p + off + 2) != dlen - 4) {
			param_err(r, ASC_INVALID_FIELD_IN_PARAM, off + 2, -1);
			return -1;
		}
		if (off + dlen > end) {
			param_err(r, ASC_INVALID_FIELD_IN_PARAM, 8, -1);
			return -1;
		}
		parse_seg(p, off, &x->seg[x->nseg]);
		x->nseg++;
	}
	return 0;
}

void scsi_xcopy_abort(struct scsi_result *r, uint16_t asc, uint32_t seg, uint16_t field_off)
{
	uint8_t sks[3];

	sks[0] = 0x80 | 0x20;        /* SKSV, SD: the pointer is into the segment descriptor */
	scsi_put16(sks + 1, field_off);
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_COPY_ABORTED, asc, sks);
	scsi_put32(r->sense + 8, seg);   /* COMMAND-SPECIFIC INFORMATION */
	r->data_len = 0;
}

int scsi_rcr_cdb(const uint8_t *cdb, uint8_t *sa, uint8_t *list_id, uint32_t *alloc,
		 struct scsi_result *r)
{
	r->xfer_len = scsi_be32(cdb + 10);
	if (cdb[1] & 0xe0) {
		scsi_invalid_cdb(r, 1, -1);
		return -1;
	}
	*sa = cdb[1] & 0x1f;
	switch (*sa) {
	case RCR_SA_COPY_STATUS:
	case RCR_SA_RECEIVE_DATA:
	case RCR_SA_OP_PARAMS:
	case RCR_SA_FAILED_SEGMENTS:
		break;
	default:        /* the LID4 service actions and ROD tokens */
		scsi_invalid_cdb(r, 1, 4);
		return -1;
	}
	if (!reserved_zero(cdb, 3, 9, r) || !reserved_zero(cdb, 14, 14, r))
		return -1;
	*list_id = cdb[2];
	*alloc = r->xfer_len;
	return 0;
}

static uint8_t log2_u32(uint32_t v)
{
	uint8_t n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

uint32_t scsi_rcr_op_params(uint32_t block_size, uint8_t *b)
{
	static const uint8_t types[] = { XCOPY_SEG_B2B, XCOPY_SEG_B2B_OFF, XCOPY_CSCD_ID_DESC };
	uint32_t len = 44 + sizeof(types);

	memset(b, 0, len);
	scsi_put32(b, len - 4);
	b[4] = 0x01;                                     /* SNLID: list id usage 11b */
	scsi_put16(b + 8, XCOPY_MAX_CSCD);
	scsi_put16(b + 10, XCOPY_MAX_SEGMENTS);
	scsi_put32(b + 12, XCOPY_MAX_DESC_LIST);
	scsi_put32(b + 16, XCOPY_MAX_SEG_BLOCKS * block_size); /* MAXIMUM SEGMENT LENGTH */
	/* 20..31: no inline data, no held data, no stream devices */
	scsi_put16(b + 34, XCOPY_MAX_CONCURRENT);        /* TOTAL CONCURRENT COPIES */
	b[36] = XCOPY_MAX_CONCURRENT;                    /* MAXIMUM CONCURRENT COPIES */
	b[37] = log2_u32(block_size);                    /* DATA SEGMENT GRANULARITY */
	b[43] = sizeof(types);
	memcpy(b + 44, types, sizeof(types));
	return len;
}

uint32_t scsi_rcr_copy_status(uint8_t status, uint16_t segs, uint64_t bytes, uint8_t *b)
{
	uint8_t units = 0;

	memset(b, 0, 12);
	scsi_put32(b, 8);
	b[4] = status & 0x7f;            /* HDD = 0: no held data is ever discarded */
	scsi_put16(b + 5, segs);
	/* TRANSFER COUNT UNITS: bytes, then KiB, MiB, GiB... as needed */
	while (bytes > 0xffffffffull && units < 6) {
		bytes >>= 10;
		units++;
	}
	b[7] = units;
	scsi_put32(b + 8, (uint32_t)bytes);
	return 12;
}

uint32_t scsi_rcr_failed_segment(uint8_t status, const uint8_t *sense, uint32_t sense_len,
				 uint8_t *b)
{
	if (!sense_len) {
		memset(b, 0, 4);         /* AVAILABLE DATA 0: no failed segment */
		return 4;
	}
	memset(b, 0, 60);
	scsi_put32(b, 56 + sense_len);
	b[56] = status;                  /* COPY COMMAND STATUS */
	scsi_put16(b + 58, (uint16_t)sense_len);
	memcpy(b + 60, sense, sense_len);
	return 60 + sense_len;
}

/* one third-party copy descriptor: type, then the body padded to 4 bytes */
static uint32_t tpc_desc(uint8_t *p, uint16_t type, const uint8_t *body, uint32_t n)
{
	uint32_t total = (4 + n + 3) & ~3u;

	memset(p, 0, total);
	scsi_put16(p, type);
	scsi_put16(p + 2, (uint16_t)(total - 4));
	memcpy(p + 4, body, n);
	return total;
}

uint32_t scsi_vpd_third_party_copy(const struct scsi_lu *lu, uint8_t *b)
{
	/* EXTENDED COPY LID1; RECEIVE COPY RESULTS copy status, receive data,
	 * operating parameters, failed segment details */
	static const uint8_t cmds[] = { 9, EXTENDED_COPY, 1, XCOPY_SA_LID1,
		RECEIVE_COPY_RESULTS, 4, RCR_SA_COPY_STATUS, RCR_SA_RECEIVE_DATA,
		RCR_SA_OP_PARAMS, RCR_SA_FAILED_SEGMENTS };
	static const uint8_t descs[] = { 3, XCOPY_SEG_B2B, XCOPY_SEG_B2B_OFF, XCOPY_CSCD_ID_DESC };
	static const uint8_t ids[] = { 0, 0 };
	uint8_t body[28];
	uint32_t n = 4;

	n += tpc_desc(b + n, 0x0001, cmds, sizeof(cmds));        /* supported commands */
	memset(body, 0, sizeof(body));                              /* parameter data */
	scsi_put16(body + 4, XCOPY_MAX_CSCD);
	scsi_put16(body + 6, XCOPY_MAX_SEGMENTS);
	scsi_put32(body + 8, XCOPY_MAX_DESC_LIST);
	n += tpc_desc(b + n, 0x0008, body, sizeof(body));
	n += tpc_desc(b + n, 0x0009, descs, sizeof(descs));      /* supported descriptors */
	n += tpc_desc(b + n, 0x000c, ids, sizeof(ids));          /* no CSCD descriptor IDs */
	memset(body, 0, sizeof(body));                              /* general copy operations */
	scsi_put32(body, XCOPY_MAX_CONCURRENT);
	scsi_put32(body + 4, XCOPY_MAX_CONCURRENT);
	scsi_put32(body + 8, XCOPY_MAX_SEG_BLOCKS * lu->block_size);
	body[12] = log2_u32(lu->block_size);
	n += tpc_desc(b + n, 0x8001, body, sizeof(body));
	scsi_put16(b + 2, (uint16_t)(n - 4));
	return n;
}
