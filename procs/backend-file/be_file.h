/* file backend: regular files and block devices through io_uring. */
#ifndef MTGT_BE_FILE_H
#define MTGT_BE_FILE_H

#include <liburing.h>

#include "procs/backend-common/be.h"

/* The kernel takes at most 1 GiB per registered buffer: larger arenas are
 * registered as several consecutive chunks. */
#define BE_FILE_CHUNK_SHIFT 30
#define BE_FILE_ZERO_CHUNK  (1u << 20)

struct be_file {
	struct io_uring ring;
	bool     fixed;                             /* pool registered */
	uint32_t arena_first[POOL_MAX_ARENAS];      /* first buffer index per arena */
	int      efd;                               /* signalled on each completion */
	uint32_t queued;                            /* SQEs not yet submitted */
	uint32_t in_kernel;                         /* SQEs submitted, CQE pending */
	void    *zeros;                             /* WRITE_ZEROES by writing */
	bool     zero_by_write;                     /* skip the fallocate tries */
};

extern const struct be_ops be_file_ops;

/* Ring setup: fixed buffers (or the fallback), completion eventfd, opcode
 * restrictions. */
int  be_file_ring_init(struct be_file *f, const struct pool *pool, uint32_t depth,
		       bool want_fixed);
void be_file_ring_fini(struct be_file *f);
/* The registered buffer index covering [arena offset, +len), or -1. */
int  be_file_fixed_index(const struct be_file *f, const struct pool *pool,
			 const struct buf_handle *h, uint64_t skip, uint64_t len);

#endif
