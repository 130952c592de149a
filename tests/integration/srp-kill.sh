#!/bin/bash
# SIGKILL of mtgt-srp under load (DESIGN.md, "Frontend dies"): its channels
# drop, the supervisor restarts it on the CM socket it kept, the initiator
# reconnects and its verified I/O goes on; the core and the backends keep
# their pids; the returning initiator port sees 29/07 (I_T NEXUS LOSS); a
# persistent reservation registration made before the kill is
# still there afterwards.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-kill 3491

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0002
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"

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
ini() { timeout "$(tl_secs 60)" "$INI" "$SOCK" "$TPORT" "$IPORT" "$@"; }

ini pr register 0xabcdef01 || tl_fail "PR registration"
old=$(tl_pid srp0)
core=$(tl_pid core)
befile=$(tl_pid backend-file)
r0=$(tl_proc_field srp0 restarts)
ini load "$(tl_secs 8)" 1 nexus-loss >"$TL_DIR/load.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"
kill -0 $pl 2>/dev/null || tl_fail "load ended early: $(tail -3 "$TL_DIR/load.log")"
tl_log "SIGKILL srp0 pid $old"
kill -KILL "$old"
new=$(tl_wait_restarted srp0 "$old" 15) || tl_fail "srp0 not restarted: $(tl_procs | tr '\n' ';')"
[ "$(tl_proc_field srp0 restarts)" = $((r0 + 1)) ] || tl_fail "restarts did not grow by one"
tl_log "srp0 restarted: pid $old -> $new"
wait $pl
rc=$?
cat "$TL_DIR/load.log" >&2
[ $rc = 0 ] || tl_fail "load across the kill failed"
[ "$(tl_pid core)" = "$core" ] || tl_fail "the core restarted"
[ "$(tl_pid backend-file)" = "$befile" ] || tl_fail "backend-file restarted"
ini pr check 0xabcdef01 || tl_fail "PR registration lost across the kill"
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
tl_pass
