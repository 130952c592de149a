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
# EXTENDED COPY and SANITIZE checks for xcopy-sanitize.sh
TEST_PROGS += xcopy-check
xcopy-check_SRCS := tests/integration/xcopy_check.c
xcopy-check_LIBS := -liscsi
# Scripted SCSI steps and disk inspection for the backend tests
TEST_PROGS += test-be-probe
test-be-probe_SRCS := tests/integration/be_probe.c tests/integration/tio_conn.c
test-be-probe_LIBS := -liscsi
# Runs a program with io_uring_setup refused (EPERM), for the libaio fallback
TEST_PROGS += test-no-uring
test-no-uring_SRCS := tests/integration/no_uring.c
test-no-uring_LIBS := -lseccomp
# Two initiators on one LUN (per-LUN queue depth and fairness)
TEST_PROGS += test-be-fair
test-be-fair_SRCS := tests/integration/be_fair.c
test-be-fair_LIBS := -liscsi
# Our own raw-PDU iSCSI initiator (ERL 1, SNACK, digests, TMF, AHS, async)
TEST_PROGS += test-raw-initiator
test-raw-initiator_SRCS := tests/integration/rawi_main.c tests/integration/rawi_pdu.c \
                          tests/integration/rawi_cmdsn.c tests/integration/rawi_async.c \
                          tests/integration/rawi_mcs.c tests/integration/rawi_reinst.c \
                          tests/integration/rawi_erl2.c tests/integration/rawi_mcsup.c \
                          tests/integration/rawi_erl2one.c \
                          procs/frontend-iscsi/iscsi_crc32c.c procs/frontend-iscsi/iscsi_pdu.c
# N concurrent libiscsi sessions with verified I/O (iscsi-scale.sh)
TEST_PROGS += test-iscsi-scale
test-iscsi-scale_SRCS := tests/integration/scale_sessions.c
test-iscsi-scale_LIBS := -liscsi
# ALUA through two portal groups for alua.sh
TEST_PROGS += test-alua
test-alua_SRCS := tests/integration/alua_tool.c
test-alua_LIBS := -liscsi
# One session kept open across admin changes (admin-live.sh)
TEST_PROGS += test-admin-probe
test-admin-probe_SRCS := tests/integration/admin_probe.c
test-admin-probe_LIBS := -liscsi
# Two sessions held across core kills: PR, MODE SELECT and UA state (core-restart.sh)
TEST_PROGS += corestate-check
corestate-check_SRCS := tests/integration/corestate_tool.c
corestate-check_LIBS := -liscsi
# A garbage-writing ring peer for faults.sh
TEST_PROGS += test-ring-scribble
test-ring-scribble_SRCS := tests/integration/ring_scribble.c
