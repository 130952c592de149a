/* Process-level entry points of the iSCSI frontend, for main.c. */
#ifndef MTGT_ISCSI_TGT_H
#define MTGT_ISCSI_TGT_H

#include <jansson.h>

#include "procs/frontend-iscsi/iscsi.h"

int  iscsi_tgt_init(struct iscsi_tgt *t, struct child *c, struct ev_loop *loop);
void iscsi_tgt_shutdown(struct iscsi_tgt *t);
void iscsi_tgt_stats(struct iscsi_tgt *t);
struct iscsi_listener;
/* Accept connections on a listening socket the supervisor bound. */
void iscsi_listener_start(struct iscsi_tgt *t, struct iscsi_listener *l, int fd,
			  uint16_t group, const char *addr);
/* iscsi_isns.c: registration with an iSNS server over the socket the
 * supervisor connected (CTL_INIT "isns"); nothing without one. */
int  iscsi_isns_init(struct iscsi_tgt *t, json_t *isns, json_t *cfg);
void iscsi_isns_shutdown(struct iscsi_tgt *t);
/* CTL_ISNS_CONN: a new connection from the supervisor (the old one was lost). */
void iscsi_isns_ctl(struct iscsi_tgt *t, struct ctl_msg *m);
/* Live changes: register the new set of targets / portals. */
void iscsi_isns_targets_changed(struct iscsi_tgt *t, json_t *cfg);
void iscsi_isns_portals_changed(struct iscsi_tgt *t);
/* "isns": {"state": "down"|"connecting"|"registered", ...} for CTL_STATS. */
void iscsi_isns_stats(struct iscsi_tgt *t, json_t *j);

#endif
