/* Unit tests of the SRP IU decoder/encoder (procs/frontend-srp/srp_iu.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "procs/frontend-srp/srp_iu.h"

#define FMTS (SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT)

static void cmd_hdr(uint8_t *p, uint8_t fmt, uint8_t oc, uint8_t ic, uint8_t add)
{
	memset(p, 0, SRP_CMD_LEN);
	p[0] = SRP_OP_CMD;
	p[5] = fmt;
	p[6] = oc;
	p[7] = ic;
	srp_put_tag(p + 8, 0x1122334455667788ull);
	srp_put64(p + 20, 0x0001000000000000ull);
	p[29] = 2;
	p[31] = add;
	p[32] = 0x28;
}

static void test_login_forms(void **s)
{
	struct srp_login_req r = { .tag = 77, .it_iu_len = 8260, .buf_fmt = FMTS,
				   .flags = SRP_LOGIN_MULTI | SRP_LOGIN_IMMED_REQ, .imm_off = 68 };
	struct srp_login_req o;
	uint8_t b[64];

	for (int i = 0; i < 16; i++) {
		r.ini_port[i] = (uint8_t)i;
		r.tgt_port[i] = (uint8_t)(0xf0 + i);
	}
	for (int form = 0; form < 2; form++) {
		size_t n = srp_encode_login_req(b, &r, form);

		assert_int_equal(n, form ? 56 : 64);
		assert_int_equal(srp_decode_login(b, n, &o), 0);
		assert_int_equal(o.tag, 77);
		assert_int_equal(o.it_iu_len, 8260);
		assert_int_equal(o.buf_fmt, FMTS);
		assert_int_equal(o.flags, r.flags);
		assert_int_equal(o.imm_off, 68);
		assert_memory_equal(o.ini_port, r.ini_port, 16);
		assert_memory_equal(o.tgt_port, r.tgt_port, 16);
		/* shorter than either form: refused */
		assert_int_equal(srp_decode_login(b, 55, &o), -EINVAL);
	}
	memset(b, 0xff, sizeof(b));
	assert_int_equal(srp_decode_login(b, 64, &o), -EINVAL);
}

static void test_cmd_direct(void **s)
{
	uint8_t b[128];
	struct srp_cmd_iu c;
	struct srp_desc d = { 0x1000, 0xabc, 4096 }, g;

	cmd_hdr(b, SRP_DESC_DIRECT, 0, 1, 0);
	srp_desc_put(b + 48, &d);
	assert_int_equal(srp_decode_cmd(b, 64, FMTS, 0, &c), SRP_CMD_OK);
	assert_int_equal(c.in.fmt, SRP_DESC_DIRECT);
	assert_int_equal(c.in.total, 4096);
	assert_int_equal(c.lun, 0x0001000000000000ull);
	assert_int_equal(c.attr, 2);
	assert_int_equal(c.cdb_len, 16);
	assert_int_equal(c.cdb[0], 0x28);
	srp_desc_get(c.in.desc, &g);
	assert_int_equal(g.rkey, 0xabc);
	/* short IU, wrong count, format not negotiated */
	assert_int_equal(srp_decode_cmd(b, 63, FMTS, 0, &c), SRP_CMD_BAD_LEN);
	b[7] = 2;
	assert_int_equal(srp_decode_cmd(b, 64, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	b[7] = 1;
	assert_int_equal(srp_decode_cmd(b, 64, SRP_BUF_FMT_INDIRECT, 0, &c), SRP_CMD_BAD_DIN_FMT);
	b[5] = SRP_DESC_DIRECT << 4;
	b[6] = 1;
	b[7] = 0;
	assert_int_equal(srp_decode_cmd(b, 64, SRP_BUF_FMT_INDIRECT, 0, &c), SRP_CMD_BAD_DOUT_FMT);
	/* both directions */
	b[5] = SRP_DESC_DIRECT << 4 | SRP_DESC_DIRECT;
	b[7] = 1;
	assert_int_equal(srp_decode_cmd(b, 80, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	/* unknown format code, bad task attribute */
	b[5] = 0x07;
	b[6] = 0;
	assert_int_equal(srp_decode_cmd(b, 64, FMTS, 0, &c), SRP_CMD_BAD_DIN_FMT);
	b[5] = SRP_DESC_DIRECT;
	b[29] = 3;
	assert_int_equal(srp_decode_cmd(b, 64, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
}

static void test_cmd_add_cdb_and_indirect(void **s)
{
	uint8_t b[256];
	struct srp_cmd_iu c;
	struct srp_desc t = { 0x9000, 7, 48 }, d = { 0, 7, 1000 };

	/* 16 extra CDB bytes (4 dwords), indirect table of 3 in the IU */
	cmd_hdr(b, SRP_DESC_INDIRECT << 4, 3, 0, 16);
	srp_desc_put(b + 64, &t);
	srp_put32(b + 80, 3000);
	for (int i = 0; i < 3; i++) {
		d.va = 0x1000u * (unsigned)i;
		srp_desc_put(b + 84 + 16 * i, &d);
	}
	assert_int_equal(srp_decode_cmd(b, 132, FMTS, 0, &c), SRP_CMD_OK);
	assert_int_equal(c.cdb_len, 32);
	assert_int_equal(c.out.ndesc, 3);
	assert_false(c.out.fetch);
	assert_int_equal(c.out.total, 3000);
	/* total that does not match the descriptors */
	srp_put32(b + 80, 3001);
	assert_int_equal(srp_decode_cmd(b, 132, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	srp_put32(b + 80, 3000);
	/* only 1 of 3 in the IU: the rest is fetched */
	b[6] = 1;
	assert_int_equal(srp_decode_cmd(b, 100, FMTS, 0, &c), SRP_CMD_OK);
	assert_true(c.out.fetch);
	assert_int_equal(c.out.table.len, 48);
	/* table length not a multiple of 16, count above the table */
	t.len = 40;
	srp_desc_put(b + 64, &t);
	assert_int_equal(srp_decode_cmd(b, 100, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	t.len = 16;
	srp_desc_put(b + 64, &t);
	b[6] = 2;
	assert_int_equal(srp_decode_cmd(b, 132, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	/* a huge table */
	t.len = 16 * (SRP_MAX_DESC + 1);
	srp_desc_put(b + 64, &t);
	b[6] = 1;
	assert_int_equal(srp_decode_cmd(b, 132, FMTS, 0, &c), SRP_CMD_BAD_FIELD);
	/* additional CDB length beyond the IU */
	b[31] = 0xfc;
	assert_int_equal(srp_decode_cmd(b, 132, FMTS, 0, &c), SRP_CMD_BAD_LEN);
}

static void test_cmd_immediate(void **s)
{
	uint8_t b[256] = { 0 };
	struct srp_cmd_iu c;

	cmd_hdr(b, SRP_DESC_IMM << 4, 1, 0, 0);
	srp_put32(b + 48, 100);
	memset(b + 68, 0x5a, 100);
	assert_int_equal(srp_decode_cmd(b, 168, FMTS, 68, &c), SRP_CMD_OK);
	assert_int_equal(c.out.total, 100);
	assert_int_equal(c.out.imm_off, 68);
	/* not negotiated, data beyond the IU, data-in immediate */
	assert_int_equal(srp_decode_cmd(b, 168, FMTS, 0, &c), SRP_CMD_BAD_DOUT_FMT);
	assert_int_equal(srp_decode_cmd(b, 167, FMTS, 68, &c), SRP_CMD_BAD_LEN);
	b[5] = SRP_DESC_IMM;
	b[6] = 0;
	b[7] = 1;
	assert_int_equal(srp_decode_cmd(b, 168, FMTS, 68, &c), SRP_CMD_BAD_DIN_FMT);
	/* descriptor overlapping the data offset */
	cmd_hdr(b, SRP_DESC_IMM << 4, 1, 0, 0);
	srp_put32(b + 48, 10);
	assert_int_equal(srp_decode_cmd(b, 168, FMTS, 50, &c), SRP_CMD_BAD_FIELD);
}

static void test_rsp_residuals_sense(void **s)
{
	uint8_t b[512], sense[96];
	struct srp_rsp_info ri = { .tag = 5, .delta = 3, .status = 0, .dir = 1, .offered = 4096,
				   .cdb_xfer = 2048, .moved = 2048 };
	size_t n;

	n = srp_encode_rsp(b, 256, &ri);
	assert_int_equal(n, 36);
	assert_int_equal(b[0], SRP_OP_RSP);
	assert_int_equal(srp_get32(b + 4), 3);
	assert_int_equal(b[18], SRP_RSP_DIUNDER);
	assert_int_equal(srp_get32(b + 24), 2048);
	ri.cdb_xfer = 8192;
	ri.moved = 4096;
	srp_encode_rsp(b, 256, &ri);
	assert_int_equal(b[18], SRP_RSP_DIOVER);
	assert_int_equal(srp_get32(b + 24), 4096);
	ri.dir = 2;
	ri.cdb_xfer = 512;
	ri.moved = 512;
	srp_encode_rsp(b, 256, &ri);
	assert_int_equal(b[18], SRP_RSP_DOUNDER);
	assert_int_equal(srp_get32(b + 20), 3584);
	/* sense cut to max_ti_iu_len */
	memset(sense, 0x70, sizeof(sense));
	ri.status = 2;
	ri.sense = sense;
	ri.sense_len = 96;
	ri.dir = 0;
	n = srp_encode_rsp(b, 64, &ri);
	assert_int_equal(n, 64);
	assert_int_equal(srp_get32(b + 28), 28);
	assert_true(b[18] & SRP_RSP_SNSVALID);
	n = srp_encode_rsp(b, 512, &ri);
	assert_int_equal(n, 36 + 96);
}

static void test_tmf_and_others(void **s)
{
	uint8_t b[64] = { 0 };
	struct srp_tmf_iu t;
	uint8_t id[16];
	char str[35];

	b[0] = SRP_OP_TSK_MGMT;
	srp_put_tag(b + 8, 9);
	srp_put64(b + 20, 0x0002000000000000ull);
	b[30] = SRP_TMF_ABORT_TASK;
	srp_put_tag(b + 32, 4);
	assert_int_equal(srp_decode_tmf(b, 48, &t), 0);
	assert_int_equal(t.tag, 9);
	assert_int_equal(t.task_tag, 4);
	assert_int_equal(t.fn, SRP_TMF_ABORT_TASK);
	assert_int_equal(t.lun, 0x0002000000000000ull);
	assert_int_equal(srp_decode_tmf(b, 47, &t), -EINVAL);
	assert_int_equal(srp_iu_check(b, 47), -EINVAL);
	assert_int_equal(srp_iu_check(b, 48), SRP_OP_TSK_MGMT);
	assert_int_equal(srp_encode_tmf_rsp(b, 9, 1, SRP_RC_BAD_LUN), 40);
	assert_int_equal(b[18], SRP_RSP_RSPVALID);
	assert_int_equal(srp_get32(b + 32), 4);
	assert_int_equal(b[39], SRP_RC_BAD_LUN);
	assert_int_equal(srp_encode_login_rej(b, 1, SRP_REJ_UNABLE_ASSOCIATE, FMTS), 32);
	assert_int_equal(srp_get32(b + 4), 0x00010003);
	assert_int_equal(srp_encode_login_rsp(b, 1, 64, 8260, 256, FMTS, SRP_RSPF_MAINTAINED), 52);
	assert_int_equal(srp_get32(b + 16), 8260);
	assert_int_equal(b[26], SRP_RSPF_MAINTAINED);
	assert_int_equal(srp_encode_t_logout(b, SRP_TLO_BAD_IU_LEN), 16);
	assert_int_equal(srp_get32(b + 4), 8);
	assert_int_equal(srp_port_id_parse("0x00112233445566778899AABBCCDDEEFF", id), 0);
	srp_port_id_str(id, str);
	assert_string_equal(str, "0x00112233445566778899aabbccddeeff");
	assert_int_equal(srp_port_id_parse("0x0011", id), -EINVAL);
	assert_int_equal(srp_port_id_parse("0x0011223344556677889gaabbccddeeff", id), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_forms),
		cmocka_unit_test(test_cmd_direct),
		cmocka_unit_test(test_cmd_add_cdb_and_indirect),
		cmocka_unit_test(test_cmd_immediate),
		cmocka_unit_test(test_rsp_residuals_sense),
		cmocka_unit_test(test_tmf_and_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
