# mtgt — top-level entry points. The build rules live in build.mk; every folder
# lists its own sources in its module.mk.

.DEFAULT_GOAL := all
include build.mk

DEPS_STAMP := build/.deps-ok

# Install missing Debian packages once per machine (idempotent; cheap when done).
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@bash scripts/install-deps.sh
	@mkdir -p build && touch $@

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	@echo "mtgt: starting the demo target iqn.2026-11.org.mtgt:demo on 127.0.0.1:3260"
	@echo "mtgt: connect with e.g.  iscsi-ls iscsi://127.0.0.1/   or   iscsi-inq iscsi://127.0.0.1/iqn.2026-11.org.mtgt:demo/0"
	@echo "mtgt: admin:  build/bin/mtgtctl -s var/mtgtd.sock status   (Ctrl-C stops the target)"
	exec build/bin/mtgtd -f

test: deps
	@$(MAKE) --no-print-directory all tests
	@bash tests/run-all.sh

# Three runs of iscsi-test-cu -t ALL: one URL (-d); -S with a second session
# on the same LUN (multipath and two-initiator tests); the same on the LUN
# configuration that runs the most tests (CONFORMANCE_MAIN_LUN, see
# docs/conformance.md). Then the tests that need another kind of LUN, each on
# its own: the ReadOnly family (write-protected), the removable-medium tests,
# the tests that need 512-byte blocks on 4 KiB physical ones (512e), and
# Sanitize.Reset alone (libiscsi leaks a reservation into it in the two-URL
# runs). Any failed test fails the target.
CONFORMANCE_MAIN_LUN ?= {"thin": true}
conformance: deps
	@$(MAKE) --no-print-directory all
	@bash tests/conformance/run.sh; a=$$?; \
	 CONFORMANCE_MULTIPATH=1 bash tests/conformance/run.sh; b=$$?; \
	 CONFORMANCE_MULTIPATH=1 CONFORMANCE_LUN_JSON='$(CONFORMANCE_MAIN_LUN)' bash tests/conformance/run.sh; c=$$?; \
	 CONFORMANCE_READONLY=1 bash tests/conformance/run.sh; d=$$?; \
	 CONFORMANCE_REMOVABLE=1 CONFORMANCE_MULTIPATH=1 bash tests/conformance/run.sh; e=$$?; \
	 CONFORMANCE_512E=1 bash tests/conformance/run.sh; f=$$?; \
	 CONFORMANCE_SANITIZE_RESET=1 bash tests/conformance/run.sh; g=$$?; \
	 exit $$((a | b | c | d | e | f | g))

bench-ring: deps
	@$(MAKE) --no-print-directory build/bin/bench-ring
	@build/bin/bench-ring

.PHONY: deps run test conformance bench-ring

# mtgt against tgtd, side by side (bench/run.sh; BENCH_SECONDS, BENCH_PAIRS,
# BENCH_CASES). A benchmark, not a test: nothing here passes or fails on speed.
bench: deps
	@$(MAKE) --no-print-directory all build/bin/bench-load
	@bash bench/run.sh
.PHONY: bench

# Fuzzing: `make fuzz` runs each harness for FUZZ_SECONDS (default 60);
# `make fuzz-short` (part of make test) runs a fixed number of inputs.
FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZERS:%=build/fuzz/%)
	@bash tests/fuzz/run.sh -max_total_time=$(FUZZ_SECONDS) $(FUZZERS)
fuzz-short: deps $(FUZZERS:%=build/fuzz/%)
	@bash tests/fuzz/run.sh -runs=20000 $(FUZZERS)
.PHONY: fuzz fuzz-short

# Soak: SOAK_SECONDS of I/O while processes are killed in turn (make test runs
# a 20 s version).
SOAK_SECONDS ?= 600
# fault-injection suite: SIGKILLs per process kind (make test runs 3)
FAULT_KILLS ?= 20
soak: deps
	@$(MAKE) --no-print-directory all tests
	@SOAK_SECONDS=$(SOAK_SECONDS) bash tests/soak/soak.sh
	@FAULT_KILLS=$(FAULT_KILLS) bash tests/integration/faults.sh
.PHONY: soak

# Admin RPC reference and bash completion, generated from common/rpc_schema.c
# (tests/integration/rpc-doc.sh fails when they are stale).
docs: all
	@build/bin/rpc-doc --markdown > docs/rpc.md
	@build/bin/rpc-doc --bash > dist/mtgtctl.bash-completion
	@echo "docs/rpc.md and dist/mtgtctl.bash-completion regenerated"
.PHONY: docs
