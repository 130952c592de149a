/* test-raw-initiator, ErrorRecoveryLevel 2 (iscsi-erl2.sh): connection
 * recovery within a session of two connections. A READ (answered, status
 * not acknowledged) and a WRITE halfway through its solicited data are left
 * on a connection that is logged out for recovery (reason 2) from the other;
 * a new connection takes both over with TASK REASSIGN: the read's data and
 * status come again, the write is asked for the data it lacks, and both are
 * verified. TASK REASSIGN of an unknown task answers 1, of a task still on
 * a live connection 3. Then a connection is killed with a READ and a WRITE
 * outstanding: the READ is reassigned, the WRITE left alone is aborted when
 * Time2Wait + Time2Retain pass (reassigning it then answers 1, its data
 * never lands). */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rawi_pdu P;
static uint8_t wbuf[65536], rbuf[65536], want[65536];

#define INI "iqn.2026-11.org.mtgt:raw-erl2"
#define KEYS_LEAD "ErrorRecoveryLevel=2\nDefaultTime2Wait=0\nDefaultTime2Retain=1\n" \
	"HeaderDigest=None\nDataDigest=None\nMaxConnections=4\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=65536\n" \
	"FirstBurstLength=65536\nMaxBurstLength=65536\n"
#define KEYS_JOIN "HeaderDigest=None\nDataDigest=None\nMaxRecvDataSegmentLength=65536\n"

static int join(struct rawi *x, const char *name, uint16_t tsih, uint16_t cid, const char *keys)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect", name);
		return -1;
	}
	x->isid[5] = 0x62;
	x->tsih = tsih;
	x->cid = cid;
	x->itt = 0x1000000u * (cid + 1u);
	return rawi_login(x, INI, rawi_target, keys, &P);
}

/* Status of itt (a READ's data into rbuf); -1 on none. */
static int status_of(struct rawi *x, uint32_t itt)
{
	return rawi_status(x, &P, itt, rbuf, sizeof(rbuf), NULL);
}

/* Answer the R2T for itt (data from wbuf at the R2T's offset): the offset
 * asked for, or -1. */
static long answer_r2t(struct rawi *x, uint32_t itt)
{
	if (rawi_expect(x, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) != 1 ||
	    iscsi_get32(P.bhs + 16) != itt)
		return -1;
	uint32_t ttt = iscsi_get32(P.bhs + 20), off = iscsi_get32(P.bhs + 40);
	uint32_t len = iscsi_get32(P.bhs + 44);

	if ((uint64_t)off + len > sizeof(wbuf))
		return -1;
	rawi_dout(x, itt, ttt, 0, off, wbuf + off, len, true, 0);
	return off;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void rawi_case_erl2(void)
{
	struct rawi a, b, b2, b3;
	uint8_t cdb[16], tur[16] = { 0 };
	uint32_t sn, r1, w1, w2, r3, w3, itt;
	int st;

	st = join(&a, "erl2-a", 0, 0, KEYS_LEAD);
	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	const char *v = rawi_key(&P, "ErrorRecoveryLevel");

	CHECK(v && !strcmp(v, "2"), "ErrorRecoveryLevel answer %s (want 2)", v ? v : "-");
	v = rawi_key(&P, "DefaultTime2Retain");
	CHECK(v && !strcmp(v, "1"), "DefaultTime2Retain answer %s (want 1)", v ? v : "-");
	uint16_t tsih = a.tsih;

	sn = a.cmdsn;
	status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0)); /* POWER ON */
	/* the blocks the READs fetch: seed 5 */
	rawi_pattern(want, 6000ull * 512, 32768, 5);
	rawi_rw10(cdb, true, 6000, 64);
	CHECK(status_of(&a, rawi_cmd_sn(&a, sn++, ISCSI_CMD_WRITE, cdb, 32768, want, 32768)) == 0,
	      "first write");

	/* ---- logout for recovery, then TASK REASSIGN of a read and a write ---- */
	st = join(&b, "erl2-b", tsih, 1, KEYS_JOIN);
	CHECK(st == 0, "second connection: 0x%x", st);
	if (st)
		return;
	b.hold_ack = true; /* the READ's status stays unacknowledged */
	rawi_rw10(cdb, false, 6000, 64);
	r1 = rawi_cmd_sn(&b, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0);
	rawi_pattern(wbuf, 7000ull * 512, 65536, 6);
	rawi_rw10(cdb, true, 7000, 128);
	w1 = rawi_cmd_sn(&b, sn++, ISCSI_CMD_WRITE, cdb, 65536, wbuf, 16384);
	CHECK(rawi_expect(&b, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == w1 && iscsi_get32(P.bhs + 40) == 16384,
	      "R2T of the write at 16384");
	/* 8 KiB of the 48 the R2T asks for, then nothing */
	rawi_dout(&b, w1, iscsi_get32(P.bhs + 20), 0, 16384, wbuf + 16384, 8192, false, 0);
	b.cmdsn = sn;
	CHECK(rawi_ping(&b, 0), "ping on the connection to recover");
	{
		uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE,
					       ISCSI_FLAG_FINAL | ISCSI_LOGOUT_RECOVERY };

		itt = a.itt++;
		iscsi_put32(bhs + 16, itt);
		iscsi_put16(bhs + 20, 1);
		iscsi_put32(bhs + 24, sn);
		iscsi_put32(bhs + 28, a.expstatsn);
		rawi_send(&a, bhs, NULL, 0, NULL, 0, 0);
		CHECK(rawi_expect(&a, ISCSI_OP_LOGOUT_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
		      iscsi_get32(P.bhs + 16) == itt && P.bhs[2] == 0,
		      "logout of CID 1 for recovery: response %u", P.bhs[2]);
		CHECK(iscsi_get16(P.bhs + 42) == 1, "logout response Time2Retain %u (want 1)",
		      iscsi_get16(P.bhs + 42));
	}
	int r = 1;

	for (int i = 0; i < 64 && r == 1; i++)
		r = rawi_recv(&b, &P, 3000);
	CHECK(r == -1, "the connection logged out for recovery is still open (%d)", r);
	rawi_close(&b);
	st = join(&b2, "erl2-b2", tsih, 2, KEYS_JOIN);
	CHECK(st == 0, "new connection: 0x%x", st);
	if (st)
		return;
	CHECK(b2.cmdsn == sn, "new connection: ExpCmdSN %u, want %u", b2.cmdsn, sn);
	CHECK(rawi_task_reassign(&b2, &P, sn, r1, 0) == 0, "TASK REASSIGN of the READ: %d", P.bhs[2]);
	memset(rbuf, 0, sizeof(rbuf));
	CHECK(status_of(&b2, r1) == 0, "the reassigned READ's status");
	CHECK(!memcmp(rbuf, want, 32768), "the reassigned READ's data");
	CHECK(rawi_task_reassign(&b2, &P, sn, w1, 0) == 0, "TASK REASSIGN of the WRITE: %d", P.bhs[2]);
	long off = answer_r2t(&b2, w1);

	CHECK(off >= 16384 && off <= 24576, "R2T after TASK REASSIGN at %ld (want 16384..24576)",
	      off);
	CHECK(status_of(&b2, w1) == 0, "the reassigned WRITE's status");
	rawi_rw10(cdb, false, 7000, 128);
	memset(rbuf, 0, sizeof(rbuf));
	CHECK(status_of(&b2, rawi_cmd_sn(&b2, sn++, ISCSI_CMD_READ, cdb, 65536, NULL, 0)) == 0,
	      "READ back the reassigned WRITE");
	CHECK(!memcmp(rbuf, wbuf, 65536), "the reassigned WRITE's data on the medium");

	/* ---- refusals ---- */
	CHECK(rawi_task_reassign(&b2, &P, sn, 0x0badbeef, 0) == ISCSI_TMF_RSP_NO_TASK,
	      "TASK REASSIGN of an unknown task: %u (want 1)", P.bhs[2]);
	rawi_pattern(wbuf, 8000ull * 512, 32768, 8);
	rawi_rw10(cdb, true, 8000, 64);
	w2 = rawi_cmd_sn(&a, sn++, ISCSI_CMD_WRITE, cdb, 32768, wbuf, 16384);
	CHECK(rawi_expect(&a, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1, "R2T on the live connection");
	uint32_t ttt2 = iscsi_get32(P.bhs + 20);

	CHECK(rawi_task_reassign(&b2, &P, sn, w2, 0) == ISCSI_TMF_RSP_ALLEGIANT,
	      "TASK REASSIGN of a task on a live connection: %u (want 3)", P.bhs[2]);
	rawi_dout(&a, w2, ttt2, 0, 16384, wbuf + 16384, 16384, true, 0);
	CHECK(status_of(&a, w2) == 0, "the live connection's write after the refusal");

	/* ---- a killed connection: READ reassigned, WRITE left to Time2Retain ---- */
	b2.hold_ack = true;
	rawi_rw10(cdb, false, 6000, 64);
	r3 = rawi_cmd_sn(&b2, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0);
	rawi_pattern(wbuf, 9000ull * 512, 32768, 9);
	rawi_rw10(cdb, true, 9000, 64);
	w3 = rawi_cmd_sn(&b2, sn++, ISCSI_CMD_WRITE, cdb, 32768, wbuf, 16384);
	CHECK(rawi_expect(&b2, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == w3, "R2T of the write to be abandoned");
	b2.cmdsn = sn;
	CHECK(rawi_ping(&b2, 0), "ping before the kill");
	rawi_close(&b2);
	st = join(&b3, "erl2-b3", tsih, 3, KEYS_JOIN);
	CHECK(st == 0, "connection after the kill: 0x%x", st);
	if (st)
		return;
	int rr = -1;

	/* the target notices the dead socket on its own time */
	for (int i = 0; i < 30; i++) {
		rr = rawi_task_reassign(&b3, &P, sn, r3, 0);
		if (rr != ISCSI_TMF_RSP_ALLEGIANT)
			break;
		usleep(100000);
	}
	CHECK(rr == 0, "TASK REASSIGN of the killed connection's READ: %d", rr);
	memset(rbuf, 0, sizeof(rbuf));
	CHECK(status_of(&b3, r3) == 0, "the killed connection's READ status");
	CHECK(!memcmp(rbuf, want, 32768), "the killed connection's READ data");
	/* Time2Wait 2 (ours) + Time2Retain 1 */
	usleep(4000000);
	rr = rawi_task_reassign(&b3, &P, sn, w3, 0);
	CHECK(rr == ISCSI_TMF_RSP_NO_TASK, "TASK REASSIGN after Time2Retain: %d (want 1)", rr);
	rawi_rw10(cdb, false, 9000, 64);
	memset(rbuf, 0xee, sizeof(rbuf));
	CHECK(status_of(&b3, rawi_cmd_sn(&b3, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0)) == 0,
	      "READ of the abandoned write's blocks");
	CHECK(all_zero(rbuf, 32768), "the abandoned write reached the medium");
	CHECK(status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0)) == 0,
	      "the first connection at the end");
	rawi_close(&b3);
	rawi_close(&a);
}
