#!/bin/bash
# make bench: mtgt against tgtd, side by side in one run.
#
# Both targets run on CPU 1 with equivalent LUNs (a 1 GiB file in the page
# cache and a null LUN, 512-byte blocks, no digests) on private loopback
# ports; the initiator runs on CPU 0. Each case alternates the targets
# (A B A B ...) BENCH_PAIRS times for BENCH_SECONDS each and prints the median
# IOPS and MB/s of each target and the ratio mtgt/tgtd.
#
# Reads are driven by iscsi-perf (libiscsi-bin); iscsi-perf cannot write, so
# writes are driven by bench-load (bench/bench_load.c, libiscsi's async API),
# the same binary against both targets.
#
#   BENCH_SECONDS=10 BENCH_PAIRS=3 BENCH_CASES="rr4k-null ..." make bench
#   BENCH_MTGT_EXTRA='"iscsi": {"poll_us": 0},' make bench   (an experiment)
set -u
. "$(dirname "$0")/../tests/lib/target.sh"
. "$(dirname "$0")/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_PAIRS=${BENCH_PAIRS:-3}
ALL_CASES="rr4k-null rr4k-file rw4k-file sr128k-file sw128k-file rr4k-qd1-file"
BENCH_CASES=${BENCH_CASES:-$ALL_CASES}
TARGET_CPU=${BENCH_TARGET_CPU:-1}
INIT_CPU=${BENCH_INIT_CPU:-0}

tl_init bench 3520
TGT_PORT=$(( 3521 + ${TEST_PORT_OFFSET:-0} ))
TGT_CTL=$(( 3521 + ${TEST_PORT_OFFSET:-0} ))
TGT_PID=
IQN=iqn.2026-11.org.mtgt:bench
RESULTS=${BENCH_RESULTS:-$TL_ROOT/build/bench-results.txt}

command -v tgtd >/dev/null || tl_fail "tgtd not installed (Debian package tgt; make deps)"
command -v iscsi-perf >/dev/null || tl_fail "iscsi-perf not installed (libiscsi-bin)"
[ -x "$TL_BIN/bench-load" ] || tl_fail "build/bin/bench-load missing (make tests)"

stop_tgtd() {
	[ -n "$TGT_PID" ] || return 0
	kill -TERM "$TGT_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$TGT_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$TGT_PID" 2>/dev/null
	wait "$TGT_PID" 2>/dev/null
	TGT_PID=
}
trap 'stop_tgtd; tl_cleanup' EXIT

# The backing files: one per target so neither sees the other's cache state,
# both written in full and then read once so they sit in the page cache.
for f in mtgt tgtd; do
	dd if=/dev/zero of="$TL_DIR/$f.img" bs=1M count=1024 status=none || tl_fail "dd"
	cat "$TL_DIR/$f.img" >/dev/null
done

# BENCH_MTGT_EXTRA: more top-level config keys for an experiment, e.g.
# '"iscsi": {"poll_us": 0},' (with the trailing comma)
bench_mtgt_config "$IQN" "$TL_DIR/mtgt.img" "${BENCH_MTGT_EXTRA:-}"
bench_start_mtgt "$TARGET_CPU"

taskset -c "$TARGET_CPU" tgtd -f -C "$TGT_CTL" --iscsi portal=127.0.0.1:$TGT_PORT \
	>"$TL_DIR/tgtd.log" 2>&1 &
TGT_PID=$!
tadm() { tgtadm -C "$TGT_CTL" --lld iscsi "$@" >>"$TL_DIR/tgtd.log" 2>&1; }
for _ in $(seq 50); do tadm --op show --mode target && break; sleep 0.1; done
tadm --op new --mode target --tid 1 -T "$IQN" &&
	tadm --op new --mode logicalunit --tid 1 --lun 1 -b "$TL_DIR/tgtd.img" &&
	tadm --op new --mode logicalunit --tid 1 --lun 2 --bstype null -b /dev/null &&
	tadm --op bind --mode target --tid 1 -I ALL || tl_fail "tgtadm setup failed (see $TL_DIR/tgtd.log)"

url() { # target lun
	if [ "$1" = mtgt ]; then echo "iscsi://127.0.0.1:$TL_PORT/$IQN/$2"
	else echo "iscsi://127.0.0.1:$TGT_PORT/$IQN/$2"; fi
}

# One run: prints "IOPS MBPS" (MB = 10^6 bytes) or "0 0" on failure.
run_case() { # case target
	local c=$1 t=$2 out iops bytes lim=$((BENCH_SECONDS + 40))
	case $c in
	rr4k-null) bytes=4096; out=$(timeout $lim taskset -c $INIT_CPU iscsi-perf -m 32 -b 8 -r -t "$BENCH_SECONDS" "$(url $t 2)" 2>&1) ;;
	rr4k-file) bytes=4096; out=$(timeout $lim taskset -c $INIT_CPU iscsi-perf -m 32 -b 8 -r -t "$BENCH_SECONDS" "$(url $t 1)" 2>&1) ;;
	rr4k-qd1-file) bytes=4096; out=$(timeout $lim taskset -c $INIT_CPU iscsi-perf -m 1 -b 8 -r -t "$BENCH_SECONDS" "$(url $t 1)" 2>&1) ;;
	sr128k-file) bytes=131072; out=$(timeout $lim taskset -c $INIT_CPU iscsi-perf -m 32 -b 256 -t "$BENCH_SECONDS" "$(url $t 1)" 2>&1) ;;
	rw4k-file) bytes=4096; out=$(timeout $lim taskset -c $INIT_CPU "$TL_BIN/bench-load" -w -r -q 32 -b 4096 -t "$BENCH_SECONDS" "$(url $t 1)" 2>&1) ;;
	sw128k-file) bytes=131072; out=$(timeout $lim taskset -c $INIT_CPU "$TL_BIN/bench-load" -w -q 32 -b 131072 -t "$BENCH_SECONDS" "$(url $t 1)" 2>&1) ;;
	*) tl_fail "unknown case $c" ;;
	esac
	# iscsi-perf ends with "iops average N (M MB/s)"; bench-load prints "iops N ..."
	iops=$(printf '%s\n' "$out" | tr '\r' '\n' | sed -n -e 's/^iops average \([0-9]*\).*/\1/p' -e 's/^iops \([0-9]*\) mbps.*/\1/p' | tail -1)
	if [ -z "$iops" ] || printf '%s' "$out" | grep -q -E 'errors [1-9]|failed'; then
		echo "[bench] $c on $t failed: $(printf '%s' "$out" | tr '\r' '\n' | tail -2)" >&2
		echo "0 0"; return
	fi
	echo "$iops $(( iops * bytes / 1000000 ))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

{
	echo "mtgt vs tgtd $(tgtd -V 2>/dev/null | head -1): targets on CPU $TARGET_CPU, initiator on CPU $INIT_CPU,"
	echo "$BENCH_PAIRS pairs of ${BENCH_SECONDS}s runs per case (A B A B ...), medians; $(date -u +%Y-%m-%dT%H:%MZ)"
	printf '%-14s %10s %8s %10s %8s %7s\n' case mtgt-IOPS MB/s tgtd-IOPS MB/s ratio
} | tee "$RESULTS"

for c in $BENCH_CASES; do
	: >"$TL_DIR/m.$c"; : >"$TL_DIR/t.$c"
	for ((p = 0; p < BENCH_PAIRS; p++)); do
		run_case "$c" mtgt >>"$TL_DIR/m.$c"
		run_case "$c" tgtd >>"$TL_DIR/t.$c"
	done
	mi=$(awk '{ print $1 }' "$TL_DIR/m.$c" | median); mb=$(awk '{ print $2 }' "$TL_DIR/m.$c" | median)
	ti=$(awk '{ print $1 }' "$TL_DIR/t.$c" | median); tb=$(awk '{ print $2 }' "$TL_DIR/t.$c" | median)
	ratio=$(awk -v a="$mi" -v b="$ti" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '%-14s %10s %8s %10s %8s %7s\n' "$c" "$mi" "$mb" "$ti" "$tb" "$ratio" | tee -a "$RESULTS"
done

# The payload-copy counter (0 on the READ/WRITE path), where the target reports one.
copied=$("$TL_BIN/mtgtctl" -s "$TL_SOCK" --json status 2>/dev/null | grep -o '"payload_bytes_copied"[^,}]*' | head -1)
[ -n "$copied" ] && echo "mtgt $copied" | tee -a "$RESULTS"
echo "results in $RESULTS"

stop_tgtd
tl_stop || tl_fail "mtgt did not stop cleanly"
tl_pass
