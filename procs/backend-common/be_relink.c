/* A new core incarnation (supervisor/sup_core_restart.c): CTL_LINK_DOWN says
 * the core behind a link died. Nothing more is taken from that link, the I/O
 * it started runs to its end in the kind (the buffers it names stay written
 * only by us until then), its completions are dropped, and once none is left
 * the supervisor hears CTL_LINK_DRAINED. Only then may a new core start and
 * name the same buffers again; CTL_LINK_UP brings its brand-new link. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/backend-common/be_impl.h"
#include "procs/backend-common/be_relink.h"

static ev_timer drain_w;
static bool drain_on;

static struct be_link *find(struct be *b, const struct ctl_msg *m, json_t **root)
{
	json_t *v;

	*root = m->data ? json_loadb(m->data, m->len, 0, NULL) : NULL;
	v = json_object_get(*root, "link");
	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (!json_is_integer(v))
		return NULL;
	for (uint32_t i = 0; i < b->nlinks; i++)
		if (b->links[i].id == (uint64_t)json_integer_value(v))
			return &b->links[i];
	return NULL;
}

static void drain_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct be *b = w->data;
	bool waiting = false;
	char js[64];

	for (uint32_t i = 0; i < b->nlinks; i++) {
		struct be_link *bl = &b->links[i];

		if (!bl->drain_report)
			continue;
		if (bl->outstanding) {
			waiting = true;
			continue;
		}
		bl->drain_report = false;
		snprintf(js, sizeof(js), "{\"link\":%u}", bl->id);
		ctl_send(CHILD_CTL_FD, CTL_LINK_DRAINED, js, strlen(js), NULL, 0);
		log_info("link %u: the dead core's I/O is done", bl->id);
	}
	if (!waiting) {
		ev_timer_stop(loop, w);
		drain_on = false;
	}
}

void be_core_link_down(struct be *b, const struct ctl_msg *m)
{
	json_t *root;
	struct be_link *bl = find(b, m, &root);

	json_decref(root);
	if (!bl) {
		log_warn("LINK_DOWN for a link we do not serve");
		return;
	}
	if (bl->live)
		ev_io_stop(b->loop, &bl->wake_w);
	bl->live = false;
	bl->drain_report = true;
	log_info("link %u: core gone; finishing %u I/O it started", bl->id, bl->outstanding);
	if (!drain_on) {
		ev_timer_init(&drain_w, drain_check, 0.0, 0.001);
		drain_w.data = b;
		ev_timer_start(b->loop, &drain_w);
		drain_on = true;
	}
}

void be_core_link_up(struct be *b, struct ctl_msg *m)
{
	static const char *const keys[] = { "fd", "wake_self", "wake_peer" };
	json_t *root, *copy = NULL, *desc;
	struct be_link *bl = find(b, m, &root);
	struct link nl;
	int idx[3];

	desc = json_object_get(root, "link");
	/* A new core must never see completions of the old one's I/O. A live
	 * link with nothing outstanding is a core upgrade: the old core
	 * quiesced, so nothing more comes from it. */
	if (!bl || !json_is_object(desc) || bl->outstanding) {
		log_err("LINK_UP for a link that is unknown or not drained: refused");
		exit(1);
	}
	if (bl->live) {
		ev_io_stop(b->loop, &bl->wake_w);
		bl->live = false;
	}
	copy = json_deep_copy(desc);
	for (unsigned k = 0; k < 3; k++) {
		json_t *v = json_object_get(copy, keys[k]);

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= m->nfds) {
			log_err("LINK_UP: \"%s\" does not name an fd sent with it", keys[k]);
			exit(1);
		}
		idx[k] = (int)json_integer_value(v);
		json_object_set_new(copy, keys[k], json_integer(m->fds[idx[k]]));
	}
	memset(&nl, 0, sizeof(nl));
	if (child_attach_link(&b->c, copy, &nl)) {
		log_err("LINK_UP: cannot attach the new link");
		exit(1);
	}
	/* attached: the memfd is closed, the eventfds are the link's now */
	for (unsigned k = 0; k < 3; k++)
		m->fds[idx[k]] = -1;
	link_detach(bl->l);
	close(bl->l->wake_self);
	close(bl->l->wake_peer);
	bl->own = nl;
	bl->l = &bl->own;
	bl->live = true;
	be_link_watch(b, bl);
	log_info("link %u: new core attached", bl->id);
	json_decref(copy);
	json_decref(root);
}
