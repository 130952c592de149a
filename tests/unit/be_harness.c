/* See be_harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/ctl.h"
#include "tests/unit/be_harness.h"

#define H_POOL_SIZE (32u << 20)
#define H_EPOCH_CORE 11u
#define H_EPOCH_BE   22u

static int64_t h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void h_binary(const char *kind, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		n = 0;
	self[n] = 0;
	snprintf(out, len, "%s/mtgt-backend-%s", dirname(self), kind);
}

/* In the child: ctl at 3, then fds[i] at 4 + i, everything else closed on exec. */
static void __attribute__((noreturn)) h_exec(const char *path, int ctl, int *fds, int nfds)
{
	int high[16];

	high[0] = fcntl(ctl, F_DUPFD, 100);
	for (int i = 0; i < nfds; i++)
		high[i + 1] = fcntl(fds[i], F_DUPFD, 100);
	dup2(high[0], 3);
	for (int i = 0; i < nfds; i++)
		dup2(high[i + 1], 4 + i);
	for (int i = 0; i <= nfds; i++)
		close(high[i]);
	execl(path, path, (char *)NULL);
	_exit(127);
}

int h_start(struct harness *h, const char *kind, const struct h_dev *devs,
	    uint32_t ndevs, uint32_t entries, const char *config)
{
	uint64_t sizes[1] = { H_POOL_SIZE };
	int sv[2], fds[16], nfds = 0, rc;
	char path[PATH_MAX], *text;
	json_t *doc, *jdevs, *cfg = NULL;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	h->ndevs = ndevs;
	memcpy(h->devs, devs, sizeof(*devs) * ndevs);
	if ((rc = pool_create(&h->pool, 1, sizes)) || (rc = pool_map_all(&h->pool)) ||
	    (rc = pool_alloc_init(&h->alloc, &h->pool, 0)))
		return rc;
	if ((rc = link_create(entries, H_EPOCH_CORE, H_EPOCH_BE, &h->memfd, &h->len)))
		return rc;
	h->efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if ((rc = link_attach(&h->link, 0, h->memfd, h->len, LINK_SIDE_A, h->efd_a,
			      h->efd_b, H_EPOCH_CORE, H_EPOCH_BE)))
		return rc;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;

	fds[nfds++] = h->pool.fd;   /* 4 */
	fds[nfds++] = h->memfd;     /* 5 */
	fds[nfds++] = h->efd_b;     /* 6: backend's wake_self */
	fds[nfds++] = h->efd_a;     /* 7: backend's wake_peer */
	jdevs = json_array();
	for (uint32_t i = 0; i < ndevs; i++) {
		int fd = -1;

		if (devs[i].fd >= 0) {
			fd = 4 + nfds;
			fds[nfds++] = devs[i].fd;
		}
		json_array_append_new(jdevs, json_pack("{s:i, s:i, s:I, s:i, s:s, s:b}",
			"dev", (int)i, "fd", fd, "size", (json_int_t)devs[i].size,
			"block_size", 512, "path", "test", "readonly", devs[i].readonly));
	}
	if (config)
		cfg = json_loads(config, 0, NULL);
	doc = json_pack("{s:s, s:s, s:i, s:i, s:{s:i, s:I, s:s, s:[{s:i, s:I}]},"
			" s:[{s:i, s:i, s:I, s:s, s:i, s:i, s:s, s:i}], s:o, s:o}",
			"name", "be-test", "kind", kind, "epoch", H_EPOCH_BE, "core_arena", 0,
			"pool", "fd", 4, "size", (json_int_t)h->pool.size, "map", "all",
			"arenas", "offset", 0, "size", (json_int_t)h->pool.arenas[0].size,
			"links", "id", 0, "fd", 5, "len", (json_int_t)h->len, "side", "b",
			"wake_self", 6, "wake_peer", 7, "peer", "core", "peer_epoch", H_EPOCH_CORE,
			"devices", jdevs, "config", cfg ? cfg : json_object());
	if (!doc)
		return -EINVAL;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);

	h_binary(kind, path, sizeof(path));
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0)
		h_exec(path, sv[1], fds, nfds);
	close(sv[1]);
	h->ctl = sv[0];
	rc = ctl_send(h->ctl, CTL_INIT, text, strlen(text), NULL, 0);
	free(text);
	if (rc)
		return rc;
	return h_ctl_expect(h, CTL_READY, NULL, 5000) == 1 ? 0 : -ETIMEDOUT;
}

void h_stop(struct harness *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = -1;
	}
	if (h->ctl > 0)
		close(h->ctl);
	link_detach(&h->link);
	close(h->memfd);
	close(h->efd_a);
	close(h->efd_b);
	pool_alloc_fini(&h->alloc);
	pool_unmap(&h->pool);
	close(h->pool.fd);
}

int h_queue(struct harness *h, uint8_t op, uint32_t dev, uint64_t off, uint64_t len,
	    const struct buf_handle *buf, uint8_t flags, uint64_t tag)
{
	int64_t deadline = h_now_ms() + 5000;
	union msg *m;
	int err;

	while (!(m = ring_prod_reserve(&h->link.tx, &err))) {
		struct pollfd p = { .fd = h->efd_a, .events = POLLIN };

		if (err)
			return err;
		if (h_now_ms() > deadline)
			return -ETIMEDOUT;
		/* Publish what we have so the backend can make room. */
		ring_prod_publish(&h->link.tx);
		if (ring_prod_prepare_wait(&h->link.tx)) {
			poll(&p, 1, 100);
			ring_prod_end_wait(&h->link.tx);
			link_drain_wake(&h->link);
		}
	}
	m->io.h.type = MSG_IO;
	m->io.h.flags = flags;
	m->io.h.tag = tag;
	m->io.dev = dev;
	m->io.op = op;
	m->io.offset = off;
	m->io.length = len;
	if (buf)
		m->io.buf = *buf;
	ring_prod_push(&h->link.tx);
	return 0;
}

void h_publish(struct harness *h)
{
	ring_prod_publish(&h->link.tx);
}

int h_reap(struct harness *h, union msg *out, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;

	for (;;) {
		int rc = ring_cons_pop(&h->link.rx, out);

		if (rc != 0) {
			ring_cons_release(&h->link.rx);
			return rc;
		}
		if (h_now_ms() >= deadline)
			return 0;
		rc = link_wait(&h->link, 100, (int)(deadline - h_now_ms()));
		if (rc < 0)
			return rc;
	}
}

int h_io(struct harness *h, uint8_t op, uint32_t dev, uint64_t off, uint64_t len,
	 const struct buf_handle *buf, uint8_t flags, uint32_t *done_len)
{
	uint64_t tag = ++h->next_tag;
	union msg m;
	int rc = h_queue(h, op, dev, off, len, buf, flags, tag);

	if (rc)
		return rc;
	h_publish(h);
	rc = h_reap(h, &m, 5000);
	if (rc != 1)
		return rc ? rc : -ETIMEDOUT;
	if (m.h.type != MSG_IO_DONE || m.h.tag != tag)
		return -EBADMSG;
	if (done_len)
		*done_len = m.io_done.length;
	return m.io_done.result;
}

int h_ctl_expect(struct harness *h, uint32_t type, char **payload, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = h->ctl, .events = POLLIN };
		struct ctl_msg m;
		int64_t left = deadline - h_now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			return 0;
		if (ctl_recv(h->ctl, &m) != 1)
			return 0;
		if (m.type == type) {
			if (payload)
				*payload = m.data ? strdup(m.data) : strdup("");
			ctl_msg_free(&m);
			return 1;
		}
		ctl_msg_free(&m);
	}
}

int h_wait_exit(struct harness *h, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int st;

	while (h_now_ms() < deadline) {
		pid_t r = waitpid(h->pid, &st, WNOHANG);

		if (r == h->pid) {
			h->pid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(5000);
	}
	return -1;
}

void *h_buf(struct harness *h, const struct buf_handle *b)
{
	return pool_ptr(&h->pool, b);
}
