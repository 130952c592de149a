/* test-fc-ini cases: what the FC integration test asks of the target. Each
 * returns 0 or 1 and says why on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"
#include "tests/helpers/fc_ini.h"

#define CHECK(cond, ...) do { if (!(cond)) { FCI_LOG(__VA_ARGS__); return 1; } } while (0)

static uint8_t pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 2) * 0x9e3779b97f4a7c15ull + seed;

	return (uint8_t)(x >> (8 * (off & 3) + 24));
}

static void cdb_rw10(struct fci_cmd *k, bool wr, uint32_t lba, uint16_t blocks)
{
	memset(k->cdb, 0, 16);
	k->cdb[0] = wr ? 0x2a : 0x28;
	fc_put32(k->cdb + 2, lba);
	fc_put16(k->cdb + 7, blocks);
	k->cdb_len = 10;
	k->rd = !wr;
	k->wr = wr;
}

static uint64_t lun_wire(uint32_t lun)
{
	return (uint64_t)(lun & 0x3fff) << 48 | (lun > 255 ? 0x4000ull << 48 : 0);
}

/* A command that must end GOOD; a unit attention (power on, reset) is
 * retried once, as an initiator's midlayer does. */
static int good(struct fci *c, struct fci_cmd *k, const char *what)
{
	for (int tries = 0; tries < 3; tries++) {
		int r = fci_cmd(c, k, 0, 10000);

		CHECK(r == 0, "%s: %s", what, strerror(-r));
		CHECK(!(k->rsp.flags & FCP_RSP_LEN_VALID), "%s: response code %u", what,
		      k->rsp.rsp_code);
		if (k->rsp.status == 0x02 && k->sense_len > 2 && (k->sense[2] & 0xf) == 6)
			continue;
		CHECK(k->rsp.status == 0, "%s: status %02x sense %02x/%02x/%02x", what,
		      k->rsp.status, k->sense[2] & 0xf, k->sense[12], k->sense[13]);
		return 0;
	}
	FCI_LOG("%s: unit attentions do not stop", what);
	return 1;
}

/* Log in and take the unit attention a new nexus has pending. */
static int login_ready(struct fci *c)
{
	uint8_t buf[8];
	struct fci_cmd k = { .buf = buf, .cdb_len = 6 };

	CHECK(fci_login(c) == 0, "login");
	return good(c, &k, "TEST UNIT READY");
}

static int io_verify(struct fci *c, uint32_t lun, uint32_t bs, uint64_t bytes, uint32_t chunk,
		     uint32_t seed)
{
	uint8_t *buf = malloc(chunk);
	struct fci_cmd k = { .lun = lun_wire(lun), .buf = buf };
	uint32_t max_payload = 0, frames = 0;

	CHECK(buf, "no memory");
	for (uint64_t off = 0; off < bytes; off += chunk) {
		for (uint32_t i = 0; i < chunk; i++)
			buf[i] = pattern(seed, off + i);
		cdb_rw10(&k, true, (uint32_t)(off / bs), (uint16_t)(chunk / bs));
		k.dl = chunk;
		if (good(c, &k, "WRITE(10)")) {
			free(buf);
			return 1;
		}
	}
	for (uint64_t off = 0; off < bytes; off += chunk) {
		memset(buf, 0, chunk);
		cdb_rw10(&k, false, (uint32_t)(off / bs), (uint16_t)(chunk / bs));
		k.dl = chunk;
		if (good(c, &k, "READ(10)")) {
			free(buf);
			return 1;
		}
		if (k.data_in != chunk || (k.rsp.flags & (FCP_RESID_UNDER | FCP_RESID_OVER))) {
			FCI_LOG("READ: %u bytes of %u, flags %02x", k.data_in, chunk, k.rsp.flags);
			free(buf);
			return 1;
		}
		for (uint32_t i = 0; i < chunk; i++)
			if (buf[i] != pattern(seed, off + i)) {
				FCI_LOG("LUN %u: byte %llu differs", lun,
					(unsigned long long)(off + i));
				free(buf);
				return 1;
			}
		frames += c->data_frames;
		if (c->max_data_payload > max_payload)
			max_payload = c->max_data_payload;
	}
	free(buf);
	FCI_LOG("LUN %u: %llu bytes written and verified in %u KiB commands; %u data-in frames, "
		"largest payload %u", lun, (unsigned long long)bytes, chunk >> 10, frames, max_payload);
	CHECK(max_payload == c->tgt_rx_size, "data-in frames not cut to the receive size %u",
	      c->tgt_rx_size);
	return 0;
}

static int case_basic(struct fci *c, uint32_t mib)
{
	uint8_t buf[4096];
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	uint32_t n;

	CHECK(fci_login(c) == 0, "login failed");
	FCI_LOG("logged in: target receive size %u", c->tgt_rx_size);
	/* REPORT LUNS */
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0xa0;
	fc_put32(k.cdb + 6, sizeof(buf));
	k.cdb_len = 12;
	k.rd = true;
	k.dl = sizeof(buf);
	if (good(c, &k, "REPORT LUNS"))
		return 1;
	n = fc_get32(buf) / 8;
	CHECK(n == 3 && fc_get64(buf + 8) == 0 && fc_get64(buf + 16) == lun_wire(1) &&
	      fc_get64(buf + 24) == lun_wire(2), "REPORT LUNS: %u LUNs", n);
	CHECK(k.rsp.flags & FCP_RESID_UNDER && k.rsp.resid == sizeof(buf) - 32,
	      "REPORT LUNS residual %u flags %02x", k.rsp.resid, k.rsp.flags);
	/* INQUIRY */
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0x12;
	k.cdb[4] = 96;
	k.cdb_len = 6;
	k.dl = 96;
	if (good(c, &k, "INQUIRY"))
		return 1;
	CHECK((buf[0] & 0x1f) == 0 && k.data_in >= 36, "INQUIRY: type %u, %u bytes", buf[0] & 0x1f,
	      k.data_in);
	/* the version descriptor of this nexus' transport: FCP-4 (0A40h), not iSCSI */
	CHECK(k.data_in >= 66 && (buf[64] << 8 | buf[65]) == 0x0a40,
	      "INQUIRY: transport version descriptor %02x%02xh", buf[64], buf[65]);
	FCI_LOG("INQUIRY: %.8s %.16s", (char *)buf + 8, (char *)buf + 16);
	/* READ CAPACITY(16) */
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0x9e;
	k.cdb[1] = 0x10;
	fc_put32(k.cdb + 10, 32);
	k.cdb_len = 16;
	k.dl = 32;
	if (good(c, &k, "READ CAPACITY(16)"))
		return 1;
	CHECK(fc_get64(buf) == (64ull << 20) / 512 - 1 && fc_get32(buf + 8) == 512,
	      "READ CAPACITY: last LBA %llu block %u", (unsigned long long)fc_get64(buf),
	      fc_get32(buf + 8));
	if (io_verify(c, 0, 512, (uint64_t)mib << 20, 256 << 10, 7) ||
	    io_verify(c, 2, 4096, 1 << 20, 64 << 10, 9) ||
	    io_verify(c, 0, 512, 64 << 10, 4096, 11))
		return 1;
	CHECK(fci_logo(c, &rx) == ELS_LS_ACC, "LOGO not accepted");
	return 0;
}

static int ls_rjt(int r, const struct fci_rx *rx, uint8_t reason, uint8_t expl, const char *what)
{
	CHECK(r == ELS_LS_RJT, "%s: reply %d, not LS_RJT", what, r);
	CHECK(rx->pl[5] == reason && rx->pl[6] == expl, "%s: LS_RJT %02x/%02x, want %02x/%02x",
	      what, rx->pl[5], rx->pl[6], reason, expl);
	return 0;
}

static int case_rejects(struct fci *c)
{
	struct fci_rx rx;
	uint8_t p[FC_SPARM_LEN];
	uint8_t buf[64];
	struct fci_cmd k = { .buf = buf, .cdb_len = 6 };
	bool logo = false;

	if (ls_rjt(fci_prli(c, &rx), &rx, LS_RJT_UNABLE, LS_EXPL_NO_LOGIN, "PRLI before PLOGI"))
		return 1;
	/* FCP_CMND without a login: the target answers with LOGO */
	CHECK(fci_cmd_send(c, &k, fci_ox(c), false) == 0, "send");
	for (int i = 0; i < 10 && !logo; i++)
		logo = fci_recv(c, &rx, 200) == 1 && rx.h.r_ctl == FC_RCTL_ELS_REQ &&
		       rx.pl[0] == ELS_LOGO;
	CHECK(logo, "no LOGO for a command from a port that never logged in");
	if (ls_rjt(fci_plogi(c, 100, &rx), &rx, LS_RJT_LOGICAL_ERR, LS_EXPL_SPARM_RECV_SIZE,
		   "PLOGI with receive size 100"))
		return 1;
	memset(p, 0, sizeof(p));
	p[0] = ELS_PLOGI;
	if (ls_rjt(fci_els(c, p, 20, &rx), &rx, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE,
		   "truncated PLOGI"))
		return 1;
	CHECK(fci_plogi(c, 1024, &rx) == ELS_LS_ACC, "PLOGI");
	p[0] = 0x7f;
	if (ls_rjt(fci_els(c, p, 8, &rx), &rx, LS_RJT_NOT_SUPPORTED, LS_EXPL_NONE, "ELS 0x7f"))
		return 1;
	p[0] = ELS_PRLI;
	if (ls_rjt(fci_els(c, p, 12, &rx), &rx, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE,
		   "truncated PRLI"))
		return 1;
	/* ADISC answers with the target's identity */
	memset(p, 0, FC_ADISC_LEN);
	p[0] = ELS_ADISC;
	CHECK(fci_els(c, p, FC_ADISC_LEN, &rx) == ELS_LS_ACC && fc_get24(rx.pl + 25) == c->tgt_id,
	      "ADISC");
	/* RRQ of an exchange that was never aborted */
	memset(p, 0, FC_RRQ_LEN);
	p[0] = ELS_RRQ;
	fc_put24(p + 5, c->id);
	fc_put16(p + 8, 0x1234);
	fc_put16(p + 10, 0x0001);
	if (ls_rjt(fci_els(c, p, FC_RRQ_LEN, &rx), &rx, LS_RJT_LOGICAL_ERR, LS_EXPL_INVALID_OXRX,
		   "RRQ of an unknown exchange"))
		return 1;
	CHECK(fci_logo(c, &rx) == ELS_LS_ACC, "LOGO");
	return 0;
}

static int case_denied(struct fci *c)
{
	struct fci_rx rx;

	CHECK(fci_plogi(c, FC_MAX_PAYLOAD, &rx) == ELS_LS_ACC, "PLOGI");
	return ls_rjt(fci_prli(c, &rx), &rx, LS_RJT_UNABLE, LS_EXPL_NONE,
		      "PRLI of an initiator the ACL does not list");
}

static int case_residual(struct fci *c)
{
	uint8_t buf[2048];
	struct fci_cmd k = { .buf = buf };

	CHECK(fci_login(c) == 0, "login");
	cdb_rw10(&k, false, 0, 1);
	k.dl = 1024;
	if (good(c, &k, "READ 1 block, FCP_DL 1024"))
		return 1;
	CHECK((k.rsp.flags & FCP_RESID_UNDER) && k.rsp.resid == 512 && k.data_in == 512,
	      "underrun: flags %02x resid %u data %u", k.rsp.flags, k.rsp.resid, k.data_in);
	cdb_rw10(&k, false, 0, 2);
	k.dl = 512;
	fci_cmd(c, &k, 0, 10000);
	CHECK(k.got_rsp && (k.rsp.flags & FCP_RESID_OVER) && k.rsp.resid == 512 &&
	      k.data_in <= 512, "overrun: flags %02x resid %u data %u", k.rsp.flags, k.rsp.resid,
	      k.data_in);
	cdb_rw10(&k, true, 8, 1);
	k.dl = 1024;
	memset(buf, 0x5a, sizeof(buf));
	fci_cmd(c, &k, 0, 10000);
	CHECK(k.got_rsp && (k.rsp.flags & (FCP_RESID_UNDER | FCP_RESID_OVER)),
	      "write underrun: status %02x flags %02x resid %u", k.rsp.status, k.rsp.flags,
	      k.rsp.resid);
	FCI_LOG("residuals: read under 512, read over 512, write flags %02x resid %u",
		k.rsp.flags, k.rsp.resid);
	return 0;
}

static int abts(struct fci *c, uint16_t ox, uint16_t rx_id, struct fci_rx *rx)
{
	struct fc_hdr h;
	uint64_t end;

	fci_hdr(c, &h, FC_RCTL_BA_ABTS, FC_TYPE_BLS, ox, rx_id, FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT);
	if (fci_send(c, &h, NULL, 0, false) < 0)
		return -EIO;
	end = (uint64_t)time(NULL) + 3;
	while ((uint64_t)time(NULL) <= end) {
		if (fci_recv(c, rx, 200) == 1 && rx->h.ox_id == ox &&
		    (rx->h.r_ctl == FC_RCTL_BA_ACC || rx->h.r_ctl == FC_RCTL_BA_RJT))
			return rx->h.r_ctl;
	}
	return -ETIMEDOUT;
}

static int case_abts(struct fci *c)
{
	uint8_t buf[8192];
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	uint8_t p[FC_RRQ_LEN];
	uint16_t ox, rx_id = 0;
	bool xrdy = false, rsp = false;

	if (login_ready(c))
		return 1;
	CHECK(abts(c, 0xeeee, FC_XID_UNKNOWN, &rx) == FC_RCTL_BA_RJT, "ABTS of no exchange: no BA_RJT");
	/* a write that waits for its data */
	ox = fci_ox(c);
	cdb_rw10(&k, true, 16, 16);
	k.dl = 8192;
	CHECK(fci_cmd_send(c, &k, ox, false) == 0, "send");
	for (int i = 0; i < 25 && !xrdy; i++)
		if (fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		    rx.h.r_ctl == FC_RCTL_DD_DATA_DESC) {
			xrdy = true;
			rx_id = rx.h.rx_id;
		}
	CHECK(xrdy, "no XFER_RDY");
	CHECK(abts(c, ox, rx_id, &rx) == FC_RCTL_BA_ACC, "ABTS of a write waiting for data: no BA_ACC");
	CHECK(fc_get16(rx.pl + 4) == ox && fc_get16(rx.pl + 6) == rx_id, "BA_ACC names %04x/%04x",
	      fc_get16(rx.pl + 4), fc_get16(rx.pl + 6));
	for (int i = 0; i < 5; i++)
		rsp |= fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		       rx.h.r_ctl == FC_RCTL_DD_CMD_STATUS;
	CHECK(!rsp, "an aborted exchange got FCP_RSP");
	/* the OX_ID is held until RRQ */
	memset(p, 0, sizeof(p));
	p[0] = ELS_RRQ;
	fc_put24(p + 5, c->id);
	fc_put16(p + 8, ox);
	fc_put16(p + 10, rx_id);
	CHECK(fci_els(c, p, sizeof(p), &rx) == ELS_LS_ACC, "RRQ after BA_ACC not accepted");
	CHECK(fci_els(c, p, sizeof(p), &rx) == ELS_LS_RJT, "second RRQ accepted");
	/* the exchange id is free again and the LUN still works */
	cdb_rw10(&k, false, 16, 16);
	k.dl = 8192;
	CHECK(fci_cmd(c, &k, ox, 10000) == 0 && k.got_rsp, "command on the released OX_ID");
	CHECK(k.rsp.status == 0 || k.rsp.status == 2, "status %02x", k.rsp.status);
	FCI_LOG("ABTS: BA_RJT for no exchange, BA_ACC for a write waiting for XFER_RDY data, RRQ");
	return 0;
}

static int tmf(struct fci *c, uint32_t lun, uint8_t flags, uint8_t *code)
{
	struct fci_cmd k = { .lun = lun_wire(lun), .tmf = flags };

	if (fci_cmd(c, &k, 0, 10000) < 0 || !k.got_rsp || !(k.rsp.flags & FCP_RSP_LEN_VALID))
		return -1;
	*code = k.rsp.rsp_code;
	return 0;
}

static int case_tmf(struct fci *c)
{
	uint8_t code, buf[64];
	struct fci_cmd k = { .buf = buf, .cdb_len = 6 };
	bool ua = false;

	CHECK(fci_login(c) == 0, "login");
	if (good(c, &k, "TEST UNIT READY"))
		return 1;
	CHECK(tmf(c, 0, FCP_TMF_LUN_RESET, &code) == 0 && code == FCP_RSP_TMF_COMPLETE,
	      "LUN RESET: code %u", code);
	CHECK(tmf(c, 0, FCP_TMF_ABORT_TASK_SET, &code) == 0 && code == FCP_RSP_TMF_COMPLETE,
	      "ABORT TASK SET: code %u", code);
	CHECK(tmf(c, 77, FCP_TMF_LUN_RESET, &code) == 0 && code == FCP_RSP_TMF_INCORRECT_LUN,
	      "LUN RESET of LUN 77: code %u", code);
	/* a reset is reported to the nexus as a unit attention (our own
	 * nexus: SAM-5 leaves it to the target; accept either) */
	memset(k.cdb, 0, 16);
	CHECK(fci_cmd(c, &k, 0, 10000) == 0 && k.got_rsp, "TUR after reset");
	ua = k.rsp.status == 2 && (k.sense[2] & 0xf) == 6;
	if (good(c, &k, "TEST UNIT READY after reset"))
		return 1;
	FCI_LOG("TMF: LUN RESET, ABORT TASK SET complete, wrong LUN refused%s",
		ua ? ", UA reported" : "");
	/* PRLO ends the image pair, the N_Port login stays: PRLI again */
	{
		struct fc_prli_page pg = { .type = FC_TYPE_FCP };
		struct fci_rx rx;
		uint8_t p[FC_PRLI_LEN], cmd;

		fc_prli_encode(ELS_PRLO, &pg, p);
		CHECK(fci_els(c, p, sizeof(p), &rx) == ELS_LS_ACC &&
		      fc_prli_decode(rx.pl, rx.len, &cmd, &pg) == 0 && ((pg.flags >> 8) & 0xf) == 1,
		      "PRLO not accepted");
		CHECK(fci_prli(c, &rx) == ELS_LS_ACC, "PRLI after PRLO");
		CHECK(fci_prli(c, &rx) == ELS_LS_ACC, "a second PRLI (replaces the image pair)");
		if (good(c, &k, "TEST UNIT READY after PRLO and PRLI"))
			return 1;
		FCI_LOG("PRLO accepted; PRLI again, twice; I/O goes on");
	}
	return 0;
}

static int case_faults(struct fci *c)
{
	uint8_t *buf = malloc(65536);
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	struct fc_hdr h;
	uint8_t iu[64];
	uint16_t ox;
	bool any = false;

	CHECK(buf, "no memory");
	if (login_ready(c))
		return 1;
	/* a command with a bad CRC is dropped before it opens an exchange */
	ox = fci_ox(c);
	cdb_rw10(&k, false, 0, 1);
	k.dl = 512;
	CHECK(fci_cmd_send(c, &k, ox, true) == 0, "send");
	for (int i = 0; i < 5; i++)
		any |= fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox;
	CHECK(!any, "a frame with a bad CRC was answered");
	CHECK(fci_cmd(c, &k, ox, 10000) == 0 && k.rsp.status == 0, "same OX_ID with a good CRC");
	/* data for an exchange that does not exist */
	fci_hdr(c, &h, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, 0x7777, 0x0bad, FC_FCTL_REL_OFF |
		FC_FCTL_END_SEQ);
	memset(iu, 0, sizeof(iu));
	CHECK(fci_send(c, &h, iu, sizeof(iu), false) == 0, "send");
	/* malformed FCP_CMND: too short, RD+WR, two TMF flags */
	ox = fci_ox(c);
	fci_hdr(c, &h, FC_RCTL_DD_UNSOL_CMD, FC_TYPE_FCP, ox, FC_XID_UNKNOWN,
		FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT);
	CHECK(fci_send(c, &h, iu, 16, false) == 0, "send");
	any = false;
	for (int i = 0; i < 15 && !any; i++)
		any = fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		      rx.h.r_ctl == FC_RCTL_DD_CMD_STATUS && (rx.pl[10] & FCP_RSP_LEN_VALID) &&
		      rx.pl[FCP_RSP_HDR_LEN + 3] == FCP_RSP_BAD_CMND;
	CHECK(any, "a short FCP_CMND did not get FCP_RSP_INFO code 2");
	cdb_rw10(&k, false, 0, 1);
	k.wr = true;
	CHECK(fci_cmd(c, &k, 0, 10000) == 0 && (k.rsp.flags & FCP_RSP_LEN_VALID) &&
	      k.rsp.rsp_code == FCP_RSP_BAD_CMND, "RD+WR: not refused with code 2");
	k.wr = false;
	k.tmf = FCP_TMF_LUN_RESET | FCP_TMF_CLEAR_ACA;
	CHECK(fci_cmd(c, &k, 0, 10000) == 0 && (k.rsp.flags & FCP_RSP_LEN_VALID) &&
	      k.rsp.rsp_code == FCP_RSP_BAD_CMND, "two TMF flags: not refused with code 2");
	k.tmf = 0;
	/* a lost data-out frame: the burst breaks, FCP_DATA_RO mismatch */
	for (uint32_t i = 0; i < 65536; i++)
		buf[i] = (uint8_t)i;
	cdb_rw10(&k, true, 64, 128);
	k.dl = 65536;
	c->drop_data_frame = 3;
	CHECK(fci_cmd(c, &k, 0, 10000) == 0 && k.got_rsp, "write with a lost frame: no response");
	c->drop_data_frame = 0;
	CHECK((k.rsp.flags & FCP_RSP_LEN_VALID) && k.rsp.rsp_code == FCP_RSP_BAD_DATA_RO,
	      "write with a lost frame: status %02x flags %02x code %u", k.rsp.status, k.rsp.flags,
	      k.rsp.rsp_code);
	free(buf);
	FCI_LOG("faults: bad CRC dropped, stray data ignored, malformed FCP_CMND refused (code 2), "
		"lost data-out frame detected (code 1)");
	return 0;
}

static int case_logout(struct fci *c)
{
	uint8_t *buf = malloc(1 << 20);
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	bool xrdy = false, logo = false;
	uint16_t ox = 0;

	CHECK(buf, "no memory");
	if (login_ready(c))
		return 1;
	/* a write waiting for data and a large read in flight */
	ox = fci_ox(c);
	cdb_rw10(&k, true, 0, 64);
	k.dl = 32768;
	CHECK(fci_cmd_send(c, &k, ox, false) == 0, "send");
	for (int i = 0; i < 25 && !xrdy; i++)
		xrdy = fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		       rx.h.r_ctl == FC_RCTL_DD_DATA_DESC;
	CHECK(xrdy, "no XFER_RDY");
	cdb_rw10(&k, false, 0, 2048);
	k.dl = 1 << 20;
	CHECK(fci_cmd_send(c, &k, fci_ox(c), false) == 0, "send");
	CHECK(fci_logo(c, &rx) == ELS_LS_ACC, "LOGO with I/O outstanding");
	/* gone: a command now earns a LOGO from the target */
	k.cdb_len = 6;
	memset(k.cdb, 0, 16);
	k.rd = false;
	k.dl = 0;
	CHECK(fci_cmd_send(c, &k, fci_ox(c), false) == 0, "send");
	for (int i = 0; i < 25 && !logo; i++)
		logo = fci_recv(c, &rx, 200) == 1 && rx.h.r_ctl == FC_RCTL_ELS_REQ &&
		       rx.pl[0] == ELS_LOGO;
	CHECK(logo, "a command after LOGO was not answered with LOGO");
	CHECK(fci_login(c) == 0, "login again");
	if (io_verify(c, 0, 512, 1 << 20, 128 << 10, 21))
		return 1;
	free(buf);
	FCI_LOG("logout with a write waiting for data and a read in flight; login again, I/O ok");
	return 0;
}

/* A write whose data-out stops half way: the target gives up after its
 * data_out_timeout_ms with CHECK CONDITION, DATA PHASE ERROR. */
static int case_stall(struct fci *c)
{
	uint8_t buf[8192] = { 0 };
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	struct fc_hdr h;
	struct fcp_rsp r;
	uint16_t ox;
	bool xrdy = false, got = false;

	if (login_ready(c))
		return 1;
	ox = fci_ox(c);
	cdb_rw10(&k, true, 32, 16);
	k.dl = sizeof(buf);
	CHECK(fci_cmd_send(c, &k, ox, false) == 0, "send");
	for (int i = 0; i < 25 && !xrdy; i++)
		xrdy = fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		       rx.h.r_ctl == FC_RCTL_DD_DATA_DESC;
	CHECK(xrdy, "no XFER_RDY");
	fci_hdr(c, &h, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, ox, rx.h.rx_id, FC_FCTL_REL_OFF);
	CHECK(fci_send(c, &h, buf, 1024, false) == 0, "send");
	for (int i = 0; i < 50 && !got; i++)
		got = fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
		      rx.h.r_ctl == FC_RCTL_DD_CMD_STATUS;
	CHECK(got, "no FCP_RSP for a write whose data stopped");
	CHECK(fcp_rsp_decode(rx.pl, rx.len, &r) == 0 && r.status == 0x02 && r.sense_len >= 14 &&
	      (r.sense[2] & 0xf) == 0x0b && r.sense[12] == 0x4b,
	      "stalled write: status %02x, sense %02x/%02x", r.status,
	      r.sense_len > 2 ? r.sense[2] & 0xf : 0, r.sense_len > 12 ? r.sense[12] : 0);
	cdb_rw10(&k, false, 32, 16);
	if (good(c, &k, "READ after a stalled write"))
		return 1;
	FCI_LOG("stalled data-out: CHECK CONDITION, DATA PHASE ERROR; the LUN goes on");
	return 0;
}

/* Queue depth `qd`: many exchanges open at once, writes then reads of a
 * region (8 MiB, or `mib`) in `chunk`-byte commands from `base` (LBA of 512
 * bytes), each answered out of order as the target pleases. TASK SET FULL
 * is retried after a pause, as an initiator's midlayer does, and counted. */
static int case_qd(struct fci *c, uint32_t qd, uint32_t chunk, uint32_t base, uint32_t mib)
{
	struct slot { struct fci_cmd k; uint16_t ox; uint32_t i; bool busy, resend; } *s;
	struct fci_rx *rx = malloc(sizeof(*rx));
	uint8_t *mem;
	uint32_t max_open = 0, tsf = 0, n, seed = 41 + base;

	CHECK(chunk >= 4096 && chunk <= (1u << 20) && chunk % 512 == 0 && mib >= 1 && mib <= 64,
	      "bad chunk or size");
	n = (uint32_t)(((uint64_t)mib << 20) / chunk);
	mem = malloc((size_t)qd * chunk);
	CHECK(rx && mem && qd >= 1 && qd <= 64, "bad qd");
	s = calloc(qd, sizeof(*s));
	CHECK(s, "no memory");
	if (login_ready(c))
		return 1;
	for (int wr = 1; wr >= 0; wr--) {
		uint32_t next = 0, done = 0, open = 0;
		time_t end = time(NULL) + 60;

		while (done < n) {
			CHECK(time(NULL) < end, "QD %u %s: %u of %u done in 60 s", qd,
			      wr ? "writes" : "reads", done, n);
			for (uint32_t q = 0; q < qd; q++) {
				struct slot *sl = &s[q];

				if (sl->busy && !sl->resend)
					continue;
				if (!sl->busy) {
					if (next >= n)
						continue;
					sl->k = (struct fci_cmd){ .buf = mem + (size_t)q * chunk, .dl = chunk };
					sl->i = next++;
					for (uint32_t b = 0; wr && b < chunk; b++)
						sl->k.buf[b] = pattern(seed, (uint64_t)sl->i * chunk + b);
					cdb_rw10(&sl->k, wr, base + sl->i * (chunk / 512),
						 (uint16_t)(chunk / 512));
					sl->busy = true;
					if (++open > max_open)
						max_open = open;
				}
				sl->resend = false;
				sl->k.data_in = 0;
				sl->ox = fci_ox(c);
				CHECK(fci_cmd_send(c, &sl->k, sl->ox, false) == 0, "send");
			}
			int r = fci_recv(c, rx, 2000);

			CHECK(r == 1, "QD %u %s: no frame for 2 s (%u open, %u of %u done; %u frames "
			      "dropped by our socket)", qd, wr ? "writes" : "reads", open, done, n,
			      fci_drops(c));
			struct slot *sl = NULL;

			for (uint32_t q = 0; q < qd; q++)
				if (s[q].busy && !s[q].resend && s[q].ox == rx->h.ox_id)
					sl = &s[q];
			if (!sl || rx->h.type != FC_TYPE_FCP)
				continue;
			if (rx->h.r_ctl == FC_RCTL_DD_DATA_DESC) {
				CHECK(wr && fci_send_data(c, &sl->k, rx) == 0, "XFER_RDY");
			} else if (rx->h.r_ctl == FC_RCTL_DD_SOL_DATA) {
				CHECK(!wr && rx->h.param + rx->len <= chunk, "data-in offset");
				memcpy(sl->k.buf + rx->h.param, rx->pl, rx->len);
				sl->k.data_in += rx->len;
			} else if (rx->h.r_ctl == FC_RCTL_DD_CMD_STATUS) {
				struct fcp_rsp f;

				CHECK(fcp_rsp_decode(rx->pl, rx->len, &f) == 0 &&
				      !(f.flags & FCP_RSP_LEN_VALID), "QD %u: bad FCP_RSP", qd);
				if (f.status == 0x28) {
					/* TASK SET FULL: again in a moment */
					tsf++;
					sl->resend = true;
					usleep(2000);
					continue;
				}
				CHECK(f.status == 0, "QD %u: command %u status %02x", qd, sl->i,
				      f.status);
				if (!wr) {
					CHECK(sl->k.data_in == chunk, "read %u: %u bytes", sl->i,
					      sl->k.data_in);
					for (uint32_t b = 0; b < chunk; b++)
						CHECK(sl->k.buf[b] == pattern(seed, (uint64_t)sl->i * chunk + b),
						      "chunk %u byte %u differs", sl->i, b);
				}
				sl->busy = false;
				open--;
				done++;
			}
		}
	}
	free(s);
	free(mem);
	free(rx);
	FCI_LOG("QD %u: %u writes and %u verified reads of %u KiB, up to %u exchanges open, "
		"%u TASK SET FULL retried", qd, n, n, chunk >> 10, max_open, tsf);
	return 0;
}

/* Point to point: FLOGI to the target; our port name is the lower, so the
 * target must originate PLOGI (FC-LS-3), which we accept; then PRLI and I/O. */
static int case_p2p(struct fci *c)
{
	struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .bb_credit = 10,
			       .features = FC_SP_FT_CIRO, .rx_size = FC_MAX_PAYLOAD, .max_seq = 255,
			       .rel_off = 0x1f, .e_d_tov = 2000, .port_name = c->wwpn,
			       .node_name = c->wwnn, .class3 = true,
			       .c3_options = FC_CPSP_VALID | FC_CPSP_SEQ_DEL,
			       .c3_rx_size = FC_MAX_PAYLOAD, .c3_conc_seq = 255, .c3_open_seq = 1 };
	struct fc_sparm t;
	uint8_t p[FC_SPARM_LEN], cmd, buf[512];
	struct fci_cmd k = { .buf = buf };
	struct fci_rx rx;
	struct fc_hdr h;
	bool plogi = false;

	fc_sparm_encode(ELS_FLOGI, &sp, p);
	CHECK(fci_els(c, p, sizeof(p), &rx) == ELS_LS_ACC, "FLOGI not accepted");
	for (int i = 0; i < 15 && !plogi; i++)
		plogi = fci_recv(c, &rx, 200) == 1 && rx.h.r_ctl == FC_RCTL_ELS_REQ &&
			rx.len && rx.pl[0] == ELS_PLOGI;
	CHECK(plogi, "the target (higher port name) did not send PLOGI after FLOGI");
	CHECK(fc_sparm_decode(rx.pl, rx.len, &cmd, &t) == 0 && t.class3, "target PLOGI");
	c->tgt_rx_size = t.rx_size & 0x0fff;
	fc_sparm_encode(ELS_LS_ACC, &sp, p);
	fci_hdr(c, &h, FC_RCTL_ELS_REP, FC_TYPE_ELS, rx.h.ox_id, 0x0042,
		FC_FCTL_EX_CTX | FC_FCTL_LAST_SEQ | FC_FCTL_END_SEQ);
	CHECK(fci_send(c, &h, p, sizeof(p), false) == 0, "send LS_ACC");
	CHECK(fci_prli(c, &rx) == ELS_LS_ACC, "PRLI after the target's PLOGI");
	k.cdb_len = 6;
	if (good(c, &k, "TEST UNIT READY"))
		return 1;
	cdb_rw10(&k, false, 0, 1);
	k.dl = 512;
	if (good(c, &k, "READ(10)"))
		return 1;
	CHECK(fci_logo(c, &rx) == ELS_LS_ACC, "LOGO");
	FCI_LOG("point to point: FLOGI accepted, the target sent PLOGI, PRLI and I/O");
	return 0;
}

/* I/O for `secs` seconds across target failures: each step writes a chunk
 * and reads it back; after a timeout the initiator joins and logs in again
 * and does the step again. strict (a core restart must not show): one
 * login for the whole run, every command GOOD at its first try within a
 * long timeout, no unit attention after the first step (a new nexus may
 * have one), no logout from the target. */
static int case_load(struct fci *c, uint32_t secs, bool strict)
{
	uint32_t chunk = 128 << 10, nchunks = 64, relogins = 0, done = 0;
	uint8_t *buf = malloc(chunk);
	struct fci_cmd k = { .lun = 0, .buf = buf };
	time_t end = time(NULL) + secs;

	CHECK(buf && fci_login(c) == 0, "login");
	while (time(NULL) < end) {
		uint32_t i = done % nchunks, seed = 31 + done / nchunks;
		bool ok = true;

		for (int wr = 1; wr >= 0 && ok; wr--) {
			int r;

			for (uint32_t b = 0; wr && b < chunk; b++)
				buf[b] = pattern(seed, (uint64_t)i * chunk + b);
			if (!wr)
				memset(buf, 0, chunk);
			do {
				/* from 48 MiB on: clear of what the basic case
				 * of a second initiator writes meanwhile */
				cdb_rw10(&k, wr, (48u << 20) / 512 + i * (chunk / 512),
					 (uint16_t)(chunk / 512));
				k.dl = chunk;
				r = fci_cmd(c, &k, 0, strict ? 20000 : 2000);
				/* a unit attention (the nexus is new): again */
			} while ((!strict || !done) && r == 0 && k.rsp.status == 2 &&
				 (k.sense[2] & 0xf) == 6);
			ok = r == 0 && k.rsp.status == 0 && !(k.rsp.flags & FCP_RSP_LEN_VALID);
			CHECK(ok || !strict, "strict: step %u %s: %s, status %02x, sense %02x/%02x/%02x",
			      done, wr ? "WRITE" : "READ", r ? strerror(-r) : "answered", k.rsp.status,
			      k.sense_len ? k.sense[2] & 0xf : 0, k.sense_len > 13 ? k.sense[12] : 0,
			      k.sense_len > 13 ? k.sense[13] : 0);
		}
		if (ok) {
			for (uint32_t b = 0; b < chunk; b++)
				CHECK(buf[b] == pattern(31 + done / nchunks, (uint64_t)i * chunk + b),
				      "chunk %u byte %u differs", i, b);
			done++;
			continue;
		}
		/* the target went away (or logged us out): in again */
		CHECK(++relogins <= 20, "too many relogins");
		for (int t = 0; t < 60; t++) {
			if (fci_vn2vn_join(c, 1000) == 0 && fci_login(c) == 0)
				break;
			CHECK(t < 59, "could not log in again");
		}
		FCI_LOG("logged in again (%u)", relogins);
	}
	free(buf);
	FCI_LOG("load: %u write+verify steps of %u KiB, %u relogins", done, chunk >> 10, relogins);
	printf("relogins %u\n", relogins);
	return 0;
}

/* Persistent reservations over FCP name the initiator by an FCP TransportID
 * (SPC-4 7.6.4.2: protocol 0, format 00, the N_Port name), not an iSCSI
 * one: REGISTER with SPEC_I_PT naming a second WWPN, READ FULL STATUS shows
 * both in FCP format with relative target port 1, then CLEAR. On LUN 1. */
static int case_pr(struct fci *c)
{
	const uint64_t other = 0x2100001b32bb00aaull, key = 0x46435052ull;
	uint8_t buf[1024], p[52];
	struct fci_cmd k = { .lun = lun_wire(1), .buf = buf };
	uint32_t n, found = 0;

	if (login_ready(c))
		return 1;
	memset(p, 0, sizeof(p));
	fc_put64(p + 8, key);
	p[20] = 0x08;                          /* SPEC_I_PT */
	fc_put32(p + 24, 24);
	p[28] = 0x00;                          /* FCP TransportID, format 00 */
	fc_put64(p + 28 + 8, other);
	memcpy(buf, p, sizeof(p));
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0x5f;                       /* PERSISTENT RESERVE OUT, REGISTER */
	fc_put32(k.cdb + 5, sizeof(p));
	k.cdb_len = 10;
	k.wr = true;
	k.dl = sizeof(p);
	if (good(c, &k, "PR OUT REGISTER with SPEC_I_PT (FCP TransportID)"))
		return 1;
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0x5e;                       /* PERSISTENT RESERVE IN */
	k.cdb[1] = 0x03;                       /* READ FULL STATUS */
	fc_put16(k.cdb + 7, sizeof(buf));
	k.wr = false;
	k.rd = true;
	k.dl = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	if (good(c, &k, "PR IN READ FULL STATUS"))
		return 1;
	n = 8 + fc_get32(buf + 4);
	CHECK(n <= k.data_in && n <= sizeof(buf), "READ FULL STATUS: %u bytes of %u", n, k.data_in);
	for (uint32_t off = 8; off + 24 <= n;) {
		const uint8_t *d = buf + off, *t = d + 24;
		uint32_t tl = fc_get32(d + 20);

		CHECK(off + 24 + tl <= n, "descriptor at %u overruns", off);
		CHECK(tl == 24 && (t[0] & 0x0f) == 0 && (t[0] >> 6) == 0,
		      "TransportID at %u: protocol %u format %u length %u (want FCP, 00, 24)", off,
		      t[0] & 0x0f, t[0] >> 6, tl);
		CHECK(fc_get64(d) == key, "key %llx", (unsigned long long)fc_get64(d));
		if (fc_get64(t + 8) == c->wwpn) {
			CHECK(fc_get16(d + 18) == 1, "relative target port %u", fc_get16(d + 18));
			found |= 1;
		}
		if (fc_get64(t + 8) == other)
			found |= 2;
		off += 24 + tl;
	}
	CHECK(found == 3, "READ FULL STATUS lacks %s", found & 1 ? "the SPEC_I_PT port" : "us");
	FCI_LOG("PR over FCP: READ FULL STATUS names %016llx and %016llx by FCP TransportIDs",
		(unsigned long long)c->wwpn, (unsigned long long)other);
	memset(p, 0, sizeof(p));
	fc_put64(p, key);
	memcpy(buf, p, 24);
	memset(k.cdb, 0, 16);
	k.cdb[0] = 0x5f;
	k.cdb[1] = 0x03;                       /* CLEAR */
	fc_put32(k.cdb + 5, 24);
	k.rd = false;
	k.wr = true;
	k.dl = 24;
	return good(c, &k, "PR OUT CLEAR");
}

int fci_case(struct fci *c, const char *name, int argc, char **argv)
{
	if (!strcmp(name, "basic"))
		return case_basic(c, argc > 0 ? (uint32_t)atoi(argv[0]) : 8);
	if (!strcmp(name, "rejects"))
		return case_rejects(c);
	if (!strcmp(name, "denied"))
		return case_denied(c);
	if (!strcmp(name, "residual"))
		return case_residual(c);
	if (!strcmp(name, "abts"))
		return case_abts(c);
	if (!strcmp(name, "tmf"))
		return case_tmf(c);
	if (!strcmp(name, "faults"))
		return case_faults(c);
	if (!strcmp(name, "qd"))
		return case_qd(c, argc > 0 ? (uint32_t)atoi(argv[0]) : 16,
			       argc > 1 ? (uint32_t)atoi(argv[1]) << 10 : 64 << 10,
			       argc > 2 ? (uint32_t)atoi(argv[2]) : 65536,
			       argc > 3 ? (uint32_t)atoi(argv[3]) : 8);
	if (!strcmp(name, "waitq"))
		return fci_case_waitq(c);
	if (!strcmp(name, "p2p"))
		return case_p2p(c);
	if (!strcmp(name, "stall"))
		return case_stall(c);
	if (!strcmp(name, "logout"))
		return case_logout(c);
	if (!strcmp(name, "pr"))
		return case_pr(c);
	if (!strcmp(name, "fabric"))
		return fcf_case_fabric(c, argc, argv);
	if (!strcmp(name, "load"))
		return case_load(c, argc > 0 ? (uint32_t)atoi(argv[0]) : 10,
				 argc > 1 && !strcmp(argv[1], "strict"));
	FCI_LOG("unknown case %s", name);
	return 1;
}

/* for the fabric case (fc_fcf.c) */
int fci_login_ready(struct fci *c)
{
	return login_ready(c);
}

int fci_io_verify(struct fci *c, uint32_t lun, uint32_t bs, uint64_t bytes, uint32_t chunk,
		  uint32_t seed)
{
	return io_verify(c, lun, bs, bytes, chunk, seed);
}
