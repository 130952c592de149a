/* The core's seccomp profile: beyond the common set (sandbox.c) nothing. It
 * works on rings and the pool it already maps, writes its state file through
 * the fd the supervisor opened, and maps the links of restarted peers that
 * arrive with CTL_LINK_UP. No sockets, no files, no processes. */
#include <seccomp.h>

#include "common/sandbox.h"
#include "procs/core/core_sandbox.h"

static const int core_sandbox_calls[] = {
	SCMP_SYS(ftruncate),   /* the state file is rewritten in place */
	-1
};

const struct sandbox_profile core_sandbox = {
	.kind = "core",
	.syscalls = core_sandbox_calls,
	/* links to every frontend and backend, a few fds each */
	.nofile = 1024,
};
