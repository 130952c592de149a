/* Process life of every backend: CTL_INIT, devices, links, serve, drain, exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-common/be_impl.h"
#include "procs/backend-common/be_relink.h"
#include "procs/backend-common/be_sandbox.h"

static struct be be_proc;

void *be_priv(struct be *b) { return b->priv; }
void  be_set_priv(struct be *b, void *priv) { b->priv = priv; }
void  be_set_completion_fd(struct be *b, int fd) { b->completion_fd = fd; }
void  be_count_copy(struct be *b, uint64_t bytes) { b->st.bytes_copied += bytes; }
void  be_set_engine_name(struct be *b, const char *name) { b->engine = name; }
void  be_set_sandbox(struct be *b, const int *syscalls, bool io_uring)
{
	b->sb_calls = syscalls;
	b->sb_io_uring = io_uring;
	b->sb_set = true;
}
const struct pool *be_pool(struct be *b) { return &b->c.pool; }
const struct be_tune *be_tune(struct be *b) { return &b->tune; }

const json_t *be_config(struct be *b)
{
	static json_t *empty;
	json_t *cfg = json_object_get(b->c.init, "config");

	if (json_is_object(cfg))
		return cfg;
	if (!empty)
		empty = json_object();
	return empty;
}

static void __attribute__((noreturn)) be_fatal(const char *what, int err)
{
	log_err("%s: %s", what, err ? strerror(err < 0 ? -err : err) : "invalid");
	exit(1);
}

static uint32_t be_tune_get(json_t *cfg, const char *key, uint32_t def,
			    uint32_t lo, uint32_t hi)
{
	json_t *v = json_object_get(cfg, key);
	json_int_t x;

	if (!json_is_integer(v))
		return def;
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		log_warn("config %s=%lld out of [%u, %u]; using %u", key,
			 (long long)x, lo, hi, def);
		return def;
	}
	return (uint32_t)x;
}

static void be_tune_load(struct be *b)
{
	json_t *cfg = json_object_get(b->c.init, "config");

	b->tune.spin = be_tune_get(cfg, "spin", BE_DEF_SPIN, 0, 10000000);
	b->tune.yield = be_tune_get(cfg, "yield", BE_DEF_YIELD, 0, 10000000);
	b->tune.poll_us = be_tune_get(cfg, "poll_us", BE_DEF_POLL_US, 0, 10000);
	b->tune.queue_depth = be_tune_get(cfg, "queue_depth", BE_DEF_QD, 1, BE_MAX_QD);
	b->tune.batch = be_tune_get(cfg, "batch", BE_DEF_BATCH, 1, BE_MAX_QD);
}

static void be_send_stats(struct be *b)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:I}",
			      "kind", b->ops->kind,
			      "ios", (json_int_t)b->st.ios,
			      "bytes_read", (json_int_t)b->st.bytes_read,
			      "bytes_written", (json_int_t)b->st.bytes_written,
			      "errors", (json_int_t)b->st.errors,
			      "violations", (json_int_t)b->st.violations,
			      "sleeps", (json_int_t)b->st.sleeps,
			      "batches", (json_int_t)b->st.batches,
			      "in_flight", (int)b->busy_slots,
			      "bytes_copied", (json_int_t)b->st.bytes_copied);

	/* what the core has on this backend's ring (a backend owns no arena) */
	if (o)
		json_object_set_new(o, "ring_depth", json_integer((json_int_t)b->busy_slots));
	if (o && b->engine)
		json_object_set_new(o, "engine", json_string(b->engine));
	if (o)
		json_object_set_new(o, "lat_us", json_pack("{s:I, s:I, s:I}",
			"p50", (json_int_t)hist_pct(&b->st.lat, 0.50),
			"p99", (json_int_t)hist_pct(&b->st.lat, 0.99),
			"p999", (json_int_t)hist_pct(&b->st.lat, 0.999)));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s)
		ctl_send(CHILD_CTL_FD, CTL_STATS, s, strlen(s), NULL, 0);
	free(s);
	json_decref(o);
}

static void be_on_ctl(struct child *c, struct ctl_msg *m)
{
	struct be *b = c->user;

	switch (m->type) {
	case CTL_STATS:
		be_send_stats(b);
		break;
	case CTL_LINK_DOWN:
		be_core_link_down(b, m);
		break;
	case CTL_LINK_UP:
		be_core_link_up(b, m);
		break;
	case CTL_LUN_RESIZE:
		be_dev_resize(b, m);
		break;
	default:
		if (be_live_ctl(b, m))
			break;
		log_warn("ignoring control message %s", ctl_type_name(m->type));
		break;
	}
}

static void be_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct be *b = w->data;

	log_warn("shutdown: %u I/O still unfinished after 10 s; exiting anyway",
		 b->in_kind);
	b->drain_expired = true;
}

static void be_on_shutdown(struct child *c)
{
	struct be *b = c->user;

	if (b->draining)
		return;
	log_info("shutdown: finishing %u I/O in flight", b->in_kind);
	b->draining = true;
	ev_timer_init(&b->drain_w, be_drain_timeout, 10.0, 0.0);
	b->drain_w.data = b;
	ev_timer_start(b->loop, &b->drain_w);
}

static void be_comp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	uint64_t v;

	/* Only clears the level; the loop reaps the completions itself. */
	if (read(w->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("completion eventfd: %s", strerror(errno));
}

static void be_setup_slots(struct be *b)
{
	b->slots = calloc(b->tune.queue_depth, sizeof(*b->slots));
	if (!b->slots)
		be_fatal("io slots", -ENOMEM);
	for (uint32_t i = b->tune.queue_depth; i-- > 0;) {
		b->slots[i].next = b->free_slots;
		b->free_slots = &b->slots[i];
	}
}

static void be_setup_devs(struct be *b)
{
	const char *why = NULL;

	b->devs = calloc(BE_MAX_DEVS, sizeof(*b->devs));
	if (!b->devs)
		be_fatal("devices", -ENOMEM);
	if (be_devs_parse(json_object_get(b->c.init, "devices"), b->ops->needs_fd,
			  b->devs, BE_MAX_DEVS, &b->ndevs, &why)) {
		log_err("CTL_INIT devices: %s", why);
		exit(1);
	}
	for (uint32_t i = 0; i < b->ndevs; i++) {
		struct be_dev *d = &b->devs[i];
		int rc;

		if (!d->present)
			continue;
		rc = b->ops->dev_open ? b->ops->dev_open(b, d) : 0;
		if (rc) {
			log_err("device %u (%s): cannot serve: %s", d->index, d->path,
				strerror(-rc));
			exit(1);
		}
		log_info("device %u: %s, %llu bytes, block %u", d->index, d->path,
			 (unsigned long long)d->size, d->block_size);
	}
}

static void be_setup_links(struct be *b)
{
	for (uint32_t i = 0; i < b->c.nlinks && b->nlinks < CHILD_MAX_LINKS; i++) {
		struct be_link *bl;

		if (b->c.links[i].side != LINK_SIDE_B) {
			log_warn("link %u: this process serves side b only; ignored",
				 b->c.links[i].id);
			continue;
		}
		bl = &b->links[b->nlinks++];
		bl->l = &b->c.links[i];
		bl->id = bl->l->id;
		bl->live = true;
		bl->b = b;
		be_link_watch(b, bl);
	}
	if (!b->nlinks)
		log_warn("no link to serve");
}

static void be_teardown(struct be *b)
{
	for (uint32_t i = 0; i < b->ndevs; i++)
		if (b->devs[i].present && b->ops->dev_close)
			b->ops->dev_close(b, &b->devs[i]);
	if (b->ops->teardown)
		b->ops->teardown(b);
	be_devs_free(b->devs, b->ndevs);
	free(b->devs);
	free(b->slots);
}

int be_main(int argc, char **argv, const struct be_ops *ops)
{
	struct be *b = &be_proc;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "backend-%s", ops->kind);
	b->ops = ops;
	b->completion_fd = -1;
	if (child_init(&b->c, name))
		be_fatal("child init", 0);
	if (b->c.own_arena != -1 || !b->c.pool.map)
		be_fatal("a backend must map the whole pool", -EINVAL);
	be_tune_load(b);
	be_setup_slots(b);
	if (ops->setup && (rc = ops->setup(b)))
		be_fatal("backend setup", rc);
	be_setup_devs(b);

	b->loop = ev_default_loop(EVFLAG_AUTO);
	if (!b->loop)
		be_fatal("event loop", -ENOMEM);
	be_setup_links(b);
	if (b->completion_fd >= 0) {
		ev_io_init(&b->comp_w, be_comp_cb, b->completion_fd, EV_READ);
		ev_io_start(b->loop, &b->comp_w);
	}
	b->c.user = b;
	b->c.on_shutdown = be_on_shutdown;
	b->c.on_ctl = be_on_ctl;
	child_watch_ctl(&b->c, b->loop);
	be_sandbox_enter(b);
	child_ready(&b->c);
	log_info("serving %u link(s), queue depth %u, spin %u, yield %u, poll %u us", b->nlinks,
		 b->tune.queue_depth, b->tune.spin, b->tune.yield, b->tune.poll_us);

	be_run(b);

	log_info("done: %llu I/O, %llu errors, %llu bytes read, %llu written, "
		 "bytes_copied %llu", (unsigned long long)b->st.ios,
		 (unsigned long long)b->st.errors, (unsigned long long)b->st.bytes_read,
		 (unsigned long long)b->st.bytes_written,
		 (unsigned long long)b->st.bytes_copied);
	be_teardown(b);
	exit(0);
}
