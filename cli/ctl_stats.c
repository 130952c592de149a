/* `mtgtctl stats`: two stats.get samples a second apart give IOPS and
 * bandwidth; latency percentiles come from the core's histograms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl_rpc.h"
#include "cli/ctl_stats.h"

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0;
}

static json_t *match(json_t *arr, json_t *row, const char *k1, const char *k2)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (json_equal(json_object_get(e, k1), json_object_get(row, k1)) &&
		    json_equal(json_object_get(e, k2), json_object_get(row, k2)))
			return e;
	return NULL;
}

static json_t *core_of(json_t *s)
{
	return json_object_get(json_object_get(s, "processes"), "core");
}

static void print_rates(json_t *a, json_t *b)
{
	double dt = num(b, "time") - num(a, "time");
	json_t *ca = core_of(a), *cb = core_of(b), *r;
	const char *name;
	size_t i;

	if (dt <= 0)
		dt = 1;
	printf("%-40s %5s %9s %9s %9s %8s %8s %8s\n", "LUN", "", "IOPS", "RD MB/s", "WR MB/s",
	       "P50 us", "P99 us", "P999 us");
	json_array_foreach(json_object_get(cb, "luns"), i, r) {
		json_t *o = match(json_object_get(ca, "luns"), r, "target", "lun");
		json_t *lat = json_object_get(r, "lat_us");

		printf("%-40s %5lld %9.0f %9.2f %9.2f %8.0f %8.0f %8.0f\n",
		       json_string_value(json_object_get(r, "target")),
		       (long long)num(r, "lun"), (num(r, "ios") - num(o, "ios")) / dt,
		       (num(r, "bytes_read") - num(o, "bytes_read")) / dt / 1e6,
		       (num(r, "bytes_written") - num(o, "bytes_written")) / dt / 1e6,
		       num(lat, "p50"), num(lat, "p99"), num(lat, "p999"));
	}
	printf("\n%-34s %-14s %6s %9s %9s %8s %8s %8s\n", "SESSION (initiator)", "ISID", "INFL",
	       "IOPS", "MB/s", "P50 us", "P99 us", "P999 us");
	json_array_foreach(json_object_get(cb, "nexuses"), i, r) {
		json_t *o = match(json_object_get(ca, "nexuses"), r, "link", "nexus");
		json_t *lat = json_object_get(r, "lat_us");

		printf("%-34s %-14s %6lld %9.0f %9.2f %8.0f %8.0f %8.0f\n",
		       json_string_value(json_object_get(r, "initiator")),
		       json_string_value(json_object_get(r, "isid")),
		       (long long)num(r, "in_flight"), (num(r, "ios") - num(o, "ios")) / dt,
		       (num(r, "bytes_read") + num(r, "bytes_written") - num(o, "bytes_read") -
			num(o, "bytes_written")) / dt / 1e6,
		       num(lat, "p50"), num(lat, "p99"), num(lat, "p999"));
	}
	printf("\n%-16s %9s %10s %15s %9s %8s %8s %8s\n", "PROCESS", "IN FLIGHT", "RING DEPTH",
	       "POOL USED", "IOPS", "P50 us", "P99 us", "P999 us");
	json_object_foreach(json_object_get(b, "processes"), name, r) {
		json_t *pool = json_object_get(r, "pool_used");
		json_t *o = json_object_get(json_object_get(a, "processes"), name);
		json_t *lat = json_object_get(r, "lat_us");

		printf("%-16s %9lld %10lld %15s %9.0f", name, (long long)num(r, "in_flight"),
		       (long long)num(r, "ring_depth"),
		       pool ? json_string_value(pool) ?: "" : "-",
		       (num(r, "ios") - num(o, "ios")) / dt);
		if (lat)
			printf(" %8.0f %8.0f %8.0f\n", num(lat, "p50"), num(lat, "p99"),
			       num(lat, "p999"));
		else
			printf(" %8s %8s %8s\n", "-", "-", "-");
	}
}

int ctl_stats(const char *sock, int argc, char **argv, bool as_json)
{
	bool watch = false;
	long count = 1;
	json_t *prev = NULL, *cur = NULL;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--watch")) {
			watch = true;
			count = -1;
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], NULL, 10);
			watch = true;
		} else {
			fprintf(stderr, "mtgtctl: stats: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (ctl_rpc_call(sock, "stats.get", NULL, &prev, err, sizeof(err))) {
		fprintf(stderr, "mtgtctl: %s\n", err);
		return 1;
	}
	for (long n = 0; count < 0 || n < count; n++) {
		sleep(1);
		if (ctl_rpc_call(sock, "stats.get", NULL, &cur, err, sizeof(err))) {
			fprintf(stderr, "mtgtctl: %s\n", err);
			json_decref(prev);
			return 1;
		}
		if (as_json) {
			char *s = json_dumps(cur, JSON_INDENT(2));

			printf("%s\n", s);
			free(s);
		} else {
			if (watch && n)
				printf("\n");
			print_rates(prev, cur);
		}
		fflush(stdout);
		json_decref(prev);
		prev = cur;
	}
	json_decref(prev);
	return 0;
}
