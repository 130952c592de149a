/* Asymmetric logical unit access (SPC-4 5.16): target port groups, their
 * access states, REPORT / SET TARGET PORT GROUPS, and which commands each
 * state lets through. Pure like the rest of scsi_*.c.
 *
 * Model: every target port (an iSCSI portal group; its relative target port
 * identifier is the portal group tag) is a target port group of its own, with
 * the same identifier. A group's state applies to every LU of the target. The
 * state is plain data (no pointers) so it can be copied whole into the core's
 * state segment. */
#ifndef MTGT_CORE_SCSI_ALUA_H
#define MTGT_CORE_SCSI_ALUA_H

#include "procs/core/scsi.h"

#define MAINTENANCE_OUT            0xa4
#define MI_REPORT_TARGET_PGS       0x0a
#define MO_SET_TARGET_PGS          0x0a

#define ASC_ALUA_TRANSITIONING     0x040a /* LU NOT ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION */
#define ASC_ALUA_STANDBY           0x040b /* LU NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE */
#define ASC_ALUA_UNAVAILABLE       0x040c /* LU NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE */
#define ASC_ALUA_STATE_CHANGED     0x2a06 /* ASYMMETRIC ACCESS STATE CHANGED */

enum scsi_alua_state {
	ALUA_ACTIVE_OPTIMIZED = 0x0,
	ALUA_ACTIVE_NON_OPTIMIZED = 0x1,
	ALUA_STANDBY = 0x2,
	ALUA_UNAVAILABLE = 0x3,
	ALUA_TRANSITIONING = 0xf,
};

/* TPGS field of the standard INQUIRY data (bits of `tpgs`) */
#define ALUA_TPGS_IMPLICIT 0x1
#define ALUA_TPGS_EXPLICIT 0x2

/* RTPG status codes */
#define ALUA_STATUS_NONE     0x00
#define ALUA_STATUS_EXPLICIT 0x01 /* changed by SET TARGET PORT GROUPS */
#define ALUA_STATUS_IMPLICIT 0x02 /* changed by the device server */

#define SCSI_ALUA_MAX_GROUPS 16

struct scsi_alua_group {
	uint16_t id;       /* target port group = relative target port identifier */
	uint8_t  state;    /* enum scsi_alua_state */
	uint8_t  status;   /* ALUA_STATUS_* */
	uint8_t  pref;     /* PREF bit: a preferred group */
	uint8_t  reserved[3];
};

struct scsi_alua {
	uint8_t  tpgs;             /* ALUA_TPGS_* (0: ALUA off) */
	uint8_t  trans_time;       /* implicit transition time, seconds (0: unspecified) */
	uint16_t ngroups;
	struct scsi_alua_group groups[SCSI_ALUA_MAX_GROUPS];
};

/* "active/optimized", "active/non-optimized", "standby", "unavailable",
 * "transitioning"; -1 for anything else. */
int scsi_alua_state_parse(const char *s);
const char *scsi_alua_state_name(uint8_t state);
struct scsi_alua_group *scsi_alua_group(struct scsi_alua *a, uint16_t id);
/* The state a command arriving through relative target port `port` meets
 * (active/optimized when ALUA is off or the port is in no group). */
uint8_t scsi_alua_port_state(const struct scsi_alua *a, uint16_t port);
/* Commands the state of the port forbids: fills r with NOT READY and the
 * state's additional sense and returns true. */
bool scsi_alua_refuse(const struct scsi_alua *a, uint16_t port, const uint8_t *cdb,
		      struct scsi_result *r);
/* True for REPORT / SET TARGET PORT GROUPS. */
bool scsi_alua_handles(const uint8_t *cdb);
/* REPORT TARGET PORT GROUPS: length-only or extended header format. */
void scsi_report_tpgs(const struct scsi_alua *a, const uint8_t *cdb, uint8_t *out,
		      uint32_t cap, struct scsi_result *r);
/* Parameter list bytes SET TARGET PORT GROUPS announces (0 for others). */
uint32_t scsi_set_tpgs_len(const uint8_t *cdb);
/* SET TARGET PORT GROUPS: the whole list is checked before any group
 * changes. *changed tells whether a state changed. */
void scsi_set_tpgs(struct scsi_alua *a, const uint8_t *cdb, const uint8_t *p, uint32_t plen,
		   struct scsi_result *r, bool *changed);

#endif
