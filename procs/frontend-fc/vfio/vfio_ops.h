/* The system calls the VFIO library makes, as a table, so that unit tests can
 * put a fake VFIO layer (container, group, device, IOMMU) in place of the
 * kernel. Every entry returns a negative errno on failure, never -1 + errno:
 * the fake does not have to touch errno. Eventfds for MSI-X are real in both
 * cases (the fake is handed them and writes to them). */
#ifndef MTGT_FC_VFIO_OPS_H
#define MTGT_FC_VFIO_OPS_H

#include <stddef.h>
#include <sys/types.h>

struct vfio_ops {
	void *ctx;
	/* fd or -errno */
	int (*open)(void *ctx, const char *path, int flags);
	/* ioctl's return value (>= 0) or -errno */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	/* 0 and *out, or -errno; always a shared mapping chosen by the kernel */
	int (*mmap)(void *ctx, size_t len, int prot, int fd, off_t off, void **out);
	int (*munmap)(void *ctx, void *addr, size_t len);
	/* bytes moved or -errno */
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, off_t off);
	int (*close)(void *ctx, int fd);
};

/* The real thing: open(2), ioctl(2), mmap(2), ... on the running kernel. */
extern const struct vfio_ops vfio_sys_ops;

#endif
