/* mtgtd configuration: the JSON file of `mtgtd -c`, or the embedded demo. */
#ifndef MTGT_SUP_CONFIG_H
#define MTGT_SUP_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "supervisor/sup_policy.h"

#define SUP_MAX_TARGETS    256
#define SUP_MAX_LUNS       16384
#define SUP_MAX_PORTALS    16
#define SUP_MAX_INITIATORS 256

enum sup_backend { SUP_BE_FILE = 0, SUP_BE_NULL, SUP_BE_RAM, SUP_BE_COUNT };

struct sup_lun {
	uint32_t lun;
	enum sup_backend backend;
	char    *path;         /* file backend: absolute path */
	uint64_t size;         /* bytes; 0 = take the existing file's size */
	uint32_t block_size;
	bool     readonly;
	bool     thin;         /* UNMAP / WRITE SAME UNMAP deallocate (hole punch) */
	bool     writethrough; /* "cache": "writethrough": WCE=0 at start-up */
	bool     direct;       /* file: opened with O_DIRECT */
	uint32_t phys_block_size; /* "physical_block_size" (>= block_size) */
	bool     cdrom;        /* "type": "cdrom": MMC, 2048-byte blocks, read-only */
	bool     removable;    /* "removable": RMB, eject/load, PREVENT ALLOW */
	uint32_t queue_depth;  /* commands running at once, per nexus queued; 0 = no limit */
	/* filled at start-up */
	int      fd;
	uint32_t dev;          /* index within its backend process */
};

/* CHAP credentials (RFC 7143 12.1). user/secret: what the initiator must
 * prove; mutual_*: what the target proves back when the initiator asks. */
struct sup_chap {
	bool  set;
	char *user;
	char *secret;
	char *mutual_user;
	char *mutual_secret;
};

#define SUP_CHAP_SECRET_MIN 12
#define SUP_CHAP_ALGS_MAX   3

/* Login redirection (RFC 7143 11.13.5): status 0x0101 or 0x0102. */
struct sup_redirect {
	bool  set;
	bool  permanent;
	char  address[64];
};

#define SUP_MAX_GROUPS 16

struct sup_target {
	char    *name;
	struct sup_chap chap;
	uint32_t max_sessions;  /* 0 = unlimited */
	struct sup_redirect redirect;
	uint32_t ngroups;       /* 0 = visible on every portal group */
	uint16_t groups[SUP_MAX_GROUPS];
	json_t  *alua;          /* "alua" as written (sup_alua.c), or NULL */
	uint32_t nluns;
	struct sup_lun *luns;
	uint32_t ninitiators;
	char   **initiators;   /* "*" = anyone */
	struct sup_acl *acls;  /* per initiators[i]: its LUN set (sup_acl.c) */
	uint32_t nsrp_initiators;
	char   **srp_initiators; /* SRP initiator port ids "0x<32 hex>" (sup_srp.c) */
	uint32_t nfc_initiators;
	char   **fc_initiators;  /* FC initiator WWPNs "0x<16 hex>" (sup_fc.c) */
};

/* An FC port (sup_fc.c). */
#define SUP_MAX_FC_PORTS 8
struct sup_fc_port {
	char     interface[16];
	char     wwpn[19], wwnn[19]; /* "0x" + 16 lowercase hex digits */
	char    *target;
	uint32_t port_id;      /* VN2VN N_Port id to claim, 0: from the WWPN */
	json_t  *fip_vlans;    /* answered to FIP VLAN requests, or NULL */
	/* "driver": "vfio" (an HBA on vfio-pci; mtgt-fc opens it itself) */
	bool     vfio;
	char     pci[16];      /* canonical "dddd:bb:dd.f" */
	int64_t  iommu_group;  /* -1: mtgt-fc reads it from sysfs */
	int      msix;         /* 0: the driver's default */
	/* "mode": "fabric": an ENode logging in through an FCF (fc_fcoe_enode.c) */
	bool     fabric, spma, vlan_discovery;
	uint32_t fc_map;       /* the FCF's FC-MAP to accept, 0: any */
};

/* An SRP target port (sup_srp.c). */
#define SUP_MAX_SRP_PORTS 8
struct sup_srp_port {
	bool     verbs;        /* else soft */
	char     port_id[35];  /* "0x" + 32 lowercase hex digits */
	char    *target;
	char    *path;         /* soft: CM socket path; verbs: listen address or NULL */
	uint16_t port;         /* verbs: RDMA CM port */
};

struct sup_portal {
	char     text[64];     /* as written: "127.0.0.1:3260" */
	char     host[64];
	uint16_t port;
	uint16_t group;        /* target portal group tag (TPGT), default 1 */
};

#define SUP_MAX_POLICIES 16

/* A restart policy for the processes a name selects: "core", "iscsi",
 * "backend" (every backend), "backend-file", ... or a process name. */
struct sup_named_policy {
	char name[32];
	struct sup_policy policy;
};

/* An initiator's view of a target (SCST security groups): all LUNs under
 * their own numbers, or only the listed ones, possibly renumbered. */
struct sup_acl_map {
	uint32_t ilun;         /* the number the initiator sees */
	uint32_t tlun;         /* the target's LUN */
};

struct sup_acl {
	bool     all;          /* every LUN of the target, own numbers */
	bool     readonly;
	uint32_t nmap;
	struct sup_acl_map *map;
};

struct sup_config {
	char    *admin_socket;
	char    *admin_group;  /* members may use the admin socket (NULL: root and us) */
	uint32_t admin_idle_ms; /* an admin client silent this long is dropped */
	bool     save_on_change; /* config.save after every live change */
	bool     backend_always[SUP_BE_COUNT]; /* "start_backends": run even with no LUN yet */
	json_t  *doc;          /* the configuration as JSON, paths absolute: what
	                        * config.save writes and live changes edit */
	char    *state_dir;
	uint32_t nportals;
	struct sup_portal portals[SUP_MAX_PORTALS];
	uint32_t ntargets;
	struct sup_target *targets;
	struct sup_chap discovery_chap;
	struct sup_policy restart_default;
	uint32_t npolicies;
	struct sup_named_policy policies[SUP_MAX_POLICIES];
	double   heartbeat_interval_s; /* PING to every child */
	double   heartbeat_timeout_s;  /* no PONG for this long: killed as hung */
	uint32_t nop_interval_s; /* target NOP-In pings; 0 = off */
	uint32_t nop_timeout_s;
	uint32_t shutdown_logout_s;   /* wait for initiators asked to log out */
	bool     require_header_digest;
	bool     require_data_digest;
	json_t  *backend_cfg[SUP_BE_COUNT]; /* "backends": {"file": {...}}: tunables */
	json_t  *iscsi_tuning; /* "iscsi": poll_us, yield, rx_batch as set (or NULL) */
	json_t  *core_tuning;  /* "core": poll_us, yield, spin, commands as set (or NULL) */
	/* "isns": {"server": "IP:port", "entity": "..."}: the supervisor
	 * connects, the frontend registers (procs/frontend-iscsi/iscsi_isns.c) */
	bool     isns_set;
	struct sup_portal isns_server;
	char     isns_entity[224];
	uint32_t nchap_algs;
	char    *chap_algs[SUP_CHAP_ALGS_MAX]; /* preference order: "SHA3-256", "SHA-256", "MD5" */
	uint32_t nsrp;
	struct sup_srp_port srp[SUP_MAX_SRP_PORTS];
	json_t  *srp_options;
	uint32_t nfc;
	struct sup_fc_port fc[SUP_MAX_FC_PORTS];
	json_t  *fc_options;
};

const char *sup_backend_name(enum sup_backend b);

/* Parse and check a config. On error returns -EINVAL and writes a message
 * naming the offending field into err. Relative paths are made absolute
 * against the current directory. */
int  sup_config_load_file(struct sup_config *cfg, const char *path, char *err, size_t errlen);
int  sup_config_load_json(struct sup_config *cfg, json_t *root, char *err, size_t errlen);
/* The embedded default: demo target, 1 GiB sparse file LUN in ./var. */
int  sup_config_default(struct sup_config *cfg, char *err, size_t errlen);
void sup_config_free(struct sup_config *cfg);
/* The policy for a process: its name, then its kind, then "backend" for any
 * backend, then the default. */
const struct sup_policy *sup_config_policy(const struct sup_config *cfg, const char *name,
					   const char *kind);

/* NULL if n is an iSCSI name of the iqn., eui. or naa. form (RFC 3720
 * 3.2.6.3, RFC 3722), else why not. */
const char *sup_iscsi_name_check(const char *n);
/* sup_config_doc.c: the "admin" object, and the JSON document of a loaded
 * config (paths made absolute) that config.save writes. */
int  sup_admin_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen);
int  sup_backends_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen);
json_t *sup_config_doc(const struct sup_config *cfg, json_t *root);

/* "10G", "256M", "512", "1T" -> bytes (binary units). */
int  sup_parse_size(const char *s, uint64_t *out);

#endif
