#!/bin/bash
# The iSCSI frontend's own libiscsi test (every Data-Out path, residuals,
# queue depth, TMF, logout: build/bin/test-iscsi-io from the frontend's
# module) run against the whole target instead of its fake core.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-dataout 3353

[ -x "$TL_BIN/test-iscsi-io" ] || tl_fail "build/bin/test-iscsi-io missing (make tests)"
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
timeout -k 5 "$(tl_secs 120)" "$TL_BIN/test-iscsi-io" "127.0.0.1:$TL_PORT" "$TL_TARGET" >"$TL_DIR/io.log" 2>&1
rc=$?
cat "$TL_DIR/io.log" >&2
[ $rc = 0 ] || tl_fail "test-iscsi-io exit $rc: $(grep -m 3 FAIL "$TL_DIR/io.log")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
