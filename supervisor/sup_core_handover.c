/* Live upgrade of the core (proc.upgrade core [--binary PATH]).
 *
 *  1. CTL_QUIESCE to the running core: it executes nothing new (requests are
 *     parked), finishes what is in flight, saves the state segment and says
 *     CTL_HANDOVER {"ok":true} (deadline SUP_HO_QUIESCE_S, else CTL_RESUME: no
 *     upgrade).
 *  2. The old core is set aside (its pid, pidfd and control socket move here)
 *     and the new binary starts as "core" with a new epoch on brand-new links
 *     to every child; it restores the state segment the old one just saved.
 *  3. READY within SUP_HO_START_S: each child gets CTL_LINK_UP with its new
 *     link (frontends take the last answers off the old ring and re-submit
 *     everything unanswered, parked requests included), the old core gets
 *     CTL_RETIRE (nothing in flight: it exits at once) and its links close.
 *     Otherwise the new core is killed and everything rolls back: the old
 *     links stay, the old core is "core" again and CTL_RESUME runs the
 *     requests it parked. The children never noticed.
 *
 * Not covered: a NEXUS_DEL the old core receives between its HANDOVER and the
 * switch is not in the state the new core restored, which then keeps that
 * nexus (and its pending unit attentions) until the frontend link is replaced;
 * reservations are per initiator port, not per nexus, so nothing else is
 * affected. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"

#define SUP_HO_QUIESCE_S 10.0
#define SUP_HO_START_S   10.0

enum ho_phase { HO_IDLE = 0, HO_QUIESCING, HO_STARTING };

static struct {
	enum ho_phase phase;
	struct sup *s;
	pid_t    old_pid;
	int      old_pidfd, old_ctl;
	uint32_t old_epoch;
	double   old_started;
	bool     old_gone;
	struct sup_link old_links[SUP_MAX_PROCS];
	ev_timer deadline;
	ev_io    old_pid_w, old_ctl_w;
	double   t0;
	char     binary[512];
	char     old_binary[512];
} ho;

bool sup_core_handover_busy(void)
{
	return ho.phase != HO_IDLE;
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void rollback(struct sup *s, const char *why);

static void arm(double secs)
{
	ev_timer_stop(ho.s->loop, &ho.deadline);
	ev_timer_init(&ho.deadline, deadline_cb, secs, 0);
	ev_timer_start(ho.s->loop, &ho.deadline);
}

int sup_core_upgrade(struct sup *s, const char *binary, const char **msg)
{
	struct sup_proc *core = s->core;

	if (ho.phase != HO_IDLE)
		return *msg = "a core upgrade is already under way", -EBUSY;
	if (s->shutting_down)
		return *msg = "shutting down", -ESHUTDOWN;
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].state != SUP_ST_RUNNING)
			return *msg = "every process must be running", -EBUSY;
	if (binary && (strlen(binary) >= sizeof(ho.binary) || binary[0] != '/' ||
		       access(binary, X_OK)))
		return *msg = "binary: an absolute path to an executable", -EINVAL;
	snprintf(ho.binary, sizeof(ho.binary), "%s", binary ? binary : "");
	ho.s = s;
	ho.old_pidfd = ho.old_ctl = -1;
	ho.t0 = sup_now();
	if (ctl_send(core->ctl, CTL_QUIESCE, NULL, 0, NULL, 0) < 0)
		return *msg = "cannot reach the core", -EIO;
	ho.phase = HO_QUIESCING;
	arm(SUP_HO_QUIESCE_S);
	log_info("core upgrade: quiescing core (pid %d)%s%s", core->pid,
		 binary ? ", new binary " : "", binary ? binary : "");
	return 0;
}

/* The old core while set aside: its death is noted, its messages dropped. */
static void old_pid_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int st;

	if (waitpid(ho.old_pid, &st, WNOHANG) == 0)
		return;
	ev_io_stop(loop, &ho.old_pid_w);
	ev_io_stop(loop, &ho.old_ctl_w);
	close(ho.old_pidfd);
	close(ho.old_ctl);
	ho.old_pidfd = ho.old_ctl = -1;
	ho.old_gone = true;
	if (ho.phase == HO_IDLE)
		log_info("core upgrade: old core (pid %d) exited", ho.old_pid);
	else
		log_warn("core upgrade: old core (pid %d) died during the handover", ho.old_pid);
}

static void old_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	for (int i = 0; i < 64; i++) {
		struct ctl_msg m;
		int r = ctl_recv(ho.old_ctl, &m);

		if (r <= 0) {
			if (r != -EAGAIN)
				ev_io_stop(loop, w);
			return;
		}
		ctl_msg_free(&m);
	}
}

void sup_core_quiesced(struct sup *s, const char *data)
{
	struct sup_proc *core = s->core;
	json_t *j;
	bool ok;

	if (ho.phase != HO_QUIESCING)
		return;
	j = json_loads(data ? data : "", 0, NULL);
	ok = json_is_true(json_object_get(j, "ok"));
	json_decref(j);
	if (!ok) {
		/* it serves on as it was */
		ev_timer_stop(s->loop, &ho.deadline);
		ho.phase = HO_IDLE;
		core->restart_requested = false;
		log_err("core upgrade abandoned: the core could not hand over");
		return;
	}
	/* set the old core aside */
	ev_io_stop(s->loop, &core->pid_w);
	ev_io_stop(s->loop, &core->ctl_w);
	ho.old_pid = core->pid;
	ho.old_pidfd = core->pidfd;
	ho.old_ctl = core->ctl;
	ho.old_epoch = core->epoch;
	ho.old_started = core->started_at;
	ho.old_gone = false;
	for (uint32_t i = 0; i < SUP_MAX_PROCS; i++)
		ho.old_links[i].valid = false;
	ev_io_init(&ho.old_pid_w, old_pid_cb, ho.old_pidfd, EV_READ);
	ev_io_start(s->loop, &ho.old_pid_w);
	ev_io_init(&ho.old_ctl_w, old_ctl_cb, ho.old_ctl, EV_READ);
	ev_io_start(s->loop, &ho.old_ctl_w);
	core->pid = -1;
	core->pidfd = core->ctl = -1;
	/* new links for everyone; the old ones stay until the switch */
	if (sup_proc_prepare(s, core) < 0)
		goto undo;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];
		bool fe = p->kind == SUP_FRONTEND;

		if (p == core)
			continue;
		ho.old_links[i] = p->link;
		p->link.valid = false;
		if (sup_link_new(s, &p->link, i, fe ? p->epoch : core->epoch,
				 fe ? core->epoch : p->epoch) < 0)
			goto undo;
	}
	/* later restarts run the new binary too; a rollback restores the old */
	snprintf(ho.old_binary, sizeof(ho.old_binary), "%s", core->binary_path);
	if (ho.binary[0])
		snprintf(core->binary_path, sizeof(core->binary_path), "%s", ho.binary);
	sup_proc_launch(s, core);
	if (core->pid <= 0)
		goto undo;
	ho.phase = HO_STARTING;
	arm(SUP_HO_START_S);
	log_info("core upgrade: quiesced in %.1f ms; new core pid %d starting",
		 (sup_now() - ho.t0) * 1e3, core->pid);
	return;
undo:
	ev_timer_stop(s->loop, &ho.deadline);
	rollback(s, "cannot start the new core");
}

/* Back to the old core: its links, its identity, and it runs again. */
static void rollback(struct sup *s, const char *why)
{
	struct sup_proc *core = s->core;

	log_err("core upgrade rolled back: %s", why);
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p == core || !ho.old_links[i].valid)
			continue;
		sup_link_close(&p->link);
		p->link = ho.old_links[i];
		ho.old_links[i].valid = false;
	}
	ev_io_stop(s->loop, &ho.old_pid_w);
	ev_io_stop(s->loop, &ho.old_ctl_w);
	ho.phase = HO_IDLE;
	core->restart_requested = false;
	core->epoch = ho.old_epoch;
	snprintf(core->binary_path, sizeof(core->binary_path), "%s", ho.old_binary);
	if (ho.old_gone) {
		/* nothing to return to: a plain core restart */
		log_err("core upgrade: the old core is gone too; restarting the core");
		core->state = SUP_ST_FAILED;
		core->pid = -1;
		sup_core_hold(s);
		sup_proc_restart(s, core);
		return;
	}
	core->pid = ho.old_pid;
	core->pidfd = ho.old_pidfd;
	core->ctl = ho.old_ctl;
	core->started_at = ho.old_started;
	core->last_pong = sup_now();
	core->state = SUP_ST_RUNNING;
	sup_proc_watch(s, core);
	ctl_send(core->ctl, CTL_RESUME, NULL, 0, NULL, 0);
}

bool sup_core_handover_exit(struct sup *s)
{
	if (ho.phase == HO_QUIESCING) {
		/* the old core died while quiescing: an ordinary core death */
		ev_timer_stop(s->loop, &ho.deadline);
		ho.phase = HO_IDLE;
		s->core->restart_requested = false;
		log_err("core upgrade abandoned: the core died while quiescing");
		return false;
	}
	if (ho.phase != HO_STARTING)
		return false;
	ev_timer_stop(s->loop, &ho.deadline);
	rollback(s, "the new core did not initialize");
	return true;
}

static void commit(struct sup *s)
{
	struct sup_proc *core = s->core;

	ev_timer_stop(s->loop, &ho.deadline);
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p == core)
			continue;
		if (p->pid > 0 && p->ctl >= 0)
			sup_core_send_link_up(s, p);
		sup_link_close(&ho.old_links[i]);
	}
	ho.phase = HO_IDLE;
	if (core->restart_requested) {
		/* proc.restart core: counted as the restart it is */
		core->restart_requested = false;
		core->restarts++;
	}
	if (!ho.old_gone)
		ctl_send(ho.old_ctl, CTL_RETIRE, NULL, 0, NULL, 0);
	arm(SUP_HO_QUIESCE_S); /* an old core that does not exit is killed */
	log_info("core upgrade done in %.1f ms: core pid %d -> %d", (sup_now() - ho.t0) * 1e3,
		 ho.old_pid, core->pid);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup *s = ho.s;

	switch (ho.phase) {
	case HO_QUIESCING:
		log_err("core upgrade abandoned: the core did not quiesce in %.0f s",
			SUP_HO_QUIESCE_S);
		ho.phase = HO_IDLE;
		s->core->restart_requested = false;
		ctl_send(s->core->ctl, CTL_RESUME, NULL, 0, NULL, 0);
		break;
	case HO_STARTING:
		/* its exit rolls back */
		sup_proc_kill(s->core, "new core not ready in time (upgrade)");
		break;
	case HO_IDLE:
		if (!ho.old_gone && ho.old_pidfd >= 0) {
			log_warn("core upgrade: old core (pid %d) still there; killing it",
				 ho.old_pid);
			syscall(SYS_pidfd_send_signal, ho.old_pidfd, SIGKILL, NULL, 0);
		}
		break;
	}
}

/* The new core is READY: switch. */
void sup_core_handover_ready(struct sup *s)
{
	if (ho.phase == HO_STARTING)
		commit(s);
}

json_t *sup_core_rpc_upgrade(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *bj = json_object_get(params, "binary");
	struct sup_proc *p = name ? sup_proc_find(s, name) : NULL;

	*code = -32602;
	if (!p)
		return *msg = "params.name: no such process (see proc.list)", NULL;
	if (bj && !json_is_string(bj))
		return *msg = "params.binary: a path", NULL;
	if (p->kind != SUP_CORE)
		return *msg = "params.name: only the core can be upgraded live by this version",
		       NULL;
	if (sup_core_upgrade(s, json_string_value(bj), msg)) {
		*code = -32000;
		return NULL;
	}
	return json_pack("{s:s, s:s, s:i}", "name", p->name, "state", "upgrading", "pid",
			 (int)p->pid);
}
