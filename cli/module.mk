PROGS += mtgtctl
mtgtctl_SRCS := cli/main.c cli/ctl_rpc.c cli/ctl_print.c cli/ctl_args.c cli/ctl_table.c cli/ctl_stats.c
mtgtctl_SRCS += cli/ctl_upgrade.c
mtgtctl_LIBS := -ljansson
# docs/rpc.md and dist/mtgtctl.bash-completion come from the schema (make docs)
PROGS += rpc-doc
rpc-doc_SRCS := cli/rpc_doc.c
rpc-doc_LIBS := -ljansson
