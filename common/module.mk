LIB_SRCS += common/log.c common/ctl.c common/child.c common/sandbox.c
LIB_SRCS += common/fe_link.c
