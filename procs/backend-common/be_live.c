/* Devices added and removed while serving (CTL_DEV_ADD, CTL_DEV_DEL from the
 * supervisor; see supervisor/sup_live.c; resizing is CTL_LUN_RESIZE,
 * be_devs.c). The core
 * sends no I/O for a device before its LUN exists and none after it removed
 * the LUN and its commands finished, which is when the supervisor sends
 * DEV_DEL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-common/be_impl.h"

static struct be_dev tmp[BE_MAX_DEVS];

static void dev_add(struct be *b, struct ctl_msg *m)
{
	json_t *o = json_loads(m->data ? m->data : "", 0, NULL), *arr;
	json_t *fdv = json_object_get(o, "fd");
	const char *why = "malformed";
	uint32_t n = 0, idx;
	struct be_dev *d;
	int rc;

	if (!json_is_object(o) || !json_is_integer(fdv) ||
	    (json_integer_value(fdv) == 0 && m->nfds != 1) ||
	    (json_integer_value(fdv) == -1 && m->nfds != 0) ||
	    json_integer_value(fdv) < -1 || json_integer_value(fdv) > 0)
		goto bad;
	json_object_set_new(o, "fd", json_integer(m->nfds ? m->fds[0] : -1));
	arr = json_pack("[O]", o);
	rc = be_devs_parse(arr, b->ops->needs_fd, tmp, BE_MAX_DEVS, &n, &why);
	json_decref(arr);
	if (rc)
		goto bad;
	idx = n - 1;
	d = &b->devs[idx];
	if (d->present) {
		why = "device index in use";
		be_devs_free(tmp, n);
		goto bad;
	}
	*d = tmp[idx];
	memset(&tmp[idx], 0, sizeof(tmp[idx]));
	if (m->nfds)
		m->fds[0] = -1; /* the device owns it now */
	rc = b->ops->dev_open ? b->ops->dev_open(b, d) : 0;
	if (rc) {
		log_err("device %u (%s): cannot serve: %s", d->index, d->path, strerror(-rc));
		if (d->fd >= 0)
			close(d->fd);
		free(d->path);
		memset(d, 0, sizeof(*d));
		json_decref(o);
		return;
	}
	if (idx + 1 > b->ndevs)
		b->ndevs = idx + 1;
	log_info("device %u added: %s, %llu bytes, block %u", d->index, d->path,
		 (unsigned long long)d->size, d->block_size);
	json_decref(o);
	return;
bad:
	log_err("DEV_ADD refused: %s", why);
	json_decref(o);
}

static struct be_dev *dev_of(struct be *b, json_t *o)
{
	json_t *v = json_object_get(o, "dev");

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= (json_int_t)b->ndevs ||
	    !b->devs[json_integer_value(v)].present)
		return NULL;
	return &b->devs[json_integer_value(v)];
}

static void dev_del(struct be *b, struct ctl_msg *m)
{
	json_t *o = json_loads(m->data ? m->data : "", 0, NULL);
	struct be_dev *d = dev_of(b, o);

	if (!d) {
		log_err("DEV_DEL of a device we do not have");
		json_decref(o);
		return;
	}
	if (b->ops->dev_close)
		b->ops->dev_close(b, d);
	if (d->fd >= 0)
		close(d->fd);
	log_info("device %u (%s) removed", d->index, d->path);
	free(d->path);
	memset(d, 0, sizeof(*d));
	json_decref(o);
}

bool be_live_ctl(struct be *b, struct ctl_msg *m)
{
	switch (m->type) {
	case CTL_DEV_ADD:
		dev_add(b, m);
		return true;
	case CTL_DEV_DEL:
		dev_del(b, m);
		return true;
	}
	return false;
}
