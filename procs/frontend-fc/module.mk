# FC frontend (issue 10). So far the pure protocol layers: FC frames, FCoE
# encapsulation, FIP. The mtgt-fc process is not built yet.
FC_DIR := procs/frontend-fc
FC_PURE := $(FC_DIR)/fc_frame.c $(FC_DIR)/fc_fip.c

TEST_PROGS += test-fc-frame
test-fc-frame_SRCS := tests/unit/test_fc_frame.c $(FC_PURE)
test-fc-frame_LIBS := -lcmocka -lz
