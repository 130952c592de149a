/* test-core-proc, continued: persistent reservations (APTPL across a core
 * restart, PREEMPT AND ABORT) and MODE SELECT, over the same harness. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/core_proc.h"

/* PERSISTENT RESERVE OUT with its 24-byte parameter list as immediate data. */
static struct msg_cmd_rsp prout(uint32_t nexus, uint8_t sa, uint8_t type, uint64_t key,
				uint64_t sakey, uint8_t flags)
{
	uint8_t cdb[10] = { 0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0 };
	struct buf_handle h = fe_buf(8192, 24);
	struct msg_cmd c;

	memset(bufp(h), 0, 24);
	for (int i = 0; i < 8; i++) {
		bufp(h)[i] = (uint8_t)(key >> (56 - 8 * i));
		bufp(h)[8 + i] = (uint8_t)(sakey >> (56 - 8 * i));
	}
	bufp(h)[20] = flags;
	c = mkcmd(nexus, 0, cdb, 10, MSG_DIR_WRITE, 24, h);
	c.imm_len = 24;
	return do_cmd(c);
}

/* READ KEYS: the number of keys, the first one in *key0. */
static int read_keys(uint32_t nexus, uint64_t *key0)
{
	uint8_t cdb[10] = { 0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0 };
	struct buf_handle h = fe_buf(8192, 64);
	struct msg_cmd_rsp rsp;
	uint8_t *p = bufp(h);

	memset(p, 0, 64);
	rsp = do_cmd(mkcmd(nexus, 0, cdb, 10, MSG_DIR_READ, 64, h));
	if (rsp.status != SCSI_GOOD || rsp.data_len < 8)
		return -1;
	*key0 = 0;
	for (int i = 0; i < 8; i++)
		*key0 = *key0 << 8 | p[8 + i];
	return (int)((uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7]) / 8;
}

/* READ RESERVATION: its additional length (16 when reserved). */
static int read_res_len(uint32_t nexus)
{
	uint8_t cdb[10] = { 0x5e, 1, 0, 0, 0, 0, 0, 0, 64, 0 };
	struct buf_handle h = fe_buf(8192, 64);
	struct msg_cmd_rsp rsp;
	uint8_t *p = bufp(h);

	memset(p, 0, 64);
	rsp = do_cmd(mkcmd(nexus, 0, cdb, 10, MSG_DIR_READ, 64, h));
	if (rsp.status != SCSI_GOOD || rsp.data_len < 8)
		return -1;
	return p[7];
}

/* APTPL: two generations saved through the state fd, then registrations and a
 * reservation conflict with a second nexus. */
void test_aptpl_save(void)
{
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t tur[6] = { TEST_UNIT_READY };
	struct msg_cmd_rsp rsp;
	uint64_t k;

	do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));  /* a pending UA, if any */
	rsp = prout(1, 0, 0, 0, 0x1111, 0x01);           /* REGISTER, APTPL */
	CHECK(rsp.status == SCSI_GOOD);
	rsp = prout(1, 0, 0, 0x1111, 0x2222, 0x01);      /* new key, generation 2 */
	CHECK(rsp.status == SCSI_GOOD);
	CHECK(read_keys(1, &k) == 1 && k == 0x2222);
	rsp = prout(1, 0, 0, 0x9999, 0x3333, 0x01);      /* wrong key */
	CHECK(rsp.status == 0x18);
	/* a WRITE EXCLUSIVE reservation: another nexus cannot write */
	rsp = prout(1, 1, 1, 0x2222, 0, 0);
	CHECK(rsp.status == SCSI_GOOD);
	CHECK(nexus_add(9, "iqn.2026-11.org.test:other", "iqn.2026-11.org.mtgt:demo") == 0);
	rsp = do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));   /* POWER ON */
	CHECK(rsp.status == SCSI_CHECK_CONDITION);
	rsp = do_cmd(mkcmd(9, 0, w10, 10, MSG_DIR_WRITE, 512, fe_buf(16384, 512)));
	CHECK(rsp.status == 0x18);
	rsp = prout(1, 2, 1, 0x2222, 0, 0);              /* RELEASE */
	CHECK(rsp.status == SCSI_GOOD);
	/* I_T nexus loss: the same initiator port coming back sees 29/07 */
	union msg del;
	memset(&del, 0, sizeof(del));
	del.h.type = MSG_NEXUS_DEL;
	del.h.tag = next_tag++;
	del.nexus_del.nexus = 9;
	send_msg(&fe, &del);
	CHECK(nexus_add(9, "iqn.2026-11.org.test:other", "iqn.2026-11.org.mtgt:demo") == 0);
	rsp = do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x29 && rsp.sense[13] == 0x07);
	rsp = do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_GOOD);
}

/* Kill the core and start a new one on the same state file. */
static void restart_core(const char *bin)
{
	int status;

	kill(core_pid, SIGKILL);
	waitpid(core_pid, &status, 0);
	core_pid = -1;
	close(ctl);
	start_core(bin);
	uint8_t tur[6] = { TEST_UNIT_READY };

	CHECK(nexus_add(1, "iqn.2026-11.org.test:one", "iqn.2026-11.org.mtgt:demo") == 0);
	CHECK(do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0))).status ==
	      SCSI_CHECK_CONDITION);   /* POWER ON */
}

void test_aptpl_restart(const char *bin)
{
	uint64_t k = 0;

	restart_core(bin);
	CHECK(read_keys(1, &k) == 1 && k == 0x2222);
	CHECK(read_res_len(1) == 0);   /* released before the kill */
	/* saves: 1 REGISTER, 2 new key, 3 RESERVE, 4 RELEASE (slot 0). Tear slot 0:
	 * the state of save 3 (reserved) comes back */
	CHECK(pwrite(state_fd, "torn", 4, 40) == 4);
	restart_core(bin);
	CHECK(read_keys(1, &k) == 1 && k == 0x2222);
	CHECK(read_res_len(1) == 16);
}

/* PREEMPT AND ABORT: the preempted nexus' READ, held by the backend, is
 * answered as aborted once the backend gives the buffer back; that nexus then
 * sees REGISTRATIONS PREEMPTED. Runs on the restarted core, where nexus 1
 * holds a WRITE EXCLUSIVE reservation with key 0x2222. */
void test_preempt_abort(void)
{
	uint8_t tur[6] = { TEST_UNIT_READY }, r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct msg_cmd_rsp rsp;
	union msg m, r;
	bool got_read = false, got_pr = false;

	CHECK(nexus_add(9, "iqn.2026-11.org.test:other", "iqn.2026-11.org.mtgt:demo") == 0);
	do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	rsp = prout(9, 0, 0, 0, 0x9, 0);
	CHECK(rsp.status == SCSI_GOOD);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(9, 0, r10, 10, MSG_DIR_READ, 512, fe_buf(16384, 512));
	send_msg(&fe, &m);
	union msg io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	/* PREEMPT AND ABORT from nexus 1, sent without waiting */
	uint8_t cdb[10] = { 0x5f, 5, 1, 0, 0, 0, 0, 0, 24, 0 };
	struct buf_handle h = fe_buf(8192, 24);
	memset(bufp(h), 0, 24);
	bufp(h)[6] = 0x22;
	bufp(h)[7] = 0x22;
	bufp(h)[15] = 0x09;
	union msg pm;
	memset(&pm, 0, sizeof(pm));
	pm.cmd = mkcmd(1, 0, cdb, 10, MSG_DIR_WRITE, 24, h);
	pm.cmd.imm_len = 24;
	send_msg(&fe, &pm);
	/* PR OUT completes only after the aborted tasks are gone */
	CHECK(quiet(&fe, 100));
	/* the backend gives the READ's buffer back: it is answered as aborted,
	 * then the PREEMPT AND ABORT */
	union msg d;
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = (uint32_t)io.io.length;
	send_msg(&be, &d);
	r = recv_msg(&fe, 2000);
	if (r.h.type == MSG_CMD_RSP && r.h.tag == m.cmd.h.tag)
		got_read = (r.cmd_rsp.h.flags & MSG_RSP_ABORTED) != 0;
	r = recv_msg(&fe, 2000);
	if (r.h.type == MSG_CMD_RSP && r.h.tag == pm.cmd.h.tag)
		got_pr = r.cmd_rsp.status == SCSI_GOOD && !(r.cmd_rsp.h.flags & MSG_RSP_ABORTED);
	CHECK(got_pr && got_read);
	rsp = do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x2a && rsp.sense[13] == 0x05);
	CHECK(read_keys(1, &(uint64_t){ 0 }) == 1);
}

/* MODE SELECT through the core: data-out pulled with XFER_RDY, WCE=0 makes
 * writes FUA, the other nexus hears MODE PARAMETERS CHANGED, D_SENSE switches
 * errors to descriptor sense. Nexus 1 holds the LU's reservation here. */
static struct msg_cmd_rsp mode_select6(uint32_t nexus, const uint8_t *page, uint32_t plen,
				       bool immediate)
{
	uint8_t cdb[6] = { 0x15, 0x10, 0, 0, (uint8_t)(4 + plen), 0 };
	struct buf_handle h = fe_buf(8192, 4 + plen);
	union msg m, r;

	memset(bufp(h), 0, 4);
	memcpy(bufp(h) + 4, page, plen);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(nexus, 0, cdb, 6, MSG_DIR_WRITE, 4 + plen, h);
	if (immediate) {
		m.cmd.imm_len = 4 + plen;
		return do_cmd(m.cmd);
	}
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_XFER_RDY && r.xfer_rdy.length == 4 + plen);
	memset(&r, 0, sizeof(r));
	r.h.type = MSG_DATA_READY;
	r.h.tag = m.cmd.h.tag;
	r.data_ready.length = 4 + plen;
	send_msg(&fe, &r);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_CMD_RSP);
	return r.cmd_rsp;
}

void test_mode_select(void)
{
	uint8_t ms[6] = { MODE_SENSE_6, 0x08, 0x08, 0, 255, 0 }, tur[6] = { TEST_UNIT_READY };
	uint8_t cache[20], ctrl[12];
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t r10_bad[10] = { READ_10, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0 };
	struct buf_handle h = fe_buf(8192, 255);
	struct msg_cmd_rsp rsp;
	union msg m;
	struct msg_io io;

	rsp = do_cmd(mkcmd(1, 0, ms, 6, MSG_DIR_READ, 255, h));
	REQUIRE(rsp.status == SCSI_GOOD);
	memcpy(cache, bufp(h) + 4, 20);
	CHECK(cache[0] == 0x08 && (cache[2] & 0x04));
	ms[2] = 0x0a;
	rsp = do_cmd(mkcmd(1, 0, ms, 6, MSG_DIR_READ, 255, h));
	REQUIRE(rsp.status == SCSI_GOOD);
	memcpy(ctrl, bufp(h) + 4, 12);
	/* WCE off: writes go to the backend with FUA */
	cache[2] &= (uint8_t)~0x04;
	rsp = mode_select6(1, cache, 20, false);
	CHECK(rsp.status == SCSI_GOOD);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, w10, 10, MSG_DIR_WRITE, 512, fe_buf(16384, 512));
	m.cmd.imm_len = 512;
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_WRITE && (io.h.flags & MSG_IO_FUA));
	CHECK(recv_msg(&fe, 2000).cmd_rsp.status == SCSI_GOOD);
	/* the other nexus: MODE PARAMETERS CHANGED */
	rsp = do_cmd(mkcmd(9, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x2a && rsp.sense[13] == 0x01);
	/* D_SENSE: descriptor format from now on, CDB errors included */
	ctrl[2] |= 0x04;
	rsp = mode_select6(1, ctrl, 12, false);
	CHECK(rsp.status == SCSI_GOOD);
	rsp = do_cmd(mkcmd(1, 0, r10_bad, 10, MSG_DIR_READ, 512, fe_buf(16384, 512)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[0] == 0x72 &&
	      rsp.sense[1] == SK_ILLEGAL_REQUEST && rsp.sense[2] == 0x21);
	r10_bad[9] = 0x04; /* NACA */
	rsp = do_cmd(mkcmd(1, 0, r10_bad, 10, MSG_DIR_READ, 512, fe_buf(16384, 512)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[0] == 0x72 && rsp.sense[2] == 0x24);
	/* a bad parameter list: nothing applied */
	ctrl[3] = 0;
	ctrl[2] &= (uint8_t)~0x04;
	rsp = mode_select6(1, ctrl, 12, false);
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[0] == 0x72 && rsp.sense[2] == 0x26);
	rsp = do_cmd(mkcmd(1, 0, r10_bad, 10, MSG_DIR_READ, 512, fe_buf(16384, 512)));
	CHECK(rsp.sense[0] == 0x72);                 /* D_SENSE still on */
	ctrl[3] = 0x10;
	ctrl[2] &= (uint8_t)~0x04;
	cache[2] |= 0x04;
	CHECK(mode_select6(1, ctrl, 12, true).status == SCSI_GOOD);
	CHECK(mode_select6(1, cache, 20, true).status == SCSI_GOOD);
	rsp = do_cmd(mkcmd(1, 0, r10_bad, 10, MSG_DIR_READ, 512, fe_buf(16384, 512)));
	CHECK(rsp.sense[0] == 0x70);                 /* fixed format again */
}

/* MSG_ASYNC_EVENT: a nexus registered with MSG_NEXUS_ASYNC hears of the UA
 * another nexus's MODE SELECT establishes, at once and with its sense; a
 * nexus without the flag and the changing nexus hear nothing; the UA stays
 * pending and is reported on the next command. */
static void nexus_add_async(uint32_t id, const char *ini)
{
	struct buf_handle h = fe_buf(0, 4096);
	const char *tgt = "iqn.2026-11.org.mtgt:demo";
	union msg m, r;
	size_t a = strlen(ini) + 1;

	memcpy(bufp(h), ini, a);
	memcpy(bufp(h) + a, tgt, strlen(tgt) + 1);
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_NEXUS_ADD;
	m.h.flags = MSG_NEXUS_ASYNC;
	m.h.tag = next_tag++;
	m.nexus_add.nexus = id;
	m.nexus_add.buf = h;
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_NEXUS_ADDED && r.nexus_added.result == 0);
}

void test_async_event(void)
{
	uint8_t ms[6] = { MODE_SENSE_6, 0x08, 0x0a, 0, 255, 0 }, tur[6] = { TEST_UNIT_READY };
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, 4 + 12, 0 }, ctrl[12];
	struct buf_handle h = fe_buf(8192, 255), p = fe_buf(16384, 16);
	struct msg_cmd_rsp rsp;
	union msg m, r;
	bool got_rsp = false, got_event = false;

	nexus_add_async(40, "iqn.2026-11.org.test:async");
	CHECK(nexus_add(41, "iqn.2026-11.org.test:plain", "iqn.2026-11.org.mtgt:demo") == 0);
	/* the new nexuses' POWER ON: reported, and not announced (no change) */
	for (uint32_t n = 40; n <= 41; n++)
		CHECK(do_cmd(mkcmd(n, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0))).status ==
		      SCSI_CHECK_CONDITION);
	CHECK(quiet(&fe, 100));
	rsp = do_cmd(mkcmd(1, 0, ms, 6, MSG_DIR_READ, 255, h));
	REQUIRE(rsp.status == SCSI_GOOD);
	memcpy(ctrl, bufp(h) + 4, 12);
	ctrl[2] ^= 0x04; /* D_SENSE */
	memset(bufp(p), 0, 4);
	memcpy(bufp(p) + 4, ctrl, 12);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, sel, 6, MSG_DIR_WRITE, 16, p);
	m.cmd.imm_len = 16;
	send_msg(&fe, &m);
	for (int i = 0; i < 2; i++) {
		r = recv_msg(&fe, 2000);
		if (r.h.type == MSG_CMD_RSP) {
			CHECK(r.h.tag == m.cmd.h.tag && r.cmd_rsp.status == SCSI_GOOD);
			got_rsp = true;
		} else if (r.h.type == MSG_ASYNC_EVENT) {
			CHECK(r.h.tag == 0 && r.async_event.nexus == 40 && r.async_event.lun == 0);
			CHECK(r.async_event.sense_len >= 14 && r.async_event.sense[0] == 0x70 &&
			      (r.async_event.sense[2] & 0x0f) == SK_UNIT_ATTENTION &&
			      r.async_event.sense[12] == 0x2a && r.async_event.sense[13] == 0x01);
			got_event = true;
		}
	}
	CHECK(got_rsp && got_event);
	CHECK(quiet(&fe, 200)); /* nothing for nexus 41 or 1 */
	/* the UA is still there for both */
	rsp = do_cmd(mkcmd(40, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION);
	rsp = do_cmd(mkcmd(41, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION);
	/* back as it was (nexus 1 again: no event for itself) */
	ctrl[2] ^= 0x04;
	memcpy(bufp(p) + 4, ctrl, 12);
	m.cmd = mkcmd(1, 0, sel, 6, MSG_DIR_WRITE, 16, p);
	m.cmd.imm_len = 16;
	send_msg(&fe, &m);
	for (int i = 0; i < 2; i++) {
		r = recv_msg(&fe, 2000);
		CHECK(r.h.type == MSG_CMD_RSP || (r.h.type == MSG_ASYNC_EVENT &&
						  r.async_event.nexus == 40));
		if (r.h.type == MSG_CMD_RSP)
			break;
	}
	quiet(&fe, 100);
	/* the event-taking nexus goes, so that later tests' changes raise no
	 * events on the ring they read answers from */
	for (uint32_t n = 40; n <= 41; n++) {
		memset(&m, 0, sizeof(m));
		m.h.type = MSG_NEXUS_DEL;
		m.h.tag = next_tag++;
		m.nexus_del.nexus = n;
		send_msg(&fe, &m);
	}
	quiet(&fe, 100);
}
