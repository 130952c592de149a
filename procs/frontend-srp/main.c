/* mtgt-srp: the SRP transport process (T10 SRP / SRP-2 target side). */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "common/log.h"
#include "procs/frontend-srp/srp.h"
#include "procs/frontend-srp/srp_handover.h"
#include "procs/frontend-srp/srp_sandbox.h"

static struct srp_tgt tgt;

static void on_shutdown(struct child *c)
{
	srp_tgt_shutdown(c->user);
}

static void on_ctl(struct child *c, struct ctl_msg *m)
{
	if (srp_handover_ctl(c->user, m))
		return;
	if (m->type == CTL_STATS)
		srp_tgt_stats(c->user);
	else if (m->type == CTL_LINK_DOWN)
		srp_tgt_link_down(c->user);
	else if (m->type == CTL_LINK_UP)
		srp_tgt_link_up(c->user, m);
	else
		log_warn("control message %s ignored", ctl_type_name(m->type));
}

int main(void)
{
	static struct child c;
	struct ev_loop *loop;

	signal(SIGPIPE, SIG_IGN);
	child_init(&c, "srp");
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("libev: no event loop");
		return 1;
	}
	c.user = &tgt;
	c.on_shutdown = on_shutdown;
	c.on_ctl = on_ctl;
	child_watch_ctl(&c, loop);
	if (srp_handover_attach(&c) < 0) {
		log_err("handover: cannot attach the link");
		return 1;
	}
	if (srp_tgt_init(&tgt, &c, loop) < 0)
		return 1;
	srp_handover_init(&tgt);
	bool verbs = false;

	for (uint32_t i = 0; i < tgt.nports; i++)
		verbs |= tgt.ports[i].ops == &srp_verbs_ops;
	sandbox_enter(&c, srp_sandbox_profile(verbs));
	child_ready(&c);
	ev_run(loop, 0);
	return 0;
}
