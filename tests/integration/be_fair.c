/* test-be-fair: two initiators on one LUN for a few seconds, one keeping
 * QD_GREEDY reads queued (after TASK SET FULL it queues only what the LU
 * held, then ramps up again, as the Linux midlayer does), the other one read
 * at a time; prints how many each
 * completed, how many got TASK SET FULL (retried at once) or another error,
 * and the longest wait of the polite one:
 *   greedy=N polite=N tsf=N errors=N polite_max_ms=N
 *   test-be-fair URL SECONDS QD_GREEDY */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

struct side {
	struct iscsi_context *ctx;
	int lun;
	unsigned qd, inflight;
	unsigned qd_eff;        /* after TASK SET FULL: what the LU took */
	unsigned long ramp;
	unsigned long done, tsf, errors;
	uint64_t issued_at, max_wait_ms;
	uint32_t next_lba;
};

static bool stopping;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void issue(struct side *s);

static void done_cb(struct iscsi_context *ctx, int status, void *data, void *priv)
{
	struct side *s = priv;
	struct scsi_task *t = data;

	(void)ctx;
	s->inflight--;
	if (status == SCSI_STATUS_GOOD) {
		uint64_t w = now_ms() - s->issued_at;

		s->done++;
		if (s->qd == 1 && w > s->max_wait_ms)
			s->max_wait_ms = w;
		/* ramp back up slowly, as the Linux SCSI midlayer does */
		if (s->qd_eff < s->qd && ++s->ramp % 64 == 0)
			s->qd_eff++;
	} else if (status == SCSI_STATUS_TASK_SET_FULL) {
		/* the LU holds what is in flight: queue no more than that */
		s->tsf++;
		s->qd_eff = s->inflight ? s->inflight : 1;
	} else {
		s->errors++;
	}
	scsi_free_scsi_task(t);
	if (!stopping)
		issue(s);
}

static void issue(struct side *s)
{
	while (s->inflight < s->qd_eff) {
		s->next_lba = (s->next_lba + 8) % 8192;
		s->issued_at = now_ms();
		if (!iscsi_read10_task(s->ctx, s->lun, s->next_lba, 4096, 512, 0, 0, 0, 0, 0,
				       done_cb, s)) {
			s->errors++;
			return;
		}
		s->inflight++;
	}
}

static int login(struct side *s, const char *name, const char *urls)
{
	struct iscsi_url *u;

	s->ctx = iscsi_create_context(name);
	u = s->ctx ? iscsi_parse_full_url(s->ctx, urls) : NULL;
	if (!u)
		return -1;
	s->lun = u->lun;
	iscsi_set_targetname(s->ctx, u->target);
	iscsi_set_session_type(s->ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_noautoreconnect(s->ctx, 1);
	iscsi_set_timeout(s->ctx, 20);
	if (iscsi_full_connect_sync(s->ctx, u->portal, u->lun)) {
		fprintf(stderr, "fair: login %s: %s\n", name, iscsi_get_error(s->ctx));
		return -1;
	}
	iscsi_destroy_url(u);
	return 0;
}

int main(int argc, char **argv)
{
	struct side s[2];
	uint64_t end;

	if (argc < 4) {
		fprintf(stderr, "usage: test-be-fair URL SECONDS QD_GREEDY\n");
		return 2;
	}
	memset(s, 0, sizeof(s));
	s[0].qd = (unsigned)atoi(argv[3]);
	s[1].qd = 1;
	s[0].qd_eff = s[0].qd;
	s[1].qd_eff = 1;
	s[1].next_lba = 4096;
	if (!s[0].qd || s[0].qd > 512 || login(&s[0], "iqn.2026-11.org.mtgt:greedy", argv[1]) ||
	    login(&s[1], "iqn.2026-11.org.mtgt:polite", argv[1]))
		return 1;
	end = now_ms() + 1000 * (uint64_t)atoi(argv[2]);
	issue(&s[0]);
	issue(&s[1]);
	/* bounded: the deadline, then at most 10 s to drain */
	while (s[0].inflight + s[1].inflight && now_ms() < end + 10000) {
		struct pollfd p[2];

		if (now_ms() >= end)
			stopping = true;
		for (int i = 0; i < 2; i++) {
			p[i].fd = iscsi_get_fd(s[i].ctx);
			p[i].events = (short)iscsi_which_events(s[i].ctx);
			p[i].revents = 0;
		}
		if (poll(p, 2, 100) < 0)
			break;
		for (int i = 0; i < 2; i++)
			if (iscsi_service(s[i].ctx, p[i].revents) < 0) {
				fprintf(stderr, "fair: %s\n", iscsi_get_error(s[i].ctx));
				return 1;
			}
	}
	printf("greedy=%lu polite=%lu tsf=%lu errors=%lu polite_max_ms=%llu\n", s[0].done,
	       s[1].done, s[0].tsf + s[1].tsf, s[0].errors + s[1].errors,
	       (unsigned long long)s[1].max_wait_ms);
	for (int i = 0; i < 2; i++) {
		iscsi_logout_sync(s[i].ctx);
		iscsi_destroy_context(s[i].ctx);
	}
	return 0;
}
