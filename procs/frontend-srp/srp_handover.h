/* Live upgrade of mtgt-srp: the old instance drains and ends its channels,
 * the new one takes the core link and the CM sockets (srp_handover.c). */
#ifndef MTGT_SRP_HANDOVER_H
#define MTGT_SRP_HANDOVER_H

#include <stdbool.h>

#include "procs/frontend-srp/srp.h"

/* Started as the new instance of an upgrade ("handover": true)? */
bool srp_handover_incoming(const struct child *c);
/* Before srp_tgt_init: attach the link the supervisor passed aside. */
int  srp_handover_attach(struct child *c);
/* After srp_tgt_init: a new instance keeps off the ring and the ports. */
void srp_handover_init(struct srp_tgt *t);
/* QUIESCE, HANDOVER, RESUME, RETIRE; false for other types. */
bool srp_handover_ctl(struct srp_tgt *t, struct ctl_msg *m);

/* srp_handover_state.c: the channels' state, when they can move */
int  srp_ho_serialize(struct srp_tgt *t, char **out, int *fds, int *nfds, int max_fds);
int  srp_ho_load(struct srp_tgt *t, const char *txt, size_t len, int *fds, int nfds,
		 const char **why);

#endif
