/* test-raw-initiator, CmdSN ordering cases (RFC 7143 3.2.2.1, 4.2.2.1):
 * commands sent out of CmdSN order run in CmdSN order, CmdSNs outside the
 * window are ignored, a gap that is never filled leaves the session
 * answering pings and able to log out, data for a waiting write is kept,
 * and task management covers waiting commands. */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *rawi_addr, *rawi_target;

#define KEYS_ORDER "HeaderDigest=CRC32C,None\nDataDigest=CRC32C,None\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=8192\n" \
	"MaxBurstLength=32768\nFirstBurstLength=16384\nMaxOutstandingR2T=1\n" \
	"DefaultTime2Wait=0\nDefaultTime2Retain=0\n"

#define ATTR_SIMPLE  1
#define ATTR_ORDERED 2

static struct rawi_pdu P;

static int session(struct rawi *x, const char *name, uint8_t isid_last)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect failed", name);
		return -1;
	}
	x->isid[5] = isid_last;
	int st = rawi_login(x, "iqn.2026-11.org.mtgt:raw-cmdsn", rawi_target, KEYS_ORDER, &P);

	CHECK(st == 0, "%s: login status 0x%x", name, st);
	if (st)
		return -1;
	/* the first command of a nexus reports POWER ON: take it */
	for (int i = 0; i < 4; i++) {
		uint8_t tur[16] = { 0 };
		uint32_t itt = rawi_cmd(x, 0, 0, tur, 16, 0, NULL, 0, false, 0);

		if (rawi_expect(x, ISCSI_OP_SCSI_RSP, &P, RAWI_TIMEOUT_MS) != 1)
			return -1;
		if (iscsi_get32(P.bhs + 16) == itt && P.bhs[3] == 0)
			return 0;
	}
	return -1;
}

/* A SCSI Command with this CmdSN and task attribute. */
static uint32_t cmd_at(struct rawi *x, uint32_t cmdsn, uint8_t flags, uint8_t attr,
		       const uint8_t *cdb, uint32_t edtl, const void *imm, uint32_t immlen,
		       bool final)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_SCSI_CMD;
	bhs[1] = (uint8_t)(flags | (final ? ISCSI_FLAG_FINAL : 0) | attr);
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, edtl);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	memcpy(bhs + 32, cdb, 16);
	rawi_send(x, bhs, NULL, 0, imm, immlen, 0);
	return itt;
}

static uint32_t tur_at(struct rawi *x, uint32_t cmdsn)
{
	uint8_t cdb[16] = { 0 };

	return cmd_at(x, cmdsn, 0, ATTR_SIMPLE, cdb, 0, NULL, 0, true);
}

/* NOP-Out with an ITT (answered by a NOP-In). */
static uint32_t nop_at(struct rawi *x, uint32_t cmdsn, bool immediate)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_NOP_OUT | (immediate ? ISCSI_OP_IMMEDIATE : 0);
	bhs[1] = ISCSI_FLAG_FINAL;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, ISCSI_RSVD_TAG);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
	return itt;
}

/* Immediate ping; its NOP-In's ExpCmdSN, or 0xffffffff. */
static uint32_t exp_cmdsn(struct rawi *x)
{
	uint32_t itt = nop_at(x, x->cmdsn, true);

	for (int i = 0; i < 64; i++) {
		if (rawi_recv(x, &P, RAWI_TIMEOUT_MS) != 1)
			break;
		if ((P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_NOP_IN && iscsi_get32(P.bhs + 16) == itt)
			return iscsi_get32(P.bhs + 28);
		CHECK(0, "unexpected %s while waiting for the ping",
		      iscsi_op_name(P.bhs[0] & ISCSI_OP_MASK));
	}
	CHECK(0, "no answer to a ping");
	return 0xffffffffu;
}

/* Nothing arrives for ms milliseconds. */
static bool quiet(struct rawi *x, int ms, const char *what)
{
	int r = rawi_recv(x, &P, ms);

	CHECK(r == 0, "%s: got %s (rc %d), want nothing", what,
	      r == 1 ? iscsi_op_name(P.bhs[0] & ISCSI_OP_MASK) : "-", r);
	return r == 0;
}

/* Collect a read's data (buf) and a write's/other's status: returns the
 * SCSI status of itt, or -1. */
struct waitset {
	uint32_t itt[4];
	int      status[4];
	uint8_t *buf[4];
	uint32_t len[4];
	uint32_t order[4];  /* arrival order of the status */
	int      n, done;
};

static void ws_add(struct waitset *w, uint32_t itt, uint8_t *buf, uint32_t len)
{
	w->itt[w->n] = itt;
	w->status[w->n] = -1;
	w->buf[w->n] = buf;
	w->len[w->n] = len;
	w->n++;
}

static int ws_wait(struct rawi *x, struct waitset *w, const char *what)
{
	for (int k = 0; k < 256 && w->done < w->n; k++) {
		if (rawi_recv(x, &P, RAWI_TIMEOUT_MS) != 1) {
			CHECK(0, "%s: %d of %d answers", what, w->done, w->n);
			return -1;
		}
		uint8_t op = P.bhs[0] & ISCSI_OP_MASK;
		uint32_t itt = iscsi_get32(P.bhs + 16);
		int i;

		for (i = 0; i < w->n && w->itt[i] != itt; i++)
			;
		if (i == w->n) {
			CHECK(0, "%s: %s for unknown ITT 0x%x", what, iscsi_op_name(op), itt);
			continue;
		}
		if (op == ISCSI_OP_DATA_IN) {
			uint32_t off = iscsi_get32(P.bhs + 40);

			if (w->buf[i] && (uint64_t)off + P.dlen <= w->len[i])
				memcpy(w->buf[i] + off, P.data, P.dlen);
			if (P.bhs[1] & ISCSI_DATAIN_STATUS) {
				w->status[i] = P.bhs[3];
				w->order[i] = (uint32_t)w->done++;
			}
		} else if (op == ISCSI_OP_SCSI_RSP) {
			w->status[i] = P.bhs[2] ? 0x100 : P.bhs[3];
			w->order[i] = (uint32_t)w->done++;
		} else {
			CHECK(0, "%s: unexpected %s", what, iscsi_op_name(op));
		}
	}
	return w->done == w->n ? 0 : -1;
}

static uint8_t blk_a[4096], blk_b[4096], blk_got[4096];

/* Write then read of one block, sent read first: the read (CmdSN N+1) must
 * wait for the write (CmdSN N) and return its data; then write (N+1) sent
 * before read (N): the read returns the data from before that write. The
 * later command of each pair is ORDERED, so the core runs them in the
 * order the frontend delivers them. */
static void case_order(void)
{
	struct rawi x;
	uint8_t cdb[16];
	struct waitset w;
	uint32_t lba = 3000, n, r_itt, w_itt;

	if (session(&x, "cmdsn-order", 1))
		return;
	rawi_pattern(blk_a, (uint64_t)lba * 512, 4096, 31);
	rawi_pattern(blk_b, (uint64_t)lba * 512, 4096, 32);
	CHECK(rawi_write(&x, lba, 4096, 30) == 0, "first write");

	/* 1: READ N+1 first, then WRITE N (pattern 31) */
	n = x.cmdsn;
	rawi_rw10(cdb, false, lba, 8);
	r_itt = cmd_at(&x, n + 1, ISCSI_CMD_READ, ATTR_ORDERED, cdb, 4096, NULL, 0, true);
	quiet(&x, 400, "READ with CmdSN ahead of ExpCmdSN");
	CHECK(exp_cmdsn(&x) == n, "ExpCmdSN moved past a missing CmdSN");
	rawi_rw10(cdb, true, lba, 8);
	w_itt = cmd_at(&x, n, ISCSI_CMD_WRITE, ATTR_SIMPLE, cdb, 4096, blk_a, 4096, true);
	x.cmdsn = n + 2;
	memset(&w, 0, sizeof(w));
	memset(blk_got, 0, sizeof(blk_got));
	ws_add(&w, w_itt, NULL, 0);
	ws_add(&w, r_itt, blk_got, sizeof(blk_got));
	if (ws_wait(&x, &w, "write N / read N+1") == 0) {
		CHECK(w.status[0] == 0 && w.status[1] == 0, "statuses 0x%x 0x%x", w.status[0],
		      w.status[1]);
		CHECK(!memcmp(blk_got, blk_a, 4096),
		      "read (CmdSN N+1, sent first) did not see the write (CmdSN N)");
	}
	CHECK(exp_cmdsn(&x) == n + 2, "ExpCmdSN after the gap filled");

	/* 2: WRITE N+1 (pattern 32) first, then READ N: the old data */
	n = x.cmdsn;
	rawi_rw10(cdb, true, lba, 8);
	w_itt = cmd_at(&x, n + 1, ISCSI_CMD_WRITE, ATTR_ORDERED, cdb, 4096, blk_b, 4096, true);
	quiet(&x, 400, "WRITE with CmdSN ahead of ExpCmdSN");
	rawi_rw10(cdb, false, lba, 8);
	r_itt = cmd_at(&x, n, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	x.cmdsn = n + 2;
	memset(&w, 0, sizeof(w));
	memset(blk_got, 0, sizeof(blk_got));
	ws_add(&w, r_itt, blk_got, sizeof(blk_got));
	ws_add(&w, w_itt, NULL, 0);
	if (ws_wait(&x, &w, "read N / write N+1") == 0) {
		CHECK(w.status[0] == 0 && w.status[1] == 0, "statuses 0x%x 0x%x", w.status[0],
		      w.status[1]);
		CHECK(!memcmp(blk_got, blk_a, 4096),
		      "read (CmdSN N) saw the write with the higher CmdSN N+1");
	}
	CHECK(rawi_read_verify(&x, lba, 4096, 32) == 0, "data of the held write");

	/* 3: a non-immediate NOP-Out ahead of a command waits its turn too */
	n = x.cmdsn;
	uint32_t nitt = nop_at(&x, n + 1, false);

	quiet(&x, 300, "NOP-Out with CmdSN ahead of ExpCmdSN");
	uint32_t titt = tur_at(&x, n);
	bool got_nop = false, got_tur = false;

	x.cmdsn = n + 2;
	for (int k = 0; k < 8 && !(got_nop && got_tur); k++) {
		if (rawi_recv(&x, &P, RAWI_TIMEOUT_MS) != 1)
			break;
		uint8_t op = P.bhs[0] & ISCSI_OP_MASK;

		if (op == ISCSI_OP_NOP_IN && iscsi_get32(P.bhs + 16) == nitt) {
			got_nop = true;
			CHECK(iscsi_get32(P.bhs + 28) == n + 2, "NOP-In ExpCmdSN %u, want %u",
			      iscsi_get32(P.bhs + 28), n + 2);
		} else if (op == ISCSI_OP_SCSI_RSP && iscsi_get32(P.bhs + 16) == titt) {
			got_tur = true;
		}
	}
	CHECK(got_nop && got_tur, "queued NOP-Out %s, TEST UNIT READY %s",
	      got_nop ? "answered" : "lost", got_tur ? "answered" : "lost");
	rawi_close(&x);
}

/* CmdSN outside [ExpCmdSN, MaxCmdSN]: ignored, the session goes on. */
static void case_window(void)
{
	struct rawi x;

	if (session(&x, "cmdsn-window", 2))
		return;
	uint32_t max = x.max_cmdsn;

	tur_at(&x, max + 1);
	quiet(&x, 500, "CmdSN MaxCmdSN+1");
	tur_at(&x, max + 1000);
	quiet(&x, 300, "CmdSN far beyond MaxCmdSN");
	tur_at(&x, x.cmdsn - 1);
	quiet(&x, 300, "CmdSN below ExpCmdSN (already used)");
	CHECK(exp_cmdsn(&x) == x.cmdsn, "ExpCmdSN changed by dropped commands");
	uint32_t itt = tur_at(&x, x.cmdsn++);

	CHECK(rawi_expect(&x, ISCSI_OP_SCSI_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == itt && P.bhs[3] == 0, "command in the window after drops");
	rawi_close(&x);
}

/* Data for a held write: immediate and unsolicited Data-Out arrive while it
 * waits, R2Ts solicit the rest once its turn came. */
static void case_data(void)
{
	struct rawi x;
	uint8_t cdb[16];
	static uint8_t buf[24576];
	uint32_t lba = 3100, len = sizeof(buf), n, witt, titt;
	bool good_w = false, good_t = false;

	if (session(&x, "cmdsn-data", 3))
		return;
	rawi_pattern(buf, (uint64_t)lba * 512, len, 33);
	n = x.cmdsn;
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	/* 4 KiB immediate + 12 KiB unsolicited (FirstBurstLength 16 KiB) */
	witt = cmd_at(&x, n + 1, ISCSI_CMD_WRITE, ATTR_SIMPLE, cdb, len, buf, 4096, false);
	rawi_dout(&x, witt, ISCSI_RSVD_TAG, 0, 4096, buf + 4096, 8192, false, 0);
	rawi_dout(&x, witt, ISCSI_RSVD_TAG, 1, 12288, buf + 12288, 4096, true, 0);
	quiet(&x, 400, "held write with unsolicited data");
	titt = tur_at(&x, n);
	x.cmdsn = n + 2;
	for (int k = 0; k < 16 && !(good_w && good_t); k++) {
		if (rawi_recv(&x, &P, RAWI_TIMEOUT_MS) != 1) {
			CHECK(0, "held write: no answer");
			break;
		}
		uint8_t op = P.bhs[0] & ISCSI_OP_MASK;
		uint32_t itt = iscsi_get32(P.bhs + 16);

		if (op == ISCSI_OP_R2T && itt == witt) {
			uint32_t off = iscsi_get32(P.bhs + 40), want = iscsi_get32(P.bhs + 44);

			CHECK(off == 16384 && want == len - 16384, "R2T for %u bytes at %u", want, off);
			if ((uint64_t)off + want <= len)
				rawi_dout(&x, witt, iscsi_get32(P.bhs + 20), 0, off, buf + off, want,
					  true, 0);
		} else if (op == ISCSI_OP_SCSI_RSP && itt == witt) {
			CHECK(P.bhs[3] == 0, "held write status 0x%x", P.bhs[3]);
			good_w = true;
		} else if (op == ISCSI_OP_SCSI_RSP && itt == titt) {
			good_t = true;
		}
	}
	CHECK(good_w && good_t, "write %d tur %d", good_w, good_t);
	CHECK(rawi_read_verify(&x, lba, len, 33) == 0, "data of the held write");
	rawi_close(&x);
}

/* A gap never filled: pings answered, ExpCmdSN stays, MaxCmdSN leaves room
 * only for what is left, and an immediate Logout still ends the session
 * (the waiting commands are dropped). */
static void case_gap(void)
{
	struct rawi x;
	uint8_t cdb[16];
	uint32_t n, lba = 3200;

	if (session(&x, "cmdsn-gap", 4))
		return;
	n = x.cmdsn;
	rawi_pattern(blk_a, (uint64_t)lba * 512, 4096, 34);
	rawi_rw10(cdb, true, lba, 8);
	cmd_at(&x, n + 1, ISCSI_CMD_WRITE, ATTR_SIMPLE, cdb, 4096, blk_a, 4096, true);
	rawi_rw10(cdb, false, lba, 8);
	cmd_at(&x, n + 2, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	cmd_at(&x, n + 3, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	nop_at(&x, n + 4, false);
	quiet(&x, 500, "commands behind a gap");
	for (int i = 0; i < 3; i++)
		CHECK(exp_cmdsn(&x) == n, "ExpCmdSN moved past the gap");
	/* the waiting PDUs hold window slots: no more than 128 in all */
	CHECK(iscsi_sn_le(iscsi_get32(P.bhs + 32), n + 127), "MaxCmdSN %u, ExpCmdSN %u",
	      iscsi_get32(P.bhs + 32), n);
	/* immediate Logout (close the session) */
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t litt = x.itt++;

	bhs[0] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION;
	iscsi_put32(bhs + 16, litt);
	iscsi_put32(bhs + 24, n);
	iscsi_put32(bhs + 28, x.expstatsn);
	rawi_send(&x, bhs, NULL, 0, NULL, 0, 0);
	int r = rawi_expect(&x, ISCSI_OP_LOGOUT_RSP, &P, RAWI_TIMEOUT_MS);

	CHECK(r == 1 && iscsi_get32(P.bhs + 16) == litt && P.bhs[2] == 0,
	      "Logout with commands behind a gap: rc %d response %u", r, P.bhs[2]);
	rawi_close(&x);
	/* the waiting write never ran */
	if (session(&x, "cmdsn-gap-after", 5))
		return;
	rawi_pattern(blk_b, (uint64_t)lba * 512, 4096, 34);
	rawi_rw10(cdb, false, lba, 8);
	memset(blk_got, 0, sizeof(blk_got));
	struct waitset w;

	memset(&w, 0, sizeof(w));
	ws_add(&w, cmd_at(&x, x.cmdsn++, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true),
	       blk_got, 4096);
	if (ws_wait(&x, &w, "read after") == 0)
		CHECK(memcmp(blk_got, blk_b, 4096) != 0, "a write stuck behind a gap ran");
	rawi_close(&x);
}

static uint8_t tmf_at(struct rawi *x, uint8_t fn, uint32_t rtt, uint32_t refcmdsn,
		      uint32_t cmdsn)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_TMF_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | fn;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, rtt);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	iscsi_put32(bhs + 32, refcmdsn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
	for (int i = 0; i < 16; i++) {
		if (rawi_recv(x, &P, RAWI_TIMEOUT_MS) != 1)
			break;
		if ((P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_TMF_RSP && iscsi_get32(P.bhs + 16) == itt)
			return P.bhs[2];
		CHECK(0, "unexpected %s (ITT 0x%x) before the TMF response",
		      iscsi_op_name(P.bhs[0] & ISCSI_OP_MASK), iscsi_get32(P.bhs + 16));
	}
	CHECK(0, "no TMF response");
	return 0xff;
}

/* ABORT TASK of a waiting command; ABORT TASK SET over waiting commands and
 * a gap: no status for them, the gap counts as received, later commands run. */
static void case_tmf(void)
{
	struct rawi x;
	uint8_t cdb[16], r;
	uint32_t n, held;

	if (session(&x, "cmdsn-tmf", 6))
		return;
	n = x.cmdsn;
	rawi_rw10(cdb, false, 3300, 8);
	held = cmd_at(&x, n + 1, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	quiet(&x, 300, "held read");
	r = tmf_at(&x, ISCSI_TMF_ABORT_TASK, held, n + 1, n + 2);
	CHECK(r == ISCSI_TMF_RSP_COMPLETE, "ABORT TASK of a held command: %u", r);
	uint32_t t = tur_at(&x, n);

	CHECK(rawi_expect(&x, ISCSI_OP_SCSI_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == t, "gap command after ABORT TASK");
	quiet(&x, 300, "aborted held read");
	CHECK(exp_cmdsn(&x) == n + 2, "ExpCmdSN past the aborted command");
	x.cmdsn = n + 2;

	/* ABORT TASK SET: two held commands and the gap before them */
	n = x.cmdsn;
	cmd_at(&x, n + 1, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	cmd_at(&x, n + 2, ISCSI_CMD_READ, ATTR_SIMPLE, cdb, 4096, NULL, 0, true);
	quiet(&x, 300, "held reads");
	r = tmf_at(&x, ISCSI_TMF_ABORT_TASK_SET, ISCSI_RSVD_TAG, 0, n + 3);
	CHECK(r == ISCSI_TMF_RSP_COMPLETE, "ABORT TASK SET: %u", r);
	tur_at(&x, n); /* the gap's late copy: covered by the TMF, dropped */
	quiet(&x, 400, "late command covered by ABORT TASK SET");
	CHECK(exp_cmdsn(&x) == n + 3, "ExpCmdSN after ABORT TASK SET");
	x.cmdsn = n + 3;
	t = tur_at(&x, x.cmdsn++);
	CHECK(rawi_expect(&x, ISCSI_OP_SCSI_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == t && P.bhs[3] == 0, "command after ABORT TASK SET");
	rawi_close(&x);
}

/* 24 ORDERED writes of one block, each with its own pattern, sent in a
 * shuffled CmdSN order (several rounds, different shuffles): the block ends
 * with the pattern of the highest CmdSN, every write is answered, and
 * ExpCmdSN ends past all of them. */
static void case_shuffle(void)
{
	struct rawi x;
	uint8_t cdb[16];
	static uint8_t data[24][4096];
	uint32_t lba = 3400, seed = 4242;
	int order[24];

	if (session(&x, "cmdsn-shuffle", 7))
		return;
	for (int round = 0; round < 8; round++) {
		uint32_t n = x.cmdsn;
		struct waitset w[6];
		int answered = 0;

		for (int i = 0; i < 24; i++) {
			order[i] = i;
			rawi_pattern(data[i], (uint64_t)lba * 512, 4096, 100u + (uint32_t)(round * 24 + i));
		}
		for (int i = 23; i > 0; i--) {
			seed = seed * 1103515245u + 12345u;
			int j = (int)((seed >> 8) % (uint32_t)(i + 1)), tmp = order[i];

			order[i] = order[j];
			order[j] = tmp;
		}
		memset(w, 0, sizeof(w));
		rawi_rw10(cdb, true, lba, 8);
		for (int i = 0; i < 24; i++) {
			int k = order[i];
			uint32_t itt = cmd_at(&x, n + (uint32_t)k, ISCSI_CMD_WRITE, ATTR_ORDERED, cdb,
					      4096, data[k], 4096, true);

			ws_add(&w[i / 4], itt, NULL, 0);
		}
		x.cmdsn = n + 24;
		/* answers come in any grouping: collect all 24 */
		for (int k = 0; k < 256 && answered < 24; k++) {
			if (rawi_recv(&x, &P, RAWI_TIMEOUT_MS) != 1)
				break;
			uint32_t itt = iscsi_get32(P.bhs + 16);

			for (int g = 0; g < 6; g++)
				for (int i = 0; i < w[g].n; i++)
					if (w[g].itt[i] == itt && w[g].status[i] < 0 &&
					    (P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_SCSI_RSP) {
						w[g].status[i] = P.bhs[3];
						answered++;
						CHECK(P.bhs[3] == 0, "round %d: write status 0x%x",
						      round, P.bhs[3]);
					}
		}
		CHECK(answered == 24, "round %d: %d of 24 writes answered", round, answered);
		if (answered != 24)
			break;
		CHECK(rawi_read_verify(&x, lba, 4096, 100u + (uint32_t)(round * 24 + 23)) == 0,
		      "round %d: the block does not hold the write with the highest CmdSN", round);
	}
	CHECK(exp_cmdsn(&x) == x.cmdsn, "ExpCmdSN after the shuffled rounds");
	rawi_close(&x);
}

/* Hostile CmdSNs: rounds of random commands (reads, writes with immediate
 * and unsolicited data, TEST UNIT READY), non-immediate NOP-Outs and Text
 * requests with CmdSNs below, inside (with gaps and duplicates) and beyond
 * the window, immediate ABORT TASK SETs and LUN RESETs, ending in a Logout
 * or a dropped connection. The target must answer what it may, never crash
 * and still serve a new session. */
static void case_fuzz(void)
{
	struct rawi x;
	uint8_t cdb[16];
	static uint8_t buf[16384];
	uint32_t seed = 777;
	int closes = 0;

	rawi_quiet = true;
	for (int round = 0; round < 60; round++) {
		if (session(&x, "cmdsn-fuzz", (uint8_t)(8 + round % 4)))
			break;
		uint32_t base = x.cmdsn;

		for (int k = 0; k < 30; k++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t r = seed >> 4, sn = base + (r % 150) - 4;

			switch (r % 7) {
			case 0: case 1:
				rawi_rw10(cdb, false, 3500 + (r >> 8) % 64, 8);
				cmd_at(&x, sn, ISCSI_CMD_READ, (r >> 3) % 2 ? ATTR_ORDERED : ATTR_SIMPLE,
				       cdb, 4096, NULL, 0, true);
				break;
			case 2: {
				uint32_t itt;

				rawi_rw10(cdb, true, 3500 + (r >> 8) % 64, 16);
				itt = cmd_at(&x, sn, ISCSI_CMD_WRITE, ATTR_SIMPLE, cdb, 8192, buf,
					     (r >> 5) % 2 ? 4096 : 0, (r >> 6) % 2);
				if (!((r >> 6) % 2))
					rawi_dout(&x, itt, ISCSI_RSVD_TAG, 0, (r >> 5) % 2 ? 4096 : 0,
						  buf, 4096, true, 0);
				break;
			}
			case 3:
				tur_at(&x, sn);
				break;
			case 4:
				nop_at(&x, sn, (r >> 9) % 3 == 0);
				break;
			case 5: {
				uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_TEXT_REQ, ISCSI_FLAG_FINAL };
				static const char st[] = "SendTargets=All";

				iscsi_put32(bhs + 16, x.itt++);
				iscsi_put32(bhs + 20, ISCSI_RSVD_TAG);
				iscsi_put32(bhs + 24, sn);
				iscsi_put32(bhs + 28, x.expstatsn);
				rawi_send(&x, bhs, NULL, 0, st, sizeof(st), 0);
				break;
			}
			default: {
				uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_TMF_REQ | ISCSI_OP_IMMEDIATE };

				bhs[1] = ISCSI_FLAG_FINAL | ((r >> 7) % 2 ? ISCSI_TMF_ABORT_TASK_SET :
							     ISCSI_TMF_LUN_RESET);
				iscsi_put32(bhs + 16, x.itt++);
				iscsi_put32(bhs + 20, ISCSI_RSVD_TAG);
				iscsi_put32(bhs + 24, base + (r >> 9) % 40);
				iscsi_put32(bhs + 28, x.expstatsn);
				rawi_send(&x, bhs, NULL, 0, NULL, 0, 0);
				break;
			}
			}
		}
		/* take what comes (R2Ts are left unanswered) */
		int rc = 1;

		for (int d = 0; d < 2048 && rc == 1; d++)
			rc = rawi_recv(&x, &P, 100);
		if (rc < 0) {
			closes++;
		} else if (round % 2) {
			uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE,
						       ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION };

			iscsi_put32(bhs + 16, x.itt++);
			iscsi_put32(bhs + 24, base);
			iscsi_put32(bhs + 28, x.expstatsn);
			rawi_send(&x, bhs, NULL, 0, NULL, 0, 0);
			rawi_expect(&x, ISCSI_OP_LOGOUT_RSP, &P, 3000);
		}
		rawi_close(&x);
	}
	rawi_quiet = false;
	fprintf(stderr, "cmdsn-fuzz: 60 rounds of 30 PDUs, %d connections closed by the target\n",
		closes);
	if (session(&x, "cmdsn-fuzz-after", 12))
		return;
	CHECK(rawi_write(&x, 3600, 8192, 55) == 0, "write after the fuzz");
	CHECK(rawi_read_verify(&x, 3600, 8192, 55) == 0, "read after the fuzz");
	rawi_close(&x);
}

void rawi_case_cmdsn_fuzz(void)
{
	case_fuzz();
}

void rawi_case_cmdsn_shuffle(void)
{
	case_shuffle();
}

void rawi_case_cmdsn_order(void)
{
	case_order();
}

void rawi_case_cmdsn_window(void)
{
	case_window();
}

void rawi_case_cmdsn_data(void)
{
	case_data();
}

void rawi_case_cmdsn_gap(void)
{
	case_gap();
}

void rawi_case_cmdsn_tmf(void)
{
	case_tmf();
}
