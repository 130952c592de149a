# Backend framework shared by every mtgt-backend-<kind>: each backend program
# adds $(BE_COMMON_SRCS) to its sources (see procs/backend-*/module.mk).
BE_COMMON_SRCS := procs/backend-common/be_main.c procs/backend-common/be_loop.c \
                  procs/backend-common/be_check.c procs/backend-common/be_devs.c \
                  procs/backend-common/be_lba.c procs/backend-common/be_sandbox.c \
                  procs/backend-common/be_live.c \
                  procs/backend-common/be_relink.c
BE_COMMON_LIBS := -lev -ljansson -lseccomp

# Tests of the framework and of the three backend programs (test-be-procs
# execs build/bin/mtgt-backend-*, so build `all` first).
TEST_PROGS += test-be-check test-be-procs
test-be-check_SRCS = tests/unit/test_be_check.c procs/backend-common/be_check.c \
                     procs/backend-common/be_devs.c
test-be-check_LIBS = -lcmocka -ljansson
test-be-procs_SRCS = tests/unit/test_be_procs.c tests/unit/be_harness.c
test-be-procs_LIBS = -lcmocka -ljansson
