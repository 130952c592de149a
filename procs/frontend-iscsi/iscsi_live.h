#ifndef MTGT_ISCSI_LIVE_H
#define MTGT_ISCSI_LIVE_H

#include "common/ctl.h"

struct iscsi_tgt;

/* CTL_CONFIG from the supervisor: new CHAP and portal tables. */
void iscsi_live_config(struct iscsi_tgt *t, const struct ctl_msg *m);

#endif
