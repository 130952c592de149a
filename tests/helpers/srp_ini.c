/* The test SRP initiator: transport and IU plumbing (see srp_ini.h). */
#include "tests/helpers/srp_ini.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "procs/frontend-srp/srp_soft.h"

const char *ini_path;
uint8_t ini_tgt_port[16];
uint8_t ini_port_id[16];

static int rec_send(int fd, uint32_t type, const void *data, uint32_t len, int pass_fd)
{
	struct srp_soft_hdr h = { .magic = SRP_SOFT_MAGIC, .type = type };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void *mr_new(size_t len, int *fdp)
{
	int fd = memfd_create("srp-ini", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *m;

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return NULL;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	*fdp = fd;
	return m;
}

static int mr_reg(struct ini *i, void *m, size_t len, uint32_t rkey, uint32_t acc, int fd)
{
	struct srp_soft_mr d = { .rkey = rkey, .access = acc, .addr = (uintptr_t)m,
				 .length = len };

	return rec_send(i->fd, SOFT_MR, &d, sizeof(d), fd);
}

int ini_connect(struct ini *i)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static uint8_t *mem, *ro;
	static int memfd = -1, rofd = -1;

	memset(i, 0, sizeof(*i));
	i->t_logout = ~0u;
	i->next_tag = 1;
	if (!mem) {
		mem = mr_new(INI_MEM, &memfd);
		ro = mr_new(INI_RO_SIZE, &rofd);
		if (!mem || !ro)
			return -ENOMEM;
	}
	i->mem = mem;
	i->ro = ro;
	i->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ini_path);
	if (i->fd < 0 || connect(i->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	if (mr_reg(i, mem, INI_MEM, INI_RKEY, SOFT_ACC_REMOTE_READ | SOFT_ACC_REMOTE_WRITE,
		   memfd) < 0 ||
	    mr_reg(i, ro, INI_RO_SIZE, INI_RO_RKEY, SOFT_ACC_REMOTE_READ, rofd) < 0)
		return -EIO;
	return 0;
}

void ini_close(struct ini *i)
{
	if (i->fd >= 0)
		close(i->fd);
	i->fd = -1;
	i->down = true;
}

/* One record: its type, body in buf. */
static int rec_recv(struct ini *i, uint8_t *buf, uint32_t cap, uint32_t *type, int timeout_ms)
{
	uint8_t tmp[sizeof(struct srp_soft_hdr) + SRP_SOFT_MAX_IU];
	struct pollfd p = { .fd = i->fd, .events = POLLIN };
	struct srp_soft_hdr h;
	ssize_t n;

	if (i->down)
		return -ENOTCONN;
	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	n = recv(i->fd, tmp, sizeof(tmp), 0);
	if (n <= 0) {
		i->down = true;
		return -ENOTCONN;
	}
	if ((size_t)n < sizeof(h))
		return -EPROTO;
	memcpy(&h, tmp, sizeof(h));
	n -= (ssize_t)sizeof(h);
	if ((uint32_t)n > cap)
		n = cap;
	memcpy(buf, tmp + sizeof(h), (size_t)n);
	*type = h.type;
	if (h.type == SOFT_DISCONNECT) {
		i->down = true;
		return -ENOTCONN;
	}
	return (int)n;
}

int ini_login(struct ini *i, uint8_t flags, uint32_t it_len, uint16_t fmt, const uint8_t *tgt,
	      uint16_t imm_off)
{
	struct srp_login_req r = { .tag = 0x10, .it_iu_len = it_len, .buf_fmt = fmt,
				   .flags = flags, .imm_off = imm_off };
	uint8_t b[256];
	uint32_t type;
	int n;

	memcpy(r.ini_port, ini_port_id, 16);
	memcpy(r.tgt_port, tgt, 16);
	n = (int)srp_encode_login_req(b, &r, true);
	if (rec_send(i->fd, SOFT_CONNECT, b, (uint32_t)n, -1) < 0)
		return -EIO;
	n = rec_recv(i, b, sizeof(b), &type, 5000);
	if (n < 0)
		return n;
	if (type == SOFT_REJECT) {
		if (n < SRP_LOGIN_REJ_LEN || b[0] != SRP_OP_LOGIN_REJ)
			return -EPROTO;
		i->down = true;
		return (int)srp_get32(b + 4);
	}
	if (type != SOFT_ACCEPT || n < SRP_LOGIN_RSP_LEN || b[0] != SRP_OP_LOGIN_RSP)
		return -EPROTO;
	if (srp_get_tag(b + 8) != 0x10)
		return -EPROTO;
	i->req_lim = (int32_t)srp_get32(b + 4);
	i->it_len = srp_get32(b + 16);
	i->ti_len = srp_get32(b + 20);
	i->formats = srp_get16(b + 24);
	i->rsp_flags = b[26];
	i->imm_off = (i->rsp_flags & SRP_RSPF_IMMED_SUPP) ? imm_off : 0;
	return 0;
}

int ini_send(struct ini *i, const void *iu, uint32_t len)
{
	return rec_send(i->fd, SOFT_SEND, iu, len, -1);
}

int ini_recv(struct ini *i, uint8_t *buf, uint32_t cap, int timeout_ms)
{
	for (int k = 0; k < 1000; k++) {
		uint32_t type;
		int n = rec_recv(i, buf, cap, &type, timeout_ms);

		if (n < 0)
			return n;
		if (type != SOFT_SEND || n < 16)
			return -EPROTO;
		switch (buf[0]) {
		case SRP_OP_CRED_REQ: {
			uint8_t r[16] = { SRP_OP_CRED_RSP };

			i->req_lim += (int32_t)srp_get32(buf + 4);
			i->cred_reqs++;
			memcpy(r + 8, buf + 8, 8);
			ini_send(i, r, sizeof(r));
			continue;
		}
		case SRP_OP_AER_REQ: {
			uint8_t r[16] = { SRP_OP_AER_RSP };
			uint32_t sl = srp_get32(buf + 28);

			i->req_lim += (int32_t)srp_get32(buf + 4);
			i->aers++;
			i->aer_lun = srp_get64(buf + 20);
			if (n >= SRP_AER_REQ_LEN && sl <= 18 && (uint32_t)n >= SRP_AER_REQ_LEN + sl)
				memcpy(i->aer_sense, buf + SRP_AER_REQ_LEN, sl);
			memcpy(r + 8, buf + 8, 8);
			ini_send(i, r, sizeof(r));
			continue;
		}
		case SRP_OP_T_LOGOUT:
			i->t_logout = srp_get32(buf + 4);
			return n;
		case SRP_OP_RSP:
			i->req_lim += (int32_t)srp_get32(buf + 4);
			return n;
		default:
			return n;
		}
	}
	return -EPROTO;
}

void ini_parse_rsp(const uint8_t *b, uint32_t n, struct ini_rsp *r)
{
	memset(r, 0, sizeof(*r));
	r->tag = srp_get_tag(b + 8);
	r->flags = b[18];
	r->status = b[19];
	r->dout_res = srp_get32(b + 20);
	r->din_res = srp_get32(b + 24);
	r->sense_len = srp_get32(b + 28);
	r->resp_len = srp_get32(b + 32);
	if ((r->flags & SRP_RSP_RSPVALID) && r->resp_len >= 4 && n >= 40)
		r->resp_code = b[39];
	if ((r->flags & SRP_RSP_SNSVALID) && r->sense_len <= sizeof(r->sense) &&
	    36 + r->resp_len + r->sense_len <= n)
		memcpy(r->sense, b + 36 + r->resp_len, r->sense_len);
}

int ini_wait_rsp(struct ini *i, uint64_t tag, struct ini_rsp *r, int timeout_ms)
{
	uint8_t b[4096];

	for (int k = 0; k < 100000; k++) {
		int n = ini_recv(i, b, sizeof(b), timeout_ms);

		if (n < 0)
			return n;
		if (b[0] != SRP_OP_RSP)
			continue;
		ini_parse_rsp(b, (uint32_t)n, r);
		if (r->tag == tag)
			return 0;
	}
	return -EPROTO;
}

uint32_t ini_seg_off(uint32_t off, uint32_t len, int nseg, int k, uint32_t *seg_len)
{
	uint32_t base = len / (uint32_t)nseg;

	*seg_len = k == nseg - 1 ? len - base * (uint32_t)(nseg - 1) : base;
	/* segments 4 KiB apart beyond the data: not contiguous in memory */
	return off + (uint32_t)k * (base + 4096);
}

uint64_t ini_cmd(struct ini *i, uint64_t lun, const uint8_t *cdb, uint8_t cdb_len, int dir,
		 uint32_t off, uint32_t len, enum ini_mode mode, int nseg)
{
	uint8_t b[SRP_SOFT_MAX_IU];
	uint32_t add = cdb_len > 16 ? ((uint32_t)cdb_len - 16 + 3) & ~3u : 0, pos, n = 0;
	uint64_t tag = i->next_tag++;
	uint8_t fmt = 0;

	memset(b, 0, SRP_CMD_LEN + add);
	b[0] = SRP_OP_CMD;
	srp_put_tag(b + 8, tag);
	srp_put64(b + 20, lun);
	b[31] = (uint8_t)add;
	memcpy(b + 32, cdb, cdb_len);
	pos = SRP_CMD_LEN + add;
	if (dir && len) {
		if (mode == M_IMM) {
			fmt = SRP_DESC_IMM;
			b[6] = 1;
			srp_put32(b + pos, len);
			pos = i->imm_off;
			memcpy(b + pos, i->mem + off, len);
			pos += len;
		} else if (mode == M_DIRECT) {
			struct srp_desc d = { (uintptr_t)i->mem + off, INI_RKEY, len };

			fmt = SRP_DESC_DIRECT;
			srp_desc_put(b + pos, &d);
			pos += 16;
			n = 1;
		} else {
			/* a table of nseg in memory; all of it in the IU, or none
			 * (M_EXT: the target fetches it with RDMA READ) */
			uint32_t tbl = INI_MEM - 64 * 1024, in_iu = mode == M_EXT ? 0 : (uint32_t)nseg;
			struct srp_desc t = { (uintptr_t)i->mem + tbl, INI_RKEY, 16u * (uint32_t)nseg };

			fmt = SRP_DESC_INDIRECT;
			srp_desc_put(b + pos, &t);
			srp_put32(b + pos + 16, len);
			pos += 20;
			for (int k = 0; k < nseg; k++) {
				uint32_t sl, so = ini_seg_off(off, len, nseg, k, &sl);
				struct srp_desc d = { (uintptr_t)i->mem + so, INI_RKEY, sl };

				srp_desc_put(i->mem + tbl + 16u * (uint32_t)k, &d);
				if ((uint32_t)k < in_iu) {
					srp_desc_put(b + pos, &d);
					pos += 16;
				}
			}
			n = in_iu;
		}
		if (dir == 2) {
			b[5] = (uint8_t)(fmt << 4);
			if (mode != M_IMM)
				b[6] = (uint8_t)n;
		} else {
			b[5] = fmt;
			b[7] = (uint8_t)n;
		}
	}
	i->req_lim--;
	ini_send(i, b, pos);
	return tag;
}

int ini_scsi(struct ini *i, uint64_t lun, const uint8_t *cdb, uint8_t cdb_len, int dir,
	     uint32_t off, uint32_t len, enum ini_mode mode, int nseg, struct ini_rsp *r)
{
	uint64_t tag = ini_cmd(i, lun, cdb, cdb_len, dir, off, len, mode, nseg);
	int e = ini_wait_rsp(i, tag, r, 10000);

	return e < 0 ? e : r->status;
}

static int parse_id(const char *s, uint8_t *id)
{
	return srp_port_id_parse(s, id);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s CM-SOCKET TARGET-PORT-ID INITIATOR-PORT-ID CASE [args]\n",
			argv[0]);
		return 2;
	}
	ini_path = argv[1];
	if (parse_id(argv[2], ini_tgt_port) || parse_id(argv[3], ini_port_id)) {
		fprintf(stderr, "bad port id\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return ini_case(argv[4], argc - 5, argv + 5);
}
