/* Task management, nexus loss and frontend loss: everything that aborts
 * commands. Commands not yet at a backend are answered at once; commands a
 * backend holds are marked and answered when it gives the buffer back, and the
 * TMF answer waits for them, so the frontend never frees a buffer that a backend
 * may still write into. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_xcopy.h"
#include "procs/core/core_state.h"

void core_tmf_release(struct core *co, uint32_t idx, uint32_t gen)
{
	struct core_cmd *tmf;

	if (idx >= co->ncmds)
		return;
	tmf = &co->cmds[idx];
	/* a TMF, or a PREEMPT AND ABORT (a CK_CMD) waiting the same way */
	if (tmf->gen != gen || (tmf->kind != CK_TMF && tmf->kind != CK_CMD) ||
	    tmf->state != CS_TMF_WAIT)
		return; /* its frontend went away, or it was aborted, meanwhile */
	if (tmf->tmf_waiting && --tmf->tmf_waiting == 0)
		core_cmd_complete(co, tmf);
}

/* Abort every command in an LU's task set (commands stay enrolled while a
 * backend holds them); only_nexus != NULL limits it to that nexus. */
static void abort_lun(struct core *co, struct core_lun *l, struct core_nexus *only_nexus,
		      struct core_cmd *tmf)
{
	struct clist_node *n, *next;

	for (n = l->tasks.first; n; n = next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, lnode);

		next = n->next;
		if (only_nexus && c->nexus != only_nexus)
			continue;
		core_cmd_abort(co, c, tmf);
	}
}

/* Commands of one nexus (on one LU, or all when l is NULL). */
static void abort_nexus_lun(struct core *co, struct core_nexus *nx, struct core_lun *l,
			    struct core_cmd *tmf)
{
	struct clist_node *n, *next;

	for (n = nx->cmds.first; n; n = next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, nnode);

		next = n->next;
		if (c->kind == CK_CMD && (!l || c->lun == l))
			core_cmd_abort(co, c, tmf);
	}
}

static void set_ua_others(struct core_lun *l, struct core_nexus *except, uint16_t bit)
{
	for (struct clist_node *n = l->tgt->nexuses.first; n; n = n->next) {
		struct core_nexus *nx = clist_entry(n, struct core_nexus, tnode);

		if (nx != except)
			core_ua_set(nx, l->index, bit);
	}
	core_state_dirty = true;
}

static struct core_lun *tmf_lun(struct core_nexus *nx, uint64_t wire)
{
	uint32_t lunno;

	if (scsi_lun_decode(wire, &lunno) != SCSI_LUN_NORMAL)
		return NULL;
	return core_nexus_lun(nx, lunno);
}

static bool nexus_has_task(struct core_nexus *nx, struct core_lun *l)
{
	for (struct clist_node *n = nx->cmds.first; n; n = n->next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, nnode);

		if (c->kind == CK_CMD && c->lun == l && !c->aborted && c->state != CS_DONE)
			return true;
	}
	return false;
}

void core_handle_tmf(struct core *co, struct core_link *cl, const struct msg_tmf *m)
{
	struct core_nexus *nx = core_nexus_find(cl, m->nexus);
	struct core_cmd *tmf, *found = NULL;
	struct core_lun *l;

	if (!nx) {
		core_violation(co, cl, "TMF on an unknown nexus");
		return;
	}
	tmf = core_cmd_alloc(co);
	if (!tmf)
		return;
	tmf->kind = CK_TMF;
	tmf->fe_link = cl->id;
	tmf->fe_gen = cl->gen;
	tmf->fe_tag = m->h.tag;
	tmf->state = CS_TMF_WAIT;
	tmf->tmf_result = MSG_TMF_COMPLETE;
	core_sched_hold(co);
	switch (m->fn) {
	case MSG_TMF_ABORT_TASK:
	case MSG_TMF_QUERY_TASK:
		found = core_cmd_by_tag(cl, m->ref_tag);
		if (found && (found->nexus != nx || found->aborted || found->state == CS_DONE))
			found = NULL;
		if (m->fn == MSG_TMF_QUERY_TASK)
			tmf->tmf_result = found ? MSG_TMF_SUCCEEDED : MSG_TMF_COMPLETE;
		else if (!found)
			tmf->tmf_result = MSG_TMF_NO_TASK;
		else
			core_cmd_abort(co, found, tmf);
		break;
	case MSG_TMF_ABORT_TASK_SET:
		l = tmf_lun(nx, m->lun);
		if (!l) {
			tmf->tmf_result = MSG_TMF_NO_LUN;
			break;
		}
		abort_nexus_lun(co, nx, l, tmf);
		break;
	case MSG_TMF_CLEAR_TASK_SET:
		l = tmf_lun(nx, m->lun);
		if (!l) {
			tmf->tmf_result = MSG_TMF_NO_LUN;
			break;
		}
		abort_lun(co, l, NULL, tmf);
		set_ua_others(l, nx, SCSI_UA_CMDS_CLEARED);
		break;
	case MSG_TMF_LUN_RESET:
		l = tmf_lun(nx, m->lun);
		if (!l) {
			tmf->tmf_result = MSG_TMF_NO_LUN;
			break;
		}
		abort_lun(co, l, NULL, tmf);
		core_pr_lun_reset(l);
		core_media_lun_reset(l);
		/* SAM-5: every I_T nexus, the requester's included, hears of it */
		set_ua_others(l, NULL, SCSI_UA_LUN_RESET);
		log_info("LUN RESET of %s lun %u by %s", nx->tgt->name, l->lu.lun, nx->initiator);
		break;
	case MSG_TMF_TARGET_WARM_RESET:
	case MSG_TMF_TARGET_COLD_RESET:
		for (uint32_t i = 0; i < nx->tgt->nluns; i++) {
			abort_lun(co, &nx->tgt->luns[i], NULL, tmf);
			core_pr_lun_reset(&nx->tgt->luns[i]);
			core_media_lun_reset(&nx->tgt->luns[i]);
			set_ua_others(&nx->tgt->luns[i], NULL, SCSI_UA_LUN_RESET);
		}
		log_info("TARGET RESET of %s by %s", nx->tgt->name, nx->initiator);
		break;
	case MSG_TMF_QUERY_TASK_SET:
		l = tmf_lun(nx, m->lun);
		if (!l) {
			tmf->tmf_result = MSG_TMF_NO_LUN;
			break;
		}
		tmf->tmf_result = nexus_has_task(nx, l) ? MSG_TMF_SUCCEEDED : MSG_TMF_COMPLETE;
		break;
	case MSG_TMF_QUERY_ASYNC_EVENT:
		l = tmf_lun(nx, m->lun);
		if (!l) {
			tmf->tmf_result = MSG_TMF_NO_LUN;
			break;
		}
		/* SAM-5: report, do not clear; no deferred errors exist here */
		tmf->tmf_asc = scsi_ua_peek(nx->ua[l->index]);
		tmf->tmf_result = tmf->tmf_asc ? MSG_TMF_SUCCEEDED : MSG_TMF_COMPLETE;
		break;
	case MSG_TMF_IT_NEXUS_RESET:
		/* SAM-5 6.3.5: as if the nexus were lost, but it stays: its
		 * tasks on every LU are aborted, RESERVE(6/10) reservations it
		 * holds are released (persistent ones stay), and it is told
		 * 29/07 I_T NEXUS LOSS OCCURRED */
		abort_nexus_lun(co, nx, NULL, tmf);
		core_pr_nexus_lost(nx);
		for (uint32_t i = 0; i < nx->tgt->nluns; i++)
			nx->ua[i] |= SCSI_UA_NEXUS_LOSS;
		log_info("I_T NEXUS RESET of %s by %s", nx->tgt->name, nx->initiator);
		break;
	case MSG_TMF_CLEAR_ACA: /* no ACA support (NACA is refused in every CDB) */
	default:
		tmf->tmf_result = MSG_TMF_NOT_SUPPORTED;
		break;
	}
	core_sched_release(co);
	if (tmf->tmf_waiting == 0)
		core_cmd_complete(co, tmf);
}

void core_nexus_free(struct core *co, struct core_link *cl, struct core_nexus *nx)
{
	struct core_nexus **pp;
	struct clist_node *n, *next;

	for (pp = &cl->nexus_hash[(nx->id * 2654435761u) >> 24 & (CORE_NEXUS_BUCKETS - 1)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == nx) {
			*pp = nx->hnext;
			break;
		}
	}
	/* commands still answering later must not point at freed memory */
	for (n = nx->cmds.first; n; n = next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, nnode);

		next = n->next;
		clist_remove(&nx->cmds, n);
		c->in_nexus = false;
		c->nexus = NULL;
	}
	clist_remove(&nx->tgt->nexuses, &nx->tnode);
	core_pr_nexus_lost(nx);
	core_media_nexus_lost(nx);
	core_ua_nexus_lost(nx);
	core_xcopy_nexus_free(nx);
	core_nexus_view_free(nx);
	free(nx->ua);
	free(nx);
}

void core_handle_nexus_del(struct core *co, struct core_link *cl, const struct msg_nexus_del *m)
{
	struct core_nexus *nx = core_nexus_find(cl, m->nexus);

	if (!nx) {
		/* a re-sent NEXUS_DEL the previous core already applied */
		if (!(m->h.flags & MSG_FLAG_REPLAY))
			core_violation(co, cl, "NEXUS_DEL for an unknown nexus");
		return;
	}
	core_sched_hold(co);
	/* answered with MSG_RSP_ABORTED so the frontend gets its buffers back */
	abort_nexus_lun(co, nx, NULL, NULL);
	core_nexus_free(co, cl, nx);
	core_sched_release(co);
	log_info("nexus %u on link %u removed", m->nexus, cl->id);
}

void core_frontend_down(struct core *co, struct core_link *cl)
{
	char js[64];

	core_sched_hold(co);
	for (uint32_t i = 0; i < co->ncmds; i++) {
		struct core_cmd *c = &co->cmds[i];

		if (c->state == CS_FREE || c->fe_link != cl->id || c->orphan)
			continue;
		if (c->state == CS_AT_BE) {
			/* the backend writes into this arena until it answers */
			c->orphan = true;
			c->aborted = true;
			core_cmd_detach(co, c);
			cl->orphans++;
			continue;
		}
		core_cmd_free(co, c);
	}
	for (unsigned b = 0; b < CORE_NEXUS_BUCKETS; b++)
		while (cl->nexus_hash[b])
			core_nexus_free(co, cl, cl->nexus_hash[b]);
	memset(cl->tag_hash, 0, sizeof(cl->tag_hash));
	core_sched_release(co);
	if (cl->orphans == 0) {
		snprintf(js, sizeof(js), "{\"link\":%u}", cl->id);
		ctl_send(CHILD_CTL_FD, CTL_LINK_DRAINED, js, strlen(js), NULL, 0);
		log_info("link %u drained", cl->id);
	} else {
		cl->drain_pending = true;
		log_info("link %u down: waiting for %u I/Os at backends", cl->id, cl->orphans);
	}
}
