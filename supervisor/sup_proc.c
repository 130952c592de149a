/* Children: spawn with an explicit fd list, watch through pidfds, answer their
 * control messages, restart them after a death, stop them in order. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/sup_upgrade.h"
#include "supervisor/sup_srp.h"
#include "supervisor/sup_audit.h"

#define SUP_MAX_FDS         4096
#define SUP_SHUTDOWN_S      30.0

static void spawn(struct sup *s, struct sup_proc *p);
static void restart_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void shutdown_step(struct sup *s);

double sup_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *sup_state_name(enum sup_state st)
{
	static const char *const n[] = { "starting", "running", "stopping", "draining",
					 "backoff", "exited", "failed" };
	return st <= SUP_ST_FAILED ? n[st] : "?";
}

static struct sup_proc *add_proc(struct sup *s, const char *name, const char *kind,
				 const char *binary, enum sup_kind k)
{
	struct sup_proc *p = &s->procs[s->nprocs++];

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->kind_name, sizeof(p->kind_name), "%s", kind);
	snprintf(p->binary, sizeof(p->binary), "%s", binary);
	p->kind = k;
	p->pid = -1;
	p->pidfd = p->ctl = -1;
	p->state = SUP_ST_EXITED;
	p->sup = s;
	return p;
}

void sup_procs_setup(struct sup *s)
{
	bool used[SUP_BE_COUNT] = { false };

	s->core = add_proc(s, "core", "core", "mtgt-core", SUP_CORE);
	for (uint32_t i = 0; i < s->cfg.ntargets; i++)
		for (uint32_t k = 0; k < s->cfg.targets[i].nluns; k++)
			used[s->cfg.targets[i].luns[k].backend] = true;
	for (int b = 0; b < SUP_BE_COUNT; b++) {
		used[b] |= s->cfg.backend_always[b]; /* LUNs of this kind may come live */
		char name[32], bin[64];

		if (!used[b])
			continue;
		snprintf(name, sizeof(name), "backend-%s", sup_backend_name(b));
		snprintf(bin, sizeof(bin), "mtgt-backend-%s", sup_backend_name(b));
		add_proc(s, name, name, bin, SUP_BACKEND)->backend = b;
	}
	add_proc(s, "iscsi0", "iscsi", "mtgt-iscsi", SUP_FRONTEND);
	if (s->cfg.nsrp)
		add_proc(s, "srp0", "srp", "mtgt-srp", SUP_FRONTEND);
	if (s->cfg.nfc)
		add_proc(s, "fc0", "fc", "mtgt-fc", SUP_FRONTEND);
	for (uint32_t i = 0; i < s->nprocs; i++)
		s->procs[i].policy = *sup_config_policy(&s->cfg, s->procs[i].name,
							 s->procs[i].kind_name);
}

struct sup_proc *sup_proc_find(struct sup *s, const char *name)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (!strcmp(s->procs[i].name, name))
			return &s->procs[i];
	return NULL;
}

bool sup_all_running(struct sup *s)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].state != SUP_ST_RUNNING && !s->procs[i].unavailable)
			return false;
	return true;
}

int sup_proc_restart(struct sup *s, struct sup_proc *p)
{
	if (s->shutting_down)
		return -ESHUTDOWN;
	p->unavailable = false;
	if (p->state == SUP_ST_FAILED) {
		/* an administrator's restart is how a given-up process comes back */
		memset(&p->hist, 0, sizeof(p->hist));
		p->restart_w.data = p;
		restart_cb(s->loop, &p->restart_w, 0);
		return 0;
	}
	if (p->state != SUP_ST_RUNNING || p->ctl < 0 || sup_upgrade_busy(s, p))
		return -EBUSY;
	if (p->kind == SUP_CORE) {
		/* a handover to a new instance of the same binary: no session
		 * notices (sup_core_handover.c) */
		const char *msg;
		int r = sup_core_upgrade(s, NULL, &msg);

		if (!r)
			p->restart_requested = true;
		return r;
	}
	p->restart_requested = true;
	p->state = SUP_ST_STOPPING;
	log_info("restarting %s (pid %d) on request", p->name, p->pid);
	return ctl_send(p->ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0);
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, len, "killed by seccomp (SIGSYS)");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "status 0x%x", status);
}

static void kill_proc(struct sup_proc *p, const char *why)
{
	if (p->pid > 0 && p->pidfd >= 0) {
		log_warn("killing %s (pid %d): %s", p->name, p->pid, why);
		if (!p->kill_reason[0])
			snprintf(p->kill_reason, sizeof(p->kill_reason), "%s", why);
		/* Through the pidfd: never a recycled pid. */
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
	}
}

static void send_link_up(struct sup *s, struct sup_proc *p)
{
	int fds[8], nfds = 0;
	json_t *d = json_pack("{s:o}", "link", sup_link_desc(s, p, true, fds, &nfds, 0));
	char *txt = json_dumps(d, JSON_COMPACT);

	if (s->core->state == SUP_ST_RUNNING || s->core->state == SUP_ST_STARTING)
		ctl_send(s->core->ctl, CTL_LINK_UP, txt, strlen(txt), fds, nfds);
	free(txt);
	json_decref(d);
}

static void send_link_down(struct sup *s, struct sup_proc *p)
{
	char buf[64];

	if (s->core->ctl < 0 || !p->link.valid)
		return;
	snprintf(buf, sizeof(buf), "{\"link\":%u}", p->link.id);
	ctl_send(s->core->ctl, CTL_LINK_DOWN, buf, strlen(buf), NULL, 0);
}

static void restart_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup_proc *p = w->data;
	struct sup *s = p->sup;

	if (s->shutting_down)
		return;
	if (p->kind == SUP_CORE) {
		/* The frontends and backends live on (sup_core_restart.c): once
		 * the backends have finished the dead core's I/O, a new core
		 * takes over their links. */
		if (!sup_core_restart_ready(s)) {
			ev_timer_set(w, 0.002, 0);
			ev_timer_start(loop, w);
			return;
		}
		p->restarts++;
		sup_core_respawn(s);
		return;
	}
	p->restarts++;
	spawn(s, p);
	if (p->state == SUP_ST_STARTING)
		send_link_up(s, p);
}

/* Who has to restart with p when p keeps failing: the core depends on every
 * backend (it holds their in-flight I/O), and everything depends on the core. */
static void escalate(struct sup *s, struct sup_proc *p)
{
	if (p->kind == SUP_BACKEND && s->core->pid > 0) {
		log_err("%s keeps failing: escalating, restarting the core with it", p->name);
		kill_proc(s->core, "escalation: a backend keeps failing");
	} else {
		log_err("%s keeps failing: escalating (no dependants to restart)", p->name);
	}
}

static void schedule_restart(struct sup *s, struct sup_proc *p)
{
	double delay = 0;

	if (p->restart_requested) {
		p->restart_requested = false;
	} else {
		switch (sup_policy_decide(&p->policy, &p->hist, sup_now(), p->started_at, &delay)) {
		case SUP_RESTART:
			break;
		case SUP_ESCALATE:
			escalate(s, p);
			break;
		case SUP_GIVE_UP:
			p->state = SUP_ST_FAILED;
			log_err("giving up on %s: more than %u restarts within %u s (last: %s)",
				p->name, p->policy.intensity, p->policy.period_s, p->last_exit);
			return;
		}
	}
	p->state = SUP_ST_BACKOFF;
	log_info("restarting %s in %.1f s", p->name, delay);
	ev_timer_stop(s->loop, &p->restart_w);
	ev_timer_init(&p->restart_w, restart_cb, delay, 0);
	p->restart_w.data = p;
	ev_timer_start(s->loop, &p->restart_w);
}

static void on_exit_of(struct sup *s, struct sup_proc *p, int status)
{
	char why[256];

	describe_exit(status, why, sizeof(why));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		char call[64];
		int nr = sup_audit_seccomp_call(p->pid, call, sizeof(call));
		size_t n = strlen(why);

		if (nr >= 0)
			snprintf(why + n, sizeof(why) - n, ": forbidden system call %d (%s)",
				 nr, call);
		else
			snprintf(why + n, sizeof(why) - n, ": system call unknown (no audit record)");
	}
	if (p->kill_reason[0]) {
		size_t n = strlen(why);

		snprintf(why + n, sizeof(why) - n, ": %s", p->kill_reason);
		p->kill_reason[0] = 0;
	}
	snprintf(p->last_exit, sizeof(p->last_exit), "%s", why);
	ev_io_stop(s->loop, &p->pid_w);
	ev_io_stop(s->loop, &p->ctl_w);
	close(p->pidfd);
	close(p->ctl);
	p->pidfd = p->ctl = -1;
	p->pid = -1;
	/* an instance in an upgrade: the upgrade decides what follows */
	if (sup_upgrade_exited(s, p, why))
		return;
	sup_stats_forget(p);

	if (s->shutting_down) {
		if (p->state != SUP_ST_STOPPING)
			log_warn("%s ended during shutdown: %s", p->name, why);
		else
			log_info("%s stopped: %s", p->name, why);
		p->state = SUP_ST_EXITED;
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			s->exit_code = 1;
		shutdown_step(s);
		return;
	}
	log_warn("%s ended: %s", p->name, why);
	if (p->kind == SUP_FRONTEND && WIFEXITED(status) &&
	    WEXITSTATUS(status) == SUP_EXIT_UNAVAILABLE) {
		/* its transport cannot run on this machine (no RDMA devices):
		 * restarting would only fail again, and it is nobody's fault */
		log_warn("%s: transport not available on this machine; not restarting it "
			 "(mtgtctl proc restart %s tries again)", p->name, p->name);
		send_link_down(s, p);
		p->unavailable = true;
		p->state = SUP_ST_FAILED;
		snprintf(p->last_exit, sizeof(p->last_exit), "not available: no RDMA devices");
		sup_notify_tick(s);
		return;
	}
	if (p->kind == SUP_CORE) {
		if (sup_core_handover_exit(s))
			return;
		s->core_died_at = sup_now();
		/* an upgrade of another process cannot switch over meanwhile */
		sup_upgrade_abort(s, "the core died during the upgrade");
		schedule_restart(s, p);
		if (p->state == SUP_ST_FAILED) {
			for (uint32_t i = 0; i < s->nprocs; i++)
				if (s->procs[i].pid > 0)
					kill_proc(&s->procs[i], "the core was given up");
		} else {
			sup_core_hold(s);
		}
	} else if (s->core->pid < 0) {
		/* Part of a core restart: the core's timer restarts everyone. */
		if (s->core->state != SUP_ST_FAILED)
			p->state = SUP_ST_BACKOFF;
	} else if (p->kind == SUP_BACKEND) {
		/* The core keeps the in-flight I/O and reissues it to the new one. */
		send_link_down(s, p);
		schedule_restart(s, p);
	} else {
		/* The arena may still be the target of backend I/O: wait for the
		 * core to say it is free before a new frontend reuses it. */
		send_link_down(s, p);
		p->state = SUP_ST_DRAINING;
	}
}

static void pid_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sup_proc *p = w->data;
	int status;

	pid_t r = waitpid(p->pid, &status, WNOHANG);

	if (r == p->pid) {
		on_exit_of(p->sup, p, status);
	} else if (r < 0) {
		/* Someone else reaped it; it is gone all the same. */
		log_warn("%s (pid %d): exit status lost: %s", p->name, p->pid, strerror(errno));
		on_exit_of(p->sup, p, 0x7f00);
	}
}

static struct sup_proc *proc_by_link(struct sup *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].link.valid && s->procs[i].link.id == id)
			return &s->procs[i];
	return NULL;
}

static void on_violation(struct sup *s, struct sup_proc *p, const char *data)
{
	json_t *j = json_loads(data ? data : "", 0, NULL);
	json_t *lj = json_object_get(j, "link");
	const char *reason = json_string_value(json_object_get(j, "reason"));
	struct sup_proc *peer = NULL;

	if (json_is_integer(lj)) {
		uint32_t id = (uint32_t)json_integer_value(lj);

		if (p->kind == SUP_CORE)
			peer = proc_by_link(s, id);
		else if (p->link.valid && p->link.id == id)
			peer = s->core;
	}
	if (peer) {
		char why[256];

		snprintf(why, sizeof(why), "protocol violation reported by %s: %s", p->name,
			 reason ? reason : "?");
		kill_proc(peer, why);
	} else {
		kill_proc(p, "bogus violation report");
	}
	json_decref(j);
}

static void ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sup_proc *p = w->data;
	struct sup *s = p->sup;

	for (int budget = 0; budget < 64 && p->ctl >= 0; budget++) {
		struct ctl_msg m;
		int r = ctl_recv(p->ctl, &m);

		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			/* EOF: the pidfd reports the death itself. */
			if (r == -EPROTO)
				kill_proc(p, "malformed control message");
			ev_io_stop(loop, &p->ctl_w);
			return;
		}
		switch (m.type) {
		case CTL_READY:
			if (p->state == SUP_ST_STARTING) {
				p->state = SUP_ST_RUNNING;
				log_info("%s ready (pid %d)", p->name, p->pid);
				sup_upgrade_ready(s, p);
				if (p->kind == SUP_CORE)
					sup_core_ready(s);
				sup_notify_tick(s);
			}
			break;
		case CTL_HANDOVER:
			/* the core's own handover (sup_core_handover.c), or an
			 * upgrade of a backend or frontend (sup_upgrade.c) */
			if (p->kind == SUP_CORE && p == s->core)
				sup_core_quiesced(s, m.data);
			else
				sup_upgrade_ctl(s, p, &m);
			break;
		case CTL_PONG:
			p->last_pong = sup_now();
			break;
		case CTL_STATS:
			sup_stats_store(p, m.data);
			sup_isns_check(s, p); /* its iSNS connection lost: a new one */
			break;
		case CTL_VIOLATION:
			on_violation(s, p, m.data);
			break;
		case CTL_LINK_DRAINED: {
			if (p->kind == SUP_BACKEND) {
				sup_core_backend_drained(s, p);
				break;
			}
			json_t *j = json_loads(m.data ? m.data : "", 0, NULL);
			json_t *id = json_object_get(j, "link");
			struct sup_proc *fe = json_is_integer(id) && p->kind == SUP_CORE
				? proc_by_link(s, (uint32_t)json_integer_value(id)) : NULL;

			if (fe && fe->kind == SUP_FRONTEND && fe->state == SUP_ST_DRAINING &&
			    !s->shutting_down)
				schedule_restart(s, fe);
			json_decref(j);
			break;
		}
		default:
			if (!sup_live_on_ctl(s, p, m.type, m.data))
				kill_proc(p, "unexpected control message");
		}
		ctl_msg_free(&m);
	}
}

/* In the child between fork and exec: put fds[i] at 4+i, ctl at 3. */
static pid_t sup_pid;

static void child_exec(struct sup *s, struct sup_proc *p, int ctl, int *fds, int nfds)
{
	char path[4200];
	sigset_t all;
	int hi = 3 + nfds + 1 + 16;

	/* Die with the supervisor from the first instruction on (the setting
	 * survives exec): a child must never outlive the owner of its fds. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != sup_pid)
		_exit(127);
	/* Move everything out of the way first so dup2 into 3.. cannot clobber a
	 * source that sits in the target range. */
	ctl = fcntl(ctl, F_DUPFD, hi);
	for (int i = 0; i < nfds; i++)
		fds[i] = fcntl(fds[i], F_DUPFD, hi);
	if (ctl < 0 || dup2(ctl, 3) < 0)
		_exit(127);
	for (int i = 0; i < nfds; i++)
		if (fds[i] < 0 || dup2(fds[i], 4 + i) < 0)
			_exit(127);
	syscall(SYS_close_range, 4 + nfds, ~0u, 0);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Own process group: a terminal's Ctrl-C reaches only the supervisor,
	 * which then stops the children in order. */
	setpgid(0, 0);
	if (p->binary_path[0])
		snprintf(path, sizeof(path), "%s", p->binary_path);
	else
		snprintf(path, sizeof(path), "%s/%s", s->bindir, p->binary);
	execl(path, p->binary, (char *)NULL);
	_exit(127);
}

void sup_proc_watch(struct sup *s, struct sup_proc *p)
{
	ev_io_init(&p->pid_w, pid_cb, p->pidfd, EV_READ);
	p->pid_w.data = p;
	ev_io_start(s->loop, &p->pid_w);
	ev_io_init(&p->ctl_w, ctl_cb, p->ctl, EV_READ);
	p->ctl_w.data = p;
	ev_io_start(s->loop, &p->ctl_w);
}

/* A new incarnation: new epoch and, for a core peer, a brand-new link. */
static int prepare(struct sup *s, struct sup_proc *p)
{
	p->epoch = s->next_epoch++;
	if (p->kind == SUP_CORE)
		return 0;
	if (sup_link_new(s, &p->link, (uint32_t)(p - s->procs),
			 p->kind == SUP_FRONTEND ? p->epoch : s->core->epoch,
			 p->kind == SUP_FRONTEND ? s->core->epoch : p->epoch) < 0) {
		log_err("%s: cannot create its link", p->name);
		return -EMFILE;
	}
	return 0;
}

static void launch(struct sup *s, struct sup_proc *p)
{
	static int fds[SUP_MAX_FDS];
	int nfds = 0, sv[2], big = 4 << 20;
	json_t *doc;
	char *txt;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	doc = sup_init_doc(s, p, fds, &nfds, SUP_MAX_FDS);
	if (p->handover_in) {
		/* The link goes under another key: a binary that does not know to
		 * wait for a handover finds no link and exits (a rollback), instead
		 * of producing into a ring the old instance still produces into. */
		json_object_set_new(doc, "handover", json_true());
		json_object_set(doc, "handover_links", json_object_get(doc, "links"));
		json_object_del(doc, "links");
	}
	txt = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	sup_pid = getpid();
	pid = fork();
	if (pid == 0)
		child_exec(s, p, sv[1], fds, nfds);
	close(sv[1]);
	while (s->nisns_fds > 0)
		close(s->isns_fds[--s->nisns_fds]); /* the frontend's now */
	if (pid < 0) {
		log_err("%s: fork: %s", p->name, strerror(errno));
		close(sv[0]);
		free(txt);
		goto fail;
	}
	p->pid = pid;
	p->ctl = sv[0];
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ctl_send(p->ctl, CTL_INIT, txt, strlen(txt), NULL, 0) < 0)
		log_err("%s: cannot send its init message", p->name);
	free(txt);
	fcntl(p->ctl, F_SETFL, O_NONBLOCK);
	p->state = SUP_ST_STARTING;
	p->started_at = p->last_pong = sup_now();
	ev_io_init(&p->pid_w, pid_cb, p->pidfd, EV_READ);
	p->pid_w.data = p;
	ev_io_start(s->loop, &p->pid_w);
	ev_io_init(&p->ctl_w, ctl_cb, p->ctl, EV_READ);
	p->ctl_w.data = p;
	ev_io_start(s->loop, &p->ctl_w);
	log_info("started %s (pid %d, epoch %u)", p->name, pid, p->epoch);
	return;
fail:
	p->state = SUP_ST_FAILED;
}

int sup_proc_prepare(struct sup *s, struct sup_proc *p)
{
	return prepare(s, p);
}

void sup_proc_launch(struct sup *s, struct sup_proc *p)
{
	launch(s, p);
}

void sup_proc_kill(struct sup_proc *p, const char *why)
{
	kill_proc(p, why);
}

static void spawn(struct sup *s, struct sup_proc *p)
{
	if (prepare(s, p) < 0) {
		p->state = SUP_ST_FAILED;
		return;
	}
	launch(s, p);
}

int sup_start_all(struct sup *s)
{
	/* The core's epoch first: every link is stamped with it. */
	if (prepare(s, s->core) < 0)
		return -EMFILE;
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (&s->procs[i] != s->core && prepare(s, &s->procs[i]) < 0)
			return -EMFILE;
	for (uint32_t i = 0; i < s->nprocs; i++)
		launch(s, &s->procs[i]);
	return 0;
}

static bool all_stopped(struct sup *s, enum sup_kind k)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == k && s->procs[i].pid > 0)
			return false;
	return true;
}

static void stop_kind(struct sup *s, enum sup_kind k)
{
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		ev_timer_stop(s->loop, &p->restart_w);
		if (p->kind != k)
			continue;
		if (p->pid > 0 && p->state != SUP_ST_STOPPING) {
			p->state = SUP_ST_STOPPING;
			ctl_send(p->ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0);
		} else if (p->pid <= 0) {
			p->state = SUP_ST_EXITED;
		}
	}
}

/* Frontends first (they stop taking commands and finish theirs), then the
 * core, then the backends, so nothing in flight loses its destination. */
static void shutdown_step(struct sup *s)
{
	if (!all_stopped(s, SUP_FRONTEND)) {
		stop_kind(s, SUP_FRONTEND);
		return;
	}
	if (!all_stopped(s, SUP_CORE)) {
		stop_kind(s, SUP_CORE);
		return;
	}
	if (!all_stopped(s, SUP_BACKEND)) {
		stop_kind(s, SUP_BACKEND);
		return;
	}
	log_info("all processes stopped");
	ev_break(s->loop, EVBREAK_ALL);
}

static void shutdown_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sup *s = w->data;

	log_err("shutdown did not finish in %.0f s; killing what is left", SUP_SHUTDOWN_S);
	s->exit_code = 1;
	for (uint32_t i = 0; i < s->nprocs; i++)
		kill_proc(&s->procs[i], "shutdown deadline");
}

void sup_begin_shutdown(struct sup *s)
{
	if (s->shutting_down)
		return;
	s->shutting_down = true;
	log_info("shutting down: no new connections; finishing in-flight commands");
	sup_notify_stopping();
	sup_upgrade_abort(s, "the target is shutting down");
	/* Stop accepting: the frontends close their copies of the listeners. */
	for (uint32_t i = 0; i < s->cfg.nportals; i++) {
		close(s->listen_fds[i]);
		s->listen_fds[i] = -1;
	}
	sup_srp_close_listeners(s);
	ev_timer_init(&s->shutdown_deadline_w, shutdown_deadline_cb, SUP_SHUTDOWN_S, 0);
	s->shutdown_deadline_w.data = s;
	ev_timer_start(s->loop, &s->shutdown_deadline_w);
	shutdown_step(s);
}

void sup_heartbeat(struct sup *s)
{
	double now = sup_now();

	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p->pid <= 0 || p->ctl < 0)
			continue;
		/* no PONG for this long: the child hangs (a crash shows on the pidfd) */
		if (now - p->last_pong > s->cfg.heartbeat_timeout_s) {
			kill_proc(p, "heartbeat timeout (hung)");
			continue;
		}
		p->ping_seq++;
		ctl_send(p->ctl, CTL_PING, &p->ping_seq, sizeof(p->ping_seq), NULL, 0);
	}
	sup_stats_request(s);
	sup_notify_tick(s);
}

/* ---- for sup_upgrade.c ---- */

void sup_send_link_up(struct sup *s, struct sup_proc *p)
{
	send_link_up(s, p);
}

void sup_send_link_down(struct sup *s, struct sup_proc *p)
{
	send_link_down(s, p);
}
