/* Link service payloads (see fc_els.h). Every decoder checks the length it
 * was given before it reads a byte. */
#include "procs/frontend-fc/fc_els.h"

#include <errno.h>
#include <string.h>

#include "procs/frontend-fc/fc_bytes.h"

#include "procs/frontend-fc/fc_frame.h"

/* Layout: cmd(4) | common service parameters(16) | port name(8) | node
 * name(8) | class 1, 2, 3, 4 parameters (16 each) | vendor version(16). */
int fc_sparm_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_sparm *sp)
{
	const uint8_t *c3 = p + 68;

	memset(sp, 0, sizeof(*sp));
	/* some initiators send only through the class 3 parameters */
	if (len < 84)
		return -EINVAL;
	*cmd = p[0];
	sp->ver_hi = p[4];
	sp->ver_lo = p[5];
	sp->bb_credit = fc_get16(p + 6);
	sp->features = fc_get16(p + 8);
	sp->rx_size = fc_get16(p + 10) & 0x0fff;
	sp->max_seq = fc_get16(p + 12);
	sp->rel_off = fc_get16(p + 14);
	sp->e_d_tov = fc_get32(p + 16);
	sp->port_name = fc_get64(p + 20);
	sp->node_name = fc_get64(p + 28);
	sp->c3_options = fc_get16(c3);
	sp->class3 = sp->c3_options & FC_CPSP_VALID;
	sp->c3_rx_size = fc_get16(c3 + 6) & 0x0fff;
	sp->c3_conc_seq = fc_get16(c3 + 8);
	sp->c3_open_seq = fc_get16(c3 + 12);
	return 0;
}

void fc_sparm_encode(uint8_t cmd, const struct fc_sparm *sp, uint8_t out[FC_SPARM_LEN])
{
	uint8_t *c3 = out + 68;

	memset(out, 0, FC_SPARM_LEN);
	out[0] = cmd;
	out[4] = sp->ver_hi;
	out[5] = sp->ver_lo;
	fc_put16(out + 6, sp->bb_credit);
	fc_put16(out + 8, sp->features);
	fc_put16(out + 10, sp->rx_size & 0x0fff);
	fc_put16(out + 12, sp->max_seq);
	fc_put16(out + 14, sp->rel_off);
	fc_put32(out + 16, sp->e_d_tov);
	fc_put64(out + 20, sp->port_name);
	fc_put64(out + 28, sp->node_name);
	if (sp->class3) {
		fc_put16(c3, sp->c3_options | FC_CPSP_VALID);
		fc_put16(c3 + 6, sp->c3_rx_size & 0x0fff);
		fc_put16(c3 + 8, sp->c3_conc_seq);
		fc_put16(c3 + 12, sp->c3_open_seq);
	}
}

/* Layout: cmd | page length (16) | payload length (2) | pages of 16 bytes:
 * type, type extension, flags(2), originator PA(4), responder PA(4),
 * service parameters(4). We take exactly one page: an FCP initiator sends
 * one, and more would ask for FC-4 types we do not serve. */
int fc_prli_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_prli_page *pg)
{
	uint16_t plen;

	memset(pg, 0, sizeof(*pg));
	if (len < FC_PRLI_LEN)
		return -EINVAL;
	*cmd = p[0];
	plen = fc_get16(p + 2);
	if (p[1] != 16 || plen < FC_PRLI_LEN || plen > len || (plen - 4) % 16)
		return -EINVAL;
	if (plen != FC_PRLI_LEN)
		return -EOPNOTSUPP; /* several pages */
	pg->type = p[4];
	pg->flags = fc_get16(p + 6);
	pg->orig_pa = fc_get32(p + 8);
	pg->resp_pa = fc_get32(p + 12);
	pg->sparams = fc_get32(p + 16);
	return 0;
}

void fc_prli_encode(uint8_t cmd, const struct fc_prli_page *pg, uint8_t out[FC_PRLI_LEN])
{
	memset(out, 0, FC_PRLI_LEN);
	out[0] = cmd;
	out[1] = 16;
	fc_put16(out + 2, FC_PRLI_LEN);
	out[4] = pg->type;
	fc_put16(out + 6, pg->flags);
	fc_put32(out + 8, pg->orig_pa);
	fc_put32(out + 12, pg->resp_pa);
	fc_put32(out + 16, pg->sparams);
}

int fc_logo_decode(const uint8_t *p, size_t len, uint32_t *nport_id, uint64_t *port_name)
{
	if (len < FC_LOGO_LEN || p[0] != ELS_LOGO)
		return -EINVAL;
	*nport_id = fc_get24(p + 5);
	*port_name = fc_get64(p + 8);
	return 0;
}

void fc_logo_encode(uint32_t nport_id, uint64_t port_name, uint8_t out[FC_LOGO_LEN])
{
	memset(out, 0, FC_LOGO_LEN);
	out[0] = ELS_LOGO;
	fc_put24(out + 5, nport_id);
	fc_put64(out + 8, port_name);
}

int fc_adisc_decode(const uint8_t *p, size_t len, uint8_t *cmd, struct fc_adisc *a)
{
	if (len < FC_ADISC_LEN)
		return -EINVAL;
	*cmd = p[0];
	a->hard_addr = fc_get24(p + 5);
	a->port_name = fc_get64(p + 8);
	a->node_name = fc_get64(p + 16);
	a->nport_id = fc_get24(p + 25);
	return 0;
}

void fc_adisc_encode(uint8_t cmd, const struct fc_adisc *a, uint8_t out[FC_ADISC_LEN])
{
	memset(out, 0, FC_ADISC_LEN);
	out[0] = cmd;
	fc_put24(out + 5, a->hard_addr);
	fc_put64(out + 8, a->port_name);
	fc_put64(out + 16, a->node_name);
	fc_put24(out + 25, a->nport_id);
}

int fc_rrq_decode(const uint8_t *p, size_t len, uint32_t *s_id, uint16_t *ox_id,
		  uint16_t *rx_id)
{
	if (len < FC_RRQ_LEN || p[0] != ELS_RRQ)
		return -EINVAL;
	*s_id = fc_get24(p + 5);
	*ox_id = fc_get16(p + 8);
	*rx_id = fc_get16(p + 10);
	return 0;
}

void fc_ls_rjt_encode(uint8_t reason, uint8_t expl, uint8_t out[FC_LS_RJT_LEN])
{
	memset(out, 0, FC_LS_RJT_LEN);
	out[0] = ELS_LS_RJT;
	out[5] = reason;
	out[6] = expl;
}

void fc_ba_acc_encode(uint16_t ox_id, uint16_t rx_id, uint8_t out[FC_BA_ACC_LEN])
{
	memset(out, 0, FC_BA_ACC_LEN);
	/* SEQ_ID not valid: the whole exchange is aborted, not one sequence */
	fc_put16(out + 4, ox_id);
	fc_put16(out + 6, rx_id);
	fc_put16(out + 8, 0);      /* low SEQ_CNT */
	fc_put16(out + 10, 0xffff); /* high SEQ_CNT */
}

void fc_ba_rjt_encode(uint8_t reason, uint8_t expl, uint8_t out[FC_BA_RJT_LEN])
{
	memset(out, 0, FC_BA_RJT_LEN);
	out[1] = reason;
	out[2] = expl;
}
