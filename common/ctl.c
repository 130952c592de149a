/* Control channel framing: [u32 type][u32 len][payload] in one SEQPACKET
 * record, fds as SCM_RIGHTS ancillary data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ctl.h"

struct ctl_wire {
	uint32_t type;
	uint32_t len;
};

int ctl_send(int sock, uint32_t type, const void *data, size_t len,
	     const int *fds, int nfds)
{
	struct ctl_wire w = { .type = type, .len = (uint32_t)len };
	struct iovec iov[2] = { { &w, sizeof(w) }, { (void *)data, len } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (len > CTL_MAX_PAYLOAD || nfds < 0 || nfds > CTL_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(w) + len ? 0 : -EIO;
}

static void close_fds(struct ctl_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

int ctl_recv(int sock, struct ctl_msg *m)
{
	struct ctl_wire w;
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2];
	struct msghdr mh;
	char *data;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	data = malloc(CTL_MAX_PAYLOAD + 1);
	if (!data)
		return -ENOMEM;
	iov[0] = (struct iovec){ &w, sizeof(w) };
	iov[1] = (struct iovec){ data, CTL_MAX_PAYLOAD };
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		free(data);
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (m->nfds < CTL_MAX_FDS)
					m->fds[m->nfds++] = fd;
				else
					close(fd);
			}
		}
	}
	if (n == 0) {
		free(data);
		close_fds(m);
		return 0;
	}
	if ((size_t)n < sizeof(w) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    w.len != (size_t)n - sizeof(w) || w.type == 0 || w.type >= CTL_TYPE_MAX) {
		free(data);
		close_fds(m);
		return -EPROTO;
	}
	data[w.len] = '\0';
	m->type = w.type;
	m->len = w.len;
	if (w.len) {
		m->data = realloc(data, w.len + 1);
		if (!m->data)
			m->data = data;
	} else {
		free(data);
	}
	return 1;
}

void ctl_msg_free(struct ctl_msg *m)
{
	free(m->data);
	m->data = NULL;
	close_fds(m);
}

const char *ctl_type_name(uint32_t type)
{
	static const char *const names[CTL_TYPE_MAX] = {
		[CTL_INIT] = "INIT", [CTL_READY] = "READY", [CTL_PING] = "PING",
		[CTL_PONG] = "PONG", [CTL_SHUTDOWN] = "SHUTDOWN",
		[CTL_VIOLATION] = "VIOLATION", [CTL_LINK_DOWN] = "LINK_DOWN",
		[CTL_LINK_UP] = "LINK_UP", [CTL_LINK_DRAINED] = "LINK_DRAINED",
		[CTL_STATS] = "STATS", [CTL_LUN_RESIZE] = "LUN_RESIZE",
		[CTL_CONFIG] = "CONFIG", [CTL_CONFIG_DONE] = "CONFIG_DONE",
		[CTL_DEV_ADD] = "DEV_ADD", [CTL_DEV_DEL] = "DEV_DEL",
		[CTL_SESSION_DROP] = "SESSION_DROP", [CTL_PORTAL_ADD] = "PORTAL_ADD",
		[CTL_PORTAL_DEL] = "PORTAL_DEL",
		[CTL_SESSION_LOGOUT] = "SESSION_LOGOUT",
		[CTL_QUIESCE] = "QUIESCE", [CTL_HANDOVER] = "HANDOVER",
		[CTL_RESUME] = "RESUME", [CTL_RETIRE] = "RETIRE",
		[CTL_ISNS_CONN] = "ISNS_CONN",
	};
	return type < CTL_TYPE_MAX && names[type] ? names[type] : "?";
}
