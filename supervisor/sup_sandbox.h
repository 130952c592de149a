/* Children's sandbox settings (sup_sandbox.c). */
#ifndef MTGT_SUP_SANDBOX_H
#define MTGT_SUP_SANDBOX_H

#include <jansson.h>
#include <stddef.h>

struct sup_config;

/* The config file's "sandbox" object (may be NULL). */
int  sup_sandbox_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen);
/* After the config: apply --sandbox=MODE (NULL: none) and resolve the user. */
int  sup_sandbox_setup(const char *cli_mode);
/* The "sandbox" object of CTL_INIT. */
json_t *sup_sandbox_json(void);

#endif
