/* The RDMA transport under the SRP protocol code: a small ops table with
 * two implementations, `soft` (shared memory between processes, a test
 * transport: srp_soft.c) and `verbs` (libibverbs + librdmacm: srp_verbs.c).
 *
 * Model: a port listens; a connection request arrives with up to 56 bytes
 * of private data (the SRP login); the target accepts or rejects it with
 * private data of its own. On a connection: post receive buffers, send IUs,
 * RDMA READ / RDMA WRITE between local registered memory and (address,
 * rkey) in the initiator's memory. Everything completes through poll()
 * (work completions and connection events), with one pollable fd per port
 * for the event loop. As with an RC queue pair, an error on a connection
 * (remote access error, receive overrun) breaks it: later work requests
 * complete with SRP_WC_FLUSH and a DISCONNECTED event follows. */
#ifndef MTGT_SRP_XPORT_H
#define MTGT_SRP_XPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SRP_XPORT_PRIV_MAX 56
/* wr_id >> 56 of every receive the protocol code posts (and of nothing
 * else): a transport that must tell receives from send-queue work in a
 * failed completion, whose opcode is undefined, looks at it. */
#define SRP_WR_RECV_TYPE 1

struct srp_xport;
struct srp_xconn {
	struct srp_xport *x;
	void *user;              /* the channel */
};

enum srp_wc_op {
	SRP_WC_RECV = 1,
	SRP_WC_SEND,
	SRP_WC_READ,
	SRP_WC_WRITE,
	SRP_WC_CONN_REQ,         /* priv holds the connect private data */
	SRP_WC_DISCONNECTED,     /* after every posted request has completed */
};

enum srp_wc_status {
	SRP_WC_OK = 0,
	SRP_WC_FLUSH,            /* connection going down: not executed */
	SRP_WC_REM_ACCESS,       /* rkey, bounds or access rights refused */
	SRP_WC_LOC_ERR,          /* local length/protection error */
};

struct srp_wc {
	uint8_t  op;
	uint8_t  status;
	struct srp_xconn *conn;
	uint64_t wr_id;
	uint32_t len;
	uint32_t priv_len;
	uint8_t  priv[SRP_XPORT_PRIV_MAX];
};

struct srp_xport_ops {
	const char *name;
	/* Listen as described by desc (the port's JSON from CTL_INIT), and
	 * register local memory [base, base+len) for RDMA (the pool arena).
	 * -ENODEV: the transport cannot run on this machine. */
	int  (*open)(struct srp_xport **out, json_t *desc, void *base, size_t len);
	/* More local memory (IU buffers) usable in send/recv/rdma. */
	int  (*reg)(struct srp_xport *x, void *base, size_t len);
	int  (*fd)(struct srp_xport *x);
	int  (*poll)(struct srp_xport *x, struct srp_wc *wc, int max);
	int  (*accept)(struct srp_xconn *c, const void *priv, uint32_t len);
	/* Refuse a connection request; the transport frees it. */
	void (*reject)(struct srp_xconn *c, const void *priv, uint32_t len);
	int  (*post_recv)(struct srp_xconn *c, uint64_t wr_id, void *buf, uint32_t len);
	int  (*send)(struct srp_xconn *c, uint64_t wr_id, const void *buf, uint32_t len);
	int  (*rdma)(struct srp_xconn *c, bool write, uint64_t wr_id, void *local, uint32_t len,
		     uint64_t raddr, uint32_t rkey);
	/* Begin tearing down; a DISCONNECTED event follows. */
	void (*disconnect)(struct srp_xconn *c);
	/* After DISCONNECTED: free the connection. */
	void (*release)(struct srp_xconn *c);
	void (*close)(struct srp_xport *x);
	/* Live upgrade (srp_handover.c): stop (true) or resume (false) taking
	 * new connections and reading on the existing ones; connections nobody
	 * above knows yet are dropped (their initiators retry). Sends, RDMA and
	 * disconnects go on. NULL: the transport cannot pause (verbs). */
	void (*pause)(struct srp_xport *x, bool paused);
	/* Live upgrade: describe an idle connection (nothing posted but
	 * receives, no completion queued) for another process: its fds (the
	 * connection first) into fds[*nfds...] up to max, the rest into *desc.
	 * -ENOSPC: more fds than max. NULL: connections cannot move. */
	int  (*export_conn)(struct srp_xconn *c, json_t **desc, int *fds, int *nfds, int max);
	/* ... and take one over: fds[] are the ones export_conn listed, in
	 * order, nfds of them; they are the connection's on success (the
	 * caller closes none of them), untouched on failure. Every field is
	 * checked as input. NULL on failure. */
	struct srp_xconn *(*import_conn)(struct srp_xport *x, json_t *desc, const int *fds,
					 int nfds);
	/* ... and check such a description without the fds, before anything
	 * is built (0 or -EINVAL); NULL: only import_conn checks it. */
	int  (*check_conn)(const json_t *desc, int nfds);
};

extern const struct srp_xport_ops srp_soft_ops;
extern const struct srp_xport_ops srp_verbs_ops;

#endif
