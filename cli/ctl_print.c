#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl_print.h"
#include "cli/ctl_table.h"

static void print_procs(json_t *procs)
{
	size_t i;
	json_t *p;

	printf("%-16s %-14s %8s %-10s %8s  %s\n", "NAME", "KIND", "PID", "STATE", "RESTARTS",
	       "LAST EXIT");
	json_array_foreach(procs, i, p) {
		printf("%-16s %-14s %8lld %-10s %8lld  %s\n",
		       json_string_value(json_object_get(p, "name")) ?: "?",
		       json_string_value(json_object_get(p, "kind")) ?: "?",
		       (long long)json_integer_value(json_object_get(p, "pid")),
		       json_string_value(json_object_get(p, "state")) ?: "?",
		       (long long)json_integer_value(json_object_get(p, "restarts")),
		       json_string_value(json_object_get(p, "last_exit")) ?: "-");
	}
}

void ctl_print(const char *method, json_t *r)
{
	size_t i;
	json_t *e;

	if (!strcmp(method, "status")) {
		printf("mtgtd pid %lld%s\n", (long long)json_integer_value(json_object_get(r, "pid")),
		       json_is_true(json_object_get(r, "shutting_down")) ? " (shutting down)" : "");
		printf("portals:");
		json_array_foreach(json_object_get(r, "portals"), i, e)
			printf(" %s", json_string_value(e));
		printf("\ntargets:\n");
		json_array_foreach(json_object_get(r, "targets"), i, e)
			printf("  %s (%lld LUNs)\n", json_string_value(json_object_get(e, "name")),
			       (long long)json_integer_value(json_object_get(e, "luns")));
		if (json_object_get(r, "payload_bytes_copied"))
			printf("payload bytes copied: %lld (as of the last heartbeat)\n",
			       (long long)json_integer_value(json_object_get(r, "payload_bytes_copied")));
		printf("\n");
		print_procs(json_object_get(r, "processes"));
	} else if (!strcmp(method, "proc.upgrade")) {
		printf("%s: upgrading (pid %lld)\n", json_string_value(json_object_get(r, "name")),
		       (long long)json_integer_value(json_object_get(r, "pid")));
	} else if (!strcmp(method, "proc.restart")) {
		printf("%s: %s\n", json_string_value(json_object_get(r, "name")),
		       json_string_value(json_object_get(r, "state")));
	} else if (!strcmp(method, "proc.policy")) {
		json_t *p = json_object_get(r, "policy");

		printf("%s: at most %lld restarts in %lld s, backoff %lld..%lld ms\n",
		       json_string_value(json_object_get(r, "name")),
		       (long long)json_integer_value(json_object_get(p, "intensity")),
		       (long long)json_integer_value(json_object_get(p, "period_s")),
		       (long long)json_integer_value(json_object_get(p, "backoff_initial_ms")),
		       (long long)json_integer_value(json_object_get(p, "backoff_max_ms")));
	} else if (!strcmp(method, "proc.list")) {
		print_procs(r);
	} else if (!strcmp(method, "rpc.methods")) {
		json_array_foreach(r, i, e)
			printf("%-16s %s\n", json_string_value(json_object_get(e, "name")),
			       json_string_value(json_object_get(e, "help")));
	} else if (!strcmp(method, "config.show")) {
		char *s = json_dumps(r, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
	} else {
		ctl_print_generic(r);
	}
}
