/* The "limits" case of the SRP test initiator: the login rejects that
 * depend on the target's channel limits (srp_options), which srp.sh's
 * configuration does not reach:
 *   channels: max_channels 2, max_total_channels 3, multichannel on:
 *     a third channel of one nexus -> 0x00010006 (RDMA channel limit
 *     reached for this initiator); a fourth channel of the process ->
 *     0x00010001 (insufficient RDMA channel resources); a channel freed
 *     makes room again;
 *   nomulti: multichannel off: a multi-channel login to a live nexus ->
 *     0x00010005 (multiple channels not supported), and a single-channel
 *     login still terminates the old channel (TERMINATED). */
#include "tests/helpers/srp_ini.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIM_FMTS (SRP_BUF_FMT_DIRECT | SRP_BUF_FMT_INDIRECT)
#define LIM_IT   8260

static int lim_login(struct ini *i, uint8_t flags, uint8_t last_id_byte)
{
	uint8_t save[16];
	int r;

	memcpy(save, ini_port_id, 16);
	ini_port_id[15] = last_id_byte;
	r = ini_connect(i);
	if (r == 0)
		r = ini_login(i, flags, LIM_IT, LIM_FMTS, ini_tgt_port, 0);
	memcpy(ini_port_id, save, 16);
	return r;
}

/* A TEST UNIT READY answers (any status): the channel is usable. */
static bool lim_alive(struct ini *i)
{
	uint8_t tur[6] = { 0 };
	struct ini_rsp r;

	return ini_scsi(i, LUN(1), tur, 6, 0, 0, 0, M_DIRECT, 1, &r) >= 0;
}

static int lim_channels(void)
{
	struct ini a1, a2, a3, b, c;
	int r;

	CHECK(lim_login(&a1, 0, 0xa1) == 0, "first channel of A");
	CHECK(lim_login(&a2, SRP_LOGIN_MULTI, 0xa1) == 0, "second channel of A");
	CHECK(a2.rsp_flags & SRP_RSPF_MAINTAINED, "second channel: flags %#x, want MAINTAINED",
	      a2.rsp_flags);
	r = lim_login(&a3, SRP_LOGIN_MULTI, 0xa1);
	CHECK(r == SRP_REJ_CHANNEL_LIMIT, "third channel of A: got %#x, want %#x", r,
	      SRP_REJ_CHANNEL_LIMIT);
	ini_close(&a3);
	CHECK(lim_login(&b, 0, 0xb1) == 0, "channel of B (3 in the process)");
	r = lim_login(&c, 0, 0xc1);
	CHECK(r == SRP_REJ_NO_RESOURCES, "fourth channel of the process: got %#x, want %#x", r,
	      SRP_REJ_NO_RESOURCES);
	ini_close(&c);
	CHECK(lim_alive(&a1) && lim_alive(&a2) && lim_alive(&b), "channels after the rejects");
	/* B leaves: C fits now (the target may take a moment to see it go) */
	ini_close(&b);
	r = -1;
	for (int k = 0; k < 50 && r != 0; k++) {
		if (k)
			usleep(20000);
		r = lim_login(&c, 0, 0xc1);
		if (r)
			ini_close(&c);
	}
	CHECK(r == 0, "C after B left: got %#x", r);
	CHECK(lim_alive(&c), "C's channel");
	ini_close(&c);
	ini_close(&a2);
	ini_close(&a1);
	printf("limits channels: ok (0x%08x, 0x%08x)\n", SRP_REJ_CHANNEL_LIMIT,
	       SRP_REJ_NO_RESOURCES);
	return 0;
}

static int lim_nomulti(void)
{
	struct ini a1, a2, a3;
	uint8_t b[256];
	int r;

	CHECK(lim_login(&a1, 0, 0xa2) == 0, "first channel of A");
	r = lim_login(&a2, SRP_LOGIN_MULTI, 0xa2);
	CHECK(r == SRP_REJ_MULTI_UNSUPPORTED, "multi-channel login: got %#x, want %#x", r,
	      SRP_REJ_MULTI_UNSUPPORTED);
	ini_close(&a2);
	CHECK(lim_alive(&a1), "first channel after the reject");
	/* a multi-channel login with no live nexus starts one (NO_CHAN) */
	CHECK(lim_login(&a3, SRP_LOGIN_MULTI, 0xa3) == 0, "multi-channel login of a new nexus");
	CHECK((a3.rsp_flags & 3) == SRP_RSPF_NO_CHAN, "new nexus: flags %#x", a3.rsp_flags);
	ini_close(&a3);
	/* single-channel: the old one is terminated */
	CHECK(lim_login(&a2, 0, 0xa2) == 0, "single-channel login of A again");
	CHECK(a2.rsp_flags & SRP_RSPF_TERMINATED, "flags %#x, want TERMINATED", a2.rsp_flags);
	for (int k = 0; k < 20 && !a1.down && a1.t_logout == ~0u; k++)
		(void)ini_recv(&a1, b, sizeof(b), 100);
	CHECK(a1.t_logout == SRP_TLO_MULTICHANNEL, "old channel: T_LOGOUT %#x", a1.t_logout);
	CHECK(lim_alive(&a2), "new channel");
	ini_close(&a1);
	ini_close(&a2);
	printf("limits nomulti: ok (0x%08x)\n", SRP_REJ_MULTI_UNSUPPORTED);
	return 0;
}

int ini_case_limits(const char *which)
{
	if (!strcmp(which, "channels"))
		return lim_channels();
	if (!strcmp(which, "nomulti"))
		return lim_nomulti();
	FAIL("limits: channels or nomulti");
}
