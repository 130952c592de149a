/* Internals of the software FCoE driver shared by its files: fc_fcoe.c
 * (AF_PACKET, FCoE frames, the VN2VN role) and fc_fcoe_enode.c (the ENode
 * role in front of an FCF: FIP discovery, FIP FLOGI, keep-alives). */
#ifndef MTGT_FC_FCOE_INT_H
#define MTGT_FC_FCOE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-fc/fc_fcoe_enode.h"
#include "procs/frontend-fc/fc_fip.h"
#include "procs/frontend-fc/fc_port.h"

#define VN2VN_FC_MAP      0x0efd00u
#define FIP_SC_VN_PROBE_REQ  1
#define FIP_SC_VN_PROBE_REP  2
#define FIP_SC_VN_CLAIM_NOTIFY 3
#define FIP_SC_VN_CLAIM_REP  4
#define FIP_SC_VN_BEACON     5
#define VN_PROBE_MS       400   /* wait for probe replies before claiming */
#define VN_BEACON_MS      8000
#define VN_PEER_TIMEOUT_MS (VN_BEACON_MS * 5 / 2)
#define FCOE_MAX_PEERS    64
#define FCOE_RX_SLOTS     4096  /* posted receives by RX_ID index (fc_exch.h) */
#define FCOE_POLL_BUDGET  256

enum vn_state { VN_PROBING, VN_UP };

struct fcoe_peer {
	bool     used;
	uint32_t id;
	uint64_t wwpn;
	uint64_t last_ms;
};

struct fc_port {
	const struct fc_port_cb *cb;
	void    *arg;
	int      fd;
	char     name[64];
	uint64_t wwpn, wwnn;
	uint8_t  enode_mac[6], vn_mac[6];
	uint32_t port_id;
	uint32_t max_payload;
	uint32_t mtu;
	enum vn_state state;
	uint64_t state_ms, beacon_ms;
	uint16_t vlans[FIP_MAX_VLANS];
	uint32_t nvlans;
	uint8_t  seq_id;
	struct fcoe_enode en;         /* fabric mode (en.on) */
	/* tests: frames go here instead of the socket */
	void   (*test_tx)(void *arg, const uint8_t *frame, size_t len);
	void    *test_tx_arg;
	struct fcoe_peer peers[FCOE_MAX_PEERS];
	struct fc_xfer *rx[FCOE_RX_SLOTS];
	uint8_t  buf[FCOE_MAX_FRAME + 64];
	uint8_t  tx[FCOE_MAX_FRAME + 64];
	struct {
		uint64_t rx_frames, tx_frames, bad_crc, malformed, not_ours, unsolicited_drop,
			 stray_data, seq_errors, fip_rx, fip_tx, vlan_reqs, conflicts, tx_errors,
			 tx_waits;
	} st;
};

uint64_t fcoe_now_ms(void);
int  fcoe_raw_send(struct fc_port *p, const uint8_t *frame, size_t len);
/* The link went away under the stack: posted transfers end with
 * -ENETDOWN, then the stack hears link down. */
void fcoe_link_lost(struct fc_port *p, const char *why);

#endif
