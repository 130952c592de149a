/* Asynchronous Messages on request (RFC 7143 11.9): AsyncEvent 0 (a SCSI
 * asynchronous event: the sense of a unit attention the core just queued for
 * the session's nexus, MSG_ASYNC_EVENT) and AsyncEvent 1 (the target asks
 * sessions to log out, e.g. when an administrator drops a session or its
 * ACL entry goes: CTL_SESSION_LOGOUT). An initiator that has not logged out
 * when the time is up gets AsyncEvent 2 and its connection is closed. The
 * shutdown sequence (iscsi_tgt.c) uses the same PDUs. */
#include "procs/frontend-iscsi/iscsi.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

#define ISCSI_ASYNC_SCSI_EVENT 0
#define ASYNC_LOGOUT_GRACE     2.0  /* s after Parameter3 before we drop */
#define ASYNC_LOGOUT_MAX_S     3600

static struct iscsi_session *session_by_nexus(struct iscsi_tgt *t, uint32_t nexus)
{
	for (struct iscsi_session *s = t->sessions; s; s = s->next)
		if (s->nexus_added && s->nexus == nexus)
			return s;
	return NULL;
}

void iscsi_async_scsi_event(struct iscsi_tgt *t, const struct msg_async_event *m)
{
	struct iscsi_session *s = session_by_nexus(t, m->nexus);
	struct iscsi_conn *c = s ? s->conn : NULL;
	struct iscsi_txpdu *p;
	uint8_t *d;

	if (!c || c->state != CONN_FFP || c->closing_after_tx || c->logout_pending)
		return; /* gone meanwhile: the UA is still reported on a command */
	p = iscsi_txpdu_new(ISCSI_OP_ASYNC, ISCSI_FLAG_FINAL);
	iscsi_put64(p->bhs + 8, m->lun);
	iscsi_put32(p->bhs + 16, ISCSI_RSVD_TAG);
	iscsi_fill_sn(c, p->bhs, true);
	p->bhs[36] = ISCSI_ASYNC_SCSI_EVENT;
	/* data segment: SenseLength, sense data (no iSCSI event data) */
	d = malloc(2u + m->sense_len);
	if (!d) {
		free(p);
		return;
	}
	iscsi_put16(d, m->sense_len);
	memcpy(d + 2, m->sense, m->sense_len);
	p->owned = d;
	p->data = d;
	p->dlen = 2u + m->sense_len;
	/* never more than the initiator can take (sense is at most 96 bytes,
	 * MaxRecvDataSegmentLength at least 512) */
	s->async_sent++;
	t->st.async_events++;
	log_info("conn %llu: asynchronous event (sense key %x, %02x/%02x)",
		 (unsigned long long)c->id, m->sense_len > 2 ? m->sense[2] & 0x0f : 0,
		 m->sense_len > 12 ? m->sense[12] : 0, m->sense_len > 13 ? m->sense[13] : 0);
	iscsi_conn_queue(c, p);
}

static void logout_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_conn *c = w->data;

	c->lo_on = false;
	if (c->state != CONN_FFP || c->closing_after_tx)
		return;
	log_warn("conn %llu (%s): did not log out when asked: dropping it",
		 (unsigned long long)c->id, c->peer);
	iscsi_async_drop(c);
}

static bool name_match(const char *want, const char *have)
{
	return !want || !*want || strcasecmp(want, have) == 0;
}

int iscsi_async_request_logout(struct iscsi_tgt *t, const char *initiator,
			       const char *target, uint16_t secs)
{
	int n = 0;

	for (struct iscsi_session *s = t->sessions; s; s = s->next)
	for (struct iscsi_conn *c = s->conn; c; c = c->snext) {
		/* every connection: AsyncEvent 1 asks for the one it is sent on */
		if (c->state != CONN_FFP || c->closing_after_tx || c->logout_asked ||
		    !name_match(initiator, s->p.initiator_name) ||
		    !name_match(target, s->p.target_name))
			continue;
		log_info("conn %llu: asking %s to log out of %s within %u s",
			 (unsigned long long)c->id, s->p.initiator_name,
			 s->p.target_name[0] ? s->p.target_name : "discovery", secs);
		iscsi_async_logout_request(c, secs);
		ev_timer_init(&c->lo_timer, logout_timer_cb, secs + ASYNC_LOGOUT_GRACE, 0);
		c->lo_timer.data = c;
		ev_timer_start(t->loop, &c->lo_timer);
		c->lo_on = true;
		t->st.logout_requests++;
		n++;
	}
	return n;
}

static void drop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct iscsi_conn *c = w->data;

	c->lo_on = false;
	iscsi_conn_close(c, "session dropped (AsyncEvent 3 not read in time)");
}

/* AsyncEvent 3 (RFC 7143 11.9.1): the target drops every connection of the
 * session (an administrator's "session drop", its target removed). Parameter2
 * Time2Wait, Parameter3 Time2Retain (0: nothing kept). The connection closes
 * once it is written, or 2 s later if the initiator does not read. */
void iscsi_async_drop_session(struct iscsi_conn *c, const char *why)
{
	struct iscsi_txpdu *p;

	c->no_recover = true; /* ERL 2: the session ends, nothing is kept */
	if (c->state != CONN_FFP || c->closing_after_tx || !c->sess) {
		iscsi_conn_close(c, why);
		return;
	}
	log_info("conn %llu (%s): %s: AsyncEvent 3, then closed", (unsigned long long)c->id,
		 c->peer, why);
	p = iscsi_txpdu_new(ISCSI_OP_ASYNC, ISCSI_FLAG_FINAL);
	iscsi_put32(p->bhs + 16, ISCSI_RSVD_TAG);
	iscsi_fill_sn(c, p->bhs, true);
	p->bhs[36] = 3;
	iscsi_put16(p->bhs + 40, (uint16_t)(c->sess->p.time2wait > 3600 ? 3600 :
					   c->sess->p.time2wait));
	iscsi_put16(p->bhs + 42, 0);
	p->close_after = true;
	c->closing_after_tx = true;
	c->drop_sent = true;
	iscsi_conn_queue(c, p);
	iscsi_conn_update_rx(c);
	if (c->lo_on)
		ev_timer_stop(c->t->loop, &c->lo_timer);
	ev_timer_init(&c->lo_timer, drop_timer_cb, 2.0, 0);
	c->lo_timer.data = c;
	ev_timer_start(c->t->loop, &c->lo_timer);
	c->lo_on = true;
}

void iscsi_async_conn_lost(struct iscsi_conn *c)
{
	if (c->lo_on) {
		ev_timer_stop(c->t->loop, &c->lo_timer);
		c->lo_on = false;
	}
}

/* CTL_SESSION_LOGOUT {"initiator": name or absent (all), "target": name or
 * absent (all), "wait_s": seconds (default 3)}. No answer (the supervisor
 * takes no unsolicited control messages); the count is logged and in
 * CTL_STATS ("logout_requests"). */
void iscsi_async_ctl(struct iscsi_tgt *t, const char *json)
{
	json_t *j = json ? json_loads(json, 0, NULL) : NULL;
	const char *ini = NULL, *tgt = NULL;
	json_int_t wait = 3;
	int n = -1;

	if (j && json_is_object(j)) {
		json_t *v;

		if ((v = json_object_get(j, "initiator")) && json_is_string(v))
			ini = json_string_value(v);
		if ((v = json_object_get(j, "target")) && json_is_string(v))
			tgt = json_string_value(v);
		if ((v = json_object_get(j, "wait_s")) && json_is_integer(v))
			wait = json_integer_value(v);
		if (wait >= 0 && wait <= ASYNC_LOGOUT_MAX_S)
			n = iscsi_async_request_logout(t, ini, tgt, (uint16_t)wait);
	}
	if (n < 0)
		log_warn("CTL_SESSION_LOGOUT: bad request");
	else
		log_info("CTL_SESSION_LOGOUT: %d sessions asked to log out", n);
	json_decref(j);
}
