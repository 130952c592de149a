/* test-raw-initiator: the cases. Usage:
 *   test-raw-initiator HOST:PORT TARGET CASE...
 * Each case prints "ok CASE" or FAIL lines; the exit status is 1 if any
 * check failed. Cases ("all": every one but logout-req): login r2t-snack
 * hd-dataout imm-digest read-snack tmf ahs text async reinstate, and
 * logout-req (against test-iscsi-fakecore, whose pid is RAWI_FAKECORE_PID). */
#include "tests/integration/rawi.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_addr, *g_target;
static const char *g_ini = "iqn.2026-11.org.mtgt:raw-initiator";

#define KEYS_ERL1 "HeaderDigest=CRC32C,None\nDataDigest=CRC32C,None\n" \
	"ErrorRecoveryLevel=1\nInitialR2T=Yes\nImmediateData=Yes\n" \
	"MaxRecvDataSegmentLength=8192\nMaxBurstLength=32768\nFirstBurstLength=16384\n" \
	"MaxOutstandingR2T=1\nDefaultTime2Wait=0\nDefaultTime2Retain=0\n" \
	"DataPDUInOrder=Yes\nDataSequenceInOrder=Yes\nMaxConnections=1\n"

static struct rawi_pdu P, Q; /* big: static */

static int open_session(struct rawi *x, const char *name, uint8_t isid_last, const char *keys)
{
	if (rawi_connect(x, g_addr, name) < 0) {
		CHECK(0, "%s: connect failed", name);
		return -1;
	}
	x->isid[5] = isid_last;
	int st = rawi_login(x, g_ini, g_target, keys, &P);

	CHECK(st == 0, "%s: login status 0x%x", name, st);
	if (st)
		return -1;
	/* the first command of a nexus reports POWER ON: take it */
	for (int i = 0; i < 4; i++) {
		uint8_t tur[16] = { 0 };
		uint32_t itt = rawi_cmd(x, 0, 0, tur, 16, 0, NULL, 0, false, 0);

		if (rawi_expect(x, ISCSI_OP_SCSI_RSP, &Q, RAWI_TIMEOUT_MS) != 1)
			return -1;
		if (iscsi_get32(Q.bhs + 16) == itt && Q.bhs[3] == 0)
			return 0;
	}
	return -1;
}

/* ---- login ---- */

static void case_login(void)
{
	struct rawi x;
	const char *v;

	if (rawi_connect(&x, g_addr, "login") < 0) {
		CHECK(0, "connect");
		return;
	}
	int st = rawi_login(&x, g_ini, g_target,
			    "HeaderDigest=CRC32C\nDataDigest=CRC32C\nErrorRecoveryLevel=2\n"
			    "MaxConnections=4\nDefaultTime2Retain=20\n", &P);

	CHECK(st == 0, "login status 0x%x", st);
	v = rawi_key(&P, "ErrorRecoveryLevel");
	CHECK(v && !strcmp(v, "2"), "ErrorRecoveryLevel=2 offered: answer %s (want 2)", v ? v : "-");
	v = rawi_key(&P, "DefaultTime2Retain");
	CHECK(v && !strcmp(v, "20"), "DefaultTime2Retain=20 at ERL 2: answer %s (want 20)", v ? v : "-");
	v = rawi_key(&P, "MaxConnections");
	CHECK(v && !strcmp(v, "4"), "MaxConnections answer %s (want 4)", v ? v : "-");
	v = rawi_key(&P, "HeaderDigest");
	CHECK(v && !strcmp(v, "CRC32C"), "HeaderDigest answer %s", v ? v : "-");
	v = rawi_key(&P, "DataDigest");
	CHECK(v && !strcmp(v, "CRC32C"), "DataDigest answer %s", v ? v : "-");
	CHECK(x.tsih != 0, "TSIH 0 in the final login response");
	CHECK(rawi_ping(&x, 0), "NOP after an ERL 1 login with digests");
	rawi_close(&x);
}

/* ---- writes with lost data ---- */

static void fill(uint8_t *buf, uint32_t lba, uint32_t len, uint32_t seed)
{
	rawi_pattern(buf, (uint64_t)lba * 512, len, seed);
}

/* Send [off, off+len) of buf as Data-Out PDUs of 8 KiB for (itt, ttt),
 * DataSN from 0; `bad` (PDU index, -1 none) gets `corrupt`. */
static void send_seq(struct rawi *x, uint32_t itt, uint32_t ttt, const uint8_t *buf,
		     uint32_t off, uint32_t len, int bad, int corrupt)
{
	uint32_t sn = 0;

	while (len) {
		uint32_t n = len < 8192 ? len : 8192;

		rawi_dout(x, itt, ttt, sn, off, buf + off, n, n == len,
			  (int)sn == bad ? corrupt : 0);
		sn++;
		off += n;
		len -= n;
	}
}

static int expect_r2t(struct rawi *x, uint32_t itt, uint32_t r2tsn, uint32_t off,
		      uint32_t len, uint32_t *ttt, const char *what)
{
	if (rawi_expect(x, ISCSI_OP_R2T, &P, 3000) != 1) {
		CHECK(0, "%s: no R2T", what);
		return -1;
	}
	CHECK(iscsi_get32(P.bhs + 16) == itt, "%s: R2T ITT 0x%x", what, iscsi_get32(P.bhs + 16));
	CHECK(iscsi_get32(P.bhs + 36) == r2tsn, "%s: R2TSN %u, want %u", what,
	      iscsi_get32(P.bhs + 36), r2tsn);
	CHECK(iscsi_get32(P.bhs + 40) == off, "%s: R2T offset %u, want %u", what,
	      iscsi_get32(P.bhs + 40), off);
	CHECK(iscsi_get32(P.bhs + 44) == len, "%s: R2T length %u, want %u", what,
	      iscsi_get32(P.bhs + 44), len);
	CHECK(iscsi_get32(P.bhs + 20) != ISCSI_RSVD_TAG, "%s: R2T TTT reserved", what);
	*ttt = iscsi_get32(P.bhs + 20);
	return 0;
}

static void expect_good(struct rawi *x, uint32_t itt, const char *what)
{
	if (rawi_expect(x, ISCSI_OP_SCSI_RSP, &P, 3000) != 1) {
		CHECK(0, "%s: no SCSI Response", what);
		return;
	}
	CHECK(iscsi_get32(P.bhs + 16) == itt && P.bhs[2] == 0 && P.bhs[3] == 0,
	      "%s: response ITT 0x%x response %u status 0x%x", what, iscsi_get32(P.bhs + 16),
	      P.bhs[2], P.bhs[3]);
}

static void expect_reject(struct rawi *x, uint8_t reason, uint8_t op, const char *what)
{
	if (rawi_expect(x, ISCSI_OP_REJECT, &P, 3000) != 1) {
		CHECK(0, "%s: no Reject", what);
		return;
	}
	CHECK(P.bhs[2] == reason, "%s: Reject reason 0x%x, want 0x%x", what, P.bhs[2], reason);
	CHECK(P.dlen == 48 && (P.data[0] & ISCSI_OP_MASK) == op,
	      "%s: Reject data: %u bytes, opcode 0x%x", what, P.dlen, P.data[0] & 0x3f);
	CHECK(iscsi_get32(P.bhs + 16) == ISCSI_RSVD_TAG, "%s: Reject ITT", what);
}

static uint8_t wbuf[65536];

/* R2T SNACK, then a Data-Out whose data digest fails: Reject + recovery R2T */
static void case_r2t_snack(void)
{
	struct rawi x;
	uint8_t cdb[16], first[48];
	uint32_t itt, ttt, ttt2, lba = 100, len = 32768;

	if (open_session(&x, "r2t-snack", 2, KEYS_ERL1))
		return;
	CHECK(x.erl == 1 && x.dd && x.hd, "ERL %u digests %d/%d", x.erl, x.hd, x.dd);
	fill(wbuf, lba, len, 11);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	itt = rawi_cmd(&x, ISCSI_CMD_WRITE, 0, cdb, 16, len, NULL, 0, false, 0);
	if (expect_r2t(&x, itt, 0, 0, len, &ttt, "first R2T"))
		return;
	memcpy(first, P.bhs, 48);
	/* R2T SNACK (type 0) for R2TSN 0: the same R2T again */
	rawi_snack(&x, 0, itt, 0, 0, 1);
	if (rawi_expect(&x, ISCSI_OP_R2T, &P, 3000) == 1) {
		CHECK(!memcmp(P.bhs, first, 24) && !memcmp(P.bhs + 36, first + 36, 12),
		      "retransmitted R2T differs (flags, LUN, ITT, TTT, R2TSN, offset, length)");
		CHECK(iscsi_get32(P.bhs + 24) == iscsi_get32(first + 24), "R2T StatSN moved");
	} else {
		CHECK(0, "no R2T after the R2T SNACK");
	}
	/* SNACK for an R2TSN never sent */
	rawi_snack(&x, 0, itt, 0, 7, 1);
	expect_reject(&x, ISCSI_REJECT_PROTOCOL, ISCSI_OP_SNACK, "R2T SNACK out of range");
	/* PDU 1 (offset 8192) with a bad data digest */
	send_seq(&x, itt, ttt, wbuf, 0, len, 1, RAWI_CORRUPT_DD);
	expect_reject(&x, ISCSI_REJECT_DATA_DIGEST, ISCSI_OP_DATA_OUT, "data digest");
	CHECK(iscsi_get32(P.data + 36) == 1 && iscsi_get32(P.data + 40) == 8192,
	      "Reject carries the Data-Out header (DataSN %u offset %u)",
	      iscsi_get32(P.data + 36), iscsi_get32(P.data + 40));
	if (expect_r2t(&x, itt, 1, 8192, len - 8192, &ttt2, "recovery R2T"))
		return;
	CHECK(ttt2 != ttt, "recovery R2T reuses the TTT");
	send_seq(&x, itt, ttt2, wbuf, 8192, len - 8192, -1, 0);
	expect_good(&x, itt, "write after recovery");
	CHECK(rawi_read_verify(&x, lba, len, 11) == 0, "data after a recovery R2T");
	rawi_close(&x);
}

/* A Data-Out whose header digest fails mid-sequence: skipped, the DataSN
 * gap that follows brings a recovery R2T; then one that was the sequence's
 * last: recovered after a delay. */
static void case_hd_dataout(void)
{
	struct rawi x;
	uint8_t cdb[16];
	uint32_t itt, ttt, ttt2, lba = 200, len = 32768;

	if (open_session(&x, "hd-dataout", 3, KEYS_ERL1))
		return;
	fill(wbuf, lba, len, 12);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	itt = rawi_cmd(&x, ISCSI_CMD_WRITE, 0, cdb, 16, len, NULL, 0, false, 0);
	if (expect_r2t(&x, itt, 0, 0, len, &ttt, "R2T"))
		return;
	send_seq(&x, itt, ttt, wbuf, 0, len, 1, RAWI_CORRUPT_HD);
	if (expect_r2t(&x, itt, 1, 8192, len - 8192, &ttt2, "recovery R2T (gap)"))
		return;
	send_seq(&x, itt, ttt2, wbuf, 8192, len - 8192, -1, 0);
	expect_good(&x, itt, "write after a lost header");
	CHECK(rawi_read_verify(&x, lba, len, 12) == 0, "data after a lost header");

	/* the last Data-Out of the sequence is lost: nothing follows it */
	lba = 300;
	len = 16384;
	fill(wbuf, lba, len, 13);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	itt = rawi_cmd(&x, ISCSI_CMD_WRITE, 0, cdb, 16, len, NULL, 0, false, 0);
	if (expect_r2t(&x, itt, 0, 0, len, &ttt, "R2T"))
		return;
	send_seq(&x, itt, ttt, wbuf, 0, len, 1, RAWI_CORRUPT_HD);
	if (expect_r2t(&x, itt, 1, 8192, 8192, &ttt2, "recovery R2T (timer)"))
		return;
	send_seq(&x, itt, ttt2, wbuf, 8192, 8192, -1, 0);
	expect_good(&x, itt, "write after a lost last Data-Out");
	CHECK(rawi_read_verify(&x, lba, len, 13) == 0, "data after a lost last header");
	/* a NOP-Out with a bad header digest is skipped; the next is answered */
	CHECK(!rawi_ping(&x, RAWI_CORRUPT_HD), "NOP-Out with a bad header digest was answered");
	CHECK(rawi_ping(&x, 0), "connection unusable after a skipped header");
	/* two bad headers in a row: PDU boundaries are lost, the connection goes */
	rawi_ping(&x, RAWI_CORRUPT_HD);
	rawi_ping(&x, RAWI_CORRUPT_HD);
	CHECK(rawi_recv(&x, &P, 3000) == -1, "connection still open after two bad headers");
	rawi_close(&x);
}

/* Immediate data with a bad data digest: Reject, the command is dropped,
 * and its retry with the same ITT and CmdSN runs. */
static void case_imm_digest(void)
{
	struct rawi x;
	uint8_t cdb[16];
	uint32_t itt, lba = 400, len = 8192, cmdsn;

	if (open_session(&x, "imm-digest", 4, KEYS_ERL1))
		return;
	fill(wbuf, lba, len, 14);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	cmdsn = x.cmdsn;
	itt = rawi_cmd(&x, ISCSI_CMD_WRITE, 0, cdb, 16, len, wbuf, len, false, RAWI_CORRUPT_DD);
	expect_reject(&x, ISCSI_REJECT_DATA_DIGEST, ISCSI_OP_SCSI_CMD, "immediate data digest");
	CHECK(iscsi_get32(P.data + 16) == itt, "Reject names another ITT");
	/* no status for the dropped command */
	CHECK(rawi_ping(&x, 0), "ping after the Reject");
	rawi_cmd_as(&x, itt, cmdsn, ISCSI_CMD_WRITE, 0, cdb, 16, len, wbuf, len, false, 0);
	expect_good(&x, itt, "retried command");
	CHECK(rawi_read_verify(&x, lba, len, 14) == 0, "data of the retried command");
	rawi_close(&x);
}

/* ---- reads: Data, Status, R-Data and DataACK SNACKs ---- */

static struct rawi_pdu din[8];

static int read_8(struct rawi *x, uint32_t lba, uint32_t *itt)
{
	uint8_t cdb[16];

	rawi_rw10(cdb, false, lba, 128);
	*itt = rawi_cmd(x, ISCSI_CMD_READ, 0, cdb, 16, 65536, NULL, 0, false, 0);
	for (int i = 0; i < 8; i++) {
		if (rawi_expect(x, ISCSI_OP_DATA_IN, &din[i], 3000) != 1) {
			CHECK(0, "Data-In %d missing", i);
			return -1;
		}
	}
	return 0;
}

static void case_read_snack(void)
{
	struct rawi x;
	uint32_t itt, statsn, ttt, lba = 500;
	uint8_t want[8192];

	if (open_session(&x, "read-snack", 5, KEYS_ERL1))
		return;
	CHECK(rawi_write(&x, lba, 65536, 15) == 0, "write");
	x.hold_ack = true; /* acknowledge nothing of what follows */
	if (read_8(&x, lba, &itt))
		return;
	for (uint32_t i = 0; i < 8; i++) {
		const uint8_t *b = din[i].bhs;
		bool end_burst = i == 3 || i == 7;

		rawi_pattern(want, (uint64_t)lba * 512 + i * 8192, 8192, 15);
		CHECK(iscsi_get32(b + 16) == itt && iscsi_get32(b + 36) == i &&
		      iscsi_get32(b + 40) == i * 8192 && din[i].dlen == 8192 &&
		      !memcmp(din[i].data, want, 8192), "Data-In %u: DataSN %u offset %u len %u",
		      i, iscsi_get32(b + 36), iscsi_get32(b + 40), din[i].dlen);
		CHECK(!!(b[1] & ISCSI_FLAG_FINAL) == end_burst, "Data-In %u: F bit", i);
		CHECK(!!(b[1] & ISCSI_DATAIN_ACK) == end_burst, "Data-In %u: A bit (ERL 1)", i);
		CHECK(!!(b[1] & ISCSI_DATAIN_STATUS) == (i == 7), "Data-In %u: S bit", i);
	}
	ttt = iscsi_get32(din[7].bhs + 20);
	statsn = iscsi_get32(din[7].bhs + 24);
	CHECK(ttt != ISCSI_RSVD_TAG && ttt == iscsi_get32(din[3].bhs + 20),
	      "A-bit Data-In TTT 0x%x / 0x%x", ttt, iscsi_get32(din[3].bhs + 20));
	CHECK(din[7].bhs[3] == 0, "status 0x%x", din[7].bhs[3]);

	/* Data SNACK: DataSN 2, 3, 4 again, the same PDUs */
	rawi_snack(&x, 0, itt, 0, 2, 3);
	for (uint32_t i = 2; i < 5; i++) {
		if (rawi_expect(&x, ISCSI_OP_DATA_IN, &P, 3000) != 1) {
			CHECK(0, "retransmitted Data-In %u missing", i);
			return;
		}
		CHECK(!memcmp(P.bhs, din[i].bhs, 24) && !memcmp(P.bhs + 36, din[i].bhs + 36, 12) &&
		      P.dlen == din[i].dlen && !memcmp(P.data, din[i].data, P.dlen),
		      "retransmitted Data-In %u differs (got DataSN %u)", i, iscsi_get32(P.bhs + 36));
	}
	/* Status SNACK: the Data-In that carried the status, same StatSN */
	rawi_snack(&x, 1, ISCSI_RSVD_TAG, 0, statsn, 1);
	if (rawi_expect(&x, ISCSI_OP_DATA_IN, &P, 3000) == 1)
		CHECK(!memcmp(P.bhs, din[7].bhs, 28) && !memcmp(P.bhs + 36, din[7].bhs + 36, 12),
		      "status retransmission differs (StatSN %u, want %u)",
		      iscsi_get32(P.bhs + 24), statsn);
	else
		CHECK(0, "no status after the Status SNACK");
	/* a run beyond what was sent */
	rawi_snack(&x, 0, itt, 0, 8, 1);
	expect_reject(&x, ISCSI_REJECT_PROTOCOL, ISCSI_OP_SNACK, "Data SNACK beyond DataSN 7");
	rawi_snack(&x, 1, ISCSI_RSVD_TAG, 0, statsn + 1000, 1);
	expect_reject(&x, ISCSI_REJECT_PROTOCOL, ISCSI_OP_SNACK, "Status SNACK in the future");
	/* R-Data SNACK: every unacknowledged Data-In */
	rawi_snack(&x, 3, itt, ttt, 0, 0);
	for (uint32_t i = 0; i < 8; i++) {
		if (rawi_expect(&x, ISCSI_OP_DATA_IN, &P, 3000) != 1 ||
		    iscsi_get32(P.bhs + 36) != i || memcmp(P.data, din[i].data, din[i].dlen)) {
			CHECK(0, "R-Data SNACK: Data-In %u", i);
			return;
		}
	}
	/* DataACK: everything up to DataSN 8 arrived; no answer */
	rawi_snack(&x, 2, ISCSI_RSVD_TAG, ttt, 8, 0);
	CHECK(rawi_ping(&x, 0), "ping after DataACK");
	/* acknowledged data cannot be asked for again */
	rawi_snack(&x, 0, itt, 0, 0, 0);
	expect_reject(&x, ISCSI_REJECT_PROTOCOL, ISCSI_OP_SNACK, "Data SNACK after DataACK");
	/* the status is still there (not acknowledged): now as a SCSI Response */
	rawi_snack(&x, 1, ISCSI_RSVD_TAG, 0, statsn, 1);
	if (rawi_expect(&x, ISCSI_OP_SCSI_RSP, &P, 3000) == 1)
		CHECK(iscsi_get32(P.bhs + 16) == itt && iscsi_get32(P.bhs + 24) == statsn &&
		      P.bhs[3] == 0 && iscsi_get32(P.bhs + 36) == 8,
		      "status after DataACK: ITT 0x%x StatSN %u status %u ExpDataSN %u",
		      iscsi_get32(P.bhs + 16), iscsi_get32(P.bhs + 24), P.bhs[3],
		      iscsi_get32(P.bhs + 36));
	else
		CHECK(0, "no SCSI Response for the Status SNACK after DataACK");
	/* acknowledge everything: nothing is kept any more */
	x.hold_ack = false;
	x.expstatsn = iscsi_get32(P.bhs + 24) + 1;
	CHECK(rawi_ping(&x, 0), "ping with ExpStatSN");
	rawi_snack(&x, 1, ISCSI_RSVD_TAG, 0, statsn, 1);
	expect_reject(&x, ISCSI_REJECT_PROTOCOL, ISCSI_OP_SNACK, "Status SNACK after ack");
	rawi_close(&x);
}

/* ---- TMF ---- */

static uint8_t tmf(struct rawi *x, uint8_t fn, uint32_t rtt, uint32_t refcmdsn,
		   bool immediate, uint32_t cmdsn)
{
	uint8_t bhs[48] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_TMF_REQ | (immediate ? ISCSI_OP_IMMEDIATE : 0);
	bhs[1] = ISCSI_FLAG_FINAL | fn;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, rtt);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	iscsi_put32(bhs + 32, refcmdsn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(x, ISCSI_OP_TMF_RSP, &P, 3000) != 1) {
		CHECK(0, "no TMF response (function %u)", fn);
		return 0xee;
	}
	CHECK(iscsi_get32(P.bhs + 16) == itt, "TMF response ITT");
	return P.bhs[2];
}

static void case_tmf(void)
{
	struct rawi x;
	uint8_t cdb[16], r;
	uint32_t itt, old;

	if (open_session(&x, "tmf", 6, KEYS_ERL1))
		return;
	old = x.cmdsn - 1; /* the TEST UNIT READY, long completed */
	r = tmf(&x, ISCSI_TMF_ABORT_TASK, 0x7777, old, true, x.cmdsn);
	CHECK(r == ISCSI_TMF_RSP_NO_TASK, "ABORT TASK of a completed task, RefCmdSN below "
	      "the window: response %u, want 1", r);
	r = tmf(&x, ISCSI_TMF_ABORT_TASK, 0x7778, x.cmdsn + 1000, true, x.cmdsn);
	CHECK(r == ISCSI_TMF_RSP_NO_TASK, "RefCmdSN beyond MaxCmdSN: response %u, want 1", r);
	/* a task whose status is sent but not acknowledged (kept at ERL 1) */
	x.hold_ack = true;
	rawi_rw10(cdb, false, 0, 1);
	itt = rawi_cmd(&x, ISCSI_CMD_READ, 0, cdb, 16, 512, NULL, 0, false, 0);
	CHECK(rawi_expect(&x, ISCSI_OP_DATA_IN, &P, 3000) == 1, "read");
	r = tmf(&x, ISCSI_TMF_ABORT_TASK, itt, x.cmdsn - 1, true, x.cmdsn);
	CHECK(r == ISCSI_TMF_RSP_COMPLETE, "ABORT TASK of a completed task still unacknowledged: "
	      "response %u, want 0", r);
	x.hold_ack = false;
	/* RefCmdSN inside the window and before the TMF's own CmdSN, command
	 * not received: considered received, "function complete"; a late copy
	 * of it is then dropped */
	uint32_t lost = x.cmdsn, lost_itt = x.itt++;

	r = tmf(&x, ISCSI_TMF_ABORT_TASK, lost_itt, lost, true, lost + 1);
	CHECK(r == ISCSI_TMF_RSP_COMPLETE, "ABORT TASK of a command not yet received: "
	      "response %u, want 0", r);
	x.cmdsn = lost + 1;
	rawi_rw10(cdb, false, 0, 1);
	rawi_cmd_as(&x, lost_itt, lost, ISCSI_CMD_READ, 0, cdb, 16, 512, NULL, 0, false, 0);
	CHECK(rawi_recv(&x, &P, 1000) == 0, "the aborted command ran when it arrived late (%s)",
	      iscsi_op_name(P.bhs[0] & 0x3f));
	r = tmf(&x, ISCSI_TMF_TASK_REASSIGN, 0x1234, x.cmdsn, true, x.cmdsn);
	CHECK(r == ISCSI_TMF_RSP_NO_REASSIGN, "TASK REASSIGN at ERL 1: response %u, want 4", r);
	r = tmf(&x, 15, 0, 0, true, x.cmdsn);
	CHECK(r == ISCSI_TMF_RSP_NOT_SUPPORTED, "unknown function: response %u, want 5", r);
	rawi_close(&x);
}

/* ---- AHS, text ---- */

static void case_ahs(void)
{
	struct rawi x;
	uint8_t cdb[32] = { 0 }, bhs[48] = { 0 }, ahs[16] = { 0 };
	uint32_t itt;

	if (open_session(&x, "ahs", 7, KEYS_ERL1))
		return;
	/* READ(32): a 32-byte CDB through the extended CDB AHS */
	cdb[0] = 0x7f;
	cdb[7] = 0x18;
	cdb[9] = 0x09;
	cdb[31] = 1;
	itt = rawi_cmd(&x, ISCSI_CMD_READ, 0, cdb, 32, 512, NULL, 0, false, 0);
	if (rawi_recv(&x, &P, 3000) != 1) {
		CHECK(0, "no answer to a 32-byte CDB");
		return;
	}
	CHECK((P.bhs[0] & 0x3f) == ISCSI_OP_SCSI_RSP && iscsi_get32(P.bhs + 16) == itt &&
	      P.bhs[3] == 2 && P.dlen >= 2 + 14 && (P.data[2 + 2] & 0x0f) == 5 &&
	      P.data[2 + 12] == 0x20, "32-byte CDB: %s status 0x%x sense %x/%02x",
	      iscsi_op_name(P.bhs[0] & 0x3f), P.bhs[3], P.dlen > 4 ? P.data[4] & 0xf : 0,
	      P.dlen > 14 ? P.data[14] : 0);
	/* bidirectional with the read-length AHS: not supported, refused with
	 * CHECK CONDITION, INVALID FIELD IN CDB */
	bhs[0] = ISCSI_OP_SCSI_CMD;
	bhs[1] = ISCSI_FLAG_FINAL | ISCSI_CMD_READ | ISCSI_CMD_WRITE | 1;
	itt = x.itt++;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, 512);
	iscsi_put32(bhs + 24, x.cmdsn++);
	iscsi_put32(bhs + 28, x.expstatsn);
	bhs[32] = 0x53; /* XDWRITEREAD(10) */
	bhs[32 + 8] = 1;
	iscsi_put16(ahs, 5);
	ahs[2] = ISCSI_AHS_BIDI_RLEN;
	iscsi_put32(ahs + 4, 512);
	rawi_send(&x, bhs, ahs, 8, NULL, 0, 0);
	if (rawi_expect(&x, ISCSI_OP_SCSI_RSP, &P, 3000) == 1)
		CHECK(iscsi_get32(P.bhs + 16) == itt && P.bhs[3] == 2 && P.dlen >= 16 &&
		      (P.data[4] & 0x0f) == 5 && P.data[14] == 0x24,
		      "bidirectional: status 0x%x sense %x/%02x", P.bhs[3],
		      P.dlen > 4 ? P.data[4] & 0xf : 0, P.dlen > 14 ? P.data[14] : 0);
	else
		CHECK(0, "no answer to a bidirectional command");
	/* an AHS whose length runs past TotalAHSLength */
	iscsi_put16(ahs, 40);
	ahs[2] = ISCSI_AHS_EXT_CDB;
	memset(bhs, 0, sizeof(bhs));
	bhs[0] = ISCSI_OP_SCSI_CMD;
	bhs[1] = ISCSI_FLAG_FINAL | 1;
	iscsi_put32(bhs + 16, x.itt++);
	iscsi_put32(bhs + 24, x.cmdsn);
	rawi_send(&x, bhs, ahs, 8, NULL, 0, 0);
	expect_reject(&x, ISCSI_REJECT_INVALID_FIELD, ISCSI_OP_SCSI_CMD, "bad AHS");
	CHECK(rawi_ping(&x, 0), "connection after a bad AHS");
	rawi_close(&x);
}

static void case_text(void)
{
	struct rawi x;
	uint8_t bhs[48] = { 0 };
	uint32_t itt, ttt;
	const char *st = "SendTargets=All";

	if (open_session(&x, "text", 8, KEYS_ERL1))
		return;
	itt = x.itt++;
	bhs[0] = ISCSI_OP_TEXT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_TEXT_CONTINUE; /* C, not F, and no data */
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, ISCSI_RSVD_TAG);
	iscsi_put32(bhs + 24, x.cmdsn);
	iscsi_put32(bhs + 28, x.expstatsn);
	rawi_send(&x, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(&x, ISCSI_OP_TEXT_RSP, &P, 3000) != 1) {
		CHECK(0, "no Text Response to C with no data");
		return;
	}
	ttt = iscsi_get32(P.bhs + 20);
	CHECK(!(P.bhs[1] & (ISCSI_FLAG_FINAL | ISCSI_TEXT_CONTINUE)) && P.dlen == 0 &&
	      iscsi_get32(P.bhs + 16) == itt && ttt != ISCSI_RSVD_TAG,
	      "Text Response: flags 0x%x dlen %u ITT 0x%x TTT 0x%x", P.bhs[1], P.dlen,
	      iscsi_get32(P.bhs + 16), ttt);
	/* the rest of the request, with the TTT */
	bhs[1] = ISCSI_FLAG_FINAL;
	iscsi_put32(bhs + 20, ttt);
	iscsi_put32(bhs + 28, x.expstatsn);
	rawi_send(&x, bhs, NULL, 0, st, (uint32_t)strlen(st) + 1, 0);
	if (rawi_expect(&x, ISCSI_OP_TEXT_RSP, &P, 3000) == 1) {
		const char *v = rawi_key(&P, "TargetName");

		CHECK((P.bhs[1] & ISCSI_FLAG_FINAL) && v && !strcmp(v, g_target),
		      "SendTargets after continuation: F %d TargetName %s", P.bhs[1] >> 7,
		      v ? v : "-");
	} else {
		CHECK(0, "no final Text Response");
	}
	rawi_close(&x);
}

/* ---- asynchronous events ---- */

static void case_async(void)
{
	struct rawi a, b;
	uint8_t cdb[16] = { 0 }, page[64], param[64];
	uint32_t itt, n;

	if (open_session(&a, "async-a", 9, KEYS_ERL1) || open_session(&b, "async-b", 10, KEYS_ERL1))
		return;
	/* MODE SENSE(6), control page */
	cdb[0] = 0x1a;
	cdb[2] = 0x0a;
	cdb[4] = 64;
	itt = rawi_cmd(&a, ISCSI_CMD_READ, 0, cdb, 16, 64, NULL, 0, false, 0);
	if (rawi_expect(&a, ISCSI_OP_DATA_IN, &P, 3000) != 1 || P.dlen < 4 + 20) {
		CHECK(0, "MODE SENSE caching page");
		return;
	}
	n = P.dlen - 4 - P.data[3];
	memcpy(page, P.data + 4 + P.data[3], n);
	CHECK((page[0] & 0x3f) == 0x0a, "control page code 0x%x", page[0]);
	if (!(P.bhs[1] & ISCSI_DATAIN_STATUS))
		rawi_expect(&a, ISCSI_OP_SCSI_RSP, &P, 3000);
	/* MODE SELECT(6) with D_SENSE flipped: MODE PARAMETERS CHANGED for b */
	memset(param, 0, sizeof(param));
	memcpy(param + 4, page, n);
	param[4] &= 0x3f;
	param[4 + 2] ^= 0x04;
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x15;
	cdb[1] = 0x10;
	cdb[4] = (uint8_t)(4 + n);
	itt = rawi_cmd(&a, ISCSI_CMD_WRITE, 0, cdb, 16, 4 + n, param, 4 + n, false, 0);
	expect_good(&a, itt, "MODE SELECT");
	if (rawi_expect(&b, ISCSI_OP_ASYNC, &P, 3000) == 1) {
		CHECK(P.bhs[36] == 0 && iscsi_get64(P.bhs + 8) == 0 &&
		      iscsi_get32(P.bhs + 16) == ISCSI_RSVD_TAG,
		      "AsyncEvent %u LUN %llx ITT 0x%x", P.bhs[36],
		      (unsigned long long)iscsi_get64(P.bhs + 8), iscsi_get32(P.bhs + 16));
		CHECK(P.dlen >= 2 + 14 && iscsi_get16(P.data) == P.dlen - 2 &&
		      (P.data[2 + 2] & 0x0f) == 6 && P.data[2 + 12] == 0x2a &&
		      P.data[2 + 13] == 0x01, "async sense: len %u key %x asc %02x/%02x", P.dlen,
		      P.dlen > 4 ? P.data[4] & 0xf : 0, P.dlen > 14 ? P.data[14] : 0,
		      P.dlen > 15 ? P.data[15] : 0);
	} else {
		CHECK(0, "no Asynchronous Message on the other session");
	}
	/* the initiator that changed them is not told */
	CHECK(rawi_recv(&a, &P, 500) == 0, "the changing session got a %s",
	      iscsi_op_name(P.bhs[0] & 0x3f));
	/* the UA itself is still reported on b's next command */
	memset(cdb, 0, sizeof(cdb));
	itt = rawi_cmd(&b, 0, 0, cdb, 16, 0, NULL, 0, false, 0);
	if (rawi_expect(&b, ISCSI_OP_SCSI_RSP, &P, 3000) == 1) {
		/* D_SENSE now on: descriptor format */
		bool desc = P.dlen > 4 && (P.data[2] & 0x7f) >= 0x72;
		uint8_t asc = desc ? P.data[4] : P.dlen > 15 ? P.data[14] : 0;
		uint8_t ascq = desc ? P.data[5] : P.dlen > 15 ? P.data[15] : 0;

		CHECK(P.bhs[3] == 2 && asc == 0x2a && ascq == 0x01,
		      "TEST UNIT READY after the event: status 0x%x asc %02x/%02x", P.bhs[3], asc,
		      ascq);
	}
	/* put D_SENSE back */
	param[4 + 2] ^= 0x04;
	cdb[0] = 0x15;
	cdb[1] = 0x10;
	cdb[4] = (uint8_t)(4 + n);
	itt = rawi_cmd(&a, ISCSI_CMD_WRITE, 0, cdb, 16, 4 + n, param, 4 + n, false, 0);
	expect_good(&a, itt, "MODE SELECT back");
	rawi_close(&a);
	rawi_close(&b);
}

/* ---- reinstatement under I/O ---- */

static void case_reinstate(void)
{
	struct rawi a, b;
	static uint8_t buf[65536];
	const char *keys = "ImmediateData=Yes\nInitialR2T=No\nFirstBurstLength=65536\n"
			   "MaxBurstLength=65536\nMaxRecvDataSegmentLength=65536\n";
	uint8_t cdb[16];
	int nw = 64;

	if (open_session(&a, "reinstate-old", 11, keys))
		return;
	/* the old session floods writes of seed 1 and never waits */
	for (int i = 0; i < nw; i++) {
		uint32_t lba = 1000 + (uint32_t)i * 64;

		fill(buf, lba, 32768, 1);
		rawi_rw10(cdb, true, lba, 64);
		rawi_cmd(&a, ISCSI_CMD_WRITE, 0, cdb, 16, 32768, buf, 32768, false, 0);
	}
	/* same initiator name and ISID, TSIH 0: reinstatement */
	if (rawi_connect(&b, g_addr, "reinstate-new") < 0) {
		CHECK(0, "connect");
		return;
	}
	b.isid[5] = 11;
	int st = rawi_login(&b, g_ini, g_target, keys, &P);

	CHECK(st == 0, "reinstating login: 0x%x", st);
	CHECK(b.tsih != a.tsih, "new TSIH %u equals the old", b.tsih);
	/* the old connection is closed by the target */
	int r = 1;

	for (int i = 0; i < 200 && r == 1; i++)
		r = rawi_recv(&a, &Q, 3000);
	CHECK(r == -1, "old connection still open after reinstatement (%d)", r);
	/* the new session's writes (seed 2) over the same blocks, each waited */
	for (int i = 0; i < nw; i++) {
		uint32_t lba = 1000 + (uint32_t)i * 64, itt;

		fill(buf, lba, 32768, 2);
		rawi_rw10(cdb, true, lba, 64);
		itt = rawi_cmd(&b, ISCSI_CMD_WRITE, 0, cdb, 16, 32768, buf, 32768, false, 0);
		if (rawi_expect(&b, ISCSI_OP_SCSI_RSP, &P, 5000) != 1) {
			CHECK(0, "write %d of the new session", i);
			return;
		}
		/* the new nexus reports POWER ON / NEXUS LOSS once: retry */
		if (P.bhs[3] == 2) {
			itt = rawi_cmd(&b, ISCSI_CMD_WRITE, 0, cdb, 16, 32768, buf, 32768, false, 0);
			rawi_expect(&b, ISCSI_OP_SCSI_RSP, &P, 5000);
		}
		CHECK(iscsi_get32(P.bhs + 16) == itt && P.bhs[3] == 0, "new write %d status 0x%x", i,
		      P.bhs[3]);
	}
	/* a little later, nothing of the old session may have landed */
	usleep(300000);
	for (int i = 0; i < nw; i++)
		CHECK(rawi_read_verify(&b, 1000 + (uint32_t)i * 64, 32768, 2) == 0,
		      "range %d holds data of the replaced session", i);
	rawi_close(&a);
	rawi_close(&b);
}

/* ---- logout requested (needs RAWI_FAKECORE_PID: the fake core sends
 * CTL_SESSION_LOGOUT {"wait_s":1} on SIGHUP) ---- */

static void case_logout_req(void)
{
	struct rawi a, b;
	const char *pid = getenv("RAWI_FAKECORE_PID");
	uint8_t bhs[48] = { 0 };

	if (!pid) {
		CHECK(0, "RAWI_FAKECORE_PID not set");
		return;
	}
	if (open_session(&a, "logout-a", 12, KEYS_ERL1) || open_session(&b, "logout-b", 13, KEYS_ERL1))
		return;
	kill((pid_t)atoi(pid), SIGHUP);
	for (int k = 0; k < 2; k++) {
		struct rawi *x = k ? &b : &a;

		if (rawi_expect(x, ISCSI_OP_ASYNC, &P, 3000) != 1) {
			CHECK(0, "%s: no AsyncEvent 1", x->name);
			return;
		}
		CHECK(P.bhs[36] == 1 && iscsi_get16(P.bhs + 42) == 1 &&
		      iscsi_get32(P.bhs + 16) == ISCSI_RSVD_TAG && (P.bhs[1] & ISCSI_FLAG_FINAL),
		      "%s: AsyncEvent %u Parameter3 %u", x->name, P.bhs[36], iscsi_get16(P.bhs + 42));
	}
	/* a logs out as asked */
	bhs[0] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION;
	iscsi_put32(bhs + 16, a.itt++);
	iscsi_put32(bhs + 24, a.cmdsn);
	iscsi_put32(bhs + 28, a.expstatsn);
	rawi_send(&a, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(&a, ISCSI_OP_LOGOUT_RSP, &P, 3000) == 1)
		CHECK(P.bhs[2] == 0, "logout response %u", P.bhs[2]);
	else
		CHECK(0, "no Logout Response");
	CHECK(rawi_recv(&a, &P, 3000) == -1, "connection open after the logout");
	/* b does not: AsyncEvent 2 after wait_s + 2 s, then the connection goes */
	if (rawi_expect(&b, ISCSI_OP_ASYNC, &P, 6000) == 1)
		CHECK(P.bhs[36] == 2 && iscsi_get16(P.bhs + 38) == 0 && iscsi_get16(P.bhs + 40) == 2,
		      "AsyncEvent %u CID %u Time2Wait %u", P.bhs[36], iscsi_get16(P.bhs + 38),
		      iscsi_get16(P.bhs + 40));
	else
		CHECK(0, "no AsyncEvent 2 for a session that did not log out");
	CHECK(rawi_recv(&b, &P, 4000) == -1, "connection open after AsyncEvent 2");
	rawi_close(&a);
	rawi_close(&b);
}

/* The script asks mtgtd (JSON-RPC session.logout, wait_s 2) once we print
 * "ready": AsyncEvent 1 with Parameter3 2 arrives, and we log out. */
static void case_logout_wait(void)
{
	struct rawi a;
	uint8_t bhs[48] = { 0 };

	if (open_session(&a, "logout-wait", 14, KEYS_ERL1))
		return;
	printf("ready\n");
	fflush(stdout);
	if (rawi_expect(&a, ISCSI_OP_ASYNC, &P, 15000) != 1) {
		CHECK(0, "no AsyncEvent 1 after session.logout");
		return;
	}
	CHECK(P.bhs[36] == 1 && iscsi_get16(P.bhs + 42) == 2, "AsyncEvent %u Parameter3 %u",
	      P.bhs[36], iscsi_get16(P.bhs + 42));
	bhs[0] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION;
	iscsi_put32(bhs + 16, a.itt++);
	iscsi_put32(bhs + 24, a.cmdsn);
	iscsi_put32(bhs + 28, a.expstatsn);
	rawi_send(&a, bhs, NULL, 0, NULL, 0, 0);
	CHECK(rawi_expect(&a, ISCSI_OP_LOGOUT_RSP, &P, 3000) == 1 && P.bhs[2] == 0,
	      "Logout Response");
	rawi_close(&a);
}

/* ERL 1 under hostile input: random SNACKs, Data-Outs, DataACKs and bad
 * digests around kept and running tasks. The target may close the
 * connection; it must not crash, and a new session must work after. */
static void case_erl_fuzz(void)
{
	struct rawi x;
	uint8_t cdb[16];
	uint32_t seed = 12345, itts[4], r2t_ttt = 0, r2t_off = 0;
	int closed = 0, closes = 0;

	if (open_session(&x, "erl-fuzz", 15, KEYS_ERL1))
		return;
	CHECK(rawi_write(&x, 700, 65536, 17) == 0, "write");
	x.hold_ack = true;
	rawi_quiet = true;
	for (int round = 0; round < 200; round++) {
		if (closed) {
			/* the target dropped us (a PDU it cannot accept): again */
			rawi_close(&x);
			if (open_session(&x, "erl-fuzz", 15, KEYS_ERL1))
				return;
			x.hold_ack = true;
			closed = 0;
			closes++;
		}
		/* a read (kept: unacknowledged) and a write left waiting for data */
		rawi_rw10(cdb, false, 700, 128);
		itts[0] = rawi_cmd(&x, ISCSI_CMD_READ, 0, cdb, 16, 65536, NULL, 0, false, 0);
		rawi_rw10(cdb, true, 900, 64);
		itts[1] = rawi_cmd(&x, ISCSI_CMD_WRITE, 0, cdb, 16, 32768, NULL, 0, false, 0);
		itts[2] = itts[0] - 2;
		itts[3] = 0xdead0000u | (uint32_t)round;
		for (int d = 0; d < 64; d++) {
			int rc = rawi_recv(&x, &P, 200);

			if (rc <= 0) {
				closed = rc < 0;
				break;
			}
			if ((P.bhs[0] & 0x3f) == ISCSI_OP_R2T && iscsi_get32(P.bhs + 16) == itts[1]) {
				r2t_ttt = iscsi_get32(P.bhs + 20);
				r2t_off = iscsi_get32(P.bhs + 40);
				break;
			}
		}
		if (closed)
			continue;
		for (int k = 0; k < 50; k++) {
			uint8_t junk[8192];
			uint32_t r;

			seed = seed * 1103515245u + 12345u;
			r = seed >> 8;
			memset(junk, (int)r, sizeof(junk));
			switch (r % 5) {
			case 0: case 1:
				rawi_snack(&x, (uint8_t)((r >> 3) % 5), itts[(r >> 6) % 4],
					   (r >> 9) % 3 ? r : ISCSI_RSVD_TAG, (r >> 11) % 12,
					   (r >> 15) % 4 ? (r >> 17) % 9 : 0xffffffffu - (r & 7));
				break;
			case 2:
				/* mostly for the R2T we were given, in or out of order */
				if ((r >> 6) % 4) {
					rawi_dout(&x, itts[1], r2t_ttt, (r >> 10) % 3,
						  r2t_off + ((r >> 12) % 3) * 4096, junk, 4096,
						  (r >> 16) % 3 == 0,
						  (r >> 17) % 3 == 0 ? RAWI_CORRUPT_DD :
						  (r >> 19) % 5 == 0 ? RAWI_CORRUPT_HD : 0);
					break;
				}
				rawi_dout(&x, itts[(r >> 7) % 4], (r >> 9) % 2 ? ISCSI_RSVD_TAG : r,
					  (r >> 10) % 4, ((r >> 12) % 8) * 4096, junk,
					  (r >> 14) % 2 ? 4096 : 512, (r >> 16) % 2,
					  (r >> 17) % 3 == 0 ? RAWI_CORRUPT_DD : 0);
				break;
			case 3: {
				/* a NOP-Out, sometimes with a bad header digest; not
				 * waited for (the drain below takes its answer) */
				uint8_t nop[48] = { ISCSI_OP_NOP_OUT | ISCSI_OP_IMMEDIATE,
						    ISCSI_FLAG_FINAL };

				x.expstatsn += (r >> 4) % 3;
				iscsi_put32(nop + 16, x.itt++);
				iscsi_put32(nop + 20, ISCSI_RSVD_TAG);
				iscsi_put32(nop + 24, x.cmdsn);
				iscsi_put32(nop + 28, x.expstatsn);
				rawi_send(&x, nop, NULL, 0, NULL, 0,
					  (r >> 6) % 7 == 0 ? RAWI_CORRUPT_HD : 0);
				break;
			}
			default:
				rawi_snack(&x, 2, ISCSI_RSVD_TAG, r, (r >> 5) % 20, 0);
				break;
			}
		}
		/* drain what came back; a closed connection ends the round */
		for (int d = 0; d < 4096; d++) {
			int rc = rawi_recv(&x, &P, 50);

			if (rc == 0)
				break;
			if (rc < 0) {
				closed = 1;
				break;
			}
			if ((P.bhs[0] & 0x3f) == ISCSI_OP_R2T) {
				r2t_ttt = iscsi_get32(P.bhs + 20);
				r2t_off = iscsi_get32(P.bhs + 40);
			}
		}
	}
	rawi_close(&x);
	rawi_quiet = false;
	fprintf(stderr, "erl-fuzz: 200 rounds of 50 PDUs, %d connections closed by the target\n",
		closes + closed);
	/* the target is still there */
	if (open_session(&x, "erl-fuzz-after", 16, KEYS_ERL1))
		return;
	CHECK(rawi_read_verify(&x, 700, 65536, 17) == 0, "read after the fuzz");
	rawi_close(&x);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "logout-req", case_logout_req },
	{ "logout-wait", case_logout_wait },
	{ "login", case_login },
	{ "r2t-snack", case_r2t_snack },
	{ "hd-dataout", case_hd_dataout },
	{ "imm-digest", case_imm_digest },
	{ "read-snack", case_read_snack },
	{ "tmf", case_tmf },
	{ "ahs", case_ahs },
	{ "text", case_text },
	{ "async", case_async },
	{ "reinstate", case_reinstate },
	{ "erl-fuzz", case_erl_fuzz },
	/* iscsi-cmdsn.sh; not in "all" */
	{ "cmdsn-order", rawi_case_cmdsn_order },
	{ "cmdsn-window", rawi_case_cmdsn_window },
	{ "cmdsn-data", rawi_case_cmdsn_data },
	{ "cmdsn-gap", rawi_case_cmdsn_gap },
	{ "cmdsn-tmf", rawi_case_cmdsn_tmf },
	{ "cmdsn-shuffle", rawi_case_cmdsn_shuffle },
	{ "cmdsn-fuzz", rawi_case_cmdsn_fuzz },
	/* iscsi-shutdown.sh; not in "all" */
	{ "shut-logout", rawi_case_shut_logout },
	{ "shut-ignore", rawi_case_shut_ignore },
	{ "shut-stuck", rawi_case_shut_stuck },
	{ "shut-none", rawi_case_shut_none },
	{ "shut-drop", rawi_case_shut_drop },
	{ "mcs", rawi_case_mcs },
	{ "conn-reinstate", rawi_case_conn_reinstate },
	{ "erl2", rawi_case_erl2 },
	{ "mcs-upgrade", rawi_case_mcs_upgrade },
	{ "erl2-one", rawi_case_erl2_one },
	{ "erl2-hold", rawi_case_erl2_hold },
	{ "erl2-gone", rawi_case_erl2_gone },
};

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s HOST:PORT TARGET CASE... (or all)\n", argv[0]);
		return 2;
	}
	g_addr = argv[1];
	g_target = argv[2];
	rawi_addr = g_addr;
	rawi_target = g_target;
	signal(SIGPIPE, SIG_IGN); /* a target that closes on us is a result, not a crash */
	for (int a = 3; a < argc; a++) {
		bool all = !strcmp(argv[a], "all"), found = false;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (all ? cases[i].fn == case_logout_req || cases[i].fn == case_logout_wait ||
				  !strncmp(cases[i].name, "cmdsn-", 6) ||
				  !strncmp(cases[i].name, "shut-", 5) ||
				  !strcmp(cases[i].name, "mcs") ||
				  !strcmp(cases[i].name, "conn-reinstate") ||
				  !strncmp(cases[i].name, "erl2", 4) ||
				  !strcmp(cases[i].name, "mcs-upgrade")
				: strcmp(argv[a], cases[i].name) != 0)
				continue;
			int before = rawi_failures;

			found = true;
			cases[i].fn();
			printf("%s %s\n", rawi_failures == before ? "ok" : "FAILED", cases[i].name);
			fflush(stdout);
		}
		if (!found) {
			fprintf(stderr, "unknown case %s\n", argv[a]);
			return 2;
		}
	}
	return rawi_failures ? 1 : 0;
}
