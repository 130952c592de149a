/* Asking sessions to go gracefully: for an administrator's "drop session" or
 * an ACL entry removed, the supervisor tells every running iSCSI frontend
 * (CTL_SESSION_LOGOUT); the frontend sends the matching sessions an
 * Asynchronous Message, AsyncEvent 1 (logout requested within wait_s), and
 * drops those still there wait_s + 2 s later (AsyncEvent 2). The frontend
 * does not answer; its CTL_STATS count "logout_requests". */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"
#include "supervisor/sup.h"

int sup_session_logout(struct sup *s, const char *initiator, const char *target,
		       unsigned wait_s)
{
	json_t *j = json_pack("{s:i}", "wait_s", (int)wait_s);
	char *txt;
	int sent = 0;

	if (!j)
		return -1;
	if (initiator && *initiator)
		json_object_set_new(j, "initiator", json_string(initiator));
	if (target && *target)
		json_object_set_new(j, "target", json_string(target));
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!txt)
		return -1;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct sup_proc *p = &s->procs[i];

		if (p->kind != SUP_FRONTEND || p->state != SUP_ST_RUNNING || p->ctl < 0)
			continue;
		if (ctl_send(p->ctl, CTL_SESSION_LOGOUT, txt, strlen(txt), NULL, 0) == 0)
			sent++;
	}
	log_info("asked %d frontend(s) to log out %s", sent, txt);
	free(txt);
	return sent;
}

/* JSON-RPC "session.logout" {initiator?, target?, wait_s? (default 3, 0..3600)} */
json_t *sup_rpc_session_logout(struct sup *s, json_t *params, int *code, const char **msg)
{
	json_t *w = json_object_get(params, "wait_s");
	json_t *i = json_object_get(params, "initiator"), *t = json_object_get(params, "target");
	json_int_t wait = 3;
	int n;

	if ((i && !json_is_string(i)) || (t && !json_is_string(t))) {
		*code = -32602;
		*msg = "params.initiator, params.target: iSCSI names (absent: any)";
		return NULL;
	}
	if (w && (!json_is_integer(w) || (wait = json_integer_value(w)) < 0 || wait > 3600)) {
		*code = -32602;
		*msg = "params.wait_s: seconds, 0 to 3600";
		return NULL;
	}
	n = sup_session_logout(s, json_string_value(i), json_string_value(t), (unsigned)wait);
	if (n < 0) {
		*code = -32000;
		*msg = "out of memory";
		return NULL;
	}
	return json_pack("{s:i, s:I}", "frontends", n, "wait_s", wait);
}
