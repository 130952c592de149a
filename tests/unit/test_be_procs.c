/* The backend programs, run for real: this test plays supervisor and core.
 * Data written must read back (and be in the backing store), FLUSH/FUA/zeroing
 * must succeed, a misbehaving core must be reported and not obeyed, a full
 * completion ring must stop the backend without losing anything, and
 * CTL_SHUTDOWN must finish what is in flight. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/ctl.h"
#include "shm/shm_fd.h"
#include "tests/unit/be_harness.h"

#define DEV_SIZE (8u << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((seed * 131 + i * 7 + (i >> 9)) ^ (seed >> 3));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int temp_file(uint64_t size)
{
	char path[] = "/tmp/mtgt-be-test-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static struct buf_handle alloc_buf(struct harness *h, uint32_t len)
{
	struct buf_handle b;

	assert_int_equal(pool_alloc(&h->alloc, len, &b), 0);
	return b;
}

/* Writes, reads back, zeroing, flush, FUA on device 0 of a started backend. */
static void rw_checks(struct harness *h, uint8_t *store)
{
	struct buf_handle w = alloc_buf(h, 256 << 10), r = alloc_buf(h, 256 << 10);
	uint8_t *wp = h_buf(h, &w), *rp = h_buf(h, &r);
	static const struct { uint64_t off; uint32_t len; } cases[] = {
		{ 0, 512 }, { 4096, 4096 }, { 512 * 7, 512 * 13 }, { 1 << 20, 256 << 10 },
		{ DEV_SIZE - 512, 512 }, { DEV_SIZE - (64 << 10), 64 << 10 },
	};
	uint32_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill(wp, cases[i].len, i + 1);
		assert_int_equal(h_io(h, MSG_IO_WRITE, 0, cases[i].off, cases[i].len, &w,
				      i % 2 ? MSG_IO_FUA : 0, &len), 0);
		assert_int_equal(len, cases[i].len);
		memset(rp, 0xEE, cases[i].len);
		assert_int_equal(h_io(h, MSG_IO_READ, 0, cases[i].off, cases[i].len, &r, 0,
				      &len), 0);
		assert_int_equal(len, cases[i].len);
		assert_memory_equal(rp, wp, cases[i].len);
		if (store)
			assert_memory_equal(store + cases[i].off, wp, cases[i].len);
	}
	assert_int_equal(h_io(h, MSG_IO_FLUSH, 0, 0, 0, NULL, 0, &len), 0);

	/* zeroing: unaligned and aligned ranges, neighbours untouched */
	fill(wp, 64 << 10, 99);
	assert_int_equal(h_io(h, MSG_IO_WRITE, 0, 2 << 20, 64 << 10, &w, 0, NULL), 0);
	assert_int_equal(h_io(h, MSG_IO_WRITE_ZEROES, 0, (2 << 20) + 512, 10240, NULL, 0,
			      &len), 0);
	assert_int_equal(len, 10240);
	assert_int_equal(h_io(h, MSG_IO_READ, 0, 2 << 20, 64 << 10, &r, 0, NULL), 0);
	assert_memory_equal(rp, wp, 512);
	assert_true(all_zero(rp + 512, 10240));
	assert_memory_equal(rp + 512 + 10240, wp + 512 + 10240, (64 << 10) - 512 - 10240);
	int rc = h_io(h, MSG_IO_UNMAP, 0, (2 << 20) + 16384, 32768, NULL, 0, NULL);
	assert_true(rc == 0 || rc == -EOPNOTSUPP);
	if (rc == 0) {
		assert_int_equal(h_io(h, MSG_IO_READ, 0, 2 << 20, 64 << 10, &r, 0, NULL), 0);
		assert_true(all_zero(rp + 16384, 32768));
		assert_memory_equal(rp + 49152, wp + 49152, 16384);
	}
	pool_free(&h->alloc, &w);
	pool_free(&h->alloc, &r);
}

/* Many I/Os in flight at once on disjoint 16 KiB slots, checked against a
 * model of the device. */
static void random_checks(struct harness *h, uint32_t rounds, uint32_t depth, bool data)
{
	enum { SLOT = 16384, NSLOT = DEV_SIZE / SLOT };
	uint8_t *model = calloc(1, DEV_SIZE);
	struct buf_handle bufs[64];
	uint32_t slot[64], len[64];
	uint64_t off[64];
	uint8_t op[64];

	assert_true(depth <= 64);
	for (uint32_t i = 0; i < depth; i++)
		bufs[i] = alloc_buf(h, SLOT);
	/* start from a known state */
	for (uint32_t s = 0; s < NSLOT; s += depth) {
		uint32_t n = 0;

		for (uint32_t i = 0; i < depth && s + i < NSLOT; i++, n++) {
			memset(h_buf(h, &bufs[i]), 0, SLOT);
			assert_int_equal(h_queue(h, MSG_IO_WRITE, 0, (uint64_t)(s + i) * SLOT,
						 SLOT, &bufs[i], 0, i), 0);
		}
		h_publish(h);
		for (uint32_t i = 0; i < n; i++) {
			union msg m;

			assert_int_equal(h_reap(h, &m, 5000), 1);
			assert_int_equal(m.io_done.result, 0);
		}
	}
	for (uint32_t round = 0; round < rounds; round++) {
		uint32_t n = 1 + (uint32_t)(rnd() % depth);

		for (uint32_t i = 0; i < n; i++) {
			struct buf_handle b = bufs[i];
			uint32_t start;
			bool dup;

			do { /* distinct slots: no two in-flight I/O overlap */
				slot[i] = (uint32_t)(rnd() % NSLOT);
				dup = false;
				for (uint32_t k = 0; k < i; k++)
					dup |= slot[k] == slot[i];
			} while (dup);
			len[i] = 512 * (1 + (uint32_t)(rnd() % (SLOT / 512)));
			start = 512 * (uint32_t)(rnd() % ((SLOT - len[i]) / 512 + 1));
			off[i] = (uint64_t)slot[i] * SLOT + start;
			op[i] = rnd() % 2 ? MSG_IO_READ : MSG_IO_WRITE;
			b.length = len[i];
			if (op[i] == MSG_IO_WRITE) {
				fill(h_buf(h, &b), len[i], rnd());
				if (data)
					memcpy(model + off[i], h_buf(h, &b), len[i]);
			} else {
				memset(h_buf(h, &b), 0xA5, len[i]);
			}
			assert_int_equal(h_queue(h, op[i], 0, off[i], len[i], &b,
						 rnd() % 8 ? 0 : MSG_IO_FUA,
						 (uint64_t)round << 8 | i), 0);
		}
		h_publish(h);
		for (uint32_t k = 0; k < n; k++) {
			union msg m;
			uint32_t i;

			assert_int_equal(h_reap(h, &m, 5000), 1);
			assert_int_equal(m.h.type, MSG_IO_DONE);
			assert_int_equal(m.h.tag >> 8, round);
			i = (uint32_t)(m.h.tag & 0xff);
			assert_true(i < n);
			assert_int_equal(m.io_done.result, 0);
			assert_int_equal(m.io_done.length, len[i]);
			if (op[i] == MSG_IO_READ)
				assert_memory_equal(h_buf(h, &bufs[i]), model + off[i], len[i]);
		}
	}
	free(model);
	for (uint32_t i = 0; i < depth; i++)
		pool_free(&h->alloc, &bufs[i]);
}

/* MSG_IO_LBA_STATUS: one run from the offset, in whole blocks, with the
 * UNMAPPED flag. */
static int lba_status(struct harness *h, uint64_t off, uint64_t len, uint32_t *run,
		      bool *unmapped)
{
	union msg m;

	assert_int_equal(h_queue(h, MSG_IO_LBA_STATUS, 0, off, len, NULL, 0, 4242), 0);
	h_publish(h);
	assert_int_equal(h_reap(h, &m, 5000), 1);
	assert_int_equal(m.h.type, MSG_IO_DONE);
	*run = m.io_done.length;
	*unmapped = m.io_done.h.flags & MSG_IO_DONE_UNMAPPED;
	return m.io_done.result;
}

/* A sparse store (file or memfd): holes are reported unmapped, data mapped,
 * and a run never passes the length asked. */
static void lba_status_checks(struct harness *h)
{
	struct buf_handle w = alloc_buf(h, 64 << 10);
	uint32_t run;
	bool un;

	fill(h_buf(h, &w), 64 << 10, 5);
	assert_int_equal(h_io(h, MSG_IO_WRITE, 0, 0, 64 << 10, &w, 0, NULL), 0);
	assert_int_equal(h_io(h, MSG_IO_WRITE, 0, 4 << 20, 64 << 10, &w, 0, NULL), 0);
	/* data at 0: mapped, at least up to 64 KiB, at most the request */
	assert_int_equal(lba_status(h, 0, 1 << 20, &run, &un), 0);
	assert_false(un);
	assert_true(run >= (64 << 10) && run <= (1 << 20) && run % 512 == 0);
	/* a hole after it, up to the second write */
	assert_int_equal(lba_status(h, 1 << 20, 3 << 20, &run, &un), 0);
	assert_true(un);
	assert_true(run > 0 && run <= (3 << 20) && run % 512 == 0);
	assert_int_equal(lba_status(h, 4 << 20, 8192, &run, &un), 0);
	assert_false(un);
	assert_int_equal(run, 8192);
	/* punch the data out: unmapped now */
	if (h_io(h, MSG_IO_UNMAP, 0, 4 << 20, 64 << 10, NULL, 0, NULL) == 0) {
		assert_int_equal(lba_status(h, 4 << 20, 64 << 10, &run, &un), 0);
		assert_true(un);
		assert_int_equal(run, 64 << 10);
	}
	pool_free(&h->alloc, &w);
}

static void test_lba_status(void **state)
{
	struct h_dev fdev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct h_dev rdev = { .fd = shm_memfd_create("test-ram", DEV_SIZE), .size = DEV_SIZE };
	struct h_dev ndev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	uint32_t run;
	bool un;

	assert_int_equal(h_start(&h, "file", &fdev, 1, 64, NULL), 0);
	lba_status_checks(&h);
	h_stop(&h);
	close(fdev.fd);
	assert_true(rdev.fd >= 0);
	assert_int_equal(h_start(&h, "ram", &rdev, 1, 64, NULL), 0);
	lba_status_checks(&h);
	h_stop(&h);
	close(rdev.fd);
	/* null: no allocation to look at, every block is mapped */
	assert_int_equal(h_start(&h, "null", &ndev, 1, 64, NULL), 0);
	assert_int_equal(lba_status(&h, 512, 1 << 20, &run, &un), 0);
	assert_false(un);
	assert_int_equal(run, 1 << 20);
	h_stop(&h);
}

static void test_ram(void **state)
{
	struct h_dev dev = { .fd = shm_memfd_create("test-ram", DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	uint8_t *store;

	assert_true(dev.fd >= 0);
	store = mmap(NULL, DEV_SIZE, PROT_READ, MAP_SHARED, dev.fd, 0);
	assert_true(store != MAP_FAILED);
	assert_int_equal(h_start(&h, "ram", &dev, 1, 64, NULL), 0);
	rw_checks(&h, store);
	random_checks(&h, 300, 32, true);
	h_stop(&h);
	munmap(store, DEV_SIZE);
	close(dev.fd);
}

static void test_file(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	uint8_t *store;

	store = mmap(NULL, DEV_SIZE, PROT_READ, MAP_SHARED, dev.fd, 0);
	assert_true(store != MAP_FAILED);
	assert_int_equal(h_start(&h, "file", &dev, 1, 64, NULL), 0);
	rw_checks(&h, store);
	random_checks(&h, 300, 32, true);
	h_stop(&h);
	munmap(store, DEV_SIZE);
	close(dev.fd);
}

/* The same through unregistered buffers (the RLIMIT_MEMLOCK fallback). */
static void test_file_unregistered(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	uint8_t *store;

	store = mmap(NULL, DEV_SIZE, PROT_READ, MAP_SHARED, dev.fd, 0);
	assert_true(store != MAP_FAILED);
	assert_int_equal(h_start(&h, "file", &dev, 1, 64,
				 "{\"fixed_buffers\": false, \"queue_depth\": 8, \"spin\": 0}"), 0);
	rw_checks(&h, store);
	random_checks(&h, 100, 32, true);
	h_stop(&h);
	munmap(store, DEV_SIZE);
	close(dev.fd);
}

/* The same through the libaio engine (where io_uring is unavailable), with
 * WRITE_ZEROES by writing over more than one 1 MiB chunk. */
static void test_file_libaio(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	uint8_t *store;

	store = mmap(NULL, DEV_SIZE, PROT_READ, MAP_SHARED, dev.fd, 0);
	assert_true(store != MAP_FAILED);
	assert_int_equal(h_start(&h, "file", &dev, 1, 64,
				 "{\"engine\": \"libaio\", \"write_zeroes\": \"write\", "
				 "\"queue_depth\": 8, \"spin\": 0}"), 0);
	rw_checks(&h, store);
	random_checks(&h, 100, 32, true);
	assert_int_equal(h_io(&h, MSG_IO_WRITE_ZEROES, 0, 512, (3u << 20) + 1024, NULL, 0,
			      NULL), 0);
	assert_true(all_zero(store + 512, (3u << 20) + 1024));
	h_stop(&h);
	munmap(store, DEV_SIZE);
	close(dev.fd);
}

/* Two devices in one process: each I/O lands on the one it names. */
static void test_two_devices(void **state)
{
	struct h_dev devs[2] = {
		{ .fd = shm_memfd_create("dev0", DEV_SIZE), .size = DEV_SIZE },
		{ .fd = shm_memfd_create("dev1", DEV_SIZE / 2), .size = DEV_SIZE / 2 },
	};
	struct harness h;
	struct buf_handle b;
	uint8_t *s0, *s1;

	s0 = mmap(NULL, DEV_SIZE, PROT_READ, MAP_SHARED, devs[0].fd, 0);
	s1 = mmap(NULL, DEV_SIZE / 2, PROT_READ, MAP_SHARED, devs[1].fd, 0);
	assert_int_equal(h_start(&h, "ram", devs, 2, 64, NULL), 0);
	b = alloc_buf(&h, 4096);
	memset(h_buf(&h, &b), 0x11, 4096);
	assert_int_equal(h_io(&h, MSG_IO_WRITE, 0, 8192, 4096, &b, 0, NULL), 0);
	memset(h_buf(&h, &b), 0x22, 4096);
	assert_int_equal(h_io(&h, MSG_IO_WRITE, 1, 8192, 4096, &b, 0, NULL), 0);
	assert_int_equal(s0[8192], 0x11);
	assert_int_equal(s1[8192], 0x22);
	/* dev 1 is smaller: its end is enforced separately (a violation) */
	assert_int_equal(h_io(&h, MSG_IO_READ, 1, DEV_SIZE / 2 - 4096, 4096, &b, 0, NULL), 0);
	assert_int_equal(h_io(&h, MSG_IO_READ, 0, DEV_SIZE / 2, 4096, &b, 0, NULL), 0);
	h_stop(&h);
	munmap(s0, DEV_SIZE);
	munmap(s1, DEV_SIZE / 2);
	close(devs[0].fd);
	close(devs[1].fd);
}

/* Not a pass/fail figure: what one backend process sustains through a link
 * (4 KiB reads at queue depth 64, one second). */
static void rate(const char *kind, struct h_dev *dev)
{
	struct harness h;
	struct buf_handle b[64];
	struct timespec t0, t1;
	uint64_t done = 0, sent = 0;

	assert_int_equal(h_start(&h, kind, dev, 1, 256, NULL), 0);
	for (int i = 0; i < 64; i++)
		b[i] = alloc_buf(&h, 4096);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		union msg m;

		while (sent - done < 64) {
			assert_int_equal(h_queue(&h, MSG_IO_READ, 0,
						 (rnd() % (dev->size / 4096)) * 4096, 4096,
						 &b[sent % 64], 0, sent), 0);
			sent++;
		}
		h_publish(&h);
		assert_int_equal(h_reap(&h, &m, 5000), 1);
		assert_int_equal(m.io_done.result, 0);
		done++;
		while (ring_cons_pop(&h.link.rx, &m) == 1) {
			assert_int_equal(m.io_done.result, 0);
			done++;
		}
		ring_cons_release(&h.link.rx);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= 1 && t1.tv_nsec >= t0.tv_nsec)
			break;
	}
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	printf("%s backend, 4 KiB random reads at queue depth 64: %.0f IOPS\n", kind,
	       (double)done / dt);
	h_stop(&h);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Queue depth 1 round trips through a null backend with a given wait policy;
 * the test side spins (yielding) like a busy core would. */
static void latency(const char *config)
{
	enum { N = 20000 };
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	uint64_t *lat = malloc(sizeof(uint64_t) * N);
	struct timespec t0, t1, start;
	int n = 0;

	assert_int_equal(h_start(&h, "null", &dev, 1, 64, config), 0);
	b = alloc_buf(&h, 4096);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (; n < N; n++) {
		union msg m;
		uint32_t spins = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(h_queue(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, (uint64_t)n), 0);
		h_publish(&h);
		while (ring_cons_pop(&h.link.rx, &m) != 1) {
			if (++spins % 16 == 0)
				sched_yield();
			else
				ring_pause();
		}
		ring_cons_release(&h.link.rx);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lat[n] = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
			 (uint64_t)(t1.tv_nsec - t0.tv_nsec);
		if (t1.tv_sec - start.tv_sec >= 1)
			break;
	}
	qsort(lat, (size_t)n, sizeof(uint64_t), cmp_u64);
	printf("null backend, queue depth 1, config %s: p50 %.2f us, p99 %.2f us (%d I/O)\n",
	       config ? config : "default", lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, n);
	free(lat);
	h_stop(&h);
}

static void test_rates(void **state)
{
	latency(NULL);
	latency("{\"spin\": 200, \"yield\": 0}");
	latency("{\"spin\": 0}");
	struct h_dev null = { .fd = -1, .size = DEV_SIZE };
	struct h_dev ram = { .fd = shm_memfd_create("rate", DEV_SIZE), .size = DEV_SIZE };
	struct h_dev file = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };

	rate("null", &null);
	rate("ram", &ram);
	rate("file", &file);
	close(ram.fd);
	close(file.fd);
}

/* WRITE_ZEROES by writing zero pages (the path for file systems without
 * fallocate), over more than one 1 MiB chunk. */
static void test_file_zero_by_write(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	uint8_t *buf = malloc(DEV_SIZE);

	memset(buf, 0x77, DEV_SIZE);
	assert_int_equal(pwrite(dev.fd, buf, DEV_SIZE, 0), DEV_SIZE);
	assert_int_equal(h_start(&h, "file", &dev, 1, 64, "{\"write_zeroes\": \"write\"}"), 0);
	assert_int_equal(h_io(&h, MSG_IO_WRITE_ZEROES, 0, 512, (3u << 20) + 1024, NULL, 0,
			      NULL), 0);
	assert_int_equal(pread(dev.fd, buf, DEV_SIZE, 0), DEV_SIZE);
	assert_int_equal(buf[511], 0x77);
	assert_true(all_zero(buf + 512, (3u << 20) + 1024));
	assert_int_equal(buf[512 + (3u << 20) + 1024], 0x77);
	h_stop(&h);
	free(buf);
	close(dev.fd);
}

/* A file shorter than its device reads as zeros past its end. */
static void test_file_short(void **state)
{
	struct h_dev dev = { .fd = temp_file(1 << 20), .size = DEV_SIZE };
	struct harness h;
	struct buf_handle r;
	uint8_t *rp;
	uint8_t data[4096];

	fill(data, sizeof(data), 5);
	assert_int_equal(pwrite(dev.fd, data, sizeof(data), (1 << 20) - 4096), 4096);
	assert_int_equal(h_start(&h, "file", &dev, 1, 64, NULL), 0);
	r = alloc_buf(&h, 16384);
	rp = h_buf(&h, &r);
	memset(rp, 0xCC, 16384);
	assert_int_equal(h_io(&h, MSG_IO_READ, 0, (1 << 20) - 4096, 16384, &r, 0, NULL), 0);
	assert_memory_equal(rp, data, 4096);
	assert_true(all_zero(rp + 4096, 12288));
	h_stop(&h);
	close(dev.fd);
}

static void test_null(void **state)
{
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	uint32_t len;

	assert_int_equal(h_start(&h, "null", &dev, 1, 64, NULL), 0);
	b = alloc_buf(&h, 65536);
	memset(h_buf(&h, &b), 0xAB, 65536);
	assert_int_equal(h_io(&h, MSG_IO_WRITE, 0, 0, 65536, &b, 0, &len), 0);
	assert_int_equal(len, 65536);
	assert_int_equal(h_io(&h, MSG_IO_READ, 0, 4096, 65536, &b, 0, &len), 0);
	assert_int_equal(len, 65536);
	assert_true(all_zero(h_buf(&h, &b), 65536));
	assert_int_equal(h_io(&h, MSG_IO_FLUSH, 0, 0, 0, NULL, 0, NULL), 0);
	assert_int_equal(h_io(&h, MSG_IO_WRITE_ZEROES, 0, 0, DEV_SIZE, NULL, 0, &len), 0);
	assert_int_equal(len, DEV_SIZE);
	assert_int_equal(h_io(&h, MSG_IO_UNMAP, 0, 4096, 8192, NULL, 0, &len), 0);
	assert_int_equal(len, 8192);
	assert_int_equal(h_io(&h, MSG_IO_FLUSH, 0, 0, 0, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
	random_checks(&h, 100, 16, false);
	h_stop(&h);
}

static void test_readonly(void **state)
{
	struct h_dev dev = { .fd = shm_memfd_create("test-ro", DEV_SIZE), .size = DEV_SIZE,
			     .readonly = true };
	struct harness h;
	struct buf_handle b;

	assert_int_equal(h_start(&h, "ram", &dev, 1, 64, NULL), 0);
	b = alloc_buf(&h, 4096);
	assert_int_equal(h_io(&h, MSG_IO_WRITE, 0, 0, 4096, &b, 0, NULL), -EROFS);
	assert_int_equal(h_io(&h, MSG_IO_UNMAP, 0, 0, 4096, NULL, 0, NULL), -EROFS);
	assert_int_equal(h_io(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, NULL), 0);
	assert_int_equal(h_io(&h, MSG_IO_FLUSH, 0, 0, 0, NULL, 0, NULL), 0);
	h_stop(&h);
	close(dev.fd);
}

/* Each kind of garbage from the core: reported once, never acted on, and the
 * process keeps answering its supervisor. */
static void test_violations(void **state)
{
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	enum { BAD_TYPE, BAD_DEV, BAD_OP, BAD_RANGE, BAD_WRAP, BAD_ARENA, BAD_SHORT,
	       BAD_RESERVED, BAD_FLAGS, BAD_TAIL, NBAD };

	for (int k = 0; k < NBAD; k++) {
		struct harness h;
		struct buf_handle b;
		char *why = NULL;
		union msg m;
		uint64_t seq = 42;

		assert_int_equal(h_start(&h, "null", &dev, 1, 16, NULL), 0);
		b = alloc_buf(&h, 8192);
		if (k == BAD_TAIL) {
			/* publish a tail far ahead of anything written */
			uint64_t one = 1;

			atomic_store(&h.link.tx.sh->tail, h.link.tx.local + 1000);
			/* and wake the backend, as a publish would: whether it is
			 * asleep or spinning must not decide what the test sees */
			assert_int_equal(write(h.efd_b, &one, sizeof(one)), sizeof(one));
		} else {
			struct buf_handle bb = b;
			uint8_t op = MSG_IO_READ;
			uint32_t d = 0;
			uint64_t off = 0, len = 4096;

			if (k == BAD_DEV)
				d = 1;
			if (k == BAD_OP)
				op = 9;
			if (k == BAD_RANGE)
				off = DEV_SIZE - 512;
			if (k == BAD_WRAP)
				off = UINT64_MAX - 100;
			if (k == BAD_ARENA)
				bb.arena = 3;
			if (k == BAD_SHORT)
				bb.length = 1024;
			if (k == BAD_RESERVED)
				bb.reserved = 7;
			assert_int_equal(h_queue(&h, op, d, off, len, &bb,
						 k == BAD_FLAGS ? 0x40 : 0, 1), 0);
			if (k == BAD_TYPE) {
				/* rewrite the queued entry as a core->frontend type */
				union msg *e = (union msg *)(h.link.tx.ents +
					(size_t)((h.link.tx.local - 1) & h.link.tx.mask) *
					RING_ENTRY_SIZE);
				e->h.type = MSG_CMD_RSP;
			}
			/* a valid request behind it must not be served either */
			assert_int_equal(h_queue(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, 2), 0);
			h_publish(&h);
		}
		assert_int_equal(h_ctl_expect(&h, CTL_VIOLATION, &why, 3000), 1);
		assert_non_null(strstr(why, "\"link\":0"));
		free(why);
		assert_int_equal(h_reap(&h, &m, 200), 0);
		/* still alive and serving its supervisor */
		assert_int_equal(ctl_send(h.ctl, CTL_PING, &seq, sizeof(seq), NULL, 0), 0);
		assert_int_equal(h_ctl_expect(&h, CTL_PONG, NULL, 3000), 1);
		h_stop(&h);
	}
}

/* Messages from a dead incarnation of the core are skipped, and their slots
 * handed back even when nothing valid follows them. */
static void test_stale(void **state)
{
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	union msg m;

	assert_int_equal(h_start(&h, "null", &dev, 1, 8, NULL), 0);
	b = alloc_buf(&h, 4096);
	for (uint64_t t = 0; t < 8; t++) {
		assert_int_equal(h_queue(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, t), 0);
		((union msg *)(h.link.tx.ents + (size_t)((h.link.tx.local - 1) & h.link.tx.mask) *
			       RING_ENTRY_SIZE))->h.epoch = 10;
	}
	h_publish(&h);
	for (int i = 0; i < 200 && ring_prod_inflight(&h.link.tx); i++)
		usleep(5000);
	assert_int_equal(ring_prod_inflight(&h.link.tx), 0);
	assert_int_equal(h_reap(&h, &m, 100), 0);
	assert_int_equal(h_io(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, NULL), 0);
	h_stop(&h);
}

/* Completion ring of 8: the backend takes at most 8 commands until we consume
 * completions; then everything completes, in order, nothing lost. */
static void test_backpressure(void **state)
{
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	union msg m;

	assert_int_equal(h_start(&h, "null", &dev, 1, 8, NULL), 0);
	b = alloc_buf(&h, 4096);
	for (uint64_t t = 0; t < 8; t++)
		assert_int_equal(h_queue(&h, MSG_IO_WRITE, 0, 0, 4096, &b, 0, t), 0);
	h_publish(&h);
	/* wait until the backend took all 8 (our submission ring drained) */
	for (int i = 0; i < 200 && ring_prod_inflight(&h.link.tx); i++)
		usleep(5000);
	assert_int_equal(ring_prod_inflight(&h.link.tx), 0);
	for (uint64_t t = 8; t < 16; t++)
		assert_int_equal(h_queue(&h, MSG_IO_WRITE, 0, 0, 4096, &b, 0, t), 0);
	h_publish(&h);
	usleep(200000);
	/* its completion ring is full: it must not have taken these */
	assert_int_equal(ring_prod_inflight(&h.link.tx), 8);
	assert_int_equal(ring_cons_pending(&h.link.rx), 8);
	for (uint64_t t = 0; t < 16; t++) {
		assert_int_equal(h_reap(&h, &m, 3000), 1);
		assert_int_equal(m.h.tag, t);
		assert_int_equal(m.io_done.result, 0);
	}
	assert_int_equal(h_reap(&h, &m, 100), 0);
	h_stop(&h);
}

/* CTL_SHUTDOWN with writes in flight: all of them complete, exit status 0. */
static void test_shutdown(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b[32];
	union msg m;
	int got = 0;

	assert_int_equal(h_start(&h, "file", &dev, 1, 64, NULL), 0);
	for (int i = 0; i < 32; i++) {
		b[i] = alloc_buf(&h, 65536);
		fill(h_buf(&h, &b[i]), 65536, (uint64_t)i);
		assert_int_equal(h_queue(&h, MSG_IO_WRITE, 0, (uint64_t)i * 65536, 65536,
					 &b[i], MSG_IO_FUA, (uint64_t)i), 0);
	}
	h_publish(&h);
	assert_int_equal(ctl_send(h.ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0), 0);
	assert_int_equal(h_wait_exit(&h, 10000), 0);
	/* whatever it accepted, it completed; and it accepted all of them
	 * because they were in its ring before the shutdown */
	while (h_reap(&h, &m, 0) == 1) {
		assert_int_equal(m.io_done.result, 0);
		got++;
	}
	assert_true(got <= 32);
	for (int i = 0; i < got; i++) {
		uint8_t *want = h_buf(&h, &b[i]), tmp[65536];

		assert_int_equal(pread(dev.fd, tmp, 65536, (off_t)i * 65536), 65536);
		assert_memory_equal(tmp, want, 65536);
	}
	h_stop(&h);
	close(dev.fd);
}

/* The core is stopped before the backends: a full completion ring nobody
 * reads must not hold a shutdown up. */
static void test_shutdown_core_gone(void **state)
{
	struct h_dev dev = { .fd = temp_file(DEV_SIZE), .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	struct timespec t0, t1;

	assert_int_equal(h_start(&h, "file", &dev, 1, 8, NULL), 0);
	b = alloc_buf(&h, 4096);
	for (uint64_t t = 0; t < 16; t++)
		assert_int_equal(h_queue(&h, MSG_IO_WRITE, 0, t * 4096, 4096, &b, 0, t), 0);
	h_publish(&h);
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ctl_send(h.ctl, CTL_SHUTDOWN, NULL, 0, NULL, 0), 0);
	assert_int_equal(h_wait_exit(&h, 5000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	/* the first 8 were accepted and completed; the rest never taken */
	assert_int_equal(ring_cons_pending(&h.link.rx), 8);
	assert_int_equal(ring_prod_inflight(&h.link.tx), 8);
	h_stop(&h);
	close(dev.fd);
}

static void test_stats(void **state)
{
	struct h_dev dev = { .fd = -1, .size = DEV_SIZE };
	struct harness h;
	struct buf_handle b;
	char *s = NULL;

	assert_int_equal(h_start(&h, "null", &dev, 1, 16, NULL), 0);
	b = alloc_buf(&h, 4096);
	for (int i = 0; i < 5; i++)
		assert_int_equal(h_io(&h, MSG_IO_READ, 0, 0, 4096, &b, 0, NULL), 0);
	assert_int_equal(ctl_send(h.ctl, CTL_STATS, NULL, 0, NULL, 0), 0);
	assert_int_equal(h_ctl_expect(&h, CTL_STATS, &s, 3000), 1);
	assert_non_null(strstr(s, "\"ios\":5"));
	assert_non_null(strstr(s, "\"bytes_read\":20480"));
	free(s);
	h_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram),
		cmocka_unit_test(test_lba_status),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_unregistered),
		cmocka_unit_test(test_file_libaio),
		cmocka_unit_test(test_file_zero_by_write),
		cmocka_unit_test(test_file_short),
		cmocka_unit_test(test_two_devices),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_violations),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_shutdown_core_gone),
		cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
