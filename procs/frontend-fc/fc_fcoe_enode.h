/* The ENode role of the software FCoE driver (FC-BB-5 clause 7): in front
 * of an FCoE Forwarder (FCF), the port learns the FCF by FIP discovery,
 * logs in with FIP FLOGI (the fabric assigns the N_Port id and the MAC),
 * sends keep-alives and watches the FCF's advertisements. */
#ifndef MTGT_FC_FCOE_ENODE_H
#define MTGT_FC_FCOE_ENODE_H

#include <stdbool.h>
#include <stdint.h>

#define ENODE_MAX_FCFS 8

enum enode_state {
	EN_VLAN,        /* FIP VLAN request sent, waiting for notifications */
	EN_SOLICIT,     /* solicitation sent, collecting advertisements */
	EN_FLOGI,       /* FIP FLOGI sent to the chosen FCF */
	EN_UP,          /* logged in: the VN_Port serves */
	EN_IDLE,        /* waiting before discovery starts over */
};

struct fcoe_fcf {
	bool     used, avail, fport;
	uint8_t  mac[6];
	uint8_t  prio;
	uint32_t fc_map;
	uint64_t switch_name, fabric_name;
	uint32_t fka_ms;
	uint16_t max_fcoe_size;
	uint64_t seen_ms;
};

struct fcoe_enode {
	bool     on;
	bool     spma;              /* ask for our ENode MAC, else FPMA */
	bool     vlan_discovery;
	uint32_t want_map;          /* the FC-MAP the FCF must use, 0: any */
	enum enode_state state;
	uint64_t state_ms;
	struct fcoe_fcf fcfs[ENODE_MAX_FCFS];
	struct fcoe_fcf fcf;        /* the chosen one */
	bool     fka_no_verify;     /* D bit: no VN_Port keep-alives */
	uint64_t last_adv_ms, enode_fka_ms, vn_fka_ms;
	uint16_t flogi_ox;
	uint16_t vlans[16];
	uint32_t nvlans;
	struct {
		uint64_t adv_rx, solicit_tx, flogi_tx, flogi_acc, flogi_rjt, cvl_rx, fka_tx,
			 vn_fka_tx, adv_lost, logo_tx, vlan_notes, logins;
	} st;
};

struct fc_port;
struct fip_msg;

/* From the port's JSON config; -EINVAL on a bad value. */
int  fcoe_enode_conf(struct fc_port *p, void *json_conf);
void fcoe_enode_start(struct fc_port *p);
void fcoe_enode_fip(struct fc_port *p, const struct fip_msg *m);
void fcoe_enode_timers(struct fc_port *p, uint64_t now);
/* FIP LOGO of the VN_Port, at shutdown */
void fcoe_enode_logo(struct fc_port *p);
/* JSON members (without braces) for the driver's stats */
int  fcoe_enode_stats(struct fc_port *p, char *buf, uint32_t cap);

#endif
