PROGS += mtgt-backend-ram
mtgt-backend-ram_SRCS = procs/backend-ram/main.c procs/backend-ram/be_ram.c $(BE_COMMON_SRCS)
mtgt-backend-ram_LIBS = $(BE_COMMON_LIBS)
