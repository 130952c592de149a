/* test-fc-ini case "waitq": the target runs with a 1 MiB pool for FCP
 * (fc_options.pool_bytes) and 256 KiB commands, so four writes whose data
 * the initiator holds back fill it. Commands behind them must wait (no
 * answer, no TASK SET FULL), start in arrival order as buffers come back,
 * and ABTS, LUN RESET and LOGO must drop waiting commands without an
 * answer and without losing a buffer (the I/O after the LOGO needs every
 * byte of the pool back). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"
#include "tests/helpers/fc_ini.h"

#define CHECK(cond, ...) do { if (!(cond)) { FCI_LOG(__VA_ARGS__); return 1; } } while (0)

enum { WQ_CHUNK = 256 << 10, WQ_MAX = 16 };

struct wq_cmd {
	struct fci_cmd k;
	uint16_t ox;
	bool     sent, xrdy, rsp;
	uint8_t  status;
	struct fci_rx xr;
};

static uint8_t *wq_mem;

static uint8_t wq_byte(uint32_t i, uint32_t b)
{
	return (uint8_t)((i * 131u + b * 7u + (b >> 9)) ^ 0x5a);
}

static void wq_rw(struct wq_cmd *w, uint32_t i, bool wr, uint32_t lba, uint32_t len)
{
	memset(w, 0, sizeof(*w));
	w->k.buf = wq_mem + (size_t)i * WQ_CHUNK;
	w->k.dl = len;
	w->k.cdb[0] = wr ? 0x2a : 0x28;
	fc_put32(w->k.cdb + 2, lba);
	fc_put16(w->k.cdb + 7, (uint16_t)(len / 512));
	w->k.cdb_len = 10;
	w->k.rd = !wr;
	w->k.wr = wr;
	for (uint32_t b = 0; wr && b < len; b++)
		w->k.buf[b] = wq_byte(i, b);
}

static int wq_send(struct fci *c, struct wq_cmd *w)
{
	w->ox = fci_ox(c);
	w->sent = true;
	return fci_cmd_send(c, &w->k, w->ox, false);
}

/* Take frames for ms milliseconds, noting them on the command they name;
 * data-in lands in its buffer. */
static void wq_pump(struct fci *c, struct wq_cmd *t, int n, int ms, struct fci_rx *rx)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		long el = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;

		if (el >= ms || fci_recv(c, rx, (int)(ms - el)) != 1)
			return;
		for (int i = 0; i < n; i++) {
			struct wq_cmd *w = &t[i];

			if (!w->sent || w->ox != rx->h.ox_id || rx->h.type != FC_TYPE_FCP)
				continue;
			if (rx->h.r_ctl == FC_RCTL_DD_DATA_DESC) {
				w->xrdy = true;
				w->xr = *rx;
			} else if (rx->h.r_ctl == FC_RCTL_DD_SOL_DATA &&
				   rx->h.param + rx->len <= w->k.dl) {
				memcpy(w->k.buf + rx->h.param, rx->pl, rx->len);
				w->k.data_in += rx->len;
			} else if (rx->h.r_ctl == FC_RCTL_DD_CMD_STATUS) {
				struct fcp_rsp f;

				w->rsp = true;
				w->status = fcp_rsp_decode(rx->pl, rx->len, &f) == 0 &&
					    !(f.flags & FCP_RSP_LEN_VALID) ? f.status : 0xff;
			}
		}
	}
}

/* pump until cond holds, at most 5 s */
#define WQ_UNTIL(cond) do { for (int _i = 0; _i < 50 && !(cond); _i++) \
	wq_pump(c, t, WQ_MAX, 100, rx); } while (0)

static int wq_abts(struct fci *c, uint16_t ox, struct fci_rx *rx)
{
	struct fc_hdr h;

	fci_hdr(c, &h, FC_RCTL_BA_ABTS, FC_TYPE_BLS, ox, FC_XID_UNKNOWN,
		FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT);
	if (fci_send(c, &h, NULL, 0, false) < 0)
		return -EIO;
	for (int i = 0; i < 15; i++)
		if (fci_recv(c, rx, 200) == 1 && rx->h.ox_id == ox &&
		    (rx->h.r_ctl == FC_RCTL_BA_ACC || rx->h.r_ctl == FC_RCTL_BA_RJT))
			return rx->h.r_ctl;
	return -ETIMEDOUT;
}

/* TEST UNIT READY until GOOD (the unit attention of a reset first) */
static int wq_tur(struct fci *c)
{
	uint8_t b[8];

	for (int i = 0; i < 3; i++) {
		struct fci_cmd k = { .buf = b, .cdb_len = 6 };

		if (fci_cmd(c, &k, 0, 10000) == 0 && k.got_rsp && k.rsp.status == 0)
			return 0;
	}
	return -1;
}

static int wq_fill(struct fci *c, struct wq_cmd *t, int first, struct fci_rx *rx)
{
	for (int i = first; i < first + 4; i++) {
		wq_rw(&t[i], (uint32_t)i, true, (uint32_t)i * 512, WQ_CHUNK);
		CHECK(wq_send(c, &t[i]) == 0, "send");
	}
	WQ_UNTIL(t[first].xrdy && t[first + 1].xrdy && t[first + 2].xrdy && t[first + 3].xrdy);
	for (int i = first; i < first + 4; i++)
		CHECK(t[i].xrdy && !t[i].rsp, "write %d: no XFER_RDY with the pool free", i);
	return 0;
}

static int waitq(struct fci *c, struct wq_cmd *t, struct fci_rx *rx)
{
	uint8_t code;

	if (fci_login_ready(c))
		return 1;
	/* 0-3 fill the pool and hold it: their data is not sent yet */
	if (wq_fill(c, t, 0, rx))
		return 1;
	/* 4-6 writes and 7 a 4 KiB read: they must wait, unanswered */
	for (int i = 4; i < 7; i++) {
		wq_rw(&t[i], (uint32_t)i, true, 4096 + (uint32_t)i * 512, WQ_CHUNK);
		CHECK(wq_send(c, &t[i]) == 0, "send");
	}
	wq_rw(&t[7], 7, false, 0, 4096);
	CHECK(wq_send(c, &t[7]) == 0, "send");
	wq_pump(c, t, WQ_MAX, 700, rx);
	for (int i = 4; i < 8; i++)
		CHECK(!t[i].xrdy && !t[i].rsp, "command %d not waiting for the full pool "
		      "(XFER_RDY %d, FCP_RSP %d status %02x)", i, t[i].xrdy, t[i].rsp, t[i].status);
	/* ABTS of a waiting command: BA_ACC, and it never runs */
	CHECK(wq_abts(c, t[4].ox, rx) == FC_RCTL_BA_ACC, "ABTS of a waiting command: no BA_ACC");
	/* 0's data in: its buffer goes to 5 (4 is gone), the next in line */
	CHECK(fci_send_data(c, &t[0].k, &t[0].xr) == 0, "data-out");
	WQ_UNTIL(t[0].rsp && t[5].xrdy);
	CHECK(t[0].rsp && t[0].status == 0, "write 0: no GOOD (%d %02x)", t[0].rsp, t[0].status);
	CHECK(t[5].xrdy, "the buffer of write 0 did not start waiting write 5");
	CHECK(!t[4].xrdy && !t[4].rsp && !t[6].xrdy && !t[7].rsp, "aborted 4 ran, or 6/7 overtook");
	CHECK(fci_send_data(c, &t[5].k, &t[5].xr) == 0, "data-out");
	WQ_UNTIL(t[5].rsp && t[6].xrdy);
	CHECK(t[5].rsp && t[5].status == 0 && t[6].xrdy, "write 5 / 6 did not go on");
	CHECK(fci_send_data(c, &t[6].k, &t[6].xr) == 0, "data-out");
	WQ_UNTIL(t[6].rsp && t[7].rsp);
	CHECK(t[6].rsp && t[6].status == 0, "write 6: no GOOD");
	CHECK(t[7].rsp && t[7].status == 0 && t[7].k.data_in == 4096, "read 7: %d %02x %u",
	      t[7].rsp, t[7].status, t[7].k.data_in);
	for (uint32_t b = 0; b < 4096; b++)
		CHECK(t[7].k.buf[b] == wq_byte(0, b), "read 7 byte %u is not write 0's", b);
	CHECK(!t[4].rsp && !t[4].xrdy, "the aborted waiting command was answered");

	/* 1-3 still hold 768 KiB: 8 gets the last 256, 9 and 10 wait; LUN
	 * RESET ends all of them, with no answer */
	wq_rw(&t[8], 8, true, 8192, WQ_CHUNK);
	wq_rw(&t[9], 9, true, 8704, WQ_CHUNK);
	wq_rw(&t[10], 10, false, 0, 4096);
	for (int i = 8; i < 11; i++)
		CHECK(wq_send(c, &t[i]) == 0, "send");
	WQ_UNTIL(t[8].xrdy);
	wq_pump(c, t, WQ_MAX, 300, rx);
	CHECK(t[8].xrdy && !t[9].xrdy && !t[10].rsp, "8 runs, 9 and 10 wait: %d %d %d",
	      t[8].xrdy, t[9].xrdy, t[10].rsp);
	{
		struct fci_cmd k = { .tmf = FCP_TMF_LUN_RESET };

		CHECK(fci_cmd(c, &k, 0, 10000) == 0 && k.got_rsp &&
		      (k.rsp.flags & FCP_RSP_LEN_VALID), "LUN RESET: no answer");
		code = k.rsp.rsp_code;
	}
	CHECK(code == FCP_RSP_TMF_COMPLETE || code == FCP_RSP_TMF_SUCCEEDED,
	      "LUN RESET: response code %u", code);
	wq_pump(c, t, WQ_MAX, 700, rx);
	for (int i = 1; i < 11; i++)
		CHECK(i == 5 || i == 6 || i == 7 || !t[i].rsp,
		      "command %d answered after LUN RESET (status %02x)", i, t[i].status);
	CHECK(!t[9].xrdy, "waiting write 9 started after LUN RESET");
	CHECK(wq_tur(c) == 0, "TEST UNIT READY after LUN RESET");

	/* fill again, two more wait, LOGO with all of them open */
	if (wq_fill(c, t, 11, rx))
		return 1;
	wq_rw(&t[15], 15, true, 0, WQ_CHUNK);
	CHECK(wq_send(c, &t[15]) == 0, "send");
	wq_pump(c, t, WQ_MAX, 300, rx);
	CHECK(!t[15].xrdy && !t[15].rsp, "write 15 did not wait");
	CHECK(fci_logo(c, rx) == ELS_LS_ACC, "LOGO with waiting commands");
	/* every buffer came back: 4 MiB through the 1 MiB pool in 256 KiB
	 * commands, verified */
	CHECK(fci_login(c) == 0, "login again");
	if (fci_io_verify(c, 0, 512, 4 << 20, WQ_CHUNK, 77))
		return 1;
	FCI_LOG("waitq: 4 commands waited for the full pool and started in order as buffers "
		"freed; ABTS, LUN RESET and LOGO dropped waiting commands unanswered; "
		"4 MiB verified after");
	return 0;
}

int fci_case_waitq(struct fci *c)
{
	struct wq_cmd *t = calloc(WQ_MAX, sizeof(*t));
	struct fci_rx *rx = malloc(sizeof(*rx));
	int r;

	wq_mem = malloc((size_t)WQ_MAX * WQ_CHUNK);
	if (!t || !rx || !wq_mem) {
		FCI_LOG("no memory");
		return 1;
	}
	r = waitq(c, t, rx);
	free(t);
	free(rx);
	free(wq_mem);
	return r;
}
