/* MMC commands of a read-only virtual CD/DVD (an ISO image on a file
 * backend): GET CONFIGURATION, READ TOC/PMA/ATIP (formats 0, 1, 2), GET EVENT
 * STATUS NOTIFICATION (polled; operational change and media classes), READ
 * DISC INFORMATION, MECHANISM STATUS. READ CAPACITY and READ(10/12) are the
 * block commands; the capabilities mode page (2Ah) is in scsi_mode.c.
 *
 * The disc is one complete session with one data track starting at LBA 0;
 * an image above 800 MB is presented as a DVD-ROM, else as a CD-ROM. */
#include <string.h>

#include "procs/core/scsi.h"

#define PROFILE_CDROM  0x0008
#define PROFILE_DVDROM 0x0010
#define CD_MAX_BYTES   (800ull << 20)

bool scsi_mmc_is(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case READ_TOC:
	case GET_CONFIGURATION:
	case GET_EVENT_STATUS:
	case READ_DISC_INFORMATION:
	case MECHANISM_STATUS:
		return true;
	default:
		return false;
	}
}

bool scsi_media_absent_ok(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case INQUIRY:
	case REPORT_LUNS:
	case REQUEST_SENSE:
	case START_STOP_UNIT:
	case PREVENT_ALLOW_MEDIUM_REMOVAL:
	case MODE_SENSE_6:
	case MODE_SENSE_10:
	case MAINTENANCE_IN:
	case GET_CONFIGURATION:
	case GET_EVENT_STATUS:
	case MECHANISM_STATUS:
		return true;
	default:
		return false;
	}
}

static uint16_t profile(const struct scsi_lu *lu)
{
	if (lu->medium_out)
		return 0;
	return lu->nblocks * lu->block_size > CD_MAX_BYTES ? PROFILE_DVDROM : PROFILE_CDROM;
}

static bool not_ready(const struct scsi_lu *lu, struct scsi_result *r)
{
	if (!lu->medium_out)
		return false;
	scsi_check(r, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
	return true;
}

/* ---- GET CONFIGURATION ---- */

/* Feature header at f: code, version, persistent, current, additional length. */
static uint8_t *feature(uint8_t *f, uint16_t code, uint8_t version, bool persistent,
			bool current, uint8_t add_len)
{
	memset(f, 0, 4u + add_len);
	scsi_put16(f, code);
	f[2] = (uint8_t)(version << 2 | (persistent ? 0x02 : 0) | (current ? 0x01 : 0));
	f[3] = add_len;
	return f + 4;
}

/* Build feature `code` at f; returns its length, 0 if we have no such feature. */
static uint32_t build_feature(const struct scsi_lu *lu, uint16_t code, uint8_t *f)
{
	uint16_t prof = profile(lu);
	uint8_t *d;

	switch (code) {
	case 0x0000:                    /* Profile List */
		d = feature(f, code, 0, true, true, 8);
		scsi_put16(d, PROFILE_DVDROM);
		d[2] = prof == PROFILE_DVDROM;
		scsi_put16(d + 4, PROFILE_CDROM);
		d[6] = prof == PROFILE_CDROM;
		return 12;
	case 0x0001:                    /* Core */
		d = feature(f, code, 2, true, true, 8);
		scsi_put32(d, 0x00000001);      /* physical interface: SCSI family */
		d[4] = 0x01;                    /* DBE */
		return 12;
	case 0x0002:                    /* Morphing */
		d = feature(f, code, 1, true, true, 4);
		d[0] = 0x02;                    /* OCEvent; no asynchronous GESN */
		return 8;
	case 0x0003:                    /* Removable Medium */
		d = feature(f, code, 0, true, true, 4);
		/* tray loading mechanism, Eject, Lock; Lock state on PREVENT */
		d[0] = (uint8_t)(0x20 | 0x08 | 0x01 | (lu->prevented ? 0x02 : 0));
		return 8;
	case 0x0010:                    /* Random Readable */
		d = feature(f, code, 0, false, prof != 0, 8);
		scsi_put32(d, lu->block_size);
		scsi_put16(d + 4, prof == PROFILE_DVDROM ? 16 : 1);  /* blocking */
		return 12;
	case 0x001e:                    /* CD Read */
		feature(f, code, 2, false, prof == PROFILE_CDROM, 4);
		return 8;
	case 0x001f:                    /* DVD Read */
		feature(f, code, 1, false, prof == PROFILE_DVDROM, 4);
		return 8;
	default:
		return 0;
	}
}

static void get_configuration(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			      uint32_t cap, struct scsi_result *r)
{
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x001e,
					  0x001f };
	uint8_t rt = cdb[1] & 0x03, b[256];
	uint16_t start = scsi_be16(cdb + 2);
	uint32_t alloc = scsi_be16(cdb + 7), n = 8;

	r->xfer_len = alloc;
	if (cdb[1] & 0xfc) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (rt == 3) {
		scsi_invalid_cdb(r, 1, 1);
		return;
	}
	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint32_t len;

		if (codes[i] < start || (rt == 2 && codes[i] != start))
			continue;
		len = build_feature(lu, codes[i], b + n);
		if (rt == 1 && !(b[n + 2] & 0x01))
			continue;       /* only current features */
		n += len;
	}
	scsi_put32(b, n - 4);
	scsi_put16(b + 6, profile(lu));
	scsi_emit(b, n, alloc, out, cap, r);
}

/* ---- READ TOC/PMA/ATIP ---- */

static void put_msf(uint8_t *p, uint64_t lba)
{
	uint64_t f = lba + 150;                 /* the 2 s pre-gap */

	p[0] = (uint8_t)(f / (75 * 60));
	p[1] = (uint8_t)(f / 75 % 60);
	p[2] = (uint8_t)(f % 75);
}

static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (msf) {
		p[0] = 0;
		put_msf(p + 1, lba);
	} else {
		scsi_put32(p, (uint32_t)lba);
	}
}

static void read_toc(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out, uint32_t cap,
		     struct scsi_result *r)
{
	bool msf = cdb[1] & 0x02;
	uint8_t fmt = cdb[2] & 0x0f, track = cdb[6], b[64];
	uint32_t alloc = scsi_be16(cdb + 7), n = 4;
	uint64_t leadout = lu->nblocks;

	r->xfer_len = alloc;
	if (cdb[1] & 0xfd) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (!fmt && (cdb[9] >> 6))      /* the old place of the format (SFF-8020) */
		fmt = cdb[9] >> 6;
	if (not_ready(lu, r))
		return;
	memset(b, 0, sizeof(b));
	switch (fmt) {
	case 0:                         /* TOC: track 1 and the lead-out */
		if (track > 1 && track != 0xaa) {
			scsi_invalid_cdb(r, 6, -1);
			return;
		}
		b[2] = 1;
		b[3] = 1;
		if (track <= 1) {
			b[n + 1] = 0x14;        /* ADR 1, data track, copy permitted */
			b[n + 2] = 1;
			put_addr(b + n + 4, 0, msf);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = 0xaa;
		put_addr(b + n + 4, leadout, msf);
		n += 8;
		break;
	case 1:                         /* session information */
		b[2] = 1;
		b[3] = 1;
		b[n + 1] = 0x14;
		b[n + 2] = 1;                   /* first track of the last session */
		put_addr(b + n + 4, 0, msf);
		n += 8;
		break;
	case 2: {                       /* full TOC: A0, A1, A2 and track 1 */
		static const uint8_t points[] = { 0xa0, 0xa1, 0xa2, 0x01 };

		if (track > 1) {        /* session number: there is one */
			scsi_invalid_cdb(r, 6, -1);
			return;
		}
		b[2] = 1;
		b[3] = 1;
		for (size_t i = 0; i < sizeof(points); i++) {
			uint8_t *d = b + n;

			d[0] = 1;               /* session */
			d[1] = 0x14;
			d[3] = points[i];
			if (points[i] == 0xa0) {
				d[8] = 1;       /* first track */
				d[9] = 0x00;    /* disc type: CD-DA or CD-ROM */
			} else if (points[i] == 0xa1) {
				d[8] = 1;       /* last track */
			} else if (points[i] == 0xa2) {
				put_msf(d + 8, leadout);
			} else {
				put_msf(d + 8, 0);
			}
			n += 11;
		}
		break;
	}
	default:                        /* PMA, ATIP, CD-TEXT: not on a pressed disc */
		scsi_invalid_cdb(r, 2, 3);
		return;
	}
	scsi_put16(b, (uint16_t)(n - 2));
	scsi_emit(b, n, alloc, out, cap, r);
}

/* ---- GET EVENT STATUS NOTIFICATION ---- */

#define GESN_OPERATIONAL 1
#define GESN_MEDIA       4

static void get_event_status(struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			     uint32_t cap, struct scsi_result *r)
{
	uint8_t req = cdb[4], b[8];
	uint8_t supported = 1u << GESN_OPERATIONAL | 1u << GESN_MEDIA;
	uint32_t alloc = scsi_be16(cdb + 7), n = 4;

	r->xfer_len = alloc;
	if (!(cdb[1] & 0x01)) {         /* asynchronous notification: not supported */
		scsi_invalid_cdb(r, 1, 0);
		return;
	}
	if (cdb[1] & 0xfe) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	memset(b, 0, sizeof(b));
	b[3] = supported;
	if (!(req & supported)) {
		b[2] = 0x80;                    /* NEA: no event available */
	} else if (req & 1u << GESN_OPERATIONAL) {
		b[2] = GESN_OPERATIONAL;
		b[n + 1] = lu->prevented ? 0x80 : 0;   /* PersPrevent; available */
		n += 4;
	} else {
		b[2] = GESN_MEDIA;
		b[n] = lu->media_event;
		b[n + 1] = lu->medium_out ? 0x01 : 0x02; /* tray open / media present */
		lu->media_event = SCSI_MEDIA_EV_NONE;  /* reported once */
		n += 4;
	}
	scsi_put16(b, (uint16_t)(n - 2));
	scsi_emit(b, n, alloc, out, cap, r);
}

/* ---- READ DISC INFORMATION, MECHANISM STATUS ---- */

static void read_disc_info(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			   uint32_t cap, struct scsi_result *r)
{
	uint8_t b[34];
	uint32_t alloc = scsi_be16(cdb + 7);

	r->xfer_len = alloc;
	if (cdb[1] & 0xf8) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (cdb[1] & 0x07) {            /* only standard disc information */
		scsi_invalid_cdb(r, 1, 2);
		return;
	}
	if (not_ready(lu, r))
		return;
	memset(b, 0, sizeof(b));
	scsi_put16(b, 32);
	b[2] = 0x0e;                    /* last session complete, disc finalized */
	b[3] = 1;                       /* first track on disc */
	b[4] = 1;                       /* sessions */
	b[5] = 1;                       /* first track in last session */
	b[6] = 1;                       /* last track in last session */
	b[7] = 0x20;                    /* URU: unrestricted use */
	b[8] = 0x00;                    /* disc type: CD-DA or CD-ROM */
	scsi_put32(b + 16, 0xffffffffu); /* no next session: lead-in start n/a */
	scsi_put32(b + 20, 0xffffffffu); /* last possible lead-out: n/a */
	scsi_emit(b, sizeof(b), alloc, out, cap, r);
}

static void mechanism_status(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
			     uint32_t cap, struct scsi_result *r)
{
	uint8_t b[8];
	uint32_t alloc = scsi_be16(cdb + 8);

	r->xfer_len = alloc;
	if (cdb[1] || cdb[2] || cdb[3] || cdb[4] || cdb[5] || cdb[6] || cdb[7] || cdb[10]) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	memset(b, 0, sizeof(b));
	b[1] = lu->medium_out ? 0x10 : 0;       /* idle; door open when ejected */
	/* no changer: no slots, no slot table */
	scsi_emit(b, sizeof(b), alloc, out, cap, r);
}

void scsi_mmc_emulate(struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out, uint32_t cap,
		      struct scsi_result *r)
{
	switch (cdb[0]) {
	case GET_CONFIGURATION:
		get_configuration(lu, cdb, out, cap, r);
		return;
	case READ_TOC:
		read_toc(lu, cdb, out, cap, r);
		return;
	case GET_EVENT_STATUS:
		get_event_status(lu, cdb, out, cap, r);
		return;
	case READ_DISC_INFORMATION:
		read_disc_info(lu, cdb, out, cap, r);
		return;
	case MECHANISM_STATUS:
		mechanism_status(lu, cdb, out, cap, r);
		return;
	default:
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
}
