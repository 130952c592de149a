/* ram backend: the device is a memfd the supervisor created (so its contents
 * survive a restart of this process); we map it and copy between it and the
 * pool buffers. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/log.h"
#include "procs/backend-ram/be_ram.h"

static int be_ram_open(struct be *b, struct be_dev *d)
{
	struct stat st;
	void *p;

	if (fstat(d->fd, &st) < 0)
		return -errno;
	/* Touching a mapping past the end of the file raises SIGBUS: refuse a
	 * memfd smaller than the device it claims to be. */
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < d->size)
		return -EINVAL;
	p = mmap(NULL, d->size, d->readonly ? PROT_READ : PROT_READ | PROT_WRITE,
		 MAP_SHARED, d->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	d->priv = p;
	return 0;
}

static void be_ram_close(struct be *b, struct be_dev *d)
{
	if (d->priv)
		munmap(d->priv, d->size);
	d->priv = NULL;
}

/* Deallocate what we can (whole pages) and zero the rest, so that reads of an
 * unmapped range return zeros. */
static void be_ram_discard(struct be_dev *d, uint64_t off, uint64_t len)
{
	uint8_t *mem = d->priv;
	uint64_t start = (off + 4095) & ~4095ull, end = (off + len) & ~4095ull;

	if (end <= start) {
		memset(mem + off, 0, len);
		return;
	}
	memset(mem + off, 0, start - off);
	memset(mem + end, 0, off + len - end);
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)start, (off_t)(end - start)) < 0)
		memset(mem + start, 0, end - start);
}

/* The supervisor grew the memfd before telling us; a shrink is ours to do,
 * now that nothing past the new end is accepted any more: the tail is punched
 * out (the memfd itself is sealed against shrinking, so no mapping of it can
 * ever fault), and reads after a later grow see zeros there. */
static int be_ram_resize(struct be *b, struct be_dev *d, uint64_t size)
{
	struct stat st;
	void *p;

	(void)b;
	if (size == d->size)
		return 0;
	if (fstat(d->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < size)
		return -EINVAL;
	if (size < d->size && !d->readonly)
		be_ram_discard(d, size, d->size - size);
	p = mremap(d->priv, d->size, size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -errno;
	d->priv = p;
	return 0;
}

/* the memfd's holes are the pages punched out by UNMAP/WRITE_ZEROES */
static int be_ram_lba_status(struct be *b, struct be_dev *d, uint64_t off, uint64_t len,
			     uint64_t *run, bool *unmapped)
{
	(void)b;
	return be_lba_status_seek(d->fd, d->block_size, off, len, run, unmapped);
}

static void be_ram_submit(struct be *b, struct be_io *io)
{
	uint8_t *mem = io->dev->priv;
	uint64_t off = io->req.offset, len = io->req.length;

	switch (io->req.op) {
	case MSG_IO_READ:
		memcpy(io->buf, mem + off, len);
		break;
	case MSG_IO_WRITE:
		memcpy(mem + off, io->buf, len);
		break;
	case MSG_IO_WRITE_ZEROES:
	case MSG_IO_UNMAP:
		be_ram_discard(io->dev, off, len);
		break;
	case MSG_IO_FLUSH:
		/* memory is the medium: nothing below it to flush */
		break;
	}
	be_io_done(b, io, 0, be_io_span(io));
}

const struct be_ops be_ram_ops = {
	.kind = "ram",
	.needs_fd = true,
	.dev_open = be_ram_open,
	.dev_close = be_ram_close,
	.submit = be_ram_submit,
	.lba_status = be_ram_lba_status,
	.dev_resize = be_ram_resize,
};
