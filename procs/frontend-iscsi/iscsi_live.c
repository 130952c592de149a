/* CTL_CONFIG: targets, CHAP credentials and portal policy changed live (see
 * supervisor/sup_live.c). Logins from now on use the new tables; sessions
 * already logged in are not touched (the core decides what they see). The
 * old tables are not freed: a login in progress may still point into them,
 * and they are a few hundred bytes per admin change. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_auth.h"
#include "procs/frontend-iscsi/iscsi_live.h"
#include "procs/frontend-iscsi/iscsi_portal.h"
#include "procs/frontend-iscsi/iscsi_tgt.h"

/* Sessions on a target that no longer exists are logged out (their
 * connection closed): the initiator must not keep talking to nothing. */
static void drop_removed_targets(struct iscsi_tgt *t, json_t *targets)
{
	struct iscsi_conn *victims[256];
	struct iscsi_session *held[256];
	uint32_t n = 0, nh = 0;

	for (struct iscsi_session *x = t->sessions; x && n < 256 && nh < 256; x = x->next) {
		bool found = false;
		size_t i;
		json_t *e;

		if (x->p.session_type != ISCSI_SESSION_NORMAL || (!x->conn && !x->held))
			continue;
		json_array_foreach(targets, i, e)
			found |= !strcasecmp(json_string_value(json_object_get(e, "name")) ?: "",
					     x->p.target_name);
		if (!found && x->conn)
			victims[n++] = x->conn;
		else if (!found)
			held[nh++] = x; /* ERL 2, without a connection */
	}
	for (uint32_t i = 0; i < n; i++)
		iscsi_async_drop_session(victims[i], "its target was removed");
	for (uint32_t i = 0; i < nh; i++)
		iscsi_erl2_end(held[i], "its target was removed");
}

void iscsi_live_config(struct iscsi_tgt *t, const struct ctl_msg *m)
{
	json_t *root = json_loads(m->data ? m->data : "", 0, NULL);
	json_t *cfg = json_object_get(root, "config");
	struct iscsi_auth_cfg *auth = t->auth;
	struct iscsi_portal_cfg *portal = t->portal;

	if (!json_is_object(cfg)) {
		log_err("CTL_CONFIG without a config object; ignored");
		json_decref(root);
		return;
	}
	if (iscsi_auth_config(t, cfg) < 0) {
		log_err("CTL_CONFIG: CHAP settings refused; keeping the old ones");
		t->auth = auth;
	} else if (iscsi_portal_config(t, cfg) < 0) {
		log_err("CTL_CONFIG: portal settings refused; keeping the old ones");
		t->auth = auth;
		t->portal = portal;
	} else {
		log_info("configuration %lld applied",
			 (long long)json_integer_value(json_object_get(root, "seq")));
		drop_removed_targets(t, json_object_get(cfg, "targets"));
		iscsi_isns_targets_changed(t, cfg);
	}
	json_decref(root);
}

json_t *iscsi_live_sessions(struct iscsi_tgt *t)
{
	json_t *a = json_array();

	for (struct iscsi_session *x = t->sessions; x; x = x->next) {
		const struct iscsi_params *p = &x->p;
		char isid[16];
		int inflight = 0;

		for (struct iscsi_conn *o = x->conn; o; o = o->snext)
			inflight += (int)o->ncmds;

		snprintf(isid, sizeof(isid), "%02x%02x%02x%02x%02x%02x", x->isid[0], x->isid[1],
			 x->isid[2], x->isid[3], x->isid[4], x->isid[5]);
		json_array_append_new(a, json_pack(
			"{s:i, s:s, s:s, s:s, s:i, s:b, s:s, s:s, s:i, s:i,"
			" s:{s:b, s:b, s:i, s:i, s:i, s:i, s:b, s:b, s:i, s:i, s:i, s:i}}",
			"tsih", x->tsih, "isid", isid, "initiator", p->initiator_name,
			"target", p->target_name, "nexus", x->nexus,
			"logged_in", x->nexus_added, "peer", x->conn ? x->conn->peer : "",
			"portal", x->conn ? x->conn->local : "", "connections", (int)x->nconns,
			"in_flight", inflight, "params",
			"header_digest", p->header_digest, "data_digest", p->data_digest,
			"max_recv_data_segment_length", p->mrdsl_rx,
			"max_xmit_data_segment_length", p->mrdsl_tx, "max_burst", p->max_burst,
			"first_burst", p->first_burst, "initial_r2t", p->initial_r2t,
			"immediate_data", p->immediate_data, "max_outstanding_r2t",
			p->max_outstanding_r2t, "erl", p->erl, "max_connections", p->max_connections,
			"time2retain", p->time2retain));
	}
	return a;
}

void iscsi_live_drop(struct iscsi_tgt *t, const struct ctl_msg *m)
{
	json_t *root = json_loads(m->data ? m->data : "", 0, NULL);
	json_t *v = json_object_get(root, "tsih");

	for (struct iscsi_session *x = t->sessions; json_is_integer(v) && x; x = x->next)
		if (x->tsih == json_integer_value(v) && (x->conn || x->held)) {
			log_info("session tsih %u (%s): dropped by the administrator", x->tsih,
				 x->p.initiator_name);
			if (x->conn)
				iscsi_async_drop_session(x->conn, "dropped by the administrator");
			else
				iscsi_erl2_end(x, "dropped by the administrator");
			break;
		}
	json_decref(root);
}

/* CTL_PORTAL_ADD {"addr", "group"} + the listening socket; CTL_PORTAL_DEL
 * {"addr"}: stop accepting there (connections already made stay). A removed
 * listener keeps its slot with fd -1, since connections point at it. */
void iscsi_live_portal(struct iscsi_tgt *t, struct ctl_msg *m)
{
	json_t *root = json_loads(m->data ? m->data : "", 0, NULL);
	const char *addr = json_string_value(json_object_get(root, "addr"));
	json_t *grp = json_object_get(root, "group");

	if (!addr) {
		log_err("%s without an address", ctl_type_name(m->type));
	} else if (m->type == CTL_PORTAL_ADD) {
		if (m->nfds != 1 || !json_is_integer(grp) || json_integer_value(grp) < 1 ||
		    json_integer_value(grp) > 65535 || t->nlis >= ISCSI_MAX_LISTENERS || t->shutting_down) {
			log_err("PORTAL_ADD %s refused (bad message, or %u listeners)", addr, t->nlis);
		} else {
			iscsi_listener_start(t, &t->lis[t->nlis++], m->fds[0],
					     (uint16_t)json_integer_value(grp), addr);
			m->fds[0] = -1; /* the listener owns it */
		}
	} else {
		for (uint32_t i = 0; i < t->nlis; i++) {
			struct iscsi_listener *l = &t->lis[i];

			if (l->fd < 0 || strcmp(l->addr, addr))
				continue;
			ev_io_stop(t->loop, &l->w);
			ev_timer_stop(t->loop, &l->pause);
			close(l->fd);
			l->fd = -1;
			log_info("no longer listening on %s", addr);
		}
	}
	iscsi_isns_portals_changed(t);
	json_decref(root);
}
