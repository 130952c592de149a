/* ErrorRecoveryLevel 1 (RFC 7143 sections 6.7, 7.1-7.9, 11.16): answered
 * commands kept for retransmission until the initiator acknowledges their
 * status (ExpStatSN) or data (DataACK), SNACK requests (Data/R2T, Status,
 * DataACK, R-Data), recovery after a header digest error, and CmdSNs of lost
 * commands kept usable for their retry.
 *
 * Memory is bounded per connection: at most ISCSI_ERL_KEEP_CMDS answered
 * commands and ISCSI_ERL_KEEP_BYTES of their buffers; past that the oldest
 * are released (a SNACK for them is then rejected), so a peer that never
 * acknowledges cannot pin the pool. */
#include "procs/frontend-iscsi/iscsi.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define SNACK_DATA    0
#define SNACK_STATUS  1
#define SNACK_DATAACK 2
#define SNACK_RDATA   3

bool iscsi_erl_on(const struct iscsi_conn *c)
{
	return c && c->sess && c->sess->p.erl >= 1 && c->state == CONN_FFP;
}

static void kept_unlink(struct iscsi_conn *c, struct iscsi_cmd *cmd, struct iscsi_cmd *prev)
{
	if (prev)
		prev->rnext = cmd->rnext;
	else
		c->kept = cmd->rnext;
	if (c->kept_tail == cmd)
		c->kept_tail = prev;
	cmd->rnext = NULL;
	cmd->kept = false;
	c->nkept--;
	c->kept_bytes -= cmd->buf.length;
}

static void kept_release_head(struct iscsi_conn *c)
{
	struct iscsi_cmd *cmd = c->kept;

	kept_unlink(c, cmd, NULL);
	iscsi_cmd_put(c->t, cmd);
}

void iscsi_erl_keep(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	if (cmd->dir != MSG_DIR_READ && cmd->buf.length) {
		/* a write's data is never sent again: only its status is kept */
		pool_free(&c->t->alloc, &cmd->buf);
		memset(&cmd->buf, 0, sizeof(cmd->buf));
		cmd->data = NULL;
		iscsi_conn_pool_freed(c->t);
	}
	cmd->kept = true;
	cmd->rnext = NULL;
	if (c->kept_tail)
		c->kept_tail->rnext = cmd;
	else
		c->kept = cmd;
	c->kept_tail = cmd;
	c->nkept++;
	c->kept_bytes += cmd->buf.length;
	while (c->kept && (c->nkept > ISCSI_ERL_KEEP_CMDS ||
			   c->kept_bytes > ISCSI_ERL_KEEP_BYTES)) {
		log_debug("conn %llu: ITT 0x%x released unacknowledged (bound)",
			  (unsigned long long)c->id, c->kept->itt);
		kept_release_head(c);
	}
}

/* A status is acknowledged once ExpStatSN is past it (RFC 7143 4.2.2.2);
 * that acknowledges its data too. An ExpStatSN ahead of what we sent is
 * ignored. */
void iscsi_erl_ack(struct iscsi_conn *c, uint32_t exp_stat_sn)
{
	if (!c->kept || iscsi_sn_lt(c->stat_sn, exp_stat_sn))
		return;
	/* kept in StatSN order: release from the head */
	while (c->kept && iscsi_sn_lt(c->kept->st_statsn, exp_stat_sn))
		kept_release_head(c);
}

void iscsi_erl_conn_lost(struct iscsi_conn *c)
{
	while (c->kept)
		kept_release_head(c);
	if (c->rec_on) {
		ev_timer_stop(c->t->loop, &c->rec_timer);
		c->rec_on = false;
	}
}

struct iscsi_cmd *iscsi_erl_find(struct iscsi_conn *c, uint32_t itt)
{
	for (struct iscsi_cmd *cmd = c->kept; cmd; cmd = cmd->rnext)
		if (cmd->itt == itt)
			return cmd;
	return NULL;
}

static struct iscsi_cmd *erl_find_statsn(struct iscsi_conn *c, uint32_t sn)
{
	for (struct iscsi_cmd *cmd = c->kept; cmd; cmd = cmd->rnext)
		if (cmd->st_statsn == sn)
			return cmd;
	return NULL;
}

/* ---- status ---- */

/* The status of a kept command again, with its original StatSN: the last
 * Data-In when the status rode in it and the data is still here, else a
 * SCSI Response with the same fields. */
void iscsi_cmd_status_resend(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	struct iscsi_txpdu *p;

	if (cmd->st_in_datain && cmd->data && cmd->din_count) {
		iscsi_datain_emit(c, cmd, cmd->din_count - 1, cmd->din_count, true);
		return;
	}
	p = iscsi_txpdu_new(ISCSI_OP_SCSI_RSP, ISCSI_FLAG_FINAL | cmd->st_rf);
	p->bhs[3] = cmd->st_status;
	iscsi_put32(p->bhs + 16, cmd->itt);
	iscsi_fill_sn(c, p->bhs, false);
	iscsi_put32(p->bhs + 24, cmd->st_statsn);
	iscsi_put32(p->bhs + 36, cmd->st_in_datain ? cmd->din_count : cmd->st_expdatasn);
	iscsi_put32(p->bhs + 44, cmd->st_residual);
	if (cmd->st_sense_len) {
		uint8_t *d = malloc(2u + cmd->st_sense_len);

		if (d) {
			iscsi_put16(d, cmd->st_sense_len);
			memcpy(d + 2, cmd->st_sense, cmd->st_sense_len);
			p->owned = d;
			p->data = d;
			p->dlen = 2u + cmd->st_sense_len;
		}
	}
	c->t->st.retransmits++;
	iscsi_conn_queue(c, p);
}

/* ---- SNACK (RFC 7143 11.16) ---- */

static void snack_reject(struct iscsi_conn *c, const char *why)
{
	log_warn("conn %llu: SNACK refused: %s", (unsigned long long)c->id, why);
	iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, c->bhs);
}

/* [beg, beg + run) within [0, count); run 0 means "to the end". */
static bool run_range(uint32_t beg, uint32_t run, uint32_t count, uint32_t *end)
{
	if (beg >= count)
		return false;
	*end = run == 0 ? count : beg + run;
	if (*end < beg || *end > count)
		return false;
	return true;
}

static void snack_data(struct iscsi_conn *c, uint32_t itt, uint32_t beg, uint32_t run)
{
	struct iscsi_cmd *cmd = iscsi_cmd_find(c, itt);
	uint32_t end;

	if (cmd && cmd->dir == MSG_DIR_WRITE) {
		/* R2T SNACK: R2Ts still outstanding, by R2TSN */
		uint32_t n = 0;

		for (uint8_t i = 0; i < cmd->nr2t; i++) {
			struct iscsi_r2t *r = &cmd->r2t[i];

			if (iscsi_sn_lt(r->r2tsn, beg) ||
			    (run && !iscsi_sn_lt(r->r2tsn, beg + run)))
				continue;
			iscsi_r2t_send(c, cmd, r);
			c->t->st.retransmits++;
			n++;
		}
		if (!n)
			snack_reject(c, "no outstanding R2T in the run");
		return;
	}
	if (!cmd)
		cmd = iscsi_erl_find(c, itt);
	if (!cmd || cmd->dir != MSG_DIR_READ || !cmd->din_count) {
		snack_reject(c, "no Data-In sent for that task");
		return;
	}
	if (!run_range(beg, run, cmd->din_count, &end)) {
		snack_reject(c, "DataSN run out of range");
		return;
	}
	if (!cmd->data || beg < cmd->din_acked) {
		snack_reject(c, "Data-In already acknowledged");
		return;
	}
	iscsi_datain_emit(c, cmd, beg, end, true);
}

static void snack_status(struct iscsi_conn *c, uint32_t beg, uint32_t run)
{
	uint32_t n = 0, sn;

	/* StatSNs we sent run up to c->stat_sn - 1 */
	if (!iscsi_sn_lt(beg, c->stat_sn) ||
	    (run && iscsi_sn_lt(c->stat_sn, beg + run))) {
		snack_reject(c, "StatSN run beyond what was sent");
		return;
	}
	if (run == 0)
		run = c->stat_sn - beg;
	if (run > 2 * ISCSI_ERL_KEEP_CMDS)
		run = 2 * ISCSI_ERL_KEEP_CMDS; /* bounded work per PDU */
	for (sn = beg; sn != beg + run; sn++) {
		struct iscsi_cmd *cmd = erl_find_statsn(c, sn);

		if (cmd) {
			iscsi_cmd_status_resend(c, cmd);
			n++;
		}
	}
	if (!n)
		snack_reject(c, "no status kept in the run");
}

static void snack_dataack(struct iscsi_conn *c, uint32_t ttt, uint32_t beg)
{
	struct iscsi_cmd *cmd;

	for (cmd = c->kept; cmd; cmd = cmd->rnext)
		if (cmd->din_count && cmd->din_ttt == ttt)
			break;
	if (!cmd) {
		/* an acknowledgement for data no longer kept is harmless */
		log_debug("conn %llu: DataACK for TTT 0x%x: nothing kept",
			  (unsigned long long)c->id, ttt);
		return;
	}
	/* BegRun: the next DataSN expected, so all before it arrived */
	if (beg > cmd->din_count || beg < cmd->din_acked) {
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_DATA_ACK, c->bhs);
		return;
	}
	cmd->din_acked = beg;
	/* all data acknowledged and no PDU of it still queued (they hold
	 * references): the buffer goes back to the pool now; the status is
	 * kept until ExpStatSN passes it */
	if (cmd->din_acked == cmd->din_count && cmd->refs == 1 && cmd->buf.length) {
		c->kept_bytes -= cmd->buf.length;
		pool_free(&c->t->alloc, &cmd->buf);
		memset(&cmd->buf, 0, sizeof(cmd->buf));
		cmd->data = NULL;
		iscsi_conn_pool_freed(c->t);
	}
}

void iscsi_rx_snack(struct iscsi_conn *c)
{
	const uint8_t *b = c->bhs;
	uint8_t type = b[1] & 0x0f;
	uint32_t itt = iscsi_get32(b + 16), ttt = iscsi_get32(b + 20);
	uint32_t beg = iscsi_get32(b + 40), run = iscsi_get32(b + 44);

	if (!iscsi_erl_on(c)) {
		/* no SNACK at ErrorRecoveryLevel 0 */
		iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
		return;
	}
	iscsi_erl_ack(c, iscsi_get32(b + 28));
	if (!(b[1] & ISCSI_FLAG_FINAL) || (b[1] & 0x70) || c->hi.data_len) {
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		return;
	}
	c->t->st.snacks++;
	switch (type) {
	case SNACK_DATA:
		snack_data(c, itt, beg, run);
		return;
	case SNACK_STATUS:
		snack_status(c, beg, run);
		return;
	case SNACK_DATAACK:
		snack_dataack(c, ttt, beg);
		return;
	case SNACK_RDATA: {
		struct iscsi_cmd *cmd = iscsi_erl_find(c, itt);

		/* resegmentation: with one connection MaxRecvDataSegmentLength
		 * never changes, so this is every unacknowledged Data-In */
		if (beg || run) {
			snack_reject(c, "R-Data SNACK with BegRun/RunLength");
			return;
		}
		if (!cmd || !cmd->data || !cmd->din_count) {
			snack_reject(c, "R-Data SNACK: no data kept for that task");
			return;
		}
		iscsi_datain_emit(c, cmd, cmd->din_acked, cmd->din_count, true);
		return;
	}
	default:
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		return;
	}
}

/* ---- a lost header ---- */

/* Sequences that did not move since the header was lost get their data
 * asked for again: the lost PDU may have been a sequence's last Data-Out,
 * after which the initiator sends nothing more for it. */
static void rec_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_conn *c = w->data;

	c->rec_on = false;
	if (c->state != CONN_FFP)
		return;
	for (struct iscsi_cmd *cmd = c->cmds; cmd; cmd = cmd->next) {
		if (!cmd->hd_mark)
			continue;
		cmd->hd_mark = false;
		if (cmd->rx_bytes != cmd->hd_snap || cmd->data_ready_sent || cmd->data_err ||
		    c->rx_cmd == cmd)
			continue;
		if (cmd->unsol_open) {
			log_info("conn %llu: ITT 0x%x: unsolicited data stalled after a lost "
				 "header: soliciting it", (unsigned long long)c->id, cmd->itt);
			cmd->unsol_open = false;
			cmd->recoveries++;
		}
		for (uint8_t i = 0; i < cmd->nr2t; i++)
			iscsi_r2t_recover(c, cmd, &cmd->r2t[i]);
		iscsi_cmd_write_progress(c->t, cmd);
	}
}

void iscsi_erl_header_lost(struct iscsi_conn *c)
{
	for (struct iscsi_cmd *cmd = c->cmds; cmd; cmd = cmd->next) {
		if (cmd->dir != MSG_DIR_WRITE || cmd->data_ready_sent)
			continue;
		cmd->hd_mark = true;
		cmd->hd_snap = cmd->rx_bytes;
	}
	if (c->rec_on)
		return;
	ev_timer_init(&c->rec_timer, rec_timer_cb, ISCSI_ERL_RECOVERY_DELAY, 0);
	c->rec_timer.data = c;
	ev_timer_start(c->t->loop, &c->rec_timer);
	c->rec_on = true;
}

/* ---- CmdSN holes ---- */

void iscsi_erl_hole_add(struct iscsi_session *s, uint32_t cmdsn)
{
	if (s->nholes == ISCSI_ERL_HOLES) {
		/* forget the oldest */
		memmove(&s->holes[0], &s->holes[1], (ISCSI_ERL_HOLES - 1) * sizeof(s->holes[0]));
		s->nholes--;
	}
	s->holes[s->nholes++] = cmdsn;
}

bool iscsi_erl_hole_take(struct iscsi_session *s, uint32_t cmdsn)
{
	for (uint8_t i = 0; i < s->nholes; i++) {
		if (s->holes[i] != cmdsn)
			continue;
		memmove(&s->holes[i], &s->holes[i + 1], (size_t)(s->nholes - 1 - i) * sizeof(s->holes[0]));
		s->nholes--;
		return true;
	}
	return false;
}
