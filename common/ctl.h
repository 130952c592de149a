/* Control channel between the supervisor and each child: a SOCK_SEQPACKET
 * socketpair carrying typed, length-checked messages and fds (SCM_RIGHTS).
 * Commands never travel here. An unknown type or a bad length is a protocol
 * violation: the receiver reports it and drops the peer.
 *
 * Payloads are JSON text (NUL-terminated on receipt) unless noted.
 */
#ifndef MTGT_COMMON_CTL_H
#define MTGT_COMMON_CTL_H

#include <stddef.h>
#include <stdint.h>

enum ctl_type {
	CTL_INIT = 1,       /* sup -> child: JSON resources and config (first message) */
	CTL_READY,          /* child -> sup: initialized, serving */
	CTL_PING,           /* sup -> child: heartbeat; payload 8-byte sequence */
	CTL_PONG,           /* child -> sup: echo of the sequence */
	CTL_SHUTDOWN,       /* sup -> child: finish in-flight work, then exit 0 */
	CTL_VIOLATION,      /* child -> sup: {"link":id,"reason":"..."}: restart the peer */
	CTL_LINK_DOWN,      /* sup -> core: {"link":id}: its peer died */
	CTL_LINK_UP,        /* sup -> core: {"link":{...}} + fds: peer's new incarnation */
	CTL_LINK_DRAINED,   /* core -> sup: {"link":id}: no command of a dead frontend
	                     * still uses its arena; it may be reused */
	CTL_STATS,          /* sup -> child: request; child -> sup: JSON counters */
	CTL_LUN_RESIZE,     /* sup -> core: {"target","lun","size"}; sup -> backend:
	                     * {"dev","size"}: a LUN's capacity changed (bytes) */
	/* live configuration (admin changes; see procs/core/core_live.c) */
	CTL_CONFIG,         /* sup -> core, frontend: {"seq":n, "config":{...}} the whole
	                     * new table, same shape as CTL_INIT's "config" */
	CTL_CONFIG_DONE,    /* core -> sup: {"seq":n, "result":0|-errno, "error":"..."}:
	                     * applied, and no LUN removed by seq <= n has a command left */
	CTL_DEV_ADD,        /* sup -> backend: one "devices" entry, its fd as fd index 0 */
	CTL_DEV_DEL,        /* sup -> backend: {"dev":n}: the core no longer uses it */
	CTL_SESSION_DROP,   /* sup -> frontend: {"tsih":n}: close that session */
	CTL_PORTAL_ADD,     /* sup -> frontend: {"addr","group"} + the listening socket */
	CTL_PORTAL_DEL,     /* sup -> frontend: {"addr"}: stop accepting there */
	CTL_SESSION_LOGOUT, /* sup -> frontend: {"initiator","target","wait_s"}: ask
	                     * matching sessions to log out (iSCSI AsyncEvent 1),
	                     * drop them if they do not; no answer */
	/* live upgrade (supervisor/sup_upgrade.c, docs/upgrade.md) */
	CTL_QUIESCE,        /* sup -> old: {"deadline_ms":N} + state memfd: stop at
	                     * PDU boundaries, finish in-flight work, serialize */
	CTL_HANDOVER,       /* old -> sup: {"ok":true,"len":L,...} + fds, or
	                     * {"ok":false,"reason":...} (the old one serves on);
	                     * sup -> new: the same state; new -> sup: {"ok":...} */
	CTL_RESUME,         /* sup -> old: upgrade rolled back, serve again;
	                     * sup -> new: the old one is gone, start serving */
	CTL_RETIRE,         /* sup -> old: a new instance took over: exit now
	                     * without touching sockets or rings */
	CTL_ISNS_CONN,      /* sup -> iSCSI frontend: {"server","entity","scn_addr","scn_port"}
	                     * + the iSNS connection (and SCN listener): reconnected */
	CTL_TYPE_MAX
};

#define CTL_MAX_PAYLOAD (1u << 20)
#define CTL_MAX_FDS     64

struct ctl_msg {
	uint32_t type;
	uint32_t len;       /* payload bytes (not counting the added NUL) */
	char    *data;      /* malloc'ed, NUL-terminated; NULL if len == 0 */
	int      nfds;
	int      fds[CTL_MAX_FDS];
};

int  ctl_send(int sock, uint32_t type, const void *data, size_t len,
	      const int *fds, int nfds);
/* Receive one message (blocking or not, per the socket). Returns 1 on a
 * message, 0 on orderly EOF, -EAGAIN if none, -EPROTO on a malformed message
 * (any fds received with it are closed), other -errno on error. */
int  ctl_recv(int sock, struct ctl_msg *m);
/* Frees the payload and closes every fd still in m->fds (set an entry to -1
 * to keep that fd). */
void ctl_msg_free(struct ctl_msg *m);
const char *ctl_type_name(uint32_t type);

#endif
