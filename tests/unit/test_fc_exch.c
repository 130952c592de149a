/* The FC exchange manager: RX_ID lookup, OX_ID reuse, ABTS and the recovery
 * qualifier, RRQ, R_A_TOV expiry, port logout, sequence checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "procs/frontend-fc/fc_exch.h"
#include "procs/frontend-fc/fc_frame.h"

static struct fc_exch_mgr *mgr(void)
{
	static struct fc_exch_mgr m;

	fc_exch_mgr_init(&m);
	return &m;
}

static void test_open_find(void **st)
{
	struct fc_exch_mgr *m = mgr();
	struct fc_exch *a, *b;

	(void)st;
	a = fc_exch_open(m, 0x010101, 0x10);
	b = fc_exch_open(m, 0x010202, 0x10); /* same OX_ID, other port: fine */
	assert_non_null(a);
	assert_non_null(b);
	assert_int_not_equal(a->rx_id, b->rx_id);
	assert_ptr_equal(fc_exch_find(m, 0x010101, 0x10, a->rx_id), a);
	assert_ptr_equal(fc_exch_find(m, 0x010101, 0x10, FC_XID_UNKNOWN), a);
	assert_null(fc_exch_find(m, 0x010101, 0x10, b->rx_id)); /* RX_ID of another */
	assert_null(fc_exch_find(m, 0x010101, 0x11, FC_XID_UNKNOWN));
	assert_null(fc_exch_open(m, 0x010101, 0x10)); /* OX_ID still open */
	assert_null(fc_exch_open(m, 0x010101, FC_XID_UNKNOWN));
	fc_exch_done(m, a, 0);
	assert_null(fc_exch_find(m, 0x010101, 0x10, a->rx_id));
	assert_non_null(fc_exch_open(m, 0x010101, 0x10));
	assert_int_equal(m->in_use, 2);
}

static void test_abts_rrq(void **st)
{
	struct fc_exch_mgr *m = mgr();
	struct fc_exch *a;
	uint16_t rx;

	(void)st;
	a = fc_exch_open(m, 0x010101, 0x20);
	rx = a->rx_id;
	fc_exch_abort(m, a);
	assert_int_equal(a->state, FC_EXCH_ABORTED);
	/* still found (a second ABTS is answered), until its owner is done */
	assert_ptr_equal(fc_exch_find(m, 0x010101, 0x20, rx), a);
	fc_exch_done(m, a, 1000);
	assert_int_equal(a->state, FC_EXCH_RRQ_WAIT);
	assert_null(fc_exch_find(m, 0x010101, 0x20, rx));
	assert_null(fc_exch_open(m, 0x010101, 0x20)); /* qualifier held */
	assert_int_equal(fc_exch_rrq(m, 0x010101, 0x20, (uint16_t)(rx + 1)), -ENOENT);
	assert_int_equal(fc_exch_rrq(m, 0x010101, 0x20, rx), 0);
	assert_non_null(fc_exch_open(m, 0x010101, 0x20));
	/* R_A_TOV ends a qualifier nobody released */
	a = fc_exch_open(m, 0x010101, 0x21);
	fc_exch_abort(m, a);
	fc_exch_done(m, a, 5000);
	assert_int_equal(fc_exch_expire(m, 5000 + FC_R_A_TOV_MS - 1), 0);
	assert_int_equal(fc_exch_expire(m, 5000 + FC_R_A_TOV_MS), 1);
	assert_non_null(fc_exch_open(m, 0x010101, 0x21));
}

static int dropped;
static void drop_cb(struct fc_exch *x, void *arg)
{
	(void)arg;
	assert_int_equal(x->state, FC_EXCH_ABORTED);
	dropped++;
}

static void test_drop_port_and_full(void **st)
{
	struct fc_exch_mgr *m = mgr();
	struct fc_exch *x;
	uint32_t n = 0;

	(void)st;
	for (uint16_t ox = 0; ox < 10; ox++)
		assert_non_null(fc_exch_open(m, 0x010101, ox));
	assert_non_null(fc_exch_open(m, 0x010202, 1));
	x = fc_exch_open(m, 0x010101, 100);
	fc_exch_abort(m, x);
	fc_exch_done(m, x, 0); /* a held qualifier of that port */
	dropped = 0;
	fc_exch_drop_port(m, 0x010101, drop_cb, NULL);
	assert_int_equal(dropped, 10);
	assert_int_equal(m->in_use, 11); /* owners still finishing + the other port */
	assert_non_null(fc_exch_open(m, 0x010101, 100)); /* qualifier gone with the login */
	/* a full table refuses, and never hands out RX_ID 0xffff */
	m = mgr();
	while (fc_exch_open(m, 0x020202, (uint16_t)n))
		n++;
	assert_int_equal(n, FC_EXCH_MAX);
	for (uint32_t round = 0; round < 40; round++) {
		x = fc_exch_find(m, 0x020202, (uint16_t)(FC_EXCH_MAX - 1 - round % 3), FC_XID_UNKNOWN);
		assert_non_null(x);
		fc_exch_done(m, x, 0);
		x = fc_exch_open(m, 0x020202, (uint16_t)(FC_EXCH_MAX - 1 - round % 3));
		assert_non_null(x);
		assert_int_not_equal(x->rx_id, FC_XID_UNKNOWN);
	}
}

static void test_rx_sequences(void **st)
{
	struct fc_exch_mgr *m = mgr();
	struct fc_exch *x = fc_exch_open(m, 0x010101, 1);

	(void)st;
	assert_int_equal(fc_exch_rx_frame(x, 5, 0, true, false), 0);
	assert_int_equal(fc_exch_rx_frame(x, 5, 1, false, false), 0);
	assert_int_equal(fc_exch_rx_frame(x, 5, 3, false, false), -EPROTO); /* lost frame */
	assert_int_equal(fc_exch_rx_frame(x, 5, 2, false, true), 0);
	/* next sequence, SEQ_CNT continuing */
	assert_int_equal(fc_exch_rx_frame(x, 6, 3, true, false), 0);
	assert_int_equal(fc_exch_rx_frame(x, 6, 3, false, false), -EPROTO); /* duplicate */
	assert_int_equal(fc_exch_rx_frame(x, 7, 0, false, false), -EPROTO); /* no first frame */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_find),
		cmocka_unit_test(test_abts_rrq),
		cmocka_unit_test(test_drop_port_and_full),
		cmocka_unit_test(test_rx_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
