/* Failed-login rate limiting per source address: after `burst` failures in a
 * row an address is refused for a while, doubling with each further failure
 * up to `max_block` seconds; `forget` seconds without failures clear it. A
 * success does not: else valid credentials for one target would reset the
 * count while guessing the secret of another.
 * Bounded table (least recently failed entry evicted). Pure: time is passed
 * in; unit tested. */
#ifndef MTGT_ISCSI_RATELIMIT_H
#define MTGT_ISCSI_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_ADDR_MAX 48

struct rl_entry {
	char     addr[RL_ADDR_MAX];   /* "" : free */
	uint32_t fails;
	double   last;                /* time of the last failure */
	double   until;               /* refused before this time */
};

struct iscsi_ratelimit {
	struct rl_entry *e;
	uint32_t cap;
	uint32_t burst;               /* failures allowed before blocking; 0: off */
	double   max_block;
	double   forget;
};

/* 0 or -ENOMEM. */
int  rl_init(struct iscsi_ratelimit *rl, uint32_t cap, uint32_t burst,
	     double max_block, double forget);
void rl_free(struct iscsi_ratelimit *rl);
/* The address part of "ip:port" or "[ip6]:port" (what rl_* take). */
void rl_addr_of(const char *peer, char *out, size_t n);
/* Is addr refused at time now? *left: seconds until it is not. */
bool rl_blocked(struct iscsi_ratelimit *rl, const char *addr, double now, double *left);
/* A failed authentication from addr at now. Returns the failures counted. */
uint32_t rl_fail(struct iscsi_ratelimit *rl, const char *addr, double now);

#endif
