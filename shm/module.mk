LIB_SRCS += shm/ring.c shm/pool.c shm/link.c shm/shm_fd.c
