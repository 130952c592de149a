/* test-raw-initiator: the wire (connect, PDUs with digests, login) and the
 * small helpers the cases share. */
#include "tests/integration/rawi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "procs/frontend-iscsi/iscsi_crc32c.h"

int rawi_failures;
bool rawi_quiet;

void rawi_fail(int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL line %d: %s: ", line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	rawi_failures++;
}

int rawi_connect(struct rawi *x, const char *hostport, const char *name)
{
	char host[64];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1;

	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	x->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return -1;
	setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(x->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(x->fd);
		x->fd = -1;
		return -1;
	}
	x->itt = 0x100;
	x->isid[0] = 0x80; /* random format */
	x->isid[5] = 0x01;
	return 0;
}

void rawi_close(struct rawi *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

static const uint8_t zero4[4];

int rawi_send(struct rawi *x, const uint8_t *bhs_in, const uint8_t *ahs, uint32_t ahslen,
	      const void *data, uint32_t dlen, int corrupt)
{
	uint8_t bhs[ISCSI_BHS_LEN], hd[4], dd[4];
	struct iovec iov[6];
	int n = 0;
	size_t total = 0;

	memcpy(bhs, bhs_in, sizeof(bhs));
	bhs[4] = (uint8_t)(ahslen / 4);
	iscsi_put24(bhs + 5, dlen);
	iov[n++] = (struct iovec){ bhs, ISCSI_BHS_LEN };
	if (ahslen)
		iov[n++] = (struct iovec){ (void *)ahs, ahslen };
	if (x->hd) {
		uint32_t c = iscsi_crc32c_update(ISCSI_CRC32C_INIT, bhs, ISCSI_BHS_LEN);

		c = iscsi_crc32c_final(iscsi_crc32c_update(c, ahs, ahslen));
		if (corrupt & RAWI_CORRUPT_HD)
			c ^= 0x5a5a5a5a;
		iscsi_digest_put(hd, c);
		iov[n++] = (struct iovec){ hd, 4 };
	}
	if (dlen) {
		uint32_t pad = iscsi_pad4(dlen);

		iov[n++] = (struct iovec){ (void *)data, dlen };
		if (pad)
			iov[n++] = (struct iovec){ (void *)zero4, pad };
		if (x->dd) {
			uint32_t c = iscsi_crc32c_update(ISCSI_CRC32C_INIT, data, dlen);

			c = iscsi_crc32c_final(iscsi_crc32c_update(c, zero4, pad));
			if (corrupt & RAWI_CORRUPT_DD)
				c ^= 1;
			iscsi_digest_put(dd, c);
			iov[n++] = (struct iovec){ dd, 4 };
		}
	}
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	/* blocking socket: writev sends it all or fails */
	ssize_t w = writev(x->fd, iov, n);

	return w == (ssize_t)total ? 0 : -1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read exactly n bytes before the deadline: 1, 0 timeout, -1 closed. */
static int read_full(struct rawi *x, void *buf, size_t n, long deadline)
{
	size_t have = 0;

	while (have < n) {
		struct pollfd pf = { .fd = x->fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0)
			return 0;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		r = read(x->fd, (uint8_t *)buf + have, n - have);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		have += (size_t)r;
	}
	return 1;
}

static bool carries_statsn(uint8_t op, const uint8_t *bhs)
{
	switch (op) {
	case ISCSI_OP_SCSI_RSP: case ISCSI_OP_TMF_RSP: case ISCSI_OP_LOGIN_RSP:
	case ISCSI_OP_TEXT_RSP: case ISCSI_OP_LOGOUT_RSP: case ISCSI_OP_ASYNC:
	case ISCSI_OP_REJECT:
		return true;
	case ISCSI_OP_DATA_IN:
		return bhs[1] & ISCSI_DATAIN_STATUS;
	case ISCSI_OP_NOP_IN:
		return iscsi_get32(bhs + 16) != ISCSI_RSVD_TAG;
	default:
		return false;
	}
}

int rawi_recv(struct rawi *x, struct rawi_pdu *p, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	uint8_t dig[4];
	uint32_t pad;
	int r;

	if ((r = read_full(x, p->bhs, ISCSI_BHS_LEN, deadline)) <= 0)
		return r;
	/* the rest of a PDU must follow promptly once its header is in */
	deadline = now_ms() + RAWI_TIMEOUT_MS;
	p->ahslen = p->bhs[4] * 4u;
	p->dlen = iscsi_get24(p->bhs + 5);
	if (p->dlen > sizeof(p->data))
		return -1;
	if (p->ahslen && (r = read_full(x, p->ahs, p->ahslen, deadline)) <= 0)
		return -1;
	if (x->hd) {
		uint32_t c = iscsi_crc32c_update(ISCSI_CRC32C_INIT, p->bhs, ISCSI_BHS_LEN);

		c = iscsi_crc32c_final(iscsi_crc32c_update(c, p->ahs, p->ahslen));
		if (read_full(x, dig, 4, deadline) <= 0)
			return -1;
		if (iscsi_digest_get(dig) != c)
			return -2;
	}
	pad = iscsi_pad4(p->dlen);
	if (p->dlen) {
		uint8_t padb[4];

		if (read_full(x, p->data, p->dlen, deadline) <= 0)
			return -1;
		if (pad && read_full(x, padb, pad, deadline) <= 0)
			return -1;
		if (x->dd) {
			uint32_t c = iscsi_crc32c_update(ISCSI_CRC32C_INIT, p->data, p->dlen);

			c = iscsi_crc32c_final(iscsi_crc32c_update(c, padb, pad));
			if (read_full(x, dig, 4, deadline) <= 0)
				return -1;
			if (iscsi_digest_get(dig) != c)
				return -2;
		}
	}
	uint8_t op = p->bhs[0] & ISCSI_OP_MASK;

	if (carries_statsn(op, p->bhs) && !x->hold_ack)
		x->expstatsn = iscsi_get32(p->bhs + 24) + 1;
	if (op != ISCSI_OP_LOGIN_RSP && op != ISCSI_OP_DATA_IN && op != ISCSI_OP_R2T)
		x->max_cmdsn = iscsi_get32(p->bhs + 32);
	return 1;
}

int rawi_expect(struct rawi *x, uint8_t opcode, struct rawi_pdu *p, int timeout_ms)
{
	for (int i = 0; i < 64; i++) {
		int r = rawi_recv(x, p, timeout_ms);

		if (r <= 0)
			return r;
		if ((p->bhs[0] & ISCSI_OP_MASK) == opcode)
			return 1;
		if (!rawi_quiet)
			fprintf(stderr, "[%s] note: skipped a %s while waiting for a %s\n", x->name,
			iscsi_op_name(p->bhs[0] & ISCSI_OP_MASK), iscsi_op_name(opcode));
	}
	return 0;
}

const char *rawi_key(const struct rawi_pdu *p, const char *key)
{
	size_t kl = strlen(key);

	for (uint32_t off = 0; off < p->dlen;) {
		const char *kv = (const char *)p->data + off;
		size_t l = strnlen(kv, p->dlen - off);

		if (l > kl && !strncmp(kv, key, kl) && kv[kl] == '=')
			return kv + kl + 1;
		off += (uint32_t)l + 1;
	}
	return NULL;
}

int rawi_login(struct rawi *x, const char *initiator, const char *target,
	       const char *keys, struct rawi_pdu *ans)
{
	char text[4096];
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	int n = snprintf(text, sizeof(text),
			 "InitiatorName=%s\nTargetName=%s\nSessionType=Normal\n%s", initiator,
			 target, keys);
	const char *v;
	int r;

	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	for (int i = 0; i < n; i++)
		if (text[i] == '\n')
			text[i] = 0;
	if (n && text[n - 1] != 0)
		n++; /* the last key's NUL */
	bhs[0] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_LOGIN_TRANSIT | ISCSI_STAGE_OPERATIONAL << 2 | ISCSI_STAGE_FULL;
	memcpy(bhs + 8, x->isid, 6);
	iscsi_put16(bhs + 14, x->tsih);
	iscsi_put32(bhs + 16, x->itt++);
	iscsi_put16(bhs + 20, x->cid);
	iscsi_put32(bhs + 24, x->cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	x->hd = x->dd = false;
	if (rawi_send(x, bhs, NULL, 0, text, (uint32_t)n, 0) < 0)
		return -1;
	r = rawi_recv(x, ans, RAWI_TIMEOUT_MS * 2);
	if (r <= 0 || (ans->bhs[0] & ISCSI_OP_MASK) != ISCSI_OP_LOGIN_RSP)
		return -1;
	if (iscsi_get16(ans->bhs + 36))
		return iscsi_get16(ans->bhs + 36);
	if (!(ans->bhs[1] & ISCSI_LOGIN_TRANSIT) || ISCSI_LOGIN_NSG(ans->bhs[1]) != 3)
		return -1;
	x->tsih = iscsi_get16(ans->bhs + 14);
	x->cmdsn = iscsi_get32(ans->bhs + 28);
	x->max_cmdsn = iscsi_get32(ans->bhs + 32);
	x->expstatsn = iscsi_get32(ans->bhs + 24) + 1;
	v = rawi_key(ans, "HeaderDigest");
	x->hd = v && !strcmp(v, "CRC32C");
	v = rawi_key(ans, "DataDigest");
	x->dd = v && !strcmp(v, "CRC32C");
	v = rawi_key(ans, "ErrorRecoveryLevel");
	x->erl = v ? (uint32_t)atoi(v) : 0;
	v = rawi_key(ans, "MaxRecvDataSegmentLength");
	x->mrdsl_tgt = v ? (uint32_t)atoi(v) : 8192;
	return 0;
}

void rawi_cmd_as(struct rawi *x, uint32_t itt, uint32_t cmdsn, uint8_t flags, uint64_t lun,
		 const uint8_t *cdb, uint32_t cdblen, uint32_t edtl, const void *imm,
		 uint32_t immlen, bool nofinal, int corrupt)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 }, ahs[64];
	uint32_t ahslen = 0;

	bhs[0] = ISCSI_OP_SCSI_CMD;
	bhs[1] = (uint8_t)(flags | (nofinal ? 0 : ISCSI_FLAG_FINAL) | 1 /* simple */);
	iscsi_put64(bhs + 8, lun);
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, edtl);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	memcpy(bhs + 32, cdb, cdblen < 16 ? cdblen : 16);
	if (cdblen > 16) {
		/* Extended CDB AHS: length covers the reserved byte and the
		 * CDB bytes beyond 16, padded to 4 */
		uint32_t extra = cdblen - 16;

		memset(ahs, 0, sizeof(ahs));
		iscsi_put16(ahs, (uint16_t)(extra + 1));
		ahs[2] = ISCSI_AHS_EXT_CDB;
		memcpy(ahs + 4, cdb + 16, extra);
		ahslen = (3 + 1 + extra + 3) & ~3u;
	}
	rawi_send(x, bhs, ahs, ahslen, imm, immlen, corrupt);
}

uint32_t rawi_cmd(struct rawi *x, uint8_t flags, uint64_t lun, const uint8_t *cdb,
		  uint32_t cdblen, uint32_t edtl, const void *imm, uint32_t immlen,
		  bool nofinal, int corrupt)
{
	uint32_t itt = x->itt++;

	rawi_cmd_as(x, itt, x->cmdsn++, flags, lun, cdb, cdblen, edtl, imm, immlen, nofinal,
		    corrupt);
	return itt;
}

void rawi_dout(struct rawi *x, uint32_t itt, uint32_t ttt, uint32_t datasn, uint32_t off,
	       const void *data, uint32_t len, bool final, int corrupt)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	bhs[0] = ISCSI_OP_DATA_OUT;
	bhs[1] = final ? ISCSI_FLAG_FINAL : 0;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, ttt);
	iscsi_put32(bhs + 28, x->expstatsn);
	iscsi_put32(bhs + 36, datasn);
	iscsi_put32(bhs + 40, off);
	rawi_send(x, bhs, NULL, 0, data, len, corrupt);
}

bool rawi_ping(struct rawi *x, int corrupt)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	struct rawi_pdu *p = malloc(sizeof(*p));
	uint32_t itt = x->itt++;
	bool ok = false;

	bhs[0] = ISCSI_OP_NOP_OUT | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, ISCSI_RSVD_TAG);
	iscsi_put32(bhs + 24, x->cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, corrupt);
	if (p && rawi_expect(x, ISCSI_OP_NOP_IN, p, corrupt ? 1500 : RAWI_TIMEOUT_MS) == 1)
		ok = iscsi_get32(p->bhs + 16) == itt;
	free(p);
	return ok;
}

void rawi_snack(struct rawi *x, uint8_t type, uint32_t itt, uint32_t ttt, uint32_t beg,
		uint32_t run)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };

	bhs[0] = ISCSI_OP_SNACK;
	bhs[1] = ISCSI_FLAG_FINAL | type;
	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, ttt);
	iscsi_put32(bhs + 28, x->expstatsn);
	iscsi_put32(bhs + 40, beg);
	iscsi_put32(bhs + 44, run);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
}

void rawi_pattern(uint8_t *buf, uint64_t off, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = off + i;

		buf[i] = (uint8_t)(seed * 131u + o * 7u + (o >> 9) * 13u + (o >> 17));
	}
}

void rawi_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? 0x2a : 0x28;
	iscsi_put32(cdb + 2, lba);
	iscsi_put16(cdb + 7, blocks);
}

/* A write of len bytes: immediate data up to 8 KiB (whatever the target's
 * limits), the rest by R2T. */
int rawi_write(struct rawi *x, uint32_t lba, uint32_t len, uint32_t seed)
{
	uint8_t cdb[16], *buf = malloc(len);
	struct rawi_pdu *p = malloc(sizeof(*p));
	uint32_t imm = len < 8192 ? len : 8192, itt;
	int rc = -1;

	if (!buf || !p)
		goto out;
	rawi_pattern(buf, (uint64_t)lba * 512, len, seed);
	rawi_rw10(cdb, true, lba, (uint16_t)(len / 512));
	itt = rawi_cmd(x, ISCSI_CMD_WRITE, 0, cdb, 16, len, buf, imm, false, 0);
	for (int i = 0; i < 4096; i++) {
		if (rawi_recv(x, p, RAWI_TIMEOUT_MS) != 1)
			goto out;
		uint8_t op = p->bhs[0] & ISCSI_OP_MASK;

		if (op == ISCSI_OP_R2T && iscsi_get32(p->bhs + 16) == itt) {
			uint32_t ttt = iscsi_get32(p->bhs + 20), off = iscsi_get32(p->bhs + 40);
			uint32_t want = iscsi_get32(p->bhs + 44), sn = 0;

			while (want) {
				uint32_t n = want < 8192 ? want : 8192;

				rawi_dout(x, itt, ttt, sn++, off, buf + off, n, n == want, 0);
				off += n;
				want -= n;
			}
		} else if (op == ISCSI_OP_SCSI_RSP && iscsi_get32(p->bhs + 16) == itt) {
			rc = p->bhs[3] == 0 && p->bhs[2] == 0 ? 0 : -1;
			break;
		}
	}
out:
	free(buf);
	free(p);
	return rc;
}

int rawi_read_verify(struct rawi *x, uint32_t lba, uint32_t len, uint32_t seed)
{
	uint8_t cdb[16], *want = malloc(len), *got = calloc(1, len);
	struct rawi_pdu *p = malloc(sizeof(*p));
	uint32_t itt, have = 0;
	int rc = -1;

	if (!want || !got || !p)
		goto out;
	rawi_pattern(want, (uint64_t)lba * 512, len, seed);
	rawi_rw10(cdb, false, lba, (uint16_t)(len / 512));
	itt = rawi_cmd(x, ISCSI_CMD_READ, 0, cdb, 16, len, NULL, 0, false, 0);
	for (int i = 0; i < 4096; i++) {
		if (rawi_recv(x, p, RAWI_TIMEOUT_MS) != 1)
			goto out;
		uint8_t op = p->bhs[0] & ISCSI_OP_MASK;

		if (iscsi_get32(p->bhs + 16) != itt)
			continue;
		if (op == ISCSI_OP_DATA_IN) {
			uint32_t off = iscsi_get32(p->bhs + 40);

			if ((uint64_t)off + p->dlen > len)
				goto out;
			memcpy(got + off, p->data, p->dlen);
			have += p->dlen;
			if (p->bhs[1] & ISCSI_DATAIN_STATUS) {
				rc = p->bhs[3] == 0 && have == len && !memcmp(want, got, len) ? 0 : 1;
				break;
			}
		} else if (op == ISCSI_OP_SCSI_RSP) {
			rc = p->bhs[3] == 0 && have == len && !memcmp(want, got, len) ? 0 : 1;
			break;
		}
	}
out:
	free(want);
	free(got);
	free(p);
	return rc;
}

uint32_t rawi_cmd_sn(struct rawi *x, uint32_t cmdsn, uint8_t flags, const uint8_t *cdb,
		     uint32_t edtl, const void *imm, uint32_t immlen)
{
	uint32_t itt = x->itt++;

	rawi_cmd_as(x, itt, cmdsn, flags, 0, cdb, 16, edtl, imm, immlen, false, 0);
	return itt;
}

int rawi_logout(struct rawi *x, struct rawi_pdu *p, uint8_t reason, uint16_t cid,
		uint32_t cmdsn)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { 0 };
	uint32_t itt = x->itt++;

	bhs[0] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
	bhs[1] = ISCSI_FLAG_FINAL | reason;
	iscsi_put32(bhs + 16, itt);
	iscsi_put16(bhs + 20, cid);
	iscsi_put32(bhs + 24, cmdsn);
	iscsi_put32(bhs + 28, x->expstatsn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(x, ISCSI_OP_LOGOUT_RSP, p, RAWI_TIMEOUT_MS) != 1 ||
	    iscsi_get32(p->bhs + 16) != itt)
		return -1;
	return p->bhs[2];
}

int rawi_task_reassign(struct rawi *x, struct rawi_pdu *p, uint32_t sn, uint32_t rtt,
		       uint32_t expdatasn)
{
	uint8_t bhs[ISCSI_BHS_LEN] = { ISCSI_OP_TMF_REQ | ISCSI_OP_IMMEDIATE,
				       ISCSI_FLAG_FINAL | ISCSI_TMF_TASK_REASSIGN };
	uint32_t itt = x->itt++;

	iscsi_put32(bhs + 16, itt);
	iscsi_put32(bhs + 20, rtt);
	iscsi_put32(bhs + 24, sn);
	iscsi_put32(bhs + 28, x->expstatsn);
	iscsi_put32(bhs + 36, expdatasn);
	rawi_send(x, bhs, NULL, 0, NULL, 0, 0);
	if (rawi_expect(x, ISCSI_OP_TMF_RSP, p, RAWI_TIMEOUT_MS) != 1 ||
	    iscsi_get32(p->bhs + 16) != itt)
		return -1;
	return p->bhs[2];
}

int rawi_status(struct rawi *x, struct rawi_pdu *p, uint32_t itt, uint8_t *buf, size_t buflen,
		uint32_t *max_seg)
{
	if (max_seg)
		*max_seg = 0;
	for (int k = 0; k < 256; k++) {
		if (rawi_recv(x, p, RAWI_TIMEOUT_MS) != 1)
			return -1;
		uint8_t op = p->bhs[0] & ISCSI_OP_MASK;

		if (iscsi_get32(p->bhs + 16) != itt)
			continue;
		if (op == ISCSI_OP_DATA_IN) {
			uint32_t off = iscsi_get32(p->bhs + 40);

			if (max_seg && p->dlen > *max_seg)
				*max_seg = p->dlen;
			if (buf && (uint64_t)off + p->dlen <= buflen)
				memcpy(buf + off, p->data, p->dlen);
			if (p->bhs[1] & ISCSI_DATAIN_STATUS)
				return p->bhs[3];
		} else if (op == ISCSI_OP_SCSI_RSP) {
			return p->bhs[3];
		}
	}
	return -1;
}
