PROGS += mtgt-backend-file
mtgt-backend-file_SRCS = procs/backend-file/main.c procs/backend-file/be_file.c \
                         procs/backend-file/be_file_ring.c procs/backend-file/be_file_aio.c \
                         procs/backend-file/be_file_direct.c $(BE_COMMON_SRCS)
mtgt-backend-file_LIBS = $(BE_COMMON_LIBS) -luring -laio
