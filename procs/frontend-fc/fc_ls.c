/* Link services of an FCP target port (FC-LS-3) and the remote ports they
 * create: FLOGI (point to point), PLOGI, PRLI (the FCP image pair, which is
 * the I_T nexus: initiator WWPN + target WWPN), PRLO, LOGO, ADISC, RRQ, and
 * ABTS (BA_ACC / BA_RJT). Who may log in is the core's decision (per-target
 * ACLs by WWPN): PRLI is answered only once the core accepted the nexus. */
#include "procs/frontend-fc/fc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "procs/frontend-fc/fc_bytes.h"
#include "procs/frontend-fc/fc_els.h"

struct fc_rport *fc_rport_find(struct fc_lport *lp, uint32_t id)
{
	for (struct fc_rport *rp = lp->rports; rp; rp = rp->next)
		if (rp->id == id)
			return rp;
	return NULL;
}

void fc_ls_reply(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl, uint32_t len)
{
	lp->ops->send_seq(lp->drv, x, FC_RCTL_ELS_REP, FC_TYPE_ELS, true, pl, len);
}

static void ls_rjt(struct fc_lport *lp, const struct fc_xid *x, uint8_t reason, uint8_t expl)
{
	uint8_t p[FC_LS_RJT_LEN];

	lp->t->st.ls_rjt++;
	fc_ls_rjt_encode(reason, expl, p);
	fc_ls_reply(lp, x, p, sizeof(p));
}

static void ls_acc(struct fc_lport *lp, const struct fc_xid *x)
{
	static const uint8_t acc[4] = { ELS_LS_ACC, 0, 0, 0 };

	fc_ls_reply(lp, x, acc, sizeof(acc));
}

void fc_rport_put(struct fc_rport *rp)
{
	if (--rp->refs)
		return;
	if (rp->names.length)
		pool_free(&rp->lp->t->alloc, &rp->names);
	free(rp);
}

static void nexus_del(struct fc_rport *rp)
{
	struct fc_tgt *t = rp->lp->t;
	union msg m = { 0 };

	m.nexus_del.h.type = MSG_NEXUS_DEL;
	m.nexus_del.h.epoch = t->c->epoch;
	m.nexus_del.nexus = rp->nexus;
	fe_link_send(&t->fl, &m);
	rp->nx = FNX_NONE;
}

/* End the FCP image pair: the commands of the nexus are aborted (their
 * exchanges end without a response, as FCP-4 says for PRLO and LOGO) and
 * the core forgets the nexus. */
static void image_pair_end(struct fc_rport *rp)
{
	struct fc_lport *lp = rp->lp;

	while (rp->cmds)
		fc_cmd_abort(rp->cmds, false);
	if (rp->prli_pending) {
		rp->prli_pending = false;
		fc_exch_done(lp->em, rp->prli_x, fc_now_ms());
	}
	if (rp->nx == FNX_LIVE)
		nexus_del(rp);
	/* FNX_ADDING: fc_rport_nexus_added() removes it when the answer comes */
	rp->prli = false;
}

void fc_rport_logout(struct fc_rport *rp, const char *why)
{
	struct fc_lport *lp = rp->lp;
	struct fc_rport **pp;

	if (rp->gone)
		return;
	log_info("%s: %06x (%016" PRIx64 ") logged out: %s", lp->name, rp->id, rp->wwpn, why);
	rp->gone = true;
	for (pp = &lp->rports; *pp; pp = &(*pp)->next)
		if (*pp == rp) {
			*pp = rp->next;
			break;
		}
	image_pair_end(rp);
	fc_rport_put(rp);
}

void fc_all_logout(struct fc_tgt *t, const char *why)
{
	for (uint32_t i = 0; i < t->nports; i++) {
		struct fc_lport *lp = &t->ports[i];

		while (lp->rports) {
			uint32_t id = lp->rports->id;

			fc_rport_logout(lp->rports, why);
			if (lp->up)
				fc_lport_logo_send(lp, id);
		}
	}
}

/* An explicit LOGO from us (FC-LS-3 4.2.21): the initiator learns it must
 * log in again, e.g. after frames from a port that never logged in. */
void fc_lport_logo_send(struct fc_lport *lp, uint32_t d_id)
{
	struct fc_xid x = { .peer = d_id, .ox_id = lp->next_ox++, .rx_id = FC_XID_UNKNOWN,
			    .originator = true };
	uint8_t p[FC_LOGO_LEN];

	if (lp->next_ox >= 0xf000)
		lp->next_ox = 1;
	fc_logo_encode(lp->nport_id, lp->wwpn, p);
	lp->ops->send_seq(lp->drv, &x, FC_RCTL_ELS_REQ, FC_TYPE_ELS, false, p, sizeof(p));
}

static void our_sparm(struct fc_lport *lp, struct fc_sparm *sp, bool flogi)
{
	memset(sp, 0, sizeof(*sp));
	sp->ver_hi = 0x20;
	sp->ver_lo = 0x20;
	sp->bb_credit = 10;
	sp->features = FC_SP_FT_CIRO;
	sp->rx_size = (uint16_t)lp->max_payload;
	sp->max_seq = 255;
	sp->rel_off = 0x1f;
	sp->e_d_tov = FC_E_D_TOV_MS;
	sp->port_name = lp->wwpn;
	sp->node_name = lp->wwnn;
	sp->class3 = true;
	sp->c3_options = FC_CPSP_VALID | (flogi ? 0 : FC_CPSP_SEQ_DEL);
	sp->c3_rx_size = (uint16_t)lp->max_payload;
	sp->c3_conc_seq = 255;
	sp->c3_open_seq = 1;
}

/* FLOGI and PLOGI service parameters we can work with. 0, or the LS_RJT
 * explanation. */
static int sparm_check(const struct fc_sparm *sp)
{
	uint16_t rx = sp->rx_size & 0x0fff;

	if (!sp->port_name || !sp->node_name)
		return LS_EXPL_INVALID_PNAME;
	if (!sp->class3)
		return LS_EXPL_SPARM_OPTIONS;
	if (rx < 256 || rx > FC_MAX_PAYLOAD || rx % 4)
		return LS_EXPL_SPARM_RECV_SIZE;
	return 0;
}

/* N_Port login with the peer's service parameters, whoever sent the
 * PLOGI; a login over an existing one is an implicit logout first. */
static struct fc_rport *rport_login(struct fc_lport *lp, uint32_t id, const struct fc_sparm *sp,
				    const char *how)
{
	struct fc_rport *rp = fc_rport_find(lp, id);

	if (rp)
		fc_rport_logout(rp, "new PLOGI");
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return NULL;
	rp->lp = lp;
	rp->id = id;
	rp->wwpn = sp->port_name;
	rp->wwnn = sp->node_name;
	rp->rx_size = sp->rx_size & 0x0fff;
	if (sp->c3_rx_size && (sp->c3_rx_size & 0x0fff) < rp->rx_size)
		rp->rx_size = sp->c3_rx_size & 0x0fff;
	rp->refs = 1;
	rp->next = lp->rports;
	lp->rports = rp;
	lp->t->st.plogi++;
	log_info("%s: %s %06x (%016" PRIx64 "), receive size %u", lp->name, how, rp->id,
		 rp->wwpn, rp->rx_size);
	return rp;
}

static void plogi_recv(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl,
		       uint32_t len)
{
	struct fc_sparm sp, ours;
	uint8_t cmd, out[FC_SPARM_LEN];
	int e;

	if (fc_sparm_decode(pl, len, &cmd, &sp) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return;
	}
	if ((e = sparm_check(&sp))) {
		ls_rjt(lp, x, LS_RJT_LOGICAL_ERR, (uint8_t)e);
		return;
	}
	if (x->peer == 0 || x->peer >= 0xfffff0u || x->peer == lp->nport_id) {
		ls_rjt(lp, x, LS_RJT_LOGICAL_ERR, LS_EXPL_INVALID_NPORT);
		return;
	}
	if (!rport_login(lp, x->peer, &sp, "PLOGI from")) {
		ls_rjt(lp, x, LS_RJT_UNABLE, LS_EXPL_INSUFF_RES);
		return;
	}
	our_sparm(lp, &ours, false);
	fc_sparm_encode(ELS_LS_ACC, &ours, out);
	fc_ls_reply(lp, x, out, sizeof(out));
}

/* Our own PLOGI after a point-to-point FLOGI; its LS_ACC (fc_ls_reply_recv)
 * logs the peer in as if it had sent the PLOGI. */
static void plogi_send(struct fc_lport *lp, uint32_t peer)
{
	struct fc_xid x = { .peer = peer, .ox_id = lp->next_ox++, .rx_id = FC_XID_UNKNOWN,
			    .originator = true };
	struct fc_sparm ours;
	uint8_t out[FC_SPARM_LEN];
	unsigned slot = 0;

	if (lp->next_ox >= 0xf000)
		lp->next_ox = 1;
	for (unsigned i = 0; i < FC_LS_REQS; i++)
		if (!lp->reqs[i].peer || fc_now_ms() - lp->reqs[i].ms > FC_R_A_TOV_MS) {
			slot = i;
			break;
		} else if (lp->reqs[i].ms < lp->reqs[slot].ms) {
			slot = i;
		}
	lp->reqs[slot].peer = peer;
	lp->reqs[slot].ox_id = x.ox_id;
	lp->reqs[slot].ms = fc_now_ms();
	our_sparm(lp, &ours, false);
	fc_sparm_encode(ELS_PLOGI, &ours, out);
	log_info("%s: PLOGI to %06x (point to point, ours is the higher port name)", lp->name, peer);
	lp->ops->send_seq(lp->drv, &x, FC_RCTL_ELS_REQ, FC_TYPE_ELS, false, out, sizeof(out));
}

void fc_ls_reply_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl,
		      uint32_t len)
{
	struct fc_sparm sp;
	uint8_t cmd;

	for (unsigned i = 0; i < FC_LS_REQS; i++) {
		if (lp->reqs[i].peer != h->s_id || lp->reqs[i].ox_id != h->ox_id ||
		    !(h->f_ctl & FC_FCTL_EX_CTX))
			continue;
		lp->reqs[i].peer = 0;
		if (len && pl[0] == ELS_LS_ACC && fc_sparm_decode(pl, len, &cmd, &sp) == 0 &&
		    !sparm_check(&sp))
			rport_login(lp, h->s_id, &sp, "PLOGI accepted by");
		else
			log_info("%s: %06x refused our PLOGI", lp->name, h->s_id);
		return;
	}
	/* the answer to a LOGO we sent, or to nothing: nothing waits for it */
}

/* Point-to-point FLOGI (FC-LS-3 4.2.7; also what Linux libfc sends a VN2VN
 * peer): accepted as an N_Port, no fabric here. Then the port with the
 * higher port name originates PLOGI: when that is us, we do. */
static void flogi_recv(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl,
		       uint32_t len)
{
	struct fc_sparm sp, ours;
	uint8_t cmd, out[FC_SPARM_LEN];
	int e;

	if (fc_sparm_decode(pl, len, &cmd, &sp) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return;
	}
	if ((e = sparm_check(&sp))) {
		ls_rjt(lp, x, LS_RJT_LOGICAL_ERR, (uint8_t)e);
		return;
	}
	our_sparm(lp, &ours, true);
	fc_sparm_encode(ELS_LS_ACC, &ours, out);
	fc_ls_reply(lp, x, out, sizeof(out));
	if (sp.port_name < lp->wwpn && x->peer && x->peer < 0xfffff0u && x->peer != lp->nport_id)
		plogi_send(lp, x->peer);
}

static void nexus_add(struct fc_rport *rp)
{
	struct fc_lport *lp = rp->lp;
	struct fc_tgt *t = lp->t;
	union msg m = { 0 };
	char ini[32];
	size_t a, b;
	uint8_t *names;

	snprintf(ini, sizeof(ini), "0x%016" PRIx64, rp->wwpn);
	if (pool_alloc(&t->alloc, MSG_NAME_MAX * 2, &m.nexus_add.buf) < 0)
		goto fail;
	names = pool_ptr(&t->c->pool, &m.nexus_add.buf);
	a = strlen(ini) + 1;
	b = strlen(lp->target) + 1;
	memcpy(names, ini, a);
	memcpy(names + a, lp->target, b);
	m.nexus_add.buf.length = (uint32_t)(a + b);
	m.nexus_add.h.type = MSG_NEXUS_ADD;
	m.nexus_add.h.epoch = t->c->epoch;
	rp->nexus = t->next_nexus++;
	if (!t->next_nexus)
		t->next_nexus = 1;
	m.nexus_add.nexus = rp->nexus;
	/* the target port stands where iSCSI has the ISID: PR and UA keep
	 * two target ports of one initiator apart */
	m.nexus_add.isid = lp->wwpn & 0xffffffffffffull;
	m.nexus_add.h.tag = fe_req_new(&t->fl, FRQ_NEXUS, rp);
	if (!m.nexus_add.h.tag) {
		pool_free(&t->alloc, &m.nexus_add.buf);
		goto fail;
	}
	rp->names = m.nexus_add.buf;
	rp->nx = FNX_ADDING;
	rp->refs++;
	fe_link_send(&t->fl, &m);
	return;
fail:
	rp->prli_pending = false;
	ls_rjt(lp, &rp->prli_xid, LS_RJT_UNABLE, LS_EXPL_INSUFF_RES);
	fc_exch_done(lp->em, rp->prli_x, fc_now_ms());
}

static void prli_answer(struct fc_rport *rp, bool ok)
{
	struct fc_lport *lp = rp->lp;
	struct fc_prli_page pg = { .type = FC_TYPE_FCP };
	uint8_t out[FC_PRLI_LEN];

	rp->prli_pending = false;
	if (ok) {
		pg.flags = FCP_SPPF_EST_IMAGE | PRLI_RESP_ACCEPT << 8;
		/* read XFER_RDY is never used; write XFER_RDY always is */
		pg.sparams = FCP_SPP_TARGET_FCN | FCP_SPP_RD_XRDY_DIS;
		fc_prli_encode(ELS_LS_ACC, &pg, out);
		fc_ls_reply(lp, &rp->prli_xid, out, sizeof(out));
		rp->prli = true;
		lp->t->st.prli++;
	} else {
		/* the core refused (ACL or no such target): no image pair */
		ls_rjt(lp, &rp->prli_xid, LS_RJT_UNABLE, LS_EXPL_NONE);
	}
	fc_exch_done(lp->em, rp->prli_x, fc_now_ms());
}

void fc_rport_nexus_added(struct fc_rport *rp, int result)
{
	struct fc_tgt *t = rp->lp->t;

	pool_free(&t->alloc, &rp->names);
	rp->names.length = 0;
	if (rp->gone || !rp->prli_pending) {
		/* logged out while the core decided: take the nexus back */
		if (result == 0)
			nexus_del(rp);
		rp->nx = FNX_NONE;
	} else if (result == 0) {
		rp->nx = FNX_LIVE;
		log_info("%s: FCP image pair with %06x (%016" PRIx64 ") established", rp->lp->name,
			 rp->id, rp->wwpn);
		prli_answer(rp, true);
	} else {
		rp->nx = FNX_NONE;
		log_info("%s: PRLI from %016" PRIx64 " refused by the core (%s)", rp->lp->name,
			 rp->wwpn, strerror(-result));
		prli_answer(rp, false);
	}
	fc_rport_put(rp);
}

/* Returns true when it kept the exchange open (answered later). */
static bool prli_recv(struct fc_lport *lp, struct fc_rport *rp, const struct fc_xid *x,
		      struct fc_exch *ex, const uint8_t *pl, uint32_t len)
{
	struct fc_prli_page pg;
	uint8_t cmd, out[FC_PRLI_LEN];

	if (fc_prli_decode(pl, len, &cmd, &pg) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return false;
	}
	if (pg.type != FC_TYPE_FCP || (pg.flags & (FCP_SPPF_ORIG_PA | FCP_SPPF_RESP_PA)) ||
	    !(pg.sparams & FCP_SPP_INIT_FCN)) {
		/* not an FCP initiator, or asks for process associators: the
		 * page is answered, no image pair */
		struct fc_prli_page a = { .type = pg.type };

		a.flags = (pg.type != FC_TYPE_FCP ? PRLI_RESP_INVALID_PARAM
		           : (pg.flags & (FCP_SPPF_ORIG_PA | FCP_SPPF_RESP_PA))
				   ? PRLI_RESP_NO_SUCH_PA : PRLI_RESP_COND) << 8;
		a.sparams = FCP_SPP_TARGET_FCN | FCP_SPP_RD_XRDY_DIS;
		fc_prli_encode(ELS_LS_ACC, &a, out);
		fc_ls_reply(lp, x, out, sizeof(out));
		return false;
	}
	if (rp->prli_pending || !lp->t->fl.ok || lp->t->shutting_down) {
		/* one at a time; none while the core restarts or we stop */
		ls_rjt(lp, x, LS_RJT_LOGICAL_BUSY, LS_EXPL_CMD_IN_PROGRESS);
		return false;
	}
	/* a new PRLI replaces the image pair */
	if (rp->prli || rp->nx != FNX_NONE)
		image_pair_end(rp);
	if (rp->nx != FNX_NONE) {
		ls_rjt(lp, x, LS_RJT_LOGICAL_BUSY, LS_EXPL_CMD_IN_PROGRESS);
		return false;
	}
	rp->prli_pending = true;
	rp->prli_xid = *x;
	rp->prli_x = ex;
	nexus_add(rp);
	return true;
}

static void prlo_recv(struct fc_lport *lp, struct fc_rport *rp, const struct fc_xid *x,
		      const uint8_t *pl, uint32_t len)
{
	struct fc_prli_page pg;
	uint8_t cmd, out[FC_PRLI_LEN];

	if (fc_prli_decode(pl, len, &cmd, &pg) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return;
	}
	if (pg.type != FC_TYPE_FCP) {
		pg.flags = PRLI_RESP_INVALID_PARAM << 8;
	} else {
		lp->t->st.prlo++;
		log_info("%s: PRLO from %06x", lp->name, rp->id);
		image_pair_end(rp);
		pg.flags = (rp->prli ? PRLI_RESP_ACCEPT : PRLI_RESP_ACCEPT) << 8;
	}
	pg.sparams = 0;
	pg.orig_pa = pg.resp_pa = 0;
	fc_prli_encode(ELS_LS_ACC, &pg, out);
	fc_ls_reply(lp, x, out, sizeof(out));
}

static void adisc_recv(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl,
		       uint32_t len)
{
	struct fc_adisc a;
	uint8_t cmd, out[FC_ADISC_LEN];

	if (fc_adisc_decode(pl, len, &cmd, &a) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return;
	}
	a.hard_addr = 0;
	a.port_name = lp->wwpn;
	a.node_name = lp->wwnn;
	a.nport_id = lp->nport_id;
	fc_adisc_encode(ELS_LS_ACC, &a, out);
	fc_ls_reply(lp, x, out, sizeof(out));
}

static void rrq_recv(struct fc_lport *lp, const struct fc_xid *x, const uint8_t *pl,
		     uint32_t len)
{
	uint32_t s_id;
	uint16_t ox, rx;

	if (fc_rrq_decode(pl, len, &s_id, &ox, &rx) < 0) {
		ls_rjt(lp, x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		return;
	}
	/* only the originator of the exchange may release its qualifier */
	if (s_id != x->peer || fc_exch_rrq(lp->em, s_id, ox, rx) < 0) {
		ls_rjt(lp, x, LS_RJT_LOGICAL_ERR, LS_EXPL_INVALID_OXRX);
		return;
	}
	ls_acc(lp, x);
}

void fc_ls_recv(struct fc_lport *lp, const struct fc_hdr *h, const uint8_t *pl, uint32_t len)
{
	struct fc_xid x = { .peer = h->s_id, .ox_id = h->ox_id, .rx_id = FC_XID_UNKNOWN };
	struct fc_rport *rp = fc_rport_find(lp, h->s_id);
	struct fc_exch *ex;
	uint8_t cmd = len ? pl[0] : 0;

	if (h->ox_id == FC_XID_UNKNOWN || (h->f_ctl & FC_FCTL_EX_CTX)) {
		lp->t->st.dropped++;
		return;
	}
	ex = fc_exch_open(lp->em, h->s_id, h->ox_id);
	if (!ex) {
		/* the OX_ID is still open or held for RRQ */
		ls_rjt(lp, &x, LS_RJT_LOGICAL_ERR, LS_EXPL_INVALID_OXRX);
		return;
	}
	x.rx_id = ex->rx_id;
	if (len < 4) {
		ls_rjt(lp, &x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
		goto done;
	}
	if (!rp && cmd != ELS_PLOGI && cmd != ELS_FLOGI && cmd != ELS_LOGO) {
		ls_rjt(lp, &x, LS_RJT_UNABLE, LS_EXPL_NO_LOGIN);
		goto done;
	}
	switch (cmd) {
	case ELS_FLOGI:
		flogi_recv(lp, &x, pl, len);
		break;
	case ELS_PLOGI:
		plogi_recv(lp, &x, pl, len);
		break;
	case ELS_PRLI:
		ex->owner = rp;
		if (prli_recv(lp, rp, &x, ex, pl, len))
			return;
		break;
	case ELS_PRLO:
		prlo_recv(lp, rp, &x, pl, len);
		break;
	case ELS_LOGO: {
		uint32_t id;
		uint64_t name;

		if (fc_logo_decode(pl, len, &id, &name) < 0 || id != h->s_id) {
			ls_rjt(lp, &x, LS_RJT_PROTOCOL_ERR, LS_EXPL_NONE);
			break;
		}
		lp->t->st.logo++;
		ls_acc(lp, &x);
		if (rp)
			fc_rport_logout(rp, "LOGO");
		break;
	}
	case ELS_ADISC:
		adisc_recv(lp, &x, pl, len);
		break;
	case ELS_RRQ:
		rrq_recv(lp, &x, pl, len);
		break;
	default:
		ls_rjt(lp, &x, LS_RJT_NOT_SUPPORTED, LS_EXPL_NONE);
	}
done:
	fc_exch_done(lp->em, ex, fc_now_ms());
}

/* ABTS (FC-FS-3 15.3.2): the initiator gives up an exchange. A known one
 * is aborted (its command ends without a response, its recovery qualifier
 * is held until RRQ or R_A_TOV) and gets BA_ACC; an unknown one BA_RJT. */
void fc_abts_recv(struct fc_lport *lp, const struct fc_hdr *h)
{
	struct fc_xid x = { .peer = h->s_id, .ox_id = h->ox_id, .rx_id = h->rx_id };
	struct fc_exch *ex;
	uint8_t out[FC_BA_ACC_LEN];

	lp->t->st.abts++;
	if (h->f_ctl & FC_FCTL_EX_CTX) {
		/* an ABTS on an exchange we originated: we have none open */
		fc_ba_rjt_encode(BA_RJT_LOGICAL_ERR, BA_RJT_EXPL_INV_OXRX, out);
		lp->t->st.ba_rjt++;
		lp->ops->send_seq(lp->drv, &x, FC_RCTL_BA_RJT, FC_TYPE_BLS, true, out,
				  FC_BA_RJT_LEN);
		return;
	}
	ex = fc_exch_find(lp->em, h->s_id, h->ox_id, h->rx_id);
	if (!ex || ex->state != FC_EXCH_OPEN) {
		fc_ba_rjt_encode(BA_RJT_LOGICAL_ERR, BA_RJT_EXPL_INV_OXRX, out);
		lp->t->st.ba_rjt++;
		lp->ops->send_seq(lp->drv, &x, FC_RCTL_BA_RJT, FC_TYPE_BLS, true, out,
				  FC_BA_RJT_LEN);
		return;
	}
	x.rx_id = ex->rx_id;
	fc_exch_abort(lp->em, ex);
	fc_ba_acc_encode(ex->ox_id, ex->rx_id, out);
	lp->ops->send_seq(lp->drv, &x, FC_RCTL_BA_ACC, FC_TYPE_BLS, true, out, FC_BA_ACC_LEN);
	if (ex->owner && lp->t && fc_rport_find(lp, h->s_id)) {
		struct fc_rport *rp = fc_rport_find(lp, h->s_id);

		/* the owner of an FCP exchange is its command or TMF */
		for (struct fc_cmd *c = rp->cmds; c; c = c->next)
			if (c->x == ex) {
				fc_cmd_abort(c, true);
				return;
			}
		if (rp->prli_pending && rp->prli_x == ex) {
			rp->prli_pending = false;
			fc_exch_done(lp->em, ex, fc_now_ms());
			return;
		}
	}
	/* a TMF: its answer is dropped (tmf->x is checked) */
}
