/* file backend: regular files and block devices through io_uring or libaio. */
#ifndef MTGT_BE_FILE_H
#define MTGT_BE_FILE_H

#include <liburing.h>

#include "procs/backend-common/be.h"

/* The kernel takes at most 1 GiB per registered buffer: larger arenas are
 * registered as several consecutive chunks. */
#define BE_FILE_CHUNK_SHIFT 30
#define BE_FILE_ZERO_CHUNK  (1u << 20)

/* One step of an I/O, as an engine runs it. */
enum be_file_opk { BF_READ = 1, BF_WRITE, BF_FSYNC, BF_FALLOC };

struct be_file_op {
	uint8_t  kind;
	bool     dsync;     /* BF_WRITE: RWF_DSYNC */
	int      fd;
	int      fixed;     /* registered buffer index, -1 if none (io_uring only) */
	int      mode;      /* BF_FALLOC */
	void    *buf;
	uint64_t len;
	uint64_t off;
};

struct be_file;

/* An I/O engine: queue steps, hand them to the kernel once per batch, reap
 * finished ones. Each completion carries the tag given at queue time and the
 * kernel's result (bytes or -errno). */
struct be_file_engine {
	const char *name;
	int  (*init)(struct be_file *f, const struct pool *pool, uint32_t depth, bool fixed);
	void (*fini)(struct be_file *f);
	/* 0, or -EBUSY when no room (never happens with one step per slot) */
	int  (*queue)(struct be_file *f, const struct be_file_op *op, void *tag);
	void (*submit)(struct be_file *f);
	unsigned (*reap)(struct be_file *f, void **tags, int *res, unsigned max);
	const int *syscalls;    /* for the sandbox, ended by -1 */
	bool io_uring;
};

extern const struct be_file_engine be_file_uring_engine, be_file_aio_engine;

struct be_file_aio;

/* Per device: O_DIRECT alignment, and the I/O that must wait for the device to
 * be idle (read-modify-write of a partial aligned block). */
struct be_file_dev {
	bool     direct;
	uint32_t align;         /* offset/length alignment O_DIRECT needs */
	uint32_t mem_align;     /* buffer address alignment */
	uint32_t busy;          /* asynchronous I/O under way */
	struct be_io *wait_head, *wait_tail;
};

struct be_file {
	const struct be_file_engine *eng;
	struct be *b;
	/* io_uring */
	struct io_uring ring;
	bool     ring_ok;
	bool     fixed;                             /* pool registered */
	uint32_t arena_first[POOL_MAX_ARENAS];      /* first buffer index per arena */
	uint32_t queued;                            /* SQEs not yet submitted */
	/* libaio */
	struct be_file_aio *aio;
	int      efd;                               /* signalled on each completion */
	uint32_t pending;                           /* steps queued, not yet reaped */
	void    *zeros;                             /* WRITE_ZEROES by writing */
	bool     zero_by_write;                     /* skip the fallocate tries */
	bool     sync_writes;                       /* buffered non-FUA writes by pwrite */
	bool     sync_reads;                        /* cached reads by preadv2(RWF_NOWAIT) */
};

extern const struct be_ops be_file_ops;

/* The registered buffer index covering [arena offset, +len), or -1. */
int  be_file_fixed_index(const struct be_file *f, const struct pool *pool,
			 const struct buf_handle *h, uint64_t skip, uint64_t len);

/* be_file_direct.c: O_DIRECT alignment and the synchronous bounce path. */
int  be_file_dev_probe(struct be_dev *d, struct be_file_dev *fd);
/* Whether io cannot go to the kernel as it is (unaligned for O_DIRECT). */
bool be_file_needs_bounce(const struct be_dev *d, const struct be_io *io);
/* Run io synchronously through an aligned bounce buffer (read-modify-write of
 * partial blocks); the device must have no other I/O under way. Returns 0 or
 * -errno; *copied gets the payload bytes copied. */
int  be_file_bounce(struct be_file *f, struct be_dev *d, struct be_io *io, uint64_t *copied);

#endif
