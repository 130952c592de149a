/* The fake VFIO layer (vfio_fake.h): the kernel's answers and rules for the
 * ioctls the VFIO library uses, on memory. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "tests/unit/vfio_fake.h"

#define FD_CONTAINER 7001
#define FD_GROUP     7002
#define FD_DEVICE    7003

static bool inject(struct vfio_fake *f)
{
	f->calls++;
	return f->fail_call && f->calls == f->fail_call;
}

static int fk_open(void *ctx, const char *path, int flags)
{
	struct vfio_fake *f = ctx;
	char gpath[32];

	(void)flags;
	if (inject(f))
		return -f->fail_errno;
	if (!strcmp(path, "/dev/vfio/vfio")) {
		if (f->container_fd >= 0)
			return -EMFILE;   /* one is all this fake models */
		f->container_fd = FD_CONTAINER;
		return f->container_fd;
	}
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%u", f->group);
	if (strcmp(path, gpath))
		return -ENOENT;
	if (f->group_fd >= 0)
		return -EBUSY;            /* the kernel allows one open of a group */
	f->group_fd = FD_GROUP;
	return f->group_fd;
}

static bool aligned(const struct vfio_fake *f, uint64_t v)
{
	uint64_t pg = f->pgsizes & -f->pgsizes;

	return v % pg == 0;
}

static bool iova_ok(const struct vfio_fake *f, uint64_t iova, uint64_t size)
{
	if (!f->iova_cap)
		return true;
	for (uint32_t i = 0; i < f->niova; i++)
		if (iova >= f->iova_lo[i] && iova + size - 1 <= f->iova_hi[i])
			return true;
	return false;
}

static int iommu_info(struct vfio_fake *f, struct vfio_iommu_type1_info *in)
{
	size_t cap = sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
		     f->niova * sizeof(struct vfio_iova_range);
	size_t need = sizeof(*in) + (f->iova_cap ? cap : 0);
	uint32_t argsz = in->argsz;

	if (argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return -EINVAL;
	in->flags = VFIO_IOMMU_INFO_PGSIZES;
	in->iova_pgsizes = f->pgsizes;
	if (!f->iova_cap)
		return 0;
	in->flags |= VFIO_IOMMU_INFO_CAPS;
	if (argsz < need) {
		/* as the kernel does: say how much room, give no caps */
		in->argsz = (uint32_t)need;
		in->cap_offset = 0;
		return 0;
	}
	struct vfio_iommu_type1_info_cap_iova_range c = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1, .next = 0 },
		.nr_iovas = f->niova,
	};
	uint8_t *p = (uint8_t *)in + sizeof(*in);

	memcpy(p, &c, sizeof(c));
	for (uint32_t i = 0; i < f->niova; i++) {
		struct vfio_iova_range r = { f->iova_lo[i], f->iova_hi[i] };

		memcpy(p + sizeof(c) + i * sizeof(r), &r, sizeof(r));
	}
	in->cap_offset = sizeof(*in);
	in->argsz = (uint32_t)need;
	if (f->hostile_caps) {
		c.nr_iovas = 0x7fffffff;   /* far more than the buffer holds */
		memcpy(p, &c, sizeof(c));
	}
	return 0;
}

static int map_dma(struct vfio_fake *f, struct vfio_iommu_type1_dma_map *m)
{
	if (m->argsz < sizeof(*m))
		return -EINVAL;
	if (!(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) ||
	    (m->flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!m->size || !aligned(f, m->vaddr) || !aligned(f, m->iova) || !aligned(f, m->size) ||
	    m->iova + m->size < m->iova || m->vaddr + m->size < m->vaddr)
		return -EINVAL;
	if (!iova_ok(f, m->iova, m->size))
		return -EINVAL;
	for (uint32_t i = 0; i < f->nmaps; i++)
		if (m->iova < f->maps[i].iova + f->maps[i].size && f->maps[i].iova < m->iova + m->size)
			return -EEXIST;
	if (f->nmaps == FAKE_MAPS_MAX)
		return -ENOSPC;
	f->maps[f->nmaps++] = (struct fake_map){ m->vaddr, m->iova, m->size };
	f->maps_made++;
	return 0;
}

static int unmap_dma(struct vfio_fake *f, struct vfio_iommu_type1_dma_unmap *u)
{
	if (u->argsz < sizeof(*u) || u->flags)
		return -EINVAL;
	for (uint32_t i = 0; i < f->nmaps; i++) {
		struct fake_map *m = &f->maps[i];

		if (m->iova == u->iova && m->size == u->size) {
			*m = f->maps[--f->nmaps];
			return 0;
		}
		/* type1v2 refuses to split a mapping */
		if (u->iova < m->iova + m->size && m->iova < u->iova + u->size)
			return -EINVAL;
	}
	u->size = 0;   /* nothing there: nothing unmapped */
	return 0;
}

static void drop_maps(struct vfio_fake *f)
{
	f->dropped_maps += (int)f->nmaps;
	f->nmaps = 0;
	f->iommu_set = false;
}

static int container_ioctl(struct vfio_fake *f, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GET_API_VERSION:
		return f->api_version;
	case VFIO_CHECK_EXTENSION:
		if ((uintptr_t)arg == VFIO_TYPE1_IOMMU)
			return !f->no_type1;
		if ((uintptr_t)arg == VFIO_TYPE1v2_IOMMU)
			return !f->no_type1v2;
		return 0;
	case VFIO_SET_IOMMU:
		if (!f->in_container)
			return -EINVAL;   /* no group: nothing to attach the IOMMU to */
		if (f->iommu_set)
			return -EBUSY;
		if (((uintptr_t)arg == VFIO_TYPE1_IOMMU && !f->no_type1) ||
		    ((uintptr_t)arg == VFIO_TYPE1v2_IOMMU && !f->no_type1v2)) {
			f->iommu_set = true;
			f->iommu_type = (uint32_t)(uintptr_t)arg;
			return 0;
		}
		return -EINVAL;
	case VFIO_IOMMU_GET_INFO:
		return f->iommu_set ? iommu_info(f, arg) : -EINVAL;
	case VFIO_IOMMU_MAP_DMA:
		return f->iommu_set ? map_dma(f, arg) : -EINVAL;
	case VFIO_IOMMU_UNMAP_DMA:
		return f->iommu_set ? unmap_dma(f, arg) : -EINVAL;
	}
	return -ENOTTY;
}

static int group_ioctl(struct vfio_fake *f, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = (f->not_viable ? 0 : VFIO_GROUP_FLAGS_VIABLE) |
			    (f->in_container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER:
		if (f->in_container)
			return -EINVAL;
		if (*(int *)arg != f->container_fd || f->container_fd < 0)
			return -EBADF;
		if (f->not_viable)
			return -EPERM;
		f->in_container = true;
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!f->in_container)
			return -EINVAL;
		if (f->device_fd >= 0)
			return -EBUSY;    /* a device fd still uses the container */
		f->in_container = false;
		drop_maps(f);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (!f->iommu_set)
			return -EINVAL;
		if (strcmp(arg, f->addr))
			return -ENODEV;
		if (f->device_fd >= 0)
			return -EBUSY;
		f->device_fd = FD_DEVICE;
		return f->device_fd;
	}
	return -ENOTTY;
}

/* the mmap-able areas of BAR4, as a sparse-mmap capability */
static const struct vfio_region_sparse_mmap_area bar4_areas[] = {
	{ 0, 4096 }, { 8192, 8192 },
};

static int bar4_info(const struct vfio_fake *f, struct vfio_region_info *ri)
{
	struct vfio_region_info_cap_sparse_mmap c = {
		.header = { .id = VFIO_REGION_INFO_CAP_SPARSE_MMAP, .version = 1, .next = 0 },
		.nr_areas = 2,
	};
	size_t need = sizeof(*ri) + sizeof(c) + sizeof(bar4_areas);
	uint32_t argsz = ri->argsz;

	ri->size = FAKE_BAR4_SIZE;
	ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		    VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	ri->argsz = (uint32_t)need;
	if (argsz < need)
		return 0;   /* as the kernel does: say how much room, give no caps */
	memcpy((uint8_t *)ri + sizeof(*ri), &c, sizeof(c));
	memcpy((uint8_t *)ri + sizeof(*ri) + sizeof(c), bar4_areas, sizeof(bar4_areas));
	ri->cap_offset = sizeof(*ri);
	if (f->hostile_caps) {
		/* a chain that loops on itself, an unaligned area, one past the BAR */
		struct vfio_region_sparse_mmap_area bad[2] = { { 100, 4096 }, { 0, 1ull << 40 } };

		c.header.next = sizeof(*ri);
		memcpy((uint8_t *)ri + sizeof(*ri), &c, sizeof(c));
		memcpy((uint8_t *)ri + sizeof(*ri) + sizeof(c), bad, sizeof(bad));
	}
	return 0;
}

static int region_info(struct vfio_fake *f, struct vfio_region_info *ri)
{
	uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	if (ri->argsz < sizeof(*ri) || ri->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	ri->cap_offset = 0;
	ri->offset = (uint64_t)ri->index << FAKE_REGION_SHIFT;
	ri->size = 0;
	ri->flags = 0;
	switch (ri->index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		ri->size = FAKE_BAR0_SIZE;
		ri->flags = rw | (f->bar0_no_mmap ? 0 : VFIO_REGION_INFO_FLAG_MMAP);
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		ri->size = FAKE_BAR2_SIZE;
		ri->flags = rw;
		break;
	case VFIO_PCI_BAR4_REGION_INDEX:
		return bar4_info(f, ri);
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ri->size = FAKE_CFG_SIZE;
		ri->flags = rw;
		break;
	}
	return 0;
}

static void msix_off(struct vfio_fake *f)
{
	for (uint32_t i = 0; i < FAKE_MSIX_MAX; i++)
		f->msix_fd[i] = -1;
	f->msix_on = 0;
}

static int set_irqs(struct vfio_fake *f, struct vfio_irq_set *s)
{
	uint32_t data = s->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t action = s->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	if (s->argsz < sizeof(*s) || action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	if (s->index == VFIO_PCI_REQ_IRQ_INDEX && !f->no_req) {
		int32_t fd;

		if (data == VFIO_IRQ_SET_DATA_NONE && s->count == 0) {
			f->req_fd = -1;
			return 0;
		}
		if (data != VFIO_IRQ_SET_DATA_EVENTFD || s->start || s->count != 1 ||
		    s->argsz < sizeof(*s) + sizeof(fd))
			return -EINVAL;
		memcpy(&fd, s->data, sizeof(fd));
		f->req_fd = fd;
		return 0;
	}
	if (s->index != VFIO_PCI_MSIX_IRQ_INDEX)
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_NONE && s->count == 0) {
		msix_off(f);
		return 0;
	}
	if (data != VFIO_IRQ_SET_DATA_EVENTFD || !s->count || s->start > f->msix_count ||
	    s->count > f->msix_count - s->start ||
	    s->argsz < sizeof(*s) + (size_t)s->count * sizeof(int32_t))
		return -EINVAL;
	for (uint32_t i = 0; i < s->count; i++) {
		int32_t fd;

		memcpy(&fd, s->data + i * sizeof(fd), sizeof(fd));
		if (fd < -1)
			return -EINVAL;
		f->msix_fd[s->start + i] = fd;
	}
	f->msix_on = s->start + s->count;
	return 0;
}

static int device_ioctl(struct vfio_fake *f, unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *di = arg;

		if (di->argsz < sizeof(*di))
			return -EINVAL;
		di->flags = VFIO_DEVICE_FLAGS_PCI | (f->no_reset ? 0 : VFIO_DEVICE_FLAGS_RESET);
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(f, arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		if (ii->argsz < sizeof(*ii) || ii->index >= VFIO_PCI_NUM_IRQS)
			return -EINVAL;
		ii->flags = VFIO_IRQ_INFO_EVENTFD;
		ii->count = ii->index == VFIO_PCI_MSIX_IRQ_INDEX ? f->msix_count :
			    ii->index == VFIO_PCI_REQ_IRQ_INDEX ? !f->no_req : 0;
		if (ii->index == VFIO_PCI_MSIX_IRQ_INDEX)
			ii->flags |= VFIO_IRQ_INFO_NORESIZE;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(f, arg);
	case VFIO_DEVICE_RESET:
		if (f->no_reset)
			return -ENOTTY;
		f->resets++;
		f->cfg[4] = f->cfg[5] = 0;   /* command register back to power-on */
		memset(f->bar0, 0, FAKE_BAR0_SIZE);
		return 0;
	}
	return -ENOTTY;
}

static int fk_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct vfio_fake *f = ctx;

	if (inject(f) || (f->fail_req && req == f->fail_req))
		return -f->fail_errno;
	if (fd == FD_CONTAINER && f->container_fd >= 0)
		return container_ioctl(f, req, arg);
	if (fd == FD_GROUP && f->group_fd >= 0)
		return group_ioctl(f, req, arg);
	if (fd == FD_DEVICE && f->device_fd >= 0)
		return device_ioctl(f, req, arg);
	f->bad_calls++;
	return -EBADF;
}

static int fk_mmap(void *ctx, size_t len, int prot, int fd, off_t off, void **out)
{
	struct vfio_fake *f = ctx;

	(void)prot;
	if (inject(f))
		return -f->fail_errno;
	if (fd != FD_DEVICE || f->device_fd < 0) {
		f->bad_calls++;
		return -EBADF;
	}
	if ((uint64_t)off == (uint64_t)VFIO_PCI_BAR0_REGION_INDEX << FAKE_REGION_SHIFT &&
	    !f->bar0_no_mmap && len == FAKE_BAR0_SIZE) {
		f->mmaps++;
		*out = f->bar0;
		return 0;
	}
	/* BAR4: only its listed areas, each whole */
	for (size_t i = 0; i < sizeof(bar4_areas) / sizeof(bar4_areas[0]); i++)
		if ((uint64_t)off == ((uint64_t)VFIO_PCI_BAR4_REGION_INDEX << FAKE_REGION_SHIFT) +
				     bar4_areas[i].offset && len == bar4_areas[i].size) {
			f->mmaps++;
			*out = f->bar4 + bar4_areas[i].offset;
			return 0;
		}
	return -EINVAL;
}

static int fk_munmap(void *ctx, void *addr, size_t len)
{
	struct vfio_fake *f = ctx;

	bool ok = addr == f->bar0 && len == FAKE_BAR0_SIZE;

	for (size_t i = 0; i < sizeof(bar4_areas) / sizeof(bar4_areas[0]); i++)
		ok = ok || (addr == f->bar4 + bar4_areas[i].offset && len == bar4_areas[i].size);
	if (!ok || f->mmaps <= 0) {
		f->bad_calls++;
		return -EINVAL;
	}
	f->mmaps--;
	return 0;
}

/* the bytes of region access [off, off+n) in the device fd, or NULL */
static uint8_t *region_bytes(struct vfio_fake *f, off_t off, size_t n)
{
	uint64_t idx = (uint64_t)off >> FAKE_REGION_SHIFT;
	uint64_t o = (uint64_t)off & ((1ull << FAKE_REGION_SHIFT) - 1);
	uint8_t *base;
	uint64_t size;

	switch (idx) {
	case VFIO_PCI_BAR0_REGION_INDEX: base = f->bar0; size = FAKE_BAR0_SIZE; break;
	case VFIO_PCI_BAR2_REGION_INDEX: base = f->bar2; size = FAKE_BAR2_SIZE; break;
	case VFIO_PCI_BAR4_REGION_INDEX: base = f->bar4; size = FAKE_BAR4_SIZE; break;
	case VFIO_PCI_CONFIG_REGION_INDEX: base = f->cfg; size = FAKE_CFG_SIZE; break;
	default: return NULL;
	}
	if (off < 0 || o > size || size - o < n)
		return NULL;
	return base + o;
}

static ssize_t fk_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct vfio_fake *f = ctx;
	uint8_t *p;

	if (inject(f))
		return -f->fail_errno;
	if (fd != FD_DEVICE || f->device_fd < 0) {
		f->bad_calls++;
		return -EBADF;
	}
	p = region_bytes(f, off, n);
	if (!p)
		return -EINVAL;
	if (p < f->cfg || p >= f->cfg + FAKE_CFG_SIZE)
		f->bar_rw++;
	memcpy(buf, p, n);
	return (ssize_t)n;
}

static ssize_t fk_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct vfio_fake *f = ctx;
	uint8_t *p;

	if (inject(f))
		return -f->fail_errno;
	if (fd != FD_DEVICE || f->device_fd < 0) {
		f->bad_calls++;
		return -EBADF;
	}
	p = region_bytes(f, off, n);
	if (!p)
		return -EINVAL;
	/* config space: only the command register is writable here (vfio-pci
	 * virtualizes the rest; the ids never change) */
	if (p >= f->cfg && p < f->cfg + FAKE_CFG_SIZE) {
		uint64_t o = (uint64_t)(p - f->cfg);

		for (size_t i = 0; i < n; i++)
			if (o + i == 4 || o + i == 5)
				f->cfg[o + i] = ((const uint8_t *)buf)[i];
		return (ssize_t)n;
	}
	f->bar_rw++;
	memcpy(p, buf, n);
	return (ssize_t)n;
}

static int fk_close(void *ctx, int fd)
{
	struct vfio_fake *f = ctx;

	if (fd == FD_DEVICE && f->device_fd >= 0) {
		if (f->msix_on || f->req_fd >= 0)
			f->irqs_dropped++;
		msix_off(f);
		f->req_fd = -1;
		f->device_fd = -1;
		return 0;
	}
	if (fd == FD_GROUP && f->group_fd >= 0) {
		if (f->in_container) {
			f->implicit_unset++;
			f->in_container = false;
			drop_maps(f);
		}
		f->group_fd = -1;
		return 0;
	}
	if (fd == FD_CONTAINER && f->container_fd >= 0) {
		if (f->nmaps)
			drop_maps(f);
		f->iommu_set = false;
		f->container_fd = -1;
		return 0;
	}
	f->bad_calls++;
	return -EBADF;
}

void vfio_fake_init(struct vfio_fake *f, uint32_t group, const char *addr)
{
	memset(f, 0, sizeof(*f));
	f->ops = (struct vfio_ops){
		.ctx = f, .open = fk_open, .ioctl = fk_ioctl, .mmap = fk_mmap,
		.munmap = fk_munmap, .pread = fk_pread, .pwrite = fk_pwrite, .close = fk_close,
	};
	f->api_version = VFIO_API_VERSION;
	f->pgsizes = 0x40201000;   /* 4 KiB, 2 MiB, 1 GiB, as VT-d */
	f->msix_count = 8;
	f->vendor = 0x1077;        /* QLogic */
	f->device = 0x2261;        /* ISP2261 (QLE27xx) */
	f->group = group;
	snprintf(f->addr, sizeof(f->addr), "%s", addr);
	f->container_fd = f->group_fd = f->device_fd = -1;
	f->fail_errno = EIO;
	f->req_fd = -1;
	if (posix_memalign((void **)&f->bar0, 4096, FAKE_BAR0_SIZE))
		abort();
	memset(f->bar0, 0, FAKE_BAR0_SIZE);
	if (posix_memalign((void **)&f->bar4, 4096, FAKE_BAR4_SIZE))
		abort();
	memset(f->bar4, 0, FAKE_BAR4_SIZE);
	f->cfg[0] = (uint8_t)f->vendor;
	f->cfg[1] = (uint8_t)(f->vendor >> 8);
	f->cfg[2] = (uint8_t)f->device;
	f->cfg[3] = (uint8_t)(f->device >> 8);
	f->cfg[0x0b] = 0x0c;       /* class: serial bus controller */
	f->cfg[0x0a] = 0x04;       /* subclass: Fibre Channel */
	msix_off(f);
}

void vfio_fake_fini(struct vfio_fake *f)
{
	free(f->bar0);
	free(f->bar4);
	f->bar0 = f->bar4 = NULL;
}

int vfio_fake_msix_trigger(struct vfio_fake *f, uint32_t vec)
{
	uint64_t one = 1;

	if (vec >= f->msix_on || f->msix_fd[vec] < 0)
		return -ENOENT;
	return write(f->msix_fd[vec], &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int vfio_fake_request(struct vfio_fake *f)
{
	uint64_t one = 1;

	if (f->req_fd < 0)
		return -ENOENT;
	return write(f->req_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

bool vfio_fake_clean(const struct vfio_fake *f)
{
	return f->req_fd < 0 && f->container_fd < 0 && f->group_fd < 0 && f->device_fd < 0 && !f->in_container &&
	       !f->iommu_set && !f->nmaps && !f->mmaps && !f->msix_on && !f->dropped_maps &&
	       !f->implicit_unset && !f->irqs_dropped && !f->bad_calls;
}
