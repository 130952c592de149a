/* stats.get and session.list/show/drop: every child answers CTL_STATS with
 * its counters (the core with per-LUN and per-nexus latency histograms, the
 * frontend with its sessions). Asking is asynchronous, so from the first
 * admin connection on we ask every second (besides the heartbeat's asking,
 * sup_stats.c, which keeps the answers) and the methods answer from the
 * latest ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/rpc_schema.h"
#include "supervisor/sup_live.h"

#define STATS_POLL_S 1.0

static struct {
	bool     on;
	ev_timer w;
} st;

static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	sup_stats_request(w->data);
}

void sup_stats_start(struct sup *s)
{
	if (st.on)
		return;
	st.on = true;
	ev_timer_init(&st.w, poll_cb, STATS_POLL_S, STATS_POLL_S);
	st.w.data = s;
	ev_timer_start(s->loop, &st.w);
	sup_stats_request(s);
}

static json_t *rpc_stats_get(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *procs = json_object();

	sup_stats_start(s);
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].stats)
			json_object_set(procs, s->procs[i].name, s->procs[i].stats);
	return json_pack("{s:f, s:o}", "time", sup_now(), "processes", procs);
}

/* The latest CTL_STATS answer of p (sup_stats.c keeps it; NULL after a
 * restart until the new process answered). */
static json_t *fresh(struct sup *s, struct sup_proc *p)
{
	return p->stats;
}

/* Sessions as the frontends see them (TSIH, connection, negotiated values)
 * joined with the core's nexus of each (LUNs seen, I/O, latency). */
static json_t *sessions(struct sup *s, bool detail)
{
	json_t *out = json_array(), *core = s->core ? fresh(s, s->core) : NULL, *x, *nx;
	size_t i, k;

	for (uint32_t f = 0; f < s->nprocs; f++) {
		struct sup_proc *fe = &s->procs[f];
		json_t *rep = fe->kind == SUP_FRONTEND ? fresh(s, fe) : NULL;

		json_array_foreach(json_object_get(rep, "session_list"), i, x) {
			json_t *row = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "tsih",
				json_object_get(x, "tsih"), "initiator", json_object_get(x, "initiator"),
				"isid", json_object_get(x, "isid"), "target", json_object_get(x, "target"),
				"peer", json_object_get(x, "peer"), "connections",
				json_object_get(x, "connections"), "frontend", fe->name);
			json_t *lat = NULL;

			json_array_foreach(json_object_get(core, "nexuses"), k, nx)
				if (json_integer_value(json_object_get(nx, "link")) == fe->link.id &&
				    json_equal(json_object_get(nx, "nexus"), json_object_get(x, "nexus"))) {
					json_object_set(row, "in_flight", json_object_get(nx, "in_flight"));
					json_object_set(row, "luns_seen", json_object_get(nx, "luns_seen"));
					json_object_set(row, "ios", json_object_get(nx, "ios"));
					json_object_set_new(row, "bytes", json_integer(
						json_integer_value(json_object_get(nx, "bytes_read")) +
						json_integer_value(json_object_get(nx, "bytes_written"))));
					lat = json_object_get(nx, "lat_us");
				}
			if (!json_object_get(row, "in_flight"))
				json_object_update_new(row, json_pack("{s:O, s:i, s:i, s:i}", "in_flight",
					json_object_get(x, "in_flight"), "luns_seen", 0, "ios", 0, "bytes", 0));
			json_object_set_new(row, "p99_us", json_integer(
				json_integer_value(json_object_get(lat, "p99"))));
			if (detail) {
				json_object_set(row, "portal", json_object_get(x, "portal"));
				json_object_set(row, "params", json_object_get(x, "params"));
				if (lat)
					json_object_set(row, "latency_us", lat);
			}
			json_array_append_new(out, row);
		}
	}
	return out;
}

static json_t *rpc_session_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *only = json_string_value(json_object_get(params, "target"));
	json_t *all = sessions(s, false), *out = json_array(), *x;
	size_t i;

	sup_stats_start(s);
	json_array_foreach(all, i, x)
		if (!only || !strcasecmp(only, json_string_value(json_object_get(x, "target")) ?: ""))
			json_array_append(out, x);
	json_decref(all);
	return out;
}

static json_t *find_session(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *all = sessions(s, true), *x, *found = NULL;
	json_int_t tsih = json_integer_value(json_object_get(params, "tsih"));
	size_t i;

	json_array_foreach(all, i, x)
		if (json_integer_value(json_object_get(x, "tsih")) == tsih)
			found = json_incref(x);
	json_decref(all);
	if (!found)
		*msg = sup_rpc_errf(code, RPC_E_NOT_FOUND, "params.tsih: no session %lld (see "
				    "session list; it is refreshed each second)", (long long)tsih);
	return found;
}

static json_t *rpc_session_show(struct sup *s, json_t *params, int *code, const char **msg)
{
	return find_session(s, params, code, msg);
}

static json_t *rpc_session_drop(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *x = find_session(s, params, code, msg), *j;
	struct sup_proc *fe;
	char *txt;

	if (!x)
		return NULL;
	fe = sup_proc_find(s, json_string_value(json_object_get(x, "frontend")) ?: "");
	j = json_pack("{s:O}", "tsih", json_object_get(params, "tsih"));
	txt = json_dumps(j, JSON_COMPACT);
	if (!fe || fe->ctl < 0 || !txt ||
	    ctl_send(fe->ctl, CTL_SESSION_DROP, txt, strlen(txt), NULL, 0) < 0) {
		*msg = sup_rpc_errf(code, RPC_E_FAILED, "its frontend is not running");
		json_decref(x);
		x = NULL;
	} else {
		json_object_set_new(x, "dropped", json_true());
		json_object_del(x, "params");
	}
	free(txt);
	json_decref(j);
	return x;
}

const struct sup_rpc_entry sup_rpc_stats_methods[] = {
	{ "stats.get", rpc_stats_get },
	{ "session.list", rpc_session_list },
	{ "session.show", rpc_session_show },
	{ "session.drop", rpc_session_drop },
	{ NULL, NULL },
};
