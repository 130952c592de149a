/* test-chap-login: one login with libiscsi, CHAP from the arguments, for the
 * CHAP integration test (tests/integration/chap.sh).
 *
 *   test-chap-login [-i IQN] [-u USER -p SECRET] [-U TUSER -P TSECRET] PORTAL [TARGET]
 *
 * With TARGET: Normal session, then INQUIRY on LUN 0. Without: Discovery
 * session and SendTargets, printing "target NAME". -U/-P ask for mutual CHAP.
 * Exit 0 on success, 2 when the login fails (libiscsi's message, which names
 * the login status, on stderr), 1 on other errors. */
#include <getopt.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *ini = "iqn.2026-11.org.mtgt:chap-initiator";
	const char *user = NULL, *secret = NULL, *tuser = NULL, *tsecret = NULL;
	const char *portal, *target;
	struct iscsi_context *i;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "i:u:p:U:P:")) != -1) {
		switch (opt) {
		case 'i': ini = optarg; break;
		case 'u': user = optarg; break;
		case 'p': secret = optarg; break;
		case 'U': tuser = optarg; break;
		case 'P': tsecret = optarg; break;
		default:
			fprintf(stderr, "usage: test-chap-login [-i IQN] [-u U -p S] [-U U -P S] "
				"PORTAL [TARGET]\n");
			return 1;
		}
	}
	if (optind >= argc)
		return 1;
	portal = argv[optind];
	target = optind + 1 < argc ? argv[optind + 1] : NULL;
	i = iscsi_create_context(ini);
	if (!i)
		return 1;
	iscsi_set_timeout(i, 10);
	iscsi_set_noautoreconnect(i, 1);
	if (user && iscsi_set_initiator_username_pwd(i, user, secret ? secret : "") != 0)
		return 1;
	if (tuser && iscsi_set_target_username_pwd(i, tuser, tsecret ? tsecret : "") != 0)
		return 1;
	iscsi_set_session_type(i, target ? ISCSI_SESSION_NORMAL : ISCSI_SESSION_DISCOVERY);
	if (target)
		iscsi_set_targetname(i, target);
	if (iscsi_connect_sync(i, portal) != 0) {
		fprintf(stderr, "connect: %s\n", iscsi_get_error(i));
		iscsi_destroy_context(i);
		return 1;
	}
	if (iscsi_login_sync(i) != 0) {
		fprintf(stderr, "login failed: %s\n", iscsi_get_error(i));
		iscsi_destroy_context(i);
		return 2;
	}
	if (target) {
		struct scsi_task *t = iscsi_inquiry_sync(i, 0, 0, 0, 64);

		if (!t || t->status != SCSI_STATUS_GOOD) {
			fprintf(stderr, "inquiry failed: %s\n", iscsi_get_error(i));
			rc = 1;
		} else {
			printf("inquiry ok\n");
		}
		if (t)
			scsi_free_scsi_task(t);
	} else {
		struct iscsi_discovery_address *da = iscsi_discovery_sync(i), *d;

		if (!da) {
			fprintf(stderr, "SendTargets failed: %s\n", iscsi_get_error(i));
			rc = 1;
		}
		for (d = da; d; d = d->next)
			printf("target %s\n", d->target_name);
		if (da)
			iscsi_free_discovery_data(i, da);
	}
	iscsi_logout_sync(i);
	iscsi_destroy_context(i);
	return rc;
}
