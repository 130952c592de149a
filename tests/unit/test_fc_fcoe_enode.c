/* The software FCoE driver in fabric mode (procs/frontend-fc/fc_fcoe_enode.c)
 * on a port without a socket: what it sends is captured, FIP frames from
 * FCFs are fed in, and time is aged instead of waited for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fcoe.h"
#include "procs/frontend-fc/fc_fip.h"

#define WWPN  0x2000001b32aa0001ull
#define MAP   0x0efc00u
#define NPORT 0x0e0102u

static const uint8_t fcf_mac[6] = { 0x02, 0xfc, 0xf0, 0, 0, 0x10 };
static const uint8_t busy_mac[6] = { 0x02, 0xfc, 0xf0, 0, 0, 0x11 };
static const uint8_t map_mac[6] = { 0x02, 0xfc, 0xf0, 0, 0, 0x12 };
static const uint8_t worse_mac[6] = { 0x02, 0xfc, 0xf0, 0, 0, 0x13 };
static const uint8_t enode_mac[6] = { 0x02, 0, 0, 0, 0, 1 }; /* fc_fcoe_test_port's */

struct ev {
	int ups, downs;
	uint32_t id;
	/* the last frame sent */
	uint8_t tx[2300];
	size_t tx_len;
	int ntx;
};

static void cb_link(void *arg, bool up, uint32_t id, uint32_t maxp)
{
	struct ev *e = arg;

	if (up) {
		e->ups++;
		e->id = id;
	} else {
		e->downs++;
	}
}
static void cb_recv(void *arg, const struct fc_hdr *h, const uint8_t *pl, uint32_t len) { }
static void cb_done(void *arg, struct fc_xfer *t, int status) { }
static void cb_gone(void *arg, uint32_t peer) { }
static const struct fc_port_cb cb = { cb_link, cb_recv, cb_done, cb_gone };

static void tx(void *arg, const uint8_t *f, size_t len)
{
	struct ev *e = arg;

	assert_true(len <= sizeof(e->tx));
	memcpy(e->tx, f, len);
	e->tx_len = len;
	e->ntx++;
}

static void last_fip_from(struct ev *e, struct fip_msg *m, uint16_t op, uint8_t sub,
			  const uint8_t *src)
{
	assert_int_equal(fip_parse(e->tx, e->tx_len, m), 0);
	assert_int_equal(m->op, op);
	assert_int_equal(m->subcode, sub);
	assert_memory_equal(m->src, src, 6);
}

static void last_fip(struct ev *e, struct fip_msg *m, uint16_t op, uint8_t sub)
{
	last_fip_from(e, m, op, sub, enode_mac);
}

static void advert(struct fc_port *p, const uint8_t *mac, uint8_t prio, uint32_t map, bool avail)
{
	uint8_t out[256];
	struct fip_buf b;

	fip_begin(&b, out, sizeof(out), enode_mac, mac, 0, FIP_OP_DISC, 2,
		  FIP_FL_FPORT | FIP_FL_FPMA | FIP_FL_SOL | (avail ? FIP_FL_AVAIL : 0));
	fip_put_priority(&b, prio);
	fip_put_mac(&b, mac);
	fip_put_name(&b, 0x1000000000000001ull);
	fip_put_fabric(&b, 0, map, 0x2000000000000001ull);
	fip_put_fka(&b, 1000, false);
	fc_fcoe_rx(p, out, (size_t)fip_end(&b));
}

/* The FCF's answer to FLOGI ox: LS_ACC (F_Port unless not_fport) giving
 * NPORT and the MAC gmac. */
static void flogi_acc(struct fc_port *p, uint16_t ox, const uint8_t *gmac, bool not_fport)
{
	struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .rx_size = 2048, .class3 = true,
			       .port_name = 1, .node_name = 2,
			       .features = not_fport ? 0 : FC_SP_FT_FPORT };
	struct fc_hdr h = { .r_ctl = FC_RCTL_ELS_REP, .d_id = NPORT, .s_id = 0xfffffe,
			    .type = FC_TYPE_ELS, .ox_id = ox, .rx_id = 9,
			    .f_ctl = FC_FCTL_EX_CTX | FC_FCTL_LAST_SEQ | FC_FCTL_END_SEQ };
	uint8_t frame[FC_HDR_LEN + FC_SPARM_LEN], out[300];
	struct fip_buf b;

	fc_hdr_encode(&h, frame);
	fc_sparm_encode(ELS_LS_ACC, &sp, frame + FC_HDR_LEN);
	fip_begin(&b, out, sizeof(out), enode_mac, fcf_mac, 0, FIP_OP_LS, 2, FIP_FL_FPMA);
	fip_put_els(&b, FIP_DT_FLOGI, frame, sizeof(frame));
	fip_put_mac(&b, gmac);
	fc_fcoe_rx(p, out, (size_t)fip_end(&b));
}

/* Discovery up to the FIP FLOGI; returns its OX_ID. */
static uint16_t to_flogi(struct fc_port *p, struct ev *e)
{
	struct fip_msg m;
	struct fc_hdr h;
	static const uint8_t zero[6];

	last_fip(e, &m, FIP_OP_DISC, 1);
	assert_true(m.flags & FIP_FL_FPMA);
	assert_true(FIP_HAS(&m, FIP_DT_MAC) && FIP_HAS(&m, FIP_DT_NAME) &&
		    FIP_HAS(&m, FIP_DT_FCOE_SIZE));
	assert_int_equal(m.max_fcoe_size, 2158);
	/* better priorities, but busy / another FC-MAP; a worse one */
	advert(p, busy_mac, 1, MAP, false);
	advert(p, map_mac, 2, MAP + 1, true);
	advert(p, worse_mac, 200, MAP, true);
	advert(p, fcf_mac, 100, MAP, true);
	fc_fcoe_test_age(p, 1000);
	fc_fcoe_ops.poll(p);
	last_fip(e, &m, FIP_OP_LS, 1);
	assert_memory_equal(m.dst, fcf_mac, 6);
	assert_int_equal(m.els_desc, FIP_DT_FLOGI);
	assert_true(FIP_HAS(&m, FIP_DT_MAC));
	assert_memory_equal(m.mac, zero, 6); /* FPMA: the FCF chooses */
	assert_int_equal(fc_hdr_decode(m.els, &h), 0);
	assert_int_equal(h.d_id, 0xfffffe);
	assert_int_equal(m.els[FC_HDR_LEN], ELS_FLOGI);
	return h.ox_id;
}

static void test_discovery_and_login(void **state)
{
	struct ev e = { 0 };
	struct fc_port *p = fc_fcoe_test_fabric_port(&cb, &e, WWPN, MAP, tx);
	uint8_t fpma[6];
	uint16_t ox = to_flogi(p, &e);

	fcoe_fpma(MAP, NPORT, fpma);
	flogi_acc(p, (uint16_t)(ox + 1), fpma, false); /* an older exchange: ignored */
	assert_int_equal(e.ups, 0);
	flogi_acc(p, ox, fpma, false);
	assert_int_equal(e.ups, 1);
	assert_int_equal(e.id, NPORT);
	assert_true(fc_fcoe_ops.fabric(p));
	fc_fcoe_ops.close(p);
	/* close sent FIP LOGO of the VN_Port */
	{
		struct fip_msg m;
		struct fc_hdr h;

		last_fip(&e, &m, FIP_OP_LS, 1);
		assert_int_equal(m.els_desc, FIP_DT_LOGO);
		assert_int_equal(fc_hdr_decode(m.els, &h), 0);
		assert_int_equal(h.s_id, NPORT);
		assert_memory_equal(m.mac, fpma, 6);
	}
}

static void test_bad_flogi_acc(void **state)
{
	struct ev e = { 0 };
	struct fc_port *p = fc_fcoe_test_fabric_port(&cb, &e, WWPN, MAP, tx);
	uint8_t fpma[6];
	uint16_t ox = to_flogi(p, &e);

	/* a MAC that is not the FPMA of the N_Port id: refused */
	flogi_acc(p, ox, enode_mac, false);
	assert_int_equal(e.ups, 0);
	/* starts over after a second, and this time no F_Port bit */
	fc_fcoe_test_age(p, 1000);
	fc_fcoe_ops.poll(p);
	ox = to_flogi(p, &e);
	fcoe_fpma(MAP, NPORT, fpma);
	flogi_acc(p, ox, fpma, true);
	assert_int_equal(e.ups, 0);
	assert_false(fc_fcoe_ops.fabric(p));
	fc_fcoe_ops.close(p);
}

static void cvl(struct fc_port *p, const uint8_t *from, uint32_t id)
{
	uint8_t out[128], vn[6];
	struct fip_buf b;

	fcoe_fpma(MAP, id, vn);
	fip_begin(&b, out, sizeof(out), enode_mac, from, 0, FIP_OP_CTRL, 2, 0);
	fip_put_mac(&b, from);
	fip_put_name(&b, 0x1000000000000001ull);
	fip_put_vn_id(&b, vn, id, WWPN);
	fc_fcoe_rx(p, out, (size_t)fip_end(&b));
}

static struct fc_port *logged_in(struct ev *e)
{
	struct fc_port *p = fc_fcoe_test_fabric_port(&cb, e, WWPN, MAP, tx);
	uint8_t fpma[6];
	uint16_t ox = to_flogi(p, e);

	fcoe_fpma(MAP, NPORT, fpma);
	flogi_acc(p, ox, fpma, false);
	assert_int_equal(e->ups, 1);
	return p;
}

static void test_keep_alive_and_cvl(void **state)
{
	struct ev e = { 0 };
	struct fc_port *p = logged_in(&e);
	struct fip_msg m;
	int n;

	/* ENode keep-alive after FKA_ADV_PERIOD, advertisements keep it up */
	advert(p, fcf_mac, 100, MAP, true);
	fc_fcoe_test_age(p, 1000);
	advert(p, fcf_mac, 100, MAP, true);
	fc_fcoe_ops.poll(p);
	last_fip(&e, &m, FIP_OP_CTRL, 1);
	assert_memory_equal(m.dst, fcf_mac, 6);
	assert_false(FIP_HAS(&m, FIP_DT_VN_ID));
	/* VN_Port keep-alive after 90 s */
	fc_fcoe_test_age(p, 90000);
	advert(p, fcf_mac, 100, MAP, true);
	fc_fcoe_ops.poll(p);
	{
		uint8_t fpma[6];

		fcoe_fpma(MAP, NPORT, fpma);
		last_fip_from(&e, &m, FIP_OP_CTRL, 1, fpma);
	}
	assert_memory_equal(m.mac, enode_mac, 6);
	assert_true(FIP_HAS(&m, FIP_DT_VN_ID));
	assert_int_equal(m.vn_port_id, NPORT);
	/* CVL from another MAC, or for another VN_Port: ignored */
	n = e.ntx;
	cvl(p, worse_mac, NPORT);
	cvl(p, fcf_mac, NPORT + 1);
	assert_int_equal(e.downs, 0);
	assert_int_equal(e.ntx, n);
	/* ours: link down, discovery again */
	cvl(p, fcf_mac, NPORT);
	assert_int_equal(e.downs, 1);
	assert_false(fc_fcoe_ops.fabric(p));
	last_fip(&e, &m, FIP_OP_DISC, 1);
	fc_fcoe_ops.close(p);
}

static void test_advertisements_stop(void **state)
{
	struct ev e = { 0 };
	struct fc_port *p = logged_in(&e);
	struct fip_msg m;

	fc_fcoe_test_age(p, 2400);
	advert(p, worse_mac, 200, MAP, true); /* another FCF's do not count */
	fc_fcoe_ops.poll(p);
	assert_int_equal(e.downs, 0);
	fc_fcoe_test_age(p, 200);
	fc_fcoe_ops.poll(p);
	assert_int_equal(e.downs, 1);
	/* a second later it solicits again */
	fc_fcoe_test_age(p, 1000);
	fc_fcoe_ops.poll(p);
	last_fip(&e, &m, FIP_OP_DISC, 1);
	/* frames to the old MAC are no longer taken */
	fc_fcoe_ops.close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_and_login),
		cmocka_unit_test(test_bad_flogi_acc),
		cmocka_unit_test(test_keep_alive_and_cvl),
		cmocka_unit_test(test_advertisements_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
