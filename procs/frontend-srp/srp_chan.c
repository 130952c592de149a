/* RDMA channels and sessions: the login (checks in the order that picks the
 * right reject reason), single- and multi-channel semantics, credits,
 * receive/send buffers, dispatch of received IUs, T_LOGOUT and teardown. An
 * I_T nexus (initiator port id, target port) is one session at the core, and
 * the channels of a multi-channel login share it. */
#include "procs/frontend-srp/srp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define WR_RECV ((uint64_t)SRP_WR_RECV_TYPE)
#define WR_SEND 2ull
#define WR_RDMA 3ull
#define WR_TYPE(w) ((w) >> 56)
#define WR_VAL(w)  ((w) & ((1ull << 56) - 1))

static void chan_release_maybe(struct srp_chan *ch);

/* ---- sessions ---- */

static uint64_t port_hash48(const uint8_t *id)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < SRP_PORT_ID_LEN; i++)
		h = (h ^ id[i]) * 1099511628211ull;
	return h & 0xffffffffffffull;
}

static struct srp_sess *sess_find(struct srp_tgt *t, struct srp_port *p, const uint8_t *ini)
{
	for (struct srp_sess *s = t->sessions; s; s = s->next)
		if (s->port == p && s->state != SS_DEAD && !memcmp(s->ini, ini, SRP_PORT_ID_LEN))
			return s;
	return NULL;
}

static void sess_unlink(struct srp_sess *s)
{
	struct srp_tgt *t = s->t;

	if (s->prev)
		s->prev->next = s->next;
	else if (t->sessions == s)
		t->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

__attribute__((noinline)) void srp_sess_put(struct srp_sess *s)
{
	if (--s->refs)
		return;
	free(s);
}

/* The last channel is gone: the nexus ends (the core aborts its commands). */
static void sess_end(struct srp_sess *s)
{
	struct srp_tgt *t = s->t;

	if (s->state == SS_DEAD)
		return;
	if (s->state == SS_LIVE) {
		union msg m = { 0 };

		m.nexus_del.h.type = MSG_NEXUS_DEL;
		m.nexus_del.h.epoch = t->c->epoch;
		m.nexus_del.nexus = s->nexus;
		fe_link_send(&t->fl, &m);
	}
	/* an ADDING session ends when NEXUS_ADDED comes back */
	if (s->state == SS_LIVE)
		log_info("session %s: ended", s->ini_name);
	s->state = s->state == SS_ADDING ? SS_ADDING : SS_DEAD;
	if (s->state == SS_DEAD) {
		sess_unlink(s);
		srp_sess_put(s);
	}
}

static struct srp_sess *sess_new(struct srp_tgt *t, struct srp_port *p, const uint8_t *ini)
{
	struct srp_sess *s = calloc(1, sizeof(*s));
	uint8_t *names;
	union msg m = { 0 };
	size_t a, b;
	int r;

	if (!s)
		return NULL;
	s->t = t;
	s->port = p;
	memcpy(s->ini, ini, SRP_PORT_ID_LEN);
	srp_port_id_str(ini, s->ini_name);
	s->state = SS_ADDING;
	s->refs = 1;
	s->nexus = t->next_nexus++;
	if (!t->next_nexus)
		t->next_nexus = 1;
	r = pool_alloc(&t->alloc, MSG_NAME_MAX * 2, &m.nexus_add.buf);
	if (r < 0) {
		free(s);
		return NULL;
	}
	names = pool_ptr(&t->c->pool, &m.nexus_add.buf);
	a = strlen(s->ini_name) + 1;
	b = strlen(p->target) + 1;
	memcpy(names, s->ini_name, a);
	memcpy(names + a, p->target, b);
	m.nexus_add.buf.length = (uint32_t)(a + b);
	m.nexus_add.h.type = MSG_NEXUS_ADD;
#ifdef MSG_NEXUS_ASYNC
	/* the core announces unit attentions of this nexus (AER_REQ) */
	m.nexus_add.h.flags |= MSG_NEXUS_ASYNC;
#endif
	m.nexus_add.h.epoch = t->c->epoch;
	m.nexus_add.nexus = s->nexus;
	/* the I_T nexus is (initiator port, target port): the target port
	 * stands where iSCSI has the ISID, so PR and UA keep them apart */
	m.nexus_add.isid = port_hash48(p->id);
	m.nexus_add.h.tag = fe_req_new(&t->fl, SRQ_NEXUS, s);
	if (!m.nexus_add.h.tag) {
		pool_free(&t->alloc, &m.nexus_add.buf);
		free(s);
		return NULL;
	}
	s->nexus_tag = m.nexus_add.h.tag;
	s->names = m.nexus_add.buf;
	/* the names buffer is freed when the answer comes (the core reads it) */
	s->refs++;
	fe_link_send(&t->fl, &m);
	s->next = t->sessions;
	if (t->sessions)
		t->sessions->prev = s;
	t->sessions = s;
	return s;
}

/* ---- sending ---- */

uint32_t srp_chan_take_delta(struct srp_chan *ch)
{
	uint32_t d = ch->delta;

	ch->delta = 0;
	ch->req_lim += d;
	return d;
}

static uint8_t *send_buf(struct srp_chan *ch, uint32_t i)
{
	return ch->iu_mem + (size_t)ch->nrecv * ch->it_len + (size_t)i * ch->ti_len;
}

static bool post_send(struct srp_chan *ch, const uint8_t *iu, uint32_t len, struct srp_cmd *cmd)
{
	uint32_t i;
	uint8_t *b;

	if (!ch->nsend_free)
		return false;
	i = ch->send_free[--ch->nsend_free];
	b = send_buf(ch, i);
	memcpy(b, iu, len);
	/* the command rides in the send slot's bookkeeping */
	ch->wr_out++;
	ch->send_cmd[i] = cmd;
	ch->port->ops->send(ch->xc, WR_SEND << 56 | i, b, len);
	return true;
}

void srp_chan_send(struct srp_chan *ch, const uint8_t *iu, uint32_t len, struct srp_cmd *cmd)
{
	struct srp_txiu *q;

	if (len > ch->ti_len)
		len = ch->ti_len;
	if (!ch->txq && ch->state != CH_CLOSING && post_send(ch, iu, len, cmd))
		return;
	if (ch->state == CH_CLOSING) {
		if (cmd)
			srp_cmd_send_done(cmd);
		return;
	}
	q = malloc(sizeof(*q) + len);
	if (!q) {
		srp_chan_close(ch, SRP_TLO_SILENT, "out of memory");
		if (cmd)
			srp_cmd_send_done(cmd);
		return;
	}
	q->next = NULL;
	q->cmd = cmd;
	q->len = len;
	memcpy(q->iu, iu, len);
	if (ch->txq_tail)
		ch->txq_tail->next = q;
	else
		ch->txq = q;
	ch->txq_tail = q;
}

static void txq_flush(struct srp_chan *ch)
{
	while (ch->txq && post_send(ch, ch->txq->iu, ch->txq->len, ch->txq->cmd)) {
		struct srp_txiu *q = ch->txq;

		ch->txq = q->next;
		if (!ch->txq)
			ch->txq_tail = NULL;
		free(q);
	}
}

/* ---- channel lifetime ---- */

static void chan_unlink(struct srp_chan *ch)
{
	struct srp_tgt *t = ch->t;
	struct srp_sess *s = ch->sess;

	if (ch->prev)
		ch->prev->next = ch->next;
	else if (t->chans == ch)
		t->chans = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	ch->prev = ch->next = NULL;
	t->nchans--;
	if (s) {
		struct srp_chan **pp;

		for (pp = &s->chans; *pp; pp = &(*pp)->snext)
			if (*pp == ch) {
				*pp = ch->snext;
				s->nchans--;
				break;
			}
		ch->sess = NULL;
		if (!s->nchans)
			sess_end(s);
		srp_sess_put(s);
	}
}

void srp_chan_close(struct srp_chan *ch, uint32_t reason, const char *why)
{
	struct srp_cmd *c, *n;

	if (ch->state == CH_CLOSING)
		return;
	log_info("channel %llu (%s): closing: %s", (unsigned long long)ch->id,
		 ch->sess ? ch->sess->ini_name : "login", why);
	if (ch->state == CH_LIVE && reason != SRP_TLO_SILENT) {
		uint8_t iu[SRP_T_LOGOUT_LEN];

		/* say why before the connection goes (best effort: the IU may
		 * be flushed if the initiator disconnects first) */
		srp_encode_t_logout(iu, reason);
		txq_flush(ch);
		post_send(ch, iu, sizeof(iu), NULL);
		ch->t->st.t_logouts++;
	}
	ch->state = CH_CLOSING;
	while (ch->txq) {
		struct srp_txiu *q = ch->txq;

		ch->txq = q->next;
		if (q->cmd)
			srp_cmd_send_done(q->cmd);
		free(q);
	}
	ch->txq_tail = NULL;
	for (c = ch->cmds; c; c = n) {
		n = c->next;
		srp_cmd_chan_gone(c);
	}
	if (!ch->disconnected)
		ch->port->ops->disconnect(ch->xc);
	chan_unlink(ch);
	chan_release_maybe(ch);
}

static void chan_release_maybe(struct srp_chan *ch)
{
	if (ch->released || ch->state != CH_CLOSING || !ch->disconnected || ch->wr_out)
		return;
	ch->released = true;
	ch->port->ops->release(ch->xc);
	free(ch->iu_mem);
	free(ch->send_free);
	free(ch->send_cmd);
	free(ch);
}

void srp_all_close(struct srp_tgt *t, const char *why)
{
	struct srp_chan *ch, *n;

	for (ch = t->chans; ch; ch = n) {
		n = ch->next;
		srp_chan_close(ch, SRP_TLO_NONE, why);
	}
}

/* ---- login ---- */

static void reject(struct srp_port *p, struct srp_xconn *xc, uint64_t tag, uint32_t reason,
		   const char *why)
{
	uint8_t iu[SRP_LOGIN_REJ_LEN];
	char ini[35] = "?";

	srp_encode_login_rej(iu, tag, reason, SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT);
	log_warn("%s: login rejected (%#x): %s", p->name, reason, why);
	(void)ini;
	p->t->st.rejects++;
	p->ops->reject(xc, iu, sizeof(iu));
}

static void chan_reject(struct srp_chan *ch, uint32_t reason, const char *why)
{
	struct srp_tgt *t = ch->t;

	reject(ch->port, ch->xc, ch->req.tag, reason, why);
	ch->xc = NULL;
	/* the transport freed the connection: nothing is posted on it */
	if (ch->prev || t->chans == ch) {
		if (ch->prev)
			ch->prev->next = ch->next;
		else
			t->chans = ch->next;
		if (ch->next)
			ch->next->prev = ch->prev;
		t->nchans--;
	}
	if (ch->sess) {
		struct srp_chan **pp;
		struct srp_sess *s = ch->sess;

		for (pp = &s->chans; *pp; pp = &(*pp)->snext)
			if (*pp == ch) {
				*pp = ch->snext;
				s->nchans--;
				break;
			}
		if (!s->nchans)
			sess_end(s);
		srp_sess_put(s);
	}
	free(ch->iu_mem);
	free(ch->send_free);
	free(ch->send_cmd);
	free(ch);
}

/* IU buffers and posted receives of a channel; false: no memory. */
static bool chan_buffers(struct srp_chan *ch)
{
	struct srp_tgt *t = ch->t;
	size_t bytes;

	ch->nrecv = t->lim.credits + 4; /* slack for I_LOGOUT, CRED_RSP, AER_RSP */
	ch->nsend = t->lim.credits + 8; /* RSPs are bounded by credits; plus T_LOGOUT, CRED_REQ */
	bytes = (size_t)ch->nrecv * ch->it_len + (size_t)ch->nsend * ch->ti_len;
	ch->iu_mem = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	ch->send_free = calloc(ch->nsend, sizeof(uint32_t));
	ch->send_cmd = calloc(ch->nsend, sizeof(struct srp_cmd *));
	if (!ch->iu_mem || !ch->send_free || !ch->send_cmd ||
	    ch->port->ops->reg(ch->port->x, ch->iu_mem, bytes) < 0)
		return false;
	for (uint32_t i = 0; i < ch->nsend; i++)
		ch->send_free[ch->nsend_free++] = ch->nsend - 1 - i;
	for (uint32_t i = 0; i < ch->nrecv; i++) {
		if (ch->port->ops->post_recv(ch->xc, WR_RECV << 56 | i,
					     ch->iu_mem + (size_t)i * ch->it_len, ch->it_len) < 0)
			return false;
		ch->wr_out++;
	}
	return true;
}

/* Buffers, receives, then the LOGIN_RSP. */
static void chan_go_live(struct srp_chan *ch)
{
	struct srp_tgt *t = ch->t;
	uint8_t iu[SRP_LOGIN_RSP_LEN];

	if (!chan_buffers(ch)) {
		chan_reject(ch, SRP_REJ_NO_RESOURCES, "no memory for the channel's buffers");
		return;
	}
	ch->req_lim = t->lim.credits;
	srp_encode_login_rsp(iu, ch->req.tag, t->lim.credits, ch->it_len, ch->ti_len,
			     ch->formats, ch->rsp_flags);
	ch->state = CH_LIVE;
	t->st.logins++;
	log_info("%s: channel %llu of %s logged in (%s, %u credits, IU %u/%u%s)", ch->port->name,
		 (unsigned long long)ch->id, ch->sess->ini_name,
		 (ch->req.flags & SRP_LOGIN_MULTICHAN_MASK) ? "multi-channel" : "single-channel",
		 t->lim.credits, ch->it_len, ch->ti_len, ch->imm_off ? ", immediate data" : "");
	if (ch->port->ops->accept(ch->xc, iu, sizeof(iu)) < 0)
		srp_chan_close(ch, SRP_TLO_SILENT, "connection gone during login");
}

/* ---- live upgrade: a session and its channels from the old instance ---- */

struct srp_sess *srp_sess_adopt(struct srp_tgt *t, struct srp_port *p, const uint8_t *ini,
				uint32_t nexus, uint64_t aer_tag)
{
	struct srp_sess *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->t = t;
	s->port = p;
	memcpy(s->ini, ini, SRP_PORT_ID_LEN);
	srp_port_id_str(ini, s->ini_name);
	s->state = SS_LIVE;
	s->refs = 1; /* the list's; each channel adds its own */
	s->nexus = nexus;
	s->next_aer_tag = aer_tag;
	s->next = t->sessions;
	if (t->sessions)
		t->sessions->prev = s;
	t->sessions = s;
	return s;
}

/* A live channel on an adopted connection: credits as the initiator knows
 * them, fresh buffers and receives, no LOGIN_RSP (it logged in long ago).
 * NULL: no memory (the caller refuses the handover). */
struct srp_chan *srp_chan_adopt(struct srp_port *p, struct srp_xconn *xc, struct srp_sess *s,
				const struct srp_chan *st)
{
	struct srp_tgt *t = p->t;
	struct srp_chan *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->t = t;
	ch->port = p;
	ch->xc = xc;
	ch->id = st->id;
	ch->req = st->req;
	ch->it_len = st->it_len;
	ch->ti_len = st->ti_len;
	ch->formats = st->formats;
	ch->imm_off = st->imm_off;
	ch->rsp_flags = st->rsp_flags;
	ch->state = CH_LIVE;
	xc->user = ch;
	if (!chan_buffers(ch)) {
		/* The handover is refused and this instance killed: never
		 * disconnect, the old instance still serves the connection.
		 * What it posted names ch: it stays. */
		return NULL;
	}
	ch->req_lim = st->req_lim;
	ch->delta = st->delta;
	ch->sess = s;
	s->refs++;
	ch->snext = s->chans;
	s->chans = ch;
	s->nchans++;
	ch->next = t->chans;
	if (t->chans)
		t->chans->prev = ch;
	t->chans = ch;
	t->nchans++;
	if (ch->id > t->next_chan_id)
		t->next_chan_id = ch->id;
	return ch;
}

void srp_sess_nexus_added(struct srp_tgt *t, struct srp_sess *s, int result)
{
	struct srp_chan *ch, *n;

	s->nexus_tag = 0;
	/* the core has read the names */
	pool_free(&t->alloc, &s->names);
	if (s->state == SS_ADDING && result == 0 && s->nchans) {
		s->state = SS_LIVE;
		for (ch = s->chans; ch; ch = n) {
			n = ch->snext;
			if (ch->state == CH_LOGIN)
				chan_go_live(ch);
		}
	} else {
		bool was_adding = s->state == SS_ADDING;

		if (result == 0 && was_adding) {
			/* every channel left while the core was adding it */
			s->state = SS_LIVE;
			sess_end(s);
		} else {
			/* -ENOENT and -EACCES alike: nothing says whether the
			 * target exists */
			for (ch = s->chans; ch; ch = n) {
				n = ch->snext;
				if (ch->state == CH_LOGIN)
					chan_reject(ch, SRP_REJ_UNABLE_ESTABLISH, result == -EACCES ?
						    "initiator not allowed" : "target refused the nexus");
			}
			if (s->state == SS_ADDING) {
				s->state = SS_DEAD;
				sess_unlink(s);
				srp_sess_put(s);
			}
		}
	}
	srp_sess_put(s); /* the reference of the NEXUS_ADD */
}

static void login(struct srp_port *p, struct srp_xconn *xc, const uint8_t *priv, uint32_t len)
{
	struct srp_tgt *t = p->t;
	struct srp_login_req req;
	struct srp_sess *s;
	struct srp_chan *ch;
	uint8_t mode;

	if (srp_decode_login(priv, len, &req) < 0) {
		reject(p, xc, 0, SRP_REJ_UNABLE_ESTABLISH, "malformed LOGIN_REQ");
		return;
	}
	if (memcmp(req.tgt_port, p->id, SRP_PORT_ID_LEN)) {
		reject(p, xc, req.tag, SRP_REJ_UNABLE_ASSOCIATE, "target port id is not ours");
		return;
	}
	if (req.it_iu_len < SRP_MIN_IU_LEN || req.it_iu_len > t->lim.max_it) {
		reject(p, xc, req.tag, SRP_REJ_IU_TOO_LARGE, "requested IU length out of range");
		return;
	}
	if (!(req.buf_fmt & (SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT))) {
		reject(p, xc, req.tag, SRP_REJ_BAD_BUF_FMT, "no buffer format we support");
		return;
	}
	mode = req.flags & SRP_LOGIN_MULTICHAN_MASK;
	if (mode > SRP_LOGIN_MULTI) {
		reject(p, xc, req.tag, SRP_REJ_UNABLE_ESTABLISH, "reserved multi-channel action");
		return;
	}
	if (t->nchans >= t->lim.max_total) {
		/* each channel holds queue_depth IU buffers: bound the memory
		 * initiators can make us spend */
		reject(p, xc, req.tag, SRP_REJ_NO_RESOURCES, "too many channels on this target");
		return;
	}
	if (t->shutting_down || (!t->fl.ok && !t->fl.held)) {
		reject(p, xc, req.tag, SRP_REJ_UNABLE_ESTABLISH, t->shutting_down ?
		       "target shutting down" : "no core (restarting)");
		return;
	}
	s = sess_find(t, p, req.ini_port);
	if (mode == SRP_LOGIN_MULTI && s && !t->lim.multichannel) {
		reject(p, xc, req.tag, SRP_REJ_MULTI_UNSUPPORTED, "multi-channel is off");
		return;
	}
	if (mode == SRP_LOGIN_MULTI && s && s->nchans >= t->lim.max_chans) {
		reject(p, xc, req.tag, SRP_REJ_CHANNEL_LIMIT, "channel limit reached");
		return;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		reject(p, xc, req.tag, SRP_REJ_NO_RESOURCES, "out of memory");
		return;
	}
	ch->t = t;
	ch->port = p;
	ch->xc = xc;
	ch->id = ++t->next_chan_id;
	ch->req = req;
	ch->state = CH_LOGIN;
	ch->it_len = req.it_iu_len;
	ch->ti_len = t->lim.ti;
	ch->formats = req.buf_fmt & (SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT);
	if ((req.flags & SRP_LOGIN_IMMED_REQ) && t->lim.immediate &&
	    req.imm_off >= SRP_CMD_LEN && req.imm_off < req.it_iu_len) {
		ch->imm_off = req.imm_off;
		ch->rsp_flags |= SRP_RSPF_IMMED_SUPP;
	}
	xc->user = ch;
	if (mode == SRP_LOGIN_MULTI && s) {
		ch->rsp_flags |= SRP_RSPF_MAINTAINED;
	} else if (s) {
		/* a single-channel login ends the nexus's other channels
		 * (T_LOGOUT "multi-channel action"), then starts afresh */
		struct srp_chan *c, *n;

		for (c = s->chans; c; c = n) {
			n = c->snext;
			srp_chan_close(c, SRP_TLO_MULTICHANNEL, "single-channel login of the same initiator");
		}
		ch->rsp_flags |= SRP_RSPF_TERMINATED;
		s = sess_find(t, p, req.ini_port);
	}
	if (!s) {
		s = sess_new(t, p, req.ini_port);
		if (!s) {
			xc->user = NULL;
			free(ch);
			reject(p, xc, req.tag, SRP_REJ_NO_RESOURCES, "no session resources");
			return;
		}
	}
	ch->sess = s;
	s->refs++;
	ch->snext = s->chans;
	s->chans = ch;
	s->nchans++;
	ch->next = t->chans;
	if (t->chans)
		t->chans->prev = ch;
	t->chans = ch;
	t->nchans++;
	if (s->state == SS_LIVE)
		chan_go_live(ch);
}

/* ---- received IUs ---- */

static void recv_iu(struct srp_chan *ch, uint8_t *iu, uint32_t len)
{
	int op = srp_iu_check(iu, len);

	if (op < 0) {
		srp_chan_close(ch, SRP_TLO_BAD_IU_LEN, "IU shorter than its type");
		return;
	}
	switch (op) {
	case SRP_OP_CMD:
		srp_cmd_recv(ch, iu, len);
		return;
	case SRP_OP_TSK_MGMT:
		srp_tmf_recv(ch, iu, len);
		return;
	case SRP_OP_I_LOGOUT:
		srp_chan_close(ch, SRP_TLO_SILENT, "initiator logout");
		return;
	case SRP_OP_CRED_RSP:
	case SRP_OP_AER_RSP:
		/* answers to our CRED_REQ / AER_REQ: nothing to do, and they
		 * carry no credits */
		return;
	default:
		srp_chan_close(ch, SRP_TLO_BAD_IU_TYPE, "IU type a target does not accept");
		return;
	}
}

static void handle_wc(struct srp_port *p, const struct srp_wc *wc)
{
	struct srp_chan *ch = wc->conn ? wc->conn->user : NULL;
	uint64_t type = WR_TYPE(wc->wr_id), val = WR_VAL(wc->wr_id);

	if (wc->op == SRP_WC_CONN_REQ) {
		login(p, wc->conn, wc->priv, wc->priv_len);
		return;
	}
	if (!ch)
		return;
	if (wc->op == SRP_WC_DISCONNECTED) {
		ch->disconnected = true;
		if (ch->state == CH_LOGIN) {
			/* the initiator left before the core answered */
			ch->state = CH_CLOSING;
			chan_unlink(ch);
		} else if (ch->state != CH_CLOSING) {
			srp_chan_close(ch, SRP_TLO_SILENT, "disconnected");
		}
		chan_release_maybe(ch);
		return;
	}
	ch->wr_out--;
	if (wc->status == SRP_WC_REM_ACCESS)
		p->t->st.rdma_errors++;
	switch (type) {
	case WR_RECV:
		if (wc->status == SRP_WC_OK && ch->state == CH_LIVE && val < ch->nrecv) {
			uint8_t *b = ch->iu_mem + val * ch->it_len;

			recv_iu(ch, b, wc->len);
			/* everything needed was copied out: post it again */
			if (ch->state == CH_LIVE) {
				ch->port->ops->post_recv(ch->xc, wc->wr_id, b, ch->it_len);
				ch->wr_out++;
			}
		} else if (wc->status != SRP_WC_OK && ch->state == CH_LIVE) {
			srp_chan_close(ch, SRP_TLO_SILENT, "receive failed");
		}
		break;
	case WR_SEND: {
		struct srp_cmd **cmds = ch->send_cmd;
		struct srp_cmd *cmd = val < ch->nsend ? cmds[val] : NULL;

		if (val < ch->nsend) {
			cmds[val] = NULL;
			ch->send_free[ch->nsend_free++] = (uint32_t)val;
		}
		if (cmd)
			srp_cmd_send_done(cmd);
		if (wc->status != SRP_WC_OK && ch->state == CH_LIVE)
			srp_chan_close(ch, SRP_TLO_SILENT, "send failed");
		else if (ch->state == CH_LIVE)
			txq_flush(ch);
		break;
	}
	case WR_RDMA:
		srp_cmd_rdma_done((struct srp_cmd *)(uintptr_t)val, wc->op == SRP_WC_WRITE,
				  wc->status);
		if (wc->status != SRP_WC_OK && ch->state == CH_LIVE)
			srp_chan_close(ch, SRP_TLO_SILENT, "RDMA failed (remote access error)");
		break;
	}
	chan_release_maybe(ch);
}

void srp_port_event(struct srp_port *p)
{
	struct srp_wc wc[32];
	int n;

	/* bounded: the core link and other ports get their turn */
	for (int round = 0; round < 8; round++) {
		n = p->ops->poll(p->x, wc, 32);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			handle_wc(p, &wc[i]);
		if (p->t->intake_paused)
			return;
	}
}

/* Before the loop sleeps: credits nobody else will carry go back in a
 * CRED_REQ (commands that ended without a response: aborted ones). */
void srp_chan_flush_all(struct srp_tgt *t)
{
	for (struct srp_chan *ch = t->chans; ch; ch = ch->next) {
		if (ch->state != CH_LIVE)
			continue;
		txq_flush(ch);
		if (ch->delta && !ch->ncmds) {
			uint8_t iu[SRP_CRED_REQ_LEN];

			srp_encode_cred_req(iu, 0, srp_chan_take_delta(ch));
			srp_chan_send(ch, iu, sizeof(iu), NULL);
		}
	}
}
