# Initiator-side test tool for the integration tests (libiscsi).
TEST_PROGS += test-initiator
test-initiator_SRCS := tests/integration/tio_main.c tests/integration/tio_conn.c \
                      tests/integration/tio_io.c tests/integration/tio_scsi.c \
                      tests/integration/tio_raw.c
test-initiator_LIBS := -liscsi
# CHAP logins (one-way, mutual, discovery) for chap.sh
TEST_PROGS += test-chap-login
test-chap-login_SRCS := tests/integration/chap_login.c
test-chap-login_LIBS := -liscsi
# Two sessions held across core kills: PR, MODE SELECT and UA state (core-restart.sh)
TEST_PROGS += corestate-check
corestate-check_SRCS := tests/integration/corestate_tool.c
corestate-check_LIBS := -liscsi
