/* The VFIO container, the IOMMU group and the device: opening them in the
 * order the kernel requires, reading what the device offers, and taking it
 * all down again in reverse (see vfio_dev.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/vfio/vfio_dev.h"
#include "procs/frontend-fc/vfio/vfio_internal.h"

int vfio_fail(struct vfio_dev *d, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(d->err) - 2 && rc < 0)
		snprintf(d->err + n, sizeof(d->err) - (size_t)n, ": %s", strerror(-rc));
	return rc;
}

void vfio_dev_init(struct vfio_dev *d, const struct vfio_ops *ops)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops ? ops : &vfio_sys_ops;
	d->container_fd = d->group_fd = d->device_fd = -1;
	for (unsigned i = 0; i < VFIO_MSIX_MAX; i++)
		d->msix_fd[i] = -1;
	d->req_fd = -1;
}

static int xioctl(struct vfio_dev *d, int fd, unsigned long req, void *arg)
{
	return d->ops->ioctl(d->ops->ctx, fd, req, arg);
}

static int open_container(struct vfio_dev *d)
{
	int fd, rc;

	fd = d->ops->open(d->ops->ctx, "/dev/vfio/vfio", O_RDWR);
	if (fd < 0)
		return vfio_fail(d, fd, "open /dev/vfio/vfio (is the vfio module loaded?)");
	d->container_fd = fd;
	rc = xioctl(d, fd, VFIO_GET_API_VERSION, NULL);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_GET_API_VERSION");
	if (rc != VFIO_API_VERSION)
		return vfio_fail(d, -EPROTO, "VFIO API version %d, this library speaks %d",
				 rc, VFIO_API_VERSION);
	/* v2 semantics (unmap returns what was unmapped, no partial unmaps of a
	 * mapping) are what we rely on; plain type 1 works for our use too. */
	rc = xioctl(d, fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (rc > 0) {
		d->iommu_type = VFIO_TYPE1v2_IOMMU;
		return 0;
	}
	rc = xioctl(d, fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1_IOMMU);
	if (rc > 0) {
		d->iommu_type = VFIO_TYPE1_IOMMU;
		return 0;
	}
	return vfio_fail(d, rc < 0 ? rc : -ENODEV,
			 "the VFIO container offers no type-1 IOMMU (is the IOMMU enabled?)");
}

static int open_group(struct vfio_dev *d, uint32_t group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int fd, rc;

	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	fd = d->ops->open(d->ops->ctx, path, O_RDWR);
	if (fd < 0)
		return vfio_fail(d, fd, "open %s (is %s bound to vfio-pci? see mtgt-bind-vfio)",
				 path, d->addr);
	d->group_fd = fd;
	d->group = group;
	rc = xioctl(d, fd, VFIO_GROUP_GET_STATUS, &st);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_GROUP_GET_STATUS on group %u", group);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return vfio_fail(d, -EBUSY, "IOMMU group %u is not viable: every device in it must "
				 "be bound to vfio-pci or to no driver", group);
	rc = xioctl(d, fd, VFIO_GROUP_SET_CONTAINER, &d->container_fd);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_GROUP_SET_CONTAINER (group %u)", group);
	d->group_attached = true;
	rc = xioctl(d, d->container_fd, VFIO_SET_IOMMU, (void *)(uintptr_t)d->iommu_type);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_SET_IOMMU type %u", d->iommu_type);
	return vfio_iommu_probe(d);
}

static int read_regions(struct vfio_dev *d)
{
	for (uint32_t i = 0; i < VFIO_NBARS; i++) {
		int rc = vfio_bar_info(d, i);

		if (rc)
			return rc;
	}
	struct vfio_region_info ci = { .argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	int rc = xioctl(d, d->device_fd, VFIO_DEVICE_GET_REGION_INFO, &ci);

	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_DEVICE_GET_REGION_INFO config space");
	/* a PCI function has at least the 64-byte type-0 header */
	if (ci.size < 64 || !(ci.flags & VFIO_REGION_INFO_FLAG_READ))
		return vfio_fail(d, -EPROTO, "config space region of %llu bytes, flags %#x",
				 (unsigned long long)ci.size, ci.flags);
	d->cfg_offset = ci.offset;
	d->cfg_size = ci.size;
	return 0;
}

static int read_msix_info(struct vfio_dev *d)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	int rc;

	d->msix_max = 0;
	if (d->num_irqs <= VFIO_PCI_MSIX_IRQ_INDEX)
		return 0;
	rc = xioctl(d, d->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_DEVICE_GET_IRQ_INFO MSI-X");
	if (ii.count && !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
		return vfio_fail(d, -EPROTO, "MSI-X vectors cannot signal eventfds");
	/* MSI-X allows 2048 vectors; we keep at most VFIO_MSIX_MAX */
	d->msix_max = ii.count > VFIO_MSIX_MAX ? VFIO_MSIX_MAX : ii.count;
	d->has_req = false;
	if (d->num_irqs > VFIO_PCI_REQ_IRQ_INDEX) {
		struct vfio_irq_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_REQ_IRQ_INDEX };

		rc = xioctl(d, d->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &ri);
		if (rc < 0)
			return vfio_fail(d, rc, "VFIO_DEVICE_GET_IRQ_INFO device request");
		d->has_req = ri.count == 1 && (ri.flags & VFIO_IRQ_INFO_EVENTFD);
	}
	return 0;
}

static int open_device(struct vfio_dev *d)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	uint16_t ids[2];
	int fd, rc;

	fd = xioctl(d, d->group_fd, VFIO_GROUP_GET_DEVICE_FD, d->addr);
	if (fd < 0)
		return vfio_fail(d, fd, "VFIO_GROUP_GET_DEVICE_FD %s (group %u)", d->addr, d->group);
	d->device_fd = fd;
	rc = xioctl(d, fd, VFIO_DEVICE_GET_INFO, &di);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_DEVICE_GET_INFO %s", d->addr);
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI))
		return vfio_fail(d, -ENODEV, "%s is not a PCI device (flags %#x)", d->addr, di.flags);
	if (di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		return vfio_fail(d, -EPROTO, "%s has %u regions, a PCI device has at least %u",
				 d->addr, di.num_regions, VFIO_PCI_CONFIG_REGION_INDEX + 1);
	d->dev_flags = di.flags;
	d->num_regions = di.num_regions;
	d->num_irqs = di.num_irqs;
	rc = read_regions(d);
	if (rc)
		return rc;
	rc = read_msix_info(d);
	if (rc)
		return rc;
	rc = vfio_cfg_read(d, 0, ids, sizeof(ids));
	if (rc)
		return rc;
	d->vendor = ids[0];   /* config space is little-endian, as is every host we build for */
	d->device = ids[1];
	if (d->vendor == 0xffff)
		return vfio_fail(d, -ENODEV, "%s answers config reads with all ones (gone?)", d->addr);
	return 0;
}

int vfio_dev_open(struct vfio_dev *d, const char *addr, uint32_t group)
{
	int rc;

	if (d->container_fd >= 0 || d->group_fd >= 0 || d->device_fd >= 0)
		return vfio_fail(d, -EALREADY, "already open");
	rc = vfio_pci_addr_parse(addr, d->addr);
	if (rc)
		return vfio_fail(d, rc, "bad PCI address \"%.32s\" (want dddd:bb:dd.f)", addr ? addr : "");
	rc = open_container(d);
	if (!rc)
		rc = open_group(d, group);
	if (!rc)
		rc = open_device(d);
	if (rc) {
		char why[sizeof(d->err)];

		memcpy(why, d->err, sizeof(why));
		vfio_dev_close(d);
		memcpy(d->err, why, sizeof(why));
	}
	return rc;
}

void vfio_dev_close(struct vfio_dev *d)
{
	vfio_req_disable(d);
	vfio_msix_disable(d);
	for (unsigned i = 0; i < VFIO_NBARS; i++)
		vfio_bar_unmap(d, i);
	/* while the group is in the container the IOMMU is still set */
	vfio_dma_unmap_all(d);
	if (d->device_fd >= 0) {
		d->ops->close(d->ops->ctx, d->device_fd);
		d->device_fd = -1;
	}
	/* the kernel refuses this while a device fd is open */
	if (d->group_attached) {
		xioctl(d, d->group_fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		d->group_attached = false;
	}
	if (d->group_fd >= 0) {
		d->ops->close(d->ops->ctx, d->group_fd);
		d->group_fd = -1;
	}
	if (d->container_fd >= 0) {
		d->ops->close(d->ops->ctx, d->container_fd);
		d->container_fd = -1;
	}
	d->niova = 0;
	d->msix_max = 0;
	d->has_req = false;
}

int vfio_dev_reset(struct vfio_dev *d)
{
	int rc;

	if (d->device_fd < 0)
		return vfio_fail(d, -EBADF, "device not open");
	if (!(d->dev_flags & VFIO_DEVICE_FLAGS_RESET))
		return vfio_fail(d, -ENOTSUP, "%s offers no reset through VFIO", d->addr);
	rc = xioctl(d, d->device_fd, VFIO_DEVICE_RESET, NULL);
	return rc < 0 ? vfio_fail(d, rc, "VFIO_DEVICE_RESET %s", d->addr) : 0;
}
