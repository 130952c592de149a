/* Unit tests of the SBC block commands: WRITE SAME, UNMAP (CDB and parameter
 * list), COMPARE AND WRITE, WRITE AND VERIFY, GET LBA STATUS decoding
 * (scsi_blk.c); START STOP UNIT, PREVENT ALLOW, READ DEFECT DATA, FORMAT
 * UNIT, PRE-FETCH (scsi_sbc.c); the provisioning fields of INQUIRY VPD B0/B2
 * and READ CAPACITY 16; their rows in REPORT SUPPORTED OPERATION CODES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static struct scsi_lu mk_lu(uint64_t nblocks, bool thin, bool ro)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.block_size = 512;
	lu.block_shift = 9;
	lu.nblocks = nblocks;
	lu.thin = thin;
	lu.readonly = ro;
	lu.target_name = "iqn.test";
	lu.rel_port = 1;
	return lu;
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

/* field pointer of INVALID FIELD IN CDB */
static void assert_field(const struct scsi_result *r, uint16_t byte)
{
	assert_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_true(r->sense[15] & 0x80);
	assert_int_equal(scsi_be16(r->sense + 16), byte);
}

static int decode(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_io *io,
		  struct scsi_result *r)
{
	memset(r, 0, sizeof(*r));
	assert_true(scsi_is_media(cdb));
	return scsi_rw_decode(lu, cdb, io, r);
}

static void test_write_same(void **st)
{
	struct scsi_lu thin = mk_lu(1000, true, false), full = mk_lu(1000, false, false);
	struct scsi_lu ro = mk_lu(1000, true, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t ws10[10] = { WRITE_SAME_10, 0x08, 0, 0, 0, 10, 0, 0, 20, 0 };
	uint8_t ws16[16] = { WRITE_SAME_16, 0x09, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0 };

	(void)st;
	assert_int_equal(decode(&thin, ws10, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_WRITE_SAME);
	assert_true(io.unmap && !io.ndob);
	assert_true(io.lba == 10 && io.nblocks == 20 && io.length == 20 * 512);
	assert_int_equal(r.xfer_len, 512);           /* one block of data-out */
	assert_int_equal(io.dir, MSG_DIR_WRITE);
	/* fully provisioned: no unmapping WRITE SAME (LBPWS10 0) */
	assert_int_equal(decode(&full, ws10, &io, &r), 0);
	assert_field(&r, 1);
	ws10[1] = 0;
	assert_int_equal(decode(&full, ws10, &io, &r), 1);
	assert_false(io.unmap);
	ws10[1] = 0x08;
	/* NDOB: no data-out */
	assert_int_equal(decode(&thin, ws16, &io, &r), 1);
	assert_true(io.ndob && io.unmap);
	assert_int_equal(r.xfer_len, 0);
	assert_int_equal(io.dir, MSG_DIR_NONE);
	/* ANCHOR */
	ws10[1] = 0x18;
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_field(&r, 1);
	/* WRPROTECT */
	ws10[1] = 0x20;
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_field(&r, 1);
	/* NDOB does not exist in the 10-byte CDB */
	ws10[1] = 0x01;
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_field(&r, 1);
	ws10[1] = 0;
	/* WSNZ 0: zero blocks run through the last block... */
	ws10[8] = 0;
	assert_int_equal(decode(&thin, ws10, &io, &r), 1);
	assert_true(io.lba == 10 && io.nblocks == 990 && io.length == 990 * 512);
	/* ...within MAXIMUM WRITE SAME LENGTH */
	struct scsi_lu big = mk_lu(SCSI_MAX_WS_BYTES / 512 + 20, false, false);
	ws10[1] = 0;
	scsi_put32(ws10 + 2, 20);
	assert_int_equal(decode(&big, ws10, &io, &r), 1);
	assert_true(io.nblocks == SCSI_MAX_WS_BYTES / 512);
	scsi_put32(ws10 + 2, 5);
	assert_int_equal(decode(&big, ws10, &io, &r), 0);
	assert_field(&r, 7);
	ws10[1] = 0x08;
	/* and from past the end it is an LBA error, not a length error */
	scsi_put32(ws10 + 2, 1001);
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put32(ws10 + 2, 1000);
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put32(ws10 + 2, 10);
	/* beyond the end */
	ws10[8] = 20;
	scsi_put32(ws10 + 2, 990);
	assert_int_equal(decode(&thin, ws10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	/* more than MAXIMUM WRITE SAME LENGTH */
	scsi_put32(ws16 + 10, (uint32_t)(SCSI_MAX_WS_BYTES / 512) + 1);
	assert_int_equal(decode(&thin, ws16, &io, &r), 0);
	assert_field(&r, 10);
	/* write protected */
	scsi_put32(ws10 + 2, 0);
	assert_int_equal(decode(&ro, ws10, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* ...before the UNMAP bit is checked against the provisioning */
	struct scsi_lu ro_full = mk_lu(1000, false, true);
	assert_int_equal(decode(&ro_full, ws10, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
}

static void test_unmap_cdb(void **st)
{
	struct scsi_lu thin = mk_lu(1000, true, false), full = mk_lu(1000, false, false);
	struct scsi_lu ro = mk_lu(1000, true, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c[10] = { UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0 };

	(void)st;
	assert_int_equal(decode(&thin, c, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_UNMAP);
	assert_int_equal(io.param_len, 24);
	assert_int_equal(r.xfer_len, 24);
	/* not thin: the command is not supported on this LU */
	assert_int_equal(decode(&full, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	assert_int_equal(decode(&ro, c, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* ANCHOR */
	c[1] = 0x01;
	assert_int_equal(decode(&thin, c, &io, &r), 0);
	assert_field(&r, 1);
	c[1] = 0;
	/* a parameter list shorter than its header */
	c[8] = 7;
	assert_int_equal(decode(&thin, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* no parameter list: nothing to do */
	c[8] = 0;
	assert_int_equal(decode(&thin, c, &io, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
}

static void put_desc(uint8_t *p, uint32_t i, uint64_t lba, uint32_t n)
{
	scsi_put64(p + 8 + 16 * i, lba);
	scsi_put32(p + 8 + 16 * i + 8, n);
}

static void test_unmap_list(void **st)
{
	struct scsi_lu lu = mk_lu(1000, true, false);
	struct scsi_result r;
	uint8_t p[8 + 16 * (SCSI_MAX_UNMAP_DESC + 1)];
	uint64_t lba;
	uint32_t n;

	(void)st;
	memset(p, 0, sizeof(p));
	scsi_put16(p, 6 + 32);
	scsi_put16(p + 2, 32);
	put_desc(p, 0, 0, 8);
	put_desc(p, 1, 992, 8);
	assert_int_equal(scsi_unmap_check(&lu, p, 40, &r), 2);
	scsi_unmap_desc(p, 1, &lba, &n);
	assert_true(lba == 992 && n == 8);
	/* a descriptor past the end */
	put_desc(p, 1, 993, 8);
	memset(&r, 0, sizeof(r));
	assert_int_equal(scsi_unmap_check(&lu, p, 40, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	put_desc(p, 1, 992, 8);
	/* descriptor length beyond what was sent */
	assert_int_equal(scsi_unmap_check(&lu, p, 39, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* header shorter than 8 */
	assert_int_equal(scsi_unmap_check(&lu, p, 6, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* more descriptors than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	scsi_put16(p, (uint16_t)(6 + 16 * (SCSI_MAX_UNMAP_DESC + 1)));
	scsi_put16(p + 2, (uint16_t)(16 * (SCSI_MAX_UNMAP_DESC + 1)));
	assert_int_equal(scsi_unmap_check(&lu, p, sizeof(p), &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	/* zero descriptors: fine */
	scsi_put16(p, 6);
	scsi_put16(p + 2, 0);
	assert_int_equal(scsi_unmap_check(&lu, p, 8, &r), 0);
}

static void test_caw(void **st)
{
	struct scsi_lu lu = mk_lu(1000, false, false), ro = mk_lu(1000, false, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c[16] = { COMPARE_AND_WRITE, 0x08, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 2, 0, 0 };

	(void)st;
	assert_int_equal(decode(&lu, c, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_CAW);
	assert_true(io.fua && io.lba == 100 && io.nblocks == 2);
	assert_int_equal(r.xfer_len, 2 * 2 * 512);   /* verify and write data */
	c[13] = SCSI_MAX_CAW_BLOCKS + 1;
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 13);
	c[13] = 2;
	c[1] = 0x20;
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 1);
	c[1] = 0;
	c[9] = 0xff;
	c[8] = 0x03;                                   /* lba 1023 */
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	c[8] = 0;
	c[9] = 0;
	assert_int_equal(decode(&ro, c, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* 0 blocks: decoded, the core checks no data-out came with it */
	c[13] = 0;
	assert_int_equal(decode(&lu, c, &io, &r), 1);
	assert_int_equal(io.length, 0);
}

static void test_write_verify(void **st)
{
	struct scsi_lu lu = mk_lu(1000, false, false);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c10[10] = { WRITE_VERIFY_10, 0x02, 0, 0, 0, 5, 0, 0, 4, 0 };
	uint8_t c12[12] = { WRITE_VERIFY_12, 0, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0 };
	uint8_t c16[16] = { WRITE_VERIFY_16, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe4, 0, 0, 0, 4, 0, 0 };

	(void)st;
	assert_int_equal(decode(&lu, c10, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_WRITE_VERIFY);
	assert_int_equal(r.xfer_len, 4 * 512);
	assert_int_equal(decode(&lu, c12, &io, &r), 1);
	assert_true(io.lba == 5 && io.nblocks == 4);
	assert_int_equal(decode(&lu, c16, &io, &r), 1);    /* 996..999 */
	c16[9] = 0xe5;                                       /* 997 + 4 > 1000 */
	assert_int_equal(decode(&lu, c16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	c10[1] = 0x04;                                       /* BYTCHK 10b */
	assert_int_equal(decode(&lu, c10, &io, &r), 0);
	assert_field(&r, 1);
	c10[1] = 0;
	scsi_put16(c10 + 7, 0xffff);                         /* > 8 MiB */
	assert_int_equal(decode(&lu, c10, &io, &r), 0);
	assert_field(&r, 7);
}

static void test_orwrite(void **st)
{
	struct scsi_lu lu = mk_lu(1000, false, false), ro = mk_lu(1000, false, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c[16] = { ORWRITE_16, 0x08, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0 };

	(void)st;
	assert_int_equal(decode(&lu, c, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_ORWRITE);
	assert_true(io.fua && io.lba == 10 && io.nblocks == 4);
	assert_int_equal(r.xfer_len, 4 * 512);
	c[1] = 0x20;                         /* ORPROTECT */
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 1);
	c[1] = 0;
	c[14] = 0x20;                        /* BMOP */
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 14);
	c[14] = 0;
	assert_int_equal(decode(&ro, c, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	scsi_put64(c + 2, 997);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	c[13] = 0;
	scsi_put64(c + 2, 999);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
}

static void test_lba_status(void **st)
{
	struct scsi_lu thin = mk_lu(1000, true, false), full = mk_lu(1000, false, false);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c[16] = { SERVICE_ACTION_IN_16, SAI_GET_LBA_STATUS, 0, 0, 0, 0, 0, 0, 0, 10,
			  0, 0, 0, 64, 0, 0 };

	(void)st;
	assert_int_equal(decode(&thin, c, &io, &r), 1);
	assert_int_equal(io.blk, SCSI_BLK_LBA_STATUS);
	assert_int_equal(io.op, MSG_IO_LBA_STATUS);
	assert_true(io.lba == 10 && io.nblocks == 990);
	assert_int_equal(io.param_len, 64);
	assert_int_equal(decode(&full, c, &io, &r), 0);
	assert_field(&r, 1);
	scsi_put64(c + 2, 1000);
	assert_int_equal(decode(&thin, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	/* READ CAPACITY 16 is still emulated, not a block command */
	c[1] = SAI_READ_CAPACITY_16;
	assert_false(scsi_is_media(c));
}

static void emul(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out, uint32_t cap,
		 struct scsi_result *r)
{
	struct scsi_emul_req q = { .lu = lu, .cdb = cdb, .out = out, .cap = cap };

	memset(r, 0, sizeof(*r));
	assert_false(scsi_is_media(cdb));
	scsi_emulate(&q, r);
}

static void test_sbc_emulated(void **st)
{
	struct scsi_lu lu = mk_lu(1000, false, false), ro = mk_lu(1000, false, true);
	struct scsi_result r;
	uint8_t out[64];
	uint8_t ssu[6] = { START_STOP_UNIT, 0x01, 0, 0, 0x01, 0 };
	uint8_t pa[6] = { PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 0x01, 0 };
	uint8_t rdd10[10] = { READ_DEFECT_DATA_10, 0, 0x18, 0, 0, 0, 0, 0, 64, 0 };
	uint8_t rdd12[12] = { READ_DEFECT_DATA_12, 0x0d, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0 };
	uint8_t fu[6] = { FORMAT_UNIT, 0, 0, 0, 0, 0 };
	uint8_t pf10[10] = { PRE_FETCH_10, 0x02, 0, 0, 0, 10, 0, 0, 10, 0 };
	uint8_t pf16[16] = { PRE_FETCH_16, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe0, 0, 0, 0, 8, 0, 0 };

	(void)st;
	emul(&lu, ssu, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	ssu[4] = 0x50;                         /* power condition 5: reserved */
	emul(&lu, ssu, out, sizeof(out), &r);
	assert_field(&r, 4);
	ssu[4] = 0;
	ssu[1] = 0x02;
	emul(&lu, ssu, out, sizeof(out), &r);
	assert_field(&r, 1);

	emul(&lu, pa, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	pa[4] = 0x02;
	emul(&lu, pa, out, sizeof(out), &r);
	assert_field(&r, 4);

	emul(&lu, rdd10, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 4);
	assert_int_equal(out[1], 0x18);
	assert_int_equal(scsi_be16(out + 2), 0);
	rdd10[2] = 0x07;                       /* format 7: vendor specific */
	emul(&lu, rdd10, out, sizeof(out), &r);
	assert_field(&r, 2);
	emul(&lu, rdd12, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 8);
	assert_int_equal(out[1], 0x0d);
	assert_int_equal(scsi_be32(out + 4), 0);

	emul(&lu, fu, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	emul(&ro, fu, out, sizeof(out), &r);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	fu[1] = 0x10;                          /* FMTDATA: no parameter list support */
	emul(&lu, fu, out, sizeof(out), &r);
	assert_field(&r, 1);
	fu[1] = 0x40;                          /* FMTPINFO */
	emul(&lu, fu, out, sizeof(out), &r);
	assert_field(&r, 1);

	emul(&lu, pf10, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	pf10[1] = 0x01;
	emul(&lu, pf10, out, sizeof(out), &r);
	assert_field(&r, 1);
	emul(&lu, pf16, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	pf16[13] = 9;                          /* 992 + 9 > 1000 */
	emul(&lu, pf16, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);

	/* still unknown: WRITE BUFFER, the variable-length CDB group is refused earlier */
	uint8_t san[10] = { 0x3b, 0x01 };
	emul(&lu, san, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	uint8_t var[32] = { VARIABLE_LENGTH_CDB };
	assert_int_equal(scsi_cdb_check(var, 32, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

static void test_provisioning_pages(void **st)
{
	struct scsi_lu thin = mk_lu(1000, true, false), full = mk_lu(1000, false, false);
	struct scsi_result r;
	uint8_t out[64];
	uint8_t b2[6] = { INQUIRY, 0x01, 0xb2, 0, 64, 0 };
	uint8_t b0[6] = { INQUIRY, 0x01, 0xb0, 0, 64, 0 };
	uint8_t rc16[16] = { SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, 0, 0, 0, 0, 0, 0, 0, 0,
			     0, 0, 0, 32, 0, 0 };

	(void)st;
	emul(&thin, b2, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 8);
	assert_int_equal(out[5], 0xe4);        /* LBPU LBPWS LBPWS10 LBPRZ */
	assert_int_equal(out[6] & 0x07, 2);    /* thin */
	emul(&full, b2, out, sizeof(out), &r);
	assert_int_equal(out[5], 0);
	assert_int_equal(out[6] & 0x07, 0);

	emul(&thin, b0, out, sizeof(out), &r);
	assert_int_equal(out[4] & 0x01, 0);    /* WSNZ 0 */
	/* WRITE ATOMIC 16: maximum atomic transfer length, no alignment or
	 * granularity, the same with an atomic boundary */
	assert_int_equal(scsi_be32(out + 44), SCSI_MAX_ATOMIC_BYTES / 512);
	assert_int_equal(scsi_be32(out + 48), 0);
	assert_int_equal(scsi_be32(out + 52), 0);
	assert_int_equal(scsi_be32(out + 56), SCSI_MAX_ATOMIC_BYTES / 512);
	assert_int_equal(scsi_be32(out + 60), SCSI_MAX_ATOMIC_BYTES / 512);
	assert_int_equal(out[5], SCSI_MAX_CAW_BLOCKS);
	assert_int_equal(scsi_be32(out + 24), SCSI_MAX_UNMAP_DESC);
	assert_int_equal(scsi_be32(out + 20), SCSI_MAX_UNMAP_BYTES / 512);
	assert_int_equal(scsi_be32(out + 28), 8);   /* 4 KiB granularity */
	assert_true(scsi_be64(out + 36) == SCSI_MAX_WS_BYTES / 512);
	emul(&full, b0, out, sizeof(out), &r);
	assert_int_equal(scsi_be32(out + 20), 0);
	assert_int_equal(scsi_be32(out + 24), 0);

	emul(&thin, rc16, out, sizeof(out), &r);
	assert_int_equal(out[14] & 0xc0, 0xc0);     /* LBPME, LBPRZ */
	emul(&full, rc16, out, sizeof(out), &r);
	assert_int_equal(out[14] & 0xc0, 0);
}

static void test_write_atomic(void **st)
{
	struct scsi_lu lu = mk_lu(1000, false, false), ro = mk_lu(1000, false, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t c[16] = { WRITE_ATOMIC_16, 0x18, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0 };

	(void)st;
	/* DPO and FUA are accepted (DPOFUA is set in MODE SENSE) */
	assert_int_equal(decode(&lu, c, &io, &r), 1);
	assert_true(io.atomic && io.fua && io.op == MSG_IO_WRITE && io.dir == MSG_DIR_WRITE);
	assert_true(io.lba == 10 && io.nblocks == 20 && io.length == 20 * 512);
	assert_int_equal(r.xfer_len, 20 * 512);
	/* an atomic boundary up to the maximum is honoured */
	scsi_put16(c + 10, 4);
	assert_int_equal(decode(&lu, c, &io, &r), 1);
	scsi_put16(c + 10, SCSI_MAX_ATOMIC_BYTES / 512 + 1);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 10);
	scsi_put16(c + 10, 0);
	/* WRPROTECT, reserved bits */
	for (uint8_t wp = 1; wp < 8; wp++) {
		c[1] = (uint8_t)(wp << 5);
		assert_int_equal(decode(&lu, c, &io, &r), 0);
		assert_field(&r, 1);
	}
	c[1] = 0x02;
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 1);
	c[1] = 0x04;
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 1);
	c[1] = 0;
	/* longer than MAXIMUM ATOMIC TRANSFER LENGTH */
	scsi_put16(c + 12, SCSI_MAX_ATOMIC_BYTES / 512 + 1);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_field(&r, 12);
	/* past the end, at 2^63, and 0 blocks (GOOD at 0, LBA error past the end) */
	scsi_put16(c + 12, 20);
	scsi_put64(c + 2, 990);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put64(c + 2, 1ull << 63);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put16(c + 12, 0);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put64(c + 2, 0);
	assert_int_equal(decode(&lu, c, &io, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
	/* write protected */
	scsi_put16(c + 12, 1);
	assert_int_equal(decode(&ro, c, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
}

/* Every block command answers REPORT SUPPORTED OPERATION CODES option 1/2. */
static void test_opcodes_rows(void **st)
{
	static const uint8_t ops[] = { FORMAT_UNIT, START_STOP_UNIT, PREVENT_ALLOW_MEDIUM_REMOVAL,
				       WRITE_VERIFY_10, PRE_FETCH_10, READ_DEFECT_DATA_10,
				       WRITE_SAME_10, UNMAP, COMPARE_AND_WRITE, WRITE_VERIFY_16,
				       PRE_FETCH_16, WRITE_SAME_16, WRITE_VERIFY_12, ORWRITE_16,
				       READ_DEFECT_DATA_12, WRITE_ATOMIC_16 };
	struct scsi_result r;
	uint8_t out[64];
	uint8_t c[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, 0x01, 0, 0, 0, 0, 0, 0, 64, 0, 0 };

	(void)st;
	for (size_t i = 0; i < sizeof(ops); i++) {
		c[2] = 0x01;
		c[3] = ops[i];
		memset(&r, 0, sizeof(r));
		scsi_report_opcodes(c, out, sizeof(out), &r);
		assert_int_equal(r.status, SCSI_GOOD);
		assert_int_equal(out[1] & 0x07, 3);
		assert_int_equal(out[4], ops[i]);
		assert_int_equal(scsi_be16(out + 2), scsi_cdb_len(ops[i]));
	}
	c[2] = 0x02;
	c[3] = SERVICE_ACTION_IN_16;
	scsi_put16(c + 4, SAI_GET_LBA_STATUS);
	scsi_report_opcodes(c, out, sizeof(out), &r);
	assert_int_equal(out[1] & 0x07, 3);
	assert_int_equal(out[4], SERVICE_ACTION_IN_16);
	/* not implemented: WRITE BUFFER */
	c[2] = 0x01;
	c[3] = 0x3b;
	scsi_report_opcodes(c, out, sizeof(out), &r);
	assert_int_equal(out[1] & 0x07, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_same),
		cmocka_unit_test(test_unmap_cdb),
		cmocka_unit_test(test_unmap_list),
		cmocka_unit_test(test_caw),
		cmocka_unit_test(test_write_verify),
		cmocka_unit_test(test_orwrite),
		cmocka_unit_test(test_lba_status),
		cmocka_unit_test(test_sbc_emulated),
		cmocka_unit_test(test_provisioning_pages),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_opcodes_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
