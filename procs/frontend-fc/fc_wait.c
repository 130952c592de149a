/* Commands waiting for pool space. DESIGN.md: when the data pool is
 * exhausted commands wait, the target never answers "no memory". An FCP
 * command whose buffer cannot be had now is held (its exchange open, not
 * yet at the core) in a bounded per-port queue and started when buffers
 * come back; only a full queue answers TASK SET FULL.
 *
 * Fairness: each initiator keeps its own FIFO and the initiators with
 * waiting commands are served in turn, one command each, so one initiator
 * with many large writes cannot keep another waiting behind all of them.
 * The command at the head of the turn waits for its buffer even when a
 * smaller one behind it would fit: nothing is overtaken, so nothing
 * starves. ABTS, PRLO, LOGO and link loss find a waiting command in
 * rp->cmds like any other (fc_cmd_abort -> fc_cmd_free -> fc_wait_del);
 * TMFs drop the issuer's waiting commands in their scope (fc_wait_tmf). */
#include "procs/frontend-fc/fc.h"

#include <errno.h>

static void rr_append(struct fc_lport *lp, struct fc_rport *rp)
{
	rp->wrp_next = NULL;
	if (lp->wait_rr_tail)
		lp->wait_rr_tail->wrp_next = rp;
	else
		lp->wait_rr = rp;
	lp->wait_rr_tail = rp;
	rp->wrp_linked = true;
}

static void rr_remove(struct fc_lport *lp, struct fc_rport *rp)
{
	struct fc_rport *prev = NULL;

	for (struct fc_rport *r = lp->wait_rr; r; prev = r, r = r->wrp_next) {
		if (r != rp)
			continue;
		if (prev)
			prev->wrp_next = r->wrp_next;
		else
			lp->wait_rr = r->wrp_next;
		if (lp->wait_rr_tail == r)
			lp->wait_rr_tail = prev;
		break;
	}
	rp->wrp_next = NULL;
	rp->wrp_linked = false;
}

void fc_wait_add(struct fc_cmd *cmd)
{
	struct fc_rport *rp = cmd->rp;
	struct fc_lport *lp = rp->lp;
	struct fc_tgt *t = lp->t;

	cmd->state = FCS_WAIT;
	cmd->waiting = true;
	cmd->wnext = NULL;
	if (rp->wait_tail)
		rp->wait_tail->wnext = cmd;
	else
		rp->wait_head = cmd;
	rp->wait_tail = cmd;
	rp->nwait++;
	if (!rp->wrp_linked)
		rr_append(lp, rp);
	lp->nwait++;
	t->nwait++;
	t->st.waited++;
	if (t->nwait > t->st.wait_peak)
		t->st.wait_peak = t->nwait;
}

void fc_wait_del(struct fc_cmd *cmd)
{
	struct fc_rport *rp = cmd->rp;
	struct fc_lport *lp = rp->lp;
	struct fc_cmd *prev = NULL;

	if (!cmd->waiting)
		return;
	/* bounded by the per-port queue (fc_options.wait_queue) */
	for (struct fc_cmd *c = rp->wait_head; c; prev = c, c = c->wnext) {
		if (c != cmd)
			continue;
		if (prev)
			prev->wnext = c->wnext;
		else
			rp->wait_head = c->wnext;
		if (rp->wait_tail == c)
			rp->wait_tail = prev;
		break;
	}
	cmd->wnext = NULL;
	cmd->waiting = false;
	rp->nwait--;
	lp->nwait--;
	lp->t->nwait--;
	if (!rp->nwait)
		rr_remove(lp, rp);
}

/* The port whose turn it is, from t->wait_port on; NULL: none waits. */
static struct fc_lport *next_port(struct fc_tgt *t, uint32_t *idx)
{
	for (uint32_t k = 0; k < t->nports; k++) {
		uint32_t i = (t->wait_port + k) % t->nports;

		if (t->ports[i].nwait) {
			*idx = i;
			return &t->ports[i];
		}
	}
	return NULL;
}

void fc_wait_kick(struct fc_tgt *t)
{
	if (!t->nwait || t->shutting_down || (!t->fl.ok && !t->fl.held))
		return;
	for (uint32_t budget = t->nwait; budget && t->nwait; budget--) {
		uint32_t idx = 0;
		struct fc_lport *lp = next_port(t, &idx);
		struct fc_rport *rp;
		struct fc_cmd *cmd;
		int r;

		if (!lp)
			return;
		rp = lp->wait_rr;
		cmd = rp->wait_head;
		r = fc_cmd_buf_get(t, cmd);
		if (r == -ENOMEM)
			return;         /* the head waits for the next free buffer */
		fc_wait_del(cmd);
		/* this initiator's turn is over: to the back of the line */
		if (rp->wrp_linked && lp->wait_rr == rp && rp->wrp_next) {
			rr_remove(lp, rp);
			rr_append(lp, rp);
		}
		t->wait_port = (idx + 1) % t->nports;
		if (r < 0)
			fc_cmd_busy(cmd);
		else
			fc_cmd_submit(cmd);
	}
}

void fc_wait_tmf(struct fc_rport *rp, bool all_luns, uint64_t lun)
{
	struct fc_cmd *next;

	for (struct fc_cmd *c = rp->wait_head; c; c = next) {
		next = c->wnext;
		if (all_luns || c->lun == lun)
			fc_cmd_abort(c, false);
	}
}
