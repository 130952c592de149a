/* Fabric login services of a local port that logged in through an F_Port:
 * PLOGI to the directory server, RFT_ID (FCP), RFF_ID (FCP target),
 * RSPN_ID, SCR to the fabric controller, and RSCNs (a remote port the name
 * server no longer knows is logged out). */
#ifndef MTGT_FC_FABRIC_H
#define MTGT_FC_FABRIC_H

#include <stdbool.h>
#include <stdint.h>

#define FC_FAB_PENDING 32

enum fc_fab_step {
	FAB_OFF,        /* no fabric (VN2VN, point to point) or link down */
	FAB_PLOGI,      /* PLOGI to 0xFFFFFC */
	FAB_RFT_ID,
	FAB_RFF_ID,
	FAB_RSPN_ID,
	FAB_SCR,        /* SCR to 0xFFFFFD */
	FAB_READY,
	FAB_GPN_ID,     /* verifying a remote port after an RSCN */
};

struct fc_fabric {
	enum fc_fab_step step;
	uint16_t ox_id;            /* the request in flight */
	uint64_t sent_ms;
	uint32_t tries;
	uint32_t checking;         /* GPN_ID of this port id in flight */
	uint32_t pending[FC_FAB_PENDING]; /* port ids to check after RSCNs */
	uint32_t npending;
	struct {
		uint64_t registrations, rejects, timeouts, rscn, rscn_logouts;
	} st;
};

struct fc_lport;
struct fc_hdr;

/* The link came up: start fabric login when the driver is on a fabric. */
void fc_fabric_link(struct fc_lport *lp, bool up);
/* A frame from a well-known address (0xFFFFF0 and up). false: not ours
 * (no fabric login): the caller handles it as before. */
bool fc_fabric_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl,
		    uint32_t len);
void fc_fabric_tick(struct fc_lport *lp, uint64_t now_ms);
const char *fc_fabric_step_name(enum fc_fab_step s);

#endif
