LIB_SRCS += common/log.c common/ctl.c common/child.c common/sandbox.c common/rpc_schema.c common/hist.c
LIB_SRCS += common/fe_link.c
