/* Per-LUN storage: settings in the CTL_INIT documents (cache mode, O_DIRECT,
 * physical block size), kept apart from sup_init_msg.c's generic fields; live
 * resize (the supervisor owns the files, core and backend are told). */
#include <errno.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"

void sup_lun_core_extra(const struct sup_lun *l, json_t *o)
{
	json_object_set_new(o, "cache", json_string(l->writethrough ? "writethrough"
								   : "writeback"));
	json_object_set_new(o, "physical_block_size", json_integer(l->phys_block_size));
	json_object_set_new(o, "type", json_string(l->cdrom ? "cdrom" : "disk"));
	json_object_set_new(o, "removable", json_boolean(l->removable));
	json_object_set_new(o, "queue_depth", json_integer(l->queue_depth));
}

void sup_lun_backend_extra(const struct sup_lun *l, json_t *o)
{
	json_object_set_new(o, "direct", json_boolean(l->direct));
	json_object_set_new(o, "physical_block_size", json_integer(l->phys_block_size));
}

static struct sup_proc *sup_lun_backend(struct sup *s, enum sup_backend b)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == SUP_BACKEND && s->procs[i].backend == b)
			return &s->procs[i];
	return NULL;
}

static void sup_lun_tell(struct sup_proc *p, json_t *o)
{
	char *txt = json_dumps(o, JSON_COMPACT);

	/* a process that is not running gets the new size in its next CTL_INIT */
	if (txt && p && p->state == SUP_ST_RUNNING && p->ctl >= 0)
		ctl_send(p->ctl, CTL_LUN_RESIZE, txt, strlen(txt), NULL, 0);
	free(txt);
	json_decref(o);
}

int sup_lun_resize(struct sup *s, const char *target, uint32_t lun, uint64_t size,
		   char *err, size_t errlen)
{
	struct sup_target *t = NULL;
	struct sup_lun *l = NULL;
	struct stat st;
	bool grow;

	memset(&st, 0, sizeof(st));
	for (uint32_t i = 0; i < s->cfg.ntargets && !t; i++)
		if (!strcasecmp(s->cfg.targets[i].name, target))
			t = &s->cfg.targets[i];
	for (uint32_t k = 0; t && k < t->nluns && !l; k++)
		if (t->luns[k].lun == lun)
			l = &t->luns[k];
	if (!l) {
		snprintf(err, errlen, "no LUN %u in target %s", lun, target);
		return -ENOENT;
	}
	if (!size || size % l->block_size || size % l->phys_block_size) {
		snprintf(err, errlen, "size must be a positive multiple of %u bytes",
			 l->phys_block_size);
		return -EINVAL;
	}
	if (l->readonly && size > l->size) {
		snprintf(err, errlen, "a read-only LUN cannot grow");
		return -EROFS;
	}
	grow = size > l->size;
	if (l->fd >= 0 && fstat(l->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;

		if (ioctl(l->fd, BLKGETSIZE64, &bytes) < 0 || bytes < size) {
			snprintf(err, errlen, "the block device holds only %llu bytes",
				 (unsigned long long)bytes);
			return -ENOSPC;
		}
	} else if (l->fd >= 0 && grow && (uint64_t)st.st_size < size &&
		   ftruncate(l->fd, (off_t)size) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot grow %s: %s", l->path ? l->path : "the store",
			 strerror(e));
		return -e;
	}
	/* growing: the backend accepts the new range before the core offers it;
	 * shrinking: the core stops first, the store is cut last */
	json_t *core_msg = json_pack("{s:s, s:i, s:I}", "target", t->name, "lun", lun, "size",
				     (json_int_t)size);
	json_t *be_msg = json_pack("{s:i, s:I}", "dev", l->dev, "size", (json_int_t)size);

	if (grow) {
		sup_lun_tell(sup_lun_backend(s, l->backend), be_msg);
		sup_lun_tell(s->core, core_msg);
	} else {
		sup_lun_tell(s->core, core_msg);
		sup_lun_tell(sup_lun_backend(s, l->backend), be_msg);
	}
	/* a ram LUN's memfd cannot shrink (sealed: the backend maps it); the
	 * backend punches the tail out once it no longer accepts I/O there */
	if (l->fd >= 0 && !grow && S_ISREG(st.st_mode) && l->backend != SUP_BE_RAM &&
	    ftruncate(l->fd, (off_t)size) < 0)
		log_warn("%s LUN %u: cannot shrink %s: %s", t->name, lun,
			 l->path ? l->path : "the store", strerror(errno));
	log_info("%s LUN %u: resized from %llu to %llu bytes", t->name, lun,
		 (unsigned long long)l->size, (unsigned long long)size);
	l->size = size;
	return 0;
}

json_t *sup_rpc_lun_resize(struct sup *s, json_t *params, int *code, const char **msg)
{
	static char err[256];
	const char *target = json_string_value(json_object_get(params, "target"));
	json_t *jl = json_object_get(params, "lun"), *js = json_object_get(params, "size");
	uint64_t size = 0;
	int r;

	if (json_is_string(js) && sup_parse_size(json_string_value(js), &size))
		size = 0;
	else if (json_is_integer(js) && json_integer_value(js) > 0)
		size = (uint64_t)json_integer_value(js);
	if (!target || !json_is_integer(jl) || json_integer_value(jl) < 0 ||
	    json_integer_value(jl) >= SUP_MAX_LUNS || !size) {
		*code = -32602;
		*msg = "params: {target, lun, size} (size in bytes or like \"2G\")";
		return NULL;
	}
	r = sup_lun_resize(s, target, (uint32_t)json_integer_value(jl), size, err, sizeof(err));
	if (r) {
		*code = r == -ENOENT ? -32602 : -32000;
		*msg = err;
		return NULL;
	}
	return json_pack("{s:s, s:I, s:I}", "target", target, "lun", json_integer_value(jl),
			 "size", (json_int_t)size);
}
