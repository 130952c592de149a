/* CTL_CONFIG: targets, CHAP credentials and portal policy changed live (see
 * supervisor/sup_live.c). Logins from now on use the new tables; sessions
 * already logged in are not touched (the core decides what they see). The
 * old tables are not freed: a login in progress may still point into them,
 * and they are a few hundred bytes per admin change. */
#include <string.h>

#include "common/log.h"
#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_auth.h"
#include "procs/frontend-iscsi/iscsi_live.h"
#include "procs/frontend-iscsi/iscsi_portal.h"

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
	}
	json_decref(root);
}
