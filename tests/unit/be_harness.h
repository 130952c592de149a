/* Test harness for backend processes: plays the supervisor (pool, link,
 * eventfds, CTL_INIT over fd 3, fork+exec of build/bin/mtgt-backend-<kind>)
 * and the core (side A of the link). */
#ifndef MTGT_TEST_BE_HARNESS_H
#define MTGT_TEST_BE_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/link.h"
#include "shm/pool.h"

#define H_MAX_DEVS 4

struct h_dev {
	int      fd;            /* -1 for null */
	uint64_t size;
	bool     readonly;
};

struct harness {
	pid_t pid;
	int   ctl;
	struct pool pool;
	struct pool_alloc alloc;
	struct link link;
	int   memfd;
	size_t len;
	int   efd_a, efd_b;
	uint32_t ndevs;
	struct h_dev devs[H_MAX_DEVS];
	uint64_t next_tag;
};

/* Start a backend; `config` is a JSON object text or NULL. Returns 0. */
int  h_start(struct harness *h, const char *kind, const struct h_dev *devs,
	     uint32_t ndevs, uint32_t entries, const char *config);
/* Kill (if still running) and release everything. */
void h_stop(struct harness *h);

/* Queue one MSG_IO (waits for ring space up to 5 s); publish with h_publish. */
int  h_queue(struct harness *h, uint8_t op, uint32_t dev, uint64_t off, uint64_t len,
	     const struct buf_handle *buf, uint8_t flags, uint64_t tag);
void h_publish(struct harness *h);
/* Next completion, waiting up to timeout_ms; 1 got one, 0 timeout, <0 error. */
int  h_reap(struct harness *h, union msg *out, int timeout_ms);
/* Submit one I/O and wait for its completion; returns result, sets *len. */
int  h_io(struct harness *h, uint8_t op, uint32_t dev, uint64_t off, uint64_t len,
	  const struct buf_handle *buf, uint8_t flags, uint32_t *done_len);

/* Next control message of `type` within timeout_ms (others skipped): 1, 0. */
int  h_ctl_expect(struct harness *h, uint32_t type, char **payload, int timeout_ms);
/* Wait for the process to exit; returns its exit status or -1 on timeout. */
int  h_wait_exit(struct harness *h, int timeout_ms);

void *h_buf(struct harness *h, const struct buf_handle *b);

#endif
