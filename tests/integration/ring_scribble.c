/* test-ring-scribble: a garbage-writing peer for the fault-injection tests.
 *
 *   test-ring-scribble PID RING MODE [SECONDS]
 *
 * Maps the link of process PID (its one "memfd:mtgt-link" mapping, through
 * /proc/PID/map_files: needs root) and, as if PID itself had gone mad, writes
 * into ring RING (0: A->B, 1: B->A) until PID is gone or SECONDS pass:
 *   index  publish an impossible producer tail (beyond the ring's size)
 *   entry  publish an entry with PID's epoch and a message type that does not
 *          exist
 * The consumer must notice, report a protocol violation, and the supervisor
 * must kill PID (the offender). The consumer only looks at the ring when
 * woken, so run I/O meanwhile. Exit 0 once PID is gone, 1 if it survives. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"

static int find_link(pid_t pid, char *path, size_t n)
{
	char maps[64], line[512];
	FILE *f;
	int found = -1;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (!strstr(line, "memfd:mtgt-link") || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		snprintf(path, n, "/proc/%d/map_files/%lx-%lx", (int)pid, lo, hi);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}

static bool gone(pid_t pid)
{
	char p[64], st = 0;
	FILE *f;

	if (kill(pid, 0) < 0)
		return true;
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return true;
	/* "pid (comm) S ...": a zombie is gone as far as we care */
	if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
		st = 0;
	fclose(f);
	return st == 'Z';
}

int main(int argc, char **argv)
{
	char path[128];
	struct stat sb;
	pid_t pid;
	int ring, fd, secs = argc > 4 ? atoi(argv[4]) : 10;
	bool entry;
	uint8_t *m;
	struct ring_shared *sh;
	size_t span;

	if (argc < 4 || (strcmp(argv[3], "index") && strcmp(argv[3], "entry"))) {
		fprintf(stderr, "usage: test-ring-scribble PID RING(0|1) index|entry [SECONDS]\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	ring = atoi(argv[2]);
	entry = !strcmp(argv[3], "entry");
	if (pid <= 0 || (ring != 0 && ring != 1) || secs < 1 || secs > 600)
		return 2;
	if (find_link(pid, path, sizeof(path)) < 0) {
		fprintf(stderr, "scribble: no link mapping in pid %d\n", (int)pid);
		return 2;
	}
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size < 2 * 4096) {
		fprintf(stderr, "scribble: %s: %s\n", path, strerror(errno));
		return 2;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "scribble: mmap: %s\n", strerror(errno));
		return 2;
	}
	span = (size_t)sb.st_size / 2;
	sh = (struct ring_shared *)(m + (size_t)ring * span);
	if (sh->magic != RING_MAGIC || sh->entry_count < 2 ||
	    ring_bytes(sh->entry_count) > span) {
		fprintf(stderr, "scribble: not a ring\n");
		return 2;
	}
	fprintf(stderr, "scribble: pid %d ring %d (%u entries): %s garbage\n", (int)pid, ring,
		sh->entry_count, entry ? "entry" : "index");
	for (long i = 0; i < (long)secs * 10000; i++) {
		uint32_t tail = atomic_load(&sh->tail), head = atomic_load(&sh->head);
		struct timespec ts = { 0, 100000 };

		if (gone(pid)) {
			fprintf(stderr, "scribble: pid %d is gone after %ld rounds\n", (int)pid, i);
			return 0;
		}
		if (entry) {
			union msg *last = (union msg *)(m + (size_t)ring * span + RING_HDR_SIZE +
				(size_t)((tail - 1) & (sh->entry_count - 1)) * RING_ENTRY_SIZE);
			union msg *slot = (union msg *)(m + (size_t)ring * span + RING_HDR_SIZE +
				(size_t)(tail & (sh->entry_count - 1)) * RING_ENTRY_SIZE);
			uint32_t epoch = last->h.epoch;

			if (tail - head < sh->entry_count) {
				memset(slot, 0xA5, sizeof(*slot));
				slot->h.type = 0xEE;
				slot->h.epoch = epoch;
				atomic_store(&sh->tail, tail + 1);
			}
		} else {
			atomic_store(&sh->tail, head + sh->entry_count + 7);
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "scribble: pid %d survived %d s of garbage\n", (int)pid, secs);
	return 1;
}
