/* Login phase (RFC 7143 sections 6 and 11.12-11.13): stages and transitions,
 * text continuation both ways, the I_T nexus check with the core before a
 * Normal session is accepted, TSIH assignment, and login failures. */
#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_auth.h"
#include "procs/frontend-iscsi/iscsi_portal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

struct iscsi_login {
	struct iscsi_neg neg;
	struct iscsi_limits lim;  /* the target's, with this portal's group tag */
	struct iscsi_text in;     /* request text, joined across C-bit PDUs */
	struct iscsi_text out;    /* response text, sent in chunks */
	size_t   out_off;
	uint8_t  isid[6];
	uint16_t tsih;
	uint16_t cid;
	uint32_t itt;
	int      csg;             /* stage the next request must be in */
	bool     first_done;      /* the first request's text was processed */
	bool     transit;         /* the request asked to move on */
	int      nsg;
	int      req_csg;
	bool     join;            /* TSIH of a live session: adds a connection (iscsi_mcs.c) */
	struct iscsi_auth auth;   /* CHAP exchange (iscsi_chap.c) */
};

void iscsi_login_free(struct iscsi_conn *c)
{
	struct iscsi_login *l = c->login;

	if (!l)
		return;
	iscsi_text_free(&l->in);
	iscsi_text_free(&l->out);
	/* our challenge and the initiator's values go with it */
	memset(l, 0, sizeof(*l));
	free(l);
	c->login = NULL;
}

void iscsi_login_reject(struct iscsi_conn *c, uint16_t status)
{
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_LOGIN_RSP, 0);
	const uint8_t *b = c->bhs;

	c->t->st.login_failures++;
	log_info("conn %llu (%s): login rejected, status 0x%04x", (unsigned long long)c->id,
		 c->peer, status);
	p->bhs[1] = (uint8_t)(ISCSI_LOGIN_CSG(b[1]) << 2);
	memcpy(p->bhs + 8, c->login ? c->login->isid : b + 8, 6);
	iscsi_put32(p->bhs + 16, c->login ? c->login->itt : iscsi_get32(b + 16));
	iscsi_fill_sn(c, p->bhs, true);
	if (!c->sess) {
		iscsi_put32(p->bhs + 28, iscsi_get32(b + 24));
		iscsi_put32(p->bhs + 32, iscsi_get32(b + 24));
	}
	p->bhs[36] = (uint8_t)(status >> 8);
	p->bhs[37] = (uint8_t)status;
	p->close_after = true;
	c->closing_after_tx = true;
	c->stall_core = false;
	iscsi_conn_queue(c, p);
	iscsi_conn_update_rx(c);
}

/* Login Response 0x0101/0x0102: the target is reached at `addr` for now or
 * for good (RFC 7143 11.13.5); the initiator logs in there. */
static void login_redirect(struct iscsi_conn *c, uint16_t status, const char *addr)
{
	char kv[128];
	int n = snprintf(kv, sizeof(kv), "TargetAddress=%s", addr);
	struct iscsi_txpdu *p;

	if (n < 0 || (size_t)n >= sizeof(kv) || !(p = iscsi_txpdu_new(ISCSI_OP_LOGIN_RSP, 0)) ||
	    !(p->owned = malloc((size_t)n + 1))) {
		iscsi_login_reject(c, ISCSI_LOGIN_OUT_OF_RESOURCES);
		return;
	}
	log_info("conn %llu (%s): %s redirected to %s (%s)", (unsigned long long)c->id,
		 c->peer, c->sess->p.target_name, addr,
		 status == ISCSI_LOGIN_TARGET_MOVED_PERM ? "permanent" : "temporary");
	memcpy(p->owned, kv, (size_t)n + 1);
	p->data = p->owned;
	p->dlen = (uint32_t)n + 1;
	p->bhs[1] = (uint8_t)(c->login->req_csg << 2);
	memcpy(p->bhs + 8, c->login->isid, 6);
	iscsi_put32(p->bhs + 16, c->login->itt);
	iscsi_fill_sn(c, p->bhs, true);
	p->bhs[36] = (uint8_t)(status >> 8);
	p->bhs[37] = (uint8_t)status;
	p->close_after = true;
	c->closing_after_tx = true;
	c->stall_core = false;
	iscsi_conn_queue(c, p);
	iscsi_conn_update_rx(c);
}

static void login_respond_now(struct iscsi_conn *c);

static void login_complete(struct iscsi_conn *c)
{
	struct iscsi_login *l = c->login;
	struct iscsi_session *s = c->sess;

	if (l->join) {
		/* iscsi_mcs_join() made it a connection of its session */
		c->state = CONN_FFP;
		iscsi_conn_arm_timer(c);
		log_info("conn %llu: connection %u of session tsih %u in full feature phase "
			 "(MaxRecvDSL out %u, digests %s/%s)", (unsigned long long)c->id, c->cid,
			 s->tsih, c->mrdsl_tx, l->neg.p.header_digest ? "CRC32C" : "None",
			 l->neg.p.data_digest ? "CRC32C" : "None");
		return;
	}
	iscsi_neg_finish(&l->neg);
	s->p = l->neg.p;
	iscsi_session_list(s);
	c->state = CONN_FFP;
	c->t->st.logins++;
	iscsi_conn_arm_timer(c);
	log_info("conn %llu: %s session tsih %u: %s -> %s (MaxRecvDSL in %u out %u, "
		 "burst %u/%u, InitialR2T %d, ImmediateData %d, MaxR2T %u, digests %s/%s)",
		 (unsigned long long)c->id,
		 s->p.session_type == ISCSI_SESSION_DISCOVERY ? "discovery" : "normal",
		 s->tsih, s->p.initiator_name, s->p.target_name, s->p.mrdsl_rx,
		 s->p.mrdsl_tx, s->p.first_burst, s->p.max_burst, s->p.initial_r2t,
		 s->p.immediate_data, s->p.max_outstanding_r2t,
		 s->p.header_digest ? "CRC32C" : "None", s->p.data_digest ? "CRC32C" : "None");
}

/* Send the next piece of the pending response text. */
static void login_respond(struct iscsi_conn *c)
{
	struct iscsi_login *l = c->login;

	if (l->join && l->transit && l->nsg == ISCSI_STAGE_FULL && !c->qz &&
	    l->out.len - l->out_off <= ISCSI_LOGIN_DSL)
		iscsi_reinstate_conn(c, l->tsih); /* a CID in use: safely */
	if (c->qz && l->transit && l->nsg == ISCSI_STAGE_FULL &&
	    l->out.len - l->out_off <= ISCSI_LOGIN_DSL) {
		/* safe reinstatement: full feature phase only once the replaced
		 * session's commands are back from the core */
		c->login_deferred = true;
		c->stall_core = true;
		iscsi_conn_update_rx(c);
		return;
	}
	login_respond_now(c);
}

void iscsi_login_resume(struct iscsi_conn *c)
{
	if (!c->login_deferred || c->state != CONN_LOGIN || !c->login)
		return;
	c->login_deferred = false;
	c->stall_core = false;
	log_info("conn %llu: replaced session quiet: login proceeds", (unsigned long long)c->id);
	login_respond_now(c);
	iscsi_conn_update_rx(c);
}

static void login_respond_now(struct iscsi_conn *c)
{
	struct iscsi_login *l = c->login;

	if (l->join && l->transit && l->nsg == ISCSI_STAGE_FULL && !c->sess->tsih &&
	    l->out.len - l->out_off <= ISCSI_LOGIN_DSL) {
		/* the step into full feature phase of an added connection:
		 * its session may have gone (or filled up) meanwhile */
		iscsi_neg_finish(&l->neg);
		c->sess->p = l->neg.p;
		if (!iscsi_mcs_join(c, l->tsih)) {
			iscsi_login_reject(c, ISCSI_LOGIN_NO_SUCH_SESSION);
			return;
		}
	}
	struct iscsi_txpdu *p = iscsi_txpdu_new(ISCSI_OP_LOGIN_RSP, 0);
	size_t left = l->out.len - l->out_off;
	uint32_t chunk = left > ISCSI_LOGIN_DSL ? ISCSI_LOGIN_DSL : (uint32_t)left;
	bool more = left > chunk;
	bool transit = l->transit && !more;
	uint8_t flags = (uint8_t)(l->req_csg << 2);

	if (more)
		flags |= ISCSI_LOGIN_CONTINUE;
	if (transit)
		flags |= ISCSI_LOGIN_TRANSIT | (uint8_t)l->nsg;
	p->bhs[1] = flags;
	p->bhs[2] = 0; /* VersionMax */
	p->bhs[3] = 0; /* VersionActive */
	memcpy(p->bhs + 8, l->isid, 6);
	iscsi_put32(p->bhs + 16, l->itt);
	if (chunk) {
		p->owned = malloc(chunk);
		if (!p->owned) {
			free(p);
			iscsi_login_reject(c, ISCSI_LOGIN_OUT_OF_RESOURCES);
			return;
		}
		memcpy(p->owned, l->out.buf + l->out_off, chunk);
		p->data = p->owned;
		p->dlen = chunk;
		l->out_off += chunk;
	}
	if (!more) {
		iscsi_text_reset(&l->out);
		l->out_off = 0;
	}
	if (transit) {
		l->csg = l->nsg;
		if (l->nsg == ISCSI_STAGE_FULL)
			login_complete(c);
	}
	if (c->state == CONN_FFP)
		iscsi_put16(p->bhs + 14, c->sess->tsih);
	iscsi_fill_sn(c, p->bhs, true);
	iscsi_conn_queue(c, p);
	if (c->state == CONN_FFP) {
		/* digests start with the first PDU after the final response
		 * (this connection's: an added one negotiates its own) */
		c->hdigest = l->neg.p.header_digest;
		c->ddigest = l->neg.p.data_digest;
		iscsi_login_free(c);
	}
}

/* The request's keys are negotiated and, for a Normal session, the core has
 * accepted the I_T nexus: authenticate, then answer. Authentication comes
 * after the ACL check so that an initiator that may not see a target cannot
 * tell it from a missing one (both 0x0203); only an initiator the target
 * accepts learns whether CHAP is required or its secret is wrong (0x0201). */
static void login_proceed(struct iscsi_conn *c)
{
	struct iscsi_login *l = c->login;
	bool was_ok = iscsi_auth_ok(&l->auth);
	int st;

	iscsi_auth_prepare(c, &l->auth);
	st = iscsi_auth_step(&l->auth, &l->neg.auth, l->req_csg, &l->out);
	if (!st && l->transit)
		st = iscsi_auth_transit(&l->auth, l->req_csg, &l->transit);
	if (!st && l->req_csg != ISCSI_STAGE_SECURITY) {
		bool stay = false;

		st = iscsi_auth_transit(&l->auth, l->req_csg, &stay);
	}
	if (st) {
		if (st == ISCSI_LOGIN_AUTH_FAILED)
			iscsi_auth_failed(c, &l->auth);
		iscsi_login_reject(c, (uint16_t)st);
		return;
	}
	if (!was_ok && iscsi_auth_ok(&l->auth)) {
		iscsi_auth_succeeded(c, &l->auth);
		/* only an authenticated login may close the session it replaces
		 * (an added connection replaces none) */
		if (l->neg.p.session_type == ISCSI_SESSION_NORMAL && !l->join)
			iscsi_session_reinstate(c->t, c->sess);
	}
	/* declarations for the stage we answer in; when jumping from security
	 * straight to full feature, defaults stand (we declare nothing) */
	if (iscsi_neg_declare(&l->neg, l->req_csg, &l->out) < 0) {
		iscsi_login_reject(c, ISCSI_LOGIN_TARGET_ERROR);
		return;
	}
	if (l->neg.p.session_type == ISCSI_SESSION_DISCOVERY && l->transit &&
	    l->nsg == ISCSI_STAGE_FULL)
		iscsi_session_reinstate(c->t, c->sess);
	if (l->transit && l->nsg == ISCSI_STAGE_FULL &&
	    ((l->lim.hdigest_required && !l->neg.p.header_digest) ||
	     (l->lim.ddigest_required && !l->neg.p.data_digest))) {
		/* the initiator would not (or never offered to) use them */
		log_warn("conn %llu (%s): digests required by the config, not negotiated",
			 (unsigned long long)c->id, c->peer);
		iscsi_login_reject(c, ISCSI_LOGIN_INITIATOR_ERROR);
		return;
	}
	if (l->neg.p.session_type == ISCSI_SESSION_NORMAL && l->transit && !l->join &&
	    l->nsg == ISCSI_STAGE_FULL &&
	    (st = iscsi_portal_session_limit(c, l->neg.p.target_name))) {
		/* checked as the session is born: logins may overlap */
		iscsi_login_reject(c, (uint16_t)st);
		return;
	}
	login_respond(c);
}

static int nexus_add(struct iscsi_conn *c)
{
	struct iscsi_tgt *t = c->t;
	struct iscsi_session *s = c->sess;
	struct iscsi_nexus_req *nr;
	size_t il = strlen(s->p.initiator_name), tl = strlen(s->p.target_name);
	uint8_t *buf;
	union msg m;

	nr = calloc(1, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	if (pool_alloc(&t->alloc, (uint32_t)(il + tl + 2), &nr->buf) < 0 ||
	    !(buf = pool_ptr(&t->c->pool, &nr->buf))) {
		free(nr);
		return -ENOMEM;
	}
	memcpy(buf, s->p.initiator_name, il + 1);
	memcpy(buf + il + 1, s->p.target_name, tl + 1);
	s->nexus = t->next_nexus++;
	nr->sess = s;
	nr->nexus = s->nexus;
	nr->tag = iscsi_req_new(t, REQ_NEXUS, nr);
	if (!nr->tag) {
		pool_free(&t->alloc, &nr->buf);
		free(nr);
		return -ENOMEM;
	}
	s->nreq = nr;
	memset(&m, 0, sizeof(m));
	m.h.type = MSG_NEXUS_ADD;
	m.h.flags = MSG_NEXUS_ASYNC; /* unit attentions as AsyncEvent 0 */
	m.h.tag = nr->tag;
	m.nexus_add.nexus = nr->nexus;
	for (int i = 0; i < 6; i++)
		m.nexus_add.isid = m.nexus_add.isid << 8 | s->isid[i];
	m.nexus_add.buf = nr->buf;
	m.nexus_add.port = c->group;    /* the target port the nexus uses (ALUA) */
	iscsi_core_send(t, &m);
	c->stall_core = true;
	iscsi_conn_update_rx(c);
	return 0;
}

void iscsi_login_nexus_added(struct iscsi_tgt *t, struct iscsi_nexus_req *nr,
			     int32_t result)
{
	struct iscsi_session *s = nr->sess;
	struct iscsi_conn *c;

	pool_free(&t->alloc, &nr->buf);
	iscsi_conn_pool_freed(t);
	if (!s) {
		/* the login died meanwhile: undo what the core set up */
		if (result == 0) {
			union msg m;

			memset(&m, 0, sizeof(m));
			m.h.type = MSG_NEXUS_DEL;
			m.nexus_del.nexus = nr->nexus;
			iscsi_core_send(t, &m);
		}
		free(nr);
		return;
	}
	s->nreq = NULL;
	free(nr);
	c = s->conn;
	c->stall_core = false;
	if (result != 0) {
		/* -ENOENT and -EACCES look the same from outside: telling
		 * "not authorized" would confirm that the target exists to an
		 * initiator that may not even see it in discovery. */
		log_info("conn %llu: nexus %s -> %s refused (%d)", (unsigned long long)c->id,
			 s->p.initiator_name, s->p.target_name, result);
		iscsi_login_reject(c, ISCSI_LOGIN_NOT_FOUND);
		return;
	}
	s->nexus_added = true;
	{
		const char *redirect;
		int st = iscsi_portal_login_check(c, s->p.target_name, &redirect);

		if (!st)
			st = iscsi_portal_session_limit(c, s->p.target_name);
		if (st && redirect) {
			login_redirect(c, (uint16_t)st, redirect);
			return;
		}
		if (st) {
			iscsi_login_reject(c, (uint16_t)st);
			return;
		}
	}
	login_proceed(c);
	iscsi_conn_update_rx(c);
}

static int login_first(struct iscsi_conn *c)
{
	const uint8_t *b = c->bhs;
	struct iscsi_login *l;

	if (b[3] > 0) /* VersionMin: only version 0 exists */
		return ISCSI_LOGIN_UNSUPPORTED_VERSION;
	if (c->t->shutting_down || !iscsi_core_usable(c->t))
		return ISCSI_LOGIN_SERVICE_UNAVAILABLE;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ISCSI_LOGIN_OUT_OF_RESOURCES;
	c->login = l;
	l->lim = c->t->lim;
	l->lim.tpgt = c->group;
	iscsi_neg_init(&l->neg, &l->lim);
	iscsi_text_init(&l->in, ISCSI_TEXT_MAX);
	iscsi_text_init(&l->out, ISCSI_TEXT_MAX);
	memcpy(l->isid, b + 8, 6);
	l->tsih = iscsi_get16(b + 14);
	l->cid = iscsi_get16(b + 20);
	l->itt = iscsi_get32(b + 16);
	l->csg = ISCSI_LOGIN_CSG(b[1]);
	c->cid = l->cid;
	c->sess = iscsi_session_new(c);
	if (!c->sess)
		return ISCSI_LOGIN_OUT_OF_RESOURCES;
	memcpy(c->sess->isid, l->isid, 6);
	c->sess->exp_cmd_sn = iscsi_get32(b + 24);
	c->sess->max_cmd_sn = c->sess->exp_cmd_sn + ISCSI_QDEPTH - 1;
	c->stat_sn = 1;
	if (l->tsih) {
		/* adding a connection to a session, up to its MaxConnections */
		int st = iscsi_mcs_join_check(c, l->tsih, l->isid);

		if (st)
			return st;
		l->join = true;
	}
	return 0;
}

/* Returns 0 (possibly after queueing a failure) or -EPROTO. */
int iscsi_rx_login(struct iscsi_conn *c, const uint8_t *data)
{
	const uint8_t *b = c->bhs;
	struct iscsi_login *l;
	bool tbit = b[1] & ISCSI_LOGIN_TRANSIT, cbit = b[1] & ISCSI_LOGIN_CONTINUE;
	int csg = ISCSI_LOGIN_CSG(b[1]), nsg = ISCSI_LOGIN_NSG(b[1]);
	int st;

	if (c->closing_after_tx)
		return 0;
	if (c->hi.opcode != ISCSI_OP_LOGIN_REQ) {
		iscsi_login_reject(c, ISCSI_LOGIN_INVALID_DURING_LOGIN);
		return 0;
	}
	if (!c->login) {
		st = login_first(c);
		if (st) {
			iscsi_login_reject(c, (uint16_t)st);
			return 0;
		}
	} else if (memcmp(c->login->isid, b + 8, 6) ||
		   c->login->tsih != iscsi_get16(b + 14) ||
		   c->login->cid != iscsi_get16(b + 20)) {
		iscsi_login_reject(c, ISCSI_LOGIN_INITIATOR_ERROR);
		return 0;
	}
	l = c->login;
	l->itt = iscsi_get32(b + 16);
	c->exp_stat_sn = iscsi_get32(b + 28);
	if ((tbit && cbit) || csg != l->csg ||
	    (csg != ISCSI_STAGE_SECURITY && csg != ISCSI_STAGE_OPERATIONAL) ||
	    (tbit && (nsg <= csg || nsg == 2))) {
		iscsi_login_reject(c, ISCSI_LOGIN_INITIATOR_ERROR);
		return 0;
	}
	if (l->out_off) {
		/* we are continuing our answer: the initiator sends empty PDUs */
		if (c->hi.data_len) {
			iscsi_login_reject(c, ISCSI_LOGIN_INITIATOR_ERROR);
			return 0;
		}
		login_respond(c);
		return 0;
	}
	if (c->hi.data_len && iscsi_text_append(&l->in, data, c->hi.data_len) < 0) {
		iscsi_login_reject(c, ISCSI_LOGIN_INITIATOR_ERROR);
		return 0;
	}
	l->req_csg = csg;
	l->transit = false;
	if (cbit) {
		/* more request text follows: acknowledge with an empty answer */
		login_respond(c);
		return 0;
	}
	st = iscsi_neg_login(&l->neg, csg, l->in.buf, l->in.len, &l->out);
	iscsi_text_reset(&l->in);
	if (st) {
		iscsi_login_reject(c, (uint16_t)st);
		return 0;
	}
	if (!l->first_done) {
		l->first_done = true;
		if (!l->neg.have_initiator_name) {
			iscsi_login_reject(c, ISCSI_LOGIN_MISSING_PARAM);
			return 0;
		}
		if (l->neg.p.session_type == ISCSI_SESSION_NORMAL &&
		    !l->neg.have_target_name) {
			iscsi_login_reject(c, ISCSI_LOGIN_MISSING_PARAM);
			return 0;
		}
		if (l->neg.p.session_type == ISCSI_SESSION_DISCOVERY)
			l->neg.p.target_name[0] = '\0';
		if (l->join) {
			/* the names of the session it joins: a session is named
			 * by InitiatorName, ISID and TargetName with its TSIH, so
			 * other names mean no such session (and tell an initiator
			 * nothing about another's sessions) */
			struct iscsi_session *s0 = iscsi_session_by_tsih(c->t, l->tsih);

			if (!s0 || l->neg.p.session_type != ISCSI_SESSION_NORMAL ||
			    strcasecmp(s0->p.initiator_name, l->neg.p.initiator_name) ||
			    strcasecmp(s0->p.target_name, l->neg.p.target_name)) {
				iscsi_login_reject(c, s0 && l->neg.p.session_type !=
						   ISCSI_SESSION_NORMAL ? ISCSI_LOGIN_INITIATOR_ERROR :
						   ISCSI_LOGIN_NO_SUCH_SESSION);
				return 0;
			}
		}
		c->sess->p = l->neg.p;
		iscsi_auth_begin(c, &l->auth, l->neg.p.session_type, l->neg.p.target_name);
	}
	l->transit = tbit;
	l->nsg = nsg;
	if (l->neg.p.session_type == ISCSI_SESSION_NORMAL && !c->sess->nexus_added && !l->join) {
		if (nexus_add(c) < 0)
			iscsi_login_reject(c, ISCSI_LOGIN_OUT_OF_RESOURCES);
		return 0;
	}
	login_proceed(c);
	return 0;
}
