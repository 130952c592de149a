/* Upgrading a backend. The new instance starts on a link of its own with the
 * same backing fds (the supervisor holds them) and must say READY before the
 * old one is touched; if it does not, nothing changed (rollback is free).
 *
 * Then the core is told the old link is down, so it sends the old backend
 * nothing more and keeps that backend's in-flight I/O; the old backend is
 * asked to shut down, which finishes the I/O it took (the completions go
 * nowhere) and exits. Only once it is gone does the core get the new link,
 * and it reissues the held I/O there, as after a crash. Waiting for the exit
 * matters: a write the old process still had in the kernel must not land
 * after the reissued one and a later write to the same blocks. READ, WRITE,
 * UNMAP, WRITE SAME and FLUSH are idempotent, so the reissue costs the
 * initiator nothing but a few milliseconds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "supervisor/sup_upgrade.h"

static int be_prepare(struct sup_upgrade *u)
{
	struct sup *s = u->s;

	u->nw.epoch = s->next_epoch++;
	/* the copy names the old link's fds: forget them, never close them */
	memset(&u->nw.link, 0, sizeof(u->nw.link));
	if (sup_link_new(s, &u->nw.link, u->old->link.id, s->core->epoch, u->nw.epoch) < 0) {
		snprintf(u->error, sizeof(u->error), "cannot create a link for the new instance");
		return -EMFILE;
	}
	u->own_link = true;
	return 0;
}

static void be_new_ready(struct sup_upgrade *u)
{
	struct sup_proc *p = u->old;

	log_info("upgrade %u: new %s ready (pid %d); retiring pid %d", u->id, p->name,
		 u->nw.pid, p->pid);
	sup_upgrade_stage(u, UPG_RETIRE, u->quiesce_ms);
	u->t_quiesced = sup_now();
	sup_send_link_down(u->s, p);
	p->state = SUP_ST_STOPPING;
	ctl_send(p->ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0);
}

static bool be_old_exited(struct sup_upgrade *u, const char *why)
{
	if (u->stage != UPG_RETIRE)
		return false;
	if (!u->nw_alive) {
		/* both gone: the usual restart path brings the backend back */
		return false;
	}
	u->detail = json_pack("{s:s, s:f}", "old_exit", why, "io_pause_ms",
			      (sup_now() - u->t_quiesced) * 1000.0);
	sup_upgrade_commit(u);
	/* the core reissues what the old one held */
	sup_send_link_up(u->s, u->old);
	return true;
}

static void be_new_exited(struct sup_upgrade *u, const char *why)
{
	if (u->stage == UPG_RETIRE) {
		/* The old one is already on its way out: its exit takes the usual
		 * path (a restart of the old binary), which old_exited allows
		 * since the new instance is gone. */
		u->old->restart_requested = true;
		sup_upgrade_fail(u, "failed", "new instance ended while the old one retired (%s); "
				 "the old binary restarts", why);
		return;
	}
	sup_upgrade_fail(u, "rolled_back", "new instance ended before it was ready: %s", why);
}

static void be_deadline(struct sup_upgrade *u)
{
	if (u->stage == UPG_START) {
		sup_upgrade_fail(u, "rolled_back", "new instance not ready within %u ms",
				 u->start_ms);
		return;
	}
	if (u->stage == UPG_RETIRE)
		sup_proc_kill(u->old, "upgrade: did not finish its I/O in time");
}

const struct sup_upgrade_ops sup_upgrade_backend_ops = {
	.kind = "backend",
	.prepare = be_prepare,
	.new_ready = be_new_ready,
	.old_exited = be_old_exited,
	.new_exited = be_new_exited,
	.deadline = be_deadline,
};
