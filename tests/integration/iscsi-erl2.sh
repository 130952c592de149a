#!/bin/bash
# ErrorRecoveryLevel 2 (test-raw-initiator erl2): a session of two
# connections; a READ and a half-sent WRITE left on a connection logged out
# for recovery (reason 2) are taken over by a new connection with TASK
# REASSIGN and verified; TASK REASSIGN of an unknown task (1) and of a task
# on a live connection (3); a killed connection's READ reassigned, its WRITE
# aborted when Time2Wait + Time2Retain pass. Then nothing is left over.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-erl2 3432

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
	${RAWI_CASES:-erl2} >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
grep -q 'not reassigned within Time2Retain: aborted' "$TL_LOG" ||
	tl_fail "no Time2Retain abort in the log"
[ "$(grep -c 'reassigned here' "$TL_LOG")" = 3 ] || tl_fail "not 3 tasks reassigned in the log"
tl_iscsi_wait_clean
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
