/* The `verbs` transport: RDMA CM (librdmacm) listener, RC queue pairs, a
 * shared receive queue, one completion channel per port, memory registered
 * with ibv_reg_mr so RDMA goes straight into pool buffers. It builds here but
 * has never run: the build machines have no RDMA devices, and open() then
 * says -ENODEV ("no RDMA devices") so the process can report itself
 * unavailable.
 *
 * A connection request arrives as RDMA_CM_EVENT_CONNECT_REQUEST with the
 * SRP login in its private data (struct srp_login_req_rdma, 56 bytes); the
 * protection domain, completion queue, SRQ and registrations are made per
 * device on first use (the device is known only once a request names it).
 * librdmacm opens devices lazily (open of /dev/infiniband/uverbsN on the
 * first request naming one), which the sandbox would refuse: open() makes it
 * open them all first (rdma_get_devices) and holds them.
 *
 * SRQ: one shared receive queue per port (if the device has SRQs; else each
 * QP gets its own receive queue as before) with buffers owned here, sized by
 * the largest IU we accept and counted from the device's max_srq_wr. The
 * protocol code still "posts receives" per channel (its credits and IU
 * buffers stay per login): here that is a per-connection queue of buffers,
 * and an SRQ completion for a connection is copied into the next of them
 * (IUs are small; data never takes this path) before the SRQ buffer is
 * posted again. An IU beyond what the channel posted is a receive overrun:
 * the connection breaks, as a receive longer than its buffer does.
 * The send queue is sized from the device (max_qp_wr); work requests beyond
 * it wait in a per-connection queue until completions make room (a command
 * may need up to 256 RDMA operations). */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "common/log.h"
#include "procs/frontend-srp/srp_xport.h"

#define VB_MAX_REGS 4096
#define VB_CQE      65536         /* at most; the device may allow fewer */
#define VB_QP_WR    256           /* send queue per QP; more waits in vb_conn.wq */
#define VB_QP_MIN   16            /* below this much CQ room a connection is refused */
#define VB_SRQ_WR   4096
#define VB_CONN_RQ  1040          /* receives the protocol posts per channel: credits + 4 */
#define VB_SRQ_TAG  0xeeull       /* wr_id type of our SRQ buffers (the protocol uses 1..3) */

struct vb_region {
	void   *base;
	size_t  len;
	struct ibv_mr *mr;
};

/* A send-queue work request that waits for room */
struct vb_wr {
	struct vb_wr *next;
	struct ibv_send_wr wr;
	struct ibv_sge sge;
};

/* A receive buffer the protocol posted on a channel (SRQ mode) */
struct vb_rbuf {
	uint64_t wr_id;
	void    *buf;
	uint32_t len;
};

struct vb_conn {
	struct srp_xconn xc;
	struct vb_conn *next;
	struct rdma_cm_id *id;
	bool    up, down, reported;
	uint8_t rd_in, rd_out;            /* from the connect request */
	uint32_t sq_out, sq_max;          /* send WRs posted, and the QP's room */
	uint32_t cq_grant;                /* CQ entries its work may take */
	struct vb_wr *wq, *wq_tail;       /* waiting for room */
	struct vb_rbuf rq[VB_CONN_RQ];    /* SRQ mode: where this channel's IUs go */
	uint32_t rq_head, rq_len;
};

struct srp_xport {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *listen;
	struct ibv_context **devs;        /* opened before the sandbox, held */
	int     ep;
	int     kick;                     /* eventfd: more to poll than one call took */
	struct ibv_context *dev;
	struct ibv_device_attr attr;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	struct ibv_cq *cq;
	struct ibv_srq *srq;              /* NULL: per-QP receive queues */
	uint8_t *srq_mem;
	struct ibv_mr *srq_mr;
	uint32_t srq_n, srq_buf;          /* buffers, bytes each */
	uint32_t cqe, cq_used;            /* the CQ's size and what QPs may fill:
					   * never more, a CQ overrun is fatal */
	uint32_t nregs;
	struct vb_region regs[VB_MAX_REGS];
	struct vb_conn *conns;
	struct srp_wc *pend;       /* CM events turned into completions */
	uint32_t npend, cap;
};

static int reg_all(struct srp_xport *x)
{
	for (uint32_t i = 0; i < x->nregs; i++) {
		if (x->regs[i].mr)
			continue;
		x->regs[i].mr = ibv_reg_mr(x->pd, x->regs[i].base, x->regs[i].len,
					   IBV_ACCESS_LOCAL_WRITE);
		if (!x->regs[i].mr)
			return -errno;
	}
	return 0;
}

static uint32_t lkey_of(struct srp_xport *x, const void *p, uint32_t len)
{
	for (uint32_t i = 0; i < x->nregs; i++) {
		const uint8_t *b = x->regs[i].base;

		if ((const uint8_t *)p >= b && (const uint8_t *)p + len <= b + x->regs[i].len &&
		    x->regs[i].mr)
			return x->regs[i].mr->lkey;
	}
	return 0;
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;

	return m < c ? m : c;
}

static int srq_post(struct srp_xport *x, uint32_t i)
{
	struct ibv_sge sge = { (uintptr_t)(x->srq_mem + (size_t)i * x->srq_buf), x->srq_buf,
			       x->srq_mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = VB_SRQ_TAG << 56 | i, .sg_list = &sge, .num_sge = 1 },
			   *bad;

	return ibv_post_srq_recv(x->srq, &wr, &bad) ? -errno : 0;
}

/* The shared receive queue, if the device has them: its size from
 * max_srq_wr, its buffers registered once and all posted. */
static int srq_setup(struct srp_xport *x)
{
	struct ibv_srq_init_attr sa = { 0 };

	if (x->attr.max_srq <= 0 || x->attr.max_srq_wr <= 0 || x->attr.max_srq_sge < 1) {
		log_warn("verbs: the device has no shared receive queues: one receive queue per QP");
		return 0;
	}
	x->srq_n = min3(VB_SRQ_WR, (uint32_t)x->attr.max_srq_wr, x->cqe / 2);
	sa.attr.max_wr = x->srq_n;
	sa.attr.max_sge = 1;
	x->srq = ibv_create_srq(x->pd, &sa);
	if (!x->srq)
		return -errno ? -errno : -ENOMEM;
	/* the device may round the size up; use what we asked for */
	x->srq_mem = aligned_alloc(64, ((size_t)x->srq_n * x->srq_buf + 63) & ~(size_t)63);
	x->srq_mr = x->srq_mem ? ibv_reg_mr(x->pd, x->srq_mem, (size_t)x->srq_n * x->srq_buf,
					    IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!x->srq_mr)
		return -ENOMEM;
	for (uint32_t i = 0; i < x->srq_n; i++) {
		int r = srq_post(x, i);

		if (r < 0)
			return r;
	}
	log_info("verbs: shared receive queue of %u buffers of %u bytes", x->srq_n, x->srq_buf);
	return 0;
}

/* Undo a dev_setup() that failed half way (the next request tries again). */
static void dev_teardown(struct srp_xport *x)
{
	for (uint32_t i = 0; i < x->nregs; i++)
		if (x->regs[i].mr) {
			ibv_dereg_mr(x->regs[i].mr);
			x->regs[i].mr = NULL;
		}
	if (x->srq)
		ibv_destroy_srq(x->srq);
	if (x->srq_mr)
		ibv_dereg_mr(x->srq_mr);
	free(x->srq_mem);
	if (x->cc)
		epoll_ctl(x->ep, EPOLL_CTL_DEL, x->cc->fd, NULL);
	if (x->cq)
		ibv_destroy_cq(x->cq);
	if (x->cc)
		ibv_destroy_comp_channel(x->cc);
	if (x->pd)
		ibv_dealloc_pd(x->pd);
	x->srq = NULL;
	x->srq_mr = NULL;
	x->srq_mem = NULL;
	x->cq = NULL;
	x->cc = NULL;
	x->pd = NULL;
	x->dev = NULL;
	x->srq_n = x->cqe = x->cq_used = 0;
}

/* The device of the first request: its limits, PD, completion channel, CQ,
 * SRQ, MRs. */
static int dev_setup(struct srp_xport *x, struct ibv_context *dev)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int r = -ENOMEM;

	if (x->dev)
		return x->dev == dev ? 0 : -EXDEV; /* one device per port */
	if (ibv_query_device(dev, &x->attr))
		return -EIO;
	x->pd = ibv_alloc_pd(dev);
	x->cc = x->pd ? ibv_create_comp_channel(dev) : NULL;
	x->cq = x->cc ? ibv_create_cq(dev, (int)min3(VB_CQE, (uint32_t)x->attr.max_cqe, VB_CQE),
				      NULL, x->cc, 0) : NULL;
	if (!x->cq || ibv_req_notify_cq(x->cq, 0))
		goto fail;
	x->cqe = (uint32_t)x->cq->cqe;
	r = srq_setup(x);
	if (r < 0)
		goto fail;
	x->cq_used = x->srq_n;
	fcntl(x->cc->fd, F_SETFL, fcntl(x->cc->fd, F_GETFL) | O_NONBLOCK);
	ev.data.u32 = 1;
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, x->cc->fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	x->dev = dev;
	r = reg_all(x);
	if (r == 0)
		return 0;
fail:
	log_err("verbs: device setup: %s", strerror(-r));
	dev_teardown(x);
	return r;
}

static void pend(struct srp_xport *x, struct vb_conn *c, uint8_t op, const void *priv,
		 uint32_t plen)
{
	struct srp_wc *w;

	if (x->npend == x->cap) {
		uint32_t n = x->cap ? x->cap * 2 : 64;
		struct srp_wc *nw = realloc(x->pend, n * sizeof(*nw));

		if (!nw)
			return;
		x->pend = nw;
		x->cap = n;
	}
	w = &x->pend[x->npend++];
	memset(w, 0, sizeof(*w));
	w->op = op;
	w->conn = &c->xc;
	if (plen > SRP_XPORT_PRIV_MAX)
		plen = SRP_XPORT_PRIV_MAX;
	w->priv_len = plen;
	if (plen)
		memcpy(w->priv, priv, plen);
}

/* A completion made here (not by the device) for work that never reached
 * it: the channel's posted receives in SRQ mode, send WRs still waiting. */
static void pend_wc(struct srp_xport *x, struct vb_conn *c, uint8_t op, uint8_t st,
		    uint64_t wr_id, uint32_t len)
{
	uint32_t n = x->npend;

	pend(x, c, op, NULL, 0);
	if (x->npend == n + 1) {
		x->pend[n].status = st;
		x->pend[n].wr_id = wr_id;
		x->pend[n].len = len;
	}
}

static void conn_flush_local(struct srp_xport *x, struct vb_conn *c)
{
	while (c->rq_len) {
		pend_wc(x, c, SRP_WC_RECV, SRP_WC_FLUSH, c->rq[c->rq_head].wr_id, 0);
		c->rq_head = (c->rq_head + 1) % VB_CONN_RQ;
		c->rq_len--;
	}
	while (c->wq) {
		struct vb_wr *w = c->wq;

		c->wq = w->next;
		pend_wc(x, c, w->wr.opcode == IBV_WR_SEND ? SRP_WC_SEND :
			w->wr.opcode == IBV_WR_RDMA_READ ? SRP_WC_READ : SRP_WC_WRITE,
			SRP_WC_FLUSH, w->wr.wr_id, 0);
		free(w);
	}
	c->wq_tail = NULL;
}

/* Post what waits for room on the send queue. */
static void sq_kick(struct vb_conn *c)
{
	while (c->wq && c->sq_out < c->sq_max && !c->down) {
		struct vb_wr *w = c->wq;
		struct ibv_send_wr *bad;

		w->wr.sg_list = &w->sge;
		w->wr.next = NULL;
		if (ibv_post_send(c->id->qp, &w->wr, &bad)) {
			log_warn("verbs: post_send: %s", strerror(errno));
			return;
		}
		c->sq_out++;
		c->wq = w->next;
		if (!c->wq)
			c->wq_tail = NULL;
		free(w);
	}
}

/* Post a send-queue work request now, or queue it until there is room. */
static int sq_post(struct vb_conn *c, const struct ibv_send_wr *wr, const struct ibv_sge *sge)
{
	struct ibv_send_wr copy = *wr, *bad;
	struct ibv_sge s2 = *sge;
	struct vb_wr *w;

	if (c->down)
		return -ENOTCONN;
	if (!c->wq && c->sq_out < c->sq_max) {
		copy.sg_list = &s2;
		if (ibv_post_send(c->id->qp, &copy, &bad) == 0) {
			c->sq_out++;
			return 0;
		}
		if (errno != ENOMEM)
			return -errno;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->wr = *wr;
	w->sge = *sge;
	if (c->wq_tail)
		c->wq_tail->next = w;
	else
		c->wq = w;
	c->wq_tail = w;
	return 0;
}

static int vb_open(struct srp_xport **out, json_t *desc, void *base, size_t len)
{
	int ndev = 0;
	struct ibv_device **list = ibv_get_device_list(&ndev);
	struct srp_xport *x;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	json_t *port = json_object_get(desc, "port");
	const char *addr = json_string_value(json_object_get(desc, "address"));

	if (list)
		ibv_free_device_list(list);
	if (!list || ndev == 0)
		return -ENODEV;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	/* librdmacm would open each device on the first request naming it,
	 * after the sandbox: open them all now and keep them */
	x->devs = rdma_get_devices(NULL);
	if (!x->devs) {
		free(x);
		return -ENODEV;
	}
	x->srq_buf = json_is_integer(json_object_get(desc, "max_iu")) ?
		     (uint32_t)json_integer_value(json_object_get(desc, "max_iu")) : 8448;
	if (x->srq_buf < 64 || x->srq_buf > (256u << 10))
		x->srq_buf = 8448;
	x->ep = epoll_create1(EPOLL_CLOEXEC);
	x->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	x->ec = rdma_create_event_channel();
	if (x->ep < 0 || x->kick < 0 || !x->ec)
		goto fail;
	ev.data.u32 = 2;
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, x->kick, &ev) < 0)
		goto fail;
	fcntl(x->ec->fd, F_SETFL, fcntl(x->ec->fd, F_GETFL) | O_NONBLOCK);
	ev.data.u32 = 0;
	epoll_ctl(x->ep, EPOLL_CTL_ADD, x->ec->fd, &ev);
	if (rdma_create_id(x->ec, &x->listen, x, RDMA_PS_TCP))
		goto fail;
	sa.sin_port = htons(json_is_integer(port) ? (uint16_t)json_integer_value(port) : 5555);
	if (addr && inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		goto fail;
	if (rdma_bind_addr(x->listen, (struct sockaddr *)&sa) || rdma_listen(x->listen, 64))
		goto fail;
	x->regs[x->nregs++] = (struct vb_region){ .base = base, .len = len };
	*out = x;
	return 0;
fail:
	log_err("verbs: RDMA CM listener: %s", strerror(errno));
	if (x->listen)
		rdma_destroy_id(x->listen);
	if (x->ec)
		rdma_destroy_event_channel(x->ec);
	if (x->ep >= 0)
		close(x->ep);
	if (x->kick >= 0)
		close(x->kick);
	rdma_free_devices(x->devs);
	free(x);
	return -ENODEV;
}

static int vb_reg(struct srp_xport *x, void *base, size_t len)
{
	if (x->nregs == VB_MAX_REGS)
		return -ENOSPC;
	x->regs[x->nregs++] = (struct vb_region){ .base = base, .len = len };
	return x->pd ? reg_all(x) : 0;
}

static int vb_fd(struct srp_xport *x)
{
	return x->ep;
}

static void cm_event(struct srp_xport *x, struct rdma_cm_event *e)
{
	struct vb_conn *c = e->id->context != x ? e->id->context : NULL;

	switch (e->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST: {
		struct ibv_qp_init_attr qa = { 0 };

		c = calloc(1, sizeof(*c));
		if (!c || dev_setup(x, e->id->verbs) < 0) {
			free(c);
			rdma_reject(e->id, NULL, 0);
			rdma_destroy_id(e->id);
			return;
		}
		c->id = e->id;
		c->xc.x = x;
		e->id->context = c;
		/* RDMA READs we issue at once: no more than the initiator
		 * answers (its responder resources) or our device starts */
		c->rd_out = (uint8_t)min3(e->param.conn.responder_resources,
					  (uint32_t)x->attr.max_qp_init_rd_atom, 16);
		c->rd_in = (uint8_t)min3(e->param.conn.initiator_depth,
					 (uint32_t)x->attr.max_qp_rd_atom, 16);
		qa.send_cq = qa.recv_cq = x->cq;
		qa.srq = x->srq;
		qa.qp_type = IBV_QPT_RC;
		/* what the QP may put in the shared CQ comes out of its room */
		qa.cap.max_send_wr = min3(VB_QP_WR, (uint32_t)x->attr.max_qp_wr,
					  (x->cqe - x->cq_used) / (x->srq ? 1 : 2));
		/* without an SRQ the QP holds the channel's credits + 4 receives */
		qa.cap.max_recv_wr = x->srq ? 0 : min3(VB_CONN_RQ, (uint32_t)x->attr.max_qp_wr,
						       x->cqe - x->cq_used - qa.cap.max_send_wr);
		qa.cap.max_send_sge = 1;
		qa.cap.max_recv_sge = x->srq ? 0 : 1;
		c->cq_grant = qa.cap.max_send_wr + qa.cap.max_recv_wr;
		c->sq_max = qa.cap.max_send_wr;
		if (qa.cap.max_send_wr < VB_QP_MIN || rdma_create_qp(e->id, x->pd, &qa)) {
			log_warn("verbs: connection refused: %s", qa.cap.max_send_wr < VB_QP_MIN ?
				 "completion queue full" : strerror(errno));
			rdma_reject(e->id, NULL, 0);
			rdma_destroy_id(e->id);
			free(c);
			return;
		}
		x->cq_used += c->cq_grant;
		c->next = x->conns;
		x->conns = c;
		pend(x, c, SRP_WC_CONN_REQ, e->param.conn.private_data,
		     e->param.conn.private_data_len);
		return;
	}
	case RDMA_CM_EVENT_ESTABLISHED:
		if (c)
			c->up = true;
		return;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		if (c && !c->reported) {
			c->down = true;
			c->reported = true;
			if (c->id->qp)
				ibv_modify_qp(c->id->qp, &(struct ibv_qp_attr){ .qp_state = IBV_QPS_ERR },
					      IBV_QP_STATE);
			conn_flush_local(x, c);
			/* DISCONNECTED is reported once posted work has flushed:
			 * here, after the CQ drains (flushes arrive before this
			 * event is consumed by the caller in practice) */
			pend(x, c, SRP_WC_DISCONNECTED, NULL, 0);
		}
		return;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		log_err("verbs: RDMA device removed");
		return;
	default:
		return;
	}
}

static struct vb_conn *conn_by_qp(struct srp_xport *x, uint32_t qp_num)
{
	for (struct vb_conn *c = x->conns; c; c = c->next)
		if (c->id->qp && c->id->qp->qp_num == qp_num)
			return c;
	return NULL;
}

/* An IU that landed in SRQ buffer i for connection c: into the next buffer
 * the channel posted, then the SRQ buffer goes back. */
static bool srq_recv(struct srp_xport *x, const struct ibv_wc *w, struct vb_conn *c,
		     struct srp_wc *o)
{
	uint32_t i = (uint32_t)(w->wr_id & 0xffffffffu);
	bool ok = w->status == IBV_WC_SUCCESS;

	if (i >= x->srq_n)
		return false;
	if (ok && c && !c->down) {
		struct vb_rbuf *b = c->rq_len ? &c->rq[c->rq_head] : NULL;

		if (!b || w->byte_len > b->len || w->byte_len > x->srq_buf) {
			/* beyond its credits, or longer than its buffer */
			log_warn("verbs: receive overrun on a connection: breaking it");
			rdma_disconnect(c->id);
		} else {
			memcpy(b->buf, x->srq_mem + (size_t)i * x->srq_buf, w->byte_len);
			o->op = SRP_WC_RECV;
			o->status = SRP_WC_OK;
			o->wr_id = b->wr_id;
			o->len = w->byte_len;
			o->conn = &c->xc;
			c->rq_head = (c->rq_head + 1) % VB_CONN_RQ;
			c->rq_len--;
		}
	}
	if (ok || w->status != IBV_WC_WR_FLUSH_ERR)
		if (srq_post(x, i) < 0)
			log_err("verbs: cannot post an SRQ buffer again: %s", strerror(errno));
	return o->conn != NULL;
}

/* One work completion into ours (false: nothing for the protocol code). */
static bool cq_entry(struct srp_xport *x, const struct ibv_wc *w, struct srp_wc *o)
{
	struct vb_conn *c = conn_by_qp(x, w->qp_num);

	memset(o, 0, offsetof(struct srp_wc, priv));
	if (w->wr_id >> 56 == VB_SRQ_TAG)
		return srq_recv(x, w, c, o);
	o->wr_id = w->wr_id;
	o->len = w->byte_len;
	o->status = w->status == IBV_WC_SUCCESS ? SRP_WC_OK :
		    w->status == IBV_WC_WR_FLUSH_ERR ? SRP_WC_FLUSH :
		    w->status == IBV_WC_REM_ACCESS_ERR ? SRP_WC_REM_ACCESS : SRP_WC_LOC_ERR;
	/* the opcode is defined only for a successful completion; the
	 * protocol code tells its work requests apart by wr_id anyway */
	o->op = w->status != IBV_WC_SUCCESS ? SRP_WC_SEND :
		w->opcode == IBV_WC_RECV ? SRP_WC_RECV :
		w->opcode == IBV_WC_RDMA_READ ? SRP_WC_READ :
		w->opcode == IBV_WC_RDMA_WRITE ? SRP_WC_WRITE : SRP_WC_SEND;
	o->conn = c ? &c->xc : NULL;
	/* a send-queue entry is free again (receives are not on it; with an
	 * error the opcode is undefined, so the wr_id says which it was) */
	if (c && (w->wr_id >> 56) != SRP_WR_RECV_TYPE && c->sq_out) {
		c->sq_out--;
		sq_kick(c);
	}
	return true;
}

static int vb_poll(struct srp_xport *x, struct srp_wc *wc, int max)
{
	struct rdma_cm_event *e;
	struct ibv_wc w[32];
	uint64_t v = 1;
	int got = 0, n;

	if (read(x->kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("verbs: eventfd: %s", strerror(errno));
	while (rdma_get_cm_event(x->ec, &e) == 0) {
		struct rdma_cm_event copy = *e;
		uint8_t priv[SRP_XPORT_PRIV_MAX];
		uint32_t plen = e->param.conn.private_data_len;

		if (plen > sizeof(priv))
			plen = sizeof(priv);
		if (plen)
			memcpy(priv, e->param.conn.private_data, plen);
		copy.param.conn.private_data = priv;
		copy.param.conn.private_data_len = (uint8_t)plen;
		rdma_ack_cm_event(e);
		cm_event(x, &copy);
	}
	if (x->cq) {
		struct ibv_cq *cq;
		void *ctx;

		if (ibv_get_cq_event(x->cc, &cq, &ctx) == 0) {
			ibv_ack_cq_events(cq, 1);
			ibv_req_notify_cq(cq, 0);
		}
		while (got < max && (n = ibv_poll_cq(x->cq, max - got < 32 ? max - got : 32, w)) > 0)
			for (int i = 0; i < n; i++)
				if (cq_entry(x, &w[i], &wc[got]))
					got++;
	}
	/* CM events after the completions that precede them */
	while (got < max && x->npend) {
		wc[got++] = x->pend[0];
		memmove(x->pend, x->pend + 1, --x->npend * sizeof(*x->pend));
	}
	/* completions left in the CQ raise no new event (the CQ was armed
	 * for the next one): have the loop call us again */
	v = 1;
	if ((got == max || x->npend) && write(x->kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("verbs: eventfd: %s", strerror(errno));
	return got;
}

static int vb_accept(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct rdma_conn_param p = { .private_data = priv, .private_data_len = (uint8_t)len,
				     .responder_resources = c->rd_in,
				     .initiator_depth = c->rd_out, .rnr_retry_count = 7 };

	return rdma_accept(c->id, &p) ? -errno : 0;
}

static void vb_release(struct srp_xconn *xc);

static void vb_reject(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;

	rdma_reject(c->id, priv, (uint8_t)len);
	vb_release(xc);
}

/* Failures come back as completions, as a broken QP's do: the protocol
 * code counts every work request until its completion. */
static int vb_post_recv(struct srp_xconn *xc, uint64_t wr_id, void *buf, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct srp_xport *x = xc->x;
	struct ibv_sge sge = { (uintptr_t)buf, len, lkey_of(x, buf, len) };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1 }, *bad;

	if (x->srq) {
		/* the channel's buffer waits here for an IU from the SRQ */
		if (c->down || c->rq_len == VB_CONN_RQ) {
			pend_wc(x, c, SRP_WC_RECV, SRP_WC_FLUSH, wr_id, 0);
			return 0;
		}
		c->rq[(c->rq_head + c->rq_len++) % VB_CONN_RQ] =
			(struct vb_rbuf){ .wr_id = wr_id, .buf = buf, .len = len };
		return 0;
	}
	if (c->down || ibv_post_recv(c->id->qp, &wr, &bad))
		pend_wc(x, c, SRP_WC_RECV, SRP_WC_FLUSH, wr_id, 0);
	return 0;
}

static void sq_submit(struct vb_conn *c, const struct ibv_send_wr *wr, const struct ibv_sge *sge,
		      uint8_t op)
{
	int r = sq_post(c, wr, sge);

	if (r < 0) {
		if (r != -ENOTCONN)
			log_warn("verbs: post_send: %s", strerror(-r));
		pend_wc(c->xc.x, c, op, r == -ENOTCONN ? SRP_WC_FLUSH : SRP_WC_LOC_ERR, wr->wr_id,
			0);
	}
}

static int vb_send(struct srp_xconn *xc, uint64_t wr_id, const void *buf, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct ibv_sge sge = { (uintptr_t)buf, len, lkey_of(xc->x, buf, len) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .num_sge = 1, .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED };

	sq_submit(c, &wr, &sge, SRP_WC_SEND);
	return 0;
}

static int vb_rdma(struct srp_xconn *xc, bool write, uint64_t wr_id, void *local, uint32_t len,
		   uint64_t raddr, uint32_t rkey)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct ibv_sge sge = { (uintptr_t)local, len, lkey_of(xc->x, local, len) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .num_sge = 1,
				  .opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
				  .send_flags = IBV_SEND_SIGNALED };

	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	sq_submit(c, &wr, &sge, write ? SRP_WC_WRITE : SRP_WC_READ);
	return 0;
}

static void vb_disconnect(struct srp_xconn *xc)
{
	struct vb_conn *c = (struct vb_conn *)xc;

	rdma_disconnect(c->id);
}

static void vb_release(struct srp_xconn *xc)
{
	struct vb_conn *c = (struct vb_conn *)xc, **pp;

	for (pp = &xc->x->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	while (c->wq) {
		struct vb_wr *w = c->wq;

		c->wq = w->next;
		free(w);
	}
	if (c->id->qp) {
		rdma_destroy_qp(c->id);
		xc->x->cq_used -= c->cq_grant;
	}
	rdma_destroy_id(c->id);
	free(c);
}

static void vb_close(struct srp_xport *x)
{
	dev_teardown(x);
	rdma_destroy_id(x->listen);
	rdma_destroy_event_channel(x->ec);
	close(x->ep);
	close(x->kick);
	free(x->pend);
	rdma_free_devices(x->devs);
	free(x);
}

const struct srp_xport_ops srp_verbs_ops = {
	.name = "verbs",
	.open = vb_open,
	.reg = vb_reg,
	.fd = vb_fd,
	.poll = vb_poll,
	.accept = vb_accept,
	.reject = vb_reject,
	.post_recv = vb_post_recv,
	.send = vb_send,
	.rdma = vb_rdma,
	.disconnect = vb_disconnect,
	.release = vb_release,
	.close = vb_close,
};
