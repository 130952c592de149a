/* Which system call a seccomp kill was for.
 *
 * Children run with SCMP_ACT_KILL_PROCESS as their filter's default: the
 * kernel kills a child at the forbidden call, before any code of the child
 * could run, and writes an audit record (type 1326: pid, sig=31, syscall=NN)
 * to the kernel log when kill_process is in kernel.seccomp.actions_logged (the
 * default). The supervisor reads those records from /dev/kmsg, opened at start
 * and positioned at its end, and names the call when it reaps a child that
 * died by SIGSYS. Without /dev/kmsg (a container that hides it) the exit is
 * still logged as a seccomp kill, with the call unknown. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <seccomp.h>

#include "common/log.h"
#include "supervisor/sup_audit.h"

#define AUDIT_KEEP 32

static int kmsg_fd = -1;
/* records read but not yet asked for: several children may die at once */
static struct {
	pid_t pid;
	int nr;
} seen[AUDIT_KEEP];
static unsigned seen_next;

void sup_audit_init(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0) {
		log_warn("seccomp kills will not name their system call: /dev/kmsg: %s",
			 strerror(errno));
		return;
	}
	if (lseek(kmsg_fd, 0, SEEK_END) < 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}
}

/* One kernel log record: "PRI,SEQ,TS,FLAGS;audit: type=1326 ... pid=N ...
 * syscall=NN ...". */
static void audit_parse(const char *rec)
{
	const char *msg = strchr(rec, ';'), *p;
	long pid, nr;

	if (!msg || !strstr(msg, "type=1326"))
		return;
	p = strstr(msg, " pid=");
	if (!p)
		return;
	pid = strtol(p + 5, NULL, 10);
	p = strstr(msg, " syscall=");
	if (!p)
		return;
	nr = strtol(p + 9, NULL, 10);
	if (pid <= 0 || nr < 0 || nr > 4096)
		return;
	seen[seen_next % AUDIT_KEEP].pid = (pid_t)pid;
	seen[seen_next % AUDIT_KEEP].nr = (int)nr;
	seen_next++;
}

static void audit_drain(void)
{
	char rec[8192];

	/* bounded: the kernel log ring is finite, and so is this loop */
	for (int i = 0; kmsg_fd >= 0 && i < 4096; i++) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten before we read them */
		if (n <= 0)
			break;
		rec[n] = 0;
		audit_parse(rec);
	}
}

static int audit_find(pid_t pid, char *name, size_t len)
{
	for (unsigned i = 0; i < AUDIT_KEEP; i++) {
		if (seen[i].pid == pid && pid > 0) {
			int nr = seen[i].nr;
			char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

			snprintf(name, len, "%s", s ? s : "?");
			free(s);
			seen[i].pid = 0;
			return nr;
		}
	}
	return -ENOENT;
}

/* Without auditd the kernel hands audit records to a kernel thread that
 * prints them, so the record can come a little after the child is reaped:
 * wait for it, briefly (this happens only on a seccomp kill). */
int sup_audit_seccomp_call(pid_t pid, char *name, size_t len)
{
	int nr = -ENOENT;

	for (int i = 0; kmsg_fd >= 0 && i < 25; i++) {
		struct pollfd pfd = { .fd = kmsg_fd, .events = POLLIN };

		audit_drain();
		nr = audit_find(pid, name, len);
		if (nr >= 0)
			break;
		poll(&pfd, 1, 10);
	}
	return nr;
}
