/* mtgt-core: the SCSI core. Serves frontend links (side b), drives backend
 * links (side a); the LUN table comes from the init message's "config". */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"
#include "procs/core/core.h"
#include "procs/core/core_sandbox.h"
#include "procs/core/core_state.h"
#include "procs/core/core_xcopy.h"

#define CORE_DEFAULT_CMDS  4096
/* Measured on the 2-core build machines (QD1 4 KiB through mtgt-iscsi, the
 * core and the null backend, each of those spinning 200): core spin 0 gave
 * 8-9K IOPS, 200 gave 3.4-5.5K; through the core alone with a spinning peer,
 * 19 us against 34 us per command. Spinning (pause) here only takes the CPU
 * that the frontend, the backend or the initiator needs. Config core.spin. */
#define CORE_DEFAULT_SPIN  0
/* sched_yield()s while a backend owes a completion, before sleeping: on a
 * shared CPU this hands the CPU to the backend instead of paying an eventfd
 * write and a wakeup (core_link.c); alone on a CPU it returns at once.
 * Config core.yield. */
#define CORE_DEFAULT_YIELD 8
/* The poll window after the last message (core_link.c, prepare_cb): 200 us
 * covers an initiator's turn-around at queue depth 1. Config core.poll_us. */
#define CORE_DEFAULT_POLL_US 200
#define CORE_SCRATCH       (64u << 10)

/* "tuning" in the init message's config: set keys only, checked by the
 * supervisor; out of range here falls back to the default. */
static unsigned tune_uint(json_t *tuning, const char *name, unsigned def, unsigned max)
{
	json_t *v = json_object_get(tuning, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return def;
	return (unsigned)json_integer_value(v);
}

int main(void)
{
	static struct child c;
	static struct core co;
	char err[256];

	child_init(&c, "core");
	co.c = &c;
	c.user = &co;
	if (core_config_load(json_object_get(c.init, "config"), &co.cfg, err, sizeof(err))) {
		log_err("bad configuration: %s", err);
		exit(1);
	}
	core_pr_init(&co, json_object_get(c.init, "state"));
	json_t *tuning = json_object_get(json_object_get(c.init, "config"), "tuning");

	co.spin = tune_uint(tuning, "spin", CORE_DEFAULT_SPIN, 1000000);
	co.yield = tune_uint(tuning, "yield", CORE_DEFAULT_YIELD, 1000);
	co.poll_us = tune_uint(tuning, "poll_us", CORE_DEFAULT_POLL_US, 10000);
	co.scratch_len = CORE_SCRATCH;
	co.scratch = malloc(co.scratch_len);
	if (!co.scratch ||
	    core_cmds_init(&co, tune_uint(tuning, "commands", CORE_DEFAULT_CMDS, 1u << 20) ?: 1)) {
		log_err("out of memory");
		exit(1);
	}
	if (core_links_init(&co))
		exit(1);
	core_async_init(&co);
	core_state_alua_register();
	core_sanitize_state_register();
	core_media_state_register();
	core_state_open(&co, json_object_get(c.init, "state_seg"));
	core_state_restore(&co);
	core_verify_buf_init(&co);
	co.loop = ev_default_loop(0);
	c.on_ctl = core_on_ctl;
	c.on_shutdown = core_on_shutdown;
	core_loop_start(&co);
	core_sanitize_resume(&co);
	child_watch_ctl(&c, co.loop);
	sandbox_enter(&c, &core_sandbox);
	child_ready(&c);
	log_info("serving %u targets on %u links (spin %u, yield %u, poll %u us)", co.cfg.ntargets,
		 co.nlinks, co.spin, co.yield, co.poll_us);
	ev_run(co.loop, 0);
	return 0;
}
