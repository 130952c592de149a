/* vfio_sys_ops: the VFIO library's system calls on the running kernel, with
 * the -1/errno convention turned into negative errno. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procs/frontend-fc/vfio/vfio_ops.h"

static int sys_open(void *ctx, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	(void)ctx;
	return fd < 0 ? -errno : fd;
}

static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static int sys_mmap(void *ctx, size_t len, int prot, int fd, off_t off, void **out)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	(void)ctx;
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int sys_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	return munmap(addr, len) < 0 ? -errno : 0;
}

static ssize_t sys_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = pread(fd, buf, n, off);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static ssize_t sys_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r = pwrite(fd, buf, n, off);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static int sys_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd) < 0 ? -errno : 0;
}

const struct vfio_ops vfio_sys_ops = {
	.ctx = NULL,
	.open = sys_open,
	.ioctl = sys_ioctl,
	.mmap = sys_mmap,
	.munmap = sys_munmap,
	.pread = sys_pread,
	.pwrite = sys_pwrite,
	.close = sys_close,
};
