/* Where and how often a target may be logged into (iscsi_portal.c): portal
 * groups of the listeners, per-target portal groups, session limits, login
 * redirection. */
#ifndef MTGT_ISCSI_PORTAL_H
#define MTGT_ISCSI_PORTAL_H

#include <jansson.h>

#include "procs/frontend-iscsi/iscsi.h"

/* Read "targets"[].max_sessions, .redirect, .portal_groups of the CTL_INIT
 * config; a malformed entry is refused with a message: -EINVAL. */
int  iscsi_portal_config(struct iscsi_tgt *t, json_t *cfg);
/* May a Normal session to `target` be opened on the portal of c? 0, or the
 * login status: 0x0203 (not on this portal group), 0x0101/0x0102 (moved;
 * *redirect is the TargetAddress to send). */
int  iscsi_portal_login_check(struct iscsi_conn *c, const char *target,
			      const char **redirect);
/* One more session to `target` within its max_sessions? 0 or 0x0302. */
int  iscsi_portal_session_limit(struct iscsi_conn *c, const char *target);
/* SendTargets: TargetAddress entries of `target` (every portal of a group
 * it may be reached through, with that group's tag). */
int  iscsi_portal_addresses(struct iscsi_conn *c, const char *target,
			    struct iscsi_text *out);
/* May `target` be reached through portal group `group`? (iSNS portal groups) */
bool iscsi_portal_target_in_group(const struct iscsi_tgt *t, const char *target,
				  uint16_t group);

#endif
