/* test-no-uring: run a program where io_uring_setup fails with EPERM, as in a
 * container whose seccomp profile refuses io_uring (or with the sysctl
 * kernel.io_uring_disabled=2), without changing anything machine-wide. The
 * filter is inherited by every child the program starts. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <seccomp.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;

	if (argc < 2) {
		fprintf(stderr, "usage: test-no-uring PROGRAM [ARGS...]\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || seccomp_load(ctx)) {
		fprintf(stderr, "test-no-uring: cannot install the filter\n");
		return 1;
	}
	seccomp_release(ctx);
	execv(argv[1], argv + 1);
	perror("test-no-uring: exec");
	return 127;
}
