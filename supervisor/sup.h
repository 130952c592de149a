/* The supervisor's state: resources it owns and the children it runs. */
#ifndef MTGT_SUP_H
#define MTGT_SUP_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/pool.h"
#include "supervisor/sup_config.h"

#define SUP_MAX_PROCS 16
#define SUP_LINK_ENTRIES 512

enum sup_kind { SUP_CORE, SUP_FRONTEND, SUP_BACKEND };

enum sup_state {
	SUP_ST_STARTING,   /* spawned, waiting for READY */
	SUP_ST_RUNNING,
	SUP_ST_STOPPING,   /* sent SHUTDOWN */
	SUP_ST_DRAINING,   /* frontend died; waiting until the core frees its arena */
	SUP_ST_BACKOFF,    /* waiting to restart */
	SUP_ST_EXITED,     /* stopped for good (shutdown) */
	SUP_ST_FAILED,     /* gave up restarting */
};

/* One link between a child and the core, recreated for every incarnation of
 * the child so a dead process's half-written ring is never reused. */
struct sup_link {
	uint32_t id;
	int      memfd;
	size_t   len;
	int      efd_a;        /* wakes side A */
	int      efd_b;        /* wakes side B */
	bool     valid;
};

struct sup_proc {
	char     name[32];
	char     kind_name[32];   /* "core", "iscsi", "backend-file" */
	char     binary[64];
	enum sup_kind kind;
	enum sup_backend backend; /* SUP_BACKEND only */
	uint32_t arena;           /* SUP_FRONTEND only */
	enum sup_state state;
	pid_t    pid;
	int      pidfd;
	int      ctl;             /* our end of the control socketpair */
	uint32_t epoch;
	uint32_t restarts;
	double   started_at;
	struct sup_policy policy;
	struct sup_restart_hist hist;
	char     kill_reason[128]; /* why the supervisor killed it, for the exit log */
	bool     restart_requested; /* an admin's proc.restart: not a failure */
	bool     unavailable;     /* exited SUP_EXIT_UNAVAILABLE: not restarted */
	bool     core_hold;        /* sup_core_restart.c: draining for a new core */
	uint64_t ping_seq;
	double   last_pong;
	char     last_exit[256];
	struct sup_link link;     /* link to the core (not for the core itself) */
	json_t  *stats;           /* its latest CTL_STATS answer (sup_stats.c) */
	double   isns_next;       /* sup_isns.c: next reconnection attempt, and its backoff */
	double   isns_backoff;
	char     binary_path[512]; /* set by an upgrade: run this instead of bindir/binary */
	bool     handover_in;     /* an upgrade's new instance: waits for the old one's state */
	ev_io    pid_w;
	ev_io    ctl_w;
	ev_timer restart_w;
	struct sup *sup;
};

struct sup {
	struct ev_loop *loop;
	struct sup_config cfg;
	char     bindir[4096];
	struct pool pool;
	int      listen_fds[SUP_MAX_PORTALS];
	int      srp_fds[SUP_MAX_SRP_PORTS]; /* soft SRP CM sockets (sup_srp.c) */
	int      fc_fds[SUP_MAX_FC_PORTS];   /* FCoE packet sockets (sup_fc.c) */
	int      state_fd;        /* the core's durable state (APTPL), in state_dir */
	int      isns_fds[2];     /* iSNS connection and SCN listener handed to the
	                           * next frontend started; closed here after the fork */
	int      nisns_fds;
	int      state_seg_fd;    /* the core state segment (sup_core_restart.c) */
	double   core_died_at;    /* when the core's death was seen (recovery time) */
	char     state_path[4096];
	uint32_t nprocs;
	struct sup_proc procs[SUP_MAX_PROCS];
	struct sup_proc *core;
	uint32_t next_epoch;
	bool     shutting_down;
	int      exit_code;
	int      admin_fd;
	ev_io    admin_w;
	ev_timer heartbeat_w;
	ev_timer shutdown_deadline_w;
	ev_signal sigterm_w, sigint_w;
};

/* sup_resources.c: things the supervisor opens and hands over */
int  sup_open_backing(struct sup *s);
/* Open (or create, when l->size is set) a file LUN's backing; sets l->fd and
 * l->size. */
int  sup_open_file_lun(struct sup_target *t, struct sup_lun *l);
int  sup_open_state(struct sup *s);
int  sup_bind_portals(struct sup *s);
/* A listening socket for one portal: the fd, or -errno. */
int  sup_bind_portal(const struct sup_portal *p);
int  sup_create_pool(struct sup *s);
int  sup_link_new(struct sup *s, struct sup_link *l, uint32_t id, uint32_t epoch_a,
		  uint32_t epoch_b);
void sup_link_close(struct sup_link *l);

/* sup_proc.c: spawning, watching, restarting */
void sup_procs_setup(struct sup *s);
int  sup_start_all(struct sup *s);
void sup_begin_shutdown(struct sup *s);
void sup_heartbeat(struct sup *s);
/* proc.restart: a graceful stop, then an immediate start outside the policy. */
int  sup_proc_restart(struct sup *s, struct sup_proc *p);
struct sup_proc *sup_proc_find(struct sup *s, const char *name);
/* For sup_upgrade.c: tell the core about p's link (up or down). */
void sup_send_link_up(struct sup *s, struct sup_proc *p);
void sup_send_link_down(struct sup *s, struct sup_proc *p);
bool sup_all_running(struct sup *s);
const char *sup_state_name(enum sup_state st);

/* sup_proc.c, shared with the core restart and handover files */
int  sup_proc_prepare(struct sup *s, struct sup_proc *p);
void sup_proc_launch(struct sup *s, struct sup_proc *p);
void sup_proc_kill(struct sup_proc *p, const char *why);
void sup_proc_watch(struct sup *s, struct sup_proc *p);

/* sup_core_restart.c: a new core without dropping sessions. The state
 * segment outlives core incarnations; when the core dies the frontends and
 * backends hold (CTL_LINK_DOWN), backends finish the dead core's I/O and say
 * CTL_LINK_DRAINED, then a new core starts on new links (CTL_LINK_UP). */
int  sup_core_state_create(struct sup *s);
void sup_core_hold(struct sup *s);
bool sup_core_restart_ready(struct sup *s);
void sup_core_respawn(struct sup *s);
void sup_core_backend_drained(struct sup *s, struct sup_proc *p);
void sup_core_send_link_up(struct sup *s, struct sup_proc *p);
void sup_core_ready(struct sup *s);

/* sup_core_handover.c: live upgrade of the core (proc.upgrade core) */
int  sup_core_upgrade(struct sup *s, const char *binary, const char **msg);
/* CTL_HANDOVER from the core: {"ok":true} once quiesced */
void sup_core_quiesced(struct sup *s, const char *data);
/* The core ended: true when the handover took care of it (rollback). */
bool sup_core_handover_exit(struct sup *s);
bool sup_core_handover_busy(void);
void sup_core_handover_ready(struct sup *s);
/* JSON-RPC proc.upgrade {name, [binary]} */
json_t *sup_core_rpc_upgrade(struct sup *s, json_t *params, int *code, const char **msg);

/* sup_init_msg.c: the CTL_INIT document of each child */
json_t *sup_init_doc(struct sup *s, struct sup_proc *p, int *fds, int *nfds, int max_fds);
/* The "config" of the core's and the frontends' CTL_INIT, also sent live
 * with CTL_CONFIG. */
json_t *sup_core_config(struct sup *s);
json_t *sup_frontend_config(struct sup *s);
json_t *sup_link_desc(struct sup *s, struct sup_proc *peer, bool core_side, int *fds,
		      int *nfds, int fd_base);

/* sup_lun.c: per-LUN storage settings for the core's and a backend's
 * CTL_INIT; live resize */
void sup_lun_core_extra(const struct sup_lun *l, json_t *o);
void sup_lun_backend_extra(const struct sup_lun *l, json_t *o);
/* Resize a LUN live: grow or shrink its file (ftruncate; a block device must
 * already be that large), then the backend and the core learn the new size;
 * the core raises CAPACITY DATA HAS CHANGED. 0 or -errno with err set. */
int  sup_lun_resize(struct sup *s, const char *target, uint32_t lun, uint64_t size,
		    char *err, size_t errlen);
/* JSON-RPC "lun.resize" {target, lun, size} */
json_t *sup_rpc_lun_resize(struct sup *s, json_t *params, int *code, const char **msg);

/* sup_stats.c: children's counters in the status */
void sup_stats_request(struct sup *s);
void sup_stats_store(struct sup_proc *p, const char *data);
void sup_stats_forget(struct sup_proc *p);
void sup_stats_status(struct sup *s, json_t *status);

/* sup_rpc.c, sup_live.c, sup_rpc_config.c: admin methods beyond status and
 * proc.*, live configuration changes (see there) */
typedef json_t *(*sup_rpc_fn)(struct sup *s, json_t *params, int *code, const char **msg);
sup_rpc_fn sup_rpc_handler(const char *method);
/* A control message of a child the process table does not handle (CONFIG_DONE,
 * STATS answers); false if it is unexpected. */
bool sup_live_on_ctl(struct sup *s, struct sup_proc *p, uint32_t type, const char *data);
/* The file mtgtd was started with (config.save's default). */
void sup_config_set_path(const char *path);
/* Poll every child's CTL_STATS each second from now on (sup_rpc_stats.c). */
void sup_stats_start(struct sup *s);

/* sup_admin.c: the admin socket */
int  sup_admin_start(struct sup *s);
void sup_admin_stop(struct sup *s);

/* sup_notify.c: systemd readiness and watchdog */
void sup_notify_tick(struct sup *s);
void sup_notify_stopping(void);

double sup_now(void);

/* sup_session.c: ask the sessions of `initiator` (NULL: any) on `target`
 * (NULL: any) to log out within wait_s (iSCSI AsyncEvent 1, then dropped).
 * Returns the number of frontends told. For "drop session" / ACL changes. */
int  sup_session_logout(struct sup *s, const char *initiator, const char *target,
			unsigned wait_s);
json_t *sup_rpc_session_logout(struct sup *s, json_t *params, int *code, const char **msg);
/* sup_isns.c: a TCP connection to the iSNS server (bounded wait), or -errno */
int  sup_isns_connect(const struct sup_portal *server);
/* A listening TCP socket on the local address of the iSNS connection fd, for
 * the server's SCN messages; its address in addr, port in *port. */
int  sup_isns_scn_listener(int fd, char *addr, size_t addrlen, uint16_t *port);
/* After each CTL_STATS of an iSCSI frontend: if it reports its iSNS
 * connection down, connect again (with backoff) and hand it over. */
void sup_isns_check(struct sup *s, struct sup_proc *p);

#endif
