/* test-raw-initiator, connection reinstatement done safely (iscsi-reinstate.sh).
 * Session of two connections; on connection 1 a WRITE stalls on its R2T
 * (the core waits for its data) and an ORDERED WRITE with all its data
 * waits in the core behind it. A new login with CID 1 reinstates the
 * connection: both tasks must be aborted in the core before the new
 * connection runs anything, so its READs of the same blocks see the old
 * data (zeros), never the ORDERED write landing late nor a torn mix, and no
 * status of the old tasks ever shows up. */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rawi_pdu P;
static uint8_t wbuf[65536], rbuf[65536];

#define INI "iqn.2026-11.org.mtgt:raw-reinst"
#define KEYS "HeaderDigest=None\nDataDigest=None\nMaxConnections=4\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=65536\n" \
	"FirstBurstLength=65536\nMaxBurstLength=65536\n"

#define LBA_STALL 9000u /* 128 blocks: 16 KiB immediate, then an R2T never answered */
#define LBA_ORD   9200u /* 64 blocks: ORDERED, all data immediate */

static int join(struct rawi *x, const char *name, uint16_t tsih, uint16_t cid, uint32_t itt0)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect", name);
		return -1;
	}
	x->isid[5] = 0x51;
	x->tsih = tsih;
	x->cid = cid;
	x->itt = itt0;
	return rawi_login(x, INI, rawi_target, KEYS, &P);
}

static uint32_t cmd_sn(struct rawi *x, uint32_t cmdsn, uint8_t flags, uint8_t attr,
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

/* Status of itt (a READ's data into rbuf); -1 on none. A PDU of a task of
 * the replaced connection (ITT in [old0, old1)) is counted in *stray. */
static int status_of(struct rawi *x, uint32_t itt, uint32_t old0, uint32_t old1, int *stray)
{
	for (int k = 0; k < 256; k++) {
		if (rawi_recv(x, &P, RAWI_TIMEOUT_MS) != 1)
			return -1;
		uint8_t op = P.bhs[0] & ISCSI_OP_MASK;
		uint32_t pitt = iscsi_get32(P.bhs + 16);

		if (pitt >= old0 && pitt < old1)
			(*stray)++;
		if (pitt != itt)
			continue;
		if (op == ISCSI_OP_DATA_IN) {
			uint32_t off = iscsi_get32(P.bhs + 40);

			if ((uint64_t)off + P.dlen <= sizeof(rbuf))
				memcpy(rbuf + off, P.data, P.dlen);
			if (P.bhs[1] & ISCSI_DATAIN_STATUS)
				return P.bhs[3];
		} else if (op == ISCSI_OP_SCSI_RSP) {
			return P.bhs[3];
		}
	}
	return -1;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void rawi_case_conn_reinstate(void)
{
	struct rawi a, b, b2;
	uint8_t cdb[16], tur[16] = { 0 };
	const uint32_t old0 = 0x2000000, old1 = 0x3000000;
	uint32_t sn, w0, w1, itt;
	int st, stray = 0;

	st = join(&a, "reinst-a", 0, 0, 0x1000000);
	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	uint16_t tsih = a.tsih;

	/* the first command of the nexus reports POWER ON */
	sn = a.cmdsn;
	status_of(&a, cmd_sn(&a, sn++, 0, 1, tur, 0, NULL, 0), 0, 0, &stray);
	st = join(&b, "reinst-b", tsih, 1, old0);
	CHECK(st == 0, "second connection: 0x%x", st);
	if (st)
		return;
	CHECK(b.cmdsn == sn, "second connection: ExpCmdSN %u, want %u", b.cmdsn, sn);

	/* W0: 64 KiB, 16 KiB immediate (F: no more unsolicited), stalls on its R2T */
	rawi_pattern(wbuf, (uint64_t)LBA_STALL * 512, 65536, 1);
	rawi_rw10(cdb, true, LBA_STALL, 128);
	w0 = cmd_sn(&b, sn++, ISCSI_CMD_WRITE, 1, cdb, 65536, wbuf, 16384);
	CHECK(rawi_expect(&b, ISCSI_OP_R2T, &P, RAWI_TIMEOUT_MS) == 1 &&
	      iscsi_get32(P.bhs + 16) == w0 && iscsi_get32(P.bhs + 40) == 16384,
	      "no R2T at offset 16384 for the stalled write");
	/* W1: ORDERED, complete, waits in the core behind W0 */
	rawi_pattern(wbuf, (uint64_t)LBA_ORD * 512, 32768, 1);
	rawi_rw10(cdb, true, LBA_ORD, 64);
	w1 = cmd_sn(&b, sn++, ISCSI_CMD_WRITE, 2, cdb, 32768, wbuf, 32768);
	CHECK(rawi_ping(&b, 0), "ping on the connection to be replaced");
	CHECK(rawi_recv(&b, &P, 300) == 0, "the ORDERED write was answered behind a stalled one");

	/* reinstate CID 1 */
	st = join(&b2, "reinst-b2", tsih, 1, 0x7000000);
	CHECK(st == 0, "reinstating connection 1: 0x%x", st);
	if (st)
		return;
	CHECK(b2.cmdsn == sn, "reinstated connection: ExpCmdSN %u, want %u", b2.cmdsn, sn);
	/* the first commands of the new connection: the old data, whole */
	memset(rbuf, 0xee, sizeof(rbuf));
	rawi_rw10(cdb, false, LBA_STALL, 128);
	itt = cmd_sn(&b2, sn++, ISCSI_CMD_READ, 1, cdb, 65536, NULL, 0);
	CHECK(status_of(&b2, itt, old0, old1, &stray) == 0, "READ of the stalled write's blocks");
	CHECK(all_zero(rbuf, 65536), "the stalled write (or part of it) reached the medium");
	memset(rbuf, 0xee, sizeof(rbuf));
	rawi_rw10(cdb, false, LBA_ORD, 64);
	itt = cmd_sn(&b2, sn++, ISCSI_CMD_READ, 1, cdb, 32768, NULL, 0);
	CHECK(status_of(&b2, itt, old0, old1, &stray) == 0, "READ of the ORDERED write's blocks");
	CHECK(all_zero(rbuf, 32768), "the ORDERED write of the replaced connection ran after it");

	/* the old connection is gone, its tasks never answered */
	int r = 1;

	for (int i = 0; i < 64 && r == 1; i++) {
		r = rawi_recv(&b, &P, 3000);
		if (r == 1 && (iscsi_get32(P.bhs + 16) == w0 || iscsi_get32(P.bhs + 16) == w1) &&
		    (P.bhs[0] & ISCSI_OP_MASK) == ISCSI_OP_SCSI_RSP)
			stray++;
	}
	CHECK(r == -1, "the replaced connection is still open (%d)", r);
	rawi_close(&b);

	/* the new connection works: write and read back; later still no stray status */
	rawi_pattern(wbuf, (uint64_t)LBA_ORD * 512, 32768, 2);
	rawi_rw10(cdb, true, LBA_ORD, 64);
	itt = cmd_sn(&b2, sn++, ISCSI_CMD_WRITE, 1, cdb, 32768, wbuf, 32768);
	CHECK(status_of(&b2, itt, old0, old1, &stray) == 0, "WRITE on the new connection");
	usleep(300000);
	memset(rbuf, 0, sizeof(rbuf));
	rawi_rw10(cdb, false, LBA_ORD, 64);
	itt = cmd_sn(&b2, sn++, ISCSI_CMD_READ, 1, cdb, 32768, NULL, 0);
	CHECK(status_of(&b2, itt, old0, old1, &stray) == 0, "READ back on the new connection");
	CHECK(!memcmp(rbuf, wbuf, 32768), "data written on the new connection was overwritten");
	CHECK(status_of(&a, cmd_sn(&a, sn++, 0, 1, tur, 0, NULL, 0), old0, old1, &stray) == 0,
	      "the first connection after the reinstatement");
	CHECK(stray == 0, "%d PDUs of the replaced connection's tasks arrived", stray);
	rawi_close(&b2);
	rawi_close(&a);
}
