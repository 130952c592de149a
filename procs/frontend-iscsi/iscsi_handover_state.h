/* The serialized state of a live iSCSI frontend handover (docs/upgrade.md):
 * JSON written by the old instance, parsed and checked here by the new one.
 * Nothing in it is trusted: every field is range-checked against this
 * instance's own limits before anything is built from it. */
#ifndef MTGT_ISCSI_HANDOVER_STATE_H
#define MTGT_ISCSI_HANDOVER_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ctl.h"
#include "procs/frontend-iscsi/iscsi_params.h"
#include "procs/frontend-iscsi/iscsi_pdu.h"

#define ISCSI_HO_VERSION   1
#define ISCSI_HO_MAX_CONNS (CTL_MAX_FDS - 1)   /* the memfd travels with them */
#define ISCSI_HO_NSTATS    6

/* names of the carried-over counters, in iscsi_ho_state.stats order */
extern const char *const iscsi_ho_stat_names[ISCSI_HO_NSTATS];

/* What the receiving instance allows. */
struct iscsi_ho_limits {
	uint32_t max_recv_dsl;
	uint32_t max_burst;
	bool     crc32c;
};

struct iscsi_ho_conn {
	int      fd;             /* index into the connection fds that came along */
	char     listener[64];   /* address of the portal it came in on */
	uint64_t id;
	uint16_t group, cid;
	uint32_t stat_sn, exp_stat_sn, next_ttt, nop_ttt;
	bool     hdigest, ddigest, nop_out;
	double   nop_age, idle;
	char     peer[64], local[64];
	uint8_t  part[ISCSI_BHS_LEN];   /* a header already read ahead */
	uint32_t part_len;
	uint32_t mrdsl_tx;       /* the initiator's, on this connection; 0: the session's */
	uint16_t tsih;
	uint8_t  isid[6];
	uint32_t nexus, exp_cmd_sn, max_cmd_sn;
	bool     nexus_added;
	uint32_t holes[16];      /* ERL >= 1: CmdSNs lost that a retry may use */
	uint32_t nholes;
	uint32_t async_sent;
	struct iscsi_params p;
};

struct iscsi_ho_state {
	uint16_t next_tsih;
	uint32_t next_nexus;
	uint64_t next_conn_id;
	uint64_t stats[ISCSI_HO_NSTATS];
	uint32_t n;
	struct iscsi_ho_conn conns[ISCSI_HO_MAX_CONNS];
};

/* Parse txt (len bytes, not NUL-terminated) sent with nfds connection fds.
 * 0, or -EINVAL with *why naming the first field at fault. The fds
 * themselves are the caller's to check. */
int iscsi_ho_parse(const struct iscsi_ho_limits *lim, const char *txt, size_t len, int nfds,
		   struct iscsi_ho_state *st, const char **why);

#endif
