/* Upgrading the iSCSI frontend without a logout.
 *
 * The new instance gets what the old one got: the same arena, the same link
 * to the core and the same epoch (to the core it is the same incarnation:
 * nexus ids and ring indices carry on), and the listening sockets; its init
 * message says "handover", so it touches neither the ring nor a socket until
 * told to. Then:
 *   QUIESCE (old, + state memfd): stop reading at PDU boundaries, finish every
 *     command, write out every queued PDU, serialize sessions and
 *     connections; answer HANDOVER with the connection fds. If it cannot
 *     within the deadline it says why and serves on: we fall back to a plain
 *     restart (sessions drop, initiators log in again), logged.
 *   HANDOVER (new, + memfd and fds): validate and load; answer ok or why not.
 *     Not ok, or no answer: the new one is killed and the old one RESUMEs.
 *   RETIRE (old): exit without touching anything. Its exit is the commit:
 *     the new one gets RESUME and serves the same TCP connections. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup_upgrade.h"

#define UPG_STATE_MAX   (16u << 20)  /* serialized sessions: far below this */
#define UPG_RETIRE_MS   2000

static int fe_prepare(struct sup_upgrade *u)
{
	/* same epoch and link as the old one: the copy in u->nw already has
	 * them; u->own_link stays false so a failure never closes them */
	u->nw.handover_in = true;
	return 0;
}

static void fe_new_ready(struct sup_upgrade *u)
{
	struct sup_proc *p = u->old;
	char buf[64];
	int fd = memfd_create("mtgt-upgrade-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, UPG_STATE_MAX) < 0) {
		if (fd >= 0)
			close(fd);
		sup_upgrade_fail(u, "rolled_back", "cannot create the state memfd: %s",
				 strerror(errno));
		return;
	}
	u->state_fd = fd;
	log_info("upgrade %u: new %s ready (pid %d); quiescing pid %d", u->id, p->name,
		 u->nw.pid, p->pid);
	snprintf(buf, sizeof(buf), "{\"deadline_ms\":%u,\"max\":%u}", u->quiesce_ms,
		 UPG_STATE_MAX);
	/* the old one answers on its own within quiesce_ms; the extra time
	 * only covers a hung process */
	sup_upgrade_stage(u, UPG_QUIESCE, u->quiesce_ms + 2000);
	u->t_quiesced = sup_now();
	u->old_resume = true;
	if (ctl_send(p->ctl, CTL_QUIESCE, buf, strlen(buf), &fd, 1) < 0)
		sup_upgrade_fail(u, "rolled_back", "cannot reach the old instance");
}

static void from_old(struct sup_upgrade *u, struct ctl_msg *m)
{
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(j, "reason"));

	if (u->stage != UPG_QUIESCE) {
		sup_proc_kill(u->old, "HANDOVER out of turn");
		json_decref(j);
		return;
	}
	if (!json_is_true(json_object_get(j, "ok"))) {
		/* It could not stop cleanly in time and serves on: a plain
		 * restart with the new binary instead, with the reason logged. */
		log_warn("upgrade %u: %s cannot hand over (%s): falling back to a plain restart",
			 u->id, u->old->name, why ? why : "no reason given");
		u->fallback_restart = true;
		u->old_resume = false;
		sup_upgrade_fail(u, "restarted", "no handover (%s); plain restart instead",
				 why ? why : "no reason given");
		json_decref(j);
		return;
	}
	u->detail = json_pack("{s:O?, s:O?, s:f}", "sessions", json_object_get(j, "sessions"),
			      "connections", json_object_get(j, "connections"), "quiesce_ms",
			      (sup_now() - u->t_quiesced) * 1000.0);
	json_decref(j);
	/* the same payload and fds go to the new instance, memfd first */
	{
		int fds[CTL_MAX_FDS], n = 0;

		fds[n++] = u->state_fd;
		for (int i = 0; i < m->nfds && n < CTL_MAX_FDS; i++)
			fds[n++] = m->fds[i];
		sup_upgrade_stage(u, UPG_LOAD, u->load_ms);
		u->old_resume = true;
		if (ctl_send(u->nw.ctl, CTL_HANDOVER, m->data, m->len, fds, n) < 0)
			sup_upgrade_fail(u, "rolled_back", "cannot send the state to the new instance");
	}
}

static void from_new(struct sup_upgrade *u, struct ctl_msg *m)
{
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	const char *why = json_string_value(json_object_get(j, "reason"));

	if (u->stage != UPG_LOAD) {
		sup_upgrade_fail(u, "rolled_back", "new instance sent HANDOVER out of turn");
		json_decref(j);
		return;
	}
	if (!json_is_true(json_object_get(j, "ok"))) {
		sup_upgrade_fail(u, "rolled_back", "new instance refused the state: %s",
				 why ? why : "no reason given");
		json_decref(j);
		return;
	}
	json_decref(j);
	/* point of no return: the new one holds a valid copy of everything */
	u->old_resume = false;
	sup_upgrade_stage(u, UPG_RETIRE, UPG_RETIRE_MS);
	ctl_send(u->old->ctl, CTL_RETIRE, NULL, 0, NULL, 0);
}

static void fe_handover(struct sup_upgrade *u, bool old, struct ctl_msg *m)
{
	if (old)
		from_old(u, m);
	else
		from_new(u, m);
}

static bool fe_old_exited(struct sup_upgrade *u, const char *why)
{
	if (u->stage != UPG_RETIRE || !u->nw_alive)
		return false;
	if (u->detail)
		json_object_set_new(u->detail, "pause_ms",
				    json_real((sup_now() - u->t_quiesced) * 1000.0));
	sup_upgrade_commit(u);
	ctl_send(u->old->ctl, CTL_RESUME, NULL, 0, NULL, 0);
	(void)why;
	return true;
}

static void fe_new_exited(struct sup_upgrade *u, const char *why)
{
	if (u->stage == UPG_RETIRE) {
		/* both gone or going: the old one's exit is a frontend crash */
		u->old_resume = false;
		sup_upgrade_fail(u, "failed", "new instance ended at the switch-over: %s", why);
		return;
	}
	sup_upgrade_fail(u, "rolled_back", "new instance ended: %s", why);
}

static void fe_deadline(struct sup_upgrade *u)
{
	switch (u->stage) {
	case UPG_START:
		sup_upgrade_fail(u, "rolled_back", "new instance not ready within %u ms",
				 u->start_ms);
		break;
	case UPG_QUIESCE:
		/* a hung old instance: the heartbeat would kill it anyway */
		u->old_resume = true;
		sup_upgrade_fail(u, "rolled_back", "old instance did not answer QUIESCE in %u ms",
				 u->quiesce_ms + 2000);
		break;
	case UPG_LOAD:
		sup_upgrade_fail(u, "rolled_back", "new instance did not load the state in %u ms",
				 u->load_ms);
		break;
	case UPG_RETIRE:
		/* it holds nothing the new one needs; it only has to be gone */
		sup_proc_kill(u->old, "upgrade: did not retire in time");
		break;
	default:
		break;
	}
}

const struct sup_upgrade_ops sup_upgrade_iscsi_ops = {
	.kind = "iscsi",
	.prepare = fe_prepare,
	.new_ready = fe_new_ready,
	.handover = fe_handover,
	.old_exited = fe_old_exited,
	.new_exited = fe_new_exited,
	.deadline = fe_deadline,
};
