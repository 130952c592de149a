/* SRP in the supervisor: the "srp" and "srp_options" config keys, per-target
 * "srp_initiators" ACLs, the CM sockets of soft ports, and mtgt-srp's part of
 * its CTL_INIT document. */
#ifndef MTGT_SUP_SRP_H
#define MTGT_SUP_SRP_H

#include <jansson.h>
#include <stddef.h>

struct sup;
struct sup_proc;
struct sup_config;
struct sup_target;

/* mtgt-srp exits with this when its transport cannot run here (verbs
 * without RDMA devices): logged, not restarted, not escalated. */
#define SUP_EXIT_UNAVAILABLE 69

int  sup_srp_config(struct sup_config *cfg, json_t *root, char *err, size_t errlen);
int  sup_srp_target_acl(struct sup_target *t, json_t *v, const char *where, char *err,
			size_t errlen);
void sup_srp_free(struct sup_config *cfg);
int  sup_srp_bind(struct sup *s);
void sup_srp_close_listeners(struct sup *s);
void sup_srp_setup(struct sup *s);
void sup_srp_init_doc(struct sup *s, struct sup_proc *p, json_t *doc, int *fds, int *nfds,
		      int max_fds, int fd_base);

#endif
