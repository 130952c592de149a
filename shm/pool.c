/* Data pool: sealed memfd, arenas, handle checks, and the per-arena allocator. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm/pool.h"
#include "shm/shm_fd.h"

int pool_create(struct pool *p, uint32_t narenas, const uint64_t *sizes)
{
	uint64_t off = 0;
	int fd;

	if (!narenas || narenas > POOL_MAX_ARENAS)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	for (uint32_t i = 0; i < narenas; i++) {
		uint64_t sz = (sizes[i] + POOL_PAGE - 1) & ~(uint64_t)(POOL_PAGE - 1);

		if (!sz || sz >= (1ull << 32))
			return -EINVAL;
		p->arenas[i].offset = off;
		p->arenas[i].size = sz;
		off += sz;
	}
	fd = shm_memfd_create_huge("mtgt-pool", off);
	if (fd < 0)
		return fd;
	p->fd = fd;
	p->size = off;
	p->narenas = narenas;
	return 0;
}

int pool_set_layout(struct pool *p, int fd, uint64_t size, uint32_t narenas,
		    const uint64_t *offsets, const uint64_t *sizes)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (!narenas || narenas > POOL_MAX_ARENAS)
		return -EINVAL;
	for (uint32_t i = 0; i < narenas; i++) {
		if ((offsets[i] | sizes[i]) & (POOL_PAGE - 1) || !sizes[i] ||
		    sizes[i] >= (1ull << 32) || offsets[i] > size ||
		    sizes[i] > size - offsets[i])
			return -EINVAL;
		p->arenas[i].offset = offsets[i];
		p->arenas[i].size = sizes[i];
	}
	/* The memfd is sealed against shrinking, so a mapping within its size can
	 * never fault with SIGBUS because a peer truncated it. */
	if (shm_fd_check(fd, size) < 0)
		return -EPROTO;
	p->fd = fd;
	p->size = size;
	p->narenas = narenas;
	return 0;
}

int pool_map_all(struct pool *p)
{
	void *m = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);

	if (m == MAP_FAILED)
		return -errno;
	p->map = m;
	for (uint32_t i = 0; i < p->narenas; i++)
		p->arenas[i].base = (uint8_t *)m + p->arenas[i].offset;
	return 0;
}

int pool_map_arena(struct pool *p, uint32_t arena)
{
	void *m;

	if (arena >= p->narenas)
		return -EINVAL;
	m = mmap(NULL, p->arenas[arena].size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 p->fd, (off_t)p->arenas[arena].offset);
	if (m == MAP_FAILED)
		return -errno;
	p->arenas[arena].base = m;
	return 0;
}

void pool_unmap(struct pool *p)
{
	if (p->map) {
		munmap(p->map, p->size);
	} else {
		for (uint32_t i = 0; i < p->narenas; i++)
			if (p->arenas[i].base)
				munmap(p->arenas[i].base, p->arenas[i].size);
	}
	p->map = NULL;
	for (uint32_t i = 0; i < p->narenas; i++)
		p->arenas[i].base = NULL;
}

bool pool_handle_valid(const struct pool *p, const struct buf_handle *h)
{
	const struct pool_arena *a;

	if (h->arena >= p->narenas || h->reserved)
		return false;
	a = &p->arenas[h->arena];
	if (!a->base)
		return false;
	return (uint64_t)h->offset + h->length <= a->size;
}

void *pool_ptr(const struct pool *p, const struct buf_handle *h)
{
	if (!pool_handle_valid(p, h))
		return NULL;
	return p->arenas[h->arena].base + h->offset;
}

/* ---- allocator ---- */

int pool_alloc_init(struct pool_alloc *a, const struct pool *p, uint32_t arena)
{
	memset(a, 0, sizeof(*a));
	if (arena >= p->narenas)
		return -EINVAL;
	a->arena = arena;
	a->npages = (uint32_t)(p->arenas[arena].size / POOL_PAGE);
	a->free_pages = a->npages;
	a->bitmap = calloc((a->npages + 63) / 64, sizeof(uint64_t));
	if (!a->bitmap)
		return -ENOMEM;
	/* Pages past the end of the last word are permanently "used". */
	for (uint32_t i = a->npages; i < ((a->npages + 63) / 64) * 64; i++)
		a->bitmap[i / 64] |= 1ull << (i % 64);
	return 0;
}

void pool_alloc_fini(struct pool_alloc *a)
{
	free(a->bitmap);
	a->bitmap = NULL;
}

static bool page_used(const struct pool_alloc *a, uint32_t i)
{
	return a->bitmap[i / 64] >> (i % 64) & 1;
}

static void mark(struct pool_alloc *a, uint32_t first, uint32_t n, bool used)
{
	for (uint32_t i = first; i < first + n; i++) {
		if (used)
			a->bitmap[i / 64] |= 1ull << (i % 64);
		else
			a->bitmap[i / 64] &= ~(1ull << (i % 64));
	}
}

/* Find `n` free pages in [from, to); returns the first page or UINT32_MAX. */
static uint32_t find_run(const struct pool_alloc *a, uint32_t from, uint32_t to,
			 uint32_t n)
{
	uint32_t i = from;

	while (i + n <= to) {
		uint32_t run = 0;

		/* Skip whole used words quickly. */
		if (i % 64 == 0 && a->bitmap[i / 64] == ~0ull) {
			i += 64;
			continue;
		}
		while (run < n && !page_used(a, i + run))
			run++;
		if (run == n)
			return i;
		i += run + 1;
	}
	return UINT32_MAX;
}

int pool_alloc(struct pool_alloc *a, uint32_t len, struct buf_handle *out)
{
	uint32_t n, first;

	memset(out, 0, sizeof(*out));
	out->arena = a->arena;
	if (!len)
		return 0;
	n = (uint32_t)(((uint64_t)len + POOL_PAGE - 1) / POOL_PAGE);
	if (n > a->npages)
		return -E2BIG;
	if (n > a->free_pages)
		return -ENOMEM;
	/* Next-fit from the hint keeps allocation cheap under steady load. */
	first = find_run(a, a->hint, a->npages, n);
	if (first == UINT32_MAX)
		first = find_run(a, 0, a->hint + n < a->npages ? a->hint + n : a->npages, n);
	if (first == UINT32_MAX)
		return -ENOMEM;
	mark(a, first, n, true);
	a->free_pages -= n;
	a->hint = first + n < a->npages ? first + n : 0;
	out->offset = first * POOL_PAGE;
	out->length = len;
	return 0;
}

void pool_free(struct pool_alloc *a, const struct buf_handle *h)
{
	uint32_t first, n;

	if (!h->length || h->arena != a->arena)
		return;
	first = h->offset / POOL_PAGE;
	n = (uint32_t)(((uint64_t)h->length + POOL_PAGE - 1) / POOL_PAGE);
	if (first >= a->npages || n > a->npages - first)
		return;
	/* Count only pages that were in use: a double free must not inflate
	 * the free count (the bitmap alone decides what is handed out). */
	for (uint32_t i = first; i < first + n; i++)
		if (page_used(a, i))
			a->free_pages++;
	mark(a, first, n, false);
}
