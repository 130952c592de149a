/* A ring whose other end is hostile or broken: impossible indices are
 * reported (-EPROTO), never obeyed; a bad header refuses the attach; garbage
 * in shared memory after attach cannot move us out of bounds; stale-epoch
 * messages are dropped; the NEED_WAKEUP flags do what ring.h says.
 *
 * Rings live in exactly-sized heap buffers so the sanitizer build (make SAN=1)
 * catches any access outside them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/link.h"
#include "shm/ring.h"
#include "shm/shm_fd.h"

#define N 16u

struct pair {
	void *mem;
	size_t len;
	struct ring p, c;
	int efd_p, efd_c; /* wake the producer / the consumer */
};

static uint64_t rs = 0xdeadbeefcafef00dull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void pair_init(struct pair *x, uint32_t count, uint32_t pe, uint32_t ce)
{
	x->len = ring_bytes(count);
	x->mem = malloc(x->len);
	assert_non_null(x->mem);
	x->efd_p = eventfd(0, EFD_NONBLOCK);
	x->efd_c = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(ring_format(x->mem, x->len, count, pe, ce), 0);
	/* producer end writes efd_c to wake the consumer, and back */
	assert_int_equal(ring_attach(&x->p, x->mem, x->len, true, x->efd_c, pe, ce), 0);
	assert_int_equal(ring_attach(&x->c, x->mem, x->len, false, x->efd_p, ce, pe), 0);
}

static void pair_fini(struct pair *x)
{
	free(x->mem);
	close(x->efd_p);
	close(x->efd_c);
}

static int push(struct ring *r, uint64_t tag)
{
	int err;
	union msg *m = ring_prod_reserve(r, &err);

	if (!m)
		return err ? err : -ENOSPC;
	m->h.type = MSG_IO;
	m->h.tag = tag;
	ring_prod_push(r);
	return 0;
}

static uint64_t efd_read(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_basic_order_and_full(void **state)
{
	struct pair x;
	union msg m;

	pair_init(&x, N, 1, 2);
	for (uint64_t i = 0; i < N; i++)
		assert_int_equal(push(&x.p, i), 0);
	assert_int_equal(push(&x.p, 99), -ENOSPC);
	/* nothing visible before publish */
	assert_int_equal(ring_cons_pop(&x.c, &m), 0);
	assert_int_equal(ring_prod_publish(&x.p), N);
	assert_int_equal(ring_cons_pending(&x.c), N);
	for (uint64_t i = 0; i < N; i++) {
		assert_int_equal(ring_cons_pop(&x.c, &m), 1);
		assert_int_equal(m.h.tag, i);
		assert_int_equal(m.h.epoch, 1);
	}
	/* not released yet: still full for the producer */
	assert_int_equal(push(&x.p, 99), -ENOSPC);
	/* a pop that finds the ring empty hands the consumed slots back */
	assert_int_equal(ring_cons_pop(&x.c, &m), 0);
	assert_int_equal(ring_prod_inflight(&x.p), 0);
	assert_int_equal(push(&x.p, 100), 0);
	pair_fini(&x);
}

/* Indices wrap around 2^32 without a hiccup. */
static void test_index_wrap(void **state)
{
	struct pair x;
	union msg m;
	uint32_t start = UINT32_MAX - 40;

	x.len = ring_bytes(N);
	x.mem = malloc(x.len);
	x.efd_p = eventfd(0, EFD_NONBLOCK);
	x.efd_c = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(ring_format(x.mem, x.len, N, 1, 2), 0);
	atomic_store(&((struct ring_shared *)x.mem)->tail, start);
	atomic_store(&((struct ring_shared *)x.mem)->head, start);
	assert_int_equal(ring_attach(&x.p, x.mem, x.len, true, x.efd_c, 1, 2), 0);
	assert_int_equal(ring_attach(&x.c, x.mem, x.len, false, x.efd_p, 2, 1), 0);
	for (uint64_t i = 0; i < 200; i++) {
		assert_int_equal(push(&x.p, i), 0);
		ring_prod_publish(&x.p);
		assert_int_equal(ring_cons_pop(&x.c, &m), 1);
		assert_int_equal(m.h.tag, i);
		ring_cons_release(&x.c);
	}
	pair_fini(&x);
}

/* The producer publishes a tail the consumer must not believe. */
static void test_impossible_tail(void **state)
{
	struct pair x;
	union msg m;

	pair_init(&x, N, 1, 2);
	struct ring_shared *sh = x.mem;

	/* ahead by more than a ring */
	atomic_store(&sh->tail, N + 1);
	assert_int_equal(ring_cons_pop(&x.c, &m), -EPROTO);
	atomic_store(&sh->tail, UINT32_MAX / 2);
	assert_int_equal(ring_cons_pop(&x.c, &m), -EPROTO);
	/* legitimately 3 ahead, we consume 3, then the tail goes backwards */
	for (uint64_t i = 0; i < 3; i++)
		push(&x.p, i);
	ring_prod_publish(&x.p);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	atomic_store(&sh->tail, 1);
	assert_int_equal(ring_cons_pop(&x.c, &m), -EPROTO);
	atomic_store(&sh->tail, UINT32_MAX); /* "-1": behind everything */
	assert_int_equal(ring_cons_pop(&x.c, &m), -EPROTO);
	/* exactly a full ring ahead of the released head is fine (the
	 * entries themselves are old, so some are dropped as stale) */
	ring_cons_release(&x.c);
	atomic_store(&sh->tail, 3 + N);
	int k = 0, rc;

	while ((rc = ring_cons_pop(&x.c, &m)) == 1)
		k++;
	assert_int_equal(rc, 0);
	assert_int_equal(k + (int)x.c.stale, N);
	pair_fini(&x);
}

/* The consumer publishes a head the producer must not believe. */
static void test_impossible_head(void **state)
{
	struct pair x;
	struct ring_shared *sh;
	union msg m;
	int err;

	pair_init(&x, N, 1, 2);
	sh = x.mem;
	for (uint64_t i = 0; i < N; i++)
		assert_int_equal(push(&x.p, i), 0);
	ring_prod_publish(&x.p);
	/* head beyond anything published */
	atomic_store(&sh->head, N + 5);
	assert_null(ring_prod_reserve(&x.p, &err));
	assert_int_equal(err, -EPROTO);
	/* head moving backwards */
	atomic_store(&sh->head, UINT32_MAX - 3);
	assert_null(ring_prod_reserve(&x.p, &err));
	assert_int_equal(err, -EPROTO);
	/* and a sane head works again */
	atomic_store(&sh->head, 4);
	assert_non_null(ring_prod_reserve(&x.p, &err));
	assert_int_equal(err, 0);
	(void)m;
	pair_fini(&x);
}

/* Random garbage in every index, many times over: the consumer returns
 * -EPROTO or messages from inside the ring, never anything else. Under
 * ASan any read outside the buffer aborts the test. */
static void test_garbage_indices(void **state)
{
	struct pair x;

	pair_init(&x, N, 1, 2);
	struct ring_shared *sh = x.mem;

	for (uint32_t i = 0; i < N; i++)
		((union msg *)(x.c.ents + (size_t)i * RING_ENTRY_SIZE))->h.epoch = 1;
	for (int it = 0; it < 200000; it++) {
		union msg m;
		int rc, k = 0;

		switch (rnd() % 4) {
		case 0: atomic_store(&sh->tail, (uint32_t)rnd()); break;
		case 1: atomic_store(&sh->tail, x.c.published + (uint32_t)(rnd() % (3 * N))); break;
		case 2: atomic_store(&sh->tail, x.c.published - (uint32_t)(rnd() % (3 * N))); break;
		case 3: memset(x.c.ents + rnd() % (N * RING_ENTRY_SIZE), (int)rnd(), 1); break;
		}
		if (rnd() % 2)
			((struct ring_shared *)x.mem)->cons_need_wakeup = (uint32_t)rnd();
		while ((rc = ring_cons_pop(&x.c, &m)) == 1)
			assert_true(++k <= (int)N);
		assert_true(rc == 0 || rc == -EPROTO);
		if (rnd() % 3 == 0)
			ring_cons_release(&x.c);
		assert_true(ring_cons_pending(&x.c) <= N);
	}
	/* Garbage in the geometry after attach changes nothing: we use our
	 * private copy. */
	sh->entry_count = 1u << 30;
	sh->entry_size = 7;
	sh->magic = 0;
	ring_cons_release(&x.c);
	atomic_store(&sh->tail, x.c.published + N);
	uint64_t stale0 = x.c.stale;
	int k = 0, rc;
	union msg m;

	while ((rc = ring_cons_pop(&x.c, &m)) == 1)
		k++;
	assert_int_equal(rc, 0);
	assert_int_equal(k + (int)(x.c.stale - stale0), N);
	pair_fini(&x);
}

static void test_attach_rejects_bad_header(void **state)
{
	size_t len = ring_bytes(N);
	uint8_t *mem = malloc(len);
	struct ring r;

	/* one field wrong at a time */
	for (int k = 0; k < 9; k++) {
		struct ring_shared *sh = (struct ring_shared *)mem;
		size_t l = len;

		assert_int_equal(ring_format(mem, len, N, 1, 2), 0);
		switch (k) {
		case 0: sh->magic ^= 1; break;
		case 1: sh->version = 2; break;
		case 2: sh->entry_size = 64; break;
		case 3: sh->entry_count = 0; break;
		case 4: sh->entry_count = 1; break;
		case 5: sh->entry_count = 24; break;           /* not a power of two */
		case 6: sh->entry_count = 2 * N; break;        /* larger than the memory */
		case 7: sh->entry_count = 1u << 31; break;
		case 8: l = RING_HDR_SIZE - 1; break;          /* memory too small */
		}
		assert_int_equal(ring_attach(&r, mem, l, false, -1, 2, 1), -EPROTO);
		assert_int_equal(ring_attach(&r, mem, l, true, -1, 1, 2), -EPROTO);
	}
	/* producer attaching to a ring whose head is impossibly far behind */
	assert_int_equal(ring_format(mem, len, N, 1, 2), 0);
	atomic_store(&((struct ring_shared *)mem)->tail, 100);
	assert_int_equal(ring_attach(&r, mem, len, true, -1, 1, 2), -EPROTO);
	/* random bytes: refused, or (rarely) a geometry that fits */
	for (int it = 0; it < 100000; it++) {
		for (size_t i = 0; i < RING_HDR_SIZE; i += 8) {
			uint64_t v = rnd();

			memcpy(mem + i, &v, 8);
		}
		if (rnd() % 2) { /* often keep the magic to get past the first check */
			((struct ring_shared *)mem)->magic = RING_MAGIC;
			((struct ring_shared *)mem)->version = RING_VERSION;
			((struct ring_shared *)mem)->entry_size = RING_ENTRY_SIZE;
		}
		int rc = ring_attach(&r, mem, len, rnd() % 2, -1, 1, 2);

		if (rc == 0)
			assert_true(ring_bytes(r.count) <= len);
		else
			assert_int_equal(rc, -EPROTO);
	}
	free(mem);
}

static void test_link_attach_rejects(void **state)
{
	struct link l;
	size_t len;
	int fd, efd = eventfd(0, EFD_NONBLOCK);
	void *m;

	assert_int_equal(link_create(64, 1, 2, &fd, &len), 0);
	assert_int_equal(link_attach(&l, 0, fd, len, LINK_SIDE_A, efd, efd, 1, 2), 0);
	link_detach(&l);
	/* a length that does not match the memfd / geometry */
	assert_int_equal(link_attach(&l, 0, fd, len * 4, LINK_SIDE_A, efd, efd, 1, 2), -EPROTO);
	assert_int_equal(link_attach(&l, 0, fd, 4096, LINK_SIDE_A, efd, efd, 1, 2), -EPROTO);
	/* garbage in the first ring's header */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	((struct ring_shared *)m)->entry_count = 1000;
	assert_int_equal(link_attach(&l, 0, fd, len, LINK_SIDE_B, efd, efd, 2, 1), -EPROTO);
	((struct ring_shared *)m)->entry_count = 64;
	((struct ring_shared *)m)->magic = 0x12345678;
	assert_int_equal(link_attach(&l, 0, fd, len, LINK_SIDE_B, efd, efd, 2, 1), -EPROTO);
	((struct ring_shared *)m)->magic = RING_MAGIC;
	/* and in the second one */
	((struct ring_shared *)((uint8_t *)m + len / 2))->version = 99;
	assert_int_equal(link_attach(&l, 0, fd, len, LINK_SIDE_A, efd, efd, 1, 2), -EPROTO);
	munmap(m, len);
	close(fd);
	/* an unsealed memfd could be shrunk under us: refused */
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(link_attach(&l, 0, fd, len, LINK_SIDE_A, efd, efd, 1, 2), -EPROTO);
	close(fd);
	close(efd);
}

/* Messages from a previous incarnation of the peer are skipped and counted. */
static void test_stale_epoch(void **state)
{
	struct pair x;
	struct ring old;
	union msg m;

	pair_init(&x, N, 5, 9);
	/* a producer end with the dead incarnation's epoch, same memory */
	assert_int_equal(ring_attach(&old, x.mem, x.len, true, -1, 4, 9), 0);
	assert_int_equal(push(&old, 1000), 0);
	assert_int_equal(push(&old, 1001), 0);
	ring_prod_publish(&old);
	assert_int_equal(ring_attach(&x.p, x.mem, x.len, true, x.efd_c, 5, 9), 0);
	assert_int_equal(push(&x.p, 1), 0);
	ring_prod_publish(&x.p);
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	assert_int_equal(m.h.tag, 1);
	assert_int_equal(x.c.stale, 2);
	/* a forged epoch in the middle of good traffic */
	assert_int_equal(push(&x.p, 2), 0);
	assert_int_equal(push(&x.p, 3), 0);
	assert_int_equal(push(&x.p, 4), 0);
	((union msg *)(x.p.ents + (size_t)((x.p.local - 2) & x.p.mask) * RING_ENTRY_SIZE))->h.epoch = 77;
	ring_prod_publish(&x.p);
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	assert_int_equal(m.h.tag, 2);
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	assert_int_equal(m.h.tag, 4);
	assert_int_equal(ring_cons_pop(&x.c, &m), 0);
	assert_int_equal(x.c.stale, 3);
	pair_fini(&x);
}

/* NEED_WAKEUP: the producer writes the eventfd only when the consumer armed
 * it, once per batch; arming with work pending is refused. Same the other way. */
static void test_wakeup_flags(void **state)
{
	struct pair x;
	union msg m;

	pair_init(&x, N, 1, 2);
	/* consumer not sleeping: no eventfd write */
	push(&x.p, 0);
	push(&x.p, 1);
	ring_prod_publish(&x.p);
	assert_int_equal(efd_read(x.efd_c), 0);
	assert_int_equal(x.p.wakeups, 0);
	/* work pending: may not sleep */
	assert_false(ring_cons_prepare_sleep(&x.c));
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	ring_cons_release(&x.c);
	assert_true(ring_cons_prepare_sleep(&x.c));
	/* a batch of three: one wakeup */
	push(&x.p, 2);
	push(&x.p, 3);
	push(&x.p, 4);
	ring_prod_publish(&x.p);
	assert_int_equal(efd_read(x.efd_c), 1);
	assert_int_equal(x.p.wakeups, 1);
	ring_cons_end_sleep(&x.c);
	push(&x.p, 5);
	ring_prod_publish(&x.p);
	assert_int_equal(efd_read(x.efd_c), 0);

	/* producer side: not full -> may not wait */
	assert_false(ring_prod_prepare_wait(&x.p));
	while (push(&x.p, 9) == 0)
		;
	ring_prod_publish(&x.p);
	assert_true(ring_prod_prepare_wait(&x.p));
	/* a release with the producer waiting wakes it, once */
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	ring_cons_release(&x.c);
	assert_int_equal(efd_read(x.efd_p), 1);
	assert_int_equal(x.c.wakeups, 1);
	ring_prod_end_wait(&x.p);
	assert_int_equal(ring_cons_pop(&x.c, &m), 1);
	ring_cons_release(&x.c);
	assert_int_equal(efd_read(x.efd_p), 0);
	pair_fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_order_and_full),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_impossible_tail),
		cmocka_unit_test(test_impossible_head),
		cmocka_unit_test(test_garbage_indices),
		cmocka_unit_test(test_attach_rejects_bad_header),
		cmocka_unit_test(test_link_attach_rejects),
		cmocka_unit_test(test_stale_epoch),
		cmocka_unit_test(test_wakeup_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
