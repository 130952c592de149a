/* MODE SENSE (6) and (10): current, changeable and default values (saved
 * pages are not supported). MODE SELECT changes WCE, D_SENSE and SWP. */
#include <string.h>

#include "procs/core/scsi.h"

#define PC_CURRENT     0
#define PC_CHANGEABLE  1
#define PC_DEFAULT     2
#define PC_SAVED       3

#define PAGE_RW_RECOVERY 0x01
#define PAGE_CACHING     0x08
#define PAGE_CONTROL     0x0a
#define PAGE_MM_CAPS     0x2a  /* MMC: CD/DVD capabilities and mechanical status */
#define PAGE_ALL         0x3f
#define SUBPAGE_ALL      0xff

uint32_t scsi_mode_page(const struct scsi_lu *lu, uint8_t page, int pc, uint8_t *p)
{
	bool chg = pc == PC_CHANGEABLE, def = pc == PC_DEFAULT;

	switch (page) {
	case PAGE_RW_RECOVERY:
		memset(p, 0, 12);
		p[0] = PAGE_RW_RECOVERY;
		p[1] = 0x0a;
		return 12;
	case PAGE_CACHING:
		memset(p, 0, 20);
		p[0] = PAGE_CACHING;
		p[1] = 0x12;
		/* WCE: SYNCHRONIZE CACHE really flushes; only a backend with a
		 * volatile cache can turn it off (writes then go FUA), and
		 * WCE=0 is never reported while writes are buffered */
		if (chg ? lu->wcache : def ? lu->wce_default : lu->wce)
			p[2] |= 0x04;
		return 20;
	case PAGE_CONTROL:
		memset(p, 0, 12);
		p[0] = PAGE_CONTROL;
		p[1] = 0x0a;
		if (chg) {
			p[2] = 0x04;          /* D_SENSE */
			p[4] = 0x08;          /* SWP */
			return 12;
		}
		if (!def && lu->d_sense)
			p[2] |= 0x04;
		if (!def && lu->swp)
			p[4] |= 0x08;
		p[3] = 0x10;          /* queue algorithm modifier: unrestricted */
		scsi_put16(p + 8, 0xffff); /* busy timeout: unlimited */
		return 12;
	case PAGE_MM_CAPS:
		if (lu->pdt != SCSI_PDT_CDROM)
			return 0;
		memset(p, 0, 22);
		p[0] = PAGE_MM_CAPS;
		p[1] = 0x14;
		if (chg)
			return 22;
		p[2] = 0x08;            /* DVD-ROM read (CD-ROM read is implied) */
		p[4] = 0x40;            /* multi-session */
		/* tray, Eject, Lock, Lock state while prevented */
		p[6] = (uint8_t)(0x20 | 0x08 | 0x01 | (!def && lu->prevented ? 0x02 : 0));
		return 22;
	default:
		return 0;
	}
}

void scsi_mode_sense(const struct scsi_lu *lu, const uint8_t *cdb, uint8_t *out,
		     uint32_t cap, struct scsi_result *r)
{
	static const uint8_t all_pages[] = { PAGE_RW_RECOVERY, PAGE_CACHING, PAGE_CONTROL,
					     PAGE_MM_CAPS };
	bool ten = cdb[0] == MODE_SENSE_10;
	bool dbd = cdb[1] & 0x08;
	bool llbaa = ten && (cdb[1] & 0x10);
	int pc = cdb[2] >> 6;
	uint8_t page = cdb[2] & 0x3f, subpage = cdb[3];
	uint32_t alloc = ten ? scsi_be16(cdb + 7) : cdb[4];
	uint8_t b[256];
	uint32_t hdr = ten ? 8 : 4, n, bdlen = 0, i;

	r->xfer_len = alloc;
	if (cdb[1] & (ten ? 0xe7 : 0xf7)) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (pc == PC_SAVED) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUP);
		return;
	}
	if (subpage != 0 && subpage != SUBPAGE_ALL) {
		scsi_invalid_cdb(r, 3, -1);
		return;
	}
	memset(b, 0, sizeof(b));
	if (!dbd)
		bdlen = llbaa ? 16 : 8;
	n = hdr + bdlen;
	if (page == PAGE_ALL) {
		for (i = 0; i < sizeof(all_pages); i++)
			n += scsi_mode_page(lu, all_pages[i], pc, b + n);
	} else {
		uint32_t l = scsi_mode_page(lu, page, pc, b + n);

		if (l == 0) {
			scsi_invalid_cdb(r, 2, 5);
			return;
		}
		n += l;
	}

	/* header: device-specific parameter carries WP and DPOFUA */
	uint8_t devspec = (uint8_t)((lu->readonly ? 0x80 : 0) | 0x10);
	if (ten) {
		scsi_put16(b, (uint16_t)(n - 2));
		b[3] = devspec;
		b[4] = llbaa ? 0x01 : 0;
		scsi_put16(b + 6, (uint16_t)bdlen);
	} else {
		b[0] = (uint8_t)(n - 1);
		b[2] = devspec;
		b[3] = (uint8_t)bdlen;
	}
	if (bdlen && pc != PC_CHANGEABLE) {
		uint8_t *d = b + hdr;

		if (llbaa) {
			scsi_put64(d, lu->nblocks);
			scsi_put32(d + 12, lu->block_size);
		} else {
			scsi_put32(d, lu->nblocks > 0xffffffffull ? 0xffffffffu : (uint32_t)lu->nblocks);
			scsi_put32(d + 4, lu->block_size & 0xffffff); /* byte 4 reserved */
		}
	}
	scsi_emit(b, n, alloc, out, cap, r);
}
