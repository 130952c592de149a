/* file backend: I/O on a regular file or block device through io_uring,
 * straight between the device and the pool buffer named by the command.
 *
 * Each I/O is a small state machine driven by its completions: a short read
 * or write resubmits the remainder, a read at end of file zero-fills up to the
 * device size, WRITE_ZEROES falls back from ZERO_RANGE to PUNCH_HOLE to
 * writing zeros. FLUSH is fdatasync, FUA writes carry RWF_DSYNC: durability
 * is whatever the kernel reports for the medium, never assumed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/log.h"
#include "procs/backend-file/be_file.h"

enum { BE_ZERO_RANGE = 0, BE_ZERO_PUNCH, BE_ZERO_WRITE };

#define BE_FILE_REAP 64

static struct be_file be_file_state;

static int be_file_setup(struct be *b)
{
	struct be_file *f = &be_file_state;
	int rc;

	/* One SQE per slot at a time, so the rings can never overflow.
	 * "fixed_buffers": false in the config forces the unregistered path
	 * (for tests, and for kernels that cannot pin the pool). */
	rc = be_file_ring_init(f, be_pool(b), be_tune(b)->queue_depth,
			       !json_is_false(json_object_get(be_config(b), "fixed_buffers")));
	if (rc)
		return rc;
	/* "write_zeroes": "write" skips fallocate (for tests, or a file system
	 * whose fallocate is slow or lies). */
	const char *wz = json_string_value(json_object_get(be_config(b), "write_zeroes"));

	f->zero_by_write = wz && !strcmp(wz, "write");
	be_set_priv(b, f);
	be_set_completion_fd(b, f->efd);
	return 0;
}

static void be_file_teardown(struct be *b)
{
	struct be_file *f = be_priv(b);

	be_file_ring_fini(f);
	if (f->zeros)
		munmap(f->zeros, BE_FILE_ZERO_CHUNK);
}

static int be_file_open(struct be *b, struct be_dev *d)
{
	struct stat st;

	if (fstat(d->fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;

		if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
		if (bytes < d->size) {
			log_err("device %u: %s holds %llu bytes, less than %llu",
				d->index, d->path, (unsigned long long)bytes,
				(unsigned long long)d->size);
			return -EINVAL;
		}
	} else if (!S_ISREG(st.st_mode)) {
		return -EINVAL;
	} else if ((uint64_t)st.st_size < d->size) {
		/* Reads past the end return zeros; writes extend the file. */
		log_info("device %u: %s is %llu bytes, shorter than %llu",
			 d->index, d->path, (unsigned long long)st.st_size,
			 (unsigned long long)d->size);
	}
	return 0;
}

static struct io_uring_sqe *be_file_sqe(struct be_file *f)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);

	if (!sqe && f->queued) {
		int rc = io_uring_submit(&f->ring);

		if (rc > 0) {
			f->in_kernel += (uint32_t)rc;
			f->queued -= (uint32_t)rc;
		}
		sqe = io_uring_get_sqe(&f->ring);
	}
	return sqe;
}

static void *be_file_zeros(struct be_file *f)
{
	if (!f->zeros) {
		void *p = mmap(NULL, BE_FILE_ZERO_CHUNK, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		f->zeros = p;
	}
	return f->zeros;
}

/* Queue the next step of an I/O; returns 0 or -errno if nothing was queued. */
static int be_file_step(struct be *b, struct be_io *io)
{
	struct be_file *f = be_priv(b);
	struct io_uring_sqe *sqe;
	uint64_t off = io->req.offset + io->done;
	uint64_t rem = io->req.length - io->done;
	int fd = io->dev->fd;

	if (io->req.op == MSG_IO_WRITE_ZEROES && io->stage == BE_ZERO_WRITE) {
		if (!be_file_zeros(f))
			return -ENOMEM;
		if (rem > BE_FILE_ZERO_CHUNK)
			rem = BE_FILE_ZERO_CHUNK;
	}
	sqe = be_file_sqe(f);
	if (!sqe)
		return -EBUSY;
	switch (io->req.op) {
	case MSG_IO_READ:
	case MSG_IO_WRITE: {
		uint8_t *p = (uint8_t *)io->buf + io->done;
		int idx = be_file_fixed_index(f, be_pool(b), &io->req.buf, io->done, rem);

		if (io->req.op == MSG_IO_READ) {
			if (idx >= 0)
				io_uring_prep_read_fixed(sqe, fd, p, (unsigned)rem, off, idx);
			else
				io_uring_prep_read(sqe, fd, p, (unsigned)rem, off);
		} else {
			if (idx >= 0)
				io_uring_prep_write_fixed(sqe, fd, p, (unsigned)rem, off, idx);
			else
				io_uring_prep_write(sqe, fd, p, (unsigned)rem, off);
			if (io->req.h.flags & MSG_IO_FUA)
				sqe->rw_flags = RWF_DSYNC;
		}
		break;
	}
	case MSG_IO_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case MSG_IO_WRITE_ZEROES:
		if (io->stage == BE_ZERO_RANGE)
			io_uring_prep_fallocate(sqe, fd,
						FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
						(off_t)off, (off_t)rem);
		else if (io->stage == BE_ZERO_PUNCH)
			io_uring_prep_fallocate(sqe, fd,
						FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						(off_t)off, (off_t)rem);
		else
			io_uring_prep_write(sqe, fd, f->zeros, (unsigned)rem, off);
		break;
	case MSG_IO_UNMAP:
		io_uring_prep_fallocate(sqe, fd,
					FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)off, (off_t)rem);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	f->queued++;
	return 0;
}

static int be_file_lba_status(struct be *b, struct be_dev *d, uint64_t off, uint64_t len,
			      uint64_t *run, bool *unmapped)
{
	(void)b;
	return be_lba_status_seek(d->fd, d->block_size, off, len, run, unmapped);
}

static void be_file_submit(struct be *b, struct be_io *io)
{
	struct be_file *f = be_priv(b);
	int rc;

	if (io->req.op == MSG_IO_WRITE_ZEROES && f->zero_by_write)
		io->stage = BE_ZERO_WRITE;
	rc = be_file_step(b, io);

	if (rc)
		be_io_done(b, io, rc, 0);
}

static void be_file_flush(struct be *b)
{
	struct be_file *f = be_priv(b);
	int rc;

	if (!f->queued)
		return;
	rc = io_uring_submit(&f->ring);
	if (rc < 0) {
		/* Only possible when the kernel is short of memory; the SQEs
		 * stay queued and the next pass tries again. */
		log_warn("io_uring_submit: %s", strerror(-rc));
		return;
	}
	f->in_kernel += (uint32_t)rc;
	f->queued -= (uint32_t)rc;
}

/* Not supported by this file system or device: try the next way. */
static bool be_file_unsupported(int res)
{
	return res == -EOPNOTSUPP || res == -EINVAL || res == -ENOTTY;
}

/* Advance an I/O after one of its steps completed with `res`. */
static void be_file_complete(struct be *b, struct be_io *io, int res)
{
	uint64_t len = io->req.length;
	int rc;

	if (res == -EINTR || res == -EAGAIN)
		goto again;
	switch (io->req.op) {
	case MSG_IO_READ:
		if (res < 0)
			break;
		if (res == 0) {
			/* End of a file shorter than the device: the rest
			 * reads as zeros, as it would after ftruncate. */
			memset((uint8_t *)io->buf + io->done, 0, len - io->done);
			io->done = len;
		}
		io->done += (uint64_t)res;
		if (io->done < len)
			goto again;
		be_io_done(b, io, 0, be_io_span(io));
		return;
	case MSG_IO_WRITE:
		if (res < 0)
			break;
		if (res == 0) {
			res = -EIO;
			break;
		}
		io->done += (uint64_t)res;
		if (io->done < len)
			goto again;
		be_io_done(b, io, 0, be_io_span(io));
		return;
	case MSG_IO_WRITE_ZEROES:
		if (io->stage != BE_ZERO_WRITE) {
			if (res >= 0) {
				be_io_done(b, io, 0, be_io_span(io));
				return;
			}
			if (!be_file_unsupported(res))
				break;
			io->stage++;
			goto again;
		}
		if (res < 0)
			break;
		if (res == 0) {
			res = -EIO;
			break;
		}
		io->done += (uint64_t)res;
		if (io->done < len)
			goto again;
		be_io_done(b, io, 0, be_io_span(io));
		return;
	case MSG_IO_FLUSH:
	case MSG_IO_UNMAP:
		if (res < 0)
			break;
		be_io_done(b, io, 0, be_io_span(io));
		return;
	}
	be_io_done(b, io, res, 0);
	return;
again:
	rc = be_file_step(b, io);
	if (rc)
		be_io_done(b, io, rc, 0);
}

static int be_file_poll(struct be *b)
{
	struct be_file *f = be_priv(b);
	struct io_uring_cqe *cqes[BE_FILE_REAP];
	int total = 0;
	unsigned n;

	if (!f->in_kernel && !f->queued)
		return 0;
	while ((n = io_uring_peek_batch_cqe(&f->ring, cqes, BE_FILE_REAP)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct be_io *io = io_uring_cqe_get_data(cqes[i]);
			int res = cqes[i]->res;

			io_uring_cqe_seen(&f->ring, cqes[i]);
			f->in_kernel--;
			be_file_complete(b, io, res);
		}
		total += (int)n;
	}
	/* Resubmissions (short transfers, fallbacks) go out with this reap. */
	be_file_flush(b);
	return total;
}

const struct be_ops be_file_ops = {
	.kind = "file",
	.needs_fd = true,
	.setup = be_file_setup,
	.dev_open = be_file_open,
	.submit = be_file_submit,
	.lba_status = be_file_lba_status,
	.flush = be_file_flush,
	.poll = be_file_poll,
	.teardown = be_file_teardown,
};
