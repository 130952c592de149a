/* Two processes, one small link, tens of millions of messages.
 *
 * The parent produces sequence-numbered messages in random batches on ring
 * A->B; the child consumes them in random batches, checks order, payload and
 * that nothing is lost or repeated, and echoes every 64th message back on ring
 * B->A so the reverse direction carries traffic too. Both sides switch between
 * spinning and sleeping on their eventfd (NEED_WAKEUP protocol) every few
 * hundred thousand messages, so the blocking paths run millions of times. A
 * lost wakeup shows up as a poll() that times out, which fails the test
 * instead of hanging it.
 *
 * MTGT_RING_STRESS_N overrides the message count (default 20 million).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "shm/link.h"

#define ENTRIES      64u
#define EPOCH_A      101u
#define EPOCH_B      202u
#define PHASE        (1u << 18)     /* messages per spin/sleep phase */
#define ECHO_EVERY   64u
#define LOST_WAKEUP_MS 5000

struct side_stats {
	uint64_t msgs;
	uint64_t sleeps;       /* blocked in poll() on our eventfd */
	uint64_t batches;
	uint64_t echoes;
	uint64_t errors;
	uint64_t wakeups_tx;   /* eventfd writes by our producer end */
	uint64_t wakeups_rx;   /* eventfd writes by our consumer end (releases) */
	char     what[96];
};

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t stress_count(void)
{
	const char *e = getenv("MTGT_RING_STRESS_N");

	return e ? strtoull(e, NULL, 0) : 20000000ull;
}

/* Spin budget for the phase a message number falls in: 0 = sleep at once. */
static uint32_t phase_spin(uint64_t seq, uint32_t salt)
{
	static const uint32_t spins[] = { 0, 20000, 200, 0, 20000, 50 };

	return spins[((seq / PHASE) + salt) % (sizeof(spins) / sizeof(spins[0]))];
}

static void fill_msg(union msg *m, uint64_t seq)
{
	m->h.type = MSG_IO;
	m->h.tag = seq;
	memcpy(m->raw + 64, &seq, 8);
	uint64_t inv = ~seq * 0x9e3779b97f4a7c15ull;
	memcpy(m->raw + RING_ENTRY_SIZE - 8, &inv, 8);
}

static bool check_msg(const union msg *m, uint64_t seq, uint32_t epoch)
{
	uint64_t a, b;

	memcpy(&a, m->raw + 64, 8);
	memcpy(&b, m->raw + RING_ENTRY_SIZE - 8, 8);
	return m->h.type == MSG_IO && m->h.epoch == epoch && m->h.tag == seq &&
	       a == seq && b == ~seq * 0x9e3779b97f4a7c15ull;
}

/* Block until our eventfd fires; false if it never does (a lost wakeup). */
static bool wait_wake(struct link *l, struct side_stats *st)
{
	struct pollfd p = { .fd = l->wake_self, .events = POLLIN };
	int n;

	st->sleeps++;
	do {
		n = poll(&p, 1, LOST_WAKEUP_MS);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		snprintf(st->what, sizeof(st->what), "lost wakeup after %llu messages",
			 (unsigned long long)st->msgs);
		return false;
	}
	link_drain_wake(l);
	return true;
}

/* Child: consume everything, echo every ECHO_EVERY-th message. */
static void consumer(struct link *l, uint64_t n, struct side_stats *st)
{
	uint64_t rs = 0x1234567, expect = 0;
	uint32_t idle = 0, echo_pending = 0;
	uint64_t echo_next = 0;

	while (expect < n) {
		uint32_t batch = 1 + (uint32_t)(xs(&rs) % 48), got = 0;
		union msg m;

		while (got < batch) {
			int rc = ring_cons_pop(&l->rx, &m);

			if (rc == 0)
				break;
			if (rc < 0 || !check_msg(&m, expect, EPOCH_A)) {
				snprintf(st->what, sizeof(st->what),
					 "rc %d: got seq %llu, expected %llu", rc,
					 (unsigned long long)m.h.tag,
					 (unsigned long long)expect);
				st->errors++;
				return;
			}
			if (expect % ECHO_EVERY == 0)
				echo_pending++;
			expect++;
			got++;
		}
		/* Echoes: as many as fit; the rest wait for space. */
		while (echo_pending) {
			int err;
			union msg *e = ring_prod_reserve(&l->tx, &err);

			if (!e) {
				if (err) {
					snprintf(st->what, sizeof(st->what), "bad head from peer");
					st->errors++;
					return;
				}
				break;
			}
			fill_msg(e, echo_next++);
			ring_prod_push(&l->tx);
			echo_pending--;
			st->echoes++;
		}
		ring_prod_publish(&l->tx);
		if (got) {
			ring_cons_release(&l->rx);
			st->batches++;
			idle = 0;
			continue;
		}
		if (idle++ < phase_spin(expect, 1)) {
			ring_pause();
			continue;
		}
		idle = 0;
		/* Sleep on whatever blocks us: an empty rx, and a full tx if
		 * echoes are waiting. */
		bool rx_ok = ring_cons_prepare_sleep(&l->rx);
		bool tx_armed = echo_pending != 0, tx_ok = true;

		if (tx_armed)
			tx_ok = ring_prod_prepare_wait(&l->tx);
		if (rx_ok && tx_ok && !wait_wake(l, st)) {
			st->errors++;
			return;
		}
		ring_cons_end_sleep(&l->rx);
		if (tx_armed)
			ring_prod_end_wait(&l->tx);
	}
	/* Flush the remaining echoes. */
	while (echo_pending) {
		int err;
		union msg *e = ring_prod_reserve(&l->tx, &err);

		if (!e) {
			if (err || (ring_prod_prepare_wait(&l->tx) && !wait_wake(l, st))) {
				st->errors++;
				return;
			}
			ring_prod_end_wait(&l->tx);
			continue;
		}
		fill_msg(e, echo_next++);
		ring_prod_push(&l->tx);
		ring_prod_publish(&l->tx);
		echo_pending--;
		st->echoes++;
	}
	st->msgs = expect;
}

/* Parent: produce n messages, consume the echoes. */
static void producer(struct link *l, uint64_t n, struct side_stats *st)
{
	uint64_t rs = 0x7654321, seq = 0, echo_expect = 0, echo_total = (n + ECHO_EVERY - 1) / ECHO_EVERY;
	uint32_t idle = 0;

	while (seq < n || echo_expect < echo_total) {
		uint32_t batch = 1 + (uint32_t)(xs(&rs) % 48), pushed = 0;
		bool moved = false;
		union msg m;
		int rc;

		while (pushed < batch && seq < n) {
			int err;
			union msg *e = ring_prod_reserve(&l->tx, &err);

			if (!e) {
				if (err) {
					snprintf(st->what, sizeof(st->what), "bad head from peer");
					st->errors++;
					return;
				}
				break;
			}
			fill_msg(e, seq++);
			ring_prod_push(&l->tx);
			pushed++;
		}
		if (pushed) {
			ring_prod_publish(&l->tx);
			st->batches++;
			moved = true;
		}
		while ((rc = ring_cons_pop(&l->rx, &m)) == 1) {
			if (!check_msg(&m, echo_expect, EPOCH_B)) {
				snprintf(st->what, sizeof(st->what), "bad echo %llu",
					 (unsigned long long)echo_expect);
				st->errors++;
				return;
			}
			echo_expect++;
			moved = true;
		}
		if (rc < 0) {
			snprintf(st->what, sizeof(st->what), "bad tail from peer");
			st->errors++;
			return;
		}
		ring_cons_release(&l->rx);
		if (moved) {
			idle = 0;
			continue;
		}
		if (idle++ < phase_spin(seq, 0)) {
			ring_pause();
			continue;
		}
		idle = 0;
		bool tx_armed = seq < n, tx_ok = true, rx_ok;

		if (tx_armed)
			tx_ok = ring_prod_prepare_wait(&l->tx);
		rx_ok = ring_cons_prepare_sleep(&l->rx);
		if (tx_ok && rx_ok && !wait_wake(l, st)) {
			st->errors++;
			return;
		}
		ring_cons_end_sleep(&l->rx);
		if (tx_armed)
			ring_prod_end_wait(&l->tx);
	}
	st->msgs = seq;
	st->echoes = echo_expect;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_two_process_stress(void **state)
{
	uint64_t n = stress_count();
	int memfd, efd_a, efd_b, pipefd[2], status;
	struct side_stats pst = { 0 }, cst = { 0 };
	struct link la;
	size_t len;
	double t0;
	pid_t pid;

	assert_int_equal(link_create(ENTRIES, EPOCH_A, EPOCH_B, &memfd, &len), 0);
	efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(efd_a >= 0 && efd_b >= 0);
	assert_int_equal(pipe(pipefd), 0);
	t0 = now_s();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct link lb;

		alarm(120); /* a bug must not leave a process behind */
		if (link_attach(&lb, 0, memfd, len, LINK_SIDE_B, efd_b, efd_a, EPOCH_B,
				EPOCH_A))
			_exit(2);
		consumer(&lb, n, &cst);
		cst.wakeups_tx = lb.tx.wakeups;
		cst.wakeups_rx = lb.rx.wakeups;
		if (write(pipefd[1], &cst, sizeof(cst)) != sizeof(cst))
			_exit(3);
		_exit(cst.errors ? 1 : 0);
	}
	close(pipefd[1]);
	assert_int_equal(link_attach(&la, 0, memfd, len, LINK_SIDE_A, efd_a, efd_b, EPOCH_A,
				     EPOCH_B), 0);
	producer(&la, n, &pst);
	if (pst.errors)
		kill(pid, SIGKILL);
	assert_int_equal(read(pipefd[0], &cst, sizeof(cst)) == sizeof(cst) || pst.errors, 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	double dt = now_s() - t0;

	pst.wakeups_tx = la.tx.wakeups;
	pst.wakeups_rx = la.rx.wakeups;
	printf("ring stress: %llu messages (+%llu echoes) through %u entries in %.2f s "
	       "(%.1f M msg/s)\n", (unsigned long long)n, (unsigned long long)pst.echoes,
	       ENTRIES, dt, (double)n / dt / 1e6);
	printf("  producer: %llu batches, %llu sleeps, %llu wakeups sent (publish) + %llu (release)\n",
	       (unsigned long long)pst.batches, (unsigned long long)pst.sleeps,
	       (unsigned long long)pst.wakeups_tx, (unsigned long long)pst.wakeups_rx);
	printf("  consumer: %llu batches, %llu sleeps, %llu wakeups sent (publish) + %llu (release)\n",
	       (unsigned long long)cst.batches, (unsigned long long)cst.sleeps,
	       (unsigned long long)cst.wakeups_tx, (unsigned long long)cst.wakeups_rx);
	if (pst.errors)
		fail_msg("producer: %s", pst.what);
	if (cst.errors)
		fail_msg("consumer: %s", cst.what);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(cst.msgs, n);
	assert_int_equal(pst.echoes, (n + ECHO_EVERY - 1) / ECHO_EVERY);
	/* The blocking paths really ran, both ways. */
	if (n >= 4 * PHASE) {
		assert_true(pst.sleeps > 0 && cst.sleeps > 0);
		assert_true(la.rx.wakeups > 0 || la.tx.wakeups > 0);
		assert_true(cst.wakeups_rx > 0 || cst.wakeups_tx > 0);
	}
	assert_int_equal(la.rx.stale, 0);
	link_detach(&la);
	close(memfd);
	close(efd_a);
	close(efd_b);
	close(pipefd[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_process_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
