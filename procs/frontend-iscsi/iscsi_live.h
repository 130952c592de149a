#ifndef MTGT_ISCSI_LIVE_H
#define MTGT_ISCSI_LIVE_H

#include <jansson.h>

#include "common/ctl.h"

struct iscsi_tgt;

/* CTL_CONFIG from the supervisor: new CHAP and portal tables. */
void iscsi_live_config(struct iscsi_tgt *t, const struct ctl_msg *m);
/* Sessions in full feature phase, for CTL_STATS (session list/show). */
json_t *iscsi_live_sessions(struct iscsi_tgt *t);
/* CTL_SESSION_DROP {"tsih": n}: close that session's connection. */
void iscsi_live_drop(struct iscsi_tgt *t, const struct ctl_msg *m);
/* CTL_PORTAL_ADD / CTL_PORTAL_DEL */
void iscsi_live_portal(struct iscsi_tgt *t, struct ctl_msg *m);

#endif
