/* Counters of the children (CTL_STATS) in `mtgtctl status`: asked for with
 * every heartbeat, the latest answer of each process kept and shown, and the
 * payload bytes every process copied summed as "payload_bytes_copied" (0 on
 * the READ/WRITE path: docs/backends.md, Zero copy). Values are as of the
 * last heartbeat; a restarted process starts counting from 0. */
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"

void sup_stats_request(struct sup *s)
{
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		/* only the kinds known to answer: a child without a handler
		 * for it would take CTL_STATS for a protocol error */
		bool answers = p->kind == SUP_CORE || p->kind == SUP_BACKEND ||
			       (p->kind == SUP_FRONTEND && !strncmp(p->kind_name, "iscsi", 5)) ||
			       (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "srp")) ||
			       (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "fc"));

		if (answers && p->state == SUP_ST_RUNNING && p->ctl >= 0)
			ctl_send(p->ctl, CTL_STATS, NULL, 0, NULL, 0);
	}
}

void sup_stats_store(struct sup_proc *p, const char *data)
{
	json_t *j = data ? json_loads(data, 0, NULL) : NULL;

	if (!json_is_object(j)) {
		log_warn("%s: unreadable STATS", p->name);
		json_decref(j);
		return;
	}
	json_decref(p->stats);
	p->stats = j;
}

void sup_stats_forget(struct sup_proc *p)
{
	json_decref(p->stats);
	p->stats = NULL;
}

void sup_stats_status(struct sup *s, json_t *status)
{
	json_t *procs = json_object_get(status, "processes");
	json_int_t copied = 0;

	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];
		json_t *o = json_array_get(procs, i);
		json_t *c = json_object_get(p->stats, "bytes_copied");

		if (!p->stats)
			continue;
		if (json_is_object(o))
			json_object_set(o, "stats", p->stats);
		if (json_is_integer(c))
			copied += json_integer_value(c);
	}
	json_object_set_new(status, "payload_bytes_copied", json_integer(copied));
}
