/* Device regions: BARs mapped into our address space when the kernel allows
 * it (VFIO_REGION_INFO_FLAG_MMAP), else reached with pread/pwrite on the
 * device fd at the region's offset; PCI config space always by pread/pwrite
 * (vfio-pci virtualizes parts of it). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/vfio/vfio_dev.h"

static int bar_get(struct vfio_dev *d, unsigned bar, struct vfio_bar **out)
{
	if (d->device_fd < 0)
		return vfio_fail(d, -EBADF, "device not open");
	if (bar >= VFIO_NBARS || !d->bars[bar].size)
		return vfio_fail(d, -ENOENT, "%s has no BAR%u", d->addr, bar);
	*out = &d->bars[bar];
	return 0;
}

int vfio_bar_map(struct vfio_dev *d, unsigned bar)
{
	struct vfio_bar *b = NULL;
	long page = sysconf(_SC_PAGESIZE);
	int prot = 0, rc = bar_get(d, bar, &b);
	void *p;

	if (rc)
		return rc;
	if (b->map)
		return 0;
	/* Not mmap-capable (I/O port BARs, BARs smaller than a page): the
	 * register accessors fall back to pread/pwrite. */
	if (!(b->flags & VFIO_REGION_INFO_FLAG_MMAP) || b->size % (uint64_t)page)
		return 0;
	if (b->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (b->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	if (b->size > SIZE_MAX || b->offset > (uint64_t)INT64_MAX)
		return vfio_fail(d, -EOVERFLOW, "BAR%u of %llu bytes", bar, (unsigned long long)b->size);
	rc = d->ops->mmap(d->ops->ctx, (size_t)b->size, prot, d->device_fd, (off_t)b->offset, &p);
	if (rc < 0)
		return vfio_fail(d, rc, "mmap BAR%u of %s (%llu bytes)", bar, d->addr,
				 (unsigned long long)b->size);
	b->map = p;
	return 0;
}

void vfio_bar_unmap(struct vfio_dev *d, unsigned bar)
{
	struct vfio_bar *b = NULL;

	if (bar >= VFIO_NBARS)
		return;
	b = &d->bars[bar];
	if (b->map) {
		d->ops->munmap(d->ops->ctx, b->map, (size_t)b->size);
		b->map = NULL;
	}
}

static int bar_check(struct vfio_dev *d, unsigned bar, uint64_t off, struct vfio_bar **out)
{
	struct vfio_bar *b = NULL;
	int rc = bar_get(d, bar, &b);

	if (rc)
		return rc;
	/* 32-bit registers: aligned, inside the BAR */
	if (off % 4 || off > b->size || b->size - off < 4)
		return vfio_fail(d, -EINVAL, "BAR%u offset %#llx outside or unaligned (size %#llx)",
				 bar, (unsigned long long)off, (unsigned long long)b->size);
	*out = b;
	return 0;
}

int vfio_bar_read32(struct vfio_dev *d, unsigned bar, uint64_t off, uint32_t *v)
{
	struct vfio_bar *b = NULL;
	ssize_t n;
	int rc = bar_check(d, bar, off, &b);

	if (rc)
		return rc;
	if (b->map) {
		*v = *(volatile uint32_t *)((uint8_t *)b->map + off);
		return 0;
	}
	n = d->ops->pread(d->ops->ctx, d->device_fd, v, 4, (off_t)(b->offset + off));
	if (n != 4)
		return vfio_fail(d, n < 0 ? (int)n : -EIO, "read BAR%u+%#llx", bar, (unsigned long long)off);
	return 0;
}

int vfio_bar_write32(struct vfio_dev *d, unsigned bar, uint64_t off, uint32_t v)
{
	struct vfio_bar *b = NULL;
	ssize_t n;
	int rc = bar_check(d, bar, off, &b);

	if (rc)
		return rc;
	if (b->map) {
		*(volatile uint32_t *)((uint8_t *)b->map + off) = v;
		return 0;
	}
	n = d->ops->pwrite(d->ops->ctx, d->device_fd, &v, 4, (off_t)(b->offset + off));
	if (n != 4)
		return vfio_fail(d, n < 0 ? (int)n : -EIO, "write BAR%u+%#llx", bar, (unsigned long long)off);
	return 0;
}

static int cfg_check(struct vfio_dev *d, uint32_t off, uint32_t len)
{
	if (d->device_fd < 0)
		return vfio_fail(d, -EBADF, "device not open");
	if (!len || off > d->cfg_size || d->cfg_size - off < len)
		return vfio_fail(d, -EINVAL, "config space %#x+%u outside its %llu bytes", off, len,
				 (unsigned long long)d->cfg_size);
	return 0;
}

int vfio_cfg_read(struct vfio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	ssize_t n;
	int rc = cfg_check(d, off, len);

	if (rc)
		return rc;
	n = d->ops->pread(d->ops->ctx, d->device_fd, buf, len, (off_t)(d->cfg_offset + off));
	if (n != (ssize_t)len)
		return vfio_fail(d, n < 0 ? (int)n : -EIO, "read config space %#x+%u", off, len);
	return 0;
}

int vfio_cfg_write(struct vfio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	ssize_t n;
	int rc = cfg_check(d, off, len);

	if (rc)
		return rc;
	n = d->ops->pwrite(d->ops->ctx, d->device_fd, buf, len, (off_t)(d->cfg_offset + off));
	if (n != (ssize_t)len)
		return vfio_fail(d, n < 0 ? (int)n : -EIO, "write config space %#x+%u", off, len);
	return 0;
}

#define PCI_CMD_OFF        0x04
#define PCI_CMD_MEMORY     0x0002
#define PCI_CMD_MASTER     0x0004

int vfio_cfg_enable_master(struct vfio_dev *d)
{
	uint16_t cmd;
	int rc = vfio_cfg_read(d, PCI_CMD_OFF, &cmd, sizeof(cmd));

	if (rc)
		return rc;
	if ((cmd & (PCI_CMD_MEMORY | PCI_CMD_MASTER)) == (PCI_CMD_MEMORY | PCI_CMD_MASTER))
		return 0;
	cmd |= PCI_CMD_MEMORY | PCI_CMD_MASTER;
	return vfio_cfg_write(d, PCI_CMD_OFF, &cmd, sizeof(cmd));
}
