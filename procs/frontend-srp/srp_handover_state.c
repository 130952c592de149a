/* The state mtgt-srp hands to its successor at a live upgrade, when its
 * channels can move (every port's transport exports connections: soft):
 * the sessions (initiator port id, nexus id), and per channel what the
 * initiator negotiated and its credits, with the transport's description of
 * the connection and its fds (the soft transport: the socket and the
 * memory-region memfds). Written as JSON into the supervisor's memfd by the
 * old instance, read back by the new one as untrusted input: every number
 * in range and within this instance's limits, every fd used once. */
#include "procs/frontend-srp/srp_handover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define HO_VERSION 1

/* 0 and *fds filled; -EBUSY: a channel is not idle yet (try again);
 * -ENOSPC / -ENOTSUP: the channels cannot move (end them instead). */
int srp_ho_serialize(struct srp_tgt *t, char **out, int *fds, int *nfds, int max_fds)
{
	json_t *sess = json_array(), *chans = json_array(), *doc;
	uint32_t si = 0;
	int r = 0;

	*nfds = 0;
	for (uint32_t i = 0; i < t->nports; i++)
		if (!t->ports[i].ops->export_conn) {
			r = -ENOTSUP;
			goto out;
		}
	for (struct srp_sess *s = t->sessions; s; s = s->next) {
		char ini[35];

		if (s->state != SS_LIVE || !s->nchans) {
			r = -EBUSY;
			goto out;
		}
		srp_port_id_str(s->ini, ini);
		json_array_append_new(sess, json_pack("{s:i, s:s, s:I, s:I}", "port",
						      (int)(s->port - t->ports), "ini", ini, "nexus",
						      (json_int_t)s->nexus, "aer",
						      (json_int_t)s->next_aer_tag));
		for (struct srp_chan *ch = s->chans; ch; ch = ch->snext) {
			json_t *desc = NULL;
			int first = *nfds;

			/* nothing posted but its receives: every send done */
			if (ch->state != CH_LIVE || ch->ncmds || ch->txq || ch->wr_out != ch->nrecv) {
				r = -EBUSY;
				goto out;
			}
			r = ch->port->ops->export_conn(ch->xc, &desc, fds, nfds, max_fds);
			if (r < 0)
				goto out;
			json_array_append_new(chans, json_pack(
				"{s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:i, s:i, s:i,"
				" s:o}",
				"sess", (json_int_t)si, "id", (json_int_t)ch->id, "it",
				(json_int_t)ch->it_len, "ti", (json_int_t)ch->ti_len, "fmt",
				(int)ch->formats, "imm", (int)ch->imm_off, "flags", (int)ch->rsp_flags,
				"lflags", (int)ch->req.flags, "tag", (json_int_t)ch->req.tag,
				"req_lim", (json_int_t)ch->req_lim, "delta", (json_int_t)ch->delta,
				"fd", first, "nfds", *nfds - first, "port", (int)(ch->port - t->ports),
				"conn", desc));
		}
		si++;
	}
	doc = json_pack("{s:s, s:i, s:I, s:o, s:o}", "kind", "srp-handover", "version", HO_VERSION,
			"next_nexus", (json_int_t)t->next_nexus, "sessions", sess, "channels", chans);
	sess = chans = NULL;
	*out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return *out ? 0 : -ENOMEM;
out:
	json_decref(sess);
	json_decref(chans);
	*nfds = 0;
	return r;
}

static bool int_in(json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
		return false;
	*v = json_integer_value(x);
	return true;
}

#define NEED(c, w) do { if (!(c)) { *why = (w); goto bad; } } while (0)

/* Check all of it first, then build. 0, or -EINVAL with *why; fds[i] of
 * every adopted connection set to -1 (ours now). */
int srp_ho_load(struct srp_tgt *t, const char *txt, size_t len, int *fds, int nfds,
		const char **why)
{
	json_t *doc = json_loadb(txt, len, 0, NULL);
	json_t *sess = json_object_get(doc, "sessions"), *chans = json_object_get(doc, "channels");
	json_t *o;
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	struct srp_sess **made = NULL;
	uint32_t *nch = NULL;
	bool *used = NULL;
	json_int_t v, next;
	size_t i;

	NEED(json_is_object(doc) && kind && !strcmp(kind, "srp-handover"), "not a handover");
	NEED(int_in(doc, "version", HO_VERSION, HO_VERSION, &v), "version");
	NEED(int_in(doc, "next_nexus", 1, UINT32_MAX, &next), "next_nexus");
	NEED(json_is_array(sess) && json_is_array(chans), "sessions or channels");
	NEED(json_array_size(chans) <= t->lim.max_total &&
	     json_array_size(sess) <= json_array_size(chans), "more channels than allowed");
	made = calloc(json_array_size(sess) + 1, sizeof(*made));
	nch = calloc(json_array_size(sess) + 1, sizeof(*nch));
	used = calloc((size_t)nfds + 1, sizeof(*used));
	NEED(made && nch && used, "out of memory");
	json_array_foreach(sess, i, o) {
		uint8_t ini[SRP_PORT_ID_LEN];
		json_int_t port, nexus, aer;

		NEED(int_in(o, "port", 0, (json_int_t)t->nports - 1, &port), "session.port");
		NEED(t->ports[port].ops->import_conn, "session.port cannot adopt connections");
		NEED(srp_port_id_parse(json_string_value(json_object_get(o, "ini")), ini) == 0,
		     "session.ini");
		NEED(int_in(o, "nexus", 1, UINT32_MAX, &nexus), "session.nexus");
		NEED(int_in(o, "aer", 0, INT64_MAX, &aer), "session.aer");
		for (size_t k = 0; k < i; k++) {
			json_t *p = json_array_get(sess, k);

			NEED(json_integer_value(json_object_get(p, "nexus")) != nexus,
			     "session.nexus used twice");
		}
	}
	json_array_foreach(chans, i, o) {
		json_int_t s, it, ti, fmt, imm, rl, d, fd, n, port;

		NEED(int_in(o, "sess", 0, (json_int_t)json_array_size(sess) - 1, &s), "channel.sess");
		NEED(int_in(o, "port", 0, (json_int_t)t->nports - 1, &port) &&
		     port == json_integer_value(json_object_get(json_array_get(sess, (size_t)s),
								"port")), "channel.port");
		NEED(int_in(o, "id", 1, INT64_MAX, &v), "channel.id");
		NEED(int_in(o, "it", SRP_MIN_IU_LEN, t->lim.max_it, &it), "channel.it");
		NEED(int_in(o, "ti", SRP_MIN_IU_LEN, 4096, &ti), "channel.ti");
		NEED(int_in(o, "fmt", 1, SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT, &fmt) &&
		     !(fmt & ~(json_int_t)(SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT)), "channel.fmt");
		NEED(int_in(o, "imm", 0, it - 1, &imm) && (imm == 0 || imm >= SRP_CMD_LEN),
		     "channel.imm");
		NEED(int_in(o, "flags", 0, 255, &v) && int_in(o, "lflags", 0, 255, &v) &&
		     int_in(o, "tag", 0, INT64_MAX, &v), "channel.flags or tag");
		NEED(int_in(o, "req_lim", 0, t->lim.credits, &rl) &&
		     int_in(o, "delta", 0, t->lim.credits, &d) && rl + d <= t->lim.credits,
		     "channel credits above the request limit");
		NEED(int_in(o, "fd", 0, nfds - 1, &fd) && int_in(o, "nfds", 1, nfds - fd, &n),
		     "channel.fd");
		for (json_int_t k = fd; k < fd + n; k++) {
			NEED(!used[k] && fds[k] >= 0, "an fd used twice");
			used[k] = true;
		}
		NEED(json_is_object(json_object_get(o, "conn")), "channel.conn");
		nch[s]++;
	}
	for (i = 0; i < json_array_size(sess); i++)
		NEED(nch[i], "a session without channels");

	/* build */
	json_array_foreach(sess, i, o) {
		uint8_t ini[SRP_PORT_ID_LEN];
		struct srp_port *p = &t->ports[json_integer_value(json_object_get(o, "port"))];

		srp_port_id_parse(json_string_value(json_object_get(o, "ini")), ini);
		made[i] = srp_sess_adopt(t, p, ini,
					 (uint32_t)json_integer_value(json_object_get(o, "nexus")),
					 (uint64_t)json_integer_value(json_object_get(o, "aer")));
		NEED(made[i], "out of memory");
	}
	json_array_foreach(chans, i, o) {
		struct srp_port *p = &t->ports[json_integer_value(json_object_get(o, "port"))];
		json_int_t fd = json_integer_value(json_object_get(o, "fd"));
		int n = (int)json_integer_value(json_object_get(o, "nfds"));
		struct srp_chan st = { 0 };
		struct srp_xconn *xc;

		st.id = (uint64_t)json_integer_value(json_object_get(o, "id"));
		st.it_len = (uint32_t)json_integer_value(json_object_get(o, "it"));
		st.ti_len = (uint32_t)json_integer_value(json_object_get(o, "ti"));
		st.formats = (uint16_t)json_integer_value(json_object_get(o, "fmt"));
		st.imm_off = (uint16_t)json_integer_value(json_object_get(o, "imm"));
		st.rsp_flags = (uint8_t)json_integer_value(json_object_get(o, "flags"));
		st.req.flags = (uint8_t)json_integer_value(json_object_get(o, "lflags"));
		st.req.tag = (uint64_t)json_integer_value(json_object_get(o, "tag"));
		st.req.it_iu_len = st.it_len;
		st.req_lim = (uint32_t)json_integer_value(json_object_get(o, "req_lim"));
		st.delta = (uint32_t)json_integer_value(json_object_get(o, "delta"));
		xc = p->ops->import_conn(p->x, json_object_get(o, "conn"), fds + fd, n);
		NEED(xc, "a connection the transport refused");
		for (int k = 0; k < n; k++)
			fds[fd + k] = -1; /* the connection's now */
		NEED(srp_chan_adopt(p, xc, made[json_integer_value(json_object_get(o, "sess"))], &st),
		     "no memory for a channel");
	}
	t->next_nexus = (uint32_t)next;
	free(made);
	free(nch);
	free(used);
	json_decref(doc);
	return 0;
bad:
	/* a refusal kills this instance: nothing half built is ever used */
	free(made);
	free(nch);
	free(used);
	json_decref(doc);
	return -EINVAL;
}
