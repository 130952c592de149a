/* Core restarts seen from a backend (be_relink.c). */
#ifndef MTGT_BE_RELINK_H
#define MTGT_BE_RELINK_H

#include "common/ctl.h"

struct be;

void be_core_link_down(struct be *b, const struct ctl_msg *m);
void be_core_link_up(struct be *b, struct ctl_msg *m);

#endif
