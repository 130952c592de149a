/* corestate-check: what a core restart must not lose, seen by two initiators
 * whose sessions stay open throughout (libiscsi, no automatic reconnect: a
 * dropped session fails the tool).
 *
 *   corestate-check PORTAL TARGET LUN GO-FILE
 *
 * Setup: initiator A and B log in and clear their power-on unit attentions;
 * B registers key 0xC0DE5 and reserves the LU (Write Exclusive, Registrants
 * Only), then flips D_SENSE in the control mode page with MODE SELECT, which
 * queues MODE PARAMETERS CHANGED for A. Prints "ready", then keeps both
 * sessions busy with TEST UNIT READY (every one must be GOOD, also while the
 * core is being killed) until GO-FILE exists. Then checks, on the same
 * sessions: A gets the unit attention queued before the kills (2A/01), then
 * GOOD; B's key and reservation are there; D_SENSE is still flipped; a WRITE
 * from A (not registered) gets RESERVATION CONFLICT. Exit 0 when all holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define KEY 0xC0DE5ull

static int fails;

#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "corestate-check: " __VA_ARGS__); \
	fprintf(stderr, "\n"); fails++; } } while (0)

static struct iscsi_context *login(const char *portal, const char *target, const char *ini,
				   int lun)
{
	struct iscsi_context *c = iscsi_create_context(ini);

	if (!c)
		return NULL;
	iscsi_set_targetname(c, target);
	iscsi_set_session_type(c, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(c, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_noautoreconnect(c, 1);
	iscsi_set_timeout(c, 30);
	if (iscsi_full_connect_sync(c, portal, lun)) {
		fprintf(stderr, "corestate-check: login %s: %s\n", ini, iscsi_get_error(c));
		iscsi_destroy_context(c);
		return NULL;
	}
	return c;
}

/* status of a TEST UNIT READY; *asc gets asc<<8|ascq of a CHECK CONDITION */
static int tur(struct iscsi_context *c, int lun, int *key, int *asc)
{
	struct scsi_task *t = iscsi_testunitready_sync(c, lun);
	int st;

	if (!t)
		return -1;
	st = t->status;
	if (key)
		*key = t->sense.key;
	if (asc)
		*asc = t->sense.ascq;
	scsi_free_scsi_task(t);
	return st;
}

/* TUR until GOOD: the first ones report power-on */
static int settle(struct iscsi_context *c, int lun)
{
	for (int i = 0; i < 16; i++)
		if (tur(c, lun, NULL, NULL) == SCSI_STATUS_GOOD)
			return 0;
	return -1;
}

static int pr_out(struct iscsi_context *c, int lun, int sa, int type, uint64_t key,
		  uint64_t sakey)
{
	struct scsi_persistent_reserve_out_basic p = {
		.reservation_key = key, .service_action_reservation_key = sakey,
	};
	struct scsi_task *t = iscsi_persistent_reserve_out_sync(c, lun, sa,
		SCSI_PERSISTENT_RESERVE_SCOPE_LU, type, &p);
	int st = t ? t->status : -1;

	if (t)
		scsi_free_scsi_task(t);
	return st;
}

/* D_SENSE of the current control page, or -1 */
static int dsense(struct iscsi_context *c, int lun, struct scsi_mode_page *copy)
{
	struct scsi_task *t = iscsi_modesense6_sync(c, lun, 1, SCSI_MODESENSE_PC_CURRENT,
						   SCSI_MODEPAGE_CONTROL, 0, 255);
	struct scsi_mode_sense *ms;
	struct scsi_mode_page *mp;
	int v = -1;

	if (!t || t->status != SCSI_STATUS_GOOD)
		goto out;
	ms = scsi_datain_unmarshall(t);
	mp = ms ? scsi_modesense_get_page(ms, SCSI_MODEPAGE_CONTROL, 0) : NULL;
	if (mp) {
		v = mp->control.d_sense;
		if (copy)
			*copy = *mp;
	}
out:
	if (t)
		scsi_free_scsi_task(t);
	return v;
}

static void setup(struct iscsi_context *a, struct iscsi_context *b, int lun, int *want_ds)
{
	struct scsi_mode_page mp;
	struct scsi_task *t;
	int ds;

	CHECK(settle(a, 0) == 0 && settle(a, lun) == 0, "A: unit attentions do not clear");
	CHECK(settle(b, 0) == 0 && settle(b, lun) == 0, "B: unit attentions do not clear");
	CHECK(pr_out(b, lun, SCSI_PERSISTENT_RESERVE_REGISTER, 0, 0, KEY) == 0, "B: REGISTER failed");
	CHECK(pr_out(b, lun, SCSI_PERSISTENT_RESERVE_RESERVE,
		     SCSI_PERSISTENT_RESERVE_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY, 0) == 0,
	      "B: RESERVE failed");
	ds = dsense(b, lun, &mp);
	CHECK(ds >= 0, "B: MODE SENSE control page failed");
	mp.ps = 0;
	mp.control.d_sense = !ds;
	t = iscsi_modeselect6_sync(b, lun, 1, 0, &mp);
	CHECK(t && t->status == SCSI_STATUS_GOOD, "B: MODE SELECT failed (%s)",
	      t ? "status" : iscsi_get_error(b));
	if (t)
		scsi_free_scsi_task(t);
	*want_ds = !ds;
	CHECK(dsense(b, lun, NULL) == *want_ds, "B: MODE SELECT did not change D_SENSE");
}

static void verify(struct iscsi_context *a, struct iscsi_context *b, int lun, int want_ds)
{
	struct scsi_persistent_reserve_in_read_keys *rk;
	struct scsi_persistent_reserve_in_read_reservation *rr;
	struct scsi_task *t;
	uint8_t blk[4096];
	int key = 0, asc = 0, st, found = 0;

	st = tur(a, lun, &key, &asc);
	CHECK(st == SCSI_STATUS_CHECK_CONDITION && key == SCSI_SENSE_UNIT_ATTENTION &&
	      asc == 0x2a01, "A: want the unit attention 2A/01 queued before the kills, got "
	      "status 0x%x key 0x%x asc/ascq 0x%04x", st, key, asc);
	CHECK(tur(a, lun, NULL, NULL) == SCSI_STATUS_GOOD, "A: TUR after the UA not GOOD");

	t = iscsi_persistent_reserve_in_sync(b, lun, SCSI_PERSISTENT_RESERVE_READ_KEYS, 1024);
	rk = t && t->status == SCSI_STATUS_GOOD ? scsi_datain_unmarshall(t) : NULL;
	for (int i = 0; rk && i < rk->num_keys; i++)
		found |= rk->keys[i] == KEY;
	CHECK(found, "B: registration 0x%llx lost", (unsigned long long)KEY);
	if (t)
		scsi_free_scsi_task(t);
	t = iscsi_persistent_reserve_in_sync(b, lun, SCSI_PERSISTENT_RESERVE_READ_RESERVATION, 1024);
	rr = t && t->status == SCSI_STATUS_GOOD ? scsi_datain_unmarshall(t) : NULL;
	CHECK(rr && rr->reserved && rr->reservation_key == KEY &&
	      rr->pr_type == SCSI_PERSISTENT_RESERVE_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
	      "B: reservation lost");
	if (t)
		scsi_free_scsi_task(t);
	CHECK(dsense(b, lun, NULL) == want_ds, "MODE SELECT change (D_SENSE=%d) lost", want_ds);

	memset(blk, 0x5a, sizeof(blk));
	t = iscsi_write10_sync(a, lun, 0, blk, sizeof(blk), sizeof(blk), 0, 0, 0, 0, 0);
	CHECK(t && t->status == SCSI_STATUS_RESERVATION_CONFLICT,
	      "A: WRITE not refused by B's reservation (status %d)", t ? t->status : -1);
	if (t)
		scsi_free_scsi_task(t);
	/* leave the LU as found: release and unregister */
	pr_out(b, lun, SCSI_PERSISTENT_RESERVE_RELEASE,
	       SCSI_PERSISTENT_RESERVE_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY, 0);
	pr_out(b, lun, SCSI_PERSISTENT_RESERVE_REGISTER, 0, KEY, 0);
}

int main(int argc, char **argv)
{
	struct iscsi_context *a, *b;
	int lun, want_ds = 0;
	unsigned long turs = 0;
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 5) {
		fprintf(stderr, "usage: corestate-check PORTAL TARGET LUN GO-FILE\n");
		return 2;
	}
	lun = atoi(argv[3]);
	a = login(argv[1], argv[2], "iqn.2026-11.org.mtgt:corestate-a", lun);
	b = login(argv[1], argv[2], "iqn.2026-11.org.mtgt:corestate-b", lun);
	if (!a || !b)
		return 1;
	setup(a, b, lun, &want_ds);
	if (fails)
		return 1;
	printf("ready\n");
	/* bounded: 300 s at most */
	for (int i = 0; i < 3000 && access(argv[4], F_OK); i++) {
		int sa = tur(a, 0, NULL, NULL), sb = tur(b, 0, NULL, NULL);

		if (sa != SCSI_STATUS_GOOD || sb != SCSI_STATUS_GOOD) {
			fprintf(stderr, "corestate-check: TUR during the kills: A %d (%s), B %d (%s)\n",
				sa, iscsi_get_error(a), sb, iscsi_get_error(b));
			return 1;
		}
		turs += 2;
		nanosleep(&ts, NULL);
	}
	verify(a, b, lun, want_ds);
	printf("corestate-check: %lu TURs across the kills, %d failures\n", turs, fails);
	iscsi_logout_sync(a);
	iscsi_logout_sync(b);
	iscsi_destroy_context(a);
	iscsi_destroy_context(b);
	return fails ? 1 : 0;
}
