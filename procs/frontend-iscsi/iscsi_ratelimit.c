/* Failed-login rate limiting per source address (see iscsi_ratelimit.h). */
#include "procs/frontend-iscsi/iscsi_ratelimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rl_init(struct iscsi_ratelimit *rl, uint32_t cap, uint32_t burst,
	    double max_block, double forget)
{
	memset(rl, 0, sizeof(*rl));
	rl->e = calloc(cap ? cap : 1, sizeof(*rl->e));
	if (!rl->e)
		return -ENOMEM;
	rl->cap = cap ? cap : 1;
	rl->burst = burst;
	rl->max_block = max_block;
	rl->forget = forget;
	return 0;
}

void rl_free(struct iscsi_ratelimit *rl)
{
	free(rl->e);
	rl->e = NULL;
	rl->cap = 0;
}

void rl_addr_of(const char *peer, char *out, size_t n)
{
	const char *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);

	if (len >= n)
		len = n - 1;
	memcpy(out, peer, len);
	out[len] = '\0';
}

static struct rl_entry *find(struct iscsi_ratelimit *rl, const char *addr)
{
	for (uint32_t i = 0; i < rl->cap; i++)
		if (rl->e[i].addr[0] && !strcmp(rl->e[i].addr, addr))
			return &rl->e[i];
	return NULL;
}

static void expire(struct iscsi_ratelimit *rl, struct rl_entry *e, double now)
{
	if (e && now - e->last > rl->forget && now >= e->until)
		memset(e, 0, sizeof(*e));
}

bool rl_blocked(struct iscsi_ratelimit *rl, const char *addr, double now, double *left)
{
	struct rl_entry *e;

	*left = 0;
	if (!rl->e || !rl->burst)
		return false;
	e = find(rl, addr);
	expire(rl, e, now);
	if (!e || !e->addr[0] || now >= e->until)
		return false;
	*left = e->until - now;
	return true;
}

uint32_t rl_fail(struct iscsi_ratelimit *rl, const char *addr, double now)
{
	struct rl_entry *e, *victim = NULL;

	if (!rl->e || !rl->burst)
		return 0;
	e = find(rl, addr);
	expire(rl, e, now);
	if (!e || !e->addr[0]) {
		for (uint32_t i = 0; i < rl->cap; i++) {
			expire(rl, &rl->e[i], now);
			if (!rl->e[i].addr[0]) {
				victim = &rl->e[i];
				break;
			}
			if (!victim || rl->e[i].last < victim->last)
				victim = &rl->e[i];
		}
		e = victim;
		memset(e, 0, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
	}
	e->fails++;
	e->last = now;
	if (e->fails >= rl->burst) {
		uint32_t over = e->fails - rl->burst;
		double block = over >= 30 ? rl->max_block : (double)(1u << over);

		if (block > rl->max_block)
			block = rl->max_block;
		e->until = now + block;
	}
	return e->fails;
}
