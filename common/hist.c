#include "common/hist.h"

static uint64_t bucket_low(unsigned b)
{
	unsigned msb;

	if (b < 8)
		return b;
	msb = (b - 8) / 4 + 3;
	return (uint64_t)(4 + (b - 8) % 4) << (msb - 2);
}

uint64_t hist_pct(const struct hist *h, double q)
{
	uint64_t total = 0, want, seen = 0;

	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		total += h->b[b];
	if (!total)
		return 0;
	want = (uint64_t)(q * (double)total);
	if (want >= total)
		want = total - 1;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen > want)
			return bucket_low(b);
	}
	return 0;
}
