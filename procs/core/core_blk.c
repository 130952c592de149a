/* SBC commands that take several backend I/Os, run by the core one I/O at a
 * time (so each holds at most one backend slot and one piece of the core's
 * arena):
 *
 *   WRITE SAME       a zero block becomes WRITE_ZEROES (UNMAP when the UNMAP
 *                    bit is set on a thin LU, whose holes read as zeros);
 *                    another block is replicated into a buffer of the core's
 *                    arena and written in pieces of at most CORE_VERIFY_CHUNK
 *   UNMAP            the parameter list is copied to the core's arena,
 *                    checked whole, then one MSG_IO_UNMAP per descriptor
 *   COMPARE AND WRITE read into the core's arena, compare, write. No other
 *                    write to its blocks runs between the read and the
 *                    write (core_lbalock.c): atomic for every initiator
 *   WRITE AND VERIFY write, then read back in pieces and compare
 *   ORWRITE          per piece: read into the core's arena, OR the data-out
 *                    in, write it back; exclusive like COMPARE AND WRITE
 *   GET LBA STATUS   MSG_IO_LBA_STATUS queries from the starting LBA, merged
 *                    into descriptors in the data-in buffer
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_xcopy.h"
#include "shm/pool.h"

#define BLK_ZERO_PIECE (1ull << 30)   /* WRITE_ZEROES/UNMAP/LBA_STATUS per I/O */

static uint32_t min_u64(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

static void busy(struct core_cmd *cmd)
{
	cmd->res.status = SCSI_BUSY;
	cmd->res.sense_len = 0;
	cmd->res.data_len = 0;
}

/* data-out of `need` bytes, exactly: a command whose parameter data is cut
 * short cannot be run */
static bool want_out(struct core_cmd *cmd, uint32_t need)
{
	if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
		scsi_invalid_cdb(&cmd->res, 0, -1);
		return false;
	}
	if (cmd->edtl < need) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return false;
	}
	cmd->out_len = need;
	return true;
}

bool core_blk_plan(struct core *co, struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint32_t bs = cmd->lun->lu.block_size;

	cmd->bstage = 0;
	cmd->bdone = 0;
	switch (io->blk) {
	case SCSI_BLK_WRITE_SAME:
		/* exactly one block: more data-out than that is not one
		 * block to replicate (libiscsi WriteSame*.InvalidDataOutSize) */
		if (!io->ndob && cmd->edtl > bs) {
			scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
			return false;
		}
		return io->ndob ? true : want_out(cmd, bs);
	case SCSI_BLK_UNMAP:
		/* a short list is checked as what arrived (PARAMETER LIST LENGTH) */
		if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
			scsi_invalid_cdb(&cmd->res, 0, -1);
			return false;
		}
		cmd->out_len = min_u64(io->param_len, cmd->edtl);
		return true;
	case SCSI_BLK_CAW:
		/* the data-out must be exactly the verify and the write data: a
		 * different length means the CDB's block count is not what the
		 * initiator meant (e.g. 256 wrapped to 0) */
		if (cmd->edtl != 2 * io->length) {
			scsi_invalid_cdb(&cmd->res, 13, -1);
			return false;
		}
		if (io->length == 0) {
			scsi_result_good(&cmd->res);
			cmd->res.data_len = 0;
			return false;
		}
		/* no write to these blocks between the read and the write:
		 * core_lbalock.c */
		return want_out(cmd, (uint32_t)(2 * io->length));
	case SCSI_BLK_ORWRITE:
		/* exclusive of other writes to its blocks: core_lbalock.c */
		/* fall through */
	case SCSI_BLK_WRITE_VERIFY: {
		uint64_t want;

		if (!core_dataout_blocks(cmd, io, bs, &want))
			return false;
		io->length = want;
		io->nblocks = want / bs;
		cmd->out_len = (uint32_t)want;
		return true;
	}
	case SCSI_BLK_XCOPY:
		return core_xcopy_plan(co, cmd);
	case SCSI_BLK_SANITIZE:
		return core_sanitize_plan(co, cmd);
	case SCSI_BLK_LBA_STATUS:
		cmd->data_cap = cmd->dir == MSG_DIR_READ ? min_u64(io->param_len, cmd->edtl) : 0;
		if (cmd->data_cap == 0) {
			scsi_result_good(&cmd->res);
			cmd->res.data_len = 0;
			return false;
		}
		return true;
	default:
		scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
}

static bool own_buf(struct core *co, struct core_cmd *cmd, uint32_t len)
{
	if (!co->arena_alloc.bitmap || pool_alloc(&co->arena_alloc, len, &cmd->bbuf)) {
		busy(cmd);    /* the core arena is busy with other commands: retry */
		return false;
	}
	cmd->bbuf_own = true;
	return true;
}

static void *own_ptr(struct core *co, struct core_cmd *cmd)
{
	return pool_ptr(&co->c->pool, &cmd->bbuf);
}

/* the frontend's data-out, from byte off, len bytes */
static const uint8_t *out_ptr(struct core *co, struct core_cmd *cmd, uint32_t off, uint32_t len)
{
	const uint8_t *p = pool_ptr(&co->c->pool, &cmd->buf);

	if (!p || (uint64_t)off + len > cmd->buf.length)
		return NULL;
	return p + off;
}

static bool all_zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void internal_error(struct core_cmd *cmd)
{
	scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
}

/* ---- WRITE SAME ---- */

static void ws_next(struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint64_t left = io->length - cmd->bdone;

	io->offset = (io->lba << cmd->lun->lu.block_shift) + cmd->bdone;
	if (io->op == MSG_IO_WRITE)
		cmd->io_len = min_u64(left, cmd->bbuf.length);
	else
		cmd->io_len = min_u64(left, BLK_ZERO_PIECE);
	cmd->vbuf = cmd->bbuf;
}

static bool ws_start(struct core *co, struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint32_t bs = cmd->lun->lu.block_size, len;
	uint8_t *own;
	const uint8_t *blk = NULL;

	if (!io->ndob) {
		blk = out_ptr(co, cmd, 0, bs);
		if (!blk) {
			internal_error(cmd);
			return false;
		}
	}
	/* UNMAP bit on a thin LU: SBC lets the device server unmap instead of
	 * writing, whatever the block holds (as LIO and tgtd do); the range
	 * then reads as zeros (LBPRZ) */
	if (io->ndob || (io->unmap && cmd->lun->lu.thin) || all_zero(blk, bs)) {
		io->op = io->unmap && cmd->lun->lu.thin ? MSG_IO_UNMAP : MSG_IO_WRITE_ZEROES;
		memset(&cmd->bbuf, 0, sizeof(cmd->bbuf));
		ws_next(cmd);
		return true;
	}
	len = min_u64(io->length, CORE_VERIFY_CHUNK);
	if (!own_buf(co, cmd, len))
		return false;
	own = own_ptr(co, cmd);
	if (!own) {
		internal_error(cmd);
		return false;
	}
	/* one copy of the initiator's block, then ours is the source */
	memcpy(own, blk, bs);
	for (uint32_t o = bs; o < len; o += bs)
		memcpy(own + o, own, bs);
	co->n_copied += len;
	io->op = MSG_IO_WRITE;
	ws_next(cmd);
	return true;
}

/* ---- UNMAP ---- */

/* Set up the I/O of the next descriptor with blocks; false when none is left. */
static bool unmap_next(struct core *co, struct core_cmd *cmd)
{
	const uint8_t *list = own_ptr(co, cmd);
	uint64_t lba;
	uint32_t n;

	for (; cmd->bidx < cmd->bcount; cmd->bidx++) {
		scsi_unmap_desc(list, cmd->bidx, &lba, &n);
		if (n == 0)
			continue;
		cmd->io.op = MSG_IO_UNMAP;
		cmd->io.offset = lba << cmd->lun->lu.block_shift;
		cmd->io_len = n << cmd->lun->lu.block_shift;  /* <= 1 GiB: checked */
		memset(&cmd->vbuf, 0, sizeof(cmd->vbuf));
		cmd->bidx++;
		return true;
	}
	scsi_result_good(&cmd->res);
	cmd->res.data_len = 0;
	return false;
}

static bool unmap_start(struct core *co, struct core_cmd *cmd)
{
	uint32_t len = cmd->out_len;
	const uint8_t *src = out_ptr(co, cmd, 0, len);
	uint8_t *list;
	int n;

	if (len < 8) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return false;
	}
	if (!src) {
		internal_error(cmd);
		return false;
	}
	if (!own_buf(co, cmd, len))
		return false;
	list = own_ptr(co, cmd);
	if (!list) {
		internal_error(cmd);
		return false;
	}
	/* checked and used from our copy: the initiator's buffer may change */
	memcpy(list, src, len);
	n = scsi_unmap_check(&cmd->lun->lu, list, len, &cmd->res);
	if (n < 0)
		return false;
	cmd->bcount = (uint32_t)n;
	cmd->bidx = 0;
	return unmap_next(co, cmd);
}

/* ---- COMPARE AND WRITE / WRITE AND VERIFY ---- */

static bool caw_start(struct core *co, struct core_cmd *cmd)
{
	if (!own_buf(co, cmd, (uint32_t)cmd->io.length))
		return false;
	cmd->bfua = cmd->io.fua;
	cmd->io.fua = false;
	cmd->io.op = MSG_IO_READ;
	cmd->io.offset = cmd->io.lba << cmd->lun->lu.block_shift;
	cmd->io_len = (uint32_t)cmd->io.length;
	cmd->vbuf = cmd->bbuf;
	return true;
}

/* Compare what was read into our buffer with data-out bytes from `off`. */
static bool compare(struct core *co, struct core_cmd *cmd, uint32_t off, uint32_t info_base)
{
	const uint8_t *med = own_ptr(co, cmd), *out = out_ptr(co, cmd, off, cmd->io_len);
	uint32_t i = 0;

	if (!med || !out) {
		internal_error(cmd);
		return false;
	}
	if (!memcmp(med, out, cmd->io_len))
		return true;
	while (i < cmd->io_len && med[i] == out[i])
		i++;
	scsi_check(&cmd->res, SK_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY);
	scsi_sense_set_info(&cmd->res, info_base + i);
	return false;
}

static bool wv_start(struct core *co, struct core_cmd *cmd)
{
	/* the read-back buffer is taken now, so a written range is always verified */
	if (!own_buf(co, cmd, min_u64(cmd->io.length, CORE_VERIFY_CHUNK)))
		return false;
	cmd->io.op = MSG_IO_WRITE;
	cmd->io.offset = cmd->io.lba << cmd->lun->lu.block_shift;
	cmd->io_len = (uint32_t)cmd->io.length;
	cmd->vbuf = cmd->buf;
	cmd->vbuf.length = cmd->io_len;
	return true;
}

static void wv_read_next(struct core_cmd *cmd)
{
	cmd->io.op = MSG_IO_READ;
	cmd->io.offset = (cmd->io.lba << cmd->lun->lu.block_shift) + cmd->bdone;
	cmd->io_len = min_u64(cmd->io.length - cmd->bdone, cmd->bbuf.length);
	cmd->vbuf = cmd->bbuf;
}

/* ---- ORWRITE ---- */

static void orw_read_next(struct core_cmd *cmd)
{
	cmd->bstage = 0;
	cmd->io.op = MSG_IO_READ;
	cmd->io.fua = false;              /* FUA is for the writes */
	cmd->io.offset = (cmd->io.lba << cmd->lun->lu.block_shift) + cmd->bdone;
	cmd->io_len = min_u64(cmd->io.length - cmd->bdone, cmd->bbuf.length);
	cmd->vbuf = cmd->bbuf;
}

static bool orw_start(struct core *co, struct core_cmd *cmd)
{
	if (!own_buf(co, cmd, min_u64(cmd->io.length, CORE_VERIFY_CHUNK)))
		return false;
	cmd->bfua = cmd->io.fua;
	orw_read_next(cmd);
	return true;
}

/* The piece is in our buffer: OR the initiator's bytes into it. */
static bool orw_merge(struct core *co, struct core_cmd *cmd)
{
	uint8_t *med = own_ptr(co, cmd);
	const uint8_t *out = out_ptr(co, cmd, (uint32_t)cmd->bdone, cmd->io_len);

	if (!med || !out) {
		internal_error(cmd);
		return false;
	}
	for (uint32_t i = 0; i < cmd->io_len; i++)
		med[i] |= out[i];
	cmd->bstage = 1;
	cmd->io.op = MSG_IO_WRITE;
	cmd->io.fua = cmd->bfua;
	return true;
}

/* ---- GET LBA STATUS ---- */

static void lbas_query(struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint8_t sh = cmd->lun->lu.block_shift;
	uint64_t next = cmd->blba + cmd->bnblk;

	io->op = MSG_IO_LBA_STATUS;
	io->offset = next << sh;
	cmd->io_len = min_u64((cmd->lun->lu.nblocks - next) << sh, BLK_ZERO_PIECE);
	memset(&cmd->vbuf, 0, sizeof(cmd->vbuf));
	cmd->bqueries++;
}

static bool lbas_start(struct core_cmd *cmd)
{
	cmd->blba = cmd->io.lba;
	cmd->bnblk = 0;
	cmd->bcount = 0;
	cmd->bqueries = 0;
	lbas_query(cmd);
	return true;
}

static void lbas_put(struct core *co, struct core_cmd *cmd)
{
	uint8_t d[16];
	uint32_t off = 8 + 16 * cmd->bcount;
	uint8_t *out = pool_ptr(&co->c->pool, &cmd->buf);

	memset(d, 0, sizeof(d));
	scsi_put64(d, cmd->blba);
	scsi_put32(d + 8, (uint32_t)cmd->bnblk);
	d[12] = cmd->bunmapped ? 0x01 : 0x00;   /* deallocated : mapped */
	if (out && off < cmd->data_cap)
		memcpy(out + off, d, min_u64(sizeof(d), cmd->data_cap - off));
	cmd->bcount++;
}

static void lbas_finish(struct core *co, struct core_cmd *cmd)
{
	uint8_t h[8];
	uint8_t *out = pool_ptr(&co->c->pool, &cmd->buf);
	uint32_t total = 8 + 16 * cmd->bcount;

	memset(h, 0, sizeof(h));
	scsi_put32(h, total - 4);
	if (out)
		memcpy(out, h, min_u64(sizeof(h), cmd->data_cap));
	scsi_result_good(&cmd->res);
	cmd->res.data_len = min_u64(total, cmd->data_cap);
}

/* A run came back: extend the open descriptor or close it and open another. */
static bool lbas_done(struct core *co, struct core_cmd *cmd, const struct msg_io_done *d)
{
	const struct scsi_lu *lu = &cmd->lun->lu;
	bool unmapped = d->h.flags & MSG_IO_DONE_UNMAPPED;
	uint64_t n = d->length >> lu->block_shift;
	uint64_t end;

	if (d->length == 0 || d->length > cmd->io_len || d->length & (lu->block_size - 1)) {
		scsi_check_io_error(&cmd->res, -EIO, false);
		return false;
	}
	if (cmd->bnblk && (unmapped != cmd->bunmapped || cmd->bnblk + n > UINT32_MAX)) {
		lbas_put(co, cmd);
		cmd->blba += cmd->bnblk;
		cmd->bnblk = 0;
	}
	cmd->bunmapped = unmapped;
	cmd->bnblk += n;
	end = cmd->blba + cmd->bnblk;
	/* stop at the end of the LU, when the initiator has no room for another
	 * descriptor, or after a bounded number of queries */
	if (end >= lu->nblocks || 8 + 16 * (cmd->bcount + 1) >= cmd->data_cap ||
	    cmd->bcount + 1 >= SCSI_LBA_STATUS_MAX_DESC ||
	    cmd->bqueries >= 4 * SCSI_LBA_STATUS_MAX_DESC) {
		lbas_put(co, cmd);
		lbas_finish(co, cmd);
		return false;
	}
	lbas_query(cmd);
	return true;
}

/* ---- entry points ---- */

bool core_blk_start(struct core *co, struct core_cmd *cmd)
{
	switch (cmd->io.blk) {
	case SCSI_BLK_WRITE_SAME:   return ws_start(co, cmd);
	case SCSI_BLK_UNMAP:        return unmap_start(co, cmd);
	case SCSI_BLK_CAW:          return caw_start(co, cmd);
	case SCSI_BLK_WRITE_VERIFY: return wv_start(co, cmd);
	case SCSI_BLK_LBA_STATUS:   return lbas_start(cmd);
	case SCSI_BLK_ORWRITE:      return orw_start(co, cmd);
	case SCSI_BLK_XCOPY:        return core_xcopy_start(co, cmd);
	case SCSI_BLK_SANITIZE:
		core_sanitize_start(co, cmd);
		return false;
	default:
		internal_error(cmd);
		return false;
	}
}

static bool requeue(struct core *co, struct core_link *bl, struct core_cmd *cmd)
{
	cmd->state = CS_BE_QUEUED;
	core_tx_enqueue(co, bl, cmd, MSG_IO);
	return true;
}

bool core_blk_piece_done(struct core *co, struct core_link *bl, struct core_cmd *cmd,
			 const struct msg_io_done *d)
{
	if (cmd->io.blk == SCSI_BLK_XCOPY)
		return core_xcopy_piece_done(co, cmd, d);
	if (d->result == -EOPNOTSUPP && cmd->io.op == MSG_IO_UNMAP) {
		/* the store cannot deallocate (no hole punching): unmapped blocks
		 * must still read as zeros (LBPRZ), so zero the same range */
		cmd->io.op = MSG_IO_WRITE_ZEROES;
		return requeue(co, bl, cmd);
	}
	if (d->result < 0) {
		scsi_check_io_error(&cmd->res, d->result,
				    cmd->io.op != MSG_IO_READ && cmd->io.op != MSG_IO_LBA_STATUS);
		return false;
	}
	if (cmd->io.blk == SCSI_BLK_LBA_STATUS)
		return lbas_done(co, cmd, d) && requeue(co, bl, cmd);
	if (d->length != cmd->io_len) {
		/* a short transfer is an error, never silently less */
		scsi_check_io_error(&cmd->res, -EIO, cmd->io.op != MSG_IO_READ);
		return false;
	}
	switch (cmd->io.blk) {
	case SCSI_BLK_WRITE_SAME:
		cmd->bdone += cmd->io_len;
		if (cmd->bdone < cmd->io.length) {
			ws_next(cmd);
			return requeue(co, bl, cmd);
		}
		break;
	case SCSI_BLK_UNMAP:
		if (unmap_next(co, cmd))
			return requeue(co, bl, cmd);
		return false;
	case SCSI_BLK_CAW:
		if (cmd->bstage == 0) {
			if (!compare(co, cmd, 0, 0))
				return false;
			/* the write half of the data-out goes to the same blocks */
			cmd->bstage = 1;
			cmd->io.op = MSG_IO_WRITE;
			cmd->io.fua = cmd->bfua;
			cmd->vbuf = cmd->buf;
			cmd->vbuf.offset += cmd->io_len;
			cmd->vbuf.length = cmd->io_len;
			return requeue(co, bl, cmd);
		}
		break;
	case SCSI_BLK_WRITE_VERIFY:
		if (cmd->bstage == 0) {
			cmd->bstage = 1;
			cmd->bdone = 0;
			wv_read_next(cmd);
			return requeue(co, bl, cmd);
		}
		if (!compare(co, cmd, (uint32_t)cmd->bdone, (uint32_t)cmd->bdone))
			return false;
		cmd->bdone += cmd->io_len;
		if (cmd->bdone < cmd->io.length) {
			wv_read_next(cmd);
			return requeue(co, bl, cmd);
		}
		break;
	case SCSI_BLK_ORWRITE:
		if (cmd->bstage == 0)
			return orw_merge(co, cmd) && requeue(co, bl, cmd);
		cmd->bdone += cmd->io_len;
		if (cmd->bdone < cmd->io.length) {
			orw_read_next(cmd);
			return requeue(co, bl, cmd);
		}
		break;
	default:
		internal_error(cmd);
		return false;
	}
	scsi_result_good(&cmd->res);
	cmd->res.data_len = 0;
	return false;
}

void core_blk_release(struct core *co, struct core_cmd *cmd)
{
	core_xcopy_release(co, cmd);
	if (!cmd->bbuf_own)
		return;
	pool_free(&co->arena_alloc, &cmd->bbuf);
	cmd->bbuf_own = false;
}
