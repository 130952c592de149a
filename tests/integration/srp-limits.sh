#!/bin/bash
# SRP login rejects that depend on the channel limits (srp_options), which
# srp.sh's configuration does not reach: with max_channels 2 and
# max_total_channels 3, a third channel of one nexus gets 0x00010006 and a
# fourth channel of the process 0x00010001 (and fits once one leaves); with
# multichannel off a multi-channel login to a live nexus gets 0x00010005 and
# a single-channel one still terminates the old channel (T_LOGOUT 4).
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-limits 3495

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0000
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"

config() { # srp_options
	cat <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "srp_options": $1,
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "null", "size": "1G"},
                {"lun": 1, "backend": "null", "size": "1G"} ],
      "initiators": ["*"] } ] }
JSON
}

run() { # options case
	config "$1" >"$TL_DIR/mtgtd.json"
	rm -f "$SOCK"
	tl_start "$TL_DIR/mtgtd.json"
	tl_wait_ready || tl_fail "target not ready ($1)"
	pid=$(tl_pid srp0)
	timeout "$(tl_secs 60)" "$INI" "$SOCK" "$TPORT" "$IPORT" limits "$2" ||
		tl_fail "case limits $2 failed"
	[ "$(tl_pid srp0)" = "$pid" ] || tl_fail "mtgt-srp restarted during limits $2"
	tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
	tl_stop || tl_fail "stop failed"
}

run '{ "max_channels": 2, "max_total_channels": 3, "multichannel": true }' channels
run '{ "multichannel": false }' nomulti
grep -q 'login rejected (0x10006)' "$TL_LOG" || tl_fail "no 0x10006 in the log"
grep -q 'login rejected (0x10001)' "$TL_LOG" || tl_fail "no 0x10001 in the log"
grep -q 'login rejected (0x10005)' "$TL_LOG" || tl_fail "no 0x10005 in the log"
tl_pass
