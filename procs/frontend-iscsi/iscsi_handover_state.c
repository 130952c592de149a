/* The state an iSCSI frontend hands to its successor in a live upgrade
 * (iscsi_handover.c writes it): parsed and checked here as untrusted input,
 * without touching any object of the process, so a fuzzer can drive it
 * (tests/fuzz/fuzz_handover.c). */
#include "procs/frontend-iscsi/iscsi_handover_state.h"
#include "procs/frontend-iscsi/iscsi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const iscsi_ho_stat_names[ISCSI_HO_NSTATS] = {
	"conns", "logins", "login_failures", "commands", "bytes_in", "bytes_out",
};

/* Field readers: each refuses a missing or out-of-range value. */
static bool get_u(json_t *o, const char *k, uint64_t lo, uint64_t hi, uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < lo || (uint64_t)json_integer_value(v) > hi)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool get_b(json_t *o, const char *k, bool *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

static bool get_s(json_t *o, const char *k, char *out, size_t cap, bool nonempty)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    (nonempty && !json_string_length(v)))
		return false;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return true;
}

static bool get_f(json_t *o, const char *k, double hi, double *out)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > hi)
		return false;
	*out = json_number_value(v);
	return true;
}

static bool get_hex(json_t *o, const char *k, uint8_t *out, size_t max, uint32_t *len)
{
	const char *s = json_string_value(json_object_get(o, k));
	size_t n = s ? strlen(s) : 0;

	if (!s || n % 2 || n / 2 > max)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return false;
		out[i] = (uint8_t)v;
	}
	*len = (uint32_t)(n / 2);
	return true;
}

#define NEED(cond, what) do { if (!(cond)) { *why = what; return false; } } while (0)

static bool load_params(const struct iscsi_ho_limits *lim, json_t *o, struct iscsi_params *p,
			const char **why)
{
	uint64_t v;
	bool ok = json_is_object(o);

	iscsi_params_defaults(p);
	NEED(ok, "params: not an object");
	NEED(get_u(o, "session_type", 0, 1, &v), "params.session_type");
	p->session_type = (uint8_t)v;
	NEED(get_b(o, "header_digest", &p->header_digest) &&
	     get_b(o, "data_digest", &p->data_digest), "params: digests");
	NEED(lim->crc32c || (!p->header_digest && !p->data_digest), "params: digests");
	NEED(get_u(o, "max_connections", 1, 65535, &v), "params.max_connections");
	p->max_connections = (uint32_t)v;
	NEED(get_b(o, "initial_r2t", &p->initial_r2t) &&
	     get_b(o, "immediate_data", &p->immediate_data), "params: r2t/immediate");
	NEED(get_u(o, "max_burst", 512, lim->max_burst, &v), "params.max_burst");
	p->max_burst = (uint32_t)v;
	NEED(get_u(o, "first_burst", 512, p->max_burst, &v), "params.first_burst");
	p->first_burst = (uint32_t)v;
	NEED(get_u(o, "time2wait", 0, 3600, &v), "params.time2wait");
	p->time2wait = (uint32_t)v;
	NEED(get_u(o, "time2retain", 0, 3600, &v), "params.time2retain");
	p->time2retain = (uint32_t)v;
	NEED(get_u(o, "max_outstanding_r2t", 1, ISCSI_MAX_R2T, &v), "params.max_outstanding_r2t");
	p->max_outstanding_r2t = (uint32_t)v;
	NEED(get_b(o, "data_pdu_in_order", &p->data_pdu_in_order) &&
	     get_b(o, "data_seq_in_order", &p->data_seq_in_order) &&
	     p->data_pdu_in_order && p->data_seq_in_order, "params: data order");
	NEED(get_u(o, "erl", 0, 2, &v), "params.erl");
	p->erl = (uint32_t)v;
	NEED(get_u(o, "protocol_level", 0, 255, &v), "params.protocol_level");
	p->protocol_level = (uint32_t)v;
	NEED(get_u(o, "mrdsl_tx", 512, (1u << 24) - 1, &v), "params.mrdsl_tx");
	p->mrdsl_tx = (uint32_t)v;
	NEED(get_u(o, "mrdsl_rx", 512, lim->max_recv_dsl, &v), "params.mrdsl_rx");
	p->mrdsl_rx = (uint32_t)v;
	NEED(get_s(o, "initiator_name", p->initiator_name, sizeof(p->initiator_name), true),
	     "params.initiator_name");
	NEED(get_s(o, "target_name", p->target_name, sizeof(p->target_name),
		   p->session_type == ISCSI_SESSION_NORMAL), "params.target_name");
	NEED(get_s(o, "initiator_alias", p->initiator_alias, sizeof(p->initiator_alias), false),
	     "params.initiator_alias");
	return true;
}

static bool load_conn(const struct iscsi_ho_limits *lim, json_t *o, int nfds,
		      struct iscsi_ho_conn *hc, const char **why)
{
	json_t *s = json_object_get(o, "session");
	uint64_t v;
	uint32_t n;

	NEED(json_is_object(o) && json_is_object(s), "conn: not an object");
	NEED(nfds > 0 && get_u(o, "fd", 0, (uint64_t)nfds - 1, &v), "conn.fd");
	hc->fd = (int)v;
	NEED(get_s(o, "listener", hc->listener, sizeof(hc->listener), true), "conn.listener");
	NEED(get_u(o, "id", 1, UINT64_MAX >> 12, &hc->id), "conn.id");
	NEED(get_u(o, "group", 1, 65535, &v), "conn.group");
	hc->group = (uint16_t)v;
	NEED(get_u(o, "cid", 0, 65535, &v), "conn.cid");
	hc->cid = (uint16_t)v;
	NEED(get_u(o, "stat_sn", 0, UINT32_MAX, &v), "conn.stat_sn");
	hc->stat_sn = (uint32_t)v;
	NEED(get_u(o, "exp_stat_sn", 0, UINT32_MAX, &v), "conn.exp_stat_sn");
	hc->exp_stat_sn = (uint32_t)v;
	NEED(get_u(o, "next_ttt", 0, UINT32_MAX, &v), "conn.next_ttt");
	hc->next_ttt = (uint32_t)v;
	NEED(get_u(o, "nop_ttt", 0, UINT32_MAX, &v), "conn.nop_ttt");
	hc->nop_ttt = (uint32_t)v;
	NEED(get_b(o, "hdigest", &hc->hdigest) && get_b(o, "ddigest", &hc->ddigest) &&
	     get_b(o, "nop_out", &hc->nop_out), "conn: flags");
	NEED(get_f(o, "nop_age", 86400.0 * 365, &hc->nop_age) &&
	     get_f(o, "idle", 86400.0 * 365, &hc->idle), "conn: timers");
	NEED(get_s(o, "peer", hc->peer, sizeof(hc->peer), false) &&
	     get_s(o, "local", hc->local, sizeof(hc->local), false), "conn: addresses");
	NEED(get_hex(o, "rx_partial", hc->part, ISCSI_BHS_LEN, &hc->part_len), "conn.rx_partial");
	/* optional: the initiator's MaxRecvDataSegmentLength on this
	 * connection of several (0: the session's) */
	hc->mrdsl_tx = 0;
	if (json_object_get(o, "mrdsl_tx")) {
		NEED(get_u(o, "mrdsl_tx", 0, (1u << 24) - 1, &v) && (v == 0 || v >= 512),
		     "conn.mrdsl_tx");
		hc->mrdsl_tx = (uint32_t)v;
	}
	NEED(get_u(s, "tsih", 1, 65535, &v), "session.tsih");
	hc->tsih = (uint16_t)v;
	NEED(get_hex(s, "isid", hc->isid, 6, &n) && n == 6, "session.isid");
	NEED(get_u(s, "nexus", 0, UINT32_MAX, &v), "session.nexus");
	hc->nexus = (uint32_t)v;
	NEED(get_b(s, "nexus_added", &hc->nexus_added), "session.nexus_added");
	NEED(get_u(s, "exp_cmd_sn", 0, UINT32_MAX, &v), "session.exp_cmd_sn");
	hc->exp_cmd_sn = (uint32_t)v;
	NEED(get_u(s, "max_cmd_sn", 0, UINT32_MAX, &v), "session.max_cmd_sn");
	hc->max_cmd_sn = (uint32_t)v;
	/* the window the old one announced: never wider than our queue */
	NEED((uint32_t)(hc->max_cmd_sn + 1 - hc->exp_cmd_sn) <= ISCSI_QDEPTH,
	     "session: CmdSN window");
	{
		json_t *holes = json_object_get(s, "holes"), *h;
		size_t k;

		/* optional (a frontend without ERL 1 sends none) */
		NEED(!holes || (json_is_array(holes) &&
				json_array_size(holes) <= ISCSI_ERL_HOLES &&
				json_array_size(holes) <= sizeof(hc->holes) / sizeof(hc->holes[0])),
		     "session.holes");
		hc->nholes = 0;
		json_array_foreach(holes, k, h) {
			NEED(json_is_integer(h) && json_integer_value(h) >= 0 &&
			     json_integer_value(h) <= UINT32_MAX, "session.holes");
			hc->holes[hc->nholes++] = (uint32_t)json_integer_value(h);
		}
		hc->async_sent = 0;
		if (json_object_get(s, "async_sent")) {
			NEED(get_u(s, "async_sent", 0, UINT32_MAX, &v), "session.async_sent");
			hc->async_sent = (uint32_t)v;
		}
	}
	if (!load_params(lim, json_object_get(s, "params"), &hc->p, why))
		return false;
	NEED(hc->hdigest == hc->p.header_digest && hc->ddigest == hc->p.data_digest,
	     "conn: digests differ from the session's");
	NEED(hc->p.session_type == ISCSI_SESSION_NORMAL || !hc->nexus_added,
	     "session: a discovery session with a nexus");
	return true;
}

/* Two connections name the same session: everything of the session agrees
 * (the digests are each connection's own). */
static bool same_session(const struct iscsi_ho_conn *a, const struct iscsi_ho_conn *b)
{
	const struct iscsi_params *pa = &a->p, *pb = &b->p;

	return pa->session_type == ISCSI_SESSION_NORMAL && pb->session_type == pa->session_type &&
	       !memcmp(a->isid, b->isid, 6) && a->nexus == b->nexus &&
	       a->nexus_added == b->nexus_added && a->exp_cmd_sn == b->exp_cmd_sn &&
	       a->max_cmd_sn == b->max_cmd_sn && a->group == b->group &&
	       pa->max_connections == pb->max_connections && pa->erl == pb->erl &&
	       pa->initial_r2t == pb->initial_r2t && pa->immediate_data == pb->immediate_data &&
	       pa->max_burst == pb->max_burst && pa->first_burst == pb->first_burst &&
	       pa->max_outstanding_r2t == pb->max_outstanding_r2t &&
	       pa->mrdsl_rx == pb->mrdsl_rx &&
	       !strcmp(pa->initiator_name, pb->initiator_name) &&
	       !strcmp(pa->target_name, pb->target_name);
}

/* Check everything first: nothing is built from a document that fails. */
static bool parse_doc(const struct iscsi_ho_limits *lim, json_t *doc, int nfds,
		      struct iscsi_ho_state *st, const char **why)
{
	json_t *conns = json_object_get(doc, "conns"), *o, *stats = json_object_get(doc, "stats");
	bool used[ISCSI_HO_MAX_CONNS] = { false };
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	struct iscsi_ho_conn *hc = st->conns;
	uint64_t v;
	size_t i;

	*why = "not JSON";
	NEED(json_is_object(doc) && kind && !strcmp(kind, "iscsi-handover"), "not a handover");
	NEED(get_u(doc, "version", ISCSI_HO_VERSION, ISCSI_HO_VERSION, &v), "unknown version");
	NEED(nfds >= 0 && nfds <= ISCSI_HO_MAX_CONNS, "too many fds");
	NEED(get_u(doc, "next_tsih", 0, 65535, &v), "next_tsih");
	st->next_tsih = (uint16_t)v;
	NEED(get_u(doc, "next_nexus", 1, UINT32_MAX, &v), "next_nexus");
	st->next_nexus = (uint32_t)v;
	NEED(get_u(doc, "next_conn_id", 0, UINT64_MAX >> 12, &st->next_conn_id), "next_conn_id");
	/* counters only inform: any non-negative value, 0 when absent */
	for (i = 0; i < ISCSI_HO_NSTATS; i++)
		if (!get_u(stats, iscsi_ho_stat_names[i], 0, UINT64_MAX >> 1, &st->stats[i]))
			st->stats[i] = 0;
	NEED(json_is_array(conns) && json_array_size(conns) == (size_t)nfds, "conns: count");
	st->n = 0;
	json_array_foreach(conns, i, o) {
		if (!load_conn(lim, o, nfds, &hc[i], why))
			return false;
		NEED(!used[hc[i].fd], "conn.fd used twice");
		used[hc[i].fd] = true;
		NEED(!hc[i].nexus_added || hc[i].nexus < st->next_nexus, "session.nexus");
		uint32_t nsame = 1;

		for (size_t k = 0; k < i; k++) {
			if (hc[k].tsih == hc[i].tsih) {
				/* several connections of one session: the same
				 * session state, another CID, within MaxConnections */
				NEED(same_session(&hc[k], &hc[i]), "session.tsih used twice");
				NEED(hc[k].cid != hc[i].cid, "conn.cid used twice in a session");
				NEED(++nsame <= hc[k].p.max_connections &&
				     nsame <= ISCSI_MAX_CONNS, "session: too many connections");
				NEED(hc[k].id != hc[i].id, "conn.id used twice");
				continue;
			}
			NEED(!hc[k].nexus_added || !hc[i].nexus_added || hc[k].nexus != hc[i].nexus,
			     "session.nexus used twice");
			NEED(hc[k].id != hc[i].id, "conn.id used twice");
		}
		st->n++;
	}
	return true;
}

int iscsi_ho_parse(const struct iscsi_ho_limits *lim, const char *txt, size_t len, int nfds,
		   struct iscsi_ho_state *st, const char **why)
{
	json_t *doc = json_loadb(txt, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = parse_doc(lim, doc, nfds, st, why);

	json_decref(doc);
	return ok ? 0 : -EINVAL;
}
