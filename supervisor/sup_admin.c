/* Admin socket: JSON-RPC 2.0, one request per line, unix socket mode 0600,
 * peers checked with SO_PEERCRED (root or our own uid). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/sup_policy.h"
#include "supervisor/sup_upgrade.h"

#define ADMIN_LINE_MAX (64 * 1024)

struct admin_client {
	ev_io    w;
	struct sup *sup;
	size_t   len;
	char     buf[ADMIN_LINE_MAX];
};

typedef json_t *(*rpc_fn)(struct sup *s, json_t *params, int *code, const char **msg);

static json_t *rpc_status(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *procs = json_array(), *portals = json_array(), *targets = json_array();

	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:i, s:i}", "name", p->name, "kind",
				      p->kind_name, "pid", p->pid, "state", sup_state_name(p->state),
				      "restarts", p->restarts, "epoch", p->epoch);

		if (p->last_exit[0])
			json_object_set_new(o, "last_exit", json_string(p->last_exit));
		json_object_set_new(o, "recent_restarts",
				    json_integer(sup_policy_recent(&p->policy, &p->hist, sup_now())));
		json_object_set_new(o, "policy", sup_policy_json(&p->policy));
		json_array_append_new(procs, o);
	}
	for (uint32_t i = 0; i < s->cfg.nportals; i++)
		json_array_append_new(portals, json_string(s->cfg.portals[i].text));
	for (uint32_t i = 0; i < s->cfg.ntargets; i++)
		json_array_append_new(targets, json_pack("{s:s, s:i}", "name",
			s->cfg.targets[i].name, "luns", s->cfg.targets[i].nluns));
	json_t *st = json_pack("{s:i, s:b, s:o, s:o, s:o}", "pid", getpid(), "shutting_down",
			 s->shutting_down, "processes", procs, "portals", portals, "targets",
			 targets);

	if (st)
		sup_stats_status(s, st);
	return st;
}

static json_t *rpc_proc_list(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *st = rpc_status(s, params, code, msg);
	json_t *procs = json_incref(json_object_get(st, "processes"));

	json_decref(st);
	return procs;
}

static json_t *rpc_methods(struct sup *s, json_t *params, int *code, const char **msg);

/* Errors name the parameter at fault (JSON-RPC "invalid params" = -32602). */
static struct sup_proc *param_proc(struct sup *s, json_t *params, int *code, const char **msg)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	struct sup_proc *p;

	if (!name) {
		*code = -32602;
		*msg = "params.name: the process name (see proc.list) is required";
		return NULL;
	}
	p = sup_proc_find(s, name);
	if (!p) {
		*code = -32602;
		*msg = "params.name: no such process";
	}
	return p;
}

static json_t *rpc_proc_restart(struct sup *s, json_t *params, int *code, const char **msg)
{
	struct sup_proc *p = param_proc(s, params, code, msg);
	int r;

	if (!p)
		return NULL;
	r = sup_proc_restart(s, p);
	if (r) {
		*code = -32000;
		*msg = r == -EBUSY ? "process is not running (starting, restarting or draining)"
		     : r == -ESHUTDOWN ? "the target is shutting down"
				       : "could not ask the process to stop";
		return NULL;
	}
	return json_pack("{s:s, s:s}", "name", p->name, "state", sup_state_name(p->state));
}

/* Without policy fields: read the policy. With them: change it, live. */
static json_t *rpc_proc_policy(struct sup *s, json_t *params, int *code, const char **msg)
{
	static char err[256];
	struct sup_proc *p = param_proc(s, params, code, msg);
	struct sup_policy np;
	json_t *fields;

	if (!p)
		return NULL;
	fields = json_deep_copy(params);
	json_object_del(fields, "name");
	if (sup_policy_parse(fields, &p->policy, &np, "params", err, sizeof(err))) {
		json_decref(fields);
		*code = -32602;
		*msg = err;
		return NULL;
	}
	json_decref(fields);
	if (memcmp(&np, &p->policy, sizeof(np))) {
		p->policy = np;
		log_info("%s: restart policy now %u restarts in %u s, backoff %u..%u ms", p->name,
			 np.intensity, np.period_s, np.backoff_initial_ms, np.backoff_max_ms);
	}
	return json_pack("{s:s, s:o}", "name", p->name, "policy", sup_policy_json(&p->policy));
}

static const struct {
	const char *name;
	rpc_fn fn;
	const char *help;
} methods[] = {
	{ "status", rpc_status, "supervisor, processes, portals and targets" },
	{ "proc.list", rpc_proc_list, "processes with pid, state and restart count" },
	{ "proc.restart", rpc_proc_restart,
	  "{name}: stop a process gracefully and start it again (also revives a failed one)" },
	{ "proc.policy", rpc_proc_policy,
	  "{name, [backoff_initial_ms, backoff_max_ms, intensity, period_s]}: read or set "
	  "its restart policy" },
	{ "lun.resize", sup_rpc_lun_resize,
	  "{target, lun, size}: grow or shrink a LUN live (CAPACITY DATA HAS CHANGED)" },
	{ "proc.upgrade", sup_rpc_proc_upgrade,
	  "{name, [binary, start_timeout_ms, quiesce_timeout_ms, load_timeout_ms]}: start a new "
	  "instance beside the old one and hand over to it (see proc.upgrade_status)" },
	{ "proc.upgrade_status", sup_rpc_proc_upgrade_status,
	  "{name}: the state or result of its last upgrade" },
	{ "rpc.methods", rpc_methods, "the methods this server offers" },
};

static json_t *rpc_methods(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", methods[i].name, "help",
						   methods[i].help));
	return a;
}

static json_t *handle(struct sup *s, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *id, *res = NULL;
	const char *method, *msg = NULL;
	int code = 0;

	if (!json_is_object(req)) {
		json_decref(req);
		return json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
				 "code", -32700, "message", "parse error: not a JSON object");
	}
	id = json_object_get(req, "id");
	method = json_string_value(json_object_get(req, "method"));
	if (!method || !json_is_string(json_object_get(req, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(req, "jsonrpc")), "2.0")) {
		code = -32600;
		msg = "invalid request: needs \"jsonrpc\":\"2.0\" and a \"method\" string";
	} else {
		size_t i;

		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (!strcmp(methods[i].name, method))
				break;
		if (i == sizeof(methods) / sizeof(methods[0])) {
			code = -32601;
			msg = "method not found";
		} else {
			res = methods[i].fn(s, json_object_get(req, "params"), &code, &msg);
		}
	}
	json_t *out = json_pack("{s:s, s:O}", "jsonrpc", "2.0", "id", id ? id : json_null());

	if (res)
		json_object_set_new(out, "result", res);
	else
		json_object_set_new(out, "error", json_pack("{s:i, s:s}", "code", code ? code : -32603,
							    "message", msg ? msg : "internal error"));
	json_decref(req);
	return out;
}

static void client_close(struct ev_loop *loop, struct admin_client *c)
{
	ev_io_stop(loop, &c->w);
	close(c->w.fd);
	free(c);
}

static void client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_client *c = (struct admin_client *)w;
	ssize_t n = read(w->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	char *nl;

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(loop, c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		json_t *rsp;
		char *txt;

		*nl = 0;
		rsp = handle(c->sup, c->buf);
		txt = json_dumps(rsp, JSON_COMPACT);
		json_decref(rsp);
		/* Replies are small; a client that does not read them is dropped. */
		if (txt && (write(w->fd, txt, strlen(txt)) < 0 || write(w->fd, "\n", 1) < 0)) {
			free(txt);
			client_close(loop, c);
			return;
		}
		free(txt);
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	if (c->len == sizeof(c->buf) - 1) {
		log_warn("admin: request line too long; dropping client");
		client_close(loop, c);
	}
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sup *s = w->data;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
	struct admin_client *c;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		log_warn("admin: refused a client with uid %d", (int)cred.uid);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->sup = s;
	ev_io_init(&c->w, client_cb, fd, EV_READ);
	ev_io_start(loop, &c->w);
}

int sup_admin_start(struct sup *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *path = s->cfg.admin_socket;
	mode_t old;
	int fd;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A stale socket from a crashed run would block the bind; a live one
	 * answers connect, and then we must not steal it. */
	{
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;

		if (probe >= 0)
			close(probe);
		if (live) {
			log_err("admin socket %s: another mtgtd is running", path);
			close(fd);
			return -EADDRINUSE;
		}
	}
	unlink(path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		umask(old);
		log_err("admin socket %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	umask(old);
	chmod(path, 0600);
	s->admin_fd = fd;
	ev_io_init(&s->admin_w, accept_cb, fd, EV_READ);
	s->admin_w.data = s;
	ev_io_start(s->loop, &s->admin_w);
	return 0;
}

void sup_admin_stop(struct sup *s)
{
	if (s->admin_fd < 0)
		return;
	ev_io_stop(s->loop, &s->admin_w);
	close(s->admin_fd);
	unlink(s->cfg.admin_socket);
	s->admin_fd = -1;
}
