/* The admin interface's one schema: every JSON-RPC method, its parameters,
 * their types and help. mtgtd validates requests against it, mtgtctl builds
 * its command line and --help from it, and docs/rpc.md and the bash
 * completion are generated from it (rpc-doc), so none of them can drift. */
#ifndef MTGT_COMMON_RPC_SCHEMA_H
#define MTGT_COMMON_RPC_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum rpc_type {
	RPC_STR = 1,   /* string */
	RPC_INT,       /* integer >= 0 */
	RPC_BOOL,      /* true/false; a bare --flag on the command line */
	RPC_SIZE,      /* "10G", "512M" or a byte count */
	RPC_INTLIST,   /* [0, 2]; "0,2" on the command line */
	RPC_MAP,       /* {"2": 0}: initiator LUN -> target LUN; "2=0,3=1" */
};

#define RPC_MAX_PARAMS 10

struct rpc_param {
	const char *name;      /* JSON name */
	enum rpc_type type;
	bool required;
	bool positional;       /* a bare word on the command line, in order */
	const char *opt;       /* command-line option when not "--name" with '-' for '_' */
	const char *help;
};

struct rpc_method {
	const char *name;      /* "lun.add" = noun "lun", verb "add" */
	const char *help;
	struct rpc_param params[RPC_MAX_PARAMS];
};

/* JSON-RPC 2.0 error codes, and ours (-32000..-32099 are server errors). */
#define RPC_E_PARSE        (-32700)
#define RPC_E_REQUEST      (-32600)
#define RPC_E_METHOD       (-32601)
#define RPC_E_PARAMS       (-32602)
#define RPC_E_INTERNAL     (-32603)
#define RPC_E_FAILED       (-32000) /* valid request that could not be carried out */
#define RPC_E_NOT_FOUND    (-32001) /* unknown target, LUN, initiator, process, ... */
#define RPC_E_EXISTS       (-32002) /* duplicate */
#define RPC_E_BUSY         (-32003) /* the target is changing or shutting down */

extern const struct rpc_method rpc_schema[];
extern const size_t rpc_schema_n;

const struct rpc_method *rpc_method_find(const char *name);
const char *rpc_type_name(enum rpc_type t);
/* Check params (NULL or an object) against m: no unknown parameter, every
 * required one present, each of its type. On error returns RPC_E_PARAMS and
 * writes a message naming the parameter ("params.size: ...") into err. */
int  rpc_validate(const struct rpc_method *m, json_t *params, char *err, size_t errlen);
/* The noun of a method ("lun" for "lun.add"), copied into buf. */
void rpc_noun(const struct rpc_method *m, char *buf, size_t len);
/* The command-line option of a parameter, e.g. "--block-size". */
void rpc_param_opt(const struct rpc_param *p, char *buf, size_t len);

#endif
