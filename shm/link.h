/* A link: the pair of rings between two processes (submissions one way,
 * completions the other) in one memfd, plus one eventfd per end.
 *
 * Side A submits (frontend on a frontend-core link, core on a core-backend
 * link); side B serves. Ring 0 carries A->B, ring 1 carries B->A.
 */
#ifndef MTGT_SHM_LINK_H
#define MTGT_SHM_LINK_H

#include <stdint.h>

#include "shm/ring.h"

enum link_side { LINK_SIDE_A = 0, LINK_SIDE_B = 1 };

struct link {
	uint32_t id;
	enum link_side side;
	struct ring tx;     /* we produce */
	struct ring rx;     /* we consume */
	int   wake_self;    /* eventfd we block on */
	int   wake_peer;    /* eventfd we write */
	void *mem;
	size_t len;
};

size_t link_bytes(uint32_t entries);

/* Supervisor: create a sealed memfd holding a formatted link. */
int link_create(uint32_t entries, uint32_t epoch_a, uint32_t epoch_b, int *memfd,
		size_t *len);

/* Children: map and attach one side. */
int link_attach(struct link *l, uint32_t id, int memfd, size_t len,
		enum link_side side, int wake_self, int wake_peer,
		uint32_t my_epoch, uint32_t peer_epoch);
void link_detach(struct link *l);

/* Read (and reset) our eventfd after a wakeup. The eventfds must be
 * non-blocking (child_attach_link() makes them so). */
void link_drain_wake(struct link *l);

/* Wait for the link to need attention: spins ~spin iterations checking the rx
 * ring, then sleeps on wake_self with NEED_WAKEUP set (timeout_ms < 0: forever).
 * For simple single-link loops (backends, tests); event-loop processes use
 * ring_cons_prepare_sleep() directly. */
int link_wait(struct link *l, unsigned spin, int timeout_ms);

#endif
