#!/bin/bash
# End-to-end tests of mtgt-iscsi against the fake supervisor+core helper
# (tests/helpers/iscsi_fake_core.c) with real libiscsi initiators.
# Ports 3310-3313 on 127.0.0.1. Run from the repository root after
# `make all tests` (or `make SAN=1 all tests`).
set -u
BIN=build/bin
PORT=${ISCSI_TEST_PORT:-$((3310 + ${TEST_PORT_OFFSET:-0}))}
TGT=iqn.2026-11.org.mtgt:test
fail=0
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

start() { # port [env...]
	local port=$1; shift
	env "$@" $BIN/test-iscsi-fakecore "$port" $BIN/mtgt-iscsi > "/tmp/mtgt-iscsi-fake-$port.log" 2>&1 &
	pids+=($!)
	LAST=$!
	for _ in $(seq 50); do
		grep -q "ctl READY" "/tmp/mtgt-iscsi-fake-$port.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "target on $port did not start"; return 1
}
step() { echo "== $*"; }
check() { if "$@"; then echo "   ok"; else echo "   FAILED: $*"; fail=1; fi; }

start $PORT || exit 1
step "discovery (iscsi-ls)"
check bash -c "iscsi-ls iscsi://127.0.0.1:$PORT/ | grep -q 'Target:$TGT Portal:127.0.0.1:$PORT,1'"
step "inquiry / read capacity"
check bash -c "iscsi-inq iscsi://127.0.0.1:$PORT/$TGT/0 | grep -q FAKE-CORE-DISK"
check bash -c "iscsi-readcapacity16 iscsi://127.0.0.1:$PORT/$TGT/0 | grep -q 'LOGICAL BLOCK LENGTH IN BYTES:512'"
step "I/O through every data-out path, residuals, queue depth, TMF, logout"
check timeout 120 $BIN/test-iscsi-io 127.0.0.1:$PORT $TGT
step "hostile initiator"
check timeout 300 python3 tests/integration/iscsi_fuzz.py 127.0.0.1 $PORT $TGT 300 1
step "CTL_STATS answered with counters"
kill -USR2 $LAST
sleep 0.5
check grep -q 'ctl STATS {"connections":0,.*"commands":[1-9]' /tmp/mtgt-iscsi-fake-$PORT.log
step "no sanitizer reports"
check bash -c "! grep -a -q 'Sanitizer\|runtime error' /tmp/mtgt-iscsi-fake-$PORT.log"

step "pool exhaustion back-pressure (4 MiB arena, 64 x 1 MiB in flight)"
start $((PORT + 1)) ISCSI_ARENA_MB=4 || exit 1
check timeout 120 $BIN/test-iscsi-io 127.0.0.1:$((PORT + 1)) $TGT 1048576

step "shutdown drains and exits 0"
start $((PORT + 2)) || exit 1
SD=$LAST
iscsi-perf -t 5 iscsi://127.0.0.1:$((PORT + 2))/$TGT/0 > /dev/null 2>&1 &
pids+=($!)
sleep 1
kill -USR1 $SD
for _ in $(seq 50); do kill -0 $SD 2>/dev/null || break; sleep 0.1; done
check grep -q "frontend exited, status 0x0" /tmp/mtgt-iscsi-fake-$((PORT + 2)).log

step "a core that breaks the ring protocol is reported, not obeyed"
start $((PORT + 3)) FAKE_EVIL=1 || exit 1
timeout 10 iscsi-inq iscsi://127.0.0.1:$((PORT + 3))/$TGT/0 > /dev/null 2>&1
check grep -q "ctl VIOLATION .*completion with a tag we did not issue" /tmp/mtgt-iscsi-fake-$((PORT + 3)).log
check bash -c "! timeout 10 iscsi-inq iscsi://127.0.0.1:$((PORT + 3))/$TGT/0 > /dev/null 2>&1"

[ $fail = 0 ] && echo "iscsi frontend: ALL OK" || echo "iscsi frontend: FAILURES"
exit $fail
