/* The state mtgt-srp hands to its successor at a live upgrade, when its
 * channels can move (every port's transport exports connections: soft):
 * the sessions (initiator port id, nexus id), and per channel what the
 * initiator negotiated and its credits, with the transport's description of
 * the connection and its fds (the soft transport: the socket and the
 * memory-region memfds). Written as JSON into the supervisor's memfd by the
 * old instance, read back by the new one as untrusted input: every number
 * in range and within this instance's limits, every fd used once. */
#include "procs/frontend-srp/srp_handover.h"
#include "procs/frontend-srp/srp_handover_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

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
	doc = json_pack("{s:s, s:i, s:I, s:o, s:o}", "kind", "srp-handover", "version", SRP_HO_VERSION,
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

/* Check all of it first (srp_handover_parse.c), then build. 0, or -EINVAL
 * with *why; fds[i] of every adopted connection set to -1 (ours now). A
 * refusal once building began leaves adopted connections behind: the
 * instance never serves them (srp_handover.c) and the supervisor kills it,
 * while the old one, which still holds every connection, serves on. */
int srp_ho_load(struct srp_tgt *t, const char *txt, size_t len, int *fds, int nfds,
		const char **why)
{
	struct srp_ho_limits lim = { .max_it = t->lim.max_it, .credits = t->lim.credits,
				     .max_chans = t->lim.max_chans, .max_total = t->lim.max_total };
	struct srp_ho_state *st = calloc(1, sizeof(*st));
	struct srp_sess *made[SRP_HO_MAX_CHANS];
	uint32_t i;

	*why = "out of memory";
	if (!st)
		return -ENOMEM;
	lim.nports = t->nports < SRP_HO_MAX_PORTS ? t->nports : SRP_HO_MAX_PORTS;
	for (i = 0; i < lim.nports; i++)
		if (t->ports[i].ops->import_conn && t->ports[i].ops->check_conn)
			lim.check_conn[i] = t->ports[i].ops->check_conn;
	if (srp_ho_parse(&lim, txt, len, nfds, st, why) < 0) {
		free(st);
		return -EINVAL;
	}
	for (i = 0; i < (uint32_t)nfds; i++)
		if (fds[i] < 0) {
			*why = "an fd missing";
			goto bad;
		}
	for (i = 0; i < st->nsess; i++) {
		const struct srp_ho_sess *hs = &st->sess[i];

		made[i] = srp_sess_adopt(t, &t->ports[hs->port], hs->ini, hs->nexus, hs->aer_tag);
		if (!made[i]) {
			*why = "out of memory";
			goto bad;
		}
	}
	for (i = 0; i < st->nchans; i++) {
		const struct srp_ho_chan *hc = &st->chans[i];
		struct srp_port *p = &t->ports[hc->port];
		struct srp_chan ch = { 0 };
		struct srp_xconn *xc;

		ch.id = hc->id;
		ch.it_len = hc->it_len;
		ch.ti_len = hc->ti_len;
		ch.formats = hc->formats;
		ch.imm_off = hc->imm_off;
		ch.rsp_flags = hc->rsp_flags;
		ch.req.flags = hc->login_flags;
		ch.req.tag = hc->tag;
		ch.req.it_iu_len = hc->it_len;
		ch.req_lim = hc->req_lim;
		ch.delta = hc->delta;
		xc = p->ops->import_conn(p->x, hc->conn, fds + hc->fd, hc->nfds);
		if (!xc) {
			*why = "a connection the transport refused";
			goto bad;
		}
		for (int k = 0; k < hc->nfds; k++)
			fds[hc->fd + k] = -1; /* the connection's now */
		if (!srp_chan_adopt(p, xc, made[hc->sess], &ch)) {
			*why = "no memory for a channel";
			goto bad;
		}
	}
	t->next_nexus = st->next_nexus;
	srp_ho_state_release(st);
	free(st);
	return 0;
bad:
	srp_ho_state_release(st);
	free(st);
	return -EINVAL;
}
