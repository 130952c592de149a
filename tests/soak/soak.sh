#!/bin/bash
# Soak: mixed I/O (verify one region, rewrite another) for SOAK_SECONDS while
# the data path's processes are killed in turn with SIGKILL: backend, backend,
# frontend, core, ... Sessions drop when the frontend or the core dies, so I/O
# errors are counted, not fatal; what must hold is that every process comes
# back, no data is lost or torn, and the target stops cleanly at the end.
#
#   SOAK_SECONDS=600 bash tests/soak/soak.sh     (make soak; make test runs 20 s)
. "$(dirname "$0")/../lib/target.sh"
tl_init soak 3390
SECS=${SOAK_SECONDS:-20}
EVERY=${SOAK_KILL_EVERY:-4}

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
L=$TL_DIR/tio.log

tl_tio 60 -s 16M -q 16 -S 31 writeverify "$U" >>"$L" 2>&1 || tl_fail "initial write: $(tail -3 "$L")"
tl_tio 60 -o 32M -s 16M -q 16 -S 32 writeverify "$U" >>"$L" 2>&1 || tl_fail "initial write B: $(tail -3 "$L")"

tl_tio $((SECS + 120)) -d "$SECS" -k -s 16M -S 31 --woffset 32M --wsize 16M --wseed 32 -q 16 \
	-T 20 mixed "$U" >"$TL_DIR/mixed.log" 2>&1 &
pm=$!
TL_BG_PIDS+=($pm)

victims=(backend-file backend-file iscsi core)
end=$(( $(date +%s) + SECS - EVERY ))
kills=0
i=0
while [ "$(date +%s)" -lt "$end" ] && [ $kills -lt 1000 ]; do
	sleep "$EVERY"
	v=${victims[$((i % ${#victims[@]}))]}
	i=$((i + 1))
	tl_wait_ready "$(tl_secs 20)" || tl_fail "target did not recover before kill $kills: $(tl_procs | tr '\n' ';')"
	pid=$(tl_pid "$v")
	[ -n "$pid" ] && [ "$pid" -gt 0 ] || tl_fail "no $v process: $(tl_procs | tr '\n' ';')"
	tl_log "kill -9 $v pid $pid"
	kill -KILL "$pid"
	tl_wait_restarted "$v" "$pid" "$(tl_secs 20)" >/dev/null ||
		tl_fail "$v not restarted: $(tl_procs | tr '\n' ';')"
	kills=$((kills + 1))
done

wait $pm
rm=$?
cat "$TL_DIR/mixed.log" >&2
[ $rm = 0 ] || tl_fail "mixed I/O failed: $(tail -3 "$TL_DIR/mixed.log")"
grep -q ' 0 miscompares' "$TL_DIR/mixed.log" || tl_fail "miscompares during the soak"
tl_wait_ready "$(tl_secs 20)" || tl_fail "target did not recover at the end"
tl_tio 60 -s 16M -q 16 -S 31 verify "$U" >>"$L" 2>&1 || tl_fail "region A after the soak: $(tail -3 "$L")"
tl_tio 60 -o 32M -s 16M -q 16 -S 32 verify "$U" >>"$L" 2>&1 || tl_fail "region B after the soak: $(tail -3 "$L")"
tl_log "$kills kills in $SECS s; $(grep -o 'verify: .*' "$TL_DIR/mixed.log" | tail -1)"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
