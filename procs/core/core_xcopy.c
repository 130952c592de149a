/* The copy manager: EXTENDED COPY (LID1) with block to block segments between
 * LUs of the nexus' own target, and RECEIVE COPY RESULTS.
 *
 * The whole parameter list is checked, and every CSCD a segment names is
 * resolved, range-checked and checked for reservations before the first
 * byte moves. An initiator can copy only between LUs it can itself reach:
 * CSCDs are looked up by NAA among the LUs its nexus sees (its target's,
 * through its ACL entry's LUN masking), a read-only ACL entry writes
 * nothing, and the source and destination must pass the reservation check
 * a READ and a WRITE from that nexus would (CVE-2020-28374 in LIO was a
 * copy manager that looked everywhere).
 *
 * Data moves through the LUs' backend links like any other I/O: a piece of
 * at most CORE_VERIFY_CHUNK bytes is read into a buffer of the core's arena,
 * then written, one piece at a time, so a copy holds one backend slot and
 * one buffer. A segment whose destination overlaps its source further on
 * in the same LU is copied from its end. For the task set the command is a
 * writer of its whole LU (core_lbalock.c); a destination LU other than that
 * one gets a place-holder command on its running writes for the duration,
 * so COMPARE AND WRITE and ORWRITE there wait for the copy (and a copy
 * finding one of them running there answers BUSY).
 *
 * Results: with LIST ID USAGE 00b the copy's status is held per I_T nexus
 * and LU (the last XCOPY_MAX_CONCURRENT list ids) for RECEIVE COPY RESULTS;
 * a list id still in use by a running copy of the nexus is refused (OPERATION
 * IN PROGRESS). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core_xcopy.h"
#include "shm/pool.h"

struct xcopy_res {
	bool     used;
	uint8_t  list_id;
	uint8_t  status;          /* 1 done, 2 failed */
	uint8_t  sense_len;
	uint16_t segs;
	uint32_t lun_index;
	uint64_t bytes;
	uint64_t seq;
	uint8_t  sense[MSG_SENSE_MAX];
};

struct core_xcopy_held {
	struct xcopy_res r[XCOPY_MAX_CONCURRENT];
	uint64_t seq;
};

struct core_xcopy {
	struct scsi_xcopy_list list;
	bool     parsed;
	struct core_lun *lun[XCOPY_MAX_CSCD];     /* resolved CSCDs */
	struct core_cmd *holder[XCOPY_MAX_CSCD];  /* place-holders on foreign LUs */
	uint32_t nholders;
	uint32_t seg;             /* segment being copied */
	uint64_t seg_done;        /* its bytes copied */
	uint64_t bytes;           /* bytes copied in all */
	uint64_t piece_off;       /* the piece in the buffer: offset in the segment */
	bool     backward;
	bool     writing;
};

static uint32_t min32(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

bool core_xcopy_plan(struct core *co, struct core_cmd *cmd)
{
	(void)co;
	if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
		scsi_invalid_cdb(&cmd->res, 0, -1);
		return false;
	}
	/* a list cut short by the transfer length is checked as what arrives:
	 * PARAMETER LIST LENGTH ERROR */
	cmd->out_len = min32(cmd->io.param_len, cmd->edtl);
	return true;
}

/* ---- held results ---- */

static struct xcopy_res *held_find(struct core_nexus *nx, uint32_t lun_index, uint8_t id)
{
	if (!nx || !nx->xheld)
		return NULL;
	for (uint32_t i = 0; i < XCOPY_MAX_CONCURRENT; i++) {
		struct xcopy_res *r = &nx->xheld->r[i];

		if (r->used && r->list_id == id && r->lun_index == lun_index)
			return r;
	}
	return NULL;
}

static void held_put(struct core_cmd *cmd)
{
	struct core_xcopy *xc = cmd->xc;
	struct core_nexus *nx = cmd->nexus;
	struct xcopy_res *r;

	if (!nx || !xc || !xc->parsed || xc->list.usage != XCOPY_LIST_HOLD)
		return;
	if (!nx->xheld) {
		nx->xheld = calloc(1, sizeof(*nx->xheld));
		if (!nx->xheld)
			return;
	}
	r = held_find(nx, cmd->lun->index, xc->list.list_id);
	if (!r) {
		/* a free slot, else the oldest result gives way */
		r = &nx->xheld->r[0];
		for (uint32_t i = 0; i < XCOPY_MAX_CONCURRENT; i++) {
			struct xcopy_res *c = &nx->xheld->r[i];

			if (!c->used) {
				r = c;
				break;
			}
			if (c->seq < r->seq)
				r = c;
		}
	}
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->seq = ++nx->xheld->seq;
	r->list_id = xc->list.list_id;
	r->lun_index = cmd->lun->index;
	r->bytes = xc->bytes;
	r->segs = (uint16_t)xc->seg;
	if (cmd->res.status == SCSI_GOOD) {
		r->status = 1;
	} else {
		r->status = 2;
		r->sense_len = cmd->res.sense_len;
		memcpy(r->sense, cmd->res.sense, cmd->res.sense_len);
	}
}

void core_xcopy_nexus_free(struct core_nexus *nx)
{
	free(nx->xheld);
	nx->xheld = NULL;
}

/* A copy of this nexus on this LU with this list id that has not ended. */
static struct core_cmd *running_copy(struct core_nexus *nx, const struct core_cmd *self,
				     uint32_t lun_index, uint8_t id)
{
	if (!nx)
		return NULL;
	for (struct clist_node *n = nx->cmds.first; n; n = n->next) {
		struct core_cmd *c = clist_entry(n, struct core_cmd, nnode);

		if (c != self && c->xc && c->xc->parsed && c->lun && c->lun->index == lun_index &&
		    c->xc->list.usage != XCOPY_LIST_NONE && c->xc->list.list_id == id &&
		    c->state != CS_DONE)
			return c;
	}
	return NULL;
}

/* Copies running on cmd's LU besides cmd. */
static uint32_t copies_on(const struct core_cmd *cmd)
{
	uint32_t n = 0;

	for (const struct clist_node *i = cmd->lun->tasks.first; i; i = i->next) {
		const struct core_cmd *c = clist_entry(i, struct core_cmd, lnode);

		if (c != cmd && c->xc && c->xc->parsed)
			n++;
	}
	return n;
}

/* ---- checks before any data moves ---- */

static void param_field(struct scsi_result *r, uint16_t asc, uint16_t byte)
{
	uint8_t sks[3] = { 0x80, (uint8_t)(byte >> 8), (uint8_t)byte };

	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, asc, sks);
	r->data_len = 0;
}

/* The LU a CSCD names: the NAA designator of an LU the nexus sees (its
 * target's LUs through its ACL entry's view, core_live.c). */
static struct core_lun *cscd_lookup(struct core_nexus *nx, const struct scsi_xcopy_cscd *c)
{
	if (c->assoc != 0 || c->desig_type != 0x3 || c->desig_len != 16)
		return NULL;
	for (uint32_t i = 0; i < nx->nview; i++) {
		struct core_lun *l = core_nexus_lun(nx, nx->view_ilun[i]);

		if (l && l->live && !memcmp(l->lu.naa, c->desig, 16))
			return l;
	}
	return NULL;
}

static struct core_lun *resolve(struct core_cmd *cmd, uint16_t idx, uint32_t segno,
				uint16_t field)
{
	struct core_xcopy *xc = cmd->xc;
	const struct scsi_xcopy_cscd *c;
	struct core_lun *l;

	if (idx >= xc->list.ncscd) {
		scsi_xcopy_abort(&cmd->res, ASC_UNREACHABLE_COPY_TARGET, segno, field);
		return NULL;
	}
	if (xc->lun[idx])
		return xc->lun[idx];
	c = &xc->list.cscd[idx];
	l = cmd->nexus ? cscd_lookup(cmd->nexus, c) : NULL;
	if (!l) {
		scsi_xcopy_abort(&cmd->res, ASC_UNREACHABLE_COPY_TARGET, segno, field);
		return NULL;
	}
	if (l->lu.pdt != 0x00) {
		/* a CD/DVD LU is no block device copy target */
		scsi_xcopy_abort(&cmd->res, ASC_INCORRECT_COPY_TARGET_TYPE, segno, field);
		return NULL;
	}
	if (c->block_len != l->lu.block_size) {
		param_field(&cmd->res, ASC_INVALID_FIELD_IN_PARAM, (uint16_t)(c->off + 29));
		return NULL;
	}
	xc->lun[idx] = l;
	return l;
}

static bool in_range(const struct core_lun *l, uint64_t lba, uint64_t n)
{
	return lba <= l->lu.nblocks && n <= l->lu.nblocks - lba;
}

/* A 0Ah segment is copied in whole blocks: no byte offsets, a byte count
 * of whole blocks (DATA SEGMENT GRANULARITY) and at most MAXIMUM SEGMENT
 * LENGTH. Its block count is set here. */
static bool bytes_to_blocks(struct core_cmd *cmd, uint32_t i, uint32_t bs)
{
	struct scsi_xcopy_seg *s = &cmd->xc->list.seg[i];

	if (s->src_off || s->dst_off) {
		param_field(&cmd->res, ASC_SEGMENT_GRANULARITY,
			    (uint16_t)(s->off + (s->src_off ? 28 : 30)));
		return false;
	}
	if (s->nbytes % bs) {
		param_field(&cmd->res, ASC_SEGMENT_GRANULARITY, (uint16_t)(s->off + 8));
		return false;
	}
	if (s->nbytes / bs > XCOPY_MAX_SEG_BLOCKS) {
		param_field(&cmd->res, ASC_INVALID_FIELD_IN_PARAM, (uint16_t)(s->off + 8));
		return false;
	}
	s->nblocks = s->nbytes / bs;
	return true;
}

static bool check_segments(struct core_cmd *cmd)
{
	static const uint8_t read10[10] = { READ_10 }, write10[10] = { WRITE_10 };
	struct core_xcopy *xc = cmd->xc;

	for (uint32_t i = 0; i < xc->list.nseg; i++) {
		const struct scsi_xcopy_seg *s = &xc->list.seg[i];
		struct core_lun *src = resolve(cmd, s->src, i, 4);
		struct core_lun *dst = src ? resolve(cmd, s->dst, i, 6) : NULL;

		if (!dst)
			return false;
		if (src->lu.block_size != dst->lu.block_size) {
			param_field(&cmd->res, ASC_UNEXPECTED_INEXACT_SEGMENT, s->off);
			return false;
		}
		if (s->type == XCOPY_SEG_B2B_OFF && !bytes_to_blocks(cmd, i, src->lu.block_size))
			return false;
		if (!in_range(src, s->src_lba, s->nblocks)) {
			scsi_xcopy_abort(&cmd->res, ASC_NO_ADDITIONAL_SENSE, i, 12);
			return false;
		}
		if (!in_range(dst, s->dst_lba, s->nblocks)) {
			scsi_xcopy_abort(&cmd->res, ASC_NO_ADDITIONAL_SENSE, i, 20);
			return false;
		}
		if (core_sanitize_busy(src, &cmd->res) || core_sanitize_busy(dst, &cmd->res))
			return false;
		if ((src->lu.removable && src->lu.medium_out) ||
		    (dst->lu.removable && dst->lu.medium_out)) {
			scsi_check(&cmd->res, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
			return false;
		}
		if (dst->lu.readonly || cmd->nexus->readonly) {
			scsi_check(&cmd->res, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
			return false;
		}
		if (core_pr_blocks(cmd->nexus, src, read10) ||
		    core_pr_blocks(cmd->nexus, dst, write10)) {
			cmd->res.status = SCSI_STATUS_RESERVATION_CONFLICT;
			cmd->res.sense_len = 0;
			cmd->res.data_len = 0;
			return false;
		}
	}
	return true;
}

/* A destination LU other than the command's own: hold its running writes
 * with a place-holder, unless an exclusive command runs there. */
static bool hold_foreign(struct core *co, struct core_cmd *cmd)
{
	struct core_xcopy *xc = cmd->xc;

	for (uint32_t i = 0; i < xc->list.nseg; i++) {
		struct core_lun *d = xc->lun[xc->list.seg[i].dst];
		struct core_cmd *h;
		bool held = d == cmd->lun;

		for (uint32_t k = 0; k < xc->nholders && !held; k++)
			held = xc->holder[k]->lun == d;
		if (held || xc->list.seg[i].nblocks == 0)
			continue;
		for (struct clist_node *n = d->lba_excl.first; n; n = n->next) {
			if (clist_entry(n, struct core_cmd, xnode)->started) {
				cmd->res.status = SCSI_BUSY;
				cmd->res.sense_len = 0;
				return false;
			}
		}
		h = xc->nholders < XCOPY_MAX_CSCD ? core_cmd_alloc(co) : NULL;
		if (!h) {
			cmd->res.status = SCSI_BUSY;
			cmd->res.sense_len = 0;
			return false;
		}
		h->kind = CK_JOB;
		h->fe_link = UINT32_MAX;        /* no frontend's */
		h->state = CS_WAIT;
		h->lun = d;
		h->io.blk = SCSI_BLK_XCOPY;
		h->io.nblocks = d->lu.nblocks;
		clist_push_back(&d->lba_running, &h->xnode);
		h->lba_on = 2;
		xc->holder[xc->nholders++] = h;
	}
	return true;
}

/* ---- the copy ---- */

int core_arena_take(struct core *co, uint32_t want, uint32_t min, struct buf_handle *out)
{
	if (!co->arena_alloc.bitmap)
		return -ENOMEM;
	/* a smaller piece is slower, not wrong: take what the arena has */
	for (uint32_t len = want; len >= min; len /= 2)
		if (!pool_alloc(&co->arena_alloc, len, out))
			return 0;
	return -ENOMEM;
}

static const struct scsi_xcopy_seg *cur_seg(const struct core_cmd *cmd)
{
	return &cmd->xc->list.seg[cmd->xc->seg];
}

/* Set up the read of the next piece; false when every segment is done. */
static bool next_piece(struct core_cmd *cmd)
{
	struct core_xcopy *xc = cmd->xc;

	while (xc->seg < xc->list.nseg) {
		const struct scsi_xcopy_seg *s = cur_seg(cmd);
		struct core_lun *src = xc->lun[s->src], *dst = xc->lun[s->dst];
		uint64_t total = (uint64_t)s->nblocks << src->lu.block_shift;
		uint32_t piece;

		if (xc->seg_done >= total) {
			xc->seg++;
			xc->seg_done = 0;
			continue;
		}
		/* a sanitize begun on a source since (a destination's waits for
		 * the copy): its blocks are not the ones the copy was asked for */
		if (core_sanitize_busy(src, &cmd->res) || core_sanitize_busy(dst, &cmd->res))
			return false;
		if (src->lu.medium_out || dst->lu.medium_out) {
			/* ejected since: a removable LU without its medium */
			scsi_check(&cmd->res, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
			return false;
		}
		if (xc->seg_done == 0)
			xc->backward = src == dst && s->dst_lba > s->src_lba &&
				       s->dst_lba < s->src_lba + s->nblocks;
		piece = min32(total - xc->seg_done, cmd->bbuf.length);
		xc->piece_off = xc->backward ? total - xc->seg_done - piece : xc->seg_done;
		xc->writing = false;
		cmd->io.op = MSG_IO_READ;
		cmd->io.fua = false;
		cmd->io.offset = (s->src_lba << src->lu.block_shift) + xc->piece_off;
		cmd->io_len = piece;
		cmd->vbuf = cmd->bbuf;
		cmd->be_link = src->link;
		cmd->be_dev = src->dev;
		return true;
	}
	scsi_result_good(&cmd->res);
	cmd->res.data_len = 0;
	return false;
}

static void to_write(struct core_cmd *cmd)
{
	struct core_xcopy *xc = cmd->xc;
	const struct scsi_xcopy_seg *s = cur_seg(cmd);
	struct core_lun *dst = xc->lun[s->dst];

	xc->writing = true;
	cmd->io.op = MSG_IO_WRITE;
	/* WCE switched off by MODE SELECT: written through, as any write there */
	cmd->io.fua = dst->lu.wce_default && !dst->lu.wce;
	cmd->io.offset = (s->dst_lba << dst->lu.block_shift) + xc->piece_off;
	cmd->be_link = dst->link;
	cmd->be_dev = dst->dev;
}

static bool send(struct core *co, struct core_cmd *cmd)
{
	struct core_link *bl = core_link_get(co, cmd->be_link);

	if (!bl || bl->role != CORE_ROLE_BACKEND) {
		scsi_xcopy_abort(&cmd->res, ASC_COPY_TARGET_NOT_REACHABLE, cmd->xc->seg,
				 cmd->xc->writing ? 6 : 4);
		return false;
	}
	cmd->state = CS_BE_QUEUED;
	core_tx_enqueue(co, bl, cmd, MSG_IO);
	return true;
}

/* Leaves cmd->res final; records the result for RECEIVE COPY RESULTS. */
static bool finish(struct core_cmd *cmd)
{
	held_put(cmd);
	return false;
}

bool core_xcopy_start(struct core *co, struct core_cmd *cmd)
{
	uint32_t len = cmd->out_len;
	const uint8_t *src = pool_ptr(&co->c->pool, &cmd->buf);
	uint8_t *list;
	struct core_xcopy *xc;
	int rc;

	if (!src || len > cmd->buf.length) {
		scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	xc = calloc(1, sizeof(*xc));
	list = malloc(len ? len : 1);
	if (!xc || !list) {
		free(xc);
		free(list);
		cmd->res.status = SCSI_BUSY;
		cmd->res.sense_len = 0;
		return false;
	}
	cmd->xc = xc;
	/* checked and used from our copy: the initiator's buffer may change */
	memcpy(list, src, len);
	rc = scsi_xcopy_parse(list, len, &xc->list, &cmd->res);
	free(list);
	if (rc)
		return false;
	xc->parsed = true;
	if (xc->list.usage != XCOPY_LIST_NONE &&
	    running_copy(cmd->nexus, cmd, cmd->lun->index, xc->list.list_id)) {
		xc->parsed = false;      /* the running copy's results are not ours */
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_OPERATION_IN_PROGRESS);
		return false;
	}
	if (copies_on(cmd) >= XCOPY_MAX_CONCURRENT) {
		/* the TOTAL CONCURRENT COPIES of OPERATING PARAMETERS */
		xc->parsed = false;
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INSUFFICIENT_RESOURCES);
		return false;
	}
	if (!check_segments(cmd) || !hold_foreign(co, cmd))
		return finish(cmd);
	if (core_arena_take(co, CORE_VERIFY_CHUNK, 64u << 10, &cmd->bbuf)) {
		cmd->res.status = SCSI_BUSY;   /* the core arena is busy: retry */
		cmd->res.sense_len = 0;
		return finish(cmd);
	}
	cmd->bbuf_own = true;
	if (!next_piece(cmd))
		return finish(cmd);
	return true;
}

bool core_xcopy_piece_done(struct core *co, struct core_cmd *cmd, const struct msg_io_done *d)
{
	struct core_xcopy *xc = cmd->xc;

	if (d->result < 0 || d->length != cmd->io_len) {
		int err = d->result < 0 ? d->result : -EIO;

		scsi_check_io_error(&cmd->res, err, xc->writing);
		if (cmd->res.sense[2] != SK_ABORTED_COMMAND) {
			/* the copy target failed: COPY ABORTED, its reason as the ASC */
			uint16_t asc = (uint16_t)(cmd->res.sense[12] << 8 | cmd->res.sense[13]);

			scsi_xcopy_abort(&cmd->res, asc, xc->seg, xc->writing ? 20 : 12);
		}
		return finish(cmd);
	}
	if (!xc->writing) {
		to_write(cmd);
	} else {
		xc->seg_done += cmd->io_len;
		xc->bytes += cmd->io_len;
		if (!next_piece(cmd))
			return finish(cmd);
	}
	return send(co, cmd) || finish(cmd);
}

void core_xcopy_backend_lost(struct core *co, struct core_cmd *cmd)
{
	/* whether the piece reached the medium is unknown: fail, retryably */
	scsi_check(&cmd->res, SK_ABORTED_COMMAND, ASC_LU_COMM_FAILURE);
	finish(cmd);
	core_cmd_complete(co, cmd);
}

void core_xcopy_release(struct core *co, struct core_cmd *cmd)
{
	struct core_xcopy *xc = cmd->xc;

	if (!xc)
		return;
	cmd->xc = NULL;
	for (uint32_t i = 0; i < xc->nholders; i++) {
		struct core_cmd *h = xc->holder[i];
		struct core_lun *d = h->lun;

		clist_remove(&d->lba_running, &h->xnode);
		h->lba_on = 0;
		core_cmd_free(co, h);
		/* an exclusive command there may have waited for the copy */
		if (d->lba_excl.len)
			core_lun_kick(co, d);
	}
	free(xc);
}

/* ---- RECEIVE COPY RESULTS ---- */

void core_xcopy_rcr(struct core *co, struct core_cmd *cmd)
{
	uint8_t b[64 + MSG_SENSE_MAX], sa, id;
	uint32_t alloc, n = 0;
	struct core_cmd *run;
	struct xcopy_res *r;

	if (scsi_rcr_cdb(cmd->cdb, &sa, &id, &alloc, &cmd->res)) {
		core_cmd_complete(co, cmd);
		return;
	}
	run = sa == RCR_SA_OP_PARAMS ? NULL : running_copy(cmd->nexus, cmd, cmd->lun->index, id);
	r = sa == RCR_SA_OP_PARAMS ? NULL : held_find(cmd->nexus, cmd->lun->index, id);
	if (sa != RCR_SA_OP_PARAMS && !run && !r) {
		/* no copy with this list id: nothing to report */
		scsi_invalid_cdb(&cmd->res, 2, -1);
		core_cmd_complete(co, cmd);
		return;
	}
	switch (sa) {
	case RCR_SA_OP_PARAMS:
		n = scsi_rcr_op_params(cmd->lun->lu.block_size, b);
		break;
	case RCR_SA_COPY_STATUS:
		if (run)
			n = scsi_rcr_copy_status(0, (uint16_t)run->xc->seg, run->xc->bytes, b);
		else
			n = scsi_rcr_copy_status(r->status, r->segs, r->bytes, b);
		break;
	case RCR_SA_RECEIVE_DATA:
		/* no segment type here holds data */
		memset(b, 0, 4);
		n = 4;
		break;
	case RCR_SA_FAILED_SEGMENTS:
		if (run || r->status != 2) {
			n = scsi_rcr_failed_segment(0, NULL, 0, b);
		} else {
			n = scsi_rcr_failed_segment(SCSI_CHECK_CONDITION, r->sense, r->sense_len, b);
			/* reported once, then discarded */
			if (alloc >= n)
				r->sense_len = 0;
		}
		break;
	}
	scsi_emit(b, n, alloc, co->scratch, co->scratch_len, &cmd->res);
	core_emul_finish(co, cmd);
}
