/* Between the files of the VFIO library only. */
#ifndef MTGT_FC_VFIO_INTERNAL_H
#define MTGT_FC_VFIO_INTERNAL_H

#include "procs/frontend-fc/vfio/vfio_dev.h"

/* After VFIO_SET_IOMMU: page sizes and usable IOVA ranges (vfio_dma.c). */
int  vfio_iommu_probe(struct vfio_dev *d);
void vfio_dma_unmap_all(struct vfio_dev *d);
/* Region info of BAR index, with its sparse-mmap areas (vfio_region.c). */
int  vfio_bar_info(struct vfio_dev *d, uint32_t index);

#endif
