/* FC ports in the supervisor (see sup_fc.h). Config:
 *
 *   "fc": [ { "driver": "fcoe", "interface": "eth1", "mode": "vn2vn",
 *             "wwpn": "0x<16 hex>", "wwnn": "0x<16 hex>", "target": "iqn...",
 *             "port_id": "0x010203", "fip_vlans": [ 1002 ] },
 *           { "driver": "vfio", "pci": "0000:03:00.0", "iommu_group": 7,
 *             "msix": 4, "wwpn": ..., "wwnn": ..., "target": ... } ],
 *   "fc_options": { "max_io": 1048576, "spin_us": 0, "data_out_timeout_ms": 10000,
 *                   "pool_bytes": 0, "wait_queue": 256 },
 *   targets[].fc_initiators: [ "0x<16 hex initiator WWPN>", ... ]
 *
 * "mode" is "vn2vn" (FC-BB-6 VN2VN: no FCF needed) or "fabric" (an ENode
 * logging in through an FCF; keys in fabric_parse()).
 * "port_id" is the N_Port id the port claims (default: from the WWPN; a
 * conflict moves it). "fip_vlans": the VLANs named in answers to FIP VLAN
 * requests (none: not answered). The packet socket is opened, bound to the
 * interface and put in promiscuous mode here; the VN2VN MAC addresses the
 * port answers on are not the interface's own. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "procs/frontend-fc/vfio/vfio_dev.h"
#include "supervisor/sup.h"
#include "supervisor/sup_fc.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "0x" + 16 hex digits, not zero: normalized to lowercase. */
static bool wwn_norm(const char *s, char out[19])
{
	bool nonzero = false;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || strlen(s) != 18)
		return false;
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)s[2 + i]))
			return false;
		out[2 + i] = (char)tolower((unsigned char)s[2 + i]);
		nonzero |= s[2 + i] != '0';
	}
	out[18] = 0;
	return nonzero;
}

static bool key_ok(const char *const *keys, const char *key)
{
	for (const char *const *k = keys; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

/* A vfio port: no packet socket, no FCoE keys; mtgt-fc opens the HBA
 * itself (VFIO container, group and device fds cannot be handed over). */
static int vfio_parse(struct sup_fc_port *p, json_t *e, size_t i, char *err, size_t errlen)
{
	static const char *const vkeys[] = { "driver", "pci", "iommu_group", "msix", "wwpn",
					     "wwnn", "target", NULL };
	const char *key;
	json_t *x;

	json_object_foreach(e, key, x)
		if (!key_ok(vkeys, key))
			return fail(err, errlen, "fc[%zu].%s: %s", i, key,
				    !strcmp(key, "interface") || !strcmp(key, "mode") ||
				    !strcmp(key, "port_id") || !strcmp(key, "fip_vlans")
					    ? "an FCoE key, not for a vfio port" : "unknown field");
	p->vfio = true;
	if (vfio_pci_addr_parse(json_string_value(json_object_get(e, "pci")), p->pci))
		return fail(err, errlen,
			    "fc[%zu].pci: the HBA's PCI address, \"dddd:bb:dd.f\" or \"bb:dd.f\"", i);
	p->iommu_group = -1;
	x = json_object_get(e, "iommu_group");
	if (x) {
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > INT32_MAX)
			return fail(err, errlen, "fc[%zu].iommu_group: a group number (/dev/vfio/N)",
				    i);
		p->iommu_group = json_integer_value(x);
	}
	x = json_object_get(e, "msix");
	if (x) {
		if (!json_is_integer(x) || json_integer_value(x) < 1 ||
		    json_integer_value(x) > VFIO_MSIX_MAX)
			return fail(err, errlen, "fc[%zu].msix: 1..%d vectors", i, VFIO_MSIX_MAX);
		p->msix = (int)json_integer_value(x);
	}
	return 0;
}

/* "mode": "vn2vn" (default) or "fabric", and the keys of fabric mode:
 * "fc_map" ("0x" + 6 hex digits: only an FCF with that FC-MAP is used),
 * "addressing" ("fpma", default, or "spma"), "fip_vlan_discovery" (bool).
 * An N_Port id to claim or VLANs to answer mean nothing behind an FCF. */
static int fabric_parse(struct sup_fc_port *p, json_t *e, size_t i, char *err, size_t errlen)
{
	json_t *mode = json_object_get(e, "mode"), *x;
	const char *s = json_string_value(mode);

	if (mode && (!s || (strcmp(s, "vn2vn") && strcmp(s, "fabric"))))
		return fail(err, errlen, "fc[%zu].mode: \"vn2vn\" or \"fabric\"", i);
	p->fabric = s && !strcmp(s, "fabric");
	if (!p->fabric) {
		if (json_object_get(e, "fc_map") || json_object_get(e, "addressing") ||
		    json_object_get(e, "fip_vlan_discovery"))
			return fail(err, errlen, "fc[%zu]: fc_map, addressing and "
				    "fip_vlan_discovery need \"mode\": \"fabric\"", i);
		return 0;
	}
	if (json_object_get(e, "port_id") || json_object_get(e, "fip_vlans"))
		return fail(err, errlen, "fc[%zu]: port_id and fip_vlans are VN2VN keys (the "
			    "fabric assigns the N_Port id)", i);
	x = json_object_get(e, "fc_map");
	if (x) {
		char *end = NULL;
		unsigned long v;

		s = json_string_value(x);
		v = s && !strncmp(s, "0x", 2) && strlen(s) == 8 ? strtoul(s + 2, &end, 16) : 0;
		if (!v || !end || *end)
			return fail(err, errlen, "fc[%zu].fc_map: \"0x\" and 6 hex digits, not zero",
				    i);
		p->fc_map = (uint32_t)v;
	}
	x = json_object_get(e, "addressing");
	s = json_string_value(x);
	if (x && (!s || (strcmp(s, "fpma") && strcmp(s, "spma"))))
		return fail(err, errlen, "fc[%zu].addressing: \"fpma\" or \"spma\"", i);
	p->spma = s && !strcmp(s, "spma");
	x = json_object_get(e, "fip_vlan_discovery");
	if (x && !json_is_boolean(x))
		return fail(err, errlen, "fc[%zu].fip_vlan_discovery: true or false", i);
	p->vlan_discovery = json_is_true(x);
	return 0;
}

static int port_parse(struct sup_config *cfg, struct sup_fc_port *p, json_t *e, size_t i,
		      char *err, size_t errlen)
{
	static const char *const pkeys[] = { "driver", "interface", "mode", "wwpn", "wwnn",
					     "target", "port_id", "fip_vlans", "fc_map", "addressing",
					     "fip_vlan_discovery", NULL };
	const char *key, *s;
	json_t *x;
	size_t k;
	int r;

	if (!json_is_object(e))
		return fail(err, errlen, "fc[%zu]: must be an object", i);
	s = json_string_value(json_object_get(e, "driver"));
	if (!s || (strcmp(s, "fcoe") && strcmp(s, "vfio")))
		return fail(err, errlen, "fc[%zu].driver: \"fcoe\" or \"vfio\"", i);
	if (!strcmp(s, "vfio")) {
		if ((r = vfio_parse(p, e, i, err, errlen)))
			return r;
		goto names;
	}
	json_object_foreach(e, key, x)
		if (!key_ok(pkeys, key))
			return fail(err, errlen, "fc[%zu].%s: unknown field", i, key);
	s = json_string_value(json_object_get(e, "interface"));
	if (!s || !*s || strlen(s) >= IFNAMSIZ || strchr(s, '/'))
		return fail(err, errlen, "fc[%zu].interface: a network interface name", i);
	snprintf(p->interface, sizeof(p->interface), "%s", s);
	if (fabric_parse(p, e, i, err, errlen) < 0)
		return -EINVAL;
names:
	if (!wwn_norm(json_string_value(json_object_get(e, "wwpn")), p->wwpn))
		return fail(err, errlen, "fc[%zu].wwpn: 0x and 16 hex digits, not zero", i);
	if (!wwn_norm(json_string_value(json_object_get(e, "wwnn")), p->wwnn))
		return fail(err, errlen, "fc[%zu].wwnn: 0x and 16 hex digits, not zero", i);
	x = json_object_get(e, "target");
	if (!json_is_string(x) || !*json_string_value(x))
		return fail(err, errlen, "fc[%zu].target: the target name it serves", i);
	p->target = strdup(json_string_value(x));
	p->port_id = 0;
	x = json_object_get(e, "port_id");
	if (x && !p->vfio) {
		char *end;
		unsigned long v;

		s = json_string_value(x);
		v = s && !strncmp(s, "0x", 2) && strlen(s) == 8 ? strtoul(s + 2, &end, 16) : 0;
		if (!v || *end || v >= 0xfffef0ul)
			return fail(err, errlen,
				    "fc[%zu].port_id: \"0x\" and 6 hex digits, 000001..fffeef", i);
		p->port_id = (uint32_t)v;
	}
	x = json_object_get(e, "fip_vlans");
	if (x && !p->vfio) {
		json_t *v;

		if (!json_is_array(x) || json_array_size(x) > 16)
			return fail(err, errlen, "fc[%zu].fip_vlans: an array of at most 16 VLAN ids",
				    i);
		json_array_foreach(x, k, v)
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 4094)
				return fail(err, errlen, "fc[%zu].fip_vlans[%zu]: 1..4094", i, k);
		p->fip_vlans = json_incref(x);
	}
	for (k = 0; k < i; k++) {
		if (!strcmp(cfg->fc[k].wwpn, p->wwpn))
			return fail(err, errlen, "fc[%zu].wwpn: used twice", i);
		if (!p->vfio && !cfg->fc[k].vfio && !strcmp(cfg->fc[k].interface, p->interface))
			return fail(err, errlen, "fc[%zu].interface: one port per interface", i);
		if (p->vfio && cfg->fc[k].vfio && !strcmp(cfg->fc[k].pci, p->pci))
			return fail(err, errlen, "fc[%zu].pci: one port per HBA function", i);
	}
	return 0;
}

int sup_fc_config(struct sup_config *cfg, json_t *root, char *err, size_t errlen)
{
	static const char *const okeys[] = { "max_io", "spin_us", "data_out_timeout_ms", "poll_us",
					     "pool_bytes", "wait_queue", NULL };
	json_t *v = json_object_get(root, "fc"), *o = json_object_get(root, "fc_options");
	json_t *e;
	size_t i;
	int r;

	if (o) {
		const char *key;
		json_t *x;

		if (!json_is_object(o))
			return fail(err, errlen, "fc_options: must be an object");
		json_object_foreach(o, key, x) {
			if (!key_ok(okeys, key))
				return fail(err, errlen, "fc_options.%s: unknown field", key);
			if (!json_is_integer(x) || json_integer_value(x) < 0)
				return fail(err, errlen, "fc_options.%s: a number >= 0", key);
			/* the FCP share of mtgt-fc's arena (0: all of it), and how
			 * many commands per port wait for it before TASK SET FULL */
			if (!strcmp(key, "pool_bytes") && json_integer_value(x) &&
			    json_integer_value(x) < 65536)
				return fail(err, errlen, "fc_options.pool_bytes: 0 (the whole arena) "
					    "or at least 65536");
			if (!strcmp(key, "wait_queue") && json_integer_value(x) > 4096)
				return fail(err, errlen, "fc_options.wait_queue: 0..4096");
		}
		cfg->fc_options = json_incref(o);
	}
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SUP_MAX_FC_PORTS)
		return fail(err, errlen, "fc: must be an array of at most %d ports", SUP_MAX_FC_PORTS);
	json_array_foreach(v, i, e) {
		cfg->nfc++;
		if ((r = port_parse(cfg, &cfg->fc[i], e, i, err, errlen)))
			return r;
	}
	for (i = 0; i < cfg->nfc; i++) {
		bool found = false;

		for (uint32_t k = 0; k < cfg->ntargets; k++)
			found |= !strcasecmp(cfg->targets[k].name, cfg->fc[i].target);
		if (!found)
			return fail(err, errlen, "fc[%zu].target: no such target", i);
	}
	return 0;
}

int sup_fc_target_acl(struct sup_target *t, json_t *v, const char *where, char *err,
		      size_t errlen)
{
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > SUP_MAX_INITIATORS)
		return fail(err, errlen, "%s.fc_initiators: an array of initiator WWPNs", where);
	t->fc_initiators = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!t->fc_initiators)
		return -ENOMEM;
	json_array_foreach(v, i, e) {
		char id[19];

		if (!wwn_norm(json_string_value(e), id))
			return fail(err, errlen, "%s.fc_initiators[%zu]: 0x and 16 hex digits", where,
				    i);
		t->fc_initiators[t->nfc_initiators++] = strdup(id);
	}
	return 0;
}

void sup_fc_free(struct sup_config *cfg)
{
	for (uint32_t i = 0; i < cfg->nfc; i++) {
		free(cfg->fc[i].target);
		json_decref(cfg->fc[i].fip_vlans);
	}
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		for (uint32_t k = 0; k < cfg->targets[i].nfc_initiators; k++)
			free(cfg->targets[i].fc_initiators[k]);
		free(cfg->targets[i].fc_initiators);
	}
	json_decref(cfg->fc_options);
	cfg->fc_options = NULL;
	cfg->nfc = 0;
}

/* Only FCoE and FIP frames reach the socket (classic BPF on the
 * ethertype), so other traffic on the interface costs mtgt-fc nothing. */
static int attach_filter(int fd)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8906, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8914, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int sup_fc_bind(struct sup *s)
{
	for (uint32_t i = 0; i < SUP_MAX_FC_PORTS; i++)
		s->fc_fds[i] = -1;
	for (uint32_t i = 0; i < s->cfg.nfc; i++) {
		struct sup_fc_port *p = &s->cfg.fc[i];
		unsigned idx = if_nametoindex(p->interface);
		struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
					 .sll_ifindex = (int)idx };
		struct packet_mreq mr = { .mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC };
		int buf = 8 << 20;
		int fd;

		if (p->vfio)
			continue; /* mtgt-fc opens the HBA itself */
		if (!idx) {
			log_err("fc port %s: no such interface", p->interface);
			return -ENODEV;
		}
		fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
		if (fd < 0 || attach_filter(fd) < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			int e = -errno;

			log_err("fc port %s: packet socket: %s (needs CAP_NET_RAW)", p->interface,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			return e;
		}
		/* our own data-in frames would fill the receive buffer and push
		 * out initiators' frames (mtgt-fc drops them anyway): the kernel
		 * leaves them out (Linux 4.20; older kernels: the driver's check) */
		{
			int one = 1;

			setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
		}
		/* bursts of data-out frames wait here while mtgt-fc is busy */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		/* and a 1 MiB read's frames leave in one go */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		s->fc_fds[i] = fd;
	}
	return 0;
}

void sup_fc_close(struct sup *s)
{
	for (uint32_t i = 0; i < s->cfg.nfc; i++)
		if (s->fc_fds[i] >= 0) {
			close(s->fc_fds[i]);
			s->fc_fds[i] = -1;
		}
}

void sup_fc_child_limits(struct sup *s, struct sup_proc *p)
{
	struct rlimit rl;
	uint64_t need;
	bool vfio = false;

	if (p->kind != SUP_FRONTEND || strcmp(p->kind_name, "fc") || p->arena >= s->pool.narenas)
		return;
	for (uint32_t i = 0; i < s->cfg.nfc; i++)
		vfio |= s->cfg.fc[i].vfio;
	if (!vfio || getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return;
	/* the arena plus a little for the driver's own queues */
	need = s->pool.arenas[p->arena].size + (8u << 20);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	{
		struct rlimit want = { need, rl.rlim_max };

		/* raising the hard limit needs CAP_SYS_RESOURCE */
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			want.rlim_max = need;
		if (setrlimit(RLIMIT_MEMLOCK, &want) == 0)
			return;
		/* (in the child: stderr goes to the supervisor's log) */
		fprintf(stderr, "mtgtd: fc0: cannot raise RLIMIT_MEMLOCK to %llu bytes for VFIO "
			"DMA (%s); it stays at its hard limit %llu: a vfio port's DMA map of the "
			"pool will fail\n", (unsigned long long)need, strerror(errno),
			(unsigned long long)rl.rlim_max);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
}

void sup_fc_init_doc(struct sup *s, struct sup_proc *p, json_t *doc, int *fds, int *nfds,
		     int max_fds, int fd_base)
{
	json_t *ports = json_array();

	(void)p;
	for (uint32_t i = 0; i < s->cfg.nfc; i++) {
		struct sup_fc_port *fp = &s->cfg.fc[i];
		json_t *o;

		if (fp->vfio) {
			o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "driver", "vfio", "pci", fp->pci,
				      "wwpn", fp->wwpn, "wwnn", fp->wwnn, "target", fp->target);
			if (fp->iommu_group >= 0)
				json_object_set_new(o, "iommu_group", json_integer(fp->iommu_group));
			if (fp->msix)
				json_object_set_new(o, "msix", json_integer(fp->msix));
			json_array_append_new(ports, o);
			continue;
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "driver", "fcoe", "mode",
			      fp->fabric ? "fabric" : "vn2vn", "interface", fp->interface, "wwpn", fp->wwpn, "wwnn",
			      fp->wwnn, "target", fp->target);
		if (fp->port_id)
			json_object_set_new(o, "port_id", json_integer(fp->port_id));
		if (fp->fip_vlans)
			json_object_set(o, "fip_vlans", fp->fip_vlans);
		if (fp->fabric) {
			if (fp->fc_map)
				json_object_set_new(o, "fc_map", json_integer(fp->fc_map));
			json_object_set_new(o, "addressing", json_string(fp->spma ? "spma" : "fpma"));
			json_object_set_new(o, "fip_vlan_discovery", json_boolean(fp->vlan_discovery));
		}
		if (s->fc_fds[i] >= 0 && *nfds < max_fds) {
			fds[(*nfds)++] = s->fc_fds[i];
			json_object_set_new(o, "fd", json_integer(fd_base + *nfds - 1));
		}
		json_array_append_new(ports, o);
	}
	json_object_set_new(doc, "fc_ports", ports);
	json_object_set_new(doc, "config", s->cfg.fc_options ? json_deep_copy(s->cfg.fc_options)
							     : json_object());
}
