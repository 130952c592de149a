/* test-iscsi-scale: N concurrent libiscsi sessions (distinct initiator
 * names), each writing and reading back its own 4 KiB with verification
 * while all are logged in. Prints "ready N" once every session has done its
 * I/O and stays idle until a line arrives on stdin (the caller measures the
 * target's memory meanwhile), then checks each session again and logs out.
 * Exit 0 when every session logged in and verified its data twice. */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pattern(unsigned char *b, int sess, int round)
{
	for (int i = 0; i < 4096; i++)
		b[i] = (unsigned char)(sess * 37 + i * 11 + round * 101 + (i >> 8));
}

static int io(struct iscsi_context *ctx, int lun, int sess, int round)
{
	unsigned char w[4096], *r;
	struct scsi_task *t;
	int ok;

	pattern(w, sess, round);
	t = iscsi_write10_sync(ctx, lun, (uint32_t)sess * 8, w, 4096, 512, 0, 0, 0, 0, 0);
	ok = t && t->status == SCSI_STATUS_GOOD;
	if (t)
		scsi_free_scsi_task(t);
	if (!ok)
		return -1;
	t = iscsi_read10_sync(ctx, lun, (uint32_t)sess * 8, 4096, 512, 0, 0, 0, 0, 0);
	r = t ? t->datain.data : NULL;
	ok = t && t->status == SCSI_STATUS_GOOD && r && t->datain.size == 4096 &&
	     !memcmp(r, w, 4096);
	if (t)
		scsi_free_scsi_task(t);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct iscsi_context **ctx;
	int n, bad = 0;
	char line[16];

	if (argc != 4) {
		fprintf(stderr, "usage: %s HOST:PORT TARGET SESSIONS\n", argv[0]);
		return 2;
	}
	n = atoi(argv[3]);
	if (n <= 0 || n > 4096)
		return 2;
	ctx = calloc((size_t)n, sizeof(*ctx));
	if (!ctx)
		return 1;
	for (int i = 0; i < n; i++) {
		char name[128];

		snprintf(name, sizeof(name), "iqn.2026-11.org.mtgt:scale-%d", i);
		ctx[i] = iscsi_create_context(name);
		if (!ctx[i]) {
			fprintf(stderr, "session %d: no context\n", i);
			return 1;
		}
		iscsi_set_targetname(ctx[i], argv[2]);
		iscsi_set_session_type(ctx[i], ISCSI_SESSION_NORMAL);
		iscsi_set_header_digest(ctx[i], ISCSI_HEADER_DIGEST_NONE);
		if (iscsi_full_connect_sync(ctx[i], argv[1], 0) != 0) {
			fprintf(stderr, "session %d: login: %s\n", i, iscsi_get_error(ctx[i]));
			return 1;
		}
	}
	/* every session open: each does verified I/O (a failure is retried
	 * once: the first command of a nexus reports its POWER ON UA) */
	for (int i = 0; i < n; i++)
		if (io(ctx[i], 0, i, 0) && io(ctx[i], 0, i, 0)) {
			fprintf(stderr, "session %d: I/O failed: %s\n", i, iscsi_get_error(ctx[i]));
			bad++;
		}
	printf("ready %d\n", n);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	for (int i = 0; i < n; i++) {
		/* the initiators were idle: the target must still serve them all */
		if (io(ctx[i], 0, i, 1) && io(ctx[i], 0, i, 1)) {
			fprintf(stderr, "session %d: second I/O failed: %s\n", i,
				iscsi_get_error(ctx[i]));
			bad++;
		}
		iscsi_logout_sync(ctx[i]);
		iscsi_destroy_context(ctx[i]);
	}
	free(ctx);
	printf("done %d sessions, %d failed\n", n, bad);
	return bad ? 1 : 0;
}
