/* Unit tests of reservations (scsi_pr.c): every PR OUT service action with its
 * errors, PR IN data, the conflict table per reservation type, SPC-2
 * RESERVE/RELEASE, unit attention priority, and the two-slot APTPL file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "procs/core/core_pr_store.h"
#include "procs/core/scsi_pr.h"

static uint8_t out[65536];
static struct scsi_itn A, B, C;
static struct { struct scsi_itn itn; uint16_t bit; bool abort; } ev[16];
static int nev;

static void note(void *ctx, const struct scsi_itn *itn, uint16_t bit, bool abort)
{
	(void)ctx;
	assert_true(nev < 16);
	ev[nev].itn = *itn;
	ev[nev].bit = bit;
	ev[nev].abort = abort;
	nev++;
}

static int setup(void **st)
{
	(void)st;
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	memset(&C, 0, sizeof(C));
	strcpy(A.name, "iqn.2026-11.org.test:a");
	A.isid = 0x23d000000001ull;
	strcpy(B.name, "iqn.2026-11.org.test:b");
	B.isid = 0x23d000000002ull;
	strcpy(C.name, "iqn.2026-11.org.test:a"); /* same name as A, another port */
	C.isid = 0x23d000000003ull;
	nev = 0;
	return 0;
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

static bool prout_full(struct scsi_pr *pr, const struct scsi_itn *self, uint8_t sa, uint8_t type,
		       const uint8_t *param, uint32_t plen, bool aptpl_ok, struct scsi_result *r)
{
	uint8_t cdb[10] = { PERSISTENT_RESERVE_OUT, sa, type, 0, 0, 0, 0, 0, 0, 0 };
	struct scsi_pr_req q = { .pr = pr, .self = self, .cdb = cdb, .param = param, .plen = plen,
				 .aptpl_ok = aptpl_ok, .rel_port = 1, .notify = note,
				 .out = out, .cap = sizeof(out) };

	scsi_put32(cdb + 5, plen);
	memset(r, 0, sizeof(*r));
	return scsi_pr_execute(&q, r);
}

static uint8_t prout(struct scsi_pr *pr, const struct scsi_itn *self, uint8_t sa, uint8_t type,
		     uint64_t key, uint64_t sakey, uint8_t flags, struct scsi_result *r)
{
	uint8_t p[24] = { 0 };

	scsi_put64(p, key);
	scsi_put64(p + 8, sakey);
	p[20] = flags;
	prout_full(pr, self, sa, type, p, 24, false, r);
	return r->status;
}

static void prin(struct scsi_pr *pr, const struct scsi_itn *self, uint8_t sa, struct scsi_result *r)
{
	uint8_t cdb[10] = { PERSISTENT_RESERVE_IN, sa, 0, 0, 0, 0, 0, 0xff, 0xff, 0 };
	struct scsi_pr_req q = { .pr = pr, .self = self, .cdb = cdb, .rel_port = 1,
				 .out = out, .cap = sizeof(out) };

	memset(r, 0, sizeof(*r));
	scsi_pr_execute(&q, r);
}

static const uint8_t c_read[10] = { READ_10 }, c_write[10] = { WRITE_10 }, c_tur[6] = { 0 },
	c_msense[6] = { MODE_SENSE_6 }, c_inq[6] = { INQUIRY }, c_sync[10] = { SYNCHRONIZE_CACHE_10 };

static void test_register(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;

	(void)st;
	scsi_pr_init(&pr);
	/* an unregistered nexus naming a key: conflict */
	assert_int_equal(prout(&pr, &A, 0, 0, 5, 7, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	assert_int_equal(r.sense_len, 0);
	/* service action key 0 from an unregistered nexus: nothing happens */
	assert_int_equal(prout(&pr, &A, 0, 0, 0, 0, 0, &r), SCSI_GOOD);
	assert_int_equal(pr.nregs, 0);
	assert_int_equal(prout(&pr, &A, 0, 0, 0, 0xa1, 0, &r), SCSI_GOOD);
	assert_int_equal(prout(&pr, &B, 6, 0, 999, 0xb1, 0, &r), SCSI_GOOD); /* ignore existing */
	prin(&pr, &A, 0, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(scsi_be32(out), 2);          /* generation */
	assert_int_equal(scsi_be32(out + 4), 16);
	assert_true(scsi_be64(out + 8) == 0xa1 && scsi_be64(out + 16) == 0xb1);
	/* wrong current key: conflict; right one changes it */
	assert_int_equal(prout(&pr, &A, 0, 0, 0xa2, 0xa3, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	assert_int_equal(prout(&pr, &A, 0, 0, 0xa1, 0xa3, 0, &r), SCSI_GOOD);
	assert_true(pr.regs[0].key == 0xa3);
	/* unregister */
	assert_int_equal(prout(&pr, &A, 0, 0, 0xa3, 0, 0, &r), SCSI_GOOD);
	assert_int_equal(pr.nregs, 1);
	/* C shares A's name but is another I_T nexus: not registered */
	assert_int_equal(prout(&pr, &C, 1, PR_WE, 0xb1, 0, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	scsi_pr_free(&pr);
}

static void test_param_errors(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;
	uint8_t p[32] = { 0 };

	(void)st;
	scsi_pr_init(&pr);
	scsi_put64(p + 8, 1);
	prout_full(&pr, &A, 0, 0, p, 23, false, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	prout_full(&pr, &A, 0, 0, p, 28, false, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* APTPL without a state file */
	p[20] = 0x01;
	prout_full(&pr, &A, 0, 0, p, 24, false, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(r.sense[15], 0x88);  /* SKSV, C/D=0 (parameter list), BPV, bit 0 */
	assert_int_equal(scsi_be16(r.sense + 16), 20);
	assert_true(prout_full(&pr, &A, 0, 0, p, 24, true, &r));
	assert_true(pr.aptpl);
	/* SPEC_I_PT with REGISTER AND IGNORE EXISTING KEY */
	p[20] = 0x08;
	prout_full(&pr, &B, 6, 0, p, 24, false, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	/* bad service actions, scope, type */
	assert_int_equal(prout(&pr, &A, 8, 0, 1, 0, 0, &r), SCSI_CHECK_CONDITION);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(prout(&pr, &A, 1, 2, 1, 0, 0, &r), SCSI_CHECK_CONDITION);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(prout(&pr, &A, 1, 0x11, 1, 0, 0, &r), SCSI_CHECK_CONDITION);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	prin(&pr, &A, 4, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	scsi_pr_free(&pr);
}

static void test_conflict_table(void **st)
{
	static const uint8_t types[] = { PR_WE, PR_EA, PR_WE_RO, PR_EA_RO, PR_WE_AR, PR_EA_AR };
	struct scsi_result r;

	(void)st;
	for (unsigned i = 0; i < sizeof(types); i++) {
		struct scsi_pr pr;
		uint8_t t = types[i];
		bool ea = t == PR_EA || t == PR_EA_RO || t == PR_EA_AR;
		bool reg_access = t != PR_WE && t != PR_EA;

		scsi_pr_init(&pr);
		prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
		prout(&pr, &B, 0, 0, 0, 0xb, 0, &r);
		assert_int_equal(prout(&pr, &A, 1, t, 0xa, 0, 0, &r), SCSI_GOOD);
		/* same type again: GOOD; another type: conflict */
		assert_int_equal(prout(&pr, &A, 1, t, 0xa, 0, 0, &r), SCSI_GOOD);
		assert_int_equal(prout(&pr, &A, 1, t == PR_WE ? PR_EA : PR_WE, 0xa, 0, 0, &r),
				 SCSI_STATUS_RESERVATION_CONFLICT);
		/* the holder does anything */
		assert_false(scsi_pr_conflict(&pr, &A, c_write));
		/* a registered non-holder B */
		assert_int_equal(scsi_pr_conflict(&pr, &B, c_write), !reg_access);
		assert_int_equal(scsi_pr_conflict(&pr, &B, c_read), !reg_access && ea);
		/* an unregistered nexus C */
		assert_true(scsi_pr_conflict(&pr, &C, c_write));
		assert_true(scsi_pr_conflict(&pr, &C, c_sync));
		assert_true(scsi_pr_conflict(&pr, &C, c_msense));
		assert_int_equal(scsi_pr_conflict(&pr, &C, c_read), ea);
		assert_false(scsi_pr_conflict(&pr, &C, c_tur));
		assert_false(scsi_pr_conflict(&pr, &C, c_inq));
		/* a non-holder RESERVE conflicts, a non-holder RELEASE is a no-op */
		if (!reg_access) {
			assert_int_equal(prout(&pr, &B, 1, t, 0xb, 0, 0, &r),
					 SCSI_STATUS_RESERVATION_CONFLICT);
			assert_int_equal(prout(&pr, &B, 2, t, 0xb, 0, 0, &r), SCSI_GOOD);
			assert_true(pr.reserved);
		}
		scsi_pr_free(&pr);
	}
}

/* Every command class under EXCLUSIVE ACCESS, from a nexus with no registration. */
static void test_conflict_classes(void **st)
{
	static const uint8_t allowed[] = { INQUIRY, REPORT_LUNS, REQUEST_SENSE, MAINTENANCE_IN,
		TEST_UNIT_READY, READ_CAPACITY_10, SERVICE_ACTION_IN_16, PERSISTENT_RESERVE_IN,
		PERSISTENT_RESERVE_OUT };
	static const uint8_t conflicting[] = { READ_6, READ_10, READ_12, READ_16, VERIFY_10,
		VERIFY_12, VERIFY_16, WRITE_6, WRITE_10, WRITE_12, WRITE_16, SYNCHRONIZE_CACHE_10,
		SYNCHRONIZE_CACHE_16, MODE_SENSE_6, MODE_SENSE_10, MODE_SELECT_6, MODE_SELECT_10,
		RESERVE_6, RELEASE_6, RESERVE_10, RELEASE_10,
		0x41 /* WRITE SAME 10 */, 0x42 /* UNMAP */, 0x89 /* COMPARE AND WRITE */,
		0x93 /* WRITE SAME 16 */, 0x2e /* WRITE AND VERIFY 10 */ };
	struct scsi_pr pr;
	struct scsi_result r;
	uint8_t cdb[16] = { 0 };

	(void)st;
	scsi_pr_init(&pr);
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	prout(&pr, &A, 1, PR_EA, 0xa, 0, 0, &r);
	for (unsigned i = 0; i < sizeof(allowed); i++) {
		cdb[0] = allowed[i];
		assert_false(scsi_pr_conflict(&pr, &B, cdb));
		assert_false(scsi_pr_conflict(&pr, &A, cdb));
	}
	for (unsigned i = 0; i < sizeof(conflicting); i++) {
		cdb[0] = conflicting[i];
		assert_true(scsi_pr_conflict(&pr, &B, cdb));
		assert_false(scsi_pr_conflict(&pr, &A, cdb));
	}
	/* PR OUT applies its own rules: an unregistered RESERVE conflicts */
	assert_int_equal(prout(&pr, &B, 1, PR_EA, 0, 0, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	assert_int_equal(prout(&pr, &B, 3, 0, 0, 0, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	scsi_pr_free(&pr);
}

static void test_release(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;

	(void)st;
	scsi_pr_init(&pr);
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	prout(&pr, &B, 0, 0, 0, 0xb, 0, &r);
	prout(&pr, &A, 1, PR_WE_RO, 0xa, 0, 0, &r);
	prout(&pr, &A, 2, PR_EA, 0xa, 0, 0, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_RELEASE_OF_PR);
	assert_true(pr.reserved);
	nev = 0;
	assert_int_equal(prout(&pr, &A, 2, PR_WE_RO, 0xa, 0, 0, &r), SCSI_GOOD);
	assert_false(pr.reserved);
	assert_int_equal(nev, 1);
	assert_string_equal(ev[0].itn.name, B.name);
	assert_int_equal(ev[0].bit, SCSI_UA_RES_RELEASED);
	/* the holder unregistering ends a WE_RO reservation too */
	prout(&pr, &A, 1, PR_WE_RO, 0xa, 0, 0, &r);
	nev = 0;
	prout(&pr, &A, 0, 0, 0xa, 0, 0, &r);
	assert_false(pr.reserved);
	assert_int_equal(nev, 1);
	/* CLEAR: everything goes, the others hear RESERVATIONS PREEMPTED */
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	prout(&pr, &B, 1, PR_EA, 0xb, 0, 0, &r);
	nev = 0;
	assert_int_equal(prout(&pr, &A, 3, 0, 0xa, 0, 0, &r), SCSI_GOOD);
	assert_int_equal(pr.nregs, 0);
	assert_false(pr.reserved);
	assert_int_equal(nev, 1);
	assert_int_equal(ev[0].bit, SCSI_UA_RES_PREEMPTED);
	scsi_pr_free(&pr);
}

static void test_preempt(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;

	(void)st;
	scsi_pr_init(&pr);
	/* no reservation, key 0: invalid */
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	prout(&pr, &A, 4, PR_WE, 0xa, 0, 0, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	/* nobody holds that key: conflict */
	assert_int_equal(prout(&pr, &A, 4, PR_WE, 0xa, 0x77, 0, &r), SCSI_STATUS_RESERVATION_CONFLICT);
	prout(&pr, &B, 0, 0, 0, 0xb, 0, &r);
	prout(&pr, &B, 1, PR_EA, 0xb, 0, 0, &r);
	/* PREEMPT AND ABORT of the holder: A takes the reservation, B is gone */
	nev = 0;
	assert_int_equal(prout(&pr, &A, 5, PR_WE, 0xa, 0xb, 0, &r), SCSI_GOOD);
	assert_int_equal(pr.nregs, 1);
	assert_true(pr.reserved && pr.type == PR_WE);
	assert_string_equal(pr.holder.name, A.name);
	assert_int_equal(nev, 1);
	assert_int_equal(ev[0].bit, SCSI_UA_REG_PREEMPTED);
	assert_true(ev[0].abort);
	assert_true(ev[0].itn.isid == B.isid);
	/* all-registrants: key 0 takes everything */
	prout(&pr, &A, 3, 0, 0xa, 0, 0, &r);
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	prout(&pr, &B, 0, 0, 0, 0xb, 0, &r);
	prout(&pr, &C, 0, 0, 0, 0xc, 0, &r);
	prout(&pr, &B, 1, PR_EA_AR, 0xb, 0, 0, &r);
	nev = 0;
	assert_int_equal(prout(&pr, &A, 4, PR_WE_RO, 0xa, 0, 0, &r), SCSI_GOOD);
	assert_int_equal(pr.nregs, 1);
	assert_int_equal(pr.type, PR_WE_RO);
	assert_int_equal(nev, 2);
	assert_false(ev[0].abort);
	scsi_pr_free(&pr);
}

static void test_full_status_and_move(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;
	uint8_t p[96] = { 0 };
	const char *tid = "iqn.2026-11.org.test:b,i,0x23d000000002";
	uint32_t tl = (uint32_t)(strlen(tid) + 1 + 3) & ~3u;

	(void)st;
	scsi_pr_init(&pr);
	prout(&pr, &A, 0, 0, 0, 0xa, 0x04, &r);
	prout(&pr, &A, 1, PR_WE, 0xa, 0, 0, &r);
	prin(&pr, &A, 3, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(scsi_be64(out + 8) == 0xa);
	assert_int_equal(out[8 + 12], 0x03);           /* ALL_TG_PT, R_HOLDER */
	assert_int_equal(out[8 + 13], PR_WE);
	assert_int_equal(scsi_be16(out + 8 + 18), 1);
	assert_int_equal(out[8 + 24], 0x45);            /* iSCSI, format 01 */
	assert_memory_equal(out + 8 + 28, "iqn.2026-11.org.test:a,i,0x23d000000001", 39);
	prin(&pr, &A, 1, &r);
	assert_int_equal(scsi_be32(out + 4), 16);
	assert_true(scsi_be64(out + 8) == 0xa);
	assert_int_equal(out[21], PR_WE);
	prin(&pr, &A, 2, &r);
	assert_int_equal(scsi_be16(out), 8);
	assert_int_equal(out[2] & 0x0d, 0x0c);           /* SIP_C ATP_C, no PTPL_C */
	/* REGISTER AND MOVE to B, unregistering A */
	scsi_put64(p, 0xa);
	scsi_put64(p + 8, 0xbb);
	p[17] = 0x02;
	scsi_put16(p + 18, 1);
	scsi_put32(p + 20, 4 + tl);
	p[24] = 0x45;
	scsi_put16(p + 26, (uint16_t)tl);
	memcpy(p + 28, tid, strlen(tid));
	assert_true(prout_full(&pr, &A, 7, 0, p, 28 + tl, false, &r));
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(pr.nregs, 1);
	assert_true(pr.regs[0].key == 0xbb);
	assert_false(scsi_pr_conflict(&pr, &B, c_write));
	assert_true(scsi_pr_conflict(&pr, &A, c_write));
	scsi_pr_free(&pr);
}

static void test_spec_i_pt(void **st)
{
	struct scsi_pr pr;
	struct scsi_result r;
	uint8_t p[128] = { 0 };
	const char *name = "iqn.2026-11.org.test:b";

	(void)st;
	scsi_pr_init(&pr);
	scsi_put64(p + 8, 0x55);
	p[20] = 0x08;
	scsi_put32(p + 24, 4 + 24);
	p[28] = 0x05;                                   /* format 00: any ISID */
	scsi_put16(p + 30, 24);
	memcpy(p + 32, name, strlen(name));
	prout_full(&pr, &A, 0, 0, p, 28 + 28, false, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(pr.nregs, 2);
	prout(&pr, &B, 1, PR_EA, 0x55, 0, 0, &r);      /* B is registered through A */
	assert_int_equal(r.status, SCSI_GOOD);
	scsi_pr_free(&pr);
	/* a broken TransportID: nothing registered */
	scsi_pr_init(&pr);
	p[28] = 0x06;
	prout_full(&pr, &A, 0, 0, p, 56, false, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(pr.nregs, 0);
	scsi_pr_free(&pr);
}

static void test_spc2(void **st)
{
	static const uint8_t res6[6] = { RESERVE_6 }, rel6[6] = { RELEASE_6 },
		res10_3rd[10] = { RESERVE_10, 0x10 };
	struct scsi_pr pr;
	struct scsi_result r;
	struct scsi_pr_req q = { .self = &A, .cdb = res6, .out = out, .cap = sizeof(out) };

	(void)st;
	scsi_pr_init(&pr);
	q.pr = &pr;
	scsi_pr_execute(&q, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(scsi_pr_conflict(&pr, &B, c_tur));
	assert_true(scsi_pr_conflict(&pr, &B, c_read));
	assert_false(scsi_pr_conflict(&pr, &B, c_inq));
	assert_false(scsi_pr_conflict(&pr, &B, rel6));
	assert_false(scsi_pr_conflict(&pr, &A, c_write));
	q.self = &B;
	q.cdb = rel6;       /* another nexus' RELEASE: GOOD, no effect */
	scsi_pr_execute(&q, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(pr.r2_held);
	scsi_pr_nexus_lost(&pr, &B);
	assert_true(pr.r2_held);
	scsi_pr_nexus_lost(&pr, &A);
	assert_false(pr.r2_held);
	q.cdb = res10_3rd;
	scsi_pr_execute(&q, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* with a PR registration, RESERVE conflicts */
	prout(&pr, &A, 0, 0, 0, 0xa, 0, &r);
	q.cdb = res6;
	scsi_pr_execute(&q, &r);
	assert_int_equal(r.status, SCSI_STATUS_RESERVATION_CONFLICT);
	scsi_pr_free(&pr);
}

static void test_ua_priority(void **st)
{
	uint16_t ua = SCSI_UA_MODE_CHANGED | SCSI_UA_REG_PREEMPTED | SCSI_UA_POWER_ON |
		      SCSI_UA_NEXUS_LOSS | SCSI_UA_LUNS_CHANGED;
	struct scsi_result r;

	(void)st;
	assert_true(scsi_ua_check(&ua, c_tur, &r));
	assert_sense(&r, SK_UNIT_ATTENTION, ASC_POWER_ON_RESET);
	assert_true(scsi_ua_check(&ua, c_tur, &r));     /* nexus loss was covered */
	assert_sense(&r, SK_UNIT_ATTENTION, ASC_REGISTRATIONS_PREEMPTED);
	assert_true(scsi_ua_check(&ua, c_tur, &r));
	assert_sense(&r, SK_UNIT_ATTENTION, ASC_MODE_PARAMS_CHANGED);
	assert_false(scsi_ua_check(&ua, c_inq, &r));
	assert_true(scsi_ua_check(&ua, c_tur, &r));
	assert_sense(&r, SK_UNIT_ATTENTION, ASC_LUNS_DATA_CHANGED);
	assert_int_equal(ua, 0);
}

static void test_store(void **st)
{
	char path[] = "/tmp/mtgt-pr-store-XXXXXX";
	int fd = mkstemp(path);
	uint64_t gen;
	char *p;
	size_t len;

	(void)st;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(pr_store_read(fd, &gen, &p, &len), -ENOENT);
	assert_int_equal(pr_store_write(fd, 1, "first", 5), 0);
	assert_int_equal(pr_store_write(fd, 2, "second", 6), 0);
	assert_int_equal(pr_store_read(fd, &gen, &p, &len), 0);
	assert_true(gen == 2 && len == 6);
	assert_string_equal(p, "second");
	free(p);
	/* tear the newest slot (generation 2 lives in slot 0): the previous survives */
	assert_int_equal(pwrite(fd, "X", 1, 32 + 2), 1);
	assert_int_equal(pr_store_read(fd, &gen, &p, &len), 0);
	assert_true(gen == 1);
	assert_string_equal(p, "first");
	free(p);
	/* a torn header too */
	assert_int_equal(pwrite(fd, "\0\0\0\0", 4, PR_STORE_SLOT_SIZE + 16), 4);
	assert_int_equal(pr_store_read(fd, &gen, &p, &len), -ENOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register, setup),
		cmocka_unit_test_setup(test_param_errors, setup),
		cmocka_unit_test_setup(test_conflict_table, setup),
		cmocka_unit_test_setup(test_conflict_classes, setup),
		cmocka_unit_test_setup(test_release, setup),
		cmocka_unit_test_setup(test_preempt, setup),
		cmocka_unit_test_setup(test_full_status_and_move, setup),
		cmocka_unit_test_setup(test_spec_i_pt, setup),
		cmocka_unit_test_setup(test_spc2, setup),
		cmocka_unit_test_setup(test_ua_priority, setup),
		cmocka_unit_test_setup(test_store, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
