/* systemd integration (Type=notify): READY=1 once every child serves,
 * WATCHDOG=1 only while all of them are healthy, STOPPING=1 at shutdown.
 * sd_notify() does nothing when not started by systemd. */
#include <stdio.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "supervisor/sup.h"

void sup_notify_tick(struct sup *s)
{
	static bool ready;
	uint64_t usec;

	if (s->shutting_down)
		return;
	if (!ready && sup_all_running(s)) {
		ready = true;
		sd_notifyf(0, "READY=1\nSTATUS=serving %u targets on %u portals\nMAINPID=%d",
			   s->cfg.ntargets, s->cfg.nportals, (int)getpid());
	}
	/* A child that is down, restarting or given up withholds the watchdog
	 * ping, so systemd's WatchdogSec escalates what we could not repair. */
	if (ready && sd_watchdog_enabled(0, &usec) > 0 && sup_all_running(s))
		sd_notify(0, "WATCHDOG=1");
}

void sup_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
