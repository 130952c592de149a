/* Command line -> JSON-RPC request, and usage text, both from the schema
 * (common/rpc_schema.c): `mtgtctl NOUN VERB POSITIONAL... --option VALUE`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl_args.h"

static void print_method(FILE *f, const struct rpc_method *m)
{
	char noun[32], opt[48];
	const char *verb = strchr(m->name, '.');
	int col;

	rpc_noun(m, noun, sizeof(noun));
	col = fprintf(f, "  %s%s%s", noun, verb ? " " : "", verb ? verb + 1 : "");
	for (int i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++) {
		const struct rpc_param *p = &m->params[i];
		char up[48];

		if (!p->positional)
			continue;
		snprintf(up, sizeof(up), "%s", p->name);
		for (char *c = up; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		col += fprintf(f, p->required ? " %s" : " [%s]", up);
	}
	for (int i = 0; i < RPC_MAX_PARAMS && m->params[i].name; i++) {
		const struct rpc_param *p = &m->params[i];

		if (p->positional)
			continue;
		rpc_param_opt(p, opt, sizeof(opt));
		col += fprintf(f, p->required ? " %s%s" : " [%s%s]", opt,
			       p->type == RPC_BOOL ? "" : " V");
	}
	if (col > 40)
		fprintf(f, "\n%42s", "");
	else
		fprintf(f, "%*s", 42 - col, "");
	fprintf(f, "%s\n", m->help);
}

void ctl_usage(FILE *f, const char *noun)
{
	bool any = false;

	if (!noun)
		fprintf(f,
			"usage: mtgtctl [-s SOCKET] [--json] NOUN [VERB] [ARGS]\n"
			"  -s, --socket PATH  admin socket (default: $MTGT_SOCKET, ./var/mtgtd.sock,\n"
			"                     /run/mtgt/mtgtd.sock)\n"
			"  --json             print the raw JSON result\n"
			"  mtgtctl NOUN --help  the verbs of one noun\n"
			"commands:\n");
	for (size_t i = 0; i < rpc_schema_n; i++) {
		char n[32];

		rpc_noun(&rpc_schema[i], n, sizeof(n));
		if (noun && strcmp(n, noun))
			continue;
		print_method(f, &rpc_schema[i]);
		any = true;
		if (!strcmp(rpc_schema[i].name, "stats.get"))
			fprintf(f, "  stats [--watch] [--count N]%15sIOPS and bandwidth over 1 s "
				   "intervals, latency percentiles\n", "");
	}
	if (noun && !any)
		fprintf(f, "mtgtctl: no commands for '%s' (mtgtctl --help lists them)\n", noun);
	if (noun && any) {
		for (size_t i = 0; i < rpc_schema_n; i++) {
			char n[32];

			rpc_noun(&rpc_schema[i], n, sizeof(n));
			if (strcmp(n, noun))
				continue;
			for (int k = 0; k < RPC_MAX_PARAMS && rpc_schema[i].params[k].name; k++) {
				const struct rpc_param *p = &rpc_schema[i].params[k];
				char opt[48];

				rpc_param_opt(p, opt, sizeof(opt));
				fprintf(f, "      %s %-22s %s (%s)\n", rpc_schema[i].name,
					p->positional ? p->name : opt, p->help,
					rpc_type_name(p->type));
			}
		}
	}
}

static int conv(const struct rpc_param *p, const char *v, json_t **out, char *err, size_t el)
{
	char *end;
	long long n;

	switch (p->type) {
	case RPC_STR:
		if ((!strcmp(p->name, "path") || !strcmp(p->name, "file")) && v[0] != '/') {
			char cwd[PATH_MAX], *abs;

			/* mtgtd runs elsewhere: a relative path means ours */
			if (!getcwd(cwd, sizeof(cwd)) || asprintf(&abs, "%s/%s", cwd, v) < 0)
				return -ENOMEM;
			*out = json_string(abs);
			free(abs);
			return 0;
		}
		*out = json_string(v);
		return 0;
	case RPC_INT:
		errno = 0;
		n = strtoll(v, &end, 0);
		if (errno || *end || end == v || n < 0) {
			snprintf(err, el, "%s: not a number: '%s'", p->name, v);
			return -EINVAL;
		}
		*out = json_integer(n);
		return 0;
	case RPC_SIZE:
		errno = 0;
		n = strtoll(v, &end, 10);
		*out = (!errno && !*end && end != v && n > 0) ? json_integer(n) : json_string(v);
		return 0;
	case RPC_BOOL:
		*out = json_true();
		return 0;
	case RPC_INTLIST: {
		json_t *a = json_array();
		const char *s = v;

		while (*s) {
			n = strtoll(s, &end, 10);
			if (end == s || (*end && *end != ',') || n < 0) {
				json_decref(a);
				snprintf(err, el, "%s: not a list of LUNs like 0,2: '%s'", p->name, v);
				return -EINVAL;
			}
			json_array_append_new(a, json_integer(n));
			s = *end ? end + 1 : end;
		}
		*out = a;
		return 0;
	}
	case RPC_MAP: {
		json_t *o = json_object();
		const char *s = v;

		while (*s) {
			long long a = strtoll(s, &end, 10), b;
			char key[24];

			if (end == s || *end != '=' || a < 0)
				goto badmap;
			s = end + 1;
			b = strtoll(s, &end, 10);
			if (end == s || (*end && *end != ',') || b < 0)
				goto badmap;
			snprintf(key, sizeof(key), "%lld", a);
			json_object_set_new(o, key, json_integer(b));
			s = *end ? end + 1 : end;
			continue;
badmap:
			json_decref(o);
			snprintf(err, el, "%s: not a map like 2=0,3=1 (its LUN=target LUN): '%s'",
				 p->name, v);
			return -EINVAL;
		}
		*out = o;
		return 0;
	}
	}
	return -EINVAL;
}

const struct rpc_method *ctl_parse(int argc, char **argv, json_t **params, char *err,
				   size_t el)
{
	const struct rpc_method *m = NULL;
	char name[64];
	int i, npos = 0;

	*params = NULL;
	if (argc < 1) {
		snprintf(err, el, "no command");
		return NULL;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		snprintf(name, sizeof(name), "%s.%s", argv[0], argv[1]);
		m = rpc_method_find(name);
	}
	if (m) {
		i = 2;
	} else {
		m = rpc_method_find(argv[0]);
		i = 1;
	}
	if (!m) {
		snprintf(err, el, "unknown command '%s%s%s'", argv[0], argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "");
		return NULL;
	}
	*params = json_object();
	for (; i < argc; i++) {
		const struct rpc_param *p = NULL;
		const char *val = NULL;
		json_t *v;

		if (argv[i][0] == '-' && argv[i][1] == '-') {
			char opt[48];
			const char *eq = strchr(argv[i], '=');
			size_t ol = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);

			for (int k = 0; k < RPC_MAX_PARAMS && m->params[k].name; k++) {
				rpc_param_opt(&m->params[k], opt, sizeof(opt));
				if (!m->params[k].positional && strlen(opt) == ol &&
				    !strncmp(opt, argv[i], ol))
					p = &m->params[k];
			}
			if (!p) {
				snprintf(err, el, "%s: unknown option '%.*s' (mtgtctl %s --help)",
					 m->name, (int)ol, argv[i], argv[0]);
				goto fail;
			}
			if (p->type == RPC_BOOL)
				val = eq ? eq + 1 : "true";
			else if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				snprintf(err, el, "%s: option %s needs a value", m->name, argv[i]);
				goto fail;
			}
		} else {
			for (int k = 0, seen = 0; k < RPC_MAX_PARAMS && m->params[k].name; k++)
				if (m->params[k].positional && seen++ == npos) {
					p = &m->params[k];
					break;
				}
			npos++;
			if (!p) {
				snprintf(err, el, "%s: unexpected argument '%s' (mtgtctl %s --help)",
					 m->name, argv[i], argv[0]);
				goto fail;
			}
			val = argv[i];
		}
		if (conv(p, val, &v, err, el))
			goto fail;
		json_object_set_new(*params, p->name, v);
	}
	for (int k = 0; k < RPC_MAX_PARAMS && m->params[k].name; k++)
		if (m->params[k].required && !json_object_get(*params, m->params[k].name)) {
			char opt[48];

			rpc_param_opt(&m->params[k], opt, sizeof(opt));
			snprintf(err, el, "%s: %s missing (%s)", m->name,
				 m->params[k].positional ? m->params[k].name : opt,
				 m->params[k].help);
			goto fail;
		}
	return m;
fail:
	json_decref(*params);
	*params = NULL;
	return NULL;
}
