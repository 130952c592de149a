#!/bin/bash
# SIGKILL of the core under SRP load: SRP channels drop (no replay of what
# the dead core held), the initiator logs in again once a core is back and
# its verified I/O goes on. Whether the supervisor restarts the whole data
# path or keeps the frontends through a core restart (CTL_LINK_DOWN /
# CTL_LINK_UP), the initiator's view is the same.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-core-kill 3493

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0003
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
old=$(tl_pid core)
timeout "$(tl_secs 90)" "$INI" "$SOCK" "$TPORT" "$IPORT" load "$(tl_secs 10)" 1 \
	>"$TL_DIR/load.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"
kill -0 $pl 2>/dev/null || tl_fail "load ended early: $(tail -3 "$TL_DIR/load.log")"
tl_log "SIGKILL core pid $old"
kill -KILL "$old"
new=$(tl_wait_restarted core "$old" 20) || tl_fail "core not restarted: $(tl_procs | tr '\n' ';')"
tl_log "core restarted: pid $old -> $new"
wait $pl
rc=$?
cat "$TL_DIR/load.log" >&2
[ $rc = 0 ] || tl_fail "SRP load across the core kill failed"
tl_wait_ready || tl_fail "not every process runs after the core restart"
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
tl_pass
