/* Reading the state of a live SRP upgrade (srp_handover_parse.h). It was
 * written by the old instance (srp_handover_state.c), but reaches us through
 * the supervisor as bytes: every number is checked against this instance's
 * own limits, every reference (session, port, fd) against what exists, and
 * nothing is built until all of it passed. */
#include "procs/frontend-srp/srp_handover_parse.h"

#include <errno.h>
#include <string.h>

static bool int_in(const json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
		return false;
	*v = json_integer_value(x);
	return true;
}

#define NEED(c, w) do { if (!(c)) { *why = (w); goto bad; } } while (0)

static int parse_sess(const struct srp_ho_limits *lim, struct srp_ho_state *st, json_t *o,
		      const char **why)
{
	struct srp_ho_sess *s = &st->sess[st->nsess];
	json_int_t port, nexus, aer;

	NEED(json_is_object(o), "session");
	NEED(int_in(o, "port", 0, (json_int_t)lim->nports - 1, &port), "session.port");
	NEED(lim->check_conn[port], "session.port cannot adopt connections");
	NEED(srp_port_id_parse(json_string_value(json_object_get(o, "ini")), s->ini) == 0,
	     "session.ini");
	/* below next_nexus: a later login must not get the same id */
	NEED(int_in(o, "nexus", 1, (json_int_t)st->next_nexus - 1, &nexus), "session.nexus");
	NEED(int_in(o, "aer", 0, INT64_MAX, &aer), "session.aer");
	for (uint32_t k = 0; k < st->nsess; k++) {
		NEED(st->sess[k].nexus != (uint32_t)nexus, "session.nexus used twice");
		NEED(st->sess[k].port != (uint32_t)port ||
		     memcmp(st->sess[k].ini, s->ini, SRP_PORT_ID_LEN),
		     "two sessions of one initiator on one port");
	}
	s->port = (uint32_t)port;
	s->nexus = (uint32_t)nexus;
	s->aer_tag = (uint64_t)aer;
	s->nchans = 0;
	st->nsess++;
	return 0;
bad:
	return -EINVAL;
}

static int parse_chan(const struct srp_ho_limits *lim, struct srp_ho_state *st, json_t *o,
		      int nfds, int *next_fd, const char **why)
{
	struct srp_ho_chan *c = &st->chans[st->nchans];
	json_int_t s, port, id, it, ti, fmt, imm, fl, lfl, tag, rl, d, fd, n;
	const json_int_t fmts = SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT;

	NEED(json_is_object(o), "channel");
	NEED(int_in(o, "sess", 0, (json_int_t)st->nsess - 1, &s), "channel.sess");
	NEED(int_in(o, "port", 0, (json_int_t)lim->nports - 1, &port) &&
	     (uint32_t)port == st->sess[s].port, "channel.port");
	NEED(st->sess[s].nchans < lim->max_chans, "more channels in a session than allowed");
	NEED(int_in(o, "id", 1, INT64_MAX, &id), "channel.id");
	for (uint32_t k = 0; k < st->nchans; k++)
		NEED(st->chans[k].id != (uint64_t)id, "channel.id used twice");
	NEED(int_in(o, "it", SRP_MIN_IU_LEN, lim->max_it, &it), "channel.it");
	NEED(int_in(o, "ti", SRP_MIN_IU_LEN, 4096, &ti), "channel.ti");
	NEED(int_in(o, "fmt", 1, fmts, &fmt) && !(fmt & ~fmts), "channel.fmt");
	/* a 16-bit field of the login: larger would wrap below SRP_CMD_LEN */
	NEED(int_in(o, "imm", 0, it - 1 < UINT16_MAX ? it - 1 : UINT16_MAX, &imm) &&
	     (imm == 0 || imm >= SRP_CMD_LEN), "channel.imm");
	NEED(int_in(o, "flags", 0, 255, &fl) && int_in(o, "lflags", 0, 255, &lfl) &&
	     int_in(o, "tag", 0, INT64_MAX, &tag), "channel.flags or tag");
	NEED(int_in(o, "req_lim", 0, lim->credits, &rl) && int_in(o, "delta", 0, lim->credits, &d) &&
	     rl + d <= lim->credits, "channel credits above the request limit");
	/* the fds come in channel order, each used once, none left over */
	NEED(int_in(o, "fd", *next_fd, *next_fd, &fd) && int_in(o, "nfds", 1, nfds - fd, &n),
	     "channel.fd");
	c->conn = json_object_get(o, "conn");
	NEED(json_is_object(c->conn) && lim->check_conn[port](c->conn, (int)n) == 0,
	     "channel.conn");
	*next_fd = (int)(fd + n);
	c->sess = (uint32_t)s;
	c->port = (uint32_t)port;
	c->id = (uint64_t)id;
	c->tag = (uint64_t)tag;
	c->it_len = (uint32_t)it;
	c->ti_len = (uint32_t)ti;
	c->formats = (uint16_t)fmt;
	c->imm_off = (uint16_t)imm;
	c->rsp_flags = (uint8_t)fl;
	c->login_flags = (uint8_t)lfl;
	c->req_lim = (uint32_t)rl;
	c->delta = (uint32_t)d;
	c->fd = (int)fd;
	c->nfds = (int)n;
	st->sess[s].nchans++;
	st->nchans++;
	return 0;
bad:
	return -EINVAL;
}

int srp_ho_parse(const struct srp_ho_limits *lim, const char *txt, size_t len, int nfds,
		 struct srp_ho_state *st, const char **why)
{
	json_t *doc = json_loadb(txt, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *sess = json_object_get(doc, "sessions"), *chans = json_object_get(doc, "channels");
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	size_t i, nmax = lim->max_total;
	json_int_t v, next;
	int next_fd = 0;
	json_t *o;

	st->doc = NULL;
	st->nsess = st->nchans = 0;
	*why = NULL;
	if (nmax > SRP_HO_MAX_CHANS)
		nmax = SRP_HO_MAX_CHANS;
	NEED(lim->nports <= SRP_HO_MAX_PORTS && nfds >= 0 && nfds <= SRP_HO_MAX_CHANS * 2,
	     "limits");
	NEED(json_is_object(doc) && kind && !strcmp(kind, "srp-handover"), "not a handover");
	NEED(int_in(doc, "version", SRP_HO_VERSION, SRP_HO_VERSION, &v), "version");
	NEED(int_in(doc, "next_nexus", 1, UINT32_MAX, &next), "next_nexus");
	st->next_nexus = (uint32_t)next;
	NEED(json_is_array(sess) && json_is_array(chans), "sessions or channels");
	NEED(json_array_size(chans) <= nmax && json_array_size(chans) <= (size_t)nfds &&
	     json_array_size(sess) <= json_array_size(chans), "more channels than allowed");
	json_array_foreach(sess, i, o)
		if (parse_sess(lim, st, o, why) < 0)
			goto bad;
	json_array_foreach(chans, i, o)
		if (parse_chan(lim, st, o, nfds, &next_fd, why) < 0)
			goto bad;
	NEED(next_fd == nfds, "fds that no channel names");
	for (i = 0; i < st->nsess; i++)
		NEED(st->sess[i].nchans, "a session without channels");
	st->doc = doc;
	return 0;
bad:
	st->nsess = st->nchans = 0;
	json_decref(doc);
	return -EINVAL;
}

void srp_ho_state_release(struct srp_ho_state *st)
{
	json_decref(st->doc);
	st->doc = NULL;
	st->nsess = st->nchans = 0;
}
