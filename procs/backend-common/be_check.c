/* Validation of what the core sends us. The core is a peer like any other: a
 * message that could make us touch memory or a device range we were not
 * given is a protocol violation, reported and never acted on. */
#include <errno.h>

#include "procs/backend-common/be.h"

int be_io_check(const union msg *m, struct be_dev *devs, uint32_t ndevs,
		const struct pool *pool, struct be_dev **dev, void **buf,
		const char **reason)
{
	const struct msg_io *io = &m->io;
	struct be_dev *d;
	void *p = NULL;

	*dev = NULL;
	*buf = NULL;
	if (m->h.type != MSG_IO) {
		*reason = "message type not allowed on a backend link";
		return -EPROTO;
	}
	if (m->h.flags & ~MSG_IO_FUA) {
		*reason = "unknown io flags";
		return -EPROTO;
	}
	if (io->dev >= ndevs || !devs[io->dev].present) {
		*reason = "unknown device";
		return -EPROTO;
	}
	d = &devs[io->dev];
	switch (io->op) {
	case MSG_IO_FLUSH:
		/* whole device: offset and length carry nothing */
		break;
	case MSG_IO_READ:
	case MSG_IO_WRITE:
	case MSG_IO_WRITE_ZEROES:
	case MSG_IO_UNMAP:
	case MSG_IO_LBA_STATUS:
		/* Written so that no sum can wrap. */
		if (io->length > d->size || io->offset > d->size - io->length) {
			*reason = "io range beyond the device";
			return -EPROTO;
		}
		if (io->op != MSG_IO_READ && io->op != MSG_IO_WRITE)
			break;
		/* An empty transfer touches no memory: its handle is moot. */
		if (io->length == 0)
			break;
		if (io->buf.length < io->length) {
			*reason = "buffer shorter than the io";
			return -EPROTO;
		}
		p = pool_ptr(pool, &io->buf);
		if (!p) {
			*reason = "invalid buffer handle";
			return -EPROTO;
		}
		break;
	default:
		*reason = "unknown io op";
		return -EPROTO;
	}
	*dev = d;
	*buf = p;
	return 0;
}
