/* Text Requests in full feature phase: SendTargets (in Discovery and Normal
 * sessions), with the list of targets this initiator may see coming from the
 * core, answered in pieces (C bit + TTT) when longer than the initiator's
 * MaxRecvDataSegmentLength. */
#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_portal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct iscsi_disc {
	struct iscsi_conn *c;      /* NULL once the connection is gone */
	struct buf_handle buf;
	bool all;
	char want[ISCSI_NAME_MAX + 1];
};

static uint32_t new_ttt(struct iscsi_conn *c)
{
	uint32_t v = c->next_ttt++;

	if (v == ISCSI_RSVD_TAG)
		v = c->next_ttt++;
	return v;
}

/* Send the next piece of c->txt_out. */
static void text_respond(struct iscsi_conn *c)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_TEXT_RSP, 0);
	size_t left = c->txt_out.len - c->txt_off;
	uint32_t max = iscsi_conn_mrdsl_tx(c);
	uint32_t chunk = left > max ? max : (uint32_t)left;
	bool more = left > chunk;

	if (more) {
		p->bhs[1] = ISCSI_TEXT_CONTINUE;
		c->txt_ttt = new_ttt(c);
		iscsi_put32(p->bhs + 20, c->txt_ttt);
	} else {
		p->bhs[1] = ISCSI_FLAG_FINAL;
		c->txt_ttt = ISCSI_RSVD_TAG;
		iscsi_put32(p->bhs + 20, ISCSI_RSVD_TAG);
	}
	iscsi_put32(p->bhs + 16, c->txt_itt);
	if (chunk) {
		p->owned = malloc(chunk);
		if (p->owned) {
			memcpy(p->owned, c->txt_out.buf + c->txt_off, chunk);
			p->data = p->owned;
			p->dlen = chunk;
		}
	}
	c->txt_off += chunk;
	if (!more) {
		iscsi_text_reset(&c->txt_out);
		c->txt_off = 0;
	}
	iscsi_fill_sn(c, p->bhs, true);
	iscsi_conn_queue(c, p);
}

static int add_target(struct iscsi_conn *c, const char *name)
{
	int r = iscsi_text_add(&c->txt_out, "TargetName", name);

	if (r == 0)
		r = iscsi_portal_addresses(c, name, &c->txt_out);
	return r;
}

static int sendtargets(struct iscsi_conn *c, const char *val)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_session *s = c->sess;
	struct iscsi_disc *d;
	size_t il = strlen(s->p.initiator_name);
	uint8_t *buf;
	union msg m;
	uint64_t tag;

	if (!iscsi_core_usable(t))
		return -EIO;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (!strcmp(val, "All")) {
		d->all = true;
	} else if (val[0] == '\0') {
		/* empty: the target of this (Normal) session */
		if (s->p.session_type != ISCSI_SESSION_NORMAL) {
			free(d);
			return iscsi_text_add(&c->txt_out, "SendTargets", "Reject");
		}
		strcpy(d->want, s->p.target_name);
	} else if (iscsi_name_check(val, strlen(val), d->want, sizeof(d->want)) < 0) {
		free(d);
		return iscsi_text_add(&c->txt_out, "SendTargets", "Reject");
	}
	if (pool_alloc(&t->alloc, ISCSI_DISC_BUF, &d->buf) < 0 ||
	    !(buf = pool_ptr(&t->c->pool, &d->buf))) {
		free(d);
		return -ENOMEM;
	}
	memcpy(buf, s->p.initiator_name, il + 1);
	tag = iscsi_req_new(t, REQ_DISCOVER, d);
	if (!tag) {
		pool_free(&t->alloc, &d->buf);
		free(d);
		return -ENOMEM;
	}
	d->c = c;
	c->disc = d;
	c->txt_busy = true;
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_DISCOVER;
	m.h.tag = tag;
	m.discover.buf = d->buf;
	iscsi_core_send(t, &m);
	return 1;
}

void iscsi_discover_done(struct iscsi_tgt *t, void *obj, const struct msg_discover_done *m)
{
	struct iscsi_disc *d = obj;
	struct iscsi_conn *c = d->c;
	const uint8_t *buf = pool_ptr(&t->c->pool, &d->buf);

	if (m->result == 0 && m->length > d->buf.length) {
		iscsi_core_violation(t, "DISCOVER_DONE longer than its buffer");
		return; /* the buffer may still be written: leak it */
	}
	if (c) {
		c->disc = NULL;
		c->txt_busy = false;
		if (m->result < 0 || !buf) {
			log_warn("conn %llu: discovery failed in the core (%d)",
				 (unsigned long long)c->id, m->result);
		} else {
			uint32_t pos = 0;
			char name[ISCSI_NAME_MAX + 1];

			/* copy each name out before use: the pool is shared */
			while (pos < m->length) {
				uint32_t n = 0;

				while (pos + n < m->length && n <= ISCSI_NAME_MAX &&
				       buf[pos + n] != '\0')
					n++;
				if (pos + n >= m->length || n > ISCSI_NAME_MAX) {
					log_warn("discovery answer: unterminated name");
					break;
				}
				memcpy(name, buf + pos, n);
				name[n] = '\0';
				pos += n + 1;
				if (n == 0)
					continue;
				if (!d->all && strcmp(name, d->want))
					continue;
				if (add_target(c, name) < 0) {
					log_warn("SendTargets answer too long; truncated");
					break;
				}
			}
		}
		text_respond(c);
	}
	pool_free(&t->alloc, &d->buf);
	iscsi_conn_pool_freed(t);
	free(d);
}

void iscsi_discover_orphan(struct iscsi_conn *c)
{
	if (c->disc) {
		c->disc->c = NULL;
		c->disc = NULL;
	}
}

void iscsi_rx_text(struct iscsi_conn *c, const uint8_t *data)
{
	const uint8_t *b = c->bhs;
	uint32_t itt = c->hi.itt, ttt = iscsi_get32(b + 20);
	bool cbit = b[1] & ISCSI_TEXT_CONTINUE;
	char st[ISCSI_NAME_MAX + 1];
	bool have_st = false;
	int r;

	if (!iscsi_cmdsn_accept(c, iscsi_get32(b + 24), c->hi.immediate))
		return;
	if (c->txt_busy || (cbit && c->hi.final)) {
		iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
		return;
	}
	if (ttt != ISCSI_RSVD_TAG) {
		if (ttt != c->txt_ttt || itt != c->txt_itt) {
			iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
			return;
		}
	} else {
		/* a new exchange resets any unfinished one */
		iscsi_text_reset(&c->txt_in);
		iscsi_text_reset(&c->txt_out);
		c->txt_off = 0;
		c->txt_ttt = ISCSI_RSVD_TAG;
	}
	c->txt_itt = itt;
	if (c->txt_off) {
		/* the initiator pulls the rest of our answer */
		if (c->hi.data_len) {
			iscsi_send_reject(c, ISCSI_REJECT_PROTOCOL, b);
			return;
		}
		text_respond(c);
		return;
	}
	if (c->hi.data_len && iscsi_text_append(&c->txt_in, data, c->hi.data_len) < 0) {
		iscsi_text_reset(&c->txt_in);
		iscsi_send_reject(c, ISCSI_REJECT_LONG_OP, b);
		return;
	}
	if (cbit) {
		/* more request text to come: empty answer with a TTT */
		struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_TEXT_RSP, 0);

		c->txt_ttt = new_ttt(c);
		iscsi_put32(p->bhs + 16, itt);
		iscsi_put32(p->bhs + 20, c->txt_ttt);
		iscsi_fill_sn(c, p->bhs, true);
		iscsi_conn_queue(c, p);
		return;
	}
	r = iscsi_neg_text(&c->sess->p, c->txt_in.buf, c->txt_in.len, &c->txt_out,
			   st, sizeof(st), &have_st);
	iscsi_text_reset(&c->txt_in);
	if (r < 0) {
		iscsi_text_reset(&c->txt_out);
		iscsi_send_reject(c, ISCSI_REJECT_INVALID_FIELD, b);
		return;
	}
	if (have_st) {
		r = sendtargets(c, st);
		if (r > 0)
			return; /* answered when the core replies */
		if (r < 0)
			log_warn("conn %llu: SendTargets: %d", (unsigned long long)c->id, r);
	}
	text_respond(c);
}
