/* Live upgrade of one process (`proc.upgrade`, `mtgtctl proc upgrade`): a new
 * instance starts beside the old one, the old one is quiesced within a
 * deadline and hands over what it holds (fds with SCM_RIGHTS, state in a
 * memfd), the new one takes over and the old one retires. If the new one
 * fails before the point of no return, the old one serves on (rollback) and
 * the failure is reported with the stage it happened in.
 *
 * What "quiesce" and "hand over" mean differs per kind; each kind plugs in
 * through struct sup_upgrade_ops. The core hands over its own way, with its
 * state segment (sup_core_handover.c): proc.upgrade passes it on. See
 * docs/upgrade.md. */
#ifndef MTGT_SUP_UPGRADE_H
#define MTGT_SUP_UPGRADE_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/ctl.h"
#include "supervisor/sup.h"

enum sup_upg_stage {
	UPG_IDLE = 0,
	UPG_START,     /* new instance launched, waiting for its READY */
	UPG_QUIESCE,   /* old instance asked to stop at a clean point */
	UPG_LOAD,      /* new instance loading the old one's state */
	UPG_RETIRE,    /* point of no return: old instance on its way out */
	UPG_CLEANUP,   /* failed: waiting for the new instance to be reaped */
};

struct sup_upgrade;

struct sup_upgrade_ops {
	const char *kind;
	/* Set up u->nw (epoch, link, handover_in) before it is launched.
	 * 0, or -errno with a reason in u->error. */
	int  (*prepare)(struct sup_upgrade *u);
	/* u->nw said READY. */
	void (*new_ready)(struct sup_upgrade *u);
	/* CTL_HANDOVER from the old (from_old) or the new instance. */
	void (*handover)(struct sup_upgrade *u, bool from_old, struct ctl_msg *m);
	/* The old instance exited. Return true if the upgrade handled it (the
	 * usual restart path must not run). */
	bool (*old_exited)(struct sup_upgrade *u, const char *why);
	/* The new instance exited before the commit. */
	void (*new_exited)(struct sup_upgrade *u, const char *why);
	/* The deadline of the current stage passed. */
	void (*deadline)(struct sup_upgrade *u);
};

struct sup_upgrade {
	struct sup *s;
	struct sup_proc *old;          /* the slot in s->procs */
	struct sup_proc nw;            /* the new instance until the commit */
	const struct sup_upgrade_ops *ops;
	enum sup_upg_stage stage;
	bool     active;
	bool     nw_alive;             /* launched and not yet reaped */
	bool     own_link;             /* nw.link is its own (close it on failure) */
	bool     old_resume;           /* failure: send RESUME to the old one */
	bool     fallback_restart;     /* failure: restart the old one plainly */
	int      state_fd;             /* memfd carrying serialized state */
	uint32_t id;
	double   t0;
	double   t_quiesced;           /* old instance stopped serving */
	uint32_t start_ms, quiesce_ms, load_ms;
	char     binary[512];
	char     error[256];
	char     stage_failed[16];
	char     result[16];           /* "upgrading", "done", "rolled_back", "restarted", "failed" */
	json_t  *detail;               /* kind-specific facts for the report */
	pid_t    old_pid, new_pid;
	ev_timer deadline_w;
};

extern const struct sup_upgrade_ops sup_upgrade_backend_ops;
extern const struct sup_upgrade_ops sup_upgrade_iscsi_ops;

/* Hooks called by sup_proc.c. */
bool sup_upgrade_busy(struct sup *s, struct sup_proc *p);
bool sup_upgrade_exited(struct sup *s, struct sup_proc *p, const char *why);
void sup_upgrade_ready(struct sup *s, struct sup_proc *p);
void sup_upgrade_ctl(struct sup *s, struct sup_proc *p, struct ctl_msg *m);
/* Shutdown, or the core died: stop any upgrade, kill a new instance. */
void sup_upgrade_abort(struct sup *s, const char *why);

/* For the ops. */
void sup_upgrade_stage(struct sup_upgrade *u, enum sup_upg_stage st, uint32_t deadline_ms);
/* Make u->nw the process of the slot (pid, ctl, epoch, link) and finish. */
void sup_upgrade_commit(struct sup_upgrade *u);
/* Give up: record why, kill the new instance; the old one serves on
 * (u->old_resume: it is told to) or restarts (u->fallback_restart). */
void sup_upgrade_fail(struct sup_upgrade *u, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double sup_upgrade_ms(const struct sup_upgrade *u);

/* JSON-RPC methods (sup_admin.c's table). */
json_t *sup_rpc_proc_upgrade(struct sup *s, json_t *params, int *code, const char **msg);
json_t *sup_rpc_proc_upgrade_status(struct sup *s, json_t *params, int *code,
				    const char **msg);

#endif
