#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/ctl_rpc.h"

#define RPC_TIMEOUT_MS 10000
#define RPC_REPLY_MAX  (16u << 20)

int ctl_rpc_call(const char *sock, const char *method, json_t *params, json_t **result,
		 char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
	char *txt, *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *rsp, *e;
	int fd, rc = -1;

	if (params)
		json_object_set(req, "params", params);
	txt = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (strlen(sock) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", sock);
		free(txt);
		return -1;
	}
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s (is mtgtd running?)", sock,
			 strerror(errno));
		goto out;
	}
	if (write(fd, txt, strlen(txt)) < 0 || write(fd, "\n", 1) < 0) {
		snprintf(err, errlen, "write to %s: %s", sock, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, RPC_TIMEOUT_MS) != 1) {
			snprintf(err, errlen, "no answer from %s within %d s", sock,
				 RPC_TIMEOUT_MS / 1000);
			goto out;
		}
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			if (cap > RPC_REPLY_MAX) {
				snprintf(err, errlen, "reply too large");
				goto out;
			}
			buf = realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			snprintf(err, errlen, "connection closed by mtgtd");
			goto out;
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = 0;
	rsp = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(rsp)) {
		snprintf(err, errlen, "malformed reply");
	} else if ((e = json_object_get(rsp, "error"))) {
		snprintf(err, errlen, "%s (code %lld)",
			 json_string_value(json_object_get(e, "message")) ?: "error",
			 (long long)json_integer_value(json_object_get(e, "code")));
	} else {
		*result = json_incref(json_object_get(rsp, "result"));
		rc = *result ? 0 : -1;
		if (rc)
			snprintf(err, errlen, "reply without a result");
	}
	json_decref(rsp);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(txt);
	return rc;
}
