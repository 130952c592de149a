TEST_PROGS += test-sup-config
test-sup-config_SRCS := tests/unit/test_sup_config.c supervisor/sup_config.c
test-sup-config_LIBS := -ljansson -lcmocka
