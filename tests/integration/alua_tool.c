/* test-alua: ALUA through two portal groups of one target (tests/integration/
 * alua.sh). Session A logs in through PORTAL1 (portal group 1), session B
 * through PORTAL2 (group 2), both to LUN 0 of TARGET.
 *
 *   test-alua PORTAL1 PORTAL2 TARGET
 *
 * Checks INQUIRY TPGS and the VPD 83h port and port group designators,
 * REPORT TARGET PORT GROUPS in both formats, SET TARGET PORT GROUPS (its
 * parameter checks, standby and unavailable on group 2 with the commands each
 * state refuses, ASYMMETRIC ACCESS STATE CHANGED for the other nexus only,
 * the status code), while group 1 keeps serving reads and writes.
 * Prints "ok ..." per step; exit 0 when all pass, 1 at the first failure. */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SK_NOT_READY 0x2
#define SK_ILLEGAL   0x5
#define SK_UA        0x6

static const char *step = "";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAILED at %s: ", step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static struct iscsi_context *login(const char *portal, const char *target, const char *ini)
{
	struct iscsi_context *c = iscsi_create_context(ini);

	if (!c)
		die("no context");
	iscsi_set_timeout(c, 10);
	iscsi_set_noautoreconnect(c, 1);
	iscsi_set_session_type(c, ISCSI_SESSION_NORMAL);
	iscsi_set_targetname(c, target);
	iscsi_set_header_digest(c, ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_full_connect_sync(c, portal, 0) != 0)
		die("login through %s: %s", portal, iscsi_get_error(c));
	return c;
}

/* Run a CDB; data-in lands in task->datain, data-out comes from out. */
static struct scsi_task *run(struct iscsi_context *c, uint8_t *cdb, int cdb_len, int dir,
			     int xfer, uint8_t *out)
{
	struct scsi_task *t = scsi_create_task(cdb_len, cdb, dir, xfer);
	struct iscsi_data d = { .size = (size_t)xfer, .data = out };

	if (!t)
		die("no task");
	if (!iscsi_scsi_command_sync(c, 0, t, dir == SCSI_XFER_WRITE ? &d : NULL))
		die("transport error: %s", iscsi_get_error(c));
	return t;
}

static void expect(struct scsi_task *t, int key, int ascq)
{
	if (key < 0) {
		if (t->status != SCSI_STATUS_GOOD)
			die("status %#x sense %x/%04x, wanted GOOD", t->status, t->sense.key,
			    t->sense.ascq);
		return;
	}
	if (t->status != SCSI_STATUS_CHECK_CONDITION || (int)t->sense.key != key ||
	    (int)t->sense.ascq != ascq)
		die("status %#x sense %x/%04x, wanted CHECK CONDITION %x/%04x", t->status,
		    t->sense.key, t->sense.ascq, key, ascq);
}

static void simple(struct iscsi_context *c, uint8_t op, int key, int ascq)
{
	uint8_t cdb[16] = { op };
	int len = op == 0x00 ? 6 : op == 0x28 ? 10 : op == 0x5a ? 10 : 16;
	int dir = SCSI_XFER_NONE, xfer = 0;

	if (op == 0x28) {           /* READ 10, one block at LBA 0 */
		cdb[8] = 1;
		dir = SCSI_XFER_READ;
		xfer = 512;
	} else if (op == 0x5a) {    /* MODE SENSE 10, all pages */
		cdb[2] = 0x3f;
		cdb[8] = 255;
		dir = SCSI_XFER_READ;
		xfer = 255;
	} else if (op == 0x9e) {    /* READ CAPACITY 16 */
		cdb[1] = 0x10;
		cdb[13] = 32;
		dir = SCSI_XFER_READ;
		xfer = 32;
	}
	struct scsi_task *t = run(c, cdb, len, dir, xfer, NULL);

	expect(t, key, ascq);
	scsi_free_scsi_task(t);
}

/* TEST UNIT READY until the login's unit attentions are gone */
static void clear_ua(struct iscsi_context *c)
{
	for (int i = 0; i < 8; i++) {
		uint8_t cdb[6] = { 0 };
		struct scsi_task *t = run(c, cdb, 6, SCSI_XFER_NONE, 0, NULL);
		int good = t->status == SCSI_STATUS_GOOD;

		if (!good && (t->status != SCSI_STATUS_CHECK_CONDITION || t->sense.key != SK_UA))
			die("TEST UNIT READY: status %#x sense %x/%04x", t->status, t->sense.key,
			    t->sense.ascq);
		scsi_free_scsi_task(t);
		if (good)
			return;
	}
	die("unit attentions do not clear");
}

static void write1(struct iscsi_context *c, int key, int ascq)
{
	uint8_t cdb[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0 }, buf[512];

	memset(buf, 0x5a, sizeof(buf));
	struct scsi_task *t = run(c, cdb, 10, SCSI_XFER_WRITE, 512, buf);

	expect(t, key, ascq);
	scsi_free_scsi_task(t);
}

/* REPORT TARGET PORT GROUPS: the data for group `id` (state, status). */
static void rtpg(struct iscsi_context *c, int ext, uint16_t id, int *state, int *status,
		 int *ngroups)
{
	uint8_t cdb[12] = { 0xa3, (uint8_t)(0x0a | (ext ? 0x20 : 0)), 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct scsi_task *t = run(c, cdb, 12, SCSI_XFER_READ, 256, NULL);
	const uint8_t *d;
	uint32_t len, off;

	expect(t, -1, 0);
	d = t->datain.data;
	if (t->datain.size < 4)
		die("RTPG returned %d bytes", t->datain.size);
	len = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	off = ext ? 8 : 4;
	if (ext && (d[4] != 0x10))
		die("extended header: format type byte %#x", d[4]);
	if (len + 4 != (uint32_t)t->datain.size)
		die("RTPG length %u, got %d bytes", len, t->datain.size);
	*ngroups = 0;
	*state = -1;
	while (off + 8 <= (uint32_t)t->datain.size) {
		const uint8_t *g = d + off;
		uint16_t gid = (uint16_t)(g[2] << 8 | g[3]);

		if (g[7] != 1 || (uint16_t)(g[10] << 8 | g[11]) != gid)
			die("group %u: %u ports, port %u", gid, g[7], g[10] << 8 | g[11]);
		if (g[1] != 0x8f)
			die("group %u: supported states %#x", gid, g[1]);
		if (gid == id) {
			*state = g[0] & 0x0f;
			*status = g[5];
		}
		(*ngroups)++;
		off += 8 + 4 * g[7];
	}
	scsi_free_scsi_task(t);
}

static void stpg(struct iscsi_context *c, uint8_t state, uint16_t id, int key, int ascq)
{
	uint8_t cdb[12] = { 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0 };
	uint8_t p[8] = { 0, 0, 0, 0, state, 0, (uint8_t)(id >> 8), (uint8_t)id };
	struct scsi_task *t = run(c, cdb, 12, SCSI_XFER_WRITE, 8, p);

	expect(t, key, ascq);
	scsi_free_scsi_task(t);
}

/* Standard INQUIRY TPGS, and VPD 83h: relative target port and target port
 * group designators equal to the portal group tag. */
static void identity(struct iscsi_context *c, uint16_t port)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 };
	struct scsi_task *t = run(c, cdb, 6, SCSI_XFER_READ, 96, NULL);
	int rtp = -1, tpg = -1;

	expect(t, -1, 0);
	if (t->datain.size < 6 || ((t->datain.data[5] >> 4) & 3) != 3)
		die("TPGS is not 11b (implicit and explicit)");
	scsi_free_scsi_task(t);
	uint8_t v[6] = { 0x12, 1, 0x83, 1, 0, 0 };

	t = run(c, v, 6, SCSI_XFER_READ, 256, NULL);
	expect(t, -1, 0);
	for (int off = 4; off + 4 <= t->datain.size; off += 4 + t->datain.data[off + 3]) {
		const uint8_t *d = t->datain.data + off;

		if ((d[1] & 0x30) != 0x10 || d[3] != 4)
			continue;
		if ((d[1] & 0x0f) == 4)
			rtp = d[6] << 8 | d[7];
		if ((d[1] & 0x0f) == 5)
			tpg = d[6] << 8 | d[7];
	}
	if (rtp != port || tpg != port)
		die("VPD 83h: relative target port %d, port group %d, wanted %u", rtp, tpg, port);
	scsi_free_scsi_task(t);
}

int main(int argc, char **argv)
{
	struct iscsi_context *a, *b;
	int state = -1, status = -1, n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: test-alua PORTAL1 PORTAL2 TARGET\n");
		return 1;
	}
	step = "login";
	a = login(argv[1], argv[3], "iqn.2026-11.org.mtgt:alua-a");
	b = login(argv[2], argv[3], "iqn.2026-11.org.mtgt:alua-b");
	step = "power-on UA";
	clear_ua(a);
	clear_ua(b);
	puts("ok login through both portal groups");

	step = "identity";
	identity(a, 1);
	identity(b, 2);
	puts("ok INQUIRY TPGS 11b, VPD 83h relative port and port group 1 / 2");

	step = "RTPG";
	rtpg(a, 0, 2, &state, &status, &n);
	if (n != 2 || state != 0 || status != 0)
		die("%d groups, group 2 state %d status %d", n, state, status);
	rtpg(b, 1, 1, &state, &status, &n);
	if (n != 2 || state != 0)
		die("extended: %d groups, group 1 state %d", n, state);
	puts("ok REPORT TARGET PORT GROUPS (both formats): two groups, active/optimized");

	step = "STPG checks";
	stpg(a, 0x0f, 2, SK_ILLEGAL, 0x2600);   /* transitioning cannot be asked for */
	stpg(a, 0x00, 7, SK_ILLEGAL, 0x2600);   /* no such group */
	puts("ok SET TARGET PORT GROUPS refuses a bad state and an unknown group");

	step = "standby";
	stpg(a, 0x02, 2, -1, 0);
	simple(b, 0x28, SK_UA, 0x2a06);          /* the other nexus hears of it */
	simple(b, 0x28, SK_NOT_READY, 0x040b);
	simple(b, 0x00, SK_NOT_READY, 0x040b);
	write1(b, SK_NOT_READY, 0x040b);
	simple(b, 0x5a, -1, 0);                  /* MODE SENSE is allowed in standby */
	simple(b, 0x9e, -1, 0);                  /* so is READ CAPACITY */
	simple(a, 0x28, -1, 0);                  /* no UA for the nexus that asked */
	write1(a, -1, 0);
	rtpg(b, 0, 2, &state, &status, &n);
	if (state != 2 || status != 1)
		die("group 2 state %d status %d after SET TPG", state, status);
	puts("ok group 2 standby: READ/WRITE/TUR NOT READY 04/0B there, group 1 keeps working");

	step = "unavailable";
	stpg(b, 0x03, 2, -1, 0);                 /* SET TPG is allowed from standby */
	simple(a, 0x28, SK_UA, 0x2a06);
	simple(b, 0x28, SK_NOT_READY, 0x040c);
	simple(b, 0x5a, SK_NOT_READY, 0x040c);   /* not even MODE SENSE */
	simple(a, 0x28, -1, 0);
	puts("ok group 2 unavailable: NOT READY 04/0C, MODE SENSE refused too");

	step = "back to active";
	stpg(b, 0x00, 2, -1, 0);
	simple(a, 0x00, SK_UA, 0x2a06);
	simple(b, 0x28, -1, 0);
	write1(b, -1, 0);
	simple(a, 0x28, -1, 0);
	stpg(a, 0x01, 1, -1, 0);
	simple(b, 0x28, SK_UA, 0x2a06);
	simple(a, 0x28, -1, 0);                  /* active/non-optimized still serves */
	rtpg(a, 1, 1, &state, &status, &n);
	if (state != 1 || status != 1)
		die("group 1 state %d status %d", state, status);
	puts("ok both groups active again; active/non-optimized serves I/O");

	iscsi_logout_sync(a);
	iscsi_logout_sync(b);
	iscsi_destroy_context(a);
	iscsi_destroy_context(b);
	puts("all passed");
	return 0;
}
