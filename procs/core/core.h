/* The SCSI core process: configuration, links, nexuses, in-flight commands. */
#ifndef MTGT_CORE_CORE_H
#define MTGT_CORE_CORE_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h"
#include "common/child.h"
#include "common/hist.h"
#include "procs/core/core_list.h"
#include "procs/core/scsi.h"
#include "procs/core/scsi_pr.h"
#include "procs/core/scsi_alua.h"
#include "shm/msg.h"

#define CORE_MAX_TARGETS     256
#define CORE_MAX_LUNS        1024   /* per target */
#define CORE_MAX_INITIATORS  256    /* per target ACL */
#define CORE_NEXUS_BUCKETS   256
#define CORE_TAG_BUCKETS     1024
#define CORE_VERIFY_CHUNK    (1u << 20) /* bytes read per VERIFY backend I/O */

/* ---- statistics (core_stats.c) ---- */

struct core_io_stats {
	uint64_t ios, reads, writes, errors;
	uint64_t bytes_read, bytes_written;
	struct hist lat;        /* command latency (common/hist.h) */
};

/* ---- configuration (core_config.c) ---- */

struct core_lun {
	struct scsi_lu lu;
	uint32_t link;          /* backend link serving it */
	uint32_t dev;           /* device index in that backend */
	char     backend[16];
	char     path[256];     /* informational */
	/* task set: enrolled commands in arrival order */
	struct clist tasks;
	uint32_t nordered;      /* ORDERED commands on tasks */
	/* core_lbalock.c: enrolled COMPARE AND WRITE / ORWRITE, running writes */
	struct clist lba_excl, lba_running;
	uint64_t lba_seq;
	bool     in_sched, resched;
	uint32_t index;         /* slot in the target's table: never moves */
	bool     live;          /* configured; a removed LU's slot stays until its
	                         * commands are done (core_live.c) */
	struct scsi_pr pr;      /* reservations (core_pr.c) */
	struct core_target *tgt;
	struct core_sanitize *san; /* core_sanitize.c: a sanitize running or failed */
	/* core_sanitize.c: how a resumed sanitize ended before the command
	 * waiting for it was re-submitted to this core (that command's nexus
	 * and frontend tag), so the re-submission still gets the outcome */
	struct core_san_late {
		bool     valid, ok;
		uint32_t link, nexus;
		uint64_t tag;
	} san_late;
	/* core_qd.c: "queue_depth" (0: none), commands running, TASK SET FULLs */
	uint32_t qd, running, qd_pass;
	uint64_t qd_full;
	/* core_media.c: I_T nexuses preventing medium removal */
	const struct core_nexus **prevent;
	uint32_t nprevent, prevent_cap;
	struct core_io_stats st;
};

/* What one initiator (or "*") may see: every LUN under its own number, or
 * the map's LUNs under the initiator's numbers (SCST security groups). */
struct core_acl_map {
	uint32_t ilun, tlun;
};

struct core_acl {
	bool     all;
	bool     readonly;
	uint32_t nmap;
	struct core_acl_map *map;
};

struct core_target {
	char     name[MSG_NAME_MAX];
	bool     live;          /* false: removed live; nexuses on it see nothing */
	bool     any_initiator;
	uint32_t ninitiators;
	char   **initiators;    /* "*" included */
	struct core_acl *acls;  /* per initiators[i] */
	uint32_t nluns;         /* slots in use (live or draining): iterate these */
	struct core_lun *luns;  /* CORE_MAX_LUNS slots; pointers into it stay valid */
	uint32_t nlive;
	uint32_t *lun_ids;      /* sorted LUN numbers of live LUs */
	uint32_t *order;        /* their slots, same order */
	struct clist nexuses;   /* live nexuses on this target */
	struct scsi_alua alua;  /* target port groups (core_alua.c) */
};

struct core_config {
	uint32_t ntargets;      /* slots in use (CORE_MAX_TARGETS allocated) */
	struct core_target *targets;
};

int  core_config_load(json_t *cfg, struct core_config *out, char *err, size_t errlen);
/* One target's JSON into a fresh core_target (slots allocated, all live). */
int  core_config_target_load(json_t *jt, struct core_target *t, char *err, size_t errlen);
void core_config_target_free(struct core_target *t);
/* One LUN's JSON into slot `slot` of t (fields only; not marked live). */
int  core_config_lun_load(json_t *jl, struct core_target *t, uint32_t slot, char *err,
			  size_t errlen);
/* Rebuild lun_ids/order from the live slots. */
void core_config_index(struct core_target *t);
/* The ACL entry of an initiator: its own, else "*", else NULL. */
const struct core_acl *core_target_acl(const struct core_target *t, const char *initiator);
void core_config_free(struct core_config *cfg);
struct core_target *core_config_target(struct core_config *cfg, const char *name);
bool core_target_allows(const struct core_target *t, const char *initiator);
struct core_lun *core_target_lun(struct core_target *t, uint32_t lun);
/* Strings compare as iSCSI names do: case-insensitively. */
bool core_name_eq(const char *a, const char *b);

/* ---- runtime ---- */

enum core_role { CORE_ROLE_NONE = 0, CORE_ROLE_FRONTEND, CORE_ROLE_BACKEND };

struct core_nexus {
	uint32_t id;
	uint32_t link;
	uint64_t isid;
	uint16_t port;          /* relative target port (portal group tag) */
	struct core_nexus *hnext;
	struct core_target *tgt;
	uint16_t *ua;           /* per LUN slot of tgt: pending unit attentions */
	/* the LUNs this nexus sees (core_live.c): its numbers, sorted, and slots */
	uint32_t nview;
	uint32_t *view_ilun;
	uint32_t *view_slot;
	bool     readonly;      /* its ACL lets it only read */
	struct core_io_stats st;
	struct clist cmds;      /* commands of this nexus not yet answered */
	struct clist_node tnode; /* on tgt->nexuses */
	struct core_xcopy_held *xheld; /* core_xcopy.c: copy results by list id */
	uint64_t served;        /* core_qd.c: when a command of it last started */
	bool     async;         /* the frontend takes MSG_ASYNC_EVENT (NEXUS_ADD flag) */
	uint8_t  proto;         /* enum msg_proto: its TransportID format */
	char initiator[MSG_NAME_MAX];
	/* core_state.c: the last PR OUT applied for this nexus (frontend tag)
	 * and its answer, so a re-submission after a core restart is answered
	 * without applying it again; restored: from the state segment */
	uint32_t fe_epoch;      /* the frontend incarnation that added it */
	uint64_t pr_tag;
	uint8_t  pr_status;
	uint8_t  pr_sense_len;
	uint8_t  pr_sense[MSG_SENSE_MAX];
	bool     restored;
};

/* CK_JOB: the core's own work on an LU (a sanitize's I/Os, an EXTENDED
 * COPY's hold on a destination LU), never answered to a frontend */
enum core_cmd_kind { CK_CMD = 1, CK_NEXUS_ADD, CK_DISCOVER, CK_TMF, CK_ASYNC, CK_JOB };

enum core_cmd_state {
	CS_FREE = 0,
	CS_DATA_WAIT,   /* XFER_RDY asked for data-out, no DATA_READY yet */
	CS_WAIT,        /* enrolled on the LU, not started (ordering or data) */
	CS_BE_QUEUED,   /* waiting for room on (or a live instance of) its backend */
	CS_AT_BE,       /* the backend owns the buffer until IO_DONE */
	CS_TMF_WAIT,    /* a TMF waiting for aborted commands to come back */
	CS_DONE,        /* answer queued toward the frontend */
};

struct core_cmd {
	uint32_t idx;
	uint32_t gen;           /* bumped at every allocation: stale tags miss */
	uint64_t t0_ns;         /* arrival, for the latency histograms */
	uint8_t  kind;
	uint8_t  state;
	uint8_t  txop;          /* message to send while on a tx queue */
	bool     ready;         /* data-out is in (or none needed) */
	bool     started;
	bool     aborted;
	bool     orphan;        /* frontend is gone; only the backend still matters */
	bool     enrolled;      /* on lun->tasks */
	bool     in_nexus;      /* on nexus->cmds */
	struct clist *qlist;    /* the link queue it is on, if any */
	bool     in_taghash;
	bool     emulated;
	uint8_t  attr;
	uint8_t  dir;
	uint8_t  cdb_len;
	uint32_t fe_link;
	uint32_t fe_gen;
	uint64_t fe_tag;
	struct core_nexus *nexus;
	struct core_lun *lun;
	uint64_t wire_lun;
	struct clist_node nnode;  /* nexus->cmds */
	struct clist_node lnode;  /* lun->tasks */
	struct clist_node qnode;  /* a link's txq or inflight list */
	struct core_cmd *tnext;   /* frontend tag hash (SCSI commands not yet answered) */
	uint8_t  cdb[MSG_CDB_MAX];
	uint32_t edtl, imm_len;
	struct buf_handle buf;
	struct scsi_io io;
	uint32_t io_len;          /* bytes moved by the backend */
	uint32_t data_cap;        /* data-in bytes the initiator has room for */
	uint32_t out_len;         /* data-out bytes needed before starting */
	struct buf_handle vbuf;   /* VERIFY: where the medium is read to */
	bool     vbuf_own;        /* vbuf allocated for this command */
	uint32_t vdone;           /* VERIFY: bytes verified so far */
	/* multi-step SBC commands (core_blk.c) */
	struct buf_handle bbuf;   /* the core's own buffer for the command */
	bool     bbuf_own;
	uint8_t  bstage;
	uint32_t bidx, bcount;    /* UNMAP descriptor / GET LBA STATUS descriptors */
	uint32_t bqueries;
	uint64_t bdone;           /* bytes of the range done */
	uint64_t blba, bnblk;     /* GET LBA STATUS: the open descriptor */
	bool     bunmapped;
	bool     bfua;             /* COMPARE AND WRITE: FUA for the write */
	bool     parked;           /* SANITIZE: answered when its LU job ends */
	bool     replayed;         /* re-submitted to this core (MSG_FLAG_REPLAY) */
	struct core_xcopy *xc;     /* EXTENDED COPY state (core_xcopy.c) */
	/* core_lbalock.c */
	struct clist_node xnode;  /* lun->lba_excl or lun->lba_running */
	uint8_t  lba_on;          /* which of them: 0 none, 1 excl, 2 running */
	uint64_t lba_seq;         /* arrival order on the LU */
	uint32_t xfer_want;       /* XFER_RDY length */
	uint32_t qd_pass;         /* core_qd.c: tried in this scheduling pass */
	bool     qd_counted;      /* counted in lun->running */
	uint32_t be_link;
	uint32_t be_dev;
	struct scsi_result res;
	/* TMF this aborted command reports to (idx/gen, checked on use) */
	uint32_t tmf_idx, tmf_gen;
	bool     tmf_ref;
	/* CK_TMF */
	uint32_t tmf_waiting;
	uint8_t  tmf_result;
	uint16_t tmf_asc;                 /* QUERY ASYNC EVENT: the pending UA */
	/* CK_NEXUS_ADD / CK_DISCOVER answers */
	uint32_t nexus_id;
	int32_t  result;
	uint32_t length;
	/* CK_ASYNC: the sense of the unit attention announced */
	uint8_t  async_sense[MSG_ASYNC_SENSE_MAX];
	uint8_t  async_sense_len;
};

struct core_link {
	uint32_t id;
	enum core_role role;
	struct link *l;         /* in child->links; NULL when down */
	bool     up;
	bool     broken;        /* violated the protocol: not served until replaced */
	uint32_t gen;
	uint32_t arena;         /* frontends: the only arena they may name */
	char     peer[64];      /* the peer process' name, from the link description */
	uint32_t peer_epoch;    /* its incarnation: a new one has none of our nexuses */
	ev_io    io;
	bool     io_active;
	struct clist txq;       /* commands waiting to send on this link */
	bool     tx_dirty;
	bool     tx_waiting;
	bool     rx_sleeping;
	/* frontend */
	struct core_nexus *nexus_hash[CORE_NEXUS_BUCKETS];
	struct core_cmd *tag_hash[CORE_TAG_BUCKETS];
	uint32_t orphans;       /* commands of a dead incarnation at backends */
	bool     drain_pending;
	/* backend */
	struct clist inflight;  /* CS_AT_BE commands, in issue order */
};

struct core {
	struct child *c;
	struct ev_loop *loop;
	struct core_config cfg;
	struct core_link links[CHILD_MAX_LINKS];
	uint32_t nlinks;
	struct core_cmd *cmds;
	uint32_t ncmds;
	uint32_t *free_stack;
	uint32_t nfree;
	struct pool_alloc arena_alloc; /* the core's own arena */
	struct buf_handle verify_buf;  /* VERIFY reads land here (content unused) */
	uint8_t *scratch;       /* emulation output before it is copied out */
	uint32_t scratch_len;
	unsigned spin;          /* empty polls before sleeping */
	unsigned yield;         /* sched_yield()s for an owed backend completion */
	unsigned poll_us;       /* poll window after the last message (core_link.c) */
	double   poll_until;    /* ev_now() until which prepare_cb does not sleep */
	ev_prepare prep;
	ev_check check;
	ev_idle idle;
	bool     shutting_down;
	unsigned sched_hold;    /* bulk aborts: defer task-set scheduling */
	bool     quiescing;     /* core_quiesce.c: handing over to a new core */
	/* counters */
	uint64_t n_cmds, n_ios, n_violations, n_stale_data_ready;
	uint64_t n_copied;      /* medium data memcpy'd by the core (WRITE SAME's block) */
};

/* core_link.c */
int  core_links_init(struct core *co);
void core_loop_start(struct core *co);
struct core_link *core_link_get(struct core *co, uint32_t id);
void core_violation(struct core *co, struct core_link *cl, const char *reason);
/* Queue a command's next message on a link and try to send it now. */
void core_tx_enqueue(struct core *co, struct core_link *cl, struct core_cmd *cmd, uint8_t op);
void core_tx_flush(struct core *co, struct core_link *cl);
void core_on_ctl(struct child *c, struct ctl_msg *m);
void core_on_shutdown(struct child *c);

/* core_cmd.c */
int  core_cmds_init(struct core *co, uint32_t n);
/* core_verify.c: VERIFY reads the medium into the core's own arena. */
void core_verify_buf_init(struct core *co);
/* A command whose data-out is compared or written block by block: the bytes
 * the initiator sends (at most io->length), in whole blocks. Answers the
 * command itself (bad direction, partial block, nothing sent) and returns
 * false; else *want is the byte count to use. */
bool core_dataout_blocks(struct core_cmd *cmd, const struct scsi_io *io, uint32_t bs,
			 uint64_t *want);
/* Plan a VERIFY; false when cmd->res already holds the answer. */
bool core_verify_plan(struct core *co, struct core_cmd *cmd);
/* A VERIFY piece came back: compare it, queue the next piece (returns true)
 * or leave the final answer in cmd->res (returns false). */
bool core_verify_piece_done(struct core *co, struct core_link *bl, struct core_cmd *cmd);
void core_verify_release(struct core *co, struct core_cmd *cmd);
/* core_blk.c: WRITE SAME, UNMAP, COMPARE AND WRITE, WRITE AND VERIFY, GET
 * LBA STATUS: commands of several backend I/Os. */
bool core_blk_plan(struct core *co, struct core_cmd *cmd);
/* Data-out is in: set up the first I/O (true) or leave the answer in res. */
bool core_blk_start(struct core *co, struct core_cmd *cmd);
/* An I/O of cmd completed without error: queue the next (true) or leave the
 * final answer in cmd->res (false). */
bool core_blk_piece_done(struct core *co, struct core_link *bl, struct core_cmd *cmd,
			 const struct msg_io_done *d);
void core_blk_release(struct core *co, struct core_cmd *cmd);
/* core_lbalock.c: LBA range exclusion. Enroll with the task set; may_start
 * before starting, started once started; leave returns true when commands
 * held back by this one may start now. */
void core_lba_enroll(struct core_cmd *cmd);
bool core_lba_may_start(const struct core_cmd *cmd);
void core_lba_started(struct core_cmd *cmd);
bool core_lba_leave(struct core_cmd *cmd);
struct core_cmd *core_cmd_alloc(struct core *co);
void core_cmd_free(struct core *co, struct core_cmd *cmd);
/* Take a command off its nexus, tag hash and task set (not its link queue). */
void core_cmd_detach(struct core *co, struct core_cmd *cmd);
uint32_t core_cmds_busy(const struct core *co);
void core_handle_frontend(struct core *co, struct core_link *cl, const union msg *m);
void core_handle_backend(struct core *co, struct core_link *cl, const union msg *m);
/* Fill a ring entry for cmd's pending message (cmd->txop); the tx path then
 * calls core_cmd_sent(). */
void core_cmd_fill(struct core *co, struct core_link *cl, struct core_cmd *cmd, union msg *m);
void core_cmd_sent(struct core *co, struct core_link *cl, struct core_cmd *cmd);
void core_cmd_complete(struct core *co, struct core_cmd *cmd);
/* Abort a command on behalf of tmf (may be NULL). */
void core_cmd_abort(struct core *co, struct core_cmd *cmd, struct core_cmd *tmf);
void core_sched_hold(struct core *co);
void core_sched_release(struct core *co);
struct core_nexus *core_nexus_find(struct core_link *cl, uint32_t id);
/* Put a new nexus in its link's hash and its target's list. */
void core_nexus_insert(struct core_link *cl, struct core_nexus *nx);
/* The SCSI command with this frontend tag on cl not yet answered, or NULL. */
struct core_cmd *core_cmd_by_tag(struct core_link *cl, uint64_t tag);

/* core_replay.c: commands a frontend re-submits after a core restart (they
 * carry MSG_FLAG_REPLAY). True when cmd->res already holds the answer. */
bool core_replay_answer(struct core *co, struct core_cmd *cmd);
/* Remember a PR OUT just applied (its tag and answer) on its nexus. */
void core_replay_record(const struct core_cmd *cmd);

/* core_quiesce.c: live upgrade of the core */
void core_quiesce_begin(struct core *co);
bool core_quiesce_room(const struct core *co);
/* True when m was parked instead of handled. */
bool core_quiesce_park(struct core *co, struct core_link *cl, const union msg *m);
void core_quiesce_poll(struct core *co);
void core_quiesce_resume(struct core *co);

/* core_pr.c: reservations */
void core_pr_init(struct core *co, json_t *state);
bool core_pr_conflict(struct core *co, struct core_cmd *cmd);
/* Runs and completes PR / RESERVE / RELEASE commands; false for others. */
bool core_pr_run(struct core *co, struct core_cmd *cmd);
void core_pr_lun_reset(struct core_lun *l);
void core_pr_nexus_lost(struct core_nexus *nx);

/* core_emul_out.c: emulated commands with a parameter list */
/* Sets out_len; true when data-out must be pulled first. */
bool core_emul_wants_data(struct core_cmd *cmd);
/* A malloc'd copy of the parameter list that arrived (NULL, 0 when none). */
int  core_emul_param(struct core *co, struct core_cmd *cmd, uint8_t **param, uint32_t *len);
/* Copy data-in out of the scratch buffer and complete. */
void core_emul_finish(struct core *co, struct core_cmd *cmd);
/* core_ua.c: queue a UA for every nexus of t on LU index lun_index (every LU
 * when negative), except `except`; e.g. SCSI_UA_CAPACITY_CHANGED after a
 * resize, SCSI_UA_LUNS_CHANGED after a LUN is added or removed. */
void core_ua_raise(struct core_target *t, int lun_index, uint16_t bit,
		   const struct core_nexus *except);
/* A new nexus' first UAs: POWER ON, or I_T NEXUS LOSS for a returning port. */
void core_ua_nexus_new(struct core_nexus *nx);
void core_ua_nexus_lost(const struct core_nexus *nx);
/* core_live.c: configuration changed live (CTL_CONFIG) */
int  core_nexus_view_init(struct core_nexus *nx);
/* Recompute what nx sees; true when that changed. */
bool core_nexus_view(struct core_nexus *nx);
void core_nexus_view_free(struct core_nexus *nx);
/* The LU the initiator of nx calls `ilun`, or NULL. */
struct core_lun *core_nexus_lun(struct core_nexus *nx, uint32_t ilun);
void core_live_config(struct core *co, struct ctl_msg *m);
/* core_stats.c */
uint64_t core_now_ns(void);
/* A SCSI command is answered: count it on its LU and nexus. */
void core_stats_cmd_done(struct core_cmd *cmd);
/* CTL_STATS: per LU, per nexus and per link figures. */
json_t *core_stats_json(struct core *co);
/* core_qd.c: per-LU queue depth, round robin between nexuses. admit: false
 * when cmd->res holds TASK SET FULL; pick: the next command to start (NULL:
 * none may start now); started/left keep lun->running (left: true if it
 * counted). */
bool core_qd_admit(struct core_cmd *cmd);
struct core_cmd *core_qd_pick(struct core_lun *l, uint32_t pass);
void core_qd_started(struct core_cmd *cmd);
bool core_qd_left(struct core_cmd *cmd);
/* core_media.c: removable media (START STOP UNIT, PREVENT ALLOW) and the
 * MMC commands of a CD/DVD LU. gate: true when cmd->res holds NOT READY
 * (medium ejected); run: true when it ran (and completed) the command. */
bool core_media_gate(struct core_cmd *cmd);
bool core_media_run(struct core *co, struct core_cmd *cmd);
void core_media_nexus_lost(struct core_nexus *nx);
void core_media_lun_reset(struct core_lun *l);
/* core_resize.c: CTL_LUN_RESIZE: new capacity, CAPACITY DATA HAS CHANGED */
void core_lun_resize(struct core *co, const struct ctl_msg *m);
/* Set a UA on one nexus and LU; a new one is announced to a frontend that
 * asked for it (MSG_ASYNC_EVENT, core_async.c). */
void core_ua_set(struct core_nexus *nx, uint32_t lun_index, uint16_t bit);
/* core_async.c: MSG_ASYNC_EVENT toward frontends */
void core_async_init(struct core *co);
void core_async_ua(struct core_nexus *nx, uint32_t lun_index, uint16_t bit);
void core_async_fill(const struct core_cmd *cmd, union msg *m);
/* core_mode.c */
bool core_mode_run(struct core *co, struct core_cmd *cmd);
/* core_alua.c: target port groups of a target from its "ports" and "alua"
 * config keys; -1 with err filled when they are bad. */
int  core_alua_config(struct core_target *t, json_t *jt, char *err, size_t errlen);
/* The LU as the command's nexus sees it (its relative target port, group). */
const struct scsi_lu *core_alua_lu_view(const struct core_cmd *cmd, struct scsi_lu *view);
/* The port's access state forbids the command: cmd->res holds NOT READY. */
bool core_alua_refuse(struct core *co, struct core_cmd *cmd);
/* Runs and completes REPORT / SET TARGET PORT GROUPS; false for others. */
bool core_alua_run(struct core *co, struct core_cmd *cmd);
/* An implicit transition (admin, failover policy): group `group` of t goes
 * to `state` (enum scsi_alua_state); every nexus of t hears ASYMMETRIC
 * ACCESS STATE CHANGED. -ENOENT unknown group, -EINVAL bad state. */
int  core_alua_set_state(struct core_target *t, uint16_t group, uint8_t state);
/* A live config change rebuilt target t from old: its groups that existed
 * before keep their current state and status (a SET TARGET PORT GROUPS is
 * not undone by an unrelated change); new groups start as configured. */
void core_alua_adopt(struct core_target *t, const struct core_target *old);
/* Core state segment: the ALUA state of every target as plain data. */
size_t core_alua_state_size(const struct core *co);
size_t core_alua_save(const struct core *co, void *buf, size_t cap);
int  core_alua_load(struct core *co, const void *buf, size_t len);

/* core_tmf.c */
void core_handle_tmf(struct core *co, struct core_link *cl, const struct msg_tmf *m);
void core_handle_nexus_del(struct core *co, struct core_link *cl, const struct msg_nexus_del *m);
/* An aborted command came back from its backend: release the wait of the TMF
 * (slot idx, generation gen) that aborted it. */
void core_tmf_release(struct core *co, uint32_t idx, uint32_t gen);
void core_nexus_free(struct core *co, struct core_link *cl, struct core_nexus *nx);
void core_frontend_down(struct core *co, struct core_link *cl);
void core_backend_down(struct core *co, struct core_link *cl);
void core_backend_up(struct core *co, struct core_link *cl);

#endif
