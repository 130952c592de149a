/* mtgt-fc internals: local ports (one per port driver instance), remote
 * ports (initiators that logged in), FCP commands, and the functions the
 * files of this process call in each other. */
#ifndef MTGT_FC_H
#define MTGT_FC_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "common/fe_link.h"
#include "procs/frontend-fc/fc_exch.h"
#include "procs/frontend-fc/fc_fabric.h"
#include "procs/frontend-fc/fc_fcp.h"
#include "procs/frontend-fc/fc_port.h"
#include "shm/msg.h"
#include "shm/pool.h"

#define FC_LS_REQS 16

/* Exit status when no configured port can run on this machine: the
 * supervisor does not restart us (SUP_EXIT_UNAVAILABLE, sup_srp.h). */
#define FC_EXIT_UNAVAILABLE 69

enum fc_req_kind { FRQ_NEXUS = 1, FRQ_CMD, FRQ_TMF };

struct fc_tgt;
struct fc_lport;
struct fc_rport;

enum fc_cmd_state {
	FCS_WAIT,       /* waiting for pool space (fc_wait.c), not at the core */
	FCS_CORE,       /* at the core */
	FCS_DATA_OUT,   /* XFER_RDY sent, data-out arriving */
	FCS_DONE,
};

struct fc_cmd {
	struct fc_rport *rp;
	struct fc_cmd *prev, *next;     /* rp->cmds */
	struct fc_exch *x;              /* NULL once the exchange is gone */
	struct fc_xid xid;
	enum fc_cmd_state state;
	uint64_t core_tag;              /* 0 when not at the core */
	uint8_t  dir;
	bool     aborted;               /* ABTS, LOGO, PRLO: answer nothing */
	bool     linked;                /* in rp->cmds */
	bool     bad_data;              /* data-out broke the burst: RSP_CODE 1 */
	bool     timed_out;             /* data-out stopped coming: DATA PHASE ERROR */
	uint32_t seen_bytes;            /* data-out progress at the last tick */
	uint64_t seen_ms;               /* when it last moved */
	uint32_t want;                  /* data-out the core asked for */
	uint32_t have;                  /* data-out bytes in the buffer (from 0) */
	/* re-submitted to a new core while the old core's data-out still
	 * arrives: the new core's XFER_RDY waits for it (pending_want) */
	bool     replay_out;
	uint32_t pending_want;
	int      out_status;            /* how that data-out ended */
	uint32_t dl;                    /* FCP_DL */
	uint64_t lun;
	struct buf_handle buf;
	uint8_t *data;
	struct fc_xfer xfer;
	struct msg_cmd_rsp rsp;         /* kept while data-in is sent */
	/* FCS_WAIT: queued on rp->wait_head until a buffer is free; what the
	 * core will be sent then */
	struct fc_cmd *wnext;
	bool     waiting;
	uint8_t  attr;                  /* MSG_TASK_* */
	uint8_t  cdb_len;
	uint8_t  cdb[MSG_CDB_MAX];
};

/* A TMF (FCP_CMND with a task management flag) at the core. */
struct fc_tmf {
	struct fc_rport *rp;
	struct fc_exch *x;
	struct fc_xid xid;
	uint8_t  fn;
};

enum fc_nexus_state { FNX_NONE, FNX_ADDING, FNX_LIVE };

struct fc_rport {
	struct fc_lport *lp;
	struct fc_rport *next;
	uint32_t id;                    /* N_Port id */
	uint64_t wwpn, wwnn;
	uint32_t rx_size;               /* its PLOGI receive data field size */
	bool     prli;                  /* FCP image pair established */
	bool     gone;                  /* logged out: freed when refs drop */
	enum fc_nexus_state nx;
	uint32_t nexus;
	struct buf_handle names;
	/* a PRLI answered once the core accepted the nexus */
	bool     prli_pending;
	struct fc_xid prli_xid;
	struct fc_exch *prli_x;
	uint32_t refs;                  /* commands, TMFs, the login itself */
	struct fc_cmd *cmds;
	uint32_t ncmds;                 /* in cmds */
	/* commands waiting for pool space, oldest first (fc_wait.c) */
	struct fc_cmd *wait_head, *wait_tail;
	uint32_t nwait;
	struct fc_rport *wrp_next;      /* lp->wait_rr, while nwait > 0 */
	bool     wrp_linked;
};

/* Open commands one initiator may hold before TASK SET FULL: the exchange
 * table (4096 per port) is shared by every initiator of the port. */
#define FC_RPORT_MAX_CMDS 1024

struct fc_lport {
	struct fc_tgt *t;
	const struct fc_port_ops *ops;
	struct fc_port *drv;
	uint64_t wwpn, wwnn;
	char     target[MSG_NAME_MAX];
	char     name[64];
	bool     up;
	uint32_t nport_id, max_payload;
	struct fc_exch_mgr *em;
	struct fc_rport *rports;
	uint16_t next_ox;               /* our own requests (LOGO, PLOGI) */
	struct {
		uint32_t peer;          /* 0: free */
		uint16_t ox_id;
		uint64_t ms;
	} reqs[FC_LS_REQS];             /* our PLOGIs waiting for LS_ACC */
	ev_io    w;
	struct fc_fabric fab;           /* fabric login (fc_fabric.c) */
	/* initiators with commands waiting for pool space, served in turn */
	struct fc_rport *wait_rr, *wait_rr_tail;
	uint32_t nwait;                 /* commands waiting on this port */
};

struct fc_stats {
	uint64_t plogi, prli, logo, prlo, ls_rjt, abts, ba_rjt, commands, tmfs,
		 bytes_in, bytes_out, bad_cmnd, busy, dropped;
	/* fc_wait.c: commands that waited for pool space, TASK SET FULL
	 * because the wait queue was full, the most waiting at once */
	uint64_t waited, wait_full, wait_peak;
};

struct fc_tgt {
	struct child *c;
	struct ev_loop *loop;
	struct fe_link fl;
	struct pool_alloc alloc;
	uint32_t nports;
	struct fc_lport *ports;
	uint32_t next_nexus;
	uint32_t max_io;
	uint32_t data_out_ms;           /* fc_options.data_out_timeout_ms */
	uint64_t pool_limit;            /* fc_options.pool_bytes, 0: the arena */
	uint64_t pool_used;             /* bytes of buffers held by commands */
	uint32_t wait_max;              /* fc_options.wait_queue, per port */
	uint32_t nwait;                 /* waiting on every port */
	uint32_t wait_port;             /* the port served first next time */
	bool     intake_paused;
	bool     shutting_down;
	ev_timer tick;
	struct fc_stats st;
};

/* fc_tgt.c */
int  fc_tgt_init(struct fc_tgt *t, struct child *c, struct ev_loop *loop);
void fc_tgt_stats(struct fc_tgt *t);
void fc_tgt_shutdown(struct fc_tgt *t);
void fc_tgt_link_down(struct fc_tgt *t);
void fc_tgt_link_up(struct fc_tgt *t, struct ctl_msg *m);
uint64_t fc_now_ms(void);

/* fc_ls.c: link services and remote ports */
void fc_ls_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len);
void fc_abts_recv(struct fc_lport *lp, const struct fc_hdr *h);
struct fc_rport *fc_rport_find(struct fc_lport *lp, uint32_t id);
void fc_rport_logout(struct fc_rport *rp, const char *why);
void fc_rport_put(struct fc_rport *rp);
void fc_rport_nexus_added(struct fc_rport *rp, int result);
void fc_lport_logo_send(struct fc_lport *lp, uint32_t d_id);
void fc_ls_reply_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl,
		      uint32_t len);
void fc_ls_reply(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl, uint32_t len);
void fc_all_logout(struct fc_tgt *t, const char *why);

/* fc_cmd.c: FCP */
void fc_cmd_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len);
void fc_cmd_xfer_done(struct fc_lport *lp, struct fc_xfer *xf, int status);
bool fc_cmd_core_msg(struct fc_tgt *t, const union msg *m, uint8_t kind, void *obj);
void fc_cmd_abandon(struct fc_tgt *t, uint8_t kind, void *obj);
bool fc_cmd_replay(struct fc_tgt *t, uint8_t kind, void *obj, union msg *m);
/* the exchange of cmd was aborted (ABTS) or its port logged out */
void fc_cmd_abort(struct fc_cmd *cmd, bool tell_core);
void fc_cmd_free(struct fc_cmd *cmd);
/* Every tick: data-out that stopped coming for t->data_out_ms ends the
 * command with CHECK CONDITION, DATA PHASE ERROR. */
void fc_cmd_timers(struct fc_lport *lp, uint64_t now_ms);
/* a buffer for cmd (from the pool, within pool_limit): 0, -ENOMEM (wait),
 * -E2BIG (never fits) */
int  fc_cmd_buf_get(struct fc_tgt *t, struct fc_cmd *cmd);
/* send a command that has its buffer to the core (false: no request slot,
 * it was answered TASK SET FULL and freed) */
bool fc_cmd_submit(struct fc_cmd *cmd);
void fc_cmd_busy(struct fc_cmd *cmd);

/* fc_wait.c: commands waiting for pool space (DESIGN.md: when the pool is
 * exhausted commands wait) */
void fc_wait_add(struct fc_cmd *cmd);
void fc_wait_del(struct fc_cmd *cmd);
/* start waiting commands while buffers can be had (once per loop turn) */
void fc_wait_kick(struct fc_tgt *t);
/* a TMF of rp: its waiting commands in the TMF's scope go (lun, or all) */
void fc_wait_tmf(struct fc_rport *rp, bool all_luns, uint64_t lun);

/* fc_sandbox.c */
struct sandbox_profile;
const struct sandbox_profile *fc_sandbox_profile(void);

#endif
