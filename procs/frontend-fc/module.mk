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
