/* A target's "alua" config key (target port group states, see
 * docs/core.md "ALUA"), checked here and handed to the core as is, with the
 * target's ports. */
#ifndef MTGT_SUP_ALUA_H
#define MTGT_SUP_ALUA_H

#include "supervisor/sup_config.h"

/* Check the "alua" object of a target (v may be NULL) and keep a copy. */
int sup_alua_parse(json_t *v, struct sup_target *t, const char *where, char *err, size_t errlen);
/* Once portals are known: the groups "alua" names must be ports of t. */
int sup_alua_check_ports(const struct sup_config *cfg, const struct sup_target *t,
			 const char *where, char *err, size_t errlen);
/* The target's ports: its portal_groups, or every portal group. */
json_t *sup_alua_ports(const struct sup_config *cfg, const struct sup_target *t);

#endif
