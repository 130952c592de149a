/* Unit tests: BHS decoding, extended CDB AHS, residuals, serial numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "procs/frontend-iscsi/iscsi_pdu.h"

static void test_bhs_decode(void **s)
{
	uint8_t b[48] = { 0 };
	struct iscsi_bhs_info h;

	b[0] = ISCSI_OP_IMMEDIATE | ISCSI_OP_SCSI_CMD;
	b[1] = 0x80 | ISCSI_CMD_READ | 1;
	b[4] = 4;
	iscsi_put24(b + 5, 0x123456);
	iscsi_put32(b + 16, 0xdeadbeef);
	iscsi_bhs_decode(b, &h);
	assert_int_equal(h.opcode, ISCSI_OP_SCSI_CMD);
	assert_true(h.immediate);
	assert_true(h.final);
	assert_int_equal(h.ahs_len, 16);
	assert_int_equal(h.data_len, 0x123456);
	assert_int_equal(h.itt, 0xdeadbeef);
	assert_true(iscsi_op_is_initiator(ISCSI_OP_DATA_OUT));
	assert_false(iscsi_op_is_initiator(ISCSI_OP_DATA_IN));
	assert_false(iscsi_op_is_initiator(0x3e));
}

static void test_cdb_plain_and_ext(void **s)
{
	uint8_t b[48] = { 0 }, cdb[32], ahs[20] = { 0 };
	int r;

	for (int i = 0; i < 16; i++)
		b[32 + i] = (uint8_t)i;
	assert_int_equal(iscsi_cdb_extract(b, NULL, 0, cdb, sizeof(cdb)), 16);
	assert_memory_equal(cdb, b + 32, 16);

	/* 32-byte CDB: AHSLength = 17 (reserved byte + 16 bytes), type 1 */
	iscsi_put16(ahs, 17);
	ahs[2] = ISCSI_AHS_EXT_CDB;
	for (int i = 0; i < 16; i++)
		ahs[4 + i] = (uint8_t)(16 + i);
	r = iscsi_cdb_extract(b, ahs, 20, cdb, sizeof(cdb));
	assert_int_equal(r, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(cdb[i], i);
}

static void test_cdb_bad_ahs(void **s)
{
	uint8_t b[48] = { 0 }, cdb[32], ahs[40] = { 0 };

	/* runs past the total */
	iscsi_put16(ahs, 30);
	ahs[2] = ISCSI_AHS_EXT_CDB;
	assert_int_equal(iscsi_cdb_extract(b, ahs, 8, cdb, sizeof(cdb)), -EINVAL);
	/* CDB longer than we can take */
	iscsi_put16(ahs, 33);
	assert_int_equal(iscsi_cdb_extract(b, ahs, 36, cdb, sizeof(cdb)), -EINVAL);
	/* unknown type */
	iscsi_put16(ahs, 1);
	ahs[2] = 9;
	assert_int_equal(iscsi_cdb_extract(b, ahs, 4, cdb, sizeof(cdb)), -EINVAL);
	/* zero length */
	iscsi_put16(ahs, 0);
	ahs[2] = ISCSI_AHS_EXT_CDB;
	assert_int_equal(iscsi_cdb_extract(b, ahs, 4, cdb, sizeof(cdb)), -EINVAL);
	/* two extended CDBs */
	iscsi_put16(ahs, 5);
	ahs[2] = ISCSI_AHS_EXT_CDB;
	iscsi_put16(ahs + 8, 5);
	ahs[10] = ISCSI_AHS_EXT_CDB;
	assert_int_equal(iscsi_cdb_extract(b, ahs, 16, cdb, sizeof(cdb)), -EINVAL);
	/* a bidi read length AHS is skipped */
	memset(ahs, 0, sizeof(ahs));
	iscsi_put16(ahs, 5);
	ahs[2] = ISCSI_AHS_BIDI_RLEN;
	assert_int_equal(iscsi_cdb_extract(b, ahs, 8, cdb, sizeof(cdb)), 16);
}

static void test_residual(void **s)
{
	uint32_t r;

	/* INQUIRY: 255 expected and asked, 36 returned */
	assert_int_equal(iscsi_residual(255, 255, 36, &r), ISCSI_RSP_UNDERFLOW);
	assert_int_equal(r, 219);
	/* CDB asks 4096, initiator expects 2048 */
	assert_int_equal(iscsi_residual(2048, 4096, 2048, &r), ISCSI_RSP_OVERFLOW);
	assert_int_equal(r, 2048);
	/* exact */
	assert_int_equal(iscsi_residual(4096, 4096, 4096, &r), 0);
	assert_int_equal(r, 0);
	/* failed before decoding: nothing moved */
	assert_int_equal(iscsi_residual(512, 0, 0, &r), ISCSI_RSP_UNDERFLOW);
	assert_int_equal(r, 512);
	assert_int_equal(iscsi_residual(0, 0, 0, &r), 0);
}

static void test_serial(void **s)
{
	assert_true(iscsi_sn_lt(1, 2));
	assert_false(iscsi_sn_lt(2, 2));
	assert_true(iscsi_sn_lt(0xfffffff0u, 5));  /* wraps */
	assert_false(iscsi_sn_lt(5, 0xfffffff0u));
	assert_true(iscsi_sn_le(7, 7));
	assert_int_equal(iscsi_pad4(0), 0);
	assert_int_equal(iscsi_pad4(1), 3);
	assert_int_equal(iscsi_pad4(4), 0);
	assert_int_equal(iscsi_pad4(6), 2);
}

static void test_byteorder(void **s)
{
	uint8_t b[8];

	iscsi_put64(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_true(iscsi_get64(b) == 0x0102030405060708ull);
	iscsi_put16(b, 0xabcd);
	assert_int_equal(iscsi_get16(b), 0xabcd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bhs_decode),
		cmocka_unit_test(test_cdb_plain_and_ext),
		cmocka_unit_test(test_cdb_bad_ahs),
		cmocka_unit_test(test_residual),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_byteorder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
