/* Unit attention conditions, per I_T nexus per logical unit. Each is reported
 * once, the most important first, on the first command that is not exempt. */
#include "procs/core/scsi.h"

static const struct {
	uint8_t bit;
	uint16_t asc;
} ua_order[] = {
	{ SCSI_UA_POWER_ON, ASC_POWER_ON_RESET },
	{ SCSI_UA_LUN_RESET, ASC_BUS_DEVICE_RESET },
	{ SCSI_UA_CMDS_CLEARED, ASC_COMMANDS_CLEARED_BY_OTHER },
};

static int ua_next(uint8_t pending)
{
	for (unsigned i = 0; i < sizeof(ua_order) / sizeof(ua_order[0]); i++)
		if (pending & ua_order[i].bit)
			return (int)i;
	return -1;
}

bool scsi_ua_check(uint8_t *pending, const uint8_t *cdb, struct scsi_result *r)
{
	int i;

	if (!pending || !*pending || scsi_ua_exempt(cdb))
		return false;
	i = ua_next(*pending);
	if (i < 0)
		return false;
	/* a power-on/reset report covers the lesser resets as well */
	if (ua_order[i].bit == SCSI_UA_POWER_ON)
		*pending &= (uint8_t)~(SCSI_UA_POWER_ON | SCSI_UA_LUN_RESET);
	else
		*pending &= (uint8_t)~ua_order[i].bit;
	scsi_check(r, SK_UNIT_ATTENTION, ua_order[i].asc);
	return true;
}

size_t scsi_ua_take_sense(uint8_t *pending, uint8_t *sense, size_t cap)
{
	int i;

	if (!pending || !*pending)
		return 0;
	i = ua_next(*pending);
	if (i < 0)
		return 0;
	if (ua_order[i].bit == SCSI_UA_POWER_ON)
		*pending &= (uint8_t)~(SCSI_UA_POWER_ON | SCSI_UA_LUN_RESET);
	else
		*pending &= (uint8_t)~ua_order[i].bit;
	return scsi_sense_build(sense, cap, false, SK_UNIT_ATTENTION, ua_order[i].asc, NULL);
}
