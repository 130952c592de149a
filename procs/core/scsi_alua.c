/* ALUA: target port group states, REPORT / SET TARGET PORT GROUPS and the
 * commands each state admits (SPC-4 5.16.2.4; like LIO, READ CAPACITY is
 * also answered in standby so that a host can size a standby path). */
#include <string.h>
#include <strings.h>

#include "procs/core/scsi_alua.h"
#include "procs/core/scsi_pr.h"

#define READ_CAPACITY_10_OP 0x25
#define LOG_SELECT  0x4c
#define LOG_SENSE   0x4d
#define RECEIVE_DIAGNOSTIC 0x1c
#define SEND_DIAGNOSTIC 0x1d

static const struct {
	uint8_t state;
	const char *name;
} names[] = {
	{ ALUA_ACTIVE_OPTIMIZED, "active/optimized" },
	{ ALUA_ACTIVE_NON_OPTIMIZED, "active/non-optimized" },
	{ ALUA_STANDBY, "standby" },
	{ ALUA_UNAVAILABLE, "unavailable" },
	{ ALUA_TRANSITIONING, "transitioning" },
};

int scsi_alua_state_parse(const char *s)
{
	for (unsigned i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].state;
	return -1;
}

const char *scsi_alua_state_name(uint8_t state)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].state == state)
			return names[i].name;
	return "unknown";
}

struct scsi_alua_group *scsi_alua_group(struct scsi_alua *a, uint16_t id)
{
	for (uint16_t i = 0; i < a->ngroups && i < SCSI_ALUA_MAX_GROUPS; i++)
		if (a->groups[i].id == id)
			return &a->groups[i];
	return NULL;
}

uint8_t scsi_alua_port_state(const struct scsi_alua *a, uint16_t port)
{
	if (!a || !a->tpgs)
		return ALUA_ACTIVE_OPTIMIZED;
	for (uint16_t i = 0; i < a->ngroups && i < SCSI_ALUA_MAX_GROUPS; i++)
		if (a->groups[i].id == port)
			return a->groups[i].state;
	return ALUA_ACTIVE_OPTIMIZED;
}

bool scsi_alua_handles(const uint8_t *cdb)
{
	return (cdb[0] == MAINTENANCE_IN && (cdb[1] & 0x1f) == MI_REPORT_TARGET_PGS) ||
	       (cdb[0] == MAINTENANCE_OUT && (cdb[1] & 0x1f) == MO_SET_TARGET_PGS);
}

/* Commands every inaccessible state answers: the ones a host needs to find
 * out what is going on. */
static bool always_ok(const uint8_t *cdb)
{
	uint8_t sa = cdb[1] & 0x1f;

	switch (cdb[0]) {
	case INQUIRY:
	case REPORT_LUNS:
	case REQUEST_SENSE:
		return true;
	case MAINTENANCE_IN:
		return sa == MI_REPORT_TARGET_PGS || sa == MI_REPORT_SUPPORTED_OPCODES ||
		       sa == MI_REPORT_SUPPORTED_TMFS;
	default:
		return false;
	}
}

static bool standby_ok(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case LOG_SELECT: case LOG_SENSE:
	case MODE_SELECT_6: case MODE_SELECT_10:
	case MODE_SENSE_6: case MODE_SENSE_10:
	case RECEIVE_DIAGNOSTIC: case SEND_DIAGNOSTIC:
	case PERSISTENT_RESERVE_IN: case PERSISTENT_RESERVE_OUT:
	case READ_CAPACITY_10_OP:
		return true;
	case SERVICE_ACTION_IN_16:
		return (cdb[1] & 0x1f) == SAI_READ_CAPACITY_16;
	case MAINTENANCE_OUT:
		return (cdb[1] & 0x1f) == MO_SET_TARGET_PGS;
	default:
		return false;
	}
}

bool scsi_alua_refuse(const struct scsi_alua *a, uint16_t port, const uint8_t *cdb,
		      struct scsi_result *r)
{
	uint16_t asc;

	switch (scsi_alua_port_state(a, port)) {
	case ALUA_STANDBY:
		if (always_ok(cdb) || standby_ok(cdb))
			return false;
		asc = ASC_ALUA_STANDBY;
		break;
	case ALUA_UNAVAILABLE:
		if (always_ok(cdb) ||
		    (cdb[0] == MAINTENANCE_OUT && (cdb[1] & 0x1f) == MO_SET_TARGET_PGS))
			return false;
		asc = ASC_ALUA_UNAVAILABLE;
		break;
	case ALUA_TRANSITIONING:
		if (always_ok(cdb))
			return false;
		asc = ASC_ALUA_TRANSITIONING;
		break;
	default:
		return false;   /* both active states take every command */
	}
	scsi_check(r, SK_NOT_READY, asc);
	return true;
}

void scsi_report_tpgs(const struct scsi_alua *a, const uint8_t *cdb, uint8_t *out,
		      uint32_t cap, struct scsi_result *r)
{
	uint8_t b[8 + SCSI_ALUA_MAX_GROUPS * 12];
	uint32_t alloc = scsi_be32(cdb + 6), n;
	uint8_t fmt = cdb[1] >> 5;

	r->xfer_len = alloc;
	if (!a->tpgs) {
		r->xfer_len = 0;
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (fmt > 1) {
		scsi_invalid_cdb(r, 1, 7);
		return;
	}
	memset(b, 0, sizeof(b));
	n = fmt == 1 ? 8 : 4;
	if (fmt == 1) {
		b[4] = 0x10;                    /* FORMAT TYPE 001b: extended header */
		b[5] = a->trans_time;           /* IMPLICIT TRANSITION TIME */
	}
	for (uint16_t i = 0; i < a->ngroups && i < SCSI_ALUA_MAX_GROUPS; i++) {
		const struct scsi_alua_group *g = &a->groups[i];
		uint8_t *d = b + n;

		d[0] = (uint8_t)((g->pref ? 0x80 : 0) | (g->state & 0x0f));
		/* T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP (no offline, no LBD) */
		d[1] = 0x80 | 0x08 | 0x04 | 0x02 | 0x01;
		scsi_put16(d + 2, g->id);
		d[5] = g->status;
		d[7] = 1;                       /* one target port per group */
		scsi_put16(d + 10, g->id);      /* its relative target port identifier */
		n += 12;
	}
	scsi_put32(b, n - 4);
	scsi_emit(b, n, alloc, out, cap, r);
}

uint32_t scsi_set_tpgs_len(const uint8_t *cdb)
{
	if (cdb[0] != MAINTENANCE_OUT || (cdb[1] & 0x1f) != MO_SET_TARGET_PGS)
		return 0;
	return scsi_be32(cdb + 6);
}

static void bad_param(struct scsi_result *r, uint32_t byte, int bit)
{
	uint8_t sks[3] = { 0x80, (uint8_t)(byte >> 8), (uint8_t)byte };

	if (bit >= 0)
		sks[0] |= (uint8_t)(0x08 | bit);
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM, sks);
}

void scsi_set_tpgs(struct scsi_alua *a, const uint8_t *cdb, const uint8_t *p, uint32_t plen,
		   struct scsi_result *r, bool *changed)
{
	uint32_t want = scsi_be32(cdb + 6), nd;
	uint8_t seen[SCSI_ALUA_MAX_GROUPS];

	*changed = false;
	r->xfer_len = want;
	/* SET TARGET PORT GROUPS exists only with explicit ALUA (TPGS 10b/11b) */
	if (!(a->tpgs & ALUA_TPGS_EXPLICIT)) {
		r->xfer_len = 0;
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (want == 0) {                   /* SPC: not an error, nothing changes */
		scsi_result_good(r);
		return;
	}
	if (want < 4 || (want - 4) % 4 || plen < want) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return;
	}
	nd = (want - 4) / 4;
	memset(seen, 0, sizeof(seen));
	/* all or nothing: every descriptor is checked before one applies */
	for (uint32_t i = 0; i < nd; i++) {
		const uint8_t *d = p + 4 + 4 * i;
		uint8_t st = d[0] & 0x0f;
		uint16_t id = scsi_be16(d + 2);
		struct scsi_alua_group *g = scsi_alua_group(a, id);

		if (d[0] & 0xf0) {
			bad_param(r, 4 + 4 * i, 7);
			return;
		}
		/* only the four states an application client may ask for */
		if (st != ALUA_ACTIVE_OPTIMIZED && st != ALUA_ACTIVE_NON_OPTIMIZED &&
		    st != ALUA_STANDBY && st != ALUA_UNAVAILABLE) {
			bad_param(r, 4 + 4 * i, 3);
			return;
		}
		if (!g) {
			bad_param(r, 4 + 4 * i + 2, -1);
			return;
		}
		if (seen[g - a->groups]++) {    /* one group named twice */
			bad_param(r, 4 + 4 * i + 2, -1);
			return;
		}
	}
	for (uint32_t i = 0; i < nd; i++) {
		const uint8_t *d = p + 4 + 4 * i;
		struct scsi_alua_group *g = scsi_alua_group(a, scsi_be16(d + 2));

		if (g->state == (d[0] & 0x0f))
			continue;
		g->state = d[0] & 0x0f;
		g->status = ALUA_STATUS_EXPLICIT;
		*changed = true;
	}
	scsi_result_good(r);
}
