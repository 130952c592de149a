/* test-raw-initiator, several connections per session (iscsi-mcs.sh):
 * connections added with the session's TSIH (own CID, own digests and
 * MaxRecvDataSegmentLength), one CmdSN order across them, a TMF on one
 * connection for a task of another, MaxConnections enforced, logout of one
 * connection (its own, or another by CID), connection reinstatement, and a
 * failed connection taking the session along (ERL < 2). */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rawi_pdu P;
static uint8_t blk[4096], got[4096];

#define INI "iqn.2026-11.org.mtgt:raw-mcs"
#define KEYS_PLAIN "HeaderDigest=None\nDataDigest=None\nMaxConnections=4\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=8192\n" \
	"FirstBurstLength=16384\nMaxBurstLength=32768\n"
#define KEYS_DIGEST "HeaderDigest=CRC32C\nDataDigest=CRC32C\nMaxRecvDataSegmentLength=4096\n"

/* Connection cid of session tsih (0: a new session); 0 or the login status. */
static int conn_login(struct rawi *x, const char *name, uint16_t tsih, uint16_t cid,
		      const char *keys)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect", name);
		return -1;
	}
	x->isid[5] = 0x42;
	x->tsih = tsih;
	x->cid = cid;
	x->itt = 0x1000000u * (cid + 1u); /* ITTs are unique per session */
	return rawi_login(x, INI, rawi_target, keys, &P);
}

static uint32_t cmd_at(struct rawi *x, uint32_t cmdsn, uint8_t flags, uint8_t attr,
		       const uint8_t *cdb, uint32_t edtl, const void *imm, uint32_t immlen)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_SCSI_CMD;
	bhs[1] = (uint8_t)(flags | ISCSI_FLAG_FINAL | attr);
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, edtl);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	memcpy(bhs + 32, cdb, 16);
	rawi_send(x, bhs, NULL, 0, imm, immlen, 0);
	return itt;
}

/* The status of itt (reads: data into got); -1 on none. */
static int status_of(struct rawi *x, uint32_t itt)
{
	return rawi_status(x, &P, itt, got, sizeof(got), NULL);
}

void rawi_case_mcs(void)
{
	struct rawi a, b, c, d, e, b2;
	uint8_t cdb[16], tur[16] = { 0 };
	uint32_t sn, itt, ritt;
	int st;

	st = conn_login(&a, "mcs-a", 0, 0, KEYS_PLAIN);
	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	const char *v = rawi_key(&P, "MaxConnections");

	CHECK(v && !strcmp(v, "4"), "MaxConnections answer %s (want 4)", v ? v : "-");
	uint16_t tsih = a.tsih;

	/* the first command of the nexus reports POWER ON */
	status_of(&a, cmd_at(&a, a.cmdsn++, 0, 1, tur, 0, NULL, 0));
	sn = a.cmdsn;
	st = conn_login(&b, "mcs-b", tsih, 1, KEYS_DIGEST);
	CHECK(st == 0, "second connection: login 0x%x", st);
	if (st)
		return;
	CHECK(b.tsih == tsih, "second connection: TSIH %u, want %u", b.tsih, tsih);
	CHECK(b.hd && b.dd, "second connection: its own digests (CRC32C) not negotiated");
	CHECK(!a.hd, "first connection's digests changed");
	CHECK(b.cmdsn == sn, "second connection: ExpCmdSN %u, the session's is %u", b.cmdsn, sn);
	CHECK(rawi_ping(&a, 0) && rawi_ping(&b, 0), "pings on both connections");

	/* one CmdSN order across connections: READ N+1 on a, WRITE N on b */
	rawi_pattern(blk, 5000ull * 512, 4096, 71);
	rawi_rw10(cdb, false, 5000, 8);
	ritt = cmd_at(&a, sn + 1, ISCSI_CMD_READ, 2 /* ORDERED */, cdb, 4096, NULL, 0);
	CHECK(rawi_recv(&a, &P, 300) == 0, "READ with CmdSN N+1 answered before N came");
	rawi_rw10(cdb, true, 5000, 8);
	itt = cmd_at(&b, sn, ISCSI_CMD_WRITE, 1, cdb, 4096, blk, 4096);
	CHECK(status_of(&b, itt) == 0, "WRITE N on the second connection");
	memset(got, 0, sizeof(got));
	CHECK(status_of(&a, ritt) == 0, "READ N+1 on the first connection");
	CHECK(!memcmp(got, blk, 4096), "READ N+1 (first connection) did not see WRITE N (second)");
	sn += 2;

	/* ABORT TASK on b for a command held on a */
	rawi_rw10(cdb, false, 5000, 8);
	ritt = cmd_at(&a, sn + 1, ISCSI_CMD_READ, 1, cdb, 4096, NULL, 0);
	{
		uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_TMF_REQ | ISCSI_OP_IMMEDIATE,
					       ISCSI_FLAG_FINAL | ISCSI_TMF_ABORT_TASK };

		iscsi_put32(bhs + 16, b.itt++);
		iscsi_put32(bhs + 20, ritt);
		iscsi_put32(bhs + 24, sn + 2);
		iscsi_put32(bhs + 28, b.expstatsn);
		iscsi_put32(bhs + 32, sn + 1);
		rawi_send(&b, bhs, NULL, 0, NULL, 0, 0);
		CHECK(rawi_expect(&b, ISCSI_OP_TMF_RSP, &P, RAWI_TIMEOUT_MS) == 1 &&
		      P.bhs[2] == ISCSI_TMF_RSP_COMPLETE,
		      "ABORT TASK on one connection of a task held on another: %u", P.bhs[2]);
	}
	CHECK(status_of(&b, cmd_at(&b, sn, 0, 1, tur, 0, NULL, 0)) == 0, "the gap's command");
	CHECK(rawi_recv(&a, &P, 300) == 0, "the aborted task answered");
	sn += 2;

	/* MaxConnections 4: c and d join, e is refused */
	st = conn_login(&c, "mcs-c", tsih, 2, KEYS_PLAIN);
	CHECK(st == 0, "third connection: 0x%x", st);
	st = conn_login(&d, "mcs-d", tsih, 3, KEYS_PLAIN);
	CHECK(st == 0, "fourth connection: 0x%x", st);
	st = conn_login(&e, "mcs-e", tsih, 4, KEYS_PLAIN);
	CHECK(st == 0x0206, "fifth connection: login 0x%x, want 0x0206", st);
	rawi_close(&e);
	/* d logs itself out; a logs out c by its CID */
	CHECK(rawi_logout(&d, &P, ISCSI_LOGOUT_CLOSE_CONN, 3, sn) == 0, "d: logout (close connection)");
	CHECK(rawi_recv(&d, &P, 3000) == -1, "d open after its logout");
	CHECK(rawi_logout(&a, &P, ISCSI_LOGOUT_CLOSE_CONN, 2, sn) == 0, "a: logout of c's CID");
	CHECK(rawi_recv(&c, &P, 3000) == -1, "c open after a logged it out");
	rawi_close(&c);
	rawi_close(&d);
	CHECK(status_of(&a, cmd_at(&a, sn, 0, 1, tur, 0, NULL, 0)) == 0, "a after the logouts");
	sn++;
	/* b's CID again: connection reinstatement */
	st = conn_login(&b2, "mcs-b2", tsih, 1, KEYS_PLAIN);
	CHECK(st == 0, "reinstating connection 1: 0x%x", st);
	CHECK(rawi_recv(&b, &P, 3000) == -1, "the reinstated connection is still open");
	rawi_close(&b);
	b2.itt = 0x7000000;
	CHECK(status_of(&b2, cmd_at(&b2, sn, 0, 1, tur, 0, NULL, 0)) == 0, "reinstated connection");
	sn++;
	/* a connection fails: at ERL 0 the session goes with it */
	rawi_close(&a);
	CHECK(rawi_recv(&b2, &P, 5000) == -1, "the session outlived a failed connection");
	rawi_close(&b2);
	/* its TSIH is gone */
	st = conn_login(&e, "mcs-gone", tsih, 5, KEYS_PLAIN);
	CHECK(st == 0x020a, "login to the failed session: 0x%x, want 0x020a", st);
	rawi_close(&e);
}
