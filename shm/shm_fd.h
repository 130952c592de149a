/* Sealed memfds for shared memory between processes that do not trust each
 * other: the size is sealed, so no peer can shrink a mapping into SIGBUS. */
#ifndef MTGT_SHM_FD_H
#define MTGT_SHM_FD_H

#include <stdint.h>

/* Create a memfd of `size` bytes, sealed against shrink, grow and re-sealing. */
int shm_memfd_create(const char *name, uint64_t size);
/* A store that may grow but never shrink under its mappings (ram LUNs, which
 * can be resized: a shrink punches the tail out instead of cutting it). */
int shm_memfd_create_growable(const char *name, uint64_t size);
/* The same on 2 MiB huge pages when enough are free now (fewer TLB misses on
 * the data path), else on normal pages. */
int shm_memfd_create_huge(const char *name, uint64_t size);
/* Check that fd is a memfd of at least `size` bytes sealed against shrinking. */
int shm_fd_check(int fd, uint64_t size);

#endif
