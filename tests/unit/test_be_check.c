/* be_io_check and be_devs_parse: what a backend accepts from the core and
 * from CTL_INIT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "procs/backend-common/be.h"

#define ARENA_SIZE (1u << 20)

static uint8_t arena_mem[2][ARENA_SIZE];

static void fake_pool(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	p->narenas = 2;
	p->size = 2 * ARENA_SIZE;
	for (int i = 0; i < 2; i++) {
		p->arenas[i].offset = (uint64_t)i * ARENA_SIZE;
		p->arenas[i].size = ARENA_SIZE;
		p->arenas[i].base = arena_mem[i];
	}
}

static void fake_devs(struct be_dev *d)
{
	memset(d, 0, sizeof(*d) * 4);
	d[0] = (struct be_dev){ .index = 0, .present = true, .fd = -1,
				.size = 1ull << 30, .block_size = 512 };
	/* index 1 absent */
	d[2] = (struct be_dev){ .index = 2, .present = true, .fd = -1,
				.size = 8192, .block_size = 512 };
}

static union msg io_msg(uint8_t op, uint32_t dev, uint64_t off, uint64_t len)
{
	union msg m;

	memset(&m, 0, sizeof(m));
	m.io.h.type = MSG_IO;
	m.io.dev = dev;
	m.io.op = op;
	m.io.offset = off;
	m.io.length = len;
	m.io.buf.arena = 1;
	m.io.buf.offset = 4096;
	m.io.buf.length = (uint32_t)(len > 65536 ? 65536 : len);
	return m;
}

static int check(const union msg *m, void **buf)
{
	struct pool p;
	struct be_dev devs[4], *dev;
	const char *why = NULL;
	void *b;
	int rc;

	fake_pool(&p);
	fake_devs(devs);
	rc = be_io_check(m, devs, 4, &p, &dev, &b, &why);
	if (rc == 0) {
		assert_non_null(dev);
		assert_int_equal(dev->index, m->io.dev);
	} else {
		assert_int_equal(rc, -EPROTO);
		assert_non_null(why);
	}
	if (buf)
		*buf = b;
	return rc;
}

static void test_valid(void **state)
{
	union msg m = io_msg(MSG_IO_READ, 0, 4096, 8192);
	void *buf;

	assert_int_equal(check(&m, &buf), 0);
	assert_ptr_equal(buf, arena_mem[1] + 4096);
	m = io_msg(MSG_IO_WRITE, 2, 0, 8192);
	m.h.flags = MSG_IO_FUA;
	assert_int_equal(check(&m, NULL), 0);
	/* the last bytes of a device */
	m = io_msg(MSG_IO_WRITE, 2, 8192 - 512, 512);
	assert_int_equal(check(&m, NULL), 0);
	/* flush ignores offset and length, whatever they hold */
	m = io_msg(MSG_IO_FLUSH, 2, UINT64_MAX, UINT64_MAX);
	assert_int_equal(check(&m, &buf), 0);
	assert_null(buf);
	/* write zeroes / unmap need no buffer, even a garbage one */
	m = io_msg(MSG_IO_WRITE_ZEROES, 0, 0, 1ull << 30);
	m.io.buf.arena = 77;
	assert_int_equal(check(&m, &buf), 0);
	assert_null(buf);
	m = io_msg(MSG_IO_UNMAP, 0, 512, 1024);
	m.io.buf.reserved = 5;
	assert_int_equal(check(&m, NULL), 0);
	/* an empty read touches nothing: its handle does not matter */
	m = io_msg(MSG_IO_READ, 0, 0, 0);
	m.io.buf.arena = 99;
	assert_int_equal(check(&m, &buf), 0);
	assert_null(buf);
}

static void test_bad_type_flags_dev_op(void **state)
{
	union msg m = io_msg(MSG_IO_READ, 0, 0, 512);

	m.h.type = MSG_IO_DONE;
	assert_int_equal(check(&m, NULL), -EPROTO);
	m.h.type = MSG_CMD;
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 0, 0, 512);
	m.h.flags = 0x80;
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 1, 0, 512); /* absent */
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 4, 0, 512); /* past the table */
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, UINT32_MAX, 0, 512);
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(0, 0, 0, 512);
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_OP_MAX, 0, 0, 512);
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(255, 0, 0, 512);
	assert_int_equal(check(&m, NULL), -EPROTO);
}

static void test_range(void **state)
{
	static const uint8_t ops[] = { MSG_IO_READ, MSG_IO_WRITE, MSG_IO_WRITE_ZEROES,
				       MSG_IO_UNMAP };

	for (size_t i = 0; i < sizeof(ops); i++) {
		union msg m = io_msg(ops[i], 2, 8192 - 512, 1024);

		assert_int_equal(check(&m, NULL), -EPROTO);
		m = io_msg(ops[i], 2, 8192, 512);
		assert_int_equal(check(&m, NULL), -EPROTO);
		/* offset + length wraps to a small number */
		m = io_msg(ops[i], 2, UINT64_MAX - 511, 1024);
		assert_int_equal(check(&m, NULL), -EPROTO);
		m = io_msg(ops[i], 2, 512, UINT64_MAX);
		assert_int_equal(check(&m, NULL), -EPROTO);
		m = io_msg(ops[i], 2, 8193, 0);
		assert_int_equal(check(&m, NULL), -EPROTO);
	}
}

static void test_buffer(void **state)
{
	union msg m;

	m = io_msg(MSG_IO_READ, 0, 0, 8192);
	m.io.buf.length = 4096; /* shorter than the io */
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_WRITE, 0, 0, 8192);
	m.io.buf.arena = 2; /* no such arena */
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_WRITE, 0, 0, 8192);
	m.io.buf.reserved = 1;
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 0, 0, 8192);
	m.io.buf.offset = ARENA_SIZE - 4096; /* runs off the arena */
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 0, 0, 8192);
	m.io.buf.offset = UINT32_MAX - 100; /* offset + length wraps in 32 bits */
	m.io.buf.length = 8192;
	assert_int_equal(check(&m, NULL), -EPROTO);
	m = io_msg(MSG_IO_READ, 0, 0, 8192);
	m.io.buf.offset = ARENA_SIZE - 8192; /* exactly the end: fine */
	assert_int_equal(check(&m, NULL), 0);
}

static int parse(const char *text, struct be_dev *devs, uint32_t *n, bool needs_fd)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	const char *why = NULL;
	int rc;

	assert_non_null(j);
	rc = be_devs_parse(j, needs_fd, devs, 16, n, &why);
	if (rc)
		assert_non_null(why);
	json_decref(j);
	return rc;
}

static void test_devs(void **state)
{
	struct be_dev devs[16];
	uint32_t n;

	assert_int_equal(parse("[{\"dev\":0,\"fd\":9,\"size\":1048576,\"block_size\":512,"
			       "\"path\":\"/a\"},{\"dev\":3,\"fd\":10,\"size\":4096,"
			       "\"block_size\":4096,\"readonly\":true}]", devs, &n, true), 0);
	assert_int_equal(n, 4);
	assert_true(devs[0].present);
	assert_false(devs[1].present);
	assert_true(devs[3].present);
	assert_int_equal(devs[3].fd, 10);
	assert_true(devs[3].readonly);
	assert_false(devs[0].readonly);
	assert_string_equal(devs[0].path, "/a");
	be_devs_free(devs, n);

	assert_int_equal(parse("[{\"dev\":0,\"fd\":-1,\"size\":4096}]", devs, &n, false), 0);
	be_devs_free(devs, n);
	/* 512e on O_DIRECT; the physical block defaults to the logical one */
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":8192,\"block_size\":512,"
			       "\"physical_block_size\":4096,\"direct\":true},"
			       "{\"dev\":1,\"fd\":4,\"size\":4096}]", devs, &n, true), 0);
	assert_int_equal(devs[0].phys_block_size, 4096);
	assert_true(devs[0].direct);
	assert_int_equal(devs[1].phys_block_size, 512);
	assert_false(devs[1].direct);
	be_devs_free(devs, n);
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":8192,\"block_size\":4096,"
			       "\"physical_block_size\":512}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":8192,"
			       "\"physical_block_size\":3000}]", devs, &n, true), -EINVAL);
	/* refused */
	assert_int_equal(parse("[{\"dev\":0,\"fd\":-1,\"size\":4096}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":16,\"fd\":3,\"size\":4096}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":4095}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":0}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":0,\"fd\":3,\"size\":4096,\"block_size\":1000}]",
			       devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":-1,\"fd\":3,\"size\":4096}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[{\"dev\":1,\"fd\":3,\"size\":4096},"
			       "{\"dev\":1,\"fd\":4,\"size\":4096}]", devs, &n, true), -EINVAL);
	assert_int_equal(parse("{\"dev\":0}", devs, &n, true), -EINVAL);
	assert_int_equal(parse("[7]", devs, &n, true), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad_type_flags_dev_op),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_devs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
