PROGS += mtgt-backend-null
mtgt-backend-null_SRCS = procs/backend-null/main.c procs/backend-null/be_null.c $(BE_COMMON_SRCS)
mtgt-backend-null_LIBS = $(BE_COMMON_LIBS)
