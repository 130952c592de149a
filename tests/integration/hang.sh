#!/bin/bash
# A hung process (SIGSTOP: alive, but silent) is found by the heartbeat,
# killed with the cause logged, and restarted; I/O works again afterwards and
# data written before the hang is intact.
. "$(dirname "$0")/../lib/target.sh"
tl_init hang 3357

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "heartbeat": { "interval_ms": 300, "timeout_ms": 1500 },
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
      "luns": [ { "lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "32M" } ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
tl_tio 60 -s 8M -q 8 -S 41 writeverify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "initial write: $(tail -3 "$TL_DIR/tio.log")"

for victim in backend-file iscsi; do
	p=$(tl_pid $victim)
	[ -n "$p" ] && [ "$p" -gt 0 ] || tl_fail "no $victim pid"
	tl_log "SIGSTOP $victim pid $p"
	kill -STOP "$p"
	tl_wait_restarted $victim "$p" "$(tl_secs 15)" >/dev/null || tl_fail "hung $victim not restarted: $(tl_procs | tr '\n' ';')"
	tl_wait_ready "$(tl_secs 20)" || tl_fail "not ready after the hang of $victim"
	tl_tio 60 -s 8M -q 8 -S 41 verify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "data after the hang of $victim: $(tail -3 "$TL_DIR/tio.log")"
done
grep -q 'heartbeat timeout' "$TL_LOG" || tl_fail "cause not logged"
tl_status_json | grep -q "heartbeat timeout" || tl_fail "status does not give the cause"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
