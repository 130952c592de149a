/* Drives mtgt-iscsi with libiscsi (a real initiator): writes and reads back
 * through every data-out path (immediate data, unsolicited Data-Out, R2T with
 * several bursts), checks residuals, queue depth with the async API, TMF and
 * logout. Needs a target with a 64 MiB RAM LUN 0 at the given URL's portal
 * (tests/helpers/iscsi_fake_core.c, or the real mtgtd).
 *
 * usage: test-iscsi-io 127.0.0.1:3300 iqn.2026-11.org.mtgt:test */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *portal, *target;
static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct iscsi_context *login(int initial_r2t, int immediate)
{
	struct iscsi_context *i = iscsi_create_context("iqn.2026-11.org.mtgt:test-initiator");

	iscsi_set_targetname(i, target);
	iscsi_set_session_type(i, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(i, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_initial_r2t(i, initial_r2t ? ISCSI_INITIAL_R2T_YES : ISCSI_INITIAL_R2T_NO);
	iscsi_set_immediate_data(i, immediate ? ISCSI_IMMEDIATE_DATA_YES : ISCSI_IMMEDIATE_DATA_NO);
	if (iscsi_full_connect_sync(i, portal, 0) != 0) {
		fprintf(stderr, "login failed: %s\n", iscsi_get_error(i));
		exit(1);
	}
	return i;
}

static void fill(unsigned char *b, size_t n, unsigned seed)
{
	for (size_t k = 0; k < n; k++)
		b[k] = (unsigned char)((k * 2654435761u + seed) >> 7);
}

static void rw(struct iscsi_context *i, uint64_t lba, uint32_t len, unsigned seed)
{
	unsigned char *w = malloc(len);
	struct scsi_task *t;

	fill(w, len, seed);
	t = iscsi_write16_sync(i, 0, lba, w, len, 512, 0, 0, 0, 0, 0);
	CHECK(t && t->status == SCSI_STATUS_GOOD, "write %u at %llu: %s", len,
	      (unsigned long long)lba, t ? "bad status" : iscsi_get_error(i));
	if (t)
		scsi_free_scsi_task(t);
	t = iscsi_read16_sync(i, 0, lba, len, 512, 0, 0, 0, 0, 0);
	CHECK(t && t->status == SCSI_STATUS_GOOD && t->datain.size == (int)len &&
	      !memcmp(t->datain.data, w, len), "read back %u at %llu", len,
	      (unsigned long long)lba);
	if (t)
		scsi_free_scsi_task(t);
	free(w);
}

static void residuals(struct iscsi_context *i)
{
	struct scsi_task *t = iscsi_inquiry_sync(i, 0, 0, 0, 255);

	CHECK(t && t->status == SCSI_STATUS_GOOD, "inquiry");
	if (t) {
		/* Standard INQUIRY data is at least 36 bytes; the residual is what
		 * the target did not send of the 255 asked for. */
		CHECK(t->datain.size >= 36 && t->residual_status == SCSI_RESIDUAL_UNDERFLOW &&
		      t->residual == 255 - (size_t)t->datain.size,
		      "inquiry residual %d %zu (data %d)", t->residual_status, t->residual,
		      t->datain.size);
		scsi_free_scsi_task(t);
	}
	/* READ(16) of 8 blocks with an expected length of only 2048 bytes */
	unsigned char cdb[16] = { 0x88 };
	cdb[13] = 8;
	t = scsi_create_task(16, cdb, SCSI_XFER_READ, 2048);
	t = iscsi_scsi_command_sync(i, 0, t, NULL);
	CHECK(t, "overflow read");
	if (t) {
		/* fake core rejects nblk*512 > edtl: check the residual anyway */
		CHECK(t->residual_status == SCSI_RESIDUAL_OVERFLOW && t->residual == 4096 - 2048,
		      "overflow residual %d %zu", t->residual_status, t->residual);
		scsi_free_scsi_task(t);
	}
	/* an unknown opcode comes back as CHECK CONDITION with sense */
	unsigned char bad[6] = { 0xff };
	t = scsi_create_task(6, bad, SCSI_XFER_NONE, 0);
	t = iscsi_scsi_command_sync(i, 0, t, NULL);
	CHECK(t && t->status == SCSI_STATUS_CHECK_CONDITION &&
	      t->sense.key == SCSI_SENSE_ILLEGAL_REQUEST, "sense for bad opcode");
	if (t)
		scsi_free_scsi_task(t);
}

static int outstanding;
static void async_cb(struct iscsi_context *i, int status, void *data, void *priv)
{
	struct scsi_task *t = data;

	CHECK(status == SCSI_STATUS_GOOD, "async command status %d", status);
	scsi_free_scsi_task(t);
	outstanding--;
}

static void queue_depth(struct iscsi_context *i)
{
	static unsigned char buf[64][16384];
	int n = 0;

	for (int k = 0; k < 64; k++) {
		fill(buf[k], sizeof(buf[k]), (unsigned)k);
		if (iscsi_write16_task(i, 0, 4096 + (uint64_t)k * 32, buf[k], sizeof(buf[k]), 512,
				       0, 0, 0, 0, 0, async_cb, NULL))
			outstanding++;
	}
	for (int k = 0; k < 64; k++)
		if (iscsi_read16_task(i, 0, 4096 + (uint64_t)k * 32, sizeof(buf[k]), 512,
				      0, 0, 0, 0, 0, async_cb, NULL))
			outstanding++;
	while (outstanding > 0 && n++ < 100000) {
		struct pollfd p = { iscsi_get_fd(i), iscsi_which_events(i), 0 };

		if (poll(&p, 1, 2000) <= 0) {
			CHECK(0, "async timeout with %d outstanding", outstanding);
			break;
		}
		if (iscsi_service(i, p.revents) < 0) {
			CHECK(0, "service: %s", iscsi_get_error(i));
			break;
		}
	}
	CHECK(outstanding == 0, "async outstanding %d", outstanding);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 512, 4096, 8192 + 512, 65536, 262144,
					  262144 + 4096, 1 << 20, 3 << 20 };

	portal = argc > 1 ? argv[1] : "127.0.0.1:3300";
	target = argc > 2 ? argv[2] : "iqn.2026-11.org.mtgt:test";
	for (int mode = 0; mode < 4; mode++) {
		struct iscsi_context *i = login(mode & 1, mode & 2);

		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
			rw(i, (uint64_t)k * 8192 + (uint64_t)mode, sizes[k], (unsigned)(mode * 100 + k));
		if (mode == 0) {
			residuals(i);
			queue_depth(i);
			CHECK(iscsi_task_mgmt_abort_task_set_sync(i, 0) == 0, "abort task set");
			CHECK(iscsi_task_mgmt_lun_reset_sync(i, 0) == 0, "lun reset");
		}
		CHECK(iscsi_logout_sync(i) == 0, "logout: %s", iscsi_get_error(i));
		iscsi_destroy_context(i);
		fprintf(stderr, "mode InitialR2T=%d ImmediateData=%d done\n", mode & 1, !!(mode & 2));
	}
	fprintf(stderr, "%s (%d failures)\n", failures ? "FAILED" : "OK", failures);
	return failures ? 1 : 0;
}
