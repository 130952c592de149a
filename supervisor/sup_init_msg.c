/* The CTL_INIT document each child receives, and link descriptions. Fds named
 * in a document are numbers in the receiving process: fd_base + index into the
 * list of fds handed over (inherited across exec: base 4, since fd 3 is the
 * control socket; or SCM_RIGHTS with a CTL_LINK_UP: base 0, an index). */
#include <string.h>

#include "supervisor/sup.h"
#include "supervisor/sup_srp.h"
#include "supervisor/sup_fc.h"
#include "supervisor/sup_acl.h"
#include "supervisor/sup_sandbox.h"
#include "supervisor/sup_alua.h"

#define CHILD_FD_BASE 4

static int add_fd(int *fds, int *nfds, int max, int fd, int base)
{
	if (*nfds >= max)
		return -1;
	fds[(*nfds)++] = fd;
	return base + *nfds - 1;
}

static struct sup_proc *backend_proc(struct sup *s, enum sup_backend b)
{
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].kind == SUP_BACKEND && s->procs[i].backend == b)
			return &s->procs[i];
	return NULL;
}

json_t *sup_link_desc(struct sup *s, struct sup_proc *peer, bool core_side, int *fds,
		      int *nfds, int fd_base)
{
	struct sup_link *l = &peer->link;
	bool fe = peer->kind == SUP_FRONTEND;
	/* Side A submits: the frontend on its link, the core on a backend link. */
	bool side_a = core_side ? !fe : fe;
	int efd_self = side_a ? l->efd_a : l->efd_b, efd_peer = side_a ? l->efd_b : l->efd_a;
	json_t *d = json_object();

	json_object_set_new(d, "id", json_integer(l->id));
	json_object_set_new(d, "fd", json_integer(add_fd(fds, nfds, 256, l->memfd, fd_base)));
	json_object_set_new(d, "len", json_integer((json_int_t)l->len));
	json_object_set_new(d, "side", json_string(side_a ? "a" : "b"));
	json_object_set_new(d, "wake_self", json_integer(add_fd(fds, nfds, 256, efd_self, fd_base)));
	json_object_set_new(d, "wake_peer", json_integer(add_fd(fds, nfds, 256, efd_peer, fd_base)));
	json_object_set_new(d, "peer", json_string(core_side ? peer->name : "core"));
	json_object_set_new(d, "peer_kind", json_string(core_side ? peer->kind_name : "core"));
	json_object_set_new(d, "peer_epoch", json_integer(core_side ? peer->epoch : s->core->epoch));
	if (fe)
		json_object_set_new(d, "arena", json_integer(peer->arena));
	return d;
}

json_t *sup_core_config(struct sup *s)
{
	json_t *targets = json_array();

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];
		json_t *luns = json_array(), *inits = json_array();

		for (uint32_t k = 0; k < t->nluns; k++) {
			struct sup_lun *l = &t->luns[k];
			struct sup_proc *be = backend_proc(s, l->backend);

			json_t *o = json_pack(
				"{s:i, s:i, s:i, s:I, s:i, s:s, s:s, s:b, s:b}", "lun", l->lun,
				"link", be->link.id, "dev", l->dev, "size", (json_int_t)l->size,
				"block_size", l->block_size, "backend", sup_backend_name(l->backend),
				"path", l->path ? l->path : "", "readonly", l->readonly, "thin",
				l->thin);

			sup_lun_core_extra(l, o);
			json_array_append_new(luns, o);
		}
		for (uint32_t k = 0; k < t->ninitiators; k++)
			json_array_append_new(inits, sup_acl_json(t, k));
		for (uint32_t k = 0; k < t->nsrp_initiators; k++)
			json_array_append_new(inits, json_string(t->srp_initiators[k]));
		for (uint32_t k = 0; k < t->nfc_initiators; k++)
			json_array_append_new(inits, json_string(t->fc_initiators[k]));
		json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "name", t->name, "luns", luns,
				      "initiators", inits, "ports", sup_alua_ports(&s->cfg, t));

		if (t->alua)
			json_object_set(o, "alua", t->alua);
		json_array_append_new(targets, o);
	}
	json_t *cfg = json_pack("{s:o}", "targets", targets);

	if (s->cfg.core_tuning)
		json_object_set(cfg, "tuning", s->cfg.core_tuning);
	return cfg;
}

static json_t *chap_json(const struct sup_chap *c)
{
	json_t *o = json_pack("{s:s, s:s}", "user", c->user, "secret", c->secret);

	if (c->mutual_user)
		json_object_update_new(o, json_pack("{s:s, s:s}", "mutual_user", c->mutual_user,
						    "mutual_secret", c->mutual_secret));
	return o;
}

/* What a frontend needs to log initiators in: targets' CHAP credentials and
 * the discovery session's. ACLs stay with the core. */
json_t *sup_frontend_config(struct sup *s)
{
	json_t *targets = json_array(), *algs = json_array();
	json_t *cfg;

	for (uint32_t i = 0; i < s->cfg.ntargets; i++) {
		struct sup_target *t = &s->cfg.targets[i];
		json_t *o = json_pack("{s:s, s:i}", "name", t->name, "max_sessions",
				      t->max_sessions);

		if (t->chap.set)
			json_object_set_new(o, "chap", chap_json(&t->chap));
		if (t->redirect.set)
			json_object_set_new(o, "redirect", json_pack("{s:s, s:s}", "address",
				t->redirect.address, "type",
				t->redirect.permanent ? "permanent" : "temporary"));
		if (t->ngroups) {
			json_t *g = json_array();

			for (uint32_t k = 0; k < t->ngroups; k++)
				json_array_append_new(g, json_integer(t->groups[k]));
			json_object_set_new(o, "portal_groups", g);
		}
		json_array_append_new(targets, o);
	}
	for (uint32_t i = 0; i < s->cfg.nchap_algs; i++)
		json_array_append_new(algs, json_string(s->cfg.chap_algs[i]));
	cfg = json_pack("{s:o, s:o, s:i, s:i, s:i, s:i, s:i}", "targets", targets,
			"chap_algorithms", algs, "nop_interval_s", s->cfg.nop_interval_s,
			"nop_timeout_s", s->cfg.nop_timeout_s, "shutdown_logout_s",
			s->cfg.shutdown_logout_s, "require_header_digest",
			s->cfg.require_header_digest, "require_data_digest",
			s->cfg.require_data_digest);
	if (s->cfg.iscsi_tuning)
		json_object_update(cfg, s->cfg.iscsi_tuning);
	if (s->cfg.discovery_chap.set)
		json_object_set_new(cfg, "discovery_chap", chap_json(&s->cfg.discovery_chap));
	return cfg;
}

json_t *sup_init_doc(struct sup *s, struct sup_proc *p, int *fds, int *nfds, int max_fds)
{
	json_t *doc = json_object(), *arenas = json_array(), *links = json_array();
	json_t *pool;

	*nfds = 0;
	json_object_set_new(doc, "name", json_string(p->name));
	json_object_set_new(doc, "kind", json_string(p->kind_name));
	json_object_set_new(doc, "epoch", json_integer(p->epoch));
	json_object_set_new(doc, "core_arena", json_integer(0));
	json_object_set_new(doc, "sandbox", sup_sandbox_json());
	for (uint32_t i = 0; i < s->pool.narenas; i++)
		json_array_append_new(arenas, json_pack("{s:I, s:I}", "offset",
			(json_int_t)s->pool.arenas[i].offset, "size",
			(json_int_t)s->pool.arenas[i].size));
	pool = json_pack("{s:i, s:I, s:o}", "fd",
			 add_fd(fds, nfds, max_fds, s->pool.fd, CHILD_FD_BASE), "size",
			 (json_int_t)s->pool.size, "arenas", arenas);
	/* A frontend sees only its own arena of the pool. */
	json_object_set_new(pool, "map", p->kind == SUP_FRONTEND ? json_integer(p->arena)
								  : json_string("all"));
	json_object_set_new(doc, "pool", pool);

	if (p->kind == SUP_CORE) {
		for (uint32_t i = 0; i < s->nprocs; i++)
			if (&s->procs[i] != p && s->procs[i].link.valid)
				json_array_append_new(links, sup_link_desc(s, &s->procs[i], true, fds,
									   nfds, CHILD_FD_BASE));
		json_object_set_new(doc, "config", sup_core_config(s));
		json_object_set_new(doc, "state", json_pack("{s:i, s:s}", "fd",
			add_fd(fds, nfds, max_fds, s->state_fd, CHILD_FD_BASE), "path",
			s->state_path));
		if (s->state_seg_fd >= 0)
			json_object_set_new(doc, "state_seg", json_pack("{s:i}", "fd",
				add_fd(fds, nfds, max_fds, s->state_seg_fd, CHILD_FD_BASE)));
	} else {
		json_array_append_new(links, sup_link_desc(s, p, false, fds, nfds, CHILD_FD_BASE));
	}
	json_object_set_new(doc, "links", links);

	if (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "srp")) {
		sup_srp_init_doc(s, p, doc, fds, nfds, max_fds, CHILD_FD_BASE);
	} else if (p->kind == SUP_FRONTEND && !strcmp(p->kind_name, "fc")) {
		sup_fc_init_doc(s, p, doc, fds, nfds, max_fds, CHILD_FD_BASE);
	} else if (p->kind == SUP_FRONTEND) {
		json_t *ls = json_array();

		for (uint32_t i = 0; i < s->cfg.nportals; i++)
			json_array_append_new(ls, json_pack("{s:i, s:s, s:i}", "fd",
				add_fd(fds, nfds, max_fds, s->listen_fds[i], CHILD_FD_BASE), "addr",
				s->cfg.portals[i].text, "group", s->cfg.portals[i].group));
		json_object_set_new(doc, "listeners", ls);
		json_object_set_new(doc, "config", sup_frontend_config(s));
		if (s->cfg.isns_set) {
			/* the frontend may not connect (sandbox): we do, it talks */
			int fd = sup_isns_connect(&s->cfg.isns_server);
			json_t *o = json_pack("{s:s, s:s}", "server", s->cfg.isns_server.text,
					      "entity", s->cfg.isns_entity);

			if (fd >= 0) {
				char addr[64];
				uint16_t port;
				int lfd = sup_isns_scn_listener(fd, addr, sizeof(addr), &port);

				json_object_set_new(o, "fd", json_integer(
					add_fd(fds, nfds, max_fds, fd, CHILD_FD_BASE)));
				s->isns_fds[s->nisns_fds++] = fd;
				if (lfd >= 0) {
					json_object_set_new(o, "scn_fd", json_integer(
						add_fd(fds, nfds, max_fds, lfd, CHILD_FD_BASE)));
					json_object_set_new(o, "scn_addr", json_string(addr));
					json_object_set_new(o, "scn_port", json_integer(port));
					s->isns_fds[s->nisns_fds++] = lfd;
				}
			}
			json_object_set_new(doc, "isns", o);
		}
	}
	if (p->kind == SUP_BACKEND) {
		json_t *devs = json_array();

		for (uint32_t i = 0; i < s->cfg.ntargets; i++)
			for (uint32_t k = 0; k < s->cfg.targets[i].nluns; k++) {
				struct sup_lun *l = &s->cfg.targets[i].luns[k];

				if (l->backend != p->backend)
					continue;
				json_t *o = json_pack(
					"{s:i, s:i, s:I, s:i, s:s, s:b, s:b}", "dev", l->dev, "fd",
					l->fd >= 0 ? add_fd(fds, nfds, max_fds, l->fd, CHILD_FD_BASE) : -1,
					"size", (json_int_t)l->size, "block_size", l->block_size,
					"path", l->path ? l->path : "", "readonly", l->readonly,
					"thin", l->thin);

				sup_lun_backend_extra(l, o);
				json_array_append_new(devs, o);
			}
		json_object_set_new(doc, "devices", devs);
		if (s->cfg.backend_cfg[p->backend])
			json_object_set(doc, "config", s->cfg.backend_cfg[p->backend]);
	}
	return doc;
}
