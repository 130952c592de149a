# Benchmarks (built by `make tests`; `make bench-ring` builds and runs it).
TEST_PROGS += bench-ring
bench-ring_SRCS = bench/bench_ring.c
