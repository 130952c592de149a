/* test-admin-probe: one libiscsi session kept open while the admin changes the
 * target, printing what the initiator sees after each step (admin-live.sh).
 *
 *   test-admin-probe [-i IQN] PORTAL TARGET STEP...
 *
 * Steps: tur:N, luns, cap:N (blocks), read:N, write:N (one block at LBA 0),
 * run:SHELL-COMMAND, sleep:MS. Each prints one line, e.g. "tur 0: check 6/3f0e"
 * (sense key / ASC+ASCQ), "luns: 0 3", "cap 0: 131072", "run: 0". A lost
 * session prints "session: lost" and ends with exit status 3. */
#include <getopt.h>
#include <stdbool.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void verdict(const char *what, int lun, struct scsi_task *t, struct iscsi_context *i)
{
	if (!t)
		printf("%s %d: failed (%s)\n", what, lun, iscsi_get_error(i));
	else if (t->status == SCSI_STATUS_GOOD)
		printf("%s %d: good\n", what, lun);
	else if (t->status == SCSI_STATUS_CHECK_CONDITION)
		printf("%s %d: check %x/%04x\n", what, lun, t->sense.key, t->sense.ascq);
	else
		printf("%s %d: status 0x%x\n", what, lun, t->status);
}

int main(int argc, char **argv)
{
	const char *ini = "iqn.2026-11.org.mtgt:admin-probe";
	struct iscsi_context *i;
	unsigned char block[4096];
	int opt;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		if (opt != 'i') {
			fprintf(stderr, "usage: test-admin-probe [-i IQN] PORTAL TARGET STEP...\n");
			return 1;
		}
		ini = optarg;
	}
	if (optind + 2 > argc)
		return 1;
	i = iscsi_create_context(ini);
	if (!i)
		return 1;
	iscsi_set_timeout(i, 10);
	iscsi_set_noautoreconnect(i, 1);
	iscsi_set_session_type(i, ISCSI_SESSION_NORMAL);
	iscsi_set_targetname(i, argv[optind + 1]);
	iscsi_set_header_digest(i, ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_connect_sync(i, argv[optind]) != 0 || iscsi_login_sync(i) != 0) {
		printf("login: failed (%s)\n", iscsi_get_error(i));
		return 2;
	}
	printf("login: ok\n");
	fflush(stdout);
	memset(block, 0x5a, sizeof(block));
	for (int a = optind + 2; a < argc; a++) {
		const char *s = argv[a];
		struct scsi_task *t = NULL;
		int lun = 0;

		if (!strncmp(s, "run:", 4)) {
			fflush(stdout);
			printf("run: %d\n", system(s + 4));
		} else if (!strncmp(s, "sleep:", 6)) {
			usleep((useconds_t)atoi(s + 6) * 1000);
		} else if (!strcmp(s, "luns")) {
			t = iscsi_reportluns_sync(i, 0, 16384);
			if (t && t->status == SCSI_STATUS_GOOD) {
				struct scsi_reportluns_list *l = scsi_datain_unmarshall(t);

				printf("luns:");
				for (uint32_t k = 0; l && k < l->num; k++)
					printf(" %u", l->luns[k]);
				printf("\n");
			} else {
				verdict("luns", 0, t, i);
			}
		} else if (sscanf(s, "tur:%d", &lun) == 1) {
			t = iscsi_testunitready_sync(i, lun);
			verdict("tur", lun, t, i);
		} else if (sscanf(s, "cap:%d", &lun) == 1) {
			t = iscsi_readcapacity16_sync(i, lun);
			if (t && t->status == SCSI_STATUS_GOOD) {
				struct scsi_readcapacity16 *c = scsi_datain_unmarshall(t);

				printf("cap %d: %llu\n", lun,
				       c ? (unsigned long long)c->returned_lba + 1 : 0ull);
			} else {
				verdict("cap", lun, t, i);
			}
		} else if (sscanf(s, "read:%d", &lun) == 1) {
			t = iscsi_read16_sync(i, lun, 0, 512, 512, 0, 0, 0, 0, 0);
			verdict("read", lun, t, i);
		} else if (sscanf(s, "write:%d", &lun) == 1) {
			t = iscsi_write16_sync(i, lun, 0, block, 512, 512, 0, 0, 0, 0, 0);
			verdict("write", lun, t, i);
		} else {
			printf("step %s: unknown\n", s);
			return 1;
		}
		bool scsi = strncmp(s, "run:", 4) && strncmp(s, "sleep:", 6);
		/* libiscsi reports a dropped connection as a task status out of
		 * the SCSI range (or no task at all) */
		bool lost = scsi && (!t || t->status > 0xff);

		if (t)
			scsi_free_scsi_task(t);
		fflush(stdout);
		if (lost || !iscsi_is_logged_in(i)) {
			printf("session: lost\n");
			return 3;
		}
	}
	iscsi_logout_sync(i);
	iscsi_destroy_context(i);
	return 0;
}
