#!/bin/bash
# bench/cost.sh: what one I/O costs the target, in CPU time, context switches
# and system calls, per process. Unlike `make bench` this does not need a
# quiet machine: a fixed run of bench-load, and `perf stat` attached to every
# child of mtgtd, counts what the target spent, whatever else shares the
# CPUs. Targets on CPU 1, initiator on CPU 0, as in bench/run.sh.
#
#   COST_SECONDS=5 COST_CASES="qd1-read qd32-null qd32-write" bench/cost.sh
#
# Prints per case and per process: task-clock µs, context switches and
# syscalls per I/O, and the sum over the target's processes.
set -u
. "$(dirname "$0")/../tests/lib/target.sh"
. "$(dirname "$0")/lib.sh"

COST_SECONDS=${COST_SECONDS:-5}
COST_CASES=${COST_CASES:-"qd1-read qd32-null qd32-write"}
TARGET_CPU=${BENCH_TARGET_CPU:-1}
INIT_CPU=${BENCH_INIT_CPU:-0}
IQN=iqn.2026-11.org.mtgt:cost

command -v perf >/dev/null || { echo "cost: perf not installed" >&2; exit 1; }
tl_init cost 3444

dd if=/dev/zero of="$TL_DIR/lun.img" bs=1M count=256 status=none || tl_fail "dd"
cat "$TL_DIR/lun.img" >/dev/null

bench_mtgt_config "$IQN" "$TL_DIR/lun.img" "${COST_EXTRA_CONFIG:-}"
if [ -n "${COST_UNPINNED:-}" ]; then
	bench_start_mtgt ""
else
	bench_start_mtgt "$TARGET_CPU" ${COST_WRAP:-}
fi

# utime+stime of each child in clock ticks, dead threads (io-wq workers)
# included, which perf's per-thread counters attached at the start miss
snap() {
	local p cs
	for p in $(printf '%s\n' $pids | cut -d= -f1); do
		cs=$(cat /proc/$p/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }')
		echo "$p $(awk '{ print $14 + $15 }' /proc/$p/stat 2>/dev/null || echo 0) $cs $(ls /proc/$p/task 2>/dev/null | wc -l)"
	done | sort >"$1"
}

url() { echo "iscsi://127.0.0.1:$TL_PORT/$IQN/$1"; }

# pid=name pairs of mtgtd's children
pids=$(tl_procs | awk '$3 ~ /^[0-9]+$/ { print $3 "=" $1 }')
[ -n "$pids" ] || tl_fail "no child pids"
plist=$(printf '%s\n' $pids | cut -d= -f1 | paste -sd,)

for c in $COST_CASES; do
	case $c in
	qd1-read)   args="-r -q 1 -b 4096"; lun=1 ;;
	qd32-null)  args="-r -q 32 -b 4096"; lun=2 ;;
	qd32-read)  args="-r -q 32 -b 4096"; lun=1 ;;
	qd32-write) args="-w -r -q 32 -b 4096"; lun=1 ;;
	idle)       snap "$TL_DIR/before.idle"; sleep "$COST_SECONDS"; snap "$TL_DIR/after.idle"
		    join "$TL_DIR/before.idle" "$TL_DIR/after.idle" | awk -v hz="$(getconf CLK_TCK)" -v s="$COST_SECONDS" \
			'{ t += $5 - $2; c += $6 - $3 } END { printf "== idle: %.2f%% of a CPU, %d context switches/s\n", t * 100 / hz / s, c / s }'
		    continue ;;
	*) tl_fail "unknown case $c" ;;
	esac
	snap "$TL_DIR/before.$c"
	perf stat -x, --per-thread -e task-clock,context-switches,raw_syscalls:sys_enter \
		-p "$plist" -o "$TL_DIR/perf.$c" &
	ppid=$!
	if [ -n "${COST_PROFILE:-}" ]; then
		perf record -q -g -o "$TL_DIR/rec.$c" -p "$plist" -- sleep "$COST_SECONDS" >/dev/null 2>&1 &
		rpid=$!
	fi
	sleep 0.3
	out=$(taskset -c "$INIT_CPU" "$TL_BIN/bench-load" $args -t "$COST_SECONDS" "$(url $lun)" 2>&1)
	kill -INT "$ppid"; wait "$ppid"
	snap "$TL_DIR/after.$c"
	[ -n "${COST_PROFILE:-}" ] && { wait "$rpid"; echo "  profile: perf report -i $TL_DIR/rec.$c"; }
	iops=$(printf '%s\n' "$out" | sed -n 's/^iops \([0-9]*\) .*/\1/p')
	[ -n "$iops" ] && [ "$iops" -gt 0 ] || tl_fail "$c: bench-load: $out"
	ios=$((iops * COST_SECONDS))
	echo "== $c: $ios I/Os ($iops IOPS, $out)"
	# perf -x, --per-thread lines: comm-tid,value,unit,event,...
	awk -F, -v ios="$ios" -v pids="$pids" '
		BEGIN { n = split(pids, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); name[kv[1]] = kv[2] } }
		/^#/ || NF < 4 { next }
		{ tid = $1; sub(/.*-/, "", tid); p = (tid in name) ? name[tid] : "thread-" tid
		  ev = $4; v = $2 + 0
		  if (ev ~ /task-clock/) cpu[p] += v
		  else if (ev ~ /context-switches/) cs[p] += v
		  else if (ev ~ /sys_enter/) sc[p] += v
		  seen[p] = 1 }
		END { printf "  %-22s %10s %10s %10s\n", "process", "us/IO", "cs/IO", "sys/IO"
		      for (p in seen) { if (cpu[p] / ios < 0.005 && cs[p] / ios < 0.005) continue
			printf "  %-22s %10.2f %10.3f %10.3f\n", p, cpu[p] * 1000 / ios, cs[p] / ios, sc[p] / ios
			tc += cpu[p]; tcs += cs[p]; tsc += sc[p] }
		      printf "  %-22s %10.2f %10.3f %10.3f\n", "TOTAL", tc * 1000 / ios, tcs / ios, tsc / ios }
	' "$TL_DIR/perf.$c"
	hz=$(getconf CLK_TCK)
	join "$TL_DIR/before.$c" "$TL_DIR/after.$c" | awk -v ios="$ios" -v hz="$hz" -v pids="$pids" '
		BEGIN { n = split(pids, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); name[kv[1]] = kv[2] } }
		{ d = ($5 - $2) * 1e6 / hz; c = $6 - $3; t += d; tc += c
		  if (d > 0) printf "  /proc %-16s %10.2f %10.3f  (threads %d)\n", name[$1], d / ios, c / ios, $7 }
		END { printf "  /proc %-16s %10.2f %10.3f\n", "TOTAL", t / ios, tc / ios }'
done
"$TL_BIN/mtgtctl" -s "$TL_SOCK" --json status >"$TL_DIR/status.json" 2>/dev/null
[ -n "${COST_STATUS:-}" ] && cat "$TL_DIR/status.json"
tl_stop || tl_fail "mtgt did not stop cleanly"
tl_pass
