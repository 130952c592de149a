/* test-raw-initiator, a live upgrade of mtgt-iscsi under a session of two
 * connections (iscsi-mcs-upgrade.sh): the second connection has its own
 * digests (CRC32C) and MaxRecvDataSegmentLength (4096); the command in
 * $RAWI_UPGRADE runs mid-session (mtgtctl proc upgrade iscsi0); both
 * connections then go on: pings, one CmdSN order across them, data written
 * on one read back on the other, Data-In on the second still cut to 4096
 * bytes. */
#include "tests/integration/rawi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rawi_pdu P;
static uint8_t wbuf[32768], rbuf[32768];
static uint32_t max_seg;

#define INI "iqn.2026-11.org.mtgt:raw-mcsup"
#define KEYS_A "HeaderDigest=None\nDataDigest=None\nMaxConnections=4\n" \
	"InitialR2T=No\nImmediateData=Yes\nMaxRecvDataSegmentLength=65536\n" \
	"FirstBurstLength=65536\nMaxBurstLength=65536\n"
#define KEYS_B "HeaderDigest=CRC32C\nDataDigest=CRC32C\nMaxRecvDataSegmentLength=4096\n"

static int join(struct rawi *x, const char *name, uint16_t tsih, uint16_t cid, const char *keys)
{
	if (rawi_connect(x, rawi_addr, name) < 0) {
		CHECK(0, "%s: connect", name);
		return -1;
	}
	x->isid[5] = 0x73;
	x->tsih = tsih;
	x->cid = cid;
	x->itt = 0x1000000u * (cid + 1u);
	return rawi_login(x, INI, rawi_target, keys, &P);
}

static int status_of(struct rawi *x, uint32_t itt)
{
	return rawi_status(x, &P, itt, rbuf, sizeof(rbuf), &max_seg);
}

/* WRITE seed on w, READ it back on r: 0 when it matches. */
static int write_read(struct rawi *w, struct rawi *r, uint32_t *sn, uint32_t lba, uint32_t seed)
{
	uint8_t cdb[16];

	rawi_pattern(wbuf, (uint64_t)lba * 512, sizeof(wbuf), seed);
	rawi_rw10(cdb, true, lba, sizeof(wbuf) / 512);
	if (status_of(w, rawi_cmd_sn(w, (*sn)++, ISCSI_CMD_WRITE, cdb, sizeof(wbuf), wbuf,
				sizeof(wbuf))) != 0)
		return -1;
	memset(rbuf, 0, sizeof(rbuf));
	rawi_rw10(cdb, false, lba, sizeof(wbuf) / 512);
	if (status_of(r, rawi_cmd_sn(r, (*sn)++, ISCSI_CMD_READ, cdb, sizeof(rbuf), NULL, 0)) != 0)
		return -2;
	return memcmp(rbuf, wbuf, sizeof(wbuf)) ? -3 : 0;
}

void rawi_case_mcs_upgrade(void)
{
	struct rawi a, b;
	uint8_t tur[16] = { 0 };
	const char *cmd = getenv("RAWI_UPGRADE");
	uint32_t sn;
	int st;

	CHECK(cmd && *cmd, "RAWI_UPGRADE (the upgrade command) not set");
	if (!cmd || !*cmd)
		return;
	st = join(&a, "mcsup-a", 0, 0, KEYS_A);
	CHECK(st == 0, "leading login: 0x%x", st);
	if (st)
		return;
	sn = a.cmdsn;
	status_of(&a, rawi_cmd_sn(&a, sn++, 0, tur, 0, NULL, 0)); /* POWER ON */
	st = join(&b, "mcsup-b", a.tsih, 1, KEYS_B);
	CHECK(st == 0, "second connection: 0x%x", st);
	if (st)
		return;
	CHECK(b.hd && b.dd, "second connection: digests not negotiated");
	CHECK(write_read(&a, &b, &sn, 3000, 31) == 0, "before the upgrade: a -> b");
	CHECK(max_seg && max_seg <= 4096, "Data-In of %u bytes on the 4096 connection", max_seg);

	int rc = system(cmd);

	CHECK(rc == 0, "upgrade command: status %d", rc);
	CHECK(rawi_ping(&a, 0), "first connection after the upgrade");
	CHECK(rawi_ping(&b, 0), "second connection after the upgrade");
	CHECK(write_read(&a, &b, &sn, 3100, 32) == 0, "after the upgrade: a -> b");
	CHECK(max_seg && max_seg <= 4096, "Data-In of %u bytes on the 4096 connection after "
	      "the upgrade", max_seg);
	CHECK(write_read(&b, &a, &sn, 3200, 33) == 0, "after the upgrade: b -> a");
	rawi_close(&b);
	rawi_close(&a);
}
