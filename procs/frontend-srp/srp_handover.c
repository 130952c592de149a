/* Live upgrade of mtgt-srp (`mtgtctl proc upgrade srp0`), frontend side.
 *
 * The supervisor runs it like the iSCSI frontend's upgrade
 * (supervisor/sup_upgrade_iscsi.c): the new instance starts beside the old
 * one on the same core link, epoch and CM sockets, with "handover": true.
 *
 When every port's transport can export its connections (soft), the
 * channels themselves move (try_move: srp_handover_state.c writes them, the
 * new instance checks them in srp_handover_parse.c before adopting any). A
 * channel is an RC connection with posted receives, memory registrations
 * and credits; on verbs a queue pair cannot leave its process, so there, or
 * when the channels cannot move, they are closed instead:
 *
 * Old instance, on CTL_QUIESCE: stops taking connections and reading IUs
 *   (what initiators send next waits in their sockets, unread: those
 *   commands were never received, so never executed); lets every command
 *   already received finish and its SRP_RSP go out (an acknowledged write
 *   is on the backend); then ends every channel with T_LOGOUT (no reason
 *   given) and its nexus with NEXUS_DEL, answers HANDOVER ok with the next
 *   nexus id, and goes passive until RETIRE (exit) or RESUME (rollback:
 *   serve again; the initiators log in again to it). Not idle within the
 *   deadline: it serves on and says why, and the supervisor does a plain
 *   restart (the same drain through SHUTDOWN). A verbs port cannot pause:
 *   the answer is "no", so the upgrade is a plain restart.
 * New instance: keeps off the ring and the CM sockets; on CTL_HANDOVER
 *   takes the nexus numbering, on CTL_RESUME picks the ring up where the old
 *   one left it and accepts the connections that queued up meanwhile.
 *
 * The initiator sees a T_LOGOUT and a disconnect, logs in again (its
 * connect waits in the listen backlog, never refused), gets 29/07 (I_T
 * NEXUS LOSS) once and re-issues the commands that had no answer. */
#include "procs/frontend-srp/srp_handover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "shm/ring.h"

#define HO_TICK 0.005

/* HO_REFUSED: the new instance refused the state; what it may have
 * adopted before it found the fault is never served (the supervisor kills
 * it, the old instance serves on) */
enum ho_mode { HO_NONE = 0, HO_QUIESCING, HO_PASSIVE, HO_INCOMING, HO_LOADED, HO_REFUSED };

static struct {
	enum ho_mode mode;
	struct srp_tgt *t;
	int      memfd;           /* the supervisor's, for the state */
	uint32_t max;             /* its size */
	ev_tstamp deadline;
	bool     closed;          /* channels ended */
	uint32_t nchans, nsess;   /* what was ended, for the report */
	ev_timer tick;
} ho = { .memfd = -1 };

static void reply_fds(bool ok, const char *reason, json_t *extra, const int *fds, int nfds)
{
	json_t *j = extra ? extra : json_object();
	char *s;

	json_object_set_new(j, "ok", json_boolean(ok));
	if (reason)
		json_object_set_new(j, "reason", json_string(reason));
	s = json_dumps(j, JSON_COMPACT);
	if (s)
		ctl_send(CHILD_CTL_FD, CTL_HANDOVER, s, strlen(s), fds, nfds);
	free(s);
	json_decref(j);
}

static void reply(bool ok, const char *reason, json_t *extra)
{
	reply_fds(ok, reason, extra, NULL, 0);
}

static void ports(struct srp_tgt *t, bool on)
{
	for (uint32_t i = 0; i < t->nports; i++) {
		if (on && !t->intake_paused) {
			ev_io_start(t->loop, &t->ports[i].w);
			ev_feed_event(t->loop, &t->ports[i].w, EV_READ);
		} else if (!on) {
			ev_io_stop(t->loop, &t->ports[i].w);
		}
	}
}

static void core_watchers(struct srp_tgt *t, bool on)
{
	struct fe_link *l = &t->fl;

	if (on) {
		ev_io_start(t->loop, &l->wake_w);
		ev_prepare_start(t->loop, &l->prep);
		ev_check_start(t->loop, &l->chk);
		ev_idle_start(t->loop, &l->idle); /* poll once before sleeping */
	} else {
		ev_io_stop(t->loop, &l->wake_w);
		ev_prepare_stop(t->loop, &l->prep);
		ev_check_stop(t->loop, &l->chk);
		ev_idle_stop(t->loop, &l->idle);
	}
}

static void pause_ports(struct srp_tgt *t, bool paused)
{
	for (uint32_t i = 0; i < t->nports; i++)
		t->ports[i].ops->pause(t->ports[i].x, paused);
}

/* ---- old instance ---- */

static const char *busy_reason(struct srp_tgt *t)
{
	static char why[96];

	if (t->wait_head)
		return "commands waiting for pool space";
	for (struct srp_chan *ch = t->chans; ch; ch = ch->next) {
		if (ch->state == CH_LOGIN)
			return "a login waits for the core";
		if (ch->ncmds || ch->txq) {
			snprintf(why, sizeof(why), "channel %llu: %u commands in progress",
				 (unsigned long long)ch->id, ch->ncmds);
			return why;
		}
	}
	if (t->fl.inflight) {
		snprintf(why, sizeof(why), "%u requests at the core", t->fl.inflight);
		return why;
	}
	return NULL;
}

static void serve_again(struct srp_tgt *t)
{
	ev_timer_stop(t->loop, &ho.tick);
	ho.mode = HO_NONE;
	pause_ports(t, false);
	core_watchers(t, true);
	ports(t, true);
}

static void go_passive(struct srp_tgt *t)
{
	ev_timer_stop(t->loop, &ho.tick);
	/* the new instance produces into the ring from here on */
	core_watchers(t, false);
	ports(t, false);
	ho.mode = HO_PASSIVE;
}

#ifdef MTGT_TEST_HOOKS
/* Test builds: MTGT_TEST_HANDOVER_CORRUPT=cycle in the environment spoils
 * the state of the first five handovers, each in another way, so the tests
 * can see the new instance refuse it and this one serve on. */
static void test_corrupt(char **txt)
{
	static unsigned n;
	const char *e = getenv("MTGT_TEST_HANDOVER_CORRUPT");
	json_t *doc, *c0, *s0;
	char *out;

	if (!e || strcmp(e, "cycle") || n >= 5)
		return;
	doc = json_loads(*txt, 0, NULL);
	c0 = json_array_get(json_object_get(doc, "channels"), 0);
	s0 = json_array_get(json_object_get(doc, "sessions"), 0);
	if (!c0 || !s0) {
		json_decref(doc);
		return;
	}
	switch (n++) {
	case 0: json_object_set_new(c0, "req_lim", json_integer(100000)); break;
	case 1: json_object_set_new(c0, "fd", json_integer(1)); break;
	case 2: json_object_set(s0, "nexus", json_object_get(doc, "next_nexus")); break;
	case 3: json_object_set_new(json_array_get(json_object_get(json_object_get(c0, "conn"),
								   "mrs"), 0),
				    "length", json_integer(0)); break;
	default: (*txt)[strlen(*txt) / 2] = 0; json_decref(doc); doc = NULL; break;
	}
	log_warn("upgrade: test hook: handing over a spoiled state");
	out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (out) {
		free(*txt);
		*txt = out;
	}
}
#endif

/* Hand the channels themselves over (every port's transport can move its
 * connections): 0 done, -EBUSY not yet, other: they cannot move. */
static int try_move(struct srp_tgt *t)
{
	int fds[CTL_MAX_FDS], nfds = 0, r;
	uint32_t nsess = 0;
	char *txt = NULL;
	size_t len;

	if (ho.memfd < 0)
		return -ENOTSUP;
	/* the supervisor adds its memfd in front of ours */
	r = srp_ho_serialize(t, &txt, fds, &nfds, CTL_MAX_FDS - 1);
	if (r < 0)
		return r;
#ifdef MTGT_TEST_HOOKS
	test_corrupt(&txt);
#endif
	len = strlen(txt);
	if (len > ho.max || pwrite(ho.memfd, txt, len, 0) != (ssize_t)len) {
		free(txt);
		return -ENOSPC;
	}
	free(txt);
	for (struct srp_sess *s = t->sessions; s; s = s->next)
		nsess++;
	fe_link_publish(&t->fl);
	go_passive(t);
	log_info("upgrade: %u channels of %u sessions handed over", t->nchans, nsess);
	reply_fds(true, NULL, json_pack("{s:I, s:I, s:I, s:b}", "len", (json_int_t)len,
					"sessions", (json_int_t)nsess, "connections",
					(json_int_t)t->nchans, "moved", 1), fds, nfds);
	return 0;
}

static void quiesce_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct srp_tgt *t = ho.t;
	const char *why;
	char msg[160];

	if (!ho.closed) {
		why = busy_reason(t);
		if (why && ev_now(loop) < ho.deadline)
			return;
		if (why) {
			snprintf(msg, sizeof(msg), "not idle within the deadline: %s", why);
			log_warn("upgrade: %s; serving on", msg);
			serve_again(t);
			reply(false, msg, NULL);
			return;
		}
		int r = try_move(t);

		if (r == 0 || (r == -EBUSY && ev_now(loop) < ho.deadline))
			return;
		if (r != -ENOTSUP)
			log_info("upgrade: channels cannot move (%s): ending them", strerror(-r));
		for (struct srp_sess *s = t->sessions; s; s = s->next)
			ho.nsess++;
		ho.nchans = t->nchans;
		/* every command answered: end the channels, then the nexuses */
		srp_all_close(t, "target upgrading");
		ho.closed = true;
	}
	fe_link_publish(&t->fl);
	if ((t->sessions || t->fl.bl_len || !t->fl.ok) && ev_now(loop) < ho.deadline)
		return;
	ev_timer_stop(loop, w);
	if (t->sessions || t->fl.bl_len || !t->fl.ok) {
		/* the channels are gone already: a plain restart loses nothing */
		serve_again(t);
		reply(false, "nexus removals did not reach the core in time", NULL);
		return;
	}
	go_passive(t);
	log_info("upgrade: %u channels of %u sessions ended; handing over", ho.nchans, ho.nsess);
	reply(true, NULL, json_pack("{s:I, s:I, s:I}", "sessions", (json_int_t)ho.nsess,
				    "connections", (json_int_t)ho.nchans, "next_nexus",
				    (json_int_t)t->next_nexus));
}

static void on_quiesce(struct srp_tgt *t, struct ctl_msg *m)
{
	json_t *j = m->data ? json_loadb(m->data, m->len, 0, NULL) : NULL;
	json_int_t ms = json_integer_value(json_object_get(j, "deadline_ms"));
	json_int_t max = json_integer_value(json_object_get(j, "max"));

	json_decref(j);
	if (ho.memfd >= 0)
		close(ho.memfd);
	ho.memfd = -1;
	if (m->nfds >= 1 && max > 0 && max <= (64 << 20)) {
		ho.memfd = m->fds[0];
		ho.max = (uint32_t)max;
		m->fds[0] = -1; /* ours */
	}
	if (ho.mode != HO_NONE || t->shutting_down) {
		reply(false, "not serving", NULL);
		return;
	}
	for (uint32_t i = 0; i < t->nports; i++)
		if (!t->ports[i].ops->pause) {
			reply(false, "an RDMA (verbs) port: its connections cannot be held", NULL);
			return;
		}
	if (!t->fl.ok) {
		reply(false, "no core link", NULL);
		return;
	}
	if (ms < 1 || ms > 600000)
		ms = 5000;
	ho.mode = HO_QUIESCING;
	ho.closed = false;
	ho.nchans = ho.nsess = 0;
	ho.deadline = ev_now(t->loop) + (double)ms / 1000.0;
	log_info("upgrade: quiescing %u channels (deadline %lld ms)", t->nchans, (long long)ms);
	pause_ports(t, true);
	ev_timer_init(&ho.tick, quiesce_tick, 0.0, HO_TICK);
	ev_timer_start(t->loop, &ho.tick);
}

/* ---- new instance ---- */

static void on_handover(struct srp_tgt *t, struct ctl_msg *m)
{
	json_t *j = m->data ? json_loadb(m->data, m->len, 0, NULL) : NULL;
	json_t *nx = json_object_get(j, "next_nexus");

	if (ho.mode != HO_INCOMING) {
		json_decref(j);
		reply(false, "unexpected HANDOVER", NULL);
		return;
	}
	if (json_is_true(json_object_get(j, "moved"))) {
		json_int_t len = json_integer_value(json_object_get(j, "len"));
		const char *why = "cannot read the state";
		struct stat sb;
		char *txt = NULL, msg[160];

		json_decref(j);
		if (m->nfds < 1 || len < 2 || len > (64 << 20) || fstat(m->fds[0], &sb) < 0 ||
		    sb.st_size < len || !(txt = malloc((size_t)len)) ||
		    pread(m->fds[0], txt, (size_t)len, 0) != (ssize_t)len ||
		    srp_ho_load(t, txt, (size_t)len, m->fds + 1, m->nfds - 1, &why) < 0) {
			free(txt);
			ho.mode = HO_REFUSED;
			snprintf(msg, sizeof(msg), "invalid state: %s", why);
			log_warn("upgrade: %s", msg);
			reply(false, msg, NULL);
			return;
		}
		free(txt);
		ho.mode = HO_LOADED;
		log_info("upgrade: %u channels adopted; waiting for the old instance to go",
			 t->nchans);
		reply(true, NULL, NULL);
		return;
	}
	/* from another process: checked as input */
	if (!json_is_integer(nx) || json_integer_value(nx) < 1 ||
	    json_integer_value(nx) > UINT32_MAX) {
		json_decref(j);
		reply(false, "invalid state: next_nexus", NULL);
		return;
	}
	t->next_nexus = (uint32_t)json_integer_value(nx);
	json_decref(j);
	ho.mode = HO_LOADED;
	log_info("upgrade: nexus ids go on from %u; waiting for the old instance to go",
		 t->next_nexus);
	reply(true, NULL, NULL);
}

static void on_resume(struct srp_tgt *t)
{
	if (ho.mode == HO_LOADED) {
		/* the old instance is gone: take the ring up where it stopped */
		if (ring_resync(&t->fl.link->tx) < 0 || ring_resync(&t->fl.link->rx) < 0) {
			ho.mode = HO_NONE;
			fe_link_violation(&t->fl, "impossible ring indices at the handover");
			return;
		}
		ho.mode = HO_NONE;
		core_watchers(t, true);
		ports(t, true);
		log_info("upgrade: serving %u channels", t->nchans);
	} else if (ho.mode == HO_REFUSED) {
		log_warn("RESUME after a refused handover: ignored");
	} else if (ho.mode == HO_QUIESCING || ho.mode == HO_PASSIVE) {
		log_info("upgrade rolled back: serving on");
		serve_again(t);
	}
}

bool srp_handover_ctl(struct srp_tgt *t, struct ctl_msg *m)
{
	switch (m->type) {
	case CTL_QUIESCE:
		on_quiesce(t, m);
		return true;
	case CTL_HANDOVER:
		on_handover(t, m);
		return true;
	case CTL_RESUME:
		on_resume(t);
		return true;
	case CTL_RETIRE:
		if (ho.mode == HO_PASSIVE) {
			log_info("upgrade: the new instance took over; exiting");
			_exit(0);
		}
		log_warn("RETIRE while not handed over: ignored");
		return true;
	default:
		return false;
	}
}

bool srp_handover_incoming(const struct child *c)
{
	return json_is_true(json_object_get(c->init, "handover"));
}

int srp_handover_attach(struct child *c)
{
	json_t *links = json_object_get(c->init, "handover_links"), *l;
	size_t i;
	int err;

	if (!srp_handover_incoming(c))
		return 0;
	if (!json_is_array(links) || c->nlinks + json_array_size(links) > CHILD_MAX_LINKS)
		return -EINVAL;
	json_array_foreach(links, i, l) {
		err = child_attach_link(c, l, &c->links[c->nlinks]);
		if (err)
			return err;
		c->nlinks++;
	}
	return 0;
}

void srp_handover_init(struct srp_tgt *t)
{
	ho.t = t;
	if (!srp_handover_incoming(t->c))
		return;
	ho.mode = HO_INCOMING;
	ports(t, false);
	core_watchers(t, false);
	log_info("upgrade: started beside the running instance; waiting for its state");
}
