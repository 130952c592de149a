/* stats.get and session.list: every child answers CTL_STATS with its
 * counters (the core with per-LUN and per-nexus latency histograms). Asking
 * is asynchronous, so from the first admin connection on we poll every
 * child each second and the methods answer from the latest replies, with
 * their age. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/rpc_schema.h"
#include "supervisor/sup_live.h"

#define STATS_POLL_S 1.0

static struct {
	bool     on;
	ev_timer w;
	json_t  *reply[SUP_MAX_PROCS];
	double   at[SUP_MAX_PROCS];
	uint32_t epoch[SUP_MAX_PROCS];
} st;

static void poll_all(struct sup *s)
{
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p->ctl >= 0 && p->state == SUP_ST_RUNNING)
			ctl_send(p->ctl, CTL_STATS, NULL, 0, NULL, 0);
	}
}

static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	poll_all(w->data);
}

void sup_stats_start(struct sup *s)
{
	if (st.on)
		return;
	st.on = true;
	ev_timer_init(&st.w, poll_cb, STATS_POLL_S, STATS_POLL_S);
	st.w.data = s;
	ev_timer_start(s->loop, &st.w);
	poll_all(s);
}

void sup_stats_on_reply(struct sup *s, struct sup_proc *p, const char *data)
{
	uint32_t i = (uint32_t)(p - s->procs);
	json_t *j = json_loads(data ? data : "", 0, NULL);

	if (i >= SUP_MAX_PROCS || !json_is_object(j)) {
		json_decref(j);
		return;
	}
	json_decref(st.reply[i]);
	st.reply[i] = j;
	st.at[i] = sup_now();
	st.epoch[i] = p->epoch;
}

static json_t *rpc_stats_get(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *procs = json_object();

	sup_stats_start(s);
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];
		json_t *o;

		if (!st.reply[i] || st.epoch[i] != p->epoch)
			continue;
		o = json_deep_copy(st.reply[i]);
		json_object_set_new(o, "age_ms", json_integer((json_int_t)((sup_now() - st.at[i]) *
									   1000)));
		json_object_set_new(procs, p->name, o);
	}
	return json_pack("{s:f, s:o}", "time", sup_now(), "processes", procs);
}

static json_t *rpc_session_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *only = json_string_value(json_object_get(params, "target"));
	json_t *out = json_array(), *nx, *core = NULL;
	size_t i;

	sup_stats_start(s);
	for (uint32_t k = 0; k < s->nprocs; k++)
		if (&s->procs[k] == s->core && st.reply[k] && st.epoch[k] == s->core->epoch)
			core = st.reply[k];
	json_array_foreach(json_object_get(core, "nexuses"), i, nx) {
		const char *t = json_string_value(json_object_get(nx, "target"));

		if (only && t && strcasecmp(only, t))
			continue;
		json_array_append(out, nx);
	}
	return out;
}

const struct sup_rpc_entry sup_rpc_stats_methods[] = {
	{ "stats.get", rpc_stats_get },
	{ "session.list", rpc_session_list },
	{ NULL, NULL },
};
