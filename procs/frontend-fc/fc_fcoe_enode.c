/* The ENode role (fc_fcoe_enode.h), FC-BB-5 clause 7.8:
 *
 *   [VLAN request → notifications] → multicast Discovery Solicitation →
 *   Discovery Advertisements (pick: available, F_Port, FC-MAP as configured,
 *   lowest priority value) → FIP FLOGI → its LS_ACC gives the N_Port id and
 *   the granted MAC (FPMA: FC-MAP + N_Port id; SPMA: our own) → link up.
 *
 * While up: ENode keep-alive every FKA_ADV_PERIOD, VN_Port keep-alive every
 * 90 s (unless the FCF set the D bit); advertisements from the FCF must keep
 * coming (2.5 periods without one: link down); a Clear Virtual Links from it
 * naming us (or no VN_Port at all) ends the login. After a loss the port
 * waits a second and discovers again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"
#include "procs/frontend-fc/fc_fcoe_int.h"

#define EN_VLAN_WAIT_MS   1000
#define EN_SOLICIT_MS     1000  /* collect advertisements this long */
#define EN_FLOGI_WAIT_MS  2000  /* FIP FLOGI unanswered: discover again */
#define EN_RETRY_MS       1000
#define EN_VN_FKA_MS      90000 /* FC-BB-5: VN_Port keep-alives every 90 s */
#define EN_DEFAULT_FKA_MS 8000

#define FIP_SC_SOLICIT    1
#define FIP_SC_ADVERT     2
#define FIP_SC_LS_REQ     1
#define FIP_SC_LS_REP     2
#define FIP_SC_KEEP_ALIVE 1
#define FIP_SC_CVL        2
#define FIP_SC_VLAN_REQ   1
#define FIP_SC_VLAN_NOTE  2

static const uint8_t all_fcf_macs[6] = { 0x01, 0x10, 0x18, 0x01, 0x00, 0x02 };

static void set_state(struct fc_port *p, enum enode_state s)
{
	p->en.state = s;
	p->en.state_ms = fcoe_now_ms();
}

static uint16_t max_fcoe_size(const struct fc_port *p)
{
	return (uint16_t)(p->max_payload + FC_HDR_LEN + FC_CRC_LEN + FCOE_HDR_LEN +
			  FCOE_TRAILER_LEN);
}

static void fip_send(struct fc_port *p, struct fip_buf *b)
{
	int n = fip_end(b);

	if (n > 0 && fcoe_raw_send(p, b->p, (size_t)n) == 0)
		p->st.fip_tx++;
}

int fcoe_enode_conf(struct fc_port *p, void *json_conf)
{
	json_t *d = json_conf, *v;
	const char *s;

	p->en.on = true;
	s = json_string_value(json_object_get(d, "addressing"));
	p->en.spma = s && !strcmp(s, "spma");
	p->en.vlan_discovery = json_is_true(json_object_get(d, "fip_vlan_discovery"));
	v = json_object_get(d, "fc_map");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > 0xffffff))
		return -EINVAL;
	p->en.want_map = v ? (uint32_t)json_integer_value(v) : 0;
	return 0;
}

static void vlan_request(struct fc_port *p)
{
	uint8_t out[128];
	struct fip_buf b;

	fip_begin(&b, out, sizeof(out), all_fcf_macs, p->enode_mac, 0, FIP_OP_VLAN,
		  FIP_SC_VLAN_REQ, 0);
	fip_put_mac(&b, p->enode_mac);
	fip_put_name(&b, p->wwnn);
	fip_send(p, &b);
}

static uint16_t addr_flags(const struct fc_port *p)
{
	return p->en.spma ? FIP_FL_SPMA : FIP_FL_FPMA;
}

static void solicit(struct fc_port *p)
{
	uint8_t out[128];
	struct fip_buf b;

	memset(p->en.fcfs, 0, sizeof(p->en.fcfs));
	fip_begin(&b, out, sizeof(out), all_fcf_macs, p->enode_mac, 0, FIP_OP_DISC,
		  FIP_SC_SOLICIT, addr_flags(p));
	fip_put_mac(&b, p->enode_mac);
	fip_put_name(&b, p->wwnn);
	fip_put_max_size(&b, max_fcoe_size(p));
	fip_send(p, &b);
	p->en.st.solicit_tx++;
	set_state(p, EN_SOLICIT);
}

void fcoe_enode_start(struct fc_port *p)
{
	p->state = VN_PROBING;
	if (p->en.vlan_discovery) {
		p->en.nvlans = 0;
		vlan_request(p);
		set_state(p, EN_VLAN);
	} else {
		solicit(p);
	}
}

static void flogi_send(struct fc_port *p)
{
	struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .bb_credit = 10,
			       .features = FC_SP_FT_CIRO, .rx_size = (uint16_t)p->max_payload,
			       .max_seq = 255, .rel_off = 0x1f, .e_d_tov = 2000,
			       .port_name = p->wwpn, .node_name = p->wwnn, .class3 = true,
			       .c3_options = FC_CPSP_VALID,
			       .c3_rx_size = (uint16_t)p->max_payload, .c3_conc_seq = 255,
			       .c3_open_seq = 1 };
	uint8_t frame[FC_HDR_LEN + FC_SPARM_LEN], out[256];
	static const uint8_t zero[6];
	struct fc_hdr h = { .r_ctl = FC_RCTL_ELS_REQ, .d_id = FC_FID_FLOGI, .s_id = 0,
			    .type = FC_TYPE_ELS,
			    .f_ctl = FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT,
			    .rx_id = FC_XID_UNKNOWN };
	struct fip_buf b;

	p->en.flogi_ox = (uint16_t)(p->en.flogi_ox + 1) ? (uint16_t)(p->en.flogi_ox + 1) : 1;
	h.ox_id = p->en.flogi_ox;
	fc_hdr_encode(&h, frame);
	fc_sparm_encode(ELS_FLOGI, &sp, frame + FC_HDR_LEN);
	fip_begin(&b, out, sizeof(out), p->en.fcf.mac, p->enode_mac, 0, FIP_OP_LS, FIP_SC_LS_REQ,
		  addr_flags(p));
	fip_put_els(&b, FIP_DT_FLOGI, frame, sizeof(frame));
	/* the MAC we propose: our own for SPMA, none (the FCF's choice) for FPMA */
	fip_put_mac(&b, p->en.spma ? p->enode_mac : zero);
	fip_send(p, &b);
	p->en.st.flogi_tx++;
	set_state(p, EN_FLOGI);
}

/* The best FCF seen: available for login, an F_Port, the configured FC-MAP,
 * lowest priority value (FC-BB-5 7.8.3: the ENode's choice; first seen wins
 * a tie). */
static bool choose_fcf(struct fc_port *p)
{
	struct fcoe_fcf *best = NULL;

	for (int i = 0; i < ENODE_MAX_FCFS; i++) {
		struct fcoe_fcf *f = &p->en.fcfs[i];

		if (!f->used || !f->avail || !f->fport)
			continue;
		if (p->en.want_map && f->fc_map != p->en.want_map)
			continue;
		if (f->max_fcoe_size && f->max_fcoe_size < max_fcoe_size(p) &&
		    f->max_fcoe_size < FC_HDR_LEN + FC_CRC_LEN + FCOE_HDR_LEN + FCOE_TRAILER_LEN + 256)
			continue;
		if (!best || f->prio < best->prio)
			best = f;
	}
	if (!best)
		return false;
	p->en.fcf = *best;
	log_info("%s: FCF %02x:%02x:%02x:%02x:%02x:%02x (switch %016" PRIx64 ", fabric %016" PRIx64
		 ", priority %u, FC-MAP %06x, FKA %u ms)", p->name, best->mac[0], best->mac[1],
		 best->mac[2], best->mac[3], best->mac[4], best->mac[5], best->switch_name,
		 best->fabric_name, best->prio, best->fc_map, best->fka_ms);
	return true;
}

static void advert_recv(struct fc_port *p, const struct fip_msg *m)
{
	struct fcoe_fcf *slot = NULL;
	uint64_t now = fcoe_now_ms();

	if (m->subcode != FIP_SC_ADVERT)
		return; /* another ENode's solicitation */
	if (!FIP_HAS(m, FIP_DT_MAC) || !FIP_HAS(m, FIP_DT_PRI) || !FIP_HAS(m, FIP_DT_FAB) ||
	    !FIP_HAS(m, FIP_DT_NAME) || !FIP_HAS(m, FIP_DT_FKA) || (m->mac[0] & 1) ||
	    memcmp(m->mac, m->src, 6)) {
		p->st.malformed++;
		return;
	}
	p->en.st.adv_rx++;
	if (p->en.state == EN_FLOGI || p->en.state == EN_UP) {
		if (!memcmp(m->mac, p->en.fcf.mac, 6)) {
			p->en.last_adv_ms = now;
			if (m->fka_period_ms >= 100 && m->fka_period_ms <= 600000)
				p->en.fcf.fka_ms = m->fka_period_ms;
			p->en.fka_no_verify = m->fka_no_verify;
		}
		return;
	}
	if (p->en.state != EN_SOLICIT)
		return;
	for (int i = 0; i < ENODE_MAX_FCFS; i++) {
		if (p->en.fcfs[i].used && !memcmp(p->en.fcfs[i].mac, m->mac, 6)) {
			slot = &p->en.fcfs[i];
			break;
		}
		if (!p->en.fcfs[i].used && !slot)
			slot = &p->en.fcfs[i];
	}
	if (!slot)
		return;
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	memcpy(slot->mac, m->mac, 6);
	slot->prio = m->priority;
	slot->fc_map = m->fc_map;
	slot->switch_name = m->name;
	slot->fabric_name = m->fabric_name;
	slot->fka_ms = m->fka_period_ms >= 100 && m->fka_period_ms <= 600000 ? m->fka_period_ms
									     : EN_DEFAULT_FKA_MS;
	slot->avail = m->flags & FIP_FL_AVAIL;
	slot->fport = m->flags & FIP_FL_FPORT;
	slot->max_fcoe_size = FIP_HAS(m, FIP_DT_FCOE_SIZE) ? m->max_fcoe_size : 0;
	slot->seen_ms = now;
	p->en.fka_no_verify = m->fka_no_verify;
}

static void link_up(struct fc_port *p, uint32_t id, const uint8_t mac[6], uint32_t rx_size)
{
	p->port_id = id;
	memcpy(p->vn_mac, mac, 6);
	if (rx_size >= 256 && rx_size < p->max_payload)
		p->max_payload = rx_size & ~3u;
	p->state = VN_UP;
	set_state(p, EN_UP);
	p->en.last_adv_ms = p->en.enode_fka_ms = p->en.vn_fka_ms = fcoe_now_ms();
	p->en.st.flogi_acc++;
	p->en.st.logins++;
	log_info("%s: fabric login: N_Port id %06x, MAC %02x:%02x:%02x:%02x:%02x:%02x (%s), "
		 "frame payload %u", p->name, id, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 p->en.spma ? "SPMA" : "FPMA", p->max_payload);
	p->cb->link(p->arg, true, id, p->max_payload);
}

static void flogi_reply(struct fc_port *p, const struct fip_msg *m)
{
	struct fc_hdr h;
	struct fc_sparm sp;
	uint8_t cmd, fpma[6];
	const uint8_t *pl;
	uint32_t len;

	if (p->en.state != EN_FLOGI || m->subcode != FIP_SC_LS_REP)
		return;
	if (memcmp(m->src, p->en.fcf.mac, 6) || m->els_desc != FIP_DT_FLOGI ||
	    fc_hdr_decode(m->els, &h) < 0) {
		p->st.malformed++;
		return;
	}
	if (h.ox_id != p->en.flogi_ox || h.s_id != FC_FID_FLOGI || h.r_ctl != FC_RCTL_ELS_REP)
		return; /* an answer to an older FLOGI */
	pl = m->els + FC_HDR_LEN;
	len = m->els_len - FC_HDR_LEN;
	if (len < 1 || pl[0] != ELS_LS_ACC) {
		p->en.st.flogi_rjt++;
		log_warn("%s: the FCF refused our FLOGI (reason %02x, explanation %02x)", p->name,
			 len >= 7 ? pl[5] : 0, len >= 7 ? pl[6] : 0);
		set_state(p, EN_IDLE);
		return;
	}
	if (fc_sparm_decode(pl, len, &cmd, &sp) < 0 || !(sp.features & FC_SP_FT_FPORT) ||
	    h.d_id == 0 || h.d_id >= 0xfffff0u || !FIP_HAS(m, FIP_DT_MAC)) {
		p->st.malformed++;
		log_warn("%s: FLOGI LS_ACC from the FCF does not decode (not an F_Port, bad "
			 "N_Port id %06x or no MAC)", p->name, h.d_id);
		set_state(p, EN_IDLE);
		return;
	}
	/* the granted MAC must be what we asked for */
	fcoe_fpma(p->en.fcf.fc_map, h.d_id, fpma);
	if (memcmp(m->mac, p->en.spma ? p->enode_mac : fpma, 6)) {
		p->st.malformed++;
		log_warn("%s: the FCF granted MAC %02x:%02x:%02x:%02x:%02x:%02x, not the %s one",
			 p->name, m->mac[0], m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5],
			 p->en.spma ? "SPMA" : "FPMA");
		set_state(p, EN_IDLE);
		return;
	}
	link_up(p, h.d_id, m->mac, sp.rx_size & 0x0fff);
}

static void cvl_recv(struct fc_port *p, const struct fip_msg *m)
{
	if (p->en.state != EN_UP && p->en.state != EN_FLOGI)
		return;
	/* only our FCF may clear our links; the MAC descriptor names it too */
	if (memcmp(m->src, p->en.fcf.mac, 6) ||
	    (FIP_HAS(m, FIP_DT_MAC) && memcmp(m->mac, p->en.fcf.mac, 6))) {
		p->st.not_ours++;
		return;
	}
	/* with VN_Port descriptors it clears those; without, all of ours */
	if (FIP_HAS(m, FIP_DT_VN_ID) &&
	    (m->vn_port_id != p->port_id || memcmp(m->vn_mac, p->vn_mac, 6)))
		return;
	p->en.st.cvl_rx++;
	if (p->en.state == EN_UP)
		fcoe_link_lost(p, "Clear Virtual Links from the FCF");
	solicit(p);
}

void fcoe_enode_fip(struct fc_port *p, const struct fip_msg *m)
{
	switch (m->op) {
	case FIP_OP_DISC:
		advert_recv(p, m);
		break;
	case FIP_OP_LS:
		flogi_reply(p, m);
		break;
	case FIP_OP_CTRL:
		if (m->subcode == FIP_SC_CVL)
			cvl_recv(p, m);
		break;
	case FIP_OP_VLAN:
		if (m->subcode == FIP_SC_VLAN_NOTE && p->en.state == EN_VLAN) {
			p->en.st.vlan_notes++;
			for (uint32_t i = 0; i < m->nvlans && p->en.nvlans < 16; i++) {
				log_info("%s: FIP VLAN notification: FCoE on VLAN %u", p->name,
					 m->vlans[i]);
				p->en.vlans[p->en.nvlans++] = m->vlans[i];
			}
		}
		break;
	default:
		break; /* VN2VN frames are not for an ENode */
	}
}

static void keep_alive(struct fc_port *p, bool vn_port)
{
	uint8_t out[128];
	struct fip_buf b;

	/* a VN_Port's keep-alive comes from the VN_Port's MAC, the ENode's
	 * from the ENode's; both name the ENode in the MAC descriptor */
	fip_begin(&b, out, sizeof(out), p->en.fcf.mac, vn_port ? p->vn_mac : p->enode_mac, 0,
		  FIP_OP_CTRL, FIP_SC_KEEP_ALIVE, 0);
	fip_put_mac(&b, p->enode_mac);
	if (vn_port)
		fip_put_vn_id(&b, p->vn_mac, p->port_id, p->wwpn);
	fip_send(p, &b);
	if (vn_port)
		p->en.st.vn_fka_tx++;
	else
		p->en.st.fka_tx++;
}

void fcoe_enode_timers(struct fc_port *p, uint64_t now)
{
	uint64_t in_state = now - p->en.state_ms;

	switch (p->en.state) {
	case EN_VLAN:
		if (p->en.nvlans || in_state >= EN_VLAN_WAIT_MS) {
			if (!p->en.nvlans)
				log_info("%s: no FIP VLAN notification; discovering untagged",
					 p->name);
			solicit(p);
		}
		break;
	case EN_SOLICIT:
		if (in_state < EN_SOLICIT_MS)
			break;
		if (choose_fcf(p))
			flogi_send(p);
		else
			solicit(p);
		break;
	case EN_FLOGI:
		if (in_state >= EN_FLOGI_WAIT_MS) {
			log_warn("%s: no answer to FIP FLOGI; discovering again", p->name);
			solicit(p);
		}
		break;
	case EN_IDLE:
		if (in_state >= EN_RETRY_MS)
			fcoe_enode_start(p);
		break;
	case EN_UP:
		if (now - p->en.last_adv_ms > (uint64_t)p->en.fcf.fka_ms * 5 / 2) {
			p->en.st.adv_lost++;
			fcoe_link_lost(p, "FCF advertisements stopped (2.5 x FKA_ADV_PERIOD)");
			set_state(p, EN_IDLE);
			break;
		}
		if (now - p->en.enode_fka_ms >= p->en.fcf.fka_ms) {
			p->en.enode_fka_ms = now;
			keep_alive(p, false);
		}
		if (!p->en.fka_no_verify && now - p->en.vn_fka_ms >= EN_VN_FKA_MS) {
			p->en.vn_fka_ms = now;
			keep_alive(p, true);
		}
		break;
	}
}

void fcoe_enode_logo(struct fc_port *p)
{
	uint8_t frame[FC_HDR_LEN + FC_LOGO_LEN], out[160];
	struct fc_hdr h = { .r_ctl = FC_RCTL_ELS_REQ, .d_id = FC_FID_FLOGI, .s_id = p->port_id,
			    .type = FC_TYPE_ELS,
			    .f_ctl = FC_FCTL_FIRST_SEQ | FC_FCTL_END_SEQ | FC_FCTL_SEQ_INIT,
			    .rx_id = FC_XID_UNKNOWN };
	struct fip_buf b;

	if (p->en.state != EN_UP)
		return;
	h.ox_id = ++p->en.flogi_ox;
	fc_hdr_encode(&h, frame);
	fc_logo_encode(p->port_id, p->wwpn, frame + FC_HDR_LEN);
	fip_begin(&b, out, sizeof(out), p->en.fcf.mac, p->enode_mac, 0, FIP_OP_LS, FIP_SC_LS_REQ,
		  addr_flags(p));
	fip_put_els(&b, FIP_DT_LOGO, frame, sizeof(frame));
	fip_put_mac(&b, p->vn_mac);
	fip_send(p, &b);
	p->en.st.logo_tx++;
	p->state = VN_PROBING;
	set_state(p, EN_IDLE);
	log_info("%s: FIP LOGO of N_Port %06x", p->name, p->port_id);
}

int fcoe_enode_stats(struct fc_port *p, char *buf, uint32_t cap)
{
	static const char *const names[] = { "vlan", "solicit", "flogi", "up", "idle" };

	return snprintf(buf, cap,
			",\"fabric\":{\"state\":\"%s\",\"fcf_mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\","
			"\"fka_ms\":%u,\"advertisements\":%llu,\"solicitations\":%llu,"
			"\"flogi\":%llu,\"flogi_acc\":%llu,\"flogi_rjt\":%llu,\"cvl\":%llu,"
			"\"enode_fka\":%llu,\"vn_port_fka\":%llu,\"adv_lost\":%llu,\"logo\":%llu,"
			"\"vlan_notifications\":%llu,\"logins\":%llu}",
			names[p->en.state], p->en.fcf.mac[0], p->en.fcf.mac[1], p->en.fcf.mac[2],
			p->en.fcf.mac[3], p->en.fcf.mac[4], p->en.fcf.mac[5], p->en.fcf.fka_ms,
			(unsigned long long)p->en.st.adv_rx, (unsigned long long)p->en.st.solicit_tx,
			(unsigned long long)p->en.st.flogi_tx, (unsigned long long)p->en.st.flogi_acc,
			(unsigned long long)p->en.st.flogi_rjt, (unsigned long long)p->en.st.cvl_rx,
			(unsigned long long)p->en.st.fka_tx, (unsigned long long)p->en.st.vn_fka_tx,
			(unsigned long long)p->en.st.adv_lost, (unsigned long long)p->en.st.logo_tx,
			(unsigned long long)p->en.st.vlan_notes, (unsigned long long)p->en.st.logins);
}
