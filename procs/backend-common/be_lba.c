/* MSG_IO_LBA_STATUS: which blocks of a device are allocated. The answer is
 * one run from the requested offset, in whole blocks, so the core can walk
 * a range with a bounded number of queries. */
#include <errno.h>
#include <unistd.h>

#include "procs/backend-common/be_impl.h"

int be_lba_status_seek(int fd, uint32_t block_size, uint64_t off, uint64_t len,
		       uint64_t *run, bool *unmapped)
{
	uint64_t bs = block_size ? block_size : 512, end;
	off_t d, h;

	d = lseek(fd, (off_t)off, SEEK_DATA);
	if (d < 0 && errno == ENXIO) {
		/* no data from off to the end of the file: all a hole (a file
		 * shorter than its device reads zeros past its end) */
		*unmapped = true;
		*run = len;
		return 0;
	}
	if (d < 0) {
		/* a block device, or a file system without SEEK_DATA: it cannot
		 * say, so everything counts as mapped */
		*unmapped = false;
		*run = len;
		return 0;
	}
	if ((uint64_t)d > off) {
		/* a hole up to d; a block only partly in it holds data */
		end = (uint64_t)d / bs * bs;
		if (end > off) {
			*unmapped = true;
			*run = end - off < len ? end - off : len;
			return 0;
		}
		*unmapped = false;
		*run = bs < len ? bs : len;
		return 0;
	}
	h = lseek(fd, (off_t)off, SEEK_HOLE);
	if (h < 0 || (uint64_t)h <= off) {
		*unmapped = false;
		*run = len;
		return 0;
	}
	end = ((uint64_t)h + bs - 1) / bs * bs;   /* a partly written block is mapped */
	*unmapped = false;
	*run = end - off < len ? end - off : len;
	return 0;
}

void be_lba_status(struct be *b, struct be_io *io)
{
	uint64_t run = io->req.length;
	bool unmapped = false;
	int err = 0;

	if (b->ops->lba_status)
		err = b->ops->lba_status(b, io->dev, io->req.offset, io->req.length, &run,
					 &unmapped);
	if (err) {
		be_io_done(b, io, err, 0);
		return;
	}
	if (run == 0 || run > io->req.length)
		run = io->req.length;
	if (run > UINT32_MAX) {
		uint64_t bs = io->dev->block_size ? io->dev->block_size : 512;

		run = (uint64_t)UINT32_MAX / bs * bs;
	}
	io->done_flags = unmapped ? MSG_IO_DONE_UNMAPPED : 0;
	be_io_done(b, io, 0, (uint32_t)run);
}
