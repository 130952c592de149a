/* Configuration changes while serving: CTL_CONFIG carries the whole new
 * target table ({"seq": n, "config": {"targets": [...]}}, the same shape as
 * CTL_INIT's). We reconcile it with the running one without disturbing a
 * command in flight:
 *  - LU slots never move (commands point at them). A removed LU stops
 *    accepting commands at once but keeps its slot until the commands it
 *    already has are answered; CTL_CONFIG_DONE {"seq"} tells the supervisor
 *    when no removed LU has a command left, so it may then take the device
 *    away from its backend.
 *  - A resized LU raises CAPACITY DATA HAS CHANGED on every nexus; a nexus
 *    whose set of LUNs changed gets REPORTED LUNS DATA HAS CHANGED on each LU
 *    it still sees.
 *  - Each nexus sees LUNs through its initiator's ACL entry (core_nexus_view):
 *    all LUNs, or a map of its own LUN numbers. An initiator that loses
 *    access sees no LU at once (LOGICAL UNIT NOT SUPPORTED, empty REPORT
 *    LUNS). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_xcopy.h"
#include "procs/core/core_state.h"

static struct {
	struct core *co;
	ev_timer drain_w;
	bool     timer_on;
	uint32_t seq_applied;    /* highest CTL_CONFIG applied */
	double   drain_since;
} live;

/* ---- per-nexus views ---- */

int core_nexus_view_init(struct core_nexus *nx)
{
	nx->view_ilun = calloc(CORE_MAX_LUNS, sizeof(uint32_t));
	nx->view_slot = calloc(CORE_MAX_LUNS, sizeof(uint32_t));
	if (!nx->view_ilun || !nx->view_slot) {
		core_nexus_view_free(nx);
		return -ENOMEM;
	}
	nx->nview = 0;
	return 0;
}

void core_nexus_view_free(struct core_nexus *nx)
{
	free(nx->view_ilun);
	free(nx->view_slot);
	nx->view_ilun = nx->view_slot = NULL;
	nx->nview = 0;
}

bool core_nexus_view(struct core_nexus *nx)
{
	static uint32_t il[CORE_MAX_LUNS], sl[CORE_MAX_LUNS];
	struct core_target *t = nx->tgt;
	const struct core_acl *a = core_target_acl(t, nx->initiator);
	uint32_t n = 0;
	bool changed;

	if (a && a->all) {
		for (uint32_t i = 0; i < t->nlive; i++) {
			il[n] = t->lun_ids[i];
			sl[n++] = t->order[i];
		}
	} else if (a) {
		for (uint32_t i = 0; i < a->nmap && n < CORE_MAX_LUNS; i++) {
			struct core_lun *l = core_target_lun(t, a->map[i].tlun);
			uint32_t k;

			if (!l)
				continue;
			for (k = n; k > 0 && il[k - 1] > a->map[i].ilun; k--) {
				il[k] = il[k - 1];
				sl[k] = sl[k - 1];
			}
			if (k > 0 && il[k - 1] == a->map[i].ilun) {
				/* a duplicate the supervisor should have refused: keep the first */
				memmove(&il[k], &il[k + 1], (n - k) * sizeof(il[0]));
				memmove(&sl[k], &sl[k + 1], (n - k) * sizeof(sl[0]));
				continue;
			}
			il[k] = a->map[i].ilun;
			sl[k] = l->index;
			n++;
		}
	}
	changed = n != nx->nview || memcmp(il, nx->view_ilun, n * sizeof(il[0])) ||
		  memcmp(sl, nx->view_slot, n * sizeof(sl[0]));
	memcpy(nx->view_ilun, il, n * sizeof(il[0]));
	memcpy(nx->view_slot, sl, n * sizeof(sl[0]));
	nx->nview = n;
	nx->readonly = a && a->readonly;
	return changed;
}

struct core_lun *core_nexus_lun(struct core_nexus *nx, uint32_t ilun)
{
	uint32_t lo = 0, hi = nx->nview;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (nx->view_ilun[mid] == ilun) {
			struct core_lun *l = &nx->tgt->luns[nx->view_slot[mid]];

			return l->live ? l : NULL;
		}
		if (nx->view_ilun[mid] < ilun)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- reconciling ---- */

static bool slot_busy(const struct core_lun *l)
{
	/* san: a removed LU's sanitize still has a piece at the backend */
	return l->tasks.len || l->lba_excl.len || l->lba_running.len || l->in_sched || l->san;
}

static struct core_lun *slot_alloc(struct core_target *t)
{
	for (uint32_t i = 0; i < t->nluns; i++)
		if (!t->luns[i].live && !slot_busy(&t->luns[i])) {
			scsi_pr_free(&t->luns[i].pr);
			free(t->luns[i].prevent);
			memset(&t->luns[i], 0, sizeof(t->luns[i]));
			t->luns[i].index = i;
			return &t->luns[i];
		}
	if (t->nluns == CORE_MAX_LUNS)
		return NULL;
	t->luns[t->nluns].index = t->nluns;
	return &t->luns[t->nluns++];
}

static void lun_remove(struct core_lun *l)
{
	l->live = false;
	core_sanitize_lun_removed(l);
	log_info("target %s: LUN %u removed (%u commands still to finish)", l->tgt->name,
		 l->lu.lun, l->tasks.len);
}

static bool lun_same_device(const struct core_lun *a, const struct core_lun *b)
{
	return a->link == b->link && a->dev == b->dev && !strcmp(a->backend, b->backend) &&
	       a->lu.block_size == b->lu.block_size;
}

/* Bring t's LUs and ACL to those of nt (freshly loaded, not yet live). */
static void apply_target(struct core_target *t, struct core_target *nt)
{
	static bool seen[CORE_MAX_LUNS];
	struct core_acl *acls;
	char **inits;
	uint32_t n;

	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < nt->nluns; i++) {
		struct core_lun *src = &nt->luns[i], *l = core_target_lun(t, src->lu.lun);

		if (l && lun_same_device(l, src)) {
			seen[l->index] = true;
			if (l->lu.nblocks != src->lu.nblocks) {
				log_info("target %s: LUN %u now %llu blocks (was %llu)", t->name,
					 l->lu.lun, (unsigned long long)src->lu.nblocks,
					 (unsigned long long)l->lu.nblocks);
				l->lu.nblocks = src->lu.nblocks;
				core_ua_raise(t, (int)l->index, SCSI_UA_CAPACITY_CHANGED, NULL);
			}
			if (l->lu.ro_config != src->lu.ro_config) {
				l->lu.ro_config = src->lu.ro_config;
				l->lu.readonly = src->lu.ro_config;
			}
			continue;
		}
		if (l)
			lun_remove(l);
		l = slot_alloc(t);
		if (!l) {
			log_err("target %s: no free LU slot for LUN %u", t->name, src->lu.lun);
			continue;
		}
		n = l->index;
		*l = *src;         /* fresh: empty lists, no reservation */
		l->index = n;
		l->tgt = t;
		l->lu.target_name = t->name;
		l->live = true;
		seen[n] = true;
		scsi_lu_make_ids(&l->lu);
		/* a new LU: no leftover attention of the slot's previous tenant */
		for (struct clist_node *x = t->nexuses.first; x; x = x->next)
			clist_entry(x, struct core_nexus, tnode)->ua[n] = 0;
		log_info("target %s: LUN %u added (%s %s)", t->name, l->lu.lun, l->backend,
			 l->path);
	}
	for (uint32_t i = 0; i < t->nluns; i++)
		if (t->luns[i].live && !seen[i])
			lun_remove(&t->luns[i]);
	core_config_index(t);

	/* port groups: as configured now, keeping the states of those that
	 * existed (plain data: a copy) */
	core_alua_adopt(nt, t);
	t->alua = nt->alua;

	/* the ACL: swap in the new one */
	inits = t->initiators;
	acls = t->acls;
	n = t->ninitiators;
	t->initiators = nt->initiators;
	t->acls = nt->acls;
	t->ninitiators = nt->ninitiators;
	t->any_initiator = nt->any_initiator;
	nt->initiators = inits;
	nt->acls = acls;
	nt->ninitiators = n;
}

static void target_remove(struct core_target *t)
{
	for (uint32_t i = 0; i < t->nluns; i++)
		if (t->luns[i].live)
			lun_remove(&t->luns[i]);
	core_config_index(t);
	t->live = false;
	log_info("target %s removed", t->name);
}

static void views_update(struct core_target *t)
{
	for (struct clist_node *x = t->nexuses.first; x; x = x->next) {
		struct core_nexus *nx = clist_entry(x, struct core_nexus, tnode);

		if (!core_nexus_view(nx))
			continue;
		for (uint32_t i = 0; i < nx->nview; i++)
			nx->ua[nx->view_slot[i]] |= SCSI_UA_LUNS_CHANGED;
		core_state_dirty = true;
		log_info("nexus %u (%s) on %s now sees %u LUNs", nx->id, nx->initiator, t->name,
			 nx->nview);
	}
}

static struct core_target *target_slot(struct core_config *cfg)
{
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		struct core_target *t = &cfg->targets[i];
		bool busy = false;

		if (t->live || t->nexuses.len)
			continue;
		for (uint32_t k = 0; k < t->nluns; k++)
			busy |= slot_busy(&t->luns[k]);
		if (!busy) {
			core_config_target_free(t);
			return t;
		}
	}
	if (cfg->ntargets == CORE_MAX_TARGETS)
		return NULL;
	return &cfg->targets[cfg->ntargets++];
}

static bool draining(struct core *co)
{
	for (uint32_t i = 0; i < co->cfg.ntargets; i++) {
		struct core_target *t = &co->cfg.targets[i];

		for (uint32_t k = 0; k < t->nluns; k++)
			if (!t->luns[k].live && slot_busy(&t->luns[k]))
				return true;
	}
	return false;
}

static void send_done(uint32_t seq, int result, const char *why)
{
	json_t *j = json_pack("{s:I, s:i, s:s}", "seq", (json_int_t)seq, "result", result,
			      "error", why ? why : "");
	char *s = json_dumps(j, JSON_COMPACT);

	if (s)
		ctl_send(CHILD_CTL_FD, CTL_CONFIG_DONE, s, strlen(s), NULL, 0);
	free(s);
	json_decref(j);
}

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	if (draining(live.co)) {
		if (ev_now(loop) - live.drain_since > 30 && (int)(ev_now(loop) - live.drain_since) % 30 == 0)
			log_warn("removed LUNs still have commands in flight after %.0f s",
				 ev_now(loop) - live.drain_since);
		return;
	}
	ev_timer_stop(loop, w);
	live.timer_on = false;
	send_done(live.seq_applied, 0, NULL);
}

static int check_links(struct core *co, const struct core_config *nc, char *err, size_t len)
{
	for (uint32_t i = 0; i < nc->ntargets; i++)
		for (uint32_t k = 0; k < nc->targets[i].nluns; k++) {
			const struct core_lun *l = &nc->targets[i].luns[k];
			struct core_link *cl = core_link_get(co, l->link);

			if (!cl || cl->role != CORE_ROLE_BACKEND) {
				snprintf(err, len, "target %.64s lun %u: link %u is not a backend link",
					 nc->targets[i].name, l->lu.lun, l->link);
				return -EINVAL;
			}
		}
	return 0;
}

void core_live_config(struct core *co, struct ctl_msg *m)
{
	json_t *root = json_loads(m->data ? m->data : "", 0, NULL);
	json_t *cfg = json_object_get(root, "config"), *seqv = json_object_get(root, "seq");
	struct core_config nc;
	char err[256];
	uint32_t seq = (uint32_t)json_integer_value(seqv);

	live.co = co;
	if (!json_is_integer(seqv) ||
	    core_config_load(cfg, &nc, err, sizeof(err)) || check_links(co, &nc, err, sizeof(err))) {
		if (!json_is_integer(seqv))
			snprintf(err, sizeof(err), "CTL_CONFIG without a seq");
		else if (nc.targets)
			core_config_free(&nc);
		log_err("live configuration refused: %s", err);
		send_done(seq, -EINVAL, err);
		json_decref(root);
		return;
	}
	core_sched_hold(co);
	for (uint32_t i = 0; i < co->cfg.ntargets; i++) {
		struct core_target *t = &co->cfg.targets[i];

		if (t->live && !core_config_target(&nc, t->name))
			target_remove(t);
	}
	for (uint32_t i = 0; i < nc.ntargets; i++) {
		struct core_target *nt = &nc.targets[i];
		struct core_target *t = core_config_target(&co->cfg, nt->name);

		if (!t) {
			t = target_slot(&co->cfg);
			if (!t) {
				log_err("no free target slot for %s", nt->name);
				continue;
			}
			/* take the fresh one whole: nothing points into it yet */
			*t = *nt;
			memset(nt, 0, sizeof(*nt));
			for (uint32_t k = 0; k < t->nluns; k++) {
				t->luns[k].tgt = t;
				t->luns[k].lu.target_name = t->name;
			}
			log_info("target %s added with %u LUNs", t->name, t->nluns);
			continue;
		}
		apply_target(t, nt);
	}
	for (uint32_t i = 0; i < co->cfg.ntargets; i++)
		views_update(&co->cfg.targets[i]);
	core_sched_release(co);
	core_config_free(&nc);
	live.seq_applied = seq;
	if (!draining(co)) {
		send_done(seq, 0, NULL);
	} else if (!live.timer_on) {
		live.drain_since = ev_now(co->loop);
		ev_timer_init(&live.drain_w, drain_cb, 0.01, 0.01);
		ev_timer_start(co->loop, &live.drain_w);
		live.timer_on = true;
	}
	json_decref(root);
}
