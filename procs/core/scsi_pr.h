/* Reservations of one logical unit: SPC-4 persistent reservations and SPC-2
 * RESERVE/RELEASE. Pure like the rest of scsi_*.c: the caller names the I_T
 * nexus of each command and is told, through a callback, which nexuses get a
 * unit attention or lose their tasks. */
#ifndef MTGT_CORE_SCSI_PR_H
#define MTGT_CORE_SCSI_PR_H

#include "procs/core/scsi.h"

#define SCSI_STATUS_RESERVATION_CONFLICT 0x18

enum scsi_pr_opcode {
	RESERVE_6 = 0x16,
	RELEASE_6 = 0x17,
	RESERVE_10 = 0x56,
	RELEASE_10 = 0x57,
	PERSISTENT_RESERVE_IN = 0x5e,
	PERSISTENT_RESERVE_OUT = 0x5f,
};

enum scsi_pr_type {
	PR_WE = 1, PR_EA = 3, PR_WE_RO = 5, PR_EA_RO = 6, PR_WE_AR = 7, PR_EA_AR = 8,
};

#define SCSI_PR_MAX_REGS 256          /* per LU; more: INSUFFICIENT REGISTRATION RESOURCES */
#define SCSI_ITN_ANY_ISID UINT64_MAX  /* a TransportID without ISID: every port of the name */

/* An initiator port on our (single) target port: iSCSI name and ISID; for
 * FCP and SRP the port's name in hex and a value naming the target port
 * (shm/msg.h, enum msg_proto). proto decides the TransportID format. */
struct scsi_itn {
	char     name[MSG_NAME_MAX];
	uint64_t isid;
	uint8_t  proto;      /* enum msg_proto */
};

struct scsi_pr_reg {
	struct scsi_itn itn;
	uint64_t key;
	bool     all_tg_pt;
};

struct scsi_pr {
	uint32_t generation;
	uint32_t nregs;
	struct scsi_pr_reg *regs;     /* malloc'd, at most SCSI_PR_MAX_REGS */
	bool     reserved;
	uint8_t  type;
	struct scsi_itn holder;       /* for the all-registrants types: who reserved */
	bool     aptpl;
	/* SPC-2 RESERVE */
	bool     r2_held;
	struct scsi_itn r2_holder;
};

/* Who must hear about a change: the nexus(es) of itn get unit attention
 * ua_bit (SCSI_UA_*, 0: none); abort: their tasks on this LU are aborted. */
typedef void (*scsi_pr_notify_fn)(void *ctx, const struct scsi_itn *itn, uint16_t ua_bit,
				  bool abort);

struct scsi_pr_req {
	struct scsi_pr *pr;
	const struct scsi_itn *self;
	const uint8_t *cdb;
	const uint8_t *param;   /* PR OUT parameter list */
	uint32_t plen;          /* bytes of it that arrived */
	bool     aptpl_ok;      /* a state file exists */
	uint16_t rel_port;
	scsi_pr_notify_fn notify;
	void    *ctx;
	uint8_t *out;
	uint32_t cap;
};

void scsi_pr_init(struct scsi_pr *pr);
void scsi_pr_free(struct scsi_pr *pr);
bool scsi_pr_type_valid(uint8_t type);
bool scsi_itn_match(const struct scsi_itn *reg, const struct scsi_itn *nexus);
/* True for the opcodes handled here. */
bool scsi_pr_handles(const uint8_t *cdb);
/* Bytes of data-out a command of this module needs (PR OUT parameter list). */
uint32_t scsi_pr_out_len(const uint8_t *cdb);
/* RESERVATION CONFLICT for this nexus and command? */
bool scsi_pr_conflict(const struct scsi_pr *pr, const struct scsi_itn *self, const uint8_t *cdb);
/* Execute PR IN/OUT or RESERVE/RELEASE. Returns true when the persistent
 * state changed (the caller saves it when APTPL is set or was just cleared). */
bool scsi_pr_execute(const struct scsi_pr_req *q, struct scsi_result *r);
/* LU reset / I_T nexus loss: SPC-2 reservations end. */
void scsi_pr_reset(struct scsi_pr *pr);
void scsi_pr_nexus_lost(struct scsi_pr *pr, const struct scsi_itn *itn);
/* TransportIDs (SPC-4 7.6.4): iSCSI (protocol identifier 5, formats 00 and
 * 01), FCP (0, format 00: the N_Port name) and SRP (4, format 00: the
 * initiator port identifier). Parse one at p: returns its length and fills
 * out, or 0 when it is invalid or of a protocol not served. An FCP or SRP
 * TransportID names the initiator port only: it gets the target port of
 * self when self is of the same protocol (that is the port the command
 * came through), else every target port (SCSI_ITN_ANY_ISID). */
uint32_t scsi_tid_parse(const uint8_t *p, uint32_t avail, const struct scsi_itn *self,
			struct scsi_itn *out);
/* Write the TransportID of itn at p (room: SCSI_TID_MAX); returns its length. */
#define SCSI_TID_MAX (4 + MSG_NAME_MAX + 32)
uint32_t scsi_tid_build(const struct scsi_itn *itn, uint8_t *p);
/* The transport a saved name must be of (state saved without proto). */
uint8_t scsi_itn_proto_of_name(const char *name);
/* Used by the store when loading saved state (an FCP or SRP name, which no
 * iSCSI name can look like, sets proto when the saved state has none). */
int scsi_pr_add_reg(struct scsi_pr *pr, const struct scsi_itn *itn, uint64_t key, bool atp);

#endif
