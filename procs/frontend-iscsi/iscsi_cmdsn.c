/* CmdSN ordering (RFC 7143 3.2.2.1, 4.2.2.1): non-immediate PDUs reach the
 * SCSI layer in CmdSN order. One arriving ahead of ExpCmdSN but inside the
 * window waits here (a SCSI command as a held iscsi_cmd that still receives
 * its data, any other PDU as a copy of header and data) until the CmdSNs
 * before it have come; one outside the window is silently ignored.
 * ExpCmdSN moves only over contiguous CmdSNs; what waits counts against
 * the window (s->active), so MaxCmdSN stays the real capacity. */
#include "procs/frontend-iscsi/iscsi.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The window never spans more than ISCSI_QDEPTH (+1 after a rollback), so
 * a slot per CmdSN modulo twice that cannot collide. */
#define OQ_RING (2 * ISCSI_QDEPTH)

enum oq_kind { OQ_EMPTY = 0, OQ_CMD, OQ_PDU, OQ_SKIP };

struct oq_pdu {
	struct iscsi_conn *conn;   /* it came on (and is answered on) */
	uint8_t  bhs[ISCSI_BHS_LEN];
	uint8_t *data;
	uint32_t dlen;
};

struct oq_slot {
	uint8_t kind;
	struct iscsi_cmd *cmd;
	struct oq_pdu *pdu;
};

struct iscsi_cmdsn_q {
	struct oq_slot s[OQ_RING];
	uint32_t n;          /* slots in use */
	uint32_t pdu_bytes;  /* data of kept PDUs */
	bool     replay;     /* a kept PDU is being run: it is in order */
};

static struct oq_slot *slot_of(struct iscsi_cmdsn_q *q, uint32_t sn)
{
	return &q->s[sn % OQ_RING];
}

static struct iscsi_cmdsn_q *queue_get(struct iscsi_session *s)
{
	if (!s->oq)
		s->oq = calloc(1, sizeof(*s->oq));
	return s->oq;
}

static void slot_clear(struct iscsi_cmdsn_q *q, struct oq_slot *sl)
{
	if (sl->kind == OQ_EMPTY)
		return;
	if (sl->pdu) {
		q->pdu_bytes -= sl->pdu->dlen;
		free(sl->pdu->data);
		free(sl->pdu);
	}
	memset(sl, 0, sizeof(*sl));
	q->n--;
}

uint32_t iscsi_cmdsn_queued(const struct iscsi_session *s)
{
	return s && s->oq ? s->oq->n : 0;
}

static enum iscsi_sn_verdict check(struct iscsi_conn *c, uint32_t cmdsn, bool immediate)
{
	struct iscsi_session *s = c->sess;

	if (immediate)
		return ISCSI_SN_NOW; /* immediate PDUs carry CmdSN without using it */
	if (s->oq && s->oq->replay)
		return ISCSI_SN_NOW; /* its turn: ExpCmdSN already moved past it */
	/* ERL >= 1: a command lost to a digest error is retried with its
	 * CmdSN, now behind ExpCmdSN */
	if (s->nholes && iscsi_sn_lt(cmdsn, s->exp_cmd_sn) && iscsi_erl_hole_take(s, cmdsn)) {
		log_info("conn %llu: CmdSN %u: retried command accepted",
			 (unsigned long long)c->id, cmdsn);
		return ISCSI_SN_NOW;
	}
	if (iscsi_sn_lt(cmdsn, s->exp_cmd_sn) || iscsi_sn_lt(s->max_cmd_sn, cmdsn) ||
	    cmdsn - s->exp_cmd_sn >= OQ_RING) {
		log_warn("conn %llu: CmdSN %u outside [%u, %u], ignored",
			 (unsigned long long)c->id, cmdsn, s->exp_cmd_sn, s->max_cmd_sn);
		return ISCSI_SN_DROP;
	}
	if (cmdsn == s->exp_cmd_sn) {
		if (s->oq && slot_of(s->oq, cmdsn)->kind != OQ_EMPTY) {
			/* considered received already (ABORT TASK, a TMF) */
			log_warn("conn %llu: CmdSN %u already taken, ignored",
				 (unsigned long long)c->id, cmdsn);
			return ISCSI_SN_DROP;
		}
		s->exp_cmd_sn = cmdsn + 1;
		return ISCSI_SN_NOW;
	}
	if (!queue_get(s))
		return ISCSI_SN_DROP; /* no memory: as if lost; the initiator retries */
	if (slot_of(s->oq, cmdsn)->kind != OQ_EMPTY) {
		log_warn("conn %llu: CmdSN %u already waiting, duplicate ignored",
			 (unsigned long long)c->id, cmdsn);
		return ISCSI_SN_DROP;
	}
	log_info("conn %llu: CmdSN %u ahead of %u: waits for its turn",
		 (unsigned long long)c->id, cmdsn, s->exp_cmd_sn);
	return ISCSI_SN_QUEUE;
}

enum iscsi_sn_verdict iscsi_cmdsn_check(struct iscsi_conn *c, uint32_t cmdsn, bool immediate)
{
	return check(c, cmdsn, immediate);
}

void iscsi_cmdsn_hold(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	struct iscsi_cmdsn_q *q = c->sess->oq;
	struct oq_slot *sl = slot_of(q, cmd->cmdsn);

	sl->kind = OQ_CMD;
	sl->cmd = cmd;
	q->n++;
	cmd->held = true;
}

void iscsi_cmdsn_unhold(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	struct iscsi_cmdsn_q *q = c->sess ? c->sess->oq : NULL;
	struct oq_slot *sl;

	cmd->held = false;
	if (!q)
		return;
	sl = slot_of(q, cmd->cmdsn);
	if (sl->kind == OQ_CMD && sl->cmd == cmd) {
		sl->kind = OQ_SKIP; /* its CmdSN was received: do not wait for it */
		sl->cmd = NULL;
	}
}

bool iscsi_cmdsn_accept(struct iscsi_conn *c, uint32_t cmdsn, bool immediate)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmdsn_q *q;
	struct oq_pdu *p;
	enum iscsi_sn_verdict v = check(c, cmdsn, immediate);

	if (v != ISCSI_SN_QUEUE)
		return v == ISCSI_SN_NOW;
	q = s->oq;
	if (q->pdu_bytes + c->hi.data_len > ISCSI_OOQ_BYTES) {
		/* an initiator piling up pings and texts behind a gap */
		log_warn("conn %llu: %u bytes of PDUs wait behind CmdSN %u",
			 (unsigned long long)c->id, q->pdu_bytes, s->exp_cmd_sn);
		c->t->st.protocol_closes++;
		iscsi_conn_close(c, "too much data waiting for a missing CmdSN");
		return false;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return false;
	p->conn = c;
	memcpy(p->bhs, c->bhs, ISCSI_BHS_LEN);
	if (c->hi.data_len && c->rx_buf) {
		p->data = c->rx_buf; /* taken: rx_pdu frees only what is left */
		c->rx_buf = NULL;
		p->dlen = c->hi.data_len;
	}
	struct oq_slot *sl = slot_of(q, cmdsn);

	sl->kind = OQ_PDU;
	sl->pdu = p;
	q->n++;
	q->pdu_bytes += p->dlen;
	s->active++; /* it holds a window slot like a command */
	return false;
}

/* Run a kept non-SCSI PDU as if it had just arrived, in order, on the
 * connection it came on (which may be in the middle of another PDU: what
 * it is receiving is put aside and back). */
static void replay(struct iscsi_conn *c, struct oq_pdu *p)
{
	struct iscsi_cmdsn_q *q = c->sess->oq;
	uint8_t save_bhs[ISCSI_BHS_LEN];
	struct iscsi_bhs_info save_hi = c->hi;
	uint8_t *save_buf = c->rx_buf;

	memcpy(save_bhs, c->bhs, ISCSI_BHS_LEN);
	memcpy(c->bhs, p->bhs, ISCSI_BHS_LEN);
	iscsi_bhs_decode(c->bhs, &c->hi);
	c->rx_buf = p->data;
	p->data = NULL;
	q->replay = true;
	switch (c->hi.opcode) {
	case ISCSI_OP_NOP_OUT:
		iscsi_rx_nop_out(c, c->rx_buf);
		break;
	case ISCSI_OP_TMF_REQ:
		iscsi_rx_tmf(c);
		break;
	case ISCSI_OP_TEXT_REQ:
		iscsi_rx_text(c, c->rx_buf);
		break;
	case ISCSI_OP_LOGOUT_REQ:
		iscsi_rx_logout(c);
		break;
	default:
		break; /* only those four are kept */
	}
	/* the connection may be gone now (a logout, a bad PDU) */
	if (c->sess && c->sess->oq)
		c->sess->oq->replay = false;
	free(c->rx_buf);
	c->rx_buf = save_buf;
	memcpy(c->bhs, save_bhs, ISCSI_BHS_LEN);
	c->hi = save_hi;
}

void iscsi_cmdsn_drain(struct iscsi_conn *c)
{
	struct iscsi_session *s = c->sess;

	for (uint32_t k = 0; k < OQ_RING; k++) {
		struct iscsi_cmdsn_q *q;
		struct oq_slot *sl;
		struct iscsi_cmd *cmd;
		struct oq_pdu *p;

		if (c->state != CONN_FFP || !(s = c->sess) || !(q = s->oq) || !q->n)
			return;
		sl = slot_of(q, s->exp_cmd_sn);
		switch (sl->kind) {
		case OQ_SKIP:
			slot_clear(q, sl);
			s->exp_cmd_sn++;
			break;
		case OQ_CMD:
			cmd = sl->cmd;
			sl->kind = OQ_SKIP;
			sl->cmd = NULL;
			slot_clear(q, sl);
			s->exp_cmd_sn++;
			cmd->held = false;
			iscsi_cmd_release_held(c->t, cmd);
			break;
		case OQ_PDU:
			p = sl->pdu;
			sl->pdu = NULL;
			q->pdu_bytes -= p->dlen;
			sl->kind = OQ_SKIP;
			slot_clear(q, sl);
			s->exp_cmd_sn++;
			if (s->active)
				s->active--; /* its answer advertises the slot */
			if (p->conn && p->conn->state == CONN_FFP && p->conn->sess == s)
				replay(p->conn, p);
			free(p->data);
			free(p);
			break;
		default:
			return; /* a gap: wait for it */
		}
	}
}

void iscsi_cmdsn_unreceive(struct iscsi_conn *c, struct iscsi_cmd *cmd)
{
	struct iscsi_session *s = c->sess;

	if (cmd->held) {
		/* its slot is free again for the retry */
		struct oq_slot *sl = slot_of(s->oq, cmd->cmdsn);

		cmd->held = false;
		if (sl->kind == OQ_CMD && sl->cmd == cmd)
			slot_clear(s->oq, sl);
		return;
	}
	/* nothing ran after it yet (the queue drains only between PDUs): the
	 * CmdSN is simply expected again, and what follows keeps waiting */
	if (s->exp_cmd_sn == cmd->cmdsn + 1) {
		s->exp_cmd_sn = cmd->cmdsn;
		return;
	}
	iscsi_erl_hole_add(s, cmd->cmdsn);
}

bool iscsi_cmdsn_skip(struct iscsi_conn *c, uint32_t cmdsn)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmdsn_q *q;
	struct oq_slot *sl;

	if (iscsi_sn_lt(cmdsn, s->exp_cmd_sn))
		return true;
	if (cmdsn - s->exp_cmd_sn >= OQ_RING)
		return false;
	if (cmdsn == s->exp_cmd_sn && !(s->oq && s->oq->n)) {
		s->exp_cmd_sn++;
		return true;
	}
	if (!(q = queue_get(s)))
		return false;
	sl = slot_of(q, cmdsn);
	if (sl->kind == OQ_SKIP)
		return true;
	if (sl->kind != OQ_EMPTY)
		return false;
	sl->kind = OQ_SKIP; /* drained when ExpCmdSN reaches it */
	q->n++;
	return true;
}

int iscsi_cmdsn_tmf(struct iscsi_conn *c, uint64_t lun, bool all_luns, uint32_t tmf_cmdsn)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmdsn_q *q = s->oq;
	int dropped = 0;

	if (!q || !q->n)
		return 0;
	/* only what the initiator sent before the TMF: CmdSN below its own */
	for (uint32_t sn = s->exp_cmd_sn, k = 0;
	     k < OQ_RING && iscsi_sn_lt(sn, tmf_cmdsn) && iscsi_sn_le(sn, s->max_cmd_sn);
	     sn++, k++) {
		struct oq_slot *sl = slot_of(q, sn);

		if (sl->kind == OQ_EMPTY) {
			/* never arrived: covered by the TMF, a late copy is dropped */
			sl->kind = OQ_SKIP;
			q->n++;
		} else if (sl->kind == OQ_CMD && (all_luns || sl->cmd->lun == lun)) {
			iscsi_cmd_drop(c, sl->cmd); /* unhold marks the slot */
			dropped++;
		}
	}
	return dropped;
}

void iscsi_cmdsn_flush(struct iscsi_conn *c, bool all)
{
	struct iscsi_session *s = c->sess;
	struct iscsi_cmdsn_q *q = s ? s->oq : NULL;
	uint32_t n = 0;

	if (!q || !q->n)
		return;
	for (uint32_t i = 0; i < OQ_RING; i++) {
		struct oq_slot *sl = &q->s[i];

		if (sl->kind == OQ_CMD && (all || sl->cmd->conn == c)) {
			iscsi_cmd_drop(c, sl->cmd); /* unhold: the slot counts as received */
			n++;
		} else if (sl->kind == OQ_PDU && (all || sl->pdu->conn == c)) {
			if (s->active)
				s->active--;
			slot_clear(q, sl);
			sl->kind = OQ_SKIP;
			q->n++;
			n++;
		}
		if (all)
			slot_clear(q, sl);
	}
	if (n)
		log_info("conn %llu: %u PDUs waiting behind CmdSN %u dropped",
			 (unsigned long long)c->id, n, s->exp_cmd_sn);
}

void iscsi_cmdsn_conn_gone(struct iscsi_session *s, struct iscsi_conn *c)
{
	struct iscsi_cmdsn_q *q = s->oq;

	/* its held commands left with it (unhold); its kept PDUs go too */
	for (uint32_t i = 0; q && q->n && i < OQ_RING; i++) {
		struct oq_slot *sl = &q->s[i];

		if (sl->kind != OQ_PDU || sl->pdu->conn != c)
			continue;
		if (s->active)
			s->active--;
		slot_clear(q, sl);
		sl->kind = OQ_SKIP; /* received, never to run */
		q->n++;
	}
}

void iscsi_cmdsn_free(struct iscsi_session *s)
{
	struct iscsi_cmdsn_q *q = s->oq;

	if (!q)
		return;
	for (uint32_t i = 0; i < OQ_RING && q->n; i++) {
		struct oq_slot *sl = &q->s[i];

		if (sl->kind == OQ_CMD)
			sl->cmd->held = false; /* the connection frees it */
		slot_clear(q, sl);
	}
	free(q);
	s->oq = NULL;
}
