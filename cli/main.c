/* mtgtctl: thin admin client. `mtgtctl [-s SOCKET] [--json] NOUN VERB [ARGS]`. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/ctl_rpc.h"
#include "cli/ctl_print.h"
#include "cli/ctl_upgrade.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mtgtctl [-s SOCKET] [--json] COMMAND\n"
		"  -s, --socket PATH  admin socket (default: $MTGT_SOCKET, ./var/mtgtd.sock,\n"
		"                     /run/mtgt/mtgtd.sock)\n"
		"  --json             print the raw JSON result\n"
		"commands:\n"
		"  status             supervisor, processes (pid, state, restarts), portals, targets\n"
		"  proc list          processes\n"
		"  proc restart NAME  stop NAME gracefully and start it again (revives a failed one)\n"
		"  proc policy NAME [--intensity N] [--period S] [--backoff-initial MS]\n"
		"                     [--backoff-max MS]   read or set NAME's restart policy\n"
		"  proc upgrade NAME [--binary PATH] [--start-timeout MS] [--quiesce-timeout MS]\n"
		"                     start a new instance beside NAME and hand over to it live\n"
		"  rpc methods        methods the server offers\n");
}

/* --intensity N --period S --backoff-initial MS --backoff-max MS */
static int policy_args(int argc, char **argv, json_t *params)
{
	static const struct { const char *opt, *key; } map[] = {
		{ "--intensity", "intensity" }, { "--period", "period_s" },
		{ "--backoff-initial", "backoff_initial_ms" }, { "--backoff-max", "backoff_max_ms" },
	};

	for (int i = 0; i < argc; i += 2) {
		size_t k;
		char *end;
		long long v;

		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (!strcmp(argv[i], map[k].opt))
				break;
		if (k == sizeof(map) / sizeof(map[0]) || i + 1 >= argc) {
			fprintf(stderr, "mtgtctl: proc policy: bad option '%s'\n", argv[i]);
			return -1;
		}
		v = strtoll(argv[i + 1], &end, 10);
		if (*end || end == argv[i + 1] || v < 0) {
			fprintf(stderr, "mtgtctl: %s: not a number: '%s'\n", argv[i], argv[i + 1]);
			return -1;
		}
		json_object_set_new(params, map[k].key, json_integer(v));
	}
	return 0;
}

static const char *default_socket(void)
{
	const char *env = getenv("MTGT_SOCKET");

	if (env && *env)
		return env;
	if (access("var/mtgtd.sock", F_OK) == 0)
		return "var/mtgtd.sock";
	return "/run/mtgt/mtgtd.sock";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *method;
	bool as_json = false;
	json_t *result = NULL, *params = NULL;
	char err[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': as_json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && !strcmp(argv[0], "status"))
		method = "status";
	else if (argc == 2 && !strcmp(argv[0], "proc") && !strcmp(argv[1], "list"))
		method = "proc.list";
	else if (argc == 2 && !strcmp(argv[0], "rpc") && !strcmp(argv[1], "methods"))
		method = "rpc.methods";
	else if (argc == 3 && !strcmp(argv[0], "proc") && !strcmp(argv[1], "restart")) {
		method = "proc.restart";
		params = json_pack("{s:s}", "name", argv[2]);
	} else if (argc >= 3 && !strcmp(argv[0], "proc") && !strcmp(argv[1], "upgrade")) {
		return ctl_upgrade_main(sock ? sock : default_socket(), argc - 2, argv + 2, as_json);
	} else if (argc >= 3 && !strcmp(argv[0], "proc") && !strcmp(argv[1], "policy")) {
		method = "proc.policy";
		params = json_pack("{s:s}", "name", argv[2]);
		if (policy_args(argc - 3, argv + 3, params)) {
			json_decref(params);
			usage(stderr);
			return 2;
		}
	} else {
		if (argc)
			fprintf(stderr, "mtgtctl: unknown command '%s%s%s'\n", argv[0],
				argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage(stderr);
		return 2;
	}
	if (!sock)
		sock = default_socket();
	if (ctl_rpc_call(sock, method, params, &result, err, sizeof(err))) {
		fprintf(stderr, "mtgtctl: %s\n", err);
		json_decref(params);
		return 1;
	}
	json_decref(params);
	if (as_json) {
		char *s = json_dumps(result, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
	} else {
		ctl_print(method, result);
	}
	json_decref(result);
	return 0;
}
