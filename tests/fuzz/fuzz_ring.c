/* libFuzzer: a consumer attached to a ring whose producer writes arbitrary
 * indices and entries must report -EPROTO or deliver entries, and never read
 * outside the ring. The input plays the hostile producer: each step sets the
 * shared tail (and may scribble on entries) before the consumer pops. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shm/ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { COUNT = 8 };
	size_t len = ring_bytes(COUNT);
	void *mem = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
	struct ring r;
	union msg m;

	ring_format(mem, len, COUNT, 1, 2);
	if (ring_attach(&r, mem, len, false, -1, 2, 1))
		abort();
	struct ring_shared *sh = mem;

	while (size >= 5) {
		uint32_t tail;
		uint8_t op = data[0];

		memcpy(&tail, data + 1, 4);
		data += 5;
		size -= 5;
		if (op & 1)
			atomic_store(&sh->tail, tail);
		else
			atomic_store(&sh->tail, r.published + (tail % (COUNT + 2)));
		if (op & 2 && size >= RING_ENTRY_SIZE) {
			memcpy((uint8_t *)mem + RING_HDR_SIZE + (op >> 5) % COUNT * RING_ENTRY_SIZE,
			       data, RING_ENTRY_SIZE);
			data += RING_ENTRY_SIZE;
			size -= RING_ENTRY_SIZE;
		}
		for (int i = 0; i < COUNT + 2; i++) {
			int rc = ring_cons_pop(&r, &m);

			if (rc < 0) {
				if (rc != -EPROTO)
					abort();
				goto out;
			}
			if (rc == 0)
				break;
		}
		ring_cons_release(&r);
	}
out:
	free(mem);
	return 0;
}
