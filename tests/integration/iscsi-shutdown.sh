#!/bin/bash
# What sessions are told when the target goes away, seen by our raw-PDU
# initiator against the whole target:
# - SIGTERM of mtgtd: every session gets AsyncEvent 1 (logout requested,
#   Parameter3 = shutdown_logout_s, 3); one that logs out gets a Logout
#   Response with Time2Wait = the DefaultTime2Wait it negotiated (5), one that
#   does not gets AsyncEvent 2 (Parameter2 Time2Wait 5) and is closed;
#   mtgtd exits 0.
# - mtgtctl session drop: AsyncEvent 3 (Time2Wait 5, Time2Retain 0), closed.
# - proc upgrade of mtgt-iscsi: a live handover tells the sessions nothing
#   (no Asynchronous Message, commands go on); an upgrade that cannot hand
#   over (a PDU stuck half sent) falls back to a plain restart, and then the
#   sessions get AsyncEvent 1 as at a shutdown (the one that logs out gets
#   Time2Wait 5; the stuck one AsyncEvent 2 and is closed).
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-shutdown 3429

[ -x "$TL_BIN/test-raw-initiator" ] || tl_fail "build/bin/test-raw-initiator missing (make tests)"
mkdir -p "$TL_DIR/v2"
cp "$TL_BIN/mtgt-iscsi" "$TL_DIR/v2/mtgt-iscsi" || tl_fail "copy mtgt-iscsi"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
CTL() { timeout "$(tl_secs 60)" "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }
# raw CASE LOG [ENV...]: start a raw session in the background
raw() {
	local c=$1 log=$2
	shift 2
	env RAWI_T2W=5 RAWI_P3=3 "$@" timeout -k 5 "$(tl_secs 90)" "$TL_BIN/test-raw-initiator" \
		"127.0.0.1:$TL_PORT" "$TL_TARGET" "$c" >"$log" 2>&1 &
	RAW_PID=$!
	TL_BG_PIDS+=($RAW_PID)
	for _ in $(seq 100); do grep -q '^ready' "$log" 2>/dev/null && return 0; sleep 0.1; done
	tl_fail "$c: no session: $(tail -3 "$log")"
}
check_raw() { # pid log case
	wait "$1" || tl_fail "$3: $(grep -m3 FAIL "$2" | tr '\n' ' ')"
	grep -q "^ok $3" "$2" || tl_fail "$3: $(tail -3 "$2")"
}

# 1: SIGTERM
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
raw shut-logout "$TL_DIR/a.log"; a=$RAW_PID
raw shut-ignore "$TL_DIR/b.log"; b=$RAW_PID
tl_stop 20 || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
check_raw $a "$TL_DIR/a.log" shut-logout
check_raw $b "$TL_DIR/b.log" shut-ignore
tl_log "SIGTERM: AsyncEvent 1 (Parameter3 3), Logout Time2Wait 5, AsyncEvent 2 Time2Wait 5"

# 2: live upgrade: nothing to tell
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready (second start)"
raw shut-none "$TL_DIR/n.log" RAWI_SECS=6; n=$RAW_PID
out=$(CTL proc upgrade iscsi0 --binary "$TL_DIR/v2/mtgt-iscsi") || tl_fail "live upgrade: $out"
check_raw $n "$TL_DIR/n.log" shut-none
tl_log "live upgrade: $(grep 'shut-none:' "$TL_DIR/n.log"), no Asynchronous Message"

# an administrator drops a session: AsyncEvent 3, then closed
raw shut-drop "$TL_DIR/e.log"; e=$RAW_PID
# the session list comes with the stats of the last heartbeat: wait for it
tsih=
for _ in $(seq $(( 50 * TL_SLOW ))); do
	tsih=$(CTL --json session list | "$TL_PY" -c '
import json, sys
j = json.load(sys.stdin)
s = j if isinstance(j, list) else j.get("sessions", [])
print(" ".join(str(x["tsih"]) for x in s if "raw-shutdown" in x.get("initiator", "")
               and x.get("isid", "").endswith("05")))')  # shut-drop: ISID ...05
	[ -n "$tsih" ] && break
	sleep 0.2
done
[ -n "$tsih" ] && [ "${tsih// /}" = "$tsih" ] || tl_fail "session list: TSIH '$tsih'"
CTL session drop "$tsih" >/dev/null || tl_fail "session drop $tsih failed"
check_raw $e "$TL_DIR/e.log" shut-drop
tl_log "session drop: AsyncEvent 3 (Time2Wait 5, Time2Retain 0), then closed"

# 3: an upgrade that cannot hand over: a plain restart, sessions asked to log out
raw shut-logout "$TL_DIR/c.log"; c=$RAW_PID
raw shut-stuck "$TL_DIR/d.log"; d=$RAW_PID
old=$(tl_pid iscsi0)
out=$(CTL --json proc upgrade iscsi0 --binary "$TL_DIR/v2/mtgt-iscsi" --quiesce-timeout 1000) &&
	tl_fail "upgrade with a stuck PDU reported success: $out"
grep -q '"state": "restarted"' <<<"$out" || tl_fail "stuck PDU: no fallback: $out"
check_raw $c "$TL_DIR/c.log" shut-logout
check_raw $d "$TL_DIR/d.log" shut-stuck
tl_wait_restarted iscsi0 "$old" 20 >/dev/null || tl_fail "no plain restart after the failed handover"
tl_wait_ready 20 || tl_fail "not ready after the fallback restart"
tl_log "fallback restart: AsyncEvent 1 to both sessions, Logout Time2Wait 5, AsyncEvent 2 to the stuck one"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
