/* Single-producer single-consumer ring in shared memory.
 *
 * The ring's memory is a region of a memfd created by the supervisor; the two
 * ends live in different processes that may die at any instruction, so:
 *  - each end writes only its own cache line (producer: tail and its
 *    NEED_WAKEUP flag; consumer: head and its flag), 128 bytes apart;
 *  - indices are free-running uint32_t, published with release stores and read
 *    with acquire loads;
 *  - a consumer copies an entry out before looking at it (the peer may still
 *    scribble on shared memory) and checks every index it reads: a peer that
 *    publishes an impossible index is reported, never obeyed.
 *
 * Wakeups: a consumer about to sleep sets its NEED_WAKEUP flag, re-checks the
 * ring, then blocks on its eventfd. A producer publishes its tail once per
 * batch, issues a full fence, reads the flag and writes the eventfd only if it
 * was set. The same protocol runs the other way when a producer waits for
 * space in a full ring.
 */
#ifndef MTGT_SHM_RING_H
#define MTGT_SHM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/msg.h"

#define RING_MAGIC   0x4d54474eu /* "MTGN" */
#define RING_VERSION 1u
#define RING_LINE    128u        /* keeps adjacent-line prefetch from false sharing */

struct ring_shared {
	/* line 0: written once by the supervisor */
	uint32_t magic;
	uint32_t version;
	uint32_t entry_size;
	uint32_t entry_count;
	uint32_t prod_epoch;    /* informational; receivers trust the control channel */
	uint32_t cons_epoch;
	uint8_t  pad0[RING_LINE - 24];
	/* line 1: producer-owned */
	_Atomic uint32_t tail;
	_Atomic uint32_t prod_need_wakeup; /* producer sleeps until space frees */
	uint8_t  pad1[RING_LINE - 8];
	/* line 2: consumer-owned */
	_Atomic uint32_t head;
	_Atomic uint32_t cons_need_wakeup; /* consumer sleeps until entries arrive */
	uint8_t  pad2[RING_LINE - 8];
	/* entries follow */
};

#define RING_HDR_SIZE sizeof(struct ring_shared)

/* One iteration of a spin-wait: tells the CPU (and a hypervisor) we are polling. */
static inline void ring_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Private view of one end. */
struct ring {
	struct ring_shared *sh;
	uint8_t  *ents;
	uint32_t  count;
	uint32_t  mask;
	bool      producer;
	uint32_t  local;      /* producer: next tail; consumer: next head */
	uint32_t  published;  /* producer: tail last stored; consumer: head last stored */
	uint32_t  seen;       /* producer: last head read; consumer: last tail read */
	int       wake_fd;    /* eventfd that wakes the peer */
	uint32_t  my_epoch;   /* producer: stamped into every message */
	uint32_t  peer_epoch; /* consumer: messages with another epoch are stale */
	uint64_t  stale;      /* consumer: stale messages discarded */
	uint64_t  wakeups;    /* eventfd writes issued */
};

/* Bytes needed for a ring of `count` entries (count a power of two). */
size_t ring_bytes(uint32_t count);

/* Supervisor side: lay out an empty ring in `mem`. */
int ring_format(void *mem, size_t len, uint32_t count, uint32_t prod_epoch,
		uint32_t cons_epoch);

/* Attach one end to a formatted ring. Validates the header against `len`.
 * Returns 0 or -EPROTO. */
int ring_attach(struct ring *r, void *mem, size_t len, bool producer,
		int wake_fd, uint32_t my_epoch, uint32_t peer_epoch);

/* Take up the shared indices again, as ring_attach() does: for a process that
 * attached early and takes over an end another process ran meanwhile (live
 * upgrade). -EPROTO if they are impossible. */
int ring_resync(struct ring *r);

/* ---- producer ---- */

/* Next free entry (zeroed), or NULL if the ring is full. Sets *err to -EPROTO if
 * the consumer published an impossible head. The entry is not visible to the
 * consumer until ring_prod_push() and ring_prod_publish(). */
union msg *ring_prod_reserve(struct ring *r, int *err);
/* Stamp the epoch and make the reserved entry part of the next publication. */
void ring_prod_push(struct ring *r);
/* Publish everything pushed since the last publish; wakes the consumer if it
 * asked for it. Returns the number of entries published. */
uint32_t ring_prod_publish(struct ring *r);
/* About to wait for space: returns true if the caller may sleep (the consumer
 * will wake it), false if space appeared meanwhile. */
bool ring_prod_prepare_wait(struct ring *r);
void ring_prod_end_wait(struct ring *r);
/* Entries pushed but not yet consumed, as seen now. */
uint32_t ring_prod_inflight(struct ring *r);

/* ---- consumer ---- */

/* Copy the next message out. Returns 1 with *out filled, 0 if empty, -EPROTO if
 * the producer published an impossible tail. Messages with a stale epoch are
 * skipped (counted in r->stale). Slots are handed back by ring_cons_release()
 * (once per batch), and also whenever a pop finds the ring empty, so skipped
 * stale entries can never stay held. */
int ring_cons_pop(struct ring *r, union msg *out);
/* Hand consumed slots back to the producer (once per batch). */
void ring_cons_release(struct ring *r);
/* About to sleep: returns true if the caller may block on its eventfd. */
bool ring_cons_prepare_sleep(struct ring *r);
void ring_cons_end_sleep(struct ring *r);
/* Entries visible and not yet consumed. */
uint32_t ring_cons_pending(struct ring *r);

#endif
