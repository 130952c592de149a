/* Initiator entries of a target: a name, or an object with the initiator's
 * own LUN set (SCST security groups). See sup_acl.c. */
#ifndef MTGT_SUP_ACL_H
#define MTGT_SUP_ACL_H

#include <jansson.h>

#include "supervisor/sup_config.h"

/* One "initiators" entry: "iqn..." | "*" | {"name", "luns", "map", "readonly"}. */
int  sup_acl_parse(json_t *e, char **name, struct sup_acl *acl, const char *where, char *err,
		   size_t errlen);
/* Every LUN an ACL names exists, no initiator LUN number is used twice. */
int  sup_acl_check(const struct sup_target *t, const char *where, char *err, size_t errlen);
void sup_acl_free(struct sup_acl *acls, uint32_t n);
/* The entry as the core reads it (and as the config file has it). */
json_t *sup_acl_json(const struct sup_target *t, uint32_t i);

#endif
