/* Fabric login (fc_fabric.h): one request at a time, in order, each retried
 * after 3 s, three tries (shorter than 2 x R_A_TOV: a silent fabric should
 * not hold the registration back for a minute).
 *
 *   PLOGI 0xFFFFFC → RFT_ID (FC-4 type FCP) → RFF_ID (FCP, target) →
 *   RSPN_ID (symbolic port name: the target name) → SCR 0xFFFFFD (full) →
 *   ready; then RSCN → LS_ACC, and each logged-in remote port the RSCN
 *   names is looked up with GPN_ID: a reject, or another port name, logs it
 *   out (its exchanges end as by LOGO). */
#include "procs/frontend-fc/fc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_ct.h"
#include "procs/frontend-fc/fc_els.h"

#define FAB_RETRY_MS 3000
#define FAB_TRIES    3

const char *fc_fabric_step_name(enum fc_fab_step s)
{
	static const char *const n[] = { "off", "plogi", "rft_id", "rff_id", "rspn_id", "scr",
					 "ready", "gpn_id" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static uint16_t next_ox(struct fc_lport *lp)
{
	uint16_t ox = lp->next_ox++;

	if (lp->next_ox >= 0xf000)
		lp->next_ox = 1;
	return ox;
}

static void send_req(struct fc_lport *lp, uint32_t d_id, uint8_t r_ctl, uint8_t type,
		     const uint8_t *pl, uint32_t len)
{
	struct fc_fabric *f = &lp->fab;
	struct fc_xid x = { .peer = d_id, .ox_id = next_ox(lp), .rx_id = FC_XID_UNKNOWN,
			    .originator = true };

	f->ox_id = x.ox_id;
	f->sent_ms = fc_now_ms();
	if (lp->ops->send_seq(lp->drv, &x, r_ctl, type, false, pl, len) < 0)
		log_warn("%s: could not send %s to %06x", lp->name, fc_fabric_step_name(f->step),
			 d_id);
}

static void send_ct(struct fc_lport *lp, uint16_t cmd, const uint8_t *pl, size_t len)
{
	struct fc_ct_hdr h = { .gs_type = FC_GS_DIR, .gs_subtype = FC_GS_NAME, .cmd = cmd,
			       .max_size = (FC_MAX_PAYLOAD - FC_CT_HDR_LEN) / 4 };
	uint8_t out[FC_CT_HDR_LEN + FC_RSPN_ID_MAX];
	int n = fc_ct_encode(&h, pl, len, out, sizeof(out));

	if (n > 0)
		send_req(lp, FC_FID_DIR_SERV, FC_RCTL_CT_REQ, FC_TYPE_CT, out, (uint32_t)n);
}

/* Send the request of the current step. */
static void step_send(struct fc_lport *lp)
{
	struct fc_fabric *f = &lp->fab;
	uint8_t pl[FC_RSPN_ID_MAX > FC_SPARM_LEN ? FC_RSPN_ID_MAX : FC_SPARM_LEN];
	size_t n;

	switch (f->step) {
	case FAB_PLOGI: {
		struct fc_sparm sp = { .ver_hi = 0x20, .ver_lo = 0x20, .bb_credit = 10,
				       .features = FC_SP_FT_CIRO, .rx_size = (uint16_t)lp->max_payload,
				       .max_seq = 255, .rel_off = 0x1f, .e_d_tov = FC_E_D_TOV_MS,
				       .port_name = lp->wwpn, .node_name = lp->wwnn, .class3 = true,
				       .c3_options = FC_CPSP_VALID | FC_CPSP_SEQ_DEL,
				       .c3_rx_size = (uint16_t)lp->max_payload, .c3_conc_seq = 255,
				       .c3_open_seq = 1 };

		fc_sparm_encode(ELS_PLOGI, &sp, pl);
		send_req(lp, FC_FID_DIR_SERV, FC_RCTL_ELS_REQ, FC_TYPE_ELS, pl, FC_SPARM_LEN);
		break;
	}
	case FAB_RFT_ID:
		n = fc_rft_id_encode(lp->nport_id, FC_TYPE_FCP, pl);
		send_ct(lp, CT_RFT_ID, pl, n);
		break;
	case FAB_RFF_ID:
		n = fc_rff_id_encode(lp->nport_id, FC_FF_TARGET, FC_TYPE_FCP, pl);
		send_ct(lp, CT_RFF_ID, pl, n);
		break;
	case FAB_RSPN_ID: {
		char name[256];
		int k = snprintf(name, sizeof(name), "mtgt ");
		size_t tl = strlen(lp->target);

		/* the target name, cut to the 255 bytes a symbolic name holds */
		if (tl > sizeof(name) - 1 - (size_t)k)
			tl = sizeof(name) - 1 - (size_t)k;
		memcpy(name + k, lp->target, tl);
		name[(size_t)k + tl] = 0;
		n = fc_rspn_id_encode(lp->nport_id, name, pl);
		send_ct(lp, CT_RSPN_ID, pl, n);
		break;
	}
	case FAB_SCR:
		fc_scr_encode(FC_SCR_FULL, pl);
		send_req(lp, FC_FID_FCTRL, FC_RCTL_ELS_REQ, FC_TYPE_ELS, pl, FC_SCR_LEN);
		break;
	case FAB_GPN_ID:
		n = fc_gpn_id_encode(f->checking, pl);
		send_ct(lp, CT_GPN_ID, pl, n);
		break;
	default:
		break;
	}
}

static void go(struct fc_lport *lp, enum fc_fab_step s)
{
	lp->fab.step = s;
	lp->fab.tries = 0;
	step_send(lp);
}

/* Ready: verify the next remote port an RSCN named, if any. */
static void next_check(struct fc_lport *lp)
{
	struct fc_fabric *f = &lp->fab;

	f->step = FAB_READY;
	f->checking = 0;
	while (f->npending) {
		uint32_t id = f->pending[--f->npending];

		if (fc_rport_find(lp, id)) {
			f->checking = id;
			go(lp, FAB_GPN_ID);
			return;
		}
	}
}

void fc_fabric_link(struct fc_lport *lp, bool up)
{
	struct fc_fabric *f = &lp->fab;

	f->npending = 0;
	f->step = FAB_OFF;
	if (up && lp->ops->fabric && lp->ops->fabric(lp->drv)) {
		log_info("%s: on a fabric: logging in to the directory server", lp->name);
		go(lp, FAB_PLOGI);
	}
}

static void step_done(struct fc_lport *lp)
{
	struct fc_fabric *f = &lp->fab;

	switch (f->step) {
	case FAB_PLOGI: go(lp, FAB_RFT_ID); break;
	case FAB_RFT_ID: go(lp, FAB_RFF_ID); break;
	case FAB_RFF_ID: go(lp, FAB_RSPN_ID); break;
	case FAB_RSPN_ID: go(lp, FAB_SCR); break;
	case FAB_SCR:
		f->st.registrations++;
		log_info("%s: registered with the name server (FCP target %06x) and for RSCNs",
			 lp->name, lp->nport_id);
		next_check(lp);
		break;
	default:
		next_check(lp);
	}
}

/* A reply to our request in flight. */
static void reply(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct fc_fabric *f = &lp->fab;
	struct fc_ct_hdr ct;
	const uint8_t *ctp;
	size_t ctl;
	bool ok;

	if (f->step == FAB_OFF || f->step == FAB_READY || h->ox_id != f->ox_id ||
	    !(h->f_ctl & FC_FCTL_EX_CTX))
		return;
	if (f->step == FAB_PLOGI || f->step == FAB_SCR) {
		struct fc_sparm sp;
		uint8_t cmd;

		ok = h->r_ctl == FC_RCTL_ELS_REP && len >= 4 && pl[0] == ELS_LS_ACC;
		if (ok && f->step == FAB_PLOGI)
			ok = fc_sparm_decode(pl, len, &cmd, &sp) == 0;
		if (!ok) {
			f->st.rejects++;
			log_warn("%s: the fabric refused our %s (%02x %02x)", lp->name,
				 fc_fabric_step_name(f->step), len >= 6 ? pl[5] : 0,
				 len >= 7 ? pl[6] : 0);
			f->step = FAB_READY; /* serve what already found us */
			next_check(lp);
			return;
		}
		step_done(lp);
		return;
	}
	if (h->r_ctl != FC_RCTL_CT_REP || h->type != FC_TYPE_CT ||
	    fc_ct_decode(pl, len, &ct, &ctp, &ctl) < 0 || ct.gs_type != FC_GS_DIR) {
		lp->t->st.dropped++;
		return;
	}
	if (f->step == FAB_GPN_ID) {
		struct fc_rport *rp = fc_rport_find(lp, f->checking);
		bool same = ct.cmd == CT_ACCEPT && ctl >= 8 && rp && fc_get64(ctp) == rp->wwpn;

		if (rp && !same) {
			f->st.rscn_logouts++;
			fc_rport_logout(rp, ct.cmd == CT_ACCEPT ? "RSCN: another port at its id"
								 : "RSCN: gone from the name server");
		}
		next_check(lp);
		return;
	}
	if (ct.cmd != CT_ACCEPT) {
		f->st.rejects++;
		log_warn("%s: the name server rejected %s (reason %02x, explanation %02x)",
			 lp->name, fc_fabric_step_name(f->step), ct.reason, ct.expl);
		/* a name server without the optional RSPN_ID still serves */
	}
	step_done(lp);
}

static void rscn(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct fc_fabric *f = &lp->fab;
	struct fc_rscn_page pages[FC_RSCN_MAX_PAGES];
	struct fc_xid x = { .peer = h->s_id, .ox_id = h->ox_id, .rx_id = FC_XID_UNKNOWN };
	uint8_t out[FC_LS_RJT_LEN];
	int n = fc_rscn_decode(pl, len, pages, FC_RSCN_MAX_PAGES);

	if (n < 0) {
		fc_ls_rjt_encode(LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE, out);
		fc_ls_reply(lp, &x, out, sizeof(out));
		return;
	}
	out[0] = ELS_LS_ACC;
	out[1] = out[2] = out[3] = 0;
	fc_ls_reply(lp, &x, out, 4);
	f->st.rscn++;
	for (struct fc_rport *rp = lp->rports; rp; rp = rp->next) {
		bool hit = false;

		for (int i = 0; i < n && !hit; i++)
			hit = fc_rscn_match(&pages[i], rp->id);
		if (!hit || f->checking == rp->id)
			continue;
		for (uint32_t k = 0; k < f->npending && hit; k++)
			hit = f->pending[k] != rp->id;
		if (hit && f->npending < FC_FAB_PENDING)
			f->pending[f->npending++] = rp->id;
	}
	log_info("%s: RSCN with %d page(s): %u remote port(s) to verify", lp->name, n,
		 f->npending);
	if (f->step == FAB_READY)
		next_check(lp);
}

bool fc_fabric_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl,
		    uint32_t len)
{
	if (lp->fab.step == FAB_OFF)
		return false;
	if (h->r_ctl == FC_RCTL_ELS_REQ && h->type == FC_TYPE_ELS) {
		/* an RSCN during registration is taken too: its checks wait
		 * until the registration is done */
		if (h->s_id == FC_FID_FCTRL && len >= 1 && pl[0] == ELS_RSCN)
			rscn(lp, h, pl, len);
		else if (len >= 1 && pl[0] == ELS_LOGO)
			log_warn("%s: LOGO from the fabric (%06x)", lp->name, h->s_id);
		else
			lp->t->st.dropped++;
		return true;
	}
	reply(lp, h, pl, len);
	return true;
}

void fc_fabric_tick(struct fc_lport *lp, uint64_t now_ms)
{
	struct fc_fabric *f = &lp->fab;

	if (f->step == FAB_OFF || f->step == FAB_READY || now_ms - f->sent_ms < FAB_RETRY_MS)
		return;
	f->st.timeouts++;
	if (++f->tries >= FAB_TRIES) {
		log_warn("%s: no answer to %s from the fabric after %u tries", lp->name,
			 fc_fabric_step_name(f->step), FAB_TRIES);
		if (f->step == FAB_GPN_ID)
			f->checking = 0;
		next_check(lp);
		return;
	}
	step_send(lp);
}
