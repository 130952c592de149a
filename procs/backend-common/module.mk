# Backend framework shared by every mtgt-backend-<kind>: each backend program
# adds $(BE_COMMON_SRCS) to its sources (see procs/backend-*/module.mk).
BE_COMMON_SRCS := procs/backend-common/be_main.c procs/backend-common/be_loop.c \
                  procs/backend-common/be_check.c procs/backend-common/be_devs.c
BE_COMMON_LIBS := -lev -ljansson
