/* Software FCoE port driver (fc_port.h) over an AF_PACKET socket that the
 * supervisor opened and bound to the interface (mtgt-fc has no CAP_NET_RAW).
 *
 * Role: a VN2VN VN_Port (FC-BB-6 clause 7.10): no FCF, no switch; the port
 * claims an N_Port id with FIP probe/claim, answers other VN_Ports' probes
 * and claims, sends beacons, and forgets peers whose beacons stop. Its MAC is
 * the VN2VN FC-MAP followed by the N_Port id, so a peer's MAC follows from
 * its id. FIP VLAN requests (fipvlan) are answered with the configured VLANs.
 * Frames are untagged.
 *
 * Frame size: a full 2112-byte payload needs an MTU of 2158 ("baby jumbo");
 * on a smaller MTU the driver cuts data frames to what fits and announces
 * that size to the stack, which puts it in its PLOGI service parameters. */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_ct.h"
#include "procs/frontend-fc/fc_fcoe.h"
#include "procs/frontend-fc/fc_fcoe_int.h"
#include "procs/frontend-fc/fc_fcp.h"
#include "procs/frontend-fc/fc_fip.h"
#include "procs/frontend-fc/fc_port.h"

static const uint8_t all_vn2vn_macs[6] = { 0x01, 0x10, 0x18, 0x01, 0x00, 0x04 };

uint64_t fcoe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A full transmit queue (a burst of data-in on a real NIC) is waited out
 * for a bounded time: dropping a frame would cost the initiator an
 * exchange timeout, a short stall costs nothing. */
int fcoe_raw_send(struct fc_port *p, const uint8_t *frame, size_t len)
{
	if (p->test_tx) {
		p->test_tx(p->test_tx_arg, frame, len);
		return 0;
	}
	for (int tries = 0; tries < 100; tries++) {
		ssize_t n = send(p->fd, frame, len, MSG_DONTWAIT);
		struct pollfd pw = { .fd = p->fd, .events = POLLOUT };

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || (errno != EAGAIN && errno != ENOBUFS))
			break;
		p->st.tx_waits++;
		poll(&pw, 1, 2);
	}
	p->st.tx_errors++;
	return -EIO;
}

/* ---- FIP ---- */

static void fip_vn_send(struct fc_port *p, uint8_t sub, const uint8_t dst[6])
{
	uint8_t out[512];
	struct fip_buf b;
	int n;

	fip_begin(&b, out, sizeof(out), dst, p->enode_mac, 0, FIP_OP_VN2VN, sub, 0);
	fip_put_mac(&b, p->enode_mac);
	fip_put_name(&b, p->wwnn);
	fip_put_vn_id(&b, p->vn_mac, p->port_id, p->wwpn);
	if (sub == FIP_SC_VN_CLAIM_NOTIFY || sub == FIP_SC_VN_CLAIM_REP) {
		fip_put_fc4f_fcp(&b, 1);
		fip_put_max_size(&b, (uint16_t)(p->max_payload + FC_HDR_LEN + FC_CRC_LEN +
						  FCOE_HDR_LEN + FCOE_TRAILER_LEN));
	}
	n = fip_end(&b);
	if (n > 0 && fcoe_raw_send(p, out, (size_t)n) == 0)
		p->st.fip_tx++;
}

static void vn_set_id(struct fc_port *p, uint32_t id)
{
	p->port_id = id;
	fcoe_fpma(VN2VN_FC_MAP, id, p->vn_mac);
}

static void vn_probe(struct fc_port *p)
{
	p->state = VN_PROBING;
	p->state_ms = fcoe_now_ms();
	fip_vn_send(p, FIP_SC_VN_PROBE_REQ, all_vn2vn_macs);
}

static struct fcoe_peer *peer_find(struct fc_port *p, uint32_t id, bool add)
{
	struct fcoe_peer *free_slot = NULL;

	for (int i = 0; i < FCOE_MAX_PEERS; i++) {
		if (p->peers[i].used && p->peers[i].id == id)
			return &p->peers[i];
		if (!p->peers[i].used && !free_slot)
			free_slot = &p->peers[i];
	}
	if (!add || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->id = id;
	return free_slot;
}

static void peer_drop(struct fc_port *p, struct fcoe_peer *pe, const char *why)
{
	uint32_t id = pe->id;

	log_info("%s: VN_Port %06x gone (%s)", p->name, id, why);
	pe->used = false;
	if (p->state == VN_UP)
		p->cb->peer_gone(p->arg, id);
}

/* Another VN_Port wants or holds our id: the one probing moves away. */
static void vn_conflict(struct fc_port *p, const struct fip_msg *m)
{
	p->st.conflicts++;
	if (p->state == VN_PROBING) {
		uint32_t id = p->port_id + 1;

		if (id >= 0xfffef0u)
			id = 1;
		log_warn("%s: N_Port id %06x taken by %016llx; probing %06x", p->name,
			 p->port_id, (unsigned long long)m->vn_port_name, id);
		vn_set_id(p, id);
		vn_probe(p);
	} else {
		/* we hold it: tell the newcomer */
		fip_vn_send(p, FIP_SC_VN_PROBE_REP, m->src);
	}
}

static void fip_vn_recv(struct fc_port *p, const struct fip_msg *m)
{
	struct fcoe_peer *pe;

	if (!FIP_HAS(m, FIP_DT_VN_ID) || !FIP_HAS(m, FIP_DT_MAC)) {
		p->st.malformed++;
		return;
	}
	if (m->vn_port_name == p->wwpn && !memcmp(m->mac, p->enode_mac, 6))
		return; /* our own, looped back */
	if (m->vn_port_id == 0 || m->vn_port_id >= 0xfffef0u) {
		p->st.malformed++;
		return;
	}
	if (m->vn_port_id == p->port_id && m->vn_port_name != p->wwpn) {
		if (m->subcode == FIP_SC_VN_PROBE_REQ && p->state == VN_UP)
			fip_vn_send(p, FIP_SC_VN_PROBE_REP, m->src);
		else if (m->subcode != FIP_SC_VN_BEACON)
			vn_conflict(p, m);
		return;
	}
	switch (m->subcode) {
	case FIP_SC_VN_PROBE_REQ:
	case FIP_SC_VN_PROBE_REP:
		break;
	case FIP_SC_VN_CLAIM_NOTIFY:
		pe = peer_find(p, m->vn_port_id, true);
		if (pe) {
			if (pe->wwpn && pe->wwpn != m->vn_port_name)
				log_info("%s: VN_Port %06x is now %016llx", p->name, m->vn_port_id,
					 (unsigned long long)m->vn_port_name);
			pe->wwpn = m->vn_port_name;
			pe->last_ms = fcoe_now_ms();
		}
		if (p->state == VN_UP)
			fip_vn_send(p, FIP_SC_VN_CLAIM_REP, m->src);
		break;
	case FIP_SC_VN_CLAIM_REP:
	case FIP_SC_VN_BEACON:
		pe = peer_find(p, m->vn_port_id, m->subcode == FIP_SC_VN_CLAIM_REP);
		if (pe) {
			pe->wwpn = m->vn_port_name;
			pe->last_ms = fcoe_now_ms();
		} else if (p->state == VN_UP) {
			/* a beacon from a port we never saw claim: make it claim */
			fip_vn_send(p, FIP_SC_VN_CLAIM_NOTIFY, all_vn2vn_macs);
		}
		break;
	default:
		p->st.malformed++;
	}
}

/* FIP VLAN discovery (FC-BB-5 7.8.6): the requester learns on which VLANs
 * FCoE is served. Only answered when the config names them. */
static void fip_vlan_recv(struct fc_port *p, const struct fip_msg *m)
{
	uint8_t out[256];
	struct fip_buf b;
	int n;

	p->st.vlan_reqs++;
	if (!p->nvlans || m->subcode != 1)
		return;
	fip_begin(&b, out, sizeof(out), FIP_HAS(m, FIP_DT_MAC) ? m->mac : m->src, p->enode_mac,
		  0, FIP_OP_VLAN, 2, 0);
	fip_put_mac(&b, p->enode_mac);
	for (uint32_t i = 0; i < p->nvlans; i++)
		fip_put_vlan(&b, p->vlans[i]);
	n = fip_end(&b);
	if (n > 0 && fcoe_raw_send(p, out, (size_t)n) == 0)
		p->st.fip_tx++;
}

static void fip_recv(struct fc_port *p, const uint8_t *f, size_t len)
{
	struct fip_msg m;

	p->st.fip_rx++;
	if (fip_parse(f, len, &m) < 0) {
		p->st.malformed++;
		return;
	}
	if (p->en.on) {
		fcoe_enode_fip(p, &m);
		return;
	}
	if (m.op == FIP_OP_VN2VN)
		fip_vn_recv(p, &m);
	else if (m.op == FIP_OP_VLAN)
		fip_vlan_recv(p, &m);
	/* an FCF's frames reach the port only in fabric mode (above) */
}

/* ---- FCoE frames ---- */

static int send_frame(struct fc_port *p, const struct fc_hdr *h, uint8_t sof, uint8_t eof,
		      const uint8_t *pl, uint32_t len)
{
	struct fcoe_frame f = { .sof = sof, .eof = eof, .fh = *h };
	int n;

	/* in front of an FCF every frame goes to the FCF's MAC */
	if (p->en.on)
		memcpy(f.dst, p->en.fcf.mac, 6);
	else
		fcoe_fpma(VN2VN_FC_MAP, h->d_id, f.dst);
	memcpy(f.src, p->vn_mac, 6);
	n = fcoe_encode(&f, pl, len, p->tx, sizeof(p->tx));
	if (n < 0)
		return n;
	p->st.tx_frames++;
	return fcoe_raw_send(p, p->tx, (size_t)n);
}

static void hdr_for(struct fc_port *p, struct fc_hdr *h, const struct fc_xid *x, uint8_t r_ctl,
		    uint8_t type)
{
	memset(h, 0, sizeof(*h));
	h->r_ctl = r_ctl;
	h->d_id = x->peer;
	h->s_id = p->port_id;
	h->type = type;
	h->ox_id = x->ox_id;
	h->rx_id = x->rx_id;
	h->f_ctl = x->originator ? 0 : FC_FCTL_EX_CTX;
}

static void xfer_end(struct fc_port *p, struct fc_xfer *t, int status)
{
	if (t->posted && p->rx[t->x.rx_id & (FCOE_RX_SLOTS - 1)] == t)
		p->rx[t->x.rx_id & (FCOE_RX_SLOTS - 1)] = NULL;
	t->posted = false;
	p->cb->xfer_done(p->arg, t, status);
}

/* Copy len bytes at offset off of the transfer's iovecs to or from buf. */
static void iov_copy(struct fc_xfer *t, uint32_t off, uint8_t *buf, uint32_t len, bool to_iov)
{
	for (uint32_t i = 0; i < t->niov && len; i++) {
		if (off >= t->iov[i].len) {
			off -= t->iov[i].len;
			continue;
		}
		uint32_t n = t->iov[i].len - off < len ? t->iov[i].len - off : len;
		uint8_t *b = (uint8_t *)t->iov[i].base + off;

		if (to_iov)
			memcpy(b, buf, n);
		else
			memcpy(buf, b, n);
		buf += n;
		len -= n;
		off = 0;
	}
}

static void data_recv(struct fc_port *p, const struct fcoe_frame *f)
{
	struct fc_xfer *t = p->rx[f->fh.rx_id & (FCOE_RX_SLOTS - 1)];
	uint32_t off;

	if (!t || t->x.rx_id != f->fh.rx_id || t->x.ox_id != f->fh.ox_id ||
	    t->x.peer != f->fh.s_id) {
		p->st.stray_data++;
		return;
	}
	/* in order on a lossless Ethernet: each frame continues the last, so a
	 * lost or repeated frame shows as a wrong offset */
	off = (f->fh.f_ctl & FC_FCTL_REL_OFF) ? f->fh.param : t->rel_off + t->done_bytes;
	if (off != t->rel_off + t->done_bytes || f->payload_len > t->len - t->done_bytes ||
	    (f->payload_len == 0 && !(f->fh.f_ctl & FC_FCTL_END_SEQ))) {
		p->st.seq_errors++;
		xfer_end(p, t, -EPROTO);
		return;
	}
	iov_copy(t, t->done_bytes, (uint8_t *)f->payload, f->payload_len, true);
	t->done_bytes += f->payload_len;
	if (t->done_bytes == t->len)
		xfer_end(p, t, 0);
}

static void fcoe_recv(struct fc_port *p, const uint8_t *in, size_t len)
{
	struct fcoe_frame f;
	uint8_t mac[6];
	int r;

	if (len >= 6 && memcmp(in, p->vn_mac, 6)) {
		p->st.not_ours++;
		return;
	}
	r = fcoe_decode(in, len, &f);
	if (r == -EBADMSG) {
		p->st.bad_crc++;
		return;
	}
	if (r < 0) {
		p->st.malformed++;
		return;
	}
	p->st.rx_frames++;
	if (p->en.on)
		memcpy(mac, p->en.fcf.mac, 6); /* everything comes through the FCF */
	else
		fcoe_fpma(VN2VN_FC_MAP, f.fh.s_id, mac);
	if (p->state != VN_UP || f.fh.d_id != p->port_id || memcmp(mac, f.src, 6) ||
	    f.vlan) {
		/* a source MAC that is not its N_Port id's is spoofed */
		p->st.not_ours++;
		return;
	}
	if (f.fh.r_ctl == FC_RCTL_DD_SOL_DATA && f.fh.type == FC_TYPE_FCP) {
		data_recv(p, &f);
		return;
	}
	/* one frame carries every unsolicited IU this target takes */
	if (!(f.fh.f_ctl & FC_FCTL_END_SEQ) || f.fh.seq_cnt != 0) {
		p->st.unsolicited_drop++;
		return;
	}
	p->cb->recv(p->arg, &f.fh, f.payload, f.payload_len);
}

static void timers(struct fc_port *p)
{
	uint64_t now = fcoe_now_ms();

	if (p->en.on) {
		fcoe_enode_timers(p, now);
		return;
	}
	if (p->state == VN_PROBING && now - p->state_ms >= VN_PROBE_MS) {
		p->state = VN_UP;
		p->beacon_ms = now;
		fip_vn_send(p, FIP_SC_VN_CLAIM_NOTIFY, all_vn2vn_macs);
		log_info("%s: VN2VN N_Port id %06x claimed (MAC %02x:%02x:%02x:%02x:%02x:%02x), "
			 "frame payload %u", p->name, p->port_id, p->vn_mac[0], p->vn_mac[1],
			 p->vn_mac[2], p->vn_mac[3], p->vn_mac[4], p->vn_mac[5], p->max_payload);
		p->cb->link(p->arg, true, p->port_id, p->max_payload);
		return;
	}
	if (p->state != VN_UP)
		return;
	if (now - p->beacon_ms >= VN_BEACON_MS) {
		p->beacon_ms = now;
		fip_vn_send(p, FIP_SC_VN_BEACON, all_vn2vn_macs);
	}
	for (int i = 0; i < FCOE_MAX_PEERS; i++)
		if (p->peers[i].used && now - p->peers[i].last_ms > VN_PEER_TIMEOUT_MS)
			peer_drop(p, &p->peers[i], "no beacon");
}

void fcoe_link_lost(struct fc_port *p, const char *why)
{
	log_warn("%s: link down: %s", p->name, why);
	p->state = VN_PROBING;
	for (uint32_t i = 0; i < FCOE_RX_SLOTS; i++)
		if (p->rx[i])
			xfer_end(p, p->rx[i], -ENETDOWN);
	p->cb->link(p->arg, false, 0, 0);
}

void fc_fcoe_rx(struct fc_port *p, const uint8_t *frame, size_t len)
{
	if (len < ETH_HDR_LEN) {
		p->st.malformed++;
		return;
	}
	if (fc_get16(frame + 12) == FIP_ETHERTYPE)
		fip_recv(p, frame, len);
	else if (fc_get16(frame + 12) == FCOE_ETHERTYPE)
		fcoe_recv(p, frame, len);
}

/* ---- ops ---- */

static int fcoe_poll(struct fc_port *p)
{
	int n;

	for (n = 0; n < FCOE_POLL_BUDGET; n++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t len = recvfrom(p->fd, p->buf, sizeof(p->buf), MSG_DONTWAIT | MSG_TRUNC,
				       (struct sockaddr *)&sll, &sl);

		if (len < 0)
			break;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)len > sizeof(p->buf)) {
			p->st.malformed++;
			continue;
		}
		fc_fcoe_rx(p, p->buf, (size_t)len);
	}
	timers(p);
	return n == FCOE_POLL_BUDGET;
}

static int fcoe_send_data(struct fc_port *p, struct fc_xfer *t)
{
	uint32_t max = t->max_frame && t->max_frame < p->max_payload ? t->max_frame
								      : p->max_payload;
	uint8_t chunk[FC_MAX_PAYLOAD];
	struct fc_hdr h;
	uint32_t off = 0;
	int r = 0;

	max &= ~3u;
	if (p->state != VN_UP)
		return -ENETDOWN;
	if (!t->len || max < 4)
		return -EINVAL;
	hdr_for(p, &h, &t->x, FC_RCTL_DD_SOL_DATA, FC_TYPE_FCP);
	h.seq_id = p->seq_id++;
	h.f_ctl |= FC_FCTL_REL_OFF;
	t->posted = false;
	while (off < t->len && !r) {
		uint32_t n = t->len - off < max ? t->len - off : max;

		iov_copy(t, off, chunk, n, false);
		h.param = t->rel_off + off;
		h.seq_cnt = t->seq_cnt++;
		if (off + n == t->len)
			h.f_ctl |= FC_FCTL_END_SEQ;
		r = send_frame(p, &h, off ? FC_SOF_N3 : FC_SOF_I3,
			       off + n == t->len ? FC_EOF_T : FC_EOF_N, chunk, n);
		off += n;
	}
	t->done_bytes = off;
	p->cb->xfer_done(p->arg, t, r ? -EIO : 0);
	return 0;
}

static int fcoe_recv_data(struct fc_port *p, struct fc_xfer *t, bool send_xfer_rdy)
{
	uint32_t slot = t->x.rx_id & (FCOE_RX_SLOTS - 1);
	uint8_t xr[FCP_XFER_RDY_LEN];

	if (p->state != VN_UP)
		return -ENETDOWN;
	if (!t->len || p->rx[slot])
		return -EBUSY;
	t->done_bytes = 0;
	t->posted = true;
	p->rx[slot] = t;
	if (send_xfer_rdy) {
		struct fc_hdr h;

		hdr_for(p, &h, &t->x, FC_RCTL_DD_DATA_DESC, FC_TYPE_FCP);
		h.seq_id = p->seq_id++;
		h.f_ctl |= FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT;
		fc_put32(xr, t->rel_off);
		fc_put32(xr + 4, t->len);
		fc_put32(xr + 8, 0);
		if (send_frame(p, &h, FC_SOF_I3, FC_EOF_T, xr, sizeof(xr)) < 0) {
			p->rx[slot] = NULL;
			t->posted = false;
			return -EIO;
		}
	}
	return 0;
}

static int fcoe_send_seq(struct fc_port *p, const struct fc_xid *x, uint8_t r_ctl, uint8_t type,
			 bool last, const uint8_t *pl, uint32_t len)
{
	struct fc_hdr h;

	if (p->state != VN_UP)
		return -ENETDOWN;
	if (len > p->max_payload)
		return -EMSGSIZE;
	hdr_for(p, &h, x, r_ctl, type);
	h.seq_id = p->seq_id++;
	h.f_ctl |= FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT;
	if (last)
		h.f_ctl = (h.f_ctl | FC_FCTL_LAST_SEQ) & ~FC_FCTL_SEQ_INIT;
	if (x->originator && (r_ctl == FC_RCTL_ELS_REQ || r_ctl == FC_RCTL_CT_REQ))
		h.f_ctl |= FC_FCTL_FIRST_SEQ;
	return send_frame(p, &h, FC_SOF_I3, last ? FC_EOF_T : FC_EOF_N, pl, len);
}

static void fcoe_abort(struct fc_port *p, const struct fc_xid *x)
{
	struct fc_xfer *t = p->rx[x->rx_id & (FCOE_RX_SLOTS - 1)];

	if (t && t->x.rx_id == x->rx_id && t->x.ox_id == x->ox_id && t->x.peer == x->peer)
		xfer_end(p, t, -ECANCELED);
}

static int fcoe_map(struct fc_port *p, void *base, uint64_t len)
{
	(void)p;
	(void)base;
	(void)len;
	return 0; /* the CPU copies: nothing to map */
}

static int fcoe_fd(struct fc_port *p)
{
	return p->fd;
}

static void fcoe_stats(struct fc_port *p, char *buf, uint32_t cap)
{
	int n = snprintf(buf, cap,
		 "{\"port_id\":%u,\"mtu\":%u,\"max_payload\":%u,\"rx_frames\":%llu,\"tx_frames\":%llu,\"bad_crc\":%llu,"
		 "\"malformed\":%llu,\"not_ours\":%llu,\"unsolicited_drop\":%llu,"
		 "\"stray_data\":%llu,\"seq_errors\":%llu,\"fip_rx\":%llu,\"fip_tx\":%llu,"
		 "\"vlan_requests\":%llu,\"id_conflicts\":%llu,\"tx_errors\":%llu,"
		 "\"tx_waits\":%llu}",
		 p->port_id, p->mtu, p->max_payload, (unsigned long long)p->st.rx_frames,
		 (unsigned long long)p->st.tx_frames, (unsigned long long)p->st.bad_crc,
		 (unsigned long long)p->st.malformed, (unsigned long long)p->st.not_ours,
		 (unsigned long long)p->st.unsolicited_drop, (unsigned long long)p->st.stray_data,
		 (unsigned long long)p->st.seq_errors, (unsigned long long)p->st.fip_rx,
		 (unsigned long long)p->st.fip_tx, (unsigned long long)p->st.vlan_reqs,
		 (unsigned long long)p->st.conflicts, (unsigned long long)p->st.tx_errors,
		 (unsigned long long)p->st.tx_waits);

	/* the fabric members go inside the object, before its closing brace */
	if (p->en.on && n > 1 && (uint32_t)n < cap) {
		size_t len = (size_t)n - 1;

		len += (size_t)fcoe_enode_stats(p, buf + len, cap - (uint32_t)len);
		if (len + 2 <= cap) {
			buf[len] = '}';
			buf[len + 1] = 0;
		} else {
			snprintf(buf, cap, "{}"); /* never a cut object */
		}
	}
}

static bool fcoe_fabric(struct fc_port *p)
{
	return p->en.on && p->state == VN_UP;
}

static void fcoe_close(struct fc_port *p)
{
	if (p->en.on)
		fcoe_enode_logo(p);
	for (uint32_t i = 0; i < FCOE_RX_SLOTS; i++)
		if (p->rx[i])
			xfer_end(p, p->rx[i], -ENETDOWN);
	close(p->fd);
	free(p);
}

static void set_mtu(struct fc_port *p, uint32_t mtu)
{
	p->mtu = mtu;
	p->max_payload = mtu - (FCOE_HDR_LEN + FC_HDR_LEN + FC_CRC_LEN + FCOE_TRAILER_LEN);
	if (p->max_payload > FC_MAX_PAYLOAD)
		p->max_payload = FC_MAX_PAYLOAD;
	p->max_payload &= ~3u;
}

struct fc_port *fc_fcoe_test_port(const struct fc_port_cb *cb, void *arg, uint64_t wwpn,
				  uint32_t port_id, uint32_t mtu)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct fc_port *p = calloc(1, sizeof(*p));

	if (!p || mtu < 512)
		return free(p), NULL;
	p->cb = cb;
	p->arg = arg;
	p->fd = -1;
	p->wwpn = wwpn;
	p->wwnn = wwpn + 1;
	snprintf(p->name, sizeof(p->name), "test port");
	memcpy(p->enode_mac, mac, 6);
	set_mtu(p, mtu);
	vn_set_id(p, port_id);
	p->state = VN_UP;
	p->state_ms = p->beacon_ms = fcoe_now_ms();
	return p;
}

struct fc_port *fc_fcoe_test_fabric_port(const struct fc_port_cb *cb, void *arg, uint64_t wwpn,
					 uint32_t fc_map,
					 void (*tx)(void *arg, const uint8_t *f, size_t len))
{
	struct fc_port *p = fc_fcoe_test_port(cb, arg, wwpn, 0, 2158);

	if (!p)
		return NULL;
	p->test_tx = tx;
	p->test_tx_arg = arg;
	p->en.on = true;
	p->en.want_map = fc_map;
	p->port_id = 0;
	fcoe_enode_start(p);
	return p;
}

void fc_fcoe_test_age(struct fc_port *p, uint64_t ms)
{
	p->en.state_ms -= ms;
	p->en.last_adv_ms -= ms;
	p->en.enode_fka_ms -= ms;
	p->en.vn_fka_ms -= ms;
	for (int i = 0; i < FCOE_MAX_PEERS; i++)
		if (p->peers[i].used)
			p->peers[i].last_ms -= ms;
}

static int fcoe_open(struct fc_port **out, const struct fc_port_conf *conf,
		     const struct fc_port_cb *cb, void *arg)
{
	json_t *d = conf->driver_conf, *v;
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	const char *ifname = json_string_value(json_object_get(d, "interface"));
	struct ifreq ifr;
	struct fc_port *p;
	const char *s;
	size_t i;

	if (conf->fd < 0 || !ifname || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cb = cb;
	p->arg = arg;
	p->fd = conf->fd;
	p->wwpn = conf->wwpn;
	p->wwnn = conf->wwnn;
	snprintf(p->name, sizeof(p->name), "%s", conf->name);
	if (getsockname(p->fd, (struct sockaddr *)&sll, &sl) < 0 || sll.sll_family != AF_PACKET ||
	    sll.sll_halen != 6) {
		free(p);
		return -ENOTSOCK;
	}
	memcpy(p->enode_mac, sll.sll_addr, 6);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	p->mtu = ioctl(p->fd, SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 1500;
	/* what one Ethernet frame carries: MTU minus the FCoE header and
	 * trailer, the FC header and CRC; whole words */
	if (p->mtu < FCOE_HDR_LEN + FC_HDR_LEN + FC_CRC_LEN + FCOE_TRAILER_LEN + 256) {
		log_err("%s: MTU %u of %s cannot carry FCoE frames", p->name, p->mtu, ifname);
		free(p);
		return -EMSGSIZE;
	}
	set_mtu(p, p->mtu);
	if (p->max_payload < FC_MAX_PAYLOAD)
		log_warn("%s: MTU %u of %s: frame payload cut to %u (2158 carries 2112)", p->name,
			 p->mtu, ifname, p->max_payload);
	v = json_object_get(d, "fip_vlans");
	json_array_foreach(v, i, d) {
		if (p->nvlans < FIP_MAX_VLANS && json_is_integer(d))
			p->vlans[p->nvlans++] = (uint16_t)json_integer_value(d);
	}
	s = json_string_value(json_object_get(conf->driver_conf, "mode"));
	if (s && !strcmp(s, "fabric")) {
		if (fcoe_enode_conf(p, conf->driver_conf) < 0) {
			free(p);
			return -EINVAL;
		}
		fcoe_enode_start(p);
		*out = p;
		return 0;
	}
	v = json_object_get(conf->driver_conf, "port_id");
	vn_set_id(p, json_is_integer(v) ? (uint32_t)json_integer_value(v)
					: (uint32_t)(conf->wwpn & 0xffff) | 0x010000u);
	vn_probe(p);
	*out = p;
	return 0;
}

const struct fc_port_ops fc_fcoe_ops = {
	.name = "fcoe",
	.open = fcoe_open,
	.map = fcoe_map,
	.fd = fcoe_fd,
	.poll = fcoe_poll,
	.send_data = fcoe_send_data,
	.recv_data = fcoe_recv_data,
	.send_seq = fcoe_send_seq,
	.abort = fcoe_abort,
	.stats = fcoe_stats,
	.close = fcoe_close,
	.fabric = fcoe_fabric,
};
