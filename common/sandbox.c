/* Child sandbox: rlimits, unprivileged user, no capabilities, no_new_privs,
 * Landlock (no file system, no TCP bind/connect, scoped signals and abstract
 * sockets), then a seccomp allowlist per process kind.
 *
 * A forbidden call kills the whole process on the spot
 * (SCMP_ACT_KILL_PROCESS): no code of the process runs after it, so not even a
 * compromised process can catch it. The kernel's audit record names the call;
 * the supervisor reads it from the kernel log and logs it with the exit
 * (supervisor/sup_audit.c). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#ifdef MTGT_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif
#include <unistd.h>
#include <seccomp.h>

#include "common/child.h"
#include "common/log.h"
#include "common/sandbox.h"

static enum sandbox_mode sb_mode = SANDBOX_ENFORCE;

enum sandbox_mode sandbox_mode(void)
{
	return sb_mode;
}

/* Calls every process makes after init: memory, time, its own signals, I/O on
 * fds it already holds, the event loop, exit. */
static const int sb_common[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(lseek), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(brk), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(eventfd2), SCMP_SYS(signalfd4),
	SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
	/* the control socket (an inherited AF_UNIX socketpair) */
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(fcntl), SCMP_SYS(restart_syscall), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(rseq), SCMP_SYS(membarrier), SCMP_SYS(getrusage),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(uname), SCMP_SYS(close_range),
	-1
};

#ifdef MTGT_SANITIZE
/* ASan/UBSan bookkeeping (naming and querying mappings). A report's header
 * is written before symbolization, which would need /proc and exec: those
 * stay refused, so a report ends in a sandbox kill after its first lines. */
static const int sb_san[] = {
	SCMP_SYS(prctl), SCMP_SYS(readlink), SCMP_SYS(sched_getparam),
	-1
};
#endif

static int sb_add_list(scmp_filter_ctx ctx, const int *list)
{
	for (; list && *list != -1; list++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, *list, 0);

		if (rc < 0 && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* Argument filters every process shares. A failure is a negative errno;
 * or-ing them keeps the result negative, which is all the caller checks. */
static int sb_common_rules(scmp_filter_ctx ctx)
{
	int rc = 0;

	/* No new executable memory: everything was loaded before the sandbox. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 0);
	/* getrlimit: its own limits, read only. Every child has the same uid,
	 * so setting another's limits must stay out of reach. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
			       SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	/* Signals only to itself (abort, raise). */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
			       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* fstat through fstatat(fd, "", AT_EMPTY_PATH) only: no probing paths. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
			       SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* ioctl: non-blocking mode and queue sizes; a tty probe (stdio) fails. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_EQ, FIONBIO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_EQ, FIOCLEX));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_EQ, TCGETS));
#ifndef MTGT_SANITIZE /* sb_san allows every prctl */
	/* prctl: reading its own name is harmless. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			       SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
#endif
	return rc;
}

static int sb_rlimits(const struct sandbox_profile *p)
{
	struct rlimit zero = { 0, 0 };

	/* No core files: the pool holds initiators' data and CHAP secrets. */
	if (setrlimit(RLIMIT_CORE, &zero) < 0)
		return -errno;
	prctl(PR_SET_DUMPABLE, 0);
	/* A bound on descriptors: a peer that floods us with connections or a
	 * bug that leaks fds stops at it instead of at the system's limit. */
	if (p->nofile) {
		struct rlimit nf;

		if (getrlimit(RLIMIT_NOFILE, &nf) < 0)
			return -errno;
		if (nf.rlim_max > p->nofile)
			nf.rlim_max = p->nofile;
		nf.rlim_cur = nf.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nf) < 0)
			return -errno;
	}
#ifndef MTGT_SANITIZE
	/* No forks (counted per user; seccomp refuses them anyway). */
	if (!p->io_uring && setrlimit(RLIMIT_NPROC, &zero) < 0)
		return -errno;
#endif
	return 0;
}

static int sb_user(json_t *sb)
{
	json_t *ju = json_object_get(sb, "uid"), *jg = json_object_get(sb, "gid");
	uid_t uid;
	gid_t gid;

	if (!json_is_integer(ju) || !json_is_integer(jg))
		return 0;
	if (geteuid() != 0) {
		log_info("sandbox: not root, keeping uid %u", (unsigned)geteuid());
		return 0;
	}
	uid = (uid_t)json_integer_value(ju);
	gid = (gid_t)json_integer_value(jg);
	if (uid == 0 || json_integer_value(ju) < 0 || json_integer_value(jg) < 0)
		return -EINVAL;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0)
		return -errno;
	/* Bounding set while CAP_SETPCAP is still ours. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}

static int sb_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Without a user switch (no uid given) a root child still empties its
	 * bounding set here; an unprivileged one cannot, and has no caps. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			break;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/* Landlock: every file system right handled and none granted; TCP bind and
 * connect refused; abstract unix sockets and signals scoped to this process. */
static int sb_landlock(void)
{
	struct { uint64_t fs, net, scoped; } attr = { 0, 0, 0 };
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL /* VERSION */);
	size_t size = 8;
	int fd, rc;

	if (abi < 1)
		return -EOPNOTSUPP;
	attr.fs = (1ULL << 13) - 1;         /* ABI 1: execute .. make_sym */
	if (abi >= 2)
		attr.fs |= 1ULL << 13;      /* refer */
	if (abi >= 3)
		attr.fs |= 1ULL << 14;      /* truncate */
	if (abi >= 5)
		attr.fs |= 1ULL << 15;      /* ioctl_dev */
	if (abi >= 4) {
		attr.net = 3;               /* bind_tcp, connect_tcp */
		size = 16;
	}
	if (abi >= 6) {
		attr.scoped = 3;            /* abstract unix socket, signal */
		size = 24;
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return -errno;
	rc = (int)syscall(SYS_landlock_restrict_self, fd, 0);
	rc = rc < 0 ? -errno : 0;
	close(fd);
	return rc;
}

#define SB_EMPTY_ROOT "/run/mtgt-empty"

/* Test builds: MTGT_SANDBOX_TEST_NO_LANDLOCK=1 takes the path of a kernel
 * without Landlock, so that the fallback below is exercised (sandbox.sh). */
static bool sb_no_landlock_test(void)
{
#ifdef MTGT_TEST_HOOKS
	const char *e = getenv("MTGT_SANDBOX_TEST_NO_LANDLOCK");

	return e && !strcmp(e, "1");
#else
	return false;
#endif
}

/* Without Landlock: an empty, read-only root directory in a mount namespace of
 * our own (needs root, so it runs before the user switch). */
static int sb_empty_root(void)
{
	if (geteuid() != 0)
		return -EPERM;
	if (mkdir(SB_EMPTY_ROOT, 0555) < 0 && errno != EEXIST)
		return -errno;
	if (unshare(CLONE_NEWNS) < 0 || chroot(SB_EMPTY_ROOT) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

static int sb_seccomp(const struct sandbox_profile *p)
{
	uint32_t deflt = sb_mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx = seccomp_init(deflt);
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = sb_add_list(ctx, sb_common);
#ifdef MTGT_SANITIZE
	if (!rc)
		rc = sb_add_list(ctx, sb_san);
#endif
	if (!rc)
		rc = sb_add_list(ctx, p->syscalls);
	if (!rc && p->rules)
		rc = p->rules(ctx);
	if (!rc)
		rc = sb_common_rules(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

#ifdef MTGT_TEST_HOOKS
/* Test builds: with MTGT_SANDBOX_TEST=1 in the environment, SIGRTMIN+1,
 * +2 and +3 make the process attempt a forbidden action: open a file, connect
 * a TCP socket, exec a program (tests/integration/sandbox.sh). */

void sandbox_test_action(const char *action)
{
	static char *const argv[] = { "/bin/true", NULL };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd;

	if (!strcmp(action, "open")) {
		fd = open("/etc/passwd", O_RDONLY);
		if (fd >= 0) {
			(void)!write(2, "sandbox test: opened a file\n", 29);
			close(fd);
		}
	} else if (!strcmp(action, "connect")) {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			(void)!write(2, "sandbox test: connected\n", 24);
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(action, "exec")) {
		execve(argv[0], argv, NULL);
	}
}

static void sb_test_sig(int sig)
{
	static const char *const actions[] = { "open", "connect", "exec" };
	int k = sig - SIGRTMIN - 1;

	if (k >= 0 && k < 3)
		sandbox_test_action(actions[k]);
}

static void sb_test_hook_install(void)
{
	const char *e = getenv("MTGT_SANDBOX_TEST");

	if (!e || strcmp(e, "1"))
		return;
	for (int k = 1; k <= 3; k++)
		signal(SIGRTMIN + k, sb_test_sig);
	log_info("sandbox: test hooks armed (SIGRTMIN+1..3)");
}
#else
void sandbox_test_action(const char *action)
{
}

static void sb_test_hook_install(void)
{
}
#endif

static int sb_parse(json_t *sb)
{
	json_t *m = json_object_get(sb, "mode");

	if (!m)
		return 0;
	if (!json_is_string(m))
		return -EINVAL;
	if (!strcmp(json_string_value(m), "enforce"))
		sb_mode = SANDBOX_ENFORCE;
	else if (!strcmp(json_string_value(m), "log"))
		sb_mode = SANDBOX_LOG;
	else if (!strcmp(json_string_value(m), "off"))
		sb_mode = SANDBOX_OFF;
	else
		return -EINVAL;
	return 0;
}

static void sb_step(const char *what, int rc)
{
	if (!rc)
		return;
	if (sb_mode == SANDBOX_ENFORCE) {
		log_err("sandbox: %s: %s", what, strerror(-rc));
		exit(1);
	}
	log_warn("sandbox: %s: %s (not enforced)", what, strerror(-rc));
}

void sandbox_enter(struct child *c, const struct sandbox_profile *p)
{
	json_t *sb = json_object_get(c->init, "sandbox");
	bool landlock;
	int rc;

	if (sb && (!json_is_object(sb) || sb_parse(sb))) {
		log_err("sandbox: bad settings in the init message");
		exit(1);
	}
	if (sb_mode == SANDBOX_OFF) {
		log_warn("sandbox: off");
		return;
	}
#ifdef MTGT_SANITIZE
	/* LeakSanitizer's end-of-process check stops the world with a
	 * ptrace-ing clone that reads /proc: seccomp kills the process for it
	 * (SIGSYS at every exit when detect_leaks is on, e.g. test-core-proc
	 * run by hand). Check now, while it can run; this also turns the exit
	 * check off (a no-op with detect_leaks=0, as the test scripts set). */
	__lsan_do_leak_check();
#endif
	sb_step("rlimits", sb_rlimits(p));
	sb_step("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0);
	/* Landlock needs no privilege; the chroot fallback needs root, so it
	 * has to come before the user switch. */
	landlock = sb_no_landlock_test() ? false : sb_landlock() == 0;
	/* Defence in depth only: no profile allows open, openat or execve. */
	if (!landlock && (rc = sb_empty_root()))
		log_warn("sandbox: no Landlock and no empty root (%s)", strerror(-rc));
	sb_step("user switch", sb_user(sb));
	sb_step("capabilities", sb_caps());
	sb_test_hook_install();
	sb_step("seccomp", sb_seccomp(p));
	log_info("sandbox: %s (uid %u, %s, seccomp %s profile)",
		 sb_mode == SANDBOX_LOG ? "log" : "enforce", (unsigned)getuid(),
		 landlock ? "landlock" : "empty root", p->kind);
}
