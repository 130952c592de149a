/* INQUIRY: standard data and the vital product data pages. */
#include <stdio.h>
#include <string.h>

#include "procs/core/scsi.h"
#include "procs/core/scsi_xcopy.h"

#define INQ_VENDOR   "MTGT    "          /* 8 bytes, T10 vendor identification */
#define INQ_PRODUCT  "VIRTUAL-DISK    "  /* 16 bytes */
#define INQ_REVISION "0001"              /* 4 bytes */
/* No IEEE company id is registered for mtgt; 0 keeps NAA 6 well formed without
 * claiming someone else's. The 100 bits that follow come from the stable hash. */
#define MTGT_NAA_COMPANY_ID 0x000000u

#define VPD_SUPPORTED   0x00
#define VPD_SERIAL      0x80
#define VPD_DEVICE_ID   0x83
#define VPD_BLOCK_LIMITS 0xb0
#define VPD_BLOCK_CHARS 0xb1
#define VPD_LB_PROVISIONING 0xb2
#define VPD_THIRD_PARTY_COPY 0x8f

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

void scsi_lu_make_ids(struct scsi_lu *lu)
{
	uint8_t lb[4];
	uint64_t h1, h2;
	const char *t = lu->target_name ? lu->target_name : "";

	scsi_put32(lb, lu->lun);
	h1 = fnv1a(0xcbf29ce484222325ull, t, strlen(t) + 1);
	h1 = fnv1a(h1, lb, 4);
	h2 = fnv1a(h1 ^ 0x6d7467746d746774ull, "naa-ext", 7);
	h2 = fnv1a(h2, lb, 4);

	/* NAA 6: naa(4) company id(24) vendor specific id(36) extension(64) */
	uint64_t hi = (uint64_t)6 << 60 | (uint64_t)MTGT_NAA_COMPANY_ID << 36 |
		      (h1 & 0xfffffffffull);
	scsi_put64(lu->naa, hi);
	scsi_put64(lu->naa + 8, h2);
	snprintf(lu->serial, sizeof(lu->serial), "%016llx", (unsigned long long)h1);
}

/* Version descriptors, from the T10 list (SPC-4 table "Version descriptor
 * values", t10.org/lists/stds.htm): each "(no version claimed)" code, since
 * no particular revision is tested against. */
#define VD_SAM5   0x00a0  /* SAM-5 */
#define VD_SPC4   0x0460  /* SPC-4 */
#define VD_SBC3   0x04c0  /* SBC-3 */
#define VD_MMC5   0x02a0  /* MMC-5 */
#define VD_FCP4   0x0a40  /* FCP-4 */
#define VD_SRP    0x0940  /* SRP */
#define VD_ISCSI  0x0960  /* iSCSI */

/* The transport's own descriptor: the I_T nexus asking decides, so an FC or
 * SRP initiator does not read that it talks iSCSI. */
static uint16_t version_transport(uint8_t proto)
{
	switch (proto) {
	case MSG_PROTO_FCP:
		return VD_FCP4;
	case MSG_PROTO_SRP:
		return VD_SRP;
	default:
		return VD_ISCSI;
	}
}

static uint32_t inquiry_standard(const struct scsi_lu *lu, bool wlun, uint8_t proto,
				 uint8_t *b)
{
	bool cd = lu && !wlun && lu->pdt == SCSI_PDT_CDROM;
	const uint16_t versions[] = {
		VD_SAM5, VD_SPC4, cd ? VD_MMC5 : VD_SBC3, version_transport(proto),
	};
	uint32_t len = 74, i;

	memset(b, 0, len);
	if (wlun)
		b[0] = 0x1e;            /* well known logical unit */
	else if (!lu)
		b[0] = 0x7f;            /* qualifier 011b: no LU here, type 1Fh */
	else
		b[0] = lu->pdt;         /* direct access block device, or CD/DVD */
	if (lu && !wlun && lu->removable)
		b[1] = 0x80;            /* RMB */
	b[2] = 0x06;                    /* SPC-4 */
	b[3] = 0x02 | 0x10;             /* response data format 2, HISUP */
	b[4] = (uint8_t)(len - 5);
	if (lu && !wlun)
		b[5] = (uint8_t)((lu->tpgs & 0x3) << 4); /* TPGS: implicit / explicit ALUA */
	if (lu && !wlun)
		b[5] |= 0x08;           /* 3PC: EXTENDED COPY (core_xcopy.c) */
	b[7] = 0x02;                    /* CMDQUE */
	memcpy(b + 8, INQ_VENDOR, 8);
	memcpy(b + 16, cd ? "VIRTUAL-CDROM   " : INQ_PRODUCT, 16);
	memcpy(b + 32, INQ_REVISION, 4);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		scsi_put16(b + 58 + 2 * i, versions[i]);
	return len;
}

static uint32_t vpd_supported(const struct scsi_lu *lu, uint8_t *b)
{
	uint32_t n = 0;

	b[4 + n++] = VPD_SUPPORTED;
	if (lu) {
		b[4 + n++] = VPD_SERIAL;
		b[4 + n++] = VPD_DEVICE_ID;
		b[4 + n++] = VPD_THIRD_PARTY_COPY;
		b[4 + n++] = VPD_BLOCK_LIMITS;
		b[4 + n++] = VPD_BLOCK_CHARS;
		b[4 + n++] = VPD_LB_PROVISIONING;
	}
	scsi_put16(b + 2, (uint16_t)n);
	return 4 + n;
}

static uint32_t vpd_serial(const struct scsi_lu *lu, uint8_t *b)
{
	uint32_t n = (uint32_t)strlen(lu->serial);

	memcpy(b + 4, lu->serial, n);
	scsi_put16(b + 2, (uint16_t)n);
	return 4 + n;
}

/* Appends one designation descriptor; returns its size. */
static uint32_t desig(uint8_t *p, uint8_t code_set, uint8_t assoc, uint8_t type,
		      const void *data, uint32_t len)
{
	p[0] = code_set;
	p[1] = (uint8_t)(assoc << 4 | type);
	p[2] = 0;
	p[3] = (uint8_t)len;
	memcpy(p + 4, data, len);
	return 4 + len;
}

static uint32_t vpd_device_id(const struct scsi_lu *lu, uint8_t *b)
{
	uint8_t tmp[256];
	uint32_t n = 4, tlen;
	const char *t = lu->target_name ? lu->target_name : "";

	/* logical unit: NAA, then T10 vendor id (vendor + serial) */
	n += desig(b + n, 0x01, 0, 0x3, lu->naa, 16);
	memcpy(tmp, INQ_VENDOR, 8);
	memcpy(tmp + 8, lu->serial, 16);
	n += desig(b + n, 0x02, 0, 0x1, tmp, 24);
	/* target port: relative target port identifier */
	memset(tmp, 0, 4);
	scsi_put16(tmp + 2, lu->rel_port);
	n += desig(b + n, 0x01, 1, 0x4, tmp, 4);
	/* target port: its target port group (ALUA) */
	if (lu->tpgs) {
		memset(tmp, 0, 4);
		scsi_put16(tmp + 2, lu->tpg_id);
		n += desig(b + n, 0x01, 1, 0x5, tmp, 4);
	}
	/* target device: SCSI name string, NUL terminated, padded to 4 bytes */
	tlen = (uint32_t)strnlen(t, MSG_NAME_MAX - 1);
	if (tlen > 0 && tlen <= 223) {
		uint32_t padded = (tlen + 1 + 3) & ~3u;

		memset(tmp, 0, padded);
		memcpy(tmp, t, tlen);
		n += desig(b + n, 0x03, 2, 0x8, tmp, padded);
	}
	scsi_put16(b + 2, (uint16_t)(n - 4));
	return n;
}

static uint32_t vpd_block_limits(const struct scsi_lu *lu, uint8_t *b)
{
	uint32_t bs = lu->block_size;
	/* a page of the backends, and at least a physical block (512e) */
	uint32_t gran = bs < 4096 ? 4096 / bs : 1;

	if ((1u << lu->lbppbe) > gran)
		gran = 1u << lu->lbppbe;

	scsi_put16(b + 2, 0x3c);
	scsi_put16(b + 6, (uint16_t)gran);                 /* optimal transfer granularity */
	scsi_put32(b + 8, SCSI_MAX_XFER_BYTES / bs);       /* maximum transfer length */
	scsi_put32(b + 12, (1u << 20) / bs);               /* optimal transfer length */
	b[4] = 0x00;                                       /* WSNZ 0: 0 blocks = to the end */
	b[5] = SCSI_MAX_CAW_BLOCKS;                        /* COMPARE AND WRITE */
	if (lu->thin) {
		scsi_put32(b + 20, (uint32_t)(SCSI_MAX_UNMAP_BYTES / bs)); /* MAX UNMAP LBA COUNT */
		scsi_put32(b + 24, SCSI_MAX_UNMAP_DESC);
		scsi_put32(b + 28, SCSI_UNMAP_GRANULARITY > bs ? SCSI_UNMAP_GRANULARITY / bs : 1);
		b[32] = 0x80;                              /* UGAVALID, alignment 0 */
	}
	scsi_put64(b + 36, SCSI_MAX_WS_BYTES / bs);        /* MAXIMUM WRITE SAME LENGTH */
	/* WRITE ATOMIC 16: maximum atomic transfer length, alignment 0 and
	 * granularity 0 (none), and the same limits with an atomic boundary */
	scsi_put32(b + 44, SCSI_MAX_ATOMIC_BYTES / bs);
	scsi_put32(b + 56, SCSI_MAX_ATOMIC_BYTES / bs);
	scsi_put32(b + 60, SCSI_MAX_ATOMIC_BYTES / bs);
	return 64;
}

/* Logical Block Provisioning: what UNMAP / WRITE SAME do, and that an
 * unmapped block reads as zeros (holes of the file or memfd; the null
 * backend always reads zeros). */
static uint32_t vpd_lb_provisioning(const struct scsi_lu *lu, uint8_t *b)
{
	scsi_put16(b + 2, 4);
	if (lu->thin) {
		b[5] = 0x80 | 0x40 | 0x20 | 0x04;      /* LBPU, LBPWS, LBPWS10, LBPRZ */
		b[6] = 0x02;                            /* thin provisioned */
	}
	return 8;
}

static uint32_t vpd_block_chars(const struct scsi_lu *lu, uint8_t *b)
{
	scsi_put16(b + 2, 0x3c);
	scsi_put16(b + 4, lu->rotation == SCSI_ROT_NONE ? 1 : 0);
	if (lu->thin)
		b[7] = 0x40;    /* WABEREQ 01b: SANITIZE BLOCK ERASE leaves zeros to read */
	return 64;
}

void scsi_inquiry(const struct scsi_lu *lu, bool wlun, uint8_t proto, const uint8_t *cdb,
		  uint8_t *out, uint32_t cap, struct scsi_result *r)
{
	uint8_t b[512];
	uint32_t alloc = scsi_be16(cdb + 3), len;
	const struct scsi_lu *vlu = wlun ? NULL : lu;

	r->xfer_len = alloc;
	if (cdb[1] & 0x02) { /* CMDDT, obsolete */
		scsi_invalid_cdb(r, 1, 1);
		return;
	}
	if (cdb[1] & 0xfc) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (!(cdb[1] & 0x01)) {
		if (cdb[2] != 0) {
			scsi_invalid_cdb(r, 2, -1);
			return;
		}
		len = inquiry_standard(lu, wlun, proto, b);
		scsi_emit(b, len, alloc, out, cap, r);
		return;
	}
	memset(b, 0, sizeof(b));
	b[0] = wlun ? 0x1e : (lu ? 0x00 : 0x7f);
	b[1] = cdb[2];
	switch (cdb[2]) {
	case VPD_SUPPORTED:
		len = vpd_supported(vlu, b);
		break;
	case VPD_SERIAL:
		if (!vlu)
			goto bad_page;
		len = vpd_serial(vlu, b);
		break;
	case VPD_DEVICE_ID:
		if (!vlu)
			goto bad_page;
		len = vpd_device_id(vlu, b);
		break;
	case VPD_THIRD_PARTY_COPY:
		if (!vlu)
			goto bad_page;
		len = scsi_vpd_third_party_copy(vlu, b);
		break;
	case VPD_BLOCK_LIMITS:
		if (!vlu)
			goto bad_page;
		len = vpd_block_limits(vlu, b);
		break;
	case VPD_BLOCK_CHARS:
		if (!vlu)
			goto bad_page;
		len = vpd_block_chars(vlu, b);
		break;
	case VPD_LB_PROVISIONING:
		if (!vlu)
			goto bad_page;
		len = vpd_lb_provisioning(vlu, b);
		break;
	default:
		goto bad_page;
	}
	scsi_emit(b, len, alloc, out, cap, r);
	return;
bad_page:
	scsi_invalid_cdb(r, 2, -1);
}
