/* The state a new mtgt-srp receives from the old one at a live upgrade
 * (docs/srp.md), parsed and checked (srp_handover_parse.c) before anything
 * is built from it. Pure: no fds are touched here, only counted. */
#ifndef MTGT_SRP_HANDOVER_PARSE_H
#define MTGT_SRP_HANDOVER_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ctl.h"
#include "procs/frontend-srp/srp_iu.h"

#define SRP_HO_VERSION   1
/* every channel brings at least its socket; the memfd of the state comes
 * in the same control message */
#define SRP_HO_MAX_CHANS (CTL_MAX_FDS - 1)
#define SRP_HO_MAX_PORTS 64

/* What the receiving instance allows. */
struct srp_ho_limits {
	uint32_t nports;
	uint32_t max_it;        /* largest IU it accepts */
	uint32_t credits;       /* its request limit per channel */
	uint32_t max_chans;     /* channels per I_T nexus */
	uint32_t max_total;     /* channels in the process */
	/* per port: NULL, the port cannot adopt connections; else the
	 * transport's check of a connection description with its fd count */
	int (*check_conn[SRP_HO_MAX_PORTS])(const json_t *desc, int nfds);
};

struct srp_ho_sess {
	uint32_t port;
	uint8_t  ini[SRP_PORT_ID_LEN];
	uint32_t nexus;
	uint64_t aer_tag;
	uint32_t nchans;
};

struct srp_ho_chan {
	uint32_t sess, port;
	uint64_t id, tag;
	uint32_t it_len, ti_len;
	uint16_t formats, imm_off;
	uint8_t  rsp_flags, login_flags;
	uint32_t req_lim, delta;
	int      fd, nfds;      /* its fds: [fd, fd + nfds) of those that came */
	json_t  *conn;          /* the transport's description (held by doc) */
};

struct srp_ho_state {
	json_t  *doc;
	uint32_t next_nexus;
	uint32_t nsess, nchans;
	struct srp_ho_sess sess[SRP_HO_MAX_CHANS];
	struct srp_ho_chan chans[SRP_HO_MAX_CHANS];
};

/* Parse txt (len bytes, not NUL-terminated) sent with nfds fds. 0 (release
 * st afterwards), or -EINVAL with *why naming the first field at fault and
 * nothing held. Every fd is used by exactly one channel. */
int  srp_ho_parse(const struct srp_ho_limits *lim, const char *txt, size_t len, int nfds,
		  struct srp_ho_state *st, const char **why);
void srp_ho_state_release(struct srp_ho_state *st);

#endif
