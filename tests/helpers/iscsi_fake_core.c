/* TEST HELPER ONLY: plays supervisor + SCSI core for mtgt-iscsi so the
 * frontend can be driven by real initiators (libiscsi tools) before the real
 * supervisor and core are merged. A tiny RAM disk, a handful of CDBs.
 *
 * usage: test-iscsi-fakecore PORT [path/to/mtgt-iscsi] [ram MiB]
 * Targets: iqn.2026-11.org.mtgt:test (LUN 0, RAM), iqn.2026-11.org.mtgt:second
 * (LUN 0, RAM), iqn.2026-11.org.mtgt:hidden (exists, -EACCES for everyone, not
 * discovered). SIGUSR1 sends CTL_SHUTDOWN to the frontend, SIGUSR2 CTL_STATS,
 * SIGHUP CTL_SESSION_LOGOUT with FAKE_LOGOUT_REQ (default {"wait_s":1});
 * SIGTERM kills it. FAKE_CONFIG='{...}' adds keys to the frontend's "config"
 * (e.g. CHAP credentials). FAKE_LISTENERS='[{"addr":"[::1]:3262","group":2}]'
 * adds listeners (IPv4 or IPv6) with their portal groups; FAKE_GROUP sets
 * the group of the first. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include "common/ctl.h"
#include "shm/link.h"
#include "shm/pool.h"

#define TGT_TEST   "iqn.2026-11.org.mtgt:test"
#define TGT_SECOND "iqn.2026-11.org.mtgt:second"
#define TGT_HIDDEN "iqn.2026-11.org.mtgt:hidden"
#define MAXNEX     1024
#define BLK        512u

static struct pool pool;
static struct link lk;
static uint8_t *disk[2];
static uint64_t disk_bytes;
static int nexus_tgt[MAXNEX]; /* -1 unused */
static volatile sig_atomic_t want_shutdown, want_term, want_stats;
static int ctl_fd;
static pid_t child;

/* pending writes waiting for DATA_READY */
struct pend { uint64_t tag; int used; uint8_t cdb[32]; uint32_t nexus; struct buf_handle buf; uint32_t edtl; };
static struct pend pend[4096];

#define MAX_EXTRA_LIS 8
static int extra_fd[MAX_EXTRA_LIS];
static json_t *extra_lis;

/* "IP:port" or "[IPv6]:port" -> a listening socket, or -1 */
static int listen_on(const char *addr)
{
	char host[80], *colon;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *ai;
	int fd, one = 1;

	snprintf(host, sizeof(host), "%s", addr);
	colon = strrchr(host, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		perror(addr);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void on_usr1(int s) { (void)s; want_shutdown = 1; }
static void on_term(int s) { (void)s; want_term = 1; }
static void on_usr2(int s) { (void)s; want_stats = 1; }
static volatile sig_atomic_t want_logout;
static void on_hup(int s) { (void)s; want_logout = 1; }

static void sense_set(struct msg_cmd_rsp *r, uint8_t key, uint8_t asc, uint8_t ascq)
{
	r->status = 2;
	r->sense_len = 18;
	memset(r->sense, 0, 18);
	r->sense[0] = 0x70;
	r->sense[2] = key;
	r->sense[7] = 10;
	r->sense[12] = asc;
	r->sense[13] = ascq;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void send_msg(union msg *m)
{
	int err = 0;
	union msg *s;

	for (int tries = 0; !(s = ring_prod_reserve(&lk.tx, &err)); tries++) {
		if (err) { fprintf(stderr, "fakecore: tx ring broken\n"); exit(1); }
		/* a frontend that stopped consuming (e.g. after reporting us)
		 * must not hang the test helper */
		if (tries > 20000 || want_term) {
			fprintf(stderr, "fakecore: tx ring stuck full; dropping a message\n");
			return;
		}
		ring_prod_publish(&lk.tx);
		usleep(100);
	}
	memcpy(s, m, sizeof(*m));
	ring_prod_push(&lk.tx);
}

/* Returns bytes of data-in (reads) and fills status. */
static void do_cmd(const struct msg_cmd *c, uint8_t *buf, struct msg_cmd_rsp *r)
{
	const uint8_t *cdb = c->cdb;
	int t = c->nexus < MAXNEX ? nexus_tgt[c->nexus] : -1;
	uint8_t *d = t >= 0 ? disk[t] : NULL;
	uint64_t lba = 0, nblk = 0;
	uint8_t tmp[512];
	uint32_t n = 0, alloc;

	memset(tmp, 0, sizeof(tmp));
	if (!d) {
		sense_set(r, 5, 0x25, 0);
		return;
	}
	if (c->lun != 0 && cdb[0] != 0x12 && cdb[0] != 0xa0) {
		sense_set(r, 5, 0x25, 0);
		return;
	}
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
		return;
	case 0x12: /* INQUIRY */
		alloc = (uint32_t)get_be(cdb + 3, 2);
		if (cdb[1] & 1) {
			if (cdb[2] == 0x00) { tmp[1] = 0; tmp[3] = 2; tmp[4] = 0x00; tmp[5] = 0x80; n = 6; }
			else if (cdb[2] == 0x80) { tmp[1] = 0x80; tmp[3] = 4; memcpy(tmp + 4, "1234", 4); n = 8; }
			else { sense_set(r, 5, 0x24, 0); return; }
		} else {
			tmp[0] = c->lun ? 0x7f : 0;
			tmp[2] = 6; tmp[3] = 2; tmp[4] = 31; tmp[7] = 0x02;
			memcpy(tmp + 8, "MTGT    ", 8);
			memcpy(tmp + 16, "FAKE-CORE-DISK  ", 16);
			memcpy(tmp + 32, "0001", 4);
			n = 36;
		}
		r->cdb_xfer_len = alloc;
		break;
	case 0xa0: /* REPORT LUNS */
		alloc = (uint32_t)get_be(cdb + 6, 4);
		put_be(tmp, 8, 4);
		n = 16;
		r->cdb_xfer_len = alloc;
		break;
	case 0x25: /* READ CAPACITY 10 */
		put_be(tmp, disk_bytes / BLK - 1, 4);
		put_be(tmp + 4, BLK, 4);
		n = 8;
		r->cdb_xfer_len = 8;
		break;
	case 0x9e: /* READ CAPACITY 16 */
		alloc = (uint32_t)get_be(cdb + 10, 4);
		put_be(tmp, disk_bytes / BLK - 1, 8);
		put_be(tmp + 8, BLK, 4);
		n = 32;
		r->cdb_xfer_len = alloc;
		break;
	case 0x1a: /* MODE SENSE 6 */
		alloc = cdb[4];
		tmp[0] = 3;
		n = 4;
		r->cdb_xfer_len = alloc;
		break;
	case 0x5a: /* MODE SENSE 10 */
		alloc = (uint32_t)get_be(cdb + 7, 2);
		tmp[1] = 6;
		n = 8;
		r->cdb_xfer_len = alloc;
		break;
	case 0x35: case 0x91: /* SYNCHRONIZE CACHE */
		return;
	case 0x28: case 0x88: case 0x2a: case 0x8a:
		if (cdb[0] == 0x28 || cdb[0] == 0x2a) { lba = get_be(cdb + 2, 4); nblk = get_be(cdb + 7, 2); }
		else { lba = get_be(cdb + 2, 8); nblk = get_be(cdb + 10, 4); }
		r->cdb_xfer_len = (uint32_t)(nblk * BLK);
		if ((lba + nblk) * BLK > disk_bytes) { sense_set(r, 5, 0x21, 0); return; }
		/* like a real target: move no more than the initiator expects */
		n = nblk * BLK < c->edtl ? (uint32_t)(nblk * BLK) : c->edtl;
		if (cdb[0] == 0x28 || cdb[0] == 0x88) {
			if (n)
				memcpy(buf, d + lba * BLK, n);
			r->data_len = n;
		} else {
			if (n)
				memcpy(d + lba * BLK, buf, n);
		}
		return;
	default:
		sense_set(r, 5, 0x20, 0);
		return;
	}
	if (n > r->cdb_xfer_len)
		n = r->cdb_xfer_len;
	if (n > c->edtl)
		n = c->edtl;
	if (n)
		memcpy(buf, tmp, n);
	r->data_len = n;
}

static uint32_t write_len(const uint8_t *cdb)
{
	if (cdb[0] == 0x2a) return (uint32_t)get_be(cdb + 7, 2) * BLK;
	if (cdb[0] == 0x8a) return (uint32_t)get_be(cdb + 10, 4) * BLK;
	return 0;
}

static void handle(union msg *m)
{
	union msg a;
	uint8_t *b;

	memset(&a, 0, sizeof(a));
	a.h.tag = m->h.tag;
	switch (m->h.type) {
	case MSG_NEXUS_ADD: {
		char *s = pool_ptr(&pool, &m->nexus_add.buf);
		const char *tn = s ? s + strnlen(s, 300) + 1 : "";
		a.h.type = MSG_NEXUS_ADDED;
		a.nexus_added.nexus = m->nexus_add.nexus;
		fprintf(stderr, "fakecore: NEXUS_ADD %u %s -> %s isid %012llx\n", m->nexus_add.nexus,
			s ? s : "?", tn, (unsigned long long)m->nexus_add.isid);
		if (!strcmp(tn, TGT_TEST) || !strcmp(tn, TGT_SECOND)) {
			if (m->nexus_add.nexus < MAXNEX)
				nexus_tgt[m->nexus_add.nexus] = !strcmp(tn, TGT_SECOND);
		} else {
			a.nexus_added.result = !strcmp(tn, TGT_HIDDEN) ? -EACCES : -ENOENT;
		}
		send_msg(&a);
		break;
	}
	case MSG_NEXUS_DEL:
		fprintf(stderr, "fakecore: NEXUS_DEL %u\n", m->nexus_del.nexus);
		if (m->nexus_del.nexus < MAXNEX)
			nexus_tgt[m->nexus_del.nexus] = -1;
		break;
	case MSG_DISCOVER: {
		static const char names[] = TGT_TEST "\0" TGT_SECOND "\0";
		b = pool_ptr(&pool, &m->discover.buf);
		a.h.type = MSG_DISCOVER_DONE;
		fprintf(stderr, "fakecore: DISCOVER for %s\n", b ? (char *)b : "?");
		if (b && m->discover.buf.length >= sizeof(names)) {
			memcpy(b, names, sizeof(names));
			a.discover_done.length = sizeof(names);
		} else {
			a.discover_done.result = -ENOSPC;
		}
		send_msg(&a);
		break;
	}
	case MSG_CMD: {
		uint32_t need = write_len(m->cmd.cdb);
		b = m->cmd.buf.length ? pool_ptr(&pool, &m->cmd.buf) : NULL;
		if (m->cmd.buf.length && !b) { fprintf(stderr, "fakecore: bad handle\n"); exit(1); }
		if (need > m->cmd.edtl)
			need = m->cmd.edtl;
		if (m->cmd.dir == MSG_DIR_WRITE && need && m->cmd.imm_len < need) {
			uint32_t i = (uint32_t)m->h.tag % 4096;
			while (pend[i].used) i = (i + 1) % 4096;
			pend[i].used = 1;
			pend[i].tag = m->h.tag;
			memcpy(pend[i].cdb, m->cmd.cdb, 32);
			pend[i].nexus = m->cmd.nexus;
			pend[i].buf = m->cmd.buf;
			pend[i].edtl = m->cmd.edtl;
			a.h.type = MSG_XFER_RDY;
			a.xfer_rdy.length = need;
			send_msg(&a);
			break;
		}
		a.h.type = MSG_CMD_RSP;
		do_cmd(&m->cmd, b, &a.cmd_rsp);
		if (getenv("FAKE_EVIL"))
			a.h.tag ^= 0x5a5a00000000ull; /* a tag the frontend never issued */
		send_msg(&a);
		break;
	}
	case MSG_DATA_READY: {
		uint32_t i;
		for (i = 0; i < 4096; i++)
			if (pend[i].used && pend[i].tag == m->h.tag)
				break;
		if (i == 4096) { fprintf(stderr, "fakecore: DATA_READY unknown tag\n"); exit(1); }
		pend[i].used = 0;
		a.h.type = MSG_CMD_RSP;
		if (m->data_ready.result < 0) {
			a.h.flags = MSG_RSP_ABORTED;
		} else {
			struct msg_cmd c;
			memset(&c, 0, sizeof(c));
			memcpy(c.cdb, pend[i].cdb, 32);
			c.nexus = pend[i].nexus;
			c.edtl = pend[i].edtl;
			c.dir = MSG_DIR_WRITE;
			do_cmd(&c, pool_ptr(&pool, &pend[i].buf), &a.cmd_rsp);
		}
		send_msg(&a);
		break;
	}
	case MSG_TMF:
		fprintf(stderr, "fakecore: TMF fn %u\n", m->tmf.fn);
		a.h.type = MSG_TMF_RSP;
		a.tmf_rsp.result = MSG_TMF_COMPLETE;
		send_msg(&a);
		break;
	default:
		fprintf(stderr, "fakecore: unexpected message %u\n", m->h.type);
		exit(1);
	}
}

static void ctl_poll(void)
{
	struct ctl_msg m;
	int r;

	while ((r = ctl_recv(ctl_fd, &m)) > 0) {
		fprintf(stderr, "fakecore: ctl %s %s\n", ctl_type_name(m.type), m.data ? m.data : "");
		ctl_msg_free(&m);
	}
}

int main(int argc, char **argv)
{
	const char *bin = argc > 2 ? argv[2] : "build/bin/mtgt-iscsi";
	uint64_t sizes[2] = { 1u << 20, 64u << 20 };
	int port = argc > 1 ? atoi(argv[1]) : 3300;
	int sp[2], lfd, efd_a, efd_b, memfd, one = 1, st;
	size_t len;
	struct sockaddr_in sa;
	char *js;
	json_t *doc;

	if (getenv("ISCSI_ARENA_MB"))
		sizes[1] = (uint64_t)atoi(getenv("ISCSI_ARENA_MB")) << 20;
	disk_bytes = (argc > 3 ? (uint64_t)atoi(argv[3]) : 64) << 20;
	disk[0] = calloc(1, disk_bytes);
	disk[1] = calloc(1, disk_bytes);
	for (int i = 0; i < MAXNEX; i++)
		nexus_tgt[i] = -1;
	if (pool_create(&pool, 2, sizes) < 0 || pool_map_all(&pool) < 0) {
		fprintf(stderr, "pool\n");
		return 1;
	}
	if (link_create(256, 11, 22, &memfd, &len) < 0) {
		fprintf(stderr, "link\n");
		return 1;
	}
	efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (void *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0) {
		perror("bind");
		return 1;
	}
	if (getenv("FAKE_LISTENERS")) {
		json_error_t jerr;
		size_t k;
		json_t *e;

		extra_lis = json_loads(getenv("FAKE_LISTENERS"), 0, &jerr);
		if (!json_is_array(extra_lis) || json_array_size(extra_lis) > MAX_EXTRA_LIS) {
			fprintf(stderr, "fakecore: FAKE_LISTENERS: bad\n");
			return 1;
		}
		json_array_foreach(extra_lis, k, e) {
			extra_fd[k] = listen_on(json_string_value(json_object_get(e, "addr")));
			if (extra_fd[k] < 0)
				return 1;
		}
	}
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp);
	child = fork();
	if (child == 0) {
		int fds[6] = { sp[1], pool.fd, memfd, efd_a, efd_b, lfd };
		int tmp[6];
		for (int i = 0; i < 6; i++)
			tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 100);
		/* out of the way of 3..8 first */
		for (size_t i = 0; extra_lis && i < json_array_size(extra_lis); i++)
			extra_fd[i] = fcntl(extra_fd[i], F_DUPFD_CLOEXEC, 200);
		for (int i = 0; i < 6; i++)
			dup2(tmp[i], 3 + i);
		for (size_t i = 0; extra_lis && i < json_array_size(extra_lis); i++)
			dup2(extra_fd[i], 9 + (int)i); /* dup2 clears FD_CLOEXEC */
		execl(bin, bin, (char *)NULL);
		perror("exec");
		_exit(127);
	}
	close(sp[1]);
	ctl_fd = sp[0];
	doc = json_pack("{s:s, s:s, s:i, s:{s:i, s:I, s:i, s:[{s:I,s:I},{s:I,s:I}]}, s:i,"
			" s:[{s:i, s:i, s:I, s:s, s:i, s:i, s:s, s:i}], s:[{s:i, s:s}],"
			" s:{s:i}}",
			"name", "iscsi0", "kind", "iscsi", "epoch", 11,
			"pool", "fd", 4, "size", (json_int_t)pool.size, "map", 1, "arenas",
			"offset", (json_int_t)pool.arenas[0].offset, "size", (json_int_t)pool.arenas[0].size,
			"offset", (json_int_t)pool.arenas[1].offset, "size", (json_int_t)pool.arenas[1].size,
			"core_arena", 0,
			"links", "id", 0, "fd", 5, "len", (json_int_t)len, "side", "a", "wake_self", 6,
			"wake_peer", 7, "peer", "core", "peer_epoch", 22,
			"listeners", "fd", 8, "addr", "127.0.0.1:0",
			"config", "spin_us", getenv("SPIN_US") ? atoi(getenv("SPIN_US")) : 0);
	if (getenv("FAKE_CONFIG")) {
		/* extra frontend config, e.g. CHAP credentials */
		json_error_t jerr;
		json_t *extra = json_loads(getenv("FAKE_CONFIG"), 0, &jerr);

		if (!extra || json_object_update(json_object_get(doc, "config"), extra) < 0) {
			fprintf(stderr, "fakecore: FAKE_CONFIG: %s\n", jerr.text);
			return 1;
		}
		json_decref(extra);
	}
	js = json_dumps(doc, JSON_COMPACT);
	json_object_set_new(doc, "x", json_null());
	{
		/* listeners addr with the real port */
		char addr[32];
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		json_t *lis = json_object_get(doc, "listeners");

		json_object_set_new(json_array_get(lis, 0), "addr", json_string(addr));
		if (getenv("FAKE_GROUP"))
			json_object_set_new(json_array_get(lis, 0), "group",
					    json_integer(atoi(getenv("FAKE_GROUP"))));
		for (size_t i = 0; extra_lis && i < json_array_size(extra_lis); i++) {
			json_t *e = json_deep_copy(json_array_get(extra_lis, i));

			json_object_set_new(e, "fd", json_integer(9 + (int)i));
			json_array_append_new(lis, e);
		}
		json_object_del(doc, "x");
		free(js);
		js = json_dumps(doc, JSON_COMPACT);
	}
	ctl_send(ctl_fd, CTL_INIT, js, strlen(js), NULL, 0);
	free(js);
	json_decref(doc);
	if (link_attach(&lk, 0, memfd, len, LINK_SIDE_B, efd_b, efd_a, 22, 11) < 0) {
		fprintf(stderr, "attach\n");
		return 1;
	}
	fcntl(ctl_fd, F_SETFL, O_NONBLOCK);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	signal(SIGHUP, on_hup);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	fprintf(stderr, "fakecore: frontend pid %d on 127.0.0.1:%d\n", (int)child, port);
	for (;;) {
		union msg m;
		int r, n = 0;

		if (want_shutdown) {
			want_shutdown = 0;
			ctl_send(ctl_fd, CTL_SHUTDOWN, NULL, 0, NULL, 0);
		}
		if (want_stats) {
			want_stats = 0;
			ctl_send(ctl_fd, CTL_STATS, NULL, 0, NULL, 0);
		}
		if (want_logout) {
			const char *req = getenv("FAKE_LOGOUT_REQ");

			want_logout = 0;
			if (!req)
				req = "{\"wait_s\":1}";
			ctl_send(ctl_fd, CTL_SESSION_LOGOUT, req, strlen(req), NULL, 0);
		}
		if (want_term) {
			kill(child, SIGTERM);
			waitpid(child, &st, 0);
			return 0;
		}
		if (waitpid(child, &st, WNOHANG) == child) {
			fprintf(stderr, "fakecore: frontend exited, status 0x%x\n", st);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		ctl_poll();
		link_wait(&lk, 2000, 50);
		while ((r = ring_cons_pop(&lk.rx, &m)) > 0) {
			handle(&m);
			n++;
		}
		if (r < 0) { fprintf(stderr, "fakecore: rx ring broken\n"); return 1; }
		if (n)
			ring_cons_release(&lk.rx);
		ring_prod_publish(&lk.tx);
	}
}
