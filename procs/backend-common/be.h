/* Backend framework: what every mtgt-backend-<kind> process shares.
 *
 * The framework owns the child runtime (CTL_INIT, control channel), the
 * device table, the links to the core (this process is side B: it consumes
 * MSG_IO and produces MSG_IO_DONE), message validation, batching, back-pressure
 * and the spin-then-sleep wait. A backend kind only supplies a small ops table
 * that starts I/O on a device and reports it finished.
 *
 * Back-pressure rule: a submission is taken off a link only when a completion
 * slot is guaranteed for it, i.e. taken-but-not-yet-published completions never
 * exceed the free space of the completion ring. So a slow core fills its own
 * submission ring and stops; nothing is ever dropped and no queue grows without
 * bound.
 */
#ifndef MTGT_BE_H
#define MTGT_BE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <jansson.h>

#include "common/hist.h"
#include "shm/msg.h"
#include "shm/pool.h"

#define BE_MAX_DEVS      4096
#define BE_DEF_QD        128     /* I/Os in flight per process */
#define BE_MAX_QD        4096
/* Idle policy (be_loop.c, be_run). After the last I/O the loop polls for
 * BE_DEF_POLL_US, yielding the CPU on every idle pass, then sleeps.
 * Optionally it first spins `spin` passes with `pause`, yielding every
 * `yield`-th. Measured on the 2-vCPU bench machines (perf sched timehist,
 * QD1 4 KiB reads through iSCSI, all of the target on one CPU): the former
 * default, 1000 pause passes with a yield every 16, kept the CPU 15-20 us
 * after the frontend had been woken for the next command (a woken task does
 * not preempt a spinner under EEVDF), a third of each round trip; yielding
 * on every pass hands it over at once (QD1 17-20K -> 20-21K IOPS). Sleeping
 * at once instead makes every command from the core a wakeup, across CPUs
 * an IPI of 15-30 us there. */
#define BE_DEF_SPIN      0
#define BE_DEF_YIELD     16
#define BE_DEF_POLL_US   200
#define BE_DEF_BATCH     64      /* submissions taken per link per pass */

struct be;
struct be_link;

struct be_dev {
	uint32_t index;
	bool     present;
	int      fd;            /* -1 when the kind needs none (null) */
	uint64_t size;          /* bytes */
	uint32_t block_size;
	bool     readonly;      /* writes fail with -EROFS, never reach the kind */
	bool     direct;        /* "direct": the fd was opened with O_DIRECT */
	uint32_t phys_block_size; /* "physical_block_size" (>= block_size) */
	char    *path;          /* for logs only */
	void    *priv;          /* the kind's per-device state */
};

/* One I/O taken from a link; lives in a fixed slot until its completion is
 * published. Fields below `req` are the kind's scratch space. */
struct be_io {
	struct msg_io   req;    /* validated copy of the submission */
	void           *buf;    /* pool bytes for READ/WRITE (req.length of them) */
	struct be_dev  *dev;
	struct be_link *link;
	uint64_t        t0_ns;  /* taken from the ring, for the latency histogram */
	int32_t         result; /* set by be_io_done */
	uint8_t         done_flags; /* IO_DONE h.flags (MSG_IO_DONE_UNMAPPED) */
	uint32_t        length;
	struct be_io   *next;   /* free list / done queue */
	/* kind scratch */
	uint64_t        done;   /* bytes transferred so far */
	int             stage;
	struct iovec    iov;
};

struct be_ops {
	const char *kind;
	bool needs_fd;          /* every device must come with an fd */
	/* After the pool is mapped, before any device is opened; may set
	 * b->completion_fd. */
	int  (*setup)(struct be *b);
	int  (*dev_open)(struct be *b, struct be_dev *d);
	void (*dev_close)(struct be *b, struct be_dev *d);
	/* Start one validated I/O. Finish it with be_io_done(), now or later
	 * from poll(). */
	void (*submit)(struct be *b, struct be_io *io);
	/* End of a batch: hand queued work to the kernel (optional). */
	void (*flush)(struct be *b);
	/* Reap finished asynchronous I/O without blocking; returns how many
	 * events were handled (optional). */
	int  (*poll)(struct be *b);
	void (*teardown)(struct be *b);
	/* MSG_IO_LBA_STATUS, answered synchronously (optional: without it every
	 * block is reported mapped). Sets *run (> 0, <= len, whole blocks) and
	 * *unmapped for the run from off; returns 0 or -errno. */
	int  (*lba_status)(struct be *b, struct be_dev *d, uint64_t off, uint64_t len,
			   uint64_t *run, bool *unmapped);
	/* CTL_LUN_RESIZE (optional): the store now holds `size` bytes (grown
	 * by the supervisor, or to be shrunk by the kind); d->size is still
	 * the old size. Nonzero keeps the old size. */
	int  (*dev_resize)(struct be *b, struct be_dev *d, uint64_t size);
};

/* lba_status for a store whose holes are file holes (file, memfd): SEEK_DATA
 * and SEEK_HOLE; a store that cannot tell reports everything mapped. */
int be_lba_status_seek(int fd, uint32_t block_size, uint64_t off, uint64_t len,
		       uint64_t *run, bool *unmapped);

/* Tunables (CTL_INIT "config": {"spin": N, "yield": N, "queue_depth": N,
 * "batch": N}). */
struct be_tune {
	uint32_t spin;          /* idle passes before sleeping */
	uint32_t yield;         /* sched_yield() every N idle passes (0: never) */
	uint32_t poll_us;       /* then poll, yielding every pass, this long */
	uint32_t queue_depth;
	uint32_t batch;
};

struct be_stats {
	uint64_t ios;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;
	uint64_t violations;
	uint64_t sleeps;
	uint64_t batches;
	uint64_t bytes_copied;  /* payload bytes memcpy'd (bounce buffers) */
	struct hist lat;        /* taken to done, microseconds */
};

/* Validate a message received from the core. Returns 0 and sets *buf (NULL
 * unless READ/WRITE with a length) and *dev, or -EPROTO with *reason set.
 * `devs` is indexed by device number, `ndevs` entries. */
int be_io_check(const union msg *m, struct be_dev *devs, uint32_t ndevs,
		const struct pool *pool, struct be_dev **dev, void **buf,
		const char **reason);

/* Parse the "devices" array of CTL_INIT into devs[], indexed by "dev";
 * *ndevs is one past the highest index. Returns 0 or -EINVAL with *reason. */
int be_devs_parse(const json_t *arr, bool needs_fd, struct be_dev *devs,
		  uint32_t max, uint32_t *ndevs, const char **reason);
void be_devs_free(struct be_dev *devs, uint32_t ndevs);

/* Finish an I/O: result 0 or -errno, length bytes transferred. */
void be_io_done(struct be *b, struct be_io *io, int32_t result, uint32_t length);

/* IO_DONE.length of a successful I/O: the bytes of the device it covered
 * (READ, WRITE, WRITE_ZEROES, UNMAP; saturating, since the field is 32 bits
 * and a zeroing range need not be), 0 for FLUSH. */
static inline uint32_t be_io_span(const struct be_io *io)
{
	if (io->req.op == MSG_IO_FLUSH)
		return 0;
	return io->req.length > UINT32_MAX ? UINT32_MAX : (uint32_t)io->req.length;
}

/* The kind's private state (set in setup). */
void *be_priv(struct be *b);
void  be_set_priv(struct be *b, void *priv);
/* An eventfd the kind's completions signal, folded into the process's wait. */
void  be_set_completion_fd(struct be *b, int fd);
const struct pool *be_pool(struct be *b);
/* The "config" object of CTL_INIT (never NULL), for kind-specific knobs. */
const json_t *be_config(struct be *b);
const struct be_tune *be_tune(struct be *b);
/* Payload bytes the kind copied between buffers (CTL_STATS "bytes_copied"):
 * the zero-copy path keeps this at 0. */
void  be_count_copy(struct be *b, uint64_t bytes);
/* What the kind's I/O engine needs from the sandbox beyond the framework's
 * list: extra syscalls (ended by -1) and whether it has an io_uring. Without a
 * call the process is sandboxed as an io_uring user. */
void  be_set_sandbox(struct be *b, const int *syscalls, bool io_uring);
/* The I/O engine's name for CTL_STATS ("engine"), e.g. "io_uring". */
void  be_set_engine_name(struct be *b, const char *name);

/* The whole process: init, serve until CTL_SHUTDOWN, exit. */
int be_main(int argc, char **argv, const struct be_ops *ops);

#endif
