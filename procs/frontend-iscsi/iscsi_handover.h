/* Live upgrade of the iSCSI frontend (iscsi_handover.c): the old instance
 * stops at PDU boundaries, lets its commands finish and serializes every
 * session and connection; the new one validates that state, adopts the TCP
 * connections and resumes them, so initiators see no logout. The supervisor
 * side is supervisor/sup_upgrade_iscsi.c; docs/upgrade.md tells the story. */
#ifndef MTGT_ISCSI_HANDOVER_H
#define MTGT_ISCSI_HANDOVER_H

#include <stdbool.h>

#include "procs/frontend-iscsi/iscsi.h"

/* Before iscsi_tgt_init(): an instance started for a handover finds its link
 * under "handover_links" (so a binary without this support finds none and
 * exits instead of sharing the ring with the old instance): attach it. */
int  iscsi_handover_attach(struct child *c);
/* After iscsi_tgt_init(): an instance started for a handover ("handover":
 * true in CTL_INIT) keeps off the ring and the listeners until it has the
 * old one's state and is told to go. */
void iscsi_handover_init(struct iscsi_tgt *t);
/* CTL_QUIESCE, CTL_HANDOVER, CTL_RESUME, CTL_RETIRE. True if m was one. */
bool iscsi_handover_ctl(struct iscsi_tgt *t, struct ctl_msg *m);
/* Must c stop reading (quiescing, at a PDU boundary, no data-out owed)? */
bool iscsi_handover_rx_hold(const struct iscsi_conn *c);
/* An upgrade is under way: read nothing ahead that it would have to carry. */
bool iscsi_handover_busy(void);

/* iscsi_conn.c: a connection handed over, in full feature phase, not started. */
struct iscsi_conn *iscsi_conn_adopt(struct iscsi_tgt *t, int fd, struct iscsi_listener *l);

#endif
