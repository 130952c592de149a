/* What an I_T nexus whose ACL entry is read-only may not do.
 *
 * The entry makes the LUs write-protected for that initiator only, so the
 * rule is SBC-4's write protection (a write-protected LU terminates a
 * command that would alter the medium with DATA PROTECT, WRITE PROTECTED), widened to what a reader must not change for the
 * initiators that may write. LIO reaches a similar result with one test
 * (transport_lookup_cmd_lun refuses every command with a Data-Out buffer on
 * a read-only mapping); we decide per command family, so that commands
 * which only send data to compare (VERIFY, BYTCHK=1) keep working and
 * commands without data that change shared state (RESERVE, eject, SANITIZE
 * BLOCK ERASE) are refused too:
 *
 *   media writes (WRITE, WRITE SAME, UNMAP, COMPARE AND WRITE, ORWRITE,
 *     WRITE AND VERIFY, WRITE ATOMIC, SANITIZE, FORMAT UNIT)    refused:
 *     the media decoders see the LU write-protected (core_cmd.c)
 *   EXTENDED COPY                 refused per destination (core_xcopy.c)
 *   MODE SELECT                   refused: mode pages are shared by every
 *                                 nexus (WCE, SWP, D_SENSE)
 *   PERSISTENT RESERVE OUT        refused: a reader could PREEMPT AND ABORT
 *                                 or reserve away the writers' access
 *   RESERVE(6/10)                 refused: it shuts every other nexus out
 *   SET TARGET PORT GROUPS        refused: ALUA states are the target's
 *   START STOP UNIT with LOEJ     refused on a removable LU: ejecting or
 *                                 loading changes the medium of everyone
 *   reads, VERIFY, INQUIRY, MODE SENSE, PR IN, RELEASE, REPORT *, TEST
 *   UNIT READY, SYNCHRONIZE CACHE, PREVENT ALLOW (held per I_T nexus,
 *   SBC-4 PREVENT ALLOW MEDIUM REMOVAL), RECEIVE COPY RESULTS, GET LBA STATUS   allowed */
#include "procs/core/scsi.h"

bool scsi_ro_refuse(const struct scsi_lu *lu, const uint8_t *cdb, struct scsi_result *r)
{
	bool refuse;

	switch (cdb[0]) {
	case 0x15:                      /* MODE SELECT(6) */
	case 0x55:                      /* MODE SELECT(10) */
	case 0x5f:                      /* PERSISTENT RESERVE OUT */
	case 0x16:                      /* RESERVE(6) */
	case 0x56:                      /* RESERVE(10) */
	case FORMAT_UNIT:
	case SANITIZE:                  /* EXIT FAILURE MODE too: it ends a state
					 * every nexus sees */
		refuse = true;
		break;
	case 0xa4:                      /* MAINTENANCE OUT */
		refuse = (cdb[1] & 0x1f) == 0x0a;       /* SET TARGET PORT GROUPS */
		break;
	case START_STOP_UNIT:
		/* LOEJ acts only with POWER CONDITION 0 (SBC-3 5.25) */
		refuse = lu && lu->removable && (cdb[4] & 0x02) && !(cdb[4] >> 4);
		break;
	default:
		refuse = false;
		break;
	}
	if (refuse)
		scsi_check(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
	return refuse;
}
