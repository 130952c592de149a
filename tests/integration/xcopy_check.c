/* xcopy-check: EXTENDED COPY and SANITIZE through a real target, checked byte
 * for byte with libiscsi.
 *
 *   xcopy-check PORTAL TARGET1 TARGET2
 *
 * TARGET1 (any initiator) has LUN 0 and LUN 1 (both 512-byte blocks, LUN 1
 * at least 16 MiB); TARGET2 admits only iqn.2026-11.test:xcopy-admin. Checks:
 * a copy across LUNs of several pieces, an overlapping copy inside one LU
 * (copied from its end), two segments in one list, a 0Ah segment (byte
 * count; a byte offset refused), RECEIVE COPY RESULTS
 * (copy status, failed segment details, operating parameters), a segment
 * past the end (COPY ABORTED), a CSCD naming a LUN of a target this
 * initiator may not use (COPY ABORTED, UNREACHABLE COPY TARGET; its data
 * untouched), then SANITIZE OVERWRITE with IMMED on LUN 1: NOT READY,
 * SANITIZE IN PROGRESS with growing progress in REQUEST SENSE, INQUIRY still
 * answered, and every block holding the pattern afterwards. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define BS 512u
#define INI_MAIN "iqn.2026-11.test:xcopy-main"
#define INI_ADMIN "iqn.2026-11.test:xcopy-admin"

static int failures;

#define FAIL(...) do { fprintf(stderr, "xcopy-check: FAIL: " __VA_ARGS__); \
	fputc('\n', stderr); failures++; } while (0)

static struct iscsi_context *login(const char *ini, const char *portal, const char *target)
{
	struct iscsi_context *c = iscsi_create_context(ini);

	if (!c)
		return NULL;
	iscsi_set_targetname(c, target);
	iscsi_set_session_type(c, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(c, ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_full_connect_sync(c, portal, 0)) {
		fprintf(stderr, "xcopy-check: login %s -> %s: %s\n", ini, target, iscsi_get_error(c));
		iscsi_destroy_context(c);
		return NULL;
	}
	return c;
}

/* Clear the unit attentions of a new session. */
static void settle(struct iscsi_context *c, int lun)
{
	for (int i = 0; i < 5; i++) {
		struct scsi_task *t = iscsi_testunitready_sync(c, lun);
		bool good = t && t->status == SCSI_STATUS_GOOD;

		scsi_free_scsi_task(t);
		if (good)
			return;
	}
}

static int naa_of(struct iscsi_context *c, int lun, uint8_t naa[16])
{
	struct scsi_task *t = iscsi_inquiry_sync(c, lun, 1, 0x83, 255);
	int rc = -1;

	if (t && t->status == SCSI_STATUS_GOOD) {
		const uint8_t *p = t->datain.data;
		int len = t->datain.size, off = 4;

		while (off + 4 <= len) {
			if ((p[off + 1] & 0x3f) == 0x03 && p[off + 3] == 16 && off + 20 <= len) {
				memcpy(naa, p + off + 4, 16);
				rc = 0;
				break;
			}
			off += 4 + p[off + 3];
		}
	}
	scsi_free_scsi_task(t);
	return rc;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill(uint8_t *b, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = mix(seed + i / 8);

		memcpy(b + i, &w, n - i < 8 ? n - i : 8);
	}
}

static bool write_blocks(struct iscsi_context *c, int lun, uint64_t lba, uint8_t *b, uint32_t n)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done > 2048 ? 2048 : n - done;
		struct scsi_task *t = iscsi_write16_sync(c, lun, lba + done, b + (size_t)done * BS,
							 k * BS, BS, 0, 0, 0, 0, 0);
		bool ok = t && t->status == SCSI_STATUS_GOOD;

		scsi_free_scsi_task(t);
		if (!ok)
			return false;
		done += k;
	}
	return true;
}

static bool read_blocks(struct iscsi_context *c, int lun, uint64_t lba, uint8_t *b, uint32_t n)
{
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done > 2048 ? 2048 : n - done;
		struct scsi_task *t = iscsi_read16_sync(c, lun, lba + done, k * BS, BS, 0, 0, 0, 0, 0);
		bool ok = t && t->status == SCSI_STATUS_GOOD && t->datain.size == (int)(k * BS);

		if (ok)
			memcpy(b + (size_t)done * BS, t->datain.data, (size_t)k * BS);
		scsi_free_scsi_task(t);
		if (!ok)
			return false;
		done += k;
	}
	return true;
}

/* ---- EXTENDED COPY parameter lists ---- */

struct xlist {
	uint8_t b[1024];
	unsigned ncscd, nseg;
	uint8_t cscd[8][32];
	uint8_t seg[8][32];
	unsigned seglen[8];
};

static void x_cscd(struct xlist *x, const uint8_t naa[16])
{
	uint8_t *d = x->cscd[x->ncscd++];

	memset(d, 0, 32);
	d[0] = 0xe4;
	d[4] = 0x01;
	d[5] = 0x03;
	d[7] = 16;
	memcpy(d + 8, naa, 16);
	d[30] = BS >> 8;
	d[31] = BS & 0xff;
}

/* block to block with offsets (0Ah): a byte count */
static void x_seg_off(struct xlist *x, uint16_t src, uint16_t dst, uint32_t nbytes,
		      uint64_t slba, uint64_t dlba, uint16_t doff)
{
	unsigned k = x->nseg++;
	uint8_t *d = x->seg[k];

	x->seglen[k] = 32;
	memset(d, 0, 32);
	d[0] = 0x0a;
	d[3] = 0x1c;
	d[5] = (uint8_t)src;
	d[7] = (uint8_t)dst;
	for (int i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(nbytes >> (24 - 8 * i));
	for (int i = 0; i < 8; i++) {
		d[12 + i] = (uint8_t)(slba >> (56 - 8 * i));
		d[20 + i] = (uint8_t)(dlba >> (56 - 8 * i));
	}
	d[30] = (uint8_t)(doff >> 8);
	d[31] = (uint8_t)doff;
}

static void x_seg(struct xlist *x, uint16_t src, uint16_t dst, uint16_t n, uint64_t slba,
		  uint64_t dlba)
{
	unsigned k = x->nseg++;
	uint8_t *d = x->seg[k];

	x->seglen[k] = 28;
	memset(d, 0, 28);
	d[0] = 0x02;
	d[3] = 0x18;
	d[4] = (uint8_t)(src >> 8);
	d[5] = (uint8_t)src;
	d[6] = (uint8_t)(dst >> 8);
	d[7] = (uint8_t)dst;
	d[10] = (uint8_t)(n >> 8);
	d[11] = (uint8_t)n;
	for (int i = 0; i < 8; i++) {
		d[12 + i] = (uint8_t)(slba >> (56 - 8 * i));
		d[20 + i] = (uint8_t)(dlba >> (56 - 8 * i));
	}
}

static struct scsi_task *x_send(struct iscsi_context *c, int lun, struct xlist *x, uint8_t id)
{
	struct iscsi_data d;
	unsigned tl = x->ncscd * 32, sl = 0, off = 16;

	for (unsigned i = 0; i < x->nseg; i++)
		sl += x->seglen[i];

	memset(x->b, 0, 16);
	x->b[0] = id;                    /* list id usage 00b: results held */
	x->b[2] = (uint8_t)(tl >> 8);
	x->b[3] = (uint8_t)tl;
	x->b[11] = (uint8_t)sl;
	x->b[10] = (uint8_t)(sl >> 8);
	for (unsigned i = 0; i < x->ncscd; i++, off += 32)
		memcpy(x->b + off, x->cscd[i], 32);
	for (unsigned i = 0; i < x->nseg; i++) {
		memcpy(x->b + off, x->seg[i], x->seglen[i]);
		off += x->seglen[i];
	}
	d.data = x->b;
	d.size = off;
	return iscsi_extended_copy_sync(c, lun, &d);
}

static bool sense_is(struct scsi_task *t, int key, int ascq)
{
	return t && t->status == SCSI_STATUS_CHECK_CONDITION && (int)t->sense.key == key &&
	       (int)t->sense.ascq == ascq;
}

static void expect_good(struct scsi_task *t, const char *what)
{
	if (!t || t->status != SCSI_STATUS_GOOD)
		FAIL("%s: status %d sense %x/%04x", what, t ? t->status : -1,
		     t ? t->sense.key : 0, t ? t->sense.ascq : 0);
	scsi_free_scsi_task(t);
}

static void check_copy(struct iscsi_context *c, int lun, uint64_t lba, const uint8_t *want,
		       uint32_t n, const char *what)
{
	uint8_t *got = malloc((size_t)n * BS);

	if (!got || !read_blocks(c, lun, lba, got, n))
		FAIL("%s: read back failed", what);
	else if (memcmp(got, want, (size_t)n * BS))
		FAIL("%s: data differs", what);
	free(got);
}

static void test_copies(struct iscsi_context *c, const uint8_t naa0[16], const uint8_t naa1[16])
{
	const uint32_t n = 6144;          /* 3 MiB: several pieces */
	uint8_t *pat = malloc((size_t)n * BS), *b;
	struct xlist x;
	struct scsi_task *t;

	fill(pat, (size_t)n * BS, 42);
	if (!write_blocks(c, 0, 0, pat, n)) {
		FAIL("write source");
		return;
	}
	/* across LUNs */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_cscd(&x, naa1);
	x_seg(&x, 0, 1, (uint16_t)n, 0, 1000);
	expect_good(x_send(c, 0, &x, 5), "copy LUN 0 -> LUN 1");
	check_copy(c, 1, 1000, pat, n, "copy LUN 0 -> LUN 1");
	/* the held status of list id 5 */
	t = iscsi_receive_copy_results_sync(c, 0, 0, 5, 64);
	if (!t || t->status != SCSI_STATUS_GOOD || t->datain.size < 12)
		FAIL("COPY STATUS of list 5");
	else {
		b = t->datain.data;
		if ((b[4] & 0x7f) != 1 || (b[5] << 8 | b[6]) != 1 || b[7] != 0 ||
		    (uint32_t)(b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11]) != n * BS)
			FAIL("COPY STATUS: status %u segments %u units %u", b[4], b[5] << 8 | b[6], b[7]);
	}
	scsi_free_scsi_task(t);
	/* no copy with list id 6: INVALID FIELD IN CDB */
	t = iscsi_receive_copy_results_sync(c, 0, 0, 6, 64);
	if (!sense_is(t, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_SENSE_ASCQ_INVALID_FIELD_IN_CDB))
		FAIL("COPY STATUS of an unknown list id");
	scsi_free_scsi_task(t);

	/* overlapping, destination after the source in the same LU */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_seg(&x, 0, 0, (uint16_t)n, 0, 100);
	expect_good(x_send(c, 0, &x, 7), "overlapping copy");
	check_copy(c, 0, 100, pat, n, "overlapping copy");

	/* two segments, sent to LUN 1 */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa1);
	x_cscd(&x, naa0);
	x_seg(&x, 1, 0, 16, 100, 20000);
	x_seg(&x, 1, 0, 32, 200, 20016);
	expect_good(x_send(c, 1, &x, 8), "two segments");
	/* LUN 0 holds the pattern from LBA 100 on since the copy above */
	b = malloc(48 * BS);
	memcpy(b, pat, 16 * BS);
	memcpy(b + 16 * BS, pat + 100 * BS, 32 * BS);
	check_copy(c, 1, 20000, b, 48, "two segments");
	free(b);

	/* a 0Ah segment (byte count, offsets 0) of 3 MiB from LUN 0 to LUN 1 */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_cscd(&x, naa1);
	x_seg_off(&x, 0, 1, n * BS, 100, 12000, 0);
	expect_good(x_send(c, 0, &x, 12), "0Ah segment");
	check_copy(c, 1, 12000, pat, n, "0Ah segment");
	/* ... a byte offset is finer than the copy's granularity */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_seg_off(&x, 0, 0, BS, 0, 30000, 7);
	t = x_send(c, 0, &x, 13);
	if (!sense_is(t, SCSI_SENSE_ILLEGAL_REQUEST, 0x260d))
		FAIL("0Ah segment with a byte offset: want COPY SEGMENT GRANULARITY VIOLATION");
	scsi_free_scsi_task(t);

	/* past the end of the destination: COPY ABORTED, nothing written */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_cscd(&x, naa1);
	x_seg(&x, 0, 1, 64, 0, 0xffffffffull);
	t = x_send(c, 0, &x, 9);
	if (!t || t->status != SCSI_STATUS_CHECK_CONDITION || t->sense.key != 0x0a)
		FAIL("segment past the end: want COPY ABORTED");
	scsi_free_scsi_task(t);
	t = iscsi_receive_copy_results_sync(c, 0, 4, 9, 255);
	if (!t || t->status != SCSI_STATUS_GOOD || t->datain.size < 60 + 18 ||
	    ((uint8_t *)t->datain.data)[56] != SCSI_STATUS_CHECK_CONDITION ||
	    (((uint8_t *)t->datain.data)[62] & 0x0f) != 0x0a)
		FAIL("FAILED SEGMENT DETAILS of list 9");
	scsi_free_scsi_task(t);
	t = iscsi_receive_copy_results_sync(c, 0, 3, 0, 255);
	if (!t || t->status != SCSI_STATUS_GOOD || t->datain.size < 44)
		FAIL("OPERATING PARAMETERS");
	scsi_free_scsi_task(t);
	free(pat);
}

/* A LUN this initiator may not log in to is not a copy target either. */
static void test_foreign(struct iscsi_context *c, struct iscsi_context *adm,
			 const uint8_t naa0[16])
{
	uint8_t naa_other[16], *before = malloc(64 * BS), *after = malloc(64 * BS);
	struct xlist x;
	struct scsi_task *t;

	if (naa_of(adm, 0, naa_other)) {
		FAIL("NAA of the other target's LUN");
		return;
	}
	if (!read_blocks(adm, 0, 0, before, 64)) {
		FAIL("read other target");
		return;
	}
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa0);
	x_cscd(&x, naa_other);
	x_seg(&x, 0, 1, 64, 0, 0);
	t = x_send(c, 0, &x, 10);
	if (!sense_is(t, 0x0a, 0x0804))
		FAIL("copy to another target's LUN: want COPY ABORTED, UNREACHABLE COPY TARGET, "
		     "got %d %x/%04x", t ? t->status : -1, t ? t->sense.key : 0,
		     t ? t->sense.ascq : 0);
	scsi_free_scsi_task(t);
	/* nor a source */
	memset(&x, 0, sizeof(x));
	x_cscd(&x, naa_other);
	x_cscd(&x, naa0);
	x_seg(&x, 0, 1, 64, 0, 0);
	t = x_send(c, 0, &x, 11);
	if (!sense_is(t, 0x0a, 0x0804))
		FAIL("copy from another target's LUN accepted");
	scsi_free_scsi_task(t);
	if (!read_blocks(adm, 0, 0, after, 64) || memcmp(before, after, 64 * BS))
		FAIL("the other target's LUN changed");
	free(before);
	free(after);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_sanitize(struct iscsi_context *c)
{
	uint8_t list[4 + 8] = { 0x01, 0, 0, 8, 'm', 't', 'g', 't', 0x5a, 0xa5, 0x00, 0xff };
	struct iscsi_data d = { .size = sizeof(list), .data = list };
	struct scsi_task *t, *rc;
	uint64_t nblocks;
	int last = -1, seen = 0;
	double end;

	rc = iscsi_readcapacity16_sync(c, 1);
	if (!rc || rc->status != SCSI_STATUS_GOOD) {
		FAIL("READ CAPACITY 16");
		return;
	}
	nblocks = ((struct scsi_readcapacity16 *)scsi_datain_unmarshall(rc))->returned_lba + 1;
	scsi_free_scsi_task(rc);

	expect_good(iscsi_sanitize_sync(c, 1, 1, 0, 1, sizeof(list), &d), "SANITIZE OVERWRITE IMMED");
	end = now_s() + 60;
	while (now_s() < end) {
		struct scsi_task *rs = malloc(sizeof(*rs));

		t = iscsi_testunitready_sync(c, 1);
		if (t && t->status == SCSI_STATUS_GOOD) {
			scsi_free_scsi_task(t);
			break;
		}
		if (!sense_is(t, SCSI_SENSE_NOT_READY, 0x041b))
			FAIL("TEST UNIT READY during sanitize: %d %x/%04x", t ? t->status : -1,
			     t ? t->sense.key : 0, t ? t->sense.ascq : 0);
		scsi_free_scsi_task(t);
		/* progress in REQUEST SENSE */
		memset(rs, 0, sizeof(*rs));
		rs->cdb[0] = 0x03;
		rs->cdb[4] = 18;
		rs->cdb_size = 6;
		rs->xfer_dir = SCSI_XFER_READ;
		rs->expxferlen = 18;
		t = iscsi_scsi_command_sync(c, 1, rs, NULL);
		if (t && t->status == SCSI_STATUS_GOOD && t->datain.size >= 18) {
			const uint8_t *s = t->datain.data;

			if ((s[2] & 0x0f) == 2 && s[12] == 0x04 && s[13] == 0x1b) {
				int p = s[16] << 8 | s[17];

				if (!(s[15] & 0x80) || p < last)
					FAIL("progress indication %d after %d", p, last);
				last = p;
				seen++;
			}
		}
		scsi_free_scsi_task(t);
		/* INQUIRY is still answered; a READ is not */
		t = iscsi_inquiry_sync(c, 1, 0, 0, 96);
		if (!t || t->status != SCSI_STATUS_GOOD)
			FAIL("INQUIRY during sanitize");
		scsi_free_scsi_task(t);
		t = iscsi_read16_sync(c, 1, 0, BS, BS, 0, 0, 0, 0, 0);
		if (t && t->status == SCSI_STATUS_GOOD)
			FAIL("READ during sanitize succeeded");
		scsi_free_scsi_task(t);
		usleep(200000);
	}
	if (!seen)
		FAIL("never saw SANITIZE IN PROGRESS (pace too fast?)");
	/* every block: the pattern from its start */
	uint8_t *b = malloc(2048 * BS);

	for (uint64_t lba = 0; lba < nblocks; lba += 2048) {
		uint32_t k = nblocks - lba < 2048 ? (uint32_t)(nblocks - lba) : 2048;

		if (!read_blocks(c, 1, lba, b, k)) {
			FAIL("read after sanitize at %llu", (unsigned long long)lba);
			break;
		}
		for (uint32_t i = 0; i < k * BS; i++) {
			if (b[i] != list[4 + (i % BS) % 8]) {
				FAIL("block %llu byte %u not sanitized", (unsigned long long)(lba + i / BS),
				     i % BS);
				i = k * BS;
				lba = nblocks;
			}
		}
	}
	free(b);
	printf("xcopy-check: sanitize of %llu blocks, %d progress reports, last %d\n",
	       (unsigned long long)nblocks, seen, last);
}

int main(int argc, char **argv)
{
	struct iscsi_context *c, *adm;
	uint8_t naa0[16], naa1[16];

	if (argc != 4) {
		fprintf(stderr, "usage: xcopy-check PORTAL TARGET1 TARGET2\n");
		return 2;
	}
	c = login(INI_MAIN, argv[1], argv[2]);
	adm = login(INI_ADMIN, argv[1], argv[3]);
	if (!c || !adm)
		return 1;
	if (login(INI_MAIN, argv[1], argv[3])) {
		FAIL("the main initiator may log in to the other target");
		return 1;
	}
	settle(c, 0);
	settle(c, 1);
	settle(adm, 0);
	if (naa_of(c, 0, naa0) || naa_of(c, 1, naa1)) {
		FAIL("NAA designators");
		return 1;
	}
	test_copies(c, naa0, naa1);
	test_foreign(c, adm, naa0);
	test_sanitize(c);
	iscsi_logout_sync(c);
	iscsi_logout_sync(adm);
	iscsi_destroy_context(c);
	iscsi_destroy_context(adm);
	if (failures) {
		fprintf(stderr, "xcopy-check: %d failures\n", failures);
		return 1;
	}
	printf("xcopy-check: all passed\n");
	return 0;
}
