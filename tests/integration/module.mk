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
# A garbage-writing ring peer for faults.sh
TEST_PROGS += test-ring-scribble
test-ring-scribble_SRCS := tests/integration/ring_scribble.c
