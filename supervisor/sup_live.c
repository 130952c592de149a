/* Live configuration: every admin change is an edit of the configuration
 * document, reloaded by the same parser as `mtgtd -c` and then applied as a
 * difference against the running configuration, without restarting anything:
 *  1. new LUNs: the backing store is opened (or created) here, the backend gets
 *     the fd with CTL_DEV_ADD; resized LUNs go through sup_lun_resize()
 *     (sup_lun.c: the file, then backend and core with CTL_LUN_RESIZE);
 *  2. the core and the frontends get the whole new table with CTL_CONFIG (the
 *     core raises the unit attentions, see procs/core/core_live.c);
 *  3. removed LUNs: once the core answers CTL_CONFIG_DONE for that change (no
 *     command of theirs left), the backend drops the device (CTL_DEV_DEL) and
 *     we close the fd.
 * Whatever fails before step 2 leaves everything as it was. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/rpc_schema.h"
#include "shm/shm_fd.h"
#include "supervisor/sup.h"
#include "supervisor/sup_live.h"

#define PENDING_MAX 1024

struct pending_del {
	uint32_t seq;
	enum sup_backend backend;
	uint32_t dev;
	int      fd;
};

static struct {
	uint32_t seq;
	uint32_t npending;
	struct pending_del pending[PENDING_MAX];
} lv;

static struct sup_proc *backend_of(struct sup *s, enum sup_backend b)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == SUP_BACKEND && s->procs[i].backend == b)
			return &s->procs[i];
	return NULL;
}

static bool proc_up(const struct sup_proc *p)
{
	return p && p->ctl >= 0 && (p->state == SUP_ST_RUNNING || p->state == SUP_ST_STARTING);
}

static void send_json(struct sup_proc *p, uint32_t type, json_t *j, const int *fds, int nfds)
{
	char *txt = json_dumps(j, JSON_COMPACT);

	if (txt && proc_up(p) && ctl_send(p->ctl, type, txt, strlen(txt), fds, nfds) < 0)
		log_warn("%s: cannot send %s", p->name, ctl_type_name(type));
	free(txt);
}

static struct sup_target *find_target(struct sup_config *c, const char *name)
{
	for (uint32_t i = 0; i < c->ntargets; i++)
		if (!strcasecmp(c->targets[i].name, name))
			return &c->targets[i];
	return NULL;
}

static struct sup_lun *find_lun(struct sup_target *t, uint32_t lun)
{
	for (uint32_t i = 0; t && i < t->nluns; i++)
		if (t->luns[i].lun == lun)
			return &t->luns[i];
	return NULL;
}

/* Same backing, opened the same way: kept (and maybe grown). Anything else
 * is a new device: the old LU goes away and a new one comes (the file is
 * reopened, e.g. read-write after read-only). */
static bool same_store(const struct sup_lun *a, const struct sup_lun *b)
{
	return a->backend == b->backend && a->block_size == b->block_size &&
	       a->readonly == b->readonly && a->thin == b->thin &&
	       !strcmp(a->path ? a->path : "", b->path ? b->path : "");
}

static uint32_t next_dev(struct sup *s, struct sup_config *nc, enum sup_backend b)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->cfg.ntargets; i++)
		for (uint32_t k = 0; k < s->cfg.targets[i].nluns; k++)
			if (s->cfg.targets[i].luns[k].backend == b &&
			    s->cfg.targets[i].luns[k].dev + 1 > n)
				n = s->cfg.targets[i].luns[k].dev + 1;
	for (uint32_t i = 0; i < nc->ntargets; i++)
		for (uint32_t k = 0; k < nc->targets[i].nluns; k++)
			if (nc->targets[i].luns[k].backend == b && nc->targets[i].luns[k].fd != -2 &&
			    nc->targets[i].luns[k].dev + 1 > n)
				n = nc->targets[i].luns[k].dev + 1;
	for (uint32_t i = 0; i < lv.npending; i++)
		if (lv.pending[i].backend == b && lv.pending[i].dev + 1 > n)
			n = lv.pending[i].dev + 1;
	return n;
}

static void diff_add(json_t *diff, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff_add(json_t *diff, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(diff, json_string(buf));
}

static bool json_differs(json_t *a, json_t *b)
{
	return !json_equal(a, b) && (a || b);
}

/* What cannot change without a restart (listening sockets, paths, process
 * tuning): refused with the key's name. */
static const char *frozen_key(json_t *old, json_t *nw)
{
	static const char *const keys[] = { "admin_socket", "state_dir", "iscsi",
					    "restart", "heartbeat", "sandbox", "backends", "start_backends",
					    "srp", "srp_options", "fc", "fc_options", "core", NULL };

	for (const char *const *k = keys; *k; k++)
		if (json_differs(json_object_get(old, *k), json_object_get(nw, *k)))
			return *k;
	return NULL;
}

static void diff_targets(struct sup_config *oc, struct sup_config *nc, json_t *diff)
{
	for (uint32_t i = 0; i < oc->ntargets; i++)
		if (!find_target(nc, oc->targets[i].name))
			diff_add(diff, "- target %s", oc->targets[i].name);
	for (uint32_t i = 0; i < nc->ntargets; i++) {
		struct sup_target *nt = &nc->targets[i], *ot = find_target(oc, nt->name);
		json_t *oj = json_array(), *nj = json_array();

		if (!ot)
			diff_add(diff, "+ target %s", nt->name);
		for (uint32_t k = 0; ot && k < ot->nluns; k++)
			if (!find_lun(nt, ot->luns[k].lun))
				diff_add(diff, "- lun %s %u", nt->name, ot->luns[k].lun);
		for (uint32_t k = 0; k < nt->nluns; k++) {
			struct sup_lun *nl = &nt->luns[k], *ol = find_lun(ot, nl->lun);

			if (ol && !same_store(ol, nl))
				diff_add(diff, "- lun %s %u", nt->name, nl->lun);
			if (!ol || !same_store(ol, nl))
				diff_add(diff, "+ lun %s %u %s %s", nt->name, nl->lun,
					 sup_backend_name(nl->backend), nl->path ? nl->path : "");
			else if (nl->size && nl->size != ol->size)
				diff_add(diff, "~ lun %s %u size %llu -> %llu", nt->name, nl->lun,
					 (unsigned long long)ol->size, (unsigned long long)nl->size);
		}
		for (uint32_t k = 0; ot && k < ot->ninitiators; k++)
			json_array_append_new(oj, sup_acl_json(ot, k));
		for (uint32_t k = 0; k < nt->ninitiators; k++)
			json_array_append_new(nj, sup_acl_json(nt, k));
		if (ot && !json_equal(oj, nj))
			diff_add(diff, "~ acl %s", nt->name);
		else if (!ot && nt->ninitiators)
			diff_add(diff, "+ acl %s", nt->name);
		json_decref(oj);
		json_decref(nj);
		if (ot && (ot->chap.set != nt->chap.set ||
			   (nt->chap.set && (strcmp(ot->chap.user, nt->chap.user) ||
					     strcmp(ot->chap.secret, nt->chap.secret) ||
					     !ot->chap.mutual_user != !nt->chap.mutual_user ||
					     (nt->chap.mutual_user &&
					      (strcmp(ot->chap.mutual_user, nt->chap.mutual_user) ||
					       strcmp(ot->chap.mutual_secret, nt->chap.mutual_secret)))))))
			diff_add(diff, "~ chap %s", nt->name);
		if (ot && ot->max_sessions != nt->max_sessions)
			diff_add(diff, "~ target %s max_sessions %u -> %u", nt->name, ot->max_sessions,
				 nt->max_sessions);
	}
}

/* Open what the new config adds, carry over what it keeps. On failure closes
 * what it opened. */
static int prepare_luns(struct sup *s, struct sup_config *nc, bool dry_run, char *err,
			size_t errlen)
{
	for (uint32_t i = 0; i < nc->ntargets; i++) {
		struct sup_target *nt = &nc->targets[i], *ot = find_target(&s->cfg, nt->name);

		for (uint32_t k = 0; k < nt->nluns; k++) {
			struct sup_lun *nl = &nt->luns[k], *ol = find_lun(ot, nl->lun);
			struct stat st;
			int r = 0;

			nl->fd = -2; /* not prepared yet (next_dev skips it) */
			if (ol && same_store(ol, nl)) {
				/* a size change goes through sup_lun_resize() (sup_lun.c)
				 * when applied; refuse here what it would refuse */
				if (nl->size && nl->size != ol->size) {
					const char *why = NULL;
					uint64_t bytes = 0;

					if (ol->backend == SUP_BE_RAM)
						why = "a ram LUN cannot be resized";
					else if (ol->readonly && nl->size > ol->size)
						why = "a read-only LUN cannot grow";
					else if (nl->size % ol->phys_block_size)
						why = "the size is not a multiple of its physical block size";
					else if (ol->fd >= 0 && fstat(ol->fd, &st) == 0 &&
						 S_ISBLK(st.st_mode) &&
						 (ioctl(ol->fd, BLKGETSIZE64, &bytes) < 0 || bytes < nl->size))
						why = "its block device is smaller";
					if (why) {
						snprintf(err, errlen, "target %s LUN %u: %s", nt->name,
							 nl->lun, why);
						return -EINVAL;
					}
				}
				if (!nl->size)
					nl->size = ol->size;
				nl->dev = ol->dev;
				nl->fd = ol->fd;
				continue;
			}
			if (nl->backend == SUP_BE_FILE && !nl->size && stat(nl->path, &st) < 0) {
				snprintf(err, errlen, "target %s LUN %u: %s: %s (give a size to create "
					 "it)", nt->name, nl->lun, nl->path, strerror(errno));
				return -ENOENT;
			}
			if (nl->backend == SUP_BE_FILE) {
				for (uint32_t a = 0; a < nc->ntargets; a++)
					for (uint32_t b = 0; b < nc->targets[a].nluns; b++) {
						struct sup_lun *x = &nc->targets[a].luns[b];

						if (x != nl && x->path && !strcmp(x->path, nl->path)) {
							snprintf(err, errlen, "target %s LUN %u: %s is already "
								 "the backing of %s LUN %u", nt->name, nl->lun,
								 nl->path, nc->targets[a].name, x->lun);
							return -EEXIST;
						}
					}
			}
			if (!backend_of(s, nl->backend)) {
				snprintf(err, errlen, "target %s LUN %u: no backend-%s process runs (list "
					 "it in the config's \"start_backends\" to add such LUNs live)",
					 nt->name, nl->lun, sup_backend_name(nl->backend));
				return -EINVAL;
			}
			if (dry_run) {
				nl->fd = -1;
				continue;
			}
			nl->dev = next_dev(s, nc, nl->backend); /* before nl counts itself */
			if (nl->backend == SUP_BE_FILE) {
				r = sup_open_file_lun(nt, nl);
			} else if (nl->backend == SUP_BE_RAM) {
				nl->fd = shm_memfd_create_growable("mtgt-ram", nl->size);
				r = nl->fd < 0 ? nl->fd : 0;
			} else {
				nl->fd = -1;
			}
			if (r) {
				nl->fd = -2;
				snprintf(err, errlen, "target %s LUN %u: cannot open %s: %s", nt->name,
					 nl->lun, nl->path ? nl->path : "its store", strerror(-r));
				return r;
			}
			nl->fd = nl->fd < 0 ? -3 : nl->fd; /* -3: new, no fd (null) */
		}
	}
	return 0;
}

/* Close what prepare_luns opened for a config that is not applied. */
static void unprepare(struct sup *s, struct sup_config *nc)
{
	for (uint32_t i = 0; i < nc->ntargets; i++)
		for (uint32_t k = 0; k < nc->targets[i].nluns; k++) {
			struct sup_lun *nl = &nc->targets[i].luns[k];
			struct sup_lun *ol = find_lun(find_target(&s->cfg, nc->targets[i].name), nl->lun);

			if (nl->fd >= 0 && !(ol && ol->fd == nl->fd))
				close(nl->fd);
		}
}

static void config_push(struct sup *s)
{
	json_t *j;

	lv.seq++;
	if (s->core) {
		j = json_pack("{s:I, s:o}", "seq", (json_int_t)lv.seq, "config", sup_core_config(s));
		send_json(s->core, CTL_CONFIG, j, NULL, 0);
		json_decref(j);
	}
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == SUP_FRONTEND) {
			j = json_pack("{s:I, s:o}", "seq", (json_int_t)lv.seq, "config",
				      sup_frontend_config(s));
			send_json(&s->procs[i], CTL_CONFIG, j, NULL, 0);
			json_decref(j);
		}
}

static void pending_flush(struct sup *s, uint32_t upto)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < lv.npending; i++) {
		struct pending_del *pd = &lv.pending[i];

		if ((int32_t)(pd->seq - upto) > 0) {
			lv.pending[w++] = *pd;
			continue;
		}
		json_t *j = json_pack("{s:i}", "dev", pd->dev);

		send_json(backend_of(s, pd->backend), CTL_DEV_DEL, j, NULL, 0);
		json_decref(j);
		if (pd->fd >= 0)
			close(pd->fd);
		log_info("backend-%s device %u released", sup_backend_name(pd->backend), pd->dev);
	}
	lv.npending = w;
}

int sup_live_apply(struct sup *s, json_t *doc, bool dry_run, json_t **diff_out, char *err,
		   size_t errlen)
{
	struct sup_config nc, oc;
	json_t *diff = json_array();
	const char *frozen;
	char perr[400];
	int r, pfds[SUP_MAX_PORTALS];

	*diff_out = NULL;
	if (s->shutting_down) {
		snprintf(err, errlen, "the target is shutting down");
		json_decref(diff);
		return -ESHUTDOWN;
	}
	r = sup_config_load_json(&nc, doc, perr, sizeof(perr));
	if (r) {
		snprintf(err, errlen, "config: %s", perr);
		sup_config_free(&nc);
		json_decref(diff);
		return r;
	}
	if ((frozen = frozen_key(s->cfg.doc, nc.doc))) {
		snprintf(err, errlen, "config: \"%s\" cannot change while running (restart mtgtd)",
			 frozen);
		sup_config_free(&nc);
		json_decref(diff);
		return -EINVAL;
	}
	if ((r = prepare_luns(s, &nc, dry_run, err, errlen))) {
		unprepare(s, &nc);
		sup_config_free(&nc);
		json_decref(diff);
		return r;
	}
	if ((r = sup_live_portals_prepare(s, &nc, pfds, dry_run, diff, err, errlen))) {
		unprepare(s, &nc);
		sup_config_free(&nc);
		json_decref(diff);
		return r;
	}
	diff_targets(&s->cfg, &nc, diff);
	if (json_differs(json_object_get(s->cfg.doc, "discovery_chap"),
			 json_object_get(nc.doc, "discovery_chap")))
		diff_add(diff, "~ chap discovery");
	if (json_differs(json_object_get(s->cfg.doc, "admin"), json_object_get(nc.doc, "admin")))
		diff_add(diff, "~ admin");
	if (dry_run) {
		sup_config_free(&nc);
		*diff_out = diff;
		return 0;
	}

	/* 1. backends: new devices and grown ones */
	for (uint32_t i = 0; i < nc.ntargets; i++) {
		struct sup_target *nt = &nc.targets[i], *ot = find_target(&s->cfg, nt->name);

		for (uint32_t k = 0; k < nt->nluns; k++) {
			struct sup_lun *nl = &nt->luns[k], *ol = find_lun(ot, nl->lun);
			struct sup_proc *be = backend_of(s, nl->backend);
			json_t *j;

			if (nl->fd == -3)
				nl->fd = -1;
			if (ol && ol->fd == nl->fd && ol->dev == nl->dev && same_store(ol, nl)) {
				char rerr[256];

				if (nl->size != ol->size &&
				    sup_lun_resize(s, nt->name, nl->lun, nl->size, rerr, sizeof(rerr)))
					log_warn("%s LUN %u: resize: %s", nt->name, nl->lun, rerr);
				continue;
			}
			j = json_pack("{s:i, s:i, s:I, s:i, s:s, s:b, s:b}", "dev", nl->dev, "fd",
				      nl->fd >= 0 ? 0 : -1, "size", (json_int_t)nl->size, "block_size",
				      nl->block_size, "path", nl->path ? nl->path : "", "readonly",
				      nl->readonly, "thin", nl->thin);
			send_json(be, CTL_DEV_ADD, j, &nl->fd, nl->fd >= 0 ? 1 : 0);
			json_decref(j);
			log_info("%s LUN %u added: %s %s, %llu bytes, backend device %u", nt->name,
				 nl->lun, sup_backend_name(nl->backend), nl->path ? nl->path : "",
				 (unsigned long long)nl->size, nl->dev);
		}
	}
	/* 2. swap, then tell the core and the frontends */
	oc = s->cfg;
	s->cfg = nc;
	sup_live_portals_commit(s, &oc, pfds);
	config_push(s);
	/* 3. what the old config had and the new one does not: after the core is done */
	for (uint32_t i = 0; i < oc.ntargets; i++) {
		struct sup_target *ot = &oc.targets[i], *nt = find_target(&s->cfg, ot->name);

		for (uint32_t k = 0; k < ot->nluns; k++) {
			struct sup_lun *ol = &ot->luns[k], *nl = find_lun(nt, ol->lun);

			if (nl && nl->fd == ol->fd && nl->dev == ol->dev && same_store(ol, nl))
				continue;
			if (lv.npending == PENDING_MAX) {
				log_warn("too many devices waiting for release; closing %u now", ol->dev);
				pending_flush(s, lv.seq);
			}
			lv.pending[lv.npending++] = (struct pending_del){ lv.seq, ol->backend, ol->dev,
									   ol->fd };
		}
	}
	if (!s->core || !proc_up(s->core))
		pending_flush(s, lv.seq); /* a restarting core gets the new table anyway */
	sup_config_free(&oc);
	*diff_out = diff;
	if (s->cfg.save_on_change && json_array_size(diff)) {
		char serr[256];

		if (sup_config_save(s, NULL, serr, sizeof(serr)))
			log_warn("admin.save_on_change: %s", serr);
	}
	return 0;
}

bool sup_live_on_ctl(struct sup *s, struct sup_proc *p, uint32_t type, const char *data)
{
	json_t *j;

	switch (type) {
	case CTL_CONFIG_DONE:
		if (p->kind != SUP_CORE)
			return false;
		j = json_loads(data ? data : "", 0, NULL);
		if (!json_is_integer(json_object_get(j, "seq"))) {
			json_decref(j);
			return false;
		}
		if (json_integer_value(json_object_get(j, "result")))
			log_err("core refused configuration %lld: %s",
				(long long)json_integer_value(json_object_get(j, "seq")),
				json_string_value(json_object_get(j, "error")) ?: "?");
		pending_flush(s, (uint32_t)json_integer_value(json_object_get(j, "seq")));
		json_decref(j);
		return true;
	default:
		return false;
	}
}
