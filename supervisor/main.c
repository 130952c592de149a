/* mtgtd: the supervisor. Owns config, fds, children; never parses initiator
 * traffic. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/sup_srp.h"
#include "supervisor/sup_fc.h"
#include "supervisor/sup_audit.h"
#include "supervisor/sup_sandbox.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mtgtd [-c FILE] [-f] [-v] [--sandbox=enforce|log|off]\n"
		   "  -c FILE   configuration (JSON); without it, the embedded demo:\n"
		   "            iqn.2026-11.org.mtgt:demo, LUN 0 = 1 GiB sparse file var/disk0.img,\n"
		   "            portal 127.0.0.1:3260, admin socket var/mtgtd.sock\n"
		   "  -f        stay in the foreground (log to stderr)\n"
		   "  -v        debug logging\n"
		   "  --sandbox=MODE  children's sandbox: enforce (default), log (forbidden\n"
		   "            calls go to the kernel audit log instead of killing), off\n");
}

static void mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0700);
			*p = '/';
		}
	mkdir(tmp, 0700);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	sup_begin_shutdown(w->data);
}

static void heartbeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	sup_heartbeat(w->data);
}

static void find_bindir(struct sup *s, const char *argv0)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = 0;
		snprintf(s->bindir, sizeof(s->bindir), "%s", dirname(self));
	} else {
		snprintf(self, sizeof(self), "%s", argv0);
		snprintf(s->bindir, sizeof(s->bindir), "%s", dirname(self));
	}
}

static void daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (fork() > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static struct sup s;
	const char *cfg_path = NULL;
	bool foreground = false;
	char err[512];
	static const struct option longopts[] = {
		{ "sandbox", required_argument, NULL, 'S' }, { NULL, 0, NULL, 0 } };
	const char *sandbox_mode = NULL;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S': sandbox_mode = optarg; break;
		case 'c': cfg_path = optarg; break;
		case 'f': foreground = true; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	log_init("mtgtd");
	r = cfg_path ? sup_config_load_file(&s.cfg, cfg_path, err, sizeof(err))
		     : sup_config_default(&s.cfg, err, sizeof(err));
	if (r) {
		fprintf(stderr, "mtgtd: bad configuration: %s\n", err);
		return 1;
	}
	sup_config_set_path(cfg_path);
	if (sup_sandbox_setup(sandbox_mode))
		return 1;
	sup_audit_init();
	find_bindir(&s, argv[0]);
	s.admin_fd = -1;
	s.next_epoch = (uint32_t)getpid() << 8 | 1;
	mkdir_p(s.cfg.state_dir);
	{
		char d[PATH_MAX];

		snprintf(d, sizeof(d), "%s", s.cfg.admin_socket);
		mkdir_p(dirname(d));
	}
	if (!cfg_path)
		log_info("no -c given: serving the embedded demo configuration");
	if (sup_open_backing(&s) || sup_open_state(&s) || sup_bind_portals(&s) ||
	    sup_srp_bind(&s) || sup_fc_bind(&s))
		return 1;
	if (!foreground) {
		char logp[PATH_MAX];
		int fd;

		snprintf(logp, sizeof(logp), "%s/mtgtd.log", s.cfg.state_dir);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		daemonize();
		if (fd >= 0)
			dup2(fd, 2);
	}
	signal(SIGPIPE, SIG_IGN);
	/* Not the default loop: that one reaps every child on SIGCHLD behind our
	 * back, and we learn of deaths through pidfds with their real status. */
	s.loop = ev_loop_new(EVFLAG_AUTO);
	sup_procs_setup(&s);
	if ((r = sup_create_pool(&s)) || (r = sup_core_state_create(&s))) {
		log_err("cannot create the data pool: %s", strerror(-r));
		return 1;
	}
	if (sup_admin_start(&s))
		return 1;
	if (sup_start_all(&s)) {
		log_err("cannot start the processes");
		return 1;
	}
	ev_signal_init(&s.sigterm_w, signal_cb, SIGTERM);
	s.sigterm_w.data = &s;
	ev_signal_start(s.loop, &s.sigterm_w);
	ev_signal_init(&s.sigint_w, signal_cb, SIGINT);
	s.sigint_w.data = &s;
	ev_signal_start(s.loop, &s.sigint_w);
	ev_timer_init(&s.heartbeat_w, heartbeat_cb, s.cfg.heartbeat_interval_s,
		      s.cfg.heartbeat_interval_s);
	s.heartbeat_w.data = &s;
	ev_timer_start(s.loop, &s.heartbeat_w);
	for (uint32_t i = 0; i < s.cfg.nportals; i++)
		log_info("listening on %s", s.cfg.portals[i].text);
	log_info("admin socket %s", s.cfg.admin_socket);

	ev_run(s.loop, 0);

	sup_admin_stop(&s);
	log_info("exit %d", s.exit_code);
	return s.exit_code;
}
