/* FC frame headers, FCoE encapsulation and FIP: round trips, the CRC against
 * the standard check value, and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/frontend-fc/fc_fip.h"
#include "procs/frontend-fc/fc_frame.h"

static const uint8_t mac_a[6] = { 0x0e, 0xfc, 0x00, 0x01, 0x02, 0x03 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };

static void test_crc_check_value(void **st)
{
	(void)st;
	/* CRC-32 (IEEE 802.3, which FC uses) of "123456789" */
	assert_int_equal(fc_crc((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

static void test_hdr_round_trip(void **st)
{
	struct fc_hdr h = { .r_ctl = FC_RCTL_DD_UNSOL_CMD, .d_id = 0x010203, .s_id = 0xfffffe,
			    .type = FC_TYPE_FCP, .f_ctl = FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ |
			    FC_FCTL_SEQ_INIT, .seq_id = 7, .seq_cnt = 0x1234, .ox_id = 0xabcd,
			    .rx_id = FC_XID_UNKNOWN, .param = 0xdeadbeef }, d;
	uint8_t b[FC_HDR_LEN];

	(void)st;
	fc_hdr_encode(&h, b);
	assert_int_equal(b[0], 0x06);
	assert_int_equal(b[8], 0x08);
	assert_int_equal(fc_hdr_decode(b, &d), 0);
	assert_int_equal(d.r_ctl, h.r_ctl);
	assert_int_equal(d.d_id, h.d_id);
	assert_int_equal(d.s_id, h.s_id);
	assert_int_equal(d.type, h.type);
	assert_int_equal(d.f_ctl, h.f_ctl);
	assert_int_equal(d.seq_id, h.seq_id);
	assert_int_equal(d.seq_cnt, h.seq_cnt);
	assert_int_equal(d.ox_id, h.ox_id);
	assert_int_equal(d.rx_id, h.rx_id);
	assert_int_equal(d.param, h.param);
	b[13] = 0x40; /* an optional header we do not accept */
	assert_int_equal(fc_hdr_decode(b, &d), -EINVAL);
}

static void test_fcoe_round_trip(void **st)
{
	uint8_t payload[FC_MAX_PAYLOAD], frame[FCOE_MAX_FRAME];
	struct fcoe_frame f = { .sof = FC_SOF_I3, .eof = FC_EOF_T }, d;
	int n;

	(void)st;
	memcpy(f.dst, mac_a, 6);
	memcpy(f.src, mac_b, 6);
	f.fh.r_ctl = FC_RCTL_DD_SOL_DATA;
	f.fh.type = FC_TYPE_FCP;
	f.fh.f_ctl = FC_FCTL_EX_CTX | FC_FCTL_REL_OFF;
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	/* every length class: empty, unaligned (fill bytes), full 2112 */
	for (uint32_t len = 0; len <= FC_MAX_PAYLOAD; len += (len < 8 ? 1 : 523)) {
		n = fcoe_encode(&f, payload, len, frame, sizeof(frame));
		assert_true(n >= 60);
		assert_int_equal(n, 14 + 14 + 24 + ((len + 3) & ~3u) + 4 + 4);
		assert_int_equal(fcoe_decode(frame, (size_t)n, &d), 0);
		assert_int_equal(d.payload_len, len);
		assert_memory_equal(d.payload, payload, len);
		assert_int_equal(d.sof, FC_SOF_I3);
		assert_int_equal(d.eof, FC_EOF_T);
		assert_int_equal(d.fh.f_ctl & ~FC_FCTL_FILL_MASK, f.fh.f_ctl);
	}
	n = fcoe_encode(&f, payload, FC_MAX_PAYLOAD, frame, sizeof(frame));
	assert_int_equal(n, 14 + FCOE_MAX_ETH_PAYLOAD);
	assert_int_equal(fcoe_encode(&f, payload, FC_MAX_PAYLOAD + 4, frame, sizeof(frame)),
			 -EMSGSIZE);
	assert_int_equal(fcoe_encode(&f, payload, 100, frame, 60), -EMSGSIZE);
}

static void test_fcoe_vlan_and_errors(void **st)
{
	uint8_t frame[FCOE_MAX_FRAME], bad[FCOE_MAX_FRAME];
	struct fcoe_frame f = { .sof = FC_SOF_N3, .eof = FC_EOF_N, .vlan = 1002 }, d;
	const uint8_t data[5] = { 1, 2, 3, 4, 5 };
	int n;

	(void)st;
	f.fh.r_ctl = FC_RCTL_ELS_REQ;
	f.fh.type = FC_TYPE_ELS;
	n = fcoe_encode(&f, data, sizeof(data), frame, sizeof(frame));
	assert_true(n > 0);
	assert_int_equal(frame[12], 0x81);
	assert_int_equal(fcoe_decode(frame, (size_t)n, &d), 0);
	assert_int_equal(d.vlan, 1002);
	assert_int_equal(d.payload_len, 5);
	/* a flipped bit anywhere in the FC frame: bad CRC */
	for (int i = 18 + 14; i < n - 4; i += 7) {
		memcpy(bad, frame, (size_t)n);
		bad[i] ^= 0x10;
		assert_int_equal(fcoe_decode(bad, (size_t)n, &d), -EBADMSG);
	}
	memcpy(bad, frame, (size_t)n);
	bad[n - 4] = 0x77; /* not an EOF code */
	assert_int_equal(fcoe_decode(bad, (size_t)n, &d), -EINVAL);
	memcpy(bad, frame, (size_t)n);
	bad[18 + 13] = 0x99; /* not an SOF code */
	assert_int_equal(fcoe_decode(bad, (size_t)n, &d), -EINVAL);
	memcpy(bad, frame, (size_t)n);
	bad[18] = 0x10; /* FCoE version 1 */
	assert_int_equal(fcoe_decode(bad, (size_t)n, &d), -EINVAL);
	memcpy(bad, frame, (size_t)n);
	bad[17] = 0x00; /* another ethertype */
	assert_int_equal(fcoe_decode(bad, (size_t)n, &d), -EPROTONOSUPPORT);
	/* every truncation is refused, none is read past */
	for (int len = 0; len < n; len++)
		assert_true(fcoe_decode(frame, (size_t)len, &d) < 0);
}

static void test_fip_vlan_notification(void **st)
{
	uint8_t out[256];
	struct fip_buf b;
	struct fip_msg m;
	int n;

	(void)st;
	fip_begin(&b, out, sizeof(out), mac_b, mac_a, 0, FIP_OP_VLAN, 2, 0);
	fip_put_mac(&b, mac_a);
	fip_put_vlan(&b, 1002);
	fip_put_vlan(&b, 7);
	n = fip_end(&b);
	assert_int_equal(n, 60); /* 14 + 10 + 8 + 4 + 4 = 40, padded */
	assert_int_equal(fip_parse(out, (size_t)n, &m), 0);
	assert_int_equal(m.op, FIP_OP_VLAN);
	assert_int_equal(m.subcode, 2);
	assert_true(FIP_HAS(&m, FIP_DT_MAC));
	assert_memory_equal(m.mac, mac_a, 6);
	assert_int_equal(m.nvlans, 2);
	assert_int_equal(m.vlans[0], 1002);
	assert_int_equal(m.vlans[1], 7);
}

static void test_fip_advertisement_and_flogi(void **st)
{
	uint8_t out[512], els[FC_HDR_LEN + 116];
	struct fip_buf b;
	struct fip_msg m;
	int n;

	(void)st;
	fip_begin(&b, out, sizeof(out), mac_b, mac_a, 0, FIP_OP_DISC, 2,
		  FIP_FL_FPMA | FIP_FL_AVAIL | FIP_FL_SOL | FIP_FL_FPORT);
	fip_put_priority(&b, 128);
	fip_put_mac(&b, mac_a);
	fip_put_name(&b, 0x2000001122334455ull);
	fip_put_fabric(&b, 0, FCOE_DEFAULT_FC_MAP, 0x1000001122334455ull);
	fip_put_fka(&b, 8000, false);
	n = fip_end(&b);
	assert_true(n > 0);
	assert_int_equal(fip_parse(out, (size_t)n, &m), 0);
	assert_int_equal(m.flags, FIP_FL_FPMA | FIP_FL_AVAIL | FIP_FL_SOL | FIP_FL_FPORT);
	assert_int_equal(m.priority, 128);
	assert_int_equal(m.name, 0x2000001122334455ull);
	assert_int_equal(m.fc_map, FCOE_DEFAULT_FC_MAP);
	assert_int_equal(m.fabric_name, 0x1000001122334455ull);
	assert_int_equal(m.fka_period_ms, 8000);

	memset(els, 0x5a, sizeof(els));
	fip_begin(&b, out, sizeof(out), mac_a, mac_b, 0, FIP_OP_LS, 1, FIP_FL_FPMA);
	fip_put_els(&b, FIP_DT_FLOGI, els, sizeof(els));
	fip_put_mac(&b, mac_b);
	n = fip_end(&b);
	assert_true(n > 0);
	assert_int_equal(fip_parse(out, (size_t)n, &m), 0);
	assert_int_equal(m.els_desc, FIP_DT_FLOGI);
	assert_int_equal(m.els_len, sizeof(els));
	assert_memory_equal(m.els, els, sizeof(els));
	/* overflow is reported, not written past */
	fip_begin(&b, out, 40, mac_a, mac_b, 0, FIP_OP_LS, 1, 0);
	fip_put_els(&b, FIP_DT_FLOGI, els, sizeof(els));
	assert_int_equal(fip_end(&b), -EMSGSIZE);
}

static void test_fip_hostile(void **st)
{
	uint8_t out[128], bad[128];
	struct fip_buf b;
	struct fip_msg m;
	int n;

	(void)st;
	fip_begin(&b, out, sizeof(out), mac_b, mac_a, 0, FIP_OP_DISC, 1, FIP_FL_FPMA);
	fip_put_mac(&b, mac_a);
	fip_put_name(&b, 1);
	fip_put_max_size(&b, 2158);
	n = fip_end(&b);
	assert_int_equal(fip_parse(out, (size_t)n, &m), 0);
	assert_int_equal(m.max_fcoe_size, 2158);
	/* descriptor length 0: would loop forever if accepted */
	memcpy(bad, out, (size_t)n);
	bad[25] = 0;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), -EINVAL);
	/* a MAC descriptor of the wrong size */
	memcpy(bad, out, (size_t)n);
	bad[25] = 3;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), -EINVAL);
	/* list length beyond the frame */
	memcpy(bad, out, (size_t)n);
	bad[21] = 200;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), -EINVAL);
	/* an unknown critical descriptor (type < 128) */
	memcpy(bad, out, (size_t)n);
	bad[24] = 99;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), -EINVAL);
	/* an unknown non-critical one is skipped */
	memcpy(bad, out, (size_t)n);
	bad[24] = 200;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), 0);
	assert_false(FIP_HAS(&m, FIP_DT_MAC));
	/* wrong version */
	memcpy(bad, out, (size_t)n);
	bad[14] = 0x20;
	assert_int_equal(fip_parse(bad, (size_t)n, &m), -EINVAL);
	for (int len = 0; len < 34; len++)
		assert_true(fip_parse(out, (size_t)len, &m) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_check_value),
		cmocka_unit_test(test_hdr_round_trip),
		cmocka_unit_test(test_fcoe_round_trip),
		cmocka_unit_test(test_fcoe_vlan_and_errors),
		cmocka_unit_test(test_fip_vlan_notification),
		cmocka_unit_test(test_fip_advertisement_and_flogi),
		cmocka_unit_test(test_fip_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
