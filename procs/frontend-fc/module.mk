# FC frontend (issue 10). So far the pure protocol layers: FC frames, FCoE
# encapsulation, FIP, link services, FCP IUs, the exchange manager. The mtgt-fc process is not
# built yet.
FC_DIR := procs/frontend-fc
FC_PURE := $(FC_DIR)/fc_frame.c $(FC_DIR)/fc_fip.c $(FC_DIR)/fc_els.c $(FC_DIR)/fc_fcp.c $(FC_DIR)/fc_exch.c

TEST_PROGS += test-fc-frame
test-fc-frame_SRCS := tests/unit/test_fc_frame.c $(FC_PURE)
test-fc-frame_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-ls
test-fc-ls_SRCS := tests/unit/test_fc_ls.c $(FC_PURE)
test-fc-ls_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-exch
test-fc-exch_SRCS := tests/unit/test_fc_exch.c $(FC_PURE)
test-fc-exch_LIBS := -lcmocka -lz

# VFIO library (issue 10, VFIO part): container, group, device, BARs, config
# space, IOMMU DMA, MSI-X eventfds, all through struct vfio_ops. test-fc-vfio
# runs it against the fake VFIO layer in tests/unit/vfio_fake.c.
FC_VFIO := $(addprefix $(FC_DIR)/vfio/,vfio_ops.c vfio_pci.c vfio_dev.c vfio_region.c vfio_dma.c vfio_irq.c)
TEST_PROGS += test-fc-vfio
test-fc-vfio_SRCS := tests/unit/test_fc_vfio.c tests/unit/vfio_fake.c $(FC_VFIO)
test-fc-vfio_LIBS := -lcmocka
