/* FC in the supervisor: the "fc" and "fc_options" config keys, per-target
 * "fc_initiators" ACLs (WWPNs), the packet sockets of software FCoE ports
 * (opened and bound here: mtgt-fc has no CAP_NET_RAW), and mtgt-fc's part
 * of its CTL_INIT document. */
#ifndef MTGT_SUP_FC_H
#define MTGT_SUP_FC_H

#include <jansson.h>
#include <stddef.h>

struct sup;
struct sup_proc;
struct sup_config;
struct sup_target;

int  sup_fc_config(struct sup_config *cfg, json_t *root, char *err, size_t errlen);
int  sup_fc_target_acl(struct sup_target *t, json_t *v, const char *where, char *err,
		       size_t errlen);
void sup_fc_free(struct sup_config *cfg);
/* Open and bind each port's packet socket. */
int  sup_fc_bind(struct sup *s);
void sup_fc_close(struct sup *s);
void sup_fc_init_doc(struct sup *s, struct sup_proc *p, json_t *doc, int *fds, int *nfds,
		     int max_fds, int fd_base);

#endif
