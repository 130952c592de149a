/* CT_IU, name-server payloads, SCR and RSCN (see fc_ct.h). */
#include "procs/frontend-fc/fc_ct.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_frame.h"

int fc_ct_encode(const struct fc_ct_hdr *h, const uint8_t *pl, size_t len, uint8_t *out,
		 size_t cap)
{
	if (cap < FC_CT_HDR_LEN || len > cap - FC_CT_HDR_LEN || len > FC_MAX_PAYLOAD - FC_CT_HDR_LEN)
		return -EMSGSIZE;
	memset(out, 0, FC_CT_HDR_LEN);
	out[0] = FC_CT_REV;
	out[4] = h->gs_type;
	out[5] = h->gs_subtype;
	fc_put16(out + 8, h->cmd);
	fc_put16(out + 10, h->max_size);
	out[13] = h->reason;
	out[14] = h->expl;
	if (len)
		memcpy(out + FC_CT_HDR_LEN, pl, len);
	return (int)(FC_CT_HDR_LEN + len);
}

int fc_ct_decode(const uint8_t *in, size_t len, struct fc_ct_hdr *h, const uint8_t **pl,
		 size_t *pl_len)
{
	if (len < FC_CT_HDR_LEN || in[0] != FC_CT_REV)
		return -EINVAL;
	h->gs_type = in[4];
	h->gs_subtype = in[5];
	h->cmd = fc_get16(in + 8);
	h->max_size = fc_get16(in + 10);
	h->reason = in[13];
	h->expl = in[14];
	*pl = in + FC_CT_HDR_LEN;
	*pl_len = len - FC_CT_HDR_LEN;
	return 0;
}

static void put_id(uint8_t *p, uint32_t id)
{
	p[0] = 0;
	fc_put24(p + 1, id & FC_ID_MAX);
}

size_t fc_rft_id_encode(uint32_t port_id, uint8_t fc4_type, uint8_t out[FC_RFT_ID_LEN])
{
	memset(out, 0, FC_RFT_ID_LEN);
	put_id(out, port_id);
	/* eight words, type t is bit t%32 of word t/32 */
	fc_put32(out + 4 + (fc4_type / 32u) * 4, 1u << (fc4_type % 32u));
	return FC_RFT_ID_LEN;
}

size_t fc_rff_id_encode(uint32_t port_id, uint8_t features, uint8_t fc4_type,
			uint8_t out[FC_RFF_ID_LEN])
{
	memset(out, 0, FC_RFF_ID_LEN);
	put_id(out, port_id);
	out[6] = features;
	out[7] = fc4_type;
	return FC_RFF_ID_LEN;
}

size_t fc_rspn_id_encode(uint32_t port_id, const char *name, uint8_t out[FC_RSPN_ID_MAX])
{
	size_t n = strlen(name);

	if (n > 255)
		n = 255;
	put_id(out, port_id);
	out[4] = (uint8_t)n;
	memcpy(out + 5, name, n);
	/* CT payloads are whole words */
	while ((5 + n) % 4)
		out[5 + n++] = 0;
	return 5 + n;
}

size_t fc_gid_ft_encode(uint8_t fc4_type, uint8_t out[FC_GID_FT_LEN])
{
	memset(out, 0, FC_GID_FT_LEN);
	out[3] = fc4_type;
	return FC_GID_FT_LEN;
}

size_t fc_gpn_id_encode(uint32_t port_id, uint8_t out[FC_GPN_ID_LEN])
{
	put_id(out, port_id);
	return FC_GPN_ID_LEN;
}

static bool id_ok(uint32_t id)
{
	return id && id < 0xfffff0u;
}

int fc_rft_id_decode(const uint8_t *p, size_t len, uint32_t *port_id, uint32_t types[8])
{
	if (len < FC_RFT_ID_LEN)
		return -EINVAL;
	*port_id = fc_get24(p + 1);
	for (int i = 0; i < 8; i++)
		types[i] = fc_get32(p + 4 + 4 * i);
	return id_ok(*port_id) ? 0 : -EINVAL;
}

int fc_rff_id_decode(const uint8_t *p, size_t len, uint32_t *port_id, uint8_t *features,
		     uint8_t *fc4_type)
{
	if (len < FC_RFF_ID_LEN)
		return -EINVAL;
	*port_id = fc_get24(p + 1);
	*features = p[6];
	*fc4_type = p[7];
	return id_ok(*port_id) ? 0 : -EINVAL;
}

int fc_port_id_decode(const uint8_t *p, size_t len, uint32_t *port_id)
{
	if (len < 4)
		return -EINVAL;
	*port_id = fc_get24(p + 1);
	return id_ok(*port_id) ? 0 : -EINVAL;
}

int fc_gid_ft_decode(const uint8_t *p, size_t len, uint8_t *fc4_type)
{
	if (len < FC_GID_FT_LEN)
		return -EINVAL;
	*fc4_type = p[3];
	return 0;
}

size_t fc_gid_ft_acc_encode(const uint32_t *ids, size_t n, uint8_t *out, size_t cap)
{
	size_t k;

	for (k = 0; k < n && (k + 1) * 4 <= cap; k++)
		put_id(out + 4 * k, ids[k]);
	if (k)
		out[4 * (k - 1)] = 0x80; /* the last entry */
	return k * 4;
}

int fc_gid_ft_acc_decode(const uint8_t *p, size_t len, uint32_t *ids, size_t max)
{
	size_t n = 0;

	for (size_t off = 0; off + 4 <= len; off += 4) {
		uint32_t id = fc_get24(p + off + 1);

		if (!id_ok(id))
			return -EINVAL;
		if (n < max)
			ids[n++] = id;
		if (p[off] & 0x80)
			return (int)n;
	}
	return -EINVAL;
}

void fc_scr_encode(uint8_t function, uint8_t out[FC_SCR_LEN])
{
	memset(out, 0, FC_SCR_LEN);
	out[0] = ELS_SCR;
	out[7] = function;
}

int fc_scr_decode(const uint8_t *p, size_t len, uint8_t *function)
{
	if (len < FC_SCR_LEN || p[0] != ELS_SCR)
		return -EINVAL;
	*function = p[7];
	return *function >= 1 && *function <= 3 ? 0 : -EINVAL;
}

int fc_rscn_decode(const uint8_t *p, size_t len, struct fc_rscn_page *pages, size_t max)
{
	size_t total, n = 0;

	if (len < 8 || p[0] != ELS_RSCN || p[1] != 4)
		return -EINVAL;
	total = fc_get16(p + 2);
	/* the payload length counts the 4-byte header and whole pages */
	if (total < 8 || total > len || total % 4)
		return -EINVAL;
	for (size_t off = 4; off < total; off += 4) {
		if (n >= max)
			return -EINVAL;
		pages[n].fmt = p[off] & 0x03;
		pages[n].id = fc_get24(p + off + 1);
		n++;
	}
	return (int)n;
}

size_t fc_rscn_encode(const struct fc_rscn_page *pages, size_t n, uint8_t *out, size_t cap)
{
	size_t k;

	if (cap < 4)
		return 0;
	for (k = 0; k < n && 4 + (k + 1) * 4 <= cap && k < FC_RSCN_MAX_PAGES; k++) {
		out[4 + 4 * k] = pages[k].fmt & 0x03;
		fc_put24(out + 5 + 4 * k, pages[k].id);
	}
	out[0] = ELS_RSCN;
	out[1] = 4;
	fc_put16(out + 2, (uint16_t)(4 + 4 * k));
	return 4 + 4 * k;
}

bool fc_rscn_match(const struct fc_rscn_page *pg, uint32_t id)
{
	switch (pg->fmt) {
	case RSCN_PORT: return pg->id == id;
	case RSCN_AREA: return (pg->id & 0xffff00u) == (id & 0xffff00u);
	case RSCN_DOMAIN: return (pg->id & 0xff0000u) == (id & 0xff0000u);
	default: return true;
	}
}
