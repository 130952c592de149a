/* The library part of a user-space PCI driver on VFIO (the stock vfio-pci
 * kernel driver): the container and its type-1 IOMMU, the IOMMU group, one
 * PCI device, its BARs (mmap'd when the region allows it, else pread/pwrite),
 * PCI config space, DMA mappings of our memory through the IOMMU with our own
 * IOVA allocation, MSI-X vectors as eventfds, function reset, and teardown in
 * the order the kernel needs (device fd before the group leaves the
 * container; DMA unmapped while the IOMMU is still set).
 *
 * Every system call goes through struct vfio_ops (vfio_ops.h) so the unit
 * tests can run all of it against a fake VFIO layer. Errors are negative
 * errno; d->err then says in words what failed. Nothing here knows about any
 * particular HBA. */
#ifndef MTGT_FC_VFIO_DEV_H
#define MTGT_FC_VFIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "procs/frontend-fc/vfio/vfio_ops.h"

#define VFIO_PCI_ADDR_MAX 16   /* "dddd:bb:dd.f" and its NUL */
#define VFIO_NBARS        6
#define VFIO_DMA_MAX      64   /* one per pool arena is the intended use */
#define VFIO_MSIX_MAX     64
#define VFIO_IOVA_RANGES  8

#define VFIO_BAR_AREAS    4

/* A part of a BAR that may be mmap'd when the kernel allows only parts (the
 * sparse-mmap capability: e.g. all but the MSI-X table). */
struct vfio_bar_area {
	uint64_t off, size;
	void    *map;
};

struct vfio_bar {
	uint64_t size;     /* 0: the BAR is not implemented */
	uint64_t offset;   /* of the region within the device fd */
	uint32_t flags;    /* VFIO_REGION_INFO_FLAG_* */
	void    *map;      /* whole BAR mmap'd, or NULL */
	bool     sparse;   /* only areas[] may be mmap'd (none: no part may) */
	uint32_t nareas;
	struct vfio_bar_area areas[VFIO_BAR_AREAS];
	/* Registers outside every mapping are reached by pread/pwrite. */
};

struct vfio_dma {
	uint64_t vaddr, iova, size;
};

struct vfio_iova_win {
	uint64_t start, end;   /* inclusive, as the kernel reports them */
};

struct vfio_dev {
	const struct vfio_ops *ops;
	int      container_fd, group_fd, device_fd;
	bool     group_attached;
	uint32_t iommu_type;           /* VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU */
	uint32_t group;
	char     addr[VFIO_PCI_ADDR_MAX];
	uint32_t dev_flags, num_regions, num_irqs;
	uint16_t vendor, device;       /* from config space */
	struct vfio_bar bars[VFIO_NBARS];
	uint64_t cfg_offset, cfg_size;
	/* IOMMU */
	uint64_t pgsize;               /* smallest IOMMU page, >= the CPU page */
	uint32_t niova;
	struct vfio_iova_win iova[VFIO_IOVA_RANGES];  /* where we may place IOVAs */
	uint32_t ndma;
	struct vfio_dma dma[VFIO_DMA_MAX];              /* sorted by iova */
	/* MSI-X */
	uint32_t msix_max;             /* vectors the device offers through VFIO */
	uint32_t nmsix;                /* enabled, with eventfds */
	int      msix_fd[VFIO_MSIX_MAX];
	/* device request: vfio-pci wants the device back (an unbind waits) */
	bool     has_req;
	int      req_fd;
	char     err[224];
};

/* "dddd:bb:dd.f" or "bb:dd.f" (domain 0), hex in either case → canonical
 * lower-case "dddd:bb:dd.f". -EINVAL for anything else. */
int vfio_pci_addr_parse(const char *in, char out[VFIO_PCI_ADDR_MAX]);
/* The IOMMU group of a PCI device from <sysfs_root>/bus/pci/devices/ADDR/
 * iommu_group (a symlink ending in the group number). -ENOENT: no such
 * device; -ENODEV: the device has no IOMMU group (IOMMU off). */
int vfio_pci_iommu_group(const char *sysfs_root, const char *addr, uint32_t *group);

void vfio_dev_init(struct vfio_dev *d, const struct vfio_ops *ops);
/* Open the container, check the API version and pick the type-1 IOMMU (v2
 * preferred), open /dev/vfio/GROUP and check it is viable, join it to the
 * container, set the IOMMU, read its page sizes and usable IOVA ranges, get
 * the device fd for addr, read the device, region and MSI-X information and
 * the vendor/device ids. On failure everything done so far is undone. */
int vfio_dev_open(struct vfio_dev *d, const char *addr, uint32_t group);
/* Interrupts off, BARs unmapped, DMA unmapped, device fd closed, group out of the
 * container, group and container closed. Safe on a partly opened or closed d. */
void vfio_dev_close(struct vfio_dev *d);
/* Function-level (or whatever the kernel has) reset; -ENOTSUP when the
 * device reports no reset. */
int vfio_dev_reset(struct vfio_dev *d);

/* BARs (vfio_region.c) */
int  vfio_bar_map(struct vfio_dev *d, unsigned bar);
void vfio_bar_unmap(struct vfio_dev *d, unsigned bar);
int  vfio_bar_read32(struct vfio_dev *d, unsigned bar, uint64_t off, uint32_t *v);
int  vfio_bar_write32(struct vfio_dev *d, unsigned bar, uint64_t off, uint32_t v);
/* PCI config space (vfio_region.c) */
int  vfio_cfg_read(struct vfio_dev *d, uint32_t off, void *buf, uint32_t len);
int  vfio_cfg_write(struct vfio_dev *d, uint32_t off, const void *buf, uint32_t len);
/* Command register: memory space decoding and bus mastering on (needed before
 * the device may do DMA). */
int  vfio_cfg_enable_master(struct vfio_dev *d);

/* DMA (vfio_dma.c): map [vaddr, vaddr+len) for device reads and writes at an
 * IOVA we choose; both must be multiples of d->pgsize. -EEXIST when it
 * overlaps a mapping we already have, -ENOSPC when no IOVA room is left. */
int vfio_dma_map(struct vfio_dev *d, void *vaddr, uint64_t len, uint64_t *iova);
int vfio_dma_unmap(struct vfio_dev *d, uint64_t iova);
/* The IOVA of [p, p+len) if one mapping holds all of it, else -EFAULT. */
int vfio_dma_iova(const struct vfio_dev *d, const void *p, uint64_t len, uint64_t *iova);

/* MSI-X (vfio_irq.c): n vectors, each an eventfd that becomes readable when
 * the device signals that vector. */
int  vfio_msix_enable(struct vfio_dev *d, uint32_t n);
void vfio_msix_disable(struct vfio_dev *d);
int  vfio_msix_fd(const struct vfio_dev *d, uint32_t vec);
/* The device-request eventfd (vfio_irq.c): readable when the kernel asks
 * for the device back, e.g. someone unbinds vfio-pci from it; the holder
 * should then close the device (the unbind waits until it does).
 * -ENOTSUP when the device offers no request interrupt. */
int  vfio_req_enable(struct vfio_dev *d);
void vfio_req_disable(struct vfio_dev *d);

/* internal: record the reason for a failure in d->err and return rc */
int vfio_fail(struct vfio_dev *d, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
