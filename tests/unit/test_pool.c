/* The data pool: layout checks, handle validation (every handle from a peer
 * goes through pool_ptr) and the per-arena page allocator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/pool.h"
#include "shm/shm_fd.h"

static uint64_t rs = 0x0123456789abcdefull;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void make_pool(struct pool *p, uint32_t n, const uint64_t *sizes)
{
	assert_int_equal(pool_create(p, n, sizes), 0);
	assert_int_equal(pool_map_all(p), 0);
}

static void free_pool(struct pool *p)
{
	pool_unmap(p);
	close(p->fd);
}

static void test_create_layout(void **state)
{
	uint64_t sizes[3] = { 1 << 20, 5000, 4096 };
	struct pool p, q;
	uint64_t offs[3], sz[3];

	make_pool(&p, 3, sizes);
	assert_int_equal(p.narenas, 3);
	assert_int_equal(p.arenas[1].size, 8192); /* rounded up to pages */
	assert_int_equal(p.arenas[1].offset, 1 << 20);
	assert_int_equal(p.size, (1 << 20) + 8192 + 4096);
	for (int i = 0; i < 3; i++) {
		offs[i] = p.arenas[i].offset;
		sz[i] = p.arenas[i].size;
	}
	/* a child describing the same pool */
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, 3, offs, sz), 0);
	assert_int_equal(pool_map_arena(&q, 1), 0);
	assert_null(q.arenas[0].base);
	assert_non_null(q.arenas[1].base);
	/* the arenas are the same memory */
	memset(p.arenas[1].base, 0x5A, 8192);
	assert_int_equal(q.arenas[1].base[8191], 0x5A);
	pool_unmap(&q);

	/* bad layouts */
	uint64_t o2[3] = { 0, 100, 8192 };        /* unaligned offset */
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, 3, o2, sz), -EINVAL);
	uint64_t s2[3] = { 1 << 20, 8192, 8192 }; /* runs past the end */
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, 3, offs, s2), -EINVAL);
	uint64_t s3[3] = { 1 << 20, 0, 4096 };    /* empty arena */
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, 3, offs, s3), -EINVAL);
	/* claims more memory than the memfd holds */
	uint64_t o4[1] = { 0 }, s4[1] = { 1ull << 22 };
	assert_int_equal(pool_set_layout(&q, p.fd, 1ull << 22, 1, o4, s4), -EPROTO);
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, 0, offs, sz), -EINVAL);
	assert_int_equal(pool_set_layout(&q, p.fd, p.size, POOL_MAX_ARENAS + 1, offs, sz),
			 -EINVAL);
	/* an unsealed memfd could be shrunk under us */
	int fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, (off_t)p.size), 0);
	assert_int_equal(pool_set_layout(&q, fd, p.size, 3, offs, sz), -EPROTO);
	close(fd);
	/* creation refuses arenas of 4 GiB or more */
	uint64_t big[1] = { 1ull << 32 };
	assert_int_equal(pool_create(&q, 1, big), -EINVAL);
	free_pool(&p);
}

static void test_handle_validation(void **state)
{
	uint64_t sizes[2] = { 1 << 20, 1 << 16 };
	struct pool p, fe;
	struct buf_handle h;
	uint64_t offs[2], sz[2];

	make_pool(&p, 2, sizes);
	h = (struct buf_handle){ .arena = 1, .offset = 4096, .length = 8192 };
	assert_ptr_equal(pool_ptr(&p, &h), p.arenas[1].base + 4096);
	assert_true(pool_handle_valid(&p, &h));
	/* the last byte of an arena */
	h = (struct buf_handle){ .arena = 1, .offset = (1 << 16) - 1, .length = 1 };
	assert_non_null(pool_ptr(&p, &h));
	h = (struct buf_handle){ .arena = 0, .offset = 0, .length = 1 << 20 };
	assert_non_null(pool_ptr(&p, &h));
	/* out of the arena (but inside the pool: the next arena's memory) */
	h = (struct buf_handle){ .arena = 0, .offset = (1 << 20) - 4096, .length = 8192 };
	assert_null(pool_ptr(&p, &h));
	assert_false(pool_handle_valid(&p, &h));
	h = (struct buf_handle){ .arena = 1, .offset = 1 << 16, .length = 1 };
	assert_null(pool_ptr(&p, &h));
	/* offset + length overflows 32 bits */
	h = (struct buf_handle){ .arena = 0, .offset = UINT32_MAX, .length = 2 };
	assert_null(pool_ptr(&p, &h));
	h = (struct buf_handle){ .arena = 0, .offset = 4096, .length = UINT32_MAX };
	assert_null(pool_ptr(&p, &h));
	h = (struct buf_handle){ .arena = 0, .offset = UINT32_MAX - 4095, .length = 8192 };
	assert_null(pool_ptr(&p, &h));
	/* wrong arena */
	h = (struct buf_handle){ .arena = 2, .offset = 0, .length = 4096 };
	assert_null(pool_ptr(&p, &h));
	h = (struct buf_handle){ .arena = UINT32_MAX, .offset = 0, .length = 4096 };
	assert_null(pool_ptr(&p, &h));
	h = (struct buf_handle){ .arena = POOL_MAX_ARENAS, .offset = 0, .length = 1 };
	assert_null(pool_ptr(&p, &h));
	/* reserved must be zero */
	h = (struct buf_handle){ .arena = 0, .offset = 0, .length = 4096, .reserved = 1 };
	assert_null(pool_ptr(&p, &h));
	h.reserved = 0x80000000u;
	assert_null(pool_ptr(&p, &h));

	/* a frontend mapping only its own arena cannot name the others */
	for (int i = 0; i < 2; i++) {
		offs[i] = p.arenas[i].offset;
		sz[i] = p.arenas[i].size;
	}
	assert_int_equal(pool_set_layout(&fe, p.fd, p.size, 2, offs, sz), 0);
	assert_int_equal(pool_map_arena(&fe, 1), 0);
	h = (struct buf_handle){ .arena = 0, .offset = 0, .length = 4096 };
	assert_null(pool_ptr(&fe, &h));
	h.arena = 1;
	assert_ptr_equal(pool_ptr(&fe, &h), fe.arenas[1].base);
	pool_unmap(&fe);

	/* random handles: valid exactly when inside a mapped arena */
	for (int it = 0; it < 1000000; it++) {
		h.arena = (uint32_t)(rnd() % 4);
		h.offset = (uint32_t)(rnd() % 3 ? rnd() % (2u << 20) : rnd());
		h.length = (uint32_t)(rnd() % 3 ? rnd() % (2u << 20) : rnd());
		h.reserved = rnd() % 16 ? 0 : (uint32_t)rnd();
		bool want = h.arena < 2 && !h.reserved &&
			    (uint64_t)h.offset + h.length <= p.arenas[h.arena].size;
		uint8_t *ptr = pool_ptr(&p, &h);

		assert_int_equal(ptr != NULL, want);
		if (ptr) {
			assert_true(ptr >= p.arenas[h.arena].base);
			assert_true(ptr + h.length <= p.arenas[h.arena].base + p.arenas[h.arena].size);
		}
	}
	free_pool(&p);
}

static void test_alloc_basic(void **state)
{
	uint64_t sizes[2] = { 1 << 16, 16 * 4096 };
	struct pool p;
	struct pool_alloc a;
	struct buf_handle h[16], x;

	make_pool(&p, 2, sizes);
	assert_int_equal(pool_alloc_init(&a, &p, 1), 0);
	assert_int_equal(a.npages, 16);
	assert_int_equal(pool_alloc_init(&(struct pool_alloc){ 0 }, &p, 2), -EINVAL);

	/* zero length: an empty handle, no pages */
	assert_int_equal(pool_alloc(&a, 0, &x), 0);
	assert_int_equal(x.length, 0);
	assert_int_equal(x.arena, 1);
	assert_int_equal(a.free_pages, 16);
	/* never fits */
	assert_int_equal(pool_alloc(&a, 16 * 4096 + 1, &x), -E2BIG);
	assert_int_equal(pool_alloc(&a, UINT32_MAX, &x), -E2BIG);
	/* the whole arena */
	assert_int_equal(pool_alloc(&a, 16 * 4096, &x), 0);
	assert_true(pool_handle_valid(&p, &x));
	assert_int_equal(pool_alloc(&a, 1, &h[0]), -ENOMEM);
	pool_free(&a, &x);
	assert_int_equal(a.free_pages, 16);

	/* 16 single pages, all distinct, exhaust the arena */
	for (int i = 0; i < 16; i++) {
		assert_int_equal(pool_alloc(&a, 100 + (uint32_t)i, &h[i]), 0);
		assert_int_equal(h[i].length, 100 + (uint32_t)i);
		assert_int_equal(h[i].offset % 4096, 0);
		assert_true(pool_handle_valid(&p, &h[i]));
		for (int k = 0; k < i; k++)
			assert_int_not_equal(h[i].offset, h[k].offset);
	}
	assert_int_equal(pool_alloc(&a, 1, &x), -ENOMEM);
	/* fragmentation: every other page free, no two-page run */
	for (int i = 0; i < 16; i += 2)
		pool_free(&a, &h[i]);
	assert_int_equal(a.free_pages, 8);
	assert_int_equal(pool_alloc(&a, 8192, &x), -ENOMEM);
	/* free a neighbour: now a run of three exists */
	pool_free(&a, &h[5]);
	assert_int_equal(pool_alloc(&a, 3 * 4096, &x), 0);
	assert_true(x.offset == 4 * 4096);
	assert_int_equal(pool_alloc(&a, 4096, &h[5]), 0);
	/* a handle of another arena is not ours to free */
	struct buf_handle other = { .arena = 0, .offset = 0, .length = 4096 };
	uint32_t before = a.free_pages;
	pool_free(&a, &other);
	assert_int_equal(a.free_pages, before);
	/* nor one that runs past the arena */
	other = (struct buf_handle){ .arena = 1, .offset = 15 * 4096, .length = 8192 };
	pool_free(&a, &other);
	assert_int_equal(a.free_pages, before);
	pool_alloc_fini(&a);
	free_pool(&p);
}

/* Random allocations and frees against a shadow map: no overlap, accounting
 * exact, data in live buffers never disturbed by other allocations. */
static void test_alloc_random(void **state)
{
	enum { PAGES = 257, LIVE = 64 }; /* not a multiple of 64: tail bits */
	uint64_t sizes[1] = { (uint64_t)PAGES * 4096 };
	struct pool p;
	struct pool_alloc a;
	struct buf_handle live[LIVE];
	bool used[LIVE] = { false };
	uint8_t owner[PAGES];
	uint32_t free_pages = PAGES, nomem = 0, ok = 0;

	memset(owner, 0xff, sizeof(owner));
	make_pool(&p, 1, sizes);
	assert_int_equal(pool_alloc_init(&a, &p, 0), 0);
	for (int it = 0; it < 200000; it++) {
		int i = (int)(rnd() % LIVE);

		if (used[i]) {
			uint8_t *b = pool_ptr(&p, &live[i]);
			uint32_t first = live[i].offset / 4096;
			uint32_t n = (live[i].length + 4095) / 4096;

			/* our stamp survived everything since */
			for (uint32_t k = 0; k < live[i].length; k += 997)
				assert_int_equal(b[k], (uint8_t)i);
			for (uint32_t k = first; k < first + n; k++) {
				assert_int_equal(owner[k], i);
				owner[k] = 0xff;
			}
			pool_free(&a, &live[i]);
			free_pages += n;
			used[i] = false;
		} else {
			uint32_t len = 1 + (uint32_t)(rnd() % (rnd() % 8 ? 4 * 4096 : 40 * 4096));
			uint32_t n = (len + 4095) / 4096;
			int rc = pool_alloc(&a, len, &live[i]);

			if (rc == -ENOMEM) {
				nomem++;
				continue;
			}
			assert_int_equal(rc, 0);
			ok++;
			assert_true(pool_handle_valid(&p, &live[i]));
			uint32_t first = live[i].offset / 4096;

			assert_true(first + n <= PAGES);
			for (uint32_t k = first; k < first + n; k++) {
				assert_int_equal(owner[k], 0xff); /* no overlap */
				owner[k] = (uint8_t)i;
			}
			memset(pool_ptr(&p, &live[i]), i, len);
			free_pages -= n;
			used[i] = true;
		}
		assert_int_equal(a.free_pages, free_pages);
	}
	assert_true(ok > 10000);
	assert_true(nomem > 0);
	/* everything back: the whole arena is one run again */
	for (int i = 0; i < LIVE; i++)
		if (used[i])
			pool_free(&a, &live[i]);
	assert_int_equal(a.free_pages, PAGES);
	struct buf_handle all;
	assert_int_equal(pool_alloc(&a, PAGES * 4096, &all), 0);
	assert_int_equal(pool_alloc(&a, PAGES * 4096, &all), -ENOMEM);
	pool_alloc_fini(&a);
	free_pool(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_layout),
		cmocka_unit_test(test_handle_validation),
		cmocka_unit_test(test_alloc_basic),
		cmocka_unit_test(test_alloc_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
