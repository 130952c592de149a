/* The in-flight table and the life of a command: receipt and validation of
 * frontend messages, the task set of each LU, routing to backends, completion.
 *
 * A command lives in one slot of a fixed table from receipt until its answer is
 * on the frontend's ring (or, for a dead frontend, until the backend gives its
 * buffer back). Backend tags are slot index and generation, so an IO_DONE finds
 * its command in O(1) and a stale or forged tag is caught.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_xcopy.h"
#include "procs/core/core_state.h"
#include "shm/pool.h"

/* ---- table ---- */

int core_cmds_init(struct core *co, uint32_t n)
{
	co->cmds = calloc(n, sizeof(*co->cmds));
	co->free_stack = calloc(n, sizeof(uint32_t));
	if (!co->cmds || !co->free_stack)
		return -ENOMEM;
	co->ncmds = n;
	for (uint32_t i = 0; i < n; i++) {
		co->cmds[i].idx = i;
		co->free_stack[i] = n - 1 - i;
	}
	co->nfree = n;
	return 0;
}

struct core_cmd *core_cmd_alloc(struct core *co)
{
	struct core_cmd *cmd;
	uint32_t idx, gen;

	if (co->nfree == 0)
		return NULL;
	idx = co->free_stack[--co->nfree];
	cmd = &co->cmds[idx];
	gen = cmd->gen + 1;
	if (gen == 0)
		gen = 1;
	memset(cmd, 0, sizeof(*cmd));
	cmd->idx = idx;
	cmd->gen = gen;
	return cmd;
}

uint32_t core_cmds_busy(const struct core *co)
{
	return co->ncmds - co->nfree;
}

static unsigned tag_bucket(uint64_t tag)
{
	tag ^= tag >> 33;
	tag *= 0xff51afd7ed558ccdull;
	tag ^= tag >> 33;
	return (unsigned)(tag & (CORE_TAG_BUCKETS - 1));
}

static void taghash_add(struct core_link *cl, struct core_cmd *cmd)
{
	unsigned b = tag_bucket(cmd->fe_tag);

	cmd->tnext = cl->tag_hash[b];
	cl->tag_hash[b] = cmd;
	cmd->in_taghash = true;
}

static void taghash_del(struct core *co, struct core_cmd *cmd)
{
	struct core_link *cl = core_link_get(co, cmd->fe_link);
	struct core_cmd **pp;

	if (!cmd->in_taghash || !cl)
		return;
	for (pp = &cl->tag_hash[tag_bucket(cmd->fe_tag)]; *pp; pp = &(*pp)->tnext) {
		if (*pp == cmd) {
			*pp = cmd->tnext;
			break;
		}
	}
	cmd->tnext = NULL;
	cmd->in_taghash = false;
}

struct core_cmd *core_cmd_by_tag(struct core_link *cl, uint64_t tag)
{
	for (struct core_cmd *c = cl->tag_hash[tag_bucket(tag)]; c; c = c->tnext)
		if (c->fe_tag == tag && c->fe_gen == cl->gen)
			return c;
	return NULL;
}

static void task_leave(struct core *co, struct core_cmd *cmd);

void core_cmd_detach(struct core *co, struct core_cmd *cmd)
{
	if (cmd->in_nexus && cmd->nexus)
		clist_remove(&cmd->nexus->cmds, &cmd->nnode);
	cmd->in_nexus = false;
	taghash_del(co, cmd);
	if (cmd->enrolled)
		task_leave(co, cmd);
}

void core_cmd_free(struct core *co, struct core_cmd *cmd)
{
	if (cmd->state == CS_FREE)
		return;
	core_cmd_detach(co, cmd);
	core_verify_release(co, cmd);
	core_blk_release(co, cmd);
	if (cmd->qlist)
		clist_remove(cmd->qlist, &cmd->qnode);
	cmd->qlist = NULL;
	cmd->state = CS_FREE;
	co->free_stack[co->nfree++] = cmd->idx;
}

/* ---- nexus lookup ---- */

static unsigned nexus_bucket(uint32_t id)
{
	return (id * 2654435761u) >> 24 & (CORE_NEXUS_BUCKETS - 1);
}

struct core_nexus *core_nexus_find(struct core_link *cl, uint32_t id)
{
	for (struct core_nexus *n = cl->nexus_hash[nexus_bucket(id)]; n; n = n->hnext)
		if (n->id == id)
			return n;
	return NULL;
}

void core_nexus_insert(struct core_link *cl, struct core_nexus *nx)
{
	unsigned b = nexus_bucket(nx->id);

	nx->hnext = cl->nexus_hash[b];
	cl->nexus_hash[b] = nx;
	clist_push_back(&nx->tgt->nexuses, &nx->tnode);
	core_state_dirty = true;
}

/* ---- task set ordering ----
 * Commands of an LU are enrolled in arrival order. A SIMPLE (or HEAD OF QUEUE,
 * treated conservatively as SIMPLE) command may start once its data is in and no
 * older ORDERED command is still enrolled; an ORDERED one only when it is the
 * oldest. With no ORDERED command around, starting is O(1). */

static void cmd_start(struct core *co, struct core_cmd *cmd);

static void lun_run(struct core *co, struct core_lun *l)
{
	if (co->sched_hold || l->in_sched) {
		l->resched = true;
		return;
	}
	l->in_sched = true;
	do {
		struct clist_node *n, *next;
		bool oldest = true;
		struct core_cmd *c;

		l->resched = false;
		if (l->qd) {
			/* queue depth: fair order, not arrival order (core_qd.c) */
			uint32_t pass = ++l->qd_pass;

			while ((c = core_qd_pick(l, pass)))
				cmd_start(co, c);
			continue;
		}
		for (n = l->tasks.first; n; n = next) {
			c = clist_entry(n, struct core_cmd, lnode);

			next = n->next;
			if (c->attr == MSG_TASK_ORDERED) {
				if (oldest && c->ready && !c->started)
					cmd_start(co, c);
				break;
			}
			if (c->ready && !c->started)
				cmd_start(co, c);
			oldest = false;
		}
	} while (l->resched);
	l->in_sched = false;
}

static void task_enroll(struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;

	clist_push_back(&l->tasks, &cmd->lnode);
	cmd->enrolled = true;
	if (cmd->attr == MSG_TASK_ORDERED)
		l->nordered++;
	core_lba_enroll(cmd);
}

static void task_leave(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	bool was_ordered = cmd->attr == MSG_TASK_ORDERED;
	bool unblocks = core_lba_leave(cmd);
	bool slot = core_qd_left(cmd);

	clist_remove(&l->tasks, &cmd->lnode);
	cmd->enrolled = false;
	if (was_ordered)
		l->nordered--;
	/* commands held back by ordering or by an exclusive range may go now */
	if (was_ordered || l->nordered || unblocks || slot)
		lun_run(co, l);
}

/* The command's data is in (or none is needed): start it if ordering allows. */
static void task_ready(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;

	cmd->ready = true;
	if (!co->sched_hold && !l->in_sched && l->nordered == 0 && !l->qd)
		cmd_start(co, cmd);
	else
		lun_run(co, l);
}

void core_lun_kick(struct core *co, struct core_lun *l)
{
	lun_run(co, l);
}

void core_sched_hold(struct core *co)
{
	co->sched_hold++;
}

void core_sched_release(struct core *co)
{
	if (--co->sched_hold)
		return;
	for (uint32_t t = 0; t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t i = 0; i < tg->nluns; i++)
			if (tg->luns[i].resched)
				lun_run(co, &tg->luns[i]);
	}
}

/* ---- completion ---- */

void core_cmd_complete(struct core *co, struct core_cmd *cmd)
{
	struct core_link *fl = core_link_get(co, cmd->fe_link);
	uint8_t op;

	taghash_del(co, cmd);
	if (cmd->kind == CK_CMD)
		core_stats_cmd_done(cmd);
	if (!fl || !fl->up || fl->broken || fl->gen != cmd->fe_gen || cmd->orphan) {
		core_cmd_free(co, cmd);
		return;
	}
	switch (cmd->kind) {
	case CK_NEXUS_ADD: op = MSG_NEXUS_ADDED; break;
	case CK_DISCOVER:  op = MSG_DISCOVER_DONE; break;
	case CK_TMF:       op = MSG_TMF_RSP; break;
	default:           op = MSG_CMD_RSP; break;
	}
	cmd->state = CS_DONE;
	/* an XFER_RDY still queued is replaced by the answer, keeping its place */
	core_tx_enqueue(co, fl, cmd, op);
	/* only now: leaving the task set may start (and answer) younger commands,
	 * whose answers must not overtake this one */
	if (cmd->enrolled)
		task_leave(co, cmd);
}

static void complete_check(struct core *co, struct core_cmd *cmd, uint8_t key, uint16_t asc)
{
	scsi_check(&cmd->res, key, asc);
	core_cmd_complete(co, cmd);
}

void core_cmd_abort(struct core *co, struct core_cmd *cmd, struct core_cmd *tmf)
{
	if (cmd->kind != CK_CMD || cmd->aborted || cmd->state == CS_DONE ||
	    cmd->state == CS_FREE)
		return;
	cmd->aborted = true;
	if (cmd->state == CS_AT_BE) {
		/* the backend owns the buffer: answer when it gives it back */
		if (tmf) {
			cmd->tmf_ref = true;
			cmd->tmf_idx = tmf->idx;
			cmd->tmf_gen = tmf->gen;
			tmf->tmf_waiting++;
		}
		return;
	}
	if (cmd->state == CS_BE_QUEUED && cmd->qlist) {
		clist_remove(cmd->qlist, &cmd->qnode);
		cmd->qlist = NULL;
	}
	cmd->res.status = SCSI_GOOD;
	cmd->res.sense_len = 0;
	cmd->res.data_len = 0;
	core_cmd_complete(co, cmd);
}

/* ---- execution ---- */

static void *cmd_buf(struct core *co, struct core_cmd *cmd)
{
	return pool_ptr(&co->c->pool, &cmd->buf);
}

static void run_emulated(struct core *co, struct core_cmd *cmd)
{
	uint32_t lunno = 0;
	enum scsi_lun_kind kind = scsi_lun_decode(cmd->wire_lun, &lunno);
	struct scsi_lu view;
	struct scsi_emul_req q = {
		.lu = cmd->lun ? core_alua_lu_view(cmd, &view) : NULL,
		.wlun = kind == SCSI_LUN_WLUN_REPORT_LUNS,
		.proto = cmd->nexus ? cmd->nexus->proto : MSG_PROTO_ISCSI,
		.cdb = cmd->cdb,
		.luns = cmd->nexus ? cmd->nexus->view_ilun : NULL,
		.nluns = cmd->nexus ? cmd->nexus->nview : 0,
		.ua_pending = cmd->lun && cmd->nexus ? &cmd->nexus->ua[cmd->lun->index] : NULL,
		.out = co->scratch,
		.cap = co->scratch_len,
	};
	uint32_t n;

	uint16_t ua_before = q.ua_pending ? *q.ua_pending : 0;

	if (core_pr_run(co, cmd) || core_mode_run(co, cmd) || core_alua_run(co, cmd) ||
	    core_media_run(co, cmd))
		return;
	if (cmd->cdb[0] == RECEIVE_COPY_RESULTS && cmd->lun) {
		core_xcopy_rcr(co, cmd);
		return;
	}
	scsi_emulate(&q, &cmd->res);
	if (q.ua_pending && *q.ua_pending != ua_before)
		core_state_lazy = true; /* e.g. REQUEST SENSE reported one */
	n = cmd->res.data_len;
	if (cmd->dir != MSG_DIR_READ)
		n = 0;
	if (n > cmd->edtl)
		n = cmd->edtl;
	if (n) {
		uint8_t *dst = cmd_buf(co, cmd);

		if (dst)
			memcpy(dst, co->scratch, n);
		else
			n = 0;
	}
	cmd->res.data_len = n;
	core_cmd_complete(co, cmd);
}

static void cmd_start(struct core *co, struct core_cmd *cmd)
{
	struct core_link *bl;

	if (!core_lba_may_start(cmd))
		return;         /* retried when a command of the LU leaves */
	/* enrolled before a sanitize began, started after: refused */
	if (core_sanitize_refuse(co, cmd))
		return;
	cmd->started = true;
	core_qd_started(cmd);
	if (cmd->emulated) {
		run_emulated(co, cmd);
		return;
	}
	core_lba_started(cmd);
	bl = core_link_get(co, cmd->be_link);
	if (!bl || bl->role != CORE_ROLE_BACKEND) {
		complete_check(co, cmd, SK_HARDWARE_ERROR, ASC_LU_COMM_FAILURE);
		return;
	}
	if (cmd->io.blk && !core_blk_start(co, cmd)) {
		if (!cmd->parked)       /* a SANITIZE answers when its job ends */
			core_cmd_complete(co, cmd);
		return;
	}
	/* EXTENDED COPY chose the link of its first piece */
	bl = core_link_get(co, cmd->be_link);
	if (!bl) {
		complete_check(co, cmd, SK_HARDWARE_ERROR, ASC_LU_COMM_FAILURE);
		return;
	}
	/* queued even while the backend is down: it is sent when it comes back */
	cmd->state = CS_BE_QUEUED;
	core_tx_enqueue(co, bl, cmd, MSG_IO);
}

/* Work out what the backend moves, given what the transport expects. Returns
 * true when an I/O is needed. */
static bool plan_media(struct core *co, struct core_cmd *cmd)
{
	struct scsi_io *io = &cmd->io;
	uint32_t bs = cmd->lun->lu.block_size;

	if (io->op == MSG_IO_FLUSH) {
		cmd->io_len = 0;
		return true;
	}
	if (io->blk)
		return core_blk_plan(co, cmd);
	if (io->verify)
		return core_verify_plan(co, cmd);
	if (io->dir == MSG_DIR_READ) {
		/* overflow: move only what the initiator has room for; the frontend
		 * reports the residual from cdb_xfer_len. A data-out command with a
		 * READ CDB has no room at all: nothing is read, as with edtl 0. */
		uint64_t want = cmd->dir == MSG_DIR_READ ?
				(io->length < cmd->edtl ? io->length : cmd->edtl) : 0;
		uint64_t aligned = (want + bs - 1) / bs * bs;

		if (want == 0) {
			scsi_result_good(&cmd->res);
			cmd->res.data_len = 0;
			return false;
		}
		/* a partial last block is read whole when the buffer has room for it
		 * (backends may need block alignment), and cut at data_cap */
		cmd->io_len = (uint32_t)(aligned <= cmd->buf.length ? aligned : want);
		cmd->data_cap = (uint32_t)want;
		return true;
	}
	/* write: a data-in command cannot carry a write's data */
	if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
		scsi_invalid_cdb(&cmd->res, 0, -1);
		return false;
	}
	/* overflow: only what the initiator sends is written, in whole blocks
	 * (the frontend reports the residual); a partial block cannot be */
	uint64_t want = io->length < cmd->edtl ? io->length : cmd->edtl;

	/* a WRITE ATOMIC is all or nothing: it cannot write only a part */
	if (want % bs || (io->atomic && want != io->length)) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return false;
	}
	cmd->io_len = (uint32_t)want;
	cmd->out_len = (uint32_t)want;
	if (want == 0) {
		scsi_result_good(&cmd->res);
		cmd->res.data_len = 0;
		return false;
	}
	return true;
}

/* ---- frontend messages ---- */

static void *fe_buf(struct core *co, struct core_link *cl, const struct buf_handle *h,
		    uint32_t need)
{
	if (h->arena != cl->arena || h->reserved || h->length < need || h->length == 0)
		return NULL;
	return pool_ptr(&co->c->pool, h);
}

/* Copy a NUL-terminated name out of shared memory; false if malformed. */
static bool copy_name(const uint8_t *src, uint32_t avail, char *out, uint32_t *used)
{
	uint32_t i, lim = avail < MSG_NAME_MAX ? avail : MSG_NAME_MAX;

	for (i = 0; i < lim; i++) {
		out[i] = (char)src[i];
		if (!out[i])
			break;
	}
	if (i == lim || i == 0)
		return false;
	*used = i + 1;
	return true;
}

static void fe_nexus_add(struct core *co, struct core_link *cl, const struct msg_nexus_add *m)
{
	uint8_t names[2 * MSG_NAME_MAX];
	char ini[MSG_NAME_MAX], tgt[MSG_NAME_MAX];
	uint32_t n, u1, u2;
	const uint8_t *p;
	struct core_cmd *cmd;
	struct core_target *t;

	struct core_nexus *had = core_nexus_find(cl, m->nexus);

	if (had && !(had->restored && (m->h.flags & MSG_FLAG_REPLAY))) {
		core_violation(co, cl, "NEXUS_ADD for a nexus id already in use");
		return;
	}
	if (m->port > 65535) {
		core_violation(co, cl, "NEXUS_ADD with a relative target port above 65535");
		return;
	}
	if (m->proto >= MSG_PROTO_MAX) {
		core_violation(co, cl, "NEXUS_ADD with an unknown transport protocol");
		return;
	}
	p = fe_buf(co, cl, &m->buf, 1);
	if (!p) {
		core_violation(co, cl, "NEXUS_ADD with a bad buffer handle");
		return;
	}
	n = m->buf.length < sizeof(names) ? m->buf.length : sizeof(names);
	memcpy(names, p, n);   /* the peer may keep writing: use our copy only */
	if (!copy_name(names, n, ini, &u1) || !copy_name(names + u1, n - u1, tgt, &u2)) {
		core_violation(co, cl, "NEXUS_ADD names malformed");
		return;
	}
	cmd = core_cmd_alloc(co);
	if (!cmd)
		return; /* cannot happen: the rx path checks for a free slot first */
	cmd->kind = CK_NEXUS_ADD;
	cmd->fe_link = cl->id;
	cmd->fe_gen = cl->gen;
	cmd->fe_tag = m->h.tag;
	cmd->nexus_id = m->nexus;
	t = core_config_target(&co->cfg, tgt);
	if (had) {
		/* a login the previous core incarnation accepted (and saved)
		 * but did not answer: the same answer again, nothing changes */
		cmd->result = had->tgt == t && core_name_eq(had->initiator, ini) &&
			      had->isid == m->isid ? 0 : -EACCES;
		/* a segment written by a core that predates the field says
		 * iSCSI (0): the frontend knows better */
		if (!cmd->result)
			had->proto = m->proto;
	} else if (co->shutting_down) {
		cmd->result = -EAGAIN;
	} else if (!t) {
		cmd->result = -ENOENT;
	} else if (!core_target_allows(t, ini)) {
		cmd->result = -EACCES;
	} else {
		struct core_nexus *nx = calloc(1, sizeof(*nx));
		uint16_t *ua = calloc(CORE_MAX_LUNS, sizeof(*ua)); /* per slot */

		if (!nx || !ua || core_nexus_view_init(nx)) {
			if (nx)
				core_nexus_view_free(nx);
			free(nx);
			free(ua);
			cmd->result = -ENOMEM;
		} else {
			nx->id = m->nexus;
			nx->link = cl->id;
			nx->fe_epoch = cl->peer_epoch;
			nx->isid = m->isid;
			nx->async = m->h.flags & MSG_NEXUS_ASYNC;
			nx->proto = m->proto;
			nx->port = m->port ? (uint16_t)m->port : 1;
			nx->tgt = t;
			nx->ua = ua;
			snprintf(nx->initiator, sizeof(nx->initiator), "%s", ini);
			core_nexus_view(nx);
			/* every LU reports its power-on (or the nexus loss) once */
			core_ua_nexus_new(nx);
			core_nexus_insert(cl, nx);
			cmd->result = 0;
			log_info("nexus %u on link %u: %s -> %s", nx->id, cl->id, ini, t->name);
		}
	}
	if (cmd->result)
		log_info("nexus %u on link %u refused (%d): %s -> %s", m->nexus, cl->id,
			 cmd->result, ini, tgt);
	core_cmd_complete(co, cmd);
}

static void fe_discover(struct core *co, struct core_link *cl, const struct msg_discover *m)
{
	char ini[MSG_NAME_MAX];
	uint8_t tmp[MSG_NAME_MAX];
	uint8_t *p = fe_buf(co, cl, &m->buf, 1);
	uint32_t n, used, off = 0;
	struct core_cmd *cmd;

	if (!p) {
		core_violation(co, cl, "DISCOVER with a bad buffer handle");
		return;
	}
	n = m->buf.length < sizeof(tmp) ? m->buf.length : sizeof(tmp);
	memcpy(tmp, p, n);
	if (!copy_name(tmp, n, ini, &used)) {
		core_violation(co, cl, "DISCOVER initiator name malformed");
		return;
	}
	cmd = core_cmd_alloc(co);
	if (!cmd)
		return;
	cmd->kind = CK_DISCOVER;
	cmd->fe_link = cl->id;
	cmd->fe_gen = cl->gen;
	cmd->fe_tag = m->h.tag;
	for (uint32_t i = 0; i < co->cfg.ntargets; i++) {
		struct core_target *t = &co->cfg.targets[i];
		uint32_t l = (uint32_t)strlen(t->name) + 1;

		if (!core_target_allows(t, ini))
			continue;
		if (off + l > m->buf.length) {
			cmd->result = -ENOSPC;
			off = 0;
			break;
		}
		memcpy(p + off, t->name, l);
		off += l;
	}
	cmd->length = off;
	core_cmd_complete(co, cmd);
}

static bool cmd_msg_ok(struct core *co, struct core_link *cl, const struct msg_cmd *m,
		       const char **why)
{
	if (m->cdb_len < 6 || m->cdb_len > MSG_CDB_MAX)
		return *why = "CMD cdb_len out of 6..32", false;
	if (m->dir > MSG_DIR_WRITE)
		return *why = "CMD with unknown direction", false;
	if (m->attr != MSG_TASK_SIMPLE && m->attr != MSG_TASK_HEAD_OF_QUEUE &&
	    m->attr != MSG_TASK_ORDERED && m->attr != MSG_TASK_ACA)
		return *why = "CMD with unknown task attribute", false;
	if (m->imm_len > m->edtl)
		return *why = "CMD imm_len exceeds edtl", false;
	if (m->imm_len && m->dir != MSG_DIR_WRITE)
		return *why = "CMD immediate data on a non-write", false;
	if (m->edtl && m->dir == MSG_DIR_NONE)
		return *why = "CMD edtl without a direction", false;
	if (m->edtl) {
		if (m->buf.length < m->edtl)
			return *why = "CMD buffer shorter than edtl", false;
		if (!fe_buf(co, cl, &m->buf, m->edtl))
			return *why = "CMD buffer handle invalid or outside the frontend's arena", false;
	}
	return true;
}

static void fe_cmd(struct core *co, struct core_link *cl, const struct msg_cmd *m)
{
	const char *why = NULL;
	struct core_nexus *nx = core_nexus_find(cl, m->nexus);
	struct core_cmd *cmd;
	uint32_t lunno = 0;
	enum scsi_lun_kind kind;

	if (!nx) {
		core_violation(co, cl, "CMD on an unknown nexus");
		return;
	}
	if (!cmd_msg_ok(co, cl, m, &why)) {
		core_violation(co, cl, why);
		return;
	}
	/* DATA_READY and ABORT TASK name commands by tag: it must be unique */
	if (core_cmd_by_tag(cl, m->h.tag)) {
		core_violation(co, cl, "CMD with the tag of a command still in flight");
		return;
	}
	cmd = core_cmd_alloc(co);
	if (!cmd)
		return;
	co->n_cmds++;
	cmd->kind = CK_CMD;
	cmd->t0_ns = core_now_ns();
	cmd->fe_link = cl->id;
	cmd->fe_gen = cl->gen;
	cmd->fe_tag = m->h.tag;
	cmd->replayed = m->h.flags & MSG_FLAG_REPLAY;
	cmd->nexus = nx;
	clist_push_back(&nx->cmds, &cmd->nnode);
	cmd->in_nexus = true;
	taghash_add(cl, cmd);
	cmd->state = CS_WAIT;
	cmd->attr = m->attr == MSG_TASK_ACA ? MSG_TASK_SIMPLE : m->attr;
	cmd->dir = m->dir;
	cmd->cdb_len = m->cdb_len;
	memcpy(cmd->cdb, m->cdb, MSG_CDB_MAX);
	if (m->cdb_len < MSG_CDB_MAX)
		memset(cmd->cdb + m->cdb_len, 0, MSG_CDB_MAX - m->cdb_len);
	cmd->wire_lun = m->lun;
	cmd->edtl = m->edtl;
	cmd->imm_len = m->imm_len;
	cmd->buf = m->buf;
	if (!m->edtl)
		memset(&cmd->buf, 0, sizeof(cmd->buf));

	if (co->shutting_down) {
		cmd->res.status = SCSI_BUSY;
		core_cmd_complete(co, cmd);
		return;
	}
	/* the LU first: its D_SENSE decides the format of even a CDB error */
	kind = scsi_lun_decode(m->lun, &lunno);
	if (kind == SCSI_LUN_NORMAL)
		cmd->lun = core_nexus_lun(nx, lunno);
	if (scsi_cdb_check(cmd->cdb, cmd->cdb_len, &cmd->res)) {
		core_cmd_complete(co, cmd);
		return;
	}
	/* no ACA is ever established (NormACA 0, NACA refused): SAM-5 ends a
	 * command with the ACA attribute with INVALID MESSAGE ERROR */
	if (m->attr == MSG_TASK_ACA) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, 0x4900);
		core_cmd_complete(co, cmd);
		return;
	}
	/* re-submitted after a core restart: some commands must not run twice */
	if ((m->h.flags & MSG_FLAG_REPLAY) && core_replay_answer(co, cmd)) {
		core_cmd_complete(co, cmd);
		return;
	}
	if (!cmd->lun) {
		/* no LU: INQUIRY, REPORT LUNS, REQUEST SENSE still answer */
		cmd->emulated = true;
		cmd->started = true;
		run_emulated(co, cmd);
		return;
	}
	/* a command of another device type's set (READ(16) on a CD/DVD LU):
	 * refused as the CDB errors are, so it agrees with REPORT SUPPORTED
	 * OPERATION CODES (scsi_opcodes.c) */
	if (!scsi_opcode_of_type(&cmd->lun->lu, cmd->cdb)) {
		scsi_check(&cmd->res, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		core_cmd_complete(co, cmd);
		return;
	}
	/* SANITIZE IN PROGRESS comes before unit attentions (SBC-3 4.11) */
	if (core_sanitize_refuse(co, cmd))
		return;
	if (!core_qd_admit(cmd)) {
		core_cmd_complete(co, cmd);
		return;
	}
	if (scsi_ua_check(&nx->ua[cmd->lun->index], cmd->cdb, &cmd->res)) {
		core_state_lazy = true; /* reported: no longer pending */
		core_cmd_complete(co, cmd);
		return;
	}
	if (core_alua_refuse(co, cmd) || core_pr_conflict(co, cmd) || core_media_gate(cmd)) {
		core_cmd_complete(co, cmd);
		return;
	}
	/* a read-only ACL entry: what would change shared state (scsi_ro.c);
	 * its media writes are refused by the decoders below */
	if (nx->readonly && scsi_ro_refuse(&cmd->lun->lu, cmd->cdb, &cmd->res)) {
		core_cmd_complete(co, cmd);
		return;
	}
	if (!scsi_is_media(cmd->cdb)) {
		cmd->emulated = true;
		task_enroll(cmd);
		if (core_emul_wants_data(cmd)) {
			cmd->state = CS_DATA_WAIT;
			core_tx_enqueue(co, cl, cmd, MSG_XFER_RDY);
			return;
		}
		task_ready(co, cmd);
		return;
	}
	/* media: every error the CDB alone shows is answered before any data moves */
	if (nx->readonly) {
		/* its ACL entry lets this initiator only read: decode as if the
		 * LU were write-protected */
		struct scsi_lu ro = cmd->lun->lu;

		ro.readonly = true;
		if (!scsi_rw_decode(&ro, cmd->cdb, &cmd->io, &cmd->res)) {
			core_cmd_complete(co, cmd);
			return;
		}
	}
	if (!scsi_rw_decode(&cmd->lun->lu, cmd->cdb, &cmd->io, &cmd->res) ||
	    !plan_media(co, cmd)) {
		core_cmd_complete(co, cmd);
		return;
	}
	if (cmd->io.op == MSG_IO_FLUSH || (cmd->io.verify && !cmd->io.bytchk))
		cmd->res.xfer_len = 0;
	/* WCE switched off by MODE SELECT: the backend's cache is written through */
	if (cmd->io.op == MSG_IO_WRITE && cmd->lun->lu.wcache && !cmd->lun->lu.wce)
		cmd->io.fua = true;
	cmd->be_link = cmd->lun->link;
	cmd->be_dev = cmd->lun->dev;
	task_enroll(cmd);
	if (cmd->out_len > cmd->imm_len) {
		cmd->state = CS_DATA_WAIT;
		cmd->xfer_want = cmd->out_len;
		core_tx_enqueue(co, cl, cmd, MSG_XFER_RDY);
		return;
	}
	task_ready(co, cmd);
}

static void fe_data_ready(struct core *co, struct core_link *cl, const struct msg_data_ready *m)
{
	struct core_cmd *cmd = core_cmd_by_tag(cl, m->h.tag);

	if (!cmd || cmd->state != CS_DATA_WAIT) {
		/* an abort may have crossed the DATA_READY on the rings: not an error */
		co->n_stale_data_ready++;
		log_debug("link %u: DATA_READY for unknown tag %llu", cl->id,
			  (unsigned long long)m->h.tag);
		return;
	}
	if (m->result > 0 || (m->result == 0 && m->length < cmd->xfer_want)) {
		core_violation(co, cl, "DATA_READY with less data than XFER_RDY asked");
		return;
	}
	if (cmd->qlist) {
		/* DATA_READY before our XFER_RDY left: impossible for a sane peer */
		core_violation(co, cl, "DATA_READY before XFER_RDY was sent");
		return;
	}
	if (m->result < 0) {
		core_cmd_abort(co, cmd, NULL);
		return;
	}
	cmd->state = CS_WAIT;
	task_ready(co, cmd);
}

void core_handle_frontend(struct core *co, struct core_link *cl, const union msg *m)
{
	switch (m->h.type) {
	case MSG_NEXUS_ADD:
		fe_nexus_add(co, cl, &m->nexus_add);
		break;
	case MSG_NEXUS_DEL:
		core_handle_nexus_del(co, cl, &m->nexus_del);
		break;
	case MSG_DISCOVER:
		fe_discover(co, cl, &m->discover);
		break;
	case MSG_CMD:
		fe_cmd(co, cl, &m->cmd);
		break;
	case MSG_DATA_READY:
		fe_data_ready(co, cl, &m->data_ready);
		break;
	case MSG_TMF:
		core_handle_tmf(co, cl, &m->tmf);
		break;
	default: {
		char why[64];

		snprintf(why, sizeof(why), "message type %u not allowed from a frontend",
			 m->h.type);
		core_violation(co, cl, why);
	}
	}
}

/* ---- backend ---- */

static void orphan_done(struct core *co, struct core_cmd *cmd)
{
	struct core_link *fl = core_link_get(co, cmd->fe_link);

	core_cmd_free(co, cmd);
	if (fl && fl->orphans && --fl->orphans == 0 && fl->drain_pending) {
		char js[64];

		fl->drain_pending = false;
		snprintf(js, sizeof(js), "{\"link\":%u}", fl->id);
		ctl_send(CHILD_CTL_FD, CTL_LINK_DRAINED, js, strlen(js), NULL, 0);
		log_info("link %u drained", fl->id);
	}
}

/* The backend no longer holds cmd's buffer (it answered, or it died). */
static void be_released(struct core *co, struct core_cmd *cmd)
{
	if (cmd->orphan) {
		/* a TMF of another frontend (LUN RESET...) may be waiting for it */
		bool ref = cmd->tmf_ref;
		uint32_t idx = cmd->tmf_idx, gen = cmd->tmf_gen;

		orphan_done(co, cmd);
		if (ref)
			core_tmf_release(co, idx, gen);
		return;
	}
	if (cmd->aborted) {
		bool ref = cmd->tmf_ref;
		uint32_t idx = cmd->tmf_idx, gen = cmd->tmf_gen;

		cmd->res.status = SCSI_GOOD;
		cmd->res.sense_len = 0;
		cmd->res.data_len = 0;
		/* the aborted command's answer goes out before the TMF's */
		core_cmd_complete(co, cmd);
		if (ref)
			core_tmf_release(co, idx, gen);
		return;
	}
}

void core_handle_backend(struct core *co, struct core_link *cl, const union msg *m)
{
	const struct msg_io_done *d = &m->io_done;
	uint32_t idx = (uint32_t)(d->h.tag >> 32), gen = (uint32_t)d->h.tag;
	struct core_cmd *cmd;

	if (m->h.type != MSG_IO_DONE) {
		core_violation(co, cl, "message type not allowed from a backend");
		return;
	}
	if (idx >= co->ncmds || (cmd = &co->cmds[idx])->gen != gen ||
	    cmd->state != CS_AT_BE || cmd->be_link != cl->id) {
		core_violation(co, cl, "IO_DONE for an unknown or stale tag");
		return;
	}
	if (d->result > 0) {
		core_violation(co, cl, "IO_DONE with a positive result");
		return;
	}
	clist_remove(&cl->inflight, &cmd->qnode);
	cmd->qlist = NULL;
	if (cmd->kind == CK_JOB) {
		core_job_io_done(co, cmd, d);
		return;
	}
	if (cmd->orphan || cmd->aborted) {
		be_released(co, cmd);
		return;
	}
	if (cmd->io.blk) {
		if (core_blk_piece_done(co, cl, cmd, d))
			return;
	} else if (d->result < 0) {
		scsi_check_io_error(&cmd->res, d->result, cmd->io.op == MSG_IO_WRITE);
	} else if (cmd->io.op != MSG_IO_FLUSH && d->length != cmd->io_len) {
		/* a short transfer is an error, never silently less data */
		scsi_check_io_error(&cmd->res, -EIO, cmd->io.op == MSG_IO_WRITE);
	} else if (cmd->io.verify) {
		if (core_verify_piece_done(co, cl, cmd))
			return;
	} else {
		scsi_result_good(&cmd->res);
		cmd->res.data_len = cmd->io.op != MSG_IO_READ ? 0 :
				    cmd->io_len < cmd->data_cap ? cmd->io_len : cmd->data_cap;
	}
	core_cmd_complete(co, cmd);
}

/* ---- tx ---- */

void core_cmd_fill(struct core *co, struct core_link *cl, struct core_cmd *cmd, union msg *m)
{
	m->h.type = cmd->txop;
	m->h.tag = cmd->fe_tag;
	switch (cmd->txop) {
	case MSG_NEXUS_ADDED:
		m->nexus_added.nexus = cmd->nexus_id;
		m->nexus_added.result = cmd->result;
		break;
	case MSG_DISCOVER_DONE:
		m->discover_done.result = cmd->result;
		m->discover_done.length = cmd->length;
		break;
	case MSG_XFER_RDY:
		m->xfer_rdy.length = cmd->xfer_want;
		break;
	case MSG_TMF_RSP:
		m->tmf_rsp.result = cmd->tmf_result;
		if (cmd->tmf_asc) {
			m->tmf_rsp.sense_key = SK_UNIT_ATTENTION;
			m->tmf_rsp.asc = (uint8_t)(cmd->tmf_asc >> 8);
			m->tmf_rsp.ascq = (uint8_t)cmd->tmf_asc;
		}
		break;
	case MSG_ASYNC_EVENT:
		core_async_fill(cmd, m);
		break;
	case MSG_CMD_RSP: {
		struct msg_cmd_rsp *r = &m->cmd_rsp;

		if (cmd->aborted) {
			r->h.flags = MSG_RSP_ABORTED;
			break;
		}
		r->status = cmd->res.status;
		r->sense_len = cmd->res.sense_len;
		memcpy(r->sense, cmd->res.sense, cmd->res.sense_len);
		/* control page D_SENSE: descriptor format for every error */
		if (cmd->lun && cmd->lun->lu.d_sense && cmd->res.sense_len)
			r->sense_len = (uint8_t)scsi_sense_convert(cmd->res.sense, cmd->res.sense_len,
								   true, r->sense, MSG_SENSE_MAX);
		r->data_len = cmd->res.data_len;
		r->cdb_xfer_len = cmd->res.xfer_len;
		break;
	}
	case MSG_IO: {
		struct msg_io *io = &m->io;

		io->h.tag = (uint64_t)cmd->idx << 32 | cmd->gen;
		io->h.flags = cmd->io.fua ? MSG_IO_FUA : 0;
		/* write-through (WCE=0 on a buffering backend): every change
		 * to the medium is durable before it completes */
		if (cmd->lun && cmd->lun->lu.wcache && !cmd->lun->lu.wce &&
		    (cmd->io.op == MSG_IO_WRITE || cmd->io.op == MSG_IO_WRITE_ZEROES ||
		     cmd->io.op == MSG_IO_UNMAP))
			io->h.flags = MSG_IO_FUA;
		io->dev = cmd->be_dev;
		io->op = cmd->io.op;
		if (cmd->io.op != MSG_IO_FLUSH) {
			io->offset = cmd->io.offset;
			io->length = cmd->io_len;
			io->buf = cmd->io.verify || cmd->io.blk ? cmd->vbuf : cmd->buf;
			io->buf.length = cmd->io_len;
			if (io->op != MSG_IO_READ && io->op != MSG_IO_WRITE)
				memset(&io->buf, 0, sizeof(io->buf));
		}
		break;
	}
	}
}

void core_cmd_sent(struct core *co, struct core_link *cl, struct core_cmd *cmd)
{
	switch (cmd->txop) {
	case MSG_IO:
		cmd->state = CS_AT_BE;
		clist_push_back(&cl->inflight, &cmd->qnode);
		cmd->qlist = &cl->inflight;
		co->n_ios++;
		break;
	case MSG_XFER_RDY:
		break;
	default:
		core_cmd_free(co, cmd);
		break;
	}
}

void core_backend_down(struct core *co, struct core_link *cl)
{
	struct clist_node *n, *prev;

	core_sched_hold(co);
	/* what the dead instance held goes back to the head of the queue, in
	 * issue order, for its successor (READ/WRITE/FLUSH are idempotent) */
	for (n = cl->inflight.last; n; n = prev) {
		struct core_cmd *cmd = clist_entry(n, struct core_cmd, qnode);

		prev = n->prev;
		clist_remove(&cl->inflight, n);
		cmd->qlist = NULL;
		if (cmd->orphan || cmd->aborted) {
			be_released(co, cmd);
			continue;
		}
		if (cmd->kind == CK_CMD && cmd->io.blk == SCSI_BLK_XCOPY) {
			core_xcopy_backend_lost(co, cmd);
			continue;
		}
		if (cmd->kind == CK_CMD && cmd->io.blk == SCSI_BLK_CAW) {
			/* DESIGN.md: not replayed blindly. Whether its write
			 * reached the medium is unknown, and a reissued compare
			 * would then miscompare: fail it, retryably */
			complete_check(co, cmd, SK_ABORTED_COMMAND, ASC_LU_COMM_FAILURE);
			continue;
		}
		cmd->state = CS_BE_QUEUED;
		cmd->txop = MSG_IO;
		clist_push_front(&cl->txq, &cmd->qnode);
		cmd->qlist = &cl->txq;
	}
	core_sched_release(co);
}

void core_backend_up(struct core *co, struct core_link *cl)
{
	if (cl->txq.len)
		log_info("link %u: reissuing %u I/Os to the new backend", cl->id, cl->txq.len);
	core_tx_flush(co, cl);
}
