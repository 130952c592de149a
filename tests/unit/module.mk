TEST_PROGS += test-sup-config
test-sup-config_SRCS := tests/unit/test_sup_config.c supervisor/sup_config.c supervisor/sup_acl.c supervisor/sup_config_doc.c supervisor/sup_policy.c supervisor/sup_sandbox.c supervisor/sup_alua.c
test-sup-config_LIBS := -ljansson -lcmocka

# Tests of shm/ (rings, links, the data pool).
TEST_PROGS += test-ring-stress
test-ring-stress_SRCS = tests/unit/test_ring_stress.c
test-ring-stress_LIBS = -lcmocka
TEST_PROGS += test-ring-hostile
test-ring-hostile_SRCS = tests/unit/test_ring_hostile.c
test-ring-hostile_LIBS = -lcmocka
TEST_PROGS += test-pool
test-pool_SRCS = tests/unit/test_pool.c
test-pool_LIBS = -lcmocka
test-sup-config_SRCS += supervisor/sup_srp.c supervisor/sup_fc.c
# the supervisor's SRP config keys (supervisor/sup_srp.c)
TEST_PROGS += test-sup-srp
test-sup-srp_SRCS = tests/unit/test_sup_srp.c $(filter-out tests/unit/test_sup_config.c,$(test-sup-config_SRCS))
test-sup-srp_LIBS := -ljansson -lcmocka
# the supervisor's FC config keys (supervisor/sup_fc.c)
TEST_PROGS += test-sup-fc
test-sup-fc_SRCS = tests/unit/test_sup_fc.c $(filter-out tests/unit/test_sup_config.c,$(test-sup-config_SRCS))
test-sup-fc_LIBS := -ljansson -lcmocka
