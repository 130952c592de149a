/*
 * bench-load: an iSCSI load generator on libiscsi's asynchronous API, for the
 * cases iscsi-perf cannot run (it only reads). It keeps QD commands in flight
 * on one session for a fixed time and prints one line:
 *   iops N mbps M errors E
 * The same binary drives mtgt and tgtd, so the comparison is fair whatever
 * its own overhead is.
 *
 *   bench-load [-w] [-r] [-q QD] [-b BYTES] [-t SECONDS] [-i INITIATOR] URL
 *     -w  write (default read)      -r  random LBAs (default sequential)
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

struct load {
	struct iscsi_context *iscsi;
	int lun;
	int write;
	int random;
	uint32_t xfer;       /* bytes per command */
	uint32_t block_size;
	uint64_t blocks;     /* capacity in blocks */
	uint64_t next_lba;   /* sequential cursor */
	uint64_t rng;
	unsigned char *wbuf;
	int in_flight;
	int stop;            /* deadline passed: issue nothing more */
	uint64_t done;
	uint64_t errors;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: cheap, and the same sequence for every target. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static uint64_t pick_lba(struct load *l)
{
	uint64_t per = l->xfer / l->block_size;
	uint64_t slots = l->blocks / per;
	uint64_t slot;

	if (l->random) {
		slot = rng_next(&l->rng) % slots;
	} else {
		slot = l->next_lba++;
		if (l->next_lba >= slots)
			l->next_lba = 0;
	}
	return slot * per;
}

static int issue(struct load *l);

static void done_cb(struct iscsi_context *iscsi, int status, void *data,
		    void *priv)
{
	struct load *l = priv;
	struct scsi_task *task = data;

	(void)iscsi;
	l->in_flight--;
	if (status == SCSI_STATUS_GOOD)
		l->done++;
	else
		l->errors++;
	scsi_free_scsi_task(task);
	if (!l->stop && issue(l) < 0)
		l->errors++;
}

static int issue(struct load *l)
{
	uint64_t lba = pick_lba(l);
	struct scsi_task *t;

	if (l->write)
		t = iscsi_write16_task(l->iscsi, l->lun, lba, l->wbuf, l->xfer,
				       (int)l->block_size, 0, 0, 0, 0, 0,
				       done_cb, l);
	else
		t = iscsi_read16_task(l->iscsi, l->lun, lba, l->xfer,
				      (int)l->block_size, 0, 0, 0, 0, 0,
				      done_cb, l);
	if (!t)
		return -EIO;
	l->in_flight++;
	return 0;
}

static int read_capacity(struct load *l)
{
	struct scsi_task *t = iscsi_readcapacity16_sync(l->iscsi, l->lun);
	struct scsi_readcapacity16 *rc;

	if (!t || t->status != SCSI_STATUS_GOOD) {
		fprintf(stderr, "bench-load: READ CAPACITY(16) failed: %s\n",
			iscsi_get_error(l->iscsi));
		if (t)
			scsi_free_scsi_task(t);
		return -EIO;
	}
	rc = scsi_datain_unmarshall(t);
	if (!rc) {
		scsi_free_scsi_task(t);
		return -EIO;
	}
	l->block_size = rc->block_length;
	l->blocks = rc->returned_lba + 1;
	scsi_free_scsi_task(t);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-load [-w] [-r] [-q QD] [-b BYTES] "
		"[-t SECONDS] [-i INITIATOR] iscsi://HOST[:PORT]/IQN/LUN\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct load l = { .xfer = 4096, .rng = 0x9e3779b97f4a7c15ull };
	const char *initiator = "iqn.2026-11.org.mtgt:bench-load";
	struct iscsi_url *url;
	int qd = 32, seconds = 10, opt;
	uint64_t start, end;

	while ((opt = getopt(argc, argv, "wrq:b:t:i:")) != -1) {
		switch (opt) {
		case 'w': l.write = 1; break;
		case 'r': l.random = 1; break;
		case 'q': qd = atoi(optarg); break;
		case 'b': l.xfer = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': seconds = atoi(optarg); break;
		case 'i': initiator = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || qd < 1 || qd > 1024 || seconds < 1 ||
	    seconds > 3600 || l.xfer == 0 || l.xfer > (16u << 20))
		usage();

	l.iscsi = iscsi_create_context(initiator);
	if (!l.iscsi)
		return 1;
	url = iscsi_parse_full_url(l.iscsi, argv[optind]);
	if (!url) {
		fprintf(stderr, "bench-load: %s\n", iscsi_get_error(l.iscsi));
		return 2;
	}
	iscsi_set_targetname(l.iscsi, url->target);
	iscsi_set_session_type(l.iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(l.iscsi, ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_full_connect_sync(l.iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "bench-load: login failed: %s\n",
			iscsi_get_error(l.iscsi));
		return 1;
	}
	l.lun = url->lun;
	if (read_capacity(&l) < 0)
		return 1;
	if (l.xfer % l.block_size || l.blocks < l.xfer / l.block_size) {
		fprintf(stderr, "bench-load: transfer size %u does not fit "
			"block size %u / capacity\n", l.xfer, l.block_size);
		return 2;
	}
	l.wbuf = malloc(l.xfer);
	if (!l.wbuf)
		return 1;
	for (uint32_t i = 0; i < l.xfer; i++)
		l.wbuf[i] = (unsigned char)(i * 7 + 1);

	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000ull;
	for (int i = 0; i < qd; i++)
		if (issue(&l) < 0)
			l.errors++;
	while (l.in_flight > 0) {
		struct pollfd pfd = {
			.fd = iscsi_get_fd(l.iscsi),
			.events = (short)iscsi_which_events(l.iscsi),
		};
		if (now_ns() >= end)
			l.stop = 1;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		if (iscsi_service(l.iscsi, pfd.revents) < 0) {
			fprintf(stderr, "bench-load: %s\n",
				iscsi_get_error(l.iscsi));
			l.errors++;
			break;
		}
		/* Bounded: a target that stops answering ends the run. */
		if (now_ns() > end + 30ull * 1000000000ull)
			break;
	}
	{
		double secs = (double)(now_ns() - start) / 1e9;
		double iops = (double)l.done / secs;
		printf("iops %.0f mbps %.1f errors %llu\n", iops,
		       iops * l.xfer / 1e6, (unsigned long long)l.errors);
	}
	iscsi_logout_sync(l.iscsi);
	iscsi_destroy_url(url);
	iscsi_destroy_context(l.iscsi);
	free(l.wbuf);
	return l.errors ? 1 : 0;
}
