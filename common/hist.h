/* Latency histograms of fixed size, log-linear in microseconds: 8 exact
 * buckets, then 4 per power of two (~19% resolution), up to about an hour.
 * Used by the core (per LU, per nexus) and the backends (per process). */
#ifndef MTGT_COMMON_HIST_H
#define MTGT_COMMON_HIST_H

#include <stdint.h>
#include <time.h>

#define HIST_BUCKETS 128

struct hist {
	uint64_t b[HIST_BUCKETS];
};

static inline uint64_t hist_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned hist_bucket(uint64_t us)
{
	unsigned msb, b;

	if (us < 8)
		return (unsigned)us;
	msb = 63u - (unsigned)__builtin_clzll(us);
	b = 8 + (msb - 3) * 4 + (unsigned)((us >> (msb - 2)) & 3);
	return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

static inline void hist_add(struct hist *h, uint64_t us)
{
	h->b[hist_bucket(us)]++;
}

/* The q-quantile (0 < q < 1) as the lower bound of its bucket; 0 if empty. */
uint64_t hist_pct(const struct hist *h, double q);

#endif
