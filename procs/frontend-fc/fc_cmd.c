/* The FCP target (FCP-4): FCP_CMND to the core, XFER_RDY and data-out into
 * the command's pool buffer, data-in from it, FCP_RSP with residuals, sense
 * and response codes; task management IUs to core TMFs; aborts (ABTS,
 * logout) that end an exchange without a response while the core still
 * owns the buffer. */
#include "procs/frontend-fc/fc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void fixed_sense(uint8_t s[18], uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(s, 0, 18);
	s[0] = 0x70;
	s[2] = key;
	s[7] = 10;
	s[12] = asc;
	s[13] = ascq;
}

static void send_rsp(struct fc_lport *lp, const struct fc_xid *x, const struct fcp_rsp *r,
		     uint32_t max_len)
{
	uint8_t out[FCP_RSP_HDR_LEN + 8 + MSG_SENSE_MAX];
	int n;

	if (max_len > sizeof(out))
		max_len = sizeof(out);
	n = fcp_rsp_encode(r, out, max_len);
	if (n > 0)
		lp->ops->send_seq(lp->drv, x, FC_RCTL_DD_CMD_STATUS, FC_TYPE_FCP, true, out,
				  (uint32_t)n);
}

/* An answer we give without the core: a response code, or a status with
 * sense, on a fresh exchange that ends with it. */
static void quick_rsp(struct fc_lport *lp, struct fc_rport *rp, struct fc_exch *ex,
		      const struct fc_xid *x, const struct fcp_rsp *r)
{
	send_rsp(lp, x, r, rp->rx_size);
	fc_exch_done(lp->em, ex, fc_now_ms());
}

static void rsp_code(struct fc_lport *lp, struct fc_rport *rp, struct fc_exch *ex,
		     const struct fc_xid *x, uint8_t code)
{
	struct fcp_rsp r = { .has_rsp_code = true, .rsp_code = code };

	quick_rsp(lp, rp, ex, x, &r);
}

static void check_rsp(struct fc_lport *lp, struct fc_rport *rp, struct fc_exch *ex,
		      const struct fc_xid *x, uint8_t status, uint8_t key, uint8_t asc,
		      uint8_t ascq, uint32_t dl)
{
	uint8_t sense[18];
	struct fcp_rsp r = { .status = status, .resid = dl };

	if (dl)
		r.flags = FCP_RESID_UNDER;
	if (key) {
		fixed_sense(sense, key, asc, ascq);
		r.sense = sense;
		r.sense_len = sizeof(sense);
	}
	quick_rsp(lp, rp, ex, x, &r);
}

static void cmd_unlink(struct fc_cmd *cmd)
{
	if (!cmd->linked)
		return;
	if (cmd->prev)
		cmd->prev->next = cmd->next;
	else
		cmd->rp->cmds = cmd->next;
	if (cmd->next)
		cmd->next->prev = cmd->prev;
	cmd->prev = cmd->next = NULL;
	cmd->linked = false;
	cmd->rp->ncmds--;
}

void fc_cmd_free(struct fc_cmd *cmd)
{
	struct fc_rport *rp = cmd->rp;
	struct fc_lport *lp = rp->lp;

	cmd_unlink(cmd);
	if (cmd->waiting)
		fc_wait_del(cmd);
	if (cmd->x)
		fc_exch_done(lp->em, cmd->x, fc_now_ms());
	if (cmd->buf.length) {
		lp->t->pool_used -= cmd->buf.length;
		pool_free(&lp->t->alloc, &cmd->buf);
	}
	free(cmd);
	fc_rport_put(rp);
}

static void data_ready(struct fc_cmd *cmd, uint32_t len, int result)
{
	struct fc_tgt *t = cmd->rp->lp->t;
	union msg m = { 0 };

	cmd->state = FCS_CORE;
	m.data_ready.h.type = MSG_DATA_READY;
	m.data_ready.h.epoch = t->c->epoch;
	m.data_ready.h.tag = cmd->core_tag;
	m.data_ready.length = len;
	m.data_ready.result = result;
	fe_link_send(&t->fl, &m);
}

static void tmf_send(struct fc_tgt *t, struct fc_tmf *tm, uint64_t lun, uint64_t ref_tag)
{
	union msg m = { 0 };

	m.tmf.h.type = MSG_TMF;
	m.tmf.h.epoch = t->c->epoch;
	m.tmf.h.tag = fe_req_new(&t->fl, FRQ_TMF, tm);
	m.tmf.nexus = tm->rp->nexus;
	m.tmf.fn = tm->fn;
	m.tmf.lun = lun;
	m.tmf.ref_tag = ref_tag;
	if (!m.tmf.h.tag) {
		if (tm->x)
			fc_exch_done(tm->rp->lp->em, tm->x, fc_now_ms());
		fc_rport_put(tm->rp);
		free(tm);
		return;
	}
	fe_link_send(&t->fl, &m);
}

void fc_cmd_abort(struct fc_cmd *cmd, bool tell_core)
{
	struct fc_lport *lp = cmd->rp->lp;

	if (cmd->aborted)
		return;
	cmd->aborted = true;
	cmd_unlink(cmd);
	if (cmd->x) {
		/* a posted data-out ends here (xfer_done -ECANCELED) */
		lp->ops->abort(lp->drv, &cmd->xid);
		fc_exch_done(lp->em, cmd->x, fc_now_ms());
		cmd->x = NULL;
	}
	if (cmd->state == FCS_CORE && cmd->core_tag && tell_core &&
	    cmd->rp->nx == FNX_LIVE) {
		struct fc_tmf *tm = calloc(1, sizeof(*tm));

		/* the core ends it with CMD_RSP ABORTED, which frees it */
		if (tm) {
			tm->rp = cmd->rp;
			tm->fn = MSG_TMF_ABORT_TASK;
			cmd->rp->refs++;
			tmf_send(lp->t, tm, cmd->lun, cmd->core_tag);
		}
	}
	if (!cmd->core_tag)
		fc_cmd_free(cmd);
}

static uint8_t tmf_fn(uint8_t flags)
{
	switch (flags) {
	case FCP_TMF_ABORT_TASK_SET: return MSG_TMF_ABORT_TASK_SET;
	case FCP_TMF_CLEAR_TASK_SET: return MSG_TMF_CLEAR_TASK_SET;
	case FCP_TMF_LUN_RESET: return MSG_TMF_LUN_RESET;
	case FCP_TMF_TARGET_RESET: return MSG_TMF_TARGET_WARM_RESET;
	case FCP_TMF_CLEAR_ACA: return MSG_TMF_CLEAR_ACA;
	}
	return 0;
}

static void tmf_recv(struct fc_lport *lp, struct fc_rport *rp, struct fc_exch *ex,
		     const struct fc_xid *x, const struct fcp_cmnd *c)
{
	struct fc_tmf *tm;

	lp->t->st.tmfs++;
	tm = calloc(1, sizeof(*tm));
	if (!tm) {
		rsp_code(lp, rp, ex, x, FCP_RSP_TMF_FAILED);
		return;
	}
	tm->rp = rp;
	tm->x = ex;
	tm->xid = *x;
	tm->fn = tmf_fn(c->tmf);
	ex->owner = tm;
	rp->refs++;
	/* This initiator's commands still waiting for pool space came before
	 * the TMF and never reached the task set: they go here, as the core
	 * aborts the ones it holds. (Other initiators' waiting commands enter
	 * the task set after it and see its unit attention.) */
	if (tm->fn && tm->fn != MSG_TMF_CLEAR_ACA)
		fc_wait_tmf(rp, tm->fn == MSG_TMF_TARGET_WARM_RESET, c->lun);
	tmf_send(lp->t, tm, c->lun, 0);
}

void fc_cmd_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct fc_tgt *t = lp->t;
	struct fc_rport *rp = fc_rport_find(lp, h->s_id);
	struct fc_xid x = { .peer = h->s_id, .ox_id = h->ox_id, .rx_id = FC_XID_UNKNOWN };
	struct fcp_cmnd c;
	struct fc_exch *ex;
	struct fc_cmd *cmd;
	uint8_t dir;

	if (!rp) {
		/* never logged in: tell it so */
		t->st.dropped++;
		fc_lport_logo_send(lp, h->s_id);
		return;
	}
	if (!rp->prli || rp->nx != FNX_LIVE || (h->f_ctl & FC_FCTL_EX_CTX) ||
	    h->ox_id == FC_XID_UNKNOWN || t->shutting_down || (!t->fl.ok && !t->fl.held)) {
		t->st.dropped++;
		return;
	}
	ex = fc_exch_open(lp->em, h->s_id, h->ox_id);
	if (!ex) {
		/* OX_ID still open or held for RRQ; the initiator's timeout
		 * and ABTS sort it out */
		t->st.dropped++;
		return;
	}
	x.rx_id = ex->rx_id;
	if (fcp_cmnd_decode(pl, len, &c) < 0 || (c.rd && c.wr)) {
		/* bidirectional commands are not supported either */
		t->st.bad_cmnd++;
		rsp_code(lp, rp, ex, &x, FCP_RSP_BAD_CMND);
		return;
	}
	if (c.tmf) {
		tmf_recv(lp, rp, ex, &x, &c);
		return;
	}
	t->st.commands++;
	dir = c.dl == 0 ? MSG_DIR_NONE : c.rd ? MSG_DIR_READ : c.wr ? MSG_DIR_WRITE
								     : MSG_DIR_NONE;
	if (c.cdb_len > MSG_CDB_MAX) {
		check_rsp(lp, rp, ex, &x, 0x02, 0x05, 0x24, 0x00, c.dl);
		return;
	}
	if (c.dl > t->max_io) {
		/* INVALID FIELD IN COMMAND INFORMATION UNIT */
		check_rsp(lp, rp, ex, &x, 0x02, 0x05, 0x0e, 0x03, c.dl);
		return;
	}
	cmd = rp->ncmds < FC_RPORT_MAX_CMDS ? calloc(1, sizeof(*cmd)) : NULL;
	if (!cmd) {
		t->st.busy++;
		check_rsp(lp, rp, ex, &x, 0x28, 0, 0, 0, c.dl);
		return;
	}
	cmd->rp = rp;
	cmd->x = ex;
	cmd->xid = x;
	cmd->dir = dir;
	cmd->dl = c.dl;
	cmd->lun = c.lun;
	cmd->attr = c.attr == FCP_ATTR_HEAD ? MSG_TASK_HEAD_OF_QUEUE
		    : c.attr == FCP_ATTR_ORDERED ? MSG_TASK_ORDERED
		    : c.attr == FCP_ATTR_ACA ? MSG_TASK_ACA : MSG_TASK_SIMPLE;
	cmd->cdb_len = (uint8_t)c.cdb_len;
	memcpy(cmd->cdb, c.cdb, c.cdb_len);
	cmd->state = FCS_CORE;
	ex->owner = cmd;
	rp->refs++;
	cmd->next = rp->cmds;
	if (rp->cmds)
		rp->cmds->prev = cmd;
	rp->cmds = cmd;
	cmd->linked = true;
	rp->ncmds++;

	/* Commands already waiting for pool space go first (FIFO): a new one
	 * queues behind them even when its buffer would fit now, or a stream
	 * of small commands could starve a large one. */
	int r = t->nwait ? -ENOMEM : fc_cmd_buf_get(t, cmd);

	if (r == -ENOMEM && lp->nwait < t->wait_max) {
		fc_wait_add(cmd);
		return;
	}
	if (r < 0) {
		/* the wait queue is full too (or it can never fit): TASK SET
		 * FULL, the initiator retries */
		if (r == -ENOMEM)
			t->st.wait_full++;
		fc_cmd_busy(cmd);
		return;
	}
	fc_cmd_submit(cmd);
}

int fc_cmd_buf_get(struct fc_tgt *t, struct fc_cmd *cmd)
{
	int r;

	if (cmd->dir == MSG_DIR_NONE)
		return 0;
	if (t->pool_limit) {
		if (cmd->dl > t->pool_limit)
			return -E2BIG;
		if (t->pool_used + cmd->dl > t->pool_limit)
			return -ENOMEM;
	}
	r = pool_alloc(&t->alloc, cmd->dl, &cmd->buf);
	if (r < 0)
		return r;
	t->pool_used += cmd->buf.length;
	cmd->data = pool_ptr(&t->c->pool, &cmd->buf);
	return 0;
}

/* TASK SET FULL on the command's exchange, which ends with it. */
void fc_cmd_busy(struct fc_cmd *cmd)
{
	struct fc_rport *rp = cmd->rp;
	struct fc_lport *lp = rp->lp;
	struct fc_exch *ex = cmd->x;

	lp->t->st.busy++;
	cmd_unlink(cmd);
	cmd->x = NULL;
	if (ex)
		check_rsp(lp, rp, ex, &cmd->xid, 0x28, 0, 0, 0, cmd->dl);
	fc_cmd_free(cmd);
}

bool fc_cmd_submit(struct fc_cmd *cmd)
{
	struct fc_rport *rp = cmd->rp;
	struct fc_tgt *t = rp->lp->t;
	union msg m = { 0 };

	cmd->state = FCS_CORE;
	m.cmd.h.type = MSG_CMD;
	m.cmd.h.epoch = t->c->epoch;
	m.cmd.h.tag = fe_req_new(&t->fl, FRQ_CMD, cmd);
	m.cmd.nexus = rp->nexus;
	m.cmd.dir = cmd->dir;
	m.cmd.attr = cmd->attr;
	m.cmd.cdb_len = cmd->cdb_len;
	memcpy(m.cmd.cdb, cmd->cdb, cmd->cdb_len);
	m.cmd.lun = cmd->lun;
	m.cmd.edtl = cmd->dir == MSG_DIR_NONE ? 0 : cmd->dl;
	m.cmd.buf = cmd->buf;
	if (!m.cmd.h.tag) {
		fc_cmd_busy(cmd);
		return false;
	}
	cmd->core_tag = m.cmd.h.tag;
	fe_link_send(&t->fl, &m);
	return true;
}

static void final_rsp(struct fc_cmd *cmd)
{
	struct fc_lport *lp = cmd->rp->lp;
	const struct msg_cmd_rsp *r = &cmd->rsp;
	struct fcp_rsp f = { .status = r->status };
	uint32_t actual = cmd->dir == MSG_DIR_READ ? r->data_len
			  : cmd->dir == MSG_DIR_WRITE ? cmd->want : 0;

	if (r->cdb_xfer_len > cmd->dl) {
		f.flags = FCP_RESID_OVER;
		f.resid = r->cdb_xfer_len - cmd->dl;
	} else if (actual < cmd->dl) {
		f.flags = FCP_RESID_UNDER;
		f.resid = cmd->dl - actual;
	}
	f.sense = r->sense;
	f.sense_len = r->sense_len;
	if (cmd->x && cmd->x->state == FC_EXCH_OPEN)
		send_rsp(lp, &cmd->xid, &f, cmd->rp->rx_size);
	fc_cmd_free(cmd);
}

/* The data-out the old core asked for is in (or failed): it counts for the
 * new core, whose XFER_RDY may already be waiting. */
static void replay_out_done(struct fc_cmd *cmd, int status)
{
	uint32_t w = cmd->pending_want;

	cmd->replay_out = false;
	cmd->pending_want = 0;
	cmd->out_status = status;
	cmd->state = FCS_CORE;
	if (!w)
		return;
	if (status || cmd->have < w)
		data_ready(cmd, 0, status ? status : -EIO);
	else
		data_ready(cmd, w, 0);
}

void fc_cmd_xfer_done(struct fc_lport *lp, struct fc_xfer *xf, int status)
{
	struct fc_cmd *cmd = xf->user;

	if (cmd->dir == MSG_DIR_WRITE) {
		if (cmd->state != FCS_DATA_OUT)
			return;
		if (status == 0) {
			lp->t->st.bytes_in += xf->len;
			cmd->have = cmd->want;
		} else if (status == -EPROTO) {
			cmd->bad_data = true;
		}
		if (cmd->replay_out) {
			replay_out_done(cmd, status);
			return;
		}
		/* (while the core restarts this DATA_READY is dropped: the
		 * replayed command carries the bytes as immediate data) */
		cmd->out_status = status;
		data_ready(cmd, status ? 0 : cmd->want, status);
		return;
	}
	/* data-in went out (or the link failed under it): the status next */
	if (status == 0) {
		lp->t->st.bytes_out += xf->len;
		final_rsp(cmd);
	} else {
		fc_cmd_free(cmd);
	}
}

static bool cmd_msg(struct fc_tgt *t, struct fc_cmd *cmd, const union msg *m)
{
	struct fc_lport *lp = cmd->rp->lp;

	if (m->h.type == MSG_XFER_RDY) {
		if (cmd->dir != MSG_DIR_WRITE || m->xfer_rdy.length == 0 ||
		    m->xfer_rdy.length > cmd->buf.length)
			return false;
		if (cmd->state == FCS_DATA_OUT && cmd->replay_out && !cmd->pending_want) {
			/* a new core's; the old one's data-out is still coming */
			cmd->pending_want = m->xfer_rdy.length;
			return true;
		}
		if (cmd->state != FCS_CORE)
			return false;
		if (cmd->aborted || !cmd->x) {
			cmd->want = m->xfer_rdy.length;
			data_ready(cmd, 0, -ECANCELED);
			return true;
		}
		if (cmd->bad_data || cmd->timed_out || cmd->out_status) {
			/* a new core asks again for data-out that already failed */
			data_ready(cmd, 0, cmd->out_status ? cmd->out_status : -EIO);
			return true;
		}
		if (cmd->have >= m->xfer_rdy.length) {
			/* the data is in already (a new core asking again) */
			if (m->xfer_rdy.length > cmd->want)
				cmd->want = m->xfer_rdy.length;
			data_ready(cmd, m->xfer_rdy.length, 0);
			return true;
		}
		cmd->want = m->xfer_rdy.length;
		cmd->state = FCS_DATA_OUT;
		cmd->seen_bytes = 0;
		cmd->seen_ms = fc_now_ms();
		memset(&cmd->xfer, 0, sizeof(cmd->xfer));
		cmd->xfer.x = cmd->xid;
		cmd->xfer.len = cmd->want;
		cmd->xfer.iov[0].base = cmd->data;
		cmd->xfer.iov[0].len = cmd->want;
		cmd->xfer.niov = 1;
		cmd->xfer.user = cmd;
		if (lp->ops->recv_data(lp->drv, &cmd->xfer, true) < 0)
			data_ready(cmd, 0, -EIO);
		return true;
	}
	if (m->h.type != MSG_CMD_RSP || cmd->state == FCS_DONE ||
	    m->cmd_rsp.sense_len > MSG_SENSE_MAX || m->cmd_rsp.data_len > cmd->buf.length)
		return false;
	cmd->core_tag = 0;
	if (cmd->state == FCS_DATA_OUT) {
		/* the core ended it while data-out was arriving (an abort
		 * crossed it): stop placing data, the buffer is going */
		cmd->state = FCS_CORE;
		cmd->replay_out = false;
		lp->ops->abort(lp->drv, &cmd->xid);
	}
	cmd->state = FCS_DONE;
	if (cmd->bad_data && cmd->x && cmd->x->state == FC_EXCH_OPEN) {
		/* FCP-4: data-out that broke the burst gets FCP_DATA_RO mismatch */
		struct fcp_rsp f = { .has_rsp_code = true, .rsp_code = FCP_RSP_BAD_DATA_RO };

		send_rsp(lp, &cmd->xid, &f, cmd->rp->rx_size);
		fc_cmd_free(cmd);
		return true;
	}
	if (cmd->timed_out && cmd->x && cmd->x->state == FC_EXCH_OPEN) {
		struct fc_lport *l = cmd->rp->lp;
		struct fc_exch *ex = cmd->x;

		/* the exchange ends with this status: fc_cmd_free must not
		 * close it a second time */
		cmd->x = NULL;
		check_rsp(l, cmd->rp, ex, &cmd->xid, 0x02, 0x0b, 0x4b, 0x00, cmd->dl);
		fc_cmd_free(cmd);
		return true;
	}
	if ((m->cmd_rsp.h.flags & MSG_RSP_ABORTED) || cmd->aborted || !cmd->x ||
	    cmd->x->state != FC_EXCH_OPEN) {
		fc_cmd_free(cmd);
		return true;
	}
	cmd->rsp = m->cmd_rsp;
	if (cmd->dir == MSG_DIR_READ && cmd->rsp.data_len) {
		memset(&cmd->xfer, 0, sizeof(cmd->xfer));
		cmd->xfer.x = cmd->xid;
		cmd->xfer.len = cmd->rsp.data_len;
		cmd->xfer.iov[0].base = cmd->data;
		cmd->xfer.iov[0].len = cmd->rsp.data_len;
		cmd->xfer.niov = 1;
		cmd->xfer.max_frame = cmd->rp->rx_size;
		cmd->xfer.user = cmd;
		/* xfer_done (possibly from inside the call) sends the status */
		if (lp->ops->send_data(lp->drv, &cmd->xfer) < 0)
			fc_cmd_free(cmd);
		return true;
	}
	final_rsp(cmd);
	return true;
}

void fc_cmd_timers(struct fc_lport *lp, uint64_t now_ms)
{
	for (struct fc_rport *rp = lp->rports; rp; rp = rp->next)
		for (struct fc_cmd *cmd = rp->cmds; cmd; cmd = cmd->next) {
			if (cmd->state != FCS_DATA_OUT)
				continue;
			if (cmd->xfer.done_bytes != cmd->seen_bytes) {
				cmd->seen_bytes = cmd->xfer.done_bytes;
				cmd->seen_ms = now_ms;
			} else if (now_ms - cmd->seen_ms >= lp->t->data_out_ms) {
				log_info("%s: data-out of exchange %04x/%04x stopped at %u of %u bytes",
					 lp->name, cmd->xid.ox_id, cmd->xid.rx_id, cmd->seen_bytes,
					 cmd->want);
				cmd->timed_out = true;
				/* xfer_done(-ECANCELED) tells the core (DATA_READY) */
				lp->ops->abort(lp->drv, &cmd->xid);
			}
		}
}

static uint8_t tmf_code(uint8_t result)
{
	switch (result) {
	case MSG_TMF_COMPLETE:
	case MSG_TMF_NO_TASK:
		return FCP_RSP_TMF_COMPLETE;
	case MSG_TMF_SUCCEEDED:
		return FCP_RSP_TMF_SUCCEEDED;
	case MSG_TMF_NO_LUN:
		return FCP_RSP_TMF_INCORRECT_LUN;
	case MSG_TMF_NOT_SUPPORTED:
		return FCP_RSP_TMF_REJECTED;
	default:
		return FCP_RSP_TMF_FAILED;
	}
}

bool fc_cmd_core_msg(struct fc_tgt *t, const union msg *m, uint8_t kind, void *obj)
{
	switch (kind) {
	case FRQ_NEXUS: {
		struct fc_rport *rp = obj;

		if (m->h.type != MSG_NEXUS_ADDED || m->nexus_added.nexus != rp->nexus)
			return false;
		fc_rport_nexus_added(rp, m->nexus_added.result);
		return true;
	}
	case FRQ_CMD:
		return cmd_msg(t, obj, m);
	case FRQ_TMF: {
		struct fc_tmf *tm = obj;
		struct fc_lport *lp = tm->rp->lp;

		if (m->h.type != MSG_TMF_RSP || m->tmf_rsp.result > MSG_TMF_SUCCEEDED)
			return false;
		if (tm->x) {
			if (tm->x->state == FC_EXCH_OPEN && !tm->rp->gone) {
				struct fcp_rsp f = { .has_rsp_code = true,
						     .rsp_code = tmf_code(m->tmf_rsp.result) };

				send_rsp(lp, &tm->xid, &f, tm->rp->rx_size);
			}
			fc_exch_done(lp->em, tm->x, fc_now_ms());
		}
		fc_rport_put(tm->rp);
		free(tm);
		return true;
	}
	}
	return false;
}

/* A new core took over, the old one never answered this request and it is
 * not sent again (fc_cmd_replay: its exchange or port is gone): free what
 * it held. */
void fc_cmd_abandon(struct fc_tgt *t, uint8_t kind, void *obj)
{
	switch (kind) {
	case FRQ_NEXUS: {
		struct fc_rport *rp = obj;
		union msg m = { 0 };

		/* the old core may have added it: remove it from the new one
		 * (a replayed NEXUS_DEL of an unknown nexus is tolerated) */
		m.nexus_del.h.type = MSG_NEXUS_DEL;
		m.nexus_del.h.flags = MSG_FLAG_REPLAY;
		m.nexus_del.h.epoch = t->c->epoch;
		m.nexus_del.nexus = rp->nexus;
		fe_link_send(&t->fl, &m);
		rp->prli_pending = false;
		fc_rport_nexus_added(rp, -ECONNRESET);
		return;
	}
	case FRQ_CMD: {
		struct fc_cmd *cmd = obj;

		cmd->core_tag = 0;
		if (cmd->state == FCS_DATA_OUT) {
			/* the driver must let go of the buffer first */
			cmd->state = FCS_DONE;
			cmd->rp->lp->ops->abort(cmd->rp->lp->drv, &cmd->xid);
		}
		fc_cmd_free(cmd);
		return;
	}
	case FRQ_TMF: {
		struct fc_tmf *tm = obj;

		if (tm->x)
			fc_exch_done(tm->rp->lp->em, tm->x, fc_now_ms());
		fc_rport_put(tm->rp);
		free(tm);
		return;
	}
	}
}

/* A new core took over and the old one never answered this request: the
 * logins stayed, so it goes to the new core again (fe_link_up sends it with
 * MSG_FLAG_REPLAY; procs/core/core_replay.c says which commands must not
 * run twice). A command whose exchange was aborted, or a TMF of a port that
 * logged out meanwhile, is abandoned instead. */
bool fc_cmd_replay(struct fc_tgt *t, uint8_t kind, void *obj, union msg *m)
{
	(void)t;
	switch (kind) {
	case FRQ_NEXUS:
		/* the names stay in rp->names until NEXUS_ADDED; a port that
		 * logged out meanwhile takes the nexus back on the answer */
		return m->h.type == MSG_NEXUS_ADD;
	case FRQ_CMD: {
		struct fc_cmd *cmd = obj;

		if (m->h.type != MSG_CMD || cmd->aborted || !cmd->x)
			return false;
		if (cmd->state == FCS_DATA_OUT)
			cmd->replay_out = true;
		/* data-out already in the buffer counts as immediate data: the
		 * same CDB asks the new core for the same bytes */
		if (cmd->dir == MSG_DIR_WRITE && !cmd->out_status && !cmd->bad_data &&
		    cmd->have > m->cmd.imm_len && cmd->have <= m->cmd.edtl)
			m->cmd.imm_len = cmd->have;
		return true;
	}
	case FRQ_TMF: {
		struct fc_tmf *tm = obj;

		return m->h.type == MSG_TMF && !tm->rp->gone;
	}
	}
	return false;
}
