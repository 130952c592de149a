/* Quiescing for a live upgrade of the core (supervisor/sup_core_handover.c).
 *
 * On CTL_QUIESCE (a state memfd sent with it is not needed: the state
 * segment is the handover) the core executes nothing new: requests that open work (CMD,
 * NEXUS_ADD, DISCOVER, TMF) are parked here in arrival order instead of run.
 * What in-flight commands still need keeps flowing: DATA_READY, backend
 * completions, and NEXUS_DEL (it only ends work). Once nothing is in flight,
 * the state segment is saved and the supervisor hears CTL_HANDOVER {"ok":true}.
 *
 * Then either the new core takes over the links (the frontends re-submit
 * every request the old core did not answer, parked ones included, so the
 * parked copies are simply dropped with this process), or the handover is
 * rolled back (CTL_RESUME) and the parked requests run here in their order. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_state.h"
#include "procs/core/core_xcopy.h"

#define PARK_MAX 65536

struct parked {
	uint32_t link;
	uint32_t gen;
	union msg m;
};

static struct parked *park;
static uint32_t npark, park_cap;
static bool told;

void core_quiesce_begin(struct core *co)
{
	if (co->quiescing)
		return;
	co->quiescing = true;
	told = false;
	log_info("quiescing: %u commands in flight", core_cmds_busy(co));
}

bool core_quiesce_room(const struct core *co)
{
	return !co->quiescing || npark < PARK_MAX;
}

bool core_quiesce_park(struct core *co, struct core_link *cl, const union msg *m)
{
	uint8_t t = m->h.type;

	if (!co->quiescing ||
	    (t != MSG_CMD && t != MSG_NEXUS_ADD && t != MSG_DISCOVER && t != MSG_TMF))
		return false;
	if (npark == park_cap) {
		uint32_t n = park_cap ? park_cap * 2 : 256;
		struct parked *p = n <= PARK_MAX ? realloc(park, n * sizeof(*p)) : NULL;

		if (!p)
			return false; /* cannot happen: core_quiesce_room() said so */
		park = p;
		park_cap = n;
	}
	park[npark].link = cl->id;
	park[npark].gen = cl->gen;
	park[npark].m = *m;
	npark++;
	return true;
}

void core_quiesce_poll(struct core *co)
{
	if (!co->quiescing || told || core_cmds_busy(co))
		return;
	core_state_dirty = true;
	core_state_save(co);
	told = true;
	log_info("quiesced: nothing in flight, state saved, %u requests parked", npark);
	/* the state is in the segment: nothing travels with the answer */
	ctl_send(CHILD_CTL_FD, CTL_HANDOVER, "{\"ok\":true,\"len\":0}", 19, NULL, 0);
}

void core_quiesce_resume(struct core *co)
{
	uint32_t i;

	if (!co->quiescing)
		return;
	co->quiescing = false;
	log_info("resuming: the handover was rolled back; running %u parked requests", npark);
	for (i = 0; i < npark; i++) {
		struct core_link *cl = core_link_get(co, park[i].link);

		/* a frontend that was replaced meanwhile re-submits on its own */
		if (cl && cl->up && !cl->broken && cl->gen == park[i].gen)
			core_handle_frontend(co, cl, &park[i].m);
	}
	npark = 0;
	/* a sanitize paused for the handover goes on */
	core_sanitize_resume(co);
}
