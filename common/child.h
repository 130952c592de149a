/* What every child process does the same way: read CTL_INIT from fd 3, map the
 * pool (all of it, or only its own arena), attach its links, answer heartbeats
 * and shutdown on the control channel.
 *
 * CTL_INIT JSON (fd numbers refer to fds inherited across exec):
 * { "name": "iscsi0", "kind": "iscsi", "epoch": 7,
 *   "pool": { "fd": 4, "size": N, "map": "all" | <own arena id>,
 *             "arenas": [ {"offset": O, "size": S}, ... ] },
 *   "core_arena": 0,
 *   "links": [ { "id": 0, "fd": 5, "len": L, "side": "a"|"b",
 *                "wake_self": 6, "wake_peer": 7, "peer": "core",
 *                "peer_epoch": 3 } ],
 *   "listeners": [ { "fd": 8, "addr": "127.0.0.1:3260" } ],      (frontends)
 *   "devices": [ { "dev": 0, "fd": 9, "size": B, "block_size": 512,
 *                  "path": "/srv/disk0.img" } ],                (backends)
 *   "config": { ... } }                                          (core: targets)
 */
#ifndef MTGT_COMMON_CHILD_H
#define MTGT_COMMON_CHILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h"
#include "shm/link.h"
#include "shm/pool.h"

#define CHILD_CTL_FD   3
#define CHILD_MAX_LINKS 64

struct ev_loop;

struct child {
	const char *name;
	const char *kind;
	uint32_t epoch;
	json_t  *init;          /* the whole CTL_INIT document */
	struct pool pool;
	int      own_arena;     /* -1 when the whole pool is mapped */
	uint32_t core_arena;
	uint32_t nlinks;
	struct link links[CHILD_MAX_LINKS];
	bool     shutting_down;
	/* set by the process before child_run_ctl(): */
	void   (*on_shutdown)(struct child *c);   /* begin draining */
	void   (*on_ctl)(struct child *c, struct ctl_msg *m); /* other types */
	void    *user;
};

/* Read and apply CTL_INIT. Exits the process with a message on failure. */
int  child_init(struct child *c, const char *default_name);
/* Attach a link described by a JSON object like those in "links". */
int  child_attach_link(struct child *c, json_t *desc, struct link *out);
/* Tell the supervisor we are ready. */
void child_ready(struct child *c);
/* Report a peer that broke the ring protocol; the supervisor restarts it. */
void child_violation(struct child *c, uint32_t link_id, const char *reason);
/* Watch the control socket in a libev loop (PING, SHUTDOWN, the rest to on_ctl). */
void child_watch_ctl(struct child *c, struct ev_loop *loop);
/* Find a link by id, or NULL. */
struct link *child_link(struct child *c, uint32_t id);

#endif
