/* The core's copy manager (core_xcopy.c) and sanitize jobs (core_sanitize.c). */
#ifndef MTGT_CORE_CORE_XCOPY_H
#define MTGT_CORE_CORE_XCOPY_H

#include "procs/core/core.h"
#include "procs/core/scsi_xcopy.h"

/* ---- core_xcopy.c: EXTENDED COPY (LID1), RECEIVE COPY RESULTS ---- */
/* Plan/start/piece like core_blk.c's commands (they are called from there). */
bool core_xcopy_plan(struct core *co, struct core_cmd *cmd);
bool core_xcopy_start(struct core *co, struct core_cmd *cmd);
bool core_xcopy_piece_done(struct core *co, struct core_cmd *cmd, const struct msg_io_done *d);
void core_xcopy_release(struct core *co, struct core_cmd *cmd);
/* Its backend died with a piece in flight: the copy is not replayed (an
 * overlapping copy is not idempotent); it fails with a retryable status. */
void core_xcopy_backend_lost(struct core *co, struct core_cmd *cmd);
/* RECEIVE COPY RESULTS: answers and completes cmd. */
void core_xcopy_rcr(struct core *co, struct core_cmd *cmd);
/* The nexus goes away: its held copy results with it. */
void core_xcopy_nexus_free(struct core_nexus *nx);

/* A buffer of the core's arena of want bytes, or less down to min. */
int core_arena_take(struct core *co, uint32_t want, uint32_t min, struct buf_handle *out);

/* ---- core_sanitize.c: SANITIZE ---- */
bool core_sanitize_plan(struct core *co, struct core_cmd *cmd);
/* Starts (or, EXIT FAILURE MODE, ends) the LU's sanitize; always leaves the
 * answer in cmd->res or parks cmd (cmd->parked) until the job ends. */
void core_sanitize_start(struct core *co, struct core_cmd *cmd);
/* While an LU sanitizes (or after a failed sanitize) most commands are
 * refused: answers and completes cmd and returns true for those. */
bool core_sanitize_refuse(struct core *co, struct core_cmd *cmd);
/* The non-IMMED SANITIZE a previous core parked, re-submitted by its
 * frontend (MSG_FLAG_REPLAY, same nexus and tag): parks it on the resumed
 * job, or answers the outcome of a job that already ended; true then. */
bool core_sanitize_rejoin(struct core *co, struct core_cmd *cmd);
/* The same condition as sense for a copy that names the LU (false: usable). */
bool core_sanitize_busy(const struct core_lun *l, struct scsi_result *r);
/* The LU left the configuration: its sanitize stops, its state goes. */
void core_sanitize_lun_removed(struct core_lun *l);
/* An I/O of a CK_JOB command came back. */
void core_job_io_done(struct core *co, struct core_cmd *job, const struct msg_io_done *d);
/* Start the jobs of sanitizes that are running without one: restored from
 * the state segment, or paused by a quiesce that was rolled back. */
void core_sanitize_resume(struct core *co);

/* core_cmd.c: retry the task set of an LU (commands an LBA range held back) */
void core_lun_kick(struct core *co, struct core_lun *l);
/* core_pr.c: would cdb from nexus nx conflict with l's reservations? */
bool core_pr_blocks(struct core_nexus *nx, struct core_lun *l, const uint8_t *cdb);

#endif
