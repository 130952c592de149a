/* mtgtctl: thin admin client. `mtgtctl [-s SOCKET] [--json] NOUN VERB [ARGS]`;
 * commands, arguments and help all come from the schema (common/rpc_schema.c). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl_args.h"
#include "cli/ctl_print.h"
#include "cli/ctl_rpc.h"
#include "cli/ctl_stats.h"
#include "cli/ctl_upgrade.h"

static const char *default_socket(void)
{
	const char *env = getenv("MTGT_SOCKET");

	if (env && *env)
		return env;
	if (access("var/mtgtd.sock", F_OK) == 0)
		return "var/mtgtd.sock";
	return "/run/mtgt/mtgtd.sock";
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct rpc_method *m;
	const char *sock = NULL;
	bool as_json = false;
	json_t *result = NULL, *params = NULL;
	char err[512];
	int opt;

	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': as_json = true; break;
		case 'h': ctl_usage(stdout, NULL); return 0;
		default: ctl_usage(stderr, NULL); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		ctl_usage(stderr, NULL);
		return 2;
	}
	if (wants_help(argc, argv)) {
		ctl_usage(stdout, argv[0]);
		return 0;
	}
	if (!sock)
		sock = default_socket();
	if (!strcmp(argv[0], "stats") && !(argc > 1 && !strcmp(argv[1], "get")))
		return ctl_stats(sock, argc, argv, as_json);
	/* proc upgrade follows the upgrade to its end (proc.upgrade_status) */
	if (argc >= 3 && !strcmp(argv[0], "proc") && !strcmp(argv[1], "upgrade") &&
	    argv[2][0] != '-')
		return ctl_upgrade_main(sock, argc - 2, argv + 2, as_json);
	m = ctl_parse(argc, argv, &params, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "mtgtctl: %s\n", err);
		if (argc == 1)
			ctl_usage(stderr, argv[0]);
		return 2;
	}
	if (ctl_rpc_call(sock, m->name, params, &result, err, sizeof(err))) {
		fprintf(stderr, "mtgtctl: %s\n", err);
		json_decref(params);
		return 1;
	}
	json_decref(params);
	if (as_json) {
		char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

		printf("%s\n", s);
		free(s);
	} else {
		ctl_print(m->name, result);
	}
	json_decref(result);
	return 0;
}
