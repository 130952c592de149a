/* The frontend side of the frontend<->core link, for any transport: request
 * tags (generation << 32 | slot, so a stale or forged tag from the core is
 * caught), a local backlog when the ring is full (the transport stops taking
 * new work: back-pressure, nothing dropped), draining and validating
 * completions, and the libev watchers that publish once per loop iteration
 * and sleep without losing a wakeup (DESIGN.md, "Links").
 *
 * mtgt-srp uses it; mtgt-iscsi's iscsi_core.c is the same design written
 * against its own structures (moving it onto this module is a follow-up that
 * touches files other work is editing). */
#ifndef MTGT_COMMON_FE_LINK_H
#define MTGT_COMMON_FE_LINK_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "shm/link.h"
#include "shm/msg.h"

struct child;
struct fe_link;

struct fe_req_slot {
	uint32_t gen;
	uint32_t next_free;
	uint8_t  kind;       /* caller's kind; 0 = free */
	void    *obj;
	uint64_t seq;        /* order of the last request sent under it; 0 = none */
	union msg msg;       /* that request, for a new core (ops->replay) */
};

struct fe_link_ops {
	/* A completion for a request of `kind` with object obj; the slot is
	 * already freed unless the ops said keep (see keep()). Return false
	 * when the message does not fit its request (a violation). */
	bool (*msg)(struct fe_link *l, const union msg *m, uint8_t kind, void *obj);
	/* Does a message of this type keep its request open (XFER_RDY)? */
	bool (*keep)(const union msg *m);
	/* The core broke the protocol or its ring: every session must go. */
	void (*dead)(struct fe_link *l, const char *why);
	/* The backlog started (true) or emptied (false): stop/resume intake. */
	void (*blocked)(struct fe_link *l, bool blocked);
	/* Once per loop iteration before sleeping: flush transport work. */
	void (*flush)(struct fe_link *l);
	/* A message the core sends unasked (tag 0: MSG_ASYNC_EVENT where the
	 * core has it); NULL: such a message is a violation. Return false when
	 * it is malformed. */
	bool (*unsolicited)(struct fe_link *l, const union msg *m);
	/* A new core incarnation took over (fe_link_up): the old one will never
	 * answer the request of `kind` naming obj; its slot is already freed. */
	void (*abandon)(struct fe_link *l, uint8_t kind, void *obj);
	/* A new core took over: the request of `kind` naming obj (its last
	 * message, m) was not answered. Return true to send m (which it may
	 * change) to the new core with MSG_FLAG_REPLAY; false to abandon it.
	 * NULL: every unanswered request is abandoned. */
	bool (*replay)(struct fe_link *l, uint8_t kind, void *obj, union msg *m);
};

struct fe_link {
	struct child *c;
	struct link *link;
	struct ev_loop *loop;
	const struct fe_link_ops *ops;
	void    *user;
	bool     ok;
	uint32_t spin_us;
	uint32_t poll_us;        /* poll window after a request or an answer (0: off) */
	ev_tstamp poll_until;
	uint32_t inflight;
	struct fe_req_slot *slots;
	uint32_t nslots, free_slot;
	union msg *backlog;
	uint32_t bl_head, bl_len, bl_cap;
	uint32_t pushed;
	uint64_t req_seq;
	bool     blocked, prod_waiting, cons_sleeping;
	bool     held;           /* core gone: waiting for CTL_LINK_UP */
	uint32_t *held_del;      /* NEXUS_DELs for the next core */
	uint32_t nheld_del, held_cap;
	ev_io    wake_w;
	ev_prepare prep;
	ev_check chk;
	ev_idle  idle;
};

/* The default poll window: see fe_link.c, prepare_cb. */
#define FE_LINK_POLL_US 200

int  fe_link_init(struct fe_link *l, struct child *c, struct link *lk, struct ev_loop *loop,
		  const struct fe_link_ops *ops, void *user);
/* A new request tag naming obj (0 when out of memory). */
uint64_t fe_req_new(struct fe_link *l, uint8_t kind, void *obj);
void fe_req_set(struct fe_link *l, uint64_t tag, void *obj);
void fe_req_free(struct fe_link *l, uint64_t tag);
/* Queue a message (the backlog keeps it when the ring is full). */
void fe_link_send(struct fe_link *l, const union msg *m);
void fe_link_publish(struct fe_link *l);
void fe_link_poll(struct fe_link *l);
/* Report the core and stop using the link. */
void fe_link_violation(struct fe_link *l, const char *why);
/* CTL_LINK_DOWN: the core died (the supervisor keeps the frontends through
 * a core restart): send nothing until fe_link_up(); requests wait in their
 * slots (ops->replay), NEXUS_DELs are kept for the next core. */
void fe_link_down(struct fe_link *l);
/* CTL_LINK_UP: attach the new core's link (m carries the description and
 * fds), take the old ring's last answers, re-submit (ops->replay) or abandon
 * every request the old core did not answer, in the order they were sent,
 * then send the held NEXUS_DELs. Returns 0, or -EINVAL for a description
 * that cannot be used. */
struct ctl_msg;
int  fe_link_up(struct fe_link *l, struct ctl_msg *m);

#endif
