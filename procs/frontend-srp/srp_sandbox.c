/* mtgt-srp's seccomp profiles.
 *
 * soft ports only: accept on the CM sockets the supervisor bound, talk on
 * them (SCM_RIGHTS brings the initiators' memory-region memfds), map those
 * memfds (mmap is in the common set) and check their seals (fcntl, common).
 * No socket creation, bind, connect or open.
 *
 * with a verbs port: libibverbs and librdmacm talk to the kernel through
 * ioctl and write on /dev/infiniband/uverbs* and rdma_cm fds they opened
 * before the sandbox, and pin memory (madvise/mlock); new connections need
 * no new opens. The profile adds ioctl (any request: the uverbs ioctl
 * interface multiplexes every verb through one request number), mlock,
 * munlock. (mmap and mprotect without PROT_EXEC are in the common set.) It is laxer than the soft one;
 * docs/security.md says so. Nothing here has run on real RDMA hardware. */
#include <stdbool.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "procs/frontend-srp/srp_sandbox.h"

static const int srp_soft_calls[] = {
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(getsockopt), SCMP_SYS(shutdown),
	-1
};

static const int srp_verbs_calls[] = {
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(getsockopt), SCMP_SYS(shutdown), SCMP_SYS(ioctl),
	SCMP_SYS(mlock), SCMP_SYS(munlock),
	-1
};

/* soft: a connection's socket and its memory-region memfds (srp_soft.c
 * bounds both); verbs: a handful per device */
static const struct sandbox_profile srp_soft_profile = {
	.kind = "srp",
	.nofile = 16384,
	.syscalls = srp_soft_calls,
};

static const struct sandbox_profile srp_verbs_profile = {
	.kind = "srp-verbs",
	.nofile = 16384,
	.syscalls = srp_verbs_calls,
};

const struct sandbox_profile *srp_sandbox_profile(bool verbs)
{
	return verbs ? &srp_verbs_profile : &srp_soft_profile;
}
