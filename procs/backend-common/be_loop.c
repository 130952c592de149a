/* The serving loop: take batches of MSG_IO off each link, start them, publish
 * the completions once per batch, and spin briefly before sleeping on the
 * eventfds (link wakeups, the kind's completion fd, the control socket). */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-common/be_impl.h"

static void be_link_violation(struct be *b, struct be_link *bl, const char *why)
{
	if (!bl->live)
		return;
	log_err("link %u: core broke the protocol: %s; no longer serving it",
		bl->id, why);
	b->st.violations++;
	bl->live = false;
	child_violation(&b->c, bl->id, why);
}

void be_io_done(struct be *b, struct be_io *io, int32_t result, uint32_t length)
{
	struct be_link *bl = io->link;

	b->in_kind--;
	io->result = result;
	io->length = length;
	io->next = NULL;
	if (bl->done_tail)
		bl->done_tail->next = io;
	else
		bl->done_head = io;
	bl->done_tail = io;
	b->st.ios++;
	hist_add(&b->st.lat, (hist_now_ns() - io->t0_ns) / 1000);
	if (result < 0)
		b->st.errors++;
	else if (io->req.op == MSG_IO_READ)
		b->st.bytes_read += length;
	else if (io->req.op == MSG_IO_WRITE)
		b->st.bytes_written += length;
}

static void be_slot_put(struct be *b, struct be_io *io)
{
	io->next = b->free_slots;
	b->free_slots = io;
	b->busy_slots--;
}

/* Move finished I/O into the completion ring; one publication per call. */
static uint32_t be_push_done(struct be *b, struct be_link *bl)
{
	uint32_t n = 0;

	while (bl->done_head) {
		struct be_io *io = bl->done_head;
		union msg *m;
		int err;

		/* A link we gave up on keeps nothing: the core behind it is
		 * being replaced and will resubmit. */
		if (bl->live) {
			m = ring_prod_reserve(&bl->l->tx, &err);
			if (!m) {
				if (err)
					be_link_violation(b, bl, "impossible head on the completion ring");
				if (bl->live)
					break;
			} else {
				m->io_done.h.type = MSG_IO_DONE;
				m->io_done.h.flags = io->done_flags;
				m->io_done.h.tag = io->req.h.tag;
				m->io_done.result = io->result;
				m->io_done.length = io->length;
				ring_prod_push(&bl->l->tx);
				n++;
			}
		}
		bl->done_head = io->next;
		if (!bl->done_head)
			bl->done_tail = NULL;
		bl->outstanding--;
		be_slot_put(b, io);
	}
	if (n)
		ring_prod_publish(&bl->l->tx);
	return n;
}

/* How many submissions we may take now: each must be sure of a completion
 * slot (ring space not already promised to work in progress) and an I/O slot. */
static uint32_t be_link_budget(struct be *b, struct be_link *bl)
{
	uint32_t used, room;

	if (!bl->live || b->draining || !b->free_slots)
		return 0;
	used = ring_prod_inflight(&bl->l->tx) + bl->outstanding;
	room = used >= bl->l->tx.count ? 0 : bl->l->tx.count - used;
	if (room > b->tune.batch)
		room = b->tune.batch;
	if (room > b->tune.queue_depth - b->busy_slots)
		room = b->tune.queue_depth - b->busy_slots;
	return room;
}

static uint32_t be_take(struct be *b, struct be_link *bl)
{
	uint32_t budget = be_link_budget(b, bl), n = 0;

	while (n < budget) {
		union msg m;
		struct be_io *io;
		struct be_dev *dev;
		const char *why;
		void *buf;
		int rc = ring_cons_pop(&bl->l->rx, &m);

		if (rc == 0)
			break;
		if (rc < 0) {
			be_link_violation(b, bl, "impossible tail on the submission ring");
			break;
		}
		if (be_io_check(&m, b->devs, b->ndevs, &b->c.pool, &dev, &buf, &why)) {
			be_link_violation(b, bl, why);
			break;
		}
		io = b->free_slots;
		b->free_slots = io->next;
		b->busy_slots++;
		io->req = m.io;
		io->t0_ns = hist_now_ns();
		io->buf = buf;
		io->dev = dev;
		io->link = bl;
		io->next = NULL;
		io->done = 0;
		io->stage = 0;
		io->done_flags = 0;
		bl->outstanding++;
		b->in_kind++;
		n++;
		if (dev->readonly && io->req.op != MSG_IO_READ &&
		    io->req.op != MSG_IO_FLUSH && io->req.op != MSG_IO_LBA_STATUS)
			be_io_done(b, io, -EROFS, 0);
		else if (io->req.op != MSG_IO_FLUSH && io->req.length == 0)
			be_io_done(b, io, 0, 0);
		else if (io->req.op == MSG_IO_LBA_STATUS)
			be_lba_status(b, io);
		else
			b->ops->submit(b, io);
	}
	return n;
}

/* One pass over everything; returns true if anything moved. */
static bool be_pass(struct be *b)
{
	bool progress = false;
	uint32_t taken = 0;

	if (b->ops->poll && b->ops->poll(b) > 0)
		progress = true;
	for (uint32_t i = 0; i < b->nlinks; i++)
		taken += be_take(b, &b->links[i]);
	if (taken) {
		progress = true;
		b->st.batches++;
		if (b->ops->flush)
			b->ops->flush(b);
	}
	for (uint32_t i = 0; i < b->nlinks; i++) {
		struct be_link *bl = &b->links[i];

		if (be_push_done(b, bl))
			progress = true;
		/* Also hands back slots of stale messages that pop skipped;
		 * a no-op when nothing was consumed. */
		if (bl->live)
			ring_cons_release(&bl->l->rx);
	}
	return progress;
}

/* NEED_WAKEUP on every ring that can make progress for us, then block. A
 * ring that changed while we armed cancels the sleep. */
static void be_sleep(struct be *b)
{
	bool rx_armed[CHILD_MAX_LINKS] = { false }, tx_armed[CHILD_MAX_LINKS] = { false };
	bool may_sleep = true;

	for (uint32_t i = 0; i < b->nlinks && may_sleep; i++) {
		struct be_link *bl = &b->links[i];

		if (!bl->live)
			continue;
		if (be_link_budget(b, bl)) {
			rx_armed[i] = true;
			if (!ring_cons_prepare_sleep(&bl->l->rx))
				may_sleep = false;
		}
		/* A full completion ring stops us (completions queued, or no
		 * room to take more): the core frees space and wakes us. */
		if (bl->done_head ||
		    ring_prod_inflight(&bl->l->tx) >= bl->l->tx.count) {
			tx_armed[i] = true;
			if (!ring_prod_prepare_wait(&bl->l->tx))
				may_sleep = false;
		}
	}
	if (may_sleep) {
		b->st.sleeps++;
		ev_run(b->loop, EVRUN_ONCE);
	}
	for (uint32_t i = 0; i < b->nlinks; i++) {
		if (rx_armed[i])
			ring_cons_end_sleep(&b->links[i].l->rx);
		if (tx_armed[i])
			ring_prod_end_wait(&b->links[i].l->tx);
	}
}

/* Shutdown may exit once no I/O is left in the kind: every write we accepted
 * has reached the file. Completions are then published as far as the rings
 * allow; the core is normally stopped before us and will not read them. */
static bool be_drained(struct be *b)
{
	return b->drain_expired || b->in_kind == 0;
}

static void be_wake_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct be_link *bl = w->data;

	link_drain_wake(bl->l);
}

void be_link_watch(struct be *b, struct be_link *bl)
{
	ev_io_init(&bl->wake_w, be_wake_cb, bl->l->wake_self, EV_READ);
	bl->wake_w.data = bl;
	ev_io_start(b->loop, &bl->wake_w);
}

void be_run(struct be *b)
{
	uint32_t idle = 0, since_ev = 0;
	uint64_t poll_end = 0;

	for (;;) {
		if (be_pass(b)) {
			idle = 0;
			poll_end = 0;
			/* Keep the control channel served under load too. */
			if (++since_ev >= 256) {
				since_ev = 0;
				ev_run(b->loop, EVRUN_NOWAIT);
			}
			continue;
		}
		if (b->draining && be_drained(b))
			return;
		if (idle++ < b->tune.spin) {
			/* Let a peer that shares our CPU run: it is the one
			 * that will give us work. */
			if (b->tune.yield && idle % b->tune.yield == 0)
				sched_yield();
			else
				ring_pause();
			continue;
		}
		/* The poll window, timed from the first idle pass after work:
		 * yield on every pass so that a peer on our CPU runs at once. */
		if (b->tune.poll_us) {
			uint64_t now = hist_now_ns();

			if (!poll_end)
				poll_end = now + b->tune.poll_us * 1000ull;
			if (now < poll_end) {
				sched_yield();
				if (++since_ev >= 256) {
					since_ev = 0;
					ev_run(b->loop, EVRUN_NOWAIT);
				}
				continue;
			}
		}
		idle = 0;
		since_ev = 0;
		poll_end = 0;
		be_sleep(b);
	}
}
