# Benchmarks (built by `make tests`; `make bench-ring` builds and runs it).
TEST_PROGS += bench-ring
bench-ring_SRCS = bench/bench_ring.c
# Load generator for `make bench` (reads and writes; iscsi-perf only reads).
TEST_PROGS += bench-load
bench-load_SRCS = bench/bench_load.c
bench-load_LIBS := -liscsi
