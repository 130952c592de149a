/* SRP ports in the supervisor (see sup_srp.h). Config:
 *
 *   "srp": [ { "transport": "soft", "port_id": "0x<32 hex>", "target": "iqn...",
 *              "path": "var/srp0.sock" },
 *            { "transport": "verbs", "port_id": "...", "target": "iqn...",
 *              "port": 5555, "address": "0.0.0.0" } ],
 *   "srp_options": { "queue_depth": 64, "max_it_iu_len": 8448,
 *                    "max_ti_iu_len": 256, "max_channels": 16,
 *                    "multichannel": true, "immediate_data": true },
 *   targets[].srp_initiators: [ "0x<32 hex initiator port id>", ... ]
 *
 * The supervisor binds the soft ports' unix CM sockets (only it binds
 * sockets); a verbs port's RDMA CM listener is made by mtgt-srp itself before
 * its sandbox (RDMA CM ids cannot be handed over between processes). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <limits.h>

#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/sup_srp.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "0x" + 32 hex digits (or without 0x): normalized to lowercase with 0x. */
static bool port_id_norm(const char *s, char out[35])
{
	if (!s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 32)
		return false;
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		out[2 + i] = (char)tolower((unsigned char)s[i]);
	}
	out[34] = 0;
	return true;
}

int sup_srp_config(struct sup_config *cfg, json_t *root, char *err, size_t errlen)
{
	static const char *const pkeys[] = { "transport", "port_id", "target", "path", "port",
					     "address", NULL };
	static const char *const okeys[] = { "queue_depth", "max_it_iu_len", "max_ti_iu_len",
					     "max_channels", "multichannel", "immediate_data",
					     "max_io", "spin_us", "max_total_channels", "poll_us",
					     NULL };
	json_t *v = json_object_get(root, "srp"), *o = json_object_get(root, "srp_options");
	json_t *e;
	size_t i;

	if (o) {
		const char *key;
		json_t *x;

		if (!json_is_object(o))
			return fail(err, errlen, "srp_options: must be an object");
		json_object_foreach(o, key, x) {
			bool ok = false;

			for (const char *const *k = okeys; *k; k++)
				ok |= !strcmp(*k, key);
			if (!ok)
				return fail(err, errlen, "srp_options.%s: unknown field", key);
			if (!json_is_integer(x) && !json_is_boolean(x))
				return fail(err, errlen, "srp_options.%s: must be a number or boolean",
					    key);
		}
		cfg->srp_options = json_incref(o);
	}
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SUP_MAX_SRP_PORTS)
		return fail(err, errlen, "srp: must be an array of at most %d ports",
			    SUP_MAX_SRP_PORTS);
	json_array_foreach(v, i, e) {
		struct sup_srp_port *p = &cfg->srp[i];
		const char *tr, *path;
		const char *key;
		json_t *x;

		if (!json_is_object(e))
			return fail(err, errlen, "srp[%zu]: must be an object", i);
		json_object_foreach(e, key, x) {
			bool ok = false;

			for (const char *const *k = pkeys; *k; k++)
				ok |= !strcmp(*k, key);
			if (!ok)
				return fail(err, errlen, "srp[%zu].%s: unknown field", i, key);
		}
		cfg->nsrp++;
		tr = json_string_value(json_object_get(e, "transport"));
		if (!tr || (strcmp(tr, "soft") && strcmp(tr, "verbs")))
			return fail(err, errlen, "srp[%zu].transport: soft or verbs", i);
		p->verbs = !strcmp(tr, "verbs");
		if (!port_id_norm(json_string_value(json_object_get(e, "port_id")), p->port_id))
			return fail(err, errlen, "srp[%zu].port_id: 32 hex digits (0x...)", i);
		x = json_object_get(e, "target");
		if (!json_is_string(x) || !*json_string_value(x))
			return fail(err, errlen, "srp[%zu].target: the target name it serves", i);
		p->target = strdup(json_string_value(x));
		if (p->verbs) {
			x = json_object_get(e, "port");
			if (x && (!json_is_integer(x) || json_integer_value(x) < 1 ||
				  json_integer_value(x) > 65535))
				return fail(err, errlen, "srp[%zu].port: 1..65535", i);
			p->port = x ? (uint16_t)json_integer_value(x) : 5555;
			x = json_object_get(e, "address");
			if (x && !json_is_string(x))
				return fail(err, errlen, "srp[%zu].address: an IPv4 address", i);
			p->path = x ? strdup(json_string_value(x)) : NULL;
		} else {
			char cwd[PATH_MAX];

			path = json_string_value(json_object_get(e, "path"));
			if (!path || !*path)
				return fail(err, errlen, "srp[%zu].path: the CM socket path", i);
			if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
				p->path = strdup(path);
			else if (asprintf(&p->path, "%s/%s", cwd, path) < 0)
				p->path = NULL;
			if (!p->path || strlen(p->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				return fail(err, errlen, "srp[%zu].path: longer than 107 bytes", i);
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(cfg->srp[k].port_id, p->port_id))
				return fail(err, errlen, "srp[%zu].port_id: used twice", i);
	}
	for (i = 0; i < cfg->nsrp; i++) {
		bool found = false;

		for (uint32_t k = 0; k < cfg->ntargets; k++)
			found |= !strcasecmp(cfg->targets[k].name, cfg->srp[i].target);
		if (!found)
			return fail(err, errlen, "srp[%zu].target: no such target", i);
	}
	return 0;
}

int sup_srp_target_acl(struct sup_target *t, json_t *v, const char *where, char *err,
		       size_t errlen)
{
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > SUP_MAX_INITIATORS)
		return fail(err, errlen, "%s.srp_initiators: an array of initiator port ids", where);
	t->srp_initiators = calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, e) {
		char id[35];

		if (!port_id_norm(json_string_value(e), id))
			return fail(err, errlen, "%s.srp_initiators[%zu]: 32 hex digits (0x...)",
				    where, i);
		t->srp_initiators[t->nsrp_initiators++] = strdup(id);
	}
	return 0;
}

void sup_srp_free(struct sup_config *cfg)
{
	for (uint32_t i = 0; i < cfg->nsrp; i++) {
		free(cfg->srp[i].target);
		free(cfg->srp[i].path);
	}
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		for (uint32_t k = 0; k < cfg->targets[i].nsrp_initiators; k++)
			free(cfg->targets[i].srp_initiators[k]);
		free(cfg->targets[i].srp_initiators);
	}
	json_decref(cfg->srp_options);
	cfg->srp_options = NULL;
	cfg->nsrp = 0;
}

int sup_srp_bind(struct sup *s)
{
	for (uint32_t i = 0; i < s->cfg.nsrp; i++) {
		struct sup_srp_port *p = &s->cfg.srp[i];
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd;

		s->srp_fds[i] = -1;
		if (p->verbs)
			continue;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", p->path);
		unlink(p->path);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
			int e = -errno;

			log_err("srp port %s: %s", p->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return e;
		}
		s->srp_fds[i] = fd;
	}
	return 0;
}

void sup_srp_close_listeners(struct sup *s)
{
	for (uint32_t i = 0; i < s->cfg.nsrp; i++)
		if (s->srp_fds[i] >= 0) {
			close(s->srp_fds[i]);
			s->srp_fds[i] = -1;
		}
}

void sup_srp_init_doc(struct sup *s, struct sup_proc *p, json_t *doc, int *fds, int *nfds,
		      int max_fds, int fd_base)
{
	json_t *ports = json_array();

	for (uint32_t i = 0; i < s->cfg.nsrp; i++) {
		struct sup_srp_port *sp = &s->cfg.srp[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "transport", sp->verbs ? "verbs" : "soft",
				      "port_id", sp->port_id, "target", sp->target);

		if (sp->verbs) {
			json_object_set_new(o, "port", json_integer(sp->port));
			if (sp->path)
				json_object_set_new(o, "address", json_string(sp->path));
		} else if (*nfds < max_fds) {
			fds[(*nfds)++] = s->srp_fds[i];
			json_object_set_new(o, "fd", json_integer(fd_base + *nfds - 1));
			json_object_set_new(o, "path", json_string(sp->path));
		}
		json_array_append_new(ports, o);
	}
	json_object_set_new(doc, "srp_ports", ports);
	json_object_set_new(doc, "config", s->cfg.srp_options ? json_deep_copy(s->cfg.srp_options)
							      : json_object());
}

/* Called by sup_procs_setup(): one mtgt-srp for all SRP ports. */
void sup_srp_setup(struct sup *s)
{
	(void)s;
}
