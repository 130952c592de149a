/* mtgt-fc: the FCP target process over FC port drivers (fc_port.h). */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "procs/frontend-fc/fc.h"

static struct fc_tgt tgt;

static void on_shutdown(struct child *c)
{
	fc_tgt_shutdown(c->user);
}

static void on_ctl(struct child *c, struct ctl_msg *m)
{
	if (m->type == CTL_STATS)
		fc_tgt_stats(c->user);
	else if (m->type == CTL_LINK_DOWN)
		fc_tgt_link_down(c->user);
	else if (m->type == CTL_LINK_UP)
		fc_tgt_link_up(c->user, m);
	else
		log_warn("control message %s ignored", ctl_type_name(m->type));
}

int main(void)
{
	static struct child c;
	struct ev_loop *loop;

	signal(SIGPIPE, SIG_IGN);
	child_init(&c, "fc");
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("libev: no event loop");
		return 1;
	}
	c.user = &tgt;
	c.on_shutdown = on_shutdown;
	c.on_ctl = on_ctl;
	child_watch_ctl(&c, loop);
	if (fc_tgt_init(&tgt, &c, loop) < 0)
		return 1;
	sandbox_enter(&c, fc_sandbox_profile());
	child_ready(&c);
	ev_run(loop, 0);
	return 0;
}
