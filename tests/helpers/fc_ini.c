/* test-fc-ini transport: VN2VN join, frames, ELS, FCP commands (fc_ini.h).
 *
 *   test-fc-ini IFACE TARGET_PORT_ID OUR_PORT_ID OUR_WWPN CASE [ARGS]
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fip.h"
#include "tests/helpers/fc_ini.h"

#define VN2VN_FC_MAP 0x0efd00u
static const uint8_t all_vn2vn[6] = { 0x01, 0x10, 0x18, 0x01, 0x00, 0x04 };

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int fci_open(struct fci *c, const char *ifname, uint32_t id, uint32_t tgt_id, uint64_t wwpn)
{
	unsigned idx = if_nametoindex(ifname);
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = (int)idx };
	socklen_t sl = sizeof(a);
	int buf = 8 << 20;

	memset(c, 0, sizeof(*c));
	if (!idx)
		return -ENODEV;
	c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&a, &sl) < 0)
		return -errno;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	/* our own frames (a write's data-out) would crowd the receive buffer */
	setsockopt(c->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &(int){ 1 }, sizeof(int));
	memcpy(c->mac, a.sll_addr, 6);
	c->id = id;
	c->tgt_id = tgt_id;
	c->wwpn = wwpn;
	c->wwnn = wwpn ^ 0x1000000000000000ull;
	c->rx_size = FC_MAX_PAYLOAD;
	c->next_ox = 0x100;
	fcoe_fpma(VN2VN_FC_MAP, id, c->vn_mac);
	fcoe_fpma(VN2VN_FC_MAP, tgt_id, c->tgt_mac);
	return 0;
}

static void vn_send(struct fci *c, uint8_t sub, const uint8_t *dst)
{
	uint8_t out[512];
	struct fip_buf b;
	int n;

	fip_begin(&b, out, sizeof(out), dst, c->mac, 0, FIP_OP_VN2VN, sub, 0);
	fip_put_mac(&b, c->mac);
	fip_put_name(&b, c->wwnn);
	fip_put_vn_id(&b, c->vn_mac, c->id, c->wwpn);
	if (sub == 3 || sub == 4) {
		fip_put_fc4f_fcp(&b, 2);
		fip_put_max_size(&b, 2158);
	}
	n = fip_end(&b);
	if (n > 0 && send(c->fd, out, (size_t)n, 0) < 0)
		FCI_LOG("FIP send: %s", strerror(errno));
}

/* Claim our id, then wait until the target's VN_Port answers our claim
 * (claim response) with the id we expect. */
int fci_vn2vn_join(struct fci *c, int timeout_ms)
{
	uint64_t end = ms_now() + (uint64_t)timeout_ms, last = 0;
	uint8_t buf[2048];

	vn_send(c, 1, all_vn2vn);
	while (ms_now() < end) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		struct fip_msg m;
		ssize_t n;

		if (ms_now() - last >= 500) {
			vn_send(c, 3, all_vn2vn);
			last = ms_now();
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 14 || fc_get16(buf + 12) != FIP_ETHERTYPE || !memcmp(buf + 6, c->mac, 6))
			continue;
		if (fip_parse(buf, (size_t)n, &m) < 0 || m.op != FIP_OP_VN2VN)
			continue;
		if (m.vn_port_id == c->id && (m.subcode == 2 || m.subcode == 3)) {
			FCI_LOG("our id %06x is taken", c->id);
			return -EADDRINUSE;
		}
		if (m.subcode == 4 && m.vn_port_id == c->tgt_id) {
			if (!FIP_HAS(&m, FIP_DT_FC4F) || !FIP_HAS(&m, FIP_DT_FCOE_SIZE) ||
			    memcmp(m.vn_mac, c->tgt_mac, 6)) {
				FCI_LOG("claim response lacks FC-4 features/size or has a wrong MAC");
				return -EPROTO;
			}
			FCI_LOG("target VN_Port %06x (wwpn %016llx) answered our claim, max FCoE size %u",
				m.vn_port_id, (unsigned long long)m.vn_port_name, m.max_fcoe_size);
			return 0;
		}
	}
	return -ETIMEDOUT;
}

void fci_hdr(struct fci *c, struct fc_hdr *h, uint8_t r_ctl, uint8_t type, uint16_t ox,
	     uint16_t rx, uint32_t f_ctl)
{
	memset(h, 0, sizeof(*h));
	h->r_ctl = r_ctl;
	h->d_id = c->tgt_id;
	h->s_id = c->id;
	h->type = type;
	h->f_ctl = f_ctl;
	h->seq_id = c->seq_id++;
	h->ox_id = ox;
	h->rx_id = rx;
}

int fci_send(struct fci *c, const struct fc_hdr *h, const uint8_t *pl, uint32_t len, bool bad_crc)
{
	struct fcoe_frame f = { .fh = *h };
	int n;

	memcpy(f.dst, c->tgt_mac, 6);
	memcpy(f.src, c->vn_mac, 6);
	f.sof = h->seq_cnt ? FC_SOF_N3 : FC_SOF_I3;
	f.eof = (h->f_ctl & FC_FCTL_END_SEQ) ? FC_EOF_T : FC_EOF_N;
	n = fcoe_encode(&f, pl, len, c->frame, sizeof(c->frame));
	if (n < 0)
		return n;
	if (bad_crc)
		c->frame[n - 8] ^= 0x5a; /* a CRC byte */
	return send(c->fd, c->frame, (size_t)n, 0) == n ? 0 : -errno;
}

int fci_recv(struct fci *c, struct fci_rx *rx, int timeout_ms)
{
	uint64_t end = ms_now() + (uint64_t)timeout_ms;
	uint8_t buf[FCOE_MAX_FRAME + 64];

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		struct fcoe_frame f;
		int64_t left = (int64_t)(end - ms_now());
		ssize_t n;
		int r;

		if (left <= 0)
			return 0;
		if (c->tick)
			c->tick(c);
		if (!c->hook && ms_now() - c->last_beacon_ms >= 4000) {
			/* the target forgets VN_Ports whose beacons stop */
			vn_send(c, 5, all_vn2vn);
			c->last_beacon_ms = ms_now();
		}
		if (poll(&p, 1, c->tick && left > 50 ? 50 : (int)left) <= 0)
			continue;
		n = recvfrom(c->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);
		if (n < 14 || sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (c->hook && c->hook(c, buf, (size_t)n))
			continue;
		if (fc_get16(buf + 12) == FIP_ETHERTYPE) {
			struct fip_msg m;

			/* keep the target's view of us alive */
			if (fip_parse(buf, (size_t)n, &m) == 0 && m.op == FIP_OP_VN2VN &&
			    m.subcode == 3 && m.vn_port_id != c->id)
				vn_send(c, 4, m.src);
			continue;
		}
		if (memcmp(buf, c->vn_mac, 6))
			continue;
		r = fcoe_decode(buf, (size_t)n, &f);
		if (r < 0) {
			FCI_LOG("target sent a bad FCoE frame (%s)", strerror(-r));
			return -EPROTO;
		}
		if (f.fh.d_id != c->id || f.fh.s_id != c->tgt_id || memcmp(f.src, c->tgt_mac, 6))
			continue;
		rx->h = f.fh;
		rx->len = f.payload_len;
		memcpy(rx->pl, f.payload, f.payload_len);
		return 1;
	}
}

/* VN2VN: take only frames for our VN_Port or ENode MAC and multicast (FIP)
 * into the socket: with two initiators on one link, each other's data-in
 * would fill the receive buffer and push out our own frames. */
static void own_frames_only(struct fci *c)
{
	const uint8_t *v = c->vn_mac, *e = c->mac;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 6, 0),          /* multicast */
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3], 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3], 4, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		/* vn_mac's first four bytes matched: the last two */
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)v[4] << 8 | v[5], 3, 2),
		/* the ENode MAC's */
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)e[4] << 8 | e[5], 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

unsigned fci_drops(struct fci *c)
{
	static unsigned total;
	struct tpacket_stats st = { 0 };
	socklen_t len = sizeof(st);

	/* the kernel resets the counters on every read */
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		total += st.tp_drops;
	return total;
}

uint16_t fci_ox(struct fci *c)
{
	uint16_t ox = c->next_ox++;

	if (c->next_ox >= 0xf000)
		c->next_ox = 0x100;
	return ox;
}

int fci_els(struct fci *c, const uint8_t *pl, uint32_t len, struct fci_rx *rx)
{
	uint16_t ox = fci_ox(c);
	struct fc_hdr h;
	uint64_t end = ms_now() + 3000;

	fci_hdr(c, &h, FC_RCTL_ELS_REQ, FC_TYPE_ELS, ox, FC_XID_UNKNOWN,
		FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT);
	if (fci_send(c, &h, pl, len, false) < 0)
		return -EIO;
	while (ms_now() < end) {
		int r = fci_recv(c, rx, 200);

		if (r < 0)
			return r;
		if (r && rx->h.r_ctl == FC_RCTL_ELS_REP && rx->h.ox_id == ox && rx->len >= 1) {
			if (!(rx->h.f_ctl & FC_FCTL_EX_CTX) || !(rx->h.f_ctl & FC_FCTL_LAST_SEQ)) {
				FCI_LOG("ELS reply F_CTL %06x lacks EX_CTX or LAST_SEQ", rx->h.f_ctl);
				return -EPROTO;
			}
			return rx->pl[0];
		}
	}
	return -ETIMEDOUT;
}

int fci_plogi(struct fci *c, uint16_t rx_size, struct fci_rx *rx)
{
	struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .bb_credit = 10,
			       .features = FC_SP_FT_CIRO, .rx_size = rx_size, .max_seq = 255,
			       .rel_off = 0x1f, .e_d_tov = 2000, .port_name = c->wwpn,
			       .node_name = c->wwnn, .class3 = true,
			       .c3_options = FC_CPSP_VALID | FC_CPSP_SEQ_DEL, .c3_rx_size = rx_size,
			       .c3_conc_seq = 255, .c3_open_seq = 1 };
	uint8_t p[FC_SPARM_LEN];
	int r;

	fc_sparm_encode(ELS_PLOGI, &sp, p);
	r = fci_els(c, p, sizeof(p), rx);
	if (r == ELS_LS_ACC) {
		struct fc_sparm t;
		uint8_t cmd;

		if (fc_sparm_decode(rx->pl, rx->len, &cmd, &t) < 0 || !t.class3) {
			FCI_LOG("PLOGI LS_ACC does not decode");
			return -EPROTO;
		}
		c->tgt_rx_size = t.rx_size & 0x0fff;
		c->rx_size = rx_size;
	}
	return r;
}

int fci_prli(struct fci *c, struct fci_rx *rx)
{
	struct fc_prli_page pg = { .type = FC_TYPE_FCP, .flags = FCP_SPPF_EST_IMAGE,
				   .sparams = FCP_SPP_INIT_FCN | FCP_SPP_RD_XRDY_DIS };
	uint8_t p[FC_PRLI_LEN];

	fc_prli_encode(ELS_PRLI, &pg, p);
	return fci_els(c, p, sizeof(p), rx);
}

int fci_logo(struct fci *c, struct fci_rx *rx)
{
	uint8_t p[FC_LOGO_LEN];

	fc_logo_encode(c->id, c->wwpn, p);
	return fci_els(c, p, sizeof(p), rx);
}

int fci_login(struct fci *c)
{
	struct fci_rx rx;
	struct fc_prli_page pg;
	uint8_t cmd;
	int r;

	r = fci_plogi(c, FC_MAX_PAYLOAD, &rx);
	if (r != ELS_LS_ACC) {
		FCI_LOG("PLOGI: %d (reply %02x %02x %02x %02x)", r, rx.pl[0], rx.pl[1], rx.pl[2],
			rx.pl[3]);
		return -EACCES;
	}
	r = fci_prli(c, &rx);
	if (r != ELS_LS_ACC) {
		FCI_LOG("PRLI: %d (reason %02x expl %02x)", r, rx.pl[5], rx.pl[6]);
		return -EACCES;
	}
	if (fc_prli_decode(rx.pl, rx.len, &cmd, &pg) < 0 || ((pg.flags >> 8) & 0xf) != 1 ||
	    !(pg.sparams & FCP_SPP_TARGET_FCN) || (pg.sparams & FCP_SPP_WR_XRDY_DIS)) {
		FCI_LOG("PRLI LS_ACC: bad page (flags %04x sparams %08x)", pg.flags, pg.sparams);
		return -EPROTO;
	}
	return 0;
}

int fci_cmd_send(struct fci *c, const struct fci_cmd *cmd, uint16_t ox, bool bad_crc)
{
	struct fcp_cmnd fc = { .lun = cmd->lun, .rd = cmd->rd, .wr = cmd->wr, .dl = cmd->dl,
			       .tmf = cmd->tmf, .cdb_len = cmd->tmf ? 0 : 16 };
	uint8_t iu[64];
	struct fc_hdr h;
	int n;

	memcpy(fc.cdb, cmd->cdb, cmd->cdb_len);
	n = fcp_cmnd_encode(&fc, iu, sizeof(iu));
	if (n < 0)
		return n;
	fci_hdr(c, &h, FC_RCTL_DD_UNSOL_CMD, FC_TYPE_FCP, ox, FC_XID_UNKNOWN,
		FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT);
	return fci_send(c, &h, iu, (uint32_t)n, bad_crc);
}

int fci_send_data(struct fci *c, const struct fci_cmd *cmd, const struct fci_rx *xr)
{
	uint32_t off, burst, max = c->tgt_rx_size ? c->tgt_rx_size : 1024, done = 0, frame = 0;
	struct fc_hdr h;

	if (fcp_xfer_rdy_decode(xr->pl, xr->len, &off, &burst) < 0 || off + burst > cmd->dl ||
	    !burst) {
		FCI_LOG("bad XFER_RDY (offset %u burst %u, dl %u)", off, burst, cmd->dl);
		return -EPROTO;
	}
	fci_hdr(c, &h, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP, xr->h.ox_id, xr->h.rx_id, FC_FCTL_REL_OFF);
	while (done < burst) {
		uint32_t n = burst - done < max ? burst - done : max;

		h.param = off + done;
		h.seq_cnt = (uint16_t)frame;
		if (done + n == burst)
			h.f_ctl |= FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT;
		frame++;
		if (frame != c->drop_data_frame && fci_send(c, &h, cmd->buf + off + done, n, false) < 0)
			return -EIO;
		done += n;
	}
	return 0;
}

int fci_cmd(struct fci *c, struct fci_cmd *cmd, uint16_t ox, int timeout_ms)
{
	uint64_t end = ms_now() + (uint64_t)timeout_ms;
	uint32_t expect_off = 0;
	struct fci_rx *rx = malloc(sizeof(*rx));
	int r = -ETIMEDOUT;

	if (!rx)
		return -ENOMEM;
	if (!ox)
		ox = fci_ox(c);
	cmd->got_rsp = false;
	cmd->data_in = 0;
	c->data_frames = c->max_data_payload = 0;
	if (fci_cmd_send(c, cmd, ox, false) < 0) {
		free(rx);
		return -EIO;
	}
	while (ms_now() < end) {
		int k = fci_recv(c, rx, 200);

		if (k < 0) {
			r = k;
			break;
		}
		if (!k || rx->h.ox_id != ox || rx->h.type != FC_TYPE_FCP)
			continue;
		c->last_rx_id = rx->h.rx_id;
		if (rx->h.r_ctl == FC_RCTL_DD_SOL_DATA) {
			if (!cmd->rd || !(rx->h.f_ctl & FC_FCTL_REL_OFF) || rx->h.param != expect_off ||
			    rx->h.param + rx->len > cmd->dl || rx->len > c->rx_size) {
				FCI_LOG("bad data-in frame: offset %u (expected %u) len %u dl %u",
					rx->h.param, expect_off, rx->len, cmd->dl);
				r = -EPROTO;
				break;
			}
			memcpy(cmd->buf + rx->h.param, rx->pl, rx->len);
			expect_off += rx->len;
			cmd->data_in += rx->len;
			c->data_frames++;
			if (rx->len > c->max_data_payload)
				c->max_data_payload = rx->len;
		} else if (rx->h.r_ctl == FC_RCTL_DD_DATA_DESC) {
			if (!cmd->wr || fci_send_data(c, cmd, rx) < 0) {
				r = -EPROTO;
				break;
			}
		} else if (rx->h.r_ctl == FC_RCTL_DD_CMD_STATUS) {
			if (fcp_rsp_decode(rx->pl, rx->len, &cmd->rsp) < 0 ||
			    !(rx->h.f_ctl & FC_FCTL_LAST_SEQ)) {
				FCI_LOG("bad FCP_RSP");
				r = -EPROTO;
				break;
			}
			cmd->sense_len = cmd->rsp.sense_len > sizeof(cmd->sense) ? sizeof(cmd->sense)
										  : cmd->rsp.sense_len;
			if (cmd->sense_len)
				memcpy(cmd->sense, cmd->rsp.sense, cmd->sense_len);
			cmd->rsp.sense = NULL;
			cmd->got_rsp = true;
			r = 0;
			break;
		}
	}
	free(rx);
	return r;
}

int main(int argc, char **argv)
{
	static struct fci c;
	int r;

	if (argc < 6) {
		fprintf(stderr, "usage: test-fc-ini IFACE TARGET_ID OUR_ID OUR_WWPN CASE [ARGS]\n");
		return 2;
	}
	r = fci_open(&c, argv[1], (uint32_t)strtoul(argv[3], NULL, 16),
		     (uint32_t)strtoul(argv[2], NULL, 16), strtoull(argv[4], NULL, 16));
	if (r < 0) {
		FCI_LOG("open %s: %s", argv[1], strerror(-r));
		return 1;
	}
	/* behind the fake FCF there is no VN2VN */
	if (strcmp(argv[5], "fabric"))
		own_frames_only(&c);
	r = strcmp(argv[5], "fabric") ? fci_vn2vn_join(&c, 15000) : 0;
	if (r < 0) {
		FCI_LOG("VN2VN join: %s", strerror(-r));
		return 1;
	}
	r = fci_case(&c, argv[5], argc - 6, argv + 6);
	if (r) {
		FCI_LOG("case %s FAILED", argv[5]);
		return 1;
	}
	FCI_LOG("case %s ok", argv[5]);
	return 0;
}
