/* mtgt-iscsi: the iSCSI transport process (RFC 7143 target side). */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "common/ctl.h" /* child.h uses struct ctl_msg without including it */
#include "common/child.h"
#include "common/log.h"
#include "procs/frontend-iscsi/iscsi_live.h"
#include "procs/frontend-iscsi/iscsi_tgt.h"
#include "procs/frontend-iscsi/iscsi_handover.h"
#include "procs/frontend-iscsi/iscsi_sandbox.h"

static struct iscsi_tgt tgt;

static void on_shutdown(struct child *c)
{
	iscsi_tgt_shutdown(c->user);
}

/* child.c exits on a control message nobody handles: answer what we know,
 * tolerate the rest (a newer supervisor may send more). */
static void on_ctl(struct child *c, struct ctl_msg *m)
{
	if (iscsi_handover_ctl(c->user, m))
		return;
	if (m->type == CTL_STATS)
		iscsi_tgt_stats(c->user);
	else if (m->type == CTL_CONFIG)
		iscsi_live_config(c->user, m);
	else if (m->type == CTL_SESSION_DROP)
		iscsi_live_drop(c->user, m);
	else if (m->type == CTL_PORTAL_ADD || m->type == CTL_PORTAL_DEL)
		iscsi_live_portal(c->user, m);
	else if (m->type == CTL_ISNS_CONN)
		iscsi_isns_ctl(c->user, m);
	else if (m->type == CTL_SESSION_LOGOUT)
		iscsi_async_ctl(c->user, m->data);
	else if (m->type == CTL_LINK_DOWN)
		iscsi_core_link_down(c->user);
	else if (m->type == CTL_LINK_UP)
		iscsi_core_link_up(c->user, m);
	else
		log_warn("control message %s ignored", ctl_type_name(m->type));
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
	c.on_ctl = on_ctl;
	child_watch_ctl(&c, loop);
	if (iscsi_handover_attach(&c) < 0) {
		log_err("handover: cannot attach the link");
		return 1;
	}
	if (iscsi_tgt_init(&tgt, &c, loop) < 0)
		return 1;
	iscsi_handover_init(&tgt);
	sandbox_enter(&c, &iscsi_sandbox);
	child_ready(&c);
	ev_run(loop, 0);
	return 0;
}
