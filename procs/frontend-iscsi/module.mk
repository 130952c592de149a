ISCSI_DIR := procs/frontend-iscsi
ISCSI_PURE := $(ISCSI_DIR)/iscsi_pdu.c $(ISCSI_DIR)/iscsi_params.c $(ISCSI_DIR)/iscsi_crc32c.c
# CHAP and the login rate limit: pure too, but need nettle (hashes)
ISCSI_CHAP := $(ISCSI_DIR)/iscsi_chap.c $(ISCSI_DIR)/iscsi_ratelimit.c

PROGS += mtgt-iscsi
mtgt-iscsi_SRCS := $(ISCSI_DIR)/main.c $(ISCSI_DIR)/iscsi_tgt.c $(ISCSI_DIR)/iscsi_portal.c $(ISCSI_DIR)/iscsi_live.c \
	$(ISCSI_DIR)/iscsi_core.c $(ISCSI_DIR)/iscsi_conn.c $(ISCSI_DIR)/iscsi_rxbatch.c \
	$(ISCSI_DIR)/iscsi_session.c $(ISCSI_DIR)/iscsi_login.c \
	$(ISCSI_DIR)/iscsi_discovery.c $(ISCSI_DIR)/iscsi_cmd.c $(ISCSI_DIR)/iscsi_dataout.c \
	$(ISCSI_DIR)/iscsi_tmf.c $(ISCSI_DIR)/iscsi_erl.c $(ISCSI_DIR)/iscsi_async.c $(ISCSI_DIR)/iscsi_isns.c \
	$(ISCSI_DIR)/iscsi_auth.c $(ISCSI_DIR)/iscsi_sandbox.c \
	$(ISCSI_CHAP) $(ISCSI_PURE)
mtgt-iscsi_SRCS += $(ISCSI_DIR)/iscsi_handover.c $(ISCSI_DIR)/iscsi_handover_state.c $(ISCSI_DIR)/iscsi_cmdsn.c $(ISCSI_DIR)/iscsi_mcs.c
mtgt-iscsi_LIBS := -lev -ljansson -lnettle -lseccomp

TEST_PROGS += test-iscsi-params test-iscsi-pdu
test-iscsi-params_SRCS := tests/unit/test_iscsi_params.c $(ISCSI_PURE)
test-iscsi-params_LIBS := -lcmocka
test-iscsi-pdu_SRCS := tests/unit/test_iscsi_pdu.c $(ISCSI_PURE)
test-iscsi-pdu_LIBS := -lcmocka
TEST_PROGS += test-iscsi-chap
test-iscsi-chap_SRCS := tests/unit/test_iscsi_chap.c $(ISCSI_CHAP) $(ISCSI_PURE)
test-iscsi-chap_LIBS := -lcmocka -lnettle

# test helper: fake supervisor+core with a RAM disk (not shipped)
TEST_PROGS += test-iscsi-fakecore
test-iscsi-fakecore_SRCS := tests/helpers/iscsi_fake_core.c
test-iscsi-fakecore_LIBS := -ljansson
# integration test: libiscsi initiator against a running target
TEST_PROGS += test-iscsi-io
test-iscsi-io_SRCS := tests/integration/test_iscsi_io.c
test-iscsi-io_LIBS := -liscsi
