/* Raising unit attentions from the rest of the core, and I_T nexus loss: an
 * initiator port whose nexus was lost sees 29/07 instead of POWER ON when it
 * comes back. Lost ports are remembered in a bounded table (oldest dropped). */
#include <string.h>
#include <strings.h>

#include "procs/core/core.h"
#include "procs/core/core_state.h"

#define LOST_MAX 1024

struct lost_port {
	const struct core_target *tgt;
	uint64_t isid;
	char name[MSG_NAME_MAX];
};

static struct lost_port lost[LOST_MAX];
static uint32_t lost_next;

void core_ua_raise(struct core_target *t, int lun_index, uint16_t bit,
		   const struct core_nexus *except)
{
	for (struct clist_node *n = t->nexuses.first; n; n = n->next) {
		struct core_nexus *nx = clist_entry(n, struct core_nexus, tnode);

		if (nx == except)
			continue;
		if (lun_index >= 0) {
			core_ua_set(nx, (uint32_t)lun_index, bit);
			continue;
		}
		for (uint32_t i = 0; i < t->nluns; i++)
			core_ua_set(nx, i, bit);
	}
	core_state_dirty = true;
}

void core_ua_set(struct core_nexus *nx, uint32_t lun_index, uint16_t bit)
{
	bool fresh = !(nx->ua[lun_index] & bit);

	nx->ua[lun_index] |= bit;
	core_state_dirty = true;
	if (fresh && nx->async)
		core_async_ua(nx, lun_index, bit);
}

void core_ua_nexus_lost(const struct core_nexus *nx)
{
	struct lost_port *p = &lost[lost_next++ % LOST_MAX];

	p->tgt = nx->tgt;
	p->isid = nx->isid;
	memcpy(p->name, nx->initiator, sizeof(p->name));
}

void core_ua_nexus_new(struct core_nexus *nx)
{
	uint16_t bit = SCSI_UA_POWER_ON;

	for (uint32_t i = 0; i < LOST_MAX; i++) {
		struct lost_port *p = &lost[i];

		if (p->tgt == nx->tgt && p->isid == nx->isid &&
		    strcasecmp(p->name, nx->initiator) == 0) {
			bit = SCSI_UA_NEXUS_LOSS;
			p->tgt = NULL;
			break;
		}
	}
	for (uint32_t i = 0; i < nx->tgt->nluns; i++)
		nx->ua[i] = bit;
}
