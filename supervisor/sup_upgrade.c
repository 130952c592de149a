/* The live upgrade core: one upgrade at a time, its stages and deadlines, the
 * second instance beside the slot's process, commit and rollback, and the
 * proc.upgrade / proc.upgrade_status methods. Kind-specific steps are in
 * sup_upgrade_backend.c, sup_upgrade_iscsi.c (and the core's own file). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup_upgrade.h"

#define UPG_START_MS_DEF    5000
#define UPG_QUIESCE_MS_DEF  5000
#define UPG_LOAD_MS_DEF     5000

#define UPG_FALLBACK_DRAIN_S 5.0

static struct sup_upgrade U;
/* a fallback restart whose drain must end in bounded time */
static struct {
	ev_timer w;
	struct sup_proc *p;
	pid_t pid;
} fb;
/* the last upgrade of each slot, for proc.upgrade_status */
static json_t *last_result[SUP_MAX_PROCS];
static uint32_t next_id = 1;

double sup_upgrade_ms(const struct sup_upgrade *u)
{
	return (sup_now() - u->t0) * 1000.0;
}

static const char *stage_name(enum sup_upg_stage st)
{
	static const char *const n[] = { "idle", "start", "quiesce", "load", "retire", "cleanup" };

	return st <= UPG_CLEANUP ? n[st] : "?";
}

static json_t *report(const struct sup_upgrade *u)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:i, s:i, s:f}", "name", u->old->name, "id",
			      (json_int_t)u->id, "state", u->result, "stage",
			      u->stage_failed[0] ? u->stage_failed : stage_name(u->stage),
			      "old_pid", (json_int_t)u->old_pid, "new_pid", (json_int_t)u->new_pid,
			      "elapsed_ms", sup_upgrade_ms(u));

	json_object_set_new(o, "binary", json_string(u->binary));
	if (u->error[0])
		json_object_set_new(o, "error", json_string(u->error));
	if (u->detail)
		json_object_set_new(o, "detail", json_deep_copy(u->detail));
	return o;
}

static void remember(struct sup_upgrade *u)
{
	size_t i = (size_t)(u->old - u->s->procs);

	json_decref(last_result[i]);
	last_result[i] = report(u);
}

/* Everything done, successfully or not: the slot may upgrade again. */
static void finish(struct sup_upgrade *u)
{
	ev_timer_stop(u->s->loop, &u->deadline_w);
	if (u->state_fd >= 0)
		close(u->state_fd);
	u->state_fd = -1;
	u->stage = UPG_IDLE;
	remember(u);
	log_info("upgrade %u of %s: %s%s%s (%.0f ms)", u->id, u->old->name, u->result,
		 u->error[0] ? ": " : "", u->error, sup_upgrade_ms(u));
	json_decref(u->detail);
	u->detail = NULL;
	u->active = false;
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup_upgrade *u = w->data;

	(void)loop;
	(void)revents;
	if (u->active && u->ops->deadline)
		u->ops->deadline(u);
}

void sup_upgrade_stage(struct sup_upgrade *u, enum sup_upg_stage st, uint32_t deadline_ms)
{
	u->stage = st;
	ev_timer_stop(u->s->loop, &u->deadline_w);
	if (deadline_ms) {
		ev_timer_set(&u->deadline_w, deadline_ms / 1000.0, 0);
		ev_timer_start(u->s->loop, &u->deadline_w);
	}
}

void sup_upgrade_commit(struct sup_upgrade *u)
{
	struct sup *s = u->s;
	struct sup_proc *p = u->old, *n = &u->nw;

	ev_io_stop(s->loop, &n->pid_w);
	ev_io_stop(s->loop, &n->ctl_w);
	if (u->own_link)
		sup_link_close(&p->link);
	p->link = n->link;
	p->pid = n->pid;
	p->pidfd = n->pidfd;
	p->ctl = n->ctl;
	p->epoch = n->epoch;
	p->started_at = n->started_at;
	p->last_pong = sup_now();
	p->state = SUP_ST_RUNNING;
	p->kill_reason[0] = 0;
	sup_stats_forget(p);
	snprintf(p->binary_path, sizeof(p->binary_path), "%s", u->binary);
	sup_proc_watch(s, p);
	u->nw_alive = false;
	n->pid = -1;
	n->pidfd = n->ctl = -1;
	snprintf(u->result, sizeof(u->result), "done");
	finish(u);
}

/* The plain restart of a fallback waits for the old instance to drain; what
 * kept it from quiescing (a stuck initiator) may keep it from draining too. */
static void fallback_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (fb.p && fb.p->pid == fb.pid && fb.p->state == SUP_ST_STOPPING)
		sup_proc_kill(fb.p, "upgrade fallback: the restart did not drain in time");
	fb.p = NULL;
}

/* The new instance is gone (or was never started): undo what it had. */
static void cleanup_new(struct sup_upgrade *u)
{
	struct sup_proc *p = u->old;
	bool resume = u->old_resume, restart = u->fallback_restart;

	if (u->own_link)
		sup_link_close(&u->nw.link);
	u->own_link = false;
	finish(u);
	if (resume && p->ctl >= 0) {
		log_info("upgrade %u: %s serves on", u->id, p->name);
		ctl_send(p->ctl, CTL_RESUME, NULL, 0, NULL, 0);
	}
	if (restart && p->pid > 0) {
		snprintf(p->binary_path, sizeof(p->binary_path), "%s", u->binary);
		if (sup_proc_restart(u->s, p) < 0) {
			log_err("upgrade %u: the plain restart of %s could not begin either",
				u->id, p->name);
			return;
		}
		fb.p = p;
		fb.pid = p->pid;
		ev_timer_stop(u->s->loop, &fb.w);
		ev_timer_init(&fb.w, fallback_cb, UPG_FALLBACK_DRAIN_S, 0);
		ev_timer_start(u->s->loop, &fb.w);
	}
}

void sup_upgrade_fail(struct sup_upgrade *u, const char *result, const char *fmt, ...)
{
	va_list ap;

	if (u->stage == UPG_CLEANUP)
		return;
	va_start(ap, fmt);
	vsnprintf(u->error, sizeof(u->error), fmt, ap);
	va_end(ap);
	snprintf(u->result, sizeof(u->result), "%s", result);
	snprintf(u->stage_failed, sizeof(u->stage_failed), "%s", stage_name(u->stage));
	log_warn("upgrade %u of %s failed in stage %s: %s", u->id, u->old->name,
		 u->stage_failed, u->error);
	sup_upgrade_stage(u, UPG_CLEANUP, 0);
	if (u->nw_alive) {
		/* cleanup_new() runs once its exit is seen */
		sup_proc_kill(&u->nw, "upgrade abandoned");
		return;
	}
	cleanup_new(u);
}

/* ---- hooks from sup_proc.c ---- */

bool sup_upgrade_busy(struct sup *s, struct sup_proc *p)
{
	(void)s;
	return U.active && (U.old == p || &U.nw == p);
}

bool sup_upgrade_exited(struct sup *s, struct sup_proc *p, const char *why)
{
	struct sup_upgrade *u = &U;

	if (!u->active)
		return false;
	if (p == &u->nw) {
		log_info("upgrade %u: new %s instance (pid %d) ended: %s", u->id, p->name,
			 u->new_pid, why);
		u->nw_alive = false;
		if (u->stage == UPG_CLEANUP)
			cleanup_new(u);
		else if (u->ops->new_exited)
			u->ops->new_exited(u, why);
		else
			sup_upgrade_fail(u, "rolled_back", "new instance ended: %s", why);
		return true;
	}
	if (p != u->old)
		return false;
	/* With the core gone (it restarts the whole data path) there is nothing
	 * to switch over to: the new instance goes, the usual path follows. */
	if ((p->kind == SUP_CORE || s->core->pid > 0) && u->ops->old_exited &&
	    u->ops->old_exited(u, why)) {
		log_info("upgrade %u: old %s instance (pid %d) retired: %s", u->id, p->name,
			 u->old_pid, why);
		return true;
	}
	/* the old one died on its own: that is a crash, handled as usual */
	u->old_resume = false;
	u->fallback_restart = false;
	sup_upgrade_fail(u, "failed", "old instance ended during the upgrade: %s", why);
	return false;
}

void sup_upgrade_ready(struct sup *s, struct sup_proc *p)
{
	(void)s;
	if (U.active && p == &U.nw && U.stage == UPG_START) {
		U.new_pid = p->pid;
		U.ops->new_ready(&U);
	}
}

void sup_upgrade_ctl(struct sup *s, struct sup_proc *p, struct ctl_msg *m)
{
	(void)s;
	if (!U.active || (p != &U.nw && p != U.old) || !U.ops->handover) {
		sup_proc_kill(p, "unexpected HANDOVER message");
		return;
	}
	U.ops->handover(&U, p == U.old, m);
}

void sup_upgrade_abort(struct sup *s, const char *why)
{
	(void)s;
	if (!U.active)
		return;
	/* an old instance that was quiescing is told to serve again (so it
	 * can drain like everyone else, or ride out the core's restart) */
	U.fallback_restart = false;
	sup_upgrade_fail(&U, "failed", "%s", why);
}

/* ---- starting one ---- */

static const struct sup_upgrade_ops *ops_for(const struct sup_proc *p)
{
	if (p->kind == SUP_BACKEND)
		return &sup_upgrade_backend_ops;
	if (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "iscsi"))
		return &sup_upgrade_iscsi_ops;
	/* the same steps; mtgt-srp ends its channels instead of handing them
	 * over (procs/frontend-srp/srp_handover.c) */
	if (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "srp"))
		return &sup_upgrade_iscsi_ops;
	return NULL;
}

static uint32_t opt_ms(json_t *params, const char *key, uint32_t def, const char **bad)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return def;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 600000) {
		*bad = key;
		return def;
	}
	return (uint32_t)json_integer_value(v);
}

static int start(struct sup *s, struct sup_proc *p, json_t *params, const char **msg)
{
	static char err[320];
	struct sup_upgrade *u = &U;
	const char *bin = json_string_value(json_object_get(params, "binary")), *bad = NULL;
	const struct sup_upgrade_ops *ops = ops_for(p);
	struct stat st;

	if (!ops) {
		*msg = "no upgrade handler for this kind of process";
		return -ENOTSUP;
	}
	if (json_object_get(params, "binary") && !bin) {
		*msg = "params.binary: must be a string (an absolute path)";
		return -EINVAL;
	}
	if (bin && (bin[0] != '/' || strlen(bin) >= sizeof(u->binary))) {
		*msg = "params.binary: must be an absolute path shorter than 512 bytes";
		return -EINVAL;
	}
	if (bin && (stat(bin, &st) < 0 || !S_ISREG(st.st_mode) || access(bin, X_OK) < 0)) {
		snprintf(err, sizeof(err), "params.binary: %s is not an executable file", bin);
		*msg = err;
		return -EINVAL;
	}
	if (s->shutting_down) {
		*msg = "the target is shutting down";
		return -ESHUTDOWN;
	}
	if (u->active) {
		snprintf(err, sizeof(err), "an upgrade of %s is in progress", u->old->name);
		*msg = err;
		return -EBUSY;
	}
	if (p->state != SUP_ST_RUNNING || p->pid <= 0 || p->ctl < 0 ||
	    (p->kind != SUP_CORE && s->core->state != SUP_ST_RUNNING)) {
		*msg = "process (or the core) is not running: nothing to upgrade";
		return -EBUSY;
	}
	memset(u, 0, sizeof(*u));
	u->s = s;
	u->old = p;
	u->ops = ops;
	u->active = true;
	u->state_fd = -1;
	u->id = next_id++;
	u->t0 = sup_now();
	u->old_pid = p->pid;
	u->new_pid = -1;
	u->start_ms = opt_ms(params, "start_timeout_ms", UPG_START_MS_DEF, &bad);
	u->quiesce_ms = opt_ms(params, "quiesce_timeout_ms", UPG_QUIESCE_MS_DEF, &bad);
	u->load_ms = opt_ms(params, "load_timeout_ms", UPG_LOAD_MS_DEF, &bad);
	if (bad) {
		snprintf(err, sizeof(err), "params.%s: milliseconds, 1..600000", bad);
		*msg = err;
		u->active = false;
		return -EINVAL;
	}
	if ((bin ? snprintf(u->binary, sizeof(u->binary), "%s", bin)
		 : p->binary_path[0] ? snprintf(u->binary, sizeof(u->binary), "%s", p->binary_path)
		 : snprintf(u->binary, sizeof(u->binary), "%s/%s", s->bindir, p->binary)) >=
	    (int)sizeof(u->binary)) {
		*msg = "the binary's path is too long";
		u->active = false;
		return -EINVAL;
	}
	snprintf(u->result, sizeof(u->result), "upgrading");
	ev_timer_init(&u->deadline_w, deadline_cb, 1.0, 0);
	u->deadline_w.data = u;

	/* The new instance: the slot's description, its own process. */
	u->nw = *p;
	u->nw.pid = -1;
	u->nw.pidfd = u->nw.ctl = -1;
	u->nw.state = SUP_ST_EXITED;
	u->nw.kill_reason[0] = 0;
	u->nw.stats = NULL;       /* the old one's counters stay the old one's */
	memcpy(u->nw.binary_path, u->binary, sizeof(u->binary));
	if (ops->prepare(u) < 0) {
		*msg = u->error[0] ? u->error : "could not prepare the new instance";
		u->active = false;
		return -EIO;
	}
	log_info("upgrade %u of %s (pid %d): starting %s beside it", u->id, p->name, p->pid,
		 u->binary);
	sup_upgrade_stage(u, UPG_START, u->start_ms);
	sup_proc_launch(s, &u->nw);
	if (u->nw.pid <= 0) {
		sup_upgrade_fail(u, "rolled_back", "could not start %s", u->binary);
		return 0;
	}
	u->nw_alive = true;
	u->new_pid = u->nw.pid;
	return 0;
}

/* The core's upgrade is sup_core_handover.c's; what we can say about it. */
static struct {
	uint32_t id;
	pid_t    old_pid;
	double   t0;
} core_upg;

static json_t *core_status(struct sup *s)
{
	struct sup_proc *c = s->core;
	const char *st;

	if (!core_upg.id)
		return json_pack("{s:s, s:s}", "name", c->name, "state", "none");
	if (sup_core_handover_busy())
		st = "upgrading";
	else if (c->pid > 0 && c->pid != core_upg.old_pid && c->state == SUP_ST_RUNNING)
		st = "done";
	else
		st = "rolled_back";
	return json_pack("{s:s, s:i, s:s, s:s, s:i, s:i, s:f, s:s, s:s}", "name", c->name, "id",
			 (json_int_t)core_upg.id, "state", st, "stage", "core handover",
			 "old_pid", (json_int_t)core_upg.old_pid, "new_pid", (json_int_t)c->pid,
			 "elapsed_ms", (sup_now() - core_upg.t0) * 1000.0, "binary",
			 c->binary_path[0] ? c->binary_path : c->binary, "error",
			 strcmp(st, "rolled_back") ? "" : "the core did not hand over (see the log)");
}

json_t *sup_rpc_proc_upgrade(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	struct sup_proc *p = name ? sup_proc_find(s, name) : NULL;
	int r;

	if (!p) {
		*code = -32602;
		*msg = name ? "params.name: no such process"
			    : "params.name: the process name (see proc.list) is required";
		return NULL;
	}
	if (p->kind == SUP_CORE) {
		/* the core hands over its own way (sup_core_handover.c) */
		json_t *r2;

		if (U.active) {
			*code = -32000;
			*msg = "an upgrade of another process is in progress";
			return NULL;
		}
		core_upg.old_pid = p->pid;
		core_upg.t0 = sup_now();
		r2 = sup_core_rpc_upgrade(s, params, code, msg);
		core_upg.id = r2 ? next_id++ : 0;
		json_decref(r2);
		return r2 ? core_status(s) : NULL;
	}
	if (sup_core_handover_busy()) {
		*code = -32000;
		*msg = "a core upgrade is in progress";
		return NULL;
	}
	r = start(s, p, params, msg);
	if (r < 0) {
		*code = r == -EINVAL ? -32602 : -32000;
		return NULL;
	}
	/* A start that failed at once has already finished: report that. */
	if (!U.active && last_result[p - s->procs])
		return json_deep_copy(last_result[p - s->procs]);
	return report(&U);
}

json_t *sup_rpc_proc_upgrade_status(struct sup *s, json_t *params, int *code,
				    const char **msg)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	struct sup_proc *p = name ? sup_proc_find(s, name) : NULL;

	if (!p) {
		*code = -32602;
		*msg = name ? "params.name: no such process"
			    : "params.name: the process name (see proc.list) is required";
		return NULL;
	}
	if (p->kind == SUP_CORE)
		return core_status(s);
	if (U.active && U.old == p)
		return report(&U);
	if (last_result[p - s->procs])
		return json_deep_copy(last_result[p - s->procs]);
	return json_pack("{s:s, s:s}", "name", p->name, "state", "none");
}
