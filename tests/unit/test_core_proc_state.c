/* test-core-proc, continued: the core state segment (procs/core/core_state.c)
 * across SIGKILLs of the core, and what a re-submitted command may do. All on
 * LUN 1 (4 KiB blocks, no reservation from the earlier tests). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procs/core/core_pr_store.h"
#include "shm/msg.h"
#include "tests/unit/core_proc.h"

#define DEMO "iqn.2026-11.org.mtgt:demo"
#define LUN  1

static void kill_and_start(const char *bin)
{
	kill(core_pid, SIGKILL);
	waitpid(core_pid, NULL, 0);
	core_pid = -1;
	close(ctl);
	start_core(bin);
}

static struct msg_cmd prout_cmd(uint32_t nexus, uint8_t sa, uint64_t key, uint64_t sakey)
{
	uint8_t cdb[10] = { 0x5f, sa, 0, 0, 0, 0, 0, 0, 24, 0 };
	struct buf_handle h = fe_buf(8192, 24);
	struct msg_cmd c;

	memset(bufp(h), 0, 24);
	for (int i = 0; i < 8; i++) {
		bufp(h)[i] = (uint8_t)(key >> (56 - 8 * i));
		bufp(h)[8 + i] = (uint8_t)(sakey >> (56 - 8 * i));
	}
	c = mkcmd(nexus, LUN, cdb, 10, MSG_DIR_WRITE, 24, h);
	c.imm_len = 24;
	return c;
}

/* How many times key is registered on LUN 1. */
static int key_count(uint32_t nexus, uint64_t key)
{
	uint8_t cdb[10] = { 0x5e, 0, 0, 0, 0, 0, 0, 0x04, 0, 0 };
	struct buf_handle h = fe_buf(8192, 1024);
	struct msg_cmd_rsp rsp;
	uint8_t *p = bufp(h);
	uint32_t len;
	int n = 0;

	memset(p, 0, 1024);
	rsp = do_cmd(mkcmd(nexus, LUN, cdb, 10, MSG_DIR_READ, 1024, h));
	if (rsp.status != SCSI_GOOD)
		return -1;
	len = (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	for (uint32_t off = 8; off + 8 <= 8 + len && off + 8 <= 1024; off += 8) {
		uint64_t k = 0;

		for (int i = 0; i < 8; i++)
			k = k << 8 | p[off + i];
		n += k == key;
	}
	return n;
}

static struct msg_cmd_rsp tur(uint32_t nexus)
{
	uint8_t cdb[6] = { TEST_UNIT_READY };

	return do_cmd(mkcmd(nexus, LUN, cdb, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
}

/* D_SENSE on in the control page of LUN 1, from nexus. */
static int set_dsense(uint32_t nexus)
{
	uint8_t ms[6] = { MODE_SENSE_6, 0x08, 0x0a, 0, 255, 0 };
	uint8_t sel[6] = { 0x15, 0x10, 0, 0, 16, 0 };
	struct buf_handle h = fe_buf(8192, 255), p = fe_buf(12288, 16);
	struct msg_cmd c;

	if (do_cmd(mkcmd(nexus, LUN, ms, 6, MSG_DIR_READ, 255, h)).status != SCSI_GOOD)
		return -1;
	memset(bufp(p), 0, 4);
	memcpy(bufp(p) + 4, bufp(h) + 4, 12);
	bufp(p)[4] &= 0x7f;  /* PS is reserved in MODE SELECT */
	bufp(p)[6] |= 0x04;  /* D_SENSE */
	c = mkcmd(nexus, LUN, sel, 6, MSG_DIR_WRITE, 16, p);
	c.imm_len = 16;
	return do_cmd(c).status;
}

/* SET TARGET PORT GROUPS: group 1 to `state`. */
static int stpg(uint32_t nexus, uint8_t state)
{
	uint8_t cdb[12] = { 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0 };
	struct buf_handle h = fe_buf(12288, 8);
	struct msg_cmd c;

	memset(bufp(h), 0, 8);
	bufp(h)[4] = state;
	bufp(h)[7] = 1;
	c = mkcmd(nexus, LUN, cdb, 12, MSG_DIR_WRITE, 8, h);
	c.imm_len = 8;
	return do_cmd(c).status;
}

/* REPORT TARGET PORT GROUPS: the state of the first group, or -1. */
static int rtpg(uint32_t nexus)
{
	uint8_t cdb[12] = { 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct buf_handle h = fe_buf(8192, 256);

	memset(bufp(h), 0, 256);
	if (do_cmd(mkcmd(nexus, LUN, cdb, 12, MSG_DIR_READ, 256, h)).status != SCSI_GOOD)
		return -1;
	return bufp(h)[4] & 0x0f;
}

void test_state_segment(const char *bin)
{
	uint8_t caw[16] = { COMPARE_AND_WRITE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 };
	struct msg_cmd reg, c;
	struct msg_cmd_rsp rsp;
	union msg m, r;
	uint64_t gen;
	char *old;
	size_t len;

	seg_fd = memfd_create("test-core-state", MFD_CLOEXEC);
	REQUIRE(seg_fd >= 0 && ftruncate(seg_fd, 2 * (off_t)PR_STORE_SLOT_SIZE) == 0);
	kill_and_start(bin);

	/* state worth keeping: a registration (not APTPL), a mode change, and
	 * the unit attention it queues for the other nexus */
	CHECK(nexus_add(21, "iqn.2026-11.org.test:replay", DEMO) == 0);
	CHECK(nexus_add(22, "iqn.2026-11.org.test:ua", DEMO) == 0);
	CHECK(tur(21).status == SCSI_CHECK_CONDITION);   /* POWER ON */
	CHECK(tur(22).status == SCSI_CHECK_CONDITION);
	CHECK(tur(22).status == SCSI_GOOD);
	CHECK(stpg(21, 1) == SCSI_GOOD);                  /* ALUA: active/non-optimized */
	rsp = tur(22);                                    /* 2A/06 for the other nexus */
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x2a && rsp.sense[13] == 0x06);
	CHECK(tur(22).status == SCSI_GOOD);
	reg = prout_cmd(21, 0, 0, 0xAB);                  /* REGISTER */
	CHECK(do_cmd(reg).status == SCSI_GOOD);
	CHECK(set_dsense(21) == SCSI_GOOD);

	kill_and_start(bin);

	/* the UA queued before the kill, in the restored descriptor format */
	rsp = tur(22);
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[0] == 0x72 &&
	      (rsp.sense[1] & 0xf) == SK_UNIT_ATTENTION && rsp.sense[2] == 0x2a &&
	      rsp.sense[3] == 0x01);
	CHECK(tur(22).status == SCSI_GOOD);
	CHECK(rtpg(21) == 1);                             /* the ALUA state too */
	/* the PR OUT re-submitted with its tag: answered, not applied again
	 * (applied again it would conflict: 21 is registered now) */
	reg.h.flags = MSG_FLAG_REPLAY;
	CHECK(do_cmd(reg).status == SCSI_GOOD);
	CHECK(key_count(21, 0xAB) == 1);
	c = prout_cmd(21, 0, 0, 0xAB);                    /* a new one: it runs */
	CHECK(do_cmd(c).status == 0x18);
	/* COMPARE AND WRITE re-submitted: retryable, never run twice */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(21, LUN, caw, 16, MSG_DIR_WRITE, 8192, fe_buf(16384, 8192));
	m.cmd.imm_len = 8192;
	m.cmd.h.flags = MSG_FLAG_REPLAY;
	rsp = do_cmd(m.cmd);
	CHECK(rsp.status == SCSI_CHECK_CONDITION && (rsp.sense[1] & 0xf) == SK_ABORTED_COMMAND);
	/* a re-sent login of a restored nexus is answered as accepted; a re-sent
	 * NEXUS_DEL of a nexus the old core already removed is no violation */
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_NEXUS_DEL;
	m.h.flags = MSG_FLAG_REPLAY;
	m.nexus_del.nexus = 77;
	send_msg(&fe, &m);
	{
		struct buf_handle h = fe_buf(0, 4096);
		const char *ini = "iqn.2026-11.org.test:ua";

		memcpy(bufp(h), ini, strlen(ini) + 1);
		memcpy(bufp(h) + strlen(ini) + 1, DEMO, sizeof(DEMO));
		memset(&m, 0, sizeof(m));
		m.h.type = MSG_NEXUS_ADD;
		m.h.flags = MSG_FLAG_REPLAY;
		m.h.tag = next_tag++;
		m.nexus_add.nexus = 22;
		m.nexus_add.buf = h;
		send_msg(&fe, &m);
		r = recv_msg(&fe, 2000);
		CHECK(r.h.type == MSG_NEXUS_ADDED && r.nexus_added.result == 0);
	}
	CHECK(tur(22).status == SCSI_GOOD);   /* no new POWER ON: same nexus */

	/* the frontend was replaced while no core ran: its sessions are gone,
	 * the same ports see I_T NEXUS LOSS, the registration stays */
	fe_epoch = FE_EPOCH + 100;
	kill_and_start(bin);
	CHECK(nexus_add(22, "iqn.2026-11.org.test:ua", DEMO) == 0);   /* a new login */
	rsp = tur(22);
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[2] == 0x29 && rsp.sense[3] == 0x07);
	CHECK(nexus_add(21, "iqn.2026-11.org.test:replay", DEMO) == 0);
	CHECK(tur(21).status == SCSI_CHECK_CONDITION);
	CHECK(key_count(21, 0xAB) == 1);

	/* A compromised core wrote a well-formed but lying segment: refused,
	 * the new core runs on the APTPL file alone (nothing of the above) */
	REQUIRE(pr_store_read(seg_fd, &gen, &old, &len) == 0);
	free(old);
	const char *bad = "{\"version\":1,\"epoch\":1,\"luns\":[],\"nexuses\":[{\"link\":1,\"fe_epoch\":107,\"port\":1,\"async\":false,"
		"\"id\":21,\"isid\":\"0\",\"initiator\":\"x\",\"target\":\"" DEMO "\","
		"\"ua\":[1,\"boom\"],\"pr_tag\":\"0\",\"pr_status\":0,\"pr_sense\":\"\"}]}";
	REQUIRE(pr_store_write(seg_fd, gen + 1, bad, strlen(bad)) == 0);
	kill_and_start(bin);
	CHECK(nexus_add(21, "iqn.2026-11.org.test:replay", DEMO) == 0); /* not restored */
	CHECK(tur(21).status == SCSI_CHECK_CONDITION);   /* POWER ON: a new nexus */
	CHECK(key_count(21, 0xAB) == 0);
	rsp = tur(21);
	CHECK(rsp.status == SCSI_GOOD);
	/* garbage that is not even a slot: refused the same way */
	REQUIRE(pwrite(seg_fd, "garbage!", 8, 0) == 8 &&
		pwrite(seg_fd, "garbage!", 8, PR_STORE_SLOT_SIZE) == 8);
	kill_and_start(bin);
	CHECK(nexus_add(21, "iqn.2026-11.org.test:replay", DEMO) == 0);
	CHECK(nexus_add(1, "iqn.2026-11.org.test:one", DEMO) == 0);
}

static bool lun0_sense(const struct msg_cmd_rsp *r, uint8_t key, uint16_t asc)
{
	return r->status == SCSI_CHECK_CONDITION && (r->sense[2] & 0x0f) == key &&
	       r->sense[12] == asc >> 8 && r->sense[13] == (asc & 0xff);
}

static struct msg_cmd_rsp tur0(void)
{
	uint8_t cdb[6] = { TEST_UNIT_READY };

	return do_cmd(mkcmd(1, 0, cdb, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
}

/* SANITIZE across core restarts (core_sanitize.c, key "sanitize"): a running
 * OVERWRITE resumes where the segment says, not from the start and not
 * forgotten; a failed one stays in failure mode. LUN 0, nexus 1. */
void test_state_sanitize(const char *bin)
{
	static const uint8_t ow[8] = { 0x01, 0, 0, 4, 0xfe, 0xed, 0xfa, 0xce };
	uint8_t san[10] = { SANITIZE, 0x81, 0, 0, 0, 0, 0, 0, 8, 0 };   /* IMMED, OVERWRITE */
	uint8_t efm[10] = { SANITIZE, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct buf_handle h = fe_buf(65536, 8);
	struct msg_cmd_rsp r;
	struct msg_io io;
	struct msg_cmd c;
	union msg m;
	bool ok = true;
	int i;

	/* 1 MiB/s: the kill below falls between two pieces */
	setenv("MTGT_CORE_SANITIZE_MIBS", "1", 1);
	kill_and_start(bin);
	for (i = 0; i < 5 && tur0().status != SCSI_GOOD; i++)
		;
	memcpy(bufp(h), ow, sizeof(ow));
	c = mkcmd(1, 0, san, 10, MSG_DIR_WRITE, 8, h);
	c.imm_len = 8;
	CHECK(do_cmd(c).status == SCSI_GOOD);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 0);
	usleep(100000);                  /* past CORE_STATE_LAZY_MS: the answer below saves */
	r = tur0();
	CHECK(lun0_sense(&r, SK_NOT_READY, 0x041b));
	kill_and_start(bin);
	/* the new core goes on at the second piece */
	{
		uint32_t first = io.length;

		io = be_serve(&be, 0);
		CHECK(io.op == MSG_IO_WRITE && io.offset == first);
	}
	r = tur0();
	CHECK(lun0_sense(&r, SK_NOT_READY, 0x041b));
	for (uint64_t done = io.offset + io.length; done < DISK_BYTES;)
		done += be_serve(&be, 0).length;
	usleep(50000);
	CHECK(tur0().status == SCSI_GOOD);
	for (uint32_t k = 0; k < DISK_BYTES && ok; k++)
		ok = disk[k] == ow[4 + (k % 512) % 4];
	CHECK(ok);

	/* failed without AUSE: failure mode survives, EXIT FAILURE MODE may not
	 * end it, a good sanitize does */
	san[1] = 0x01;
	memcpy(bufp(h), ow, sizeof(ow));   /* each start_core() makes a new pool */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, san, 10, MSG_DIR_WRITE, 8, h);
	m.cmd.imm_len = 8;
	send_msg(&fe, &m);
	be_serve(&be, -EIO);
	m = recv_msg(&fe, 2000);
	CHECK(m.h.type == MSG_CMD_RSP && lun0_sense(&m.cmd_rsp, SK_MEDIUM_ERROR, 0x3103));
	kill_and_start(bin);
	r = tur0();
	CHECK(lun0_sense(&r, SK_MEDIUM_ERROR, 0x3100));
	r = do_cmd(mkcmd(1, 0, efm, 10, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(lun0_sense(&r, SK_ILLEGAL_REQUEST, 0x2400));
	setenv("MTGT_CORE_SANITIZE_MIBS", "0", 1);
	kill_and_start(bin);             /* unpaced from here; still failed */
	r = tur0();
	CHECK(lun0_sense(&r, SK_MEDIUM_ERROR, 0x3100));
	san[1] = 0x81;
	memcpy(bufp(h), ow, sizeof(ow));
	c = mkcmd(1, 0, san, 10, MSG_DIR_WRITE, 8, h);
	c.imm_len = 8;
	CHECK(do_cmd(c).status == SCSI_GOOD);
	for (uint64_t done = 0; done < DISK_BYTES;)
		done += be_serve(&be, 0).length;
	usleep(50000);
	CHECK(tur0().status == SCSI_GOOD);
	unsetenv("MTGT_CORE_SANITIZE_MIBS");
}

/* A non-IMMED SANITIZE OVERWRITE parked on its job, the core killed after
 * the first piece, a new (unpaced) core started: returns the command as the
 * frontend re-submits it (same tag, MSG_FLAG_REPLAY). Returns the bytes the
 * first piece wrote in *first. */
static union msg san_parked_then_kill_edit(const char *bin, uint32_t *first,
					  void (*edit)(void))
{
	static const uint8_t ow[8] = { 0x01, 0, 0, 4, 0x5a, 0xa5, 0x0f, 0xf0 };
	uint8_t san[10] = { SANITIZE, 0x01, 0, 0, 0, 0, 0, 0, 8, 0 };   /* OVERWRITE */
	struct buf_handle h = fe_buf(65536, 8);
	struct msg_cmd_rsp r;
	union msg m;
	int i;

	setenv("MTGT_CORE_SANITIZE_MIBS", "1", 1);   /* the kill falls between pieces */
	kill_and_start(bin);
	for (i = 0; i < 5 && tur0().status != SCSI_GOOD; i++)
		;
	memcpy(bufp(h), ow, sizeof(ow));
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, san, 10, MSG_DIR_WRITE, 8, h);
	m.cmd.imm_len = 8;
	send_msg(&fe, &m);
	*first = be_serve(&be, 0).length;
	CHECK(quiet(&fe, 150));          /* parked; past CORE_STATE_LAZY_MS: */
	r = tur0();                      /* this answer saves the progress */
	CHECK(lun0_sense(&r, SK_NOT_READY, 0x041b));
	setenv("MTGT_CORE_SANITIZE_MIBS", "0", 1);
	kill(core_pid, SIGKILL);
	waitpid(core_pid, NULL, 0);
	core_pid = -1;
	close(ctl);
	if (edit)
		edit();
	start_core(bin);
	memcpy(bufp(h), ow, sizeof(ow)); /* each start_core() makes a new pool */
	m.cmd.h.flags = MSG_FLAG_REPLAY;
	return m;
}

static union msg san_parked_then_kill(const char *bin, uint32_t *first)
{
	return san_parked_then_kill_edit(bin, first, NULL);
}

/* The LU "was resized" while no core ran: the saved sanitize names another
 * size, so the new core cannot resume it. */
static void san_edit_size(void)
{
	uint64_t gen;
	size_t len;
	char *seg, *p, *q;

	REQUIRE(pr_store_read(seg_fd, &gen, &seg, &len) == 0);
	p = strstr(seg, "\"lu_bytes\":4194304");
	REQUIRE(p);
	q = p + strlen("\"lu_bytes\":");
	memcpy(q, "8388608", 7);         /* same length: 8 MiB */
	REQUIRE(pr_store_write(seg_fd, gen + 1, seg, len) == 0);
	free(seg);
}

static bool san_disk_ok(void)
{
	static const uint8_t pat[4] = { 0x5a, 0xa5, 0x0f, 0xf0 };

	for (uint32_t k = 0; k < DISK_BYTES; k++)
		if (disk[k] != pat[k % 4])
			return false;
	return true;
}

/* The non-IMMED SANITIZE re-submitted after a core restart (core_sanitize.c,
 * "waiter" of the "sanitize" state entry): it waits for the resumed job and
 * gets its outcome (GOOD, or MEDIUM ERROR 31/03), also when the job ended
 * before it arrived; a new SANITIZE meanwhile still meets SANITIZE IN
 * PROGRESS, and a re-submission that names another tag is not the waiter. */
void test_state_sanitize_replay(const char *bin)
{
	uint8_t san[10] = { SANITIZE, 0x01, 0, 0, 0, 0, 0, 0, 8, 0 };
	uint8_t san_immed[10] = { SANITIZE, 0x81, 0, 0, 0, 0, 0, 0, 8, 0 };
	struct buf_handle h = fe_buf(65536, 8);
	struct msg_cmd_rsp r;
	struct msg_cmd c;
	uint32_t first;
	union msg m, a;

	/* 1: re-submitted while the resumed job runs, answered at its end */
	memset(disk, 0, DISK_BYTES);
	m = san_parked_then_kill(bin, &first);
	send_msg(&fe, &m);
	CHECK(quiet(&fe, 100));                          /* parked again */
	c = mkcmd(1, 0, san, 10, MSG_DIR_WRITE, 8, h);   /* a new one: refused */
	c.imm_len = 8;
	r = do_cmd(c);
	CHECK(lun0_sense(&r, SK_NOT_READY, 0x041b));
	c = m.cmd;                                       /* another tag: not the waiter */
	c.h.tag = next_tag++;
	r = do_cmd(c);
	CHECK(lun0_sense(&r, SK_NOT_READY, 0x041b));
	{
		struct msg_io io = be_serve(&be, 0);

		CHECK(io.op == MSG_IO_WRITE && io.offset == first);   /* resumed, not restarted */
		for (uint64_t done = io.offset + io.length; done < DISK_BYTES;)
			done += be_serve(&be, 0).length;
	}
	a = recv_msg(&fe, 2000);
	CHECK(a.h.type == MSG_CMD_RSP && a.h.tag == m.h.tag && a.cmd_rsp.status == SCSI_GOOD);
	CHECK(san_disk_ok());
	CHECK(tur0().status == SCSI_GOOD);

	/* 2: the resumed job ended before the re-submission: its outcome,
	 * nothing run again */
	memset(disk, 0, DISK_BYTES);
	m = san_parked_then_kill(bin, &first);
	for (uint64_t done = first; done < DISK_BYTES;)
		done += be_serve(&be, 0).length;
	CHECK(quiet(&fe, 50));
	send_msg(&fe, &m);
	a = recv_msg(&fe, 2000);
	CHECK(a.h.type == MSG_CMD_RSP && a.h.tag == m.h.tag && a.cmd_rsp.status == SCSI_GOOD);
	CHECK(quiet(&be, 100));
	CHECK(san_disk_ok());
	for (int i = 0; i < 5 && tur0().status != SCSI_GOOD; i++)
		;
	send_msg(&fe, &m);                               /* answered once only: now a new one */
	for (uint64_t done = 0; done < DISK_BYTES;)
		done += be_serve(&be, 0).length;
	a = recv_msg(&fe, 2000);
	CHECK(a.h.type == MSG_CMD_RSP && a.h.tag == m.h.tag && a.cmd_rsp.status == SCSI_GOOD);

	/* 3: the resumed job fails: the re-submitted command says so */
	m = san_parked_then_kill(bin, &first);
	send_msg(&fe, &m);
	CHECK(quiet(&fe, 100));
	be_serve(&be, -EIO);
	a = recv_msg(&fe, 2000);
	CHECK(a.h.type == MSG_CMD_RSP && a.h.tag == m.h.tag &&
	      lun0_sense(&a.cmd_rsp, SK_MEDIUM_ERROR, 0x3103));
	r = tur0();
	CHECK(lun0_sense(&r, SK_MEDIUM_ERROR, 0x3100));

	/* 4: the job cannot resume in the new core (the LU changed size): the
	 * re-submitted command says it failed, nothing is written */
	m = san_parked_then_kill_edit(bin, &first, san_edit_size);
	send_msg(&fe, &m);
	a = recv_msg(&fe, 2000);
	CHECK(a.h.type == MSG_CMD_RSP && a.h.tag == m.h.tag &&
	      lun0_sense(&a.cmd_rsp, SK_MEDIUM_ERROR, 0x3103));
	CHECK(quiet(&be, 100));
	r = tur0();
	CHECK(lun0_sense(&r, SK_MEDIUM_ERROR, 0x3100));
	/* a good sanitize ends the failure mode */
	c = mkcmd(1, 0, san_immed, 10, MSG_DIR_WRITE, 8, h);
	c.imm_len = 8;
	CHECK(do_cmd(c).status == SCSI_GOOD);
	for (uint64_t done = 0; done < DISK_BYTES;)
		done += be_serve(&be, 0).length;
	usleep(50000);
	CHECK(tur0().status == SCSI_GOOD);
	unsetenv("MTGT_CORE_SANITIZE_MIBS");
}
