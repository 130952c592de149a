/* Unit tests of media command decoding (READ/WRITE/SYNCHRONIZE CACHE), range
 * checks, CDB checks, LUN addressing, sense encoding and I/O error mapping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static struct scsi_lu mk_lu(uint64_t nblocks, uint32_t bs, bool ro)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.block_size = bs;
	lu.block_shift = bs == 512 ? 9 : 12;
	lu.nblocks = nblocks;
	lu.readonly = ro;
	return lu;
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

static void test_read_variants(void **st)
{
	struct scsi_lu lu = mk_lu(1000, 512, false);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t r6[6] = { READ_6, 0x00, 0x00, 0x10, 0x00, 0 };
	uint8_t r10[10] = { READ_10, 0x08, 0, 0, 0, 100, 0, 0, 8, 0 };
	uint8_t r12[12] = { READ_12, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0 };
	uint8_t r16[16] = { READ_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0 };

	(void)st;
	/* READ (6) length 0 means 256 blocks */
	assert_int_equal(scsi_rw_decode(&lu, r6, &io, &r), 1);
	assert_int_equal(io.op, MSG_IO_READ);
	assert_true(io.lba == 16 && io.nblocks == 256);
	assert_true(io.offset == 16 * 512 && io.length == 256 * 512);
	assert_int_equal(r.xfer_len, 256 * 512);

	assert_int_equal(scsi_rw_decode(&lu, r10, &io, &r), 1);
	assert_true(io.fua);
	assert_true(io.lba == 100 && io.nblocks == 8);
	assert_int_equal(io.dir, MSG_DIR_READ);

	assert_int_equal(scsi_rw_decode(&lu, r12, &io, &r), 1);
	assert_true(io.lba == 1 && io.nblocks == 2);

	assert_int_equal(scsi_rw_decode(&lu, r16, &io, &r), 1);
	assert_false(io.fua);   /* DPO alone is ignored */
	assert_true(io.lba == 7 && io.nblocks == 3);

	/* zero length READ (10): nothing to do, GOOD */
	r10[8] = 0;
	assert_int_equal(scsi_rw_decode(&lu, r10, &io, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
	/* ... but its LBA must still exist */
	scsi_put32(r10 + 2, 1000);
	assert_int_equal(scsi_rw_decode(&lu, r10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
}

static void test_ranges(void **st)
{
	struct scsi_lu lu = mk_lu(1000, 4096, false);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0x03, 0xe0, 0, 0, 8, 0 }; /* lba 992, 8 */
	uint8_t r16[16] = { READ_16 };

	(void)st;
	assert_int_equal(scsi_rw_decode(&lu, w10, &io, &r), 1);
	assert_int_equal(io.op, MSG_IO_WRITE);
	assert_true(io.offset == 992ull * 4096 && io.length == 8 * 4096);
	w10[8] = 9;
	assert_int_equal(scsi_rw_decode(&lu, w10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	/* LBA that would wrap around */
	scsi_put64(r16 + 2, ~0ull - 1);
	scsi_put32(r16 + 10, 4);
	assert_int_equal(scsi_rw_decode(&lu, r16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	/* beyond the maximum transfer length */
	scsi_put64(r16 + 2, 0);
	scsi_put32(r16 + 10, (8u << 20) / 4096 + 1);
	assert_int_equal(scsi_rw_decode(&lu, r16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(scsi_be16(r.sense + 16), 10);
}

static void test_protect_and_readonly(void **st)
{
	struct scsi_lu lu = mk_lu(1000, 512, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t r10[10] = { READ_10, 0x20, 0, 0, 0, 0, 0, 0, 1, 0 };

	(void)st;
	assert_int_equal(scsi_rw_decode(&lu, w10, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* RDPROTECT != 0 */
	assert_int_equal(scsi_rw_decode(&lu, r10, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(r.sense[15], 0xc0 | 0x08 | 7);
	assert_int_equal(scsi_be16(r.sense + 16), 1);
	/* reads still work on a read-only LU */
	r10[1] = 0;
	assert_int_equal(scsi_rw_decode(&lu, r10, &io, &r), 1);
}

static void test_sync_cache(void **st)
{
	struct scsi_lu lu = mk_lu(1000, 512, false);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t s10[10] = { SYNCHRONIZE_CACHE_10 };
	uint8_t s16[16] = { SYNCHRONIZE_CACHE_16 };

	(void)st;
	assert_int_equal(scsi_rw_decode(&lu, s10, &io, &r), 1);
	assert_int_equal(io.op, MSG_IO_FLUSH);
	assert_true(io.nblocks == 1000);
	scsi_put64(s16 + 2, 990);
	scsi_put32(s16 + 10, 11);
	assert_int_equal(scsi_rw_decode(&lu, s16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	scsi_put32(s16 + 10, 10);
	assert_int_equal(scsi_rw_decode(&lu, s16, &io, &r), 1);
}

static void test_verify(void **st)
{
	struct scsi_lu lu = mk_lu(1000, 512, true);
	struct scsi_io io;
	struct scsi_result r;
	uint8_t v16[16] = { VERIFY_16 };

	(void)st;
	scsi_put64(v16 + 2, 10);
	scsi_put32(v16 + 10, 990);
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 1);
	assert_true(io.verify && io.op == MSG_IO_READ && io.dir == MSG_DIR_NONE);
	assert_true(io.offset == 10 * 512 && io.length == 990 * 512);
	assert_int_equal(r.xfer_len, 0);
	scsi_put32(v16 + 10, 991);
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	v16[1] = 0x02; /* BYTCHK 01b: compare with data-out */
	scsi_put32(v16 + 10, 2);
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 1);
	assert_true(io.verify && io.bytchk && io.dir == MSG_DIR_WRITE);
	assert_int_equal(r.xfer_len, 1024);
	v16[1] = 0x06; /* BYTCHK 11b: not implemented */
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	v16[1] = 0x20; /* VRPROTECT */
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 0);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	v16[1] = 0;
	scsi_put32(v16 + 10, 0);   /* nothing to verify */
	assert_int_equal(scsi_rw_decode(&lu, v16, &io, &r), 0);
	assert_int_equal(r.status, SCSI_GOOD);
}

static void test_cdb_check(void **st)
{
	struct scsi_result r;
	uint8_t tur[6] = { TEST_UNIT_READY, 0, 0, 0, 0, 0 };
	uint8_t r16[16] = { READ_16 };
	uint8_t vl[32] = { 0x7f };

	(void)st;
	assert_int_equal(scsi_cdb_check(tur, 6, &r), 0);
	tur[5] = 0x04; /* NACA */
	assert_int_equal(scsi_cdb_check(tur, 6, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(r.sense[15], 0xc0 | 0x08 | 2);
	assert_int_equal(scsi_be16(r.sense + 16), 5);
	/* a 16-byte opcode in a 10-byte CDB */
	assert_int_equal(scsi_cdb_check(r16, 10, &r), -1);
	/* variable length CDBs: unsupported opcode */
	assert_int_equal(scsi_cdb_check(vl, 32, &r), -1);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	assert_int_equal(scsi_cdb_len(READ_12), 12);
	assert_true(scsi_is_media(r16));
	assert_false(scsi_is_media(tur));
}

static void test_lun_addressing(void **st)
{
	uint32_t lun;

	(void)st;
	assert_int_equal(scsi_lun_decode(0, &lun), SCSI_LUN_NORMAL);
	assert_int_equal(lun, 0);
	assert_int_equal(scsi_lun_decode(5ull << 48, &lun), SCSI_LUN_NORMAL);
	assert_int_equal(lun, 5);
	assert_int_equal(scsi_lun_decode(scsi_lun_encode(16383), &lun), SCSI_LUN_NORMAL);
	assert_int_equal(lun, 16383);
	assert_int_equal(scsi_lun_decode(0xc101ull << 48, &lun), SCSI_LUN_WLUN_REPORT_LUNS);
	assert_int_equal(scsi_lun_decode(0x0100ull << 48, &lun), SCSI_LUN_INVALID); /* bus 1 */
	assert_int_equal(scsi_lun_decode(1, &lun), SCSI_LUN_INVALID);  /* second level */
	assert_int_equal(scsi_lun_decode(0x8000ull << 48, &lun), SCSI_LUN_INVALID);
}

static void test_sense_formats(void **st)
{
	struct scsi_result r;
	uint8_t d[32];
	size_t n;

	(void)st;
	scsi_invalid_cdb(&r, 4, -1);
	n = scsi_sense_convert(r.sense, r.sense_len, true, d, sizeof(d));
	assert_int_equal(n, 16);
	assert_int_equal(d[0], 0x72);
	assert_int_equal(d[1], SK_ILLEGAL_REQUEST);
	assert_int_equal(d[2], 0x24);
	assert_int_equal(d[7], 8);
	assert_int_equal(d[8], 0x02);   /* sense-key specific descriptor */
	assert_int_equal(d[12], 0xc0);
	assert_int_equal(scsi_be16(d + 13), 4);
	n = scsi_sense_convert(r.sense, r.sense_len, false, d, sizeof(d));
	assert_int_equal(n, 18);
	assert_memory_equal(d, r.sense, 18);

	scsi_check_io_error(&r, -EIO, false);
	assert_sense(&r, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
	scsi_check_io_error(&r, -EIO, true);
	assert_sense(&r, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	scsi_check_io_error(&r, -ENOSPC, true);
	assert_sense(&r, SK_DATA_PROTECT, ASC_SPACE_ALLOC_FAILED_WP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_variants),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_protect_and_readonly),
		cmocka_unit_test(test_sync_cache),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_cdb_check),
		cmocka_unit_test(test_lun_addressing),
		cmocka_unit_test(test_sense_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
