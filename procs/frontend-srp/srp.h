/* mtgt-srp internals: ports, sessions (I_T nexuses), RDMA channels and
 * commands, and the functions the files of this process call in each other. */
#ifndef MTGT_SRP_H
#define MTGT_SRP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "common/fe_link.h"
#include "procs/frontend-srp/srp_iu.h"
#include "procs/frontend-srp/srp_xport.h"
#include "shm/msg.h"
#include "shm/pool.h"

/* CTL_INIT exit code of a frontend whose transport cannot run on this
 * machine (verbs without RDMA devices): the supervisor does not restart it. */
#define SRP_EXIT_UNAVAILABLE 69

/* srp_chan_close() reason that sends no T_LOGOUT (the initiator left, or
 * the connection is already broken) */
#define SRP_TLO_SILENT 0xffffffffu

enum srp_req_kind { SRQ_NEXUS = 1, SRQ_CMD, SRQ_TMF };

struct srp_tgt;
struct srp_sess;
struct srp_chan;

struct srp_port {
	struct srp_tgt *t;
	const struct srp_xport_ops *ops;
	struct srp_xport *x;
	uint8_t  id[SRP_PORT_ID_LEN];
	char     target[MSG_NAME_MAX];
	char     name[64];
	ev_io    w;
};

enum srp_cmd_state {
	SC_FETCH,       /* reading the initiator's descriptor table */
	SC_WAIT_BUF,    /* waiting for pool space */
	SC_CORE,        /* at the core */
	SC_DATA_OUT,    /* RDMA READs of data-out in flight */
	SC_DATA_IN,     /* RDMA WRITEs + RSP in flight */
	SC_DONE,
};

struct srp_cmd {
	struct srp_chan *ch;            /* NULL once its channel is gone */
	struct srp_sess *sess;
	struct srp_cmd *prev, *next;    /* ch->cmds */
	struct srp_cmd *wnext;          /* t->wait_buf */
	enum srp_cmd_state state;
	uint64_t srp_tag;
	uint64_t core_tag;              /* 0 when not at the core */
	uint64_t lun;
	uint8_t  dir, attr, cdb_len;
	uint8_t  cdb[MSG_CDB_MAX];
	bool     aborted;               /* by a TMF before it reached the core */
	uint32_t total;                 /* bytes the descriptors offer */
	uint32_t ndesc;
	struct srp_desc *desc;
	struct srp_desc desc1;          /* storage for one descriptor */
	struct srp_desc table;          /* indirect table to fetch */
	uint8_t *table_buf;
	uint8_t *imm;                   /* immediate data kept while waiting */
	uint32_t imm_len;
	struct buf_handle buf;
	uint8_t *data;
	uint32_t rdma_left;             /* RDMA operations outstanding */
	uint32_t want;                  /* XFER_RDY length */
	bool     rdma_failed;
	uint32_t moved;
	uint32_t have;                  /* data-out bytes in buf, from 0 */
	/* a new core took the command while RDMA READs for the old core's
	 * XFER_RDY were in flight: they fill `have`, the new core's XFER_RDY
	 * (pending_want) waits for them */
	bool     replay_out;
	uint32_t pending_want;
};

enum srp_chan_state { CH_LOGIN, CH_LIVE, CH_CLOSING };

struct srp_chan {
	struct srp_tgt *t;
	struct srp_port *port;
	struct srp_xconn *xc;
	struct srp_sess *sess;
	struct srp_chan *prev, *next;   /* t->chans */
	struct srp_chan *snext;         /* sess->chans */
	enum srp_chan_state state;
	bool     disconnected;          /* transport said DISCONNECTED */
	bool     released;
	struct srp_login_req req;
	uint8_t  rsp_flags;
	uint32_t it_len, ti_len;
	uint16_t formats;
	uint16_t imm_off;               /* 0: no immediate data */
	/* credits: what the initiator may still send, and what finished
	 * requests have freed but no IU has returned yet */
	uint32_t req_lim;
	uint32_t delta;
	uint32_t nrecv, nsend;
	uint8_t *iu_mem;                /* nrecv * it_len, then nsend * ti_len */
	uint32_t *send_free;
	struct srp_cmd **send_cmd;      /* freed when its send slot completes */
	uint32_t nsend_free;
	uint32_t wr_out;                /* work requests not yet completed */
	struct srp_txiu *txq, *txq_tail;
	struct srp_cmd *cmds;
	uint32_t ncmds;
	uint64_t id;
};

struct srp_txiu {
	struct srp_txiu *next;
	struct srp_cmd *cmd;            /* freed after the SEND completes */
	uint32_t len;
	uint8_t  iu[];
};

enum srp_sess_state { SS_ADDING, SS_LIVE, SS_DEAD };

struct srp_sess {
	struct srp_tgt *t;
	struct srp_sess *prev, *next;
	struct srp_port *port;
	uint8_t  ini[SRP_PORT_ID_LEN];
	char     ini_name[40];
	enum srp_sess_state state;
	uint32_t nexus;
	uint64_t nexus_tag;
	struct buf_handle names;        /* NEXUS_ADD's names, until the answer */
	struct srp_chan *chans;
	uint32_t nchans;
	uint32_t refs;                  /* commands and TMFs still naming it */
	uint64_t next_aer_tag;
};

struct srp_tmf {
	struct srp_sess *sess;
	uint64_t srp_tag;
	uint64_t ch_id;                 /* the channel to answer on */
	uint64_t lun;
	uint8_t  fn;                    /* enum msg_tmf_fn */
};

struct srp_limits {
	uint32_t max_it;                /* largest IU we accept */
	uint32_t ti;                    /* max_ti_iu_len we announce */
	uint32_t credits;               /* request limit per channel */
	uint32_t max_chans;             /* channels per I_T nexus */
	uint32_t max_total;             /* channels in this process */
	uint32_t max_io;                /* largest data transfer */
	bool     multichannel;
	bool     immediate;
};

struct srp_stats {
	uint64_t logins, rejects, commands, tmfs, bytes_in, bytes_out, t_logouts,
		 rdma_errors, credit_overruns, aers;
};

struct srp_tgt {
	struct child *c;
	struct ev_loop *loop;
	struct fe_link fl;
	struct pool_alloc alloc;
	uint8_t *arena;
	uint32_t arena_size;
	struct srp_limits lim;
	uint32_t nports;
	struct srp_port *ports;
	struct srp_chan *chans;
	struct srp_sess *sessions;
	struct srp_cmd *wait_head, *wait_tail;
	uint32_t nchans;
	uint32_t next_nexus;
	uint64_t next_chan_id;
	bool     intake_paused;
	bool     shutting_down;
	ev_timer tick;
	struct srp_stats st;
	json_t  *acl;                   /* unused: ACLs are the core's */
};

/* srp_tgt.c */
int  srp_tgt_init(struct srp_tgt *t, struct child *c, struct ev_loop *loop);
void srp_tgt_stats(struct srp_tgt *t);
void srp_tgt_shutdown(struct srp_tgt *t);
/* CTL_LINK_DOWN / CTL_LINK_UP: the core restarts under us (supervisor/sup_core_restart.c) */
void srp_tgt_link_down(struct srp_tgt *t);
void srp_tgt_link_up(struct srp_tgt *t, struct ctl_msg *m);

/* srp_chan.c */
void srp_port_event(struct srp_port *p);
void srp_chan_send(struct srp_chan *ch, const uint8_t *iu, uint32_t len, struct srp_cmd *cmd);
void srp_chan_close(struct srp_chan *ch, uint32_t t_logout_reason, const char *why);
void srp_chan_flush_all(struct srp_tgt *t);
void srp_sess_nexus_added(struct srp_tgt *t, struct srp_sess *s, int result);
void srp_sess_put(struct srp_sess *s);
uint32_t srp_chan_take_delta(struct srp_chan *ch);
void srp_all_close(struct srp_tgt *t, const char *why);
/* live upgrade (srp_handover.c): what the old instance had */
struct srp_sess *srp_sess_adopt(struct srp_tgt *t, struct srp_port *p, const uint8_t *ini,
				uint32_t nexus, uint64_t aer_tag);
struct srp_chan *srp_chan_adopt(struct srp_port *p, struct srp_xconn *xc, struct srp_sess *s,
				const struct srp_chan *st);

/* srp_cmd.c */
void srp_cmd_recv(struct srp_chan *ch, const uint8_t *iu, uint32_t len);
void srp_tmf_recv(struct srp_chan *ch, const uint8_t *iu, uint32_t len);
void srp_cmd_rdma_done(struct srp_cmd *cmd, bool write, int status);
void srp_cmd_send_done(struct srp_cmd *cmd);
void srp_cmd_chan_gone(struct srp_cmd *cmd);
bool srp_cmd_core_msg(struct srp_tgt *t, const union msg *m, uint8_t kind, void *obj);
void srp_cmd_retry_waiting(struct srp_tgt *t);
void srp_cmd_free(struct srp_cmd *cmd);
void srp_cmd_abandon(struct srp_tgt *t, uint8_t kind, void *obj);
bool srp_cmd_replay(struct srp_tgt *t, uint8_t kind, void *obj, union msg *m);
#ifdef MSG_NEXUS_ASYNC
bool srp_cmd_async_event(struct srp_tgt *t, const union msg *m);
#endif

#endif
