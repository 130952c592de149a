/* A new core without dropping sessions.
 *
 * The core's state that must survive it lives in the state segment, a sealed
 * memfd created here once and handed to every core incarnation (the core
 * writes it, procs/core/core_state.c). When the core dies:
 *  1. every frontend and backend gets CTL_LINK_DOWN for its core link: the
 *     frontends keep their TCP sessions and hold their requests (they re-submit
 *     whatever the dead core did not answer); the backends finish the I/O the
 *     dead core started, drop its completions and answer CTL_LINK_DRAINED;
 *  2. only then does the new core start: no backend still writes into a
 *     buffer named by the dead core (the core's arena, or a frontend's buffer
 *     that the frontend is about to re-submit), so neither is quarantined
 *     beyond that point. A backend that does not drain within
 *     SUP_CORE_DRAIN_S is killed and restarted with the core;
 *  3. every live child gets a brand-new link (a dead core's half-written ring
 *     is never reused), the new core gets them all in its CTL_INIT, and the
 *     children CTL_LINK_UP with their end. Children that died meanwhile are
 *     started fresh on their new link. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "procs/core/core_pr_store.h"
#include "shm/shm_fd.h"
#include "supervisor/sup.h"

#define SUP_CORE_DRAIN_S 5.0

static double hold_since;

int sup_core_state_create(struct sup *s)
{
	/* two slots of the APTPL store format; pages are only used once written */
	s->state_seg_fd = shm_memfd_create("mtgt-core-state", 2 * (uint64_t)PR_STORE_SLOT_SIZE);
	if (s->state_seg_fd < 0) {
		log_err("cannot create the core state segment: %s", strerror(-s->state_seg_fd));
		return s->state_seg_fd;
	}
	return 0;
}

void sup_core_hold(struct sup *s)
{
	char buf[64];

	hold_since = sup_now();
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		p->core_hold = false;
		if (p == s->core || p->pid <= 0 || p->ctl < 0 || !p->link.valid)
			continue;
		snprintf(buf, sizeof(buf), "{\"link\":%u}", p->link.id);
		if (ctl_send(p->ctl, CTL_LINK_DOWN, buf, strlen(buf), NULL, 0) < 0)
			continue;
		p->core_hold = p->kind == SUP_BACKEND;
	}
	log_info("core gone: frontends hold their sessions, backends finish its I/O");
}

void sup_core_backend_drained(struct sup *s, struct sup_proc *p)
{
	if (!p->core_hold)
		return;
	p->core_hold = false;
	log_info("%s drained the dead core's I/O after %.1f ms", p->name,
		 (sup_now() - hold_since) * 1e3);
}

bool sup_core_restart_ready(struct sup *s)
{
	bool ready = true;

	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p->kind != SUP_BACKEND || p->pid <= 0 || !p->core_hold)
			continue;
		ready = false;
		/* killed once; ready when it is reaped (its I/O ended with it) */
		if (sup_now() - hold_since > SUP_CORE_DRAIN_S && !p->kill_reason[0])
			sup_proc_kill(p, "did not finish the dead core's I/O in time");
	}
	return ready;
}

void sup_core_send_link_up(struct sup *s, struct sup_proc *p)
{
	int fds[8], nfds = 0;
	json_t *d = json_pack("{s:o}", "link", sup_link_desc(s, p, false, fds, &nfds, 0));
	char *txt = d ? json_dumps(d, JSON_COMPACT) : NULL;

	if (!txt || ctl_send(p->ctl, CTL_LINK_UP, txt, strlen(txt), fds, nfds) < 0)
		sup_proc_kill(p, "cannot hand over its new core link");
	free(txt);
	json_decref(d);
}

void sup_core_respawn(struct sup *s)
{
	struct sup_proc *core = s->core;
	bool live[SUP_MAX_PROCS] = { false };

	if (sup_proc_prepare(s, core) < 0)
		goto fail;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];
		bool fe = p->kind == SUP_FRONTEND;

		if (p == core)
			continue;
		if (p->pid > 0) {
			live[i] = true;
			if (sup_link_new(s, &p->link, (uint32_t)i, fe ? p->epoch : core->epoch,
					 fe ? core->epoch : p->epoch) < 0)
				goto fail;
		} else if (p->state != SUP_ST_FAILED && !ev_is_active(&p->restart_w)) {
			/* died while the core was down: starts anew on a new link
			 * (one with a restart of its own pending gets it from
			 * there, on a link with the new core's epoch too) */
			if (sup_proc_prepare(s, p) < 0)
				goto fail;
			sup_proc_launch(s, p);
		}
	}
	sup_proc_launch(s, core);
	if (core->pid <= 0)
		return; /* the launch failure is logged and the policy applies */
	/* The rings are empty: the children may fill them while the core
	 * initializes, it reads them once it serves. */
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (live[i])
			sup_core_send_link_up(s, &s->procs[i]);
	return;
fail:
	log_err("cannot set up the links of a new core: restarting every process");
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid > 0)
			sup_proc_kill(&s->procs[i], "core restart failed");
	core->state = SUP_ST_FAILED;
}

void sup_core_ready(struct sup *s)
{
	sup_core_handover_ready(s);
	if (s->core_died_at > 0) {
		log_info("core recovered in %.1f ms after its death",
			 (sup_now() - s->core_died_at) * 1e3);
		s->core_died_at = 0;
	}
}
