/* `mtgtctl proc upgrade NAME [--binary PATH] [--quiesce-timeout MS]
 * [--start-timeout MS] [--no-wait]`: start the upgrade, then follow
 * proc.upgrade_status until it ends (bounded). Exit 0 only when the new
 * instance took over; with --no-wait, once it started. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ctl_rpc.h"
#include "cli/ctl_upgrade.h"

#define UPGRADE_WAIT_S 120

/* --no-wait: answer once the upgrade started, as the RPC does */
static bool no_wait;

static int parse(int argc, char **argv, json_t *params)
{
	static const struct { const char *opt, *key; } ms[] = {
		{ "--start-timeout", "start_timeout_ms" },
		{ "--quiesce-timeout", "quiesce_timeout_ms" },
		{ "--load-timeout", "load_timeout_ms" },
	};

	for (int i = 0; i < argc; i += 2) {
		size_t k;

		if (!strcmp(argv[i], "--no-wait")) {
			no_wait = true;
			i--;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "mtgtctl: proc upgrade: %s needs a value\n", argv[i]);
			return -1;
		}
		if (!strcmp(argv[i], "--binary")) {
			json_object_set_new(params, "binary", json_string(argv[i + 1]));
			continue;
		}
		for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++)
			if (!strcmp(argv[i], ms[k].opt))
				break;
		if (k == sizeof(ms) / sizeof(ms[0])) {
			fprintf(stderr, "mtgtctl: proc upgrade: bad option '%s'\n", argv[i]);
			return -1;
		}
		char *end;
		long v = strtol(argv[i + 1], &end, 10);

		if (*end || v < 1) {
			fprintf(stderr, "mtgtctl: proc upgrade: %s: milliseconds\n", argv[i]);
			return -1;
		}
		json_object_set_new(params, ms[k].key, json_integer(v));
	}
	return 0;
}

static void print_result(json_t *r, bool as_json)
{
	const char *st = json_string_value(json_object_get(r, "state"));

	if (as_json) {
		char *s = json_dumps(r, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		return;
	}
	if (st && !strcmp(st, "upgrading"))
		printf("%s: upgrading (pid %lld); see proc upgrade_status\n",
		       json_string_value(json_object_get(r, "name")),
		       (long long)json_integer_value(json_object_get(r, "old_pid")));
	else if (st && !strcmp(st, "done"))
		printf("%s: upgraded, pid %lld -> %lld (%s) in %.0f ms\n",
		       json_string_value(json_object_get(r, "name")),
		       (long long)json_integer_value(json_object_get(r, "old_pid")),
		       (long long)json_integer_value(json_object_get(r, "new_pid")),
		       json_string_value(json_object_get(r, "binary")),
		       json_number_value(json_object_get(r, "elapsed_ms")));
	else
		printf("%s: upgrade %s in stage %s: %s\n",
		       json_string_value(json_object_get(r, "name")), st ? st : "?",
		       json_string_value(json_object_get(r, "stage")),
		       json_string_value(json_object_get(r, "error")));
}

int ctl_upgrade_main(const char *sock, int argc, char **argv, bool as_json)
{
	json_t *params = json_pack("{s:s}", "name", argv[0]), *r = NULL, *sp;
	char err[512];
	int rc = 1;

	if (parse(argc - 1, argv + 1, params)) {
		json_decref(params);
		return 2;
	}
	if (ctl_rpc_call(sock, "proc.upgrade", params, &r, err, sizeof(err))) {
		fprintf(stderr, "mtgtctl: %s\n", err);
		json_decref(params);
		return 1;
	}
	json_decref(params);
	if (no_wait) {
		const char *st = json_string_value(json_object_get(r, "state"));

		print_result(r, as_json);
		rc = st && (!strcmp(st, "upgrading") || !strcmp(st, "done")) ? 0 : 1;
		json_decref(r);
		return rc;
	}
	sp = json_pack("{s:s}", "name", argv[0]);
	for (int i = 0; i < UPGRADE_WAIT_S * 20; i++) {
		const char *st = json_string_value(json_object_get(r, "state"));
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (!st || strcmp(st, "upgrading"))
			break;
		json_decref(r);
		r = NULL;
		nanosleep(&ts, NULL);
		if (ctl_rpc_call(sock, "proc.upgrade_status", sp, &r, err, sizeof(err))) {
			fprintf(stderr, "mtgtctl: %s\n", err);
			json_decref(sp);
			return 1;
		}
	}
	json_decref(sp);
	print_result(r, as_json);
	if (!strcmp(json_string_value(json_object_get(r, "state")) ?: "", "done"))
		rc = 0;
	json_decref(r);
	return rc;
}
