/* The iSCSI frontend's seccomp profile: accept connections on the listening
 * sockets it was given and talk on them. It may not create a socket (so no
 * connect, no other address family), bind, listen, or open anything; Landlock
 * refuses TCP connect and bind as well. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "common/sandbox.h"
#include "procs/frontend-iscsi/iscsi_sandbox.h"

static const int iscsi_sandbox_calls[] = {
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(getsockopt), SCMP_SYS(shutdown),
	-1
};

static int iscsi_sandbox_rules(void *ctx)
{
	int rc = 0;

	/* Socket options only at the TCP and socket levels. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
			       SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
			       SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET));
	return rc;
}

const struct sandbox_profile iscsi_sandbox = {
	.kind = "iscsi",
	.syscalls = iscsi_sandbox_calls,
	.rules = iscsi_sandbox_rules,
	/* one per TCP connection, plus the listeners and its link */
	.nofile = 16384,
};
