/* Unit tests of the third-party copy and SANITIZE decoders (scsi_xcopy.c,
 * scsi_sanitize.c): the EXTENDED COPY CDB and LID1 parameter list with every
 * error and its sense, COPY ABORTED sense, RECEIVE COPY RESULTS CDB and data,
 * the Third-party Copy VPD page, the SANITIZE CDB and OVERWRITE list, the
 * pattern fill, SANITIZE IN PROGRESS sense and the thin-only BLOCK ERASE row
 * of REPORT SUPPORTED OPERATION CODES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi_xcopy.h"

static struct scsi_lu mk_lu(bool thin, bool ro)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.block_size = 512;
	lu.block_shift = 9;
	lu.nblocks = 1000;
	lu.thin = thin;
	lu.readonly = ro;
	lu.target_name = "iqn.test";
	lu.rel_port = 1;
	scsi_lu_make_ids(&lu);
	return lu;
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

/* sense-key specific field pointer, C/D bit as given */
static void assert_ptr(const struct scsi_result *r, bool cd, uint16_t byte)
{
	assert_true(r->sense[15] & 0x80);
	assert_int_equal(!!(r->sense[15] & 0x40), cd);
	assert_int_equal(scsi_be16(r->sense + 16), byte);
}

/* ---- EXTENDED COPY ---- */

static void test_xcopy_cdb(void **st)
{
	uint8_t c[16] = { EXTENDED_COPY };
	struct scsi_result r;
	uint32_t plen = 0;

	(void)st;
	scsi_put32(c + 10, 76);
	assert_int_equal(scsi_xcopy_cdb(c, &plen, &r), 1);
	assert_int_equal(plen, 76);
	/* LID4 is refused cleanly */
	c[1] = 0x01;
	assert_int_equal(scsi_xcopy_cdb(c, &plen, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_ptr(&r, true, 1);
	c[1] = 0;
	c[5] = 1;                                   /* reserved */
	assert_int_equal(scsi_xcopy_cdb(c, &plen, &r), 0);
	assert_ptr(&r, true, 5);
	c[5] = 0;
	/* zero length: GOOD, nothing to do */
	scsi_put32(c + 10, 0);
	memset(&r, 0xee, sizeof(r));
	assert_int_equal(scsi_xcopy_cdb(c, &plen, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.sense_len, 0);
	/* longer than any list we take */
	scsi_put32(c + 10, XCOPY_MAX_PARAM + 1);
	assert_int_equal(scsi_xcopy_cdb(c, &plen, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
}

/* A list: header, ncscd identification descriptors of lu, nseg segments. */
static uint32_t mk_list(uint8_t *p, const struct scsi_lu *lu, unsigned ncscd, unsigned nseg)
{
	uint32_t off = XCOPY_HDR_LEN;

	memset(p, 0, 16 + ncscd * 32 + nseg * 28);
	p[0] = 7;                                   /* list id, usage 00b */
	scsi_put16(p + 2, (uint16_t)(ncscd * 32));
	scsi_put32(p + 8, nseg * 28);
	for (unsigned i = 0; i < ncscd; i++, off += 32) {
		p[off] = XCOPY_CSCD_ID_DESC;
		p[off + 4] = 0x01;                  /* binary */
		p[off + 5] = 0x03;                  /* LU, NAA */
		p[off + 7] = 16;
		memcpy(p + off + 8, lu->naa, 16);
		p[off + 31] = 0x00;
		scsi_put16(p + off + 29, 0);
		p[off + 30] = 0x02;                 /* 512 */
	}
	for (unsigned i = 0; i < nseg; i++, off += 28) {
		p[off] = XCOPY_SEG_B2B;
		scsi_put16(p + off + 2, 0x18);
		scsi_put16(p + off + 6, (uint16_t)(ncscd > 1 ? 1 : 0));
		scsi_put16(p + off + 10, 16);
		scsi_put64(p + off + 12, 10 * i);
		scsi_put64(p + off + 20, 500 + 10 * i);
	}
	return off;
}

static void test_xcopy_parse_ok(void **st)
{
	static struct scsi_xcopy_list x;
	struct scsi_lu lu = mk_lu(false, false);
	uint8_t p[512];
	struct scsi_result r;
	uint32_t n = mk_list(p, &lu, 2, 3);

	(void)st;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), 0);
	assert_int_equal(x.list_id, 7);
	assert_int_equal(x.usage, XCOPY_LIST_HOLD);
	assert_int_equal(x.ncscd, 2);
	assert_int_equal(x.nseg, 3);
	assert_int_equal(x.cscd[1].desig_type, 3);
	assert_int_equal(x.cscd[1].desig_len, 16);
	assert_memory_equal(x.cscd[1].desig, lu.naa, 16);
	assert_int_equal(x.cscd[1].block_len, 512);
	assert_int_equal(x.cscd[1].off, 48);
	assert_int_equal(x.seg[2].src, 0);
	assert_int_equal(x.seg[2].dst, 1);
	assert_int_equal(x.seg[2].nblocks, 16);
	assert_int_equal(x.seg[2].src_lba, 20);
	assert_int_equal(x.seg[2].dst_lba, 520);
	assert_int_equal(x.seg[2].off, 16 + 64 + 56);
	/* a block to block segment with offsets (0Ah, 32 bytes) after a 02h one */
	memset(p + n, 0, 32);
	p[n] = XCOPY_SEG_B2B_OFF;
	scsi_put16(p + n + 2, 0x1c);
	scsi_put16(p + n + 6, 1);
	scsi_put32(p + n + 8, 8192);
	scsi_put64(p + n + 12, 40);
	scsi_put64(p + n + 20, 600);
	scsi_put16(p + n + 30, 7);
	scsi_put32(p + 8, 3 * 28 + 32);
	assert_int_equal(scsi_xcopy_parse(p, n + 32, &x, &r), 0);
	assert_int_equal(x.nseg, 4);
	assert_int_equal(x.seg[3].type, XCOPY_SEG_B2B_OFF);
	assert_int_equal(x.seg[3].nbytes, 8192);
	assert_int_equal(x.seg[3].src_lba, 40);
	assert_int_equal(x.seg[3].dst_lba, 600);
	assert_int_equal(x.seg[3].src_off, 0);
	assert_int_equal(x.seg[3].dst_off, 7);
	assert_int_equal(x.seg[3].off, n);
	/* ... whose length field says 02h's size */
	scsi_put16(p + n + 2, 0x18);
	assert_int_equal(scsi_xcopy_parse(p, n + 32, &x, &r), -1);
	assert_ptr(&r, false, (uint16_t)(n + 2));
	scsi_put32(p + 8, 3 * 28);
	/* usage 11b with list id 0 */
	p[0] = 0;
	p[1] = 0x18;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), 0);
	assert_int_equal(x.usage, XCOPY_LIST_NONE);
}

static void test_xcopy_parse_errors(void **st)
{
	static struct scsi_xcopy_list x;
	static uint8_t p[8192];
	struct scsi_lu lu = mk_lu(false, false);
	struct scsi_result r;
	uint32_t n;

	(void)st;
	n = mk_list(p, &lu, 1, 1);
	/* short header */
	assert_int_equal(scsi_xcopy_parse(p, 15, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* the list cuts a descriptor: PARAMETER LIST LENGTH ERROR */
	assert_int_equal(scsi_xcopy_parse(p, 16 + 31, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	assert_int_equal(scsi_xcopy_parse(p, n - 1, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* list id usage 01b is reserved; 11b needs list id 0 */
	p[1] = 0x08;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_ptr(&r, false, 1);
	p[1] = 0x18;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_ptr(&r, false, 0);
	p[1] = 0;
	/* inline data is not taken */
	scsi_put32(p + 12, 4);
	assert_int_equal(scsi_xcopy_parse(p, n + 4, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INLINE_DATA_LENGTH_EXCEEDED);
	scsi_put32(p + 12, 0);
	/* an FC N_Port_Name CSCD: unsupported target descriptor type */
	p[16] = 0xe0;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_UNSUPPORTED_TARGET_DESC);
	assert_ptr(&r, false, 16);
	p[16] = XCOPY_CSCD_ID_DESC;
	/* a CSCD of a tape: only block devices */
	p[17] = 0x01;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_ptr(&r, false, 17);
	p[17] = 0;
	/* a designator longer than the descriptor holds */
	p[16 + 7] = 21;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_ptr(&r, false, 23);
	p[16 + 7] = 16;
	/* a stream to stream segment: unsupported segment descriptor type */
	p[48] = 0x03;
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_UNSUPPORTED_SEGMENT_DESC);
	assert_ptr(&r, false, 48);
	p[48] = XCOPY_SEG_B2B;
	/* a block to block segment of the wrong length */
	scsi_put16(p + 50, 0x14);
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_ptr(&r, false, 50);

	/* one CSCD more than the limit */
	n = mk_list(p, &lu, XCOPY_MAX_CSCD + 1, 1);
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_TOO_MANY_TARGET_DESC);
	/* one segment more than the limit */
	n = mk_list(p, &lu, 1, XCOPY_MAX_SEGMENTS + 1);
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_TOO_MANY_SEGMENT_DESC);
	/* descriptor lists longer than MAXIMUM DESCRIPTOR LIST LENGTH */
	n = mk_list(p, &lu, 1, 150);
	assert_int_equal(scsi_xcopy_parse(p, n, &x, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
}

static void test_xcopy_abort_sense(void **st)
{
	struct scsi_result r;

	(void)st;
	scsi_xcopy_abort(&r, ASC_UNREACHABLE_COPY_TARGET, 3, 6);
	assert_sense(&r, SK_COPY_ABORTED, ASC_UNREACHABLE_COPY_TARGET);
	assert_int_equal(scsi_be32(r.sense + 8), 3);   /* segment number */
	assert_int_equal(r.sense[15], 0x80 | 0x20);     /* SKSV, SD */
	assert_int_equal(scsi_be16(r.sense + 16), 6);
}

/* ---- RECEIVE COPY RESULTS ---- */

static void test_rcr(void **st)
{
	uint8_t c[16] = { RECEIVE_COPY_RESULTS, RCR_SA_COPY_STATUS, 9 };
	uint8_t b[256], sense[18], sa, id;
	uint32_t alloc, n;
	struct scsi_result r;

	(void)st;
	scsi_put32(c + 10, 512);
	assert_int_equal(scsi_rcr_cdb(c, &sa, &id, &alloc, &r), 0);
	assert_int_equal(sa, RCR_SA_COPY_STATUS);
	assert_int_equal(id, 9);
	assert_int_equal(alloc, 512);
	/* LID4 service actions (05h REPORT... ROD TOKEN) are refused */
	c[1] = 0x05;
	assert_int_equal(scsi_rcr_cdb(c, &sa, &id, &alloc, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	c[1] = RCR_SA_OP_PARAMS;
	c[4] = 1;
	assert_int_equal(scsi_rcr_cdb(c, &sa, &id, &alloc, &r), -1);
	assert_ptr(&r, true, 4);

	n = scsi_rcr_op_params(512, b);
	assert_int_equal(n, 47);
	assert_int_equal(scsi_be32(b), n - 4);
	assert_int_equal(b[4] & 1, 1);                  /* SNLID */
	assert_int_equal(scsi_be16(b + 8), XCOPY_MAX_CSCD);
	assert_int_equal(scsi_be16(b + 10), XCOPY_MAX_SEGMENTS);
	assert_int_equal(scsi_be32(b + 12), XCOPY_MAX_DESC_LIST);
	assert_int_equal(scsi_be32(b + 16), 0xffffu * 512);
	assert_int_equal(scsi_be32(b + 20), 0);         /* no inline data */
	assert_int_equal(b[37], 9);
	assert_int_equal(b[43], 3);
	assert_int_equal(b[44], XCOPY_SEG_B2B);
	assert_int_equal(b[45], XCOPY_SEG_B2B_OFF);
	assert_int_equal(b[46], XCOPY_CSCD_ID_DESC);

	n = scsi_rcr_copy_status(1, 2, 1u << 20, b);
	assert_int_equal(n, 12);
	assert_int_equal(scsi_be32(b), 8);
	assert_int_equal(b[4], 1);
	assert_int_equal(scsi_be16(b + 5), 2);
	assert_int_equal(b[7], 0);                      /* bytes */
	assert_int_equal(scsi_be32(b + 8), 1u << 20);
	scsi_rcr_copy_status(0, 1, 8ull << 30, b);
	assert_int_equal(b[7], 1);                      /* KiB */
	assert_int_equal(scsi_be32(b + 8), 8u << 20);

	assert_int_equal(scsi_rcr_failed_segment(0, NULL, 0, b), 4);
	assert_int_equal(scsi_be32(b), 0);
	memset(sense, 0x5a, sizeof(sense));
	n = scsi_rcr_failed_segment(SCSI_CHECK_CONDITION, sense, sizeof(sense), b);
	assert_int_equal(n, 60 + 18);
	assert_int_equal(scsi_be32(b), 56 + 18);
	assert_int_equal(b[56], SCSI_CHECK_CONDITION);
	assert_int_equal(scsi_be16(b + 58), 18);
	assert_memory_equal(b + 60, sense, 18);
}

static void test_vpd_third_party_copy(void **st)
{
	struct scsi_lu lu = mk_lu(false, false);
	uint8_t b[512], inq[6] = { INQUIRY, 1, 0x8f, 0x02, 0, 0 }, std[6] = { INQUIRY, 0, 0, 0, 96, 0 };
	struct scsi_result r;
	uint32_t n = scsi_vpd_third_party_copy(&lu, b), off;
	bool cmds = false, params = false, rcr_status = false;

	(void)st;
	assert_int_equal(scsi_be16(b + 2), n - 4);
	for (off = 4; off < n; off += 4 + scsi_be16(b + off + 2)) {
		uint16_t type = scsi_be16(b + off), len = scsi_be16(b + off + 2);

		assert_int_equal((4 + len) % 4, 0);
		if (type == 0x0001) {
			const uint8_t *c = b + off + 5, *end = c + b[off + 4];

			cmds = true;
			while (c < end) {
				for (unsigned i = 0; i < c[1]; i++)
					if (c[0] == RECEIVE_COPY_RESULTS && c[2 + i] == RCR_SA_COPY_STATUS)
						rcr_status = true;
				c += 2 + c[1];
			}
		}
		if (type == 0x0008) {
			params = true;
			assert_int_equal(scsi_be16(b + off + 8), XCOPY_MAX_CSCD);
			assert_int_equal(scsi_be16(b + off + 10), XCOPY_MAX_SEGMENTS);
		}
	}
	assert_int_equal(off, n);
	assert_true(cmds && params && rcr_status);
	/* through INQUIRY, and 3PC in the standard data */
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, inq, b, sizeof(b), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(b[1], 0x8f);
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, std, b, sizeof(b), &r);
	assert_true(b[5] & 0x08);
}

/* ---- SANITIZE ---- */

static void test_sanitize_cdb(void **st)
{
	struct scsi_lu thin = mk_lu(true, false), full = mk_lu(false, false);
	struct scsi_lu ro = mk_lu(false, true);
	uint8_t c[10] = { SANITIZE, SANITIZE_SA_OVERWRITE };
	struct scsi_io io;
	struct scsi_result r;

	(void)st;
	scsi_put16(c + 7, 516);
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_SANITIZE);
	assert_int_equal(io.param_len, 516);
	assert_int_equal(io.nblocks, 1000);
	/* the list: 5 .. block size + 4 bytes */
	for (uint16_t bad = 0; bad <= 4; bad++) {
		scsi_put16(c + 7, bad);
		assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
		assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		assert_ptr(&r, true, 7);
	}
	scsi_put16(c + 7, 517);
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
	scsi_put16(c + 7, 8);
	/* reserved bit and bytes */
	c[1] |= 0x40;
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
	assert_ptr(&r, true, 1);
	c[1] &= (uint8_t)~0x40;
	c[4] = 1;
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
	assert_ptr(&r, true, 4);
	c[4] = 0;
	/* IMMED and AUSE are fine */
	c[1] |= 0xa0;
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 1);
	/* write protected */
	assert_int_equal(scsi_sanitize_decode(&ro, c, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* BLOCK ERASE: thin LUs only, no parameter list */
	c[1] = SANITIZE_SA_BLOCK_ERASE;
	scsi_put16(c + 7, 0);
	assert_int_equal(scsi_sanitize_decode(&thin, c, &io, &r), 1);
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
	assert_ptr(&r, true, 1);
	scsi_put16(c + 7, 8);
	assert_int_equal(scsi_sanitize_decode(&thin, c, &io, &r), 0);
	assert_ptr(&r, true, 7);
	/* EXIT FAILURE MODE: no list; allowed on a protected LU */
	c[1] = SANITIZE_SA_EXIT_FAILURE;
	assert_int_equal(scsi_sanitize_decode(&full, c, &io, &r), 0);
	scsi_put16(c + 7, 0);
	assert_int_equal(scsi_sanitize_decode(&ro, c, &io, &r), 1);
	/* CRYPTOGRAPHIC ERASE and the undefined service actions */
	for (uint8_t sa = 0; sa < 0x1f; sa++) {
		if (sa == SANITIZE_SA_OVERWRITE || sa == SANITIZE_SA_BLOCK_ERASE)
			continue;
		c[1] = sa;
		assert_int_equal(scsi_sanitize_decode(&thin, c, &io, &r), 0);
		assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	}
}

static void test_sanitize_overwrite_list(void **st)
{
	uint8_t p[520];
	struct scsi_sanitize_ow ow;
	struct scsi_result r;

	(void)st;
	memset(p, 0xaa, sizeof(p));
	p[0] = 0x80 | 3;                 /* INVERT, 3 passes */
	p[1] = 0;
	scsi_put16(p + 2, 4);
	assert_int_equal(scsi_sanitize_overwrite(p, 8, 512, &ow, &r), 0);
	assert_true(ow.invert);
	assert_int_equal(ow.passes, 3);
	assert_int_equal(ow.pattern_len, 4);
	assert_ptr_equal(ow.pattern, p + 4);
	/* OVERWRITE COUNT 0 */
	p[0] = 0;
	assert_int_equal(scsi_sanitize_overwrite(p, 8, 512, &ow, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_ptr(&r, false, 0);
	/* TEST is not supported */
	p[0] = 0x21;
	assert_int_equal(scsi_sanitize_overwrite(p, 8, 512, &ow, &r), -1);
	p[0] = 1;
	/* pattern length 0, longer than a block, longer than the list */
	scsi_put16(p + 2, 0);
	assert_int_equal(scsi_sanitize_overwrite(p, 8, 512, &ow, &r), -1);
	assert_ptr(&r, false, 2);
	scsi_put16(p + 2, 513);
	assert_int_equal(scsi_sanitize_overwrite(p, 517, 512, &ow, &r), -1);
	assert_ptr(&r, false, 2);
	scsi_put16(p + 2, 8);
	assert_int_equal(scsi_sanitize_overwrite(p, 8, 512, &ow, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
}

static void test_sanitize_fill_and_sense(void **st)
{
	static const uint8_t pat[3] = { 1, 2, 3 };
	struct scsi_sanitize_ow ow = { .pattern = pat, .pattern_len = 3, .passes = 1 };
	uint8_t buf[1024], s[32];
	uint32_t n;

	(void)st;
	scsi_sanitize_fill(buf, sizeof(buf), 512, &ow, false);
	/* each block starts with the pattern */
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[510], 1);   /* 510 % 3 == 0 */
	assert_int_equal(buf[511], 2);
	assert_int_equal(buf[512], 1);
	assert_int_equal(buf[513], 2);
	scsi_sanitize_fill(buf, sizeof(buf), 512, &ow, true);
	assert_int_equal(buf[0], 0xfe);
	assert_int_equal(buf[514], 0xfc);

	n = scsi_sanitize_sense(s, sizeof(s), 0x8000);
	assert_int_equal(n, 18);
	assert_int_equal(s[2], SK_NOT_READY);
	assert_int_equal(s[12], 0x04);
	assert_int_equal(s[13], 0x1b);
	assert_int_equal(s[15], 0x80);
	assert_int_equal(scsi_be16(s + 16), 0x8000);
}

static bool opcode_listed(const struct scsi_lu *lu, uint8_t op, uint16_t sa)
{
	uint8_t c[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, 0x02, 0 };
	uint8_t out[128];
	struct scsi_result r;

	c[3] = op;
	scsi_put16(c + 4, sa);
	scsi_put32(c + 6, sizeof(out));
	scsi_report_opcodes_lu(lu, c, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	return (out[1] & 0x07) == 3;
}

static void test_sanitize_opcode_rows(void **st)
{
	struct scsi_lu thin = mk_lu(true, false), full = mk_lu(false, false);

	(void)st;
	assert_true(opcode_listed(&full, SANITIZE, SANITIZE_SA_OVERWRITE));
	assert_true(opcode_listed(&full, SANITIZE, SANITIZE_SA_EXIT_FAILURE));
	assert_false(opcode_listed(&full, SANITIZE, SANITIZE_SA_BLOCK_ERASE));
	assert_true(opcode_listed(&thin, SANITIZE, SANITIZE_SA_BLOCK_ERASE));
	assert_false(opcode_listed(&thin, SANITIZE, SANITIZE_SA_CRYPTO_ERASE));
	assert_true(opcode_listed(&full, EXTENDED_COPY, XCOPY_SA_LID1));
	assert_false(opcode_listed(&full, EXTENDED_COPY, 0x01));
	assert_true(opcode_listed(&full, RECEIVE_COPY_RESULTS, RCR_SA_OP_PARAMS));
	/* WABEREQ only where BLOCK ERASE is offered */
	uint8_t inq[6] = { INQUIRY, 1, 0xb1, 0, 64, 0 }, b[64];
	struct scsi_result r;

	scsi_inquiry(&thin, false, MSG_PROTO_ISCSI, inq, b, sizeof(b), &r);
	assert_int_equal(b[7] >> 6, 1);
	scsi_inquiry(&full, false, MSG_PROTO_ISCSI, inq, b, sizeof(b), &r);
	assert_int_equal(b[7] >> 6, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xcopy_cdb),
		cmocka_unit_test(test_xcopy_parse_ok),
		cmocka_unit_test(test_xcopy_parse_errors),
		cmocka_unit_test(test_xcopy_abort_sense),
		cmocka_unit_test(test_rcr),
		cmocka_unit_test(test_vpd_third_party_copy),
		cmocka_unit_test(test_sanitize_cdb),
		cmocka_unit_test(test_sanitize_overwrite_list),
		cmocka_unit_test(test_sanitize_fill_and_sense),
		cmocka_unit_test(test_sanitize_opcode_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
