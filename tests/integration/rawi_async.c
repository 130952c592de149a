/* test-raw-initiator, cases for a target that goes away (iscsi-shutdown.sh):
 * one session waits for what the target says when mtgtd is stopped or its
 * frontend replaced. Each prints "ready" once logged in (the script then
 * acts). Environment: RAWI_T2W (DefaultTime2Wait we offer, default 5),
 * RAWI_P3 (the Parameter3 expected in AsyncEvent 1), RAWI_SECS (shut-none:
 * how long to keep doing I/O).
 *   shut-logout  AsyncEvent 1 (Parameter3 = RAWI_P3) → Logout → Logout
 *                Response 0 with Time2Wait = the negotiated DefaultTime2Wait
 *   shut-ignore  AsyncEvent 1, no logout → AsyncEvent 2 (Parameter1 CID,
 *                Parameter2 Time2Wait = DefaultTime2Wait) → closed
 *   shut-drop    AsyncEvent 3 (session dropped by the administrator) →
 *                closed
 *   shut-none    commands keep working for RAWI_SECS and no Asynchronous
 *                Message comes (a live upgrade keeps sessions)
 *   shut-stuck   a PDU whose data stops half way: the live upgrade cannot
 *                quiesce; then as shut-ignore */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct rawi_pdu P;

static unsigned env_u(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)atoi(v) : dflt;
}

static int login(struct rawi *x, const char *name, uint8_t isid_last)
{
	char keys[512];
	unsigned t2w = env_u("RAWI_T2W", 5);

	snprintf(keys, sizeof(keys), "HeaderDigest=None\nDataDigest=None\n"
		 "DefaultTime2Wait=%u\nDefaultTime2Retain=0\nMaxRecvDataSegmentLength=8192\n",
		 t2w);
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect failed", name);
		return -1;
	}
	x->isid[5] = isid_last;
	int st = rawi_login(x, "iqn.2026-11.org.mtgt:raw-shutdown", rawi_target, keys, &P);

	CHECK(st == 0, "%s: login status 0x%x", name, st);
	if (st)
		return -1;
	const char *v = rawi_key(&P, "DefaultTime2Wait");

	CHECK(v && (unsigned)atoi(v) == (t2w > 2 ? t2w : 2), "DefaultTime2Wait answer %s",
	      v ? v : "-");
	return 0;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

/* The next Asynchronous Message within ms (other PDUs skipped). */
static bool await_async(struct rawi *x, int ms, uint8_t event)
{
	if (rawi_expect(x, ISCSI_OP_ASYNC, &P, ms) != 1) {
		CHECK(0, "no AsyncEvent %u", event);
		return false;
	}
	CHECK(P.bhs[36] == event, "AsyncEvent %u, want %u", P.bhs[36], event);
	CHECK(iscsi_get32(P.bhs + 16) == ISCSI_RSVD_TAG && (P.bhs[1] & ISCSI_FLAG_FINAL),
	      "Asynchronous Message ITT/F");
	return P.bhs[36] == event;
}

static void expect_drop(struct rawi *x, unsigned t2w)
{
	if (!await_async(x, 15000, 2))
		return;
	CHECK(iscsi_get16(P.bhs + 38) == 0, "AsyncEvent 2 Parameter1 (CID) %u",
	      iscsi_get16(P.bhs + 38));
	CHECK(iscsi_get16(P.bhs + 40) == t2w, "AsyncEvent 2 Parameter2 (Time2Wait) %u, want %u",
	      iscsi_get16(P.bhs + 40), t2w);
	CHECK(rawi_recv(x, &P, 5000) == -1, "connection still open after AsyncEvent 2");
}

static void shut(bool do_logout, bool stuck)
{
	struct rawi x;
	unsigned t2w = env_u("RAWI_T2W", 5), p3 = env_u("RAWI_P3", 3);

	if (t2w < 2)
		t2w = 2;
	if (login(&x, stuck ? "shut-stuck" : do_logout ? "shut-logout" : "shut-ignore",
		  stuck ? 3 : do_logout ? 1 : 2))
		return;
	if (stuck) {
		/* a NOP-Out whose 4 KiB of ping data stop after 100 bytes: no
		 * PDU boundary to stop at */
		uint8_t pdu[ISCSI_BHS_LEN + 100] = { ISCSI_OP_NOP_OUT | ISCSI_OP_IMMEDIATE,
						     ISCSI_FLAG_FINAL };

		iscsi_put24(pdu + 5, 4096);
		iscsi_put32(pdu + 16, x.itt++);
		iscsi_put32(pdu + 20, ISCSI_RSVD_TAG);
		iscsi_put32(pdu + 24, x.cmdsn);
		iscsi_put32(pdu + 28, x.expstatsn);
		CHECK(write(x.fd, pdu, sizeof(pdu)) == (ssize_t)sizeof(pdu), "partial PDU");
	}
	ready();
	if (!await_async(&x, 60000, 1))
		return;
	CHECK(iscsi_get16(P.bhs + 42) == p3, "AsyncEvent 1 Parameter3 %u, want %u",
	      iscsi_get16(P.bhs + 42), p3);
	if (!do_logout) {
		expect_drop(&x, t2w);
		rawi_close(&x);
		return;
	}
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	bhs[0] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | ISCSI_LOGOUT_CLOSE_SESSION;
	iscsi_put32(bhs + 16, x.itt++);
	iscsi_put32(bhs + 24, x.cmdsn);
	iscsi_put32(bhs + 28, x.expstatsn);
	rawi_send(&x, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(&x, ISCSI_OP_LOGOUT_RSP, &P, 5000) == 1) {
		CHECK(P.bhs[2] == 0, "Logout Response %u", P.bhs[2]);
		CHECK(iscsi_get16(P.bhs + 40) == t2w, "Logout Response Time2Wait %u, want %u",
		      iscsi_get16(P.bhs + 40), t2w);
		CHECK(iscsi_get16(P.bhs + 42) == 0, "Logout Response Time2Retain %u",
		      iscsi_get16(P.bhs + 42));
	} else {
		CHECK(0, "no Logout Response");
	}
	CHECK(rawi_recv(&x, &P, 5000) == -1, "connection open after the logout");
	rawi_close(&x);
}

void rawi_case_shut_logout(void)
{
	shut(true, false);
}

void rawi_case_shut_ignore(void)
{
	shut(false, false);
}

void rawi_case_shut_stuck(void)
{
	shut(false, true);
}

/* An administrator drops the session: AsyncEvent 3 (Parameter2 Time2Wait =
 * DefaultTime2Wait, Parameter3 Time2Retain 0), then the connection closes. */
void rawi_case_shut_drop(void)
{
	struct rawi x;
	unsigned t2w = env_u("RAWI_T2W", 5);

	if (t2w < 2)
		t2w = 2;
	if (login(&x, "shut-drop", 5))
		return;
	ready();
	if (await_async(&x, 30000, 3)) {
		CHECK(iscsi_get16(P.bhs + 40) == t2w, "AsyncEvent 3 Parameter2 (Time2Wait) %u, want %u",
		      iscsi_get16(P.bhs + 40), t2w);
		CHECK(iscsi_get16(P.bhs + 42) == 0, "AsyncEvent 3 Parameter3 (Time2Retain) %u",
		      iscsi_get16(P.bhs + 42));
		CHECK(rawi_recv(&x, &P, 5000) == -1, "connection still open after AsyncEvent 3");
	}
	rawi_close(&x);
}

/* A live upgrade: no Asynchronous Message, no error, commands go on. */
void rawi_case_shut_none(void)
{
	struct rawi x;
	unsigned secs = env_u("RAWI_SECS", 10), n = 0;
	time_t end;

	if (login(&x, "shut-none", 4))
		return;
	ready();
	end = time(NULL) + secs;
	while (time(NULL) < end) {
		uint8_t tur[16] = { 0 };
		uint32_t itt = rawi_cmd(&x, 0, 0, tur, 16, 0, NULL, 0, false, 0);
		int r = rawi_recv(&x, &P, RAWI_TIMEOUT_MS * 2);

		if (r != 1) {
			CHECK(0, "command %u: no answer (rc %d)", n, r);
			break;
		}
		if ((P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_ASYNC) {
			CHECK(0, "AsyncEvent %u during a live upgrade", P.bhs[36]);
			break;
		}
		/* the first command of the nexus may report POWER ON (UA) */
		CHECK((P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_SCSI_RSP && iscsi_get32(P.bhs + 16) == itt &&
		      (P.bhs[3] == 0 || n == 0), "command %u: %s status 0x%x", n,
		      iscsi_op_name(P.bhs[0] & ISCSI_OP_MASK), P.bhs[3]);
		n++;
		usleep(100000);
	}
	fprintf(stderr, "shut-none: %u commands\n", n);
	rawi_close(&x);
}
