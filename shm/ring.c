/* SPSC ring; see ring.h for the protocol. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "shm/ring.h"

static inline void ring_wake(int fd, uint64_t *count)
{
	uint64_t one = 1;
	/* An eventfd write only fails if the counter would overflow, which means
	 * the peer has a wakeup pending anyway. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) == sizeof(one))
		(*count)++;
}

size_t ring_bytes(uint32_t count)
{
	return RING_HDR_SIZE + (size_t)count * RING_ENTRY_SIZE;
}

int ring_format(void *mem, size_t len, uint32_t count, uint32_t prod_epoch,
		uint32_t cons_epoch)
{
	struct ring_shared *sh = mem;

	if (count < 2 || (count & (count - 1)) || len < ring_bytes(count))
		return -EINVAL;
	memset(mem, 0, ring_bytes(count));
	sh->magic = RING_MAGIC;
	sh->version = RING_VERSION;
	sh->entry_size = RING_ENTRY_SIZE;
	sh->entry_count = count;
	sh->prod_epoch = prod_epoch;
	sh->cons_epoch = cons_epoch;
	return 0;
}

int ring_attach(struct ring *r, void *mem, size_t len, bool producer,
		int wake_fd, uint32_t my_epoch, uint32_t peer_epoch)
{
	struct ring_shared *sh = mem;
	uint32_t count;

	memset(r, 0, sizeof(*r));
	if (len < RING_HDR_SIZE)
		return -EPROTO;
	/* Read the geometry once: the header is shared and could change under us. */
	count = *(volatile uint32_t *)&sh->entry_count;
	if (*(volatile uint32_t *)&sh->magic != RING_MAGIC ||
	    *(volatile uint32_t *)&sh->version != RING_VERSION ||
	    *(volatile uint32_t *)&sh->entry_size != RING_ENTRY_SIZE ||
	    count < 2 || (count & (count - 1)) || count > (1u << 24) ||
	    ring_bytes(count) > len)
		return -EPROTO;
	r->sh = sh;
	r->ents = (uint8_t *)mem + RING_HDR_SIZE;
	r->count = count;
	r->mask = count - 1;
	r->producer = producer;
	r->wake_fd = wake_fd;
	r->my_epoch = my_epoch;
	r->peer_epoch = peer_epoch;
	/* Resume from the shared indices: a restarted peer may attach to a ring
	 * whose other end kept running. */
	if (producer) {
		r->local = atomic_load_explicit(&sh->tail, memory_order_relaxed);
		r->seen = atomic_load_explicit(&sh->head, memory_order_acquire);
		if (r->local - r->seen > count)
			return -EPROTO;
	} else {
		r->local = atomic_load_explicit(&sh->head, memory_order_relaxed);
		r->seen = r->local;
	}
	r->published = r->local;
	return 0;
}

/* ---- producer ---- */

union msg *ring_prod_reserve(struct ring *r, int *err)
{
	union msg *m;

	*err = 0;
	if (r->local - r->seen >= r->count) {
		uint32_t head = atomic_load_explicit(&r->sh->head, memory_order_acquire);

		/* The consumer may only move head forward, and never past what we
		 * published. Anything else is a broken or hostile peer. */
		if (head - r->seen > r->published - r->seen) {
			*err = -EPROTO;
			return NULL;
		}
		r->seen = head;
		if (r->local - r->seen >= r->count)
			return NULL;
	}
	m = (union msg *)(r->ents + (size_t)(r->local & r->mask) * RING_ENTRY_SIZE);
	memset(m, 0, sizeof(*m));
	return m;
}

void ring_prod_push(struct ring *r)
{
	union msg *m = (union msg *)(r->ents + (size_t)(r->local & r->mask) * RING_ENTRY_SIZE);

	m->h.epoch = r->my_epoch;
	r->local++;
}

uint32_t ring_prod_publish(struct ring *r)
{
	uint32_t n = r->local - r->published;

	if (!n)
		return 0;
	atomic_store_explicit(&r->sh->tail, r->local, memory_order_release);
	r->published = r->local;
	/* The fence orders our tail store before the flag load; paired with the
	 * consumer's flag store / fence / tail re-check, one of us sees the other. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->sh->cons_need_wakeup, memory_order_relaxed))
		ring_wake(r->wake_fd, &r->wakeups);
	return n;
}

bool ring_prod_prepare_wait(struct ring *r)
{
	uint32_t head;

	atomic_store_explicit(&r->sh->prod_need_wakeup, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	if (r->local - head < r->count) {
		atomic_store_explicit(&r->sh->prod_need_wakeup, 0, memory_order_relaxed);
		return false;
	}
	return true;
}

void ring_prod_end_wait(struct ring *r)
{
	atomic_store_explicit(&r->sh->prod_need_wakeup, 0, memory_order_relaxed);
}

uint32_t ring_prod_inflight(struct ring *r)
{
	uint32_t head = atomic_load_explicit(&r->sh->head, memory_order_acquire);
	uint32_t n = r->local - head;

	return n > r->count ? r->count : n;
}

/* ---- consumer ---- */

int ring_cons_pop(struct ring *r, union msg *out)
{
	for (;;) {
		const uint8_t *slot;

		if (r->local == r->seen) {
			uint32_t tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);

			/* A producer can be at most a full ring ahead of what we
			 * released; the tail never moves backwards. */
			if (tail - r->published > r->count ||
			    tail - r->local > tail - r->published)
				return -EPROTO;
			r->seen = tail;
			if (r->local == r->seen) {
				/* Stale entries skipped in this call still hold slots;
				 * hand them back even if the caller got nothing. */
				ring_cons_release(r);
				return 0;
			}
		}
		slot = r->ents + (size_t)(r->local & r->mask) * RING_ENTRY_SIZE;
		memcpy(out, slot, sizeof(*out));
		r->local++;
		if (out->h.epoch == r->peer_epoch)
			return 1;
		r->stale++;
	}
}

void ring_cons_release(struct ring *r)
{
	if (r->local == r->published)
		return;
	atomic_store_explicit(&r->sh->head, r->local, memory_order_release);
	r->published = r->local;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->sh->prod_need_wakeup, memory_order_relaxed))
		ring_wake(r->wake_fd, &r->wakeups);
}

bool ring_cons_prepare_sleep(struct ring *r)
{
	uint32_t tail;

	atomic_store_explicit(&r->sh->cons_need_wakeup, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	if (tail != r->local) {
		atomic_store_explicit(&r->sh->cons_need_wakeup, 0, memory_order_relaxed);
		return false;
	}
	return true;
}

void ring_cons_end_sleep(struct ring *r)
{
	atomic_store_explicit(&r->sh->cons_need_wakeup, 0, memory_order_relaxed);
}

uint32_t ring_cons_pending(struct ring *r)
{
	uint32_t tail = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
	uint32_t n = tail - r->local;

	return n > r->count ? r->count : n;
}

int ring_resync(struct ring *r)
{
	if (r->producer) {
		r->local = atomic_load_explicit(&r->sh->tail, memory_order_relaxed);
		r->seen = atomic_load_explicit(&r->sh->head, memory_order_acquire);
		if (r->local - r->seen > r->count)
			return -EPROTO;
	} else {
		r->local = atomic_load_explicit(&r->sh->head, memory_order_relaxed);
		r->seen = r->local;
	}
	r->published = r->local;
	return 0;
}
