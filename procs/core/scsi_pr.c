/* SPC-4 persistent reservations and SPC-2 RESERVE/RELEASE of one logical unit.
 *
 * Registrations belong to initiator ports (iSCSI name + ISID); this target has
 * one target port, so ALL_TG_PT only has to be remembered and reported. A
 * registration made through a TransportID without ISID (format 00) covers
 * every port of that name. Every rule below follows SPC-4 5.13; the cases the
 * standard words as "terminated with RESERVATION CONFLICT" set that status
 * without sense data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "procs/core/scsi_pr.h"

enum {
	PRI_READ_KEYS = 0, PRI_READ_RESERVATION = 1, PRI_REPORT_CAPABILITIES = 2,
	PRI_READ_FULL_STATUS = 3,
};
enum {
	PRO_REGISTER = 0, PRO_RESERVE = 1, PRO_RELEASE = 2, PRO_CLEAR = 3, PRO_PREEMPT = 4,
	PRO_PREEMPT_ABORT = 5, PRO_REGISTER_IGNORE = 6, PRO_REGISTER_MOVE = 7,
};
#define PR_PARAM_LEN 24

void scsi_pr_init(struct scsi_pr *pr)
{
	memset(pr, 0, sizeof(*pr));
}

void scsi_pr_free(struct scsi_pr *pr)
{
	free(pr->regs);
	memset(pr, 0, sizeof(*pr));
}

static bool itn_eq(const struct scsi_itn *a, const struct scsi_itn *b)
{
	return a->isid == b->isid && strcasecmp(a->name, b->name) == 0;
}

bool scsi_itn_match(const struct scsi_itn *reg, const struct scsi_itn *nexus)
{
	return (reg->isid == SCSI_ITN_ANY_ISID || nexus->isid == SCSI_ITN_ANY_ISID ||
		reg->isid == nexus->isid) && strcasecmp(reg->name, nexus->name) == 0;
}

static int find_reg(const struct scsi_pr *pr, const struct scsi_itn *itn)
{
	for (uint32_t i = 0; i < pr->nregs; i++)
		if (itn_eq(&pr->regs[i].itn, itn))
			return (int)i;
	for (uint32_t i = 0; i < pr->nregs; i++)
		if (scsi_itn_match(&pr->regs[i].itn, itn))
			return (int)i;
	return -1;
}

int scsi_pr_add_reg(struct scsi_pr *pr, const struct scsi_itn *itn, uint64_t key, bool atp)
{
	struct scsi_pr_reg *g;

	if (pr->nregs >= SCSI_PR_MAX_REGS)
		return -1;
	g = realloc(pr->regs, (pr->nregs + 1) * sizeof(*g));
	if (!g)
		return -1;
	pr->regs = g;
	g = &pr->regs[pr->nregs++];
	memset(g, 0, sizeof(*g));
	g->itn = *itn;
	if (g->itn.proto == MSG_PROTO_ISCSI)
		g->itn.proto = scsi_itn_proto_of_name(g->itn.name);
	g->key = key;
	g->all_tg_pt = atp;
	return 0;
}

static void del_reg(struct scsi_pr *pr, uint32_t i)
{
	memmove(&pr->regs[i], &pr->regs[i + 1], (pr->nregs - i - 1) * sizeof(pr->regs[0]));
	pr->nregs--;
}

static bool type_ar(uint8_t t) { return t == PR_WE_AR || t == PR_EA_AR; }
static bool type_ro(uint8_t t) { return t == PR_WE_RO || t == PR_EA_RO; }
bool scsi_pr_type_valid(uint8_t t)
{
	return t == PR_WE || t == PR_EA || type_ro(t) || type_ar(t);
}

static bool is_holder(const struct scsi_pr *pr, const struct scsi_itn *self)
{
	if (!pr->reserved)
		return false;
	if (type_ar(pr->type))
		return find_reg(pr, self) >= 0;
	return scsi_itn_match(&pr->holder, self);
}

bool scsi_pr_handles(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case RESERVE_6: case RELEASE_6: case RESERVE_10: case RELEASE_10:
	case PERSISTENT_RESERVE_IN: case PERSISTENT_RESERVE_OUT:
		return true;
	default:
		return false;
	}
}

uint32_t scsi_pr_out_len(const uint8_t *cdb)
{
	return cdb[0] == PERSISTENT_RESERVE_OUT ? scsi_be32(cdb + 5) : 0;
}

static bool always_allowed(uint8_t op)
{
	return op == INQUIRY || op == REPORT_LUNS || op == REQUEST_SENSE || op == MAINTENANCE_IN;
}

bool scsi_pr_conflict(const struct scsi_pr *pr, const struct scsi_itn *self, const uint8_t *cdb)
{
	uint8_t op = cdb[0];

	if (pr->r2_held && !itn_eq(&pr->r2_holder, self))
		/* SPC-2: only what cannot disturb the holder passes; RELEASE by
		 * another nexus answers GOOD without effect */
		return !(always_allowed(op) || op == RELEASE_6 || op == RELEASE_10);
	if (!pr->reserved || op == PERSISTENT_RESERVE_IN || op == PERSISTENT_RESERVE_OUT)
		return false; /* PR OUT applies its own rules */
	if (is_holder(pr, self))
		return false;
	if ((type_ro(pr->type) || type_ar(pr->type)) && find_reg(pr, self) >= 0)
		return false;
	switch (op) {
	case INQUIRY: case REPORT_LUNS: case REQUEST_SENSE: case MAINTENANCE_IN:
	case TEST_UNIT_READY: case READ_CAPACITY_10: case SERVICE_ACTION_IN_16:
		return false;
	case READ_6: case READ_10: case READ_12: case READ_16:
	case VERIFY_10: case VERIFY_12: case VERIFY_16:
	case PRE_FETCH_10: case PRE_FETCH_16: case READ_DEFECT_DATA_10: case READ_DEFECT_DATA_12:
		/* reads stay open under the write-exclusive types */
		return pr->type == PR_EA || pr->type == PR_EA_RO || pr->type == PR_EA_AR;
	default:
		return true; /* writes, caches, mode pages, RESERVE/RELEASE, the rest */
	}
}

void scsi_pr_reset(struct scsi_pr *pr)
{
	pr->r2_held = false;
}

void scsi_pr_nexus_lost(struct scsi_pr *pr, const struct scsi_itn *itn)
{
	if (pr->r2_held && itn_eq(&pr->r2_holder, itn))
		pr->r2_held = false;
}

/* ---- TransportIDs: scsi_tid.c ---- */

#define TID_MAX SCSI_TID_MAX

/* ---- PERSISTENT RESERVE IN ---- */

static void pr_in(const struct scsi_pr_req *q, struct scsi_result *r)
{
	const struct scsi_pr *pr = q->pr;
	const uint8_t *cdb = q->cdb;
	uint16_t alloc = scsi_be16(cdb + 7);
	uint32_t n = 8, cap;
	uint8_t *b;

	r->xfer_len = alloc;
	cap = 8 + pr->nregs * (24 + TID_MAX) + 16;
	b = calloc(1, cap);
	if (!b) {
		scsi_check(r, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES);
		return;
	}
	scsi_put32(b, pr->generation);
	switch (cdb[1] & 0x1f) {
	case PRI_READ_KEYS:
		for (uint32_t i = 0; i < pr->nregs; i++, n += 8)
			scsi_put64(b + n, pr->regs[i].key);
		scsi_put32(b + 4, n - 8);
		break;
	case PRI_READ_RESERVATION:
		if (pr->reserved) {
			int h = type_ar(pr->type) ? -1 : find_reg(pr, &pr->holder);

			scsi_put64(b + 8, h >= 0 ? pr->regs[h].key : 0);
			b[21] = pr->type;  /* scope 0: LU */
			n = 24;
		}
		scsi_put32(b + 4, n - 8);
		break;
	case PRI_REPORT_CAPABILITIES:
		memset(b, 0, 8);
		scsi_put16(b, 8);
		b[2] = 0x10 | 0x08 | 0x04 | (q->aptpl_ok ? 0x01 : 0); /* CRH SIP_C ATP_C PTPL_C */
		b[3] = 0x80 | (pr->aptpl ? 0x01 : 0);                  /* TMV, PTPL_A */
		b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;               /* WE_AR EA_RO WE_RO EA WE */
		b[5] = 0x01;                                           /* EA_AR */
		n = 8;
		break;
	case PRI_READ_FULL_STATUS:
		for (uint32_t i = 0; i < pr->nregs; i++) {
			const struct scsi_pr_reg *g = &pr->regs[i];
			uint8_t *d = b + n;
			bool holder = pr->reserved &&
				      (type_ar(pr->type) || scsi_itn_match(&g->itn, &pr->holder));
			uint32_t tl;

			scsi_put64(d, g->key);
			d[12] = (uint8_t)((g->all_tg_pt ? 0x02 : 0) | (holder ? 0x01 : 0));
			d[13] = holder ? pr->type : 0;
			scsi_put16(d + 18, q->rel_port);
			tl = scsi_tid_build(&g->itn, d + 24);
			scsi_put32(d + 20, tl);
			n += 24 + tl;
		}
		scsi_put32(b + 4, n - 8);
		break;
	default:
		free(b);
		scsi_invalid_cdb(r, 1, 4);
		return;
	}
	scsi_emit(b, n, alloc, q->out, q->cap, r);
	free(b);
}

/* ---- PERSISTENT RESERVE OUT ---- */

static void conflict(struct scsi_result *r)
{
	r->status = SCSI_STATUS_RESERVATION_CONFLICT;
	r->sense_len = 0;
}

static void bad_param(struct scsi_result *r, uint16_t byte, int bit)
{
	uint8_t sks[3] = { 0x80, (uint8_t)(byte >> 8), (uint8_t)byte };

	if (bit >= 0)
		sks[0] |= (uint8_t)(0x08 | bit);
	r->status = SCSI_CHECK_CONDITION;
	r->sense_len = (uint8_t)scsi_sense_build(r->sense, sizeof(r->sense), false,
						 SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM, sks);
}

static void notify(const struct scsi_pr_req *q, const struct scsi_itn *itn, uint16_t bit,
		   bool abort)
{
	if (q->notify)
		q->notify(q->ctx, itn, bit, abort);
}

/* Drop registration i; a reservation it held ends with it (SPC-4 5.13.11.2). */
static void unregister(const struct scsi_pr_req *q, uint32_t i)
{
	struct scsi_pr *pr = q->pr;
	struct scsi_itn gone = pr->regs[i].itn;

	del_reg(pr, i);
	if (!pr->reserved)
		return;
	if (type_ar(pr->type)) {
		if (pr->nregs == 0)
			pr->reserved = false;
		return;
	}
	if (!scsi_itn_match(&gone, &pr->holder))
		return;
	pr->reserved = false;
	if (type_ro(pr->type))
		for (uint32_t k = 0; k < pr->nregs; k++)
			notify(q, &pr->regs[k].itn, SCSI_UA_RES_RELEASED, false);
}

static bool do_register(const struct scsi_pr_req *q, struct scsi_result *r, uint8_t sa,
			int reg, uint64_t key, uint64_t sakey, uint8_t flags)
{
	struct scsi_pr *pr = q->pr;
	bool spec = flags & 0x08, atp = flags & 0x04, aptpl = flags & 0x01;

	if (reg < 0) {
		if (sa == PRO_REGISTER && key != 0)
			return conflict(r), false;
		if (spec && sa == PRO_REGISTER_IGNORE)
			return bad_param(r, 20, 3), false;
		if (sakey == 0) {
			scsi_result_good(r);
			return false;
		}
		if (spec) {
			uint32_t tlen, off = 28, end, nnew = 0;
			struct scsi_itn *add;

			if (q->plen < 28)
				return scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR), false;
			tlen = scsi_be32(q->param + 24);
			if (tlen > q->plen - 28)
				return scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR), false;
			end = 28 + tlen;
			add = calloc(SCSI_PR_MAX_REGS, sizeof(*add));
			if (!add)
				return scsi_check(r, SK_ABORTED_COMMAND, ASC_OUT_OF_RESOURCES), false;
			/* all or nothing: check every TransportID first */
			while (off < end) {
				struct scsi_itn t;
				uint32_t used = scsi_tid_parse(q->param + off, end - off, q->self, &t);

				if (!used) {
					free(add);
					return bad_param(r, (uint16_t)off, -1), false;
				}
				off += used;
				if (scsi_itn_match(&t, q->self))
					continue;
				if (find_reg(pr, &t) >= 0) {
					free(add);
					return bad_param(r, (uint16_t)(off - used), -1), false;
				}
				if (nnew + 1 + pr->nregs >= SCSI_PR_MAX_REGS) {
					free(add);
					return scsi_check(r, SK_ILLEGAL_REQUEST,
							  ASC_INSUFFICIENT_REG_RESOURCES), false;
				}
				add[nnew++] = t;
			}
			for (uint32_t i = 0; i < nnew; i++)
				scsi_pr_add_reg(pr, &add[i], sakey, atp);
			free(add);
		}
		if (scsi_pr_add_reg(pr, q->self, sakey, atp))
			return scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INSUFFICIENT_REG_RESOURCES), false;
	} else {
		if (sa == PRO_REGISTER && key != pr->regs[reg].key)
			return conflict(r), false;
		if (spec)
			return bad_param(r, 20, 3), false;
		if (sakey == 0)
			unregister(q, (uint32_t)reg);
		else
			pr->regs[reg].key = sakey;
	}
	pr->generation++;
	pr->aptpl = aptpl;
	scsi_result_good(r);
	return true;
}

static bool scope_type_ok(const struct scsi_pr_req *q, struct scsi_result *r)
{
	if (q->cdb[2] >> 4) {
		scsi_invalid_cdb(r, 2, 7);
		return false;
	}
	if (!scsi_pr_type_valid(q->cdb[2] & 0x0f)) {
		scsi_invalid_cdb(r, 2, 3);
		return false;
	}
	return true;
}

static bool do_preempt(const struct scsi_pr_req *q, struct scsi_result *r, bool abort,
		       uint64_t sakey)
{
	struct scsi_pr *pr = q->pr;
	uint8_t type = q->cdb[2] & 0x0f, old = pr->type;
	int h = pr->reserved && !type_ar(pr->type) ? find_reg(pr, &pr->holder) : -1;
	bool take = pr->reserved && ((type_ar(pr->type) && sakey == 0) ||
				     (h >= 0 && pr->regs[h].key == sakey));
	uint32_t removed = 0;

	if (!pr->reserved && sakey == 0)
		return bad_param(r, 8, -1), false;
	if (take && !scope_type_ok(q, r))
		return false;
	for (uint32_t i = 0; i < pr->nregs;) {
		struct scsi_pr_reg g = pr->regs[i];
		bool hit = (type_ar(old) && take) ? true : g.key == sakey;

		if (!hit || scsi_itn_match(&g.itn, q->self)) {
			i++;
			continue;
		}
		del_reg(pr, i);
		removed++;
		notify(q, &g.itn, SCSI_UA_REG_PREEMPTED, abort);
	}
	if (!take) {
		if (!removed)
			return conflict(r), false;
		/* the all-registrants reservation ends with its last registrant */
		if (pr->reserved && type_ar(pr->type) && pr->nregs == 0)
			pr->reserved = false;
	} else {
		pr->reserved = true;
		pr->type = type;
		pr->holder = *q->self;
		if (old != type)
			for (uint32_t k = 0; k < pr->nregs; k++)
				if (!scsi_itn_match(&pr->regs[k].itn, q->self))
					notify(q, &pr->regs[k].itn, SCSI_UA_RES_RELEASED, false);
	}
	pr->generation++;
	scsi_result_good(r);
	return true;
}

static bool do_move(const struct scsi_pr_req *q, struct scsi_result *r, int reg, uint64_t key,
		    uint64_t sakey)
{
	struct scsi_pr *pr = q->pr;
	const uint8_t *p = q->param;
	uint32_t tlen = scsi_be32(p + 20);
	struct scsi_itn dest;
	int d;

	if (reg < 0 || key != pr->regs[reg].key)
		return conflict(r), false;
	if (!pr->reserved || type_ar(pr->type) || !is_holder(pr, q->self))
		return conflict(r), false;
	if (tlen > q->plen - PR_PARAM_LEN)
		return scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR), false;
	if (sakey == 0)
		return bad_param(r, 8, -1), false;
	if (scsi_be16(p + 18) != q->rel_port)
		return bad_param(r, 18, -1), false;
	if (!scsi_tid_parse(p + 24, tlen, q->self, &dest) || dest.isid == SCSI_ITN_ANY_ISID)
		return bad_param(r, 24, -1), false;
	if (scsi_itn_match(&dest, q->self))
		return bad_param(r, 24, -1), false;
	d = find_reg(pr, &dest);
	if (d >= 0) {
		pr->regs[d].key = sakey;
	} else if (scsi_pr_add_reg(pr, &dest, sakey, false)) {
		return scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INSUFFICIENT_REG_RESOURCES), false;
	}
	pr->holder = dest;
	if (p[17] & 0x02) {
		reg = find_reg(pr, q->self);
		if (reg >= 0)
			del_reg(pr, (uint32_t)reg);
	}
	pr->aptpl = p[17] & 0x01;
	pr->generation++;
	scsi_result_good(r);
	return true;
}

static bool pr_out(const struct scsi_pr_req *q, struct scsi_result *r)
{
	struct scsi_pr *pr = q->pr;
	const uint8_t *cdb = q->cdb, *p = q->param;
	uint8_t sa = cdb[1] & 0x1f;
	uint32_t plen = scsi_be32(cdb + 5);
	uint64_t key, sakey;
	uint8_t flags;
	int reg;

	if (sa > PRO_REGISTER_MOVE) {
		scsi_invalid_cdb(r, 1, 4);
		return false;
	}
	if (plen < PR_PARAM_LEN || q->plen < PR_PARAM_LEN || q->plen < plen ||
	    (plen != PR_PARAM_LEN && sa != PRO_REGISTER_MOVE &&
	     !((sa == PRO_REGISTER || sa == PRO_REGISTER_IGNORE) && (p[20] & 0x08)))) {
		scsi_check(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR);
		return false;
	}
	key = scsi_be64(p);
	sakey = scsi_be64(p + 8);
	flags = sa == PRO_REGISTER_MOVE ? 0 : p[20];
	if (sa == PRO_REGISTER_MOVE ? (p[17] & 0x01) && !q->aptpl_ok :
	    (flags & 0x01) && !q->aptpl_ok && (sa == PRO_REGISTER || sa == PRO_REGISTER_IGNORE)) {
		bad_param(r, sa == PRO_REGISTER_MOVE ? 17 : 20, 0);
		return false;
	}
	if ((flags & 0x08) && sa != PRO_REGISTER && sa != PRO_REGISTER_IGNORE) {
		bad_param(r, 20, 3);
		return false;
	}
	reg = find_reg(pr, q->self);
	switch (sa) {
	case PRO_REGISTER:
	case PRO_REGISTER_IGNORE:
		return do_register(q, r, sa, reg, key, sakey, flags);
	case PRO_REGISTER_MOVE:
		return do_move(q, r, reg, key, sakey);
	default:
		break;
	}
	if (reg < 0 || key != pr->regs[reg].key) {
		conflict(r);
		return false;
	}
	switch (sa) {
	case PRO_RESERVE:
		if (!scope_type_ok(q, r))
			return false;
		if (pr->reserved) {
			if (is_holder(pr, q->self) && pr->type == (cdb[2] & 0x0f))
				scsi_result_good(r);
			else
				conflict(r);
			return false;
		}
		pr->reserved = true;
		pr->type = cdb[2] & 0x0f;
		pr->holder = *q->self;
		scsi_result_good(r);
		return true;
	case PRO_RELEASE:
		if (!pr->reserved || !is_holder(pr, q->self)) {
			scsi_result_good(r);
			return false;
		}
		if (cdb[2] >> 4) {
			scsi_invalid_cdb(r, 2, 7);
			return false;
		}
		if ((cdb[2] & 0x0f) != pr->type) {
			scsi_check(r, SK_ILLEGAL_REQUEST, ASC_INVALID_RELEASE_OF_PR);
			return false;
		}
		pr->reserved = false;
		if (type_ro(pr->type) || type_ar(pr->type))
			for (uint32_t k = 0; k < pr->nregs; k++)
				if (!scsi_itn_match(&pr->regs[k].itn, q->self))
					notify(q, &pr->regs[k].itn, SCSI_UA_RES_RELEASED, false);
		scsi_result_good(r);
		return true;
	case PRO_CLEAR:
		for (uint32_t k = 0; k < pr->nregs; k++)
			if (!scsi_itn_match(&pr->regs[k].itn, q->self))
				notify(q, &pr->regs[k].itn, SCSI_UA_RES_PREEMPTED, false);
		pr->nregs = 0;
		pr->reserved = false;
		pr->generation++;
		scsi_result_good(r);
		return true;
	default: /* PREEMPT, PREEMPT AND ABORT */
		return do_preempt(q, r, sa == PRO_PREEMPT_ABORT, sakey);
	}
}

/* ---- SPC-2 RESERVE / RELEASE ---- */

static void reserve2(const struct scsi_pr_req *q, struct scsi_result *r)
{
	struct scsi_pr *pr = q->pr;
	const uint8_t *cdb = q->cdb;
	bool is10 = cdb[0] == RESERVE_10 || cdb[0] == RELEASE_10;
	uint8_t bad = is10 ? cdb[1] & 0x12 : cdb[1] & 0x1f; /* 3RDPTY, LONGID / extents */

	if (bad) {
		scsi_invalid_cdb(r, 1, -1);
		return;
	}
	if (cdb[0] == RELEASE_6 || cdb[0] == RELEASE_10) {
		if (pr->r2_held && itn_eq(&pr->r2_holder, q->self))
			pr->r2_held = false;
		scsi_result_good(r);
		return;
	}
	/* CRH: RESERVE conflicts with any persistent registration */
	if (pr->nregs || pr->reserved || (pr->r2_held && !itn_eq(&pr->r2_holder, q->self))) {
		conflict(r);
		return;
	}
	pr->r2_held = true;
	pr->r2_holder = *q->self;
	scsi_result_good(r);
}

bool scsi_pr_execute(const struct scsi_pr_req *q, struct scsi_result *r)
{
	r->data_len = 0;
	r->xfer_len = 0;
	r->sense_len = 0;
	r->status = SCSI_GOOD;
	switch (q->cdb[0]) {
	case PERSISTENT_RESERVE_IN:
		pr_in(q, r);
		return false;
	case PERSISTENT_RESERVE_OUT:
		r->xfer_len = scsi_be32(q->cdb + 5);
		return pr_out(q, r);
	default:
		reserve2(q, r);
		return false;
	}
}
