#ifndef MTGT_CLI_CTL_ARGS_H
#define MTGT_CLI_CTL_ARGS_H

#include <jansson.h>
#include <stdio.h>

#include "common/rpc_schema.h"

/* Usage of every command, or of one noun's. */
void ctl_usage(FILE *f, const char *noun);
/* NOUN [VERB] ARGS -> the method and its params; NULL and err on a mistake. */
const struct rpc_method *ctl_parse(int argc, char **argv, json_t **params, char *err,
				   size_t errlen);

#endif
