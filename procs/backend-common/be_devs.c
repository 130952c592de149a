/* The "devices" list of CTL_INIT: fds the supervisor opened for us. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/backend-common/be_impl.h"

static int be_json_u64(const json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int be_devs_parse(const json_t *arr, bool needs_fd, struct be_dev *devs,
		  uint32_t max, uint32_t *ndevs, const char **reason)
{
	size_t i;
	json_t *o;
	uint32_t n = 0;

	memset(devs, 0, sizeof(*devs) * max);
	*ndevs = 0;
	if (!arr) /* a backend may start with no device yet */
		return 0;
	if (!json_is_array(arr)) {
		*reason = "devices is not an array";
		return -EINVAL;
	}
	json_array_foreach(arr, i, o) {
		uint64_t idx, size, bs, pbs;
		json_t *fdv = json_object_get(o, "fd");
		json_t *pathv = json_object_get(o, "path");
		json_t *rov = json_object_get(o, "readonly");
		struct be_dev *d;

		if (!json_is_object(o) || be_json_u64(o, "dev", &idx) ||
		    be_json_u64(o, "size", &size)) {
			*reason = "device needs dev and size";
			goto fail;
		}
		if (be_json_u64(o, "block_size", &bs))
			bs = 512;
		if (idx >= max) {
			*reason = "device index too large";
			goto fail;
		}
		if (bs < 512 || bs > 65536 || (bs & (bs - 1))) {
			*reason = "bad block_size";
			goto fail;
		}
		if (size == 0 || size % bs) {
			*reason = "device size not a positive multiple of block_size";
			goto fail;
		}
		if (!json_is_integer(fdv) || json_integer_value(fdv) < -1 ||
		    json_integer_value(fdv) > 1 << 20) {
			*reason = "bad device fd";
			goto fail;
		}
		if (needs_fd && json_integer_value(fdv) < 0) {
			*reason = "device needs an fd";
			goto fail;
		}
		d = &devs[idx];
		if (d->present) {
			*reason = "duplicate device index";
			goto fail;
		}
		d->present = true;
		d->index = (uint32_t)idx;
		d->fd = (int)json_integer_value(fdv);
		d->size = size;
		d->block_size = (uint32_t)bs;
		d->readonly = json_is_true(rov);
		d->direct = json_is_true(json_object_get(o, "direct"));
		if (be_json_u64(o, "physical_block_size", &pbs))
			pbs = bs;
		if (pbs < bs || pbs > 65536 || (pbs & (pbs - 1))) {
			*reason = "bad physical_block_size";
			goto fail;
		}
		d->phys_block_size = (uint32_t)pbs;
		d->path = strdup(json_is_string(pathv) ? json_string_value(pathv) : "");
		if (!d->path) {
			*reason = "out of memory";
			goto fail;
		}
		if (idx + 1 > n)
			n = (uint32_t)idx + 1;
	}
	*ndevs = n;
	return 0;
fail:
	be_devs_free(devs, max);
	return -EINVAL;
}

void be_devs_free(struct be_dev *devs, uint32_t ndevs)
{
	for (uint32_t i = 0; i < ndevs; i++) {
		free(devs[i].path);
		devs[i].path = NULL;
		devs[i].present = false;
	}
}

/* The supervisor resized the store (it owns the files); only the range we
 * accept changes. A shrink racing I/O already taken is the core's business:
 * it stops sending I/O past the new end before we hear of it. */
void be_dev_resize(struct be *b, const struct ctl_msg *m)
{
	json_t *j = m->data ? json_loads(m->data, 0, NULL) : NULL;
	uint64_t dev, size;

	if (!j || be_json_u64(j, "dev", &dev) || be_json_u64(j, "size", &size) ||
	    dev >= b->ndevs || !b->devs[dev].present || !size ||
	    size % b->devs[dev].block_size) {
		log_warn("LUN_RESIZE: bad request %s", m->data ? m->data : "");
	} else {
		struct be_dev *d = &b->devs[dev];
		int rc = b->ops->dev_resize ? b->ops->dev_resize(b, d, size) : 0;

		if (rc) {
			log_err("device %llu: cannot resize to %llu bytes: %s; keeping %llu",
				(unsigned long long)dev, (unsigned long long)size, strerror(-rc),
				(unsigned long long)d->size);
		} else {
			log_info("device %llu: %llu -> %llu bytes", (unsigned long long)dev,
				 (unsigned long long)d->size, (unsigned long long)size);
			d->size = size;
		}
	}
	json_decref(j);
}
