/* The io_uring engine of the file backend.
 *
 * The whole data pool is registered as fixed buffers so READ_FIXED and
 * WRITE_FIXED move data straight between the device and the frontend's buffer
 * without pinning pages on every I/O. The ring starts disabled and is limited
 * to the few opcodes we use before it is enabled, because seccomp cannot see
 * what an io_uring does. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/log.h"
#include "procs/backend-file/be_file.h"

static int be_file_register_pool(struct be_file *f, const struct pool *pool)
{
	struct iovec iov[POOL_MAX_ARENAS * 4];
	uint32_t n = 0;
	int rc;

	for (uint32_t a = 0; a < pool->narenas && a < POOL_MAX_ARENAS; a++) {
		const struct pool_arena *ar = &pool->arenas[a];

		f->arena_first[a] = n;
		if (!ar->base)
			return -EINVAL;
		for (uint64_t off = 0; off < ar->size; off += 1ull << BE_FILE_CHUNK_SHIFT) {
			uint64_t len = ar->size - off;

			if (n == sizeof(iov) / sizeof(iov[0]))
				return -E2BIG;
			if (len > 1ull << BE_FILE_CHUNK_SHIFT)
				len = 1ull << BE_FILE_CHUNK_SHIFT;
			iov[n].iov_base = ar->base + off;
			iov[n].iov_len = len;
			n++;
		}
	}
	if (!n)
		return -EINVAL;
	rc = io_uring_register_buffers(&f->ring, iov, n);
	return rc;
}

static int be_file_restrict(struct be_file *f)
{
	static const uint8_t ops[] = {
		IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, IORING_OP_READ,
		IORING_OP_WRITE, IORING_OP_FSYNC, IORING_OP_FALLOCATE,
	};
	struct io_uring_restriction res[sizeof(ops)];

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(ops); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	/* Debian's liburing 2.3 does not export io_uring_register_restrictions
	 * or io_uring_enable_rings; its raw io_uring_register() does the same. */
	return io_uring_register((unsigned)f->ring.ring_fd,
				 IORING_REGISTER_RESTRICTIONS, res, sizeof(ops));
}

static void be_file_uring_fini(struct be_file *f)
{
	if (f->ring_ok)
		io_uring_queue_exit(&f->ring);
	f->ring_ok = false;
	if (f->efd >= 0)
		close(f->efd);
	f->efd = -1;
}

static int be_file_uring_init(struct be_file *f, const struct pool *pool, uint32_t depth,
			      bool want_fixed)
{
	int rc;

	f->efd = -1;
	rc = io_uring_queue_init(depth, &f->ring, IORING_SETUP_R_DISABLED);
	if (rc < 0)
		return rc;      /* the caller decides whether libaio takes over */
	f->ring_ok = true;
	rc = want_fixed ? be_file_register_pool(f, pool) : -ECANCELED;
	if (rc == -ECANCELED) {
		log_info("fixed buffers disabled by configuration");
		f->fixed = false;
	} else if (rc < 0) {
		/* Typically RLIMIT_MEMLOCK. Plain READ/WRITE still go straight
		 * into the pool buffer; the kernel just pins pages per I/O. */
		log_warn("cannot register the data pool as fixed buffers (%s); "
			 "using unregistered buffers", strerror(-rc));
		f->fixed = false;
	} else {
		f->fixed = true;
		log_info("data pool registered as fixed buffers");
	}
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = io_uring_register_eventfd(&f->ring, f->efd);
	if (rc < 0) {
		log_err("io_uring_register_eventfd: %s", strerror(-rc));
		goto fail;
	}
	rc = be_file_restrict(f);
	if (rc < 0) {
		log_err("io_uring_register_restrictions: %s", strerror(-rc));
		goto fail;
	}
	rc = io_uring_register((unsigned)f->ring.ring_fd,
			       IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (rc < 0) {
		log_err("io_uring_enable_rings: %s", strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	be_file_uring_fini(f);
	return rc;
}

static void be_file_uring_submit(struct be_file *f)
{
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
	f->queued -= (uint32_t)rc < f->queued ? (uint32_t)rc : f->queued;
}

static int be_file_uring_queue(struct be_file *f, const struct be_file_op *op, void *tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);

	if (!sqe && f->queued) {
		be_file_uring_submit(f);
		sqe = io_uring_get_sqe(&f->ring);
	}
	if (!sqe)
		return -EBUSY;
	switch (op->kind) {
	case BF_READ:
		if (op->fixed >= 0)
			io_uring_prep_read_fixed(sqe, op->fd, op->buf, (unsigned)op->len, op->off,
						 op->fixed);
		else
			io_uring_prep_read(sqe, op->fd, op->buf, (unsigned)op->len, op->off);
		break;
	case BF_WRITE:
		if (op->fixed >= 0)
			io_uring_prep_write_fixed(sqe, op->fd, op->buf, (unsigned)op->len, op->off,
						  op->fixed);
		else
			io_uring_prep_write(sqe, op->fd, op->buf, (unsigned)op->len, op->off);
		if (op->dsync)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case BF_FSYNC:
		io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC);
		break;
	case BF_FALLOC:
		io_uring_prep_fallocate(sqe, op->fd, op->mode, (off_t)op->off, (off_t)op->len);
		break;
	}
	io_uring_sqe_set_data(sqe, tag);
	f->queued++;
	return 0;
}

static unsigned be_file_uring_reap(struct be_file *f, void **tags, int *res, unsigned max)
{
	struct io_uring_cqe *cqes[64];
	unsigned n;

	if (max > 64)
		max = 64;
	n = io_uring_peek_batch_cqe(&f->ring, cqes, max);
	for (unsigned i = 0; i < n; i++) {
		tags[i] = io_uring_cqe_get_data(cqes[i]);
		res[i] = cqes[i]->res;
		io_uring_cqe_seen(&f->ring, cqes[i]);
	}
	return n;
}

static const int be_file_uring_calls[] = {
	SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), -1
};

const struct be_file_engine be_file_uring_engine = {
	.name = "io_uring",
	.init = be_file_uring_init,
	.fini = be_file_uring_fini,
	.queue = be_file_uring_queue,
	.submit = be_file_uring_submit,
	.reap = be_file_uring_reap,
	.syscalls = be_file_uring_calls,
	.io_uring = true,
};

int be_file_fixed_index(const struct be_file *f, const struct pool *pool,
			const struct buf_handle *h, uint64_t skip, uint64_t len)
{
	uint64_t start = (uint64_t)h->offset + skip;
	uint64_t first, last;

	if (!f->fixed || !len || h->arena >= pool->narenas)
		return -1;
	first = start >> BE_FILE_CHUNK_SHIFT;
	last = (start + len - 1) >> BE_FILE_CHUNK_SHIFT;
	/* A transfer straddling two registered chunks cannot be one fixed I/O. */
	if (first != last)
		return -1;
	return (int)(f->arena_first[h->arena] + first);
}
