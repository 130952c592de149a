/* libFuzzer harness for the SRP IU decoder (procs/frontend-srp/srp_iu.c):
 * whatever an initiator sends, decoding never reads outside the IU, and
 * what it reports stays inside it. The first two bytes pick the negotiated
 * buffer formats and immediate-data offset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-srp/srp_iu.h"

static void check_buf(const uint8_t *p, size_t len, const struct srp_buf *b)
{
	if (b->ndesc && (b->desc < p || b->desc + (size_t)b->ndesc * SRP_DESC_LEN > p + len))
		abort();
	if (b->fmt == SRP_DESC_IMM && (uint64_t)b->imm_off + b->total > len)
		abort();
	if (b->fmt == SRP_DESC_INDIRECT && b->fetch &&
	    (b->table.len % SRP_DESC_LEN || b->table.len / SRP_DESC_LEN > SRP_MAX_DESC))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srp_login_req lr;
	struct srp_cmd_iu c;
	struct srp_tmf_iu t;
	uint8_t *p, out[4096];
	uint16_t fmts, imm;
	size_t len;

	if (size < 2)
		return 0;
	fmts = (uint16_t)((data[0] & 3) << 1);
	imm = data[1] & 1 ? (uint16_t)(data[1] * 2) : 0;
	len = size - 2;
	/* an exact-size copy so ASan sees any read past the end */
	p = malloc(len ? len : 1);
	if (!p)
		return 0;
	memcpy(p, data + 2, len);
	(void)srp_decode_login(p, len, &lr);
	(void)srp_iu_check(p, len);
	if (srp_decode_cmd(p, len, fmts, imm, &c) == SRP_CMD_OK) {
		if (c.cdb < p || c.cdb + c.cdb_len > p + len)
			abort();
		check_buf(p, len, &c.out);
		check_buf(p, len, &c.in);
	}
	(void)srp_decode_tmf(p, len, &t);
	if (len >= 8) {
		struct srp_rsp_info ri = { .status = p[0], .dir = p[1] % 3, .offered = srp_get32(p),
					   .cdb_xfer = srp_get32(p + 4), .moved = p[2],
					   .sense = p, .sense_len = (uint32_t)len };
		size_t n = srp_encode_rsp(out, 36 + (size_t)p[3] * 8, &ri);

		if (n > 36 + (size_t)p[3] * 8)
			abort(); /* sense is cut to max_ti_iu_len */
	}
	free(p);
	return 0;
}
