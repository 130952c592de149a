/* Admin socket: JSON-RPC 2.0, one request per line, unix socket mode 0600
 * (0660 with admin.group), peers checked with SO_PEERCRED (root, our own
 * uid, or a member of admin.group). Requests are checked against the schema
 * (common/rpc_schema.c) before any handler runs. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rpc_schema.h"
#include "supervisor/sup.h"
#include "supervisor/sup_policy.h"
#include "supervisor/sup_upgrade.h"

#define ADMIN_LINE_MAX (64 * 1024)

#define ADMIN_OUT_MAX     (32u << 20) /* replies queued for a slow reader */
#define ADMIN_MAX_CLIENTS 64

/* A client can neither grow our memory (one line of at most ADMIN_LINE_MAX,
 * replies queued up to ADMIN_OUT_MAX while we stop reading its requests)
 * nor hold a slot (idle timeout): the supervisor never blocks on it. */
struct admin_client {
	ev_io    w;             /* first: the callbacks cast back */
	ev_io    ww;
	ev_timer idle;
	struct sup *sup;
	char    *out;
	size_t   out_len, out_off;
	size_t   len;
	char     buf[ADMIN_LINE_MAX];
};

static unsigned nclients;

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
	{ "session.logout", sup_rpc_session_logout,
	  "{[initiator], [target], [wait_s]}: ask matching iSCSI sessions to log out "
	  "(AsyncEvent 1), drop them after wait_s + 2 s" },
	{ "proc.upgrade", sup_rpc_proc_upgrade,
	  "{name, [binary, start_timeout_ms, quiesce_timeout_ms, load_timeout_ms]}: start a new "
	  "instance beside the old one and hand over to it (see proc.upgrade_status)" },
	{ "proc.upgrade_status", sup_rpc_proc_upgrade_status,
	  "{name}: the state or result of its last upgrade" },
	{ "rpc.methods", rpc_methods, "the methods this server offers" },
};

/* The schema (common/rpc_schema.c) is the list; every entry has a handler
 * (tests/integration/admin-rpc.sh checks both ways). */
static json_t *rpc_methods(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *a = json_array();

	for (size_t i = 0; i < rpc_schema_n; i++) {
		const struct rpc_method *m = &rpc_schema[i];
		json_t *ps = json_array();

		for (int k = 0; k < RPC_MAX_PARAMS && m->params[k].name; k++)
			json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:s}", "name",
				m->params[k].name, "type", rpc_type_name(m->params[k].type),
				"required", m->params[k].required, "help", m->params[k].help));
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name", m->name, "help",
						   m->help, "params", ps));
	}
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
		const struct rpc_method *m = rpc_method_find(method);
		json_t *params = json_object_get(req, "params");
		static char verr[512];
		rpc_fn fn = NULL;
		size_t i;

		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (!strcmp(methods[i].name, method))
				fn = methods[i].fn;
		if (!fn)
			fn = sup_rpc_handler(method);
		if (!m || !fn) {
			code = RPC_E_METHOD;
			msg = "method not found (see rpc.methods)";
		} else if ((code = rpc_validate(m, params, verr, sizeof(verr)))) {
			msg = verr;
		} else {
			res = fn(s, json_is_object(params) ? params : NULL, &code, &msg);
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
	ev_io_stop(loop, &c->ww);
	ev_timer_stop(loop, &c->idle);
	close(c->w.fd);
	free(c->out);
	free(c);
	nclients--;
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct admin_client *c = w->data;

	log_warn("admin: client idle for %u ms; dropped", c->sup->cfg.admin_idle_ms);
	client_close(loop, c);
}

/* Returns false when the client was closed. */
static bool client_flush(struct ev_loop *loop, struct admin_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->w.fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* stop reading requests until the replies are taken */
			ev_io_stop(loop, &c->w);
			ev_io_start(loop, &c->ww);
			return true;
		}
		if (n <= 0) {
			client_close(loop, c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	ev_io_stop(loop, &c->ww);
	ev_io_start(loop, &c->w);
	return true;
}

static bool client_queue(struct ev_loop *loop, struct admin_client *c, const char *txt)
{
	size_t n = strlen(txt);
	char *p;

	if (c->out_len + n + 1 > ADMIN_OUT_MAX) {
		log_warn("admin: client does not read its replies; dropped");
		client_close(loop, c);
		return false;
	}
	p = realloc(c->out, c->out_len + n + 1);
	if (!p) {
		client_close(loop, c);
		return false;
	}
	c->out = p;
	memcpy(c->out + c->out_len, txt, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return true;
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_client *c = w->data;

	ev_timer_again(loop, &c->idle);
	client_flush(loop, c);
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
	ev_timer_again(loop, &c->idle);
	c->len += (size_t)n;
	c->buf[c->len] = 0;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		json_t *rsp;
		char *txt;
		bool ok;

		*nl = 0;
		rsp = handle(c->sup, c->buf);
		txt = json_dumps(rsp, JSON_COMPACT);
		json_decref(rsp);
		ok = txt && client_queue(loop, c, txt);
		free(txt);
		if (!ok)
			return;
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	if (c->len == sizeof(c->buf) - 1) {
		static const char *const too_long = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			"{\"code\":-32600,\"message\":\"request line longer than 65535 bytes\"}}";

		log_warn("admin: request line too long; dropping client");
		if (write(w->fd, too_long, strlen(too_long)) < 0 || write(w->fd, "\n", 1) < 0)
			log_debug("admin: could not tell the client why");
		client_close(loop, c);
		return;
	}
	if (c->out_len)
		client_flush(loop, c);
}

/* root, our own uid, or a member of admin.group */
static bool peer_allowed(struct sup *s, const struct ucred *cred)
{
	struct passwd *pw;
	struct group *gr;
	gid_t groups[256];
	int ng = 256;

	if (cred->uid == 0 || cred->uid == geteuid())
		return true;
	if (!s->cfg.admin_group || !(gr = getgrnam(s->cfg.admin_group)))
		return false;
	if (cred->gid == gr->gr_gid)
		return true;
	pw = getpwuid(cred->uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) < 0)
		return false;
	for (int i = 0; i < ng; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sup *s = w->data;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct admin_client *c;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || !peer_allowed(s, &cred)) {
		log_warn("admin: refused a client with uid %d", (int)cred.uid);
		close(fd);
		return;
	}
	if (nclients >= ADMIN_MAX_CLIENTS) {
		log_warn("admin: %u clients already; refusing another", nclients);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	nclients++;
	sup_stats_start(s); /* session.list and stats.get answer from these polls */
	c->sup = s;
	ev_io_init(&c->w, client_cb, fd, EV_READ);
	ev_io_init(&c->ww, client_write_cb, fd, EV_WRITE);
	c->ww.data = c;
	ev_init(&c->idle, idle_cb);
	c->idle.repeat = s->cfg.admin_idle_ms / 1000.0;
	c->idle.data = c;
	ev_timer_again(loop, &c->idle);
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
	if (s->cfg.admin_group) {
		struct group *gr = getgrnam(s->cfg.admin_group);

		if (gr && chown(path, (uid_t)-1, gr->gr_gid) == 0)
			chmod(path, 0660);
		else
			log_warn("admin socket: cannot give it to group %s", s->cfg.admin_group);
	}
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
