/* A fake VFIO layer for the VFIO library's unit tests: one container, one
 * IOMMU group, one PCI device (BAR0 mmap-capable and backed by memory, BAR2
 * reachable only by pread/pwrite, BAR4 mappable only in the areas of its
 * sparse-mmap capability, 256 bytes of config space), a type-1 IOMMU
 * that records mappings and refuses what the kernel refuses, MSI-X vectors
 * whose eventfds a test can signal, and error injection. It enforces the
 * kernel's ordering rules (no IOMMU before a group is in the container, no
 * device fd before the IOMMU is set, no UNSET_CONTAINER while the device fd
 * is open) and counts what a careless caller would leak. */
#ifndef MTGT_TESTS_VFIO_FAKE_H
#define MTGT_TESTS_VFIO_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "procs/frontend-fc/vfio/vfio_ops.h"

#define FAKE_BAR0_SIZE   16384u
#define FAKE_BAR2_SIZE   256u
/* BAR4: 16 KiB with the MSI-X table in its second page, so the kernel lets
 * only [0, 4K) and [8K, 16K) be mmap'd (the sparse-mmap capability) */
#define FAKE_BAR4_SIZE   16384u
#define FAKE_CFG_SIZE    256u
#define FAKE_MSIX_MAX    16u
#define FAKE_MAPS_MAX    128u
#define FAKE_REGION_SHIFT 40     /* region index → offset in the device fd */

struct fake_map {
	uint64_t vaddr, iova, size;
};

struct vfio_fake {
	struct vfio_ops ops;          /* hand &f->ops to vfio_dev_init */
	/* knobs, set before use */
	int      api_version;         /* VFIO_API_VERSION unless changed */
	bool     no_type1, no_type1v2;
	bool     not_viable;
	bool     no_reset;
	bool     bar0_no_mmap;
	bool     no_req;              /* no device-request interrupt */
	bool     hostile_caps;        /* capability chains with lying counts, loops, bad areas */
	bool     iova_cap;            /* report the IOVA-range capability */
	uint32_t niova;
	uint64_t iova_lo[4], iova_hi[4];
	uint64_t pgsizes;             /* IOMMU page sizes bitmap */
	uint32_t msix_count;
	uint16_t vendor, device;
	/* error injection: the fail_call-th failable call (open, ioctl, mmap,
	 * pread, pwrite; counted from 1) fails once with -fail_errno; or every
	 * ioctl with request fail_req. close and munmap never fail: Linux
	 * releases the fd or mapping even when it reports an error. */
	long     fail_call;
	unsigned long fail_req;
	int      fail_errno;
	/* state */
	long     calls;               /* failable calls made */
	uint32_t group;
	char     addr[16];
	int      container_fd, group_fd, device_fd;   /* -1: closed */
	bool     in_container, iommu_set;
	uint32_t iommu_type;
	uint8_t  cfg[FAKE_CFG_SIZE];
	uint8_t *bar0;                /* page aligned */
	uint8_t  bar2[FAKE_BAR2_SIZE];
	uint8_t *bar4;                /* page aligned */
	int      mmaps;               /* BAR mappings outstanding */
	int      bar_rw;              /* pread/pwrite calls on BARs (not config space) */
	uint32_t nmaps;
	struct fake_map maps[FAKE_MAPS_MAX];
	uint32_t msix_on;             /* vectors with an eventfd */
	int      msix_fd[FAKE_MSIX_MAX];
	int      req_fd;              /* device-request eventfd, -1: none */
	int      resets;
	int      maps_made;           /* successful MAP_DMA calls, ever */
	/* what a careless caller leaves behind */
	int      dropped_maps;        /* mappings dropped by UNSET_CONTAINER/close */
	int      implicit_unset;      /* group closed while still in the container */
	int      irqs_dropped;        /* device closed with MSI-X still on */
	int      bad_calls;           /* calls on unknown or closed fds */
};

void vfio_fake_init(struct vfio_fake *f, uint32_t group, const char *addr);
void vfio_fake_fini(struct vfio_fake *f);
/* Signal MSI-X vector vec as the device would: 0, or -ENOENT if no eventfd. */
int  vfio_fake_msix_trigger(struct vfio_fake *f, uint32_t vec);
/* Ask for the device back, as vfio-pci does when someone unbinds it:
 * 0, or -ENOENT if no request eventfd is set. */
int  vfio_fake_request(struct vfio_fake *f);
/* Nothing open, mapped or armed, and nothing left for the kernel to clean. */
bool vfio_fake_clean(const struct vfio_fake *f);

#endif
