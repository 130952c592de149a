/* Process-level test of mtgt-core: this program plays supervisor, frontend and
 * backend. It creates the pool and links, starts mtgt-core with fd 3 = control
 * socket, sends CTL_INIT, then drives commands over real rings: nexus and ACL,
 * discovery, unit attention, emulated commands, WRITE with XFER_RDY, READ,
 * errors, ABORT TASK while the backend holds the buffer, backend restart with
 * reissue, frontend loss with LINK_DRAINED, a protocol violation and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/ctl.h"
#include "shm/link.h"
#include "shm/pool.h"
#include "procs/core/scsi.h"

#include "tests/unit/core_proc.h"

int failures;
struct pool pool;
struct link fe, be;
int ctl = -1;
pid_t core_pid = -1;
uint8_t disk[DISK_BYTES];
uint64_t next_tag = 100;
int state_fd = -1;   /* the APTPL state file handed to every core */
int seg_fd = -1;     /* the core state segment, once a test hands one over */
uint32_t fe_epoch = FE_EPOCH; /* the frontend incarnation start_core() plays */

void finish(int fail)
{
	if (core_pid > 0) {
		kill(core_pid, SIGKILL);
		waitpid(core_pid, NULL, 0);
	}
	exit(fail || failures ? 1 : 0);
}

struct mklink { int memfd; size_t len; int efd_a, efd_b; };

static void make_link(struct mklink *k, uint32_t ea, uint32_t eb)
{
	REQUIRE(link_create(64, ea, eb, &k->memfd, &k->len) == 0);
	k->efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	k->efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	REQUIRE(k->efd_a >= 0 && k->efd_b >= 0);
}

static int ctl_wait(struct ctl_msg *m, int ms)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return 0;
	return ctl_recv(ctl, m);
}

/* Wait for a control message of `type`, skipping others (PONG, STATS). */
static bool ctl_expect(uint32_t type, char *payload, size_t cap)
{
	for (int i = 0; i < 20; i++) {
		struct ctl_msg m;

		if (ctl_wait(&m, 2000) != 1)
			return false;
		if (m.type == type) {
			if (payload)
				snprintf(payload, cap, "%s", m.data ? m.data : "");
			ctl_msg_free(&m);
			return true;
		}
		ctl_msg_free(&m);
	}
	return false;
}

void send_msg(struct link *l, const union msg *m)
{
	union msg *e;
	int err = 0;

	for (int i = 0; i < 1000 && !(e = ring_prod_reserve(&l->tx, &err)); i++)
		usleep(1000);
	REQUIRE(e);
	memcpy(e, m, sizeof(*m));
	ring_prod_push(&l->tx);
	ring_prod_publish(&l->tx);
}

/* Next message on l within ~2 s, or type MSG_NONE. */
union msg recv_msg(struct link *l, int ms)
{
	union msg m;

	memset(&m, 0, sizeof(m));
	for (int i = 0; i < ms / 10 + 1; i++) {
		int r = ring_cons_pop(&l->rx, &m);

		if (r == 1) {
			ring_cons_release(&l->rx);
			return m;
		}
		REQUIRE(r == 0);
		link_wait(l, 100, 10);
	}
	m.h.type = MSG_NONE;
	return m;
}

bool quiet(struct link *l, int ms)
{
	union msg m = recv_msg(l, ms);

	return m.h.type == MSG_NONE;
}

/* ---- frontend helpers ---- */

struct buf_handle fe_buf(uint32_t off, uint32_t len)
{
	struct buf_handle h = { .arena = FE_ARENA, .offset = off, .length = len };

	return h;
}

uint8_t *bufp(struct buf_handle h)
{
	return pool_ptr(&pool, &h);
}

int nexus_add(uint32_t id, const char *ini, const char *tgt)
{
	struct buf_handle h = fe_buf(0, 4096);
	union msg m, r;
	size_t a = strlen(ini) + 1;

	memcpy(bufp(h), ini, a);
	memcpy(bufp(h) + a, tgt, strlen(tgt) + 1);
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_NEXUS_ADD;
	m.h.tag = next_tag++;
	m.nexus_add.nexus = id;
	m.nexus_add.buf = h;
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_NEXUS_ADDED);
	CHECK(r.h.tag == m.h.tag);
	CHECK(r.nexus_added.nexus == id);
	return r.nexus_added.result;
}

struct msg_cmd mkcmd(uint32_t nexus, uint32_t lun, const uint8_t *cdb, unsigned cdb_len,
			    uint8_t dir, uint32_t edtl, struct buf_handle h)
{
	struct msg_cmd c;

	memset(&c, 0, sizeof(c));
	c.h.type = MSG_CMD;
	c.h.tag = next_tag++;
	c.nexus = nexus;
	c.dir = dir;
	c.cdb_len = (uint8_t)cdb_len;
	c.lun = (uint64_t)lun << 48;
	c.edtl = edtl;
	c.buf = h;
	memcpy(c.cdb, cdb, cdb_len);
	return c;
}

struct msg_cmd_rsp do_cmd(struct msg_cmd c)
{
	union msg m, r;

	memset(&m, 0, sizeof(m));
	m.cmd = c;
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_CMD_RSP);
	CHECK(r.h.tag == c.h.tag);
	return r.cmd_rsp;
}

/* Serve one backend I/O from `disk`; returns the I/O served. */
struct msg_io be_serve(struct link *l, int result)
{
	union msg m = recv_msg(l, 2000), d;

	REQUIRE(m.h.type == MSG_IO);
	struct msg_io io = m.io;
	uint8_t *p = io.op == MSG_IO_FLUSH ? NULL : pool_ptr(&pool, &io.buf);

	CHECK(io.op == MSG_IO_FLUSH || (p && io.buf.length == io.length));
	CHECK(io.op == MSG_IO_FLUSH || io.offset + io.length <= DISK_BYTES);
	if (!result && io.op == MSG_IO_READ && p)
		memcpy(p, disk + io.offset, io.length);
	if (!result && io.op == MSG_IO_WRITE && p)
		memcpy(disk + io.offset, p, io.length);
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.result = result;
	d.io_done.length = result ? 0 : (uint32_t)io.length;
	send_msg(l, &d);
	return io;
}

void start_core(const char *bin)
{
	uint64_t sizes[2] = { 1u << 20, 32u << 20 };
	struct mklink kf, kb;
	int sv[2];
	char *js;

	REQUIRE(pool_create(&pool, 2, sizes) == 0);
	make_link(&kf, fe_epoch, CORE_EPOCH);  /* frontend is side a */
	make_link(&kb, CORE_EPOCH, BE_EPOCH);  /* core is side a */
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);

	json_t *init = json_pack(
		"{s:s, s:s, s:i, s:i,"
		" s:{s:i, s:I, s:s, s:[{s:I, s:I}, {s:I, s:I}]},"
		" s:[{s:i, s:i, s:I, s:s, s:i, s:i, s:i, s:i},"
		"    {s:i, s:i, s:I, s:s, s:i, s:i, s:i, s:s}],"
		" s:{s:[{s:s, s:[s], s:[{s:i, s:i, s:i, s:I, s:i, s:s, s:b, s:b},"
		"                        {s:i, s:i, s:i, s:I, s:i, s:s, s:b}]},"
		"       {s:s, s:[s], s:[]}]}}",
		"name", "core", "kind", "core", "epoch", CORE_EPOCH, "core_arena", 0,
		"pool", "fd", 4, "size", (json_int_t)pool.size, "map", "all", "arenas",
		"offset", (json_int_t)pool.arenas[0].offset, "size", (json_int_t)pool.arenas[0].size,
		"offset", (json_int_t)pool.arenas[1].offset, "size", (json_int_t)pool.arenas[1].size,
		"links",
		"id", FE_LINK, "fd", 5, "len", (json_int_t)kf.len, "side", "b", "wake_self", 6,
		"wake_peer", 7, "peer_epoch", fe_epoch, "arena", FE_ARENA,
		"id", BE_LINK, "fd", 8, "len", (json_int_t)kb.len, "side", "a", "wake_self", 9,
		"wake_peer", 10, "peer_epoch", BE_EPOCH, "peer", "backend-test",
		"config", "targets",
		"name", "iqn.2026-11.org.mtgt:demo", "initiators", "*", "luns",
		"lun", 0, "link", BE_LINK, "dev", 0, "size", (json_int_t)DISK_BYTES, "block_size", 512,
		"backend", "file", "readonly", 0, "thin", 1,
		"lun", 1, "link", BE_LINK, "dev", 1, "size", (json_int_t)DISK_BYTES, "block_size", 4096,
		"backend", "ram", "readonly", 1,
		"name", "iqn.2026-11.org.mtgt:private", "initiators", "iqn.2026-11.org.test:Allowed",
		"luns");
	REQUIRE(init);
	json_object_set_new(init, "state", json_pack("{s:i, s:s}", "fd", 11, "path", "test-state"));
	if (seg_fd >= 0)
		json_object_set_new(init, "state_seg", json_pack("{s:i}", "fd", 12));
	js = json_dumps(init, JSON_COMPACT);

	core_pid = fork();
	REQUIRE(core_pid >= 0);
	if (core_pid == 0) {
		int src[10] = { sv[1], pool.fd, kf.memfd, kf.efd_b, kf.efd_a, kb.memfd, kb.efd_a,
				kb.efd_b, state_fd, seg_fd };
		int hi[10], n = seg_fd >= 0 ? 10 : 9;

		for (int i = 0; i < n; i++)
			hi[i] = fcntl(src[i], F_DUPFD, 100);
		for (int i = 0; i < n; i++)
			dup2(hi[i], 3 + i);
		execl(bin, "mtgt-core", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	ctl = sv[0];
	REQUIRE(ctl_send(ctl, CTL_INIT, js, strlen(js), NULL, 0) == 0);
	free(js);
	json_decref(init);

	REQUIRE(pool_map_all(&pool) == 0);
	REQUIRE(link_attach(&fe, FE_LINK, kf.memfd, kf.len, LINK_SIDE_A, kf.efd_a, kf.efd_b,
			    fe_epoch, CORE_EPOCH) == 0);
	REQUIRE(link_attach(&be, BE_LINK, kb.memfd, kb.len, LINK_SIDE_B, kb.efd_b, kb.efd_a,
			    BE_EPOCH, CORE_EPOCH) == 0);
	REQUIRE(ctl_expect(CTL_READY, NULL, 0));
}

/* ---- block commands (core_blk.c): several backend I/Os per command ---- */

/* Serve one I/O of any op from `disk`; LBA_STATUS answers `run` bytes with
 * `unmapped`. */
static struct msg_io be_serve_blk(uint32_t run, bool unmapped)
{
	union msg m = recv_msg(&be, 2000), d;
	struct msg_io io;
	uint8_t *p;

	REQUIRE(m.h.type == MSG_IO);
	io = m.io;
	REQUIRE(io.op == MSG_IO_FLUSH || io.offset + io.length <= DISK_BYTES);
	p = io.op == MSG_IO_READ || io.op == MSG_IO_WRITE ? pool_ptr(&pool, &io.buf) : NULL;
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = (uint32_t)io.length;
	switch (io.op) {
	case MSG_IO_READ:
		REQUIRE(p && io.buf.length >= io.length);
		memcpy(p, disk + io.offset, io.length);
		break;
	case MSG_IO_WRITE:
		REQUIRE(p && io.buf.length >= io.length);
		memcpy(disk + io.offset, p, io.length);
		break;
	case MSG_IO_WRITE_ZEROES:
	case MSG_IO_UNMAP:
		memset(disk + io.offset, 0, io.length);
		break;
	case MSG_IO_LBA_STATUS:
		d.h.flags = unmapped ? MSG_IO_DONE_UNMAPPED : 0;
		d.io_done.length = run < io.length ? run : (uint32_t)io.length;
		break;
	}
	send_msg(&be, &d);
	return io;
}

/* Send a write-type command whose data-out is all immediate. */
static void send_imm(const uint8_t *cdb, unsigned len, uint32_t edtl, struct buf_handle h)
{
	union msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, cdb, len, edtl ? MSG_DIR_WRITE : MSG_DIR_NONE, edtl, h);
	m.cmd.imm_len = edtl;
	send_msg(&fe, &m);
}

static struct msg_cmd_rsp fe_rsp(void)
{
	union msg r = recv_msg(&fe, 2000);

	REQUIRE(r.h.type == MSG_CMD_RSP);
	return r.cmd_rsp;
}

static void test_block_commands(void)
{
	struct buf_handle h = fe_buf(65536, 65536);
	uint8_t *b = bufp(h);
	struct msg_io io;
	struct msg_cmd_rsp rsp;

	/* WRITE SAME (10) of a patterned block over 40 blocks at LBA 100: the
	 * core replicates it into its arena and writes it in one piece */
	uint8_t ws10[10] = { WRITE_SAME_10, 0, 0, 0, 0, 100, 0, 0, 40, 0 };
	for (int i = 0; i < 512; i++)
		b[i] = (uint8_t)(i ^ 0x5a);
	send_imm(ws10, 10, 512, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 100 * 512 && io.length == 40 * 512);
	CHECK(io.buf.arena == 0);              /* the core's own arena */
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_GOOD);
	for (int k = 0; k < 40; k++)
		CHECK(!memcmp(disk + (100 + k) * 512, b, 512));

	/* WRITE SAME (16) UNMAP of a zero block on the thin LU: one UNMAP */
	uint8_t ws16[16] = { WRITE_SAME_16, 0x08, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 40, 0, 0 };
	memset(b, 0, 512);
	send_imm(ws16, 16, 512, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_UNMAP && io.offset == 100 * 512 && io.length == 40 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	/* ... NDOB without UNMAP: WRITE_ZEROES, no data-out */
	ws16[1] = 0x01;
	send_imm(ws16, 16, 0, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE_ZEROES && io.length == 40 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	/* ... UNMAP with a non-zero block: unmapped all the same (LBPRZ) */
	ws16[1] = 0x08;
	memset(b, 0xff, 512);
	send_imm(ws16, 16, 512, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_UNMAP && io.length == 40 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	/* the ACA task attribute: no ACA is ever established, so refused */
	{
		uint8_t tur[6] = { TEST_UNIT_READY, 0, 0, 0, 0, 0 };
		union msg m;

		memset(&m, 0, sizeof(m));
		m.cmd = mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, h);
		m.cmd.attr = MSG_TASK_ACA;
		send_msg(&fe, &m);
		rsp = fe_rsp();
		CHECK(rsp.status == SCSI_CHECK_CONDITION && (rsp.sense[2] & 0x0f) == SK_ILLEGAL_REQUEST &&
		      rsp.sense[12] == 0x49 && rsp.sense[13] == 0);
	}
	/* WRITE SAME (10) with 0 blocks: from the LBA through the last block */
	uint8_t wsz[10] = { WRITE_SAME_10, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	scsi_put32(wsz + 2, DISK_BYTES / 512 - 5);
	memset(b, 0x33, 512);
	send_imm(wsz, 10, 512, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == DISK_BYTES - 5 * 512 && io.length == 5 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(disk[DISK_BYTES - 1] == 0x33);

	/* UNMAP: two descriptors, one empty; the backend sees two UNMAPs */
	uint8_t um[10] = { UNMAP, 0, 0, 0, 0, 0, 0, 0, 56, 0 };
	memset(b, 0, 56);
	scsi_put16(b, 54);
	scsi_put16(b + 2, 48);
	scsi_put64(b + 8, 10);  scsi_put32(b + 16, 2);
	scsi_put64(b + 24, 50); scsi_put32(b + 32, 0);
	scsi_put64(b + 40, 60); scsi_put32(b + 48, 3);
	send_imm(um, 10, 56, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_UNMAP && io.offset == 10 * 512 && io.length == 2 * 512);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_UNMAP && io.offset == 60 * 512 && io.length == 3 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	/* ... a store that cannot punch holes: the range is zeroed instead */
	send_imm(um, 10, 56, h);
	{
		union msg q = recv_msg(&be, 2000), d;

		REQUIRE(q.h.type == MSG_IO && q.io.op == MSG_IO_UNMAP);
		memset(&d, 0, sizeof(d));
		d.h.type = MSG_IO_DONE;
		d.h.tag = q.h.tag;
		d.io_done.result = -EOPNOTSUPP;
		send_msg(&be, &d);
	}
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE_ZEROES && io.offset == 10 * 512 && io.length == 2 * 512);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_UNMAP && io.offset == 60 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	/* ... a descriptor past the end: nothing reaches the backend */
	scsi_put64(b + 40, DISK_BYTES / 512 - 1);
	send_imm(um, 10, 56, h);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x21);
	CHECK(quiet(&be, 20));

	/* COMPARE AND WRITE, 2 blocks at LBA 200: a miscompare at byte 700 */
	uint8_t caw[16] = { COMPARE_AND_WRITE, 0, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 2, 0, 0 };
	memcpy(b, disk + 200 * 512, 1024);
	b[700] ^= 1;
	memset(b + 1024, 0xc3, 1024);
	send_imm(caw, 16, 2048, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.offset == 200 * 512 && io.length == 1024);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_CHECK_CONDITION && (rsp.sense[2] & 0x0f) == SK_MISCOMPARE);
	CHECK(rsp.sense[12] == 0x1d && scsi_be32(rsp.sense + 3) == 700);
	CHECK(quiet(&be, 20));                 /* nothing written */
	/* ... then equal: read, then the second half is written with FUA */
	b[700] ^= 1;
	caw[1] = 0x08;
	send_imm(caw, 16, 2048, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && !(io.h.flags & MSG_IO_FUA));
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 200 * 512 && io.length == 1024);
	CHECK(io.h.flags & MSG_IO_FUA);
	CHECK(io.buf.arena == FE_ARENA && io.buf.offset == h.offset + 1024);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(disk[200 * 512] == 0xc3 && disk[202 * 512 - 1] == 0xc3);
	/* ... a data-out that does not match the block count */
	send_imm(caw, 16, 1024, h);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x24);

	/* ORWRITE: read, OR, write */
	uint8_t orw[16] = { ORWRITE_16, 0, 0, 0, 0, 0, 0, 0, 0, 210, 0, 0, 0, 1, 0, 0 };
	memset(disk + 210 * 512, 0x0f, 512);
	memset(b, 0xf0, 512);
	send_imm(orw, 16, 512, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.offset == 210 * 512);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 210 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(disk[210 * 512] == 0xff && disk[211 * 512 - 1] == 0xff);

	/* WRITE AND VERIFY: write, read back, compare */
	uint8_t wv[10] = { WRITE_VERIFY_10, 0x02, 0, 0, 0, 220, 0, 0, 2, 0 };
	memset(b, 0x77, 1024);
	send_imm(wv, 10, 1024, h);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 220 * 512 && io.length == 1024);
	disk[220 * 512 + 5] = 0;               /* the medium "lost" a byte */
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.length == 1024);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_CHECK_CONDITION && (rsp.sense[2] & 0x0f) == SK_MISCOMPARE);
	CHECK(scsi_be32(rsp.sense + 3) == 5);

	/* GET LBA STATUS from LBA 8: 8 mapped blocks, then 100 unmapped, then
	 * mapped to the end (two queries merge into one descriptor) */
	struct buf_handle hr = fe_buf(65536, 4096);
	uint8_t gls[16] = { SERVICE_ACTION_IN_16, SAI_GET_LBA_STATUS, 0, 0, 0, 0, 0, 0, 0, 8,
			    0, 0, 0x10, 0, 0, 0 };
	union msg m;
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, gls, 16, MSG_DIR_READ, 4096, hr);
	send_msg(&fe, &m);
	io = be_serve_blk(8 * 512, false);
	CHECK(io.op == MSG_IO_LBA_STATUS && io.offset == 8 * 512);
	io = be_serve_blk(60 * 512, true);
	CHECK(io.offset == 16 * 512);
	io = be_serve_blk(40 * 512, true);
	CHECK(io.offset == 76 * 512);
	io = be_serve_blk(DISK_BYTES, false);
	CHECK(io.offset == 116 * 512);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_GOOD && rsp.data_len == 8 + 3 * 16);
	b = bufp(hr);
	CHECK(scsi_be32(b) == 4 + 3 * 16);
	CHECK(scsi_be64(b + 8) == 8 && scsi_be32(b + 16) == 8 && b[20] == 0);
	CHECK(scsi_be64(b + 24) == 16 && scsi_be32(b + 32) == 100 && b[36] == 1);
	CHECK(scsi_be64(b + 40) == 116 && scsi_be32(b + 48) == DISK_BYTES / 512 - 116 && b[52] == 0);
	/* ... a backend that answers nonsense (a run of 0) is an error, not a hang */
	send_msg(&fe, &m);
	m.cmd.h.tag = next_tag++;
	io = be_serve_blk(0, false);
	rsp = fe_rsp();
	CHECK(rsp.status == SCSI_CHECK_CONDITION && (rsp.sense[2] & 0x0f) == SK_MEDIUM_ERROR);
}

/* COMPARE AND WRITE excludes overlapping writes, not the others. */
static void test_lba_exclusion(void)
{
	struct buf_handle hc = fe_buf(65536, 4096), hw = fe_buf(131072, 512);
	struct buf_handle hw2 = fe_buf(196608, 512);
	uint8_t caw[16] = { COMPARE_AND_WRITE, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2c, 0, 0, 0, 1, 0, 0 };
	uint8_t w300[10] = { WRITE_10, 0, 0, 0, 0x01, 0x2c, 0, 0, 1, 0 };
	uint8_t w400[10] = { WRITE_10, 0, 0, 0, 0x01, 0x90, 0, 0, 1, 0 };
	union msg q, d, r;
	struct msg_io io;

	memcpy(bufp(hc), disk + 300 * 512, 512);
	memset(bufp(hc) + 512, 0xab, 512);
	memset(bufp(hw), 0x11, 512);
	memset(bufp(hw2), 0x22, 512);
	/* the CAW's read is held by the backend */
	send_imm(caw, 16, 1024, hc);
	q = recv_msg(&be, 2000);
	REQUIRE(q.h.type == MSG_IO && q.io.op == MSG_IO_READ && q.io.offset == 300 * 512);
	/* a write to the same block waits; one elsewhere goes ahead */
	send_imm(w300, 10, 512, hw);
	send_imm(w400, 10, 512, hw2);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 400 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(quiet(&be, 50));
	/* the read comes back: the CAW writes, then the held write runs */
	memcpy(pool_ptr(&pool, &q.io.buf), disk + 300 * 512, 512);
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = q.h.tag;
	d.io_done.length = 512;
	send_msg(&be, &d);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 300 * 512 && io.buf.offset == hc.offset + 512);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 300 * 512 && io.buf.offset == hw.offset);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(disk[300 * 512] == 0x11);

	/* the other way round: a write in flight holds back an overlapping CAW */
	send_imm(w300, 10, 512, hw);
	q = recv_msg(&be, 2000);
	REQUIRE(q.h.type == MSG_IO && q.io.op == MSG_IO_WRITE);
	memcpy(bufp(hc), bufp(hw), 512);       /* compares equal once written */
	send_imm(caw, 16, 1024, hc);
	CHECK(quiet(&be, 50));
	memcpy(disk + 300 * 512, pool_ptr(&pool, &q.io.buf), 512);
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = q.h.tag;
	d.io_done.length = 512;
	send_msg(&be, &d);
	CHECK(fe_rsp().status == SCSI_GOOD);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.offset == 300 * 512);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 300 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	CHECK(disk[300 * 512] == 0xab);

	/* WRITE ATOMIC 16 of LBA 301-302 waits for an overlapping read in
	 * flight and holds back an overlapping read that arrives after it; a
	 * read elsewhere runs; the write reaches the backend as one I/O */
	struct buf_handle hr = fe_buf(262144, 1024), hr2 = fe_buf(327680, 1024);
	struct buf_handle hr3 = fe_buf(393216, 512), ha = fe_buf(458752, 1024);
	uint8_t r300[10] = { READ_10, 0, 0, 0, 0x01, 0x2c, 0, 0, 2, 0 };
	uint8_t r400[10] = { READ_10, 0, 0, 0, 0x01, 0x90, 0, 0, 1, 0 };
	uint8_t wa[16] = { WRITE_ATOMIC_16, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2d, 0, 0, 0, 2, 0, 0 };
	union msg m;

	m.cmd = mkcmd(1, 0, r300, 10, MSG_DIR_READ, 1024, hr);
	send_msg(&fe, &m);
	q = recv_msg(&be, 2000);
	REQUIRE(q.h.type == MSG_IO && q.io.op == MSG_IO_READ && q.io.offset == 300 * 512);
	memset(bufp(ha), 0x77, 1024);
	send_imm(wa, 16, 1024, ha);
	m.cmd = mkcmd(1, 0, r300, 10, MSG_DIR_READ, 1024, hr2);
	send_msg(&fe, &m);
	CHECK(quiet(&be, 50));                 /* the atomic write and the 2nd read wait */
	m.cmd = mkcmd(1, 0, r400, 10, MSG_DIR_READ, 512, hr3);
	send_msg(&fe, &m);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.offset == 400 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);
	memcpy(pool_ptr(&pool, &q.io.buf), disk + 300 * 512, 1024);
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = q.h.tag;
	d.io_done.length = 1024;
	send_msg(&be, &d);
	CHECK(fe_rsp().status == SCSI_GOOD);   /* the first read: old data */
	CHECK(bufp(hr)[512] != 0x77);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 301 * 512 && io.length == 1024 &&
	      io.buf.offset == ha.offset);
	CHECK(fe_rsp().status == SCSI_GOOD);
	io = be_serve_blk(0, false);
	CHECK(io.op == MSG_IO_READ && io.offset == 300 * 512);
	CHECK(fe_rsp().status == SCSI_GOOD);   /* the second read: all new data */
	CHECK(bufp(hr2)[512] == 0x77 && bufp(hr2)[1023] == 0x77);
	/* ... and a data-out shorter than the CDB is refused, nothing written */
	send_imm(wa, 16, 512, ha);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_CHECK_CONDITION &&
	      r.cmd_rsp.sense[12] == 0x0e && r.cmd_rsp.sense[13] == 0x03);
	CHECK(quiet(&be, 20));
}

static void test_nexus_and_discovery(void)
{
	union msg m, r;
	struct buf_handle h = fe_buf(8192, 4096);
	const char *p;

	CHECK(nexus_add(1, "iqn.2026-11.org.test:one", "iqn.2026-11.org.mtgt:demo") == 0);
	CHECK(nexus_add(2, "iqn.2026-11.org.test:one", "iqn.2026-11.org.mtgt:nope") == -ENOENT);
	CHECK(nexus_add(3, "iqn.2026-11.org.test:one", "iqn.2026-11.org.mtgt:private") == -EACCES);
	/* ACL and target names compare case-insensitively */
	CHECK(nexus_add(4, "IQN.2026-11.ORG.TEST:ALLOWED", "iqn.2026-11.org.mtgt:PRIVATE") == 0);

	strcpy((char *)bufp(h), "iqn.2026-11.org.test:one");
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_DISCOVER;
	m.h.tag = next_tag++;
	m.discover.buf = h;
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_DISCOVER_DONE);
	CHECK(r.discover_done.result == 0);
	p = (const char *)bufp(h);
	CHECK(r.discover_done.length == strlen("iqn.2026-11.org.mtgt:demo") + 1);
	CHECK(!strcmp(p, "iqn.2026-11.org.mtgt:demo"));

	strcpy((char *)bufp(h), "iqn.2026-11.org.test:allowed");
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	CHECK(r.discover_done.result == 0);
	CHECK(r.discover_done.length == 2 * 26 + 3);

	/* too small for the list */
	strcpy((char *)bufp(h), "iqn.2026-11.org.test:allowed");
	m.discover.buf = fe_buf(8192, 30);
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	CHECK(r.discover_done.result == -ENOSPC);
}

static void test_emulated(void)
{
	uint8_t tur[6] = { TEST_UNIT_READY };
	uint8_t inq[6] = { INQUIRY, 0, 0, 0, 255, 0 };
	uint8_t rl[12] = { REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct buf_handle h = fe_buf(16384, 4096);
	struct msg_cmd_rsp r;

	/* INQUIRY is exempt from the power-on UA */
	r = do_cmd(mkcmd(1, 0, inq, 6, MSG_DIR_READ, 255, h));
	CHECK(r.status == SCSI_GOOD);
	CHECK(r.data_len == 74);
	CHECK(r.cdb_xfer_len == 255);
	CHECK(!memcmp(bufp(h) + 8, "MTGT    ", 8));
	/* first other command: POWER ON UA, once */
	r = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_CHECK_CONDITION);
	CHECK(r.sense_len == 18 && r.sense[2] == SK_UNIT_ATTENTION && r.sense[12] == 0x29);
	r = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_GOOD);
	/* UA is per LU */
	r = do_cmd(mkcmd(1, 1, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_CHECK_CONDITION && r.sense[12] == 0x29);
	/* missing LUN */
	r = do_cmd(mkcmd(1, 7, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_CHECK_CONDITION && r.sense[12] == 0x25);
	r = do_cmd(mkcmd(1, 7, inq, 6, MSG_DIR_READ, 255, h));
	CHECK(r.status == SCSI_GOOD && bufp(h)[0] == 0x7f);
	r = do_cmd(mkcmd(1, 7, rl, 12, MSG_DIR_READ, 256, h));
	CHECK(r.status == SCSI_GOOD && r.data_len == 24);
	/* unsupported opcode */
	uint8_t ws[10] = { 0x3b, 0x01 };   /* WRITE BUFFER */
	r = do_cmd(mkcmd(1, 0, ws, 10, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_CHECK_CONDITION && r.sense[12] == 0x20);
}

static void test_read_write(void)
{
	uint8_t w10[10] = { WRITE_10, 0, 0, 0, 0, 8, 0, 0, 16, 0 };  /* lba 8, 16 blocks */
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 8, 0, 0, 16, 0 };
	struct buf_handle h = fe_buf(65536, 8192);
	union msg m, r;
	struct msg_io io;
	struct msg_cmd_rsp rsp;

	/* WRITE with 1 KiB immediate data: core asks for all 8 KiB */
	for (int i = 0; i < 8192; i++)
		bufp(h)[i] = (uint8_t)(i * 7 + 3);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, w10, 10, MSG_DIR_WRITE, 8192, h);
	m.cmd.imm_len = 1024;
	m.cmd.h.flags = 0;
	m.cmd.cdb[1] = 0x08; /* FUA */
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_XFER_RDY);
	CHECK(r.h.tag == m.cmd.h.tag && r.xfer_rdy.length == 8192);
	CHECK(quiet(&be, 50));  /* nothing reaches the backend before the data */
	union msg d;
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_DATA_READY;
	d.h.tag = m.cmd.h.tag;
	d.data_ready.length = 8192;
	send_msg(&fe, &d);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_WRITE && io.offset == 8 * 512 && io.length == 8192);
	CHECK(io.h.flags & MSG_IO_FUA);
	CHECK(io.buf.arena == FE_ARENA && io.buf.offset == 65536);
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_CMD_RSP);
	CHECK(r.cmd_rsp.status == SCSI_GOOD && r.cmd_rsp.cdb_xfer_len == 8192);

	/* READ it back into another buffer */
	struct buf_handle h2 = fe_buf(131072, 8192);
	memset(bufp(h2), 0, 8192);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 8192, h2);
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_READ && io.length == 8192 && !(io.h.flags & MSG_IO_FUA));
	r = recv_msg(&fe, 2000);
	REQUIRE(r.h.type == MSG_CMD_RSP);
	CHECK(r.cmd_rsp.status == SCSI_GOOD && r.cmd_rsp.data_len == 8192);
	CHECK(!memcmp(bufp(h), bufp(h2), 8192));

	/* read overflow: initiator expects 4 KiB of an 8 KiB read */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, h2);
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.length == 4096);
	r = recv_msg(&fe, 2000);
	CHECK(r.cmd_rsp.data_len == 4096 && r.cmd_rsp.cdb_xfer_len == 8192);

	/* write overflow: only the blocks the initiator sends are written */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, w10, 10, MSG_DIR_WRITE, 1024, h);
	m.cmd.imm_len = 1024;
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_WRITE && io.length == 1024);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD &&
	      r.cmd_rsp.cdb_xfer_len == 8192);
	/* ... but never a partial block */
	m.cmd.h.tag = next_tag++;
	m.cmd.edtl = m.cmd.imm_len = 200;
	send_msg(&fe, &m);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_CHECK_CONDITION &&
	      r.cmd_rsp.sense[12] == 0x0e && r.cmd_rsp.sense[13] == 0x03);

	/* out of range, read-only LUN, backend error */
	uint8_t r16[16] = { READ_16 };
	scsi_put64(r16 + 2, DISK_BYTES / 512);
	scsi_put32(r16 + 10, 1);
	rsp = do_cmd(mkcmd(1, 0, r16, 16, MSG_DIR_READ, 512, h2));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x21);
	uint8_t w6[6] = { WRITE_6, 0, 0, 0, 1, 0 };
	rsp = do_cmd(mkcmd(1, 1, w6, 6, MSG_DIR_WRITE, 4096, h2));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[2] == SK_DATA_PROTECT);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 8192, h2);
	send_msg(&fe, &m);
	be_serve(&be, -EIO);
	r = recv_msg(&fe, 2000);
	CHECK(r.cmd_rsp.status == SCSI_CHECK_CONDITION && r.cmd_rsp.sense[2] == SK_MEDIUM_ERROR &&
	      r.cmd_rsp.sense[12] == 0x11);

	/* VERIFY (BYTCHK=0) reads the medium into the core's arena, in pieces */
	uint8_t v10[10] = { VERIFY_10, 0, 0, 0, 0, 0, 0, 0x0b, 0xb8, 0 }; /* 3000 blocks */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, v10, 10, MSG_DIR_NONE, 0, fe_buf(0, 0));
	send_msg(&fe, &m);
	/* a 1 MiB core arena: pieces of 256 KiB */
	for (uint64_t off = 0; off < 3000 * 512; off += 262144) {
		io = be_serve(&be, 0);
		CHECK(io.op == MSG_IO_READ && io.offset == off && io.buf.arena == 0 &&
		      io.length == (3000 * 512 - off < 262144 ? 3000 * 512 - off : 262144));
	}
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD && r.cmd_rsp.data_len == 0);
	/* BYTCHK=1: compare 2 blocks at LBA 8 with the data-out */
	uint8_t vc[10] = { VERIFY_10, 0x02, 0, 0, 0, 8, 0, 0, 2, 0 };
	struct buf_handle hv = fe_buf(196608, 1024);
	memcpy(bufp(hv), disk + 8 * 512, 1024);
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, vc, 10, MSG_DIR_WRITE, 1024, hv);
	m.cmd.imm_len = 1024;
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_READ && io.offset == 8 * 512 && io.length == 1024 && io.buf.arena == 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD);
	bufp(hv)[700] ^= 0x5a;
	m.cmd.h.tag = next_tag++;
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_CHECK_CONDITION &&
	      r.cmd_rsp.sense[2] == SK_MISCOMPARE && r.cmd_rsp.sense[12] == 0x1d &&
	      (r.cmd_rsp.sense[0] & 0x80) && scsi_be32(r.cmd_rsp.sense + 3) == 700);

	/* SYNCHRONIZE CACHE goes to the backend as a flush */
	uint8_t sc[10] = { SYNCHRONIZE_CACHE_10 };
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, sc, 10, MSG_DIR_NONE, 0, fe_buf(0, 0));
	send_msg(&fe, &m);
	io = be_serve(&be, 0);
	CHECK(io.op == MSG_IO_FLUSH);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD);
}

static void test_abort_task(void)
{
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	struct buf_handle h = fe_buf(262144, 4096);
	union msg m, t, io, r, d;

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, h);
	send_msg(&fe, &m);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	memset(&t, 0, sizeof(t));
	t.h.type = MSG_TMF;
	t.h.tag = next_tag++;
	t.tmf.nexus = 1;
	t.tmf.fn = MSG_TMF_ABORT_TASK;
	t.tmf.ref_tag = m.cmd.h.tag;
	send_msg(&fe, &t);
	/* the backend still holds the buffer: no answer yet */
	CHECK(quiet(&fe, 100));
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = 4096;
	send_msg(&be, &d);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == m.cmd.h.tag &&
	      (r.cmd_rsp.h.flags & MSG_RSP_ABORTED));
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.h.tag == t.h.tag &&
	      r.tmf_rsp.result == MSG_TMF_COMPLETE);
	/* unknown task */
	t.h.tag = next_tag++;
	t.tmf.ref_tag = 999999;
	send_msg(&fe, &t);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_NO_TASK);
	/* LUN RESET: every nexus, the requester's too, sees a UA */
	CHECK(nexus_add(5, "iqn.2026-11.org.test:two", "iqn.2026-11.org.mtgt:demo") == 0);
	uint8_t tur[6] = { TEST_UNIT_READY };
	struct msg_cmd_rsp rsp = do_cmd(mkcmd(5, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.sense[12] == 0x29 && rsp.sense[13] == 0x00);
	t.h.tag = next_tag++;
	t.tmf.fn = MSG_TMF_LUN_RESET;
	t.tmf.lun = 0;
	send_msg(&fe, &t);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_COMPLETE);
	rsp = do_cmd(mkcmd(5, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x29 && rsp.sense[13] == 0x03);
	rsp = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x29 && rsp.sense[13] == 0x03);
	rsp = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_GOOD);
}

/* More I/Os than the backend ring holds: the core queues, nothing is lost. */
static void test_backpressure(void)
{
	enum { N = 150 };
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	union msg m, r;
	unsigned served = 0, answered = 0;
	uint64_t first = next_tag;

	for (unsigned i = 0; i < N; i++) {
		memset(&m, 0, sizeof(m));
		r10[5] = (uint8_t)i;
		m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 512, fe_buf(1048576 + i * 4096, 512));
		send_msg(&fe, &m);
	}
	/* serve and collect, interleaved, since both rings are smaller than N */
	for (int guard = 0; guard < 10 * N && answered < N; guard++) {
		union msg io;
		int rr;

		while (served < N && (rr = ring_cons_pop(&be.rx, &io)) == 1) {
			union msg d;

			REQUIRE(io.h.type == MSG_IO);
			memset(&d, 0, sizeof(d));
			d.h.type = MSG_IO_DONE;
			d.h.tag = io.h.tag;
			d.io_done.length = (uint32_t)io.io.length;
			memcpy(pool_ptr(&pool, &io.io.buf), disk + io.io.offset, io.io.length);
			ring_cons_release(&be.rx);
			send_msg(&be, &d);
			served++;
		}
		while ((rr = ring_cons_pop(&fe.rx, &r)) == 1) {
			ring_cons_release(&fe.rx);
			CHECK(r.h.type == MSG_CMD_RSP && r.cmd_rsp.status == SCSI_GOOD);
			CHECK(r.h.tag >= first && r.h.tag < first + N);
			answered++;
		}
		usleep(1000);
	}
	CHECK(served == N);
	CHECK(answered == N);
	for (unsigned i = 0; i < N; i++)
		CHECK(!memcmp(bufp(fe_buf(1048576 + i * 4096, 512)), disk + i * 512, 512));
}

/* An ORDERED command waits for the older commands of its LU. */
static void test_ordered(void)
{
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t tur[6] = { TEST_UNIT_READY };
	union msg m, t, io, r, d;

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 512, fe_buf(458752, 512));
	send_msg(&fe, &m);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	memset(&t, 0, sizeof(t));
	t.cmd = mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0));
	t.cmd.attr = MSG_TASK_ORDERED;
	send_msg(&fe, &t);
	CHECK(quiet(&fe, 100));
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = 512;
	send_msg(&be, &d);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == m.cmd.h.tag);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == t.cmd.h.tag && r.cmd_rsp.status == SCSI_GOOD);
}

/* Backend dies holding an I/O: the core reissues it to the new instance. */
static void test_backend_restart(void)
{
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	struct buf_handle h = fe_buf(327680, 4096);
	union msg m, io, r;
	struct mklink kb;
	char js[256];

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, h);
	send_msg(&fe, &m);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	/* a WRITE ATOMIC the old backend tears (half written) before it dies,
	 * and a read of the same blocks held back behind it */
	uint8_t wa[16] = { WRITE_ATOMIC_16, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x58, 0, 0, 0, 2, 0, 0 };
	uint8_t r600[10] = { READ_10, 0, 0, 0, 0x02, 0x58, 0, 0, 2, 0 };
	struct buf_handle ha = fe_buf(524288, 1024), hr = fe_buf(589824, 1024);
	union msg ma, mr, ioa;

	memset(bufp(ha), 0x5c, 1024);
	memset(disk + 600 * 512, 0, 1024);
	memset(&ma, 0, sizeof(ma));
	ma.cmd = mkcmd(1, 0, wa, 16, MSG_DIR_WRITE, 1024, ha);
	ma.cmd.imm_len = 1024;
	send_msg(&fe, &ma);
	ioa = recv_msg(&be, 2000);
	REQUIRE(ioa.h.type == MSG_IO && ioa.io.op == MSG_IO_WRITE && ioa.io.length == 1024);
	memcpy(disk + 600 * 512, pool_ptr(&pool, &ioa.io.buf), 512);
	memset(&mr, 0, sizeof(mr));
	mr.cmd = mkcmd(1, 0, r600, 10, MSG_DIR_READ, 1024, hr);
	send_msg(&fe, &mr);
	CHECK(quiet(&be, 50));
	/* a COMPARE AND WRITE whose read the old backend holds */
	uint8_t caw[16] = { COMPARE_AND_WRITE, 0, 0, 0, 0, 0, 0, 0, 0x02, 0xbc, 0, 0, 0, 1, 0, 0 };
	struct buf_handle hc = fe_buf(655360, 1024);
	union msg mc, ioc;

	memset(&mc, 0, sizeof(mc));
	mc.cmd = mkcmd(1, 0, caw, 16, MSG_DIR_WRITE, 1024, hc);
	mc.cmd.imm_len = 1024;
	send_msg(&fe, &mc);
	ioc = recv_msg(&be, 2000);
	REQUIRE(ioc.h.type == MSG_IO && ioc.io.op == MSG_IO_READ);
	/* the old backend never answers */
	snprintf(js, sizeof(js), "{\"link\":%d}", BE_LINK);
	REQUIRE(ctl_send(ctl, CTL_LINK_DOWN, js, strlen(js), NULL, 0) == 0);
	link_detach(&be);
	/* not replayed (DESIGN.md): ABORTED COMMAND, LU COMMUNICATION FAILURE */
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == mc.cmd.h.tag &&
	      r.cmd_rsp.status == SCSI_CHECK_CONDITION &&
	      (r.cmd_rsp.sense[2] & 0x0f) == SK_ABORTED_COMMAND &&
	      r.cmd_rsp.sense[12] == 0x08 && r.cmd_rsp.sense[13] == 0x00);
	make_link(&kb, CORE_EPOCH, BE_EPOCH + 1);
	/* the supervisor gives the new instance a new link id: the core matches
	 * it to the dead one by peer name */
	snprintf(js, sizeof(js),
		 "{\"link\":{\"id\":%d,\"fd\":0,\"len\":%zu,\"side\":\"a\",\"wake_self\":1,"
		 "\"wake_peer\":2,\"peer_epoch\":%d,\"peer\":\"backend-test\"}}", BE_LINK2, kb.len,
		 BE_EPOCH + 1);
	int fds[3] = { kb.memfd, kb.efd_a, kb.efd_b };
	REQUIRE(ctl_send(ctl, CTL_LINK_UP, js, strlen(js), fds, 3) == 0);
	REQUIRE(link_attach(&be, BE_LINK2, kb.memfd, kb.len, LINK_SIDE_B, kb.efd_b, kb.efd_a,
			    BE_EPOCH + 1, CORE_EPOCH) == 0);
	struct msg_io again = be_serve(&be, 0);
	CHECK(again.op == MSG_IO_READ && again.offset == io.io.offset &&
	      again.length == io.io.length);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == m.cmd.h.tag && r.cmd_rsp.status == SCSI_GOOD);
	CHECK(!memcmp(bufp(h), disk + 8 * 512, 4096));
	/* the torn atomic write is reissued whole, then the held read runs and
	 * sees all of the new data */
	again = be_serve(&be, 0);
	CHECK(again.op == MSG_IO_WRITE && again.offset == 600 * 512 && again.length == 1024);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == ma.cmd.h.tag && r.cmd_rsp.status == SCSI_GOOD);
	again = be_serve(&be, 0);
	CHECK(again.op == MSG_IO_READ && again.offset == 600 * 512);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == mr.cmd.h.tag && r.cmd_rsp.status == SCSI_GOOD);
	CHECK(bufp(hr)[0] == 0x5c && bufp(hr)[1023] == 0x5c);
}

static void test_violation_and_frontend_down(void)
{
	uint8_t tur[6] = { TEST_UNIT_READY };
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	union msg m, io, d;
	char payload[256];

	/* a READ at the backend when the frontend breaks the protocol */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, fe_buf(393216, 4096));
	send_msg(&fe, &m);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	/* buffer in the core's arena: not the frontend's to name */
	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, tur, 6, MSG_DIR_READ, 512, fe_buf(0, 512));
	m.cmd.buf.arena = 0;
	send_msg(&fe, &m);
	REQUIRE(ctl_expect(CTL_VIOLATION, payload, sizeof(payload)));
	CHECK(strstr(payload, "\"link\":1") != NULL);
	/* supervisor: frontend died */
	snprintf(payload, sizeof(payload), "{\"link\":%d}", FE_LINK);
	REQUIRE(ctl_send(ctl, CTL_LINK_DOWN, payload, strlen(payload), NULL, 0) == 0);
	/* not drained while the backend holds a buffer of its arena */
	struct ctl_msg cm;
	CHECK(ctl_wait(&cm, 200) == 0);
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = 4096;
	send_msg(&be, &d);
	REQUIRE(ctl_expect(CTL_LINK_DRAINED, payload, sizeof(payload)));
	CHECK(strstr(payload, "\"link\":1") != NULL);
}

static void test_backend_stale_tag(void)
{
	union msg d;
	char payload[256];

	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = 0x12345678ull << 32 | 77;
	send_msg(&be, &d);
	REQUIRE(ctl_expect(CTL_VIOLATION, payload, sizeof(payload)));
	CHECK(strstr(payload, "\"link\":12") != NULL);
}

/* ---- a hostile frontend: random messages, the core must survive ---- */

static uint32_t fe_id = FE_LINK;
static unsigned n_violations, n_replies, n_ios;

/* Serve the backend, answer XFER_RDY, drop replies, watch the control socket.
 * Returns the control message type seen (0 if none). */
static uint32_t pump(int ms, uint32_t want)
{
	for (int t = 0; t < ms; t++) {
		union msg m;
		struct ctl_msg cm;
		struct pollfd p = { .fd = ctl, .events = POLLIN };

		while (ring_cons_pop(&be.rx, &m) == 1) {
			union msg d;

			ring_cons_release(&be.rx);
			memset(&d, 0, sizeof(d));
			d.h.type = MSG_IO_DONE;
			d.h.tag = m.h.tag;
			d.io_done.length = (uint32_t)m.io.length;
			send_msg(&be, &d);
			n_ios++;
		}
		while (ring_cons_pop(&fe.rx, &m) == 1) {
			ring_cons_release(&fe.rx);
			n_replies++;
			if (m.h.type == MSG_XFER_RDY) {
				union msg d;

				memset(&d, 0, sizeof(d));
				d.h.type = MSG_DATA_READY;
				d.h.tag = m.h.tag;
				d.data_ready.length = m.xfer_rdy.length;
				send_msg(&fe, &d);
			}
		}
		if (poll(&p, 1, 1) == 1 && ctl_recv(ctl, &cm) == 1) {
			uint32_t type = cm.type;

			ctl_msg_free(&cm);
			if (type == CTL_VIOLATION)
				n_violations++;
			if (type == want || (want == 0 && type == CTL_VIOLATION))
				return type;
		}
	}
	return 0;
}

/* The supervisor's part after a frontend dies: LINK_DOWN, wait for
 * LINK_DRAINED, then LINK_UP of a new instance on a new link id. */
static void fe_replace(bool down_first)
{
	struct mklink k;
	char js[512];

	if (down_first) {
		snprintf(js, sizeof(js), "{\"link\":%u}", fe_id);
		REQUIRE(ctl_send(ctl, CTL_LINK_DOWN, js, strlen(js), NULL, 0) == 0);
		REQUIRE(pump(3000, CTL_LINK_DRAINED) == CTL_LINK_DRAINED);
	}
	link_detach(&fe);
	close(fe.wake_self);
	close(fe.wake_peer);
	fe_id = fe_id < 100 ? 100 : fe_id + 1;
	make_link(&k, FE_EPOCH, CORE_EPOCH);
	snprintf(js, sizeof(js),
		 "{\"link\":{\"id\":%u,\"fd\":0,\"len\":%zu,\"side\":\"b\",\"wake_self\":1,"
		 "\"wake_peer\":2,\"peer_epoch\":%d,\"arena\":%d,\"peer\":\"fe\"}}",
		 fe_id, k.len, FE_EPOCH, FE_ARENA);
	int fds[3] = { k.memfd, k.efd_b, k.efd_a };
	REQUIRE(ctl_send(ctl, CTL_LINK_UP, js, strlen(js), fds, 3) == 0);
	REQUIRE(link_attach(&fe, fe_id, k.memfd, k.len, LINK_SIDE_A, k.efd_a, k.efd_b,
			    FE_EPOCH, CORE_EPOCH) == 0);
	close(k.memfd);
	CHECK(nexus_add(1, "iqn.2026-11.org.test:one", "iqn.2026-11.org.mtgt:demo") == 0);
}

static uint32_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)x;
}

static void test_hostile_frontend(void)
{
	static const uint8_t ops[] = { TEST_UNIT_READY, REQUEST_SENSE, READ_6, WRITE_6, INQUIRY,
		MODE_SENSE_6, READ_CAPACITY_10, READ_10, WRITE_10, SYNCHRONIZE_CACHE_10,
		MODE_SENSE_10, READ_16, WRITE_16, SYNCHRONIZE_CACHE_16, SERVICE_ACTION_IN_16,
		REPORT_LUNS, READ_12, WRITE_12, 0x7f, 0xff, 0x42 };
	static const uint64_t luns[] = { 0, 1ull << 48, 7ull << 48, 0xc101ull << 48,
		0x4001ull << 48, 1 };

	fe_replace(false);
	for (int i = 0; i < 400; i++) {
		union msg m;
		uint8_t *raw = m.raw;

		for (unsigned b = 0; b < sizeof(m); b++)
			raw[b] = (uint8_t)rnd();
		m.h.type = (uint8_t)(rnd() % 24 ? MSG_CMD : rnd() % 64);
		m.h.tag = next_tag++;
		if (m.h.type == MSG_CMD && rnd() % 16) {
			/* mostly plausible commands, with random CDB bytes */
			m.cmd.nexus = rnd() % 16 ? 1 : rnd();
			m.cmd.dir = (uint8_t)(rnd() % 3);
			m.cmd.attr = (uint8_t)(rnd() % 8 ? MSG_TASK_SIMPLE : MSG_TASK_ORDERED);
			m.cmd.cdb_len = 16;
			m.cmd.cdb[0] = rnd() % 2 ? ops[rnd() % 3 + 7] : ops[rnd() % sizeof(ops)];
			m.cmd.cdb[1] &= (uint8_t)(rnd() % 4 ? 0x08 : 0xff);
			if (rnd() % 4) { /* small lengths and LBAs */
				memset(m.cmd.cdb + 2, 0, 8);
				m.cmd.cdb[5] = (uint8_t)rnd();
				m.cmd.cdb[8] = (uint8_t)(rnd() % 16);
				m.cmd.cdb[13] = (uint8_t)(rnd() % 16);
				m.cmd.cdb[4] = (uint8_t)(rnd() % 16);
			}
			static const uint8_t glen[8] = { 6, 10, 10, 16, 16, 12, 16, 16 };
			if (rnd() % 8)
				m.cmd.cdb[glen[m.cmd.cdb[0] >> 5] - 1] = 0; /* CONTROL */
			if (rnd() % 2)
				m.cmd.dir = MSG_DIR_READ;
			m.cmd.lun = rnd() % 4 ? luns[rnd() % 2] : luns[rnd() % 6];
			m.cmd.edtl = m.cmd.dir ? (rnd() % 5) * 4096 : 0;
			m.cmd.imm_len = m.cmd.dir == MSG_DIR_WRITE ? m.cmd.edtl / (1 + rnd() % 3) : 0;
			m.cmd.buf = fe_buf(2097152 + (rnd() % 64) * 65536, m.cmd.edtl);
		} else if (m.h.type == MSG_TMF && rnd() % 2) {
			m.tmf.nexus = 1;
			m.tmf.fn = (uint8_t)(rnd() % 10);
			m.tmf.lun = luns[rnd() % 6];
			m.tmf.ref_tag = next_tag - 1 - rnd() % 4;
		}
		send_msg(&fe, &m);
		if (pump(5, 0) == CTL_VIOLATION)
			fe_replace(true);
	}
	pump(50, 0);
	fe_replace(true);
	fprintf(stderr, "hostile frontend: %u violations, %u replies, %u backend I/Os\n",
		n_violations, n_replies, n_ios);
	CHECK(n_violations > 5 && n_replies > 200 && n_ios > 5);
	/* still alive and answering */
	REQUIRE(ctl_send(ctl, CTL_STATS, NULL, 0, NULL, 0) == 0);
	CHECK(pump(2000, CTL_STATS) == CTL_STATS);
	uint8_t tur[6] = { TEST_UNIT_READY };
	struct msg_cmd_rsp r = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(r.status == SCSI_GOOD || r.sense[2] == SK_UNIT_ATTENTION);

	/* a tag still in flight may not be reused */
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	union msg a, b;
	memset(&a, 0, sizeof(a));
	a.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 512, fe_buf(524288, 512));
	send_msg(&fe, &a);
	union msg held = recv_msg(&be, 2000);         /* held by the backend */
	REQUIRE(held.h.type == MSG_IO);
	b = a;
	b.cmd.buf = fe_buf(589824, 512);
	send_msg(&fe, &b);
	unsigned v = n_violations;
	CHECK(pump(2000, CTL_VIOLATION) == CTL_VIOLATION && n_violations == v + 1);
	memset(&b, 0, sizeof(b));
	b.h.type = MSG_IO_DONE;
	b.h.tag = held.h.tag;
	b.io_done.length = 512;
	send_msg(&be, &b);
	fe_replace(true);
}

/* QD1 round trips through the core, this process spinning as frontend and
 * backend: the core's own share of the latency (printed, not asserted). */
static void measure_qd1(void)
{
	enum { N = 3000 };
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	struct timespec t0, t1;
	union msg m, x;
	int polls;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N; i++) {
		memset(&m, 0, sizeof(m));
		m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, fe_buf(655360, 4096));
		send_msg(&fe, &m);
		for (polls = 0; ring_cons_pop(&be.rx, &x) != 1 && polls < 100000000; polls++)
			ring_pause();
		ring_cons_release(&be.rx);
		REQUIRE(x.h.type == MSG_IO);
		memset(&m, 0, sizeof(m));
		m.h.type = MSG_IO_DONE;
		m.h.tag = x.h.tag;
		m.io_done.length = 4096;
		send_msg(&be, &m);
		for (polls = 0; ring_cons_pop(&fe.rx, &x) != 1 && polls < 100000000; polls++)
			ring_pause();
		ring_cons_release(&fe.rx);
		REQUIRE(x.h.type == MSG_CMD_RSP && x.cmd_rsp.status == SCSI_GOOD);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "qd1 through the core: %.1f us per command (%d commands)\n",
		((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / N, N);
}

static union msg tmf_ask(uint32_t nexus, uint8_t fn, uint64_t lun)
{
	union msg t;

	memset(&t, 0, sizeof(t));
	t.h.type = MSG_TMF;
	t.h.tag = next_tag++;
	t.tmf.nexus = nexus;
	t.tmf.fn = fn;
	t.tmf.lun = lun;
	send_msg(&fe, &t);
	return t;
}

/* QUERY TASK SET, QUERY ASYNCHRONOUS EVENT and I_T NEXUS RESET (SAM-5): the
 * core answers them for transports that can carry them. Runs after
 * test_abort_task, which made nexus 5. */
static void test_query_and_nexus_reset(void)
{
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	uint8_t tur[6] = { TEST_UNIT_READY };
	struct buf_handle h = fe_buf(262144, 4096);
	struct msg_cmd_rsp rsp;
	union msg m, io, r, d, t;

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, 0, r10, 10, MSG_DIR_READ, 4096, h);
	send_msg(&fe, &m);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO);
	/* a task of nexus 1 exists on LUN 0, none of nexus 5 */
	t = tmf_ask(1, MSG_TMF_QUERY_TASK_SET, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.h.tag == t.h.tag &&
	      r.tmf_rsp.result == MSG_TMF_SUCCEEDED);
	t = tmf_ask(5, MSG_TMF_QUERY_TASK_SET, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_COMPLETE);
	t = tmf_ask(1, MSG_TMF_QUERY_TASK_SET, 77);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_NO_LUN);

	/* I_T NEXUS RESET waits for the backend, aborts, and tells only
	 * that nexus 29/07 */
	t = tmf_ask(1, MSG_TMF_IT_NEXUS_RESET, 0);
	CHECK(quiet(&fe, 100));
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.length = 4096;
	send_msg(&be, &d);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_CMD_RSP && r.h.tag == m.cmd.h.tag &&
	      (r.cmd_rsp.h.flags & MSG_RSP_ABORTED));
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.h.tag == t.h.tag &&
	      r.tmf_rsp.result == MSG_TMF_COMPLETE);
	t = tmf_ask(1, MSG_TMF_QUERY_TASK_SET, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_COMPLETE);

	/* QUERY ASYNCHRONOUS EVENT reports the pending UA without clearing it */
	t = tmf_ask(1, MSG_TMF_QUERY_ASYNC_EVENT, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_SUCCEEDED &&
	      r.tmf_rsp.sense_key == 0x06 && r.tmf_rsp.asc == 0x29 && r.tmf_rsp.ascq == 0x07);
	rsp = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_CHECK_CONDITION && rsp.sense[12] == 0x29 && rsp.sense[13] == 0x07);
	rsp = do_cmd(mkcmd(1, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_GOOD);
	t = tmf_ask(1, MSG_TMF_QUERY_ASYNC_EVENT, 0);
	r = recv_msg(&fe, 2000);
	CHECK(r.h.type == MSG_TMF_RSP && r.tmf_rsp.result == MSG_TMF_COMPLETE &&
	      r.tmf_rsp.asc == 0);
	rsp = do_cmd(mkcmd(5, 0, tur, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
	CHECK(rsp.status == SCSI_GOOD);
}

int main(int argc, char **argv)
{
	char bin[4096], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(n > 0);
	self[n] = 0;
	snprintf(bin, sizeof(bin), "%s/mtgt-core", dirname(self));
	for (unsigned i = 0; i < DISK_BYTES; i++)
		disk[i] = (uint8_t)(i * 13);
	char spath[] = "/tmp/mtgt-core-state-XXXXXX";
	state_fd = mkstemp(spath);
	REQUIRE(state_fd >= 0);
	unlink(spath);
	start_core(bin);
	test_nexus_and_discovery();
	test_emulated();
	test_aptpl_save();
	test_read_write();
	test_abort_task();
	test_query_and_nexus_reset();
	test_backpressure();
	test_ordered();
	test_block_commands();
	test_lba_exclusion();
	test_xcopy_core();
	test_sanitize_core();
	measure_qd1();
	test_backend_restart();
	test_xcopy_backend_lost(BE_LINK2, BE_EPOCH + 1);
	test_violation_and_frontend_down();
	test_hostile_frontend();
	test_backend_stale_tag();
	test_aptpl_restart(bin);
	test_preempt_abort();
	test_mode_select();
	/* before test_live_config, which changes what nexus 1 sees */
	test_async_event();
	test_live_config();
	test_state_segment(bin);
	test_state_sanitize(bin);
	test_state_sanitize_replay(bin);
	REQUIRE(ctl_send(ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0) == 0);
	for (int i = 0; i < 200; i++) {
		if (waitpid(core_pid, &status, WNOHANG) == core_pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				fprintf(stderr, "core at shutdown: %s %d\n",
					WIFEXITED(status) ? "exit" : "signal",
					WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			core_pid = -1;
			break;
		}
		usleep(10000);
	}
	CHECK(core_pid == -1);
	printf("test-core-proc: %s\n", failures ? "FAILED" : "all passed");
	finish(0);
}
