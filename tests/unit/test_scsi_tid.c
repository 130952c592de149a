/* TransportIDs per transport (procs/core/scsi_tid.c, SPC-4 7.6.4): iSCSI,
 * FCP (protocol 0: the N_Port name) and SRP (protocol 4: the initiator port
 * identifier), built for READ FULL STATUS and parsed for SPEC_I_PT and
 * REGISTER AND MOVE; hostile ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "procs/core/scsi_pr.h"

static uint8_t out[65536];

static struct scsi_itn itn(const char *name, uint64_t isid, uint8_t proto)
{
	struct scsi_itn t;

	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.isid = isid;
	t.proto = proto;
	return t;
}

static void test_build(void **st)
{
	static const uint8_t fc[24] = { 0x00, 0, 0, 0, 0, 0, 0, 0,
					0x21, 0x00, 0x00, 0x1b, 0x32, 0xbb, 0x00, 0x01 };
	static const uint8_t srp[24] = { 0x04, 0, 0, 0, 0, 0, 0, 0,
					 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct scsi_itn f = itn("0x2100001b32bb0001", 0x1b32aa0001ull, MSG_PROTO_FCP);
	struct scsi_itn s = itn("0x00112233445566778899aabbccddeeff", 7, MSG_PROTO_SRP);
	struct scsi_itn i = itn("iqn.2026-11.org.test:a", 0x23d000000001ull, MSG_PROTO_ISCSI);
	uint8_t b[SCSI_TID_MAX];
	uint32_t n;

	(void)st;
	assert_int_equal(scsi_tid_build(&f, b), 24);
	assert_memory_equal(b, fc, 24);
	assert_int_equal(scsi_tid_build(&s, b), 24);
	assert_memory_equal(b, srp, 24);
	n = scsi_tid_build(&i, b);
	assert_int_equal(b[0], 0x45);   /* format 01, iSCSI */
	assert_int_equal(n, 4 + scsi_be16(b + 2));
	assert_string_equal((char *)b + 4, "iqn.2026-11.org.test:a,i,0x23d000000001");
	/* an FCP name that is no WWPN is not turned into an invented one */
	f = itn("not-a-wwpn", 1, MSG_PROTO_FCP);
	assert_int_equal(scsi_tid_build(&f, b), 24);
	assert_string_equal((char *)b + 4, "not-a-wwpn");
	assert_int_equal(b[0] & 0x0f, 5);
}

static void test_parse(void **st)
{
	uint8_t fc[24] = { 0x00, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x00, 0x00, 0x1b, 0x32, 0xbb, 0x00, 0x02 };
	uint8_t srp[24] = { 0x04 };
	struct scsi_itn self_fc = itn("0x2100001b32bb0001", 0x1b32aa0001ull, MSG_PROTO_FCP);
	struct scsi_itn self_i = itn("iqn.2026-11.org.test:a", 0x23d000000001ull, 0);
	struct scsi_itn t;

	(void)st;
	srp[8] = 0xfe;
	srp[23] = 0x01;
	/* FCP from an FCP nexus: the same target port */
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_fc, &t), 24);
	assert_string_equal(t.name, "0x2100001b32bb0002");
	assert_int_equal(t.proto, MSG_PROTO_FCP);
	assert_int_equal(t.isid, self_fc.isid);
	/* from an iSCSI nexus: every target port of that initiator port */
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_i, &t), 24);
	assert_int_equal(t.isid, SCSI_ITN_ANY_ISID);
	assert_int_equal(scsi_tid_parse(srp, sizeof(srp), &self_fc, &t), 24);
	assert_string_equal(t.name, "0xfe000000000000000000000000000001");
	assert_int_equal(t.proto, MSG_PROTO_SRP);
	assert_int_equal(t.isid, SCSI_ITN_ANY_ISID);
	/* refused: short, format 01 for FCP, N_Port name 0, SAS (6), unknown (0xf) */
	assert_int_equal(scsi_tid_parse(fc, 23, &self_fc, &t), 0);
	fc[0] = 0x40;
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_fc, &t), 0);
	fc[0] = 0x00;
	memset(fc + 8, 0, 8);
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_fc, &t), 0);
	fc[0] = 0x06;
	fc[8] = 1;
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_fc, &t), 0);
	fc[0] = 0x0f;
	assert_int_equal(scsi_tid_parse(fc, sizeof(fc), &self_fc, &t), 0);
	assert_int_equal(scsi_tid_parse(fc, 3, &self_fc, &t), 0);
	/* an iSCSI TransportID may not carry another transport's hex name */
	{
		uint8_t b[24] = { 0x05, 0, 0, 20 };

		memcpy(b + 4, "0x2100001b32bb0002", 18);
		assert_int_equal(scsi_tid_parse(b, sizeof(b), &self_fc, &t), 0);
		memcpy(b + 4, "iqn.2026-11.x:y\0\0\0", 18);
		assert_int_equal(scsi_tid_parse(b, sizeof(b), &self_fc, &t), 24);
		assert_int_equal(t.proto, MSG_PROTO_ISCSI);
		assert_int_equal(t.isid, SCSI_ITN_ANY_ISID);
	}
	/* every value of the protocol nibble and format, short buffers: no
	 * crash, nothing past avail read (ASan) */
	for (unsigned v = 0; v < 256; v++)
		for (uint32_t a = 0; a <= 24; a++) {
			uint8_t b[24];

			memset(b, 0x41, sizeof(b));
			b[0] = (uint8_t)v;
			b[2] = 0;
			b[3] = 20;
			scsi_tid_parse(b, a, &self_fc, &t);
		}
	assert_int_equal(scsi_itn_proto_of_name("0x2100001b32bb0002"), MSG_PROTO_FCP);
	assert_int_equal(scsi_itn_proto_of_name("0xfe000000000000000000000000000001"), MSG_PROTO_SRP);
	assert_int_equal(scsi_itn_proto_of_name("iqn.2026-11.x:y"), MSG_PROTO_ISCSI);
	assert_int_equal(scsi_itn_proto_of_name("0x12"), MSG_PROTO_ISCSI);
}

static bool prout(struct scsi_pr *pr, const struct scsi_itn *self, uint8_t sa,
		  const uint8_t *param, uint32_t plen, struct scsi_result *r)
{
	uint8_t cdb[10] = { PERSISTENT_RESERVE_OUT, sa, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct scsi_pr_req q = { .pr = pr, .self = self, .cdb = cdb, .param = param, .plen = plen,
				 .rel_port = 1, .out = out, .cap = sizeof(out) };

	scsi_put32(cdb + 5, plen);
	memset(r, 0, sizeof(*r));
	return scsi_pr_execute(&q, r);
}

static void noop(void *ctx, const struct scsi_itn *itn, uint16_t bit, bool abort)
{
}

/* REGISTER with SPEC_I_PT naming an FCP and an SRP port from an FCP
 * nexus, then READ FULL STATUS: each registration in its own format. */
static void test_full_status(void **st)
{
	struct scsi_itn self = itn("0x2100001b32bb0001", 0x1b32aa0001ull, MSG_PROTO_FCP);
	uint8_t p[28 + 48] = { 0 }, cdb[10] = { PERSISTENT_RESERVE_IN, 3 };
	struct scsi_pr pr;
	struct scsi_result r;
	uint32_t off, n, found = 0;

	(void)st;
	scsi_pr_init(&pr);
	scsi_put64(p + 8, 0xabc);
	p[20] = 0x08;                    /* SPEC_I_PT */
	scsi_put32(p + 24, 48);
	p[28] = 0x00;                    /* FCP */
	scsi_put64(p + 28 + 8, 0x2100001b32bb0005ull);
	p[52] = 0x04;                    /* SRP */
	p[52 + 8] = 0xfe;
	p[52 + 23] = 0x05;
	prout(&pr, &self, 0, p, sizeof(p), &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(pr.nregs, 3);

	scsi_put16(cdb + 7, 4096);
	{
		struct scsi_pr_req q = { .pr = &pr, .self = &self, .cdb = cdb, .rel_port = 1,
					 .notify = noop, .out = out, .cap = sizeof(out) };

		memset(&r, 0, sizeof(r));
		scsi_pr_execute(&q, &r);
	}
	assert_int_equal(r.status, 0);
	n = 8 + scsi_be32(out + 4);
	for (off = 8; off < n; off += 24 + scsi_be32(out + off + 20)) {
		const uint8_t *d = out + off + 24;

		assert_int_equal(scsi_be64(out + off), 0xabc);
		assert_int_equal(scsi_be32(out + off + 20), 24);
		if ((d[0] & 0x0f) == 0 && scsi_be64(d + 8) == 0x2100001b32bb0001ull)
			found |= 1;
		if ((d[0] & 0x0f) == 0 && scsi_be64(d + 8) == 0x2100001b32bb0005ull)
			found |= 2;
		if ((d[0] & 0x0f) == 4 && d[8] == 0xfe && d[23] == 0x05)
			found |= 4;
	}
	assert_int_equal(found, 7);
	scsi_pr_free(&pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_full_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
