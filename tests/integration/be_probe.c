/* test-be-probe: a scripted libiscsi initiator and a disk inspector for the
 * backend tests (cache modes, O_DIRECT, 512e, removable media, cdrom, resize).
 *
 *   test-be-probe [-i initiator] URL STEP...   one session, steps in order
 *     cdb:HEX[:in=N][:out=HEX]   any CDB; prints "status=S sense=K/ASC/ASCQ data=HEX"
 *     wpat:LBA:NBLK:SEED[:fua]   WRITE(16) of the tio pattern (FUA bit optional)
 *     rpat:LBA:NBLK:SEED         READ(16), checked against the pattern
 *     sync                       SYNCHRONIZE CACHE(10) of the whole LUN
 *     tur                        TEST UNIT READY until no UNIT ATTENTION (bounded)
 *     wait:PATH                  wait (at most 30 s) until PATH exists
 *   test-be-probe disk resident FILE OFF LEN   drop clean pages of the range
 *     (POSIX_FADV_DONTNEED), print how many pages stay cached ("resident=N/M")
 *   test-be-probe disk odread FILE OFF LEN SEED  read with O_DIRECT, check the
 *     pattern ("odread=ok" or the first bad byte)
 *
 * A step's failure (transport error, bad pattern) exits 1 after printing it;
 * a SCSI error status is printed, not a failure: the scripts judge it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "tests/integration/tio.h"

static uint32_t probe_bs = 512;

static int hexbytes(const char *s, uint8_t *out, size_t max, size_t *n)
{
	*n = 0;
	while (s[0] && s[1] && s[0] != ':') {
		unsigned v;

		if (*n == max || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[(*n)++] = (uint8_t)v;
		s += 2;
	}
	return 0;
}

static void print_result(struct scsi_task *t, const uint8_t *data, size_t len)
{
	printf("status=%d", t ? t->status : -1);
	if (t && t->status == SCSI_STATUS_CHECK_CONDITION)
		printf(" sense=%x/%02x/%02x", t->sense.key, t->sense.ascq >> 8,
		       t->sense.ascq & 0xff);
	printf(" data=");
	for (size_t i = 0; i < len; i++)
		printf("%02x", data[i]);
	printf("\n");
}

static struct scsi_task *run_cdb(struct iscsi_context *ctx, int lun, const uint8_t *cdb,
				 size_t cdb_len, int dir, uint8_t *out, size_t out_len,
				 size_t in_len)
{
	struct scsi_task *t = scsi_create_task((int)cdb_len, (unsigned char *)cdb, dir,
					       (int)(dir == SCSI_XFER_WRITE ? out_len : in_len));
	struct iscsi_data d = { .size = out_len, .data = out };

	if (!t)
		return NULL;
	if (!iscsi_scsi_command_sync(ctx, lun, t, dir == SCSI_XFER_WRITE ? &d : NULL)) {
		scsi_free_scsi_task(t);
		return NULL;
	}
	return t;
}

static int step_cdb(struct iscsi_context *ctx, int lun, const char *arg)
{
	uint8_t cdb[32], out[4096];
	size_t cdb_len, out_len = 0, in_len = 0;
	const char *p;
	struct scsi_task *t;
	int dir = SCSI_XFER_NONE;

	if (hexbytes(arg, cdb, sizeof(cdb), &cdb_len) || !cdb_len)
		return -1;
	if ((p = strstr(arg, ":in="))) {
		in_len = strtoul(p + 4, NULL, 0);
		dir = SCSI_XFER_READ;
	}
	if ((p = strstr(arg, ":out="))) {
		if (hexbytes(p + 5, out, sizeof(out), &out_len))
			return -1;
		dir = SCSI_XFER_WRITE;
	}
	t = run_cdb(ctx, lun, cdb, cdb_len, dir, out, out_len, in_len);
	if (!t) {
		printf("status=-1 error=%s\n", iscsi_get_error(ctx));
		return 0;
	}
	print_result(t, t->datain.data, t->datain.data ? (size_t)t->datain.size : 0);
	scsi_free_scsi_task(t);
	return 0;
}

static int step_pat(struct iscsi_context *ctx, int lun, const char *arg, bool write)
{
	unsigned long long lba, n, seed;
	char fua[8] = "";
	uint8_t cdb[16] = { 0 };
	struct scsi_task *t;
	uint8_t *buf;
	size_t len;
	int rc = 0;

	if (sscanf(arg, "%llu:%llu:%llu:%7s", &lba, &n, &seed, fua) < 3 || !n || n > 2048)
		return -1;
	len = (size_t)n * probe_bs;
	buf = malloc(len);
	if (!buf)
		return -1;
	cdb[0] = write ? 0x8a : 0x88;
	if (!strcmp(fua, "fua"))
		cdb[1] = 0x08;
	for (int i = 0; i < 8; i++)
		cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		cdb[10 + i] = (uint8_t)(n >> (24 - 8 * i));
	if (write)
		tio_pattern_fill(buf, lba * probe_bs, len, seed);
	t = run_cdb(ctx, lun, cdb, 16, write ? SCSI_XFER_WRITE : SCSI_XFER_READ, buf, len, len);
	if (!t || t->status != SCSI_STATUS_GOOD) {
		printf("%s: failed: ", write ? "wpat" : "rpat");
		print_result(t, NULL, 0);
		rc = 1;
	} else if (!write) {
		long bad = (size_t)t->datain.size != len ? 0
			 : tio_pattern_check(t->datain.data, lba * probe_bs, len, seed);

		if (bad >= 0) {
			printf("rpat: mismatch at byte %ld\n", bad);
			rc = 1;
		} else {
			printf("rpat=ok\n");
		}
	} else {
		printf("wpat=ok\n");
	}
	if (t)
		scsi_free_scsi_task(t);
	free(buf);
	return rc;
}

static int session(const char *initiator, const char *urls, int nsteps, char **steps)
{
	struct iscsi_context *ctx = iscsi_create_context(initiator);
	struct iscsi_url *url;
	int lun, rc = 0;

	if (!ctx)
		return 1;
	url = iscsi_parse_full_url(ctx, urls);
	if (!url) {
		fprintf(stderr, "probe: bad URL %s\n", urls);
		return 1;
	}
	lun = url->lun;
	iscsi_set_targetname(ctx, url->target);
	iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_noautoreconnect(ctx, 1);
	iscsi_set_timeout(ctx, 20);
	if (iscsi_full_connect_sync(ctx, url->portal, lun)) {
		fprintf(stderr, "probe: login failed: %s\n", iscsi_get_error(ctx));
		return 1;
	}
	iscsi_destroy_url(url);
	for (int i = 0; i < nsteps && !rc; i++) {
		const char *s = steps[i];

		printf("step %d %s: ", i, s);
		fflush(stdout);
		if (!strncmp(s, "cdb:", 4)) {
			rc = step_cdb(ctx, lun, s + 4);
		} else if (!strncmp(s, "bs:", 3)) {
			probe_bs = (uint32_t)strtoul(s + 3, NULL, 0);
			printf("bs=%u\n", probe_bs);
		} else if (!strncmp(s, "wpat:", 5)) {
			rc = step_pat(ctx, lun, s + 5, true);
		} else if (!strncmp(s, "rpat:", 5)) {
			rc = step_pat(ctx, lun, s + 5, false);
		} else if (!strncmp(s, "wait:", 5)) {
			int k;

			for (k = 0; k < 300 && access(s + 5, F_OK); k++)
				usleep(100000);
			printf("wait=%s\n", k < 300 ? "ok" : "timeout");
			rc = k < 300 ? 0 : 1;
		} else if (!strcmp(s, "sync")) {
			struct scsi_task *t = iscsi_synchronizecache10_sync(ctx, lun, 0, 0, 0, 0);

			print_result(t, NULL, 0);
			if (!t || t->status != SCSI_STATUS_GOOD)
				rc = 1;
			if (t)
				scsi_free_scsi_task(t);
		} else if (!strcmp(s, "tur")) {
			struct scsi_task *t = NULL;

			for (int k = 0; k < 10; k++) {
				if (t)
					scsi_free_scsi_task(t);
				t = iscsi_testunitready_sync(ctx, lun);
				if (!t || t->status != SCSI_STATUS_CHECK_CONDITION ||
				    t->sense.key != SCSI_SENSE_UNIT_ATTENTION)
					break;
			}
			print_result(t, NULL, 0);
			if (t)
				scsi_free_scsi_task(t);
		} else {
			fprintf(stderr, "probe: unknown step %s\n", s);
			rc = 2;
		}
		if (rc == -1) {
			fprintf(stderr, "probe: bad step %s\n", s);
			rc = 2;
		}
		fflush(stdout);
	}
	iscsi_logout_sync(ctx);
	iscsi_destroy_context(ctx);
	return rc;
}

static int disk(int argc, char **argv)
{
	unsigned long long off, len;
	int fd;

	if (argc < 5)
		return 2;
	off = strtoull(argv[3], NULL, 0);
	len = strtoull(argv[4], NULL, 0);
	if (!len || len > (64u << 20))
		return 2;
	if (!strcmp(argv[1], "resident")) {
		long pg = sysconf(_SC_PAGESIZE);
		size_t n = (len + (size_t)pg - 1) / (size_t)pg, res = 0;
		unsigned char *vec = calloc(n, 1);
		void *m;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || !vec)
			return 1;
		/* Only clean pages are dropped; dirty or under-writeback stay. */
		posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
		m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		if (m == MAP_FAILED || mincore(m, len, vec))
			return 1;
		for (size_t i = 0; i < n; i++)
			res += vec[i] & 1;
		printf("resident=%zu/%zu\n", res, n);
		return 0;
	}
	if (!strcmp(argv[1], "odread") && argc >= 6) {
		uint64_t seed = strtoull(argv[5], NULL, 0);
		uint8_t *buf;
		long bad;

		if (off % 4096 || len % 4096 || posix_memalign((void **)&buf, 4096, len))
			return 2;
		fd = open(argv[2], O_RDONLY | O_DIRECT);
		if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len) {
			printf("odread: %s\n", strerror(errno));
			return 1;
		}
		bad = tio_pattern_check(buf, off, len, seed);
		if (bad >= 0) {
			printf("odread: mismatch at byte %lld\n", (long long)off + bad);
			return 1;
		}
		printf("odread=ok\n");
		return 0;
	}
	return 2;
}

int main(int argc, char **argv)
{
	const char *initiator = "iqn.2026-11.org.mtgt:be-probe";

	if (argc > 1 && !strcmp(argv[1], "disk"))
		return disk(argc - 1, argv + 1);
	if (argc > 2 && !strcmp(argv[1], "-i")) {
		initiator = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: test-be-probe [-i initiator] URL STEP... | disk ...\n");
		return 2;
	}
	return session(initiator, argv[1], argc - 2, argv + 2);
}
