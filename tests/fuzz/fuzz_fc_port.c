/* libFuzzer: the software FCoE driver's receive path (fc_fcoe.c) on a port
 * without a socket, with a data-out transfer posted. The first byte picks
 * how the rest is used: 0 as a raw Ethernet frame (FCoE or FIP), else as an
 * FC header + payload wrapped in a valid FCoE frame from the expected peer
 * (valid CRC and MACs), so the fuzzer reaches the logic past the checks.
 * Raw frames also go to a port in fabric mode (fc_fcoe_enode.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procs/frontend-fc/fc_fcoe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUR_ID  0x010a01u
#define PEER_ID 0x020b01u

static uint8_t dst[8192];
static struct fc_xfer xf;

static void cb_link(void *arg, bool up, uint32_t id, uint32_t maxp) { }
static void cb_recv(void *arg, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	/* the payload must lie inside a frame */
	if (len > FC_MAX_PAYLOAD)
		abort();
	if (len)
		(void)*(volatile const uint8_t *)(pl + len - 1);
}
static void cb_done(void *arg, struct fc_xfer *t, int status)
{
	if (t != &xf || (status == 0 && t->done_bytes != t->len) || t->done_bytes > t->len)
		abort();
}
static void cb_gone(void *arg, uint32_t peer) { }

static const struct fc_port_cb cb = { cb_link, cb_recv, cb_done, cb_gone };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fc_port *p, *fp;
	static uint8_t f[FCOE_MAX_FRAME + 64];

	if (!p)
		p = fc_fcoe_test_port(&cb, NULL, 0x2000001b32aa0001ull, OUR_ID, 2158);
	if (size < 1 || !p)
		return 0;
	if (!xf.posted) {
		memset(&xf, 0, sizeof(xf));
		xf.x = (struct fc_xid){ .peer = PEER_ID, .ox_id = 0x100, .rx_id = 0x0010 };
		xf.len = (uint32_t)(data[0] << 5) % sizeof(dst) + 1;
		xf.iov[0] = (struct fc_iov){ dst, xf.len };
		xf.niov = 1;
		fc_fcoe_ops.recv_data(p, &xf, false);
	}
	if (data[0] & 1) {
		struct fcoe_frame fr = { .sof = FC_SOF_I3, .eof = FC_EOF_T };
		int n;

		if (size < 1 + FC_HDR_LEN || fc_hdr_decode(data + 1, &fr.fh) < 0)
			return 0;
		fr.fh.d_id = OUR_ID;
		if (data[0] & 2)
			fr.fh.s_id = PEER_ID;
		fcoe_fpma(0x0efd00, OUR_ID, fr.dst);
		fcoe_fpma(0x0efd00, fr.fh.s_id, fr.src);
		n = fcoe_encode(&fr, data + 1 + FC_HDR_LEN, (uint32_t)(size - 1 - FC_HDR_LEN), f,
				sizeof(f));
		if (n > 0)
			fc_fcoe_rx(p, f, (size_t)n);
	} else if (size - 1 <= sizeof(f)) {
		memcpy(f, data + 1, size - 1);
		fc_fcoe_rx(p, f, size - 1);
		/* the same frame to a port in fabric mode (an ENode soliciting,
		 * choosing, logging in): FIP from hostile FCFs */
		if (!fp)
			fp = fc_fcoe_test_fabric_port(&cb, NULL, 0x2000001b32aa0002ull, 0, NULL);
		if (fp) {
			memcpy(f, data + 1, size - 1);
			fc_fcoe_rx(fp, f, size - 1);
			if (data[0] & 0x80)
				fc_fcoe_test_age(fp, 1000);
			fc_fcoe_ops.poll(fp);
		}
	}
	return 0;
}
