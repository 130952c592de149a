/* libFuzzer: the FC frame parsers (procs/frontend-fc), CT_IU/RSCN included. The first byte picks
 * the decoder, the rest is the frame or payload. Decoders must accept or
 * refuse, never read outside the input (ASan), and whatever they accept must
 * describe bytes inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-fc/fc_ct.h"
#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fcp.h"
#include "procs/frontend-fc/fc_fip.h"
#include "procs/frontend-fc/fc_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *base, size_t size)
{
	if (n && (p < base || p + n > base + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *in = data + 1;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 8) {
	case 0: {
		struct fcoe_frame f;
		uint8_t out[FCOE_MAX_FRAME];

		if (fcoe_decode(in, len, &f) == 0) {
			inside(f.payload, f.payload_len, in, len);
			/* what decodes re-encodes to a frame that decodes alike */
			int n = fcoe_encode(&f, f.payload, f.payload_len, out, sizeof(out));
			struct fcoe_frame g;

			if (n < 0 || fcoe_decode(out, (size_t)n, &g) != 0 ||
			    g.payload_len != f.payload_len ||
			    memcmp(g.payload, f.payload, f.payload_len))
				abort();
		}
		break;
	}
	case 1: {
		struct fip_msg m;

		if (fip_parse(in, len, &m) == 0) {
			inside(m.els, m.els_len, in, len);
			if (m.nvlans > FIP_MAX_VLANS)
				abort();
		}
		break;
	}
	case 2: {
		struct fcp_cmnd c;

		if (fcp_cmnd_decode(in, len, &c) == 0 && c.cdb_len > FCP_CDB_MAX)
			abort();
		break;
	}
	case 3: {
		struct fcp_rsp r;

		if (fcp_rsp_decode(in, len, &r) == 0)
			inside(r.sense, r.sense_len, in, len);
		break;
	}
	case 4: {
		struct fc_sparm sp;
		struct fc_prli_page pg;
		uint8_t cmd;

		(void)fc_sparm_decode(in, len, &cmd, &sp);
		(void)fc_prli_decode(in, len, &cmd, &pg);
		break;
	}
	case 5: {
		struct fc_adisc a;
		uint32_t id;
		uint64_t name;
		uint16_t ox, rx;
		uint8_t cmd;

		(void)fc_adisc_decode(in, len, &cmd, &a);
		(void)fc_logo_decode(in, len, &id, &name);
		(void)fc_rrq_decode(in, len, &id, &ox, &rx);
		break;
	}
	case 6: {
		uint32_t off, burst;

		(void)fcp_xfer_rdy_decode(in, len, &off, &burst);
		break;
	}
	default: {
		struct fc_hdr h;
		struct fc_ct_hdr ct;
		struct fc_rscn_page pages[FC_RSCN_MAX_PAGES];
		const uint8_t *pl;
		size_t pl_len;
		uint32_t id, types[8], ids[16];
		uint8_t a, b;
		int n;

		if (len >= FC_HDR_LEN)
			(void)fc_hdr_decode(in, &h);
		/* the fabric's answers and requests (fc_ct.c) */
		if (fc_ct_decode(in, len, &ct, &pl, &pl_len) == 0) {
			inside(pl, pl_len, in, len);
			(void)fc_rft_id_decode(pl, pl_len, &id, types);
			(void)fc_rff_id_decode(pl, pl_len, &id, &a, &b);
			(void)fc_port_id_decode(pl, pl_len, &id);
			(void)fc_gid_ft_decode(pl, pl_len, &a);
			n = fc_gid_ft_acc_decode(pl, pl_len, ids, 16);
			if (n > 16)
				abort();
		}
		n = fc_rscn_decode(in, len, pages, FC_RSCN_MAX_PAGES);
		if (n > FC_RSCN_MAX_PAGES || (n > 0 && (size_t)n * 4 + 4 > len))
			abort();
		(void)fc_scr_decode(in, len, &a);
		break;
	}
	}
	return 0;
}
