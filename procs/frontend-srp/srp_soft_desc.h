/* The soft transport's description of a connection handed over at a live
 * upgrade (srp_soft_desc.c): its memory regions, one memfd each after the
 * connection's socket. Pure: decoded and checked here, mapped by srp_soft.c. */
#ifndef MTGT_SRP_SOFT_DESC_H
#define MTGT_SRP_SOFT_DESC_H

#include <jansson.h>
#include <stdint.h>

#include "procs/frontend-srp/srp_soft.h"

/* Largest region a registration may name (srp_soft.c maps it whole). */
#define SRP_SOFT_MAX_MR_LEN (1ull << 32)

/* What soft_export wrote for one connection, sent with nfds fds (the socket,
 * then one memfd per region). 0 and mrs[0..*nmr) filled, or -EINVAL. Checks
 * what a registration from the initiator is checked for: rkeys distinct,
 * access rights known, length 1..SRP_SOFT_MAX_MR_LEN, no address wrap. */
int srp_soft_desc_parse(const json_t *desc, int nfds, struct srp_soft_mr *mrs, uint32_t *nmr);
/* The same as a yes/no, for the handover parser (srp_xport_ops.check_conn). */
int srp_soft_desc_check(const json_t *desc, int nfds);

#endif
