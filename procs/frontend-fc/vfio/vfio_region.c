/* Device regions: BARs mapped into our address space when the kernel allows
 * it (VFIO_REGION_INFO_FLAG_MMAP; only the areas of the sparse-mmap
 * capability when it lists some, as for a BAR holding the MSI-X table on
 * platforms that may not map it), else reached with pread/pwrite on the
 * device fd at the region's offset; PCI config space always by pread/pwrite
 * (vfio-pci virtualizes parts of it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/vfio/vfio_internal.h"

/* Nothing real is this large; a bigger argsz is a confused kernel or fake. */
#define REGION_INFO_MAX 4096

static void parse_sparse(struct vfio_bar *b, const uint8_t *buf, uint32_t len, uint32_t off)
{
	struct vfio_region_info_cap_sparse_mmap c;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (len - off < sizeof(c))
		return;
	memcpy(&c, buf + off, sizeof(c));
	b->sparse = true;     /* from here on, only the listed areas may be mapped */
	if (c.nr_areas > (len - off - sizeof(c)) / sizeof(struct vfio_region_sparse_mmap_area))
		return;
	for (uint32_t i = 0; i < c.nr_areas && b->nareas < VFIO_BAR_AREAS; i++) {
		struct vfio_region_sparse_mmap_area a;

		memcpy(&a, buf + off + sizeof(c) + i * sizeof(a), sizeof(a));
		/* unusable areas are left to pread/pwrite */
		if (!a.size || a.offset % page || a.size % page || a.offset > b->size ||
		    b->size - a.offset < a.size)
			continue;
		b->areas[b->nareas].off = a.offset;
		b->areas[b->nareas].size = a.size;
		b->nareas++;
	}
}

static void parse_region_caps(struct vfio_bar *b, const uint8_t *buf, uint32_t len, uint32_t off)
{
	/* a chain of at most 16 caps, each strictly after the previous */
	for (int n = 0; n < 16 && off; n++) {
		struct vfio_info_cap_header h;

		if (off < sizeof(struct vfio_region_info) || off > len || len - off < sizeof(h))
			return;
		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			parse_sparse(b, buf, len, off);
		if (h.next <= off)
			return;
		off = h.next;
	}
}

int vfio_bar_info(struct vfio_dev *d, uint32_t index)
{
	struct vfio_bar *b = &d->bars[index];
	struct vfio_region_info *ri = NULL;
	uint32_t len = sizeof(*ri);
	int rc;

	memset(b, 0, sizeof(*b));
	/* twice at most: the first answer may ask for room for capabilities */
	for (int pass = 0; pass < 2; pass++) {
		ri = calloc(1, len);
		if (!ri)
			return vfio_fail(d, -ENOMEM, "region info");
		ri->argsz = len;
		ri->index = index;
		rc = d->ops->ioctl(d->ops->ctx, d->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri);
		if (rc < 0) {
			free(ri);
			return vfio_fail(d, rc, "VFIO_DEVICE_GET_REGION_INFO BAR%u", index);
		}
		if (pass == 0 && (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && ri->argsz > len &&
		    ri->argsz <= REGION_INFO_MAX) {
			len = ri->argsz;
			free(ri);
			continue;
		}
		break;
	}
	if (ri->index != index) {
		rc = vfio_fail(d, -EPROTO, "region info for BAR%u names region %u", index, ri->index);
		free(ri);
		return rc;
	}
	b->size = ri->size;
	b->offset = ri->offset;
	b->flags = ri->flags;
	if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && ri->cap_offset)
		parse_region_caps(b, (const uint8_t *)ri, len < ri->argsz ? len : ri->argsz,
				  ri->cap_offset);
	free(ri);
	return 0;
}

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
	if (b->map || (b->nareas && b->areas[0].map))
		return 0;
	/* Not mmap-capable (I/O port BARs, BARs smaller than a page): the
	 * register accessors fall back to pread/pwrite. */
	if (!(b->flags & VFIO_REGION_INFO_FLAG_MMAP) || b->size % (uint64_t)page)
		return 0;
	if (b->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (b->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	if (b->size > SIZE_MAX || b->offset > (uint64_t)INT64_MAX - b->size)
		return vfio_fail(d, -EOVERFLOW, "BAR%u of %llu bytes", bar, (unsigned long long)b->size);
	if (b->sparse) {
		for (uint32_t i = 0; i < b->nareas; i++) {
			struct vfio_bar_area *a = &b->areas[i];

			rc = d->ops->mmap(d->ops->ctx, (size_t)a->size, prot, d->device_fd,
					  (off_t)(b->offset + a->off), &p);
			if (rc < 0) {
				vfio_bar_unmap(d, bar);
				return vfio_fail(d, rc, "mmap BAR%u+%#llx of %s (%llu bytes)", bar,
						 (unsigned long long)a->off, d->addr,
						 (unsigned long long)a->size);
			}
			a->map = p;
		}
		return 0;
	}
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
	for (uint32_t i = 0; i < b->nareas; i++)
		if (b->areas[i].map) {
			d->ops->munmap(d->ops->ctx, b->areas[i].map, (size_t)b->areas[i].size);
			b->areas[i].map = NULL;
		}
}

/* the mapped address of the 4-byte register at off, or NULL */
static volatile uint32_t *reg_ptr(const struct vfio_bar *b, uint64_t off)
{
	if (b->map)
		return (volatile uint32_t *)((uint8_t *)b->map + off);
	for (uint32_t i = 0; i < b->nareas; i++) {
		const struct vfio_bar_area *a = &b->areas[i];

		if (a->map && off >= a->off && off - a->off <= a->size - 4)
			return (volatile uint32_t *)((uint8_t *)a->map + (off - a->off));
	}
	return NULL;
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
	volatile uint32_t *r;
	struct vfio_bar *b = NULL;
	ssize_t n;
	int rc = bar_check(d, bar, off, &b);

	if (rc)
		return rc;
	if ((r = reg_ptr(b, off))) {
		*v = *r;
		return 0;
	}
	n = d->ops->pread(d->ops->ctx, d->device_fd, v, 4, (off_t)(b->offset + off));
	if (n != 4)
		return vfio_fail(d, n < 0 ? (int)n : -EIO, "read BAR%u+%#llx", bar, (unsigned long long)off);
	return 0;
}

int vfio_bar_write32(struct vfio_dev *d, unsigned bar, uint64_t off, uint32_t v)
{
	volatile uint32_t *r;
	struct vfio_bar *b = NULL;
	ssize_t n;
	int rc = bar_check(d, bar, off, &b);

	if (rc)
		return rc;
	if ((r = reg_ptr(b, off))) {
		*r = v;
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
