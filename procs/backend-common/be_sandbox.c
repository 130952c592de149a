/* The backends' seccomp profile: I/O on the backing fds the supervisor opened
 * (directly or through the io_uring created before the sandbox, whose opcodes
 * are restricted and whose registrations are closed), hole punching, size
 * queries. No sockets, no files, no processes. A kind that says which I/O
 * engine it runs (be_set_sandbox) gets only that engine's calls: no io_uring
 * calls for a libaio process, no libaio calls for an io_uring one. */
#include <sys/mount.h>

#include "procs/backend-common/be_impl.h"

#include <seccomp.h>

#include "common/sandbox.h"
#include "procs/backend-common/be_sandbox.h"

static const int be_sandbox_calls[] = {
	SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(fallocate),
	SCMP_SYS(ftruncate), SCMP_SYS(sync_file_range), SCMP_SYS(preadv2),
	-1
};

/* The framework's own needs when the kind lists its engine's. */
static const int be_sandbox_base[] = {
	SCMP_SYS(fallocate), SCMP_SYS(ftruncate), SCMP_SYS(sync_file_range), SCMP_SYS(preadv2),
	-1
};

static int be_sandbox_rules(void *ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				SCMP_A1(SCMP_CMP_EQ, BLKGETSIZE64));
}

static int be_sandbox_rules_engine(void *ctx)
{
	int rc = be_sandbox_rules(ctx);

	for (const int *c = be_sandbox_base; !rc && *c >= 0; c++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *c, 0);
	return rc;
}

void be_sandbox_enter(struct be *b)
{
	struct sandbox_profile p = {
		.kind = b->ops->kind,
		.io_uring = true,
		.syscalls = be_sandbox_calls,
		.rules = be_sandbox_rules,
		/* a backing fd per LUN (1000s of LUNs), plus links */
		.nofile = 8192,
	};

	if (b->sb_set) {
		p.io_uring = b->sb_io_uring;
		p.syscalls = b->sb_calls;
		p.rules = be_sandbox_rules_engine;
	}
	sandbox_enter(&b->c, &p);
}
