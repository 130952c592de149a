/* Two-slot checksummed state file (see core_pr_store.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "procs/core/core_pr_store.h"
#include "procs/core/scsi.h"

#define HDR_LEN   32
#define MAGIC     0x4d545052u /* "MTPR" */
#define VERSION   1u

static uint32_t slot_crc(const uint8_t *hdr, const void *payload, size_t len)
{
	uint8_t h[HDR_LEN];
	uLong c;

	memcpy(h, hdr, HDR_LEN);
	memset(h + 20, 0, 4);
	c = crc32(0L, Z_NULL, 0);
	c = crc32(c, h, HDR_LEN);
	c = crc32(c, payload, (uInt)len);
	return (uint32_t)c;
}

static int full_pwrite(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int full_pread(int fd, uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int pr_store_write(int fd, uint64_t gen, const void *payload, size_t len)
{
	uint8_t *b;
	int err;

	if (len > PR_STORE_SLOT_SIZE - HDR_LEN)
		return -EFBIG;
	b = calloc(1, HDR_LEN + len);
	if (!b)
		return -ENOMEM;
	scsi_put32(b, MAGIC);
	scsi_put32(b + 4, VERSION);
	scsi_put64(b + 8, gen);
	scsi_put32(b + 16, (uint32_t)len);
	memcpy(b + HDR_LEN, payload, len);
	scsi_put32(b + 20, slot_crc(b, payload, len));
	err = full_pwrite(fd, b, HDR_LEN + len, (off_t)(gen & 1) * PR_STORE_SLOT_SIZE);
	free(b);
	if (!err && fdatasync(fd))
		err = -errno;
	return err;
}

/* Read slot s: 1 when intact, 0 when not, -errno on a read error. */
static int slot_read(int fd, unsigned s, uint64_t *gen, char **payload, size_t *len)
{
	uint8_t h[HDR_LEN];
	uint32_t n;
	char *p;
	int err = full_pread(fd, h, HDR_LEN, (off_t)s * PR_STORE_SLOT_SIZE);

	if (err == -ENODATA)
		return 0;
	if (err)
		return err;
	n = scsi_be32(h + 16);
	if (scsi_be32(h) != MAGIC || scsi_be32(h + 4) != VERSION || n > PR_STORE_SLOT_SIZE - HDR_LEN)
		return 0;
	p = malloc(n + 1);
	if (!p)
		return -ENOMEM;
	err = full_pread(fd, (uint8_t *)p, n, (off_t)s * PR_STORE_SLOT_SIZE + HDR_LEN);
	if (err || slot_crc(h, p, n) != scsi_be32(h + 20)) {
		free(p);
		return err == -ENODATA || !err ? 0 : err;
	}
	p[n] = 0;
	*gen = scsi_be64(h + 8);
	*payload = p;
	*len = n;
	return 1;
}

int pr_store_read(int fd, uint64_t *gen, char **payload, size_t *len)
{
	uint64_t g[2] = { 0, 0 };
	char *p[2] = { NULL, NULL };
	size_t l[2] = { 0, 0 };
	int ok[2], best;

	for (unsigned s = 0; s < 2; s++) {
		ok[s] = slot_read(fd, s, &g[s], &p[s], &l[s]);
		if (ok[s] < 0) {
			free(p[0]);
			return ok[s];
		}
	}
	if (!ok[0] && !ok[1])
		return -ENOENT;
	best = ok[0] && ok[1] ? (g[1] > g[0] ? 1 : 0) : ok[1] ? 1 : 0;
	free(p[1 - best]);
	*gen = g[best];
	*payload = p[best];
	*len = l[best];
	return 0;
}
