/* FIP frames (see fc_fip.h). Descriptor lengths are in 4-byte words and
 * include the 2-byte type/length header; the descriptor list length in the
 * FIP header is in words too. */
#include "procs/frontend-fc/fc_fip.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"

#include "procs/frontend-fc/fc_frame.h"

/* The exact size (in words) of each fixed-size descriptor; 0: variable. */
static unsigned desc_words(uint8_t type)
{
	switch (type) {
	case FIP_DT_PRI: return 1;
	case FIP_DT_MAC: return 2;
	case FIP_DT_MAP_OUI: return 2;
	case FIP_DT_NAME: return 3;
	case FIP_DT_FAB: return 4;
	case FIP_DT_FCOE_SIZE: return 1;
	case FIP_DT_VN_ID: return 5;
	case FIP_DT_FKA: return 2;
	case FIP_DT_VENDOR: return 3;
	case FIP_DT_VLAN: return 1;
	default: return 0;
	}
}

static int fip_desc(struct fip_msg *m, uint8_t type, const uint8_t *d, size_t bytes)
{
	unsigned want = desc_words(type);

	if (want && bytes != want * 4u)
		return -EINVAL;
	switch (type) {
	case FIP_DT_PRI:
		m->priority = d[3];
		break;
	case FIP_DT_MAC:
		memcpy(m->mac, d + 2, 6);
		break;
	case FIP_DT_MAP_OUI:
		m->fc_map = fc_get24(d + 5);
		break;
	case FIP_DT_NAME:
		m->name = fc_get64(d + 4);
		break;
	case FIP_DT_FAB:
		m->vf_id = fc_get16(d + 2);
		m->fc_map = fc_get24(d + 5);
		m->fabric_name = fc_get64(d + 8);
		break;
	case FIP_DT_FCOE_SIZE:
		m->max_fcoe_size = fc_get16(d + 2);
		break;
	case FIP_DT_FLOGI:
	case FIP_DT_FDISC:
	case FIP_DT_LOGO:
	case FIP_DT_ELP:
		/* 2 reserved bytes, then an FC header and its payload */
		if (bytes < 4 + FC_HDR_LEN || m->els_desc)
			return -EINVAL;
		m->els_desc = type;
		m->els = d + 4;
		m->els_len = (uint32_t)(bytes - 4);
		break;
	case FIP_DT_VN_ID:
		memcpy(m->vn_mac, d + 2, 6);
		m->vn_port_id = fc_get24(d + 9);
		m->vn_port_name = fc_get64(d + 12);
		break;
	case FIP_DT_FKA:
		m->fka_no_verify = d[3] & 1;
		m->fka_period_ms = fc_get32(d + 4);
		break;
	case FIP_DT_VENDOR:
	case FIP_DT_FC4F:
		break;
	case FIP_DT_VLAN:
		if (m->nvlans >= FIP_MAX_VLANS)
			return -EINVAL;
		m->vlans[m->nvlans++] = fc_get16(d + 2) & 0x0fff;
		break;
	default:
		/* FC-BB-5: types 128-255 may be ignored, the others are critical */
		return type >= 128 ? 0 : -EINVAL;
	}
	m->have |= 1u << type;
	return 0;
}

int fip_parse(const uint8_t *in, size_t len, struct fip_msg *m)
{
	size_t off = 12, list, end;
	uint16_t et;

	memset(m, 0, sizeof(*m));
	if (len < ETH_HDR_LEN)
		return -EINVAL;
	memcpy(m->dst, in, 6);
	memcpy(m->src, in + 6, 6);
	et = fc_get16(in + 12);
	if (et == 0x8100) {
		if (len < ETH_HDR_LEN + 4)
			return -EINVAL;
		m->vlan_tag = fc_get16(in + 14) & 0x0fff;
		et = fc_get16(in + 16);
		off += 4;
	}
	if (et != FIP_ETHERTYPE)
		return -EPROTONOSUPPORT;
	off += 2;
	if (len < off + FIP_HDR_LEN || in[off] >> 4 != FIP_VERSION)
		return -EINVAL;
	m->op = fc_get16(in + off + 2);
	m->subcode = in[off + 5];
	list = (size_t)fc_get16(in + off + 6) * 4;
	m->flags = fc_get16(in + off + 8);
	off += FIP_HDR_LEN;
	if (list > len - off)
		return -EINVAL;
	end = off + list; /* Ethernet padding may follow */
	while (off < end) {
		uint8_t type, words;
		int r;

		if (end - off < 2)
			return -EINVAL;
		type = in[off];
		words = in[off + 1];
		if (words == 0 || (size_t)words * 4 > end - off)
			return -EINVAL;
		r = fip_desc(m, type, in + off, (size_t)words * 4);
		if (r)
			return r;
		off += (size_t)words * 4;
	}
	return 0;
}

/* ---- building ---- */

static uint8_t *fip_room(struct fip_buf *b, size_t n)
{
	uint8_t *p;

	if (b->overflow || b->cap - b->len < n) {
		b->overflow = true;
		return NULL;
	}
	p = b->p + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

void fip_begin(struct fip_buf *b, uint8_t *out, size_t cap, const uint8_t dst[6],
	       const uint8_t src[6], uint16_t vlan, uint16_t op, uint8_t subcode,
	       uint16_t flags)
{
	uint8_t *h;

	b->p = out;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	h = fip_room(b, 12);
	if (!h)
		return;
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	if (vlan) {
		h = fip_room(b, 4);
		if (!h)
			return;
		fc_put16(h, 0x8100);
		fc_put16(h + 2, vlan & 0x0fff);
	}
	h = fip_room(b, 2 + FIP_HDR_LEN);
	if (!h)
		return;
	fc_put16(h, FIP_ETHERTYPE);
	h[2] = FIP_VERSION << 4;
	fc_put16(h + 4, op);
	h[7] = subcode;
	fc_put16(h + 10, flags);
	b->list_start = b->len;
}

static uint8_t *fip_desc_room(struct fip_buf *b, uint8_t type, size_t words)
{
	uint8_t *d = fip_room(b, words * 4);

	if (d) {
		d[0] = type;
		d[1] = (uint8_t)words;
	}
	return d;
}

void fip_put_priority(struct fip_buf *b, uint8_t prio)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_PRI, 1);

	if (d)
		d[3] = prio;
}

void fip_put_mac(struct fip_buf *b, const uint8_t mac[6])
{
	uint8_t *d = fip_desc_room(b, FIP_DT_MAC, 2);

	if (d)
		memcpy(d + 2, mac, 6);
}

void fip_put_map(struct fip_buf *b, uint32_t fc_map)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_MAP_OUI, 2);

	if (d)
		fc_put24(d + 5, fc_map);
}

void fip_put_name(struct fip_buf *b, uint64_t name)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_NAME, 3);

	if (d)
		fc_put64(d + 4, name);
}

void fip_put_fabric(struct fip_buf *b, uint16_t vf_id, uint32_t fc_map, uint64_t fabric_name)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_FAB, 4);

	if (!d)
		return;
	fc_put16(d + 2, vf_id);
	fc_put24(d + 5, fc_map);
	fc_put64(d + 8, fabric_name);
}

void fip_put_max_size(struct fip_buf *b, uint16_t size)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_FCOE_SIZE, 1);

	if (d)
		fc_put16(d + 2, size);
}

void fip_put_fka(struct fip_buf *b, uint32_t period_ms, bool no_verify)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_FKA, 2);

	if (!d)
		return;
	d[3] = no_verify ? 1 : 0;
	fc_put32(d + 4, period_ms);
}

void fip_put_vlan(struct fip_buf *b, uint16_t vlan)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_VLAN, 1);

	if (d)
		fc_put16(d + 2, vlan & 0x0fff);
}

void fip_put_vn_id(struct fip_buf *b, const uint8_t mac[6], uint32_t port_id, uint64_t port_name)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_VN_ID, 5);

	if (!d)
		return;
	memcpy(d + 2, mac, 6);
	fc_put24(d + 9, port_id);
	fc_put64(d + 12, port_name);
}

void fip_put_fc4f_fcp(struct fip_buf *b, uint8_t feat)
{
	uint8_t *d = fip_desc_room(b, FIP_DT_FC4F, FIP_FC4F_WORDS);

	if (!d)
		return;
	/* 2 reserved, the FC-4 type bitmap (8 words, FCP is type 8), then
	 * 4 feature bits per type (FCP's in the second word) */
	fc_put32(d + 4, 1u << 8);
	fc_put32(d + 4 + 32 + 4, feat);
}

void fip_put_els(struct fip_buf *b, uint8_t desc_type, const uint8_t *frame, size_t len)
{
	size_t words = (4 + len + 3) / 4;
	uint8_t *d;

	if (words > 255) {
		b->overflow = true;
		return;
	}
	d = fip_desc_room(b, desc_type, words);
	if (d)
		memcpy(d + 4, frame, len);
}

int fip_end(struct fip_buf *b)
{
	size_t words;

	if (b->overflow)
		return -EMSGSIZE;
	words = (b->len - b->list_start) / 4;
	fc_put16(b->p + b->list_start - FIP_HDR_LEN + 6, (uint16_t)words);
	/* pad to Ethernet's 60-byte minimum; the list length says where the
	 * descriptors end */
	while (b->len < 60) {
		if (!fip_room(b, 1))
			return -EMSGSIZE;
	}
	return (int)b->len;
}
