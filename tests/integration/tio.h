/* test-initiator: an initiator-side test tool built on libiscsi. It writes and
 * verifies deterministic pseudo-random data at a chosen queue depth, checks
 * INQUIRY and READ CAPACITY answers, and sends malformed PDUs over a raw
 * socket while a libiscsi session keeps doing I/O.
 *
 * The data written at a byte offset depends only on (seed, offset), so a
 * second process or initiator can verify what the first one wrote without
 * sharing anything but the seed.
 */
#ifndef MTGT_TESTS_TIO_H
#define MTGT_TESTS_TIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iscsi_context;

struct tio_opts {
	const char *url;
	const char *initiator;
	uint64_t offset;        /* bytes, block aligned */
	uint64_t size;          /* bytes; 0 = to the end of the LUN */
	uint64_t seed;
	unsigned qd;
	uint32_t max_chunk;     /* bytes per command, upper bound */
	unsigned timeout_s;     /* whole command must finish within this */
	unsigned task_timeout_s;/* per SCSI task (libiscsi timeout) */
	unsigned duration_s;    /* mixed: how long to run */
	const char *until_file; /* mixed: or until this file exists (a test's "enough") */
	bool tolerate;          /* mixed: count I/O errors instead of failing */
	bool no_reconnect;      /* mixed: a dropped session is an error, not a reconnect */
	bool quiet;
	/* mixed: a second region rewritten with its own seed */
	uint64_t w_offset, w_size, w_seed;
	/* inquiry / capacity expectations (NULL / 0 = not checked) */
	const char *vendor, *product;
	uint32_t block_size;
	uint64_t blocks;
};

/* A logged-in session on one LUN. */
struct tio_conn {
	struct iscsi_context *ctx;
	int lun;
	uint32_t block_size;
	uint64_t blocks;
	char target[256];
	char portal[256];
};

/* tio_conn.c */
int  tio_connect(struct tio_conn *c, const struct tio_opts *o, bool autoreconnect);
void tio_disconnect(struct tio_conn *c);
uint64_t tio_now_ms(void);
void tio_pattern_fill(uint8_t *buf, uint64_t byte_off, size_t len, uint64_t seed);
/* Returns the index of the first mismatching byte, or -1 when equal. */
long tio_pattern_check(const uint8_t *buf, uint64_t byte_off, size_t len, uint64_t seed);
uint64_t tio_rand(uint64_t *state);
int  tio_parse_size(const char *s, uint64_t *out);

/* tio_io.c: the queue-depth engine */
enum tio_op { TIO_WRITE, TIO_VERIFY };
struct tio_io_stats {
	uint64_t cmds, bytes, errors, miscompares, ua_retries;
};
int tio_run_region(struct tio_conn *c, enum tio_op op, uint64_t off, uint64_t size,
		   uint64_t seed, const struct tio_opts *o, uint64_t deadline_ms,
		   struct tio_io_stats *st);
int tio_cmd_io(const struct tio_opts *o, int mode);
int tio_cmd_mixed(const struct tio_opts *o);

/* tio_scsi.c */
int tio_cmd_inquiry(const struct tio_opts *o);
int tio_cmd_capacity(const struct tio_opts *o);

/* tio_raw.c */
int tio_cmd_malformed(const struct tio_opts *o);

#endif
