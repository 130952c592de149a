/* Durable APTPL state in a file the supervisor opened for the core: two slots,
 * each a checksummed header and payload with a generation number. A save
 * writes the slot not holding the newest good copy and syncs it, so a torn
 * write leaves the previous version readable. */
#ifndef MTGT_CORE_PR_STORE_H
#define MTGT_CORE_PR_STORE_H

#include <stddef.h>
#include <stdint.h>

#define PR_STORE_SLOT_SIZE (4u << 20)

/* Write payload as generation gen (slot gen & 1), then fdatasync. */
int pr_store_write(int fd, uint64_t gen, const void *payload, size_t len);
/* Read the newest intact slot. Returns 0 with *payload malloc'd (NUL
 * terminated) and *gen set, -ENOENT when no slot is intact, -errno on error. */
int pr_store_read(int fd, uint64_t *gen, char **payload, size_t *len);

#endif
