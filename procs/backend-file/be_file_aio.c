/* The libaio engine of the file backend: for kernels or containers where
 * io_uring is unavailable (kernel.io_uring_disabled, a seccomp profile that
 * refuses io_uring_setup) or when the configuration asks for it.
 *
 * Same semantics as the io_uring engine: reads and writes go straight between
 * the file and the pool buffer, FUA writes carry RWF_DSYNC (aio_rw_flags),
 * FLUSH is IOCB_CMD_FDSYNC, or a synchronous fdatasync where the file system
 * refuses it. fallocate has no aio command: it runs synchronously, and its
 * completion is handed back through the same reap path. */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/log.h"
#include "procs/backend-file/be_file.h"

struct be_file_aio_done {
	void *tag;
	int   res;
};

struct be_file_aio {
	io_context_t ctx;
	uint32_t depth;
	struct iocb *iocbs;
	struct iocb **free;     /* free iocbs */
	uint32_t nfree;
	struct iocb **pend;     /* queued, not yet io_submit'ed */
	uint32_t npend;
	struct be_file_aio_done *done; /* finished synchronously, not yet reaped */
	uint32_t ndone;
	bool     no_fdsync;     /* the file system refused IOCB_CMD_FDSYNC */
};

static void be_file_aio_fini(struct be_file *f)
{
	struct be_file_aio *a = f->aio;

	if (a) {
		if (a->ctx)
			io_queue_release(a->ctx);
		free(a->iocbs);
		free(a->free);
		free(a->pend);
		free(a->done);
		free(a);
	}
	f->aio = NULL;
	if (f->efd >= 0)
		close(f->efd);
	f->efd = -1;
}

static int be_file_aio_init(struct be_file *f, const struct pool *pool, uint32_t depth,
			    bool fixed)
{
	struct be_file_aio *a = calloc(1, sizeof(*a));
	int rc;

	(void)pool;
	(void)fixed;
	f->efd = -1;
	f->fixed = false;
	if (!a)
		return -ENOMEM;
	f->aio = a;
	a->depth = depth;
	a->iocbs = calloc(depth, sizeof(*a->iocbs));
	a->free = calloc(depth, sizeof(*a->free));
	a->pend = calloc(depth, sizeof(*a->pend));
	a->done = calloc(depth, sizeof(*a->done));
	if (!a->iocbs || !a->free || !a->pend || !a->done) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < depth; i++)
		a->free[a->nfree++] = &a->iocbs[i];
	rc = io_queue_init((int)depth, &a->ctx);
	if (rc < 0) {
		log_err("io_setup(%u): %s", depth, strerror(-rc));
		a->ctx = 0;
		goto fail;
	}
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	be_file_aio_fini(f);
	return rc;
}

/* A step finished without the kernel's aio: reaped with the others. The
 * eventfd is poked so a sleeping loop wakes up for it. */
static void be_file_aio_local(struct be_file *f, void *tag, int res)
{
	struct be_file_aio *a = f->aio;
	uint64_t one = 1;

	a->done[a->ndone].tag = tag;
	a->done[a->ndone].res = res;
	a->ndone++;
	if (write(f->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("completion eventfd: %s", strerror(errno));
}

static int be_file_aio_queue(struct be_file *f, const struct be_file_op *op, void *tag)
{
	struct be_file_aio *a = f->aio;
	struct iocb *cb;

	/* one step per slot: both lists have room for every slot */
	if (a->ndone + (a->depth - a->nfree) >= a->depth)
		return -EBUSY;
	if (op->kind == BF_FALLOC) {
		int r = fallocate(op->fd, op->mode, (off_t)op->off, (off_t)op->len);

		be_file_aio_local(f, tag, r < 0 ? -errno : 0);
		return 0;
	}
	if (op->kind == BF_FSYNC && a->no_fdsync) {
		be_file_aio_local(f, tag, fdatasync(op->fd) < 0 ? -errno : 0);
		return 0;
	}
	cb = a->free[--a->nfree];
	switch (op->kind) {
	case BF_READ:
		io_prep_pread(cb, op->fd, op->buf, (size_t)op->len, (long long)op->off);
		break;
	case BF_WRITE:
		io_prep_pwrite(cb, op->fd, op->buf, (size_t)op->len, (long long)op->off);
		if (op->dsync)
			cb->aio_rw_flags = RWF_DSYNC;
		break;
	default:
		io_prep_fdsync(cb, op->fd);
		break;
	}
	io_set_eventfd(cb, f->efd);
	cb->data = tag;
	a->pend[a->npend++] = cb;
	return 0;
}

static void be_file_aio_submit(struct be_file *f)
{
	struct be_file_aio *a = f->aio;

	while (a->npend) {
		int rc = io_submit(a->ctx, (long)a->npend, a->pend);

		if (rc == -EAGAIN || rc == 0)
			return;         /* the next pass tries again */
		if (rc < 0) {
			/* the first iocb was refused */
			struct iocb *cb = a->pend[0];
			int res = rc;

			if (cb->aio_lio_opcode == IO_CMD_FDSYNC && rc == -EINVAL) {
				if (!a->no_fdsync)
					log_info("libaio: no IOCB_CMD_FDSYNC here; "
						 "flushing with fdatasync");
				a->no_fdsync = true;
				res = fdatasync(cb->aio_fildes) < 0 ? -errno : 0;
			}
			be_file_aio_local(f, cb->data, res);
			a->free[a->nfree++] = cb;
			rc = 1;
		}
		a->npend -= (uint32_t)rc;
		memmove(a->pend, a->pend + rc, a->npend * sizeof(*a->pend));
	}
}

static unsigned be_file_aio_reap(struct be_file *f, void **tags, int *res, unsigned max)
{
	struct be_file_aio *a = f->aio;
	struct io_event ev[64];
	struct timespec zero = { 0, 0 };
	unsigned n = 0;
	int got;

	while (a->ndone && n < max) {
		a->ndone--;
		tags[n] = a->done[a->ndone].tag;
		res[n] = a->done[a->ndone].res;
		n++;
	}
	if (n == max || a->nfree + a->npend == a->depth)
		return n;
	if (max - n > 64)
		max = n + 64;
	got = io_getevents(a->ctx, 0, (long)(max - n), ev, &zero);
	for (int i = 0; i < got; i++) {
		tags[n] = ev[i].data;
		res[n] = (int)(long)ev[i].res;
		a->free[a->nfree++] = ev[i].obj;
		n++;
	}
	return n;
}

static const int be_file_aio_calls[] = {
	SCMP_SYS(io_submit), SCMP_SYS(io_getevents), SCMP_SYS(io_pgetevents),
	SCMP_SYS(io_destroy), SCMP_SYS(io_cancel), -1
};

const struct be_file_engine be_file_aio_engine = {
	.name = "libaio",
	.init = be_file_aio_init,
	.fini = be_file_aio_fini,
	.queue = be_file_aio_queue,
	.submit = be_file_aio_submit,
	.reap = be_file_aio_reap,
	.syscalls = be_file_aio_calls,
	.io_uring = false,
};
