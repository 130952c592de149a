/* MSI-X vectors as eventfds: VFIO_DEVICE_SET_IRQS with DATA_EVENTFD |
 * ACTION_TRIGGER hands the kernel one eventfd per vector; an interrupt makes
 * that eventfd readable, so an event loop waits on interrupts like on any fd.
 * The device-request "interrupt" works the same way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/vfio/vfio_dev.h"

static int set_irqs(struct vfio_dev *d, uint32_t index, uint32_t flags, uint32_t count,
		    const int *fds)
{
	size_t len = sizeof(struct vfio_irq_set) + (size_t)count * sizeof(int32_t);
	struct vfio_irq_set *s = calloc(1, len);
	int rc;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)len;
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	for (uint32_t i = 0; i < count; i++) {
		int32_t fd = fds[i];

		memcpy(s->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	rc = d->ops->ioctl(d->ops->ctx, d->device_fd, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return rc < 0 ? rc : 0;
}

static void close_fds(struct vfio_dev *d)
{
	for (uint32_t i = 0; i < VFIO_MSIX_MAX; i++)
		if (d->msix_fd[i] >= 0) {
			close(d->msix_fd[i]);
			d->msix_fd[i] = -1;
		}
	d->nmsix = 0;
}

int vfio_msix_enable(struct vfio_dev *d, uint32_t n)
{
	int rc;

	if (d->device_fd < 0)
		return vfio_fail(d, -EBADF, "device not open");
	if (d->nmsix)
		return vfio_fail(d, -EALREADY, "MSI-X already enabled (%u vectors)", d->nmsix);
	if (!n || n > d->msix_max)
		return vfio_fail(d, -EINVAL, "%u MSI-X vectors asked, %s offers %u", n, d->addr,
				 d->msix_max);
	for (uint32_t i = 0; i < n; i++) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (fd < 0) {
			rc = -errno;
			close_fds(d);
			return vfio_fail(d, rc, "eventfd for MSI-X vector %u", i);
		}
		d->msix_fd[i] = fd;
	}
	rc = set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      n, d->msix_fd);
	if (rc) {
		close_fds(d);
		return vfio_fail(d, rc, "VFIO_DEVICE_SET_IRQS: MSI-X with %u vectors", n);
	}
	d->nmsix = n;
	return 0;
}

void vfio_msix_disable(struct vfio_dev *d)
{
	if (!d->nmsix)
		return;
	/* count 0 with DATA_NONE turns the whole index off; the eventfds are
	 * ours to close only once the kernel has let go of them */
	if (d->device_fd >= 0)
		set_irqs(d, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			 0, NULL);
	close_fds(d);
}

int vfio_msix_fd(const struct vfio_dev *d, uint32_t vec)
{
	return vec < d->nmsix ? d->msix_fd[vec] : -EINVAL;
}

int vfio_req_enable(struct vfio_dev *d)
{
	int fd, rc;

	if (d->device_fd < 0)
		return vfio_fail(d, -EBADF, "device not open");
	if (!d->has_req)
		return vfio_fail(d, -ENOTSUP, "%s offers no device-request interrupt", d->addr);
	if (d->req_fd >= 0)
		return 0;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return vfio_fail(d, -errno, "eventfd for the device request");
	rc = set_irqs(d, VFIO_PCI_REQ_IRQ_INDEX,
		      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, &fd);
	if (rc) {
		close(fd);
		return vfio_fail(d, rc, "VFIO_DEVICE_SET_IRQS: device request");
	}
	d->req_fd = fd;
	return 0;
}

void vfio_req_disable(struct vfio_dev *d)
{
	if (d->req_fd < 0)
		return;
	if (d->device_fd >= 0)
		set_irqs(d, VFIO_PCI_REQ_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
	close(d->req_fd);
	d->req_fd = -1;
}
