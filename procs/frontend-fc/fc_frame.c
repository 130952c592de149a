/* FC frame headers and FCoE encapsulation (see fc_frame.h). */
#include "procs/frontend-fc/fc_frame.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"
#include <zlib.h>

void fc_hdr_encode(const struct fc_hdr *h, uint8_t *o)
{
	o[0] = h->r_ctl;
	fc_put24(o + 1, h->d_id);
	o[4] = h->cs_ctl;
	fc_put24(o + 5, h->s_id);
	o[8] = h->type;
	fc_put24(o + 9, h->f_ctl);
	o[12] = h->seq_id;
	o[13] = h->df_ctl;
	fc_put16(o + 14, h->seq_cnt);
	fc_put16(o + 16, h->ox_id);
	fc_put16(o + 18, h->rx_id);
	o[20] = (uint8_t)(h->param >> 24);
	o[21] = (uint8_t)(h->param >> 16);
	o[22] = (uint8_t)(h->param >> 8);
	o[23] = (uint8_t)h->param;
}

int fc_hdr_decode(const uint8_t *i, struct fc_hdr *h)
{
	h->r_ctl = i[0];
	h->d_id = fc_get24(i + 1);
	h->cs_ctl = i[4];
	h->s_id = fc_get24(i + 5);
	h->type = i[8];
	h->f_ctl = fc_get24(i + 9);
	h->seq_id = i[12];
	h->df_ctl = i[13];
	h->seq_cnt = fc_get16(i + 14);
	h->ox_id = fc_get16(i + 16);
	h->rx_id = fc_get16(i + 18);
	h->param = (uint32_t)i[20] << 24 | (uint32_t)i[21] << 16 | (uint32_t)i[22] << 8 | i[23];
	/* optional headers (ESP, network, association, device) are not used
	 * by FCP or the link services we serve */
	return h->df_ctl ? -EINVAL : 0;
}

uint32_t fc_crc(const uint8_t *buf, size_t len)
{
	/* FC's CRC is the IEEE 802.3 CRC-32, which is what zlib computes */
	return (uint32_t)crc32(0, buf, (uInt)len);
}

void fcoe_fpma(uint32_t fc_map, uint32_t fc_id, uint8_t mac[6])
{
	fc_put24(mac, fc_map);
	fc_put24(mac + 3, fc_id);
}

static bool sof_ok(uint8_t s)
{
	return s == FC_SOF_F || s == FC_SOF_I2 || s == FC_SOF_N2 || s == FC_SOF_I3 ||
	       s == FC_SOF_N3;
}

static bool eof_ok(uint8_t e)
{
	return e == FC_EOF_N || e == FC_EOF_T || e == FC_EOF_NI || e == FC_EOF_A;
}

int fcoe_encode(const struct fcoe_frame *f, const uint8_t *payload, uint32_t len,
		uint8_t *out, size_t cap)
{
	uint32_t fill = (4 - (len & 3)) & 3, off = 0, fc_start, crc;
	size_t need = ETH_HDR_LEN + (f->vlan ? 4 : 0) + FCOE_HDR_LEN + FC_HDR_LEN + len +
		      fill + FC_CRC_LEN + FCOE_TRAILER_LEN;
	struct fc_hdr h = f->fh;

	if (len > FC_MAX_PAYLOAD || need > cap || !sof_ok(f->sof) || !eof_ok(f->eof))
		return -EMSGSIZE;
	memcpy(out, f->dst, 6);
	memcpy(out + 6, f->src, 6);
	off = 12;
	if (f->vlan) {
		fc_put16(out + off, 0x8100);
		fc_put16(out + off + 2, f->vlan & 0x0fff);
		off += 4;
	}
	fc_put16(out + off, FCOE_ETHERTYPE);
	off += 2;
	memset(out + off, 0, FCOE_HDR_LEN - 1); /* version 0, reserved */
	out[off + FCOE_HDR_LEN - 1] = f->sof;
	off += FCOE_HDR_LEN;
	fc_start = off;
	h.f_ctl = (h.f_ctl & ~FC_FCTL_FILL_MASK) | fill;
	fc_hdr_encode(&h, out + off);
	off += FC_HDR_LEN;
	if (len)
		memcpy(out + off, payload, len);
	memset(out + off + len, 0, fill);
	off += len + fill;
	crc = fc_crc(out + fc_start, off - fc_start);
	out[off++] = (uint8_t)crc;
	out[off++] = (uint8_t)(crc >> 8);
	out[off++] = (uint8_t)(crc >> 16);
	out[off++] = (uint8_t)(crc >> 24);
	out[off++] = f->eof;
	memset(out + off, 0, 3);
	off += 3;
	/* the smallest FCoE frame already fills Ethernet's 60-byte minimum */
	return (int)off;
}

int fcoe_decode(const uint8_t *in, size_t len, struct fcoe_frame *f)
{
	size_t off = 12, fc_len;
	uint16_t et;
	uint32_t crc, fill;
	const uint8_t *fc;
	int r;

	memset(f, 0, sizeof(*f));
	if (len < ETH_HDR_LEN)
		return -EINVAL;
	memcpy(f->dst, in, 6);
	memcpy(f->src, in + 6, 6);
	et = fc_get16(in + 12);
	if (et == 0x8100) {
		if (len < ETH_HDR_LEN + 4)
			return -EINVAL;
		f->vlan = fc_get16(in + 14) & 0x0fff;
		et = fc_get16(in + 16);
		off += 4;
	}
	if (et != FCOE_ETHERTYPE)
		return -EPROTONOSUPPORT;
	off += 2;
	if (len < off + FCOE_HDR_LEN + FC_HDR_LEN + FC_CRC_LEN + FCOE_TRAILER_LEN)
		return -EINVAL;
	if (in[off] >> 4 != 0)  /* FCoE version 0 only */
		return -EINVAL;
	f->sof = in[off + FCOE_HDR_LEN - 1];
	if (!sof_ok(f->sof))
		return -EINVAL;
	off += FCOE_HDR_LEN;
	fc = in + off;
	fc_len = len - off - FCOE_TRAILER_LEN; /* header + payload + CRC */
	if ((fc_len - FC_HDR_LEN - FC_CRC_LEN) % 4 ||
	    fc_len - FC_HDR_LEN - FC_CRC_LEN > FC_MAX_PAYLOAD)
		return -EINVAL;
	f->eof = in[len - FCOE_TRAILER_LEN];
	if (!eof_ok(f->eof))
		return -EINVAL;
	crc = (uint32_t)fc[fc_len - 4] | (uint32_t)fc[fc_len - 3] << 8 |
	      (uint32_t)fc[fc_len - 2] << 16 | (uint32_t)fc[fc_len - 1] << 24;
	if (crc != fc_crc(fc, fc_len - FC_CRC_LEN))
		return -EBADMSG;
	r = fc_hdr_decode(fc, &f->fh);
	if (r)
		return r;
	f->payload = fc + FC_HDR_LEN;
	f->payload_len = (uint32_t)(fc_len - FC_HDR_LEN - FC_CRC_LEN);
	fill = f->fh.f_ctl & FC_FCTL_FILL_MASK;
	if (fill > f->payload_len)
		return -EINVAL;
	f->payload_len -= fill;
	return 0;
}
