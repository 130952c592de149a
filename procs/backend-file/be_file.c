/* file backend: I/O on a regular file or block device through an I/O engine
 * (io_uring, or libaio where io_uring is unavailable), straight between the
 * device and the pool buffer named by the command.
 *
 * Each I/O is a small state machine driven by its completions: a short read
 * or write resubmits the remainder, a read at end of file zero-fills up to the
 * device size, WRITE_ZEROES falls back from ZERO_RANGE to PUNCH_HOLE to
 * writing zeros. FLUSH is fdatasync, FUA writes carry RWF_DSYNC, FUA on
 * WRITE_ZEROES/UNMAP (write-through LUNs) adds an fdatasync: durability is
 * whatever the kernel reports for the medium, never assumed.
 *
 * O_DIRECT devices: an I/O the kernel cannot take as it is (offset, length
 * or buffer not aligned as O_DIRECT needs, e.g. a 512-byte write on a
 * 512e LUN) runs synchronously through a bounce buffer with read-modify-write
 * of the partial blocks, once no other I/O of that device is under way, and
 * later I/O of the device waits behind it: a read-modify-write never races a
 * write to the same physical block. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-file/be_file.h"

enum { BE_ZERO_RANGE = 0, BE_ZERO_PUNCH, BE_ZERO_WRITE, BE_STAGE_SYNC = 8 };

#define BE_FILE_REAP 64

static struct be_file be_file_state;

static int be_file_engine_start(struct be *b, struct be_file *f)
{
	const char *want = json_string_value(json_object_get(be_config(b), "engine"));
	bool fixed = !json_is_false(json_object_get(be_config(b), "fixed_buffers"));
	uint32_t depth = be_tune(b)->queue_depth;
	int rc;

	if (!want)
		want = "auto";
	if (strcmp(want, "libaio")) {
		f->eng = &be_file_uring_engine;
		rc = f->eng->init(f, be_pool(b), depth, fixed);
		if (!rc || strcmp(want, "auto"))
			goto out;
		/* io_uring_setup refused (kernel.io_uring_disabled, a container's
		 * seccomp profile, an old kernel; ENOMEM: a kernel before 5.12
		 * charging the rings to a small RLIMIT_MEMLOCK): libaio does the
		 * same job */
		if (rc != -EPERM && rc != -ENOSYS && rc != -EACCES && rc != -ENOMEM)
			goto out;
		log_warn("io_uring unavailable (%s); using libaio", strerror(-rc));
	}
	f->eng = &be_file_aio_engine;
	rc = f->eng->init(f, be_pool(b), depth, fixed);
out:
	if (rc)
		log_err("%s engine: %s", f->eng->name, strerror(-rc));
	else
		log_info("I/O engine %s, queue depth %u", f->eng->name, depth);
	return rc;
}

static int be_file_setup(struct be *b)
{
	struct be_file *f = &be_file_state;
	int rc;

	f->b = b;
	f->efd = -1;
	/* "engine": "auto" (io_uring, libaio when io_uring is refused),
	 * "io_uring" or "libaio"; "fixed_buffers": false forces the
	 * unregistered path (for tests, and kernels that cannot pin the pool) */
	rc = be_file_engine_start(b, f);
	if (rc)
		return rc;
	/* "write_zeroes": "write" skips fallocate (for tests, or a file system
	 * whose fallocate is slow or lies). */
	const char *wz = json_string_value(json_object_get(be_config(b), "write_zeroes"));

	f->zero_by_write = wz && !strcmp(wz, "write");
	/* "sync_writes": false sends buffered writes through the engine too */
	f->sync_writes = !json_is_false(json_object_get(be_config(b), "sync_writes"));
	/* "sync_reads": false sends every read through the engine */
	f->sync_reads = !json_is_false(json_object_get(be_config(b), "sync_reads"));
	be_set_priv(b, f);
	be_set_completion_fd(b, f->efd);
	be_set_sandbox(b, f->eng->syscalls, f->eng->io_uring);
	be_set_engine_name(b, f->eng->name);
	return 0;
}

static void be_file_teardown(struct be *b)
{
	struct be_file *f = be_priv(b);

	f->eng->fini(f);
	if (f->zeros)
		munmap(f->zeros, BE_FILE_ZERO_CHUNK);
}

static int be_file_open(struct be *b, struct be_dev *d)
{
	struct be_file_dev *fd;
	struct stat st;
	int rc;

	(void)b;
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
	fd = calloc(1, sizeof(*fd));
	if (!fd)
		return -ENOMEM;
	rc = be_file_dev_probe(d, fd);
	if (rc) {
		free(fd);
		return rc;
	}
	d->priv = fd;
	return 0;
}

static void be_file_close(struct be *b, struct be_dev *d)
{
	(void)b;
	free(d->priv);
	d->priv = NULL;
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
	struct be_file_op op = { .fd = io->dev->fd, .fixed = -1 };
	uint64_t off = io->req.offset + io->done;
	uint64_t rem = io->req.length - io->done;
	int rc;

	if (io->stage == BE_STAGE_SYNC) {
		op.kind = BF_FSYNC;
		goto queue;
	}
	switch (io->req.op) {
	case MSG_IO_READ:
	case MSG_IO_WRITE:
		op.kind = io->req.op == MSG_IO_READ ? BF_READ : BF_WRITE;
		op.buf = (uint8_t *)io->buf + io->done;
		op.len = rem;
		op.off = off;
		op.fixed = be_file_fixed_index(f, be_pool(b), &io->req.buf, io->done, rem);
		op.dsync = io->req.op == MSG_IO_WRITE && (io->req.h.flags & MSG_IO_FUA);
		break;
	case MSG_IO_FLUSH:
		op.kind = BF_FSYNC;
		break;
	case MSG_IO_WRITE_ZEROES:
		op.off = off;
		op.len = rem;
		if (io->stage == BE_ZERO_WRITE) {
			if (!be_file_zeros(f))
				return -ENOMEM;
			if (op.len > BE_FILE_ZERO_CHUNK)
				op.len = BE_FILE_ZERO_CHUNK;
			op.kind = BF_WRITE;
			op.buf = f->zeros;
			break;
		}
		op.kind = BF_FALLOC;
		op.mode = io->stage == BE_ZERO_RANGE ? FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE
						      : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		break;
	case MSG_IO_UNMAP:
		op.kind = BF_FALLOC;
		op.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		op.off = off;
		op.len = rem;
		break;
	}
queue:
	rc = f->eng->queue(f, &op, io);
	if (!rc)
		f->pending++;
	return rc;
}

static int be_file_lba_status(struct be *b, struct be_dev *d, uint64_t off, uint64_t len,
			      uint64_t *run, bool *unmapped)
{
	(void)b;
	return be_lba_status_seek(d->fd, d->block_size, off, len, run, unmapped);
}

static void be_file_start(struct be *b, struct be_io *io);

/* Device idle: start what waited, in order; a bounce I/O runs only when
 * nothing else of the device is under way. */
static void be_file_run_waiting(struct be *b, struct be_dev *d)
{
	struct be_file_dev *fd = d->priv;
	struct be_io *io;

	while ((io = fd->wait_head)) {
		bool bounce = be_file_needs_bounce(d, io);

		if (bounce && fd->busy)
			return;
		fd->wait_head = io->next;
		if (!fd->wait_head)
			fd->wait_tail = NULL;
		io->next = NULL;
		if (bounce) {
			uint64_t copied = 0;
			int rc = be_file_bounce(be_priv(b), d, io, &copied);

			be_count_copy(b, copied);
			be_io_done(b, io, rc, rc ? 0 : be_io_span(io));
		} else {
			be_file_start(b, io);
		}
	}
}

/* An asynchronous I/O is finished. */
static void be_file_finish(struct be *b, struct be_io *io, int rc, uint32_t len)
{
	struct be_dev *d = io->dev;
	struct be_file_dev *fd = d->priv;

	be_io_done(b, io, rc, len);
	fd->busy--;
	if (!fd->busy && fd->wait_head)
		be_file_run_waiting(b, d);
}

/* Buffered writes go to the page cache with a plain pwrite in our own thread.
 * ext4 refuses non-blocking buffered writes (RWF_NOWAIT: EOPNOTSUPP), so
 * io_uring hands every one of them to an io-wq worker thread: a thread wakeup,
 * two context switches and a completion event for a 4 KiB memcpy, all on the
 * CPU we share with the core and the frontend. FUA writes (RWF_DSYNC, which
 * waits for the disk) and O_DIRECT writes stay asynchronous. */
static bool be_file_sync_write(const struct be_file *f, const struct be_io *io)
{
	const struct be_file_dev *fd = io->dev->priv;

	return f->sync_writes && io->req.op == MSG_IO_WRITE && !fd->direct &&
	       !(io->req.h.flags & MSG_IO_FUA) && io->done == 0;
}

static int be_file_write_now(struct be_io *io)
{
	uint64_t len = io->req.length;

	for (unsigned tries = 0; io->done < len && tries < 64; tries++) {
		ssize_t w = pwrite(io->dev->fd, (uint8_t *)io->buf + io->done,
				   len - io->done, (off_t)(io->req.offset + io->done));

		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		io->done += (uint64_t)w;
	}
	return io->done == len ? 0 : -EIO;
}

/* Buffered reads first take what the page cache holds, in our own thread:
 * preadv2 with RWF_NOWAIT copies cached pages and returns EAGAIN instead of
 * waiting for the disk. A cached read is then done before the next ring
 * check, with no submission, no completion event and no extra pass of the
 * loop (at queue depth 1 each such step is a turn of the CPU shared with
 * the core and the frontend). What is not cached, and O_DIRECT devices, go
 * through the engine from where the cached part ended. Returns true when
 * the read is complete. */
static bool be_file_read_now(struct be_file *f, struct be_io *io)
{
	const struct be_file_dev *fd = io->dev->priv;
	uint64_t len = io->req.length;
	struct iovec iov;
	ssize_t r;

	if (!f->sync_reads || io->req.op != MSG_IO_READ || fd->direct || io->done)
		return false;
	iov.iov_base = io->buf;
	iov.iov_len = len;
	r = preadv2(io->dev->fd, &iov, 1, (off_t)io->req.offset, RWF_NOWAIT);
	if (r == 0) {
		/* end of a file shorter than the device: zeros, as in
		 * be_file_complete */
		memset(io->buf, 0, len);
		io->done = len;
		return true;
	}
	if (r > 0)
		io->done = (uint64_t)r;
	else if (errno == EOPNOTSUPP) {
		/* a file system without RWF_NOWAIT reads: stop trying */
		log_info("preadv2(RWF_NOWAIT) not supported here: reads go through the engine");
		f->sync_reads = false;
	}
	return io->done == len;
}

static void be_file_start(struct be *b, struct be_io *io)
{
	struct be_file_dev *fd = io->dev->priv;
	int rc;

	fd->busy++;
	if (be_file_read_now(be_priv(b), io)) {
		be_file_finish(b, io, 0, be_io_span(io));
		return;
	}
	if (be_file_sync_write(be_priv(b), io)) {
		rc = be_file_write_now(io);
		be_file_finish(b, io, rc, rc ? 0 : be_io_span(io));
		return;
	}
	rc = be_file_step(b, io);
	if (rc)
		be_file_finish(b, io, rc, 0);
}

static void be_file_submit(struct be *b, struct be_io *io)
{
	struct be_file *f = be_priv(b);
	struct be_dev *d = io->dev;
	struct be_file_dev *fd = d->priv;

	if (io->req.op == MSG_IO_WRITE_ZEROES && f->zero_by_write)
		io->stage = BE_ZERO_WRITE;
	if (fd->direct && (fd->wait_head || be_file_needs_bounce(d, io))) {
		io->next = NULL;
		if (fd->wait_tail)
			fd->wait_tail->next = io;
		else
			fd->wait_head = io;
		fd->wait_tail = io;
		if (!fd->busy)
			be_file_run_waiting(b, d);
		return;
	}
	be_file_start(b, io);
}

static void be_file_flush(struct be *b)
{
	struct be_file *f = be_priv(b);

	f->eng->submit(f);
}

/* Not supported by this file system or device: try the next way. */
static bool be_file_unsupported(int res)
{
	return res == -EOPNOTSUPP || res == -EINVAL || res == -ENOTTY;
}

/* The I/O's own steps are done: FUA on a zeroing or unmapping I/O still
 * needs the data (and the allocation change) on stable storage. */
static void be_file_steps_done(struct be *b, struct be_io *io)
{
	if ((io->req.h.flags & MSG_IO_FUA) && io->stage != BE_STAGE_SYNC &&
	    (io->req.op == MSG_IO_WRITE_ZEROES || io->req.op == MSG_IO_UNMAP)) {
		int rc;

		io->stage = BE_STAGE_SYNC;
		rc = be_file_step(b, io);
		if (rc)
			be_file_finish(b, io, rc, 0);
		return;
	}
	be_file_finish(b, io, 0, be_io_span(io));
}

/* Advance an I/O after one of its steps completed with `res`. */
static void be_file_complete(struct be *b, struct be_io *io, int res)
{
	uint64_t len = io->req.length;
	int rc;

	if (res == -EINTR || res == -EAGAIN)
		goto again;
	if (io->stage == BE_STAGE_SYNC) {
		if (res < 0)
			goto fail;
		be_file_finish(b, io, 0, be_io_span(io));
		return;
	}
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
		be_file_finish(b, io, 0, be_io_span(io));
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
		be_file_finish(b, io, 0, be_io_span(io));
		return;
	case MSG_IO_WRITE_ZEROES:
		if (io->stage != BE_ZERO_WRITE) {
			if (res >= 0) {
				be_file_steps_done(b, io);
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
		be_file_steps_done(b, io);
		return;
	case MSG_IO_UNMAP:
		if (res < 0)
			break;
		be_file_steps_done(b, io);
		return;
	case MSG_IO_FLUSH:
		if (res < 0)
			break;
		be_file_finish(b, io, 0, be_io_span(io));
		return;
	}
fail:
	be_file_finish(b, io, res, 0);
	return;
again:
	rc = be_file_step(b, io);
	if (rc)
		be_file_finish(b, io, rc, 0);
}

static int be_file_poll(struct be *b)
{
	struct be_file *f = be_priv(b);
	void *tags[BE_FILE_REAP];
	int res[BE_FILE_REAP];
	int total = 0;
	unsigned n;

	if (!f->pending)
		return 0;
	while ((n = f->eng->reap(f, tags, res, BE_FILE_REAP)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			f->pending--;
			be_file_complete(b, tags[i], res[i]);
		}
		total += (int)n;
	}
	/* Resubmissions (short transfers, fallbacks) go out with this reap. */
	f->eng->submit(f);
	return total;
}

const struct be_ops be_file_ops = {
	.kind = "file",
	.needs_fd = true,
	.setup = be_file_setup,
	.dev_open = be_file_open,
	.dev_close = be_file_close,
	.submit = be_file_submit,
	.lba_status = be_file_lba_status,
	.flush = be_file_flush,
	.poll = be_file_poll,
	.teardown = be_file_teardown,
};
