/* O_DIRECT for the file backend: the alignment the kernel needs, and the
 * synchronous bounce path for I/O that does not meet it.
 *
 * The pool's buffers are page aligned and a LUN's blocks are 512 or 4096
 * bytes, so ordinary I/O goes to the kernel untouched. What does not: I/O
 * smaller than the medium's unit, e.g. 512-byte blocks emulated on 4096-byte
 * physical blocks (512e), where a write must read the whole physical block,
 * change its part and write it back. A "physical_block_size" larger than the
 * file system's O_DIRECT granularity is honoured too: a 512e LUN then never
 * writes less than a physical block, as a 512e drive would. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-file/be_file.h"

int be_file_dev_probe(struct be_dev *d, struct be_file_dev *fd)
{
	int fl = fcntl(d->fd, F_GETFL);
	uint32_t off_align = 512, mem_align = 512;
	struct stat st;

	if (fl < 0)
		return -errno;
	fd->direct = (fl & O_DIRECT) != 0;
	if (!fd->direct)
		return 0;
#ifdef STATX_DIOALIGN
	struct statx sx;

	if (statx(d->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align) {
		off_align = sx.stx_dio_offset_align;
		mem_align = sx.stx_dio_mem_align ? sx.stx_dio_mem_align : off_align;
	} else
#endif
	if (fstat(d->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		int ss = 0;

		if (ioctl(d->fd, BLKSSZGET, &ss) == 0 && ss >= 512)
			off_align = mem_align = (uint32_t)ss;
	}
	if (d->phys_block_size > off_align)
		off_align = d->phys_block_size;
	if (off_align > 65536 || (off_align & (off_align - 1)) || mem_align > 65536 ||
	    (mem_align & (mem_align - 1))) {
		log_err("device %u: %s: odd O_DIRECT alignment %u/%u", d->index, d->path,
			off_align, mem_align);
		return -EINVAL;
	}
	if (d->size % off_align) {
		log_err("device %u: %s: O_DIRECT needs a size that is a multiple of %u bytes",
			d->index, d->path, off_align);
		return -EINVAL;
	}
	fd->align = off_align;
	fd->mem_align = mem_align;
	log_info("device %u: O_DIRECT, alignment %u (buffers %u)", d->index, off_align,
		 mem_align);
	return 0;
}

bool be_file_needs_bounce(const struct be_dev *d, const struct be_io *io)
{
	const struct be_file_dev *fd = d->priv;
	uint64_t a = fd->align;

	if (!fd->direct)
		return false;
	switch (io->req.op) {
	case MSG_IO_READ:
	case MSG_IO_WRITE:
		return (io->req.offset | io->req.length) & (a - 1) ||
		       (uintptr_t)io->buf & (fd->mem_align - 1);
	case MSG_IO_WRITE_ZEROES:
		/* fallocate takes any range, but its write fallback does not */
		return (io->req.offset | io->req.length) & (a - 1);
	default:
		return false;
	}
}

/* Read [off, off+len) of the file into p, zeros past its end. */
static int be_file_pread_all(int fd, uint8_t *p, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int be_file_pwrite_all(int fd, const uint8_t *p, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int be_file_zero_sync(struct be_file *f, struct be_dev *d, struct be_io *io)
{
	static const int modes[] = { FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE };

	for (int i = f->zero_by_write ? 2 : 0; i < 2; i++) {
		if (fallocate(d->fd, modes[i], (off_t)io->req.offset, (off_t)io->req.length) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOTTY)
			return -errno;
	}
	return 1;       /* write the zeros */
}

int be_file_bounce(struct be_file *f, struct be_dev *d, struct be_io *io, uint64_t *copied)
{
	const struct be_file_dev *fd = d->priv;
	uint64_t a = fd->align, off = io->req.offset, len = io->req.length;
	uint64_t start = off & ~(a - 1), end = (off + len + a - 1) & ~(a - 1);
	uint64_t piece = end - start;
	bool zeros = io->req.op == MSG_IO_WRITE_ZEROES;
	uint8_t *bb = NULL;
	int rc;

	*copied = 0;
	if (zeros) {
		rc = be_file_zero_sync(f, d, io);
		if (rc <= 0)
			goto sync;
		/* a zeroing range is bounded only by the device: in pieces */
		if (piece > BE_FILE_ZERO_CHUNK)
			piece = BE_FILE_ZERO_CHUNK;
	}
	if (posix_memalign((void **)&bb, fd->mem_align > 4096 ? fd->mem_align : 4096, piece))
		return -ENOMEM;
	for (uint64_t pos = start; pos < end; pos += piece) {
		uint64_t n = end - pos < piece ? end - pos : piece;
		uint64_t lo = off > pos ? off - pos : 0;
		uint64_t hi = off + len < pos + n ? off + len - pos : n;

		if (io->req.op == MSG_IO_READ) {
			rc = be_file_pread_all(d->fd, bb, n, pos);
			if (rc)
				goto out;
			memcpy((uint8_t *)io->buf + (pos + lo - off), bb + lo, hi - lo);
			*copied += hi - lo;
			continue;
		}
		/* read the partial blocks at either edge, then write it all */
		if (lo) {
			rc = be_file_pread_all(d->fd, bb, a, pos);
			if (rc)
				goto out;
		}
		if (hi < n && (hi >= a || !lo)) {
			rc = be_file_pread_all(d->fd, bb + n - a, a, pos + n - a);
			if (rc)
				goto out;
		}
		if (zeros) {
			memset(bb + lo, 0, hi - lo);
		} else {
			memcpy(bb + lo, (const uint8_t *)io->buf + (pos + lo - off), hi - lo);
			*copied += hi - lo;
		}
		rc = be_file_pwrite_all(d->fd, bb, n, pos);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	free(bb);
	if (rc || io->req.op == MSG_IO_READ)
		return rc;
sync:
	if (rc == 0 && (io->req.h.flags & MSG_IO_FUA) && fdatasync(d->fd) < 0)
		rc = -errno;
	return rc;
}
