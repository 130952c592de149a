/* Unit tests of MODE SELECT (changeable bits, every error path), the page
 * controls of MODE SENSE it relies on, SWP write protection, and REPORT
 * SUPPORTED TASK MANAGEMENT FUNCTIONS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static uint8_t out[4096];

static struct scsi_lu mk_lu(bool cache)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.block_size = 512;
	lu.block_shift = 9;
	lu.nblocks = 2048;
	lu.wce = lu.wce_default = lu.wcache = cache;
	lu.target_name = "iqn.2026-11.org.mtgt:demo";
	lu.rel_port = 1;
	scsi_lu_make_ids(&lu);
	return lu;
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

/* MODE SENSE (6) of one page with page control pc; returns the page. */
static const uint8_t *sense_page(const struct scsi_lu *lu, uint8_t page, int pc)
{
	uint8_t cdb[6] = { MODE_SENSE_6, 0x08, (uint8_t)(pc << 6 | page), 0, 255, 0 };
	struct scsi_result r;

	memset(&r, 0, sizeof(r));
	scsi_mode_sense(lu, cdb, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	return out + 4;
}

/* MODE SELECT (6) of one page (a copy of the current one, edited by the caller). */
static void select6(struct scsi_lu *lu, const uint8_t *page, uint32_t plen, uint8_t byte1,
		    uint32_t cdb_len_field, struct scsi_result *r, bool *changed)
{
	uint8_t p[64] = { 0 }, cdb[6] = { MODE_SELECT_6, byte1, 0, 0, 0, 0 };

	memcpy(p + 4, page, plen);
	cdb[4] = (uint8_t)cdb_len_field;
	memset(r, 0, sizeof(*r));
	scsi_mode_select(lu, cdb, p, 4 + plen, r, changed);
}

static void test_changeable_and_default(void **st)
{
	struct scsi_lu lu = mk_lu(true), nc = mk_lu(false);
	const uint8_t *p;

	(void)st;
	p = sense_page(&lu, 0x0a, 1);
	assert_int_equal(p[2], 0x04);
	assert_int_equal(p[4], 0x08);
	p = sense_page(&lu, 0x08, 1);
	assert_int_equal(p[2], 0x04);
	p = sense_page(&nc, 0x08, 1);
	assert_int_equal(p[2], 0x00);       /* no cache, nothing to switch */
	lu.wce = false;
	p = sense_page(&lu, 0x08, 2);
	assert_int_equal(p[2], 0x04);       /* default stays on */
	p = sense_page(&lu, 0x08, 0);
	assert_int_equal(p[2], 0x00);
}

static void test_select_applies(void **st)
{
	struct scsi_lu lu = mk_lu(true);
	uint8_t page[12], cache[20];
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct scsi_result r;
	struct scsi_io io;
	bool changed;

	(void)st;
	memcpy(page, sense_page(&lu, 0x0a, 0), 12);
	page[2] |= 0x04;
	page[4] |= 0x08;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(changed && lu.d_sense && lu.swp && lu.readonly);
	assert_int_equal(sense_page(&lu, 0x0a, 0)[4] & 0x08, 0x08);
	assert_int_equal(out[2] & 0x80, 0x80);   /* WP in the header */
	memset(&r, 0, sizeof(r));
	assert_int_equal(scsi_rw_decode(&lu, w10, &io, &r), 0);
	assert_sense(&r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	/* the same again: nothing changes */
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_false(changed);
	page[4] &= (uint8_t)~0x08;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_true(changed && !lu.swp && !lu.readonly);
	/* WCE off */
	memcpy(cache, sense_page(&lu, 0x08, 0), 20);
	cache[2] &= (uint8_t)~0x04;
	select6(&lu, cache, 20, 0x10, 24, &r, &changed);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_true(changed && !lu.wce);
	/* parameter list length 0: nothing to do */
	select6(&lu, cache, 0, 0x10, 0, &r, &changed);
	assert_int_equal(r.status, SCSI_GOOD);
}

static void test_select_errors(void **st)
{
	struct scsi_lu lu = mk_lu(false);
	uint8_t page[20], cache[20];
	struct scsi_result r;
	bool changed;

	(void)st;
	memcpy(page, sense_page(&lu, 0x0a, 0), 12);
	/* SP: saving is not supported */
	select6(&lu, page, 12, 0x11, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* a bit that is not changeable (queue algorithm modifier) */
	page[3] = 0x00;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	assert_int_equal(scsi_be16(r.sense + 16), 4 + 3);
	page[3] = 0x10;
	/* WCE is not changeable without a cache */
	memcpy(cache, sense_page(&lu, 0x08, 0), 20);
	cache[2] |= 0x04;
	select6(&lu, cache, 20, 0x10, 24, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	/* wrong page length, unknown page, PS set, subpage format */
	page[1] = 0x0b;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	page[1] = 0x0a;
	page[0] = 0x1c;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	page[0] = 0x8a;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	page[0] = 0x4a;
	select6(&lu, page, 12, 0x10, 16, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
	page[0] = 0x0a;
	/* a page cut short by the parameter list length */
	select6(&lu, page, 12, 0x10, 10, &r, &changed);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	/* less data than the CDB announces */
	{
		uint8_t cdb[6] = { MODE_SELECT_6, 0x10, 0, 0, 16, 0 }, p[16] = { 0 };

		scsi_mode_select(&lu, cdb, p, 3, &r, &changed);
		assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
	}
	/* a block descriptor with another block length */
	{
		uint8_t cdb[6] = { MODE_SELECT_6, 0x10, 0, 0, 12, 0 }, p[12] = { 0 };

		p[3] = 8;
		scsi_put32(p + 8, 4096);
		scsi_mode_select(&lu, cdb, p, 12, &r, &changed);
		assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM);
		scsi_put32(p + 8, 512);
		scsi_mode_select(&lu, cdb, p, 12, &r, &changed);
		assert_int_equal(r.status, SCSI_GOOD);
	}
	assert_false(lu.d_sense || lu.swp);
}

static void test_report_tmfs(void **st)
{
	uint8_t cdb[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_TMFS, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0 };
	struct scsi_result r;

	(void)st;
	memset(&r, 0, sizeof(r));
	scsi_report_tmfs(cdb, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 4);
	assert_int_equal(out[0], 0xde);
	cdb[2] = 0x80;
	scsi_report_tmfs(cdb, out, sizeof(out), &r);
	assert_int_equal(r.data_len, 16);
	assert_int_equal(out[3], 0x0c);
	cdb[2] = 0x01;
	scsi_report_tmfs(cdb, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changeable_and_default),
		cmocka_unit_test(test_select_applies),
		cmocka_unit_test(test_select_errors),
		cmocka_unit_test(test_report_tmfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
