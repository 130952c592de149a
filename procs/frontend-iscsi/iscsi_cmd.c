/* SCSI commands: from the Command PDU (with immediate data read straight into
 * the pool buffer) to the core, the write data phase (unsolicited Data-Out,
 * R2Ts within MaxBurstLength/MaxOutstandingR2T), and the answer (Data-In sent
 * from the pool buffer, status, sense, residuals). */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define SCSI_STATUS_GOOD            0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#define SCSI_STATUS_BUSY            0x08
#define SCSI_STATUS_TASK_SET_FULL   0x28

/* ILLEGAL REQUEST, INVALID FIELD IN CDB (fixed format sense) */
static const uint8_t sense_invalid_cdb[18] = {
	0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0, 0, 0,
};

/* ABORTED COMMAND, PROTOCOL SERVICE CRC ERROR: the iSCSI condition of RFC
 * 7143 11.4.7.2 for a task whose Data-Out was lost */
static const uint8_t sense_crc_error[18] = {
	0x70, 0, 0x0b, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x47, 0x05, 0, 0, 0, 0,
};

/* ---- lifetime ---- */

static void cmd_get(struct iscsi_cmd *cmd)
{
	cmd->refs++;
}

void iscsi_cmd_get(struct iscsi_cmd *cmd)
{
	cmd->refs++;
}

void iscsi_cmd_put(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	if (--cmd->refs > 0)
		return;
	if (cmd->qz)
		iscsi_quiesce_release(cmd);
	if (cmd->spill) {
		t->spill_bytes -= cmd->spill_len;
		free(cmd->spill);
	}
	if (cmd->buf.length) {
		pool_free(&t->alloc, &cmd->buf);
		iscsi_conn_pool_freed(t);
	}
	free(cmd->st_sense);
	free(cmd);
}

static unsigned itt_bucket(uint32_t itt)
{
	return (itt ^ (itt >> 8) ^ (itt >> 16)) & (ISCSI_ITT_HASH - 1);
}

struct iscsi_cmd *iscsi_cmd_find(struct iscsi_conn *c, uint32_t itt)
{
	struct iscsi_cmd *cmd;

	for (cmd = c->itt_hash[itt_bucket(itt)]; cmd; cmd = cmd->hnext)
		if (cmd->itt == itt)
			return cmd;
	return NULL;
}

static void cmd_attach(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	unsigned b = itt_bucket(cmd->itt);

	cmd->conn = c;
	cmd->next = c->cmds;
	if (c->cmds)
		c->cmds->prev = cmd;
	c->cmds = cmd;
	cmd->hnext = c->itt_hash[b];
	c->itt_hash[b] = cmd;
	cmd->hashed = true;
	c->ncmds++;
}

static void waiter_unlink(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	struct iscsi_cmd **pp = &t->bw_head, *prev = NULL;

	while (*pp && *pp != cmd) {
		prev = *pp;
		pp = &(*pp)->wnext;
	}
	if (!*pp)
		return;
	*pp = cmd->wnext;
	if (t->bw_tail == cmd)
		t->bw_tail = prev;
	cmd->wnext = NULL;
	cmd->wait_buf = false;
}

/* The connection is done with the command (status queued, aborted, or the
 * connection is gone): it stops being findable and frees its window slot. */
static void cmd_detach(struct iscsi_cmd *cmd)
{
	struct iscsi_conn *c = cmd->conn;

	if (!c)
		return;
	if (cmd->wait_buf)
		waiter_unlink(c->t, cmd);
	if (cmd->held)
		iscsi_cmdsn_unhold(c, cmd);
	if (cmd->hashed) {
		struct iscsi_cmd **pp = &c->itt_hash[itt_bucket(cmd->itt)];

		while (*pp && *pp != cmd)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = cmd->hnext;
		cmd->hashed = false;
	}
	if (cmd->prev)
		cmd->prev->next = cmd->next;
	else
		c->cmds = cmd->next;
	if (cmd->next)
		cmd->next->prev = cmd->prev;
	cmd->prev = cmd->next = NULL;
	if (cmd->counted) {
		iscsi_window_release(c);
		cmd->counted = false;
	}
	c->ncmds--;
	cmd->conn = NULL;
}

static void cmd_finish(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	struct iscsi_conn *c = cmd->conn;

	cmd_detach(cmd);
	if (c && cmd->st_sent && iscsi_erl_on(c))
		iscsi_erl_keep(c, cmd); /* for SNACKs, until acknowledged */
	else
		iscsi_cmd_put(t, cmd); /* the connection's reference */
	if (c)
		iscsi_logout_try(c);
}

/* ---- responses ---- */

/* SCSI Response PDU; takes a reference on cmd for the buffer it may name. */
static void queue_scsi_rsp(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint8_t status,
			   const uint8_t *sense, uint32_t sense_len, uint8_t resid_flags,
			   uint32_t residual, uint32_t exp_datasn)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_SCSI_RSP,
						ISCSI_FLAG_FINAL | resid_flags);

	p->bhs[2] = 0; /* command completed at target */
	p->bhs[3] = status;
	iscsi_put32(p->bhs + 16, cmd->itt);
	iscsi_fill_sn(c, p->bhs, true);
	iscsi_put32(p->bhs + 36, exp_datasn);
	iscsi_put32(p->bhs + 44, residual);
	if (sense_len) {
		uint8_t *d = malloc(2 + sense_len);

		if (d) {
			iscsi_put16(d, (uint16_t)sense_len);
			memcpy(d + 2, sense, sense_len);
			p->owned = d;
			p->data = d;
			p->dlen = 2 + sense_len;
		}
	}
	cmd_get(cmd);
	p->cmd = cmd;
	if (iscsi_erl_on(c)) {
		/* a Status SNACK rebuilds this PDU */
		cmd->st_sent = true;
		cmd->st_in_datain = false;
		cmd->st_status = status;
		cmd->st_rf = resid_flags;
		cmd->st_residual = residual;
		cmd->st_expdatasn = exp_datasn;
		cmd->st_statsn = iscsi_get32(p->bhs + 24);
		if (sense_len && (cmd->st_sense = malloc(sense_len))) {
			memcpy(cmd->st_sense, sense, sense_len);
			cmd->st_sense_len = (uint8_t)sense_len;
		}
	}
	iscsi_conn_queue(c, p);
}

/* Answer a command without the core (the CmdSN slot is released first so
 * this very response advertises it). */
static void cmd_local_status(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint8_t status,
			     const uint8_t *sense, uint32_t sense_len)
{
	uint32_t residual;
	uint8_t rf = iscsi_residual(cmd->edtl, 0, 0, &residual);

	c->t->st.local_status++;
	if (cmd->counted) {
		iscsi_window_release(c);
		cmd->counted = false;
	}
	queue_scsi_rsp(c, cmd, status, sense, sense_len, rf, residual, 0);
	cmd_finish(c->t, cmd);
}

/* Data-In PDUs straight from the pool buffer, in segments the initiator can
 * receive and bursts of MaxBurstLength; status rides in the last one. The
 * layout (din_*) is kept so a Data SNACK rebuilds the very same PDUs. */
static void queue_data_in(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t len,
			  bool with_status, uint8_t status, uint8_t rf, uint32_t residual)
{
	const struct iscsi_params *p = &c->sess->p;
	uint32_t seg = iscsi_conn_mrdsl_tx(c), n;

	c->t->st.bytes_out += len;
	if (seg == 0)
		seg = ISCSI_LOGIN_DSL;
	cmd->din_len = len;
	cmd->din_seg = seg;
	cmd->din_burst = p->max_burst;
	/* count the PDUs: bursts of max_burst, each cut in segments */
	n = 0;
	for (uint32_t off = 0; off < len;) {
		uint32_t b = len - off < cmd->din_burst ? len - off : cmd->din_burst;

		n += (b + seg - 1) / seg;
		off += b;
	}
	cmd->din_count = n;
	if (with_status) {
		cmd->st_in_datain = true;
		cmd->st_status = status;
		cmd->st_rf = rf;
		cmd->st_residual = residual;
	}
	cmd->st_sent = with_status && iscsi_erl_on(c);
	if (iscsi_erl_on(c)) {
		cmd->din_ttt = c->next_ttt++;
		if (cmd->din_ttt == ISCSI_RSVD_TAG)
			cmd->din_ttt = c->next_ttt++;
	}
	iscsi_datain_emit(c, cmd, 0, n, false);
	cmd->datasn_in = n;
}

void iscsi_datain_emit(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t from,
		       uint32_t to, bool resend)
{
	uint32_t len = cmd->din_len, seg = cmd->din_seg, burst = cmd->din_burst;
	uint32_t off = 0, in_burst = 0, sn = 0;
	bool erl = iscsi_erl_on(c);

	while (off < len && sn < to) {
		uint32_t n = len - off, room = burst - in_burst;
		bool last, end_burst;
		struct iscsi_txpdu *d;

		if (n > seg)
			n = seg;
		if (n > room)
			n = room;
		last = off + n == len;
		in_burst += n;
		end_burst = last || in_burst == burst;
		if (sn >= from) {
			d = iscsi_txpdu_new(ISCSI_OP_DATA_IN, end_burst ? ISCSI_FLAG_FINAL : 0);
			iscsi_put64(d->bhs + 8, cmd->lun);
			iscsi_put32(d->bhs + 16, cmd->itt);
			iscsi_put32(d->bhs + 20, ISCSI_RSVD_TAG);
			if (erl && end_burst) {
				/* ERL 1: ask for a DataACK once per burst (RFC 7143
				 * 11.7.2), naming the task with a TTT */
				d->bhs[1] |= ISCSI_DATAIN_ACK;
				iscsi_put32(d->bhs + 20, cmd->din_ttt);
			}
			if (last && cmd->st_in_datain) {
				d->bhs[1] |= ISCSI_DATAIN_STATUS | cmd->st_rf;
				d->bhs[3] = cmd->st_status;
				iscsi_fill_sn(c, d->bhs, !resend);
				if (resend)
					iscsi_put32(d->bhs + 24, cmd->st_statsn);
				else
					cmd->st_statsn = iscsi_get32(d->bhs + 24);
				iscsi_put32(d->bhs + 44, cmd->st_residual);
			} else {
				iscsi_fill_sn(c, d->bhs, false);
				iscsi_put32(d->bhs + 24, 0);
			}
			iscsi_put32(d->bhs + 36, sn);
			iscsi_put32(d->bhs + 40, off);
			d->data = cmd->data + off;
			d->dlen = n;
			/* the status PDU holds the command until written; at ERL 1
			 * every PDU does, since a SNACK can come at any time and an
			 * acknowledgement may release the buffer */
			if ((last && cmd->st_in_datain) || erl || resend) {
				cmd_get(cmd);
				d->cmd = cmd;
			}
			if (resend)
				c->t->st.retransmits++;
			iscsi_conn_queue(c, d);
		}
		if (end_burst)
			in_burst = 0;
		off += n;
		sn++;
	}
}

void iscsi_cmd_rsp(struct iscsi_tgt *t, struct iscsi_cmd *cmd, const struct msg_cmd_rsp *m)
{
	struct iscsi_conn *c = cmd->conn;

	cmd->in_core = false;
	if (cmd->qz)
		iscsi_quiesce_release(cmd);
	if (!c && cmd->orphan && iscsi_erl2_rsp(t, cmd, m))
		return; /* ERL 2: answered when reassigned */
	if (c && cmd->data_err && cmd->data_ready_sent && (m->h.flags & MSG_RSP_ABORTED)) {
		/* we ended it ourselves (DATA_READY with an error): lost data;
		 * an abort (TMF) that came first still sends no status */
		cmd_local_status(c, cmd, SCSI_STATUS_CHECK_CONDITION,
				 sense_crc_error, sizeof(sense_crc_error));
		iscsi_cmd_put(t, cmd);
		return;
	}
	if (!c || (m->h.flags & MSG_RSP_ABORTED)) {
		/* aborted (TMF, nexus loss) or nobody to tell: no status */
		if (c)
			cmd_finish(t, cmd);
		iscsi_cmd_put(t, cmd);
		return;
	}
	if (cmd->counted) {
		iscsi_window_release(c);
		cmd->counted = false;
	}
	uint32_t residual, done;
	uint8_t rf;

	if (cmd->dir == MSG_DIR_READ) {
		done = m->data_len < cmd->edtl ? m->data_len : cmd->edtl;
		rf = iscsi_residual(cmd->edtl, m->cdb_xfer_len, done, &residual);
		if (done && m->sense_len == 0) {
			queue_data_in(c, cmd, done, true, m->status, rf, residual);
		} else {
			if (done)
				queue_data_in(c, cmd, done, false, 0, 0, 0);
			queue_scsi_rsp(c, cmd, m->status, m->sense, m->sense_len, rf,
				       residual, cmd->datasn_in);
		}
	} else {
		done = m->cdb_xfer_len < cmd->edtl ? m->cdb_xfer_len : cmd->edtl;
		rf = iscsi_residual(cmd->edtl, m->cdb_xfer_len, done, &residual);
		queue_scsi_rsp(c, cmd, m->status, m->sense, m->sense_len, rf, residual,
			       cmd->r2tsn);
	}
	cmd_finish(t, cmd);
	iscsi_cmd_put(t, cmd); /* the core's reference */
}

/* ---- write data phase ---- */

static void send_data_ready(struct iscsi_tgt *t, struct iscsi_cmd *cmd, int32_t result)
{
	union msg m;

	if (cmd->data_ready_sent)
		return;
	cmd->data_ready_sent = true;
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_DATA_READY;
	m.h.tag = cmd->tag;
	m.data_ready.length = result ? 0 : cmd->want;
	m.data_ready.result = result;
	iscsi_core_send(t, &m);
}

void iscsi_r2t_send(struct iscsi_conn *c, struct iscsi_cmd *cmd, struct iscsi_r2t *r)
{
	struct iscsi_txpdu *pdu = iscsi_txpdu_new(ISCSI_OP_R2T, ISCSI_FLAG_FINAL);

	iscsi_put64(pdu->bhs + 8, cmd->lun);
	iscsi_put32(pdu->bhs + 16, cmd->itt);
	iscsi_put32(pdu->bhs + 20, r->ttt);
	iscsi_fill_sn(c, pdu->bhs, false);
	iscsi_put32(pdu->bhs + 36, r->r2tsn);
	iscsi_put32(pdu->bhs + 40, r->off + r->got);
	iscsi_put32(pdu->bhs + 44, r->len - r->got);
	iscsi_conn_queue(c, pdu);
}

static uint32_t new_ttt(struct iscsi_conn *c)
{
	uint32_t ttt = c->next_ttt++;

	if (ttt == ISCSI_RSVD_TAG)
		ttt = c->next_ttt++;
	return ttt;
}

static void issue_r2ts(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	const struct iscsi_params *p = &c->sess->p;
	uint32_t maxr2t = p->max_outstanding_r2t;

	if (maxr2t > ISCSI_MAX_R2T)
		maxr2t = ISCSI_MAX_R2T;
	while (cmd->nr2t < maxr2t && cmd->r2t_next < cmd->want) {
		struct iscsi_r2t *r = &cmd->r2t[cmd->nr2t++];
		uint32_t len = cmd->want - cmd->r2t_next;

		if (len > p->max_burst)
			len = p->max_burst;
		memset(r, 0, sizeof(*r));
		r->ttt = new_ttt(c);
		r->off = cmd->r2t_next;
		r->len = len;
		r->r2tsn = cmd->r2tsn++;
		cmd->r2t_next += len;
		iscsi_r2t_send(c, cmd, r);
	}
}

void iscsi_r2t_remove(struct iscsi_cmd *cmd, struct iscsi_r2t *r)
{
	size_t i = (size_t)(r - cmd->r2t);

	memmove(&cmd->r2t[i], &cmd->r2t[i + 1], (cmd->nr2t - 1 - i) * sizeof(cmd->r2t[0]));
	cmd->nr2t--;
}

struct iscsi_r2t *iscsi_r2t_find(struct iscsi_cmd *cmd, uint32_t ttt)
{
	for (uint8_t i = 0; i < cmd->nr2t; i++)
		if (cmd->r2t[i].ttt == ttt)
			return &cmd->r2t[i];
	return NULL;
}

/* RFC 7143 7.8/7.9 at ERL >= 1: the data from lost_at to the end of the
 * sequence is asked for again with a recovery R2T (new TTT and R2TSN). A
 * peer that keeps losing data gets a bounded number of them, then the task
 * fails as at ERL 0. */
void iscsi_r2t_recover(struct iscsi_conn *c, struct iscsi_cmd *cmd, struct iscsi_r2t *r)
{
	uint32_t end = r->off + r->len;

	if (cmd->recoveries >= ISCSI_ERL_RECOVERIES) {
		log_warn("conn %llu: ITT 0x%x: %u recovery R2Ts, task fails",
			 (unsigned long long)c->id, cmd->itt, cmd->recoveries);
		cmd->data_err = true;
		iscsi_r2t_remove(cmd, r);
		return;
	}
	cmd->recoveries++;
	c->t->st.recovery_r2ts++;
	r->off = r->lost ? r->lost_at : r->off + r->got;
	r->len = end - r->off;
	r->got = 0;
	r->datasn = 0;
	r->lost = false;
	r->ttt = new_ttt(c);
	r->r2tsn = cmd->r2tsn++;
	log_info("conn %llu: ITT 0x%x: recovery R2T for %u bytes at %u",
		 (unsigned long long)c->id, cmd->itt, r->len, r->off);
	iscsi_r2t_send(c, cmd, r);
}

static void write_progress(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	if (!cmd->xfer || cmd->data_ready_sent || !cmd->in_core)
		return;
	if (cmd->data_err) {
		/* solicit nothing more; fail it once every open sequence ended */
		if (!cmd->conn || (!cmd->unsol_open && !cmd->nr2t))
			send_data_ready(t, cmd, -EILSEQ);
		return;
	}
	if (cmd->rx_bytes >= cmd->want && !cmd->nr2t) {
		send_data_ready(t, cmd, 0);
		return;
	}
	/* solicit only once unsolicited data is over, so the R2Ts start
	 * exactly where it ended */
	if (cmd->conn && !cmd->unsol_open) {
		if (cmd->r2t_next < cmd->rx_off)
			cmd->r2t_next = cmd->rx_off;
		issue_r2ts(cmd->conn, cmd);
	}
}

void iscsi_cmd_write_progress(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	write_progress(t, cmd);
}

void iscsi_cmd_xfer_rdy(struct iscsi_tgt *t, struct iscsi_cmd *cmd, uint32_t len)
{
	cmd->xfer = true;
	cmd->want = len;
	if (!cmd->conn) {
		if (cmd->orphan)
			return; /* ERL 2: solicited once reassigned */
		send_data_ready(t, cmd, -ECONNRESET);
		return;
	}
	write_progress(t, cmd);
}

/* ---- receiving SCSI Command ---- */

static void cmd_submit(struct iscsi_tgt *t, struct iscsi_cmd *cmd);

static uint8_t map_attr(uint8_t a)
{
	switch (a) {
	case 2: return MSG_TASK_ORDERED;
	case 3: return MSG_TASK_HEAD_OF_QUEUE;
	case 4: return MSG_TASK_ACA;
	default: return MSG_TASK_SIMPLE; /* 0 untagged, 1 simple */
	}
}

int iscsi_rx_skip(struct iscsi_conn *c, uint8_t action, uint8_t reason)
{
	c->rx_dst = NULL;
	c->rx_action = action;
	c->rx_reason = reason;
	return 0;
}

void iscsi_cmd_imm_digest_error(struct iscsi_conn *c)
{
	if (c->rx_cmd && c->rx_action == RX_ACT_NONE) {
		log_warn("conn %llu: ITT 0x%x: immediate data digest error: command dropped",
			 (unsigned long long)c->id, c->rx_cmd->itt);
		c->rx_action = RX_ACT_CLOSE + 5;
	}
}

int iscsi_cmd_rx_start(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	const struct iscsi_params *p = &c->sess->p;
	const uint8_t *b = c->bhs;
	bool rbit = b[1] & ISCSI_CMD_READ, wbit = b[1] & ISCSI_CMD_WRITE;
	uint32_t edtl = iscsi_get32(b + 20), dlen = c->hi.data_len;
	uint32_t cmdsn = iscsi_get32(b + 24);
	uint8_t cdb[MSG_CDB_MAX];
	struct buf_handle buf = { 0 };
	struct iscsi_cmd *cmd;
	int cdb_len, r;
	bool local_e2big = false;

	c->exp_stat_sn = iscsi_get32(b + 28);
	iscsi_erl_ack(c, c->exp_stat_sn);
	if (p->session_type != ISCSI_SESSION_NORMAL)
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_PROTOCOL);
	if (c->logout_pending)
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_WAITING_LOGOUT);
	if ((b[1] & ISCSI_CMD_ATTR_MASK) > 4 || (!rbit && !wbit && edtl) ||
	    (dlen && !wbit) || dlen > edtl)
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_INVALID_FIELD);
	if (dlen && (!p->immediate_data || dlen > p->first_burst))
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_PROTOCOL);
	cdb_len = iscsi_cdb_extract(b, c->ahs, c->hi.ahs_len, cdb, sizeof(cdb));
	if (cdb_len < 0)
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_INVALID_FIELD);
	if (iscsi_mcs_cmd_find(c, c->hi.itt, NULL))
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_TASK_IN_PROGRESS);
	if (c->hi.immediate && c->ncmds >= 2 * ISCSI_QDEPTH)
		return iscsi_rx_skip(c, RX_ACT_REJECT, ISCSI_REJECT_IMM_CMD);
	bool wait = false, busy = false, held;
	uint32_t spill_len = 0;
	enum iscsi_sn_verdict v = iscsi_cmdsn_check(c, cmdsn, c->hi.immediate);

	if (v == ISCSI_SN_DROP)
		return iscsi_rx_skip(c, RX_ACT_IGNORE, 0);
	held = v == ISCSI_SN_QUEUE;
	if (edtl && !(rbit && wbit) && !t->shutting_down) {
		if (edtl > t->arena_size / 2) {
			local_e2big = true;
		} else if (held) {
			/* out of order: its pool buffer comes with its turn (a
			 * gap that never fills must not pin the pool); data that
			 * arrives before then goes to private memory */
			if (dlen || (wbit && !c->hi.final && !p->initial_r2t))
				spill_len = edtl < p->first_burst ? edtl : p->first_burst;
			if (t->spill_bytes + spill_len > ISCSI_SPILL_MAX) {
				busy = true;
				spill_len = 0;
			}
		} else {
			/* behind earlier waiters, so commands reach the core in order */
			r = t->bw_head ? -ENOMEM : pool_alloc(&t->alloc, edtl, &buf);
			if (r == -ENOMEM) {
				/* Do not stop reading: Data-Out that older commands
				 * need (to complete and free buffers) is behind this
				 * PDU in the stream. Wait for a buffer off-stream;
				 * data arriving before it lands in private memory. */
				if (dlen || (wbit && !c->hi.final && !p->initial_r2t))
					spill_len = edtl < p->first_burst ? edtl : p->first_burst;
				if (t->spill_bytes + spill_len > ISCSI_SPILL_MAX)
					busy = true; /* TASK SET FULL: the initiator retries */
				else
					wait = true;
			} else if (r < 0) {
				local_e2big = true;
			}
		}
	}
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd) {
		if (buf.length)
			pool_free(&t->alloc, &buf);
		return -ENOMEM;
	}
	cmd->refs = 1;
	cmd->itt = c->hi.itt;
	cmd->cmdsn = cmdsn;
	cmd->edtl = edtl;
	cmd->lun = iscsi_get64(b + 8);
	cmd->dir = rbit ? MSG_DIR_READ : wbit ? MSG_DIR_WRITE : MSG_DIR_NONE;
	cmd->attr = map_attr(b[1] & ISCSI_CMD_ATTR_MASK);
	cmd->cdb_len = (uint8_t)cdb_len;
	memcpy(cmd->cdb, cdb, (size_t)cdb_len);
	cmd->immediate = c->hi.immediate;
	cmd->buf = buf;
	if (buf.length) {
		cmd->data = pool_ptr(&t->c->pool, &buf);
		if (!cmd->data) {
			log_err("pool_ptr refused our own buffer");
			free(cmd);
			pool_free(&t->alloc, &buf);
			return -EFAULT;
		}
		cmd->data_cap = buf.length;
	} else if (wait || held) {
		if (spill_len && !(cmd->spill = malloc(spill_len))) {
			free(cmd);
			return -ENOMEM;
		}
		cmd->spill_len = spill_len;
		t->spill_bytes += spill_len;
		cmd->data = cmd->spill;
		cmd->data_cap = spill_len;
		if (wait) {
			cmd->wait_buf = true;
			if (t->bw_tail)
				t->bw_tail->wnext = cmd;
			else
				t->bw_head = cmd;
			t->bw_tail = cmd;
		}
	}
	if (!cmd->immediate) {
		cmd->counted = true;
		c->sess->active++;
	}
	cmd_attach(c, cmd);
	if (held)
		iscsi_cmdsn_hold(c, cmd);
	cmd_get(cmd); /* held while its data is read */
	c->rx_cmd = cmd;
	c->rx_dst = cmd->data; /* NULL (skip) when answered locally */
	if (rbit && wbit)
		c->rx_action = RX_ACT_CLOSE + 1;     /* bidirectional: not supported */
	else if (local_e2big)
		c->rx_action = RX_ACT_CLOSE + 2;
	else if (t->shutting_down)
		c->rx_action = RX_ACT_CLOSE + 3;
	else if (busy)
		c->rx_action = RX_ACT_CLOSE + 4;
	return 0;
}

void iscsi_cmd_rx_done(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_cmd *cmd = c->rx_cmd;
	const uint8_t *b = c->bhs;

	if (!cmd) {
		if (c->rx_action == RX_ACT_REJECT)
			iscsi_send_reject(c, c->rx_reason, b);
		return;
	}
	c->rx_cmd = NULL;
	if (c->rx_action == RX_ACT_CLOSE + 5) {
		/* immediate data failed its digest (ERL >= 1): the command is
		 * dropped as if never received; the initiator retries it with
		 * the same CmdSN (RFC 7143 7.8), which stays usable */
		iscsi_send_reject(c, ISCSI_REJECT_DATA_DIGEST, b);
		if (!cmd->immediate)
			iscsi_cmdsn_unreceive(c, cmd);
		cmd_finish(t, cmd);
		iscsi_cmd_put(t, cmd);
		return;
	}
	if (c->rx_action > RX_ACT_CLOSE || !iscsi_core_usable(t)) {
		if (c->rx_action == RX_ACT_CLOSE + 3)
			cmd_local_status(c, cmd, SCSI_STATUS_BUSY, NULL, 0);
		else if (c->rx_action == RX_ACT_CLOSE + 4)
			cmd_local_status(c, cmd, SCSI_STATUS_TASK_SET_FULL, NULL, 0);
		else
			cmd_local_status(c, cmd, SCSI_STATUS_CHECK_CONDITION,
					 sense_invalid_cdb, sizeof(sense_invalid_cdb));
		iscsi_cmd_put(t, cmd);
		return;
	}
	cmd->imm_len = c->hi.data_len;
	cmd->rx_off = cmd->imm_len;
	cmd->rx_bytes = cmd->imm_len;
	if (cmd->dir == MSG_DIR_WRITE && !c->hi.final && !c->sess->p.initial_r2t) {
		uint32_t fb = c->sess->p.first_burst;

		cmd->unsol_open = true;
		cmd->unsol_end = cmd->edtl < fb ? cmd->edtl : fb;
		if (cmd->rx_off >= cmd->unsol_end)
			cmd->unsol_open = false;
	}
	cmd->pdu_done = true;
	if (!cmd->wait_buf && !cmd->held)
		cmd_submit(t, cmd);
	else if (t->bw_head == cmd)
		iscsi_cmd_retry_waiters(t);
	iscsi_cmd_put(t, cmd); /* the read's reference */
}

static void cmd_submit(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	struct iscsi_conn *c = cmd->conn;
	union msg m;

	cmd->tag = iscsi_req_new(t, REQ_CMD, cmd);
	if (!cmd->tag) {
		cmd_local_status(c, cmd, SCSI_STATUS_BUSY, NULL, 0);
		return;
	}
	cmd->in_core = true;
	t->st.commands++;
	cmd_get(cmd); /* the core's reference, dropped at CMD_RSP */
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_CMD;
	m.h.tag = cmd->tag;
	m.cmd.nexus = c->sess->nexus;
	m.cmd.dir = cmd->dir;
	m.cmd.attr = cmd->attr;
	m.cmd.cdb_len = cmd->cdb_len;
	m.cmd.lun = cmd->lun;
	m.cmd.edtl = cmd->edtl;
	m.cmd.imm_len = cmd->imm_len;
	m.cmd.buf = cmd->buf;
	memcpy(m.cmd.cdb, cmd->cdb, cmd->cdb_len);
	iscsi_core_send(t, &m);
}

/* Buffers were freed: hand them to waiting commands, oldest first. */
void iscsi_cmd_retry_waiters(struct iscsi_tgt *t)
{
	struct iscsi_cmd *cmd;

	while ((cmd = t->bw_head)) {
		struct buf_handle buf;

		/* a read into its spill is under way: resume after it */
		if (cmd->conn && cmd->conn->rx_cmd == cmd)
			return;
		memset(&buf, 0, sizeof(buf));
		/* a command without data (released from the CmdSN queue) needs none */
		if (cmd->edtl && pool_alloc(&t->alloc, cmd->edtl, &buf) < 0)
			return;
		t->bw_head = cmd->wnext;
		if (!t->bw_head)
			t->bw_tail = NULL;
		cmd->wnext = NULL;
		cmd->wait_buf = false;
		cmd->buf = buf;
		cmd->data = buf.length ? pool_ptr(&t->c->pool, &buf) : NULL;
		cmd->data_cap = buf.length;
		if (cmd->spill && cmd->data) {
			/* the slow path's one copy: what arrived while waiting */
			memcpy(cmd->data, cmd->spill, cmd->rx_off);
			t->bytes_copied += cmd->rx_off;
			t->spill_bytes -= cmd->spill_len;
			free(cmd->spill);
			cmd->spill = NULL;
		}
		if (cmd->conn && cmd->pdu_done && !cmd->held)
			cmd_submit(t, cmd);
	}
}

void iscsi_cmd_release_held(struct iscsi_tgt *t, struct iscsi_cmd *cmd)
{
	if (!cmd->pdu_done || !cmd->conn)
		return; /* its PDU is still being read: iscsi_cmd_rx_done submits it */
	/* behind every command waiting for a buffer, so the core still gets
	 * this session's commands in CmdSN order */
	cmd->wait_buf = true;
	if (t->bw_tail)
		t->bw_tail->wnext = cmd;
	else
		t->bw_head = cmd;
	t->bw_tail = cmd;
	iscsi_cmd_retry_waiters(t);
}

void iscsi_cmd_drop(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	cmd_finish(c->t, cmd);
}


/* ---- task management ---- */

/* A TMF arrived: commands that came before it but still wait for a buffer
 * never reached the core, so the core cannot abort them; drop them here
 * (no status, as for any aborted task). all_luns for target-wide functions.
 * Returns how many were dropped. */
int iscsi_cmds_abort_waiting(struct iscsi_conn *c, uint64_t lun, bool all_luns,
			     uint32_t itt, bool one)
{
	struct iscsi_cmd *cmd, *n;
	int dropped = 0;

	for (cmd = c->cmds; cmd; cmd = n) {
		n = cmd->next;
		/* held commands: by ITT here, by CmdSN in iscsi_cmdsn_tmf() */
		if (!(cmd->wait_buf || (one && cmd->held)) || c->rx_cmd == cmd)
			continue;
		if (one ? cmd->itt != itt : (!all_luns && cmd->lun != lun))
			continue;
		cmd_finish(c->t, cmd);
		dropped++;
	}
	return dropped;
}

/* ---- connection loss ---- */

void iscsi_cmds_conn_lost(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_cmd *cmd;

	iscsi_erl2_conn_lost(c); /* ERL 2: its tasks in the core wait for reassignment */
	while ((cmd = c->cmds)) {
		/* the core keeps waiting for data it will never get unless told */
		if (cmd->in_core && cmd->xfer)
			send_data_ready(t, cmd, -ECONNRESET);
		cmd_detach(cmd);
		iscsi_cmd_put(t, cmd);
	}
}

void iscsi_cmd_detach(struct iscsi_cmd *cmd)
{
	cmd_detach(cmd);
}

/* ERL 2 (iscsi_erl2.c): a task of a failed connection goes on on c. RFC 7143
 * 7.2.2: Data-In again from the initiator's ExpDataSN, the status with this
 * connection's StatSN, and R2Ts for every byte of write data not yet in. */
void iscsi_cmd_reassigned(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t exp_datasn,
			  const struct msg_cmd_rsp *saved)
{
	struct iscsi_tgt *t = c->t;

	cmd_attach(c, cmd); /* the failed connection's reference moves here */
	if (cmd->st_sent) {
		/* answered on the old connection */
		if (cmd->dir == MSG_DIR_READ && cmd->data && cmd->din_count) {
			uint32_t from = exp_datasn < cmd->din_count ? exp_datasn : cmd->din_count;

			if (cmd->st_in_datain && from == cmd->din_count)
				from = cmd->din_count - 1; /* the status rides in the last one */
			iscsi_datain_emit(c, cmd, from, cmd->din_count, false);
			t->st.retransmits += cmd->din_count - from;
		}
		if (!cmd->st_in_datain || !cmd->data || !cmd->din_count) {
			uint8_t sense[MSG_SENSE_MAX];
			uint8_t slen = cmd->st_sense_len <= sizeof(sense) ? cmd->st_sense_len : 0;

			if (slen)
				memcpy(sense, cmd->st_sense, slen);
			free(cmd->st_sense); /* queue_scsi_rsp keeps a new copy */
			cmd->st_sense = NULL;
			cmd->st_sense_len = 0;
			queue_scsi_rsp(c, cmd, cmd->st_status, sense, slen, cmd->st_rf,
				       cmd->st_residual, cmd->st_expdatasn);
		}
		cmd_finish(t, cmd);
		return;
	}
	if (saved) {
		/* the core answered while it waited: answer now, as usual */
		cmd_get(cmd); /* stands for the core's reference, dropped already */
		iscsi_cmd_rsp(t, cmd, saved);
		return;
	}
	if (cmd->dir != MSG_DIR_WRITE || cmd->data_ready_sent)
		return; /* the core's answer comes here */
	/* data still coming: everything after the part received in order is
	 * asked for again, on this connection */
	uint32_t have = cmd->unsol_open || cmd->r2t_next < cmd->rx_off ? cmd->rx_off :
			cmd->r2t_next;

	for (uint8_t i = 0; i < cmd->nr2t; i++) {
		const struct iscsi_r2t *r = &cmd->r2t[i];
		uint32_t lost = r->lost ? r->lost_at : r->off + r->got;

		if (lost < have)
			have = lost;
	}
	if (have > cmd->data_cap)
		have = cmd->data_cap;
	cmd->nr2t = 0;
	cmd->unsol_open = false;
	cmd->unsol_lost = false;
	if (cmd->unsol_end > have)
		cmd->unsol_end = have;
	cmd->rx_off = have;
	cmd->rx_bytes = have;
	cmd->r2t_next = have;
	if (cmd->xfer)
		write_progress(t, cmd);
}
