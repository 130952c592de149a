/* Sandbox settings for the children: the mode (config "sandbox": {"mode"},
 * overridden by mtgtd --sandbox=MODE) and the unprivileged user they switch
 * to (config "sandbox": {"user"}; default the system user "mtgt" the install
 * script creates, else "nobody"). Sent to each child in CTL_INIT. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/sup_sandbox.h"

static struct {
	char mode[16];
	char user[64];
	long uid, gid;  /* -1: no switch (the supervisor is not root) */
} sb = { "enforce", "", -1, -1 };

static bool sup_sandbox_mode_ok(const char *m)
{
	return !strcmp(m, "enforce") || !strcmp(m, "log") || !strcmp(m, "off");
}

int sup_sandbox_config(struct sup_config *cfg, json_t *v, char *err, size_t errlen)
{
	const char *key;
	json_t *e;

	if (!v)
		return 0;
	if (!json_is_object(v)) {
		snprintf(err, errlen, "sandbox: must be {\"mode\", \"user\"}");
		return -EINVAL;
	}
	json_object_foreach(v, key, e) {
		if (strcmp(key, "mode") && strcmp(key, "user")) {
			snprintf(err, errlen, "sandbox.%s: unknown field", key);
			return -EINVAL;
		}
		if (!json_is_string(e) || !*json_string_value(e) ||
		    strlen(json_string_value(e)) >= sizeof(sb.user)) {
			snprintf(err, errlen, "sandbox.%s: must be a non-empty string", key);
			return -EINVAL;
		}
	}
	e = json_object_get(v, "mode");
	if (e && !sup_sandbox_mode_ok(json_string_value(e))) {
		snprintf(err, errlen, "sandbox.mode: must be \"enforce\", \"log\" or \"off\"");
		return -EINVAL;
	}
	if (e)
		snprintf(sb.mode, sizeof(sb.mode), "%s", json_string_value(e));
	e = json_object_get(v, "user");
	if (e)
		snprintf(sb.user, sizeof(sb.user), "%s", json_string_value(e));
	return 0;
}

int sup_sandbox_setup(const char *cli_mode)
{
	struct passwd *pw = NULL;

	if (cli_mode) {
		if (!sup_sandbox_mode_ok(cli_mode)) {
			fprintf(stderr, "mtgtd: --sandbox: must be enforce, log or off\n");
			return -EINVAL;
		}
		snprintf(sb.mode, sizeof(sb.mode), "%s", cli_mode);
	}
	if (sb.user[0]) {
		pw = getpwnam(sb.user);
		if (!pw) {
			fprintf(stderr, "mtgtd: sandbox.user: no user \"%s\"\n", sb.user);
			return -ENOENT;
		}
	} else {
		pw = getpwnam("mtgt");
		if (!pw)
			pw = getpwnam("nobody");
	}
	if (pw && pw->pw_uid == 0) {
		fprintf(stderr, "mtgtd: sandbox.user: \"%s\" is root\n", pw->pw_name);
		return -EINVAL;
	}
	if (pw && geteuid() == 0) {
		snprintf(sb.user, sizeof(sb.user), "%s", pw->pw_name);
		sb.uid = pw->pw_uid;
		sb.gid = pw->pw_gid;
	}
	if (strcmp(sb.mode, "enforce"))
		log_warn("sandbox: mode %s (production runs enforce)", sb.mode);
	if (geteuid() != 0)
		log_info("sandbox: not root, children keep uid %u", (unsigned)geteuid());
	else if (!pw)
		log_warn("sandbox: no user mtgt or nobody, children keep root's uid");
	else
		log_info("sandbox: %s, children run as %s (%ld:%ld)", sb.mode, sb.user,
			 sb.uid, sb.gid);
	return 0;
}

json_t *sup_sandbox_json(void)
{
	json_t *o = json_pack("{s:s}", "mode", sb.mode);

	if (sb.uid >= 0)
		json_object_update_new(o, json_pack("{s:s, s:I, s:I}", "user", sb.user, "uid",
						    (json_int_t)sb.uid, "gid", (json_int_t)sb.gid));
	return o;
}
