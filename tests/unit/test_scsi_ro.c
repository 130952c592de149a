/* Unit tests of scsi_ro.c: what an I_T nexus with a read-only ACL entry may
 * not do, with the exact sense (DATA PROTECT, WRITE PROTECTED 27/00), and
 * what it still may. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static bool refused(const struct scsi_lu *lu, const uint8_t *cdb)
{
	struct scsi_result r;
	bool ret;

	memset(&r, 0, sizeof(r));
	ret = scsi_ro_refuse(lu, cdb, &r);
	if (ret) {
		assert_int_equal(r.status, SCSI_CHECK_CONDITION);
		assert_int_equal(r.sense[2] & 0x0f, SK_DATA_PROTECT);
		assert_int_equal(r.sense[12], 0x27);
		assert_int_equal(r.sense[13], 0x00);
	} else {
		assert_int_equal(r.status, SCSI_GOOD);
		assert_int_equal(r.sense_len, 0);
	}
	return ret;
}

static void test_refused(void **state)
{
	struct scsi_lu lu;
	static const uint8_t cdbs[][16] = {
		{ 0x15, 0x10, 0, 0, 24, 0 },                    /* MODE SELECT(6) */
		{ 0x55, 0x10, 0, 0, 0, 0, 0, 0, 24, 0 },        /* MODE SELECT(10) */
		{ 0x5f, 0x00, 0, 0, 0, 0, 0, 0, 24, 0 },        /* PR OUT REGISTER */
		{ 0x5f, 0x01, 0x01, 0, 0, 0, 0, 0, 24, 0 },     /* PR OUT RESERVE */
		{ 0x5f, 0x05, 0x01, 0, 0, 0, 0, 0, 24, 0 },     /* PREEMPT AND ABORT */
		{ 0x16, 0, 0, 0, 0, 0 },                        /* RESERVE(6) */
		{ 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0 },            /* RESERVE(10) */
		{ 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0 },   /* SET TARGET PORT GROUPS */
		{ 0x04, 0, 0, 0, 0, 0 },                        /* FORMAT UNIT */
		{ 0x48, 0x01, 0, 0, 0, 0, 0, 0, 12, 0 },        /* SANITIZE OVERWRITE */
		{ 0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0 },         /* SANITIZE BLOCK ERASE */
		{ 0x48, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0 },         /* EXIT FAILURE MODE */
		{ 0x1b, 0, 0, 0, 0x02, 0 },                     /* eject (removable) */
		{ 0x1b, 0, 0, 0, 0x03, 0 },                     /* load (removable) */
	};

	(void)state;
	memset(&lu, 0, sizeof(lu));
	lu.removable = true;
	for (size_t i = 0; i < sizeof(cdbs) / sizeof(cdbs[0]); i++)
		assert_true(refused(&lu, cdbs[i]));
}

static void test_allowed(void **state)
{
	struct scsi_lu lu;
	static const uint8_t cdbs[][16] = {
		{ 0x00, 0, 0, 0, 0, 0 },                        /* TEST UNIT READY */
		{ 0x12, 0, 0, 0, 96, 0 },                       /* INQUIRY */
		{ 0x1a, 0, 0x3f, 0, 96, 0 },                    /* MODE SENSE(6) */
		{ 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 },            /* READ(10): the decoder's */
		{ 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 },            /* WRITE(10): the decoder's */
		{ 0x2f, 0x02, 0, 0, 0, 0, 0, 0, 1, 0 },         /* VERIFY BYTCHK=1 */
		{ 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 },            /* SYNCHRONIZE CACHE */
		{ 0x5e, 0x00, 0, 0, 0, 0, 0, 0, 24, 0 },        /* PR IN READ KEYS */
		{ 0x17, 0, 0, 0, 0, 0 },                        /* RELEASE(6) */
		{ 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0 },            /* RELEASE(10) */
		{ 0x1e, 0, 0, 0, 0x01, 0 },                     /* PREVENT: per nexus */
		{ 0x1b, 0x01, 0, 0, 0x01, 0 },                  /* START without LOEJ */
		{ 0x1b, 0x01, 0, 0, 0x32, 0 },                  /* LOEJ ignored: power condition */
		{ 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },   /* REPORT TARGET PORT GROUPS */
		{ 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },   /* REPORT SUPPORTED OPCODES */
		{ 0x84, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, /* RECEIVE COPY RESULTS */
		{ 0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0 }, /* GET LBA STATUS */
	};

	(void)state;
	memset(&lu, 0, sizeof(lu));
	lu.removable = true;
	for (size_t i = 0; i < sizeof(cdbs) / sizeof(cdbs[0]); i++)
		assert_false(refused(&lu, cdbs[i]));
	/* LOEJ on a fixed disk is not a medium change: its own field check
	 * (INVALID FIELD IN CDB) answers it, not this one */
	lu.removable = false;
	assert_false(refused(&lu, (const uint8_t[6]){ 0x1b, 0, 0, 0, 0x02, 0 }));
	/* MAINTENANCE OUT with another service action is not SET TPG */
	assert_false(refused(&lu, (const uint8_t[12]){ 0xa4, 0x06, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0 }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
