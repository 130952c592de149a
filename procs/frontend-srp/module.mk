SRP_DIR := procs/frontend-srp
# pure: IU layouts, decoding, encoding (unit tested, fuzzed)
SRP_PURE := $(SRP_DIR)/srp_iu.c

PROGS += mtgt-srp
mtgt-srp_SRCS := $(SRP_DIR)/main.c $(SRP_DIR)/srp_tgt.c $(SRP_DIR)/srp_chan.c \
	$(SRP_DIR)/srp_cmd.c $(SRP_DIR)/srp_soft.c $(SRP_DIR)/srp_verbs.c \
	$(SRP_DIR)/srp_sandbox.c $(SRP_DIR)/srp_handover.c \
	$(SRP_DIR)/srp_handover_state.c $(SRP_DIR)/srp_handover_parse.c \
	$(SRP_DIR)/srp_soft_desc.c $(SRP_PURE)
mtgt-srp_LIBS := -lev -ljansson -lseccomp -libverbs -lrdmacm

TEST_PROGS += test-srp-iu
test-srp-iu_SRCS := tests/unit/test_srp_iu.c $(SRP_PURE)
test-srp-iu_LIBS := -lcmocka

# the SRP test initiator on the soft transport (driven by tests/integration/srp*.sh)
TEST_PROGS += test-srp-ini
test-srp-ini_SRCS := tests/helpers/srp_ini.c tests/helpers/srp_ini_cases.c \
	tests/helpers/srp_ini_steady.c tests/helpers/srp_ini_limits.c $(SRP_PURE)

# the live-upgrade state parser and the soft connection description
TEST_PROGS += test-srp-handover
test-srp-handover_SRCS := tests/unit/test_srp_handover.c $(SRP_DIR)/srp_handover_parse.c \
	$(SRP_DIR)/srp_soft_desc.c $(SRP_PURE)
test-srp-handover_LIBS := -lcmocka -ljansson
