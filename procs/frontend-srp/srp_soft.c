/* The `soft` transport, target side (protocol in srp_soft.h). One epoll fd
 * per port watches the CM socket, every connection's socket and an eventfd
 * that says "completions are queued"; poll() turns socket records into
 * connection events and receive completions, and RDMA operations are executed
 * at once (a copy between the initiator's mapped region and local memory:
 * straight into the pool buffer, no bounce) and queued as completions. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/frontend-srp/srp_soft.h"
#include "procs/frontend-srp/srp_soft_desc.h"
#include "procs/frontend-srp/srp_xport.h"

#define SOFT_MAX_RECV 1024
#define SOFT_CQ_MAX   65536
#define SOFT_MAX_CONNS 1024  /* per port, logged in or not */
#define SOFT_MAX_MR_FDS 8192 /* memory-region memfds kept open, per port */

struct soft_mr {
	struct srp_soft_mr d;
	uint8_t *map;
	size_t   maplen;
	int      fd;          /* kept: a live upgrade passes it on */
};

struct soft_recv {
	uint64_t wr_id;
	void    *buf;
	uint32_t len;
};

enum soft_state { SC_PRE, SC_REQ, SC_UP, SC_DOWN, SC_DEAD };

struct soft_conn {
	struct srp_xconn xc;
	struct soft_conn *next;
	int      fd;
	enum soft_state state;
	bool     want_in;     /* EPOLLIN armed */
	bool     disc_queued;
	uint32_t nmr;
	struct soft_mr mr[SRP_SOFT_MAX_MRS];
	struct soft_recv rq[SOFT_MAX_RECV];
	uint32_t rq_head, rq_len;
	uint32_t pending;     /* queued completions not yet polled */
};

struct soft_port {
	struct srp_xport *self;
	int      lfd;
	int      ep;
	int      efd;
	struct soft_conn *conns;
	uint32_t nconns;
	struct srp_wc *cq;
	uint32_t cq_head, cq_len;
	bool     paused;      /* live upgrade: no accept, no reads */
	bool     lfd_full;    /* out of fds: not accepting until one is freed */
	uint32_t nmr_fds;
};

/* struct srp_xport is opaque to the protocol code: here it is the port */
struct srp_xport {
	struct soft_port p;
};

static struct soft_conn *conn_of(struct srp_xconn *c)
{
	return (struct soft_conn *)c;
}

static void cq_push(struct soft_port *p, struct soft_conn *c, uint8_t op, uint8_t st,
		    uint64_t wr_id, uint32_t len)
{
	struct srp_wc *wc;
	uint64_t one = 1;

	if (p->cq_len == SOFT_CQ_MAX) {
		/* cannot happen with bounded queues; a CQ overrun is fatal on
		 * real hardware too */
		log_err("soft: completion queue overrun");
		abort();
	}
	wc = &p->cq[(p->cq_head + p->cq_len++) % SOFT_CQ_MAX];
	memset(wc, 0, offsetof(struct srp_wc, priv));
	wc->op = op;
	wc->status = st;
	wc->conn = &c->xc;
	wc->wr_id = wr_id;
	wc->len = len;
	wc->priv_len = 0;
	c->pending++;
	if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("soft: eventfd: %s", strerror(errno));
}

static void arm(struct soft_port *p, struct soft_conn *c)
{
	bool want = !p->paused && (c->state != SC_UP || c->rq_len > 0);
	struct epoll_event ev = { .events = want ? EPOLLIN : 0, .data.ptr = c };

	/* a connection that is down is out of the epoll set (its hangup
	 * would be reported forever) */
	if (c->state == SC_DEAD || c->state == SC_DOWN || want == c->want_in)
		return;
	c->want_in = want;
	epoll_ctl(p->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Connection broken or closed: flush what is posted, then DISCONNECTED. */
static void conn_down(struct soft_port *p, struct soft_conn *c, const char *why)
{
	if (c->state == SC_DOWN || c->state == SC_DEAD)
		return;
	if (why)
		log_info("soft: connection %d down: %s", c->fd, why);
	if (c->state == SC_PRE) {
		/* nobody above knows this connection yet: just drop it */
		c->state = SC_DEAD;
		c->want_in = false;
		epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
	c->state = SC_DOWN;
	c->want_in = false;
	epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
	shutdown(c->fd, SHUT_RDWR);
	while (c->rq_len) {
		struct soft_recv *r = &c->rq[c->rq_head];

		cq_push(p, c, SRP_WC_RECV, SRP_WC_FLUSH, r->wr_id, 0);
		c->rq_head = (c->rq_head + 1) % SOFT_MAX_RECV;
		c->rq_len--;
	}
	cq_push(p, c, SRP_WC_DISCONNECTED, SRP_WC_OK, 0, 0);
}

static void unmap_mrs(struct soft_port *p, struct soft_conn *c)
{
	for (uint32_t i = 0; i < c->nmr; i++) {
		munmap(c->mr[i].map, c->mr[i].maplen);
		close(c->mr[i].fd);
		p->nmr_fds--;
	}
	c->nmr = 0;
}

static void conn_free(struct soft_port *p, struct soft_conn *c)
{
	struct soft_conn **pp;

	for (pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			p->nconns--;
			break;
		}
	epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	unmap_mrs(p, c);
	free(c);
	if (p->lfd_full && !p->paused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		/* an fd is free again: take connections again */
		p->lfd_full = false;
		epoll_ctl(p->ep, EPOLL_CTL_MOD, p->lfd, &ev);
	}
}

static int add_mr(struct soft_port *p, struct soft_conn *c, const struct srp_soft_mr *d, int fd)
{
	struct stat st;
	int seals;
	void *m;

	/* each region keeps its memfd open (a live upgrade passes it on) */
	if (p->nmr_fds >= SOFT_MAX_MR_FDS)
		return -EMFILE;
	if (c->nmr == SRP_SOFT_MAX_MRS || d->length == 0 || d->length > (1ull << 32) ||
	    d->addr + d->length < d->addr || (d->access & ~3u))
		return -EINVAL;
	for (uint32_t i = 0; i < c->nmr; i++)
		if (c->mr[i].d.rkey == d->rkey)
			return -EEXIST;
	/* a region that could shrink under our mapping would SIGBUS us */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EPERM;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < d->length)
		return -EINVAL;
	m = mmap(NULL, d->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	c->mr[c->nmr].d = *d;
	c->mr[c->nmr].map = m;
	c->mr[c->nmr].maplen = d->length;
	c->mr[c->nmr].fd = fd;
	c->nmr++;
	p->nmr_fds++;
	return 0;
}

static void del_mr(struct soft_port *p, struct soft_conn *c, uint32_t rkey)
{
	for (uint32_t i = 0; i < c->nmr; i++)
		if (c->mr[i].d.rkey == rkey) {
			munmap(c->mr[i].map, c->mr[i].maplen);
			close(c->mr[i].fd);
			p->nmr_fds--;
			c->mr[i] = c->mr[--c->nmr];
			return;
		}
}

/* One record from a connection. Returns false when the connection ended. */
static bool conn_read(struct soft_port *p, struct soft_conn *c)
{
	static uint8_t buf[sizeof(struct srp_soft_hdr) + SRP_SOFT_MAX_IU];
	struct srp_soft_hdr h;
	struct iovec iov[2];
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct soft_recv *r = NULL;
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t n;
	size_t body;

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	if (c->state == SC_UP && c->rq_len) {
		r = &c->rq[c->rq_head];
		iov[1].iov_base = r->buf;
		iov[1].iov_len = r->len;
	} else {
		iov[1].iov_base = buf;
		iov[1].iov_len = sizeof(buf) - sizeof(h);
	}
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	/* control data only from a record that arrived (a failed call leaves
	 * the header as it was), and never beyond our buffer */
	if (n <= 0)
		mh.msg_controllen = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(0) &&
		    (const char *)cm + cm->cmsg_len <= cbuf + sizeof(cbuf)) {
			int nfd = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < nfd; i++) {
				int x;

				memcpy(&x, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (fd < 0)
					fd = x;
				else
					close(x);
			}
		}
	if (n <= 0) {
		if (fd >= 0)
			close(fd);
		conn_down(p, c, n == 0 ? "peer closed" : strerror(errno));
		return false;
	}
	if ((size_t)n < sizeof(h) || h.magic != SRP_SOFT_MAGIC) {
		if (fd >= 0)
			close(fd);
		conn_down(p, c, "malformed CM record");
		return false;
	}
	body = (size_t)n - sizeof(h);
	if (h.type != SOFT_MR && fd >= 0) {
		close(fd);
		fd = -1;
	}
	switch (h.type) {
	case SOFT_CONNECT: {
		struct srp_wc *wc;

		if (c->state != SC_PRE || body > SRP_XPORT_PRIV_MAX) {
			conn_down(p, c, "unexpected or oversized CONNECT");
			return false;
		}
		c->state = SC_REQ;
		cq_push(p, c, SRP_WC_CONN_REQ, SRP_WC_OK, 0, 0);
		wc = &p->cq[(p->cq_head + p->cq_len - 1) % SOFT_CQ_MAX];
		wc->priv_len = (uint32_t)body;
		memcpy(wc->priv, buf, body);
		return true;
	}
	case SOFT_MR: {
		struct srp_soft_mr d;
		int r2;

		if (body != sizeof(d) || fd < 0) {
			if (fd >= 0)
				close(fd);
			conn_down(p, c, "malformed MR registration");
			return false;
		}
		memcpy(&d, c->state == SC_UP && r ? r->buf : buf, sizeof(d));
		if (c->state == SC_UP && r) {
			/* it landed in a posted receive buffer: not an IU, so the
			 * buffer stays posted */
		}
		r2 = add_mr(p, c, &d, fd); /* keeps fd on success */
		if (r2 < 0)
			close(fd);
		if (r2 < 0) {
			log_warn("soft: MR rkey %#x refused: %s", d.rkey, strerror(-r2));
			conn_down(p, c, "bad memory registration");
			return false;
		}
		return true;
	}
	case SOFT_MR_DEREG: {
		struct srp_soft_mr d;

		if (body != sizeof(d)) {
			conn_down(p, c, "malformed MR deregistration");
			return false;
		}
		memcpy(&d, c->state == SC_UP && r ? r->buf : buf, sizeof(d));
		del_mr(p, c, d.rkey);
		return true;
	}
	case SOFT_SEND:
		if (c->state != SC_UP || !r) {
			conn_down(p, c, "SEND before the connection is up");
			return false;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			/* longer than the posted buffer: a local length error */
			conn_down(p, c, "IU longer than the receive buffer");
			return false;
		}
		cq_push(p, c, SRP_WC_RECV, SRP_WC_OK, r->wr_id, (uint32_t)body);
		c->rq_head = (c->rq_head + 1) % SOFT_MAX_RECV;
		c->rq_len--;
		arm(p, c);
		return true;
	case SOFT_DISCONNECT:
		conn_down(p, c, NULL);
		return false;
	default:
		conn_down(p, c, "unknown CM record type");
		return false;
	}
}

static void accept_new(struct soft_port *p)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct soft_conn *c;
		struct epoll_event ev;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* the pending connect would wake us forever: stop
			 * listening until a connection is freed */
			log_warn("soft: out of file descriptors: not accepting for now");
			p->lfd_full = true;
			ev.events = 0;
			ev.data.ptr = NULL;
			epoll_ctl(p->ep, EPOLL_CTL_MOD, p->lfd, &ev);
			return;
		}
		if (fd < 0)
			return;
		if (p->nconns >= SOFT_MAX_CONNS) {
			/* a flood of idle connections must not eat memory or fds */
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->xc.x = p->self;
		c->state = SC_PRE;
		c->want_in = true;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			return;
		}
		c->next = p->conns;
		p->conns = c;
		p->nconns++;
	}
}

static int soft_open(struct srp_xport **out, json_t *desc, void *base, size_t len)
{
	json_t *fdj = json_object_get(desc, "fd");
	struct srp_xport *x;
	struct soft_port *p;
	struct epoll_event ev;

	if (!json_is_integer(fdj) || json_integer_value(fdj) < 0)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	p = &x->p;
	p->self = x;
	p->lfd = (int)json_integer_value(fdj);
	p->cq = calloc(SOFT_CQ_MAX, sizeof(*p->cq));
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!p->cq || p->ep < 0 || p->efd < 0)
		goto fail;
	fcntl(p->lfd, F_SETFL, fcntl(p->lfd, F_GETFL) | O_NONBLOCK);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->lfd, &ev) < 0)
		goto fail;
	ev.data.ptr = p;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->efd, &ev) < 0)
		goto fail;
	(void)base;
	(void)len;
	*out = x;
	return 0;
fail:
	free(p->cq);
	if (p->ep >= 0)
		close(p->ep);
	if (p->efd >= 0)
		close(p->efd);
	free(x);
	return -EMFILE;
}

static int soft_reg(struct srp_xport *x, void *base, size_t len)
{
	/* local memory needs no registration: the copy is the DMA */
	return 0;
}

static int soft_fd(struct srp_xport *x)
{
	return x->p.ep;
}

static int soft_poll(struct srp_xport *x, struct srp_wc *wc, int max)
{
	struct soft_port *p = &x->p;
	struct epoll_event ev[32];
	uint64_t v;
	int n, got = 0;

	n = epoll_wait(p->ep, ev, 32, 0);
	for (int i = 0; i < n; i++) {
		struct soft_conn *c = ev[i].data.ptr;

		if (!c) {
			accept_new(p);
		} else if ((void *)c == (void *)p) {
			if (read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_warn("soft: eventfd read: %s", strerror(errno));
		} else {
			/* bounded: other connections get their turn */
			for (int k = 0; k < 64 && c->want_in; k++)
				if (!conn_read(p, c) || (c->state == SC_UP && !c->rq_len))
					break;
			/* not reading (paused, or no receive posted): a hangup
			 * is still reported, and would be again and again */
			if (!c->want_in && (ev[i].events & (EPOLLHUP | EPOLLERR)))
				conn_down(p, c, "peer closed");
			if (c->state == SC_DEAD && !c->xc.user)
				conn_free(p, c);
		}
	}
	while (got < max && p->cq_len) {
		wc[got] = p->cq[p->cq_head];
		p->cq_head = (p->cq_head + 1) % SOFT_CQ_MAX;
		p->cq_len--;
		conn_of(wc[got].conn)->pending--;
		got++;
	}
	if (p->cq_len) {
		v = 1;
		if (write(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_warn("soft: eventfd: %s", strerror(errno));
	}
	return got;
}

static int send_rec(struct soft_conn *c, uint32_t type, const void *data, uint32_t len)
{
	struct srp_soft_hdr h = { .magic = SRP_SOFT_MAGIC, .type = type };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	/* a peer that does not read fills its socket: that is a broken
	 * connection, not something to wait for */
	return sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int soft_accept(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct soft_conn *c = conn_of(xc);
	struct soft_port *p = &xc->x->p;
	int r;

	if (c->state != SC_REQ)
		return -ENOTCONN;
	r = send_rec(c, SOFT_ACCEPT, priv, len);
	if (r < 0) {
		c->state = SC_UP;
		conn_down(p, c, "cannot send ACCEPT");
		return 0;
	}
	c->state = SC_UP;
	arm(p, c);
	return 0;
}

static void soft_release(struct srp_xconn *xc);

static void soft_reject(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct soft_conn *c = conn_of(xc);

	if (c->state == SC_REQ)
		send_rec(c, SOFT_REJECT, priv, len);
	soft_release(xc);
}

static int soft_post_recv(struct srp_xconn *xc, uint64_t wr_id, void *buf, uint32_t len)
{
	struct soft_conn *c = conn_of(xc);
	struct soft_port *p = &xc->x->p;

	if (c->state == SC_DOWN || c->state == SC_DEAD) {
		cq_push(p, c, SRP_WC_RECV, SRP_WC_FLUSH, wr_id, 0);
		return 0;
	}
	if (c->rq_len == SOFT_MAX_RECV)
		return -ENOSPC;
	c->rq[(c->rq_head + c->rq_len++) % SOFT_MAX_RECV] =
		(struct soft_recv){ .wr_id = wr_id, .buf = buf, .len = len };
	arm(p, c);
	return 0;
}

static int soft_send(struct srp_xconn *xc, uint64_t wr_id, const void *buf, uint32_t len)
{
	struct soft_conn *c = conn_of(xc);
	struct soft_port *p = &xc->x->p;

	if (c->state != SC_UP) {
		cq_push(p, c, SRP_WC_SEND, SRP_WC_FLUSH, wr_id, 0);
		return 0;
	}
	if (send_rec(c, SOFT_SEND, buf, len) < 0) {
		cq_push(p, c, SRP_WC_SEND, SRP_WC_FLUSH, wr_id, 0);
		conn_down(p, c, "send failed");
		return 0;
	}
	cq_push(p, c, SRP_WC_SEND, SRP_WC_OK, wr_id, len);
	return 0;
}

static int soft_rdma(struct srp_xconn *xc, bool wr, uint64_t wr_id, void *local, uint32_t len,
		     uint64_t raddr, uint32_t rkey)
{
	struct soft_conn *c = conn_of(xc);
	struct soft_port *p = &xc->x->p;
	uint8_t op = wr ? SRP_WC_WRITE : SRP_WC_READ;
	struct soft_mr *m = NULL;

	if (c->state != SC_UP) {
		cq_push(p, c, op, SRP_WC_FLUSH, wr_id, 0);
		return 0;
	}
	for (uint32_t i = 0; i < c->nmr; i++)
		if (c->mr[i].d.rkey == rkey) {
			m = &c->mr[i];
			break;
		}
	if (!m || !(m->d.access & (wr ? SOFT_ACC_REMOTE_WRITE : SOFT_ACC_REMOTE_READ)) ||
	    raddr < m->d.addr || raddr - m->d.addr > m->d.length ||
	    len > m->d.length - (raddr - m->d.addr)) {
		/* as on an RC QP: the request fails and the connection breaks */
		log_warn("soft: remote access error: rkey %#x addr %#llx len %u", rkey,
			 (unsigned long long)raddr, len);
		cq_push(p, c, op, SRP_WC_REM_ACCESS, wr_id, 0);
		conn_down(p, c, "remote access error");
		return 0;
	}
	if (wr)
		memcpy(m->map + (raddr - m->d.addr), local, len);
	else
		memcpy(local, m->map + (raddr - m->d.addr), len);
	cq_push(p, c, op, SRP_WC_OK, wr_id, len);
	return 0;
}

static void soft_disconnect(struct srp_xconn *xc)
{
	struct soft_conn *c = conn_of(xc);

	if (c->state == SC_UP)
		send_rec(c, SOFT_DISCONNECT, NULL, 0);
	conn_down(&xc->x->p, c, NULL);
}

static void soft_release(struct srp_xconn *xc)
{
	struct soft_conn *c = conn_of(xc);

	c->xc.user = NULL;
	/* queued completions still name it: drop them */
	if (c->pending) {
		struct soft_port *p = &xc->x->p;
		uint32_t keep = 0;

		for (uint32_t i = 0; i < p->cq_len; i++) {
			struct srp_wc *w = &p->cq[(p->cq_head + i) % SOFT_CQ_MAX];

			if (w->conn != xc)
				p->cq[(p->cq_head + keep++) % SOFT_CQ_MAX] = *w;
		}
		p->cq_len = keep;
	}
	conn_free(&xc->x->p, c);
}

static void soft_close(struct srp_xport *x)
{
	struct soft_port *p = &x->p;

	while (p->conns)
		conn_free(p, p->conns);
	close(p->lfd);
	close(p->ep);
	close(p->efd);
	free(p->cq);
	free(x);
}

static void soft_pause(struct srp_xport *x, bool paused)
{
	struct soft_port *p = &x->p;
	struct epoll_event ev = { .events = paused ? 0 : EPOLLIN, .data.ptr = NULL };
	uint64_t one = 1;

	p->paused = paused;
	/* connect requests wait in the listen backlog (for the next instance) */
	if (!p->lfd_full)
		epoll_ctl(p->ep, EPOLL_CTL_MOD, p->lfd, &ev);
	for (struct soft_conn *c = p->conns, *n; c; c = n) {
		n = c->next;
		if (paused && c->state == SC_PRE && !c->xc.user) {
			conn_down(p, c, "target upgrading: connect again");
			conn_free(p, c);
			continue;
		}
		arm(p, c);
	}
	/* resumed reads may have records waiting */
	if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("soft: eventfd: %s", strerror(errno));
}

static int soft_export(struct srp_xconn *xc, json_t **desc, int *fds, int *nfds, int max)
{
	struct soft_conn *c = conn_of(xc);
	json_t *mrs;

	if (c->state != SC_UP || c->pending)
		return -EBUSY;
	if (*nfds + 1 + (int)c->nmr > max)
		return -ENOSPC;
	mrs = json_array();
	fds[(*nfds)++] = c->fd;
	for (uint32_t i = 0; i < c->nmr; i++) {
		json_array_append_new(mrs, json_pack("{s:I, s:I, s:I, s:I}", "rkey",
						     (json_int_t)c->mr[i].d.rkey, "access",
						     (json_int_t)c->mr[i].d.access, "addr",
						     (json_int_t)c->mr[i].d.addr, "length",
						     (json_int_t)c->mr[i].d.length));
		fds[(*nfds)++] = c->mr[i].fd;
	}
	*desc = json_pack("{s:o}", "mrs", mrs);
	return *desc ? 0 : -ENOMEM;
}

static struct srp_xconn *soft_import(struct srp_xport *x, json_t *desc, const int *fds, int nfds)
{
	struct soft_port *p = &x->p;
	struct srp_soft_mr mrs[SRP_SOFT_MAX_MRS];
	struct epoll_event ev = { .events = 0 };
	struct soft_conn *c;
	int type = 0;
	socklen_t tl = sizeof(type);
	uint32_t nmr;

	if (srp_soft_desc_parse(desc, nfds, mrs, &nmr) < 0 || p->nconns >= SOFT_MAX_CONNS)
		return NULL;
	/* the connection must be what soft connections are */
	if (getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fds[0];
	c->xc.x = x;
	c->state = SC_UP;
	/* the same checks as a registration from the initiator */
	for (uint32_t i = 0; i < nmr; i++)
		if (add_mr(p, c, &mrs[i], fds[1 + i]) < 0)
			goto fail;
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	ev.data.ptr = c;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		goto fail;
	c->next = p->conns;
	p->conns = c;
	p->nconns++;
	return &c->xc;
fail:
	/* the fds stay the caller's: take the mappings back, not the fds */
	for (uint32_t k = 0; k < c->nmr; k++)
		munmap(c->mr[k].map, c->mr[k].maplen);
	p->nmr_fds -= c->nmr;
	free(c);
	return NULL;
}

const struct srp_xport_ops srp_soft_ops = {
	.export_conn = soft_export,
	.import_conn = soft_import,
	.check_conn = srp_soft_desc_check,
	.pause = soft_pause,
	.name = "soft",
	.open = soft_open,
	.reg = soft_reg,
	.fd = soft_fd,
	.poll = soft_poll,
	.accept = soft_accept,
	.reject = soft_reject,
	.post_recv = soft_post_recv,
	.send = soft_send,
	.rdma = soft_rdma,
	.disconnect = soft_disconnect,
	.release = soft_release,
	.close = soft_close,
};
