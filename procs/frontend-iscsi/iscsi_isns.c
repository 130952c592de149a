/* iSNS client (RFC 4171): registers this target's network entity, its
 * portals, its targets (iSCSI nodes of type Target) and their portal groups
 * with an iSNS server, registers the targets for State Change Notifications
 * and answers the server's SCN and ESI messages, refreshes the registration
 * within the server's registration period, and deregisters the entity at
 * shutdown.
 *
 * The frontend's sandbox may not create or connect sockets (DESIGN.md: the
 * supervisor owns them), so the supervisor connects to the server and hands
 * the connected TCP socket over in CTL_INIT ("isns": {"fd", "server",
 * "entity"}). A connection that is lost (the server restarted, or is
 * unreachable at start) is reported in CTL_STATS ("isns": {"state":
 * "down"}); the supervisor connects again with backoff and hands the new one
 * over in CTL_ISNS_CONN, and everything is registered again. Targets and
 * portals added or removed live (CTL_CONFIG, CTL_PORTAL_ADD/DEL) are
 * registered at once: the DevAttrReg replaces the entity's whole
 * registration, so what is gone is deregistered with it. */
#include "procs/frontend-iscsi/iscsi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/frontend-iscsi/iscsi_portal.h"
#include "procs/frontend-iscsi/iscsi_tgt.h"

#define ISNS_VERSION        1
#define ISNS_HDR            12
#define ISNS_MAX_PDU        65536
#define ISNS_FLAG_CLIENT    0x8000
#define ISNS_FLAG_SERVER    0x4000
#define ISNS_FLAG_REPLACE   0x1000
#define ISNS_FLAG_LAST      0x0800
#define ISNS_FLAG_FIRST     0x0400

enum {
	ISNS_DEV_ATTR_REG = 0x0001, ISNS_DEV_DEREG = 0x0004, ISNS_SCN_REG = 0x0005,
	ISNS_SCN = 0x0008, ISNS_ESI = 0x000d, ISNS_RSP = 0x8000,
};
enum {
	TAG_DELIMITER = 0, TAG_EID = 1, TAG_ENTITY_PROTOCOL = 2, TAG_REG_PERIOD = 6,
	TAG_PORTAL_IP = 16, TAG_PORTAL_PORT = 17, TAG_SCN_PORT = 23, TAG_ISCSI_NAME = 32,
	TAG_ISCSI_NODE_TYPE = 33, TAG_ISCSI_ALIAS = 34, TAG_SCN_BITMAP = 35,
	TAG_PG_NAME = 48, TAG_PG_IP = 49, TAG_PG_PORT = 50, TAG_PG_TAG = 51,
};
#define ENTITY_PROTOCOL_ISCSI 2
#define NODE_TYPE_TARGET      1
/* object added, removed, updated; DD member added, removed */
#define SCN_BITMAP            0x1f

struct isns_portal {
	uint8_t  ip[16];
	uint16_t port;
	uint16_t group;
};

#define ISNS_SCN_PEERS 4

/* One TCP connection: ours to the server, or one the server opened to our
 * SCN port. */
struct isns_chan {
	struct iscsi_isns *s;
	int      fd;
	ev_io    rw, ww;
	uint8_t  rx[ISNS_MAX_PDU + ISNS_HDR];
	size_t   rx_have;
	uint8_t *tx;
	size_t   tx_len, tx_cap;
};

struct iscsi_isns {
	struct iscsi_tgt *t;
	struct isns_chan main;
	struct isns_chan *peers[ISNS_SCN_PEERS];
	int      scn_fd;                  /* listening, or -1 */
	ev_io    scn_w;
	uint8_t  scn_ip[16];
	uint16_t scn_port;
	ev_timer refresh;
	char     server[80];
	char     entity[224];
	char   **targets;
	uint32_t ntargets;
	struct isns_portal *portals;
	uint32_t nportals;
	uint16_t xid;
	uint32_t period;              /* s, from the server; 0: unknown */
	bool     registered;
	bool     scn_due;             /* targets changed: SCNReg after the next DevAttrReg */
	char     dereg_src[224];      /* a name we registered with, for DevDereg */
	uint64_t scns;
	uint64_t registrations;       /* DevAttrReg accepted */
	uint64_t connections;         /* connections handed to us */
};

/* ---- message building ---- */

struct isns_buf {
	uint8_t  b[ISNS_MAX_PDU];
	size_t   len;
	bool     overflow;
};

static void put_attr(struct isns_buf *m, uint32_t tag, const void *v, uint32_t len)
{
	uint32_t padded = (len + 3) & ~3u;

	if (m->len + 8 + padded > sizeof(m->b)) {
		m->overflow = true;
		return;
	}
	iscsi_put32(m->b + m->len, tag);
	iscsi_put32(m->b + m->len + 4, padded);
	memset(m->b + m->len + 8, 0, padded);
	if (len)
		memcpy(m->b + m->len + 8, v, len);
	m->len += 8 + padded;
}

static void put_str(struct isns_buf *m, uint32_t tag, const char *s)
{
	put_attr(m, tag, s, (uint32_t)strlen(s) + 1); /* NUL-terminated, padded */
}

static void put_u32(struct isns_buf *m, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	iscsi_put32(b, v);
	put_attr(m, tag, b, 4);
}

static void put_port(struct isns_buf *m, uint32_t tag, uint16_t port)
{
	put_u32(m, tag, port); /* upper bits 0: TCP */
}

static void isns_queue(struct isns_chan *s, uint16_t fn, uint16_t flags, uint16_t xid,
		       const struct isns_buf *m)
{
	size_t need = ISNS_HDR + m->len;
	uint8_t *h;

	if (m->overflow) {
		log_warn("iSNS: message 0x%04x too long, not sent", fn);
		return;
	}
	if (s->tx_len + need > s->tx_cap) {
		size_t cap = s->tx_cap ? s->tx_cap * 2 : 8192;

		while (cap < s->tx_len + need)
			cap *= 2;
		if (cap > 1u << 20) {
			log_warn("iSNS: server not reading, message dropped");
			return;
		}
		uint8_t *n = realloc(s->tx, cap);

		if (!n)
			return;
		s->tx = n;
		s->tx_cap = cap;
	}
	h = s->tx + s->tx_len;
	iscsi_put16(h, ISNS_VERSION);
	iscsi_put16(h + 2, fn);
	iscsi_put16(h + 4, (uint16_t)m->len);
	iscsi_put16(h + 6, flags | ISNS_FLAG_FIRST | ISNS_FLAG_LAST);
	iscsi_put16(h + 8, xid);
	iscsi_put16(h + 10, 0);
	memcpy(h + ISNS_HDR, m->b, m->len);
	s->tx_len += need;
	if (!ev_is_active(&s->ww))
		ev_io_start(s->s->t->loop, &s->ww);
}

static void chan_close(struct isns_chan *ch, const char *why)
{
	struct iscsi_isns *s = ch->s;

	if (ch->fd < 0)
		return;
	ev_io_stop(s->t->loop, &ch->rw);
	ev_io_stop(s->t->loop, &ch->ww);
	close(ch->fd);
	ch->fd = -1;
	ch->tx_len = 0;
	if (ch == &s->main) {
		log_warn("iSNS: connection to %s lost (%s): the supervisor reconnects",
			 s->server, why);
		ev_timer_stop(s->t->loop, &s->refresh);
		s->registered = false;
		ch->rx_have = 0;
		return;
	}
	for (int i = 0; i < ISNS_SCN_PEERS; i++)
		if (s->peers[i] == ch)
			s->peers[i] = NULL;
	free(ch->tx);
	free(ch);
}

static void send_dereg(struct iscsi_isns *s);

static void send_register(struct iscsi_isns *s)
{
	static struct isns_buf m;

	if (s->main.fd < 0)
		return; /* registered when the next connection comes */
	if (!s->ntargets) {
		/* nothing to register: the entity (if it was) goes */
		send_dereg(s);
		return;
	}
	snprintf(s->dereg_src, sizeof(s->dereg_src), "%s", s->targets[0]);
	m.len = 0;
	m.overflow = false;
	put_str(&m, TAG_ISCSI_NAME, s->targets[0]);    /* source */
	put_str(&m, TAG_EID, s->entity);               /* message key */
	put_attr(&m, TAG_DELIMITER, NULL, 0);
	put_str(&m, TAG_EID, s->entity);
	put_u32(&m, TAG_ENTITY_PROTOCOL, ENTITY_PROTOCOL_ISCSI);
	for (uint32_t i = 0; i < s->nportals; i++) {
		put_attr(&m, TAG_PORTAL_IP, s->portals[i].ip, 16);
		put_port(&m, TAG_PORTAL_PORT, s->portals[i].port);
		/* SCNs come to our listener on the address we reach the server
		 * from (the supervisor opened it there) */
		if (s->scn_fd >= 0 && !memcmp(s->portals[i].ip, s->scn_ip, 16))
			put_port(&m, TAG_SCN_PORT, s->scn_port);
	}
	for (uint32_t k = 0; k < s->ntargets; k++) {
		put_str(&m, TAG_ISCSI_NAME, s->targets[k]);
		put_u32(&m, TAG_ISCSI_NODE_TYPE, NODE_TYPE_TARGET);
	}
	/* a portal group per (target, portal): the tag a login through that
	 * portal gets as TargetPortalGroupTag */
	for (uint32_t k = 0; k < s->ntargets; k++)
		for (uint32_t i = 0; i < s->nportals; i++) {
			if (!iscsi_portal_target_in_group(s->t, s->targets[k],
							  s->portals[i].group))
				continue;
			put_str(&m, TAG_PG_NAME, s->targets[k]);
			put_attr(&m, TAG_PG_IP, s->portals[i].ip, 16);
			put_port(&m, TAG_PG_PORT, s->portals[i].port);
			put_u32(&m, TAG_PG_TAG, s->portals[i].group);
		}
	isns_queue(&s->main, ISNS_DEV_ATTR_REG, ISNS_FLAG_CLIENT | ISNS_FLAG_REPLACE, ++s->xid,
		   &m);
}

static void send_scn_reg(struct iscsi_isns *s)
{
	static struct isns_buf m;

	for (uint32_t k = 0; k < s->ntargets; k++) {
		m.len = 0;
		m.overflow = false;
		put_str(&m, TAG_ISCSI_NAME, s->targets[k]);    /* source */
		put_str(&m, TAG_ISCSI_NAME, s->targets[k]);    /* key */
		put_attr(&m, TAG_DELIMITER, NULL, 0);
		put_u32(&m, TAG_SCN_BITMAP, SCN_BITMAP);
		isns_queue(&s->main, ISNS_SCN_REG, ISNS_FLAG_CLIENT, ++s->xid, &m);
	}
}

/* ---- receiving ---- */

/* The first attribute with this tag in a payload, or NULL. */
static const uint8_t *find_attr(const uint8_t *p, uint32_t len, uint32_t tag, uint32_t *alen)
{
	uint32_t off = 0;

	while (len - off >= 8) {
		uint32_t t = iscsi_get32(p + off), l = iscsi_get32(p + off + 4);

		if (l > len - off - 8)
			return NULL;
		if (t == tag) {
			*alen = l;
			return p + off + 8;
		}
		off += 8 + l;
	}
	return NULL;
}

static void on_response(struct iscsi_isns *s, uint16_t fn, const uint8_t *p, uint32_t len)
{
	uint32_t status = len >= 4 ? iscsi_get32(p) : 0xffffffffu, alen;
	const uint8_t *a;

	switch (fn & ~ISNS_RSP) {
	case ISNS_DEV_ATTR_REG:
		if (status) {
			log_warn("iSNS: registration refused by %s, status %u", s->server, status);
			return;
		}
		a = len > 4 ? find_attr(p + 4, len - 4, TAG_REG_PERIOD, &alen) : NULL;
		if (a && alen == 4)
			s->period = iscsi_get32(a);
		if (!s->registered || s->scn_due)
			log_info("iSNS: entity %s registered with %s (%u targets, %u portals, "
				 "period %u s)", s->entity, s->server, s->ntargets, s->nportals,
				 s->period);
		if (!s->registered || s->scn_due)
			send_scn_reg(s);
		s->registered = true;
		s->scn_due = false;
		s->registrations++;
		/* refresh well within the period (RFC 4171 6.2.3) */
		ev_timer_stop(s->t->loop, &s->refresh);
		ev_timer_set(&s->refresh, s->period ? s->period * 2.0 / 3.0 : 300.0, 0);
		ev_timer_start(s->t->loop, &s->refresh);
		return;
	case ISNS_SCN_REG:
		if (status)
			log_warn("iSNS: SCN registration refused, status %u", status);
		else
			log_info("iSNS: registered for state change notifications");
		return;
	case ISNS_DEV_DEREG:
		log_info("iSNS: deregistered (status %u)", status);
		return;
	default:
		log_debug("iSNS: response 0x%04x status %u", fn, status);
		return;
	}
}

/* SCN and ESI from the server: answered with status 0 and the destination
 * (the first attribute). Targets need not act on SCNs (initiators do); we
 * log them. */
static void on_request(struct isns_chan *ch, uint16_t fn, uint16_t xid, const uint8_t *p,
		       uint32_t len)
{
	struct iscsi_isns *s = ch->s;
	static struct isns_buf m;
	uint32_t alen;
	const uint8_t *a;

	m.len = 4;
	m.overflow = false;
	iscsi_put32(m.b, 0);
	if (fn == ISNS_SCN) {
		s->scns++;
		a = find_attr(p, len, TAG_SCN_BITMAP, &alen);
		log_info("iSNS: state change notification, bitmap 0x%x",
			 a && alen == 4 ? iscsi_get32(a) : 0);
	}
	/* echo the destination attribute */
	if (len >= 8) {
		uint32_t l = iscsi_get32(p + 4);

		if (l <= len - 8 && m.len + 8 + l <= sizeof(m.b)) {
			memcpy(m.b + m.len, p, 8 + l);
			m.len += 8 + l;
		}
	}
	if (fn == ISNS_SCN || fn == ISNS_ESI)
		isns_queue(ch, fn | ISNS_RSP, ISNS_FLAG_CLIENT, xid, &m);
}

static void isns_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct isns_chan *s = w->data;

	for (int budget = 0; budget < 16; budget++) {
		ssize_t r = read(s->fd, s->rx + s->rx_have, sizeof(s->rx) - s->rx_have);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			chan_close(s, r == 0 ? "closed by the server" : strerror(errno));
			return;
		}
		s->rx_have += (size_t)r;
		while (s->rx_have >= ISNS_HDR) {
			uint16_t ver = iscsi_get16(s->rx), fn = iscsi_get16(s->rx + 2);
			uint16_t plen = iscsi_get16(s->rx + 4), xid = iscsi_get16(s->rx + 8);

			if (ver != ISNS_VERSION) {
				chan_close(s, "bad iSNSP version");
				return;
			}
			if (s->rx_have < ISNS_HDR + (size_t)plen)
				break;
			if (fn & ISNS_RSP)
				on_response(s->s, fn, s->rx + ISNS_HDR, plen);
			else
				on_request(s, fn, xid, s->rx + ISNS_HDR, plen);
			memmove(s->rx, s->rx + ISNS_HDR + plen, s->rx_have - ISNS_HDR - plen);
			s->rx_have -= ISNS_HDR + plen;
		}
	}
}

static void isns_tx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct isns_chan *s = w->data;
	ssize_t r;

	while (s->tx_len) {
		r = write(s->fd, s->tx, s->tx_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			chan_close(s, strerror(errno));
			return;
		}
		memmove(s->tx, s->tx + r, s->tx_len - (size_t)r);
		s->tx_len -= (size_t)r;
	}
	ev_io_stop(loop, &s->ww);
}

static void isns_refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	send_register(w->data);
}

static void chan_start(struct iscsi_isns *s, struct isns_chan *ch, int fd)
{
	ch->s = s;
	ch->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ev_io_init(&ch->rw, isns_rx_cb, fd, EV_READ);
	ev_io_init(&ch->ww, isns_tx_cb, fd, EV_WRITE);
	ch->rw.data = ch->ww.data = ch;
	ev_io_start(s->t->loop, &ch->rw);
}

/* The server connects to our SCN port to deliver an SCN. */
static void isns_scn_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct iscsi_isns *s = w->data;
	int fd = accept4(s->scn_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < ISNS_SCN_PEERS && s->peers[i]; i++)
		;
	struct isns_chan *ch = i < ISNS_SCN_PEERS ? calloc(1, sizeof(*ch)) : NULL;

	if (!ch) {
		close(fd); /* bounded: a server has no need for more */
		return;
	}
	s->peers[i] = ch;
	chan_start(s, ch, fd);
}

/* ---- setup and shutdown ---- */

static int parse_ip(const char *addr, uint8_t ip[16], uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (!colon || (hl = (size_t)(colon - addr)) == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = 0;
	*port = (uint16_t)atoi(colon + 1);
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		return inet_pton(AF_INET6, host + 1, ip) == 1 ? 0 : -EINVAL;
	}
	memset(ip, 0, 10);
	ip[10] = ip[11] = 0xff; /* IPv4-mapped (RFC 4171 6.3.1) */
	return inet_pton(AF_INET, host, ip + 12) == 1 ? 0 : -EINVAL;
}

static bool ip_unspecified(const uint8_t ip[16])
{
	static const uint8_t any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(ip, any6, 16) || !memcmp(ip, any4, 16);
}

/* Targets from a config object ("targets": [{"name"}]). */
static int set_targets(struct iscsi_isns *s, json_t *cfg)
{
	json_t *targets = cfg ? json_object_get(cfg, "targets") : NULL;
	uint32_t n = json_is_array(targets) ? (uint32_t)json_array_size(targets) : 0;
	char **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(targets, i),
								     "name"));

		if (!(v[i] = strdup(name ? name : ""))) {
			while (i)
				free(v[--i]);
			free(v);
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < s->ntargets; i++)
		free(s->targets[i]);
	free(s->targets);
	s->targets = v;
	s->ntargets = n;
	return 0;
}

/* Portals from the listeners (deleted ones have fd -1). */
static int set_portals(struct iscsi_isns *s)
{
	struct iscsi_tgt *t = s->t;
	struct isns_portal *v = calloc(t->nlis ? t->nlis : 1, sizeof(*v));
	uint32_t n = 0;

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nlis; i++) {
		struct isns_portal *p = &v[n];

		/* a wildcard listener has no address an initiator could use */
		if (t->lis[i].fd < 0 || parse_ip(t->lis[i].addr, p->ip, &p->port) < 0 ||
		    ip_unspecified(p->ip))
			continue;
		p->group = t->lis[i].group;
		n++;
	}
	free(s->portals);
	s->portals = v;
	s->nportals = n;
	return 0;
}

/* A (new) connection to the server, and maybe an SCN listener on the
 * address it comes from: replaces what we had, registers everything. */
static void take_conn(struct iscsi_isns *s, int fd, int scn_fd, const char *scn_addr,
		      uint16_t scn_port)
{
	struct iscsi_tgt *t = s->t;
	uint16_t dummy;
	char hp[80];

	chan_close(&s->main, "replaced");
	s->main.rx_have = 0;
	for (int i = 0; i < ISNS_SCN_PEERS; i++)
		if (s->peers[i])
			chan_close(s->peers[i], "replaced");
	if (s->scn_fd >= 0) {
		ev_io_stop(t->loop, &s->scn_w);
		close(s->scn_fd);
		s->scn_fd = -1;
	}
	chan_start(s, &s->main, fd);
	s->connections++;
	snprintf(hp, sizeof(hp), strchr(scn_addr ? scn_addr : "", ':') ? "[%s]:0" : "%s:0",
		 scn_addr ? scn_addr : "");
	if (scn_fd >= 0 && scn_addr && parse_ip(hp, s->scn_ip, &dummy) == 0) {
		s->scn_fd = scn_fd;
		s->scn_port = scn_port;
		ev_io_init(&s->scn_w, isns_scn_accept_cb, s->scn_fd, EV_READ);
		s->scn_w.data = s;
		ev_io_start(t->loop, &s->scn_w);
	} else if (scn_fd >= 0) {
		close(scn_fd);
	}
	s->registered = false;
	send_register(s);
}

int iscsi_isns_init(struct iscsi_tgt *t, json_t *isns, json_t *cfg)
{
	struct iscsi_isns *s;
	json_t *fd, *sfd;
	const char *server, *entity;

	if (!isns)
		return 0;
	fd = json_object_get(isns, "fd");
	sfd = json_object_get(isns, "scn_fd");
	server = json_string_value(json_object_get(isns, "server"));
	entity = json_string_value(json_object_get(isns, "entity"));
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->t = t;
	s->scn_fd = -1;
	s->main.s = s;
	s->main.fd = -1;
	snprintf(s->server, sizeof(s->server), "%s", server ? server : "?");
	snprintf(s->entity, sizeof(s->entity), "%s", entity && *entity ? entity : "mtgt");
	ev_timer_init(&s->refresh, isns_refresh_cb, 300.0, 0);
	s->refresh.data = s;
	if (set_targets(s, cfg) < 0 || set_portals(s) < 0)
		return -ENOMEM;
	t->isns = s;
	if (!s->ntargets)
		log_warn("iSNS: no targets to register yet");
	if (!json_is_integer(fd)) {
		/* reported down in CTL_STATS: the supervisor tries again */
		log_warn("iSNS: no connection to %s yet (the supervisor could not connect)",
			 s->server);
		if (json_is_integer(sfd))
			close((int)json_integer_value(sfd));
		return 0;
	}
	take_conn(s, (int)json_integer_value(fd), json_is_integer(sfd) ?
		  (int)json_integer_value(sfd) : -1,
		  json_string_value(json_object_get(isns, "scn_addr")),
		  (uint16_t)json_integer_value(json_object_get(isns, "scn_port")));
	return 0;
}

void iscsi_isns_ctl(struct iscsi_tgt *t, struct ctl_msg *m)
{
	struct iscsi_isns *s = t->isns;
	json_t *root = json_loads(m->data ? m->data : "", 0, NULL);
	json_t *port = json_object_get(root, "scn_port");
	const char *addr = json_string_value(json_object_get(root, "scn_addr"));

	if (!s || m->nfds < 1 || t->shutting_down) {
		log_warn("iSNS: connection handed over but not wanted; closed");
		json_decref(root);
		return; /* child.c closes the fds it received */
	}
	log_info("iSNS: new connection to %s: registering again", s->server);
	take_conn(s, m->fds[0], m->nfds > 1 && json_is_integer(port) ? m->fds[1] : -1, addr,
		  (uint16_t)json_integer_value(port));
	m->fds[0] = -1; /* ours now */
	if (m->nfds > 1)
		m->fds[1] = -1;
	json_decref(root);
}

void iscsi_isns_targets_changed(struct iscsi_tgt *t, json_t *cfg)
{
	struct iscsi_isns *s = t->isns;
	bool same;

	if (!s)
		return;
	json_t *targets = json_object_get(cfg, "targets");

	same = json_is_array(targets) && json_array_size(targets) == s->ntargets;
	for (uint32_t i = 0; same && i < s->ntargets; i++)
		same = !strcmp(json_string_value(json_object_get(json_array_get(targets, i),
								 "name")) ?: "", s->targets[i]);
	if (same)
		return;
	if (set_targets(s, cfg) < 0)
		return;
	log_info("iSNS: targets changed (%u now): registering again", s->ntargets);
	s->scn_due = true;
	send_register(s);
}

void iscsi_isns_portals_changed(struct iscsi_tgt *t)
{
	struct iscsi_isns *s = t->isns;

	if (!s || set_portals(s) < 0)
		return;
	log_info("iSNS: portals changed (%u now): registering again", s->nportals);
	send_register(s);
}

void iscsi_isns_stats(struct iscsi_tgt *t, json_t *j)
{
	struct iscsi_isns *s = t->isns;

	if (!s || !j)
		return;
	json_object_set_new(j, "isns", json_pack("{s:s, s:I, s:I, s:I}", "state",
		s->main.fd < 0 ? "down" : s->registered ? "registered" : "connecting",
		"registrations", (json_int_t)s->registrations,
		"connections", (json_int_t)s->connections, "scns", (json_int_t)s->scns));
}

/* Deregister the entity (and with it its portals, nodes and portal
 * groups). */
static void send_dereg(struct iscsi_isns *s)
{
	static struct isns_buf m;

	if (s->main.fd < 0 || !s->dereg_src[0])
		return;
	m.len = 0;
	m.overflow = false;
	put_str(&m, TAG_ISCSI_NAME, s->dereg_src);     /* source */
	put_attr(&m, TAG_DELIMITER, NULL, 0);
	put_str(&m, TAG_EID, s->entity);
	isns_queue(&s->main, ISNS_DEV_DEREG, ISNS_FLAG_CLIENT, ++s->xid, &m);
	ev_timer_stop(s->t->loop, &s->refresh);
	s->registered = false;
	s->dereg_src[0] = 0;
	log_info("iSNS: entity %s deregistered from %s", s->entity, s->server);
}

/* At shutdown: written at once, the answer is only logged if it comes. */
void iscsi_isns_shutdown(struct iscsi_tgt *t)
{
	struct iscsi_isns *s = t->isns;

	if (!s || s->main.fd < 0 || !s->registered)
		return;
	send_dereg(s);
	isns_tx_cb(t->loop, &s->main.ww, 0);
}
