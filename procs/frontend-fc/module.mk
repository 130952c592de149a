# FC frontend (issue 10): the pure protocol layers (FC frames, FCoE
# encapsulation, FIP, link services, FCP IUs, the exchange manager), and the
# mtgt-fc process over port drivers (fc_port.h; software FCoE: fc_fcoe.c).
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
TEST_PROGS += test-fc-fcoe
test-fc-fcoe_SRCS := tests/unit/test_fc_fcoe.c $(FC_DIR)/fc_fcoe.c $(FC_PURE)
test-fc-fcoe_LIBS := -lcmocka -lz -ljansson

PROGS += mtgt-fc
mtgt-fc_SRCS := $(FC_DIR)/main.c $(FC_DIR)/fc_tgt.c $(FC_DIR)/fc_ls.c $(FC_DIR)/fc_cmd.c \
	$(FC_DIR)/fc_fcoe.c $(FC_DIR)/fc_sandbox.c $(FC_PURE)
mtgt-fc_LIBS := -lev -ljansson -lseccomp -lz

# the FCoE test initiator (driven by tests/integration/fc-fcoe.sh)
TEST_PROGS += test-fc-ini
test-fc-ini_SRCS := tests/helpers/fc_ini.c tests/helpers/fc_ini_cases.c $(FC_PURE)
test-fc-ini_LIBS := -lz
