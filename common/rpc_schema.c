/* The table of admin methods (see rpc_schema.h). Adding a method: one row
 * here, one handler in the supervisor's dispatch table; `make docs` then
 * regenerates docs/rpc.md and the bash completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc_schema.h"

#define P_TARGET  { "target", RPC_STR, true, true, NULL, "target IQN" }
#define P_TARGETO { "target", RPC_STR, false, true, NULL, "only this target" }
#define P_LUN     { "lun", RPC_INT, true, true, NULL, "LUN number (0..16383)" }
#define P_PNAME   { "name", RPC_STR, true, true, NULL, "process name (see proc list)" }

const struct rpc_method rpc_schema[] = {
	{ "status", "supervisor, processes, portals and targets", { { 0 } } },
	{ "rpc.methods", "the methods this server offers, with their parameters", { { 0 } } },

	{ "proc.list", "processes with pid, state and restart count", { { 0 } } },
	{ "proc.restart", "stop a process gracefully and start it again (also revives a "
	  "failed one)", { P_PNAME } },
	{ "proc.policy", "read or set a process' restart policy", {
		P_PNAME,
		{ "intensity", RPC_INT, false, false, NULL, "restarts allowed in period_s" },
		{ "period_s", RPC_INT, false, false, "--period", "seconds of the window" },
		{ "backoff_initial_ms", RPC_INT, false, false, "--backoff-initial",
		  "first backoff after a quick restart" },
		{ "backoff_max_ms", RPC_INT, false, false, "--backoff-max", "backoff ceiling" } } },
	{ "proc.upgrade", "start a new instance beside a process and hand over to it live, "
	  "sessions kept (docs/upgrade.md; the core: sup_core_handover.c); mtgtctl follows "
	  "it to its end", {
		P_PNAME,
		{ "binary", RPC_STR, false, false, NULL, "absolute path of the new binary" },
		{ "start_timeout_ms", RPC_INT, false, false, "--start-timeout",
		  "the new instance must be READY within this (5000)" },
		{ "quiesce_timeout_ms", RPC_INT, false, false, "--quiesce-timeout",
		  "the old instance must reach a clean point within this (5000)" },
		{ "load_timeout_ms", RPC_INT, false, false, "--load-timeout",
		  "the new instance must load the state within this (5000)" } } },
	{ "proc.upgrade_status", "the state or result of a process' last upgrade", { P_PNAME } },

	{ "target.list", "targets with their LUN, ACL and CHAP summary", { { 0 } } },
	{ "target.add", "add a target (no LUN, no initiator allowed yet)", {
		P_TARGET,
		{ "max_sessions", RPC_INT, false, false, NULL, "0 = unlimited" } } },
	{ "target.del", "remove a target; it must have no LUN left unless force", {
		P_TARGET,
		{ "force", RPC_BOOL, false, false, NULL, "also remove its LUNs" } } },

	{ "portal.list", "addresses the frontends listen on, with their portal group", { { 0 } } },
	{ "portal.add", "listen on one more address, now", {
		{ "address", RPC_STR, true, true, NULL, "IPv4:port or [IPv6]:port" },
		{ "group", RPC_INT, false, false, NULL, "portal group tag (default 1)" } } },
	{ "portal.del", "stop listening on an address (sessions on it stay)", {
		{ "address", RPC_STR, true, true, NULL, "as portal list shows it" } } },

	{ "lun.list", "LUNs with backend, path, size and block size", { P_TARGETO } },
	{ "lun.add", "add a LUN; initiators see REPORTED LUNS DATA HAS CHANGED", {
		P_TARGET, P_LUN,
		{ "backend", RPC_STR, true, false, NULL, "file, null or ram" },
		{ "path", RPC_STR, false, false, NULL, "backing file or block device (file)" },
		{ "size", RPC_SIZE, false, false, NULL,
		  "bytes or 512M/10G; creates a missing file (required for null and ram)" },
		{ "block_size", RPC_INT, false, false, NULL, "512 (default) or 4096" },
		{ "thin", RPC_BOOL, false, false, NULL, "UNMAP deallocates (file)" },
		{ "readonly", RPC_BOOL, false, false, NULL, "write-protected for everyone" } } },
	{ "lun.del", "remove a LUN after its I/O in flight has finished or been aborted", {
		P_TARGET, P_LUN } },
	{ "lun.resize", "grow or shrink a LUN (its file too); initiators see CAPACITY DATA HAS "
	  "CHANGED", {
		P_TARGET, P_LUN,
		{ "size", RPC_SIZE, true, true, NULL, "new size (bytes or 20G)" } } },

	{ "acl.list", "initiators allowed per target, with their LUN sets", { P_TARGETO } },
	{ "acl.add", "allow an initiator (\"*\" = any), optionally with its own LUN set "
	  "and numbers; replaces its previous entry", {
		P_TARGET,
		{ "initiator", RPC_STR, true, true, NULL, "initiator IQN, or * for any" },
		{ "luns", RPC_INTLIST, false, false, NULL,
		  "target LUNs it sees under their own numbers, e.g. 0,2 (default: all)" },
		{ "map", RPC_MAP, false, false, NULL,
		  "LUN numbers of its own: 2=0 shows target LUN 0 as its LUN 2" },
		{ "readonly", RPC_BOOL, false, false, NULL, "it may only read" } } },
	{ "acl.del", "deny an initiator; its sessions see no LUN at once", {
		P_TARGET,
		{ "initiator", RPC_STR, true, true, NULL, "initiator IQN, or *" } } },

	{ "chap.set", "require CHAP on a target, or on discovery sessions", {
		{ "target", RPC_STR, false, true, NULL, "target IQN (omit with --discovery)" },
		{ "user", RPC_STR, true, false, NULL, "name the initiator gives" },
		{ "secret", RPC_STR, true, false, NULL, "its secret, 12 to 255 bytes" },
		{ "mutual_user", RPC_STR, false, false, NULL, "name the target gives back" },
		{ "mutual_secret", RPC_STR, false, false, NULL, "the target's secret" },
		{ "discovery", RPC_BOOL, false, false, NULL, "for discovery sessions" } } },
	{ "chap.clear", "stop requiring CHAP", {
		{ "target", RPC_STR, false, true, NULL, "target IQN (omit with --discovery)" },
		{ "discovery", RPC_BOOL, false, false, NULL, "for discovery sessions" } } },

	{ "session.list", "iSCSI sessions: TSIH, initiator, ISID, target, connections, commands "
	  "in flight, LUNs seen, I/O", { P_TARGETO } },
	{ "session.show", "one session in full: negotiated parameters and latency", {
		{ "tsih", RPC_INT, true, true, NULL, "session handle (see session list)" } } },
	{ "session.drop", "close a session's connections (the initiator may log in again if "
	  "its ACL still allows it)", {
		{ "tsih", RPC_INT, true, true, NULL, "session handle (see session list)" } } },
	{ "session.logout", "ask matching iSCSI sessions to log out (AsyncEvent 1); drop "
	  "those still there after wait_s + 2 s", {
		{ "initiator", RPC_STR, false, false, NULL, "initiator name (absent: any)" },
		{ "target", RPC_STR, false, false, NULL, "target IQN (absent: any)" },
		{ "wait_s", RPC_INT, false, false, NULL, "seconds the initiators get (Parameter3)" } } },
	{ "stats.get", "counters of every process: per LUN and per session I/O, bytes and "
	  "latency percentiles (core), ring and pool use; refreshed each second", { { 0 } } },

	{ "config.show", "the running configuration, as mtgtd -c reads it", { { 0 } } },
	{ "config.save", "write the running configuration atomically, keeping 10 old "
	  "versions as FILE.1..FILE.10", {
		{ "file", RPC_STR, false, true, NULL,
		  "where (default: the file mtgtd was started with)" } } },
	{ "config.load", "apply a configuration file as live changes", {
		{ "file", RPC_STR, true, true, NULL, "configuration file" },
		{ "dry_run", RPC_BOOL, false, false, NULL, "only print the changes" } } },
};

const size_t rpc_schema_n = sizeof(rpc_schema) / sizeof(rpc_schema[0]);

const struct rpc_method *rpc_method_find(const char *name)
{
	for (size_t i = 0; name && i < rpc_schema_n; i++)
		if (!strcmp(rpc_schema[i].name, name))
			return &rpc_schema[i];
	return NULL;
}

const char *rpc_type_name(enum rpc_type t)
{
	switch (t) {
	case RPC_STR: return "string";
	case RPC_INT: return "integer";
	case RPC_BOOL: return "boolean";
	case RPC_SIZE: return "size";
	case RPC_INTLIST: return "integer list";
	case RPC_MAP: return "LUN map";
	}
	return "?";
}

void rpc_noun(const struct rpc_method *m, char *buf, size_t len)
{
	const char *dot = strchr(m->name, '.');
	size_t n = dot ? (size_t)(dot - m->name) : strlen(m->name);

	snprintf(buf, len, "%.*s", (int)n, m->name);
}

void rpc_param_opt(const struct rpc_param *p, char *buf, size_t len)
{
	if (p->opt) {
		snprintf(buf, len, "%s", p->opt);
		return;
	}
	snprintf(buf, len, "--%s", p->name);
	for (char *c = buf + 2; *c; c++)
		if (*c == '_')
			*c = '-';
}

static bool lun_ok(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 16384;
}

static bool type_ok(enum rpc_type t, json_t *v, const char **why)
{
	const char *key;
	json_t *e;
	size_t i;

	switch (t) {
	case RPC_STR:
		*why = "must be a non-empty string";
		return json_is_string(v) && json_string_length(v) > 0 &&
		       json_string_length(v) < 4096;
	case RPC_INT:
		*why = "must be an integer >= 0";
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case RPC_BOOL:
		*why = "must be true or false";
		return json_is_boolean(v);
	case RPC_SIZE:
		*why = "must be a byte count or a size like \"10G\"";
		return (json_is_integer(v) && json_integer_value(v) > 0) ||
		       (json_is_string(v) && json_string_length(v) > 0);
	case RPC_INTLIST:
		*why = "must be a list of LUN numbers 0..16383";
		if (!json_is_array(v) || json_array_size(v) > 1024)
			return false;
		json_array_foreach(v, i, e)
			if (!lun_ok(e))
				return false;
		return true;
	case RPC_MAP:
		*why = "must map LUN numbers to LUN numbers, e.g. {\"2\": 0}";
		if (!json_is_object(v) || json_object_size(v) > 1024)
			return false;
		json_object_foreach(v, key, e) {
			char *end;
			long n = strtol(key, &end, 10);

			if (!*key || *end || n < 0 || n >= 16384 || !lun_ok(e))
				return false;
		}
		return true;
	}
	return false;
}

int rpc_validate(const struct rpc_method *m, json_t *params, char *err, size_t errlen)
{
	const char *key, *why = "";
	json_t *v;

	if (params && !json_is_object(params) &&
	    !(json_is_array(params) && json_array_size(params) == 0)) {
		snprintf(err, errlen, "params: must be an object of named parameters");
		return RPC_E_PARAMS;
	}
	if (json_is_object(params))
		json_object_foreach(params, key, v) {
			const struct rpc_param *p = NULL;

			for (int i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++)
				if (!strcmp(m->params[i].name, key))
					p = &m->params[i];
			if (!p) {
				snprintf(err, errlen, "params.%.64s: unknown parameter of %s", key,
					 m->name);
				return RPC_E_PARAMS;
			}
			if (!type_ok(p->type, v, &why)) {
				snprintf(err, errlen, "params.%s: %s", key, why);
				return RPC_E_PARAMS;
			}
		}
	for (int i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++)
		if (m->params[i].required && !json_object_get(params, m->params[i].name)) {
			snprintf(err, errlen, "params.%s: required (%s)", m->params[i].name,
				 m->params[i].help);
			return RPC_E_PARAMS;
		}
	return 0;
}
