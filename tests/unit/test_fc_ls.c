/* FC link service payloads and FCP IUs: field positions, round trips,
 * truncation and bad fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fcp.h"
#include "procs/frontend-fc/fc_frame.h"

static void test_sparm(void **st)
{
	struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .bb_credit = 3,
			       .features = FC_SP_FT_CIRO, .rx_size = 2112, .max_seq = 255,
			       .rel_off = 0x1f, .e_d_tov = 2000,
			       .port_name = 0x21000024ff000001ull, .node_name = 0x20000024ff000001ull,
			       .class3 = true, .c3_options = FC_CPSP_SEQ_DEL, .c3_rx_size = 2112,
			       .c3_conc_seq = 255, .c3_open_seq = 1 }, d;
	uint8_t b[FC_SPARM_LEN], cmd;

	(void)st;
	fc_sparm_encode(ELS_PLOGI, &sp, b);
	assert_int_equal(b[0], 0x03);
	assert_int_equal(b[10] << 8 | b[11], 2112);
	assert_int_equal(b[68], 0x88); /* class 3 valid + sequential delivery */
	assert_int_equal(fc_sparm_decode(b, sizeof(b), &cmd, &d), 0);
	assert_int_equal(cmd, ELS_PLOGI);
	assert_int_equal(d.port_name, sp.port_name);
	assert_int_equal(d.node_name, sp.node_name);
	assert_int_equal(d.rx_size, 2112);
	assert_true(d.class3);
	assert_int_equal(d.c3_rx_size, 2112);
	assert_int_equal(d.e_d_tov, 2000);
	assert_int_equal(fc_sparm_decode(b, 83, &cmd, &d), -EINVAL);
}

static void test_prli(void **st)
{
	struct fc_prli_page pg = { .type = FC_TYPE_FCP, .flags = FCP_SPPF_EST_IMAGE,
				   .sparams = FCP_SPP_INIT_FCN | FCP_SPP_RD_XRDY_DIS }, d;
	uint8_t b[FC_PRLI_LEN], cmd, big[36];

	(void)st;
	fc_prli_encode(ELS_PRLI, &pg, b);
	assert_int_equal(b[1], 16);
	assert_int_equal(b[3], 20);
	assert_int_equal(fc_prli_decode(b, sizeof(b), &cmd, &d), 0);
	assert_int_equal(cmd, ELS_PRLI);
	assert_int_equal(d.type, FC_TYPE_FCP);
	assert_int_equal(d.flags, FCP_SPPF_EST_IMAGE);
	assert_int_equal(d.sparams, FCP_SPP_INIT_FCN | FCP_SPP_RD_XRDY_DIS);
	/* response code in bits 11..8 */
	pg.flags = FCP_SPPF_EST_IMAGE | PRLI_RESP_ACCEPT << 8;
	fc_prli_encode(ELS_LS_ACC, &pg, b);
	assert_int_equal(b[6], 0x21);
	/* bad page length, payload length past the frame, two pages */
	fc_prli_encode(ELS_PRLI, &pg, b);
	b[1] = 20;
	assert_int_equal(fc_prli_decode(b, sizeof(b), &cmd, &d), -EINVAL);
	fc_prli_encode(ELS_PRLI, &pg, b);
	b[3] = 36;
	assert_int_equal(fc_prli_decode(b, sizeof(b), &cmd, &d), -EINVAL);
	memset(big, 0, sizeof(big));
	memcpy(big, b, sizeof(b));
	assert_int_equal(fc_prli_decode(big, sizeof(big), &cmd, &d), -EOPNOTSUPP);
	assert_int_equal(fc_prli_decode(b, 19, &cmd, &d), -EINVAL);
}

static void test_logo_adisc_rrq_rjt(void **st)
{
	uint8_t b[32], cmd;
	uint32_t id, sid;
	uint64_t name;
	uint16_t ox, rx;
	struct fc_adisc a = { .hard_addr = 0, .port_name = 1, .node_name = 2,
			      .nport_id = 0x010203 }, ad;

	(void)st;
	fc_logo_encode(0x0a0b0c, 0x1122334455667788ull, b);
	assert_int_equal(fc_logo_decode(b, FC_LOGO_LEN, &id, &name), 0);
	assert_int_equal(id, 0x0a0b0c);
	assert_int_equal(name, 0x1122334455667788ull);
	assert_int_equal(fc_logo_decode(b, FC_LOGO_LEN - 1, &id, &name), -EINVAL);
	fc_adisc_encode(ELS_ADISC, &a, b);
	assert_int_equal(fc_adisc_decode(b, FC_ADISC_LEN, &cmd, &ad), 0);
	assert_int_equal(ad.nport_id, 0x010203);
	assert_int_equal(ad.node_name, 2);
	assert_int_equal(fc_adisc_decode(b, 27, &cmd, &ad), -EINVAL);
	memset(b, 0, sizeof(b));
	b[0] = ELS_RRQ;
	b[5] = 1; b[6] = 2; b[7] = 3;
	b[8] = 0x12; b[9] = 0x34; b[10] = 0xff; b[11] = 0xff;
	assert_int_equal(fc_rrq_decode(b, FC_RRQ_LEN, &sid, &ox, &rx), 0);
	assert_int_equal(sid, 0x010203);
	assert_int_equal(ox, 0x1234);
	assert_int_equal(rx, 0xffff);
	fc_ls_rjt_encode(LS_RJT_UNABLE, LS_EXPL_NO_LOGIN, b);
	assert_int_equal(b[0], 0x01);
	assert_int_equal(b[5], 0x09);
	assert_int_equal(b[6], 0x1e);
	fc_ba_acc_encode(0x1234, 0x0042, b);
	assert_int_equal(b[4] << 8 | b[5], 0x1234);
	assert_int_equal(b[6] << 8 | b[7], 0x0042);
	fc_ba_rjt_encode(BA_RJT_LOGICAL_ERR, BA_RJT_EXPL_INV_OXRX, b);
	assert_int_equal(b[1], 3);
	assert_int_equal(b[2], 3);
}

static void test_fcp_cmnd(void **st)
{
	struct fcp_cmnd c = { .lun = 0x0001000000000000ull, .attr = FCP_ATTR_ORDERED,
			      .rd = true, .cdb_len = 16, .dl = 65536 }, d;
	uint8_t b[300];
	int n;

	(void)st;
	c.cdb[0] = 0x88;
	n = fcp_cmnd_encode(&c, b, sizeof(b));
	assert_int_equal(n, 32);
	assert_int_equal(fcp_cmnd_decode(b, (size_t)n, &d), 0);
	assert_int_equal(d.lun, c.lun);
	assert_int_equal(d.attr, FCP_ATTR_ORDERED);
	assert_true(d.rd);
	assert_false(d.wr);
	assert_int_equal(d.cdb[0], 0x88);
	assert_int_equal(d.cdb_len, 16);
	assert_int_equal(d.dl, 65536);
	/* a 32-byte CDB (additional CDB length 4 words) and bidirectional */
	c.cdb_len = 32;
	c.cdb[0] = 0x7f;
	c.cdb[31] = 0xee;
	c.wr = true;
	c.bidi_read_dl = 512;
	n = fcp_cmnd_encode(&c, b, sizeof(b));
	assert_int_equal(n, 32 + 16 + 4);
	assert_int_equal(fcp_cmnd_decode(b, (size_t)n, &d), 0);
	assert_int_equal(d.cdb_len, 32);
	assert_int_equal(d.cdb[31], 0xee);
	assert_int_equal(d.bidi_read_dl, 512);
	/* too short for the additional CDB it announces */
	assert_int_equal(fcp_cmnd_decode(b, (size_t)n - 1, &d), -EINVAL);
	assert_int_equal(fcp_cmnd_decode(b, 31, &d), -EINVAL);
	/* reserved task attribute */
	c.cdb_len = 16;
	c.wr = false;
	n = fcp_cmnd_encode(&c, b, sizeof(b));
	b[9] = 3;
	assert_int_equal(fcp_cmnd_decode(b, (size_t)n, &d), -EINVAL);
	/* TMF: alone, no data */
	memset(b, 0, 32);
	b[10] = FCP_TMF_LUN_RESET;
	assert_int_equal(fcp_cmnd_decode(b, 32, &d), 0);
	assert_int_equal(d.tmf, FCP_TMF_LUN_RESET);
	b[10] = FCP_TMF_LUN_RESET | FCP_TMF_CLEAR_TASK_SET;
	assert_int_equal(fcp_cmnd_decode(b, 32, &d), -EINVAL);
	b[10] = FCP_TMF_ABORT_TASK_SET;
	b[11] = 0x02;
	assert_int_equal(fcp_cmnd_decode(b, 32, &d), -EINVAL);
}

static void test_fcp_rsp(void **st)
{
	uint8_t sense[96], b[200];
	struct fcp_rsp r = { .status = 0x02, .flags = FCP_RESID_UNDER, .resid = 4096 }, d;
	int n;

	(void)st;
	for (unsigned i = 0; i < sizeof(sense); i++)
		sense[i] = (uint8_t)i;
	r.sense = sense;
	r.sense_len = 18;
	n = fcp_rsp_encode(&r, b, sizeof(b));
	assert_int_equal(n, 24 + 18);
	assert_int_equal(b[10], FCP_RESID_UNDER | FCP_SNS_LEN_VALID);
	assert_int_equal(b[11], 0x02);
	assert_int_equal(fcp_rsp_decode(b, (size_t)n, &d), 0);
	assert_int_equal(d.resid, 4096);
	assert_int_equal(d.sense_len, 18);
	assert_memory_equal(d.sense, sense, 18);
	/* sense cut to the initiator's receive size, never the header */
	r.sense_len = 96;
	n = fcp_rsp_encode(&r, b, 64);
	assert_int_equal(n, 64);
	assert_int_equal(fcp_rsp_decode(b, (size_t)n, &d), 0);
	assert_int_equal(d.sense_len, 40);
	assert_int_equal(fcp_rsp_encode(&r, b, 20), -EMSGSIZE);
	/* TMF answer: response info, no sense, no residual */
	memset(&r, 0, sizeof(r));
	r.has_rsp_code = true;
	r.rsp_code = FCP_RSP_TMF_SUCCEEDED;
	n = fcp_rsp_encode(&r, b, sizeof(b));
	assert_int_equal(n, 28);
	assert_int_equal(fcp_rsp_decode(b, (size_t)n, &d), 0);
	assert_true(d.has_rsp_code);
	assert_int_equal(d.rsp_code, 8);
	/* lengths past the IU */
	b[23] = 200;
	assert_int_equal(fcp_rsp_decode(b, (size_t)n, &d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparm),
		cmocka_unit_test(test_prli),
		cmocka_unit_test(test_logo_adisc_rrq_rjt),
		cmocka_unit_test(test_fcp_cmnd),
		cmocka_unit_test(test_fcp_rsp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
