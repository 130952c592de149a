/* Exchange bookkeeping (see fc_exch.h). */
#include "procs/frontend-fc/fc_exch.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_frame.h"

static uint32_t hkey(uint32_t s_id, uint16_t ox_id)
{
	return ((s_id * 2654435761u) ^ ox_id * 40503u) % FC_EXCH_HASH;
}

void fc_exch_mgr_init(struct fc_exch_mgr *m)
{
	memset(m, 0, sizeof(*m));
	for (uint32_t i = FC_EXCH_MAX; i > 0; i--) {
		m->tab[i - 1].fnext = m->free_head;
		m->free_head = i;
	}
}

static struct fc_exch *by_pair(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id)
{
	for (uint32_t i = m->hash[hkey(s_id, ox_id)]; i; i = m->tab[i - 1].hnext) {
		struct fc_exch *x = &m->tab[i - 1];

		if (x->s_id == s_id && x->ox_id == ox_id)
			return x;
	}
	return NULL;
}

static void unhash(struct fc_exch_mgr *m, struct fc_exch *x)
{
	uint32_t idx = (uint32_t)(x - m->tab) + 1, *pp = &m->hash[hkey(x->s_id, x->ox_id)];

	while (*pp && *pp != idx)
		pp = &m->tab[*pp - 1].hnext;
	if (*pp)
		*pp = x->hnext;
}

struct fc_exch *fc_exch_open(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id)
{
	struct fc_exch *x;
	uint32_t idx, h;
	uint8_t gen;

	if (ox_id == FC_XID_UNKNOWN || by_pair(m, s_id, ox_id) || !m->free_head)
		return NULL;
	idx = m->free_head - 1;
	x = &m->tab[idx];
	m->free_head = x->fnext;
	gen = (uint8_t)((x->gen + 1) & 0x0f);
	memset(x, 0, sizeof(*x));
	x->gen = gen;
	x->s_id = s_id;
	x->ox_id = ox_id;
	/* an RX_ID is never FC_XID_UNKNOWN: generation 15 of index 4095 is
	 * skipped by starting generations at 0 and wrapping index 4095 at 14 */
	if (idx == FC_EXCH_MAX - 1 && x->gen == 0x0f)
		x->gen = 0;
	x->rx_id = (uint16_t)(x->gen << 12 | idx);
	x->state = FC_EXCH_OPEN;
	h = hkey(s_id, ox_id);
	x->hnext = m->hash[h];
	m->hash[h] = idx + 1;
	m->in_use++;
	return x;
}

struct fc_exch *fc_exch_find(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id,
			     uint16_t rx_id)
{
	struct fc_exch *x;

	if (rx_id == FC_XID_UNKNOWN) {
		x = by_pair(m, s_id, ox_id);
	} else {
		x = &m->tab[rx_id & 0x0fff];
		if (x->rx_id != rx_id || x->s_id != s_id || x->ox_id != ox_id)
			return NULL;
	}
	if (!x || (x->state != FC_EXCH_OPEN && x->state != FC_EXCH_ABORTED))
		return NULL;
	return x;
}

void fc_exch_abort(struct fc_exch_mgr *m, struct fc_exch *x)
{
	(void)m;
	if (x->state == FC_EXCH_OPEN)
		x->state = FC_EXCH_ABORTED;
}

static void exch_free(struct fc_exch_mgr *m, struct fc_exch *x)
{
	unhash(m, x);
	x->state = FC_EXCH_FREE;
	x->owner = NULL;
	x->fnext = m->free_head;
	m->free_head = (uint32_t)(x - m->tab) + 1;
	m->in_use--;
}

void fc_exch_done(struct fc_exch_mgr *m, struct fc_exch *x, uint64_t now_ms)
{
	if (x->state == FC_EXCH_ABORTED) {
		/* FC-FS-3 15.3: the Recovery Qualifier stays until RRQ or
		 * R_A_TOV, so a late frame of the old exchange is not taken
		 * for a new one */
		x->state = FC_EXCH_RRQ_WAIT;
		x->owner = NULL;
		x->deadline_ms = now_ms + FC_R_A_TOV_MS;
		return;
	}
	if (x->state == FC_EXCH_OPEN)
		exch_free(m, x);
}

int fc_exch_rrq(struct fc_exch_mgr *m, uint32_t s_id, uint16_t ox_id, uint16_t rx_id)
{
	struct fc_exch *x = by_pair(m, s_id, ox_id);

	if (!x || x->state != FC_EXCH_RRQ_WAIT ||
	    (rx_id != FC_XID_UNKNOWN && rx_id != x->rx_id))
		return -ENOENT;
	exch_free(m, x);
	return 0;
}

unsigned fc_exch_expire(struct fc_exch_mgr *m, uint64_t now_ms)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < FC_EXCH_MAX; i++) {
		struct fc_exch *x = &m->tab[i];

		if (x->state == FC_EXCH_RRQ_WAIT && now_ms >= x->deadline_ms) {
			exch_free(m, x);
			n++;
		}
	}
	return n;
}

void fc_exch_drop_port(struct fc_exch_mgr *m, uint32_t s_id,
		       void (*cb)(struct fc_exch *x, void *arg), void *arg)
{
	for (uint32_t i = 0; i < FC_EXCH_MAX; i++) {
		struct fc_exch *x = &m->tab[i];

		if (x->s_id != s_id || x->state == FC_EXCH_FREE)
			continue;
		if (x->state == FC_EXCH_RRQ_WAIT) {
			/* a logged-out port's qualifiers end with its login */
			exch_free(m, x);
			continue;
		}
		x->state = FC_EXCH_ABORTED;
		if (cb)
			cb(x, arg);
	}
}

int fc_exch_rx_frame(struct fc_exch *x, uint8_t seq_id, uint16_t seq_cnt, bool first,
		     bool end_seq)
{
	if (!x->rx_seq_open || seq_id != x->rx_seq_id) {
		/* a new sequence starts at its first frame; SEQ_CNT may
		 * continue from the previous sequence or restart at 0 */
		if (x->rx_seq_open && !first)
			return -EPROTO;
		x->rx_seq_id = seq_id;
		x->rx_seq_open = true;
	} else if (seq_cnt != x->rx_seq_cnt) {
		return -EPROTO; /* a lost or duplicated frame */
	}
	x->rx_seq_cnt = (uint16_t)(seq_cnt + 1);
	if (end_seq)
		x->rx_seq_open = false;
	return 0;
}
