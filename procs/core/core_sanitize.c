/* SANITIZE in the core: an LU job that outlives the command.
 *
 * The SANITIZE command starts once no write to its LU is in flight (it is an
 * exclusive command of the whole LU, core_lbalock.c). It then hands the work
 * to a job of the LU: a CK_JOB command slot of the core's own that issues
 * one backend I/O at a time through the LU's link, in pieces of
 * CORE_VERIFY_CHUNK bytes (OVERWRITE: MSG_IO_WRITE of a buffer of the core's
 * arena holding the pattern; BLOCK ERASE: MSG_IO_UNMAP of up to 1 GiB, or
 * MSG_IO_WRITE_ZEROES where the store cannot punch holes). With IMMED the
 * command is answered at once; without, it is parked and answered when the
 * job ends. Aborting it, LU and target resets leave the job running (SBC-3:
 * a sanitize survives them); a backend restart reissues the piece in flight
 * (every piece is idempotent).
 *
 * While the job runs, every command to the LU but INQUIRY, REPORT LUNS and
 * REQUEST SENSE gets NOT READY, SANITIZE IN PROGRESS with the progress in the
 * sense-key specific bytes, ahead of unit attentions; REQUEST SENSE returns
 * that sense. A job that fails leaves the LU in failure mode: media access
 * and TEST UNIT READY get MEDIUM ERROR, MEDIUM FORMAT CORRUPTED until a
 * sanitize succeeds or, if the failed one had AUSE set, EXIT FAILURE MODE.
 *
 * OVERWRITE passes are paced (MTGT_CORE_SANITIZE_MIBS MiB/s, default 20,
 * 0 = unpaced) so that sanitizing one LU does not monopolize a backend that
 * serves others. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core_state.h"
#include "procs/core/core_xcopy.h"
#include "shm/pool.h"

#define SANITIZE_DEFAULT_MIBS 20u
#define SANITIZE_ZERO_PIECE   (1ull << 30)

struct core_sanitize {
	struct core *co;
	struct core_lun *lun;
	bool     running;
	bool     failed;
	bool     ause;
	uint8_t  sa;
	bool     invert;
	uint8_t  passes, pass;
	uint8_t  *pattern;
	uint32_t pattern_len;
	bool     buf_inverted;
	uint64_t lu_bytes;
	uint64_t pos;             /* offset of the next piece in this pass */
	uint64_t done, total;     /* bytes of every pass */
	double   t0;
	uint64_t rate;            /* bytes per second, 0: unpaced */
	ev_timer pace;
	struct core_cmd *job;
	bool     waiter;
	uint32_t waiter_idx, waiter_gen;
	/* the waiting command as its frontend names it (nexus link and id,
	 * frontend tag): kept in the state segment, so that its re-submission
	 * to the next core (MSG_FLAG_REPLAY, same tag) waits for the resumed
	 * job instead of meeting SANITIZE IN PROGRESS. expect: restored, not
	 * re-submitted yet */
	bool     expect;
	uint32_t w_link, w_nexus;
	uint64_t w_tag;
	bool     removed;         /* the LU left the configuration */
};

static uint64_t pace_rate(void)
{
	const char *s = getenv("MTGT_CORE_SANITIZE_MIBS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return (uint64_t)SANITIZE_DEFAULT_MIBS << 20;
	v = strtoul(s, &end, 10);
	if (*end || v > 1000000)
		return (uint64_t)SANITIZE_DEFAULT_MIBS << 20;
	return (uint64_t)v << 20;
}

static uint16_t progress(const struct core_sanitize *s)
{
	if (!s->total)
		return 0;
	return (uint16_t)((s->done > s->total ? s->total : s->done) * 65535 / s->total);
}

bool core_sanitize_busy(const struct core_lun *l, struct scsi_result *r)
{
	const struct core_sanitize *s = l->san;

	if (!s)
		return false;
	r->status = SCSI_CHECK_CONDITION;
	r->data_len = 0;
	if (s->running)
		r->sense_len = (uint8_t)scsi_sanitize_sense(r->sense, sizeof(r->sense), progress(s));
	else
		scsi_check(r, SK_MEDIUM_ERROR, ASC_MEDIUM_FORMAT_CORRUPTED);
	return true;
}

bool core_sanitize_refuse(struct core *co, struct core_cmd *cmd)
{
	struct core_sanitize *s = cmd->lun ? cmd->lun->san : NULL;
	uint8_t op = cmd->cdb[0];

	if (core_sanitize_rejoin(co, cmd))
		return true;
	if (!s || op == INQUIRY || op == REPORT_LUNS)
		return false;
	if (op == REQUEST_SENSE) {
		uint8_t fixed[SCSI_SENSE_FIXED_LEN], b[SCSI_SENSE_FIXED_LEN + 8];
		struct scsi_result tmp;
		uint32_t n;

		if (cmd->cdb[1] & 0xfe)
			return false;    /* the emulation refuses it */
		core_sanitize_busy(cmd->lun, &tmp);
		memcpy(fixed, tmp.sense, sizeof(fixed));
		n = (uint32_t)scsi_sense_convert(fixed, sizeof(fixed), cmd->cdb[1] & 0x01, b,
						 sizeof(b));
		scsi_emit(b, n, cmd->cdb[4], co->scratch, co->scratch_len, &cmd->res);
		cmd->started = true;
		core_emul_finish(co, cmd);
		return true;
	}
	if (!s->running) {
		/* failure mode: only the medium is unusable */
		if (op == SANITIZE || (op != TEST_UNIT_READY && !scsi_is_media(cmd->cdb)))
			return false;
	}
	core_sanitize_busy(cmd->lun, &cmd->res);
	core_cmd_complete(co, cmd);
	return true;
}

bool core_sanitize_plan(struct core *co, struct core_cmd *cmd)
{
	(void)co;
	if (!cmd->io.param_len)
		return true;
	if (cmd->dir == MSG_DIR_READ && cmd->edtl) {
		scsi_invalid_cdb(&cmd->res, 0, -1);
		return false;
	}
	/* a list cut short is checked as what arrived */
	cmd->out_len = cmd->io.param_len < cmd->edtl ? cmd->io.param_len : cmd->edtl;
	return true;
}

static void san_free(struct core_sanitize *s)
{
	if (!s)
		return;
	core_state_dirty = true;
	if (s->lun->san == s)
		s->lun->san = NULL;
	free(s->pattern);
	free(s);
}

/* The parked SANITIZE, or NULL when it was aborted or answered meanwhile. */
static struct core_cmd *waiter_cmd(const struct core_sanitize *s)
{
	struct core_cmd *w;

	if (!s->waiter)
		return NULL;
	w = &s->co->cmds[s->waiter_idx];
	if (w->gen != s->waiter_gen || !w->parked || w->aborted || w->state == CS_FREE ||
	    w->state == CS_DONE)
		return NULL;
	return w;
}

static void answer_waiter(struct core_sanitize *s, bool ok)
{
	struct core *co = s->co;
	struct core_cmd *w;

	if (s->expect) {
		/* ended before the frontend re-submitted its command: keep the
		 * outcome for it (core_sanitize_rejoin) */
		s->lun->san_late = (struct core_san_late){
			.valid = true, .ok = ok, .link = s->w_link, .nexus = s->w_nexus,
			.tag = s->w_tag,
		};
		s->expect = false;
	}
	if (!s->waiter)
		return;
	s->waiter = false;
	w = &co->cmds[s->waiter_idx];
	if (w->gen != s->waiter_gen || !w->parked || w->aborted || w->state == CS_FREE ||
	    w->state == CS_DONE)
		return;
	w->parked = false;
	if (ok) {
		scsi_result_good(&w->res);
		w->res.data_len = 0;
	} else {
		scsi_check(&w->res, SK_MEDIUM_ERROR, ASC_SANITIZE_COMMAND_FAILED);
	}
	core_cmd_complete(co, w);
}

static void job_end(struct core_sanitize *s, bool ok)
{
	struct core *co = s->co;

	ev_timer_stop(co->loop, &s->pace);
	if (s->job) {
		core_cmd_free(co, s->job);
		s->job = NULL;
	}
	s->running = false;
	core_state_dirty = true;
	if (ok) {
		log_info("LUN %u: sanitize done (%llu bytes)", s->lun->lu.lun,
			 (unsigned long long)s->done);
		answer_waiter(s, true);
		san_free(s);
		return;
	}
	log_warn("LUN %u: sanitize failed after %llu of %llu bytes", s->lun->lu.lun,
		 (unsigned long long)s->done, (unsigned long long)s->total);
	s->failed = true;
	answer_waiter(s, false);
}

void core_sanitize_lun_removed(struct core_lun *l)
{
	struct core_sanitize *s = l->san;

	if (!s)
		return;
	if (s->running && s->job && s->job->state != CS_WAIT) {
		/* a piece is with the backend: end when it comes back (the slot
		 * stays busy until then, core_live.c) */
		s->removed = true;
		return;
	}
	if (s->running)
		job_end(s, false);
	san_free(s);
}

static void issue(struct core_sanitize *s)
{
	struct core *co = s->co;
	struct core_cmd *j = s->job;
	struct core_link *bl = core_link_get(co, j->be_link);

	if (s->removed) {
		job_end(s, false);
		san_free(s);
		return;
	}
	if (co->shutting_down || co->quiescing) {
		/* nothing is at the backend between pieces: stop here, still
		 * running; the state segment holds where, and the next
		 * incarnation (or CTL_RESUME) resumes it (core_sanitize_resume) */
		ev_timer_stop(co->loop, &s->pace);
		core_cmd_free(co, s->job);
		s->job = NULL;
		core_state_dirty = true;
		log_info("LUN %u: sanitize paused at %llu of %llu bytes", s->lun->lu.lun,
			 (unsigned long long)s->done, (unsigned long long)s->total);
		return;
	}
	if (!bl || bl->role != CORE_ROLE_BACKEND) {
		job_end(s, false);
		return;
	}
	j->io.offset = s->pos;
	if (s->sa == SANITIZE_SA_OVERWRITE) {
		uint64_t left = s->lu_bytes - s->pos;

		j->io.op = MSG_IO_WRITE;
		j->io_len = (uint32_t)(left < j->bbuf.length ? left : j->bbuf.length);
		j->vbuf = j->bbuf;
	} else {
		uint64_t left = s->lu_bytes - s->pos;

		if (j->io.op != MSG_IO_WRITE_ZEROES)
			j->io.op = MSG_IO_UNMAP;
		j->io_len = (uint32_t)(left < SANITIZE_ZERO_PIECE ? left : SANITIZE_ZERO_PIECE);
		memset(&j->vbuf, 0, sizeof(j->vbuf));
	}
	j->state = CS_BE_QUEUED;
	core_tx_enqueue(co, bl, j, MSG_IO);
}

static void pace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	issue(w->data);
}

/* The next piece now, or later when the pace says so. */
static void next(struct core_sanitize *s)
{
	struct core *co = s->co;

	if (s->rate && s->sa == SANITIZE_SA_OVERWRITE && !co->shutting_down && !co->quiescing) {
		double due = s->t0 + (double)s->done / (double)s->rate, now = ev_time();

		if (due > now + 0.001) {
			ev_timer_set(&s->pace, due - now, 0.);
			ev_timer_start(co->loop, &s->pace);
			return;
		}
	}
	issue(s);
}

static void fill(struct core_sanitize *s)
{
	struct scsi_sanitize_ow ow = {
		.invert = s->invert, .passes = s->passes,
		.pattern_len = s->pattern_len, .pattern = s->pattern,
	};
	/* the last pass writes the pattern as given, the ones before alternate */
	bool inv = s->invert && ((s->passes - 1 - s->pass) & 1);
	uint8_t *p = pool_ptr(&s->co->c->pool, &s->job->bbuf);

	if (p)
		scsi_sanitize_fill(p, s->job->bbuf.length, s->lun->lu.block_size, &ow, inv);
	s->buf_inverted = inv;
}

void core_job_io_done(struct core *co, struct core_cmd *job, const struct msg_io_done *d)
{
	struct core_sanitize *s = job->lun ? job->lun->san : NULL;

	if (!s || s->job != job) {
		core_cmd_free(co, job);
		return;
	}
	job->state = CS_WAIT;          /* between pieces: nothing at the backend */
	if (s->removed) {
		/* its LU is gone: nothing more to do there */
		job_end(s, false);
		san_free(s);
		return;
	}
	if (d->result == -EOPNOTSUPP && job->io.op == MSG_IO_UNMAP) {
		/* no hole punching: zeros all the same (LBPRZ) */
		job->io.op = MSG_IO_WRITE_ZEROES;
		issue(s);
		return;
	}
	if (d->result < 0 || d->length != job->io_len) {
		job_end(s, false);
		return;
	}
	s->pos += job->io_len;
	s->done += job->io_len;
	core_state_lazy = true;        /* a resume redoes at most ~50 ms of pieces */
	if (s->pos >= s->lu_bytes) {
		s->pos = 0;
		if (++s->pass >= s->passes) {
			job_end(s, true);
			return;
		}
		if (s->sa == SANITIZE_SA_OVERWRITE)
			fill(s);
	}
	next(s);
}

static bool param_copy(struct core *co, struct core_cmd *cmd, uint8_t **out, uint32_t *len)
{
	const uint8_t *src = pool_ptr(&co->c->pool, &cmd->buf);

	*len = cmd->out_len;
	*out = malloc(*len ? *len : 1);
	if (!*out || !src || *len > cmd->buf.length) {
		free(*out);
		*out = NULL;
		scsi_check(&cmd->res, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return false;
	}
	memcpy(*out, src, *len);
	return true;
}

/* The job's command slot (and for OVERWRITE its pattern buffer, filled for
 * the current pass). */
static int job_create(struct core *co, struct core_sanitize *s)
{
	struct core_lun *l = s->lun;

	s->job = core_cmd_alloc(co);
	if (!s->job)
		return -ENOMEM;
	s->job->kind = CK_JOB;
	s->job->fe_link = UINT32_MAX;   /* no frontend's: its loss must not touch it */
	s->job->state = CS_WAIT;
	s->job->lun = l;
	s->job->io.blk = SCSI_BLK_SANITIZE;
	s->job->be_link = l->link;
	s->job->be_dev = l->dev;
	if (s->sa == SANITIZE_SA_OVERWRITE) {
		/* powers of two: every piece stays whole blocks */
		if (core_arena_take(co, CORE_VERIFY_CHUNK, l->lu.block_size, &s->job->bbuf)) {
			core_cmd_free(co, s->job);
			s->job = NULL;
			return -EBUSY;
		}
		s->job->bbuf_own = true;
		fill(s);
	}
	return 0;
}

static void busy(struct core_cmd *cmd)
{
	cmd->res.status = SCSI_BUSY;
	cmd->res.sense_len = 0;
	cmd->res.data_len = 0;
}

void core_sanitize_start(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	uint8_t sa = cmd->cdb[1] & 0x1f, *plist = NULL;
	bool immed = cmd->cdb[1] & 0x80;
	struct scsi_sanitize_ow ow;
	struct core_sanitize *s;
	uint32_t plen = 0;

	if (sa == SANITIZE_SA_EXIT_FAILURE) {
		if (l->san && l->san->failed && !l->san->ause) {
			/* a failed sanitize without AUSE ends only by a good one */
			scsi_invalid_cdb(&cmd->res, 1, 4);
			return;
		}
		san_free(l->san);
		scsi_result_good(&cmd->res);
		cmd->res.data_len = 0;
		return;
	}
	memset(&ow, 0, sizeof(ow));
	if (sa == SANITIZE_SA_OVERWRITE) {
		if (!param_copy(co, cmd, &plist, &plen))
			return;
		if (scsi_sanitize_overwrite(plist, plen, l->lu.block_size, &ow, &cmd->res)) {
			free(plist);
			return;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s || (ow.pattern_len && !(s->pattern = malloc(ow.pattern_len)))) {
		free(s);
		free(plist);
		busy(cmd);
		return;
	}
	if (ow.pattern_len)
		memcpy(s->pattern, ow.pattern, ow.pattern_len);
	free(plist);
	s->co = co;
	s->lun = l;
	s->sa = sa;
	s->ause = cmd->cdb[1] & 0x20;
	s->invert = ow.invert;
	s->passes = sa == SANITIZE_SA_OVERWRITE ? ow.passes : 1;
	s->pattern_len = ow.pattern_len;
	s->lu_bytes = l->lu.nblocks << l->lu.block_shift;
	s->total = s->lu_bytes * s->passes;
	s->rate = pace_rate();
	s->t0 = ev_time();
	ev_timer_init(&s->pace, pace_cb, 0., 0.);
	s->pace.data = s;
	if (job_create(co, s)) {
		san_free(s);
		busy(cmd);   /* no command slot or the core arena is busy: retry */
		return;
	}
	/* a sanitize replaces the failure mode of an earlier one */
	san_free(l->san);
	l->san = s;
	l->san_late.valid = false;
	s->running = true;
	core_state_dirty = true;
	log_info("LUN %u: sanitize (service action %02xh, %u passes) started%s", l->lu.lun, sa,
		 s->passes, immed ? ", IMMED" : "");
	issue(s);
	if (!s->running) {
		/* no backend to do it: failed before it began */
		scsi_check(&cmd->res, SK_MEDIUM_ERROR, ASC_SANITIZE_COMMAND_FAILED);
		return;
	}
	if (immed) {
		scsi_result_good(&cmd->res);
		cmd->res.data_len = 0;
	} else {
		s->waiter = true;
		s->waiter_idx = cmd->idx;
		s->waiter_gen = cmd->gen;
		if (cmd->nexus) {
			s->w_link = cmd->nexus->link;
			s->w_nexus = cmd->nexus->id;
		}
		s->w_tag = cmd->fe_tag;
		cmd->parked = true;
	}
}

bool core_sanitize_rejoin(struct core *co, struct core_cmd *cmd)
{
	struct core_lun *l = cmd->lun;
	struct core_sanitize *s = l ? l->san : NULL;
	struct core_san_late *late = l ? &l->san_late : NULL;
	const struct core_nexus *nx = cmd->nexus;

	/* only the command the previous core parked, as its frontend re-sends
	 * it: a new SANITIZE meets the one in progress (SBC-4) */
	if (!l || !nx || !cmd->replayed || cmd->cdb[0] != SANITIZE || (cmd->cdb[1] & 0x80))
		return false;
	if (s && s->running && s->expect && !s->waiter && s->w_link == nx->link &&
	    s->w_nexus == nx->id && s->w_tag == cmd->fe_tag && (cmd->cdb[1] & 0x1f) == s->sa) {
		s->expect = false;
		s->waiter = true;
		s->waiter_idx = cmd->idx;
		s->waiter_gen = cmd->gen;
		cmd->parked = true;
		cmd->started = true;
		log_info("LUN %u: the re-submitted SANITIZE waits for the resumed job",
			 l->lu.lun);
		return true;
	}
	if (late->valid && late->link == nx->link && late->nexus == nx->id &&
	    late->tag == cmd->fe_tag) {
		late->valid = false;
		cmd->started = true;
		if (late->ok) {
			scsi_result_good(&cmd->res);
			cmd->res.data_len = 0;
		} else {
			scsi_check(&cmd->res, SK_MEDIUM_ERROR, ASC_SANITIZE_COMMAND_FAILED);
		}
		core_cmd_complete(co, cmd);
		return true;
	}
	return false;
}

/* ---- across core incarnations: key "sanitize" of the state segment ----
 *
 * SBC-4 has a sanitize survive resets and power loss: it resumes, or ends in
 * failure mode; the LU never looks usable with its data half erased. A core
 * restart is neither to the initiators (their sessions stay), so a running
 * sanitize resumes where the segment says (its pieces are idempotent; the
 * progress is saved lazily, so up to ~50 ms of pieces are written twice) and
 * a failed one stays in failure mode. One that cannot be resumed as saved
 * (the LU was resized, its block size changed) becomes a failed sanitize:
 * failure mode, MEDIUM FORMAT CORRUPTED, until a new SANITIZE or EXIT
 * FAILURE MODE (with AUSE). The non-IMMED SANITIZE that waited for the job
 * is named in the entry ("waiter": nexus link and id, frontend tag); when
 * its frontend re-submits it to the new core (MSG_FLAG_REPLAY, same tag) it
 * waits for the resumed job and gets its outcome, even when the job ended
 * before it arrived (core_lun.san_late). */

#define SAN_PATTERN_MAX 65536u

static json_t *san_entry(const struct core_lun *l, const struct core_sanitize *s)
{
	char *hex = malloc(2 * (size_t)s->pattern_len + 1);
	json_t *o;

	if (!hex)
		return NULL;
	for (uint32_t i = 0; i < s->pattern_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", s->pattern[i]);
	hex[2 * s->pattern_len] = 0;
	json_t *w = NULL;

	if (s->running && (waiter_cmd(s) || s->expect))
		w = json_pack("{s:I, s:I, s:I}", "link", (json_int_t)s->w_link,
			      "nexus", (json_int_t)s->w_nexus, "tag", (json_int_t)s->w_tag);
	o = json_pack("{s:s, s:i, s:s, s:b, s:i, s:b, s:i, s:i, s:s, s:I, s:I, s:I}",
		      "target", l->tgt->name, "lun", (int)l->lu.lun,
		      "state", s->running ? "running" : "failed", "ause", s->ause,
		      "sa", (int)s->sa, "invert", s->invert, "passes", (int)s->passes,
		      "pass", (int)s->pass, "pattern", hex, "pos", (json_int_t)s->pos,
		      "done", (json_int_t)s->done, "lu_bytes", (json_int_t)s->lu_bytes);
	free(hex);
	if (o && w)
		json_object_set(o, "waiter", w);
	json_decref(w);
	return o;
}

static json_t *san_save(struct core *co)
{
	json_t *a = json_array();

	for (uint32_t t = 0; a && t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t i = 0; i < tg->nluns; i++) {
			const struct core_lun *l = &tg->luns[i];
			json_t *e;

			if (!l->live || !l->san || l->san->removed)
				continue;
			e = san_entry(l, l->san);
			if (e)
				json_array_append_new(a, e);
		}
	}
	if (a && !json_array_size(a)) {
		json_decref(a);
		a = NULL;
	}
	return a;
}

static bool san_int(json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < lo || json_integer_value(j) > hi)
		return false;
	if (v)
		*v = json_integer_value(j);
	return true;
}

static bool san_hex(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		if (!hex[2 * i + 1] || sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		if (out)
			out[i] = (uint8_t)v;
	}
	return true;
}

/* Validate everything, apply nothing: a refusal refuses the whole segment. */
static int san_check(struct core *co, json_t *v)
{
	json_t *e;
	size_t i;

	(void)co;
	if (!json_is_array(v) || json_array_size(v) > 65536)
		return -EINVAL;
	json_array_foreach(v, i, e) {
		const char *state = json_string_value(json_object_get(e, "state"));
		const char *tname = json_string_value(json_object_get(e, "target"));
		const char *hex = json_string_value(json_object_get(e, "pattern"));
		json_int_t sa, passes, pass, pos, done, bytes;
		size_t hlen = hex ? strlen(hex) : 0;

		if (!json_is_object(e) || !tname || !*tname || strlen(tname) >= MSG_NAME_MAX ||
		    !san_int(e, "lun", 0, 16383, NULL) || !state ||
		    (strcmp(state, "running") && strcmp(state, "failed")) ||
		    !json_is_boolean(json_object_get(e, "ause")) ||
		    !json_is_boolean(json_object_get(e, "invert")) ||
		    !san_int(e, "sa", SANITIZE_SA_OVERWRITE, SANITIZE_SA_BLOCK_ERASE, &sa) ||
		    !san_int(e, "passes", 1, 31, &passes) || !san_int(e, "pass", 0, passes - 1, &pass) ||
		    !san_int(e, "lu_bytes", 0, INT64_MAX / 32, &bytes) ||
		    !san_int(e, "pos", 0, bytes, &pos) || !san_int(e, "done", 0, bytes * passes, &done) ||
		    !hex || hlen % 2 || hlen / 2 > SAN_PATTERN_MAX || !san_hex(hex, NULL))
			return -EINVAL;
		json_t *w = json_object_get(e, "waiter");

		if (w && (!json_is_object(w) || !san_int(w, "link", 0, UINT32_MAX, NULL) ||
			  !san_int(w, "nexus", 0, UINT32_MAX, NULL) ||
			  !json_is_integer(json_object_get(w, "tag"))))
			return -EINVAL;
		/* what the CDB checks allow: OVERWRITE has a pattern, BLOCK ERASE
		 * one pass and none */
		if (sa == SANITIZE_SA_OVERWRITE ? hlen == 0 : (hlen != 0 || passes != 1))
			return -EINVAL;
	}
	return 0;
}

static void san_apply(struct core *co, json_t *v)
{
	json_t *e;
	size_t i;

	json_array_foreach(v, i, e) {
		struct core_target *t = core_config_target(&co->cfg,
			json_string_value(json_object_get(e, "target")));
		struct core_lun *l = t ? core_target_lun(t,
			(uint32_t)json_integer_value(json_object_get(e, "lun"))) : NULL;
		const char *hex = json_string_value(json_object_get(e, "pattern"));
		struct core_sanitize *s;

		if (!l || !l->live || l->san)
			continue;       /* the LU left the configuration meanwhile */
		s = calloc(1, sizeof(*s));
		if (!s)
			continue;
		s->co = co;
		s->lun = l;
		s->sa = (uint8_t)json_integer_value(json_object_get(e, "sa"));
		s->ause = json_is_true(json_object_get(e, "ause"));
		s->invert = json_is_true(json_object_get(e, "invert"));
		s->passes = (uint8_t)json_integer_value(json_object_get(e, "passes"));
		s->pass = (uint8_t)json_integer_value(json_object_get(e, "pass"));
		s->pos = (uint64_t)json_integer_value(json_object_get(e, "pos"));
		s->done = (uint64_t)json_integer_value(json_object_get(e, "done"));
		s->lu_bytes = l->lu.nblocks << l->lu.block_shift;
		s->total = s->lu_bytes * s->passes;
		s->pattern_len = (uint32_t)(strlen(hex) / 2);
		if (s->pattern_len && (s->pattern = malloc(s->pattern_len)))
			san_hex(hex, s->pattern);
		s->rate = pace_rate();
		ev_timer_init(&s->pace, pace_cb, 0., 0.);
		s->pace.data = s;
		s->running = !strcmp(json_string_value(json_object_get(e, "state")), "running");
		s->failed = !s->running;
		if (s->running && json_object_get(e, "waiter")) {
			json_t *w = json_object_get(e, "waiter");

			s->expect = true;
			s->w_link = (uint32_t)json_integer_value(json_object_get(w, "link"));
			s->w_nexus = (uint32_t)json_integer_value(json_object_get(w, "nexus"));
			s->w_tag = (uint64_t)json_integer_value(json_object_get(w, "tag"));
		}
		if (s->running &&
		    ((uint64_t)json_integer_value(json_object_get(e, "lu_bytes")) != s->lu_bytes ||
		     s->pos >= s->lu_bytes || s->pos % l->lu.block_size ||
		     s->pattern_len > l->lu.block_size ||
		     (s->pattern_len && !s->pattern))) {
			/* cannot go on as it was: interrupted, so failed */
			log_warn("LUN %u: the sanitize of the previous core cannot resume here: "
				 "failure mode", l->lu.lun);
			s->running = false;
			s->failed = true;
			answer_waiter(s, false);   /* its waiter learns it failed */
		}
		l->san = s;
		log_info("LUN %u: sanitize %s from the state segment (%llu of %llu bytes)",
			 l->lu.lun, s->running ? "to resume" : "failure mode restored",
			 (unsigned long long)s->done, (unsigned long long)s->total);
	}
}

static const struct core_state_ext san_ext = {
	.key = "sanitize", .save = san_save, .check = san_check, .apply = san_apply,
};

void core_sanitize_state_register(void)
{
	core_state_register(&san_ext);
}

void core_sanitize_resume(struct core *co)
{
	for (uint32_t t = 0; t < co->cfg.ntargets; t++) {
		struct core_target *tg = &co->cfg.targets[t];

		for (uint32_t i = 0; i < tg->nluns; i++) {
			struct core_sanitize *s = tg->luns[i].san;

			if (!tg->luns[i].live || !s || !s->running || s->job || s->removed)
				continue;
			if (job_create(co, s)) {
				log_warn("LUN %u: no room to resume the sanitize: failure mode",
					 s->lun->lu.lun);
				job_end(s, false);
				continue;
			}
			/* the pace goes on from where it was */
			s->t0 = ev_time() - (s->rate ? (double)s->done / (double)s->rate : 0.);
			log_info("LUN %u: sanitize resumed at %llu of %llu bytes", s->lun->lu.lun,
				 (unsigned long long)s->done, (unsigned long long)s->total);
			issue(s);
		}
	}
}
