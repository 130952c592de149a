/* The FC port-driver interface: what the FC stack of mtgt-fc (link
 * services, FCP target) asks of a port, and what a port tells the stack.
 *
 * It is exchange-level, as SPDK's FC low-level-driver interface is: a real
 * HBA's firmware cuts and reassembles sequences, so the stack never sees
 * single data frames. The stack names an exchange by struct fc_xid and hands
 * the driver whole transfers (pool memory as iovecs, a relative offset); the
 * driver cuts them into frames of the negotiated size, keeps SEQ_ID/SEQ_CNT,
 * places solicited data-out at its relative offsets, and reports completion.
 * Drivers: software FCoE over AF_PACKET (fc_fcoe.c), VFIO HBAs (branch
 * wt-vfio).
 *
 * Threading: one event loop. The stack polls the driver when fd() is
 * readable and once per loop iteration (poll() must be cheap when idle);
 * every callback runs from inside poll() or from inside the op that caused
 * it, so the stack must not touch a transfer after handing it over until its
 * done() callback ran. All ops return 0 or a negative errno; ops never block.
 *
 * Ownership of exchange ids: the stack allocates RX_IDs for exchanges the
 * initiator opens (fc_exch.c) and OX_IDs for its own requests; the driver
 * only echoes them. Frames the driver receives that belong to no posted
 * transfer and are not unsolicited (R_CTL) are dropped and counted. */
#ifndef MTGT_FC_PORT_H
#define MTGT_FC_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "procs/frontend-fc/fc_frame.h"

struct fc_port;          /* the driver's port */

/* An exchange as both ends name it. peer is the remote N_Port id. */
struct fc_xid {
	uint32_t peer;
	uint16_t ox_id, rx_id;
	bool     originator;  /* we opened it (our ELS request), else we respond */
};

struct fc_iov {
	void    *base;        /* inside the pool arena the driver was given */
	uint32_t len;
};

#define FC_XFER_IOV_MAX 4

/* One data transfer on an exchange (data-in to send, or data-out to
 * solicit and receive). Owned by the driver from the op until done(). */
struct fc_xfer {
	struct fc_xid x;
	uint32_t rel_off;      /* relative offset of the first byte */
	uint32_t len;          /* bytes, the sum of the iovecs */
	struct fc_iov iov[FC_XFER_IOV_MAX];
	uint32_t niov;
	uint32_t max_frame;    /* payload per frame: the peer's PLOGI receive size
	                        * (the driver also cuts to what its link carries) */
	void    *user;         /* the stack's command */
	/* driver state */
	uint32_t done_bytes;
	uint16_t seq_cnt;
	uint8_t  seq_id;
	bool     posted;
};

/* What a port tells the stack; arg is the stack's cookie from open(). */
struct fc_port_cb {
	/* The link came up with our N_Port id (0 when the stack must FLOGI
	 * or claim one itself: never, for the drivers here) and the largest
	 * frame payload the link carries, or went down (every exchange is
	 * gone; no done() follows for transfers the driver still held: the
	 * stack gets them back through xfer_done with -ENETDOWN first). */
	void (*link)(void *arg, bool up, uint32_t nport_id, uint32_t max_payload);
	/* A frame that opens or acts on an exchange from the stack's point of
	 * view: ELS requests (R_CTL 0x22) and replies to our requests (0x23),
	 * BLS (ABTS), FCP_CMND. One frame, header decoded; payload valid only
	 * during the call. Multi-frame unsolicited sequences are refused by
	 * the driver (an ELS or FCP_CMND fits a frame). */
	void (*recv)(void *arg, const struct fc_hdr *h, const uint8_t *payload, uint32_t len);
	/* A transfer ended: 0 (all bytes sent or placed), -EPROTO (the
	 * initiator's data broke the sequence rules or the burst), -ECANCELED
	 * (abort()), -ENETDOWN (link lost), -EIO (could not send). */
	void (*xfer_done)(void *arg, struct fc_xfer *t, int status);
	/* A remote port vanished below FC (FIP keep-alive timeout, VN2VN
	 * claim lost, FIP LOGO): the stack logs it out as if by LOGO. */
	void (*peer_gone)(void *arg, uint32_t peer);
};

struct fc_port_conf {
	uint64_t wwpn, wwnn;
	const char *name;      /* for logs */
	void    *driver_conf;  /* the port's JSON object (json_t *) from CTL_INIT */
	int      fd;           /* the inherited device fd (packet socket, VFIO device), -1: none */
};

struct fc_port_ops {
	const char *name;
	int  (*open)(struct fc_port **out, const struct fc_port_conf *conf,
		     const struct fc_port_cb *cb, void *arg);
	/* The pool memory transfers name, so a DMA driver can map it. */
	int  (*map)(struct fc_port *p, void *base, uint64_t len);
	int  (*fd)(struct fc_port *p);
	/* Process what arrived and deliver completions; bounded work per call.
	 * Returns >0 when it stopped with work left (call again). */
	int  (*poll)(struct fc_port *p);
	/* Data-in: send t->len bytes at relative offset t->rel_off as FCP_DATA
	 * frames of at most the negotiated payload, one sequence. */
	int  (*send_data)(struct fc_port *p, struct fc_xfer *t);
	/* Data-out: send FCP_XFER_RDY(rel_off, len) and place the FCP_DATA
	 * frames that answer it; done() when all len bytes are in, or on the
	 * first frame outside the burst. With XFER_RDY disabled for writes
	 * (PRLI), send_xfer_rdy false: only place the data. */
	int  (*recv_data)(struct fc_port *p, struct fc_xfer *t, bool send_xfer_rdy);
	/* A single-frame sequence on an exchange: FCP_RSP (r_ctl 0x07, type
	 * FCP), ELS reply/request (0x23/0x22, type ELS), BA_ACC/BA_RJT (0x84/
	 * 0x85, type BLS). last: it ends the exchange (LAST_SEQ). The payload is
	 * copied or sent before the op returns. */
	int  (*send_seq)(struct fc_port *p, const struct fc_xid *x, uint8_t r_ctl, uint8_t type,
			 bool last, const uint8_t *payload, uint32_t len);
	/* Forget the exchange: a posted transfer ends with -ECANCELED; later
	 * frames of it are dropped. Sends nothing (the stack answered ABTS). */
	void (*abort)(struct fc_port *p, const struct fc_xid *x);
	void (*stats)(struct fc_port *p, char *buf, uint32_t cap);
	void (*close)(struct fc_port *p);
	/* Optional: the port logged in to a fabric through an F_Port (the
	 * stack then registers with the name server). */
	bool (*fabric)(struct fc_port *p);
};

/* Drivers known to mtgt-fc, by the config's "driver" name. */
const struct fc_port_ops *fc_port_driver(const char *name);
extern const struct fc_port_ops fc_fcoe_ops;

#endif
