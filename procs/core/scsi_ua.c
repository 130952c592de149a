/* Unit attention conditions, per I_T nexus per logical unit. Each is reported
 * once, the most important first, on the first command that is not exempt.
 * SAM-5 puts power on / reset first; the others follow in a fixed order (the
 * standard leaves their relative order to the device server). */
#include "procs/core/scsi.h"

static const struct {
	uint16_t bit;
	uint16_t asc;
} ua_order[] = {
	{ SCSI_UA_POWER_ON, ASC_POWER_ON_RESET },
	{ SCSI_UA_LUN_RESET, ASC_BUS_DEVICE_RESET },
	{ SCSI_UA_NEXUS_LOSS, ASC_I_T_NEXUS_LOSS },
	{ SCSI_UA_CMDS_CLEARED, ASC_COMMANDS_CLEARED_BY_OTHER },
	{ SCSI_UA_REG_PREEMPTED, ASC_REGISTRATIONS_PREEMPTED },
	{ SCSI_UA_RES_PREEMPTED, ASC_RESERVATIONS_PREEMPTED },
	{ SCSI_UA_RES_RELEASED, ASC_RESERVATIONS_RELEASED },
	{ SCSI_UA_MODE_CHANGED, ASC_MODE_PARAMS_CHANGED },
	{ SCSI_UA_ALUA_CHANGED, 0x2a06 },   /* ASYMMETRIC ACCESS STATE CHANGED */
	{ SCSI_UA_CAPACITY_CHANGED, ASC_CAPACITY_CHANGED },
	{ SCSI_UA_LUNS_CHANGED, ASC_LUNS_DATA_CHANGED },
	{ SCSI_UA_MEDIUM_CHANGED, ASC_MEDIUM_MAY_HAVE_CHANGED },
};

static int ua_next(uint16_t pending)
{
	for (unsigned i = 0; i < sizeof(ua_order) / sizeof(ua_order[0]); i++)
		if (pending & ua_order[i].bit)
			return (int)i;
	return -1;
}

/* Clear what reporting entry i covers: a power-on/reset report also covers
 * the lesser resets and nexus loss. */
static void ua_clear(uint16_t *pending, int i)
{
	if (ua_order[i].bit == SCSI_UA_POWER_ON)
		*pending &= (uint16_t)~(SCSI_UA_POWER_ON | SCSI_UA_LUN_RESET | SCSI_UA_NEXUS_LOSS);
	else
		*pending &= (uint16_t)~ua_order[i].bit;
}

bool scsi_ua_check(uint16_t *pending, const uint8_t *cdb, struct scsi_result *r)
{
	int i;

	if (!pending || !*pending || scsi_ua_exempt(cdb))
		return false;
	i = ua_next(*pending);
	if (i < 0)
		return false;
	ua_clear(pending, i);
	scsi_check(r, SK_UNIT_ATTENTION, ua_order[i].asc);
	return true;
}

size_t scsi_ua_take_sense(uint16_t *pending, uint8_t *sense, size_t cap)
{
	int i;

	if (!pending || !*pending)
		return 0;
	i = ua_next(*pending);
	if (i < 0)
		return 0;
	ua_clear(pending, i);
	return scsi_sense_build(sense, cap, false, SK_UNIT_ATTENTION, ua_order[i].asc, NULL);
}

size_t scsi_ua_sense(uint16_t bit, uint8_t *sense, size_t cap)
{
	int i = ua_next(bit);

	if (i < 0)
		return 0;
	return scsi_sense_build(sense, cap, false, SK_UNIT_ATTENTION, ua_order[i].asc, NULL);
}

uint16_t scsi_ua_peek(uint16_t pending)
{
	int i = ua_next(pending);

	return i < 0 ? 0 : ua_order[i].asc;
}
