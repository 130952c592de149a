/* Child runtime: CTL_INIT, pool mapping, link attachment, heartbeats. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include "common/child.h"
#include "common/ctl.h"
#include "common/log.h"

static int json_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int json_int(json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX)
		return -EINVAL;
	*out = (int)json_integer_value(v);
	return 0;
}

static int setup_pool(struct child *c, json_t *pj)
{
	uint64_t offs[POOL_MAX_ARENAS], sizes[POOL_MAX_ARENAS], size;
	json_t *arenas = json_object_get(pj, "arenas"), *map, *a;
	size_t i;
	int fd, err;

	if (!json_is_object(pj) || json_int(pj, "fd", &fd) || json_u64(pj, "size", &size) ||
	    !json_is_array(arenas) || json_array_size(arenas) == 0 ||
	    json_array_size(arenas) > POOL_MAX_ARENAS)
		return -EINVAL;
	json_array_foreach(arenas, i, a) {
		if (json_u64(a, "offset", &offs[i]) || json_u64(a, "size", &sizes[i]))
			return -EINVAL;
	}
	err = pool_set_layout(&c->pool, fd, size, (uint32_t)json_array_size(arenas), offs,
			      sizes);
	if (err)
		return err;
	map = json_object_get(pj, "map");
	if (json_is_string(map) && !strcmp(json_string_value(map), "all")) {
		c->own_arena = -1;
		return pool_map_all(&c->pool);
	}
	if (!json_is_integer(map) || json_integer_value(map) < 0 ||
	    json_integer_value(map) >= (json_int_t)c->pool.narenas)
		return -EINVAL;
	c->own_arena = (int)json_integer_value(map);
	err = pool_map_arena(&c->pool, (uint32_t)c->own_arena);
	/* Without the fd the rest of the pool (other frontends' buffers) is out
	 * of reach: nothing can map it any more. */
	if (!err) {
		close(c->pool.fd);
		c->pool.fd = -1;
	}
	return err;
}

int child_attach_link(struct child *c, json_t *d, struct link *out)
{
	uint64_t id, len, peer_epoch;
	const char *side;
	int fd, ws, wp, err;

	if (!json_is_object(d) || json_u64(d, "id", &id) || json_int(d, "fd", &fd) ||
	    json_u64(d, "len", &len) || json_int(d, "wake_self", &ws) ||
	    json_int(d, "wake_peer", &wp) || json_u64(d, "peer_epoch", &peer_epoch) ||
	    !json_is_string(json_object_get(d, "side")))
		return -EINVAL;
	side = json_string_value(json_object_get(d, "side"));
	if (strcmp(side, "a") && strcmp(side, "b"))
		return -EINVAL;
	/* Eventfds are polled from event loops: never block on them. */
	fcntl(ws, F_SETFL, fcntl(ws, F_GETFL) | O_NONBLOCK);
	fcntl(wp, F_SETFL, fcntl(wp, F_GETFL) | O_NONBLOCK);
	err = link_attach(out, (uint32_t)id, fd, (size_t)len,
			  side[0] == 'a' ? LINK_SIDE_A : LINK_SIDE_B, ws, wp, c->epoch,
			  (uint32_t)peer_epoch);
	/* The mapping keeps the memory; the fd is no longer needed. */
	close(fd);
	return err;
}

int child_init(struct child *c, const char *default_name)
{
	struct ctl_msg m;
	struct pollfd pfd = { .fd = CHILD_CTL_FD, .events = POLLIN };
	json_error_t jerr;
	json_t *links, *l;
	uint64_t epoch = 0, core_arena = 0;
	size_t i;
	int err;

	memset(c, 0, sizeof(*c));
	c->own_arena = -1;
	log_init(default_name);
	/* Die with the supervisor: a child must never outlive the process that
	 * owns its resources and watches it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1) {
		log_err("supervisor already gone");
		exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	if (poll(&pfd, 1, 10000) != 1) {
		log_err("no init message on fd %d", CHILD_CTL_FD);
		exit(1);
	}
	err = ctl_recv(CHILD_CTL_FD, &m);
	if (err <= 0 || m.type != CTL_INIT || !m.data) {
		log_err("bad init message (%d)", err);
		exit(1);
	}
	c->init = json_loads(m.data, 0, &jerr);
	ctl_msg_free(&m);
	if (!json_is_object(c->init)) {
		log_err("init message is not JSON: %s", jerr.text);
		exit(1);
	}
	if (json_is_string(json_object_get(c->init, "name")))
		c->name = json_string_value(json_object_get(c->init, "name"));
	else
		c->name = default_name;
	c->kind = json_string_value(json_object_get(c->init, "kind"));
	log_init(c->name);
	if (json_u64(c->init, "epoch", &epoch) || epoch > UINT32_MAX) {
		log_err("init: bad epoch");
		exit(1);
	}
	c->epoch = (uint32_t)epoch;
	json_u64(c->init, "core_arena", &core_arena);
	c->core_arena = (uint32_t)core_arena;
	err = setup_pool(c, json_object_get(c->init, "pool"));
	if (err) {
		log_err("init: cannot map the data pool: %s", strerror(-err));
		exit(1);
	}
	links = json_object_get(c->init, "links");
	if (links && !json_is_array(links)) {
		log_err("init: bad links");
		exit(1);
	}
	json_array_foreach(links, i, l) {
		if (c->nlinks == CHILD_MAX_LINKS) {
			log_err("init: too many links");
			exit(1);
		}
		err = child_attach_link(c, l, &c->links[c->nlinks]);
		if (err) {
			log_err("init: cannot attach link %zu: %s", i, strerror(-err));
			exit(1);
		}
		c->nlinks++;
	}
	return 0;
}

void child_ready(struct child *c)
{
	ctl_send(CHILD_CTL_FD, CTL_READY, NULL, 0, NULL, 0);
}

void child_violation(struct child *c, uint32_t link_id, const char *reason)
{
	char buf[512];
	json_t *j = json_pack("{s:i, s:s}", "link", (json_int_t)link_id, "reason", reason);
	char *s = json_dumps(j, JSON_COMPACT);

	log_err("protocol violation on link %u: %s", link_id, reason);
	snprintf(buf, sizeof(buf), "%s", s ? s : "{}");
	ctl_send(CHILD_CTL_FD, CTL_VIOLATION, buf, strlen(buf), NULL, 0);
	free(s);
	json_decref(j);
}

struct link *child_link(struct child *c, uint32_t id)
{
	for (uint32_t i = 0; i < c->nlinks; i++)
		if (c->links[i].id == id)
			return &c->links[i];
	return NULL;
}

static void ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct child *c = w->data;

	for (int budget = 0; budget < 64; budget++) {
		struct ctl_msg m;
		int r = ctl_recv(CHILD_CTL_FD, &m);

		if (r == -EAGAIN)
			return;
		if (r <= 0) {
			/* The supervisor is gone or broke the protocol: nobody
			 * would route our work any more. */
			log_err("control channel %s", r == 0 ? "closed" : "broken");
			exit(r == 0 ? 0 : 1);
		}
		switch (m.type) {
		case CTL_PING:
			ctl_send(CHILD_CTL_FD, CTL_PONG, m.data, m.len, NULL, 0);
			break;
		case CTL_SHUTDOWN:
			if (!c->shutting_down) {
				c->shutting_down = true;
				log_info("shutting down");
				if (c->on_shutdown)
					c->on_shutdown(c);
				else
					exit(0);
			}
			break;
		default:
			if (c->on_ctl) {
				c->on_ctl(c, &m);
			} else {
				log_err("unexpected control message %s", ctl_type_name(m.type));
				exit(1);
			}
		}
		ctl_msg_free(&m);
	}
}

void child_watch_ctl(struct child *c, struct ev_loop *loop)
{
	static ev_io w;

	fcntl(CHILD_CTL_FD, F_SETFL, fcntl(CHILD_CTL_FD, F_GETFL) | O_NONBLOCK);
	ev_io_init(&w, ctl_cb, CHILD_CTL_FD, EV_READ);
	w.data = c;
	ev_io_start(loop, &w);
}
