/* test-fc-ini case "fabric": one process in the initiator's namespace plays
 * an FCoE Forwarder (FIP VLAN answers, Discovery Advertisements, FIP FLOGI
 * accept with an FPMA MAC, keep-alive checking, Clear Virtual Links), the
 * fabric's directory server and controller (PLOGI, RFT_ID/RFF_ID/RSPN_ID
 * recorded, GID_FT/GPN_ID answered, SCR, RSCN) and an initiator N_Port
 * behind it that shares its MAC (so nothing needs forwarding). Two decoy
 * FCFs answer solicitations too: one with a better priority but not
 * available for login, one with a better priority and another FC-MAP; the
 * target must log in through ours.
 *
 *   test-fc-ini IFACE - OUR_ID OUR_WWPN fabric TARGET_WWPN [READY_FILE [KILL_FILE]]
 *
 * With READY_FILE, the case ends by writing it and waiting for the target's
 * FIP LOGO (the script stops mtgtd then). With KILL_FILE, after the first
 * I/O it writes that file and keeps writing until the target stops
 * answering (the script kills mtgt-fc with SIGKILL), then expects the
 * restarted mtgt-fc to FLOGI again from the same ENode (the FCF takes that
 * as an implicit logout of the old VN_Port), register again, and serve a
 * new login with every acknowledged write intact. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_ct.h"
#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fip.h"
#include "tests/helpers/fc_ini.h"

#define CHECK(cond, ...) do { if (!(cond)) { FCI_LOG(__VA_ARGS__); return 1; } } while (0)

#define FCF_MAP      0x0efc00u
#define FCF_FKA_MS   1000u
#define FCF_PRIO     128
#define FCF_SWITCH   0x100000c0ffee0001ull
#define FCF_FABRIC   0x200000c0ffee0000ull
#define FCF_VLAN     1002
#define TGT_NPORT    0x0e0102u

static const uint8_t all_enode_macs[6] = { 0x01, 0x10, 0x18, 0x01, 0x00, 0x01 };
static const uint8_t decoy_busy[6] = { 0x02, 0xfc, 0xf0, 0x00, 0x00, 0x01 };
static const uint8_t decoy_map[6] = { 0x02, 0xfc, 0xf0, 0x00, 0x00, 0x02 };

struct fcf {
	uint8_t  mac[6];
	bool     adverts;           /* unsolicited advertisements on */
	bool     answer_solicit;
	uint64_t last_adv_ms;
	/* the target's ENode and VN_Port */
	bool     up;
	uint8_t  enode_mac[6], tgt_mac[6];
	uint64_t tgt_wwpn;
	uint64_t last_fka_ms;
	/* name server */
	bool     ns_plogi, rft_fcp, rff_target, rspn, scr;
	bool     ini_registered;
	uint32_t rscn_acks;
	uint32_t implicit_logos;    /* re-FLOGI from an ENode already logged in */
	uint32_t fka_timeouts;      /* ENode keep-alives stopped: VN_Port cleared */
	/* counts */
	uint32_t vlan_reqs, solicits, flogis, fkas, vn_fkas, logos, gpn_ids, late_fkas,
		 decoy_flogis, bad;
	uint8_t  out[FCOE_MAX_FRAME + 64];
};

static struct fcf F;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fip_out(struct fci *c, struct fip_buf *b)
{
	int n = fip_end(b);

	if (n > 0 && send(c->fd, b->p, (size_t)n, 0) < 0)
		FCI_LOG("FIP send: %s", strerror(errno));
}

static void advert(struct fci *c, const uint8_t *dst, const uint8_t *mac, uint8_t prio,
		   uint32_t map, bool avail, bool solicited)
{
	uint8_t out[256];
	struct fip_buf b;
	uint16_t fl = FIP_FL_FPORT | FIP_FL_FPMA | (avail ? FIP_FL_AVAIL : 0) |
		      (solicited ? FIP_FL_SOL : 0);

	fip_begin(&b, out, sizeof(out), dst, mac, 0, FIP_OP_DISC, 2, fl);
	fip_put_priority(&b, prio);
	fip_put_mac(&b, mac);
	fip_put_name(&b, FCF_SWITCH);
	fip_put_fabric(&b, 0, map, FCF_FABRIC);
	fip_put_fka(&b, FCF_FKA_MS, false);
	fip_out(c, &b);
}

/* An FC frame from a fabric address (or the initiator) to the target. */
static void fc_out(struct fci *c, uint32_t s_id, uint8_t r_ctl, uint8_t type, uint32_t f_ctl,
		   uint16_t ox, uint16_t rx, const uint8_t *pl, uint32_t len)
{
	struct fcoe_frame f = { .sof = FC_SOF_I3, .eof = FC_EOF_T };
	int n;

	f.fh.r_ctl = r_ctl;
	f.fh.d_id = c->tgt_id ? c->tgt_id : TGT_NPORT;
	f.fh.s_id = s_id;
	f.fh.type = type;
	f.fh.f_ctl = f_ctl;
	f.fh.ox_id = ox;
	f.fh.rx_id = rx;
	memcpy(f.dst, F.tgt_mac, 6);
	memcpy(f.src, F.mac, 6);
	n = fcoe_encode(&f, pl, len, F.out, sizeof(F.out));
	if (n > 0 && send(c->fd, F.out, (size_t)n, 0) < 0)
		FCI_LOG("FCoE send: %s", strerror(errno));
}

static void reply(struct fci *c, const struct fc_hdr *h, uint8_t r_ctl, uint8_t type,
		  const uint8_t *pl, uint32_t len)
{
	fc_out(c, h->d_id, r_ctl, type, FC_FCTL_EX_CTX | FC_FCTL_LAST_SEQ | FC_FCTL_END_SEQ,
	       h->ox_id, 0x7000 + (h->ox_id & 0xfff), pl, len);
}

/* ---- FIP ---- */

static void flogi(struct fci *c, const struct fip_msg *m)
{
	struct fc_hdr h, r = { 0 };
	struct fc_sparm sp;
	uint8_t cmd, frame[FC_HDR_LEN + FC_SPARM_LEN], out[300];
	struct fip_buf b;

	if (memcmp(m->dst, F.mac, 6)) {
		F.decoy_flogis++;
		FCI_LOG("FIP FLOGI sent to %02x:..:%02x, not to our FCF", m->dst[0], m->dst[5]);
		return;
	}
	if (fc_hdr_decode(m->els, &h) < 0 || h.d_id != FC_FID_FLOGI || h.s_id != 0 ||
	    fc_sparm_decode(m->els + FC_HDR_LEN, m->els_len - FC_HDR_LEN, &cmd, &sp) < 0 ||
	    cmd != ELS_FLOGI || !(m->flags & FIP_FL_FPMA) || !FIP_HAS(m, FIP_DT_MAC)) {
		F.bad++;
		FCI_LOG("bad FIP FLOGI (d_id %06x s_id %06x flags %04x)", h.d_id, h.s_id, m->flags);
		return;
	}
	if (F.up && !memcmp(F.enode_mac, m->src, 6)) {
		/* FC-LS-3 (FLOGI with S_ID 0 on an F_Port that has a login),
		 * as FC-BB-6 has the FCF apply it to the ENode's virtual link:
		 * an implicit logout of the VN_Port logged in from that ENode
		 * (its name-server entries go), then the FLOGI is served as a
		 * new one. The ENode restarted without a LOGO (a crash, or
		 * kill -9 of mtgt-fc); a real FCF would also time it out
		 * after 2.5 keep-alive periods without its ENode FKA. */
		F.implicit_logos++;
		FCI_LOG("fake FCF: FLOGI from ENode %02x:..:%02x, already logged in as %06x: "
			"implicit logout, then the new login", m->src[4], m->src[5], TGT_NPORT);
	}
	F.flogis++;
	memcpy(F.enode_mac, m->src, 6);
	F.tgt_wwpn = sp.port_name;
	fcoe_fpma(FCF_MAP, TGT_NPORT, F.tgt_mac);
	/* LS_ACC from the F_Port: the N_Port id in D_ID, the F_Port bit */
	r.r_ctl = FC_RCTL_ELS_REP;
	r.d_id = TGT_NPORT;
	r.s_id = FC_FID_FLOGI;
	r.type = FC_TYPE_ELS;
	r.f_ctl = FC_FCTL_EX_CTX | FC_FCTL_LAST_SEQ | FC_FCTL_END_SEQ;
	r.ox_id = h.ox_id;
	r.rx_id = 0x0100;
	fc_hdr_encode(&r, frame);
	sp.features = FC_SP_FT_CIRO | FC_SP_FT_FPORT;
	sp.port_name = FCF_SWITCH;
	sp.node_name = FCF_FABRIC;
	fc_sparm_encode(ELS_LS_ACC, &sp, frame + FC_HDR_LEN);
	fip_begin(&b, out, sizeof(out), F.enode_mac, F.mac, 0, FIP_OP_LS, 2, FIP_FL_FPMA);
	fip_put_els(&b, FIP_DT_FLOGI, frame, sizeof(frame));
	fip_put_mac(&b, F.tgt_mac);
	fip_out(c, &b);
	F.up = true;
	F.ns_plogi = F.rft_fcp = F.rff_target = F.rspn = F.scr = false;
	F.last_fka_ms = now_ms();
	FCI_LOG("fake FCF: FLOGI #%u from %016llx accepted: N_Port %06x, FPMA MAC", F.flogis,
		(unsigned long long)F.tgt_wwpn, TGT_NPORT);
}

static void fip_in(struct fci *c, const struct fip_msg *m)
{
	uint8_t out[128];
	struct fip_buf b;

	switch (m->op) {
	case FIP_OP_VLAN:
		if (m->subcode != 1)
			break;
		F.vlan_reqs++;
		fip_begin(&b, out, sizeof(out), m->src, F.mac, 0, FIP_OP_VLAN, 2, 0);
		fip_put_mac(&b, F.mac);
		fip_put_vlan(&b, FCF_VLAN);
		fip_out(c, &b);
		break;
	case FIP_OP_DISC:
		if (m->subcode != 1)
			break;
		F.solicits++;
		if (!F.answer_solicit)
			break;
		if (!FIP_HAS(m, FIP_DT_MAC) || !FIP_HAS(m, FIP_DT_NAME) ||
		    !FIP_HAS(m, FIP_DT_FCOE_SIZE) || !(m->flags & FIP_FL_FPMA)) {
			F.bad++;
			FCI_LOG("solicitation lacks MAC, name, max size or FPMA");
			break;
		}
		/* decoys first: better priority, but busy / another FC-MAP */
		advert(c, m->mac, decoy_busy, 1, FCF_MAP, false, true);
		advert(c, m->mac, decoy_map, 2, FCF_MAP + 1, true, true);
		advert(c, m->mac, F.mac, FCF_PRIO, FCF_MAP, true, true);
		break;
	case FIP_OP_LS:
		if (m->subcode != 1)
			break;
		if (m->els_desc == FIP_DT_FLOGI) {
			flogi(c, m);
		} else if (m->els_desc == FIP_DT_LOGO) {
			struct fc_hdr h;

			if (fc_hdr_decode(m->els, &h) == 0 && h.s_id == TGT_NPORT &&
			    !memcmp(m->src, F.enode_mac, 6)) {
				F.logos++;
				F.up = false;
				FCI_LOG("fake FCF: FIP LOGO of %06x", h.s_id);
			}
		}
		break;
	case FIP_OP_CTRL:
		if (m->subcode != 1 || memcmp(m->dst, F.mac, 6) || !FIP_HAS(m, FIP_DT_MAC) ||
		    memcmp(m->mac, F.enode_mac, 6))
			break;
		if (FIP_HAS(m, FIP_DT_VN_ID)) {
			/* from the VN_Port's MAC, naming it */
			if (memcmp(m->src, F.tgt_mac, 6) || m->vn_port_id != TGT_NPORT)
				F.bad++;
			F.vn_fkas++;
		} else if (memcmp(m->src, F.enode_mac, 6)) {
			F.bad++;
		} else {
			if (F.up && now_ms() - F.last_fka_ms > FCF_FKA_MS * 5 / 2)
				F.late_fkas++;
			F.fkas++;
			F.last_fka_ms = now_ms();
		}
		break;
	default:
		break;
	}
}

/* ---- the fabric's services ---- */

static void ls_acc(struct fci *c, const struct fc_hdr *h)
{
	static const uint8_t acc[4] = { ELS_LS_ACC, 0, 0, 0 };

	reply(c, h, FC_RCTL_ELS_REP, FC_TYPE_ELS, acc, sizeof(acc));
}

/* The directory server: what it answers to a CT request (from the target
 * on the wire, or from our initiator in-process). Returns the reply length. */
static int ns_request(struct fci *c, const uint8_t *in, size_t len, uint32_t from, uint8_t *out,
		      size_t cap)
{
	struct fc_ct_hdr h, r = { .gs_type = FC_GS_DIR, .gs_subtype = FC_GS_NAME,
				  .cmd = CT_ACCEPT };
	const uint8_t *pl;
	size_t n;
	uint32_t id, types[8];
	uint8_t feat, type, acc[64];
	size_t acc_len = 0;

	if (fc_ct_decode(in, len, &h, &pl, &n) < 0 || h.gs_type != FC_GS_DIR ||
	    h.gs_subtype != FC_GS_NAME) {
		F.bad++;
		r.cmd = CT_REJECT;
		r.reason = CT_RJT_PROTOCOL;
		return fc_ct_encode(&r, NULL, 0, out, cap);
	}
	switch (h.cmd) {
	case CT_RFT_ID:
		if (fc_rft_id_decode(pl, n, &id, types) < 0 || id != from) {
			F.bad++;
			r.cmd = CT_REJECT;
			r.reason = CT_RJT_UNABLE;
			break;
		}
		F.rft_fcp = types[0] & (1u << FC_TYPE_FCP);
		break;
	case CT_RFF_ID:
		if (fc_rff_id_decode(pl, n, &id, &feat, &type) < 0 || id != from) {
			F.bad++;
			r.cmd = CT_REJECT;
			r.reason = CT_RJT_UNABLE;
			break;
		}
		F.rff_target = type == FC_TYPE_FCP && (feat & FC_FF_TARGET);
		break;
	case CT_RSPN_ID:
		F.rspn = n >= 5 && pl[4] && pl[4] <= n - 5 && fc_get24(pl + 1) == from;
		break;
	case CT_GID_FT: {
		uint32_t ids[1] = { TGT_NPORT };

		/* only a port that registered FCP and the target feature */
		if (fc_gid_ft_decode(pl, n, &type) < 0 || type != FC_TYPE_FCP || !F.up ||
		    !F.rft_fcp || !F.rff_target) {
			r.cmd = CT_REJECT;
			r.reason = CT_RJT_UNABLE;
			r.expl = CT_EXPL_TYPE_NOT_REG;
			break;
		}
		acc_len = fc_gid_ft_acc_encode(ids, 1, acc, sizeof(acc));
		break;
	}
	case CT_GPN_ID:
		F.gpn_ids++;
		if (fc_port_id_decode(pl, n, &id) < 0) {
			r.cmd = CT_REJECT;
			r.reason = CT_RJT_UNABLE;
			break;
		}
		if (id == c->id && F.ini_registered) {
			fc_put64(acc, c->wwpn);
			acc_len = 8;
		} else if (id == TGT_NPORT && F.up) {
			fc_put64(acc, F.tgt_wwpn);
			acc_len = 8;
		} else {
			r.cmd = CT_REJECT;
			r.reason = CT_RJT_UNABLE;
			r.expl = CT_EXPL_PID_NOT_REG;
		}
		break;
	default:
		r.cmd = CT_REJECT;
		r.reason = CT_RJT_CMD_NOT_SUPP;
	}
	return fc_ct_encode(&r, acc, acc_len, out, cap);
}

static void fabric_in(struct fci *c, const struct fcoe_frame *f)
{
	const struct fc_hdr *h = &f->fh;
	uint8_t out[256];

	if (h->d_id == FC_FID_DIR_SERV && h->r_ctl == FC_RCTL_ELS_REQ && f->payload_len &&
	    f->payload[0] == ELS_PLOGI) {
		struct fc_sparm sp;
		uint8_t cmd;

		if (fc_sparm_decode(f->payload, f->payload_len, &cmd, &sp) < 0 ||
		    sp.port_name != F.tgt_wwpn) {
			F.bad++;
			return;
		}
		sp.port_name = 0x20fc00c0ffee0001ull;
		sp.node_name = FCF_FABRIC;
		fc_sparm_encode(ELS_LS_ACC, &sp, out);
		reply(c, h, FC_RCTL_ELS_REP, FC_TYPE_ELS, out, FC_SPARM_LEN);
		F.ns_plogi = true;
	} else if (h->d_id == FC_FID_DIR_SERV && h->r_ctl == FC_RCTL_CT_REQ &&
		   h->type == FC_TYPE_CT) {
		int n;

		if (!F.ns_plogi) {
			F.bad++;
			FCI_LOG("CT request to the directory server before PLOGI");
			return;
		}
		n = ns_request(c, f->payload, f->payload_len, h->s_id, out, sizeof(out));
		if (n > 0)
			reply(c, h, FC_RCTL_CT_REP, FC_TYPE_CT, out, (uint32_t)n);
	} else if (h->d_id == FC_FID_FCTRL && h->r_ctl == FC_RCTL_ELS_REQ && f->payload_len &&
		   f->payload[0] == ELS_SCR) {
		uint8_t fn;

		if (fc_scr_decode(f->payload, f->payload_len, &fn) < 0) {
			F.bad++;
			return;
		}
		F.scr = true;
		ls_acc(c, h);
	} else if (h->d_id == FC_FID_FCTRL && h->r_ctl == FC_RCTL_ELS_REP) {
		if (f->payload_len && f->payload[0] == ELS_LS_ACC)
			F.rscn_acks++;
	}
}

static int hook(struct fci *c, const uint8_t *frame, size_t len)
{
	if (!memcmp(frame + 6, F.mac, 6))
		return 1; /* our own, looped */
	if (fc_get16(frame + 12) == FIP_ETHERTYPE) {
		struct fip_msg m;

		if (fip_parse(frame, len, &m) == 0)
			fip_in(c, &m);
		else
			F.bad++;
		return 1;
	}
	if (fc_get16(frame + 12) == FCOE_ETHERTYPE) {
		struct fcoe_frame f;

		if (fcoe_decode(frame, len, &f) < 0)
			return 0; /* let the initiator path complain */
		if (memcmp(f.dst, F.mac, 6))
			return 1;
		if (f.fh.d_id >= 0xfffff0u) {
			if (memcmp(f.src, F.tgt_mac, 6) || f.fh.s_id != TGT_NPORT) {
				F.bad++;
				FCI_LOG("fabric frame from a wrong MAC or N_Port id %06x", f.fh.s_id);
				return 1;
			}
			fabric_in(c, &f);
			return 1;
		}
	}
	return 0;
}

static void cvl(struct fci *c)
{
	uint8_t out[128];
	struct fip_buf b;

	fip_begin(&b, out, sizeof(out), F.enode_mac, F.mac, 0, FIP_OP_CTRL, 2, 0);
	fip_put_mac(&b, F.mac);
	fip_put_name(&b, FCF_SWITCH);
	fip_put_vn_id(&b, F.tgt_mac, TGT_NPORT, F.tgt_wwpn);
	fip_out(c, &b);
}

static void tick(struct fci *c)
{
	uint64_t now = now_ms();

	/* FC-BB-6: no ENode keep-alive for 2.5 periods: the FCF ends the
	 * ENode's virtual links (its VN_Port logged out, CVL to the ENode) */
	if (F.up && F.adverts && now - F.last_fka_ms > FCF_FKA_MS * 5 / 2) {
		F.up = false;
		F.fka_timeouts++;
		FCI_LOG("fake FCF: no ENode keep-alive for %llu ms: VN_Port %06x logged out, CVL sent",
			(unsigned long long)(now - F.last_fka_ms), TGT_NPORT);
		cvl(c);
	}

	if (F.adverts && now - F.last_adv_ms >= FCF_FKA_MS) {
		F.last_adv_ms = now;
		advert(c, all_enode_macs, F.mac, FCF_PRIO, FCF_MAP, true, false);
	}
}

/* Let time pass with the fabric served; stop early when *flag is set. */
static void serve(struct fci *c, int ms, const bool *flag)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct fci_rx *rx = malloc(sizeof(*rx));

	while (rx && now_ms() < end && !(flag && *flag))
		(void)fci_recv(c, rx, 100);
	free(rx);
}

static bool registered(void)
{
	return F.up && F.ns_plogi && F.rft_fcp && F.rff_target && F.rspn && F.scr;
}

static int wait_registered(struct fci *c, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end && !registered())
		serve(c, 100, NULL);
	CHECK(registered(), "the target did not log in and register: FLOGI %u, up %d, PLOGI %d, "
	      "RFT_ID %d, RFF_ID %d, RSPN_ID %d, SCR %d", F.flogis, F.up, F.ns_plogi, F.rft_fcp,
	      F.rff_target, F.rspn, F.scr);
	return 0;
}

/* The initiator asks the directory server for FCP ports and their names. */
static int discover(struct fci *c, uint64_t want_wwpn)
{
	struct fc_ct_hdr h = { .gs_type = FC_GS_DIR, .gs_subtype = FC_GS_NAME, .cmd = CT_GID_FT,
			       .max_size = 64 }, r;
	uint8_t req[64], rsp[256], pl[8];
	const uint8_t *rp;
	size_t rn;
	uint32_t ids[8];
	int n;

	n = fc_ct_encode(&h, pl, fc_gid_ft_encode(FC_TYPE_FCP, pl), req, sizeof(req));
	n = ns_request(c, req, (size_t)n, c->id, rsp, sizeof(rsp));
	CHECK(n > 0 && fc_ct_decode(rsp, (size_t)n, &r, &rp, &rn) == 0 && r.cmd == CT_ACCEPT,
	      "GID_FT (FCP): rejected");
	n = fc_gid_ft_acc_decode(rp, rn, ids, 8);
	CHECK(n == 1, "GID_FT: %d FCP ports", n);
	h.cmd = CT_GPN_ID;
	n = fc_ct_encode(&h, pl, fc_gpn_id_encode(ids[0], pl), req, sizeof(req));
	n = ns_request(c, req, (size_t)n, c->id, rsp, sizeof(rsp));
	CHECK(n > 0 && fc_ct_decode(rsp, (size_t)n, &r, &rp, &rn) == 0 && r.cmd == CT_ACCEPT &&
	      rn >= 8 && fc_get64(rp) == want_wwpn, "GPN_ID %06x: not the target's WWPN", ids[0]);
	c->tgt_id = ids[0];
	fcoe_fpma(FCF_MAP, c->tgt_id, c->tgt_mac);
	FCI_LOG("name server: FCP target %06x is %016llx", c->tgt_id,
		(unsigned long long)want_wwpn);
	return 0;
}

static int rscn_for_us(struct fci *c)
{
	struct fc_rscn_page pg = { RSCN_PORT, c->id };
	uint8_t pl[16];
	size_t n = fc_rscn_encode(&pg, 1, pl, sizeof(pl));
	uint32_t acks = F.rscn_acks, gpn = F.gpn_ids;
	uint64_t end = now_ms() + 8000;

	fc_out(c, FC_FID_FCTRL, FC_RCTL_ELS_REQ, FC_TYPE_ELS,
	       FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT, fci_ox(c), FC_XID_UNKNOWN,
	       pl, (uint32_t)n);
	while (now_ms() < end && (F.rscn_acks == acks || F.gpn_ids == gpn))
		serve(c, 100, NULL);
	CHECK(F.rscn_acks > acks, "no LS_ACC to the RSCN");
	CHECK(F.gpn_ids > gpn, "the target did not look us up (GPN_ID) after the RSCN");
	serve(c, 300, NULL);
	return 0;
}

static uint8_t kill_byte(uint32_t i, uint32_t b)
{
	return (uint8_t)(i * 29u + b * 13u + (b >> 8) + 1);
}

/* kill -9 of mtgt-fc under I/O (the script does it when KILL_FILE
 * appears): writes of 64 KiB to 64 slots go on until one is not answered;
 * then the new mtgt-fc must log in to the fabric and register again, and
 * every write acknowledged before the kill reads back. */
static int kill_step(struct fci *c, const char *kill_file, uint64_t tgt_wwpn)
{
	enum { SLOT_BLOCKS = 128, SLOT = SLOT_BLOCKS * 512, SLOTS = 64, BASE = 8192 };
	uint8_t *buf = malloc(SLOT);
	uint32_t flogis = F.flogis, logos = F.implicit_logos, tmo = F.fka_timeouts, i, acked = 0;
	uint64_t end = now_ms() + 30000, t0 = 0;
	FILE *fp;
	int r = 0;

	CHECK(buf, "no memory");
	fp = fopen(kill_file, "w");
	CHECK(fp, "cannot write %s", kill_file);
	fclose(fp);
	for (i = 0; now_ms() < end; i++) {
		struct fci_cmd k = { .buf = buf, .wr = true, .dl = SLOT, .cdb_len = 10 };

		k.cdb[0] = 0x2a;
		fc_put32(k.cdb + 2, BASE + (i % SLOTS) * SLOT_BLOCKS);
		fc_put16(k.cdb + 7, SLOT_BLOCKS);
		for (uint32_t b = 0; b < SLOT; b++)
			buf[b] = kill_byte(i, b);
		r = fci_cmd(c, &k, 0, 1500);
		if (r < 0)
			break;          /* mtgt-fc is gone */
		CHECK(k.rsp.status == 0, "write %u before the kill: status %02x", i, k.rsp.status);
		acked++;
		t0 = now_ms();
	}
	CHECK(r < 0, "the target kept answering for 30 s: not killed?");
	CHECK(acked > 0, "no write was acknowledged before the kill");
	end = now_ms() + 20000;
	while (now_ms() < end && !(F.flogis > flogis && registered()))
		serve(c, 100, NULL);
	CHECK(F.flogis > flogis && registered(), "the restarted mtgt-fc did not log in to the "
	      "fabric and register again: FLOGI %u (was %u), PLOGI %d, RFT_ID %d, RFF_ID %d, "
	      "RSPN_ID %d, SCR %d", F.flogis, flogis, F.ns_plogi, F.rft_fcp, F.rff_target,
	      F.rspn, F.scr);
	/* the old VN_Port ended either way: the new FLOGI came while the FCF
	 * still had it (the usual case, a restart takes well under the 2.5 s
	 * keep-alive timeout) or the timeout ended it first */
	CHECK(F.implicit_logos > logos || F.fka_timeouts > tmo, "the re-FLOGI did not end the "
	      "old VN_Port");
	FCI_LOG("kill -9: %u writes acknowledged, the one in flight unanswered; the new mtgt-fc "
		"logged in to the fabric from the same ENode (%s) and registered within %llu ms "
		"of the last acknowledged write", acked, F.implicit_logos > logos ?
		"implicit logout of the old VN_Port by the re-FLOGI" :
		"after the FCF timed out the old VN_Port", (unsigned long long)(now_ms() - t0));
	CHECK(discover(c, tgt_wwpn) == 0, "discovery after the restart");
	CHECK(fci_login_ready(c) == 0, "login after the restart");
	/* the last write to each slot that was acknowledged (not the one that
	 * was in flight, which may or may not have landed) */
	for (uint32_t j = i >= SLOTS - 1 ? i - (SLOTS - 1) : 0; j < i; j++) {
		struct fci_cmd k = { .buf = buf, .rd = true, .dl = SLOT, .cdb_len = 10 };

		k.cdb[0] = 0x28;
		fc_put32(k.cdb + 2, BASE + (j % SLOTS) * SLOT_BLOCKS);
		fc_put16(k.cdb + 7, SLOT_BLOCKS);
		memset(buf, 0, SLOT);
		r = fci_cmd(c, &k, 0, 5000);
		CHECK(r == 0 && k.rsp.status == 0 && k.data_in == SLOT, "read back of write %u: "
		      "%d status %02x, %u bytes", j, r, k.rsp.status, k.data_in);
		for (uint32_t b = 0; b < SLOT; b++)
			CHECK(buf[b] == kill_byte(j, b), "acknowledged write %u lost (byte %u)", j, b);
	}
	free(buf);
	CHECK(fci_io_verify(c, 0, 512, 1u << 20, 65536, 23) == 0, "I/O after the restart");
	FCI_LOG("kill -9: every acknowledged write read back, 1 MiB more verified");
	return 0;
}

int fcf_case_fabric(struct fci *c, int argc, char **argv)
{
	uint64_t tgt_wwpn = argc > 0 ? strtoull(argv[0], NULL, 16) : 0;
	const char *ready = argc > 1 ? argv[1] : NULL;
	const char *kill_file = argc > 2 ? argv[2] : NULL;
	struct fci_rx rx;
	uint32_t fkas, flogis;
	uint64_t t0;
	int r;

	memset(&F, 0, sizeof(F));
	memcpy(F.mac, c->mac, 6);
	F.adverts = F.answer_solicit = F.ini_registered = true;
	/* the initiator N_Port shares the FCF's MAC: frames go MAC to MAC */
	memcpy(c->vn_mac, c->mac, 6);
	c->tgt_id = 0;
	c->hook = hook;
	c->tick = tick;

	CHECK(wait_registered(c, 20000) == 0, "fabric login");
	CHECK(!F.decoy_flogis, "the target chose a decoy FCF");
	FCI_LOG("target logged in through the FCF and registered (RFT_ID FCP, RFF_ID target, "
		"RSPN_ID, SCR); VLAN requests %u, solicitations %u", F.vlan_reqs, F.solicits);
	CHECK(discover(c, tgt_wwpn) == 0, "discovery");
	CHECK(fci_login_ready(c) == 0, "login through the fabric");
	CHECK(fci_io_verify(c, 0, 512, 4u << 20, 65536, 21) == 0, "I/O through the fabric");
	if (kill_file && kill_step(c, kill_file, tgt_wwpn))
		return 1;

	/* keep-alives: one per FKA_ADV_PERIOD, none late */
	fkas = F.fkas;
	serve(c, 3500, NULL);
	CHECK(F.fkas - fkas >= 2 && !F.late_fkas, "ENode keep-alives: %u in 3.5 s, %u late",
	      F.fkas - fkas, F.late_fkas);

	/* RSCN naming us while registered: the target checks and keeps us */
	CHECK(rscn_for_us(c) == 0, "RSCN");
	{
		uint8_t buf[8];
		struct fci_cmd k = { .buf = buf, .cdb_len = 6 };

		r = fci_cmd(c, &k, 0, 5000);
		CHECK(r == 0 && k.rsp.status == 0, "TEST UNIT READY after an RSCN for a port "
		      "still registered: %d status %02x", r, k.rsp.status);
	}
	/* now gone from the name server, with a write waiting for its data:
	 * the target logs us out and ends that exchange without a response */
	{
		uint8_t buf[32768];
		struct fci_cmd k = { .buf = buf, .wr = true, .dl = sizeof(buf), .cdb_len = 10 };
		uint16_t ox = fci_ox(c);
		bool xrdy = false;

		k.cdb[0] = 0x2a;
		fc_put16(k.cdb + 7, 64);
		CHECK(fci_cmd_send(c, &k, ox, false) == 0, "send WRITE");
		for (int i = 0; i < 25 && !xrdy; i++)
			xrdy = fci_recv(c, &rx, 200) == 1 && rx.h.ox_id == ox &&
			       rx.h.r_ctl == FC_RCTL_DD_DATA_DESC;
		CHECK(xrdy, "no XFER_RDY for the WRITE");
		F.ini_registered = false;
		CHECK(rscn_for_us(c) == 0, "RSCN");
		for (int i = 0; i < 5; i++)
			CHECK(!(fci_recv(c, &rx, 100) == 1 && rx.h.ox_id == ox &&
				rx.h.r_ctl == FC_RCTL_DD_CMD_STATUS),
			      "FCP_RSP for a write of a port logged out by RSCN");
	}
	r = fci_prli(c, &rx);
	CHECK(r == ELS_LS_RJT && rx.pl[6] == LS_EXPL_NO_LOGIN, "PRLI after the RSCN logout: %d "
	      "(explanation %02x), not LS_RJT (PLOGI required)", r, rx.pl[6]);
	F.ini_registered = true;
	CHECK(fci_login_ready(c) == 0, "login after the RSCN logout");
	FCI_LOG("RSCN: kept while registered, logged out once gone from the name server");

	/* Clear Virtual Links: the target logs in again, I/O resumes */
	flogis = F.flogis;
	cvl(c);
	F.up = false;
	t0 = now_ms();
	CHECK(wait_registered(c, 20000) == 0 && F.flogis > flogis, "no new login after CVL");
	FCI_LOG("Clear Virtual Links: the target logged in again in %llu ms",
		(unsigned long long)(now_ms() - t0));
	CHECK(fci_login_ready(c) == 0, "login after CVL");
	CHECK(fci_io_verify(c, 0, 512, 1u << 20, 65536, 22) == 0, "I/O after CVL");

	/* advertisements stop: within 2.5 periods the target declares the link
	 * down and solicits again; it no longer answers the initiator */
	{
		uint32_t sol = F.solicits;

		F.adverts = F.answer_solicit = false;
		t0 = now_ms();
		while (now_ms() - t0 < FCF_FKA_MS * 6 && F.solicits == sol)
			serve(c, 100, NULL);
		CHECK(F.solicits > sol, "the target did not notice the advertisements stop");
		FCI_LOG("advertisements stopped: the target solicited again after %llu ms",
			(unsigned long long)(now_ms() - t0));
		CHECK(now_ms() - t0 >= FCF_FKA_MS * 2, "link down too early (%llu ms)",
		      (unsigned long long)(now_ms() - t0));
		r = fci_prli(c, &rx);
		CHECK(r == -ETIMEDOUT, "the target answered PRLI (%d) with its link down", r);
	}
	CHECK(!F.bad && !F.decoy_flogis, "%u malformed or wrong frames, %u FLOGIs to decoys",
	      F.bad, F.decoy_flogis);
	FCI_LOG("fabric: FLOGIs %u (%u implicit logouts by re-FLOGI, %u keep-alive timeouts), "
		"ENode keep-alives %u, VN_Port keep-alives %u, GPN_ID %u, VLAN requests %u",
		F.flogis, F.implicit_logos, F.fka_timeouts, F.fkas, F.vn_fkas, F.gpn_ids,
		F.vlan_reqs);

	if (ready) {
		FILE *fp;

		/* back up, then the script stops mtgtd: FIP LOGO expected */
		F.adverts = F.answer_solicit = true;
		CHECK(wait_registered(c, 20000) == 0, "login after the advertisements resumed");
		fp = fopen(ready, "w");
		CHECK(fp, "cannot write %s", ready);
		fclose(fp);
		t0 = now_ms();
		while (now_ms() - t0 < 30000 && !F.logos)
			serve(c, 100, NULL);
		CHECK(F.logos == 1, "no FIP LOGO when mtgtd stopped");
		FCI_LOG("FIP LOGO at shutdown");
	}
	return 0;
}
