# FC frontend (issue 10): the pure protocol layers (FC frames, FCoE
# encapsulation, FIP, link services, FCP IUs, the exchange manager), and the
# mtgt-fc process over port drivers (fc_port.h; software FCoE: fc_fcoe.c).
FC_DIR := procs/frontend-fc
FC_PURE := $(FC_DIR)/fc_frame.c $(FC_DIR)/fc_fip.c $(FC_DIR)/fc_els.c $(FC_DIR)/fc_fcp.c $(FC_DIR)/fc_exch.c $(FC_DIR)/fc_ct.c

TEST_PROGS += test-fc-frame
test-fc-frame_SRCS := tests/unit/test_fc_frame.c $(FC_PURE)
test-fc-frame_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-ls
test-fc-ls_SRCS := tests/unit/test_fc_ls.c $(FC_PURE)
test-fc-ls_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-exch
test-fc-exch_SRCS := tests/unit/test_fc_exch.c $(FC_PURE)
test-fc-exch_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-ct
test-fc-ct_SRCS := tests/unit/test_fc_ct.c $(FC_PURE)
test-fc-ct_LIBS := -lcmocka -lz
TEST_PROGS += test-fc-fcoe-enode
test-fc-fcoe-enode_SRCS := tests/unit/test_fc_fcoe_enode.c $(FC_DIR)/fc_fcoe.c $(FC_DIR)/fc_fcoe_enode.c $(FC_PURE)
test-fc-fcoe-enode_LIBS := -lcmocka -lz -ljansson
TEST_PROGS += test-fc-fcoe
test-fc-fcoe_SRCS := tests/unit/test_fc_fcoe.c $(FC_DIR)/fc_fcoe.c $(FC_DIR)/fc_fcoe_enode.c $(FC_PURE)
test-fc-fcoe_LIBS := -lcmocka -lz -ljansson

PROGS += mtgt-fc
mtgt-fc_SRCS := $(FC_DIR)/main.c $(FC_DIR)/fc_tgt.c $(FC_DIR)/fc_ls.c $(FC_DIR)/fc_fabric.c $(FC_DIR)/fc_cmd.c $(FC_DIR)/fc_wait.c \
	$(FC_DIR)/fc_fcoe.c $(FC_DIR)/fc_fcoe_enode.c $(FC_DIR)/fc_sandbox.c $(FC_PURE)
mtgt-fc_LIBS := -lev -ljansson -lseccomp -lz

# the FCoE test initiator (driven by tests/integration/fc-fcoe.sh)
TEST_PROGS += test-fc-ini
test-fc-ini_SRCS := tests/helpers/fc_ini.c tests/helpers/fc_ini_cases.c tests/helpers/fc_ini_wait.c tests/helpers/fc_fcf.c $(FC_PURE)
test-fc-ini_LIBS := -lz

# VFIO library (issue 10, VFIO part): container, group, device, BARs, config
# space, IOMMU DMA, MSI-X eventfds, all through struct vfio_ops. test-fc-vfio
# runs it against the fake VFIO layer in tests/unit/vfio_fake.c.
FC_VFIO := $(addprefix $(FC_DIR)/vfio/,vfio_ops.c vfio_pci.c vfio_dev.c vfio_region.c vfio_dma.c vfio_irq.c)
TEST_PROGS += test-fc-vfio
test-fc-vfio_SRCS := tests/unit/test_fc_vfio.c tests/unit/vfio_fake.c $(FC_VFIO)
test-fc-vfio_LIBS := -lcmocka
# the "vfio" port driver (fc_port_vfio.c) in mtgt-fc, and its test on the fake
FC_VFIO_PORT := $(FC_DIR)/fc_port_vfio.c $(FC_DIR)/fc_vfio_hba.c $(FC_VFIO)
mtgt-fc_SRCS += $(FC_VFIO_PORT)
TEST_PROGS += test-fc-vfio-port
test-fc-vfio-port_SRCS := tests/unit/test_fc_vfio_port.c tests/unit/vfio_fake.c $(FC_VFIO_PORT)
test-fc-vfio-port_LIBS := -lcmocka -ljansson -lev
