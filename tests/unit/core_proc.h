/* Shared harness of test-core-proc: this program plays supervisor, frontend
 * and backend around a real mtgt-core (see test_core_proc.c). */
#ifndef MTGT_TESTS_CORE_PROC_H
#define MTGT_TESTS_CORE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/ctl.h"
#include "shm/link.h"
#include "shm/pool.h"
#include "procs/core/scsi.h"

#define CORE_EPOCH 5
#define FE_EPOCH   7
#define BE_EPOCH   9
#define FE_LINK    1
#define BE_LINK    2
#define BE_LINK2   12  /* the restarted backend's link */
#define FE_ARENA   1
#define DISK_BYTES (4u << 20)
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)
#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "FATAL %s:%d: %s\n", __FILE__, __LINE__, #c); finish(1); } } while (0)

extern int failures;
extern struct pool pool;
extern struct link fe, be;
extern int ctl;
extern pid_t core_pid;
extern uint8_t disk[DISK_BYTES];
extern uint64_t next_tag;
extern int state_fd;
extern int seg_fd;
extern uint32_t fe_epoch;

void finish(int fail);
struct msg_cmd mkcmd(uint32_t nexus, uint32_t lun, const uint8_t *cdb, unsigned cdb_len,
		    uint8_t dir, uint32_t edtl, struct buf_handle h);
struct buf_handle fe_buf(uint32_t off, uint32_t len);
struct msg_cmd_rsp do_cmd(struct msg_cmd c);
uint8_t *bufp(struct buf_handle h);
void send_msg(struct link *l, const union msg *m);
union msg recv_msg(struct link *l, int ms);
int nexus_add(uint32_t id, const char *ini, const char *tgt);
void start_core(const char *bin);
bool quiet(struct link *l, int ms);
struct msg_io be_serve(struct link *l, int result);

/* test_core_proc_pr.c: reservations and mode pages */
void test_aptpl_save(void);
void test_aptpl_restart(const char *bin);
void test_preempt_abort(void);
void test_mode_select(void);
/* test_core_proc_xcopy.c: EXTENDED COPY and SANITIZE */
void test_xcopy_core(void);
void test_xcopy_backend_lost(uint32_t be_link, uint32_t be_epoch);
void test_sanitize_core(void);
/* test_core_proc_live.c: CTL_CONFIG */
void test_live_config(void);
void test_async_event(void);

/* test_core_proc_state.c: the state segment across core restarts */
void test_state_segment(const char *bin);
void test_state_sanitize(const char *bin);
void test_state_sanitize_replay(const char *bin);

#endif
