/* test-core-proc, third-party copy and SANITIZE: what only a scripted
 * backend can show. EXTENDED COPY in pieces through the core's arena, a
 * failing copy target (COPY ABORTED with the segment, FAILED SEGMENT
 * DETAILS), CSCDs the copy manager must not reach, the backend dying under
 * a copy (a retryable failure, nothing replayed); SANITIZE answered when its
 * job ends, SANITIZE IN PROGRESS meanwhile (REQUEST SENSE too), an aborted
 * SANITIZE whose job goes on, failure mode and EXIT FAILURE MODE with and
 * without AUSE, BLOCK ERASE with the zeroing fallback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/core_proc.h"

#define LBA_BYTES 512u

/* Serve one I/O from `disk` with `result` (0: success). */
static struct msg_io serve(int result)
{
	union msg m = recv_msg(&be, 2000), d;
	struct msg_io io;
	uint8_t *p;

	if (m.h.type != MSG_IO) {
		union msg f = recv_msg(&fe, 10);

		fprintf(stderr, "serve: no I/O; frontend got type %u status %u sense %x/%02x%02x\n",
			f.h.type, f.cmd_rsp.status, f.cmd_rsp.sense[2], f.cmd_rsp.sense[12],
			f.cmd_rsp.sense[13]);
	}
	REQUIRE(m.h.type == MSG_IO);
	io = m.io;
	REQUIRE(io.offset + io.length <= DISK_BYTES);
	p = io.op == MSG_IO_READ || io.op == MSG_IO_WRITE ? pool_ptr(&pool, &io.buf) : NULL;
	if (!result) {
		if (io.op == MSG_IO_READ && p)
			memcpy(p, disk + io.offset, io.length);
		if (io.op == MSG_IO_WRITE && p)
			memcpy(disk + io.offset, p, io.length);
		if (io.op == MSG_IO_WRITE_ZEROES || io.op == MSG_IO_UNMAP)
			memset(disk + io.offset, 0, io.length);
	}
	memset(&d, 0, sizeof(d));
	d.h.type = MSG_IO_DONE;
	d.h.tag = io.h.tag;
	d.io_done.result = result;
	d.io_done.length = result ? 0 : (uint32_t)io.length;
	send_msg(&be, &d);
	return io;
}

static uint64_t send_cmd(uint32_t lun, const uint8_t *cdb, unsigned len, uint8_t dir,
			 uint32_t edtl, struct buf_handle h)
{
	union msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = mkcmd(1, lun, cdb, len, dir, edtl, h);
	if (dir == MSG_DIR_WRITE)
		m.cmd.imm_len = edtl;
	send_msg(&fe, &m);
	return m.cmd.h.tag;
}

static struct msg_cmd_rsp rsp(uint64_t tag)
{
	union msg r = recv_msg(&fe, 3000);

	REQUIRE(r.h.type == MSG_CMD_RSP);
	CHECK(r.h.tag == tag);
	return r.cmd_rsp;
}

static bool sense(const struct msg_cmd_rsp *r, uint8_t key, uint16_t asc)
{
	return r->status == SCSI_CHECK_CONDITION && (r->sense[2] & 0x0f) == key &&
	       r->sense[12] == asc >> 8 && r->sense[13] == (asc & 0xff);
}

static void naa_of(uint32_t lun, uint8_t naa[16])
{
	uint8_t inq[6] = { INQUIRY, 1, 0x83, 0, 255, 0 };
	struct buf_handle h = fe_buf(0, 4096);
	struct msg_cmd_rsp r = do_cmd(mkcmd(1, lun, inq, 6, MSG_DIR_READ, 255, h));
	const uint8_t *p = bufp(h);

	REQUIRE(r.status == SCSI_GOOD);
	for (uint32_t off = 4; off + 20 <= r.data_len; off += 4 + p[off + 3]) {
		if ((p[off + 1] & 0x3f) == 0x03 && p[off + 3] == 16) {
			memcpy(naa, p + off + 4, 16);
			return;
		}
	}
	REQUIRE(!"no NAA designator");
}

/* A one-CSCD (or two) list with one segment; returns its length. */
static uint32_t xlist(uint8_t *p, uint8_t id, const uint8_t *naa_a, const uint8_t *naa_b,
		      uint32_t bs_b, uint16_t n, uint64_t src, uint64_t dst)
{
	uint32_t ncscd = naa_b ? 2 : 1, off = 16;

	memset(p, 0, 16 + 32 * ncscd + 28);
	p[0] = id;
	p[3] = (uint8_t)(32 * ncscd);
	p[11] = 28;
	for (uint32_t i = 0; i < ncscd; i++, off += 32) {
		p[off] = 0xe4;
		p[off + 4] = 1;
		p[off + 5] = 3;
		p[off + 7] = 16;
		memcpy(p + off + 8, i ? naa_b : naa_a, 16);
		scsi_put16(p + off + 30, (uint16_t)(i ? bs_b : LBA_BYTES));
	}
	p[off] = 0x02;
	p[off + 3] = 0x18;
	p[off + 7] = (uint8_t)(ncscd - 1);   /* destination: the last CSCD */
	scsi_put16(p + off + 10, n);
	scsi_put64(p + off + 12, src);
	scsi_put64(p + off + 20, dst);
	return off + 28;
}

static uint64_t send_xcopy(uint32_t lun, const uint8_t *list, uint32_t len, struct buf_handle h)
{
	uint8_t c[16] = { 0x83 };

	scsi_put32(c + 10, len);
	memcpy(bufp(h), list, len);
	return send_cmd(lun, c, 16, MSG_DIR_WRITE, len, h);
}

void test_xcopy_core(void)
{
	struct buf_handle h = fe_buf(65536, 4096), out = fe_buf(131072, 4096);
	uint8_t naa0[16], naa1[16], list[256], bogus[16];
	struct msg_cmd_rsp r;
	struct msg_io io;
	uint64_t tag;
	uint32_t len;

	naa_of(0, naa0);
	naa_of(1, naa1);
	/* 2100 blocks inside LUN 0: two pieces, each read then written */
	for (unsigned i = 0; i < 2100 * LBA_BYTES; i++)
		disk[i] = (uint8_t)(i * 7 + 3);
	len = xlist(list, 2, naa0, NULL, 0, 2100, 0, 3000);
	tag = send_xcopy(0, list, len, h);
	{
		uint64_t done = 0, piece = 0;

		for (int i = 0; i < 100 && done < 2100 * LBA_BYTES; i++) {
			io = serve(0);
			CHECK(io.op == MSG_IO_READ && io.offset == done);
			CHECK(io.buf.arena == 0);       /* the core's own arena */
			if (!piece)
				piece = io.length;
			CHECK(io.length == piece || done + io.length == 2100 * LBA_BYTES);
			io = serve(0);
			CHECK(io.op == MSG_IO_WRITE && io.offset == 3000 * LBA_BYTES + done);
			done += io.length;
		}
		CHECK(done == 2100 * LBA_BYTES && piece < done);  /* several pieces */
	}
	r = rsp(tag);
	CHECK(r.status == SCSI_GOOD);
	CHECK(!memcmp(disk + 3000 * LBA_BYTES, disk, 2100 * LBA_BYTES));

	/* the copy target fails the write: COPY ABORTED, segment 0, WRITE ERROR */
	len = xlist(list, 3, naa0, NULL, 0, 16, 0, 4000);
	tag = send_xcopy(0, list, len, h);
	serve(0);
	serve(-EIO);
	r = rsp(tag);
	CHECK(sense(&r, 0x0a, 0x0c00));
	CHECK(scsi_be32(r.sense + 8) == 0);      /* segment number */
	CHECK(r.sense[15] == 0xa0 && scsi_be16(r.sense + 16) == 20);
	uint8_t rcr[16] = { 0x84, 0x04, 3 };
	scsi_put32(rcr + 10, 255);
	r = do_cmd(mkcmd(1, 0, rcr, 16, MSG_DIR_READ, 255, out));
	CHECK(r.status == SCSI_GOOD && r.data_len >= 60 + 18);
	CHECK(bufp(out)[56] == SCSI_CHECK_CONDITION && (bufp(out)[62] & 0x0f) == 0x0a);
	/* reported once: then no details */
	r = do_cmd(mkcmd(1, 0, rcr, 16, MSG_DIR_READ, 255, out));
	CHECK(r.status == SCSI_GOOD && r.data_len == 4 && scsi_be32(bufp(out)) == 0);
	/* copy status of list 3: failed (02h) */
	rcr[1] = 0x00;
	r = do_cmd(mkcmd(1, 0, rcr, 16, MSG_DIR_READ, 255, out));
	CHECK(r.status == SCSI_GOOD && r.data_len == 12 && (bufp(out)[4] & 0x7f) == 2);

	/* a CSCD no LU of this target has: nothing moves */
	memset(bogus, 0x66, sizeof(bogus));
	len = xlist(list, 4, naa0, bogus, LBA_BYTES, 16, 0, 0);
	tag = send_xcopy(0, list, len, h);
	r = rsp(tag);
	CHECK(sense(&r, 0x0a, 0x0804) && scsi_be16(r.sense + 16) == 6);
	CHECK(quiet(&be, 20));
	/* LUN 1 has 4096-byte blocks: no inexact segments */
	len = xlist(list, 5, naa0, naa1, 4096, 16, 0, 0);
	tag = send_xcopy(0, list, len, h);
	r = rsp(tag);
	CHECK(sense(&r, SK_ILLEGAL_REQUEST, 0x260a));
	/* ... and a CSCD with the wrong block length */
	len = xlist(list, 5, naa0, naa1, 512, 16, 0, 0);
	tag = send_xcopy(0, list, len, h);
	r = rsp(tag);
	CHECK(sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	CHECK(scsi_be16(r.sense + 16) == 48 + 29);
	CHECK(quiet(&be, 20));
}

/* The backend dies with a piece of a copy in flight: the copy fails with
 * ABORTED COMMAND (the initiator retries it), the piece is not replayed. */
void test_xcopy_backend_lost(uint32_t be_link, uint32_t be_epoch)
{
	struct buf_handle h = fe_buf(65536, 4096);
	uint8_t naa0[16], list[128];
	struct msg_cmd_rsp r;
	union msg io;
	int memfd, efd_a, efd_b;
	size_t llen;
	char js[256];
	uint64_t tag;
	uint32_t len;

	naa_of(0, naa0);
	len = xlist(list, 6, naa0, NULL, 0, 16, 0, 100);
	tag = send_xcopy(0, list, len, h);
	io = recv_msg(&be, 2000);
	REQUIRE(io.h.type == MSG_IO && io.io.op == MSG_IO_READ);
	snprintf(js, sizeof(js), "{\"link\":%u}", be_link);
	REQUIRE(ctl_send(ctl, CTL_LINK_DOWN, js, strlen(js), NULL, 0) == 0);
	r = rsp(tag);
	CHECK(sense(&r, SK_ABORTED_COMMAND, ASC_LU_COMM_FAILURE));
	/* the successor on the same link id sees nothing of it */
	link_detach(&be);
	REQUIRE(link_create(64, CORE_EPOCH, be_epoch + 1, &memfd, &llen) == 0);
	efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	REQUIRE(efd_a >= 0 && efd_b >= 0);
	snprintf(js, sizeof(js),
		 "{\"link\":{\"id\":%u,\"fd\":0,\"len\":%zu,\"side\":\"a\",\"wake_self\":1,"
		 "\"wake_peer\":2,\"peer_epoch\":%u,\"peer\":\"backend-test\"}}", be_link, llen,
		 be_epoch + 1);
	int fds[3] = { memfd, efd_a, efd_b };
	REQUIRE(ctl_send(ctl, CTL_LINK_UP, js, strlen(js), fds, 3) == 0);
	REQUIRE(link_attach(&be, be_link, memfd, llen, LINK_SIDE_B, efd_b, efd_a, be_epoch + 1,
			    CORE_EPOCH) == 0);
	CHECK(quiet(&be, 100));
	/* the LU works on the new instance */
	uint8_t r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	tag = send_cmd(0, r10, 10, MSG_DIR_READ, 512, h);
	serve(0);
	CHECK(rsp(tag).status == SCSI_GOOD);
}

static uint64_t send_sanitize(uint8_t flags, uint8_t sa, const uint8_t *list, uint16_t len,
			      struct buf_handle h)
{
	uint8_t c[10] = { SANITIZE, (uint8_t)(flags | sa) };

	scsi_put16(c + 7, len);
	if (len)
		memcpy(bufp(h), list, len);
	return send_cmd(0, c, 10, len ? MSG_DIR_WRITE : MSG_DIR_NONE, len, h);
}

static struct msg_cmd_rsp tur(void)
{
	uint8_t c[6] = { TEST_UNIT_READY };

	return do_cmd(mkcmd(1, 0, c, 6, MSG_DIR_NONE, 0, fe_buf(0, 0)));
}

void test_sanitize_core(void)
{
	static const uint8_t ow[8] = { 0x01, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef };
	struct buf_handle h = fe_buf(65536, 4096), out = fe_buf(131072, 512);
	uint8_t rs[6] = { REQUEST_SENSE, 0, 0, 0, 18, 0 }, r10[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct msg_cmd_rsp r;
	uint64_t tag, first;
	bool ok = true;

	/* OVERWRITE, no IMMED: pieces of the core's arena, answered after the last */
	tag = send_sanitize(0, 0x01, ow, sizeof(ow), h);
	first = serve(0).length;
	usleep(10000);           /* the core has taken the completion */
	r = tur();
	CHECK(sense(&r, SK_NOT_READY, 0x041b) && (r.sense[15] & 0x80));
	r = do_cmd(mkcmd(1, 0, rs, 6, MSG_DIR_READ, 18, out));
	CHECK(r.status == SCSI_GOOD && r.data_len == 18);
	CHECK(bufp(out)[2] == SK_NOT_READY && bufp(out)[12] == 0x04 && bufp(out)[13] == 0x1b);
	CHECK(scsi_be16(bufp(out) + 16) >= first * 65535 / DISK_BYTES);
	for (uint64_t done = first; done < DISK_BYTES;)
		done += serve(0).length;
	r = rsp(tag);
	CHECK(r.status == SCSI_GOOD);
	for (uint32_t i = 0; i < DISK_BYTES && ok; i++)
		ok = disk[i] == ow[4 + (i % 512) % 4];
	CHECK(ok);
	CHECK(tur().status == SCSI_GOOD);

	/* ABORT TASK of a waiting SANITIZE: the answer is ABORTED, the job goes on */
	tag = send_sanitize(0, 0x01, ow, sizeof(ow), h);
	first = serve(0).length;
	{
		union msg m, t;

		memset(&m, 0, sizeof(m));
		m.h.type = MSG_TMF;
		m.h.tag = next_tag++;
		m.tmf.nexus = 1;
		m.tmf.fn = MSG_TMF_ABORT_TASK;
		m.tmf.ref_tag = tag;
		send_msg(&fe, &m);
		t = recv_msg(&fe, 2000);
		CHECK(t.h.type == MSG_CMD_RSP && t.h.tag == tag && (t.h.flags & MSG_RSP_ABORTED));
		t = recv_msg(&fe, 2000);
		CHECK(t.h.type == MSG_TMF_RSP && t.tmf_rsp.result == MSG_TMF_COMPLETE);
	}
	r = tur();
	CHECK(sense(&r, SK_NOT_READY, 0x041b));
	for (uint64_t done = first; done < DISK_BYTES;)
		done += serve(0).length;
	CHECK(quiet(&be, 100));
	CHECK(tur().status == SCSI_GOOD);

	/* a failing write without AUSE: MEDIUM ERROR, then failure mode that
	 * EXIT FAILURE MODE cannot end */
	tag = send_sanitize(0, 0x01, ow, sizeof(ow), h);
	serve(-EIO);
	r = rsp(tag);
	CHECK(sense(&r, SK_MEDIUM_ERROR, 0x3103));
	r = tur();
	CHECK(sense(&r, SK_MEDIUM_ERROR, 0x3100));
	tag = send_cmd(0, r10, 10, MSG_DIR_READ, 512, h);
	r = rsp(tag);
	CHECK(sense(&r, SK_MEDIUM_ERROR, 0x3100));
	tag = send_sanitize(0, 0x1f, NULL, 0, h);
	r = rsp(tag);
	CHECK(sense(&r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* a sanitize with AUSE and IMMED fails too: now EXIT FAILURE MODE works */
	tag = send_sanitize(0xa0, 0x01, ow, sizeof(ow), h);
	CHECK(rsp(tag).status == SCSI_GOOD);
	serve(-EIO);
	usleep(20000);
	r = tur();
	CHECK(sense(&r, SK_MEDIUM_ERROR, 0x3100));
	tag = send_sanitize(0, 0x1f, NULL, 0, h);
	CHECK(rsp(tag).status == SCSI_GOOD);
	CHECK(tur().status == SCSI_GOOD);

	/* BLOCK ERASE (the LU is thin): one UNMAP; a store without holes zeros */
	tag = send_sanitize(0, 0x02, NULL, 0, h);
	{
		union msg q = recv_msg(&be, 2000), d;

		REQUIRE(q.h.type == MSG_IO);
		CHECK(q.io.op == MSG_IO_UNMAP && q.io.offset == 0 && q.io.length == DISK_BYTES);
		memset(&d, 0, sizeof(d));
		d.h.type = MSG_IO_DONE;
		d.h.tag = q.h.tag;
		d.io_done.result = -EOPNOTSUPP;
		send_msg(&be, &d);
	}
	CHECK(serve(0).op == MSG_IO_WRITE_ZEROES);
	CHECK(rsp(tag).status == SCSI_GOOD);
	ok = true;
	for (uint32_t i = 0; i < DISK_BYTES && ok; i++)
		ok = disk[i] == 0;
	CHECK(ok);
	/* refill the disk for the tests that follow */
	for (unsigned i = 0; i < DISK_BYTES; i++)
		disk[i] = (uint8_t)(i * 13);
}
