/* mtgt-iscsi internals: the objects of the iSCSI frontend and the functions the
 * files of this process call in each other. */
#ifndef MTGT_ISCSI_H
#define MTGT_ISCSI_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"
#include "shm/msg.h"
#include "shm/pool.h"

#define ISCSI_QDEPTH        128   /* commands per session (CmdSN window) */
#define ISCSI_MAX_R2T       8     /* MaxOutstandingR2T we accept */
#define ISCSI_ITT_HASH      256
#define ISCSI_TX_IOV        64
#define ISCSI_LOGIN_TIMEOUT 30.0  /* seconds for a whole login */
#define ISCSI_DISC_BUF      65536 /* target names from the core */
#define ISCSI_SPILL_MAX     (32u << 20) /* private memory for commands waiting on the pool */
#define ISCSI_MAX_LISTENERS 64    /* portals, including those added live */
/* ErrorRecoveryLevel 1 (iscsi_erl.c): what is kept for retransmission */
#define ISCSI_ERL_KEEP_CMDS  (2 * ISCSI_QDEPTH) /* answered commands per connection */
#define ISCSI_ERL_KEEP_BYTES (8u << 20)  /* their Data-In per connection */
#define ISCSI_ERL_RECOVERIES 16          /* recovery R2Ts per command, then it fails */
#define ISCSI_ERL_HOLES      16          /* lost CmdSNs remembered for a retry */
#define ISCSI_ERL_RECOVERY_DELAY 1.0     /* s after a header digest error */

struct iscsi_tgt;
struct iscsi_conn;
struct iscsi_session;
struct iscsi_cmd;

/* One PDU waiting to be written: header, then data straight from where it
 * lives (pool buffer for Data-In, `owned` memory otherwise), then padding. */
struct iscsi_txpdu {
	struct iscsi_txpdu *next;
	uint8_t  bhs[ISCSI_BHS_LEN];
	const uint8_t *data;
	uint32_t dlen;
	void    *owned;          /* freed after the write */
	struct iscsi_cmd *cmd;   /* reference dropped after the write */
	bool     close_after;    /* Logout Response, login failure */
	uint8_t  hdig[4];        /* CRC32C digests, when negotiated */
	uint8_t  ddig[4];
	uint8_t  hdlen, ddlen;
};

struct iscsi_r2t {
	uint32_t ttt;
	uint32_t off;
	uint32_t len;
	uint32_t got;
	uint32_t datasn;
	uint32_t r2tsn;
	/* ERL >= 1: a Data-Out of this sequence was lost at lost_at; the rest
	 * of the sequence is skipped, then a recovery R2T asks for it again */
	bool     lost;
	uint32_t lost_at;
};

/* Core request kinds: the tag of every message we send names one of these. */
enum iscsi_req_kind { REQ_NONE = 0, REQ_CMD, REQ_NEXUS, REQ_DISCOVER, REQ_TMF };

/* Safe session reinstatement: the commands of a replaced session still in
 * the core; the new session's login waits until they all came back. */
struct iscsi_quiesce {
	uint32_t pending;                 /* commands of the old session in the core */
	struct iscsi_conn *waiter;        /* the reinstating login; NULL if gone */
};

struct iscsi_cmd {
	struct iscsi_conn *conn;          /* NULL once the connection is gone */
	struct iscsi_quiesce *qz;         /* its session is being reinstated */
	struct iscsi_cmd *hnext;          /* conn ITT hash */
	struct iscsi_cmd *prev, *next;    /* conn->cmds */
	int      refs;
	uint64_t tag;                     /* core tag; 0 when not in the core */
	uint32_t itt;
	uint32_t cmdsn;
	uint32_t edtl;
	uint64_t lun;
	uint8_t  dir;                     /* enum msg_dir */
	uint8_t  attr;
	uint8_t  cdb_len;
	uint8_t  cdb[MSG_CDB_MAX];
	bool     immediate;
	bool     hashed;
	bool     counted;                 /* holds a CmdSN window slot */
	bool     in_core;
	bool     held;                    /* CmdSN ahead of ExpCmdSN: waits its turn (iscsi_cmdsn.c) */
	struct buf_handle buf;
	uint8_t *data;                    /* pool buffer, or spill while waiting */
	uint32_t data_cap;                /* bytes data can take */
	/* pool exhausted: the command waits in t->bw (FIFO) for a buffer while
	 * the stream keeps flowing; data that arrives meanwhile goes to spill */
	bool     wait_buf;
	bool     pdu_done;
	uint8_t *spill;
	uint32_t spill_len;
	struct iscsi_cmd *wnext;
	uint32_t imm_len;
	/* data-out: with DataPDUInOrder and DataSequenceInOrder both Yes, all
	 * data arrives at increasing offsets, so one running offset tracks it */
	uint32_t rx_off;
	uint32_t unsol_end;               /* unsolicited data runs up to here */
	bool     unsol_open;              /* unsolicited Data-Out still coming */
	uint32_t unsol_datasn;
	uint32_t want;                    /* XFER_RDY length; 0 = not asked */
	bool     xfer;                    /* XFER_RDY received */
	bool     data_ready_sent;
	uint32_t r2t_next;                /* next offset to solicit */
	uint32_t r2tsn;
	uint8_t  nr2t;
	struct iscsi_r2t r2t[ISCSI_MAX_R2T];
	uint32_t datasn_in;
	/* a Data-Out was lost (out-of-order DataSN, data digest error): its
	 * data is discarded, the rest of the sequences is drained, then the
	 * task ends with CHECK CONDITION, PROTOCOL SERVICE CRC ERROR (RFC 7143
	 * 7.8/7.9: ERL 0 cannot ask for it again) */
	bool     data_err;
	/* bytes of data-out in (immediate, unsolicited, solicited): with
	 * recovery R2Ts sequences may complete out of order */
	uint32_t rx_bytes;
	/* ---- ErrorRecoveryLevel >= 1 (iscsi_erl.c) ---- */
	bool     unsol_lost;              /* unsolicited data lost: skip to its end */
	uint8_t  recoveries;              /* recovery R2Ts sent */
	uint32_t hd_snap;                 /* rx_bytes when a header was lost */
	bool     hd_mark;
	/* the status as sent, for a Status SNACK; Data-In layout for a Data
	 * SNACK (the same PDUs are rebuilt from the buffer) */
	bool     st_sent;
	bool     st_in_datain;            /* status rode in the last Data-In */
	uint8_t  st_status, st_rf, st_sense_len;
	uint32_t st_statsn, st_residual, st_expdatasn;
	uint8_t *st_sense;
	uint32_t din_len, din_seg, din_burst, din_count;
	uint32_t din_ttt;                 /* TTT of Data-In with the A bit */
	uint32_t din_acked;               /* DataACK: DataSNs below are acknowledged */
	struct iscsi_cmd *rnext;          /* conn->kept, oldest first */
	bool     kept;
	/* ---- ErrorRecoveryLevel 2 (iscsi_erl2.c) ---- */
	bool     orphan;                  /* its connection failed: waits for TASK REASSIGN */
	uint16_t o_cid;                   /* the connection it was allegiant to */
	ev_tstamp o_expire;               /* Time2Wait + Time2Retain after the failure */
	struct iscsi_cmd *onext;          /* sess->orphans */
	struct msg_cmd_rsp *o_rsp;        /* the core's answer that came meanwhile */
};

enum iscsi_rx_state { RX_BHS, RX_AHS, RX_HDIG, RX_HDR_READY, RX_DATA };
enum iscsi_conn_state { CONN_LOGIN, CONN_FFP, CONN_CLOSED };

struct iscsi_login;
struct iscsi_tmf;
struct iscsi_disc;
struct iscsi_auth_cfg;
struct iscsi_portal_cfg;
struct iscsi_isns;
struct iscsi_cmdsn_q;

enum { RX_ACT_NONE = 0, RX_ACT_REJECT, RX_ACT_IGNORE, RX_ACT_CLOSE };

struct iscsi_conn {
	struct iscsi_tgt *t;
	struct iscsi_conn *prev, *next;   /* t->conns */
	struct iscsi_conn *flush_next;    /* t->flush list */
	int      fd;
	uint64_t id;
	ev_io    rio, wio;
	ev_timer timer;
	enum iscsi_conn_state state;
	bool     rx_on, wio_on, in_flush;
	bool     stall_core;              /* waiting for the core (login) */
	bool     closing_after_tx;        /* stop reading, close when sent */
	char     local[64];               /* "ip:port" of our end, for TargetAddress */
	const struct iscsi_listener *lis; /* accepted on */
	uint16_t group;                   /* its portal group tag */
	char     peer[64];
	/* rx */
	enum iscsi_rx_state rx_state;
	uint8_t  bhs[ISCSI_BHS_LEN];
	uint32_t bhs_have;
	uint8_t  bhs_next[ISCSI_BHS_LEN]; /* read ahead with the data segment */
	uint32_t next_have;
	uint8_t  hq[32 * ISCSI_BHS_LEN];  /* headers taken in a batch (iscsi_rxbatch.c) */
	uint32_t hq_off, hq_len;
	uint32_t rxb_skip;                /* header reads before batching is tried again */
	uint8_t  ahs[ISCSI_AHS_MAX];
	uint32_t ahs_have;
	struct iscsi_bhs_info hi;
	uint8_t *rx_dst;                  /* NULL: discard */
	uint32_t rx_len;                  /* data bytes */
	uint32_t rx_have;                 /* data+pad bytes in */
	uint8_t *rx_buf;                  /* malloc'ed data of non-data PDUs */
	uint8_t  rx_pad[4];
	bool     hdigest, ddigest;        /* CRC32C in force (full feature phase) */
	uint8_t  hdig_rx[4];
	uint32_t hdig_have;
	uint8_t  ddig_rx[4];
	struct iscsi_cmd *rx_cmd;         /* command whose buffer is being filled */
	ev_tstamp last_rx;
	/* tx */
	struct iscsi_txpdu *txq, *txq_tail;
	uint32_t tx_off;                  /* bytes of txq head already written */
	uint64_t txq_bytes;
	/* session */
	struct iscsi_session *sess;
	struct iscsi_conn *snext;         /* sess->conn list (iscsi_mcs.c) */
	uint32_t mrdsl_tx;                /* the initiator's MaxRecvDataSegmentLength here; 0: the session's */
	bool     leave_only;              /* closing ends this connection, not its session */
	bool     no_recover;              /* ERL 2: closing ends its tasks too (logout, session end) */
	uint32_t stat_sn;
	uint32_t exp_stat_sn;
	uint16_t cid;
	struct iscsi_login *login;
	/* commands */
	struct iscsi_cmd *cmds;
	struct iscsi_cmd *itt_hash[ISCSI_ITT_HASH];
	uint32_t ncmds;
	uint32_t next_ttt;
	/* text exchange in full feature phase */
	struct iscsi_text txt_in;
	struct iscsi_text txt_out;
	size_t   txt_off;
	uint32_t txt_ttt;
	uint32_t txt_itt;
	bool     txt_busy;                /* waiting for the core (SendTargets) */
	struct iscsi_tmf *tmfs;           /* TMF requests at the core */
	struct iscsi_disc *disc;          /* SendTargets at the core */
	/* local action for a PDU whose data we only skip */
	uint8_t  rx_action;
	uint8_t  rx_reason;
	/* logout */
	bool     logout_pending;
	uint32_t logout_itt;
	uint8_t  logout_reason;
	/* shutdown: AsyncEvent 1 sent (logout requested), AsyncEvent 2 sent */
	bool     logout_asked;
	bool     drop_sent;
	/* ERL >= 1: answered commands kept for SNACKs until ExpStatSN passes
	 * them (iscsi_erl.c) */
	struct iscsi_cmd *kept, *kept_tail;
	uint32_t nkept;
	uint64_t kept_bytes;
	bool     hdig_bad;                /* last header failed its digest */
	bool     rx_discard;              /* this PDU is skipped (header digest) */
	bool     rx_lost;                 /* this Data-Out failed its data digest */
	ev_timer rec_timer;               /* recovery after a lost header */
	bool     rec_on;
	struct iscsi_quiesce *qz;         /* login waits for a replaced session */
	bool     login_deferred;          /* final login response held for qz */
	ev_timer lo_timer;                /* asked to log out: drop when it expires */
	bool     lo_on;
	/* target NOP-In ping */
	bool     nop_out;
	uint32_t nop_ttt;
	ev_tstamp nop_sent;
};

struct iscsi_session {
	struct iscsi_tgt *t;
	struct iscsi_session *prev, *next; /* t->sessions (after login) */
	struct iscsi_conn *conn;          /* its connections (linked by snext), first = oldest */
	uint32_t nconns;
	struct iscsi_params p;
	uint8_t  isid[6];
	uint16_t tsih;
	bool     listed;
	uint32_t nexus;
	bool     nexus_added;
	struct iscsi_nexus_req *nreq;     /* NEXUS_ADD in flight */
	uint32_t exp_cmd_sn;
	uint32_t max_cmd_sn;              /* last MaxCmdSN sent (never decreases) */
	uint32_t active;                  /* commands holding a window slot */
	/* ERL >= 1: CmdSNs skipped (a command lost to a digest error) that a
	 * retried command may still use */
	uint32_t holes[ISCSI_ERL_HOLES];
	uint8_t  nholes;
	uint32_t async_sent;              /* SCSI async events sent */
	struct iscsi_cmdsn_q *oq;         /* PDUs ahead of ExpCmdSN (iscsi_cmdsn.c), or NULL */
	/* ERL 2: tasks of failed connections, until reassigned or Time2Retain */
	struct iscsi_cmd *orphans;
	uint32_t norphans;
	ev_timer t2r;
	bool     t2r_on;
	/* ERL 2, its last connection failed: kept without one until held_until
	 * (Time2Wait + Time2Retain) for a new connection to log into it */
	bool     held;
	ev_tstamp held_until;
	uint16_t group;                   /* portal group of its connections */
};

/* NEXUS_ADD in flight; outlives its session if that dies meanwhile. */
struct iscsi_nexus_req {
	struct iscsi_session *sess;
	uint32_t nexus;
	uint64_t tag;
	struct buf_handle buf;
};

struct iscsi_listener {
	struct iscsi_tgt *t;
	ev_io    w;
	ev_timer pause;                   /* out of fds: stop accepting for a while */
	int      fd;
	uint16_t group;                   /* portal group tag (TPGT) */
	char     addr[64];
};

struct iscsi_req_slot {
	uint32_t gen;
	uint8_t  kind;
	void    *obj;
	uint32_t next_free;
	/* iscsi_core.c: the request as sent, in sending order, so it can be
	 * sent again to a new core incarnation */
	uint64_t seq;
	union msg msg;
};

struct iscsi_tgt {
	struct child *c;
	struct ev_loop *loop;
	struct link *link;
	bool     link_ok;
	/* the core died or is being replaced: requests wait in their slots
	 * (and NEXUS_DELs in held_del) until CTL_LINK_UP brings a new core */
	bool     core_hold;
	uint64_t req_seq;
	uint32_t *held_del;
	uint32_t nheld_del, held_del_cap;
	struct pool_alloc alloc;
	uint32_t arena_size;
	struct iscsi_limits lim;
	struct iscsi_listener *lis;
	uint32_t nlis;
	struct iscsi_conn *conns;
	uint32_t nconns;
	struct iscsi_conn *dead;          /* closed, freed in the prepare watcher */
	struct iscsi_conn *flush;         /* with queued tx */
	struct iscsi_cmd *bw_head, *bw_tail; /* commands waiting for a buffer */
	uint64_t spill_bytes;
	uint64_t bytes_copied;            /* payload memcpy'd (the spill path only) */
	struct iscsi_session *sessions;
	uint16_t next_tsih;
	uint32_t next_nexus;
	uint64_t next_conn_id;
	/* core requests */
	struct iscsi_req_slot *slots;
	uint32_t nslots;
	uint32_t free_slot;               /* UINT32_MAX: none */
	uint32_t inflight;                /* requests awaiting the core */
	/* messages that found the ring full */
	union msg *backlog;
	uint32_t bl_head, bl_len, bl_cap;
	bool     core_blocked;
	bool     prod_waiting;
	bool     cons_sleeping;
	uint32_t pushed;                  /* pushed since last publish */
	ev_io    wake_w;
	ev_prepare prep;
	ev_check chk;
	ev_idle  idle;
	ev_timer tick;
	uint32_t spin_us;
	uint32_t poll_us;                 /* busy-poll window after the last command */
	uint32_t yield_n;                 /* sched_yield()s for owed answers before sleeping */
	bool     rx_batch;                /* peek for runs of data-less command headers */
	ev_tstamp poll_until;
	uint32_t nop_interval;            /* idle seconds before a NOP-In ping; 0: never */
	uint32_t nop_timeout;             /* seconds to answer it */
	uint32_t logout_wait;             /* shutdown: seconds initiators get to log out */
	ev_tstamp drain_deadline;
	bool     shutting_down;
	struct iscsi_auth_cfg *auth;      /* CHAP policy (iscsi_auth.c) */
	struct iscsi_portal_cfg *portal;  /* portal groups, limits, redirects (iscsi_portal.c) */
	struct iscsi_isns *isns;          /* iSNS registration (iscsi_isns.c), or NULL */
	struct {
		uint64_t conns;           /* accepted */
		uint64_t logins;          /* sessions in full feature phase */
		uint64_t login_failures;
		uint64_t commands;        /* sent to the core */
		uint64_t local_status;    /* answered without the core */
		uint64_t bytes_in;        /* immediate + Data-Out payload */
		uint64_t bytes_out;       /* Data-In payload */
		uint64_t rejects;
		uint64_t protocol_closes; /* connections ended for bad input */
		uint64_t rx_batched;      /* command headers read in batches */
		uint64_t auth_failures;   /* CHAP refusals (0x0201) */
		uint64_t snacks;          /* SNACKs served (ERL 1) */
		uint64_t retransmits;     /* PDUs sent again for them */
		uint64_t recovery_r2ts;   /* R2Ts for lost Data-Out (ERL 1) */
		uint64_t hdigest_skips;   /* PDUs skipped for a header digest error */
		uint64_t async_events;    /* Asynchronous Messages, SCSI events */
		uint64_t logout_requests; /* AsyncEvent 1 on request (CTL_SESSION_LOGOUT) */
	} st;
	uint8_t  scratch[65536];          /* sink for data we must skip */
};

/* ---- iscsi_core.c: the link to the core ---- */
int   iscsi_core_init(struct iscsi_tgt *t);
void  iscsi_core_send(struct iscsi_tgt *t, const union msg *m);
void  iscsi_core_poll(struct iscsi_tgt *t);
void  iscsi_core_publish(struct iscsi_tgt *t);
uint64_t iscsi_req_new(struct iscsi_tgt *t, enum iscsi_req_kind kind, void *obj);
void  iscsi_req_set(struct iscsi_tgt *t, uint64_t tag, void *obj);
void  iscsi_req_free(struct iscsi_tgt *t, uint64_t tag);
bool  iscsi_core_usable(struct iscsi_tgt *t);
/* CTL_LINK_DOWN / CTL_LINK_UP from the supervisor: the core died (hold), a
 * new one serves (switch links, re-submit everything unanswered). */
void  iscsi_core_link_down(struct iscsi_tgt *t);
void  iscsi_core_link_up(struct iscsi_tgt *t, struct ctl_msg *m);
void  iscsi_core_violation(struct iscsi_tgt *t, const char *why);

/* ---- iscsi_conn.c: sockets, rx state machine, tx queue ---- */
void  iscsi_conn_accept(struct iscsi_tgt *t, struct iscsi_listener *l);
void  iscsi_conn_close(struct iscsi_conn *c, const char *why);
void  iscsi_conn_update_rx(struct iscsi_conn *c);
/* iscsi_rxbatch.c: runs of data-less command headers in two syscalls */
int   iscsi_rxb_fill(struct iscsi_conn *c);
bool  iscsi_rxb_take(struct iscsi_conn *c);
void  iscsi_conn_kick(struct iscsi_conn *c);
/* (Re)arm the full-feature-phase timer: NOP-In pings and their timeout. */
void  iscsi_conn_arm_timer(struct iscsi_conn *c);
void  iscsi_conn_flush_all(struct iscsi_tgt *t);
void  iscsi_conn_reap(struct iscsi_tgt *t);
struct iscsi_txpdu *iscsi_txpdu_new(uint8_t opcode, uint8_t flags);
void  iscsi_conn_queue(struct iscsi_conn *c, struct iscsi_txpdu *p);
void  iscsi_conn_pool_freed(struct iscsi_tgt *t);
void  iscsi_conns_update_rx(struct iscsi_tgt *t);

/* ---- iscsi_session.c: sessions, sequence numbers, NOP, logout, reject ---- */
struct iscsi_session *iscsi_session_new(struct iscsi_conn *c);
void  iscsi_session_free(struct iscsi_session *s);
void  iscsi_session_list(struct iscsi_session *s);
struct iscsi_session *iscsi_session_by_tsih(struct iscsi_tgt *t, uint16_t tsih);
void  iscsi_session_reinstate(struct iscsi_tgt *t, struct iscsi_session *s);
/* A command of a replaced session came back from the core. */
void  iscsi_quiesce_release(struct iscsi_cmd *cmd);
/* The login of nc waits for cmd (in the core) to come back. */
void  iscsi_quiesce_add(struct iscsi_conn *nc, struct iscsi_cmd *cmd);
void  iscsi_quiesce_conn_lost(struct iscsi_conn *c);
/* Fill StatSN (advancing it when `status`), ExpCmdSN, MaxCmdSN at 24/28/32. */
void  iscsi_fill_sn(struct iscsi_conn *c, uint8_t *bhs, bool status);
void  iscsi_window_release(struct iscsi_conn *c);
void  iscsi_send_reject(struct iscsi_conn *c, uint8_t reason, const uint8_t *bhs);
void  iscsi_rx_nop_out(struct iscsi_conn *c, const uint8_t *data);
void  iscsi_rx_logout(struct iscsi_conn *c);
void  iscsi_logout_try(struct iscsi_conn *c);
void  iscsi_nop_ping(struct iscsi_conn *c);
/* Asynchronous Message (RFC 7143 11.9): AsyncEvent 1 asks the initiator to
 * log out within `secs`; AsyncEvent 2 announces that we drop the connection
 * (then it is closed once sent). */
void  iscsi_async_logout_request(struct iscsi_conn *c, uint16_t secs);
void  iscsi_async_drop(struct iscsi_conn *c);
int   iscsi_rx_ffp(struct iscsi_conn *c, const uint8_t *data);

/* ---- iscsi_login.c ---- */
int   iscsi_rx_login(struct iscsi_conn *c, const uint8_t *data);
void  iscsi_login_free(struct iscsi_conn *c);
void  iscsi_login_nexus_added(struct iscsi_tgt *t, struct iscsi_nexus_req *nr,
			      int32_t result);
void  iscsi_login_reject(struct iscsi_conn *c, uint16_t status);
/* The replaced session is quiet: send the held final login response. */
void  iscsi_login_resume(struct iscsi_conn *c);

/* ---- iscsi_discovery.c: Text requests, SendTargets ---- */
void  iscsi_rx_text(struct iscsi_conn *c, const uint8_t *data);
void  iscsi_discover_done(struct iscsi_tgt *t, void *obj, const struct msg_discover_done *m);
void  iscsi_discover_orphan(struct iscsi_conn *c);

/* ---- iscsi_cmd.c: SCSI commands and their data; iscsi_dataout.c ---- */
int   iscsi_cmd_rx_start(struct iscsi_conn *c);
void  iscsi_cmd_rx_done(struct iscsi_conn *c);
int   iscsi_dataout_rx_start(struct iscsi_conn *c);
void  iscsi_dataout_rx_done(struct iscsi_conn *c);
void  iscsi_dataout_digest_error(struct iscsi_conn *c);
void  iscsi_cmd_xfer_rdy(struct iscsi_tgt *t, struct iscsi_cmd *cmd, uint32_t len);
void  iscsi_cmd_rsp(struct iscsi_tgt *t, struct iscsi_cmd *cmd, const struct msg_cmd_rsp *m);
void  iscsi_cmd_put(struct iscsi_tgt *t, struct iscsi_cmd *cmd);
struct iscsi_cmd *iscsi_cmd_find(struct iscsi_conn *c, uint32_t itt);
void  iscsi_cmds_conn_lost(struct iscsi_conn *c);
void  iscsi_cmd_retry_waiters(struct iscsi_tgt *t);
int   iscsi_cmds_abort_waiting(struct iscsi_conn *c, uint64_t lun, bool all_luns,
			       uint32_t itt, bool one);
/* A command dropped without status (it never reached the core). */
void  iscsi_cmd_drop(struct iscsi_conn *c, struct iscsi_cmd *cmd);
/* A held command's turn came: to the core, behind commands waiting for a buffer. */
void  iscsi_cmd_release_held(struct iscsi_tgt *t, struct iscsi_cmd *cmd);

/* ---- iscsi_cmd.c, used by iscsi_erl.c ---- */
/* Queue Data-In PDUs DataSN [from, to) of a command laid out by its din_*
 * fields; resend: PDUs sent before, with their original StatSN. */
void  iscsi_datain_emit(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t from,
			uint32_t to, bool resend);
void  iscsi_r2t_send(struct iscsi_conn *c, struct iscsi_cmd *cmd, struct iscsi_r2t *r);
/* A solicited sequence lost data: ask for the rest again, or fail the task. */
void  iscsi_r2t_recover(struct iscsi_conn *c, struct iscsi_cmd *cmd, struct iscsi_r2t *r);
void  iscsi_cmd_write_progress(struct iscsi_tgt *t, struct iscsi_cmd *cmd);
void  iscsi_cmd_status_resend(struct iscsi_conn *c, struct iscsi_cmd *cmd);
void  iscsi_cmd_get(struct iscsi_cmd *cmd);
struct iscsi_r2t *iscsi_r2t_find(struct iscsi_cmd *cmd, uint32_t ttt);
void  iscsi_r2t_remove(struct iscsi_cmd *cmd, struct iscsi_r2t *r);
/* Skip the data segment of the PDU being received, then act (RX_ACT_*). */
int   iscsi_rx_skip(struct iscsi_conn *c, uint8_t action, uint8_t reason);
void  iscsi_cmd_imm_digest_error(struct iscsi_conn *c);

/* ---- iscsi_erl.c: ErrorRecoveryLevel 1 ---- */
bool  iscsi_erl_on(const struct iscsi_conn *c);
/* Take over the connection's reference of an answered command. */
void  iscsi_erl_keep(struct iscsi_conn *c, struct iscsi_cmd *cmd);
/* ExpStatSN from the initiator: release what it acknowledges. */
void  iscsi_erl_ack(struct iscsi_conn *c, uint32_t exp_stat_sn);
void  iscsi_erl_conn_lost(struct iscsi_conn *c);
struct iscsi_cmd *iscsi_erl_find(struct iscsi_conn *c, uint32_t itt);
void  iscsi_rx_snack(struct iscsi_conn *c);
/* A header failed its digest and was skipped: later, recover what stalled. */
void  iscsi_erl_header_lost(struct iscsi_conn *c);
/* CmdSN bookkeeping for retried commands. */
void  iscsi_erl_hole_add(struct iscsi_session *s, uint32_t cmdsn);
bool  iscsi_erl_hole_take(struct iscsi_session *s, uint32_t cmdsn);

/* ---- iscsi_cmdsn.c: CmdSN ordering (RFC 7143 3.2.2.1, 4.2.2.1) ---- */
enum iscsi_sn_verdict { ISCSI_SN_NOW, ISCSI_SN_QUEUE, ISCSI_SN_DROP };
#define ISCSI_OOQ_BYTES (1u << 20) /* data of queued non-SCSI PDUs per session */
/* CmdSN check of a SCSI Command: NOW (in order, ExpCmdSN moved past it, or
 * immediate), QUEUE (ahead of ExpCmdSN inside the window: create it held
 * and call iscsi_cmdsn_hold) or DROP (outside the window, or taken). */
enum iscsi_sn_verdict iscsi_cmdsn_check(struct iscsi_conn *c, uint32_t cmdsn, bool immediate);
void  iscsi_cmdsn_hold(struct iscsi_conn *c, struct iscsi_cmd *cmd);
/* A held command ends before its turn (aborted, answered locally, gone):
 * its CmdSN counts as received. */
void  iscsi_cmdsn_unhold(struct iscsi_conn *c, struct iscsi_cmd *cmd);
/* CmdSN check of the non-SCSI PDU in c->bhs: true if it may be processed
 * now; a PDU ahead of ExpCmdSN is kept (header and c->rx_buf) and run in
 * its turn. */
bool  iscsi_cmdsn_accept(struct iscsi_conn *c, uint32_t cmdsn, bool immediate);
/* After each PDU: run what became in order. */
void  iscsi_cmdsn_drain(struct iscsi_conn *c);
/* A command in order was dropped (digest error): its CmdSN is wanted again. */
void  iscsi_cmdsn_unreceive(struct iscsi_conn *c, struct iscsi_cmd *cmd);
/* ABORT TASK of a command not yet received (RefCmdSN): consider it
 * received; false if another task holds that CmdSN. */
bool  iscsi_cmdsn_skip(struct iscsi_conn *c, uint32_t cmdsn);
/* A multi-task TMF: held commands of the LUN (all_luns: every LUN) with a
 * CmdSN below the TMF's are dropped, missing CmdSNs below it count as
 * received. Returns how many commands were dropped. */
int   iscsi_cmdsn_tmf(struct iscsi_conn *c, uint64_t lun, bool all_luns, uint32_t tmf_cmdsn);
/* Logout: what waits will never run; drop it (all: the whole session's, or
 * only what came on c). */
void  iscsi_cmdsn_flush(struct iscsi_conn *c, bool all);
/* c left its session (which lives on): its kept PDUs count as received. */
void  iscsi_cmdsn_conn_gone(struct iscsi_session *s, struct iscsi_conn *c);
uint32_t iscsi_cmdsn_queued(const struct iscsi_session *s);
void  iscsi_cmdsn_free(struct iscsi_session *s);

/* ---- iscsi_mcs.c: several connections per session ---- */
/* A non-leading login (TSIH of a live session): 0 or a login status. */
int   iscsi_mcs_join_check(struct iscsi_conn *c, uint16_t tsih, const uint8_t isid[6]);
/* The final response of a non-leading login: the connection joins its
 * session (the login's own session object is dropped). False if the
 * session went away meanwhile. */
bool  iscsi_mcs_join(struct iscsi_conn *c, uint16_t tsih);
/* The connection closes: leave its session; the last one frees it; at
 * ErrorRecoveryLevel < 2 a connection that fails takes the session along. */
void  iscsi_mcs_conn_gone(struct iscsi_conn *c);
struct iscsi_conn *iscsi_mcs_conn_by_cid(struct iscsi_session *s, uint16_t cid);
/* A command by ITT on any connection of the session. */
struct iscsi_cmd *iscsi_mcs_cmd_find(struct iscsi_conn *c, uint32_t itt, struct iscsi_conn **on);
uint32_t iscsi_conn_mrdsl_tx(const struct iscsi_conn *c);

/* ---- iscsi_async.c: Asynchronous Messages ---- */
void  iscsi_async_scsi_event(struct iscsi_tgt *t, const struct msg_async_event *m);
/* Ask the sessions of an initiator (NULL: all) on a target (NULL: all) to
 * log out within `secs` (AsyncEvent 1). Returns how many were asked. */
int   iscsi_async_request_logout(struct iscsi_tgt *t, const char *initiator,
				 const char *target, uint16_t secs);
void  iscsi_async_ctl(struct iscsi_tgt *t, const char *json);
void  iscsi_async_conn_lost(struct iscsi_conn *c);
/* AsyncEvent 3: tell the initiator we drop its session, then close. */
void  iscsi_async_drop_session(struct iscsi_conn *c, const char *why);

/* ---- iscsi_tmf.c ---- */
void  iscsi_rx_tmf(struct iscsi_conn *c);
void  iscsi_tmf_done(struct iscsi_tgt *t, void *obj, uint8_t result);
void  iscsi_tmf_orphan(struct iscsi_conn *c);
/* ABORT TASK of cmd in the core on our own behalf (no one is answered). */
int   iscsi_tmf_abort_quiet(struct iscsi_tgt *t, uint32_t nexus, const struct iscsi_cmd *cmd);

/* TMF Response on c (iscsi_erl2.c answers TASK REASSIGN itself). */
void  iscsi_tmf_respond(struct iscsi_conn *c, uint32_t itt, uint8_t rsp);

/* ---- iscsi_erl2.c: ErrorRecoveryLevel 2, connection recovery ---- */
/* The connection closes: at ERL 2 its tasks wait for reassignment (true:
 * taken; the rest of c->cmds is dropped as usual). */
bool  iscsi_erl2_conn_lost(struct iscsi_conn *c);
/* CMD_RSP for a task waiting for reassignment: kept for then. */
bool  iscsi_erl2_rsp(struct iscsi_tgt *t, struct iscsi_cmd *cmd, const struct msg_cmd_rsp *m);
/* TASK REASSIGN (TMF 14) of task rtt to c, answered and continued. */
void  iscsi_erl2_reassign(struct iscsi_conn *c, uint32_t itt, uint32_t rtt, uint32_t exp_datasn);
/* Logout reason 2 for connection cid: a Logout Response code; *close_self
 * when it is c itself. */
uint8_t iscsi_erl2_logout(struct iscsi_conn *c, uint16_t cid, bool *close_self);
void  iscsi_erl2_session_free(struct iscsi_session *s);
/* The last connection c of s closes: keep the session (true) for a new
 * connection within Time2Wait + Time2Retain, or not (the caller frees it). */
bool  iscsi_erl2_hold(struct iscsi_session *s, struct iscsi_conn *c);
/* A new connection joined a held session. */
void  iscsi_erl2_unhold(struct iscsi_session *s);
/* A held session ends now (reinstated, dropped, target gone, shutdown):
 * its tasks aborted in the core, the session freed. */
void  iscsi_erl2_end(struct iscsi_session *s, const char *why);
void  iscsi_erl2_end_all(struct iscsi_tgt *t, const char *target, const char *why);
/* iscsi_cmd.c: a reassigned task goes on on c from exp_datasn (saved: the
 * core's answer that came while it waited). */
void  iscsi_cmd_reassigned(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t exp_datasn,
			   const struct msg_cmd_rsp *saved);
void  iscsi_cmd_detach(struct iscsi_cmd *cmd);

/* ---- iscsi_reinstate.c: connection reinstatement ---- */
/* The final login response of c, which joins session tsih with the CID of
 * a live connection: abort and close that one; c->qz then holds the login
 * until its tasks are back from the core. */
void  iscsi_reinstate_conn(struct iscsi_conn *c, uint16_t tsih);

#endif
