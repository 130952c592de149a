/* The software FCoE driver's receive path (procs/frontend-fc/fc_fcoe.c) on
 * a port without a socket: data-out placed at its relative offsets, a gap
 * or overrun ends the transfer with -EPROTO, aborts, spoofed source MACs,
 * bad CRCs, multi-frame unsolicited sequences, frames for other ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-fc/fc_fcoe.h"
#include "procs/frontend-fc/fc_fip.h"

#define OUR_ID  0x010a01u
#define PEER_ID 0x020b01u

struct events {
	int recv, done, gone;
	int status;
	struct fc_hdr h;
	uint32_t len;
};

static void cb_link(void *arg, bool up, uint32_t id, uint32_t maxp) { }
static void cb_recv(void *arg, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct events *e = arg;

	e->recv++;
	e->h = *h;
	e->len = len;
}
static void cb_done(void *arg, struct fc_xfer *t, int status)
{
	struct events *e = arg;

	e->done++;
	e->status = status;
}
static void cb_gone(void *arg, uint32_t peer)
{
	((struct events *)arg)->gone++;
}

static const struct fc_port_cb cb = { cb_link, cb_recv, cb_done, cb_gone };

/* An FCoE frame from PEER_ID (or another source MAC) to us. */
static size_t frame(uint8_t *out, uint8_t r_ctl, uint8_t type, uint32_t f_ctl, uint16_t ox,
		    uint16_t rx, uint32_t param, const uint8_t *pl, uint32_t len, bool spoof)
{
	struct fcoe_frame f = { .sof = FC_SOF_I3, .eof = FC_EOF_T };
	int n;

	fcoe_fpma(0x0efd00, OUR_ID, f.dst);
	fcoe_fpma(0x0efd00, spoof ? PEER_ID + 1 : PEER_ID, f.src);
	f.fh.r_ctl = r_ctl;
	f.fh.d_id = OUR_ID;
	f.fh.s_id = PEER_ID;
	f.fh.type = type;
	f.fh.f_ctl = f_ctl;
	f.fh.ox_id = ox;
	f.fh.rx_id = rx;
	f.fh.param = param;
	n = fcoe_encode(&f, pl, len, out, FCOE_MAX_FRAME);
	assert_true(n > 0);
	return (size_t)n;
}

static uint64_t stat(struct fc_port *p, const char *key)
{
	char buf[1024], k[64];
	const char *s;

	fc_fcoe_ops.stats(p, buf, sizeof(buf));
	snprintf(k, sizeof(k), "\"%s\":", key);
	s = strstr(buf, k);
	assert_non_null(s);
	return strtoull(s + strlen(k), NULL, 10);
}

static void post(struct fc_port *p, struct fc_xfer *t, uint8_t *buf, uint32_t len)
{
	memset(t, 0, sizeof(*t));
	t->x = (struct fc_xid){ .peer = PEER_ID, .ox_id = 0x100, .rx_id = 0x0010 };
	t->len = len;
	t->iov[0] = (struct fc_iov){ buf, len / 2 };
	t->iov[1] = (struct fc_iov){ buf + len / 2, len - len / 2 };
	t->niov = 2;
	assert_int_equal(fc_fcoe_ops.recv_data(p, t, false), 0);
}

static void test_data_out(void **state)
{
	struct events e = { 0 };
	struct fc_port *p = fc_fcoe_test_port(&cb, &e, 0x2000001b32aa0001ull, OUR_ID, 2158);
	static uint8_t src[5000], dst[5000], f[FCOE_MAX_FRAME];
	struct fc_xfer t;
	uint32_t off = 0;

	assert_non_null(p);
	for (uint32_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	post(p, &t, dst, sizeof(dst));
	while (off < sizeof(src)) {
		uint32_t n = sizeof(src) - off < 2112 ? sizeof(src) - off : 2112;

		fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF |
				       (off + n == sizeof(src) ? FC_FCTL_END_SEQ : 0), 0x100,
				       0x0010, off, src + off, n, false));
		off += n;
	}
	assert_int_equal(e.done, 1);
	assert_int_equal(e.status, 0);
	assert_memory_equal(src, dst, sizeof(src));
	/* a late repeat belongs to no transfer any more */
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF, 0x100, 0x0010,
			       0, src, 64, false));
	assert_int_equal(stat(p, "stray_data"), 1);

	/* a lost frame: the next offset does not continue the last */
	post(p, &t, dst, sizeof(dst));
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF, 0x100, 0x0010,
			       0, src, 2112, false));
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF, 0x100, 0x0010,
			       4224, src, 776, false));
	assert_int_equal(e.done, 2);
	assert_int_equal(e.status, -EPROTO);

	/* more than the burst */
	post(p, &t, dst, 1000);
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF, 0x100, 0x0010,
			       0, src, 1004, false));
	assert_int_equal(e.done, 3);
	assert_int_equal(e.status, -EPROTO);

	/* wrong OX_ID for the RX_ID, then an abort */
	post(p, &t, dst, 1000);
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, FC_FCTL_REL_OFF, 0x101, 0x0010,
			       0, src, 100, false));
	assert_int_equal(e.done, 3);
	fc_fcoe_ops.abort(p, &t.x);
	assert_int_equal(e.done, 4);
	assert_int_equal(e.status, -ECANCELED);
	/* a second post on a busy RX_ID is refused */
	post(p, &t, dst, 1000);
	{
		struct fc_xfer t2 = t;

		assert_int_equal(fc_fcoe_ops.recv_data(p, &t2, false), -EBUSY);
	}
	fc_fcoe_ops.close(p);
	assert_int_equal(e.status, -ENETDOWN);
}

static void test_unsolicited(void **state)
{
	struct events e = { 0 };
	struct fc_port *p = fc_fcoe_test_port(&cb, &e, 0x2000001b32aa0001ull, OUR_ID, 2158);
	static uint8_t f[FCOE_MAX_FRAME];
	uint8_t els[16] = { 0x03 };
	size_t n;

	fc_fcoe_rx(p, f, frame(f, FC_RCTL_ELS_REQ, FC_TYPE_ELS, FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT,
			       0x200, 0xffff, 0, els, sizeof(els), false));
	assert_int_equal(e.recv, 1);
	assert_int_equal(e.h.s_id, PEER_ID);
	assert_int_equal(e.h.ox_id, 0x200);
	assert_int_equal(e.len, sizeof(els));
	/* spoofed source MAC */
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_ELS_REQ, FC_TYPE_ELS, FC_FCTL_END_SEQ, 0x201, 0xffff, 0,
			       els, sizeof(els), true));
	assert_int_equal(e.recv, 1);
	assert_int_equal(stat(p, "not_ours"), 1);
	/* the first frame of a multi-frame unsolicited sequence */
	fc_fcoe_rx(p, f, frame(f, FC_RCTL_ELS_REQ, FC_TYPE_ELS, 0, 0x202, 0xffff, 0, els,
			       sizeof(els), false));
	assert_int_equal(e.recv, 1);
	assert_int_equal(stat(p, "unsolicited_drop"), 1);
	/* bad CRC, truncated, and another port's MAC */
	n = frame(f, FC_RCTL_ELS_REQ, FC_TYPE_ELS, FC_FCTL_END_SEQ, 0x203, 0xffff, 0, els,
		  sizeof(els), false);
	f[n - 6] ^= 1;
	fc_fcoe_rx(p, f, n);
	assert_int_equal(stat(p, "bad_crc"), 1);
	fc_fcoe_rx(p, f, 20);
	assert_int_equal(stat(p, "malformed"), 1);
	f[5] ^= 0x40;
	fc_fcoe_rx(p, f, n);
	assert_int_equal(stat(p, "not_ours"), 2);
	assert_int_equal(e.recv, 1);
	fc_fcoe_ops.close(p);
}

static size_t vn2vn(uint8_t *out, uint8_t sub, uint32_t id, uint64_t wwpn)
{
	static const uint8_t all[6] = { 0x01, 0x10, 0x18, 0x01, 0x00, 0x04 };
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 9 }, vn[6];
	struct fip_buf b;
	int n;

	fcoe_fpma(0x0efd00, id, vn);
	fip_begin(&b, out, 512, all, mac, 0, FIP_OP_VN2VN, sub, 0);
	fip_put_mac(&b, mac);
	fip_put_name(&b, wwpn + 1);
	fip_put_vn_id(&b, vn, id, wwpn);
	if (sub == 3) {
		fip_put_fc4f_fcp(&b, 2);
		fip_put_max_size(&b, 2158);
	}
	n = fip_end(&b);
	assert_true(n > 0);
	return (size_t)n;
}

/* VN2VN peers: learned from claims, refreshed by beacons, forgotten (and
 * reported gone) when beacons stop; a claim of our own id is a conflict. */
static void test_vn2vn_peers(void **state)
{
	struct events e = { 0 };
	struct fc_port *p = fc_fcoe_test_port(&cb, &e, 0x2000001b32aa0001ull, OUR_ID, 2158);
	uint8_t f[512];

	fc_fcoe_rx(p, f, vn2vn(f, 3, PEER_ID, 0x2100001b32bb0001ull));
	fc_fcoe_test_age(p, 15000);
	fc_fcoe_rx(p, f, vn2vn(f, 5, PEER_ID, 0x2100001b32bb0001ull)); /* beacon */
	fc_fcoe_test_age(p, 15000);
	fc_fcoe_ops.poll(p);
	assert_int_equal(e.gone, 0);
	fc_fcoe_test_age(p, 6000);
	fc_fcoe_ops.poll(p);
	assert_int_equal(e.gone, 1);
	/* someone else claims our id: counted, answered (probe reply) */
	fc_fcoe_rx(p, f, vn2vn(f, 3, OUR_ID, 0x2100001b32bb0002ull));
	assert_int_equal(stat(p, "id_conflicts"), 1);
	/* a claim of N_Port id 0 is malformed */
	fc_fcoe_rx(p, f, vn2vn(f, 3, 0, 0x2100001b32bb0003ull));
	assert_int_equal(stat(p, "malformed"), 1);
	assert_int_equal(e.gone, 1);
	fc_fcoe_ops.close(p);
}

static void test_mtu(void **state)
{
	struct events e = { 0 };
	struct fc_port *p = fc_fcoe_test_port(&cb, &e, 0x2000001b32aa0001ull, OUR_ID, 1500);

	/* 1500 - 46 = 1454, cut to whole words: data frames carry 1452 */
	assert_non_null(p);
	assert_int_equal(stat(p, "port_id"), OUR_ID);
	assert_int_equal(stat(p, "max_payload"), 1452);
	fc_fcoe_ops.close(p);
	p = fc_fcoe_test_port(&cb, &e, 0x2000001b32aa0001ull, OUR_ID, 9000);
	assert_int_equal(stat(p, "max_payload"), 2112);
	fc_fcoe_ops.close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_out),
		cmocka_unit_test(test_unsolicited),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_vn2vn_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
