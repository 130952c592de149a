#!/bin/bash
# Live upgrade of mtgt-srp (`mtgtctl proc upgrade srp0`) under SRP load with
# 8 commands in flight: the old instance stops reading IUs, lets every
# received command finish and hands its channels over (the soft transport's
# sockets and memory-region memfds, credits, sessions with their nexus ids)
# with the core link and the CM socket; the initiator notices nothing (the
# strict `steady` load: one login, every command GOOD, data verified). The
# new pid runs the new binary; core and backends keep their pids.
# Then, under a load that may reconnect (`across`: fixed LBAs read back after
# every round, so an acknowledged write that got lost shows): a new binary
# that exits at once is rolled back; with 24 more idle channels the fds are
# more than one handover carries, so the channels are drained and ended with
# a clean T_LOGOUT instead and the initiators log in again; and an upgrade
# with a 1 ms quiesce deadline is done or falls back to a plain restart.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-upgrade 3494

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0004
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"
CTL() { timeout 60 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "null", "size": "1T"},
                {"lun": 2, "backend": "ram",  "size": "64M", "block_size": 4096} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
mkdir -p "$TL_DIR/v2"
cp "$TL_BIN/mtgt-srp" "$TL_DIR/v2/mtgt-srp" || tl_fail "copy mtgt-srp"
declare -A pid0
for p in core iscsi0 backend-file backend-null backend-ram; do
	pid0[$p]=$(tl_pid $p)
done

# 1, 2: two upgrades (the second to another binary file) under the strict
# load: the channels move to the new process, the initiator notices nothing
secs=$(tl_secs 10)
timeout $(( secs + 60 )) "$INI" "$SOCK" "$TPORT" "$IPORT" steady "$secs" 8 \
	>"$TL_DIR/steady.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"
for bin in "$TL_BIN/mtgt-srp" "$TL_DIR/v2/mtgt-srp"; do
	kill -0 $pl 2>/dev/null || tl_fail "load ended early: $(tail -3 "$TL_DIR/steady.log")"
	old=$(tl_pid srp0)
	out=$(CTL --json proc upgrade srp0 --binary "$bin") || tl_fail "upgrade refused: $out"
	grep -q '"state": "done"' <<<"$out" || tl_fail "upgrade not done: $out"
	new=$(tl_pid srp0)
	[ "$new" -gt 0 ] && [ "$new" != "$old" ] || tl_fail "srp0 pid $old -> $new"
	[ "$(readlink "/proc/$new/exe")" = "$bin" ] || tl_fail "srp0 runs $(readlink "/proc/$new/exe"), not $bin"
	tl_log "upgraded srp0 $old -> $new ($bin): $(tr -d '\n ' <<<"$out" | grep -o '"detail":{[^}]*}')"
	sleep "$(tl_secs 2)"
done
wait $pl || tl_fail "the initiator saw the upgrades: $(tail -3 "$TL_DIR/steady.log")"
cat "$TL_DIR/steady.log" >&2
grep -q '^steady: .* 0 errors' "$TL_DIR/steady.log" || tl_fail "no summary from the initiator"
[ "$(grep -c 'channels of [0-9]* sessions handed over' "$TL_LOG")" = 2 ] ||
	tl_fail "channels were not handed over twice"
! grep -q 'closing: target upgrading' "$TL_LOG" || tl_fail "a channel was ended by an upgrade"

# 3-5: the load that may see its channel end (cleanly) and reconnect
secs=$(tl_secs 12)
timeout $(( secs + 60 )) "$INI" "$SOCK" "$TPORT" "$IPORT" across "$secs" 8 1 \
	>"$TL_DIR/load.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"

# 3: a new binary that exits at once: rolled back, the old one serves on
old=$(tl_pid srp0)
out=$(CTL --json proc upgrade srp0 --binary /bin/false) && tl_fail "upgrade to /bin/false succeeded: $out"
grep -q '"state": "rolled_back"' <<<"$out" || tl_fail "upgrade to /bin/false not rolled back: $out"
[ "$(tl_pid srp0)" = "$old" ] || tl_fail "srp0 changed pid in a rollback"
sleep "$(tl_secs 2)"

# 4: 24 idle channels more: their sockets and memfds are more fds than one
# control message carries, so the channels cannot move; they are drained
# and ended with T_LOGOUT, the initiators log in again to the new binary,
# and no acknowledged write is lost
timeout $(( $(tl_secs 8) + 60 )) "$INI" "$SOCK" "$TPORT" "$IPORT" hold 24 "$(tl_secs 6)" \
	>"$TL_DIR/hold.log" 2>&1 &
ph=$!
TL_BG_PIDS+=($ph)
for _ in $(seq 100); do
	grep -q '^hold: 24 channels logged in' "$TL_DIR/hold.log" && break
	sleep 0.1
done
grep -q '^hold: 24 channels logged in' "$TL_DIR/hold.log" || tl_fail "hold: $(tail -2 "$TL_DIR/hold.log")"
old=$(tl_pid srp0)
out=$(CTL --json proc upgrade srp0) || tl_fail "upgrade with 25 channels refused: $out"
grep -q '"state": "done"' <<<"$out" || tl_fail "upgrade with 25 channels not done: $out"
grep -q 'channels cannot move (No space left on device): ending them' "$TL_LOG" ||
	tl_fail "25 channels: not ended for want of fds"
wait $ph || tl_fail "hold: $(tail -2 "$TL_DIR/hold.log")"
grep -q '^hold: 24 of 24 channels ended' "$TL_DIR/hold.log" || tl_fail "hold: $(tail -1 "$TL_DIR/hold.log")"
sleep "$(tl_secs 1)"

# 5: a 1 ms quiesce deadline: done (handed over), or a plain restart (the
# channels end cleanly with T_LOGOUT, the initiator logs in again and
# re-issues what had no answer; no acknowledged write may be lost)
out=$(CTL --json proc upgrade srp0 --quiesce-timeout 1)
grep -q -E '"state": "(restarted|done)"' <<<"$out" || tl_fail "short deadline: $out"
tl_log "upgrade with a 1 ms quiesce deadline: $(grep -o '"state": "[a-z_]*"' <<<"$out")"

wait $pl
rc=$?
cat "$TL_DIR/load.log" >&2
[ $rc = 0 ] || tl_fail "SRP load across the upgrades failed"
grep -q '^across: .* 0 errors' "$TL_DIR/load.log" || tl_fail "no summary from the initiator"
tl_wait_ready || tl_fail "not every process runs after the upgrades"
for p in "${!pid0[@]}"; do
	[ "$(tl_pid $p)" = "${pid0[$p]}" ] || tl_fail "$p changed pid ${pid0[$p]} -> $(tl_pid $p)"
done
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
tl_pass
