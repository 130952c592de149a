/* The sandbox every child enters once it holds all it needs (fds, mappings,
 * rings) and before it tells the supervisor it is ready. See docs/security.md.
 *
 * CTL_INIT carries the settings:
 *   "sandbox": { "mode": "enforce" | "log" | "off", "user": "mtgt",
 *                "uid": N, "gid": N }
 * A missing "sandbox" object means enforce without a user switch. */
#ifndef MTGT_COMMON_SANDBOX_H
#define MTGT_COMMON_SANDBOX_H

#include <stdbool.h>

struct child;

enum sandbox_mode { SANDBOX_ENFORCE = 0, SANDBOX_LOG, SANDBOX_OFF };

/* What one process kind may do beyond the common set (sandbox.c lists that:
 * memory, time, signals on itself, fd I/O, epoll/eventfd/timerfd, exit). */
struct sandbox_profile {
	const char *kind;
	/* io_uring's worker threads count against RLIMIT_NPROC, so a process
	 * with a ring keeps it (seccomp still refuses clone, fork and exec). */
	bool        io_uring;
	/* RLIMIT_NOFILE: the most descriptors it may ever hold (links, LUN
	 * fds and connections handed over later included); 0: inherited */
	unsigned    nofile;
	const int  *syscalls;   /* extra plain allows, ended by -1 */
	/* Extra rules with argument filters. */
	int (*rules)(void *ctx);   /* a scmp_filter_ctx (no seccomp.h here:
				      its elf.h clashes with ev.h) */
};

/* Drop everything: rlimits, user, capabilities, no_new_privs, Landlock,
 * seccomp. Exits the process (status 1) if any step fails in enforce mode. */
void sandbox_enter(struct child *c, const struct sandbox_profile *p);
enum sandbox_mode sandbox_mode(void);
/* Attempt a forbidden action: "open", "connect", "exec" (test builds only,
 * MTGT_TEST_HOOKS; elsewhere it does nothing). */
void sandbox_test_action(const char *action);

#endif
