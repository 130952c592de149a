/* Receiving Data-Out (RFC 7143 11.7): unsolicited and solicited sequences
 * checked against what was asked (offset, length, TTT, DataSN), data read
 * straight into the command's buffer; lost data (a DataSN gap, a data
 * digest error) fails the task at ERL 0 and is asked for again with a
 * recovery R2T at ERL 1 (iscsi_erl.c has the rest of ERL 1). */
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"


/* A Data-Out of an open sequence with the wrong DataSN: one before it was
 * lost (RFC 7143 7.9 treats it as a digest error on that one). ERL 0 cannot
 * ask for the data again, so the data is skipped, the sequences run to their
 * F bits, and the task ends with CHECK CONDITION (7.8, option b). */
static int dataout_discard(struct iscsi_conn *c, struct iscsi_cmd *cmd, uint32_t got,
			   uint32_t want)
{
	if (!cmd->data_err)
		log_warn("conn %llu: ITT 0x%x: Data-Out DataSN %u, expected %u: data lost, "
			 "task fails", (unsigned long long)c->id, cmd->itt, got, want);
	cmd->data_err = true;
	iscsi_cmd_get(cmd);
	c->rx_cmd = cmd;
	c->rx_dst = NULL;
	return 0;
}

/* ERL >= 1: this Data-Out (of an open sequence) is skipped; its sequence
 * is asked for again once it ends (recovery R2T, or R2Ts for lost
 * unsolicited data). */
static int dataout_skip_lost(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	iscsi_cmd_get(cmd);
	c->rx_cmd = cmd;
	c->rx_dst = NULL;
	c->rx_lost = true;
	return 0;
}

/* The Data-Out just read failed its data digest (its header was sound):
 * RFC 7143 7.8 - Reject and discard; at ERL 0 the task ends as for a lost
 * PDU, at ERL >= 1 the data is asked for again. */
void iscsi_dataout_digest_error(struct iscsi_conn *c)
{
	struct iscsi_cmd *cmd = c->rx_cmd;

	iscsi_send_reject(c, ISCSI_REJECT_DATA_DIGEST, c->bhs);
	if (!cmd)
		return;
	if (iscsi_erl_on(c) && !cmd->data_err) {
		c->rx_lost = true;
		return;
	}
	if (!cmd->data_err)
		log_warn("conn %llu: ITT 0x%x: Data-Out data digest error: task fails",
			 (unsigned long long)c->id, cmd->itt);
	cmd->data_err = true;
}

int iscsi_dataout_rx_start(struct iscsi_conn *c)
{
	const uint8_t *b = c->bhs;
	uint32_t ttt = iscsi_get32(b + 20), off = iscsi_get32(b + 40);
	uint32_t datasn = iscsi_get32(b + 36), len = c->hi.data_len;
	struct iscsi_cmd *cmd = iscsi_cmd_find(c, c->hi.itt);
	bool erl = iscsi_erl_on(c);

	c->rx_lost = false;
	iscsi_erl_ack(c, iscsi_get32(b + 28));
	if (!cmd || cmd->dir != MSG_DIR_WRITE || !cmd->data) {
		/* e.g. the command already failed and was answered: the
		 * initiator may still be sending its unsolicited data */
		log_debug("conn %llu: Data-Out for unknown ITT 0x%x skipped",
			  (unsigned long long)c->id, c->hi.itt);
		return iscsi_rx_skip(c, RX_ACT_IGNORE, 0);
	}
	if (ttt == ISCSI_RSVD_TAG) {
		if (!cmd->unsol_open)
			/* after a recovery the initiator may still be sending
			 * what we gave up on */
			return cmd->recoveries ? iscsi_rx_skip(c, RX_ACT_IGNORE, 0) : -EPROTO;
		if (cmd->unsol_lost)
			return dataout_skip_lost(c, cmd);
		if (datasn != cmd->unsol_datasn || cmd->data_err) {
			if (erl && !cmd->data_err) {
				log_warn("conn %llu: ITT 0x%x: unsolicited DataSN %u, expected %u: "
					 "asked for again", (unsigned long long)c->id, cmd->itt,
					 datasn, cmd->unsol_datasn);
				cmd->unsol_lost = true;
				return dataout_skip_lost(c, cmd);
			}
			return dataout_discard(c, cmd, datasn, cmd->unsol_datasn);
		}
		if (off != cmd->rx_off || len > cmd->unsol_end - off)
			return -EPROTO;
	} else {
		struct iscsi_r2t *r = iscsi_r2t_find(cmd, ttt);

		if (!r)
			return cmd->recoveries ? iscsi_rx_skip(c, RX_ACT_IGNORE, 0) : -EPROTO;
		if (r->lost)
			return dataout_skip_lost(c, cmd);
		if (datasn != r->datasn || cmd->data_err) {
			if (erl && !cmd->data_err) {
				log_warn("conn %llu: ITT 0x%x: DataSN %u, expected %u: "
					 "recovery R2T follows", (unsigned long long)c->id,
					 cmd->itt, datasn, r->datasn);
				r->lost = true;
				r->lost_at = r->off + r->got;
				return dataout_skip_lost(c, cmd);
			}
			return dataout_discard(c, cmd, datasn, r->datasn);
		}
		if (off != r->off + r->got || len > r->len - r->got)
			return -EPROTO;
	}
	if ((uint64_t)off + len > cmd->data_cap)
		return -EPROTO;
	iscsi_cmd_get(cmd);
	c->rx_cmd = cmd;
	c->rx_dst = cmd->data + off;
	return 0;
}

/* The end of a Data-Out whose data is not used (ERL >= 1): when its
 * sequence ends, ask for what was lost. */
static void dataout_lost_done(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	uint32_t ttt = iscsi_get32(c->bhs + 20), off = iscsi_get32(c->bhs + 40);
	uint32_t len = c->hi.data_len;

	if (ttt == ISCSI_RSVD_TAG) {
		if (!cmd->unsol_lost) {
			/* digest error on a Data-Out that was in order */
			cmd->unsol_lost = true;
			log_warn("conn %llu: ITT 0x%x: unsolicited data at %u lost: "
				 "asked for again", (unsigned long long)c->id, cmd->itt, off);
		}
		/* rx_off stays where the loss began: R2Ts start there */
		if (c->hi.final || (uint64_t)off + len >= cmd->unsol_end) {
			cmd->unsol_open = false;
			cmd->recoveries++;
		}
		return;
	}
	struct iscsi_r2t *r = iscsi_r2t_find(cmd, ttt);

	if (!r)
		return;
	if (!r->lost) {
		r->lost = true;
		r->lost_at = r->off + r->got;
	}
	if (c->hi.final || (uint64_t)off + len >= (uint64_t)r->off + r->len)
		iscsi_r2t_recover(c, cmd, r);
}

void iscsi_dataout_rx_done(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_cmd *cmd = c->rx_cmd;
	uint32_t len = c->hi.data_len;

	if (!cmd)
		return;
	c->rx_cmd = NULL;
	if (c->rx_lost && !cmd->data_err) {
		c->rx_lost = false;
		dataout_lost_done(c, cmd);
		iscsi_cmd_write_progress(t, cmd);
		iscsi_cmd_put(t, cmd);
		return;
	}
	c->rx_lost = false;
	if (cmd->data_err) {
		/* discarded: only the F bits matter now */
		if (iscsi_get32(c->bhs + 20) == ISCSI_RSVD_TAG) {
			if (c->hi.final)
				cmd->unsol_open = false;
		} else if (c->hi.final) {
			struct iscsi_r2t *r = iscsi_r2t_find(cmd, iscsi_get32(c->bhs + 20));

			if (r)
				iscsi_r2t_remove(cmd, r);
		}
		iscsi_cmd_write_progress(t, cmd);
		if (cmd->wait_buf && t->bw_head == cmd)
			iscsi_cmd_retry_waiters(t);
		iscsi_cmd_put(t, cmd);
		return;
	}
	cmd->rx_bytes += len;
	if (iscsi_get32(c->bhs + 20) == ISCSI_RSVD_TAG) {
		cmd->rx_off += len;
		cmd->unsol_datasn++;
		if (c->hi.final || cmd->rx_off >= cmd->unsol_end)
			cmd->unsol_open = false;
	} else {
		struct iscsi_r2t *r = iscsi_r2t_find(cmd, iscsi_get32(c->bhs + 20));

		r->got += len;
		r->datasn++;
		if (r->got == r->len || c->hi.final) {
			if (r->got != r->len) {
				iscsi_cmd_put(t, cmd);
				iscsi_conn_close(c, "Data-Out sequence ended early");
				return;
			}
			iscsi_r2t_remove(cmd, r);
		}
	}
	iscsi_cmd_write_progress(t, cmd);
	if (cmd->wait_buf && t->bw_head == cmd)
		iscsi_cmd_retry_waiters(t);
	iscsi_cmd_put(t, cmd);
}
