/* The "steady" case of the SRP test initiator: one login, then verified
 * I/O with several commands in flight for a while, in every data-out form
 * (direct, indirect in the IU, immediate data), while the test kills or
 * upgrades processes of the target around it. It allows nothing: a
 * dropped channel, a T_LOGOUT, a missing answer or any status but GOOD
 * (a unit attention included) fails it. Used where the target promises
 * that the initiator notices nothing (srp-core-kill). */
#include "tests/helpers/srp_ini.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#define ST_LEN   65536u
#define ST_IMM   4096u           /* immediate data fits IT_LEN 8260 */
#define ST_SLOT  (128u << 10)    /* memory per slot: a spread of 4 segments fits */
#define ST_RD    (16u << 20)     /* reads land here */
#define ST_MAXQD 16
#define ST_LBA0  32768u         /* 16 MiB in 512-byte blocks */

struct st_slot {
	uint64_t tag;
	uint32_t lba, len, seed;
	bool     busy;
};

static void st_fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t k = 0; k < len; k++)
		p[k] = (uint8_t)(seed * 197 + k * 13 + (k >> 10));
}

static void st_rw10(uint8_t *cdb, bool write, uint32_t lba, uint32_t len)
{
	memset(cdb, 0, 10);
	cdb[0] = write ? 0x2a : 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)((len / 512) >> 8);
	cdb[8] = (uint8_t)(len / 512);
}

/* Wait for every busy slot's answer: each must be GOOD. 0, 1 (failed), or
 * -1 when the channel ended and drops are allowed (busy slots had none). */
static int st_collect(struct ini *i, struct st_slot *s, int qd, const char *what, bool drops)
{
	uint8_t b[4096];
	int left = 0;

	for (int k = 0; k < qd; k++)
		left += s[k].busy;
	while (left) {
		struct ini_rsp r;
		int n = ini_recv(i, b, sizeof(b), 30000), k;

		if (drops && (n == -ENOTCONN || (n > 0 && b[0] == SRP_OP_T_LOGOUT)))
			return -1;
		CHECK(n >= 0, "%s: channel lost or no answer in 30 s (%d, T_LOGOUT %#x)", what, n,
		      i->t_logout);
		CHECK(b[0] == SRP_OP_RSP, "%s: IU type %#x instead of SRP_RSP", what, b[0]);
		ini_parse_rsp(b, (uint32_t)n, &r);
		for (k = 0; k < qd && !(s[k].busy && s[k].tag == r.tag); k++)
			;
		CHECK(k < qd, "%s: answer for a tag %llu we do not wait for", what,
		      (unsigned long long)r.tag);
		CHECK(r.status == 0, "%s: status %#x sense %x/%02x/%02x", what, r.status,
		      r.sense[2] & 0xf, r.sense[12], r.sense[13]);
		CHECK(!(r.flags & (SRP_RSP_DOUNDER | SRP_RSP_DOOVER | SRP_RSP_DIUNDER |
				   SRP_RSP_DIOVER)), "%s: residual flags %#x", what, r.flags);
		s[k].busy = false;
		left--;
	}
	return 0;
}

/* Issue one command of slot k: a WRITE of its pattern (mode by round) or
 * a READ into the read area. */
static void st_issue(struct ini *i, struct st_slot *sl, int k, bool write, uint32_t round)
{
	static const enum ini_mode modes[] = { M_DIRECT, M_INDIRECT, M_IMM };
	enum ini_mode m = write ? modes[(round + (uint32_t)k) % 3] : M_DIRECT;
	uint8_t cdb[10];

	if (write) {
		static uint8_t pat[ST_LEN];
		uint32_t pos = 0;

		sl->len = m == M_IMM ? ST_IMM : ST_LEN;
		sl->seed = round * 64 + (uint32_t)k;
		st_fill(pat, sl->len, sl->seed);
		if (m == M_INDIRECT) {
			for (int g = 0; g < 4; g++) {
				uint32_t gl, go = ini_seg_off((uint32_t)k * ST_SLOT, sl->len, 4, g, &gl);

				memcpy(i->mem + go, pat + pos, gl);
				pos += gl;
			}
		} else {
			memcpy(i->mem + (uint32_t)k * ST_SLOT, pat, sl->len);
		}
	} else {
		memset(i->mem + ST_RD + (uint32_t)k * ST_SLOT, 0, sl->len);
	}
	st_rw10(cdb, write, sl->lba, sl->len);
	sl->tag = ini_cmd(i, LUN(0), cdb, 10, write ? 2 : 1,
			  write ? (uint32_t)k * ST_SLOT : ST_RD + (uint32_t)k * ST_SLOT, sl->len, m,
			  m == M_INDIRECT ? 4 : 1);
	sl->busy = true;
}

int ini_case_steady(int secs, int qd)
{
	static uint8_t pat[ST_LEN];
	struct st_slot s[ST_MAXQD];
	time_t end = time(NULL) + secs;
	uint32_t round = 0;
	long ios = 0;
	struct ini i;

	CHECK(qd >= 1 && qd <= ST_MAXQD, "queue depth 1..%d", ST_MAXQD);
	memset(s, 0, sizeof(s));
	CHECK(ini_login_ua(&i) == 0, "login");
	i.t_logout = ~0u;
	while (time(NULL) < end) {
		/* each slot its own LBA range, moving every round, from 16 MiB
		 * on (other cases write below) */
		for (int k = 0; k < qd; k++) {
			s[k].lba = ST_LBA0 + ((round % 32) * ST_MAXQD + (uint32_t)k) * (ST_LEN / 512);
			st_issue(&i, &s[k], k, true, round);
		}
		if (st_collect(&i, s, qd, "WRITE", false))
			return 1;
		for (int k = 0; k < qd; k++)
			st_issue(&i, &s[k], k, false, round);
		if (st_collect(&i, s, qd, "READ", false))
			return 1;
		for (int k = 0; k < qd; k++) {
			st_fill(pat, s[k].len, s[k].seed);
			CHECK(!memcmp(i.mem + ST_RD + (uint32_t)k * ST_SLOT, pat, s[k].len),
			      "data mismatch: slot %d round %u (LBA %u, %u bytes)", k, round, s[k].lba,
			      s[k].len);
		}
		ios += 2 * qd;
		round++;
	}
	CHECK(!i.down && i.t_logout == ~0u, "channel ended (T_LOGOUT %#x)", i.t_logout);
	printf("steady: %ld verified I/Os in %u rounds at queue depth %d, 0 errors\n", ios, round,
	       qd);
	ini_close(&i);
	return 0;
}

/* ---- across a frontend upgrade: the channel may end, cleanly ---- */

/* Log in again after the target ended the channel: it must have said so
 * with T_LOGOUT (no reason given), and the new nexus reports 29/xx. */
static int st_relogin(struct ini *i, int *drops)
{
	time_t give_up = time(NULL) + 30;
	uint8_t b[256];

	/* the T_LOGOUT, then the disconnect */
	for (int k = 0; k < 64 && !i->down; k++)
		if (ini_recv(i, b, sizeof(b), 1000) == -ETIMEDOUT)
			break;
	CHECK(i->t_logout == SRP_TLO_NONE, "channel ended without a clean T_LOGOUT (%#x)",
	      i->t_logout);
	ini_close(i);
	(*drops)++;
	while (ini_login_ua(i) != 0) {
		ini_close(i);
		CHECK(time(NULL) < give_up, "no login for 30 s after the channel ended");
		usleep(50000);
	}
	CHECK(i->ua_asc == 0x29, "after logging in again: unit attention %02x/%02x, want 29/xx",
	      i->ua_asc, i->ua_ascq);
	i->t_logout = ~0u;
	return 0;
}

/* One phase (all slots written, or all read) until every slot has its
 * answer; commands the target never answered are issued again on the new
 * channel, as an initiator does. */
static int st_phase(struct ini *i, struct st_slot *s, int qd, bool write, uint32_t round,
		    int *drops)
{
	bool need[ST_MAXQD];

	for (int k = 0; k < qd; k++)
		need[k] = true;
	for (int attempt = 0; attempt < 10; attempt++) {
		int r;

		for (int k = 0; k < qd; k++)
			if (need[k])
				st_issue(i, &s[k], k, write, round);
		r = st_collect(i, s, qd, write ? "WRITE" : "READ", true);
		if (r >= 0)
			return r;
		for (int k = 0; k < qd; k++) {
			need[k] = s[k].busy;
			s[k].busy = false;
		}
		if (st_relogin(i, drops))
			return 1;
	}
	FAIL("the channel ended 10 times in one phase");
}

int ini_case_across(int secs, int qd, int min_drops)
{
	static uint8_t pat[ST_LEN];
	struct st_slot s[ST_MAXQD];
	uint32_t acked_seed[ST_MAXQD], acked_len[ST_MAXQD];
	time_t end = time(NULL) + secs;
	uint32_t round = 0;
	int drops = 0;
	long ios = 0;
	struct ini i;

	CHECK(qd >= 1 && qd <= ST_MAXQD, "queue depth 1..%d", ST_MAXQD);
	memset(s, 0, sizeof(s));
	CHECK(ini_login_ua(&i) == 0, "login");
	i.t_logout = ~0u;
	while (time(NULL) < end) {
		/* fixed LBAs: what was acknowledged must still be there when
		 * read back, across the channel ending in between */
		for (int k = 0; k < qd; k++)
			s[k].lba = ST_LBA0 + (uint32_t)k * (ST_LEN / 512);
		if (st_phase(&i, s, qd, true, round, &drops))
			return 1;
		for (int k = 0; k < qd; k++) {
			acked_seed[k] = s[k].seed;
			acked_len[k] = s[k].len;
		}
		if (st_phase(&i, s, qd, false, round, &drops))
			return 1;
		for (int k = 0; k < qd; k++) {
			st_fill(pat, acked_len[k], acked_seed[k]);
			CHECK(!memcmp(i.mem + ST_RD + (uint32_t)k * ST_SLOT, pat, acked_len[k]),
			      "acknowledged write lost: slot %d round %u (LBA %u, %u bytes)", k, round,
			      s[k].lba, acked_len[k]);
		}
		ios += 2 * qd;
		round++;
	}
	printf("across: %ld verified I/Os in %u rounds at queue depth %d, %d clean channel ends, "
	       "0 errors\n", ios, round, qd, drops);
	CHECK(drops >= min_drops, "expected at least %d channel ends, saw %d", min_drops, drops);
	ini_close(&i);
	return 0;
}

/* ---- idle channels held open (a live upgrade must move or end them) ---- */

/* Log in n channels (initiator port ids ...e0 + k), keep them for secs,
 * then say how many the target ended (each with a clean T_LOGOUT). */
int ini_case_hold(int n, int secs)
{
	static struct ini h[64];
	uint8_t save[16], b[256];
	time_t end = time(NULL) + secs;
	int ended = 0;

	CHECK(n >= 1 && n <= 64, "1..64 channels");
	memcpy(save, ini_port_id, 16);
	for (int k = 0; k < n; k++) {
		ini_port_id[15] = (uint8_t)(0xe0 + k);
		CHECK(ini_login_ua(&h[k]) == 0, "login of channel %d", k);
		h[k].t_logout = ~0u;
	}
	memcpy(ini_port_id, save, 16);
	printf("hold: %d channels logged in\n", n);
	while (time(NULL) < end)
		for (int k = 0; k < n; k++)
			if (!h[k].down)
				(void)ini_recv(&h[k], b, sizeof(b), 10);
	for (int k = 0; k < n; k++) {
		if (h[k].down || h[k].t_logout != ~0u) {
			CHECK(h[k].t_logout == SRP_TLO_NONE, "channel %d ended without a clean T_LOGOUT",
			      k);
			ended++;
		}
		ini_close(&h[k]);
	}
	printf("hold: %d of %d channels ended by the target\n", ended, n);
	return 0;
}
