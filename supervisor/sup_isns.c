/* The supervisor's side of iSNS: it owns the sockets (DESIGN.md), so it
 * opens the TCP connection to the iSNS server and hands it to the iSCSI
 * frontend in CTL_INIT; the frontend, whose sandbox has no connect(), speaks
 * iSNSP on it (procs/frontend-iscsi/iscsi_isns.c). A new connection is made
 * for every frontend start, and again whenever the frontend reports it lost
 * (sup_isns_check). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"

#define ISNS_CONNECT_MS 2000

int sup_isns_connect(const struct sup_portal *server)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, server->host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(server->port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, server->host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(server->port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* bounded: a dead server must not stall the supervisor */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };

		if (errno != EINPROGRESS || poll(&pf, 1, ISNS_CONNECT_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			log_warn("iSNS server %s unreachable: %s", server->text,
				 strerror(err ? err : errno == EINPROGRESS ? ETIMEDOUT : errno));
			close(fd);
			return -ECONNREFUSED;
		}
	}
	log_info("iSNS: connected to %s for the iSCSI frontend", server->text);
	return fd;
}

int sup_isns_scn_listener(int fd, char *addr, size_t addrlen, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int l;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	if (ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = 0;
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, (socklen_t)addrlen);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
			  (socklen_t)addrlen);
	}
	l = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	/* the address we reach the server from; the kernel picks the port */
	if (bind(l, (struct sockaddr *)&ss, sl) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &sl) < 0) {
		log_warn("iSNS: no SCN listener: %s", strerror(errno));
		close(l);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			((struct sockaddr_in6 *)&ss)->sin6_port);
	return l;
}

#define ISNS_BACKOFF_MIN 1.0
#define ISNS_BACKOFF_MAX 30.0

/* The frontend reports its iSNS connection in CTL_STATS ("isns":
 * {"state": "down" | "connecting" | "registered"}); the supervisor is the
 * only one that may connect, so a lost connection (isnsd restarted, the
 * network cut) is re-made here, with a backoff that doubles up to 30 s
 * while the server stays away, and handed over in CTL_ISNS_CONN. The
 * frontend then registers everything again. */
void sup_isns_check(struct sup *s, struct sup_proc *p)
{
	json_t *st = json_object_get(p->stats, "isns");
	const char *state = json_string_value(json_object_get(st, "state"));
	double now = sup_now();
	char addr[64] = "";
	uint16_t port = 0;
	int fds[2], nfds = 0, fd, lfd;

	if (!s->cfg.isns_set || p->kind != SUP_FRONTEND || p->ctl < 0 ||
	    p->state != SUP_ST_RUNNING || !state)
		return;
	if (!strcmp(state, "registered"))
		p->isns_backoff = 0;
	if (strcmp(state, "down") || now < p->isns_next)
		return;
	/* the next try: later each time, until a registration succeeds */
	p->isns_backoff = p->isns_backoff ? p->isns_backoff * 2 : ISNS_BACKOFF_MIN;
	if (p->isns_backoff > ISNS_BACKOFF_MAX)
		p->isns_backoff = ISNS_BACKOFF_MAX;
	p->isns_next = now + p->isns_backoff;
	fd = sup_isns_connect(&s->cfg.isns_server);
	if (fd < 0) {
		log_info("iSNS: %s: next attempt in %.0f s", p->name, p->isns_backoff);
		return;
	}
	fds[nfds++] = fd;
	lfd = sup_isns_scn_listener(fd, addr, sizeof(addr), &port);
	if (lfd >= 0)
		fds[nfds++] = lfd;
	json_t *o = json_pack("{s:s, s:s}", "server", s->cfg.isns_server.text, "entity",
			      s->cfg.isns_entity);
	char *txt;

	if (o && lfd >= 0) {
		json_object_set_new(o, "scn_addr", json_string(addr));
		json_object_set_new(o, "scn_port", json_integer(port));
	}
	txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (txt && ctl_send(p->ctl, CTL_ISNS_CONN, txt, strlen(txt), fds, nfds) == 0)
		log_info("iSNS: new connection to %s handed to %s", s->cfg.isns_server.text,
			 p->name);
	free(txt);
	json_decref(o);
	while (nfds > 0)
		close(fds[--nfds]); /* the frontend's now (or lost with the message) */
}
