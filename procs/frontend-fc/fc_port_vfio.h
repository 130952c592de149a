/* The "vfio" FC port driver: an HBA on vfio-pci, brought up through the VFIO
 * library (vfio/vfio_dev.h) as far as a driver can go without knowing the
 * HBA's firmware interface. None is implemented, so the port refuses to
 * start, saying which PCI vendor:device it found (docs/fc.md, VFIO). */
#ifndef MTGT_FC_PORT_VFIO_H
#define MTGT_FC_PORT_VFIO_H

#include <stdint.h>

#include "procs/frontend-fc/fc_port.h"
#include "procs/frontend-fc/vfio/vfio_ops.h"

extern const struct fc_port_ops fc_vfio_ops;

/* Where the driver's system calls go and which sysfs tree names IOMMU
 * groups: the kernel and "/sys" unless a test substitutes the fake VFIO
 * layer (NULL restores either). */
void fc_vfio_port_use(const struct vfio_ops *ops, const char *sysfs_root);

/* An FC HBA family a full driver would target (fc_vfio_hba.c). */
struct fc_vfio_hba {
	uint16_t vendor, device;
	const char *family;      /* e.g. "QLogic ISP2261 (QLE27xx, 16/32G)" */
	const char *interface;   /* the firmware interface a driver must speak */
};

/* The family of vendor:device, or NULL when it is no FC HBA we know of. */
const struct fc_vfio_hba *fc_vfio_hba_find(uint16_t vendor, uint16_t device);

#endif
