/* Per LU and per nexus counters and latency histograms (common/hist.h),
 * and the state of every link, for CTL_STATS (mtgtctl stats). Latency is
 * from the command's arrival at the core to its answer being queued. */
#include <stdio.h>

#include "procs/core/core.h"

#define STATS_MAX_ROWS 4096 /* keeps the CTL_STATS answer well under its limit */

uint64_t core_now_ns(void)
{
	return hist_now_ns();
}

static void count(struct core_io_stats *st, const struct core_cmd *cmd, uint64_t us)
{
	st->ios++;
	if (cmd->res.status != SCSI_GOOD)
		st->errors++;
	if (!cmd->emulated && cmd->io.op == MSG_IO_READ && !cmd->io.verify) {
		st->reads++;
		st->bytes_read += cmd->res.data_len;
	} else if (!cmd->emulated && cmd->io.op == MSG_IO_WRITE) {
		st->writes++;
		if (cmd->res.status == SCSI_GOOD)
			st->bytes_written += cmd->io.length;
	}
	hist_add(&st->lat, us);
}

void core_stats_cmd_done(struct core_cmd *cmd)
{
	uint64_t us;

	if (!cmd->t0_ns || cmd->aborted)
		return;
	us = (core_now_ns() - cmd->t0_ns) / 1000;
	if (cmd->lun)
		count(&cmd->lun->st, cmd, us);
	if (cmd->nexus)
		count(&cmd->nexus->st, cmd, us);
	cmd->t0_ns = 0; /* counted once */
}

static json_t *io_json(const struct core_io_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}",
			 "ios", (json_int_t)st->ios, "reads", (json_int_t)st->reads,
			 "writes", (json_int_t)st->writes, "errors", (json_int_t)st->errors,
			 "bytes_read", (json_int_t)st->bytes_read,
			 "bytes_written", (json_int_t)st->bytes_written, "lat_us",
			 "p50", (json_int_t)hist_pct(&st->lat, 0.50), "p99",
			 (json_int_t)hist_pct(&st->lat, 0.99), "p999",
			 (json_int_t)hist_pct(&st->lat, 0.999));
}

json_t *core_stats_json(struct core *co)
{
	json_t *luns = json_array(), *nxs = json_array(), *links = json_array();
	unsigned rows = 0, depth = 0;
	uint32_t used_pages = co->arena_alloc.npages - co->arena_alloc.free_pages;
	char pool[48];

	for (uint32_t i = 0; i < co->cfg.ntargets; i++) {
		struct core_target *t = &co->cfg.targets[i];

		for (uint32_t k = 0; k < t->nlive && rows < STATS_MAX_ROWS; k++, rows++) {
			struct core_lun *l = &t->luns[t->order[k]];
			json_t *o = io_json(&l->st);

			json_object_update_new(o, json_pack("{s:s, s:i, s:i}", "target", t->name,
							    "lun", l->lu.lun, "in_flight",
							    (int)l->tasks.len));
			json_array_append_new(luns, o);
		}
		for (struct clist_node *n = t->nexuses.first; n && rows < STATS_MAX_ROWS;
		     n = n->next, rows++) {
			struct core_nexus *nx = clist_entry(n, struct core_nexus, tnode);
			json_t *o = io_json(&nx->st);
			char isid[16];

			snprintf(isid, sizeof(isid), "%012llx", (unsigned long long)nx->isid);
			json_object_update_new(o, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:b}",
				"target", t->name, "initiator", nx->initiator, "isid", isid,
				"nexus", nx->id, "link", nx->link, "in_flight", (int)nx->cmds.len,
				"luns_seen", nx->nview, "readonly", nx->readonly));
			json_array_append_new(nxs, o);
		}
	}
	for (uint32_t i = 0; i < CHILD_MAX_LINKS; i++) {
		struct core_link *cl = &co->links[i];

		if (cl->role == CORE_ROLE_NONE)
			continue;
		depth += cl->txq.len + cl->inflight.len;
		json_array_append_new(links, json_pack("{s:i, s:s, s:s, s:b, s:i, s:i}", "id",
			cl->id, "peer", cl->peer, "role",
			cl->role == CORE_ROLE_FRONTEND ? "frontend" : "backend", "up", cl->up,
			"queued", (int)cl->txq.len, "at_backend", (int)cl->inflight.len));
	}
	snprintf(pool, sizeof(pool), "%u/%u pages", used_pages, co->arena_alloc.npages);
	return json_pack("{s:o, s:o, s:o, s:i, s:s}", "luns", luns, "nexuses", nxs, "links",
			 links, "ring_depth", depth, "pool_used", pool);
}
