#!/bin/bash
# Several connections per session (MaxConnections 4) with our raw-PDU
# initiator: connections added with the session's TSIH and their own CID,
# digests and MaxRecvDataSegmentLength; one CmdSN order across them (a READ
# sent on one connection before the WRITE it follows on another sees the
# write); ABORT TASK on one connection for a task held on another; a fifth
# connection refused (0x0206); logout of a connection by itself and by
# another (by CID); connection reinstatement (same CID); a failed
# connection takes the session along at ERL 0 (then its TSIH is unknown,
# 0x020a). Then nothing is left over.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-mcs 3430

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
timeout -k 5 "$(tl_secs 120)" "$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" "$TL_TARGET" \
	${RAWI_CASES:-mcs} >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
tl_iscsi_wait_clean
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
