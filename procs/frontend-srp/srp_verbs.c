/* The `verbs` transport: RDMA CM (librdmacm) listener, RC queue pairs,
 * one completion channel per port, memory registered with ibv_reg_mr so
 * RDMA goes straight into pool buffers. It builds here but has never run:
 * the build machines have no RDMA devices, and open() then says -ENODEV
 * ("no RDMA devices") so the process can report itself unavailable.
 *
 * A connection request arrives as RDMA_CM_EVENT_CONNECT_REQUEST with the
 * SRP login in its private data (struct srp_login_req_rdma, 56 bytes); the
 * protection domain, completion queue and registrations are made per device
 * on first use (the device is known only once a request names it). Each
 * connection has its own receive queue (not an SRQ: the protocol code posts
 * receives per channel, which keeps credits and buffers per login). */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "common/log.h"
#include "procs/frontend-srp/srp_xport.h"

#define VB_MAX_REGS 4096
#define VB_CQE      4096
#define VB_QP_WR    1024

struct vb_region {
	void   *base;
	size_t  len;
	struct ibv_mr *mr;
};

struct vb_conn {
	struct srp_xconn xc;
	struct vb_conn *next;
	struct rdma_cm_id *id;
	bool    up, down, reported;
	uint32_t posted;
};

struct srp_xport {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *listen;
	int     ep;
	struct ibv_context *dev;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	struct ibv_cq *cq;
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

/* The device of the first request: PD, completion channel, CQ, MRs. */
static int dev_setup(struct srp_xport *x, struct ibv_context *dev)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (x->dev)
		return x->dev == dev ? 0 : -EXDEV; /* one device per port */
	x->pd = ibv_alloc_pd(dev);
	x->cc = x->pd ? ibv_create_comp_channel(dev) : NULL;
	x->cq = x->cc ? ibv_create_cq(dev, VB_CQE, NULL, x->cc, 0) : NULL;
	if (!x->cq || ibv_req_notify_cq(x->cq, 0))
		return -ENOMEM;
	fcntl(x->cc->fd, F_SETFL, fcntl(x->cc->fd, F_GETFL) | O_NONBLOCK);
	ev.data.u32 = 1;
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, x->cc->fd, &ev) < 0)
		return -errno;
	x->dev = dev;
	return reg_all(x);
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
	x->ep = epoll_create1(EPOLL_CLOEXEC);
	x->ec = rdma_create_event_channel();
	if (x->ep < 0 || !x->ec)
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
		qa.send_cq = qa.recv_cq = x->cq;
		qa.qp_type = IBV_QPT_RC;
		qa.cap.max_send_wr = VB_QP_WR;
		qa.cap.max_recv_wr = VB_QP_WR;
		qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
		if (rdma_create_qp(e->id, x->pd, &qa)) {
			rdma_reject(e->id, NULL, 0);
			rdma_destroy_id(e->id);
			free(c);
			return;
		}
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

static int vb_poll(struct srp_xport *x, struct srp_wc *wc, int max)
{
	struct rdma_cm_event *e;
	struct ibv_wc w[32];
	int got = 0, n;

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
			for (int i = 0; i < n; i++) {
				struct srp_wc *o = &wc[got++];

				memset(o, 0, offsetof(struct srp_wc, priv));
				o->wr_id = w[i].wr_id;
				o->len = w[i].byte_len;
				o->status = w[i].status == IBV_WC_SUCCESS ? SRP_WC_OK :
					    w[i].status == IBV_WC_WR_FLUSH_ERR ? SRP_WC_FLUSH :
					    w[i].status == IBV_WC_REM_ACCESS_ERR ? SRP_WC_REM_ACCESS :
					    SRP_WC_LOC_ERR;
				o->op = w[i].opcode == IBV_WC_RECV ? SRP_WC_RECV :
					w[i].opcode == IBV_WC_RDMA_READ ? SRP_WC_READ :
					w[i].opcode == IBV_WC_RDMA_WRITE ? SRP_WC_WRITE : SRP_WC_SEND;
				/* the QP number names the connection */
				for (struct vb_conn *c = x->conns; c; c = c->next)
					if (c->id->qp && c->id->qp->qp_num == w[i].qp_num)
						o->conn = &c->xc;
			}
	}
	/* CM events after the completions that precede them */
	while (got < max && x->npend) {
		wc[got++] = x->pend[0];
		memmove(x->pend, x->pend + 1, --x->npend * sizeof(*x->pend));
	}
	return got;
}

static int vb_accept(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct rdma_conn_param p = { .private_data = priv, .private_data_len = (uint8_t)len,
				     .responder_resources = 16, .initiator_depth = 16,
				     .rnr_retry_count = 7 };

	return rdma_accept(c->id, &p) ? -errno : 0;
}

static void vb_release(struct srp_xconn *xc);

static void vb_reject(struct srp_xconn *xc, const void *priv, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;

	rdma_reject(c->id, priv, (uint8_t)len);
	vb_release(xc);
}

static int vb_post_recv(struct srp_xconn *xc, uint64_t wr_id, void *buf, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct ibv_sge sge = { (uintptr_t)buf, len, lkey_of(xc->x, buf, len) };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1 }, *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad) ? -errno : 0;
}

static int vb_send(struct srp_xconn *xc, uint64_t wr_id, const void *buf, uint32_t len)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct ibv_sge sge = { (uintptr_t)buf, len, lkey_of(xc->x, buf, len) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED }, *bad;

	return ibv_post_send(c->id->qp, &wr, &bad) ? -errno : 0;
}

static int vb_rdma(struct srp_xconn *xc, bool write, uint64_t wr_id, void *local, uint32_t len,
		   uint64_t raddr, uint32_t rkey)
{
	struct vb_conn *c = (struct vb_conn *)xc;
	struct ibv_sge sge = { (uintptr_t)local, len, lkey_of(xc->x, local, len) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
				  .opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;

	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	return ibv_post_send(c->id->qp, &wr, &bad) ? -errno : 0;
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
	if (c->id->qp)
		rdma_destroy_qp(c->id);
	rdma_destroy_id(c->id);
	free(c);
}

static void vb_close(struct srp_xport *x)
{
	for (uint32_t i = 0; i < x->nregs; i++)
		if (x->regs[i].mr)
			ibv_dereg_mr(x->regs[i].mr);
	if (x->cq)
		ibv_destroy_cq(x->cq);
	if (x->cc)
		ibv_destroy_comp_channel(x->cc);
	if (x->pd)
		ibv_dealloc_pd(x->pd);
	rdma_destroy_id(x->listen);
	rdma_destroy_event_channel(x->ec);
	close(x->ep);
	free(x->pend);
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
