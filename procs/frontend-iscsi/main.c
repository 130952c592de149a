/* mtgt-iscsi: the iSCSI transport process (RFC 7143 target side). */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "common/log.h"
#include "procs/frontend-iscsi/iscsi_tgt.h"

static struct iscsi_tgt tgt;

static void on_shutdown(struct child *c)
{
	iscsi_tgt_shutdown(c->user);
}

int main(void)
{
	static struct child c;
	struct ev_loop *loop;

	signal(SIGPIPE, SIG_IGN);
	child_init(&c, "iscsi");
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		log_err("libev: no event loop");
		return 1;
	}
	c.user = &tgt;
	c.on_shutdown = on_shutdown;
	child_watch_ctl(&c, loop);
	if (iscsi_tgt_init(&tgt, &c, loop) < 0)
		return 1;
	child_ready(&c);
	ev_run(loop, 0);
	return 0;
}
