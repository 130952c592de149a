/* null backend: no storage. Reads return zeros, writes are discarded; useful
 * to measure the rest of the data path without any device cost. It has no
 * lba_status op: GET LBA STATUS reports every block mapped. */
#include <string.h>

#include "procs/backend-null/be_null.h"

static void be_null_submit(struct be *b, struct be_io *io)
{
	if (io->req.op == MSG_IO_READ)
		memset(io->buf, 0, io->req.length);
	be_io_done(b, io, 0, be_io_span(io));
}

const struct be_ops be_null_ops = {
	.kind = "null",
	.needs_fd = false,
	.submit = be_null_submit,
};
