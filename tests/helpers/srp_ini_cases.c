/* Test cases of the SRP test initiator; each is one subcommand that exits 0
 * when every check held. */
#include "tests/helpers/srp_ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FMTS (SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT)
#define IMM_OFF 68
#define IT_LEN 8260

/* Log in, then take the unit attentions (power on, reset) a new nexus has
 * pending with TEST UNIT READY, so cases see their own statuses. */
static int login_std(struct ini *i, uint8_t flags)
{
	int r = ini_connect(i);

	if (r < 0)
		return r;
	r = ini_login(i, flags | SRP_LOGIN_IMMED_REQ, IT_LEN, FMTS, ini_tgt_port, IMM_OFF);
	if (r)
		return r;
	for (int lun = 0; lun < 3; lun++)
		for (int k = 0; k < 4; k++) {
			uint8_t tur[6] = { 0 };
			struct ini_rsp rsp;

			if (ini_scsi(i, LUN(lun), tur, 6, 0, 0, 0, M_DIRECT, 1, &rsp) != 2)
				break;
			if ((rsp.sense[2] & 0xf) == 6 && !i->ua_asc) {
				i->ua_asc = rsp.sense[12];
				i->ua_ascq = rsp.sense[13];
			}
		}
	return 0;
}

int ini_login_ua(struct ini *i)
{
	return login_std(i, 0);
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t k = 0; k < len; k++)
		p[k] = (uint8_t)(seed * 131 + k * 7 + (k >> 9));
}

static void rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = write ? 0x2a : 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(blocks >> 8);
	cdb[8] = (uint8_t)blocks;
}

/* Gather an nseg-spread buffer into dst. */
static void gather(struct ini *i, uint8_t *dst, uint32_t off, uint32_t len, int nseg)
{
	uint32_t pos = 0;

	for (int k = 0; k < nseg; k++) {
		uint32_t sl, so = ini_seg_off(off, len, nseg, k, &sl);

		memcpy(dst + pos, i->mem + so, sl);
		pos += sl;
	}
}

static void scatter(struct ini *i, const uint8_t *src, uint32_t off, uint32_t len, int nseg)
{
	uint32_t pos = 0;

	for (int k = 0; k < nseg; k++) {
		uint32_t sl, so = ini_seg_off(off, len, nseg, k, &sl);

		memcpy(i->mem + so, src + pos, sl);
		pos += sl;
	}
}

/* Write len bytes at lba of LUN 0 (512-byte blocks) in one mode, read them
 * back in another, compare. */
static int verified_io(struct ini *i, uint32_t lba, uint32_t len, enum ini_mode wm, int wseg,
		       enum ini_mode rm, int rseg, uint32_t seed)
{
	static uint8_t pat[1 << 20], got[1 << 20];
	struct ini_rsp r;
	uint8_t cdb[10];
	int st;

	fill(pat, len, seed);
	if (wm == M_IMM || wm == M_DIRECT)
		memcpy(i->mem, pat, len);
	else
		scatter(i, pat, 0, len, wseg);
	rw10(cdb, true, lba, (uint16_t)(len / 512));
	st = ini_scsi(i, LUN(0), cdb, 10, 2, 0, len, wm, wseg, &r);
	CHECK(st == 0, "WRITE(10) mode %d/%d segs: status %d sense %x/%02x/%02x", wm, wseg, st,
	      r.sense[2], r.sense[12], r.sense[13]);
	CHECK(!(r.flags & (SRP_RSP_DOUNDER | SRP_RSP_DOOVER)), "WRITE residual flags %#x", r.flags);
	memset(i->mem + (8u << 20), 0, 4u << 20);
	rw10(cdb, false, lba, (uint16_t)(len / 512));
	st = ini_scsi(i, LUN(0), cdb, 10, 1, 8u << 20, len, rm, rseg, &r);
	CHECK(st == 0, "READ(10) mode %d/%d segs: status %d sense %x/%02x/%02x", rm, rseg, st,
	      r.sense[2], r.sense[12], r.sense[13]);
	if (rm == M_DIRECT)
		memcpy(got, i->mem + (8u << 20), len);
	else
		gather(i, got, 8u << 20, len, rseg);
	CHECK(!memcmp(got, pat, len), "data mismatch (write mode %d/%d, read mode %d/%d)", wm, wseg,
	      rm, rseg);
	return 0;
}

static int case_basic(void)
{
	struct ini i;
	struct ini_rsp r;
	uint8_t cdb[16] = { 0 };
	int st;

	CHECK(login_std(&i, 0) == 0, "login refused");
	CHECK(i.req_lim > 0 && i.ti_len >= 64 && i.it_len == IT_LEN, "login response fields");
	CHECK(i.rsp_flags & SRP_RSPF_IMMED_SUPP, "immediate data not granted");
	/* REPORT LUNS: 0, 1, 2 */
	cdb[0] = 0xa0;
	cdb[8] = 0x01;      /* allocation length 256 */
	st = ini_scsi(&i, 0, cdb, 12, 1, 0, 256, M_DIRECT, 1, &r);
	CHECK(st == 0, "REPORT LUNS status %d sense %x/%02x/%02x", st, r.sense[2], r.sense[12],
	      r.sense[13]);
	CHECK(srp_get32(i.mem) == 24, "REPORT LUNS list length %u", srp_get32(i.mem));
	for (int k = 0; k < 3; k++)
		CHECK(srp_get64(i.mem + 8 + 8 * k) == LUN(k), "LUN %d missing", k);
	CHECK(r.flags & SRP_RSP_DIUNDER, "REPORT LUNS: no underflow flag");
	CHECK(r.din_res == 256 - 32, "REPORT LUNS residual %u", r.din_res);
	/* INQUIRY on LUN 1 */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x12;
	cdb[4] = 96;
	st = ini_scsi(&i, LUN(1), cdb, 6, 1, 0, 96, M_DIRECT, 1, &r);
	CHECK(st == 0 && i.mem[0] == 0, "INQUIRY status %d type %u", st, i.mem[0]);
	/* the version descriptor of this nexus' transport: SRP (0940h), not iSCSI */
	CHECK((i.mem[64] << 8 | i.mem[65]) == 0x0940, "INQUIRY: transport version descriptor %02x%02xh",
	      i.mem[64], i.mem[65]);
	/* overflow: the CDB asks more than the buffer offers */
	cdb[4] = 200;
	st = ini_scsi(&i, LUN(1), cdb, 6, 1, 0, 96, M_DIRECT, 1, &r);
	CHECK(st == 0 && (r.flags & SRP_RSP_DIOVER) && r.din_res == 104,
	      "INQUIRY overflow: status %d flags %#x res %u", st, r.flags, r.din_res);
	/* verified I/O in every descriptor form */
	if (verified_io(&i, 0, 4096, M_DIRECT, 1, M_DIRECT, 1, 1) ||
	    verified_io(&i, 64, 65536, M_INDIRECT, 4, M_INDIRECT, 7, 2) ||
	    verified_io(&i, 512, 131072, M_EXT, 16, M_EXT, 33, 3) ||
	    verified_io(&i, 1024, 8192, M_IMM, 1, M_INDIRECT, 3, 4) ||
	    verified_io(&i, 2048, 1 << 20, M_EXT, 100, M_DIRECT, 1, 5))
		return 1;
	/* an unknown LUN: CHECK CONDITION, ILLEGAL REQUEST */
	memset(cdb, 0, sizeof(cdb));
	st = ini_scsi(&i, LUN(9), cdb, 6, 0, 0, 0, M_DIRECT, 1, &r);
	CHECK(st == 2 && (r.flags & SRP_RSP_SNSVALID) && (r.sense[2] & 0xf) == 5,
	      "TUR on LUN 9: status %d", st);
	CHECK(i.req_lim > 0, "credits not returned: %d", i.req_lim);
	printf("basic: ok (credits %d, max_ti %u)\n", i.req_lim, i.ti_len);
	ini_close(&i);
	return 0;
}

static int case_rejects(const char *denied)
{
	uint8_t wrong[16];
	struct ini i;
	int r;

	memcpy(wrong, ini_tgt_port, 16);
	wrong[15] ^= 0xff;
	CHECK(ini_connect(&i) == 0, "connect");
	r = ini_login(&i, 0, 32, FMTS, ini_tgt_port, 0);
	CHECK(r == SRP_REJ_IU_TOO_LARGE, "IU length 32: got %#x", r);
	ini_close(&i);
	CHECK(ini_connect(&i) == 0, "connect");
	r = ini_login(&i, 0, 1u << 24, FMTS, ini_tgt_port, 0);
	CHECK(r == SRP_REJ_IU_TOO_LARGE, "IU length 16M: got %#x", r);
	ini_close(&i);
	CHECK(ini_connect(&i) == 0, "connect");
	r = ini_login(&i, 0, IT_LEN, FMTS, wrong, 0);
	CHECK(r == SRP_REJ_UNABLE_ASSOCIATE, "wrong target port id: got %#x", r);
	ini_close(&i);
	CHECK(ini_connect(&i) == 0, "connect");
	r = ini_login(&i, 0, IT_LEN, 0x0008, ini_tgt_port, 0);
	CHECK(r == SRP_REJ_BAD_BUF_FMT, "unsupported buffer format: got %#x", r);
	ini_close(&i);
	CHECK(ini_connect(&i) == 0, "connect");
	r = ini_login(&i, 2, IT_LEN, FMTS, ini_tgt_port, 0);
	CHECK(r == SRP_REJ_UNABLE_ESTABLISH, "reserved multi-channel code: got %#x", r);
	ini_close(&i);
	if (denied) {
		uint8_t save[16];

		memcpy(save, ini_port_id, 16);
		CHECK(srp_port_id_parse(denied, ini_port_id) == 0, "bad id");
		CHECK(ini_connect(&i) == 0, "connect");
		r = ini_login(&i, 0, IT_LEN, FMTS, ini_tgt_port, 0);
		CHECK(r == SRP_REJ_UNABLE_ESTABLISH, "initiator outside the ACL: got %#x", r);
		ini_close(&i);
		memcpy(ini_port_id, save, 16);
	}
	/* and a good login still works */
	CHECK(login_std(&i, 0) == 0, "good login after rejects");
	ini_close(&i);
	printf("rejects: ok\n");
	return 0;
}

/* More requests than credits, without waiting: the excess is answered
 * TASK SET FULL and takes no credit; every request gets an answer. */
static int case_credits(void)
{
	enum { N = 64 };
	struct ini i;
	uint8_t cdb[10], b[4096];
	int full = 0, good = 0, lim0;
	uint64_t tags[N];
	bool seen[N] = { false };

	CHECK(login_std(&i, 0) == 0, "login");
	lim0 = i.req_lim;
	CHECK(lim0 < N, "queue_depth must be below %d for this case (is %d)", N, lim0);
	for (int k = 0; k < N; k++) {
		rw10(cdb, true, (uint32_t)k * 128, 128);
		tags[k] = ini_cmd(&i, LUN(0), cdb, 10, 2, (uint32_t)k * 65536, 65536, M_DIRECT, 1);
	}
	for (int got = 0; got < N;) {
		struct ini_rsp r;
		int n = ini_recv(&i, b, sizeof(b), 10000);

		CHECK(n > 0, "answers stopped after %d of %d", got, N);
		if (b[0] != SRP_OP_RSP)
			continue;
		ini_parse_rsp(b, (uint32_t)n, &r);
		for (int k = 0; k < N; k++)
			if (tags[k] == r.tag && !seen[k]) {
				seen[k] = true;
				got++;
				if (r.status == 0x28)
					full++;
				else if (r.status == 0)
					good++;
			}
	}
	/* ini_cmd took a credit for each; the answers gave back what the target
	 * counted: every credit is back, plus one per TASK SET FULL that took none */
	for (int k = 0; k < 20 && i.req_lim < lim0 + full - (N - lim0) + (N - lim0); k++)
		(void)ini_recv(&i, b, sizeof(b), 100);
	printf("credits: %d good, %d TASK SET FULL, req_lim %d (start %d)\n", good, full,
	       i.req_lim, lim0);
	CHECK(good + full == N, "some answers were neither GOOD nor TASK SET FULL");
	CHECK(full > 0, "no TASK SET FULL for %d requests over %d credits", N, lim0);
	CHECK(i.req_lim + full == lim0, "credits do not add up: %d + %d != %d", i.req_lim, full,
	      lim0);
	ini_close(&i);
	return 0;
}

/* ABORT TASK and LUN RESET while writes are in flight. */
static int case_tmf(void)
{
	enum { N = 12 }; /* below queue_depth (16): the TMF needs a credit too */
	struct ini i;
	uint8_t cdb[10], iu[48], b[4096];
	uint64_t tags[N], ttag;
	int rsp_after = 0, answered = 0, code = -1, lim0;

	CHECK(login_std(&i, 0) == 0, "login");
	lim0 = i.req_lim;
	/* round 0: ABORT TASK of a task still fetching its descriptor table
	 * (ended in the frontend); 1: LUN RESET and 2: ABORT TASK of tasks at
	 * the core */
	for (int round = 0; round < 3; round++) {
		bool done[N] = { false }, tmf_done = false;
		bool reset = round == 1;

		for (int k = 0; k < N; k++) {
			rw10(cdb, true, (uint32_t)k * 256, 256);
			tags[k] = ini_cmd(&i, LUN(0), cdb, 10, 2, (uint32_t)k * 131072, 131072,
					  round ? M_DIRECT : M_EXT, 8);
		}
		memset(iu, 0, sizeof(iu));
		iu[0] = SRP_OP_TSK_MGMT;
		ttag = i.next_tag++;
		srp_put_tag(iu + 8, ttag);
		srp_put64(iu + 20, LUN(0));
		iu[30] = reset ? SRP_TMF_LUN_RESET : SRP_TMF_ABORT_TASK;
		srp_put_tag(iu + 32, tags[N - 1]);
		i.req_lim--;
		ini_send(&i, iu, 48);
		for (int k = 0; k < 400 && !(tmf_done && answered == N); k++) {
			struct ini_rsp r;
			int n = ini_recv(&i, b, sizeof(b), tmf_done ? 500 : 10000);

			if (n == -ETIMEDOUT && tmf_done)
				break;
			CHECK(n > 0, "channel lost during TMF round %d (%d)", round, n);
			if (b[0] != SRP_OP_RSP)
				continue;
			ini_parse_rsp(b, (uint32_t)n, &r);
			if (r.tag == ttag) {
				CHECK(r.flags & SRP_RSP_RSPVALID, "TMF answer without response data");
				code = r.resp_code;
				tmf_done = true;
				continue;
			}
			for (int q = 0; q < N; q++)
				if (r.tag == tags[q] && !done[q]) {
					done[q] = true;
					answered++;
					if (tmf_done && (reset || q == N - 1))
						rsp_after++;
				}
		}
		CHECK(tmf_done, "no answer to the TMF (round %d)", round);
		CHECK(code == SRP_RC_COMPLETE, "TMF response code %d", code);
		CHECK(rsp_after == 0, "%d aborted tasks answered after the TMF", rsp_after);
		printf("tmf round %d: %d of %d commands answered, %s complete\n", round, answered, N,
		       reset ? "LUN RESET" : "ABORT TASK");
		answered = 0;
	}
	/* credits of aborted tasks came back (CRED_REQ or later responses) */
	{
		struct ini_rsp r;
		uint8_t tur[6] = { 0 };
		int st = -1;

		for (int k = 0; k < 4 && st != 0; k++)
			st = ini_scsi(&i, LUN(0), tur, 6, 0, 0, 0, M_DIRECT, 1, &r);
		CHECK(st == 0, "LUN 0 unusable after LUN RESET (%d)", st);
		if (verified_io(&i, 4096, 65536, M_DIRECT, 1, M_EXT, 5, 9))
			return 1;
	}
	/* a lone task aborted while it fetches its descriptor table: no
	 * response will carry its credit, so a CRED_REQ does (unless the task
	 * finished before the TMF arrived: then its response comes first) */
	{
		uint32_t c0 = i.cred_reqs;
		struct ini_rsp r;
		bool tmf_seen = false;

		rw10(cdb, true, 0, 64);
		tags[0] = ini_cmd(&i, LUN(0), cdb, 10, 2, 0, 32768, M_EXT, 8);
		memset(iu, 0, sizeof(iu));
		iu[0] = SRP_OP_TSK_MGMT;
		ttag = i.next_tag++;
		srp_put_tag(iu + 8, ttag);
		srp_put64(iu + 20, LUN(0));
		iu[30] = SRP_TMF_ABORT_TASK;
		srp_put_tag(iu + 32, tags[0]);
		i.req_lim--;
		ini_send(&i, iu, 48);
		for (int k = 0; k < 20 && i.req_lim < lim0; k++) {
			int n = ini_recv(&i, b, sizeof(b), 200);

			if (n > 0 && b[0] == SRP_OP_RSP) {
				ini_parse_rsp(b, (uint32_t)n, &r);
				CHECK(r.tag == ttag || (r.tag == tags[0] && !tmf_seen),
				      "a response (tag %llu) after the TMF's (%llu; lone task %llu)",
				      (unsigned long long)r.tag, (unsigned long long)ttag,
				      (unsigned long long)tags[0]);
				tmf_seen |= r.tag == ttag;
			}
		}
		printf("tmf lone abort: req_lim %d of %d, %u CRED_REQ\n", i.req_lim, lim0,
		       i.cred_reqs - c0);
	}
	/* every credit is back: aborted tasks' ones in later responses or in a
	 * CRED_REQ */
	for (int k = 0; k < 10 && i.req_lim < lim0; k++)
		(void)ini_recv(&i, b, sizeof(b), 200);
	printf("tmf: ok (req_lim %d of %d, %u CRED_REQ)\n", i.req_lim, lim0, i.cred_reqs);
	CHECK(i.req_lim == lim0, "credits not all returned (req_lim %d of %d)", i.req_lim, lim0);
	ini_close(&i);
	return 0;
}

static int expect_tlogout(struct ini *i, uint32_t reason, const char *what)
{
	uint8_t b[4096];

	for (int k = 0; k < 50; k++) {
		int n = ini_recv(i, b, sizeof(b), 3000);

		if (n == -ENOTCONN)
			break;
		CHECK(n > 0, "%s: no answer (%d)", what, n);
	}
	CHECK(i->t_logout == reason, "%s: T_LOGOUT reason %#x, want %#x", what, i->t_logout, reason);
	CHECK(i->down, "%s: channel not closed", what);
	ini_close(i);
	return 0;
}

static int expect_disconnect(struct ini *i, const char *what)
{
	uint8_t b[4096];

	for (int k = 0; k < 50; k++) {
		int n = ini_recv(i, b, sizeof(b), 3000);

		if (n == -ENOTCONN) {
			ini_close(i);
			return 0;
		}
		CHECK(n > 0, "%s: neither answer nor disconnect (%d)", what, n);
		CHECK(b[0] != SRP_OP_RSP || b[19] != 0, "%s: answered GOOD", what);
	}
	FAIL("%s: still connected", what);
}

static int check_cond(struct ini *i, uint8_t *iu, uint32_t len, const char *what, uint8_t asc)
{
	struct ini_rsp r;
	uint64_t tag = srp_get_tag(iu + 8);

	i->req_lim--;
	ini_send(i, iu, len);
	CHECK(ini_wait_rsp(i, tag, &r, 5000) == 0, "%s: no answer", what);
	CHECK(r.status == 2 && (r.sense[2] & 0xf) == 5 && r.sense[12] == asc,
	      "%s: status %d sense %x/%02x", what, r.status, r.sense[2], r.sense[12]);
	return 0;
}

static void raw_cmd(uint8_t *b, uint64_t tag, uint8_t fmt, uint8_t oc, uint8_t ic)
{
	memset(b, 0, 256);
	b[0] = SRP_OP_CMD;
	b[5] = fmt;
	b[6] = oc;
	b[7] = ic;
	srp_put_tag(b + 8, tag);
	b[32] = 0x28;   /* READ(10) of 8 blocks */
	b[39] = 8;
}

static int case_malformed(void)
{
	struct ini i;
	uint8_t b[512];
	struct srp_desc d;
	struct ini_rsp r;
	uint8_t cdb[10];

	/* too short for its type: T_LOGOUT "invalid length" */
	CHECK(login_std(&i, 0) == 0, "login");
	raw_cmd(b, 1, 0, 0, 0);
	i.req_lim--;
	ini_send(&i, b, 30);
	if (expect_tlogout(&i, SRP_TLO_BAD_IU_LEN, "short SRP_CMD"))
		return 1;
	/* an IU type only a target sends */
	CHECK(login_std(&i, 0) == 0, "login");
	memset(b, 0, 64);
	b[0] = SRP_OP_RSP;
	ini_send(&i, b, 64);
	if (expect_tlogout(&i, SRP_TLO_BAD_IU_TYPE, "RSP from the initiator"))
		return 1;
	/* indirect data-in on a direct-only login: T_LOGOUT 7 */
	CHECK(ini_connect(&i) == 0, "connect");
	CHECK(ini_login(&i, 0, IT_LEN, SRP_BUF_FMT_DIRECT, ini_tgt_port, 0) == 0, "login");
	raw_cmd(b, 2, SRP_DESC_INDIRECT, 0, 1);
	i.req_lim--;
	ini_send(&i, b, 48 + 20 + 16);
	if (expect_tlogout(&i, SRP_TLO_BAD_DIN_FMT, "indirect on a direct-only login"))
		return 1;

	/* field errors: answered, the channel stays */
	CHECK(login_std(&i, 0) == 0, "login");
	raw_cmd(b, 3, SRP_DESC_DIRECT, 0, 5);   /* direct with count 5 */
	d = (struct srp_desc){ (uintptr_t)i.mem, INI_RKEY, 4096 };
	srp_desc_put(b + 48, &d);
	if (check_cond(&i, b, 64, "direct descriptor count 5", 0x0e))
		return 1;
	raw_cmd(b, 4, SRP_DESC_INDIRECT, 0, 1);  /* table length 24 */
	d.len = 24;
	srp_desc_put(b + 48, &d);
	srp_put32(b + 64, 4096);
	d.len = 4096;
	srp_desc_put(b + 68, &d);
	if (check_cond(&i, b, 84, "table length not a multiple of 16", 0x0e))
		return 1;
	raw_cmd(b, 5, SRP_DESC_INDIRECT, 0, 2);  /* total != sum */
	d.len = 32;
	srp_desc_put(b + 48, &d);
	srp_put32(b + 64, 9999);
	d.len = 4096;
	srp_desc_put(b + 68, &d);
	srp_desc_put(b + 84, &d);
	if (check_cond(&i, b, 100, "descriptor total mismatch", 0x0e))
		return 1;
	raw_cmd(b, 6, SRP_DESC_DIRECT, 0, 1);   /* task attribute 3 */
	b[29] = 3;
	srp_desc_put(b + 48, &d);
	if (check_cond(&i, b, 64, "task attribute 3", 0x0e))
		return 1;
	/* an unsolicited CRED_RSP is harmless */
	memset(b, 0, 16);
	b[0] = SRP_OP_CRED_RSP;
	ini_send(&i, b, 16);
	rw10(cdb, false, 0, 8);
	CHECK(ini_scsi(&i, LUN(0), cdb, 10, 1, 0, 4096, M_DIRECT, 1, &r) == 0, "READ after errors");
	ini_close(&i);

	/* remote access errors: unknown rkey, out of bounds, write to a
	 * read-only region. Each breaks the connection (as on RC) */
	for (int k = 0; k < 4; k++) {
		static const char *const what[] = { "unknown rkey", "address past the region",
						    "RDMA WRITE into a read-only region",
						    "indirect table out of bounds" };

		CHECK(login_std(&i, 0) == 0, "login");
		if (k < 3) {
			raw_cmd(b, 10, SRP_DESC_DIRECT, 0, 1);
			d = (struct srp_desc){ (uintptr_t)i.mem, INI_RKEY, 4096 };
			if (k == 0)
				d.rkey = 0x777;
			if (k == 1)
				d.va = (uintptr_t)i.mem + INI_MEM - 100;
			if (k == 2)
				d = (struct srp_desc){ (uintptr_t)i.ro, INI_RO_RKEY, 4096 };
			srp_desc_put(b + 48, &d);
			i.req_lim--;
			ini_send(&i, b, 64);
		} else {
			raw_cmd(b, 11, SRP_DESC_INDIRECT, 0, 0);
			d = (struct srp_desc){ (uintptr_t)i.mem + INI_MEM - 8, INI_RKEY, 64 };
			srp_desc_put(b + 48, &d);
			srp_put32(b + 64, 4096);
			i.req_lim--;
			ini_send(&i, b, 68);
		}
		if (expect_disconnect(&i, what[k]))
			return 1;
	}
	/* still serving */
	CHECK(login_std(&i, 0) == 0, "login after malformed IUs");
	CHECK(verified_io(&i, 8192, 16384, M_INDIRECT, 3, M_DIRECT, 1, 11) == 0, "I/O after");
	ini_close(&i);
	printf("malformed: ok\n");
	return 0;
}

static int case_multichannel(void)
{
	struct ini a, c2, c3;

	CHECK(login_std(&a, 0) == 0, "first login");
	CHECK(login_std(&c2, SRP_LOGIN_MULTI) == 0, "second (multi-channel) login");
	CHECK((c2.rsp_flags & 3) == SRP_RSPF_MAINTAINED, "second login flags %#x", c2.rsp_flags);
	if (verified_io(&a, 100, 4096, M_DIRECT, 1, M_DIRECT, 1, 21) ||
	    verified_io(&c2, 200, 4096, M_DIRECT, 1, M_DIRECT, 1, 22))
		return 1;
	CHECK(login_std(&c3, 0) == 0, "single-channel login");
	CHECK((c3.rsp_flags & 3) == SRP_RSPF_TERMINATED, "single login flags %#x", c3.rsp_flags);
	if (expect_tlogout(&a, SRP_TLO_MULTICHANNEL, "first channel") ||
	    expect_tlogout(&c2, SRP_TLO_MULTICHANNEL, "second channel"))
		return 1;
	if (verified_io(&c3, 300, 4096, M_DIRECT, 1, M_DIRECT, 1, 23))
		return 1;
	ini_close(&c3);
	printf("multichannel: ok\n");
	return 0;
}

/* I_LOGOUT and a plain disconnect while commands (and their RDMA) run. */
static int case_logout(void)
{
	struct ini i;
	uint8_t cdb[10], lo[16] = { SRP_OP_I_LOGOUT };

	for (int round = 0; round < 4; round++) {
		CHECK(login_std(&i, 0) == 0, "login %d", round);
		for (int k = 0; k < 32; k++) {
			rw10(cdb, k & 1, (uint32_t)k * 512, 512);
			ini_cmd(&i, LUN(k % 3 == 2 ? 2 : 0), cdb, 10, (k & 1) ? 2 : 1,
				(uint32_t)k * 262144, 262144, round & 1 ? M_EXT : M_DIRECT, 6);
		}
		if (round < 2)
			ini_send(&i, lo, sizeof(lo));
		ini_close(&i);
	}
	usleep(200000);
	CHECK(login_std(&i, 0) == 0, "login after logouts");
	CHECK(verified_io(&i, 0, 65536, M_DIRECT, 1, M_INDIRECT, 2, 31) == 0, "I/O after logouts");
	ini_close(&i);
	printf("logout: ok\n");
	return 0;
}

static int pr_out(struct ini *i, uint8_t action, uint64_t key, uint64_t sakey)
{
	uint8_t cdb[10] = { 0x5f, action, 0, 0, 0, 0, 0, 0, 24, 0 };
	struct ini_rsp r;

	memset(i->mem, 0, 24);
	srp_put64(i->mem, key);
	srp_put64(i->mem + 8, sakey);
	return ini_scsi(i, LUN(0), cdb, 10, 2, 0, 24, M_DIRECT, 1, &r);
}

/* Registered keys of LUN 0 include key? 1 yes, 0 no, < 0 error. */
static int pr_has(struct ini *i, uint64_t key)
{
	uint8_t cdb[10] = { 0x5e, 0, 0, 0, 0, 0, 0, 0x10, 0, 0 };
	struct ini_rsp r;
	uint32_t n;
	int st = ini_scsi(i, LUN(0), cdb, 10, 1, 0, 4096, M_DIRECT, 1, &r);

	if (st != 0)
		return -1;
	n = srp_get32(i->mem + 4);
	for (uint32_t k = 0; k + 8 <= n && k < 4000; k += 8)
		if (srp_get64(i->mem + 8 + k) == key)
			return 1;
	return 0;
}

static int case_pr(const char *op, uint64_t key)
{
	struct ini i;
	int st = -1;

	for (int k = 0; k < 50; k++) {
		if (login_std(&i, 0) == 0)
			break;
		ini_close(&i);
		usleep(100000);
	}
	CHECK(!i.down, "login");
	if (!strcmp(op, "register")) {
		/* a unit attention may come first */
		for (int k = 0; k < 3 && st != 0; k++)
			st = pr_out(&i, 0x06, 0, key); /* REGISTER AND IGNORE EXISTING KEY */
		CHECK(st == 0, "PR REGISTER status %d", st);
	} else {
		for (int k = 0; k < 3 && st < 0; k++)
			st = pr_has(&i, key);
		CHECK(st == 1, "registration %#llx gone (%d)", (unsigned long long)key, st);
	}
	printf("pr %s: ok\n", op);
	ini_close(&i);
	return 0;
}

/* I/O for `secs`, reconnecting whenever the channel drops; exits 0 when I/O
 * went on after at least `want_drops` drops. */
static int case_load(int secs, int want_drops, bool nexus_loss)
{
	time_t end = time(NULL) + secs;
	int drops = 0, ios = 0, ios_after = 0;
	uint32_t seed = 100;

	while (time(NULL) < end) {
		struct ini i;
		time_t give_up = time(NULL) + 20;

		while (login_std(&i, 0) != 0) {
			ini_close(&i);
			CHECK(time(NULL) < give_up, "no login for 20 s after a drop");
			usleep(100000);
		}
		/* a returning initiator port is told its nexus was lost (or,
		 * after a whole new core, of a power on / reset) */
		if (drops)
			CHECK(i.ua_asc == 0x29 && (!nexus_loss || i.ua_ascq == 0x07),
			      "after reconnecting: unit attention %02x/%02x, want 29/%s", i.ua_asc,
			      i.ua_ascq, nexus_loss ? "07 (I_T NEXUS LOSS)" : "xx");
		while (time(NULL) < end) {
			uint8_t cdb[10] = { 0 };
			struct ini_rsp r;
			int st;

			st = verified_io(&i, (seed % 64) * 128, 65536, seed & 1 ? M_EXT : M_DIRECT, 4,
					 M_DIRECT, 1, seed);
			seed++;
			if (st == 0) {
				ios++;
				if (drops)
					ios_after++;
				continue;
			}
			if (!i.down) {
				/* a unit attention after the restart: clear it */
				if (ini_scsi(&i, LUN(0), cdb, 6, 0, 0, 0, M_DIRECT, 1, &r) >= 0)
					continue;
			}
			drops++;
			fprintf(stderr, "load: channel dropped (%d), reconnecting\n", drops);
			break;
		}
		ini_close(&i);
	}
	printf("load: %d verified I/Os, %d drops, %d after the first drop\n", ios, drops, ios_after);
	CHECK(drops >= want_drops, "expected %d drops, saw %d", want_drops, drops);
	CHECK(!want_drops || ios_after > 0, "no I/O after reconnecting");
	return 0;
}

/* A LUN RESET by one initiator: another initiator's channel gets an
 * AER_REQ with the unit attention (29/xx) for that LU, and answers AER_RSP. */
static int case_aer(const char *other)
{
	struct ini a, b;
	uint8_t save[16], iu[48], buf[4096];
	struct ini_rsp r;

	CHECK(login_std(&a, 0) == 0, "login A");
	memcpy(save, ini_port_id, 16);
	CHECK(srp_port_id_parse(other, ini_port_id) == 0, "bad id");
	CHECK(login_std(&b, 0) == 0, "login B");
	memcpy(ini_port_id, save, 16);
	memset(iu, 0, sizeof(iu));
	iu[0] = SRP_OP_TSK_MGMT;
	srp_put_tag(iu + 8, 0x77);
	srp_put64(iu + 20, LUN(2));
	iu[30] = SRP_TMF_LUN_RESET;
	a.req_lim--;
	ini_send(&a, iu, 48);
	CHECK(ini_wait_rsp(&a, 0x77, &r, 5000) == 0 && r.resp_code == SRP_RC_COMPLETE,
	      "LUN RESET answer");
	for (int k = 0; k < 30 && !b.aers; k++)
		(void)ini_recv(&b, buf, sizeof(buf), 100);
	CHECK(b.aers >= 1, "B got no AER_REQ");
	CHECK(b.aer_lun == LUN(2), "AER for LUN %#llx", (unsigned long long)b.aer_lun);
	CHECK((b.aer_sense[2] & 0xf) == 6 && b.aer_sense[12] == 0x29, "AER sense %x/%02x/%02x",
	      b.aer_sense[2], b.aer_sense[12], b.aer_sense[13]);
	/* the channel still works after the AER exchange */
	CHECK(verified_io(&b, 16384, 8192, M_DIRECT, 1, M_DIRECT, 1, 41) == 0 ||
	      verified_io(&b, 16384, 8192, M_DIRECT, 1, M_DIRECT, 1, 41) == 0, "I/O on B");
	printf("aer: ok (sense %x/%02x/%02x)\n", b.aer_sense[2], b.aer_sense[12], b.aer_sense[13]);
	ini_close(&a);
	ini_close(&b);
	return 0;
}

/* Random IUs: mostly SRP_CMDs with random formats, counts, descriptor
 * tables (half of them naming our region, half anything), random lengths and
 * task attributes, mixed with TMFs, logouts and IU types a target never
 * receives. Reconnects whenever the target drops the channel. The target
 * must survive and serve verified I/O at the end. CDB opcodes come from a
 * harmless set so the LUNs stay usable. */
static int case_garbage(unsigned seed, int rounds)
{
	static const uint8_t ops[] = { 0x00, 0x12, 0x28, 0x2a, 0x88, 0x8a, 0xa0, 0x25 };
	struct ini i = { .down = true, .fd = -1 };
	uint8_t b[1024], r[4096];
	int drops = 0, answers = 0;

	srandom(seed);
	for (int n = 0; n < rounds; n++) {
		uint32_t len = 16 + (uint32_t)(random() % 600);

		if (i.down) {
			ini_close(&i);
			CHECK(login_std(&i, 0) == 0, "login during garbage round %d", n);
			drops++;
		}
		for (uint32_t k = 0; k < len; k++)
			b[k] = (uint8_t)random();
		switch (random() % 8) {
		case 0:
			b[0] = SRP_OP_TSK_MGMT;
			b[30] = (uint8_t)(1u << (random() % 8));
			break;
		case 1:
			b[0] = (uint8_t)random();
			break;
		default: {
			uint32_t ndesc = (uint32_t)(random() % 6);

			b[0] = SRP_OP_CMD;
			b[31] &= (random() % 4) ? 0 : 0xfc;
			b[32] = ops[random() % sizeof(ops)];
			b[5] = (uint8_t)((random() % 3) << (random() % 2 ? 4 : 0));
			b[6] = (uint8_t)(random() % 3);
			b[7] = (uint8_t)(random() % 3);
			b[29] = (uint8_t)(random() % 5);
			memset(b + 20, 0, 8);
			b[21] = (uint8_t)(random() % 4);
			for (uint32_t k = 0; k < ndesc && 48 + 16 * k + 16 <= len; k++) {
				struct srp_desc d = { (uintptr_t)i.mem + (uint32_t)(random() % (INI_MEM / 2)),
						      INI_RKEY, (uint32_t)(random() % 65536) };

				if (random() % 2)
					srp_desc_put(b + 48 + 16 * k + (random() % 2 ? 4 : 0), &d);
			}
			break;
		}
		}
		i.req_lim--;
		ini_send(&i, b, len);
		for (int k = 0; k < 8; k++) {
			int got = ini_recv(&i, r, sizeof(r), 2);

			if (got < 0)
				break;
			answers++;
		}
	}
	ini_close(&i);
	CHECK(login_std(&i, 0) == 0, "login after the garbage");
	CHECK(verified_io(&i, 20000, 65536, M_EXT, 9, M_INDIRECT, 4, 77) == 0, "I/O after garbage");
	ini_close(&i);
	printf("garbage: ok (%d IUs, %d answers, %d reconnects)\n", rounds, answers, drops);
	return 0;
}

int ini_case(const char *name, int argc, char **argv)
{
	if (!strcmp(name, "garbage") && argc == 2)
		return case_garbage((unsigned)atoi(argv[0]), atoi(argv[1]));
	if (!strcmp(name, "aer") && argc == 1)
		return case_aer(argv[0]);
	if (!strcmp(name, "steady") && argc == 2)
		return ini_case_steady(atoi(argv[0]), atoi(argv[1]));
	if (!strcmp(name, "hold") && argc == 2)
		return ini_case_hold(atoi(argv[0]), atoi(argv[1]));
	if (!strcmp(name, "limits") && argc == 1)
		return ini_case_limits(argv[0]);
	if (!strcmp(name, "across") && argc == 3)
		return ini_case_across(atoi(argv[0]), atoi(argv[1]), atoi(argv[2]));
	if (!strcmp(name, "basic"))
		return case_basic();
	if (!strcmp(name, "rejects"))
		return case_rejects(argc > 0 ? argv[0] : NULL);
	if (!strcmp(name, "credits"))
		return case_credits();
	if (!strcmp(name, "tmf"))
		return case_tmf();
	if (!strcmp(name, "malformed"))
		return case_malformed();
	if (!strcmp(name, "multichannel"))
		return case_multichannel();
	if (!strcmp(name, "logout"))
		return case_logout();
	if (!strcmp(name, "pr") && argc == 2)
		return case_pr(argv[0], strtoull(argv[1], NULL, 0));
	if (!strcmp(name, "load") && (argc == 2 || argc == 3))
		return case_load(atoi(argv[0]), atoi(argv[1]),
				 argc == 3 && !strcmp(argv[2], "nexus-loss"));
	fprintf(stderr, "unknown case %s\n", name);
	return 2;
}
