/* Unit tests of the core's emulated commands: INQUIRY and VPD, READ CAPACITY,
 * MODE SENSE, REPORT LUNS, REQUEST SENSE, unit attentions, unsupported opcodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi.h"

static uint8_t out[65536];

static struct scsi_lu mk_lu(uint32_t lun, uint64_t bytes, uint32_t bs, bool ro)
{
	struct scsi_lu lu;

	memset(&lu, 0, sizeof(lu));
	lu.lun = lun;
	lu.block_size = bs;
	lu.block_shift = bs == 512 ? 9 : 12;
	lu.nblocks = bytes / bs;
	lu.readonly = ro;
	lu.wce = true;
	lu.rotation = SCSI_ROT_NOT_REPORTED;
	lu.target_name = "iqn.2026-11.org.mtgt:demo";
	lu.rel_port = 1;
	scsi_lu_make_ids(&lu);
	return lu;
}

static void run(const struct scsi_lu *lu, bool wlun, const uint8_t *cdb, struct scsi_result *r)
{
	static const uint32_t luns[] = { 0, 1, 300 };
	struct scsi_emul_req q = {
		.lu = lu, .wlun = wlun, .cdb = cdb, .luns = luns, .nluns = 3,
		.ua_pending = NULL, .out = out, .cap = sizeof(out),
	};

	memset(out, 0xee, sizeof(out));
	memset(r, 0, sizeof(*r));
	scsi_emulate(&q, r);
}

static void assert_sense(const struct scsi_result *r, uint8_t key, uint16_t asc)
{
	assert_int_equal(r->status, SCSI_CHECK_CONDITION);
	assert_int_equal(r->sense_len, 18);
	assert_int_equal(r->sense[0], 0x70);
	assert_int_equal(r->sense[2] & 0x0f, key);
	assert_int_equal(r->sense[12], asc >> 8);
	assert_int_equal(r->sense[13], asc & 0xff);
}

static void test_inquiry_standard(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t cdb[6] = { INQUIRY, 0, 0, 0, 96, 0 };
	struct scsi_result r;

	(void)st;
	run(&lu, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 74);
	assert_int_equal(r.xfer_len, 96);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[2], 0x06);
	assert_int_equal(out[3] & 0x0f, 2);
	assert_int_equal(out[4], 74 - 5);
	assert_true(out[7] & 0x02);
	assert_memory_equal(out + 8, "MTGT    ", 8);
	assert_int_equal(scsi_be16(out + 58), 0x00a0); /* SAM-5 */
	assert_int_equal(scsi_be16(out + 60), 0x0460); /* SPC-4 */
	assert_int_equal(scsi_be16(out + 62), 0x04c0); /* SBC-3 */
	assert_int_equal(scsi_be16(out + 64), 0x0960); /* iSCSI */

	/* allocation length truncates */
	cdb[4] = 5;
	run(&lu, false, cdb, &r);
	assert_int_equal(r.data_len, 5);
	assert_int_equal(out[5], 0xee);
}

/* Standard INQUIRY data of lu as a nexus of transport proto sees it. */
static void inquiry_as(const struct scsi_lu *lu, bool wlun, uint8_t proto, struct scsi_result *r)
{
	static const uint8_t cdb[6] = { INQUIRY, 0, 0, 0, 96, 0 };
	struct scsi_emul_req q = {
		.lu = lu, .wlun = wlun, .proto = proto, .cdb = cdb,
		.out = out, .cap = sizeof(out),
	};

	memset(out, 0xee, sizeof(out));
	memset(r, 0, sizeof(*r));
	scsi_emulate(&q, r);
	assert_int_equal(r->status, SCSI_GOOD);
	assert_int_equal(r->data_len, 74);
}

/* Each transport reads its own descriptor (T10 codes: FCP-4 0A40h, SRP
 * 0940h, iSCSI 0960h), next to SAM-5, SPC-4 and SBC-3 or MMC-5; nothing of
 * another transport, and the unused descriptor slots stay zero. */
static void test_inquiry_versions_per_transport(void **st)
{
	static const struct {
		uint8_t proto;
		uint16_t vd;
	} t[] = {
		{ MSG_PROTO_ISCSI, 0x0960 },
		{ MSG_PROTO_FCP, 0x0a40 },
		{ MSG_PROTO_SRP, 0x0940 },
	};
	struct scsi_lu disk = mk_lu(0, 1 << 30, 512, false);
	struct scsi_lu cd = mk_lu(1, 1 << 30, 2048, true);
	struct scsi_result r;
	unsigned i, k;

	(void)st;
	cd.pdt = SCSI_PDT_CDROM;
	cd.removable = true;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		inquiry_as(&disk, false, t[i].proto, &r);
		assert_int_equal(scsi_be16(out + 58), 0x00a0);
		assert_int_equal(scsi_be16(out + 60), 0x0460);
		assert_int_equal(scsi_be16(out + 62), 0x04c0);
		assert_int_equal(scsi_be16(out + 64), t[i].vd);
		for (k = 66; k < 74; k++)
			assert_int_equal(out[k], 0);

		inquiry_as(&cd, false, t[i].proto, &r);
		assert_int_equal(out[0], SCSI_PDT_CDROM);
		assert_int_equal(scsi_be16(out + 62), 0x02a0);  /* MMC-5, not SBC-3 */
		assert_int_equal(scsi_be16(out + 64), t[i].vd);

		/* the REPORT LUNS well-known LU and a missing LUN name the
		 * transport too (the target port answers them) */
		inquiry_as(&disk, true, t[i].proto, &r);
		assert_int_equal(out[0], 0x1e);
		assert_int_equal(scsi_be16(out + 64), t[i].vd);
		inquiry_as(NULL, false, t[i].proto, &r);
		assert_int_equal(out[0], 0x7f);
		assert_int_equal(scsi_be16(out + 64), t[i].vd);
	}
}

static void test_inquiry_missing_lun(void **st)
{
	uint8_t cdb[6] = { INQUIRY, 0, 0, 0, 36, 0 };
	struct scsi_result r;

	(void)st;
	run(NULL, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[0], 0x7f);
	/* other commands to it: LOGICAL UNIT NOT SUPPORTED */
	uint8_t tur[6] = { TEST_UNIT_READY };
	run(NULL, false, tur, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
	/* REQUEST SENSE answers with sense data, status GOOD */
	uint8_t rs[6] = { REQUEST_SENSE, 0, 0, 0, 18, 0 };
	run(NULL, false, rs, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[2], SK_ILLEGAL_REQUEST);
	assert_int_equal(out[12], 0x25);
}

static void test_inquiry_bad_fields(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t cdb[6] = { INQUIRY, 0, 0x80, 0, 36, 0 };
	struct scsi_result r;

	(void)st;
	run(&lu, false, cdb, &r);  /* page code without EVPD */
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(r.sense[15], 0xc0);      /* SKSV, C/D, no bit pointer */
	assert_int_equal(scsi_be16(r.sense + 16), 2);
	cdb[1] = 0x02; cdb[2] = 0;                /* CMDDT */
	run(&lu, false, cdb, &r);
	assert_int_equal(r.sense[15], 0xc0 | 0x08 | 1);
	assert_int_equal(scsi_be16(r.sense + 16), 1);
	cdb[1] = 0x01; cdb[2] = 0x42;             /* unknown VPD page */
	run(&lu, false, cdb, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}

static void test_vpd_pages(void **st)
{
	struct scsi_lu lu = mk_lu(3, 1 << 30, 4096, false);
	struct scsi_lu lu2 = mk_lu(3, 1 << 30, 4096, false);
	struct scsi_lu lu4 = mk_lu(4, 1 << 30, 4096, false);
	uint8_t cdb[6] = { INQUIRY, 1, 0x00, 0x01, 0, 0 };
	struct scsi_result r;
	uint32_t off, len;
	bool naa = false, t10 = false, relport = false, name = false;

	(void)st;
	/* identifiers are stable (same input, same id) and differ per LUN */
	assert_memory_equal(lu.naa, lu2.naa, 16);
	assert_memory_not_equal(lu.naa, lu4.naa, 16);
	assert_int_equal(lu.naa[0] >> 4, 6);
	assert_string_equal(lu.serial, lu2.serial);

	run(&lu, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(scsi_be16(out + 2), 7);
	assert_memory_equal(out + 4, "\x00\x80\x83\x8f\xb0\xb1\xb2", 7);

	cdb[2] = 0x80;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be16(out + 2), 16);
	assert_memory_equal(out + 4, lu.serial, 16);

	cdb[2] = 0x83;
	run(&lu, false, cdb, &r);
	len = scsi_be16(out + 2);
	assert_int_equal(r.data_len, 4 + len);
	for (off = 4; off < 4 + len; off += 4 + out[off + 3]) {
		uint8_t assoc = (out[off + 1] >> 4) & 3, type = out[off + 1] & 0xf;

		if (assoc == 0 && type == 3) {
			assert_int_equal(out[off + 3], 16);
			assert_memory_equal(out + off + 4, lu.naa, 16);
			naa = true;
		} else if (assoc == 0 && type == 1) {
			assert_memory_equal(out + off + 4, "MTGT    ", 8);
			t10 = true;
		} else if (assoc == 1 && type == 4) {
			assert_int_equal(scsi_be16(out + off + 6), 1);
			relport = true;
		} else if (assoc == 2 && type == 8) {
			assert_string_equal((char *)out + off + 4, "iqn.2026-11.org.mtgt:demo");
			assert_int_equal(out[off + 3] % 4, 0);
			name = true;
		}
	}
	assert_int_equal(off, 4 + len);
	assert_true(naa && t10 && relport && name);

	cdb[2] = 0xb0;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be16(out + 2), 0x3c);
	assert_int_equal(scsi_be32(out + 8), (8u << 20) / 4096);
	assert_int_equal(scsi_be16(out + 6), 1);
	assert_int_equal(scsi_be32(out + 20), 0); /* no UNMAP yet */

	cdb[2] = 0xb1;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be16(out + 4), 0);  /* file: rate not reported */
	lu.rotation = SCSI_ROT_NONE;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be16(out + 4), 1);  /* ram/null: non-rotating */
}

static void test_read_capacity(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t rc10[10] = { READ_CAPACITY_10 };
	uint8_t rc16[16] = { SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16 };
	struct scsi_result r;

	(void)st;
	run(&lu, false, rc10, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(r.data_len, 8);
	assert_int_equal(scsi_be32(out), (1u << 21) - 1);
	assert_int_equal(scsi_be32(out + 4), 512);

	/* beyond 32 bits: READ CAPACITY (10) says FFFFFFFFh */
	lu.nblocks = 1ull << 33;
	run(&lu, false, rc10, &r);
	assert_int_equal(scsi_be32(out), 0xffffffffu);
	scsi_put32(rc16 + 10, 32);
	run(&lu, false, rc16, &r);
	assert_int_equal(r.data_len, 32);
	assert_true(scsi_be64(out) == (1ull << 33) - 1);
	assert_int_equal(scsi_be32(out + 8), 512);

	/* LBA without PMI */
	rc10[5] = 1;
	run(&lu, false, rc10, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* unknown service action */
	rc16[1] = 0x12;
	run(&lu, false, rc16, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}

static void test_mode_sense(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t ms6[6] = { MODE_SENSE_6, 0, 0x3f, 0, 255, 0 };
	uint8_t ms10[10] = { MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0 };
	struct scsi_result r;

	(void)st;
	run(&lu, false, ms6, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[0] + 1, r.data_len);
	assert_int_equal(out[2] & 0x80, 0);       /* not write protected */
	assert_int_equal(out[3], 8);              /* short block descriptor */
	assert_int_equal(scsi_be32(out + 4), 1u << 21);
	assert_int_equal(scsi_be24(out + 9), 512);
	/* pages in order: 01, 08 (WCE), 0A */
	assert_int_equal(out[12], 0x01);
	assert_int_equal(out[24], 0x08);
	assert_true(out[26] & 0x04);
	assert_int_equal(out[44], 0x0a);
	assert_int_equal(r.data_len, 56);

	/* DBD and write protect */
	lu.readonly = true;
	ms6[1] = 0x08;
	ms6[2] = 0x08;
	run(&lu, false, ms6, &r);
	assert_true(out[2] & 0x80);
	assert_int_equal(out[3], 0);
	assert_int_equal(out[4], 0x08);

	/* MODE SENSE (10) with LLBAA: long descriptor */
	run(&lu, false, ms10, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[4] & 1, 1);
	assert_int_equal(scsi_be16(out + 6), 16);
	assert_true(scsi_be64(out + 8) == 1u << 21);
	assert_int_equal(scsi_be32(out + 20), 512);
	assert_int_equal(out[24], 0x08);
	assert_int_equal(scsi_be16(out), r.data_len - 2);

	/* changeable values: nothing is */
	ms10[2] = 0x40 | 0x08;
	run(&lu, false, ms10, &r);
	assert_int_equal(out[24 + 2], 0);

	/* saved values: not supported */
	ms10[2] = 0xc0 | 0x08;
	run(&lu, false, ms10, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUP);

	/* unknown page, bad subpage */
	ms6[2] = 0x19;
	run(&lu, false, ms6, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	ms6[2] = 0x3f;
	ms6[3] = 0x01;
	run(&lu, false, ms6, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(scsi_be16(r.sense + 16), 3);
	ms6[3] = 0xff;
	run(&lu, false, ms6, &r);
	assert_int_equal(r.status, SCSI_GOOD);
}

static void test_report_luns(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t cdb[12] = { REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct scsi_result r;
	uint32_t lun;

	(void)st;
	run(&lu, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(scsi_be32(out), 24);
	assert_int_equal(r.data_len, 32);
	assert_true(scsi_be64(out + 8) == 0);
	assert_true(scsi_be64(out + 16) == 1ull << 48);
	/* LUN 300: flat space addressing */
	assert_int_equal(out[24], 0x41);
	assert_int_equal(out[25], 300 & 0xff);
	assert_int_equal(scsi_lun_decode(scsi_be64(out + 24), &lun), SCSI_LUN_NORMAL);
	assert_int_equal(lun, 300);

	/* select 1: only the REPORT LUNS well-known LUN */
	cdb[2] = 1;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be32(out), 8);
	assert_int_equal(scsi_be16(out + 8), 0xc101);
	/* select 2: all */
	cdb[2] = 2;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be32(out), 32);
	/* works through the well-known LUN and a missing LUN too */
	cdb[2] = 0;
	run(NULL, true, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	run(NULL, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	/* bad select, short allocation */
	cdb[2] = 7;
	run(&lu, false, cdb, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	cdb[2] = 0;
	scsi_put32(cdb + 6, 8);
	run(&lu, false, cdb, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* truncated list keeps the full length in the header */
	scsi_put32(cdb + 6, 16);
	run(&lu, false, cdb, &r);
	assert_int_equal(r.data_len, 16);
	assert_int_equal(scsi_be32(out), 24);
}

static void test_unit_attention(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint16_t ua = SCSI_UA_POWER_ON;
	uint8_t inq[6] = { INQUIRY, 0, 0, 0, 36, 0 };
	uint8_t tur[6] = { TEST_UNIT_READY };
	uint8_t rs[6] = { REQUEST_SENSE, 1, 0, 0, 252, 0 };
	struct scsi_result r;

	(void)st;
	(void)lu;
	assert_false(scsi_ua_check(&ua, inq, &r));
	assert_true(scsi_ua_check(&ua, tur, &r));
	assert_sense(&r, SK_UNIT_ATTENTION, ASC_POWER_ON_RESET);
	assert_false(scsi_ua_check(&ua, tur, &r)); /* reported once */

	/* REQUEST SENSE with DESC=1 returns a pending UA in descriptor format */
	ua = SCSI_UA_LUN_RESET;
	struct scsi_emul_req q = { .lu = &lu, .cdb = rs, .ua_pending = &ua, .out = out,
				   .cap = sizeof(out) };
	scsi_emulate(&q, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[0], 0x72);
	assert_int_equal(out[1], SK_UNIT_ATTENTION);
	assert_int_equal(out[2], 0x29);
	assert_int_equal(out[3], 0x03);
	assert_int_equal(ua, 0);
	/* nothing pending: NO SENSE, fixed format */
	rs[1] = 0;
	scsi_emulate(&q, &r);
	assert_int_equal(out[0], 0x70);
	assert_int_equal(out[2], SK_NO_SENSE);
	assert_int_equal(r.data_len, 18);
}

static void test_unsupported(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t ws[16] = { 0x93 }; /* WRITE SAME (16): not yet */
	uint8_t unmap[10] = { 0x42 };
	struct scsi_result r;

	(void)st;
	run(&lu, false, ws, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	run(&lu, false, unmap, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	/* the well-known LUN refuses media commands */
	uint8_t rc[10] = { READ_CAPACITY_10 };
	run(NULL, true, rc, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}

static void test_report_opcodes(void **st)
{
	struct scsi_lu lu = mk_lu(0, 1 << 30, 512, false);
	uint8_t cdb[12] = { MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	struct scsi_result r;
	uint32_t len, off;
	bool read10 = false, rc16 = false;

	(void)st;
	/* all commands */
	run(&lu, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	len = scsi_be32(out);
	assert_int_equal(len % 8, 0);
	assert_int_equal(r.data_len, len + 4);
	for (off = 4; off < 4 + len; off += 8) {
		if (out[off] == READ_10) {
			read10 = true;
			assert_int_equal(out[off + 5], 0);
			assert_int_equal(scsi_be16(out + off + 6), 10);
		}
		if (out[off] == SERVICE_ACTION_IN_16 &&
		    scsi_be16(out + off + 2) != SAI_GET_LBA_STATUS) {
			rc16 = true;
			assert_int_equal(scsi_be16(out + off + 2), SAI_READ_CAPACITY_16);
			assert_int_equal(out[off + 5], 0x01);   /* SERVACTV */
		}
		/* nothing listed that the device server refuses */
		assert_int_not_equal(out[off], 0x3b);   /* WRITE BUFFER */
	}
	assert_true(read10 && rc16);
	/* with timeouts descriptors: 20 bytes per command */
	cdb[2] = 0x80;
	run(&lu, false, cdb, &r);
	assert_int_equal(scsi_be32(out), len / 8 * 20);
	/* one command: READ (10), DPO and FUA evaluated */
	cdb[2] = 0x01;
	cdb[3] = READ_10;
	run(&lu, false, cdb, &r);
	assert_int_equal(out[1] & 0x07, 0x03);
	assert_int_equal(scsi_be16(out + 2), 10);
	assert_int_equal(out[4], READ_10);
	assert_int_equal(out[5] & 0x18, 0x18);
	/* one command that is not supported */
	cdb[3] = 0x3b;
	run(&lu, false, cdb, &r);
	assert_int_equal(r.status, SCSI_GOOD);
	assert_int_equal(out[1] & 0x07, 0x01);
	/* option 1 for a command with service actions: invalid */
	cdb[3] = SERVICE_ACTION_IN_16;
	run(&lu, false, cdb, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* option 2 with its service action */
	cdb[2] = 0x02;
	scsi_put16(cdb + 4, SAI_READ_CAPACITY_16);
	run(&lu, false, cdb, &r);
	assert_int_equal(out[1] & 0x07, 0x03);
	assert_int_equal(scsi_be16(out + 2), 16);
	/* another MAINTENANCE IN service action */
	cdb[1] = 0x0d;
	run(&lu, false, cdb, &r);
	assert_sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inquiry_standard),
		cmocka_unit_test(test_inquiry_versions_per_transport),
		cmocka_unit_test(test_inquiry_missing_lun),
		cmocka_unit_test(test_inquiry_bad_fields),
		cmocka_unit_test(test_vpd_pages),
		cmocka_unit_test(test_read_capacity),
		cmocka_unit_test(test_mode_sense),
		cmocka_unit_test(test_report_luns),
		cmocka_unit_test(test_unit_attention),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_report_opcodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
