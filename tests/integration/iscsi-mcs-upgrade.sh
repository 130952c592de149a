#!/bin/bash
# A live upgrade of mtgt-iscsi hands over a session of two connections
# (test-raw-initiator mcs-upgrade): the second connection keeps its own
# digests and MaxRecvDataSegmentLength, both go on after the upgrade with
# one CmdSN order and data written on one read back on the other; the log
# shows one session on two connections handed over (no fallback restart).
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-mcs-upgrade 3433

[ -x "$TL_BIN/test-raw-initiator" ] || tl_fail "build/bin/test-raw-initiator missing (make tests)"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
old=$(tl_pid iscsi0)
RAWI_UPGRADE="timeout $(tl_secs 30) $TL_BIN/mtgtctl -s $TL_SOCK proc upgrade iscsi0 >$TL_DIR/upgrade.out 2>&1" \
	timeout -k 5 "$(tl_secs 120)" "$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" "$TL_TARGET" \
	mcs-upgrade >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" "$TL_DIR/upgrade.out" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
[ "$(tl_pid iscsi0)" != "$old" ] || tl_fail "mtgt-iscsi was not replaced"
grep -q 'upgrade: handing over 1 sessions on 2 connections' "$TL_LOG" ||
	tl_fail "no handover of one session on two connections in the log"
grep -q 'joins session tsih [0-9]* (connection [01])' "$TL_LOG" ||
	tl_fail "the new instance did not join the second connection to its session"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
