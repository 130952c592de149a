#!/bin/bash
# bench/qd1-sched.sh: where one queue-depth-1 round trip spends its time.
#
# Starts mtgt like `make bench` (every process on CPU 1, the initiator on CPU
# 0), drives 4 KiB random reads at QD1 with bench-load, and records the
# scheduler's switch and wakeup events on both CPUs for QD1_TRACE_S seconds
# (`perf sched record`). From `perf sched timehist` it prints, per I/O:
# how long each process ran, how often it was switched in, and how long the
# initiator waited between being woken and running (its wakeup latency).
# The initiator's own time and that wait are what the target cannot change;
# the rest is the target's path. Tracing adds a little to every switch.
#
#   QD1_LUN=2 (null) | 1 (file, default)   QD1_TRACE_S=1 (whole seconds)
#   QD1_EXTRA='"core": {"poll_us": 0},' (a config fragment)
set -u
. "$(dirname "$0")/../tests/lib/target.sh"
. "$(dirname "$0")/lib.sh"

TARGET_CPU=${BENCH_TARGET_CPU:-1}
INIT_CPU=${BENCH_INIT_CPU:-0}
IQN=iqn.2026-11.org.mtgt:qd1
LUN=${QD1_LUN:-1}
TRACE_S=${QD1_TRACE_S:-1}
case $TRACE_S in ''|*[!0-9]*) echo "qd1-sched: QD1_TRACE_S must be whole seconds" >&2; exit 1 ;; esac

command -v perf >/dev/null || { echo "qd1-sched: perf not installed" >&2; exit 1; }
[ -x "$TL_BIN/bench-load" ] || { echo "qd1-sched: build/bin/bench-load missing (make tests)" >&2; exit 1; }
tl_init qd1-sched 3445

dd if=/dev/zero of="$TL_DIR/lun.img" bs=1M count=256 status=none || tl_fail "dd"
cat "$TL_DIR/lun.img" >/dev/null
bench_mtgt_config "$IQN" "$TL_DIR/lun.img" "${QD1_EXTRA:-}"
bench_start_mtgt "$TARGET_CPU"

secs=$((TRACE_S + 3))
taskset -c "$INIT_CPU" "$TL_BIN/bench-load" -r -q 1 -b 4096 -t "$secs" \
	"iscsi://127.0.0.1:$TL_PORT/$IQN/$LUN" >"$TL_DIR/load.out" 2>&1 &
lp=$!
TL_BG_PIDS+=("$lp")
sleep 1.5
perf sched record -C "$INIT_CPU,$TARGET_CPU" -o "$TL_DIR/sched.data" -- sleep "$TRACE_S" \
	>/dev/null 2>&1 || tl_fail "perf sched record failed"
wait "$lp"
echo "load: $(cat "$TL_DIR/load.out")"

# timehist lines: time [cpu] comm[tid] wait sch-delay run (ms); the I/O
# count is the number of times the initiator was switched in
perf sched timehist -i "$TL_DIR/sched.data" 2>/dev/null | awk '
	$2 ~ /^\[/ && NF >= 6 && $4 ~ /^[0-9.]+$/ {
		name = $3; sub(/\[[0-9\/]+\]$/, "", name)
		run[name] += $6; n[name]++; delay[name] += $5
	}
	END {
		ios = n["bench-load"]
		if (!ios) { print "no initiator runs traced"; exit 1 }
		printf "%d I/Os traced; per I/O:\n", ios
		printf "  %-18s %9s %9s %12s\n", "task", "run us", "switches", "wake wait us"
		for (t in run) {
			# ours and the initiator; other work on the machine shows as
			# "other" (a quiet machine has none)
			k = t ~ /^(mtgt|bench-load|<idle>)/ ? t : "other"
			r[k] += run[t]; c[k] += n[t]; d[k] += delay[t]
		}
		for (k in r)
			printf "  %-18s %9.2f %9.2f %12.2f\n", k, r[k] * 1000 / ios, c[k] / ios,
				d[k] * 1000 / ios | "sort -k2,2nr"
	}' || tl_fail "no initiator runs traced (see $TL_DIR)"
tl_stop || tl_fail "mtgt did not stop cleanly"
tl_pass
