/* DMA through the IOMMU: our memory is mapped at IOVAs we choose, inside the
 * ranges the kernel says are usable, aligned to the IOMMU's smallest page.
 * The table of mappings (sorted by IOVA) is what translates a pointer into
 * the address a device is given. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "procs/frontend-fc/vfio/vfio_internal.h"

/* Without the kernel's IOVA-range capability: stay above 4 GiB (below it sit
 * the MSI window and other reserved regions on x86) and below 2^39, the
 * smallest address width of common IOMMUs (3-level VT-d). */
#define IOVA_DEFAULT_LO   (1ull << 32)
#define IOVA_DEFAULT_HI   ((1ull << 39) - 1)
/* Nothing real is this large; a bigger argsz is a confused kernel or fake. */
#define IOMMU_INFO_MAX    4096

static void parse_iova_caps(struct vfio_dev *d, const uint8_t *buf, uint32_t len, uint32_t first)
{
	uint32_t off = first;

	/* a chain of at most 16 caps, each strictly after the previous */
	for (int n = 0; n < 16 && off; n++) {
		struct vfio_info_cap_header h;

		if (off < sizeof(struct vfio_iommu_type1_info) || off > len || len - off < sizeof(h))
			return;
		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range c;
			uint32_t nr;

			if (len - off < sizeof(c))
				return;
			memcpy(&c, buf + off, sizeof(c));
			nr = c.nr_iovas;
			if (nr > (len - off - sizeof(c)) / sizeof(struct vfio_iova_range))
				return;
			d->niova = 0;
			for (uint32_t i = 0; i < nr && d->niova < VFIO_IOVA_RANGES; i++) {
				struct vfio_iova_range r;

				memcpy(&r, buf + off + sizeof(c) + i * sizeof(r), sizeof(r));
				if (r.end < r.start)
					continue;
				/* never hand out IOVA 0: a zero address in a
				 * descriptor usually means "none" */
				if (r.start < d->pgsize)
					r.start = d->pgsize;
				if (r.end < r.start)
					continue;
				d->iova[d->niova].start = r.start;
				d->iova[d->niova].end = r.end;
				d->niova++;
			}
			return;
		}
		if (h.next <= off)
			return;
		off = h.next;
	}
}

int vfio_iommu_probe(struct vfio_dev *d)
{
	struct vfio_iommu_type1_info *info;
	uint32_t len = sizeof(*info);
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	d->pgsize = (uint64_t)page;
	d->niova = 1;
	d->iova[0].start = IOVA_DEFAULT_LO;
	d->iova[0].end = IOVA_DEFAULT_HI;
	/* twice at most: the first answer may ask for room for capabilities */
	for (int pass = 0; pass < 2; pass++) {
		info = calloc(1, len);
		if (!info)
			return vfio_fail(d, -ENOMEM, "IOMMU info");
		info->argsz = len;
		rc = d->ops->ioctl(d->ops->ctx, d->container_fd, VFIO_IOMMU_GET_INFO, info);
		if (rc < 0) {
			free(info);
			return vfio_fail(d, rc, "VFIO_IOMMU_GET_INFO");
		}
		if (info->argsz > len && pass == 0 && info->argsz <= IOMMU_INFO_MAX) {
			len = info->argsz;
			free(info);
			continue;
		}
		break;
	}
	if (info->flags & VFIO_IOMMU_INFO_PGSIZES) {
		uint64_t pg = info->iova_pgsizes & -info->iova_pgsizes;   /* lowest set bit */

		if (!pg) {
			free(info);
			return vfio_fail(d, -EPROTO, "the IOMMU reports no page size");
		}
		if (pg > d->pgsize)
			d->pgsize = pg;
	}
	if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset)
		parse_iova_caps(d, (const uint8_t *)info, len < info->argsz ? len : info->argsz,
				info->cap_offset);
	free(info);
	if (!d->niova)
		return vfio_fail(d, -ENOSPC, "the IOMMU reports no usable IOVA range");
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* First fit: the lowest aligned IOVA in a usable range that no mapping
 * covers. d->dma is sorted by IOVA. */
static int iova_alloc(const struct vfio_dev *d, uint64_t len, uint64_t *out)
{
	for (uint32_t r = 0; r < d->niova; r++) {
		uint64_t cand = align_up(d->iova[r].start, d->pgsize);
		bool wrapped = cand < d->iova[r].start;

		for (uint32_t i = 0; i < d->ndma && !wrapped; i++) {
			const struct vfio_dma *m = &d->dma[i];

			if (m->iova + m->size <= cand)
				continue;                      /* wholly below */
			if (m->iova >= cand && m->iova - cand >= len)
				break;                         /* the gap before it fits */
			cand = m->iova + m->size;              /* aligned: so are mappings */
			wrapped = cand == 0;
		}
		if (!wrapped && cand <= d->iova[r].end && d->iova[r].end - cand >= len - 1) {
			*out = cand;
			return 0;
		}
	}
	return -ENOSPC;
}

int vfio_dma_map(struct vfio_dev *d, void *vaddr, uint64_t len, uint64_t *iova)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	uint64_t va = (uint64_t)(uintptr_t)vaddr, at;
	uint32_t pos;
	int rc;

	if (d->container_fd < 0 || !d->pgsize)
		return vfio_fail(d, -EBADF, "container not open");
	if (!len || va % d->pgsize || len % d->pgsize || va + len < va)
		return vfio_fail(d, -EINVAL, "DMA map of %#llx+%#llx: address and length must be "
				 "non-zero multiples of the IOMMU page (%#llx)", (unsigned long long)va,
				 (unsigned long long)len, (unsigned long long)d->pgsize);
	if (d->ndma == VFIO_DMA_MAX)
		return vfio_fail(d, -ENOSPC, "%u DMA mappings already", VFIO_DMA_MAX);
	/* one IOVA per byte of ours, so a pointer translates one way */
	for (uint32_t i = 0; i < d->ndma; i++)
		if (va < d->dma[i].vaddr + d->dma[i].size && d->dma[i].vaddr < va + len)
			return vfio_fail(d, -EEXIST, "DMA map of %#llx+%#llx overlaps a mapping",
					 (unsigned long long)va, (unsigned long long)len);
	rc = iova_alloc(d, len, &at);
	if (rc)
		return vfio_fail(d, rc, "no IOVA room for %#llx bytes", (unsigned long long)len);
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = va;
	m.iova = at;
	m.size = len;
	rc = d->ops->ioctl(d->ops->ctx, d->container_fd, VFIO_IOMMU_MAP_DMA, &m);
	if (rc < 0)
		return vfio_fail(d, rc, "VFIO_IOMMU_MAP_DMA %#llx+%#llx at IOVA %#llx",
				 (unsigned long long)va, (unsigned long long)len, (unsigned long long)at);
	for (pos = 0; pos < d->ndma && d->dma[pos].iova < at; pos++)
		;
	memmove(&d->dma[pos + 1], &d->dma[pos], (d->ndma - pos) * sizeof(d->dma[0]));
	d->dma[pos] = (struct vfio_dma){ .vaddr = va, .iova = at, .size = len };
	d->ndma++;
	*iova = at;
	return 0;
}

static int unmap_at(struct vfio_dev *d, uint32_t i)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	int rc;

	u.iova = d->dma[i].iova;
	u.size = d->dma[i].size;
	rc = d->ops->ioctl(d->ops->ctx, d->container_fd, VFIO_IOMMU_UNMAP_DMA, &u);
	if (rc < 0)
		rc = vfio_fail(d, rc, "VFIO_IOMMU_UNMAP_DMA IOVA %#llx", (unsigned long long)d->dma[i].iova);
	else if (u.size != d->dma[i].size)
		rc = vfio_fail(d, -EIO, "VFIO_IOMMU_UNMAP_DMA IOVA %#llx unmapped %#llx of %#llx bytes",
			       (unsigned long long)d->dma[i].iova, (unsigned long long)u.size,
			       (unsigned long long)d->dma[i].size);
	/* Forgotten either way: retrying an unmap the kernel refused does not
	 * help, and closing the container drops every mapping. */
	memmove(&d->dma[i], &d->dma[i + 1], (d->ndma - i - 1) * sizeof(d->dma[0]));
	d->ndma--;
	return rc;
}

int vfio_dma_unmap(struct vfio_dev *d, uint64_t iova)
{
	for (uint32_t i = 0; i < d->ndma; i++)
		if (d->dma[i].iova == iova)
			return unmap_at(d, i);
	return vfio_fail(d, -ENOENT, "no DMA mapping at IOVA %#llx", (unsigned long long)iova);
}

void vfio_dma_unmap_all(struct vfio_dev *d)
{
	/* bounded: each call removes one entry */
	while (d->ndma)
		unmap_at(d, d->ndma - 1);
}

int vfio_dma_iova(const struct vfio_dev *d, const void *p, uint64_t len, uint64_t *iova)
{
	uint64_t va = (uint64_t)(uintptr_t)p;

	for (uint32_t i = 0; i < d->ndma; i++) {
		const struct vfio_dma *m = &d->dma[i];

		if (va >= m->vaddr && va - m->vaddr <= m->size && m->size - (va - m->vaddr) >= len) {
			*iova = m->iova + (va - m->vaddr);
			return 0;
		}
	}
	return -EFAULT;
}
