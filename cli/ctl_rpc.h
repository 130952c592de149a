#ifndef MTGT_CLI_RPC_H
#define MTGT_CLI_RPC_H

#include <jansson.h>
#include <stddef.h>

/* One JSON-RPC call over the admin socket. Returns 0 with *result set, or
 * -1 with a readable message in err (including the server's error). */
int ctl_rpc_call(const char *sock, const char *method, json_t *params, json_t **result,
		 char *err, size_t errlen);

#endif
