PROGS += mtgtctl
mtgtctl_SRCS := cli/main.c cli/ctl_rpc.c cli/ctl_print.c
mtgtctl_SRCS += cli/ctl_upgrade.c
mtgtctl_LIBS := -ljansson
