/* test-raw-initiator: a small iSCSI initiator of our own that builds every
 * PDU itself (raw TCP to 127.0.0.1), for what libiscsi cannot do: an
 * ErrorRecoveryLevel 1 login, SNACKs of each kind, deliberately corrupted
 * digests, TMF edge cases, AHS, text continuation, asynchronous events and
 * session reinstatement under I/O. Digests use the frontend's crc32c. */
#ifndef MTGT_TESTS_RAWI_H
#define MTGT_TESTS_RAWI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-iscsi/iscsi_pdu.h"

#define RAWI_TIMEOUT_MS 5000
#define RAWI_CORRUPT_HD 1
#define RAWI_CORRUPT_DD 2

struct rawi {
	int      fd;
	bool     hd, dd;              /* digests in force */
	uint8_t  isid[6];
	uint16_t tsih;
	uint16_t cid;                 /* connection ID sent at login */
	uint32_t itt;
	uint32_t cmdsn;               /* next CmdSN */
	uint32_t expstatsn;           /* what we acknowledge */
	bool     hold_ack;            /* do not advance expstatsn on receipt */
	uint32_t max_cmdsn;
	uint32_t erl;
	uint32_t mrdsl_tgt;           /* the target's MaxRecvDataSegmentLength */
	char     name[64];            /* for messages */
};

struct rawi_pdu {
	uint8_t  bhs[ISCSI_BHS_LEN];
	uint8_t  ahs[ISCSI_AHS_MAX];
	uint32_t ahslen;
	uint8_t  data[1 << 18];
	uint32_t dlen;
};

extern int rawi_failures;
extern bool rawi_quiet;  /* no notes about skipped PDUs */

#define CHECK(x, ...) do { if (!(x)) { rawi_fail(__LINE__, #x, __VA_ARGS__); } } while (0)
void rawi_fail(int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int  rawi_connect(struct rawi *x, const char *hostport, const char *name);
void rawi_close(struct rawi *x);
/* Login straight to full feature phase with these key=value lines (\n
 * separated, our defaults first). Returns the login status (0 = success)
 * or -1; `answer` gets the target's keys (NUL separated). */
int  rawi_login(struct rawi *x, const char *initiator, const char *target,
		const char *keys, struct rawi_pdu *answer);
/* Value of key in a login/text answer, or NULL. */
const char *rawi_key(const struct rawi_pdu *p, const char *key);
int  rawi_send(struct rawi *x, const uint8_t *bhs, const uint8_t *ahs, uint32_t ahslen,
	       const void *data, uint32_t dlen, int corrupt);
/* 1: a PDU, 0: timeout, -1: connection closed, -2: bad digest from the target. */
int  rawi_recv(struct rawi *x, struct rawi_pdu *p, int timeout_ms);
/* Receive until a PDU of this opcode; others are counted in *skipped.
 * Returns 1 or what rawi_recv returned. */
int  rawi_expect(struct rawi *x, uint8_t opcode, struct rawi_pdu *p, int timeout_ms);

/* SCSI Command: flags are ISCSI_CMD_READ/WRITE (F is set unless nofinal). */
uint32_t rawi_cmd(struct rawi *x, uint8_t flags, uint64_t lun, const uint8_t *cdb,
		  uint32_t cdblen, uint32_t edtl, const void *imm, uint32_t immlen,
		  bool nofinal, int corrupt);
/* Same, with this ITT and CmdSN (a retry). */
void rawi_cmd_as(struct rawi *x, uint32_t itt, uint32_t cmdsn, uint8_t flags, uint64_t lun,
		 const uint8_t *cdb, uint32_t cdblen, uint32_t edtl, const void *imm,
		 uint32_t immlen, bool nofinal, int corrupt);
/* SIMPLE command on LUN 0 with the next ITT and this CmdSN: the ITT. */
uint32_t rawi_cmd_sn(struct rawi *x, uint32_t cmdsn, uint8_t flags, const uint8_t *cdb,
		     uint32_t edtl, const void *imm, uint32_t immlen);
/* Receive until itt's status (Data-In with S, or SCSI Response), skipping
 * other tasks' PDUs; Data-In lands in buf at its offset (largest segment in
 * *max_seg if not NULL). The SCSI status, or -1 on none. */
int rawi_status(struct rawi *x, struct rawi_pdu *p, uint32_t itt, uint8_t *buf, size_t buflen,
		uint32_t *max_seg);
/* Logout with this reason (ISCSI_LOGOUT_*), CID and CmdSN, sent immediate:
 * the response code, -1 on none. */
int rawi_logout(struct rawi *x, struct rawi_pdu *p, uint8_t reason, uint16_t cid,
		uint32_t cmdsn);
/* TASK REASSIGN of rtt (ERL 2), sent immediate with CmdSN sn: the TMF
 * response code, -1 on none. */
int rawi_task_reassign(struct rawi *x, struct rawi_pdu *p, uint32_t sn, uint32_t rtt,
		       uint32_t expdatasn);
void rawi_dout(struct rawi *x, uint32_t itt, uint32_t ttt, uint32_t datasn, uint32_t off,
	       const void *data, uint32_t len, bool final, int corrupt);
/* NOP-Out ping with an ITT, answered by a NOP-In: true when answered. */
bool rawi_ping(struct rawi *x, int corrupt);
void rawi_snack(struct rawi *x, uint8_t type, uint32_t itt, uint32_t ttt, uint32_t beg,
		uint32_t run);

/* Deterministic data: byte at disk offset o for a seed. */
void rawi_pattern(uint8_t *buf, uint64_t off, uint32_t len, uint32_t seed);
void rawi_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks);
/* Whole-command helpers (no error recovery): 0 on GOOD. */
int  rawi_write(struct rawi *x, uint32_t lba, uint32_t len, uint32_t seed);
int  rawi_read_verify(struct rawi *x, uint32_t lba, uint32_t len, uint32_t seed);

/* rawi_cmdsn.c: CmdSN ordering cases (address and target from main) */
extern const char *rawi_addr, *rawi_target;
void rawi_case_cmdsn_order(void);
void rawi_case_cmdsn_window(void);
void rawi_case_cmdsn_data(void);
void rawi_case_cmdsn_gap(void);
void rawi_case_cmdsn_tmf(void);
void rawi_case_cmdsn_shuffle(void);
void rawi_case_cmdsn_fuzz(void);
/* rawi_async.c: what a session sees when the target goes away */
void rawi_case_shut_logout(void);
void rawi_case_shut_ignore(void);
void rawi_case_shut_stuck(void);
void rawi_case_shut_none(void);
void rawi_case_shut_drop(void);
/* rawi_mcs.c: several connections per session */
void rawi_case_mcs(void);
/* rawi_reinst.c: connection reinstatement aborts the old tasks first */
void rawi_case_conn_reinstate(void);
/* rawi_erl2.c: ErrorRecoveryLevel 2, TASK REASSIGN */
void rawi_case_erl2(void);
/* rawi_erl2one.c: ERL 2, a session whose only connection fails */
void rawi_case_erl2_one(void);
void rawi_case_erl2_hold(void);
void rawi_case_erl2_gone(void);
/* rawi_mcsup.c: live upgrade under a session of two connections */
void rawi_case_mcs_upgrade(void);

#endif
