/* VERIFY (10/12/16): the medium is really read, through the LU's backend, into
 * the core's own arena, in pieces of at most CORE_VERIFY_CHUNK bytes (a quarter
 * of the arena if that is smaller). With
 * BYTCHK=0 nothing looks at what was read (every such command shares one
 * buffer); with BYTCHK=01b each piece is compared with the data-out the
 * initiator sent, in a buffer of the command's own. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "shm/pool.h"

void core_verify_buf_init(struct core *co)
{
	const struct pool *p = &co->c->pool;
	uint32_t arena = co->c->core_arena;
	uint64_t len = CORE_VERIFY_CHUNK;
	int err;

	if (arena >= p->narenas || pool_alloc_init(&co->arena_alloc, p, arena)) {
		log_warn("no core arena: VERIFY is not available");
		memset(&co->arena_alloc, 0, sizeof(co->arena_alloc));
		return;
	}
	/* leave most of the arena to BYTCHK compares, which need their own */
	if (p->arenas[arena].size / 4 < len)
		len = p->arenas[arena].size / 4 & ~(uint64_t)(POOL_PAGE - 1);
	err = pool_alloc(&co->arena_alloc, (uint32_t)len, &co->verify_buf);
	if (err) {
		memset(&co->verify_buf, 0, sizeof(co->verify_buf));
		log_warn("core arena: no room for the VERIFY buffer (%d)", err);
	}
}

bool core_dataout_blocks(struct core_cmd *cmd, const struct scsi_io *io, uint32_t bs,
			 uint64_t *want)
{
	if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
		scsi_invalid_cdb(&cmd->res, 0, -1);
		return false;
	}
	*want = io->length < cmd->edtl ? io->length : cmd->edtl;
	if (*want % bs) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return false;
	}
	if (*want == 0) {
		scsi_result_good(&cmd->res);
		cmd->res.data_len = 0;
		return false;
	}
	return true;
}

static uint32_t piece(const struct core_cmd *cmd, uint32_t cap)
{
	uint64_t left = cmd->io.length - cmd->vdone;

	return (uint32_t)(left < cap ? left : cap);
}

bool core_verify_plan(struct core *co, struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint32_t bs = cmd->lun->lu.block_size, chunk;
	uint64_t want;

	cmd->data_cap = 0;
	cmd->vdone = 0;
	if (!co->verify_buf.length || !co->arena_alloc.bitmap) {
		/* without a buffer of our own the medium cannot be read: say so */
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return false;
	}
	if (!io->bytchk) {
		cmd->vbuf = co->verify_buf;
		cmd->io_len = piece(cmd, co->verify_buf.length);
		return true;
	}
	/* the data-out to compare comes with the command, as for a write */
	if (!core_dataout_blocks(cmd, io, bs, &want))
		return false;
	io->length = want;          /* only what the initiator sent is compared */
	cmd->out_len = (uint32_t)want;
	chunk = piece(cmd, co->verify_buf.length);
	if (pool_alloc(&co->arena_alloc, chunk, &cmd->vbuf)) {
		/* the core arena is busy with other compares: retry later */
		cmd->res.status = SCSI_BUSY;
		cmd->res.sense_len = 0;
		cmd->res.data_len = 0;
		return false;
	}
	cmd->vbuf_own = true;
	cmd->io_len = chunk;
	return true;
}

bool core_verify_piece_done(struct core *co, struct core_link *bl, struct core_cmd *cmd)
{
	if (cmd->io.bytchk) {
		struct buf_handle mh = cmd->vbuf;
		const uint8_t *med, *out;

		mh.length = cmd->io_len;
		med = pool_ptr(&co->c->pool, &mh);
		out = pool_ptr(&co->c->pool, &cmd->buf);
		if (!med || !out) {
			scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
			return false;
		}
		out += cmd->vdone;
		if (memcmp(med, out, cmd->io_len)) {
			uint32_t i = 0;

			while (i < cmd->io_len && med[i] == out[i])
				i++;
			scsi_check(&cmd->res, SK_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY);
			/* INFORMATION: offset of the first differing byte in the data-out */
			scsi_sense_set_info(&cmd->res, cmd->vdone + i);
			return false;
		}
	}
	cmd->vdone += cmd->io_len;
	cmd->io.offset += cmd->io_len;
	if (cmd->vdone < cmd->io.length) {
		cmd->io_len = piece(cmd, cmd->vbuf.length);
		cmd->state = CS_BE_QUEUED;
		core_tx_enqueue(co, bl, cmd, MSG_IO);
		return true;
	}
	scsi_result_good(&cmd->res);
	cmd->res.data_len = 0;
	return false;
}

void core_verify_release(struct core *co, struct core_cmd *cmd)
{
	if (!cmd->vbuf_own)
		return;
	pool_free(&co->arena_alloc, &cmd->vbuf);
	cmd->vbuf_own = false;
}
