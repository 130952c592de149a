#!/bin/bash
# Connection reinstatement done safely (test-raw-initiator conn-reinstate): a
# WRITE stalled on its R2T and an ORDERED WRITE waiting behind it in the core
# on connection 1; a new login with CID 1 aborts both in the core before the
# new connection runs a command, so READs of those blocks see the old data
# and no status of the old tasks ever comes. Then nothing is left over.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-reinstate 3431

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
	${RAWI_CASES:-conn-reinstate} >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
# the frontend aborted both old tasks in the core and held the login for them
grep -q 'reinstates connection 1 of session tsih [0-9]*: 2 tasks aborted' "$TL_LOG" ||
	tl_fail "no ABORT TASK of the replaced connection's 2 tasks in the log"
tl_iscsi_wait_clean
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
