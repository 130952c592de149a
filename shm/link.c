/* Link = two rings in one sealed memfd, plus one eventfd per end. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm/link.h"
#include "shm/shm_fd.h"

static size_t ring_span(uint32_t entries)
{
	/* Keep the second ring's header on its own page. */
	return (ring_bytes(entries) + 4095) & ~(size_t)4095;
}

size_t link_bytes(uint32_t entries)
{
	return 2 * ring_span(entries);
}

int link_create(uint32_t entries, uint32_t epoch_a, uint32_t epoch_b, int *memfd,
		size_t *len)
{
	size_t sz = link_bytes(entries), span = ring_span(entries);
	void *m;
	int fd, err;

	if (entries < 2 || (entries & (entries - 1)))
		return -EINVAL;
	fd = shm_memfd_create("mtgt-link", sz);
	if (fd < 0)
		return fd;
	m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	ring_format(m, span, entries, epoch_a, epoch_b);
	ring_format((uint8_t *)m + span, span, entries, epoch_b, epoch_a);
	munmap(m, sz);
	*memfd = fd;
	*len = sz;
	return 0;
}

int link_attach(struct link *l, uint32_t id, int memfd, size_t len,
		enum link_side side, int wake_self, int wake_peer,
		uint32_t my_epoch, uint32_t peer_epoch)
{
	struct ring_shared *r0;
	size_t span;
	void *m;
	int err;

	memset(l, 0, sizeof(*l));
	l->wake_self = l->wake_peer = -1;
	if (len < 2 * 4096 || len > (1ull << 31) || shm_fd_check(memfd, len) < 0)
		return -EPROTO;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (m == MAP_FAILED)
		return -errno;
	r0 = m;
	span = len / 2;
	if (ring_span(*(volatile uint32_t *)&r0->entry_count) != span) {
		munmap(m, len);
		return -EPROTO;
	}
	uint8_t *ra = m, *rb = (uint8_t *)m + span;
	bool a = side == LINK_SIDE_A;

	err = ring_attach(&l->tx, a ? ra : rb, span, true, wake_peer, my_epoch, peer_epoch);
	if (!err)
		err = ring_attach(&l->rx, a ? rb : ra, span, false, wake_peer, my_epoch,
				  peer_epoch);
	if (err) {
		munmap(m, len);
		return err;
	}
	l->id = id;
	l->side = side;
	l->wake_self = wake_self;
	l->wake_peer = wake_peer;
	l->mem = m;
	l->len = len;
	return 0;
}

void link_detach(struct link *l)
{
	if (l->mem)
		munmap(l->mem, l->len);
	l->mem = NULL;
}

void link_drain_wake(struct link *l)
{
	uint64_t v;

	while (read(l->wake_self, &v, sizeof(v)) == sizeof(v))
		;
}

int link_wait(struct link *l, unsigned spin, int timeout_ms)
{
	struct pollfd pfd = { .fd = l->wake_self, .events = POLLIN };
	int n;

	for (unsigned i = 0; i < spin; i++) {
		if (ring_cons_pending(&l->rx))
			return 1;
		ring_pause();
	}
	if (!ring_cons_prepare_sleep(&l->rx))
		return 1;
	n = poll(&pfd, 1, timeout_ms);
	ring_cons_end_sleep(&l->rx);
	if (n > 0)
		link_drain_wake(l);
	return n < 0 ? -errno : n;
}
