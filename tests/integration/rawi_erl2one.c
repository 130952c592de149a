/* test-raw-initiator, ErrorRecoveryLevel 2 with one connection
 * (iscsi-erl2-one.sh): the session's only connection is dropped with a READ
 * (answered, status not acknowledged) and a WRITE halfway through its data
 * outstanding. While the target holds the session, logins with a wrong
 * TSIH, ISID or InitiatorName are refused (0x020a) and change nothing; a new
 * connection with the session's ISID and TSIH then joins it, reassigns both
 * tasks and both are verified. A login with the CID of the session's only
 * connection while it is still up reinstates it, and its READ is
 * reassigned. The same again with nobody coming back:
 * past Time2Wait + Time2Retain the session is gone (0x020a), the abandoned
 * write never reached the medium. Logout for recovery (reason 2) of the
 * only connection holds the session too, and a session reinstatement (TSIH
 * 0, same ISID) ends a held session: its write is aborted before the new
 * session runs. "erl2-hold" leaves a held session behind
 * for a live upgrade, "erl2-gone" checks afterwards that it did not survive
 * and that its write did not land. */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rawi_pdu P;
static uint8_t wbuf[65536], rbuf[65536], want[65536];

#define INI  "iqn.2026-11.org.mtgt:raw-erl2one"
#define ISID 0x71
/* Time2Wait is at least 2 here (the target's vote); Time2Retain 2: the
 * session is held 4 s after its connection fails */
#define KEYS_LEAD(t2r) "ErrorRecoveryLevel=2\nDefaultTime2Wait=0\nDefaultTime2Retain=" t2r "\n" \
	"HeaderDigest=None\nDataDigest=None\nMaxConnections=1\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=65536\n" \
	"FirstBurstLength=65536\nMaxBurstLength=65536\n"
#define KEYS_JOIN "HeaderDigest=None\nDataDigest=None\nMaxRecvDataSegmentLength=65536\n"
#define HOLD_S 4

static int login(struct rawi *x, const char *name, const char *ini, uint8_t isid,
		 uint16_t tsih, uint16_t cid, const char *keys)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect", name);
		return -1;
	}
	x->isid[0] = 0x80;
	x->isid[5] = isid;
	x->tsih = tsih;
	x->cid = cid;
	x->itt = 0x1000000u * (cid + 1u) + 0x10000u * (uint32_t)(name[strlen(name) - 1] & 0xf);
	return rawi_login(x, ini, rawi_target, keys, &P);
}

static int status_of(struct rawi *x, uint32_t itt)
{
	return rawi_status(x, &P, itt, rbuf, sizeof(rbuf), NULL);
}

/* Logout closing the session, every status acknowledged: the response
 * code, -1 on none. */
static int erl2one_logout(struct rawi *x, uint32_t sn)
{
	x->hold_ack = false;
	return rawi_logout(x, &P, ISCSI_LOGOUT_CLOSE_SESSION, 0, sn);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* On x: a READ of lba 6000 (its status left unacknowledged) and a WRITE of
 * `len` bytes at lba whose data stops after immediate 16 KiB + 8 KiB of the
 * R2T; then the TCP connection is dropped. *sn moves past both. */
static void leave_two(struct rawi *x, uint32_t *sn, uint32_t lba, uint32_t len, uint32_t seed,
		      uint32_t *r, uint32_t *w)
{
	uint8_t cdb[16];

	x->hold_ack = true;
	rawi_rw10(cdb, false, 6000, 64);
	*r = rawi_cmd_sn(x, (*sn)++, ISCSI_CMD_READ, cdb, 32768, NULL, 0);
	rawi_pattern(wbuf, (uint64_t)lba * 512, len, seed);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	*w = rawi_cmd_sn(x, (*sn)++, ISCSI_CMD_WRITE, cdb, len, wbuf, 16384);
	CHECK(rawi_expect(x, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == *w && iscsi_get32(P.bhs + 40) == 16384,
	      "%s: R2T of the write at 16384", x->name);
	rawi_dout(x, *w, iscsi_get32(P.bhs + 20), 0, 16384, wbuf + 16384, 8192, false, 0);
	x->cmdsn = *sn;
	CHECK(rawi_ping(x, 0), "%s: ping before the drop", x->name);
	rawi_close(x);
}

void rawi_case_erl2_one(void)
{
	struct rawi a, b, bad, c;
	uint8_t cdb[16], tur[16] = { 0 };
	uint32_t sn, r1, w1, r2, w2;
	int st, rr = -1;

	st = login(&a, "one-a", INI, ISID, 0, 0, KEYS_LEAD("2"));
	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	const char *v = rawi_key(&P, "DefaultTime2Retain");

	CHECK(v && !strcmp(v, "2"), "DefaultTime2Retain answer %s (want 2)", v ? v : "-");
	uint16_t tsih = a.tsih;

	sn = a.cmdsn;
	status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0)); /* POWER ON */
	rawi_pattern(want, 6000ull * 512, 32768, 5);
	rawi_rw10(cdb, true, 6000, 64);
	CHECK(status_of(&a, rawi_cmd_sn(&a, sn++, ISCSI_CMD_WRITE, cdb, 32768, want, 32768)) == 0,
	      "first write");

	/* ---- the only connection fails with a READ and a WRITE open ---- */
	leave_two(&a, &sn, 7000, 65536, 6, &r1, &w1);

	/* ---- refused while the session waits: nothing of it changes ---- */
	st = login(&bad, "one-bad1", INI, ISID, (uint16_t)(tsih ^ 0x5a5a), 1, KEYS_JOIN);
	CHECK(st == 0x020a, "login with a wrong TSIH: 0x%x, want 0x020a", st);
	rawi_close(&bad);
	st = login(&bad, "one-bad2", INI, ISID + 1, tsih, 1, KEYS_JOIN);
	CHECK(st == 0x020a, "login with a wrong ISID: 0x%x, want 0x020a", st);
	rawi_close(&bad);
	st = login(&bad, "one-bad3", INI ".other", ISID, tsih, 1, KEYS_JOIN);
	CHECK(st == 0x020a, "login with another InitiatorName: 0x%x, want 0x020a", st);
	rawi_close(&bad);

	/* ---- a new connection (the same CID) continues the session ---- */
	st = login(&b, "one-b", INI, ISID, tsih, 0, KEYS_JOIN);
	CHECK(st == 0, "new connection into the held session: 0x%x", st);
	if (st)
		return;
	CHECK(b.tsih == tsih, "new connection: TSIH %u, want %u", b.tsih, tsih);
	CHECK(b.cmdsn == sn, "new connection: ExpCmdSN %u, want %u", b.cmdsn, sn);
	/* the target may see the old socket close after the login */
	for (int i = 0; i < 30; i++) {
		rr = rawi_task_reassign(&b, &P, sn, r1, 0);
		if (rr != ISCSI_TMF_RSP_ALLEGIANT)
			break;
		usleep(100000);
	}
	CHECK(rr == 0, "TASK REASSIGN of the READ: %d", rr);
	memset(rbuf, 0, sizeof(rbuf));
	CHECK(status_of(&b, r1) == 0, "the reassigned READ's status");
	CHECK(!memcmp(rbuf, want, 32768), "the reassigned READ's data");
	CHECK(rawi_task_reassign(&b, &P, sn, w1, 0) == 0, "TASK REASSIGN of the WRITE: %d", P.bhs[2]);
	if (rawi_expect(&b, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	    iscsi_get32(P.bhs + 16) == w1) {
		uint32_t ttt = iscsi_get32(P.bhs + 20), off = iscsi_get32(P.bhs + 40);
		uint32_t len = iscsi_get32(P.bhs + 44);

		CHECK(off >= 16384 && off <= 24576 && off + len == 65536,
		      "R2T after TASK REASSIGN: %u+%u (want from 16384..24576 to the end)", off, len);
		if (off + len <= sizeof(wbuf))
			rawi_dout(&b, w1, ttt, 0, off, wbuf + off, len, true, 0);
	} else {
		CHECK(0, "no R2T for the reassigned WRITE");
	}
	CHECK(status_of(&b, w1) == 0, "the reassigned WRITE's status");
	rawi_rw10(cdb, false, 7000, 128);
	memset(rbuf, 0, sizeof(rbuf));
	CHECK(status_of(&b, rawi_cmd_sn(&b, sn++, ISCSI_CMD_READ, cdb, 65536, NULL, 0)) == 0,
	      "READ back the reassigned WRITE");
	CHECK(!memcmp(rbuf, wbuf, 65536), "the reassigned WRITE's data on the medium");

	/* ---- connection reinstatement of the only connection (its CID while
	 * the target still has it): the session is held in between ---- */
	{
		struct rawi b2;
		int r = 1;

		b.hold_ack = true;
		rawi_rw10(cdb, false, 6000, 64);
		r2 = rawi_cmd_sn(&b, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0);
		b.cmdsn = sn;
		CHECK(rawi_ping(&b, 0), "ping before the reinstatement");
		st = login(&b2, "one-b2", INI, ISID, tsih, 0, KEYS_JOIN);
		CHECK(st == 0, "reinstating the only connection at ERL 2: 0x%x", st);
		if (st)
			return;
		for (int i = 0; i < 64 && r == 1; i++)
			r = rawi_recv(&b, &P, 3000);
		CHECK(r == -1, "the reinstated connection is still open (%d)", r);
		rawi_close(&b);
		CHECK(rawi_task_reassign(&b2, &P, sn, r2, 0) == 0, "TASK REASSIGN after the reinstatement: %d",
		      P.bhs[2]);
		memset(rbuf, 0, sizeof(rbuf));
		CHECK(status_of(&b2, r2) == 0, "the READ reassigned after the reinstatement");
		CHECK(!memcmp(rbuf, want, 32768), "its data");
		b = b2;
	}

	/* ---- it fails again and nobody comes back within Time2Retain ---- */
	leave_two(&b, &sn, 9000, 32768, 9, &r2, &w2);
	usleep((HOLD_S + 1) * 1000000 + 500000);
	st = login(&bad, "one-late", INI, ISID, tsih, 0, KEYS_JOIN);
	CHECK(st == 0x020a, "login after Time2Wait + Time2Retain: 0x%x, want 0x020a", st);
	rawi_close(&bad);
	st = login(&c, "one-c", INI, ISID, 0, 0, KEYS_LEAD("2"));
	CHECK(st == 0, "a new session: 0x%x", st);
	if (st)
		return;
	CHECK(c.tsih != 0, "a new session's TSIH");
	tsih = c.tsih;
	sn = c.cmdsn;
	status_of(&c, rawi_cmd_sn(&c, sn++, 0, tur, 0, NULL, 0)); /* I_T NEXUS LOSS */
	CHECK(rawi_task_reassign(&c, &P, sn, w2, 0) == ISCSI_TMF_RSP_NO_TASK,
	      "TASK REASSIGN of the expired session's WRITE: %u (want 1)", P.bhs[2]);
	rawi_rw10(cdb, false, 9000, 64);
	memset(rbuf, 0xee, sizeof(rbuf));
	CHECK(status_of(&c, rawi_cmd_sn(&c, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0)) == 0,
	      "READ of the abandoned write's blocks");
	CHECK(all_zero(rbuf, 32768), "the abandoned write reached the medium");

	/* ---- Logout for recovery of the only connection, then a session
	 * reinstatement (TSIH 0) ends the held session: its write aborted ---- */
	rawi_pattern(wbuf, 12000ull * 512, 32768, 12);
	rawi_rw10(cdb, true, 12000, 64);
	w2 = rawi_cmd_sn(&c, sn++, ISCSI_CMD_WRITE, cdb, 32768, wbuf, 16384);
	CHECK(rawi_expect(&c, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == w2, "R2T of the write left to the reinstatement");
	rawi_dout(&c, w2, iscsi_get32(P.bhs + 20), 0, 16384, wbuf + 16384, 8192, false, 0);
	{
		uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE,
					       ISCSI_FLAG_FINAL | ISCSI_LOGOUT_RECOVERY };
		uint32_t itt = c.itt++;
		int r = 1;

		iscsi_put32(bhs + 16, itt);
		iscsi_put16(bhs + 20, 0);
		iscsi_put32(bhs + 24, sn);
		iscsi_put32(bhs + 28, c.expstatsn);
		rawi_send(&c, bhs, NULL, 0, NULL, 0, 0);
		CHECK(rawi_expect(&c, ISCSI_OP_LOGOUT_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
		      iscsi_get32(P.bhs + 16) == itt && P.bhs[2] == 0,
		      "logout of the only connection for recovery: response %u", P.bhs[2]);
		CHECK(iscsi_get16(P.bhs + 42) == 2, "logout response Time2Retain %u (want 2)",
		      iscsi_get16(P.bhs + 42));
		for (int i = 0; i < 64 && r == 1; i++)
			r = rawi_recv(&c, &P, 3000);
		CHECK(r == -1, "the connection logged out for recovery is still open (%d)", r);
	}
	rawi_close(&c);
	st = login(&c, "one-d", INI, ISID, 0, 0, KEYS_LEAD("2"));
	CHECK(st == 0, "session reinstatement of the held session: 0x%x", st);
	if (st)
		return;
	CHECK(c.tsih != tsih, "the reinstated session's TSIH %u", c.tsih);
	sn = c.cmdsn;
	status_of(&c, rawi_cmd_sn(&c, sn++, 0, tur, 0, NULL, 0));
	rawi_rw10(cdb, false, 12000, 64);
	memset(rbuf, 0xee, sizeof(rbuf));
	CHECK(status_of(&c, rawi_cmd_sn(&c, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0)) == 0,
	      "READ of the reinstated session's write");
	CHECK(all_zero(rbuf, 32768), "the held session's write landed after its reinstatement");
	CHECK(erl2one_logout(&c, sn) == 0, "logout of the new session");
	rawi_close(&c);
	(void)r2;
}

/* A held session for the live upgrade test; prints its TSIH. */
void rawi_case_erl2_hold(void)
{
	struct rawi a;
	uint8_t cdb[16], tur[16] = { 0 };
	uint32_t sn, r, w;
	int st = login(&a, "hold-a", INI, ISID + 2, 0, 0, KEYS_LEAD("20"));

	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	sn = a.cmdsn;
	status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0));
	rawi_rw10(cdb, true, 11000, 64);
	memset(wbuf, 0, sizeof(wbuf));
	CHECK(status_of(&a, rawi_cmd_sn(&a, sn++, ISCSI_CMD_WRITE, cdb, 32768, wbuf, 32768)) == 0,
	      "zeroing write");
	printf("tsih %u\n", a.tsih);
	leave_two(&a, &sn, 11000, 32768, 11, &r, &w);
}

/* After the upgrade: the held session did not survive, its write did not
 * land. */
void rawi_case_erl2_gone(void)
{
	struct rawi a;
	uint8_t cdb[16], tur[16] = { 0 };
	const char *e = getenv("RAWI_TSIH");
	uint32_t sn;
	int st;

	CHECK(e && atoi(e) > 0 && atoi(e) < 65536, "RAWI_TSIH (the held session's) not set");
	if (!e)
		return;
	st = login(&a, "gone-a", INI, ISID + 2, (uint16_t)atoi(e), 0, KEYS_JOIN);
	CHECK(st == 0x020a, "login into the session held across the upgrade: 0x%x, want 0x020a",
	      st);
	rawi_close(&a);
	st = login(&a, "gone-b", INI, ISID + 2, 0, 0, KEYS_LEAD("20"));
	CHECK(st == 0, "a new session: 0x%x", st);
	if (st)
		return;
	sn = a.cmdsn;
	status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0));
	rawi_rw10(cdb, false, 11000, 64);
	memset(rbuf, 0xee, sizeof(rbuf));
	CHECK(status_of(&a, rawi_cmd_sn(&a, sn++, ISCSI_CMD_READ, cdb, 32768, NULL, 0)) == 0,
	      "READ of the held session's write");
	CHECK(all_zero(rbuf, 32768), "the held session's unfinished write reached the medium");
	CHECK(erl2one_logout(&a, sn) == 0, "logout");
	rawi_close(&a);
}
