/* TCP connections: accepting, the receive state machine (BHS, AHS, data read
 * straight to its final place), the transmit queue written with writev, and
 * the rules for when a connection may read (back-pressure). */
#include "procs/frontend-iscsi/iscsi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/frontend-iscsi/iscsi_crc32c.h"
#include "procs/frontend-iscsi/iscsi_handover.h"

#define TXQ_HIGH (8u << 20) /* stop reading a connection whose peer does not read */

static void conn_rx_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_tx_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(out, n, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(out, n, "?");
	}
}

void iscsi_conn_accept(struct iscsi_tgt *t, struct iscsi_listener *l)
{
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct iscsi_conn *c;
		int fd, one = 1;

		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the socket stays readable: without a pause this
				 * would spin; pending peers wait in the backlog */
				log_warn("accept on %s: %s; pausing 1 s", l->addr, strerror(errno));
				ev_io_stop(t->loop, &l->w);
				ev_timer_set(&l->pause, 1.0, 0);
				ev_timer_start(t->loop, &l->pause);
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept on %s: %s", l->addr, strerror(errno));
			}
			return;
		}
		if (t->shutting_down || !t->link_ok) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->t = t;
		c->fd = fd;
		c->id = ++t->next_conn_id;
		c->lis = l;
		c->group = l->group;
		addr_str(&ss, c->peer, sizeof(c->peer));
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			addr_str(&ss, c->local, sizeof(c->local));
		t->st.conns++;
		c->state = CONN_LOGIN;
		c->rx_state = RX_BHS;
		c->next_ttt = 1;
		iscsi_text_init(&c->txt_in, ISCSI_TEXT_MAX);
		iscsi_text_init(&c->txt_out, ISCSI_TEXT_MAX);
		ev_io_init(&c->rio, conn_rx_cb, fd, EV_READ);
		c->rio.data = c;
		ev_io_init(&c->wio, conn_tx_cb, fd, EV_WRITE);
		c->wio.data = c;
		ev_timer_init(&c->timer, conn_timer_cb, ISCSI_LOGIN_TIMEOUT, 0);
		c->timer.data = c;
		ev_timer_start(t->loop, &c->timer);
		c->last_rx = ev_now(t->loop);
		c->next = t->conns;
		if (t->conns)
			t->conns->prev = c;
		t->conns = c;
		t->nconns++;
		log_info("conn %llu: %s -> %s", (unsigned long long)c->id, c->peer, c->local);
		iscsi_conn_update_rx(c);
	}
}

/* ---- tx ---- */

static const uint8_t zero_pad[4];

struct iscsi_txpdu *iscsi_txpdu_new(uint8_t opcode, uint8_t flags)
{
	struct iscsi_txpdu *p = calloc(1, sizeof(*p));

	if (!p) {
		log_err("out of memory for a PDU");
		abort();
	}
	iscsi_bhs_init(p->bhs, opcode, flags, 0);
	return p;
}

static void txpdu_free(struct iscsi_tgt *t, struct iscsi_txpdu *p)
{
	free(p->owned);
	if (p->cmd)
		iscsi_cmd_put(t, p->cmd);
	free(p);
}

void iscsi_conn_queue(struct iscsi_conn *c, struct iscsi_txpdu *p)
{
	if (c->state == CONN_CLOSED) {
		txpdu_free(c->t, p);
		return;
	}
	iscsi_put24(p->bhs + 5, p->dlen);
	if (c->hdigest) {
		iscsi_digest_put(p->hdig, iscsi_crc32c(p->bhs, ISCSI_BHS_LEN));
		p->hdlen = 4;
	}
	if (c->ddigest && p->dlen) {
		/* one read pass over the payload, wherever it lives */
		uint32_t crc = iscsi_crc32c_update(ISCSI_CRC32C_INIT, p->data, p->dlen);

		crc = iscsi_crc32c_update(crc, zero_pad, iscsi_pad4(p->dlen));
		iscsi_digest_put(p->ddig, iscsi_crc32c_final(crc));
		p->ddlen = 4;
	}
	p->next = NULL;
	if (c->txq_tail)
		c->txq_tail->next = p;
	else
		c->txq = p;
	c->txq_tail = p;
	c->txq_bytes += ISCSI_BHS_LEN + p->dlen;
	if (!c->in_flush) {
		c->in_flush = true;
		c->flush_next = c->t->flush;
		c->t->flush = c;
	}
}

/* Write as much of the queue as the socket takes. Returns -1 if the
 * connection was closed. */
static int conn_flush(struct iscsi_conn *c)
{
	struct iovec iov[ISCSI_TX_IOV];

	for (int rounds = 0; rounds < 64 && c->txq; rounds++) {
		struct iscsi_txpdu *p;
		uint32_t skip = c->tx_off;
		int n = 0;
		ssize_t w;

		for (p = c->txq; p && n + 5 <= ISCSI_TX_IOV; p = p->next) {
			struct { const void *b; uint32_t l; } seg[5] = {
				{ p->bhs, ISCSI_BHS_LEN },
				{ p->hdig, p->hdlen },
				{ p->data, p->dlen },
				{ zero_pad, iscsi_pad4(p->dlen) },
				{ p->ddig, p->ddlen },
			};
			for (int k = 0; k < 5; k++) {
				if (skip >= seg[k].l) {
					skip -= seg[k].l;
					continue;
				}
				iov[n].iov_base = (void *)((const uint8_t *)seg[k].b + skip);
				iov[n].iov_len = seg[k].l - skip;
				skip = 0;
				n++;
			}
		}
		w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!c->wio_on) {
					ev_io_start(c->t->loop, &c->wio);
					c->wio_on = true;
				}
				return 0;
			}
			iscsi_conn_close(c, strerror(errno));
			return -1;
		}
		/* retire fully written PDUs */
		uint64_t done = (uint64_t)w + c->tx_off;

		while ((p = c->txq)) {
			uint32_t total = ISCSI_BHS_LEN + p->hdlen + p->dlen +
					 iscsi_pad4(p->dlen) + p->ddlen;
			bool close_after;

			if (done < total)
				break;
			done -= total;
			c->txq = p->next;
			if (!c->txq)
				c->txq_tail = NULL;
			c->txq_bytes -= ISCSI_BHS_LEN + p->dlen;
			close_after = p->close_after;
			txpdu_free(c->t, p);
			if (close_after) {
				iscsi_conn_close(c, "closed after final PDU");
				return -1;
			}
		}
		c->tx_off = (uint32_t)done;
	}
	if (!c->txq && c->wio_on) {
		ev_io_stop(c->t->loop, &c->wio);
		c->wio_on = false;
	}
	iscsi_conn_update_rx(c);
	return 0;
}

void iscsi_conn_flush_all(struct iscsi_tgt *t)
{
	struct iscsi_conn *c;

	while ((c = t->flush)) {
		t->flush = c->flush_next;
		c->in_flush = false;
		if (c->state != CONN_CLOSED && !c->wio_on)
			conn_flush(c);
	}
}

static void conn_tx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct iscsi_conn *c = w->data;

	ev_io_stop(loop, &c->wio);
	c->wio_on = false;
	conn_flush(c);
}

/* ---- back-pressure ---- */

void iscsi_conn_update_rx(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	bool want = c->state != CONN_CLOSED && !c->closing_after_tx &&
		    !c->stall_core && !t->core_blocked &&
		    c->txq_bytes < TXQ_HIGH && !iscsi_handover_rx_hold(c);

	if (want && !c->rx_on) {
		ev_io_start(t->loop, &c->rio);
		c->rx_on = true;
		/* a header may already be parsed and waiting for us */
		if (c->rx_state == RX_HDR_READY || c->bhs_have == ISCSI_BHS_LEN || c->hq_len)
			ev_feed_event(t->loop, &c->rio, EV_READ);
	} else if (!want && c->rx_on) {
		ev_io_stop(t->loop, &c->rio);
		c->rx_on = false;
	}
}

void iscsi_conns_update_rx(struct iscsi_tgt *t)
{
	for (struct iscsi_conn *c = t->conns; c; c = c->next)
		iscsi_conn_update_rx(c);
}

void iscsi_conn_kick(struct iscsi_conn *c)
{
	iscsi_conn_update_rx(c);
	if (c->rx_on)
		ev_feed_event(c->t->loop, &c->rio, EV_READ);
}

void iscsi_conn_pool_freed(struct iscsi_tgt *t)
{
	iscsi_cmd_retry_waiters(t);
}

/* ---- rx ---- */

/* Largest data segment we accept now: what we declared, or the login value. */
static uint32_t rx_limit(struct iscsi_conn *c)
{
	if (c->state == CONN_FFP && c->sess)
		return c->sess->p.mrdsl_rx;
	return ISCSI_LOGIN_DSL;
}

/* A complete header is in: decide where the data segment goes. Returns 0,
 * -EAGAIN to wait (pool), or -EPROTO to drop the connection. */
static int rx_header(struct iscsi_conn *c)
{
	struct iscsi_bhs_info *h = &c->hi;
	int r;

	c->rx_dst = NULL;
	c->rx_len = h->data_len;
	c->rx_have = 0;
	c->rx_cmd = NULL;
	c->rx_action = RX_ACT_NONE;
	if (c->state == CONN_FFP && h->opcode == ISCSI_OP_SCSI_CMD)
		return iscsi_cmd_rx_start(c);
	if (c->state == CONN_FFP && h->opcode == ISCSI_OP_DATA_OUT)
		return iscsi_dataout_rx_start(c);
	if (h->data_len) {
		c->rx_buf = malloc(h->data_len);
		if (!c->rx_buf)
			return -ENOMEM;
		c->rx_dst = c->rx_buf;
	}
	r = 0;
	return r;
}

static void rx_pdu(struct iscsi_conn *c)
{
	const uint8_t *data = c->rx_buf;
	int r = 0;

	if (c->state == CONN_LOGIN) {
		r = iscsi_rx_login(c, data);
	} else if (c->hi.opcode == ISCSI_OP_SCSI_CMD) {
		iscsi_cmd_rx_done(c);
	} else if (c->hi.opcode == ISCSI_OP_DATA_OUT) {
		iscsi_dataout_rx_done(c);
	} else {
		r = iscsi_rx_ffp(c, data);
	}
	free(c->rx_buf);
	c->rx_buf = NULL;
	if (r < 0 && c->state != CONN_CLOSED) {
		c->t->st.protocol_closes++;
		iscsi_conn_close(c, "protocol error");
	}
	if (c->state == CONN_FFP && c->sess)
		iscsi_cmdsn_drain(c); /* PDUs this one put in order */
}

static bool rx_can_run(struct iscsi_conn *c)
{
	/* a live upgrade stops every connection at a PDU boundary */
	if (c->rx_on && iscsi_handover_rx_hold(c)) {
		iscsi_conn_update_rx(c);
		return false;
	}
	return c->rx_on && c->state != CONN_CLOSED;
}

/* Returns bytes read, 0 when nothing is available, -1 after closing. */
static ssize_t rx_read(struct iscsi_conn *c, struct iovec *iov, int n)
{
	ssize_t r;

	do
		r = readv(c->fd, iov, n);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		c->last_rx = ev_now(c->t->loop);
		return r;
	}
	if (r < 0 && errno == EAGAIN)
		return 0;
	iscsi_conn_close(c, r == 0 ? "peer closed" : strerror(errno));
	return -1;
}

static void conn_rx(struct iscsi_conn *c)
{
	for (int budget = 0; budget < 64 && rx_can_run(c); budget++) {
		struct iovec iov[4]; /* data, pad, data digest, next header */
		ssize_t n;

		switch (c->rx_state) {
		case RX_BHS:
			if (c->bhs_have < ISCSI_BHS_LEN && !iscsi_rxb_take(c)) {
				int k = iscsi_rxb_fill(c);

				if (k < 0)
					return;
				if (k > 0)
					continue;
				iov[0].iov_base = c->bhs + c->bhs_have;
				iov[0].iov_len = ISCSI_BHS_LEN - c->bhs_have;
				n = rx_read(c, iov, 1);
				if (n <= 0)
					return;
				c->bhs_have += (uint32_t)n;
				if (c->bhs_have < ISCSI_BHS_LEN)
					continue;
			}
			iscsi_bhs_decode(c->bhs, &c->hi);
			if (c->hi.data_len > rx_limit(c)) {
				log_warn("conn %llu: %s data segment %u > %u",
					 (unsigned long long)c->id, iscsi_op_name(c->hi.opcode),
					 c->hi.data_len, rx_limit(c));
				c->t->st.protocol_closes++;
				iscsi_conn_close(c, "data segment too long");
				return;
			}
			c->ahs_have = 0;
			c->hdig_have = 0;
			c->rx_state = c->hi.ahs_len ? RX_AHS :
				      c->hdigest ? RX_HDIG : RX_HDR_READY;
			continue;
		case RX_AHS:
			iov[0].iov_base = c->ahs + c->ahs_have;
			iov[0].iov_len = c->hi.ahs_len - c->ahs_have;
			n = rx_read(c, iov, 1);
			if (n <= 0)
				return;
			c->ahs_have += (uint32_t)n;
			if (c->ahs_have == c->hi.ahs_len)
				c->rx_state = c->hdigest ? RX_HDIG : RX_HDR_READY;
			continue;
		case RX_HDIG: {
			uint32_t crc;

			iov[0].iov_base = c->hdig_rx + c->hdig_have;
			iov[0].iov_len = 4 - c->hdig_have;
			n = rx_read(c, iov, 1);
			if (n <= 0)
				return;
			c->hdig_have += (uint32_t)n;
			if (c->hdig_have < 4)
				continue;
			crc = iscsi_crc32c_update(ISCSI_CRC32C_INIT, c->bhs, ISCSI_BHS_LEN);
			crc = iscsi_crc32c_update(crc, c->ahs, c->hi.ahs_len);
			if (iscsi_crc32c_final(crc) != iscsi_digest_get(c->hdig_rx)) {
				if (iscsi_erl_on(c) && !c->hdig_bad) {
					/* ERL >= 1: skip the PDU by the lengths its
					 * header claims (already checked against
					 * our limits) and recover what it carried;
					 * a second bad header in a row means we
					 * lost the PDU boundaries: close */
					log_warn("conn %llu: header digest error on a %s: PDU "
						 "skipped", (unsigned long long)c->id,
						 iscsi_op_name(c->hi.opcode));
					c->hdig_bad = true;
					c->t->st.hdigest_skips++;
					c->rx_dst = NULL;
					c->rx_len = c->hi.data_len;
					c->rx_have = 0;
					c->rx_cmd = NULL;
					c->rx_action = RX_ACT_NONE;
					c->rx_discard = true;
					c->rx_state = RX_DATA;
					c->bhs_have = 0;
					iscsi_erl_header_lost(c);
					continue;
				}
				/* nothing in this header can be trusted, not even
				 * its lengths: the stream is lost (ERL 0) */
				c->t->st.protocol_closes++;
				iscsi_conn_close(c, "header digest error");
				return;
			}
			c->hdig_bad = false;
			c->rx_state = RX_HDR_READY;
			continue;
		}
		case RX_HDR_READY: {
			int r = rx_header(c);

			if (r == -EAGAIN)
				return; /* stalled */
			if (r < 0) {
				c->t->st.protocol_closes++;
				iscsi_conn_close(c, "bad PDU header");
				return;
			}
			c->rx_state = RX_DATA;
			c->bhs_have = 0;
			continue;
		}
		case RX_DATA: {
			uint32_t pad = iscsi_pad4(c->rx_len);
			uint32_t dd = c->ddigest && c->rx_len ? 4 : 0;
			uint32_t total = c->rx_len + pad + dd;
			bool partial_sink = false;
			int cnt = 0;

			if (c->rx_have < c->rx_len) {
				uint32_t left = c->rx_len - c->rx_have;

				if (c->rx_dst) {
					iov[cnt].iov_base = c->rx_dst + c->rx_have;
					iov[cnt].iov_len = left;
				} else {
					partial_sink = left > sizeof(c->t->scratch);
					iov[cnt].iov_base = c->t->scratch;
					iov[cnt].iov_len = partial_sink ?
						sizeof(c->t->scratch) : left;
				}
				cnt++;
			}
			if (!partial_sink && c->rx_have < total) {
				uint32_t k = c->rx_have > c->rx_len ? c->rx_have - c->rx_len : 0;

				if (k < pad) {
					iov[cnt].iov_base = c->rx_pad + k;
					iov[cnt].iov_len = pad - k;
					cnt++;
					k = pad;
				}
				if (dd) {
					iov[cnt].iov_base = c->ddig_rx + (k - pad);
					iov[cnt].iov_len = pad + dd - k;
					cnt++;
				}
				/* read ahead the next header: saves a syscall per PDU */
				iov[cnt].iov_base = c->bhs_next;
				iov[cnt].iov_len = ISCSI_BHS_LEN;
				cnt++;
			}
			if (c->rx_have < total) {
				uint32_t need = total - c->rx_have;

				n = rx_read(c, iov, cnt);
				if (n <= 0)
					return;
				if ((uint64_t)n > need) {
					c->next_have = (uint32_t)n - need;
					n = need;
				}
				c->rx_have += (uint32_t)n;
				if (c->rx_have < total)
					continue;
			}
			if (dd && c->rx_dst) {
				uint32_t crc = iscsi_crc32c_update(ISCSI_CRC32C_INIT, c->rx_dst,
								   c->rx_len);

				crc = iscsi_crc32c_update(crc, c->rx_pad, pad);
				if (iscsi_crc32c_final(crc) != iscsi_digest_get(c->ddig_rx)) {
					if (c->hi.opcode == ISCSI_OP_DATA_OUT && c->rx_cmd) {
						/* only its task fails (RFC 7143 7.8) */
						iscsi_dataout_digest_error(c);
					} else if (c->hi.opcode == ISCSI_OP_SCSI_CMD && c->rx_cmd &&
						   iscsi_erl_on(c)) {
						/* dropped; the initiator retries it */
						iscsi_cmd_imm_digest_error(c);
					} else {
						/* ERL 0 has no way to ask for a command again */
						c->t->st.protocol_closes++;
						iscsi_conn_close(c, "data digest error");
						return;
					}
				}
			}
			if (c->rx_dst && (c->hi.opcode == ISCSI_OP_SCSI_CMD ||
					  c->hi.opcode == ISCSI_OP_DATA_OUT))
				c->t->st.bytes_in += c->rx_len;
			c->rx_state = RX_BHS;
			if (c->rx_discard)
				c->rx_discard = false;
			else
				rx_pdu(c);
			if (c->next_have) {
				memcpy(c->bhs, c->bhs_next, c->next_have);
				c->bhs_have = c->next_have;
				c->next_have = 0;
			}
			continue;
		}
		}
	}
	/* budget spent with the socket possibly still readable: come back */
	if (rx_can_run(c))
		ev_feed_event(c->t->loop, &c->rio, EV_READ);
}

static void conn_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_rx(w->data);
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_conn *c = w->data;
	ev_tstamp now = ev_now(loop);

	if (c->state == CONN_LOGIN) {
		iscsi_conn_close(c, "login timeout");
		return;
	}
	if (c->state != CONN_FFP)
		return;
	if (!c->t->nop_interval)
		return;
	if (c->nop_out && now - c->nop_sent >= c->t->nop_timeout) {
		/* a dead initiator: its session (nexus) goes with the connection */
		log_warn("conn %llu (%s): no answer to a NOP-In ping in %u s",
			 (unsigned long long)c->id, c->peer, c->t->nop_timeout);
		iscsi_conn_close(c, "NOP-In ping not answered");
		return;
	}
	if (!c->nop_out && now - c->last_rx >= c->t->nop_interval)
		iscsi_nop_ping(c);
	iscsi_conn_arm_timer(c);
}

void iscsi_conn_arm_timer(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	/* a quarter of the shorter period keeps pings and timeouts within
	 * 25% of what was configured without waking idle connections often */
	uint32_t m = t->nop_interval < t->nop_timeout ? t->nop_interval : t->nop_timeout;
	double tick = m / 4.0;

	ev_timer_stop(t->loop, &c->timer);
	if (!t->nop_interval)
		return;
	if (tick < 0.25)
		tick = 0.25;
	if (tick > 5.0)
		tick = 5.0;
	ev_timer_set(&c->timer, tick, 0);
	ev_timer_start(t->loop, &c->timer);
}

/* ---- closing ---- */

void iscsi_conn_close(struct iscsi_conn *c, const char *why)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_txpdu *p;

	if (c->state == CONN_CLOSED)
		return;
	log_info("conn %llu (%s): closing: %s", (unsigned long long)c->id, c->peer, why);
	c->state = CONN_CLOSED;
	ev_io_stop(t->loop, &c->rio);
	ev_io_stop(t->loop, &c->wio);
	ev_timer_stop(t->loop, &c->timer);
	c->rx_on = c->wio_on = false;
	close(c->fd);
	c->fd = -1;
	/* data being received into a command buffer: the read is over */
	if (c->rx_cmd) {
		struct iscsi_cmd *cmd = c->rx_cmd;

		c->rx_cmd = NULL;
		iscsi_cmd_put(t, cmd);
	}
	while ((p = c->txq)) {
		c->txq = p->next;
		txpdu_free(t, p);
	}
	c->txq_tail = NULL;
	c->txq_bytes = 0;
	iscsi_cmds_conn_lost(c);
	iscsi_erl_conn_lost(c);
	iscsi_async_conn_lost(c);
	iscsi_quiesce_conn_lost(c);
	iscsi_discover_orphan(c);
	iscsi_tmf_orphan(c);
	iscsi_login_free(c);
	iscsi_mcs_conn_gone(c); /* the last connection frees the session */
	free(c->rx_buf);
	c->rx_buf = NULL;
	iscsi_text_free(&c->txt_in);
	iscsi_text_free(&c->txt_out);
	/* unlink now; free in the prepare watcher, after every callback that
	 * may still hold the pointer has returned */
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->nconns--;
	c->next = t->dead;
	t->dead = c;
}

void iscsi_conn_reap(struct iscsi_tgt *t)
{
	struct iscsi_conn *c;

	/* the flush list may still name dead connections */
	if (!t->dead)
		return;
	iscsi_conn_flush_all(t);
	while ((c = t->dead)) {
		t->dead = c->next;
		ev_clear_pending(t->loop, &c->rio);
		ev_clear_pending(t->loop, &c->wio);
		ev_clear_pending(t->loop, &c->timer);
		free(c);
	}
}

/* ---- live upgrade ---- */

/* A connection in full feature phase handed over by the previous instance
 * (iscsi_handover.c): set up as an accepted one would be; its watchers start
 * when the handover completes. */
struct iscsi_conn *iscsi_conn_adopt(struct iscsi_tgt *t, int fd, struct iscsi_listener *l)
{
	struct iscsi_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->t = t;
	c->fd = fd;
	c->lis = l;
	c->group = l->group;
	c->state = CONN_FFP;
	c->rx_state = RX_BHS;
	c->next_ttt = 1;
	iscsi_text_init(&c->txt_in, ISCSI_TEXT_MAX);
	iscsi_text_init(&c->txt_out, ISCSI_TEXT_MAX);
	ev_io_init(&c->rio, conn_rx_cb, fd, EV_READ);
	c->rio.data = c;
	ev_io_init(&c->wio, conn_tx_cb, fd, EV_WRITE);
	c->wio.data = c;
	ev_timer_init(&c->timer, conn_timer_cb, 1.0, 0);
	c->timer.data = c;
	c->last_rx = ev_now(t->loop);
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	t->nconns++;
	return c;
}
