/* Session setup and the deterministic data pattern. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "tests/integration/tio.h"

uint64_t tio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* splitmix64: cheap, well mixed, and a pure function of its input, which is
 * what lets any process recompute the expected bytes at any offset. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t tio_rand(uint64_t *state)
{
	*state += 1;
	return mix64(*state);
}

static uint64_t word_at(uint64_t seed, uint64_t word_index)
{
	return mix64(word_index ^ mix64(seed));
}

void tio_pattern_fill(uint8_t *buf, uint64_t byte_off, size_t len, uint64_t seed)
{
	size_t i = 0;

	while (i < len) {
		uint64_t abs = byte_off + i;
		uint64_t w = word_at(seed, abs / 8);
		unsigned k = abs % 8;

		for (; k < 8 && i < len; k++, i++)
			buf[i] = (uint8_t)(w >> (8 * k));
	}
}

long tio_pattern_check(const uint8_t *buf, uint64_t byte_off, size_t len, uint64_t seed)
{
	size_t i = 0;

	while (i < len) {
		uint64_t abs = byte_off + i;
		uint64_t w = word_at(seed, abs / 8);
		unsigned k = abs % 8;

		for (; k < 8 && i < len; k++, i++)
			if (buf[i] != (uint8_t)(w >> (8 * k)))
				return (long)i;
	}
	return -1;
}

int tio_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int tio_connect(struct tio_conn *c, const struct tio_opts *o, bool autoreconnect)
{
	struct iscsi_url *url;
	struct scsi_task *task;
	struct scsi_readcapacity16 *rc16;

	memset(c, 0, sizeof(*c));
	c->ctx = iscsi_create_context(o->initiator);
	if (!c->ctx) {
		fprintf(stderr, "tio: cannot create an iSCSI context\n");
		return -ENOMEM;
	}
	url = iscsi_parse_full_url(c->ctx, o->url);
	if (!url) {
		fprintf(stderr, "tio: bad URL %s: %s\n", o->url, iscsi_get_error(c->ctx));
		goto fail;
	}
	snprintf(c->target, sizeof(c->target), "%s", url->target);
	snprintf(c->portal, sizeof(c->portal), "%s", url->portal);
	c->lun = url->lun;
	iscsi_set_targetname(c->ctx, url->target);
	iscsi_set_session_type(c->ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(c->ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	iscsi_set_noautoreconnect(c->ctx, autoreconnect ? 0 : 1);
	/* The timeout also bounds the login itself. */
	iscsi_set_timeout(c->ctx, (int)o->task_timeout_s);
	if (iscsi_full_connect_sync(c->ctx, url->portal, url->lun) != 0) {
		fprintf(stderr, "tio: login to %s on %s as %s failed: %s\n", url->target,
			url->portal, o->initiator, iscsi_get_error(c->ctx));
		iscsi_destroy_url(url);
		goto fail;
	}
	iscsi_destroy_url(url);

	task = iscsi_readcapacity16_sync(c->ctx, c->lun);
	if (!task || task->status != SCSI_STATUS_GOOD) {
		fprintf(stderr, "tio: READ CAPACITY(16) failed: %s\n", iscsi_get_error(c->ctx));
		if (task)
			scsi_free_scsi_task(task);
		goto fail_logout;
	}
	rc16 = scsi_datain_unmarshall(task);
	if (!rc16 || rc16->block_length == 0 || rc16->block_length % 512) {
		fprintf(stderr, "tio: READ CAPACITY(16): unusable answer\n");
		scsi_free_scsi_task(task);
		goto fail_logout;
	}
	c->block_size = rc16->block_length;
	c->blocks = rc16->returned_lba + 1;
	scsi_free_scsi_task(task);
	return 0;

fail_logout:
	iscsi_logout_sync(c->ctx);
fail:
	iscsi_destroy_context(c->ctx);
	c->ctx = NULL;
	return -EIO;
}

void tio_disconnect(struct tio_conn *c)
{
	if (!c->ctx)
		return;
	if (iscsi_is_logged_in(c->ctx))
		iscsi_logout_sync(c->ctx);
	iscsi_destroy_context(c->ctx);
	c->ctx = NULL;
}
