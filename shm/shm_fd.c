#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/shm_fd.h"

static int shm_memfd_sealed(const char *name, uint64_t size, int seals)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int err;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_ADD_SEALS, seals) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int shm_memfd_create(const char *name, uint64_t size)
{
	return shm_memfd_sealed(name, size, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
}

int shm_memfd_create_growable(const char *name, uint64_t size)
{
	return shm_memfd_sealed(name, size, F_SEAL_SHRINK | F_SEAL_SEAL);
}

/* Free 2 MiB huge pages right now; a hugetlb mapping beyond them would fail. */
static uint64_t free_huge_2m(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	unsigned long long n = 0;

	if (f) {
		if (fscanf(f, "%llu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

int shm_memfd_create_huge(const char *name, uint64_t size)
{
	const uint64_t huge = 2ull << 20;

	if (size % huge == 0 && free_huge_2m() >= size / huge) {
		int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

		if (fd >= 0) {
			if (ftruncate(fd, (off_t)size) == 0 &&
			    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
				return fd;
			close(fd);
		}
	}
	return shm_memfd_create(name, size);
}

int shm_fd_check(int fd, uint64_t size)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EPROTO;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < size)
		return -EPROTO;
	return 0;
}
