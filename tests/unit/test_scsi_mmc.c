/* Unit tests of the CD/DVD and removable-media emulation: the MMC commands
 * (scsi_mmc.c), INQUIRY of a cdrom and of a removable disk, the capabilities
 * mode page, READ CAPACITY(16) of a 512e LU, LOEJ on a fixed disk, and the
 * per-device-type rows of REPORT SUPPORTED OPERATION CODES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static uint8_t out[4096];

static struct scsi_lu mk_cd(uint64_t bytes)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.block_size = 2048;
	lu.block_shift = 11;
	lu.nblocks = bytes / 2048;
	lu.pdt = SCSI_PDT_CDROM;
	lu.removable = true;
	lu.readonly = lu.ro_config = true;
	lu.target_name = "iqn.2026-11.org.mtgt:cd";
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

static void run(struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r)
{
	memset(r, 0, sizeof(*r));
	memset(out, 0xee, sizeof(out));
	scsi_mmc_emulate(lu, cdb, out, sizeof(out), r);
}

static void test_get_configuration(void **state)
{
	struct scsi_lu cd = mk_cd(100u << 20), dvd = mk_cd(4000ull << 20);
	uint8_t all[10] = { GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 1, 0, 0 };
	uint8_t cur[10] = { GET_CONFIGURATION, 1, 0, 0x10, 0, 0, 0, 1, 0, 0 };
	uint8_t one[10] = { GET_CONFIGURATION, 2, 0, 0x1f, 0, 0, 0, 1, 0, 0 };
	uint8_t bad[10] = { GET_CONFIGURATION, 3, 0, 0, 0, 0, 0, 1, 0, 0 };
	struct scsi_result r;

	(void)state;
	run(&cd, all, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(scsi_be32(out), r.data_len - 4);
	assert_int_equal(scsi_be16(out + 6), 0x0008);            /* CD-ROM */
	assert_int_equal(scsi_be16(out + 8), 0x0000);            /* profile list first */
	assert_int_equal(out[8 + 3], 8);
	assert_int_equal(scsi_be16(out + 12), 0x0010);
	assert_int_equal(out[14], 0);                            /* DVD-ROM not current */
	assert_int_equal(scsi_be16(out + 16), 0x0008);
	assert_int_equal(out[18], 1);                            /* CD-ROM current */
	run(&dvd, all, &r);
	assert_int_equal(scsi_be16(out + 6), 0x0010);            /* DVD-ROM */
	/* RT=1 from 0010h: Random Readable and CD Read, not DVD Read */
	run(&cd, cur, &r);
	assert_int_equal(r.data_len, 8 + 12 + 8);
	assert_int_equal(scsi_be16(out + 8), 0x0010);
	assert_int_equal(scsi_be32(out + 12), 2048);
	assert_int_equal(scsi_be16(out + 20), 0x001e);
	/* RT=2: the one feature, current or not */
	run(&cd, one, &r);
	assert_int_equal(r.data_len, 16);
	assert_int_equal(scsi_be16(out + 8), 0x001f);
	assert_int_equal(out[10] & 1, 0);
	run(&cd, bad, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* no medium: no current profile, no current Random Readable */
	cd.medium_out = true;
	run(&cd, cur, &r);
	assert_int_equal(scsi_be16(out + 6), 0);
	assert_int_equal(r.data_len, 8);
}

static void test_read_toc(void **state)
{
	struct scsi_lu cd = mk_cd(1000 * 2048);
	uint8_t toc[10] = { READ_TOC, 0, 0, 0, 0, 0, 0, 0, 64, 0 };
	struct scsi_result r;

	(void)state;
	run(&cd, toc, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 20);
	assert_int_equal(scsi_be16(out), 18);
	assert_int_equal(out[6], 1);
	assert_int_equal(out[13], 0x14);
	assert_int_equal(out[14], 0xaa);
	assert_int_equal(scsi_be32(out + 16), 1000);
	toc[1] = 0x02;                                  /* MSF: 1150 frames */
	run(&cd, toc, &r);
	assert_int_equal(out[17], 0);
	assert_int_equal(out[18], 15);
	assert_int_equal(out[19], 25);
	toc[1] = 0;
	toc[6] = 0xaa;                                  /* lead-out only */
	run(&cd, toc, &r);
	assert_int_equal(r.data_len, 12);
	toc[6] = 2;
	run(&cd, toc, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	toc[6] = 0;
	toc[2] = 1;                                     /* session info */
	run(&cd, toc, &r);
	assert_int_equal(r.data_len, 12);
	assert_int_equal(scsi_be16(out), 10);
	toc[2] = 2;                                     /* full TOC */
	run(&cd, toc, &r);
	assert_int_equal(r.data_len, 4 + 4 * 11);
	assert_int_equal(out[4 + 3], 0xa0);
	assert_int_equal(out[4 + 22 + 3], 0xa2);
	assert_int_equal(out[4 + 22 + 9], 15);
	toc[2] = 4;                                     /* ATIP: not on a pressed disc */
	run(&cd, toc, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	toc[2] = 0;
	toc[9] = 0x40;                                  /* SFF-8020 format field: 1 */
	run(&cd, toc, &r);
	assert_int_equal(scsi_be16(out), 10);
	cd.medium_out = true;
	run(&cd, toc, &r);
	assert_sense(&r, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
}

static void test_event_status(void **state)
{
	struct scsi_lu cd = mk_cd(1000 * 2048);
	uint8_t media[10] = { GET_EVENT_STATUS, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	uint8_t none[10] = { GET_EVENT_STATUS, 1, 0, 0, 0x04, 0, 0, 0, 8, 0 };
	uint8_t async[10] = { GET_EVENT_STATUS, 0, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	struct scsi_result r;

	(void)state;
	cd.media_event = SCSI_MEDIA_EV_NEW;
	run(&cd, media, &r);
	assert_int_equal(r.data_len, 8);
	assert_int_equal(out[2], 4);
	assert_int_equal(out[3], 0x12);
	assert_int_equal(out[4], SCSI_MEDIA_EV_NEW);
	assert_int_equal(out[5], 0x02);
	run(&cd, media, &r);                            /* reported once */
	assert_int_equal(out[4], SCSI_MEDIA_EV_NONE);
	run(&cd, none, &r);                             /* class 2 is not supported */
	assert_int_equal(r.data_len, 4);
	assert_int_equal(out[2], 0x80);
	run(&cd, async, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}

static void test_disc_info_mechanism(void **state)
{
	struct scsi_lu cd = mk_cd(1000 * 2048);
	uint8_t di[10] = { READ_DISC_INFORMATION, 0, 0, 0, 0, 0, 0, 0, 34, 0 };
	uint8_t ms[12] = { MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0 };
	struct scsi_result r;

	(void)state;
	run(&cd, di, &r);
	assert_int_equal(r.data_len, 34);
	assert_int_equal(scsi_be16(out), 32);
	assert_int_equal(out[2], 0x0e);
	di[1] = 1;                                      /* track resources: no */
	run(&cd, di, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	run(&cd, ms, &r);
	assert_int_equal(r.data_len, 8);
	assert_int_equal(out[1], 0);
	cd.medium_out = true;
	run(&cd, ms, &r);
	assert_int_equal(out[1], 0x10);
	di[1] = 0;
	run(&cd, di, &r);
	assert_sense(&r, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
	assert_true(scsi_media_absent_ok(ms));
	assert_false(scsi_media_absent_ok(di));
}

static void test_inquiry_mode_capacity(void **state)
{
	struct scsi_lu cd = mk_cd(1000 * 2048), disk = mk_cd(1000 * 2048);
	uint8_t inq[6] = { INQUIRY, 0, 0, 0, 96, 0 };
	uint8_t ms[10] = { MODE_SENSE_10, 0x08, 0x2a, 0, 0, 0, 0, 0, 64, 0 };
	uint8_t rc16[16] = { SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, 0, 0, 0, 0, 0, 0, 0, 0,
			     0, 0, 0, 32, 0, 0 };
	uint8_t ssu[6] = { START_STOP_UNIT, 0, 0, 0, 0x02, 0 };
	struct scsi_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	scsi_inquiry(&cd, false, MSG_PROTO_ISCSI, inq, out, sizeof(out), &r);
	assert_int_equal(out[0], 5);
	assert_int_equal(out[1], 0x80);
	assert_memory_equal(out + 16, "VIRTUAL-CDROM", 13);
	scsi_mode_sense(&cd, ms, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[8], 0x2a);
	assert_int_equal(out[14] & 0x29, 0x29);
	cd.prevented = true;
	scsi_mode_sense(&cd, ms, out, sizeof(out), &r);
	assert_int_equal(out[14] & 0x02, 0x02);

	/* a 512e disk: LBPPBE 3; a fixed one refuses LOEJ */
	disk.pdt = 0;
	disk.removable = false;
	disk.block_size = 512;
	disk.block_shift = 9;
	disk.lbppbe = 3;
	scsi_mode_sense(&disk, ms, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB); /* no page 2Ah */
	memset(&r, 0, sizeof(r));
	scsi_read_capacity(&disk, rc16, out, sizeof(out), &r);
	assert_int_equal(out[13] & 0x0f, 3);
	assert_int_equal(scsi_be16(out + 14) & 0x3fff, 0);
	memset(&r, 0, sizeof(r));
	scsi_sbc_emulate(&disk, ssu, out, sizeof(out), &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	ssu[4] = 0x12;                                  /* power condition set: LOEJ ignored */
	memset(&r, 0, sizeof(r));
	scsi_sbc_emulate(&disk, ssu, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	disk.removable = true;
	ssu[4] = 0x02;
	memset(&r, 0, sizeof(r));
	scsi_sbc_emulate(&disk, ssu, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
}

/* Is (op, sa) in the "all commands" list of REPORT SUPPORTED OPERATION CODES? */
static bool rsoc_lists(const struct scsi_lu *lu, uint8_t op, uint16_t sa)
{
	uint8_t cdb[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, 0, 0, 0, 0,
			    0, 0, 0x10, 0, 0, 0 };
	struct scsi_result r;

	memset(&r, 0, sizeof(r));
	scsi_report_opcodes_lu(lu, cdb, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	for (uint32_t n = 4; n + 8 <= 4 + scsi_be32(out); n += 8)
		if (out[n] == op && (!(out[n + 5] & 1) || scsi_be16(out + n + 2) == sa))
			return true;
	return false;
}

/* One command (option 1 / 2): returns the SUPPORT field. */
static uint8_t rsoc_one(const struct scsi_lu *lu, uint8_t op, bool sa, uint16_t sav)
{
	uint8_t cdb[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, sa ? 2 : 1, op,
			    (uint8_t)(sav >> 8), (uint8_t)sav, 0, 0, 1, 0, 0, 0 };
	struct scsi_result r;

	memset(&r, 0, sizeof(r));
	scsi_report_opcodes_lu(lu, cdb, out, sizeof(out), &r);
	assert_int_equal(r.status, SCSI_GOOD);
	return out[1] & 0x07;
}

static void test_opcodes_per_type(void **state)
{
	struct scsi_lu cd = mk_cd(100u << 20), disk = mk_cd(100u << 20);
	static const uint8_t mmc[] = { GET_CONFIGURATION, READ_TOC, GET_EVENT_STATUS,
				       READ_DISC_INFORMATION, MECHANISM_STATUS };
	/* SBC-only commands MMC-6 does not define */
	static const uint8_t sbc_only[] = { READ_6, WRITE_6, READ_16, WRITE_16, VERIFY_12,
					    VERIFY_16, SYNCHRONIZE_CACHE_16, FORMAT_UNIT,
					    WRITE_SAME_10, WRITE_SAME_16, UNMAP,
					    COMPARE_AND_WRITE, ORWRITE_16, WRITE_VERIFY_12,
					    WRITE_VERIFY_16, PRE_FETCH_10, PRE_FETCH_16,
					    WRITE_ATOMIC_16, READ_DEFECT_DATA_10,
					    READ_DEFECT_DATA_12 };
	/* what both run */
	static const uint8_t both[] = { TEST_UNIT_READY, INQUIRY, READ_10, READ_12, WRITE_10,
					WRITE_12, VERIFY_10, WRITE_VERIFY_10,
					SYNCHRONIZE_CACHE_10, READ_CAPACITY_10, START_STOP_UNIT,
					PREVENT_ALLOW_MEDIUM_REMOVAL, MODE_SENSE_10, REPORT_LUNS };
	uint8_t cdb[16];

	(void)state;
	disk.pdt = 0;
	disk.block_size = 512;
	disk.readonly = disk.ro_config = false;
	disk.thin = true;
	for (size_t i = 0; i < sizeof(mmc); i++) {
		assert_true(rsoc_lists(&cd, mmc[i], 0));
		assert_false(rsoc_lists(&disk, mmc[i], 0));
		assert_int_equal(rsoc_one(&cd, mmc[i], false, 0), 3);
		assert_int_equal(rsoc_one(&disk, mmc[i], false, 0), 1);
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = mmc[i];
		assert_true(scsi_opcode_of_type(&cd, cdb));
		assert_false(scsi_opcode_of_type(&disk, cdb));
	}
	for (size_t i = 0; i < sizeof(sbc_only); i++) {
		assert_false(rsoc_lists(&cd, sbc_only[i], 0));
		assert_true(rsoc_lists(&disk, sbc_only[i], 0));
		assert_int_equal(rsoc_one(&cd, sbc_only[i], false, 0), 1);
		assert_int_equal(rsoc_one(&disk, sbc_only[i], false, 0), 3);
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = sbc_only[i];
		assert_false(scsi_opcode_of_type(&cd, cdb));
		assert_true(scsi_opcode_of_type(&disk, cdb));
	}
	for (size_t i = 0; i < sizeof(both); i++) {
		assert_true(rsoc_lists(&cd, both[i], 0));
		assert_true(rsoc_lists(&disk, both[i], 0));
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = both[i];
		assert_true(scsi_opcode_of_type(&cd, cdb));
	}
	/* service-action commands: READ CAPACITY(16), GET LBA STATUS, SANITIZE */
	assert_false(rsoc_lists(&cd, SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16));
	assert_true(rsoc_lists(&disk, SERVICE_ACTION_IN_16, SAI_GET_LBA_STATUS));
	assert_int_equal(rsoc_one(&cd, SERVICE_ACTION_IN_16, true, SAI_READ_CAPACITY_16), 1);
	assert_int_equal(rsoc_one(&cd, SANITIZE, true, 1), 1);
	assert_int_equal(rsoc_one(&disk, SANITIZE, true, 1), 3);
	/* SPC commands stay on both: MAINTENANCE IN, PERSISTENT RESERVE IN */
	assert_int_equal(rsoc_one(&cd, MAINTENANCE_IN, true, MI_REPORT_SUPPORTED_OPCODES), 3);
	assert_int_equal(rsoc_one(&cd, 0x5e, true, 0), 3);
	/* an opcode in no row at all: left to the dispatchers */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x3b;
	assert_true(scsi_opcode_of_type(&cd, cdb));
	/* the LU-less device server lists the disk set, no MMC */
	assert_false(rsoc_lists(NULL, GET_CONFIGURATION, 0));
	assert_true(rsoc_lists(NULL, READ_16, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_configuration),
		cmocka_unit_test(test_read_toc),
		cmocka_unit_test(test_event_status),
		cmocka_unit_test(test_disc_info_mechanism),
		cmocka_unit_test(test_inquiry_mode_capacity),
		cmocka_unit_test(test_opcodes_per_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
