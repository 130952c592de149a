/* The queue-depth engine: keeps `qd` WRITE(16)/READ(16) commands in flight
 * with the libiscsi async API, chunk sizes varying pseudo-randomly between
 * one block and max_chunk so that many transfer shapes are exercised. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "tests/integration/tio.h"

struct engine {
	struct tio_conn *c;
	enum tio_op op;
	uint64_t next_lba, end_lba;
	uint64_t seed;
	uint64_t rng;
	uint32_t max_blocks;
	unsigned qd;
	unsigned inflight;
	bool tolerate, quiet;
	int fatal;
	struct tio_io_stats *st;
};

struct req {
	struct engine *e;
	uint64_t lba;
	uint32_t nblk;
	unsigned ua_retries;
	uint8_t *buf;
};

static int issue(struct engine *e, struct req *r);

static void report_task_error(struct engine *e, struct req *r, int status,
			      struct scsi_task *task)
{
	const char *what = e->op == TIO_WRITE ? "WRITE(16)" : "READ(16)";

	if (e->quiet && e->tolerate)
		return;
	if (status == SCSI_STATUS_CHECK_CONDITION && task)
		fprintf(stderr, "tio: %s lba %" PRIu64 " +%u: CHECK CONDITION %s(0x%x) ascq 0x%04x\n",
			what, r->lba, r->nblk, scsi_sense_key_str(task->sense.key),
			task->sense.key, task->sense.ascq);
	else
		fprintf(stderr, "tio: %s lba %" PRIu64 " +%u: status 0x%x: %s\n", what,
			r->lba, r->nblk, (unsigned)status, iscsi_get_error(e->c->ctx));
}

static void io_done(struct iscsi_context *ctx, int status, void *data, void *priv)
{
	struct scsi_task *task = data;
	struct req *r = priv;
	struct engine *e = r->e;
	size_t len = (size_t)r->nblk * e->c->block_size;

	(void)ctx;
	e->inflight--;
	/* A new nexus (after a reconnect) reports a unit attention once; an
	 * initiator retries the command, as the Linux SCSI midlayer does. */
	if (status == SCSI_STATUS_CHECK_CONDITION && task &&
	    task->sense.key == SCSI_SENSE_UNIT_ATTENTION && r->ua_retries < 3) {
		r->ua_retries++;
		e->st->ua_retries++;
		scsi_free_scsi_task(task);
		if (issue(e, r) == 0)
			return;
		e->st->errors++;
		if (!e->tolerate)
			e->fatal = -EIO;
		free(r->buf);
		free(r);
		return;
	}
	if (status != SCSI_STATUS_GOOD) {
		e->st->errors++;
		report_task_error(e, r, status, task);
		if (!e->tolerate)
			e->fatal = -EIO;
	} else if (e->op == TIO_VERIFY) {
		uint64_t off = r->lba * e->c->block_size;
		long bad;

		if (!task || task->datain.size != (int)len) {
			fprintf(stderr, "tio: READ(16) lba %" PRIu64 " +%u: got %d bytes, want %zu\n",
				r->lba, r->nblk, task ? task->datain.size : -1, len);
			e->st->miscompares++;
			e->fatal = -EIO;
		} else if ((bad = tio_pattern_check(task->datain.data, off, len, e->seed)) >= 0) {
			if (e->st->miscompares < 5)
				fprintf(stderr, "tio: MISCOMPARE at byte %" PRIu64 " (lba %"
					PRIu64 " +%u): got 0x%02x\n", off + (uint64_t)bad,
					r->lba, r->nblk, task->datain.data[bad]);
			e->st->miscompares++;
			e->fatal = -EIO;
		} else {
			e->st->bytes += len;
		}
	} else {
		e->st->bytes += len;
	}
	e->st->cmds++;
	if (task)
		scsi_free_scsi_task(task);
	free(r->buf);
	free(r);
}

static int issue(struct engine *e, struct req *r)
{
	uint32_t bs = e->c->block_size;
	struct scsi_task *t;

	if (e->op == TIO_WRITE)
		t = iscsi_write16_task(e->c->ctx, e->c->lun, r->lba, r->buf, r->nblk * bs,
				       (int)bs, 0, 0, 0, 0, 0, io_done, r);
	else
		t = iscsi_read16_task(e->c->ctx, e->c->lun, r->lba, r->nblk * bs, (int)bs,
				      0, 0, 0, 0, 0, io_done, r);
	if (!t) {
		fprintf(stderr, "tio: cannot queue a command: %s\n", iscsi_get_error(e->c->ctx));
		return -EIO;
	}
	e->inflight++;
	return 0;
}

static int submit_one(struct engine *e)
{
	uint32_t bs = e->c->block_size;
	uint64_t left = e->end_lba - e->next_lba;
	uint32_t n = 1 + (uint32_t)(tio_rand(&e->rng) % e->max_blocks);
	struct req *r;
	int rc;

	if (n > left)
		n = (uint32_t)left;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->e = e;
	r->lba = e->next_lba;
	r->nblk = n;
	if (e->op == TIO_WRITE) {
		r->buf = malloc((size_t)n * bs);
		if (!r->buf) {
			free(r);
			return -ENOMEM;
		}
		tio_pattern_fill(r->buf, r->lba * bs, (size_t)n * bs, e->seed);
	}
	rc = issue(e, r);
	if (rc) {
		free(r->buf);
		free(r);
		return rc;
	}
	e->next_lba += n;
	return 0;
}

/* One poll+service round; bounded by a 200 ms poll timeout so that libiscsi's
 * own timeouts and our deadline are looked at regularly. */
static int service_once(struct tio_conn *c, bool tolerate)
{
	struct pollfd pfd = { .fd = iscsi_get_fd(c->ctx), .events = 0 };
	int rc;

	pfd.events = (short)iscsi_which_events(c->ctx);
	if (pfd.fd < 0 || pfd.events == 0) {
		/* reconnecting: nothing to wait on yet */
		usleep(50 * 1000);
		pfd.revents = 0;
		rc = 0;
	} else {
		rc = poll(&pfd, 1, 200);
	}
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (iscsi_service(c->ctx, rc > 0 ? pfd.revents : 0) < 0) {
		if (!tolerate) {
			fprintf(stderr, "tio: iscsi_service: %s\n", iscsi_get_error(c->ctx));
			return -EIO;
		}
		usleep(50 * 1000);
	}
	return 0;
}

int tio_run_region(struct tio_conn *c, enum tio_op op, uint64_t off, uint64_t size,
		   uint64_t seed, const struct tio_opts *o, uint64_t deadline_ms,
		   struct tio_io_stats *st)
{
	/* On a deadline the engine is abandoned with commands still queued in
	 * libiscsi, whose callbacks point at it: so it lives on the heap. */
	struct engine *e = calloc(1, sizeof(*e));
	int rc = 0;

	if (!e)
		return -ENOMEM;
	if (off % c->block_size || size % c->block_size || size == 0) {
		fprintf(stderr, "tio: region %" PRIu64 "+%" PRIu64 " not a multiple of the "
			"block size %u\n", off, size, c->block_size);
		free(e);
		return -EINVAL;
	}
	if ((off + size) / c->block_size > c->blocks) {
		fprintf(stderr, "tio: region ends past the LUN (%" PRIu64 " blocks)\n", c->blocks);
		free(e);
		return -EINVAL;
	}
	e->c = c;
	e->op = op;
	e->next_lba = off / c->block_size;
	e->end_lba = (off + size) / c->block_size;
	e->seed = seed;
	e->rng = seed ^ 0x5eedull ^ (op == TIO_WRITE ? 1 : 2);
	e->max_blocks = o->max_chunk / c->block_size ? o->max_chunk / c->block_size : 1;
	e->qd = o->qd ? o->qd : 1;
	e->tolerate = o->tolerate;
	e->quiet = o->quiet;
	e->st = st;

	while (e->next_lba < e->end_lba || e->inflight) {
		while (!e->fatal && e->inflight < e->qd && e->next_lba < e->end_lba) {
			rc = submit_one(e);
			if (rc) {
				e->fatal = rc;
				break;
			}
		}
		if (e->fatal && !e->inflight)
			break;
		if (tio_now_ms() > deadline_ms) {
			fprintf(stderr, "tio: deadline passed with %u commands in flight "
				"(next lba %" PRIu64 " of %" PRIu64 ")\n", e->inflight,
				e->next_lba, e->end_lba);
			return -ETIMEDOUT;	/* e intentionally leaked */
		}
		rc = service_once(c, e->tolerate);
		if (rc) {
			e->fatal = rc;
			return rc;		/* the session is gone; e leaked likewise */
		}
	}
	rc = e->fatal;
	free(e);
	return rc;
}

static void print_rate(const char *what, const struct tio_io_stats *st, uint64_t ms,
		       unsigned qd)
{
	double mib = (double)st->bytes / (1024.0 * 1024.0);

	printf("tio: %s %.1f MiB in %" PRIu64 " ms (%.1f MiB/s, %" PRIu64 " commands, qd %u)\n",
	       what, mib, ms, ms ? mib * 1000.0 / (double)ms : 0.0, st->cmds, qd);
}

/* mode: 'w' write, 'v' verify, 'b' write then verify */
int tio_cmd_io(const struct tio_opts *o, int mode)
{
	struct tio_conn c;
	struct tio_io_stats st;
	uint64_t deadline = tio_now_ms() + (uint64_t)o->timeout_s * 1000u;
	uint64_t size, t0;
	int rc;

	if (tio_connect(&c, o, false))
		return 1;
	size = o->size ? o->size : c.blocks * c.block_size - o->offset;
	if (mode == 'w' || mode == 'b') {
		memset(&st, 0, sizeof(st));
		t0 = tio_now_ms();
		rc = tio_run_region(&c, TIO_WRITE, o->offset, size, o->seed, o, deadline, &st);
		if (rc) {
			fprintf(stderr, "tio: write failed (%s)\n", strerror(-rc));
			return 1;
		}
		print_rate("wrote", &st, tio_now_ms() - t0, o->qd);
	}
	if (mode == 'v' || mode == 'b') {
		memset(&st, 0, sizeof(st));
		t0 = tio_now_ms();
		rc = tio_run_region(&c, TIO_VERIFY, o->offset, size, o->seed, o, deadline, &st);
		if (rc) {
			fprintf(stderr, "tio: verify failed (%s)\n", strerror(-rc));
			return 1;
		}
		print_rate("verified", &st, tio_now_ms() - t0, o->qd);
	}
	tio_disconnect(&c);
	return 0;
}

/* Alternate verifying region A and rewriting region B (always with the same
 * seed, so B's content is well defined even if a pass is cut short) until the
 * duration has passed. Used while a backend is killed under the session. */
int tio_cmd_mixed(const struct tio_opts *o)
{
	struct tio_conn c;
	struct tio_io_stats a = {0}, b = {0};
	uint64_t end = tio_now_ms() + (uint64_t)o->duration_s * 1000u;
	uint64_t deadline = tio_now_ms() + (uint64_t)o->timeout_s * 1000u;
	unsigned passes = 0;
	int rc = 0;

	if (!o->size || !o->w_size) {
		fprintf(stderr, "tio: mixed needs --size and --wsize\n");
		return 2;
	}
	if (tio_connect(&c, o, !o->no_reconnect))
		return 1;
	/* --until-file lets a test end the load when its faults are done
	 * instead of guessing a duration that a loaded machine may not meet */
	while (tio_now_ms() < end && !(o->until_file && access(o->until_file, F_OK) == 0)) {
		rc = tio_run_region(&c, TIO_VERIFY, o->offset, o->size, o->seed, o, deadline, &a);
		if (rc)
			break;
		rc = tio_run_region(&c, TIO_WRITE, o->w_offset, o->w_size, o->w_seed, o,
				    deadline, &b);
		if (rc)
			break;
		passes++;
	}
	printf("tio: mixed: %u passes; verify: %" PRIu64 " cmds %" PRIu64 " errors %" PRIu64
	       " miscompares; write: %" PRIu64 " cmds %" PRIu64 " errors; %" PRIu64
	       " unit attentions retried\n", passes, a.cmds, a.errors, a.miscompares, b.cmds,
	       b.errors, a.ua_retries + b.ua_retries);
	if (rc) {
		fprintf(stderr, "tio: mixed failed (%s)\n", strerror(-rc));
		return 1;
	}
	if (a.miscompares)
		return 1;
	if ((a.errors || b.errors) && !o->tolerate)
		return 1;
	tio_disconnect(&c);
	return 0;
}
