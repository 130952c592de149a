/* Malformed PDUs over a raw TCP socket. Each case opens its own connection,
 * usually logs in by hand (a minimal two-stage login: security stage with
 * AuthMethod=None, then operational stage to full feature phase), sends
 * something a well-behaved initiator never would, and watches how the target
 * answers. Between cases a libiscsi session on the same target must keep
 * doing I/O without reconnecting: that is the pass criterion. How the target
 * reacts to the bad PDU itself (Reject, response, or closing the connection)
 * is only reported. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iscsi/iscsi.h>

#include "tests/integration/tio.h"

#define BHS 48

struct raw {
	int fd;
	uint32_t itt, cmdsn, expstatsn;
	uint16_t tsih;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_dsl(uint8_t *bhs, uint32_t len)
{
	bhs[5] = (uint8_t)(len >> 16); bhs[6] = (uint8_t)(len >> 8); bhs[7] = (uint8_t)len;
}

static int raw_open(const char *portal)
{
	char host[128];
	const char *colon = strrchr(portal, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(3260) };
	int fd, one = 1;
	size_t n;

	n = colon ? (size_t)(colon - portal) : strlen(portal);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, portal, n);
	host[n] = 0;
	if (colon)
		sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "tio: raw: portal %s is not an IPv4 address\n", portal);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Bounded send: a target that stops reading must not hang the test. */
static int send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t deadline = tio_now_ms() + 3000;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (tio_now_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len, uint64_t deadline)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (tio_now_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Receive one PDU: BHS into bhs, data (up to cap bytes kept) into data.
 * Returns the data segment length or -errno. */
static int recv_pdu(int fd, uint8_t *bhs, uint8_t *data, size_t cap, unsigned timeout_ms)
{
	uint64_t deadline = tio_now_ms() + timeout_ms;
	uint32_t ahs, dsl, padded;
	uint8_t sink[512];
	int rc;

	rc = recv_all(fd, bhs, BHS, deadline);
	if (rc)
		return rc;
	ahs = (uint32_t)bhs[4] * 4;
	dsl = (uint32_t)bhs[5] << 16 | (uint32_t)bhs[6] << 8 | bhs[7];
	padded = (dsl + 3) & ~3u;
	for (uint32_t left = ahs; left; ) {
		uint32_t n = left < sizeof(sink) ? left : sizeof(sink);

		if ((rc = recv_all(fd, sink, n, deadline)))
			return rc;
		left -= n;
	}
	for (uint32_t got = 0; got < padded; ) {
		uint32_t n = padded - got;
		uint8_t *dst;

		if (got < cap) {
			dst = data + got;
			if (n > cap - got)
				n = (uint32_t)(cap - got);
		} else {
			dst = sink;
			if (n > sizeof(sink))
				n = sizeof(sink);
		}
		if ((rc = recv_all(fd, dst, n, deadline)))
			return rc;
		got += n;
	}
	return (int)dsl;
}

static size_t add_key(uint8_t *buf, size_t off, size_t cap, const char *kv)
{
	size_t n = strlen(kv) + 1;

	if (off + n > cap)
		return off;
	memcpy(buf + off, kv, n);
	return off + n;
}

static int send_pdu(int fd, uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	static const uint8_t pad[4];
	int rc;

	put_dsl(bhs, len);
	if ((rc = send_all(fd, bhs, BHS)))
		return rc;
	if (len && (rc = send_all(fd, data, len)))
		return rc;
	if (len % 4)
		rc = send_all(fd, pad, 4 - len % 4);
	return rc;
}

static int login_step(struct raw *r, int csg, int nsg, const uint8_t *keys, uint32_t klen,
		      int *reached)
{
	uint8_t bhs[BHS] = {0}, rsp[BHS], data[8192];
	int rc;

	bhs[0] = 0x40 | 0x03;                      /* immediate Login Request */
	bhs[1] = (uint8_t)(0x80 | csg << 2 | nsg); /* Transit */
	bhs[8] = 0x80; bhs[9] = 0x3c; bhs[10] = 0x4d; bhs[11] = 0x54; /* random ISID */
	bhs[12] = (uint8_t)(getpid() >> 8); bhs[13] = (uint8_t)getpid();
	bhs[14] = (uint8_t)(r->tsih >> 8); bhs[15] = (uint8_t)r->tsih;
	put32(bhs + 16, r->itt);
	put32(bhs + 24, r->cmdsn);
	put32(bhs + 28, r->expstatsn);
	if ((rc = send_pdu(r->fd, bhs, keys, klen)))
		return rc;
	rc = recv_pdu(r->fd, rsp, data, sizeof(data), 3000);
	if (rc < 0)
		return rc;
	if ((rsp[0] & 0x3f) != 0x23) {
		fprintf(stderr, "tio: raw login: answer opcode 0x%02x\n", rsp[0] & 0x3f);
		return -EPROTO;
	}
	if (rsp[36] != 0) {
		fprintf(stderr, "tio: raw login refused: class %u detail %u\n", rsp[36], rsp[37]);
		return -EACCES;
	}
	r->tsih = (uint16_t)(rsp[14] << 8 | rsp[15]);
	r->expstatsn = get32(rsp + 24) + 1;
	r->cmdsn = get32(rsp + 28);
	*reached = (rsp[1] & 0x80) ? (rsp[1] & 3) : (rsp[1] >> 2 & 3);
	return 0;
}

static int raw_login(struct raw *r, const char *portal, const char *target,
		     const char *initiator)
{
	uint8_t keys[2048];
	char kv[512];
	size_t n = 0;
	int stage = 0, rc;

	memset(r, 0, sizeof(*r));
	r->itt = 0x1000;
	r->fd = raw_open(portal);
	if (r->fd < 0)
		return r->fd;

	snprintf(kv, sizeof(kv), "InitiatorName=%s", initiator);
	n = add_key(keys, n, sizeof(keys), kv);
	snprintf(kv, sizeof(kv), "TargetName=%s", target);
	n = add_key(keys, n, sizeof(keys), kv);
	n = add_key(keys, n, sizeof(keys), "SessionType=Normal");
	n = add_key(keys, n, sizeof(keys), "AuthMethod=None");
	/* Security stage; a target may want more rounds before it transits. */
	for (int i = 0; i < 4 && stage == 0; i++) {
		if ((rc = login_step(r, 0, 1, keys, (uint32_t)n, &stage)))
			goto fail;
		n = 0;
	}
	if (stage != 1) {
		rc = -EPROTO;
		goto fail;
	}
	n = 0;
	n = add_key(keys, n, sizeof(keys), "HeaderDigest=None");
	n = add_key(keys, n, sizeof(keys), "DataDigest=None");
	n = add_key(keys, n, sizeof(keys), "MaxRecvDataSegmentLength=65536");
	n = add_key(keys, n, sizeof(keys), "ErrorRecoveryLevel=0");
	n = add_key(keys, n, sizeof(keys), "InitialR2T=Yes");
	n = add_key(keys, n, sizeof(keys), "ImmediateData=Yes");
	n = add_key(keys, n, sizeof(keys), "MaxBurstLength=262144");
	n = add_key(keys, n, sizeof(keys), "FirstBurstLength=65536");
	for (int i = 0; i < 4 && stage != 3; i++) {
		if ((rc = login_step(r, 1, 3, keys, (uint32_t)n, &stage)))
			goto fail;
		n = 0;
	}
	if (stage != 3) {
		rc = -EPROTO;
		goto fail;
	}
	r->itt++;
	return 0;
fail:
	close(r->fd);
	r->fd = -1;
	return rc;
}

static void lun_field(uint8_t *p, int lun)
{
	memset(p, 0, 8);
	p[0] = (uint8_t)((lun >> 8) & 0x3f);
	p[1] = (uint8_t)lun;
}

static void scsi_cmd_bhs(struct raw *r, uint8_t *bhs, int lun, uint8_t flags,
			 uint32_t edtl, const uint8_t *cdb, size_t cdblen)
{
	memset(bhs, 0, BHS);
	bhs[0] = 0x01;
	bhs[1] = flags | 0x01;  /* simple task attribute */
	lun_field(bhs + 8, lun);
	put32(bhs + 16, r->itt++);
	put32(bhs + 20, edtl);
	put32(bhs + 24, r->cmdsn++);
	put32(bhs + 28, r->expstatsn);
	memcpy(bhs + 32, cdb, cdblen);
}

/* Read whatever the target answers for a while and describe it. */
static const char *observe(struct raw *r, char *out, size_t cap)
{
	uint8_t bhs[BHS], data[1024];
	size_t n = 0;
	int pdus = 0;

	out[0] = 0;
	while (pdus < 8) {
		int rc = recv_pdu(r->fd, bhs, data, sizeof(data), 1500);

		if (rc == -ETIMEDOUT) {
			n += (size_t)snprintf(out + n, cap - n, "%sno further answer",
					      pdus ? ", " : "");
			break;
		}
		if (rc < 0) {
			n += (size_t)snprintf(out + n, cap - n, "%sconnection closed (%s)",
					      pdus ? ", " : "", strerror(-rc));
			break;
		}
		if ((bhs[0] & 0x3f) == 0x3f)
			n += (size_t)snprintf(out + n, cap - n, "%sReject reason 0x%02x",
					      pdus ? ", " : "", bhs[2]);
		else if ((bhs[0] & 0x3f) == 0x21)
			n += (size_t)snprintf(out + n, cap - n, "%sSCSI Response status 0x%02x",
					      pdus ? ", " : "", bhs[3]);
		else
			n += (size_t)snprintf(out + n, cap - n, "%sopcode 0x%02x",
					      pdus ? ", " : "", bhs[0] & 0x3f);
		if (n >= cap)
			break;
		pdus++;
	}
	return out;
}

enum rcase {
	RC_GARBAGE_PRELOGIN, RC_LOGIN_HUGE_DSL, RC_BAD_OPCODE, RC_HUGE_DSL, RC_HUGE_AHS,
	RC_TRUNCATED_BHS, RC_DATAOUT_UNKNOWN, RC_READ_HUGE_EDTL, RC_WRITE_THEN_CLOSE,
	RC_LOGIN_IN_FFP, RC_CMDSN_OUT_OF_WINDOW, RC_UNKNOWN_LUN, RC_GARBAGE_AFTER_LOGIN,
	RC_COUNT
};

static const char *const rcase_name[RC_COUNT] = {
	"garbage-before-login", "login-huge-dsl", "invalid-opcode", "nop-huge-dsl",
	"huge-ahs-truncated", "truncated-bhs", "dataout-unknown-ttt", "read16-huge-edtl",
	"write-then-close", "login-in-full-feature", "cmdsn-out-of-window",
	"unknown-lun", "garbage-after-login",
};

static int run_case(enum rcase rc_, const struct tio_conn *c, const struct tio_opts *o,
		    uint64_t *rng)
{
	struct raw r = { .fd = -1 };
	uint8_t bhs[BHS], junk[65536], cdb[16];
	char what[512];
	int rc = 0;

	for (size_t i = 0; i < sizeof(junk); i += 8) {
		uint64_t v = tio_rand(rng);

		memcpy(junk + i, &v, 8);
	}
	if (rc_ == RC_GARBAGE_PRELOGIN || rc_ == RC_LOGIN_HUGE_DSL) {
		r.fd = raw_open(c->portal);
		if (r.fd < 0) {
			fprintf(stderr, "tio: raw: cannot connect to %s: %s\n", c->portal,
				strerror(-r.fd));
			return -1;
		}
	} else if ((rc = raw_login(&r, c->portal, c->target, o->initiator))) {
		fprintf(stderr, "tio: raw: hand-made login failed: %s\n", strerror(-rc));
		return -1;
	}

	switch (rc_) {
	case RC_GARBAGE_PRELOGIN:
	case RC_GARBAGE_AFTER_LOGIN:
		rc = send_all(r.fd, junk, 4096);
		break;
	case RC_LOGIN_HUGE_DSL:
		memset(bhs, 0, BHS);
		bhs[0] = 0x43;
		bhs[1] = 0x81;
		put_dsl(bhs, 0xffffff);
		if (!(rc = send_all(r.fd, bhs, BHS)))
			rc = send_all(r.fd, junk, sizeof(junk));
		break;
	case RC_BAD_OPCODE:
		memset(bhs, 0, BHS);
		bhs[0] = 0x40 | 0x1a;   /* reserved initiator opcode */
		bhs[1] = 0x80;
		put32(bhs + 16, r.itt++);
		put32(bhs + 24, r.cmdsn);
		put32(bhs + 28, r.expstatsn);
		rc = send_pdu(r.fd, bhs, NULL, 0);
		break;
	case RC_HUGE_DSL:
		memset(bhs, 0, BHS);
		bhs[0] = 0x40 | 0x00;   /* NOP-Out */
		bhs[1] = 0x80;
		put32(bhs + 16, r.itt++);
		put32(bhs + 20, 0xffffffff);
		put32(bhs + 24, r.cmdsn);
		put32(bhs + 28, r.expstatsn);
		put_dsl(bhs, 0xffffff);
		if (!(rc = send_all(r.fd, bhs, BHS)))
			rc = send_all(r.fd, junk, sizeof(junk));
		break;
	case RC_HUGE_AHS:
		memset(cdb, 0, sizeof(cdb));      /* TEST UNIT READY */
		scsi_cmd_bhs(&r, bhs, c->lun, 0x80, 0, cdb, 6);
		bhs[4] = 255;                      /* 1020 bytes of AHS announced ... */
		if (!(rc = send_all(r.fd, bhs, BHS)))
			rc = send_all(r.fd, junk, 100); /* ... 100 delivered */
		break;
	case RC_TRUNCATED_BHS:
		memset(cdb, 0, sizeof(cdb));
		scsi_cmd_bhs(&r, bhs, c->lun, 0x80, 0, cdb, 6);
		rc = send_all(r.fd, bhs, 20);
		break;
	case RC_DATAOUT_UNKNOWN:
		memset(bhs, 0, BHS);
		bhs[0] = 0x05;
		bhs[1] = 0x80;
		lun_field(bhs + 8, c->lun);
		put32(bhs + 16, 0xdeadbeef);
		put32(bhs + 20, 0x1234);
		put32(bhs + 28, r.expstatsn);
		rc = send_pdu(r.fd, bhs, junk, 512);
		break;
	case RC_READ_HUGE_EDTL:
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x88;                     /* READ(16) of 2^32-1 blocks */
		put32(cdb + 10, 0xffffffff);
		scsi_cmd_bhs(&r, bhs, c->lun, 0x80 | 0x40, 0xffffffff, cdb, 16);
		rc = send_pdu(r.fd, bhs, NULL, 0);
		break;
	case RC_WRITE_THEN_CLOSE:
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x8a;                     /* WRITE(16), 1 MiB, no data sent */
		put32(cdb + 10, (1u << 20) / c->block_size);
		scsi_cmd_bhs(&r, bhs, c->lun, 0x80 | 0x20, 1u << 20, cdb, 16);
		if (!(rc = send_pdu(r.fd, bhs, NULL, 0)))
			shutdown(r.fd, SHUT_RDWR);
		break;
	case RC_LOGIN_IN_FFP:
		memset(bhs, 0, BHS);
		bhs[0] = 0x43;
		bhs[1] = 0x87;
		put32(bhs + 16, r.itt++);
		put32(bhs + 24, r.cmdsn);
		put32(bhs + 28, r.expstatsn);
		rc = send_pdu(r.fd, bhs, (const uint8_t *)"InitiatorName=x", 16);
		break;
	case RC_CMDSN_OUT_OF_WINDOW:
		memset(cdb, 0, sizeof(cdb));
		r.cmdsn += 0x40000000u;
		scsi_cmd_bhs(&r, bhs, c->lun, 0x80, 0, cdb, 6);
		rc = send_pdu(r.fd, bhs, NULL, 0);
		break;
	case RC_UNKNOWN_LUN:
		memset(cdb, 0, sizeof(cdb));
		scsi_cmd_bhs(&r, bhs, 0x3ff0, 0x80, 0, cdb, 6);
		rc = send_pdu(r.fd, bhs, NULL, 0);
		break;
	case RC_COUNT:
		break;
	}
	if (rc && rc != -EPIPE && rc != -ECONNRESET)
		snprintf(what, sizeof(what), "send failed: %s", strerror(-rc));
	else if (rc_ == RC_WRITE_THEN_CLOSE || rc)
		snprintf(what, sizeof(what), "connection closed by us%s", rc ? " (target first)" : "");
	else
		observe(&r, what, sizeof(what));
	printf("tio: malformed %-22s -> %s\n", rcase_name[rc_], what);
	close(r.fd);
	return 0;
}

int tio_cmd_malformed(const struct tio_opts *o)
{
	struct tio_conn c;
	struct tio_io_stats st;
	struct tio_opts io = *o;
	uint64_t rng = o->seed, deadline = tio_now_ms() + (uint64_t)o->timeout_s * 1000u;
	struct raw r;
	int rc, failed = 0, ran = 0;

	io.qd = o->qd ? o->qd : 8;
	/* No auto-reconnect: a dropped session must show up as a failure. */
	if (tio_connect(&c, o, false))
		return 1;
	uint64_t region = o->size ? o->size : 1u << 20;

	memset(&st, 0, sizeof(st));
	if (tio_run_region(&c, TIO_WRITE, o->offset, region, o->seed, &io, deadline, &st)) {
		fprintf(stderr, "tio: initial write failed\n");
		return 1;
	}
	for (int k = 0; k < RC_COUNT; k++) {
		const char *only = getenv("TIO_MALFORMED_CASE");
		const char *skip = getenv("TIO_MALFORMED_SKIP");

		if (only && strcmp(only, rcase_name[k]))
			continue;
		if (skip && strstr(skip, rcase_name[k]))
			continue;
		if (run_case((enum rcase)k, &c, o, &rng)) {
			failed = 1;
			break;
		}
		ran++;
		memset(&st, 0, sizeof(st));
		rc = tio_run_region(&c, TIO_VERIFY, o->offset, region, o->seed, &io, deadline, &st);
		if (!rc)
			rc = tio_run_region(&c, TIO_WRITE, o->offset, region, o->seed, &io,
					    deadline, &st);
		if (rc || !iscsi_is_logged_in(c.ctx)) {
			fprintf(stderr, "tio: the other session failed after case %s\n",
				rcase_name[k]);
			failed = 1;
			break;
		}
	}
	if (!failed) {
		/* The target must still accept a well-formed login. */
		rc = raw_login(&r, c.portal, c.target, o->initiator);
		if (rc) {
			fprintf(stderr, "tio: a clean login failed after the malformed cases: %s\n",
				strerror(-rc));
			failed = 1;
		} else {
			close(r.fd);
		}
	}
	if (failed)
		return 1;
	printf("tio: %d malformed cases sent; the libiscsi session kept working\n", ran);
	tio_disconnect(&c);
	return 0;
}
