/* Reservations in the core: conflict checks on every command, PR and SPC-2
 * commands with the nexus identity, unit attentions and aborts for the
 * nexuses a PR OUT touched, and APTPL state saved through the state file fd
 * the supervisor hands over (init key "state": {"fd": N, "path": "..."}). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_xcopy.h"
#include "procs/core/core_state.h"
#include "procs/core/core_pr_store.h"

static int state_fd = -1;
static uint64_t state_gen;

static void nexus_itn(const struct core_nexus *nx, struct scsi_itn *itn)
{
	memset(itn, 0, sizeof(*itn));
	snprintf(itn->name, sizeof(itn->name), "%s", nx->initiator);
	itn->isid = nx->isid;
	itn->proto = nx->proto;
}

bool core_pr_conflict(struct core *co, struct core_cmd *cmd)
{
	const struct scsi_pr *pr = &cmd->lun->pr;
	struct scsi_itn self;

	(void)co;
	if (!pr->reserved && !pr->r2_held)
		return false;
	nexus_itn(cmd->nexus, &self);
	if (!scsi_pr_conflict(pr, &self, cmd->cdb))
		return false;
	cmd->res.status = SCSI_STATUS_RESERVATION_CONFLICT;
	cmd->res.sense_len = 0;
	cmd->res.data_len = 0;
	return true;
}

/* EXTENDED COPY asks this for the LUs it reads (as READ) and writes (as
 * WRITE) on behalf of nx: the copy manager may do no more than nx could. */
bool core_pr_blocks(struct core_nexus *nx, struct core_lun *l, const uint8_t *cdb)
{
	struct scsi_itn self;

	if (!l->pr.reserved && !l->pr.r2_held)
		return false;
	nexus_itn(nx, &self);
	return scsi_pr_conflict(&l->pr, &self, cdb);
}

struct notify_ctx {
	struct core *co;
	struct core_lun *lun;
	struct core_cmd *cmd;
};

static void pr_notify(void *vctx, const struct scsi_itn *itn, uint16_t bit, bool abort)
{
	struct notify_ctx *x = vctx;
	struct core_lun *l = x->lun;

	for (struct clist_node *n = l->tgt->nexuses.first; n; n = n->next) {
		struct core_nexus *nx = clist_entry(n, struct core_nexus, tnode);
		struct scsi_itn t;

		nexus_itn(nx, &t);
		if (!scsi_itn_match(itn, &t))
			continue;
		core_ua_set(nx, l->index, bit);
		core_state_dirty = true;
		if (!abort || nx == x->cmd->nexus)
			continue;
		core_sched_hold(x->co);
		for (struct clist_node *c = nx->cmds.first, *next; c; c = next) {
			struct core_cmd *k = clist_entry(c, struct core_cmd, nnode);

			next = c->next;
			if (k->kind == CK_CMD && k->lun == l && k != x->cmd)
				core_cmd_abort(x->co, k, x->cmd);
		}
		core_sched_release(x->co);
		/* a scheduling pass in progress must start over: its cursor may be gone */
		if (l->in_sched)
			l->resched = true;
	}
}

/* NULL when something cannot be encoded (e.g. a name that is not UTF-8):
 * the save then fails instead of silently dropping a registration. */
static json_t *lun_json(const struct core_lun *l)
{
	const struct scsi_pr *pr = &l->pr;
	json_t *regs = json_array(), *o, *e;

	/* 64-bit keys and ISIDs are kept as decimal strings: JSON numbers are not */
	for (uint32_t i = 0; i < pr->nregs; i++) {
		char isid[24], key[24];

		snprintf(isid, sizeof(isid), "%llu", (unsigned long long)pr->regs[i].itn.isid);
		snprintf(key, sizeof(key), "%llu", (unsigned long long)pr->regs[i].key);
		e = json_pack("{s:s,s:s,s:s,s:b}", "name", pr->regs[i].itn.name, "isid", isid,
			      "key", key, "atp", pr->regs[i].all_tg_pt);
		if (!e || json_array_append_new(regs, e)) {
			json_decref(regs);
			return NULL;
		}
	}
	o = json_pack("{s:s,s:i,s:I,s:o}", "target", l->tgt->name, "lun", (int)l->lu.lun,
		      "generation", (json_int_t)pr->generation, "regs", regs);
	if (o && pr->reserved) {
		char isid[24];

		snprintf(isid, sizeof(isid), "%llu", (unsigned long long)pr->holder.isid);
		e = json_pack("{s:s,s:s,s:i}", "name", pr->holder.name, "isid", isid, "type",
			      pr->type);
		if (!e || json_object_set_new(o, "res", e)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int pr_save(struct core *co)
{
	json_t *root = json_object(), *luns = json_array();
	char *s;
	int err;

	for (uint32_t t = 0; t < co->cfg.ntargets; t++)
		for (uint32_t i = 0; i < co->cfg.targets[t].nluns; i++) {
			json_t *o;

			if (!co->cfg.targets[t].luns[i].pr.aptpl)
				continue;
			o = lun_json(&co->cfg.targets[t].luns[i]);
			if (!o || json_array_append_new(luns, o)) {
				json_decref(luns);
				json_decref(root);
				return -EINVAL;
			}
		}
	json_object_set_new(root, "luns", luns);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	err = pr_store_write(state_fd, state_gen + 1, s, strlen(s));
	free(s);
	if (!err)
		state_gen++;
	return err;
}

bool core_pr_run(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	struct notify_ctx x = { co, l, cmd };
	struct scsi_itn self;
	uint8_t *param = NULL;
	bool was_aptpl, changed;
	struct scsi_pr_req q;
	uint32_t n;

	if (!l || !cmd->nexus || !scsi_pr_handles(cmd->cdb))
		return false;
	nexus_itn(cmd->nexus, &self);
	memset(&q, 0, sizeof(q));
	q.pr = &l->pr;
	q.self = &self;
	q.cdb = cmd->cdb;
	q.aptpl_ok = state_fd >= 0;
	q.rel_port = cmd->nexus->port;
	q.notify = pr_notify;
	q.ctx = &x;
	q.out = co->scratch;
	q.cap = co->scratch_len;
	if (core_emul_param(co, cmd, &param, &n)) {
		scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
		goto out;
	}
	q.param = param;
	q.plen = n;
	was_aptpl = l->pr.aptpl;
	changed = scsi_pr_execute(&q, &cmd->res);
	free(param);
	if (cmd->cdb[0] != PERSISTENT_RESERVE_IN)
		core_state_dirty = true;
	if (cmd->tmf_waiting)
		cmd->state = CS_TMF_WAIT; /* answered when the aborted tasks are back */
	if (changed && (was_aptpl || l->pr.aptpl) && state_fd >= 0) {
		int err = pr_save(co);

		if (err) {
			log_err("saving APTPL state failed: %s", strerror(-err));
			scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		}
	}
	if (cmd->cdb[0] == PERSISTENT_RESERVE_OUT)
		core_replay_record(cmd);
out:
	if (cmd->state == CS_TMF_WAIT) {
		cmd->res.data_len = 0;
		return true;
	}
	core_emul_finish(co, cmd);
	return true;
}

static uint64_t str_u64(json_t *j)
{
	const char *s = json_string_value(j);

	return s ? strtoull(s, NULL, 10) : 0;
}

static void pr_load_lun(struct core *co, json_t *o)
{
	struct core_target *t = core_config_target(&co->cfg,
						   json_string_value(json_object_get(o, "target")) ?: "");
	json_t *regs = json_object_get(o, "regs"), *res = json_object_get(o, "res"), *e;
	struct core_lun *l;
	size_t i;

	if (!t || !json_is_integer(json_object_get(o, "lun")))
		return;
	l = core_target_lun(t, (uint32_t)json_integer_value(json_object_get(o, "lun")));
	if (!l)
		return; /* the LUN left the configuration */
	l->pr.aptpl = true;
	l->pr.generation = (uint32_t)json_integer_value(json_object_get(o, "generation"));
	json_array_foreach(regs, i, e) {
		struct scsi_itn itn;
		const char *name = json_string_value(json_object_get(e, "name"));

		if (!name || strlen(name) >= sizeof(itn.name))
			continue;
		memset(&itn, 0, sizeof(itn));
		snprintf(itn.name, sizeof(itn.name), "%s", name);
		itn.isid = str_u64(json_object_get(e, "isid"));
		scsi_pr_add_reg(&l->pr, &itn, str_u64(json_object_get(e, "key")),
				json_is_true(json_object_get(e, "atp")));
	}
	if (json_is_object(res) && json_string_value(json_object_get(res, "name")) &&
	    json_is_integer(json_object_get(res, "type")) &&
	    scsi_pr_type_valid((uint8_t)json_integer_value(json_object_get(res, "type")))) {
		l->pr.reserved = true;
		l->pr.type = (uint8_t)json_integer_value(json_object_get(res, "type"));
		snprintf(l->pr.holder.name, sizeof(l->pr.holder.name), "%s",
			 json_string_value(json_object_get(res, "name")));
		l->pr.holder.isid = str_u64(json_object_get(res, "isid"));
	}
	log_info("APTPL: %s lun %u: %u registrations restored%s", t->name, l->lu.lun,
		 l->pr.nregs, l->pr.reserved ? ", reserved" : "");
}

void core_pr_init(struct core *co, json_t *state)
{
	json_t *fdj = json_object_get(state, "fd"), *root, *e;
	char *s = NULL;
	size_t len, i;
	int err;

	if (!json_is_integer(fdj))
		return;
	state_fd = (int)json_integer_value(fdj);
	err = pr_store_read(state_fd, &state_gen, &s, &len);
	if (err == -ENOENT) {
		log_info("APTPL state file empty");
		return;
	}
	if (err) {
		log_err("APTPL state file unreadable: %s", strerror(-err));
		return;
	}
	root = json_loadb(s, len, 0, NULL);
	free(s);
	if (!root) {
		log_err("APTPL state: bad JSON in an intact slot");
		return;
	}
	json_array_foreach(json_object_get(root, "luns"), i, e)
		pr_load_lun(co, e);
	json_decref(root);
}

/* LU reset: SPC-2 reservations end. */
void core_pr_lun_reset(struct core_lun *l)
{
	scsi_pr_reset(&l->pr);
	core_state_dirty = true;
}

/* I_T nexus loss: its SPC-2 reservations end (PR registrations stay). */
void core_pr_nexus_lost(struct core_nexus *nx)
{
	struct scsi_itn itn;

	nexus_itn(nx, &itn);
	for (uint32_t i = 0; i < nx->tgt->nluns; i++)
		scsi_pr_nexus_lost(&nx->tgt->luns[i].pr, &itn);
	core_state_dirty = true;
}
