/* Unit tests of ALUA: the commands each access state refuses and with which
 * sense (scsi_alua.c), REPORT TARGET PORT GROUPS in both formats, SET TARGET
 * PORT GROUPS and its parameter checks, the INQUIRY fields; and in the core
 * (core_alua.c, with the rest of the core stubbed) the config keys, implicit
 * transitions with their unit attention, and the plain-data state save/load. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/core.h"

/* ---- stubs of the core functions core_alua.c calls ---- */
static uint16_t stub_ua_bit;
static const struct core_nexus *stub_ua_except;
static int stub_ua_calls;

void core_ua_raise(struct core_target *t, int lun_index, uint16_t bit,
		   const struct core_nexus *except)
{
	(void)t;
	assert_int_equal(lun_index, -1);
	stub_ua_bit = bit;
	stub_ua_except = except;
	stub_ua_calls++;
}

struct core_target *core_config_target(struct core_config *cfg, const char *name)
{
	for (uint32_t i = 0; i < cfg->ntargets; i++)
		if (!strcmp(cfg->targets[i].name, name))
			return &cfg->targets[i];
	return NULL;
}

int core_emul_param(struct core *co, struct core_cmd *cmd, uint8_t **param, uint32_t *len)
{
	(void)co; (void)cmd; *param = NULL; *len = 0;
	return 0;
}

void core_emul_finish(struct core *co, struct core_cmd *cmd)
{
	(void)co; (void)cmd;
}

/* ---- helpers ---- */

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

static struct scsi_alua two_groups(void)
{
	struct scsi_alua a;

	memset(&a, 0, sizeof(a));
	a.tpgs = ALUA_TPGS_IMPLICIT | ALUA_TPGS_EXPLICIT;
	a.trans_time = 7;
	a.ngroups = 2;
	a.groups[0].id = 1;
	a.groups[1].id = 2;
	return a;
}

static bool refused(const struct scsi_alua *a, uint16_t port, const uint8_t *cdb,
		    struct scsi_result *r)
{
	memset(r, 0, sizeof(*r));
	return scsi_alua_refuse(a, port, cdb, r);
}

/* What each state lets through, and the sense of what it does not. */
static void test_state_table(void **st)
{
	struct scsi_alua a = two_groups();
	struct scsi_result r;
	uint8_t read10[10] = { READ_10 }, tur[6] = { TEST_UNIT_READY }, inq[6] = { INQUIRY };
	uint8_t ms[10] = { MODE_SENSE_10 }, rc16[16] = { SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16 };
	uint8_t rtpg[12] = { MAINTENANCE_IN, MI_REPORT_TARGET_PGS };
	uint8_t stpg[12] = { MAINTENANCE_OUT, MO_SET_TARGET_PGS };
	uint8_t rs[6] = { REQUEST_SENSE }, rl[12] = { REPORT_LUNS };
	uint8_t pri[10] = { PERSISTENT_RESERVE_IN }, w16[16] = { WRITE_16 };

	(void)st;
	/* active/optimized and active/non-optimized: everything */
	assert_false(refused(&a, 2, read10, &r));
	a.groups[1].state = ALUA_ACTIVE_NON_OPTIMIZED;
	assert_false(refused(&a, 2, w16, &r));
	assert_false(refused(&a, 2, tur, &r));

	a.groups[1].state = ALUA_STANDBY;
	assert_true(refused(&a, 2, read10, &r));
	assert_sense(&r, SK_NOT_READY, ASC_ALUA_STANDBY);
	assert_true(refused(&a, 2, tur, &r));
	assert_sense(&r, SK_NOT_READY, ASC_ALUA_STANDBY);
	assert_true(refused(&a, 2, w16, &r));
	for (const uint8_t *ok[] = { inq, ms, rc16, rtpg, stpg, rs, rl, pri, NULL }, **p = ok; *p; p++)
		assert_false(refused(&a, 2, *p, &r));
	/* the other group is not affected */
	assert_false(refused(&a, 1, read10, &r));

	a.groups[1].state = ALUA_UNAVAILABLE;
	assert_true(refused(&a, 2, read10, &r));
	assert_sense(&r, SK_NOT_READY, ASC_ALUA_UNAVAILABLE);
	assert_true(refused(&a, 2, ms, &r));
	assert_true(refused(&a, 2, pri, &r));
	for (const uint8_t *ok[] = { inq, rtpg, stpg, rs, rl, NULL }, **p = ok; *p; p++)
		assert_false(refused(&a, 2, *p, &r));

	a.groups[1].state = ALUA_TRANSITIONING;
	assert_true(refused(&a, 2, tur, &r));
	assert_sense(&r, SK_NOT_READY, ASC_ALUA_TRANSITIONING);
	assert_true(refused(&a, 2, stpg, &r));   /* no SET TPG while transitioning */
	for (const uint8_t *ok[] = { inq, rtpg, rs, rl, NULL }, **p = ok; *p; p++)
		assert_false(refused(&a, 2, *p, &r));

	/* a port in no group, and ALUA off: never refused */
	assert_false(refused(&a, 9, read10, &r));
	a.tpgs = 0;
	assert_false(refused(&a, 2, read10, &r));
}

static void test_report(void **st)
{
	struct scsi_alua a = two_groups();
	struct scsi_result r;
	uint8_t out[128];
	uint8_t c[12] = { MAINTENANCE_IN, MI_REPORT_TARGET_PGS, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0 };

	(void)st;
	a.groups[1].state = ALUA_STANDBY;
	a.groups[1].status = ALUA_STATUS_EXPLICIT;
	a.groups[0].pref = 1;
	memset(&r, 0, sizeof(r));
	scsi_report_tpgs(&a, c, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 4 + 2 * 12);
	assert_int_equal(scsi_be32(out), 2 * 12);
	assert_int_equal(out[4], 0x80 | ALUA_ACTIVE_OPTIMIZED);   /* PREF */
	assert_int_equal(out[5], 0x8f);                          /* T U S AN AO supported */
	assert_int_equal(scsi_be16(out + 6), 1);
	assert_int_equal(out[11], 1);                            /* one port */
	assert_int_equal(scsi_be16(out + 14), 1);
	assert_int_equal(out[16], ALUA_STANDBY);
	assert_int_equal(out[16 + 5], ALUA_STATUS_EXPLICIT);
	assert_int_equal(scsi_be16(out + 16 + 10), 2);
	/* extended header: format type 1, implicit transition time */
	c[1] |= 0x20;
	scsi_report_tpgs(&a, c, out, sizeof(out), &r);
	assert_int_equal(r.data_len, 8 + 2 * 12);
	assert_int_equal(scsi_be32(out), 4 + 2 * 12);
	assert_int_equal(out[4], 0x10);
	assert_int_equal(out[5], 7);
	assert_int_equal(scsi_be16(out + 8 + 2), 1);
	/* allocation length truncates */
	c[9] = 6;
	scsi_report_tpgs(&a, c, out, sizeof(out), &r);
	assert_int_equal(r.data_len, 6);
	c[9] = 128;
	/* unknown formats */
	c[1] = MI_REPORT_TARGET_PGS | 0x40;
	scsi_report_tpgs(&a, c, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* ALUA off: not supported */
	c[1] = MI_REPORT_TARGET_PGS;
	a.tpgs = 0;
	scsi_report_tpgs(&a, c, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

static void set(struct scsi_alua *a, const uint8_t *p, uint32_t len, struct scsi_result *r,
		bool *changed)
{
	uint8_t c[12] = { MAINTENANCE_OUT, MO_SET_TARGET_PGS };

	scsi_put32(c + 6, len);
	assert_int_equal(scsi_set_tpgs_len(c), len);
	memset(r, 0, sizeof(*r));
	scsi_set_tpgs(a, c, p, len, r, changed);
}

static void test_set(void **st)
{
	struct scsi_alua a = two_groups();
	struct scsi_result r;
	bool ch;
	uint8_t p[16] = { 0, 0, 0, 0, ALUA_STANDBY, 0, 0, 2, ALUA_ACTIVE_NON_OPTIMIZED, 0, 0, 1 };

	(void)st;
	set(&a, p, 12, &r, &ch);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(ch);
	assert_int_equal(a.groups[1].state, ALUA_STANDBY);
	assert_int_equal(a.groups[1].status, ALUA_STATUS_EXPLICIT);
	assert_int_equal(a.groups[0].state, ALUA_ACTIVE_NON_OPTIMIZED);
	/* the same again changes nothing */
	set(&a, p, 12, &r, &ch);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_false(ch);
	/* length 0: nothing to do */
	set(&a, p, 0, &r, &ch);
	assert_int_equal(r.status, SCSI_GOOD);
	/* lengths that are not a header and whole descriptors */
	set(&a, p, 3, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	set(&a, p, 10, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* all or nothing: a bad second descriptor leaves the first unapplied */
	p[4] = ALUA_ACTIVE_OPTIMIZED;
	p[8] = ALUA_TRANSITIONING;
	set(&a, p, 12, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(scsi_be16(r.sense + 16), 8);      /* field pointer */
	assert_int_equal(a.groups[1].state, ALUA_STANDBY);
	p[8] = 0x0e;                                        /* offline: not supported */
	set(&a, p, 12, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	p[8] = 0x10;                                        /* reserved bits */
	set(&a, p, 12, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	p[8] = ALUA_ACTIVE_OPTIMIZED;
	p[11] = 3;                                          /* no such group */
	set(&a, p, 12, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(scsi_be16(r.sense + 16), 10);
	p[11] = 2;                                          /* one group twice */
	set(&a, p, 12, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(a.groups[1].state, ALUA_STANDBY);
	/* implicit-only ALUA has no SET TARGET PORT GROUPS */
	a.tpgs = ALUA_TPGS_IMPLICIT;
	set(&a, p, 8, &r, &ch);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

/* INQUIRY: TPGS in the standard data, the group designator in VPD 83h. */
static void test_inquiry(void **st)
{
	struct scsi_lu lu;
	struct scsi_result r;
	uint8_t out[256], std[6] = { INQUIRY, 0, 0, 0, 96, 0 }, v83[6] = { INQUIRY, 1, 0x83, 1, 0, 0 };
	bool rtp = false, tpg = false;

	(void)st;
	memset(&lu, 0, sizeof(lu));
	lu.block_size = 512;
	lu.block_shift = 9;
	lu.nblocks = 100;
	lu.target_name = "iqn.test";
	lu.rel_port = 3;
	lu.tpgs = ALUA_TPGS_EXPLICIT;
	lu.tpg_id = 3;
	scsi_lu_make_ids(&lu);
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, std, out, sizeof(out), &r);
	assert_int_equal((out[5] >> 4) & 3, 2);
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, v83, out, sizeof(out), &r);
	for (uint32_t off = 4; off < r.data_len; off += 4 + out[off + 3]) {
		if ((out[off + 1] & 0x3f) == 0x14) {
			rtp = true;
			assert_int_equal(scsi_be16(out + off + 6), 3);
		}
		if ((out[off + 1] & 0x3f) == 0x15) {
			tpg = true;
			assert_int_equal(scsi_be16(out + off + 6), 3);
		}
	}
	assert_true(rtp && tpg);
	/* ALUA off: TPGS 0 and no group designator */
	lu.tpgs = 0;
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, std, out, sizeof(out), &r);
	assert_int_equal(out[5] & 0x30, 0);
	scsi_inquiry(&lu, false, MSG_PROTO_ISCSI, v83, out, sizeof(out), &r);
	for (uint32_t off = 4; off < r.data_len; off += 4 + out[off + 3])
		assert_int_not_equal(out[off + 1] & 0x3f, 0x15);
}

static int load(struct core_target *t, const char *js)
{
	char err[256];
	json_error_t je;
	json_t *j = json_loads(js, 0, &je);
	int rc;

	assert_non_null(j);
	memset(t, 0, sizeof(*t));
	strcpy(t->name, "iqn.test");
	rc = core_alua_config(t, j, err, sizeof(err));
	json_decref(j);
	return rc;
}

static void test_core_config(void **st)
{
	struct core_target t;

	(void)st;
	assert_int_equal(load(&t, "{}"), 0);
	assert_int_equal(t.alua.ngroups, 1);
	assert_int_equal(t.alua.groups[0].id, 1);
	assert_int_equal(t.alua.tpgs, 3);
	assert_int_equal(load(&t, "{\"ports\": [1, 5], \"alua\": {\"mode\": \"implicit\", "
			 "\"transition_time\": 9, \"states\": {\"5\": \"unavailable\"}, "
			 "\"preferred\": [1]}}"), 0);
	assert_int_equal(t.alua.ngroups, 2);
	assert_int_equal(t.alua.tpgs, ALUA_TPGS_IMPLICIT);
	assert_int_equal(t.alua.trans_time, 9);
	assert_int_equal(t.alua.groups[1].state, ALUA_UNAVAILABLE);
	assert_int_equal(t.alua.groups[0].pref, 1);
	assert_int_equal(load(&t, "{\"alua\": {\"mode\": \"off\"}}"), 0);
	assert_int_equal(t.alua.tpgs, 0);
	for (const char *const *bad = (const char *const[]){
		"{\"ports\": []}", "{\"ports\": [0]}", "{\"ports\": [1, 1]}", "{\"ports\": [70000]}",
		"{\"alua\": 3}", "{\"alua\": {\"mode\": \"x\"}}",
		"{\"alua\": {\"transition_time\": 256}}", "{\"alua\": {\"states\": {\"2\": \"standby\"}}}",
		"{\"alua\": {\"states\": {\"1\": \"asleep\"}}}", "{\"alua\": {\"preferred\": [4]}}",
		NULL }; *bad; bad++)
		assert_int_equal(load(&t, *bad), -1);
}

static void test_core_transitions(void **st)
{
	static struct core co;
	struct core_target tg[2];
	uint8_t buf[4096];
	size_t n;

	(void)st;
	assert_int_equal(load(&tg[0], "{\"ports\": [1, 2]}"), 0);
	assert_int_equal(load(&tg[1], "{\"ports\": [1]}"), 0);
	strcpy(tg[1].name, "iqn.other");
	/* implicit transition: every nexus hears it (no exception) */
	stub_ua_calls = 0;
	assert_int_equal(core_alua_set_state(&tg[0], 2, ALUA_TRANSITIONING), 0);
	assert_int_equal(stub_ua_calls, 1);
	assert_int_equal(stub_ua_bit, SCSI_UA_ALUA_CHANGED);
	assert_null(stub_ua_except);
	assert_int_equal(tg[0].alua.groups[1].status, ALUA_STATUS_IMPLICIT);
	assert_int_equal(core_alua_set_state(&tg[0], 2, ALUA_TRANSITIONING), 0);
	assert_int_equal(stub_ua_calls, 1);      /* no change, no UA */
	assert_int_equal(core_alua_set_state(&tg[0], 2, ALUA_STANDBY), 0);
	assert_int_equal(stub_ua_calls, 2);
	assert_int_equal(core_alua_set_state(&tg[0], 7, ALUA_STANDBY), -ENOENT);
	assert_int_equal(core_alua_set_state(&tg[0], 1, 9), -EINVAL);

	/* state segment round trip: saved, config reloaded, state restored */
	co.cfg.ntargets = 2;
	co.cfg.targets = tg;
	n = core_alua_state_size(&co);
	assert_true(n <= sizeof(buf));
	assert_int_equal(core_alua_save(&co, buf, n - 1), 0);
	assert_int_equal(core_alua_save(&co, buf, sizeof(buf)), n);
	assert_int_equal(load(&tg[0], "{\"ports\": [2, 1, 3]}"), 0);
	assert_int_equal(core_alua_load(&co, buf, n), 0);
	assert_int_equal(tg[0].alua.groups[0].state, ALUA_STANDBY);   /* group 2 */
	assert_int_equal(tg[0].alua.groups[0].status, ALUA_STATUS_IMPLICIT);
	assert_int_equal(tg[0].alua.groups[1].state, ALUA_ACTIVE_OPTIMIZED);
	/* damaged or short data is refused */
	assert_int_equal(core_alua_load(&co, buf, 3), -EINVAL);
	buf[0] ^= 1;
	assert_int_equal(core_alua_load(&co, buf, n), -EINVAL);
	buf[0] ^= 1;
	assert_int_equal(core_alua_load(&co, buf, n - 1), -EINVAL);
	co.cfg.targets = NULL;

	/* a live config change keeps the state of the groups that remain */
	struct core_target old = tg[0];
	assert_int_equal(load(&tg[0], "{\"ports\": [2, 4], \"alua\": {\"states\": {\"4\": \"standby\"}}}"), 0);
	core_alua_adopt(&tg[0], &old);
	assert_int_equal(tg[0].alua.groups[0].state, ALUA_STANDBY);        /* group 2, kept */
	assert_int_equal(tg[0].alua.groups[0].status, ALUA_STATUS_IMPLICIT);
	assert_int_equal(tg[0].alua.groups[1].state, ALUA_STANDBY);        /* group 4, as configured */
	assert_int_equal(tg[0].alua.groups[1].status, ALUA_STATUS_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_inquiry),
		cmocka_unit_test(test_core_config),
		cmocka_unit_test(test_core_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
