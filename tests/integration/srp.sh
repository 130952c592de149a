#!/bin/bash
# The SRP frontend (mtgt-srp) on the soft transport, end to end with the test
# initiator (tests/helpers/srp_ini.c): login and REPORT LUNS, verified I/O
# with direct, indirect (in the IU and fetched) and immediate data, login
# rejects and the ACL, request-limit credits, ABORT TASK and LUN RESET during
# I/O, malformed IUs and remote access errors, multi-channel logins, logout
# and disconnect with I/O in flight. The target must log no sanitizer report
# and no sandbox kill, and stop cleanly.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp 3490

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0001
IPORT2=0x0000000000000000aabbccddeeff0002
DENIED=0x0000000000000000aabbccddeeff0099
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "srp_options": { "queue_depth": 16, "max_ti_iu_len": 256 },
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "null", "size": "1T"},
                {"lun": 2, "backend": "ram",  "size": "64M", "block_size": 4096} ],
      "initiators": ["$TL_INITIATOR"],
      "srp_initiators": ["$IPORT", "$IPORT2"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
[ "$(tl_proc_field srp0 state)" = running ] || tl_fail "srp0 not running: $(tl_procs | tr '\n' ';')"
SRP_PID=$(tl_pid srp0)

ini() { timeout "$(tl_secs 60)" "$INI" "$SOCK" "$TPORT" "$IPORT" "$@"; }
for c in basic "rejects $DENIED" credits tmf malformed multichannel logout "aer $IPORT2" \
	"garbage 1 3000" "garbage 2 3000"; do
	tl_log "case: $c"
	ini $c || tl_fail "case $c failed"
done
[ "$(tl_pid srp0)" = "$SRP_PID" ] || tl_fail "mtgt-srp restarted during the cases"
timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json stats srp0 2>/dev/null | head -c 600 >&2; echo >&2
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
