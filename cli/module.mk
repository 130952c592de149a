PROGS += mtgtctl
mtgtctl_SRCS := cli/main.c cli/ctl_rpc.c cli/ctl_print.c
mtgtctl_LIBS := -ljansson
