PROGS += mtgtctl
mtgtctl_SRCS := cli/main.c cli/ctl_rpc.c cli/ctl_print.c cli/ctl_args.c cli/ctl_table.c cli/ctl_stats.c
mtgtctl_LIBS := -ljansson
