/* The data pool: one memfd divided into arenas, one per frontend instance and
 * one for the core. A frontend maps only its own arena; core and backends map
 * the whole pool. Buffers are named by buf_handle {arena, offset, length}, and
 * every handle received from a peer is checked before it is dereferenced.
 *
 * Allocation: only the owner of an arena allocates in it (a frontend in its
 * arena, the core in its own), so the allocator is private memory, never shared.
 */
#ifndef MTGT_SHM_POOL_H
#define MTGT_SHM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/msg.h"

#define POOL_MAX_ARENAS 64
#define POOL_PAGE       4096u

struct pool_arena {
	uint64_t offset;   /* in the memfd, page aligned */
	uint64_t size;     /* page multiple, < 4 GiB */
	uint8_t *base;     /* mapping, or NULL when this process may not see it */
};

struct pool {
	int      fd;
	uint64_t size;
	uint32_t narenas;
	struct pool_arena arenas[POOL_MAX_ARENAS];
	void    *map;      /* whole-pool mapping (core, backends) or NULL */
};

/* Supervisor: create the sealed memfd holding `narenas` arenas of the given
 * sizes. Fills p (nothing mapped). */
int pool_create(struct pool *p, uint32_t narenas, const uint64_t *sizes);

/* Children: describe the pool (from the init message), then map. */
int pool_set_layout(struct pool *p, int fd, uint64_t size, uint32_t narenas,
		    const uint64_t *offsets, const uint64_t *sizes);
int pool_map_all(struct pool *p);
int pool_map_arena(struct pool *p, uint32_t arena);
void pool_unmap(struct pool *p);

/* Pointer to a handle's bytes, or NULL if the handle is malformed, out of its
 * arena or names an arena this process does not map. */
void *pool_ptr(const struct pool *p, const struct buf_handle *h);
/* The same check without the pointer. */
bool pool_handle_valid(const struct pool *p, const struct buf_handle *h);

/* First-fit page allocator for one arena (private to the arena's owner). */
struct pool_alloc {
	uint32_t  arena;
	uint32_t  npages;
	uint32_t  free_pages;
	uint32_t  hint;
	uint64_t *bitmap;  /* 1 = used */
};

int  pool_alloc_init(struct pool_alloc *a, const struct pool *p, uint32_t arena);
void pool_alloc_fini(struct pool_alloc *a);
/* Allocate `len` bytes (rounded up to pages; len 0 gives an empty handle).
 * Returns 0, -ENOMEM when no contiguous run is free now (wait and retry), or
 * -E2BIG when the request can never fit. */
int  pool_alloc(struct pool_alloc *a, uint32_t len, struct buf_handle *out);
void pool_free(struct pool_alloc *a, const struct buf_handle *h);

#endif
