/* bench-ring: what a link between two processes costs.
 *
 *   throughput, busy      one way, batches of up to 32, both ends spin
 *   throughput, sleeping  the same, but an end with nothing to do sleeps at
 *                         once on its eventfd (NEED_WAKEUP protocol)
 *   ping-pong, spin       one message there and back, both ends spin
 *   ping-pong, spin100    ~100 pause iterations, then sleep
 *   ping-pong, spin1000   ~1000 pause iterations (longer than a cross-CPU
 *                         wakeup on these VMs), then sleep
 *   ping-pong, sleep      sleep at once
 *   ping-pong, yield1000  ~1000 pauses with a sched_yield() every 16, then
 *                         sleep: a spinner that lets a peer on its CPU run
 *
 * each with the two processes left to the scheduler, pinned to the same CPU
 * and pinned to different CPUs. Every case runs for about `seconds` (default
 * 2). Usage: bench-ring [seconds] [case-filter-substring]
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/link.h"

#define ENTRIES     256u
#define BATCH       32u
#define SPIN_FOREVER UINT32_MAX
#define MAX_SAMPLES (4u << 20)
#define TAG_STOP    UINT64_MAX
#define EPOCH_A     1u
#define EPOCH_B     2u

enum place { PLACE_ANY, PLACE_SAME, PLACE_DIFF };
static const char *const place_name[] = { "any CPU", "same CPU", "diff CPUs" };

struct bench_case {
	const char *name;
	bool pingpong;
	uint32_t spin;   /* pause iterations before sleeping */
	bool yield;      /* sched_yield() every 16 pauses while spinning */
};

static const struct bench_case cases[] = {
	{ "throughput, busy",     false, SPIN_FOREVER, false },
	{ "throughput, sleeping", false, 0, false },
	{ "ping-pong, spin",      true,  SPIN_FOREVER, false },
	{ "ping-pong, spin100",   true,  100, false },
	{ "ping-pong, spin1000",  true,  1000, false },
	{ "ping-pong, sleep",     true,  0, false },
	{ "ping-pong, yield1000", true,  1000, true },
};

struct side {
	struct link l;
	uint64_t sleeps;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void sleep_on(struct side *s)
{
	struct pollfd p = { .fd = s->l.wake_self, .events = POLLIN };

	s->sleeps++;
	/* The timeout only bounds a lost wakeup; it is never reached normally. */
	if (poll(&p, 1, 1000) > 0)
		link_drain_wake(&s->l);
}

/* Wait until rx has a message. */
static bool yield_mode;

static void spin_once(uint32_t i)
{
	ring_pause();
	if (yield_mode && (i & 15) == 15)
		sched_yield();
}

static void wait_rx(struct side *s, uint32_t spin)
{
	for (uint32_t i = 0; ; i++) {
		if (ring_cons_pending(&s->l.rx))
			return;
		if (spin == SPIN_FOREVER || i < spin) {
			spin_once(i);
			continue;
		}
		if (ring_cons_prepare_sleep(&s->l.rx))
			sleep_on(s);
		ring_cons_end_sleep(&s->l.rx);
		i = 0;
	}
}

/* Wait until tx has room. */
static void wait_tx(struct side *s, uint32_t spin)
{
	for (uint32_t i = 0; ; i++) {
		if (ring_prod_inflight(&s->l.tx) < s->l.tx.count)
			return;
		if (spin == SPIN_FOREVER || i < spin) {
			spin_once(i);
			continue;
		}
		if (ring_prod_prepare_wait(&s->l.tx))
			sleep_on(s);
		ring_prod_end_wait(&s->l.tx);
		i = 0;
	}
}

static void send_one(struct side *s, uint32_t spin, uint64_t tag)
{
	union msg *m;
	int err;

	while (!(m = ring_prod_reserve(&s->l.tx, &err)))
		wait_tx(s, spin);
	m->h.type = MSG_IO;
	m->h.tag = tag;
	ring_prod_push(&s->l.tx);
	ring_prod_publish(&s->l.tx);
}

static uint64_t recv_one(struct side *s, uint32_t spin)
{
	union msg m;

	while (ring_cons_pop(&s->l.rx, &m) != 1)
		wait_rx(s, spin);
	ring_cons_release(&s->l.rx);
	return m.h.tag;
}

/* ---- side B (child) ---- */

static void serve(struct side *s, const struct bench_case *c)
{
	if (c->pingpong) {
		for (;;) {
			uint64_t t = recv_one(s, c->spin);

			send_one(s, c->spin, t);
			if (t == TAG_STOP)
				return;
		}
	}
	for (uint64_t expect = 0; ; ) {
		union msg m;
		uint32_t n = 0;
		int rc;

		while (n < BATCH && (rc = ring_cons_pop(&s->l.rx, &m)) == 1) {
			n++;
			if (m.h.tag == TAG_STOP) {
				ring_cons_release(&s->l.rx);
				send_one(s, c->spin, expect);
				return;
			}
			if (m.h.tag != expect) {
				fprintf(stderr, "bench-ring: order broken at %llu\n",
					(unsigned long long)expect);
				_exit(1);
			}
			expect++;
		}
		if (n)
			ring_cons_release(&s->l.rx);
		else
			wait_rx(s, c->spin);
	}
}

/* ---- side A (parent) ---- */

struct result {
	double rate;        /* messages per second (throughput) */
	double p50, p99;    /* microseconds (ping-pong) */
	uint64_t n;
	uint64_t sleeps_a;
	double secs;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void drive(struct side *s, const struct bench_case *c, double secs, struct result *r)
{
	double t0 = now(), end = t0 + secs;

	if (c->pingpong) {
		double *lat = malloc(sizeof(double) * MAX_SAMPLES);
		uint64_t n = 0;

		while (n < MAX_SAMPLES) {
			double a = now();

			send_one(s, c->spin, n);
			if (recv_one(s, c->spin) != n) {
				fprintf(stderr, "bench-ring: ping-pong out of step\n");
				exit(1);
			}
			double b = now();

			lat[n++] = (b - a) * 1e6;
			if (b >= end)
				break;
		}
		send_one(s, c->spin, TAG_STOP);
		recv_one(s, c->spin);
		qsort(lat, n, sizeof(double), cmp_double);
		r->n = n;
		r->p50 = lat[n / 2];
		r->p99 = lat[(n * 99) / 100];
		r->secs = now() - t0;
		free(lat);
		return;
	}
	uint64_t seq = 0;

	for (;;) {
		uint32_t n = 0;
		union msg *m;
		int err;

		/* check the clock once per batch, not per message */
		if ((seq & 1023) < BATCH && now() >= end)
			break;
		while (n < BATCH && (m = ring_prod_reserve(&s->l.tx, &err))) {
			m->h.type = MSG_IO;
			m->h.tag = seq++;
			ring_prod_push(&s->l.tx);
			n++;
		}
		if (n)
			ring_prod_publish(&s->l.tx);
		else
			wait_tx(s, c->spin);
	}
	send_one(s, c->spin, TAG_STOP);
	if (recv_one(s, c->spin) != seq) {
		fprintf(stderr, "bench-ring: consumer saw a different count\n");
		exit(1);
	}
	r->secs = now() - t0;
	r->n = seq;
	r->rate = (double)seq / r->secs;
}

static int run_case(const struct bench_case *c, enum place pl, double secs, struct result *r)
{
	int memfd, efd_a, efd_b, st;
	int cpu_a = pl == PLACE_ANY ? -1 : 0;
	int cpu_b = pl == PLACE_ANY ? -1 : pl == PLACE_SAME ? 0 : 1;
	struct side a = { 0 };
	size_t len;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	yield_mode = c->yield;
	if (link_create(ENTRIES, EPOCH_A, EPOCH_B, &memfd, &len))
		return -1;
	efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct side b = { 0 };

		alarm((unsigned)secs + 20); /* never outlive a broken parent */
		if (pin(cpu_b) ||
		    link_attach(&b.l, 0, memfd, len, LINK_SIDE_B, efd_b, efd_a, EPOCH_B, EPOCH_A))
			_exit(2);
		serve(&b, c);
		_exit(0);
	}
	/* a bounded run even if the child dies: its ring just stops */
	if (pin(cpu_a) ||
	    link_attach(&a.l, 0, memfd, len, LINK_SIDE_A, efd_a, efd_b, EPOCH_A, EPOCH_B)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	drive(&a, c, secs, r);
	r->sleeps_a = a.sleeps;
	waitpid(pid, &st, 0);
	link_detach(&a.l);
	close(memfd);
	close(efd_a);
	close(efd_b);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	const char *filter = argc > 2 ? argv[2] : NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t all;

	if (secs <= 0 || secs > 60)
		secs = 2.0;
	sched_getaffinity(0, sizeof(all), &all);
	printf("bench-ring: %u-entry link, batches of %u, %.1f s per case, %ld CPUs\n\n",
	       ENTRIES, BATCH, secs, ncpu);
	printf("%-22s %-10s %14s %10s %10s %12s\n", "case", "placement", "msgs/s",
	       "p50 us", "p99 us", "samples");
	printf("%-22s %-10s %14s %10s %10s %12s\n", "----", "---------", "------",
	       "------", "------", "-------");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int pl = PLACE_ANY; pl <= PLACE_DIFF; pl++) {
			struct result r;
			char rate[32] = "-", p50[32] = "-", p99[32] = "-";

			if (filter && !strstr(cases[i].name, filter))
				continue;
			if (pl == PLACE_DIFF && ncpu < 2)
				continue;
			int rc = run_case(&cases[i], (enum place)pl, secs, &r);

			sched_setaffinity(0, sizeof(all), &all);
			if (rc) {
				printf("%-22s %-10s   failed\n", cases[i].name, place_name[pl]);
				continue;
			}
			if (cases[i].pingpong) {
				snprintf(p50, sizeof(p50), "%.2f", r.p50);
				snprintf(p99, sizeof(p99), "%.2f", r.p99);
				snprintf(rate, sizeof(rate), "%.0f", (double)r.n / r.secs);
			} else {
				snprintf(rate, sizeof(rate), "%.0f", r.rate);
			}
			printf("%-22s %-10s %14s %10s %10s %12llu\n", cases[i].name,
			       place_name[pl], rate, p50, p99, (unsigned long long)r.n);
			fflush(stdout);
		}
	}
	printf("\nping-pong msgs/s counts round trips; latencies are round trips.\n");
	return 0;
}
