#!/bin/bash
# 256 concurrent iSCSI sessions (libiscsi, distinct initiators), each with
# verified I/O before and after a pause in which all are idle; the resident
# memory of mtgt-iscsi and mtgt-core is measured with 0 and with N idle
# sessions and the cost per idle session reported, and so is the memory of
# the whole target (every process, shared pages split: Pss) (build/test-logs
# and the test output). Fails if a session cannot log in or verify its data, or if an
# idle session costs more than 1 MiB of private memory.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-scale 3421
N=${SCALE_SESSIONS:-256}

[ -x "$TL_BIN/test-iscsi-scale" ] || tl_fail "build/bin/test-iscsi-scale missing (make tests)"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "64M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
fe=$(tl_pid iscsi); co=$(tl_pid core)
[ -n "$fe" ] && [ -n "$co" ] || tl_fail "no frontend/core pid: $(tl_procs | tr '\n' ';')"

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
measure() { # label
	echo "$1 frontend VmRSS $(kb "$fe" VmRSS) RssAnon $(kb "$fe" RssAnon) core VmRSS $(kb "$co" VmRSS) RssAnon $(kb "$co" RssAnon)"
}
# the whole target: mtgtd and every child, shared memory split between them
whole_kb() {
	local t=0 p v
	for p in $TL_PID $(tl_procs | awk '$3 > 0 { print $3 }'); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}
w0=$(whole_kb)
fe0=$(kb "$fe" RssAnon); co0=$(kb "$co" RssAnon); fv0=$(kb "$fe" VmRSS); cv0=$(kb "$co" VmRSS)
m0=$(measure "0 sessions:")

mkfifo "$TL_DIR/go"
exec 7<>"$TL_DIR/go"
"$TL_BIN/test-iscsi-scale" "127.0.0.1:$TL_PORT" "$TL_TARGET" "$N" <&7 >"$TL_DIR/scale.out" 2>"$TL_DIR/scale.err" &
sp=$!
TL_BG_PIDS+=($sp)
for _ in $(seq 1 $(( 120 * TL_SLOW ))); do
	grep -q '^ready' "$TL_DIR/scale.out" && break
	kill -0 $sp 2>/dev/null || break
	sleep 1
done
grep -q "^ready $N" "$TL_DIR/scale.out" || tl_fail "sessions not ready: $(tail -3 "$TL_DIR/scale.err")"
sleep 1
fe1=$(kb "$fe" RssAnon); co1=$(kb "$co" RssAnon); fv1=$(kb "$fe" VmRSS); cv1=$(kb "$co" VmRSS)
m1=$(measure "$N sessions:")
w1=$(whole_kb)
echo go >&7
wait $sp
rc=$?
exec 7>&-
cat "$TL_DIR/scale.err" >&2
[ $rc = 0 ] || tl_fail "test-iscsi-scale exit $rc: $(tail -3 "$TL_DIR/scale.err")"
per_anon=$(( ( (fe1 - fe0) + (co1 - co0) ) * 1024 / N ))
per_rss=$(( ( (fv1 - fv0) + (cv1 - cv0) ) * 1024 / N ))
tl_log "$m0"
tl_log "$m1"
tl_log "frontend+core per idle session: ${per_anon} bytes private (RssAnon), ${per_rss} bytes resident (VmRSS, pool pages touched by the I/O included)"
mkdir -p "$TL_ROOT/build/test-logs"
tl_log "whole target (all processes, Pss): $w0 KiB idle, $w1 KiB with $N idle sessions"
printf '%s\n%s\nper idle session: %s bytes RssAnon, %s bytes VmRSS\nwhole target Pss: %s KiB with 0, %s KiB with %s idle sessions\n' \
	"$m0" "$m1" "$per_anon" "$per_rss" "$w0" "$w1" "$N" \
	>"$TL_ROOT/build/test-logs/iscsi-scale-memory.txt"
[ "$per_anon" -lt 1048576 ] || tl_fail "an idle session costs $per_anon bytes"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
