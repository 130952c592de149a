/* Login security policy: CHAP credentials from the config, failed-login rate
 * limit, logging (iscsi_auth.c). */
#ifndef MTGT_ISCSI_AUTH_H
#define MTGT_ISCSI_AUTH_H

#include <jansson.h>

#include "procs/frontend-iscsi/iscsi.h"
#include "procs/frontend-iscsi/iscsi_chap.h"
#include "procs/frontend-iscsi/iscsi_ratelimit.h"

/* Read "targets"[].chap, "discovery_chap", "chap_algorithms",
 * "auth_fail_burst", "auth_fail_block_max" of the CTL_INIT config. Bad
 * credentials (short secrets, mutual secret equal to the secret...) are
 * refused with a message: -EINVAL. */
int  iscsi_auth_config(struct iscsi_tgt *t, json_t *cfg);
/* Credentials of this login, once session type and target name are known. */
void iscsi_auth_begin(struct iscsi_conn *c, struct iscsi_auth *a, int session_type,
		      const char *target);
/* Before each authentication step: is the peer's address rate limited? */
void iscsi_auth_prepare(struct iscsi_conn *c, struct iscsi_auth *a);
void iscsi_auth_failed(struct iscsi_conn *c, struct iscsi_auth *a);
void iscsi_auth_succeeded(struct iscsi_conn *c, struct iscsi_auth *a);

#endif
