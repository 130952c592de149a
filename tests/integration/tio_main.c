/* test-initiator: see tio.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/tio.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: test-initiator [options] COMMAND iscsi://HOST:PORT/IQN/LUN\n"
"commands:\n"
"  write        write the pattern of --seed over the region\n"
"  verify       read the region back and compare with the pattern of --seed\n"
"  writeverify  write, then verify\n"
"  mixed        for --duration s: verify region (--offset,--size,--seed) and rewrite\n"
"               region (--woffset,--wsize,--wseed); libiscsi reconnects if needed\n"
"  inquiry      standard INQUIRY (+ --vendor/--product) and VPD 0x00, 0x80, 0x83\n"
"  capacity     READ CAPACITY(16) against --block-size and --blocks\n"
"  malformed    malformed PDUs on raw connections while this session does I/O\n"
"options:\n"
"  -i, --initiator IQN   initiator name [iqn.2026-11.org.mtgt:test]\n"
"  -o, --offset BYTES    region start [0]         -s, --size BYTES   region length [to end]\n"
"  -S, --seed N          pattern seed [1]         -q, --qd N         queue depth [16]\n"
"  -c, --chunk BYTES     largest command [256K]   -t, --timeout S    overall limit [120]\n"
"  -T, --task-timeout S  per command [30]         -d, --duration S   mixed: run time [10]\n"
"      --woffset/--wsize/--wseed                  mixed: the rewritten region\n"
"  -k, --tolerate        mixed: count I/O errors (reported) instead of failing\n"
"      --no-reconnect    mixed: a dropped session fails instead of reconnecting\n"
"      --until-file F    mixed: also stop after the pass during which F appeared\n"
"  -V, --vendor S  -P, --product S                inquiry expectations\n"
"  -b, --block-size N  -n, --blocks N             capacity expectations\n"
"sizes take K, M, G, T suffixes (powers of 1024)\n");
}

enum { OPT_WOFF = 256, OPT_WSIZE, OPT_WSEED, OPT_NORECON, OPT_UNTIL };

static const struct option longopts[] = {
	{ "initiator", required_argument, NULL, 'i' },
	{ "offset", required_argument, NULL, 'o' },
	{ "size", required_argument, NULL, 's' },
	{ "seed", required_argument, NULL, 'S' },
	{ "qd", required_argument, NULL, 'q' },
	{ "chunk", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "task-timeout", required_argument, NULL, 'T' },
	{ "duration", required_argument, NULL, 'd' },
	{ "tolerate", no_argument, NULL, 'k' },
	{ "vendor", required_argument, NULL, 'V' },
	{ "product", required_argument, NULL, 'P' },
	{ "block-size", required_argument, NULL, 'b' },
	{ "blocks", required_argument, NULL, 'n' },
	{ "woffset", required_argument, NULL, OPT_WOFF },
	{ "wsize", required_argument, NULL, OPT_WSIZE },
	{ "wseed", required_argument, NULL, OPT_WSEED },
	{ "no-reconnect", no_argument, NULL, OPT_NORECON },
	{ "until-file", required_argument, NULL, OPT_UNTIL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int num(const char *name, const char *s, uint64_t *v)
{
	if (tio_parse_size(s, v)) {
		fprintf(stderr, "test-initiator: bad value for --%s: %s\n", name, s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tio_opts o = {
		.initiator = "iqn.2026-11.org.mtgt:test", .seed = 1, .qd = 16,
		.max_chunk = 256 * 1024, .timeout_s = 120, .task_timeout_s = 30,
		.duration_s = 10, .w_seed = 2,
	};
	const char *cmd;
	uint64_t v;
	int ch, bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt_long(argc, argv, "i:o:s:S:q:c:t:T:d:kV:P:b:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': o.initiator = optarg; break;
		case 'o': bad |= num("offset", optarg, &o.offset); break;
		case 's': bad |= num("size", optarg, &o.size); break;
		case 'S': bad |= num("seed", optarg, &o.seed); break;
		case 'q': bad |= num("qd", optarg, &v); o.qd = (unsigned)v; break;
		case 'c': bad |= num("chunk", optarg, &v); o.max_chunk = (uint32_t)v; break;
		case 't': bad |= num("timeout", optarg, &v); o.timeout_s = (unsigned)v; break;
		case 'T': bad |= num("task-timeout", optarg, &v); o.task_timeout_s = (unsigned)v; break;
		case 'd': bad |= num("duration", optarg, &v); o.duration_s = (unsigned)v; break;
		case 'k': o.tolerate = true; break;
		case 'V': o.vendor = optarg; break;
		case 'P': o.product = optarg; break;
		case 'b': bad |= num("block-size", optarg, &v); o.block_size = (uint32_t)v; break;
		case 'n': bad |= num("blocks", optarg, &o.blocks); break;
		case OPT_WOFF: bad |= num("woffset", optarg, &o.w_offset); break;
		case OPT_WSIZE: bad |= num("wsize", optarg, &o.w_size); break;
		case OPT_WSEED: bad |= num("wseed", optarg, &o.w_seed); break;
		case OPT_NORECON: o.no_reconnect = true; break;
		case OPT_UNTIL: o.until_file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (bad || argc - optind != 2 || o.qd == 0 || o.qd > 1024 || o.max_chunk == 0) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	o.url = argv[optind + 1];

	if (!strcmp(cmd, "write"))
		return tio_cmd_io(&o, 'w');
	if (!strcmp(cmd, "verify"))
		return tio_cmd_io(&o, 'v');
	if (!strcmp(cmd, "writeverify"))
		return tio_cmd_io(&o, 'b');
	if (!strcmp(cmd, "mixed"))
		return tio_cmd_mixed(&o);
	if (!strcmp(cmd, "inquiry"))
		return tio_cmd_inquiry(&o);
	if (!strcmp(cmd, "capacity"))
		return tio_cmd_capacity(&o);
	if (!strcmp(cmd, "malformed"))
		return tio_cmd_malformed(&o);
	fprintf(stderr, "test-initiator: unknown command %s\n", cmd);
	usage(stderr);
	return 2;
}
