/* FC-GS CT_IU and the name-server payloads, SCR and RSCN
 * (procs/frontend-fc/fc_ct.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_ct.h"

static void test_ct_header(void **state)
{
	struct fc_ct_hdr h = { .gs_type = FC_GS_DIR, .gs_subtype = FC_GS_NAME, .cmd = CT_RFF_ID,
			       .max_size = 0x100 }, g;
	uint8_t pl[FC_RFF_ID_LEN], out[64];
	const uint8_t *p;
	size_t n;
	int len;

	assert_int_equal(fc_rff_id_encode(0x0e0102, FC_FF_TARGET, 0x08, pl), FC_RFF_ID_LEN);
	len = fc_ct_encode(&h, pl, sizeof(pl), out, sizeof(out));
	assert_int_equal(len, FC_CT_HDR_LEN + FC_RFF_ID_LEN);
	/* FC-GS-7 layout: revision 1, GS_Type 0xFC, subtype 0x02, code 0x021F */
	assert_int_equal(out[0], 1);
	assert_int_equal(out[4], 0xfc);
	assert_int_equal(out[5], 0x02);
	assert_int_equal(out[8], 0x02);
	assert_int_equal(out[9], 0x1f);
	assert_int_equal(fc_ct_decode(out, (size_t)len, &g, &p, &n), 0);
	assert_int_equal(g.cmd, CT_RFF_ID);
	assert_int_equal(g.max_size, 0x100);
	assert_int_equal(n, FC_RFF_ID_LEN);
	/* RFF_ID: port id, 2 reserved, features, type */
	assert_memory_equal(p, ((uint8_t[]){ 0, 0x0e, 0x01, 0x02, 0, 0, 0x01, 0x08 }), 8);
	assert_int_equal(fc_ct_encode(&h, pl, sizeof(pl), out, 20), -EMSGSIZE);
	assert_int_equal(fc_ct_decode(out, 15, &g, &p, &n), -EINVAL);
	out[0] = 2;
	assert_int_equal(fc_ct_decode(out, (size_t)len, &g, &p, &n), -EINVAL);
}

static void test_registrations(void **state)
{
	uint8_t b[FC_RSPN_ID_MAX];
	uint32_t id, types[8];
	uint8_t feat, type;
	size_t n;

	assert_int_equal(fc_rft_id_encode(0x0e0102, 0x08, b), FC_RFT_ID_LEN);
	assert_int_equal(fc_rft_id_decode(b, FC_RFT_ID_LEN, &id, types), 0);
	assert_int_equal(id, 0x0e0102);
	/* FCP (type 8) is bit 8 of the first word */
	assert_int_equal(types[0], 0x100);
	assert_int_equal(b[6], 0x01);
	assert_int_equal(fc_rft_id_decode(b, FC_RFT_ID_LEN - 1, &id, types), -EINVAL);
	assert_int_equal(fc_rff_id_encode(0x0e0102, FC_FF_TARGET, 0x08, b), FC_RFF_ID_LEN);
	assert_int_equal(fc_rff_id_decode(b, FC_RFF_ID_LEN, &id, &feat, &type), 0);
	assert_int_equal(feat, FC_FF_TARGET);
	assert_int_equal(type, 8);
	fc_rff_id_encode(0xfffffc, FC_FF_TARGET, 0x08, b);
	assert_int_equal(fc_rff_id_decode(b, FC_RFF_ID_LEN, &id, &feat, &type), -EINVAL);
	n = fc_rspn_id_encode(0x0e0102, "mtgt x", b);
	assert_int_equal(n % 4, 0);
	assert_int_equal(b[4], 6);
	assert_memory_equal(b + 5, "mtgt x", 6);
	assert_int_equal(fc_gpn_id_encode(0x0e0101, b), 4);
	assert_int_equal(fc_port_id_decode(b, 4, &id), 0);
	assert_int_equal(id, 0x0e0101);
	assert_int_equal(fc_port_id_decode(b, 3, &id), -EINVAL);
	assert_int_equal(fc_gid_ft_encode(0x08, b), 4);
	assert_int_equal(fc_gid_ft_decode(b, 4, &type), 0);
	assert_int_equal(type, 8);
}

static void test_gid_ft_accept(void **state)
{
	uint32_t ids[3] = { 0x0e0102, 0x0e0103, 0x0e0104 }, got[4];
	uint8_t b[64];
	size_t n = fc_gid_ft_acc_encode(ids, 3, b, sizeof(b));

	assert_int_equal(n, 12);
	assert_int_equal(b[8], 0x80);
	assert_int_equal(b[0], 0);
	assert_int_equal(fc_gid_ft_acc_decode(b, n, got, 4), 3);
	assert_int_equal(got[2], 0x0e0104);
	/* no entry with the last bit: refused */
	b[8] = 0;
	assert_int_equal(fc_gid_ft_acc_decode(b, n, got, 4), -EINVAL);
	/* at most max ids kept */
	b[8] = 0x80;
	assert_int_equal(fc_gid_ft_acc_decode(b, n, got, 2), 2);
	assert_int_equal(fc_gid_ft_acc_decode(b, 3, got, 2), -EINVAL);
}

static void test_scr_rscn(void **state)
{
	struct fc_rscn_page pg[2] = { { RSCN_PORT, 0x0e0101 }, { RSCN_DOMAIN, 0x0f0000 } }, got[4];
	uint8_t b[64], fn;
	size_t n;

	fc_scr_encode(FC_SCR_FULL, b);
	assert_int_equal(b[0], 0x62);
	assert_int_equal(fc_scr_decode(b, FC_SCR_LEN, &fn), 0);
	assert_int_equal(fn, 3);
	b[7] = 9;
	assert_int_equal(fc_scr_decode(b, FC_SCR_LEN, &fn), -EINVAL);
	n = fc_rscn_encode(pg, 2, b, sizeof(b));
	assert_int_equal(n, 12);
	assert_int_equal(b[0], 0x61);
	assert_int_equal(b[1], 4);
	assert_int_equal(fc_rscn_decode(b, n, got, 4), 2);
	assert_int_equal(got[0].id, 0x0e0101);
	assert_int_equal(got[1].fmt, RSCN_DOMAIN);
	assert_true(fc_rscn_match(&got[0], 0x0e0101));
	assert_false(fc_rscn_match(&got[0], 0x0e0102));
	assert_true(fc_rscn_match(&got[1], 0x0f1234));
	assert_false(fc_rscn_match(&got[1], 0x0e0101));
	assert_int_equal(fc_rscn_decode(b, n, got, 1), -EINVAL);
	/* a payload length beyond the frame, or not in whole pages */
	b[3] = 16;
	assert_int_equal(fc_rscn_decode(b, n, got, 4), -EINVAL);
	b[3] = 10;
	assert_int_equal(fc_rscn_decode(b, n, got, 4), -EINVAL);
	b[3] = 12;
	b[1] = 8;
	assert_int_equal(fc_rscn_decode(b, n, got, 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_header),
		cmocka_unit_test(test_registrations),
		cmocka_unit_test(test_gid_ft_accept),
		cmocka_unit_test(test_scr_rscn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
