/* test-core-proc, live configuration (procs/core/core_live.c): CTL_CONFIG
 * removes a LUN while its write is at the backend (the write finishes, and
 * CTL_CONFIG_DONE waits for it), adds one, gives an initiator its own LUN
 * number read-only, grows a LUN, and refuses a bad table without changing
 * anything. */
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/core_proc.h"

#define DEMO "iqn.2026-11.org.mtgt:demo"
#define LIVE_INI "iqn.2026-11.org.test:live"

/* A control message of `type` within ms (others skipped), payload copied. */
static bool ctl_get(uint32_t type, int ms, char *payload, size_t cap)
{
	for (int i = 0; i < 20; i++) {
		struct pollfd p = { .fd = ctl, .events = POLLIN };
		struct ctl_msg m;

		if (poll(&p, 1, ms) != 1 || ctl_recv(ctl, &m) != 1)
			return false;
		if (m.type == type) {
			snprintf(payload, cap, "%s", m.data ? m.data : "");
			ctl_msg_free(&m);
			return true;
		}
		ctl_msg_free(&m);
	}
	return false;
}

#define WITH_LUN6 0x1

static void send_config(uint32_t seq, uint64_t lun5_bytes, uint32_t lun5_link, unsigned flags)
{
	json_t *luns = json_array(), *cfg;
	char *js;

	json_array_append_new(luns, json_pack("{s:i, s:i, s:i, s:I, s:i, s:s, s:b}", "lun", 0,
		"link", BE_LINK, "dev", 0, "size", (json_int_t)DISK_BYTES, "block_size", 512,
		"backend", "file", "thin", 1));
	json_array_append_new(luns, json_pack("{s:i, s:i, s:i, s:I, s:i, s:s, s:b}", "lun", 1,
		"link", BE_LINK, "dev", 1, "size", (json_int_t)DISK_BYTES, "block_size", 4096,
		"backend", "ram", "readonly", 1));
	if (lun5_bytes)
		json_array_append_new(luns, json_pack("{s:i, s:i, s:i, s:I, s:i, s:s}", "lun", 5,
			"link", lun5_link, "dev", 2, "size", (json_int_t)lun5_bytes, "block_size",
			512, "backend", "null"));
	if (flags & WITH_LUN6)
		json_array_append_new(luns, json_pack("{s:i, s:i, s:i, s:I, s:i, s:s}", "lun", 6,
			"link", BE_LINK, "dev", 3, "size", (json_int_t)DISK_BYTES, "block_size",
			512, "backend", "null"));
	cfg = json_pack("{s:i, s:{s:[{s:s, s:[s, {s:s, s:{s:i}, s:b}], s:o},"
			"            {s:s, s:[s], s:[]}]}}",
			"seq", seq, "config", "targets", "name", DEMO, "initiators", "*", "name",
			LIVE_INI, "map", "3", 5, "readonly", 1, "luns", luns, "name",
			"iqn.2026-11.org.mtgt:private", "initiators", "iqn.2026-11.org.test:Allowed",
			"luns");
	REQUIRE(cfg);
	js = json_dumps(cfg, JSON_COMPACT);
	REQUIRE(ctl_send(ctl, CTL_CONFIG, js, strlen(js), NULL, 0) == 0);
	free(js);
	json_decref(cfg);
}

static void sense_of(const struct msg_cmd_rsp *r, uint8_t *key, uint16_t *asc)
{
	const uint8_t *s = r->sense;

	if ((s[0] & 0x7f) >= 0x72) {
		*key = s[1] & 0xf;
		*asc = (uint16_t)(s[2] << 8 | s[3]);
	} else {
		*key = s[2] & 0xf;
		*asc = (uint16_t)(s[12] << 8 | s[13]);
	}
}

static struct msg_cmd_rsp tur(uint32_t nexus, uint32_t lun)
{
	uint8_t cdb[6] = { TEST_UNIT_READY };

	return do_cmd(mkcmd(nexus, lun, cdb, 6, MSG_DIR_NONE, 0, (struct buf_handle){ 0 }));
}

static bool check_is(const struct msg_cmd_rsp *r, uint8_t key, uint16_t asc)
{
	uint8_t k;
	uint16_t a;

	if (r->status != SCSI_CHECK_CONDITION)
		return false;
	sense_of(r, &k, &a);
	return k == key && a == asc;
}

/* LUN numbers REPORT LUNS gives nexus */
static uint32_t report_luns(uint32_t nexus, uint32_t *out, uint32_t max)
{
	uint8_t cdb[12] = { REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	struct buf_handle h = fe_buf(262144, 4096);
	struct msg_cmd_rsp r = do_cmd(mkcmd(nexus, 0, cdb, 12, MSG_DIR_READ, 4096, h));
	const uint8_t *p = bufp(h);
	uint32_t n = 0, len;

	if (r.status != SCSI_GOOD)
		return UINT32_MAX;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	for (uint32_t o = 8; o < 8 + len && n < max; o += 8)
		out[n++] = (uint32_t)(p[o] & 0x3f) << 8 | p[o + 1];
	return n;
}

void test_live_config(void)
{
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct buf_handle h = fe_buf(65536, 4096);
	char done[256];
	uint32_t luns[8], n;
	struct msg_cmd_rsp r;
	union msg m;
	struct msg_io io;
	int i;

	/* LUN 6 comes; a "*" initiator (nexus 51) writes to it */
	send_config(10, 0, BE_LINK, WITH_LUN6);
	CHECK(ctl_get(CTL_CONFIG_DONE, 2000, done, sizeof(done)) && strstr(done, "\"seq\":10"));
	REQUIRE(nexus_add(50, LIVE_INI, DEMO) == 0);
	REQUIRE(nexus_add(51, "iqn.2026-11.org.test:star", DEMO) == 0);
	for (i = 0; i < 5 && tur(51, 6).status != SCSI_GOOD; i++)
		; /* power-on attention */
	CHECK(i < 5);
	n = report_luns(50, luns, 8);
	CHECK(n == 0); /* its own entry names target LUN 5, absent so far */

	/* the write is at the backend when LUN 6 is removed (and LUN 5 added) */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(51, 6, w10, 10, MSG_DIR_WRITE, 4096, h);
	m.cmd.imm_len = 4096;
	send_msg(&fe, &m);
	union msg pending = recv_msg(&be, 2000);
	REQUIRE(pending.h.type == MSG_IO && pending.io.op == MSG_IO_WRITE && pending.io.dev == 3);

	send_config(1, DISK_BYTES, BE_LINK, 0);
	CHECK(!ctl_get(CTL_CONFIG_DONE, 150, done, sizeof(done))); /* not while it runs */
	/* LUN 6 is gone for new commands at once */
	r = tur(51, 6);
	CHECK(check_is(&r, 0x5, 0x2500));
	/* the write finishes normally */
	union msg d;
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = pending.h.tag;
	d.io_done.length = (uint32_t)pending.io.length;
	send_msg(&be, &d);
	union msg rsp = recv_msg(&fe, 2000);
	REQUIRE(rsp.h.type == MSG_CMD_RSP);
	CHECK(rsp.h.tag == m.cmd.h.tag && rsp.cmd_rsp.status == SCSI_GOOD &&
	      !(rsp.h.flags & MSG_RSP_ABORTED));
	CHECK(ctl_get(CTL_CONFIG_DONE, 2000, done, sizeof(done)));
	CHECK(strstr(done, "\"seq\":1,") && strstr(done, "\"result\":0"));

	/* this initiator sees target LUN 5 as its LUN 3, read-only */
	n = report_luns(50, luns, 8);
	CHECK(n == 1 && luns[0] == 3);
	r = tur(50, 3);
	CHECK(check_is(&r, 0x6, 0x3f0e));  /* REPORTED LUNS DATA HAS CHANGED */
	CHECK(tur(50, 3).status == SCSI_GOOD);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(50, 3, w10, 10, MSG_DIR_WRITE, 4096, h);
	m.cmd.imm_len = 4096;
	r = do_cmd(m.cmd);
	CHECK(check_is(&r, 0x7, 0x2700));  /* WRITE PROTECTED */
	CHECK(quiet(&be, 50));
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(50, 3, r10, 10, MSG_DIR_READ, 512, h);
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.dev == 2 && io.op == MSG_IO_READ);
	rsp = recv_msg(&fe, 2000);
	CHECK(rsp.h.type == MSG_CMD_RSP && rsp.cmd_rsp.status == SCSI_GOOD);

	/* grown: CAPACITY DATA HAS CHANGED, and done at once (nothing removed) */
	send_config(2, 2 * (uint64_t)DISK_BYTES, BE_LINK, 0);
	CHECK(ctl_get(CTL_CONFIG_DONE, 2000, done, sizeof(done)) && strstr(done, "\"seq\":2"));
	r = tur(50, 3);
	CHECK(check_is(&r, 0x6, 0x2a09));

	/* a table naming a link that is not a backend: refused, nothing changes */
	send_config(3, DISK_BYTES, 99, WITH_LUN6);
	CHECK(ctl_get(CTL_CONFIG_DONE, 2000, done, sizeof(done)) && strstr(done, "\"seq\":3") &&
	      !strstr(done, "\"result\":0"));
	n = report_luns(50, luns, 8);
	CHECK(n == 1 && luns[0] == 3);
	CHECK(tur(50, 3).status == SCSI_GOOD);

	/* back to the start-up table */
	send_config(4, 0, BE_LINK, 0);
	CHECK(ctl_get(CTL_CONFIG_DONE, 2000, done, sizeof(done)) && strstr(done, "\"seq\":4"));
	n = report_luns(50, luns, 8);
	CHECK(n == 0); /* its own entry maps only target LUN 5, now gone */
}
