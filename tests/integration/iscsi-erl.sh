#!/bin/bash
# ErrorRecoveryLevel 1 and the iSCSI corners libiscsi cannot reach, driven by
# our own raw-PDU initiator (test-raw-initiator) against the whole target:
# ERL 1 login, R2T/Data/Status/R-Data/DataACK SNACKs, corrupted header and
# data digests recovered without dropping the connection, immediate data
# retried after a digest error, ABORT TASK RefCmdSN rules and TASK REASSIGN,
# extended CDB and bidirectional AHS, Text with C and no data, a SCSI
# asynchronous event (MODE SELECT on one session seen on another), and
# session reinstatement while writes are in flight (data verified).
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-erl 3420

[ -x "$TL_BIN/test-raw-initiator" ] || tl_fail "build/bin/test-raw-initiator missing (make tests)"
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
timeout -k 5 "$(tl_secs 180)" "$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" "$TL_TARGET" \
	${RAWI_CASES:-all} >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
grep -q "login waits for" "$TL_LOG" && tl_log "reinstatement waited for the old session's commands"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
