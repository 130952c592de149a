/* SRP commands and task management: decode, descriptor tables (fetched with
 * RDMA READ when the IU holds only part of one), immediate data, pool
 * buffers, submission to the core, data-out with RDMA READ straight into the
 * pool buffer, data-in with RDMA WRITE straight from it, the SRP_RSP with
 * residuals and sense, and TMFs mapped onto the core's. */
#include "procs/frontend-srp/srp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define WR_RDMA 3ull
#define SAM_STAT_CHECK_CONDITION 0x02
#define SAM_STAT_TASK_SET_FULL   0x28

static void fixed_sense(uint8_t *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(s, 0, 18);
	s[0] = 0x70;
	s[2] = key;
	s[7] = 10;
	s[12] = asc;
	s[13] = ascq;
}

/* An answer made here, before (or instead of) the core: the request's
 * credit comes back with it. */
static void local_rsp(struct srp_chan *ch, uint64_t tag, uint8_t status, const uint8_t *sense,
		      uint8_t dir, uint32_t offered, bool credit)
{
	uint8_t iu[SRP_RSP_LEN + 18];
	struct srp_rsp_info ri = { .tag = tag, .status = status, .dir = dir, .offered = offered,
				   .sense = sense, .sense_len = sense ? 18 : 0 };

	if (credit)
		ch->delta++;
	ri.delta = srp_chan_take_delta(ch);
	srp_chan_send(ch, iu, (uint32_t)srp_encode_rsp(iu, ch->ti_len, &ri), NULL);
}

static void check_rsp(struct srp_chan *ch, uint64_t tag, uint8_t key, uint8_t asc, uint8_t ascq,
		      uint8_t dir, uint32_t offered)
{
	uint8_t sense[18];

	fixed_sense(sense, key, asc, ascq);
	local_rsp(ch, tag, SAM_STAT_CHECK_CONDITION, sense, dir, offered, true);
}

static void cmd_unlink(struct srp_cmd *cmd);
void srp_cmd_free(struct srp_cmd *cmd);

/* A command that ends here with CHECK CONDITION (sense key/ASC/ASCQ), or
 * with TASK SET FULL when key is 0: its credit goes back in the RSP. */
static void cmd_fail(struct srp_cmd *cmd, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct srp_chan *ch = cmd->ch;
	uint8_t dir = cmd->dir == MSG_DIR_READ ? 1 : cmd->dir == MSG_DIR_WRITE ? 2 : 0;

	cmd_unlink(cmd);
	if (ch && key)
		check_rsp(ch, cmd->srp_tag, key, asc, ascq, dir, cmd->total);
	else if (ch)
		local_rsp(ch, cmd->srp_tag, SAM_STAT_TASK_SET_FULL, NULL, dir, cmd->total, true);
	srp_cmd_free(cmd);
}

static void cmd_unlink(struct srp_cmd *cmd)
{
	struct srp_chan *ch = cmd->ch;

	if (!ch)
		return;
	if (cmd->prev)
		cmd->prev->next = cmd->next;
	else
		ch->cmds = cmd->next;
	if (cmd->next)
		cmd->next->prev = cmd->prev;
	cmd->prev = cmd->next = NULL;
	ch->ncmds--;
	cmd->ch = NULL;
}

static void wait_remove(struct srp_tgt *t, struct srp_cmd *cmd)
{
	struct srp_cmd **pp, *prev = NULL;

	for (pp = &t->wait_head; *pp; prev = *pp, pp = &(*pp)->wnext)
		if (*pp == cmd) {
			*pp = cmd->wnext;
			if (t->wait_tail == cmd)
				t->wait_tail = prev;
			cmd->wnext = NULL;
			return;
		}
}

void srp_cmd_free(struct srp_cmd *cmd)
{
	struct srp_chan *ch = cmd->ch;
	struct srp_tgt *t = cmd->sess ? cmd->sess->t : NULL;

	if (ch) {
		t = ch->t;
		/* a finished request frees its credit (returned by the next IU) */
		ch->delta++;
	}
	cmd_unlink(cmd);
	if (cmd->buf.length && t)
		pool_free(&t->alloc, &cmd->buf);
	if (cmd->desc != &cmd->desc1)
		free(cmd->desc);
	free(cmd->imm);
	if (cmd->sess)
		srp_sess_put(cmd->sess);
	free(cmd);
}

/* ---- submission ---- */

static void submit(struct srp_cmd *cmd)
{
	struct srp_chan *ch = cmd->ch;
	struct srp_tgt *t = ch->t;
	union msg m = { 0 };

	if (cmd->imm_len) {
		memcpy(cmd->data, cmd->imm, cmd->imm_len);
		free(cmd->imm);
		cmd->imm = NULL;
	}
	m.cmd.h.type = MSG_CMD;
	m.cmd.h.epoch = t->c->epoch;
	m.cmd.h.tag = fe_req_new(&t->fl, SRQ_CMD, cmd);
	if (!m.cmd.h.tag) {
		cmd_fail(cmd, 0, 0, 0);
		return;
	}
	cmd->core_tag = m.cmd.h.tag;
	m.cmd.nexus = ch->sess->nexus;
	m.cmd.dir = cmd->dir;
	m.cmd.attr = cmd->attr;
	m.cmd.cdb_len = cmd->cdb_len;
	m.cmd.lun = cmd->lun;
	m.cmd.edtl = cmd->total;
	m.cmd.imm_len = cmd->imm_len;
	m.cmd.buf = cmd->buf;
	memcpy(m.cmd.cdb, cmd->cdb, cmd->cdb_len);
	cmd->state = SC_CORE;
	fe_link_send(&t->fl, &m);
}

/* A pool buffer for the data (0: done, -ENOMEM: wait, -E2BIG: never). */
static int get_buf(struct srp_cmd *cmd)
{
	struct srp_tgt *t = cmd->ch->t;
	int r;

	if (!cmd->total || cmd->buf.length)
		return 0;
	r = pool_alloc(&t->alloc, cmd->total, &cmd->buf);
	if (r < 0)
		return r;
	cmd->data = pool_ptr(&t->c->pool, &cmd->buf);
	return 0;
}

static void start(struct srp_cmd *cmd)
{
	struct srp_chan *ch = cmd->ch;
	struct srp_tgt *t = ch->t;
	int r = t->wait_head ? -ENOMEM : get_buf(cmd); /* keep the FIFO order */

	if (r == -ENOMEM) {
		cmd->state = SC_WAIT_BUF;
		cmd->wnext = NULL;
		if (t->wait_tail)
			t->wait_tail->wnext = cmd;
		else
			t->wait_head = cmd;
		t->wait_tail = cmd;
		return;
	}
	if (r < 0) {
		/* larger than the arena can ever give */
		cmd_fail(cmd, 0x05, 0x0e, 0x03);
		return;
	}
	submit(cmd);
}

void srp_cmd_retry_waiting(struct srp_tgt *t)
{
	for (int n = 0; n < 64 && t->wait_head; n++) {
		struct srp_cmd *cmd = t->wait_head;

		if (get_buf(cmd) < 0)
			return;
		t->wait_head = cmd->wnext;
		if (!t->wait_head)
			t->wait_tail = NULL;
		cmd->wnext = NULL;
		submit(cmd);
	}
}

/* ---- descriptors ---- */

static bool parse_table(struct srp_cmd *cmd, const uint8_t *raw, uint32_t n)
{
	uint64_t sum = 0;

	if (n == 1) {
		cmd->desc = &cmd->desc1;
	} else {
		cmd->desc = calloc(n, sizeof(*cmd->desc));
		if (!cmd->desc) {
			cmd->desc = &cmd->desc1;
			return false;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		srp_desc_get(raw + (size_t)i * SRP_DESC_LEN, &cmd->desc[i]);
		sum += cmd->desc[i].len;
	}
	cmd->ndesc = n;
	return sum == cmd->total;
}

/* RDMA between the pool buffer [0, len) and the descriptors, in order. */
static uint32_t rdma_span(struct srp_cmd *cmd, bool write, uint32_t len)
{
	struct srp_chan *ch = cmd->ch;
	uint32_t off = 0, n = 0;

	for (uint32_t i = 0; i < cmd->ndesc && off < len; i++) {
		uint32_t l = cmd->desc[i].len < len - off ? cmd->desc[i].len : len - off;

		if (!l)
			continue;
		cmd->rdma_left++;
		ch->wr_out++;
		n++;
		ch->port->ops->rdma(ch->xc, write, WR_RDMA << 56 | (uintptr_t)cmd, cmd->data + off,
				    l, cmd->desc[i].va, cmd->desc[i].rkey);
		if (!cmd->ch)
			break; /* the connection broke under us */
		off += l;
	}
	return n;
}

/* ---- received SRP_CMD ---- */

static bool tag_in_use(struct srp_sess *s, uint64_t tag)
{
	for (struct srp_chan *c = s->chans; c; c = c->snext)
		for (struct srp_cmd *x = c->cmds; x; x = x->next)
			if (x->srp_tag == tag && !x->aborted)
				return true;
	return false;
}

void srp_cmd_recv(struct srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	struct srp_tgt *t = ch->t;
	struct srp_cmd_iu c;
	const struct srp_buf *b;
	struct srp_cmd *cmd;
	enum srp_cmd_err e;
	uint8_t dir;

	t->st.commands++;
	if (!ch->req_lim) {
		/* the initiator overran the request limit: refuse the command
		 * without taking a credit it does not have */
		t->st.credit_overruns++;
		local_rsp(ch, srp_get_tag(iu + 8), SAM_STAT_TASK_SET_FULL, NULL, 0, 0, false);
		return;
	}
	ch->req_lim--;
	e = srp_decode_cmd(iu, len, ch->formats, ch->imm_off, &c);
	switch (e) {
	case SRP_CMD_OK:
		break;
	case SRP_CMD_BAD_LEN:
		srp_chan_close(ch, SRP_TLO_BAD_IU_LEN, "SRP_CMD shorter than its fields");
		return;
	case SRP_CMD_BAD_DOUT_FMT:
		srp_chan_close(ch, SRP_TLO_BAD_DOUT_FMT, "data-out descriptor format not negotiated");
		return;
	case SRP_CMD_BAD_DIN_FMT:
		srp_chan_close(ch, SRP_TLO_BAD_DIN_FMT, "data-in descriptor format not negotiated");
		return;
	case SRP_CMD_BAD_FIELD:
		/* INVALID FIELD IN COMMAND INFORMATION UNIT */
		check_rsp(ch, c.tag, 0x05, 0x0e, 0x03, 0, 0);
		return;
	}
	dir = c.out.fmt ? MSG_DIR_WRITE : c.in.fmt ? MSG_DIR_READ : MSG_DIR_NONE;
	b = dir == MSG_DIR_WRITE ? &c.out : &c.in;
	if (c.cdb_len > MSG_CDB_MAX) {
		/* longer than any CDB the core knows: INVALID FIELD IN CDB */
		check_rsp(ch, c.tag, 0x05, 0x24, 0x00, dir == MSG_DIR_READ ? 1 : 2, b->total);
		return;
	}
	if (tag_in_use(ch->sess, c.tag)) {
		/* OVERLAPPED COMMANDS ATTEMPTED */
		check_rsp(ch, c.tag, 0x0b, 0x4e, 0x00, dir == MSG_DIR_READ ? 1 : 2, b->total);
		return;
	}
	if (dir != MSG_DIR_NONE && b->total > t->lim.max_io) {
		check_rsp(ch, c.tag, 0x05, 0x0e, 0x03, dir == MSG_DIR_READ ? 1 : 2, b->total);
		return;
	}
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd) {
		local_rsp(ch, c.tag, SAM_STAT_TASK_SET_FULL, NULL, 0, 0, true);
		return;
	}
	cmd->ch = ch;
	cmd->sess = ch->sess;
	ch->sess->refs++;
	cmd->srp_tag = c.tag;
	cmd->lun = c.lun;
	cmd->attr = c.attr;
	cmd->dir = dir;
	cmd->cdb_len = (uint8_t)c.cdb_len;
	memcpy(cmd->cdb, c.cdb, c.cdb_len);
	cmd->total = dir == MSG_DIR_NONE ? 0 : b->total;
	cmd->desc = &cmd->desc1;
	cmd->next = ch->cmds;
	if (ch->cmds)
		ch->cmds->prev = cmd;
	ch->cmds = cmd;
	ch->ncmds++;

	if (b->fmt == SRP_DESC_IMM) {
		cmd->imm_len = b->total;
		cmd->have = b->total;
		if (cmd->imm_len) {
			cmd->imm = malloc(cmd->imm_len);
			if (!cmd->imm) {
				cmd_fail(cmd, 0, 0, 0);
				return;
			}
			memcpy(cmd->imm, iu + b->imm_off, cmd->imm_len);
		}
		start(cmd);
		return;
	}
	if (b->fmt == SRP_DESC_NONE || (b->fmt == SRP_DESC_DIRECT) || !b->fetch) {
		if (b->ndesc && !parse_table(cmd, b->desc, b->ndesc)) {
			cmd_fail(cmd, 0x05, 0x0e, 0x03);
			return;
		}
		start(cmd);
		return;
	}
	/* the descriptor table is longer than the IU holds: read all of it
	 * from the initiator's memory into a pool buffer, then go on */
	cmd->table = b->table;
	cmd->state = SC_FETCH;
	if (pool_alloc(&t->alloc, cmd->table.len, &cmd->buf) < 0) {
		cmd_fail(cmd, 0, 0, 0);
		return;
	}
	cmd->data = pool_ptr(&t->c->pool, &cmd->buf);
	cmd->rdma_left = 1;
	ch->wr_out++;
	ch->port->ops->rdma(ch->xc, false, WR_RDMA << 56 | (uintptr_t)cmd, cmd->data,
			    cmd->table.len, cmd->table.va, cmd->table.rkey);
}

static void fetch_done(struct srp_cmd *cmd, int status)
{
	struct srp_chan *ch = cmd->ch;
	struct srp_tgt *t = ch ? ch->t : cmd->sess->t;
	bool ok;

	if (!ch || cmd->aborted || status != SRP_WC_OK) {
		srp_cmd_free(cmd);
		return;
	}
	ok = parse_table(cmd, cmd->data, cmd->table.len / SRP_DESC_LEN);
	pool_free(&t->alloc, &cmd->buf);
	memset(&cmd->buf, 0, sizeof(cmd->buf));
	cmd->data = NULL;
	if (!ok) {
		cmd_fail(cmd, 0x05, 0x0e, 0x03);
		return;
	}
	start(cmd);
}

static void data_ready(struct srp_cmd *cmd, int result)
{
	struct srp_tgt *t = cmd->sess->t;
	union msg m = { 0 };

	m.data_ready.h.type = MSG_DATA_READY;
	m.data_ready.h.epoch = t->c->epoch;
	m.data_ready.h.tag = cmd->core_tag;
	m.data_ready.length = result < 0 ? 0 : cmd->want;
	m.data_ready.result = result;
	cmd->moved = result < 0 ? 0 : cmd->want;
	cmd->state = SC_CORE;
	if (result == 0) {
		t->st.bytes_in += cmd->want;
		if (cmd->want > cmd->have)
			cmd->have = cmd->want;
	}
	fe_link_send(&t->fl, &m);
}

static void xfer_rdy(struct srp_cmd *cmd, uint32_t want)
{
	cmd->want = want;
	if (cmd->have >= cmd->want || !cmd->ch) {
		data_ready(cmd, cmd->ch ? 0 : -ECONNRESET);
		return;
	}
	if (cmd->imm_len) {
		/* immediate data is all an IMM command has */
		data_ready(cmd, -EIO);
		return;
	}
	cmd->state = SC_DATA_OUT;
	cmd->rdma_left++; /* hold it while posting */
	rdma_span(cmd, false, cmd->want);
	srp_cmd_rdma_done(cmd, false, SRP_WC_OK);
}

/* The RDMA READs the old core asked for are in: what they brought counts
 * for the new core, whose XFER_RDY may already be waiting. */
static void replay_out_done(struct srp_cmd *cmd)
{
	uint32_t w = cmd->pending_want;

	cmd->replay_out = false;
	cmd->pending_want = 0;
	if (!cmd->rdma_failed && cmd->ch && cmd->want > cmd->have)
		cmd->have = cmd->want;
	cmd->state = SC_CORE;
	if (w)
		xfer_rdy(cmd, w);
}

void srp_cmd_rdma_done(struct srp_cmd *cmd, bool write, int status)
{
	if (status != SRP_WC_OK)
		cmd->rdma_failed = true;
	if (--cmd->rdma_left)
		return;
	switch (cmd->state) {
	case SC_FETCH:
		fetch_done(cmd, cmd->rdma_failed ? SRP_WC_FLUSH : SRP_WC_OK);
		return;
	case SC_DATA_OUT:
		if (cmd->replay_out) {
			replay_out_done(cmd);
			return;
		}
		data_ready(cmd, cmd->rdma_failed || !cmd->ch ? -ECONNRESET : 0);
		return;
	case SC_DONE:
		srp_cmd_free(cmd);
		return;
	default:
		return;
	}
}

void srp_cmd_send_done(struct srp_cmd *cmd)
{
	cmd->state = SC_DONE;
	if (!cmd->rdma_left)
		srp_cmd_free(cmd);
}

void srp_cmd_chan_gone(struct srp_cmd *cmd)
{
	struct srp_tgt *t = cmd->ch->t;

	cmd_unlink(cmd);
	switch (cmd->state) {
	case SC_WAIT_BUF:
		wait_remove(t, cmd);
		srp_cmd_free(cmd);
		return;
	case SC_FETCH:
	case SC_DATA_OUT:
		/* the flushed RDMA completions finish it */
		return;
	default:
		/* at the core: its CMD_RSP frees it (the core may still write
		 * the buffer until then); being sent: the send's end frees it */
		return;
	}
}

/* ---- core answers ---- */

static void cmd_rsp(struct srp_tgt *t, struct srp_cmd *cmd, const struct msg_cmd_rsp *r)
{
	struct srp_chan *ch = cmd->ch;
	uint8_t iu[SRP_RSP_LEN + MSG_SENSE_MAX];
	struct srp_rsp_info ri = { 0 };
	size_t n;

	cmd->core_tag = 0;
	if (!ch || (r->h.flags & MSG_RSP_ABORTED)) {
		/* aborted tasks get no response; the credit comes back */
		srp_cmd_free(cmd);
		return;
	}
	if (cmd->dir == MSG_DIR_READ && r->data_len) {
		uint32_t n2 = r->data_len < cmd->total ? r->data_len : cmd->total;

		cmd->state = SC_DATA_IN;
		rdma_span(cmd, true, n2);
		cmd->moved = n2;
		t->st.bytes_out += n2;
		if (!cmd->ch) {
			cmd->state = SC_DONE;
			if (!cmd->rdma_left)
				srp_cmd_free(cmd);
			return;
		}
	} else if (cmd->dir == MSG_DIR_WRITE && cmd->imm_len) {
		cmd->moved = cmd->imm_len;
	}
	cmd->state = SC_DATA_IN;
	ri.tag = cmd->srp_tag;
	ri.status = r->status;
	ri.dir = cmd->dir == MSG_DIR_READ ? 1 : cmd->dir == MSG_DIR_WRITE ? 2 : 0;
	ri.offered = cmd->total;
	ri.cdb_xfer = r->cdb_xfer_len;
	ri.moved = cmd->moved;
	ri.sense = r->sense;
	ri.sense_len = r->sense_len;
	ch->delta++;
	ri.delta = srp_chan_take_delta(ch);
	/* unlinked: srp_cmd_free must not count the credit a second time */
	cmd_unlink(cmd);
	n = srp_encode_rsp(iu, ch->ti_len, &ri);
	srp_chan_send(ch, iu, (uint32_t)n, cmd);
}

static uint8_t tmf_code(uint8_t result)
{
	switch (result) {
	case MSG_TMF_COMPLETE:
	case MSG_TMF_NO_TASK:
		return SRP_RC_COMPLETE;
	case MSG_TMF_SUCCEEDED:
		return SRP_RC_SUCCEEDED;
	case MSG_TMF_NO_LUN:
		return SRP_RC_BAD_LUN;
	case MSG_TMF_NOT_SUPPORTED:
		return SRP_RC_NOT_SUPPORTED;
	default:
		return SRP_RC_FAILED;
	}
}

static struct srp_chan *chan_by_id(struct srp_tgt *t, uint64_t id)
{
	for (struct srp_chan *c = t->chans; c; c = c->next)
		if (c->id == id && c->state == CH_LIVE)
			return c;
	return NULL;
}

static void tmf_answer(struct srp_chan *ch, uint64_t tag, uint8_t code)
{
	uint8_t iu[SRP_RSP_LEN + 4];

	ch->delta++;
	srp_encode_tmf_rsp(iu, tag, 0, code);
	srp_put32(iu + 4, srp_chan_take_delta(ch));
	srp_chan_send(ch, iu, sizeof(iu), NULL);
}

/* ---- asynchronous event reports ----
 *
 * Where the core announces unit attentions (MSG_ASYNC_EVENT for nexuses
 * added with MSG_NEXUS_ASYNC), each one goes to the initiator in an AER_REQ
 * (srp_cmd_async_event). Without it, what the frontend knows raises UAs (a
 * LUN RESET or CLEAR TASK SET it carried) is followed by QUERY ASYNCHRONOUS
 * EVENT on every other SRP nexus of that target and LU, and a pending UA is
 * pushed the same way. Either way the core keeps the UA pending (SAM-5), so
 * it still comes as CHECK CONDITION on the next command. */
static void aer_send(struct srp_tgt *t, struct srp_sess *s, uint64_t lun, const uint8_t *sense,
		     uint32_t sense_len)
{
	struct srp_chan *ch = NULL;
	uint8_t iu[SRP_AER_REQ_LEN + MSG_SENSE_MAX];
	size_t n;

	if (s->state == SS_LIVE)
		for (ch = s->chans; ch && ch->state != CH_LIVE; ch = ch->snext)
			;
	if (!ch)
		return;
	if (sense_len > MSG_SENSE_MAX)
		sense_len = MSG_SENSE_MAX;
	n = srp_encode_aer_req(iu, sizeof(iu) < ch->ti_len ? sizeof(iu) : ch->ti_len,
			       ++s->next_aer_tag, srp_chan_take_delta(ch), lun, sense, sense_len);
	if (n)
		srp_chan_send(ch, iu, (uint32_t)n, NULL);
	t->st.aers++;
}

#ifdef MSG_NEXUS_ASYNC
bool srp_cmd_async_event(struct srp_tgt *t, const union msg *m)
{
	const struct msg_async_event *a = &m->async_event;

	if (a->sense_len > MSG_ASYNC_SENSE_MAX)
		return false;
	for (struct srp_sess *s = t->sessions; s; s = s->next)
		if (s->nexus == a->nexus && s->state == SS_LIVE) {
			aer_send(t, s, a->lun, a->sense, a->sense_len);
			break;
		}
	/* a nexus we already deleted: the event crossed the NEXUS_DEL */
	return true;
}
#endif

#ifndef MSG_NEXUS_ASYNC
static void aer_query(struct srp_tgt *t, struct srp_sess *from, uint64_t lun)
{
	for (struct srp_sess *s = t->sessions; s; s = s->next) {
		union msg m = { 0 };
		struct srp_tmf *q;

		if (s == from || s->state != SS_LIVE || strcmp(s->port->target, from->port->target))
			continue;
		q = calloc(1, sizeof(*q));
		if (!q)
			return;
		q->sess = s;
		s->refs++;
		q->lun = lun;
		q->fn = MSG_TMF_QUERY_ASYNC_EVENT;
		m.tmf.h.type = MSG_TMF;
		m.tmf.h.epoch = t->c->epoch;
		m.tmf.h.tag = fe_req_new(&t->fl, SRQ_TMF, q);
		if (!m.tmf.h.tag) {
			srp_sess_put(s);
			free(q);
			return;
		}
		m.tmf.nexus = s->nexus;
		m.tmf.fn = MSG_TMF_QUERY_ASYNC_EVENT;
		m.tmf.lun = lun;
		fe_link_send(&t->fl, &m);
	}
}

#endif

static void aer_done(struct srp_tgt *t, struct srp_tmf *q, const struct msg_tmf_rsp *r)
{
	if (r->result == MSG_TMF_SUCCEEDED && r->sense_key) {
		uint8_t sense[18];

		fixed_sense(sense, r->sense_key, r->asc, r->ascq);
		aer_send(t, q->sess, q->lun, sense, sizeof(sense));
	}
	srp_sess_put(q->sess);
	free(q);
}

bool srp_cmd_core_msg(struct srp_tgt *t, const union msg *m, uint8_t kind, void *obj)
{
	switch (kind) {
	case SRQ_NEXUS: {
		struct srp_sess *s = obj;

		if (m->h.type != MSG_NEXUS_ADDED || m->nexus_added.nexus != s->nexus)
			return false;
		srp_sess_nexus_added(t, s, m->nexus_added.result);
		return true;
	}
	case SRQ_CMD: {
		struct srp_cmd *cmd = obj;

		if (m->h.type == MSG_XFER_RDY) {
			if (cmd->dir != MSG_DIR_WRITE || m->xfer_rdy.length == 0 ||
			    m->xfer_rdy.length > cmd->total)
				return false;
			if (cmd->state == SC_DATA_OUT && cmd->replay_out && !cmd->pending_want) {
				cmd->pending_want = m->xfer_rdy.length;
				return true;
			}
			if (cmd->state != SC_CORE)
				return false;
			xfer_rdy(cmd, m->xfer_rdy.length);
			return true;
		}
		if (m->h.type != MSG_CMD_RSP || (cmd->state != SC_CORE && cmd->state != SC_DATA_OUT) ||
		    m->cmd_rsp.sense_len > MSG_SENSE_MAX || m->cmd_rsp.data_len > cmd->buf.length)
			return false;
		if (cmd->state == SC_DATA_OUT &&
		    ((m->cmd_rsp.h.flags & MSG_RSP_ABORTED) || !cmd->ch)) {
			/* an abort crossed the data-out: the core is done with the
			 * buffer, our RDMA READs into it are not; the last one
			 * frees the command (no DATA_READY, no response) */
			cmd->core_tag = 0;
			cmd->state = SC_DONE;
			return true;
		}
		cmd_rsp(t, cmd, &m->cmd_rsp);
		return true;
	}
	case SRQ_TMF: {
		struct srp_tmf *tm = obj;
		struct srp_chan *ch;

		if (m->h.type != MSG_TMF_RSP || m->tmf_rsp.result > MSG_TMF_SUCCEEDED)
			return false;
		if (tm->fn == MSG_TMF_QUERY_ASYNC_EVENT) {
			aer_done(t, tm, &m->tmf_rsp);
			return true;
		}
		ch = chan_by_id(t, tm->ch_id);
		if (ch)
			tmf_answer(ch, tm->srp_tag, tmf_code(m->tmf_rsp.result));
		/* a reset or cleared task set raised unit attentions on the
		 * other nexuses of the LU: push them (AER_REQ) */
#ifndef MSG_NEXUS_ASYNC
		if ((tm->fn == MSG_TMF_LUN_RESET || tm->fn == MSG_TMF_CLEAR_TASK_SET) &&
		    m->tmf_rsp.result == MSG_TMF_COMPLETE)
			aer_query(t, tm->sess, tm->lun);
#endif
		srp_sess_put(tm->sess);
		free(tm);
		return true;
	}
	}
	return false;
}

/* A new core took over, the old one never answered this request, and it is
 * not sent again (srp_cmd_replay: its channel is gone): free what it held. */
void srp_cmd_abandon(struct srp_tgt *t, uint8_t kind, void *obj)
{
	switch (kind) {
	case SRQ_NEXUS: {
		struct srp_sess *s = obj;
		union msg m = { 0 };

		/* the old core may have added it before dying: remove it (a
		 * held NEXUS_DEL, sent as a replay the new core tolerates) */
		m.nexus_del.h.type = MSG_NEXUS_DEL;
		m.nexus_del.h.epoch = t->c->epoch;
		m.nexus_del.nexus = s->nexus;
		fe_link_send(&t->fl, &m);
		if (s->state == SS_LIVE)
			s->state = SS_ADDING; /* not live at the core: no second NEXUS_DEL */
		srp_sess_nexus_added(t, s, -ECONNRESET);
		return;
	}
	case SRQ_CMD: {
		struct srp_cmd *cmd = obj;

		cmd->core_tag = 0;
		if (cmd->rdma_left)
			cmd->state = SC_DONE; /* its last RDMA completion frees it */
		else
			srp_cmd_free(cmd);
		return;
	}
	case SRQ_TMF: {
		struct srp_tmf *tm = obj;

		srp_sess_put(tm->sess);
		free(tm);
		return;
	}
	}
}

/* A new core took over and the old one never answered this request: the
 * channels stayed, so it goes to the new core again (fe_link_up sends it with
 * MSG_FLAG_REPLAY; procs/core/core_replay.c says which commands must not run
 * twice). A command whose channel is gone is abandoned instead. */
bool srp_cmd_replay(struct srp_tgt *t, uint8_t kind, void *obj, union msg *m)
{
	(void)t;
	switch (kind) {
	case SRQ_NEXUS:
		/* the names are still in s->names until NEXUS_ADDED */
		return true;
	case SRQ_CMD: {
		struct srp_cmd *cmd = obj;

		if (!cmd->ch || m->h.type != MSG_CMD)
			return false;
		if (cmd->state == SC_DATA_OUT)
			cmd->replay_out = true;
		/* data-out already in the buffer counts as immediate data: the
		 * same CDB asks the new core for the same bytes */
		if (cmd->dir == MSG_DIR_WRITE && cmd->have > m->cmd.imm_len &&
		    cmd->have <= m->cmd.edtl)
			m->cmd.imm_len = cmd->have;
		return true;
	}
	case SRQ_TMF:
		return m->h.type == MSG_TMF;
	}
	return false;
}

/* ---- task management ---- */

static struct srp_cmd *find_task(struct srp_sess *s, uint64_t tag)
{
	for (struct srp_chan *c = s->chans; c; c = c->snext)
		for (struct srp_cmd *x = c->cmds; x; x = x->next)
			if (x->srp_tag == tag && !x->aborted)
				return x;
	return NULL;
}

/* Tasks received before a task-set TMF that are still here (fetching their
 * descriptor table, waiting for pool space) are not at the core yet, so its
 * TMF cannot see them: they end here, without a response. */
static void abort_local(struct srp_tgt *t, struct srp_sess *only, uint64_t lun)
{
	for (struct srp_chan *c = t->chans; c; c = c->next) {
		struct srp_cmd *x, *n;

		if (only && c->sess != only)
			continue;
		for (x = c->cmds; x; x = n) {
			n = x->next;
			if (x->lun != lun || x->aborted)
				continue;
			if (x->state == SC_WAIT_BUF) {
				wait_remove(t, x);
				srp_cmd_free(x);
			} else if (x->state == SC_FETCH) {
				x->aborted = true;
			}
		}
	}
}

void srp_tmf_recv(struct srp_chan *ch, const uint8_t *iu, uint32_t len)
{
	struct srp_tgt *t = ch->t;
	struct srp_tmf_iu tmf;
	struct srp_tmf *tm;
	union msg m = { 0 };
	uint8_t fn;

	t->st.tmfs++;
	if (srp_decode_tmf(iu, len, &tmf) < 0) {
		srp_chan_close(ch, SRP_TLO_BAD_IU_LEN, "TSK_MGMT too short");
		return;
	}
	if (!ch->req_lim) {
		uint8_t rsp[SRP_RSP_LEN + 4];

		t->st.credit_overruns++;
		srp_encode_tmf_rsp(rsp, tmf.tag, srp_chan_take_delta(ch), SRP_RC_FAILED);
		srp_chan_send(ch, rsp, sizeof(rsp), NULL);
		return;
	}
	ch->req_lim--;
	switch (tmf.fn) {
	case SRP_TMF_ABORT_TASK: fn = MSG_TMF_ABORT_TASK; break;
	case SRP_TMF_ABORT_TASK_SET: fn = MSG_TMF_ABORT_TASK_SET; break;
	case SRP_TMF_CLEAR_TASK_SET: fn = MSG_TMF_CLEAR_TASK_SET; break;
	case SRP_TMF_LUN_RESET: fn = MSG_TMF_LUN_RESET; break;
	case SRP_TMF_CLEAR_ACA: fn = MSG_TMF_CLEAR_ACA; break;
	default:
		tmf_answer(ch, tmf.tag, SRP_RC_NOT_SUPPORTED);
		return;
	}
	if (fn == MSG_TMF_ABORT_TASK) {
		struct srp_cmd *x = find_task(ch->sess, tmf.task_tag);

		if (!x || !x->core_tag) {
			/* no such task, or it is not at the core: end it here */
			if (x && x->state == SC_WAIT_BUF) {
				wait_remove(t, x);
				srp_cmd_free(x);
			} else if (x && x->state == SC_FETCH) {
				x->aborted = true;
			}
			tmf_answer(ch, tmf.tag, SRP_RC_COMPLETE);
			return;
		}
		m.tmf.ref_tag = x->core_tag;
		m.tmf.lun = x->lun;
	} else {
		m.tmf.lun = tmf.lun;
		if (fn == MSG_TMF_ABORT_TASK_SET)
			abort_local(t, ch->sess, tmf.lun);
		else if (fn != MSG_TMF_CLEAR_ACA)
			abort_local(t, NULL, tmf.lun);
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm) {
		tmf_answer(ch, tmf.tag, SRP_RC_FAILED);
		return;
	}
	tm->sess = ch->sess;
	ch->sess->refs++;
	tm->srp_tag = tmf.tag;
	tm->lun = m.tmf.lun;
	tm->fn = fn;
	tm->ch_id = ch->id; /* the channel to answer on, found again by id */
	m.tmf.h.type = MSG_TMF;
	m.tmf.h.epoch = t->c->epoch;
	m.tmf.h.tag = fe_req_new(&t->fl, SRQ_TMF, tm);
	if (!m.tmf.h.tag) {
		srp_sess_put(tm->sess);
		free(tm);
		tmf_answer(ch, tmf.tag, SRP_RC_FAILED);
		return;
	}
	m.tmf.nexus = ch->sess->nexus;
	m.tmf.fn = fn;
	fe_link_send(&t->fl, &m);
}
