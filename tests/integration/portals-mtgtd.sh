#!/bin/bash
# Portal features configured in mtgtd.json reach the iSCSI frontend through
# the real supervisor and core: portal groups (IPv4 and IPv6 portals), a
# target visible only in group 2 (SendTargets, logins), max_sessions, login
# redirection followed by libiscsi, NOP-In pings from "iscsi". Ports
# 3374-3376 (3376 on [::1]).
. "$(dirname "$0")/../lib/target.sh"
tl_init portals-mtgtd 3374

G2=iqn.2026-11.org.example:group2
MOVED=iqn.2026-11.org.example:moved
P2=$((TL_PORT + 1)) P6=$((TL_PORT + 2))
PY="$TL_PY $TL_ROOT/tests/integration/iscsi_session_raw.py"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT", {"address": "127.0.0.1:$P2", "group": 2},
              {"address": "[::1]:$P6", "group": 2}],
  "iscsi": { "nop_interval_s": 1, "nop_timeout_s": 2 },
  "targets": [
    { "name": "$TL_TARGET", "max_sessions": 2,
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] },
    { "name": "$G2", "portal_groups": [2],
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] },
    { "name": "$MOVED", "redirect": { "address": "127.0.0.1:$P2", "type": "temporary" },
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
secs=$(tl_secs 30)
run() { timeout "$secs" "$@" >>"$TL_DIR/out.log" 2>&1 || tl_fail "$*: $(tail -3 "$TL_DIR/out.log")"; }

run $PY portals 127.0.0.1 "$TL_PORT" "$G2" "$TL_TARGET" "127.0.0.1:$P2,2;[::1]:$P6,2" \
	"127.0.0.1:$TL_PORT,1;127.0.0.1:$P2,2;[::1]:$P6,2"
run bash -c "iscsi-inq 'iscsi://[::1]:$P6/$G2/0' | grep -q 'Vendor'"
run bash -c "! iscsi-inq 'iscsi://127.0.0.1:$TL_PORT/$G2/0'"
run $PY max_sessions 127.0.0.1 "$TL_PORT" "$TL_TARGET" 2
run $PY redirect 127.0.0.1 "$TL_PORT" "$MOVED" "127.0.0.1:$P2" 0101
# libiscsi follows it to the group 2 portal, where the target may be reached
run bash -c "iscsi-inq 'iscsi://127.0.0.1:$TL_PORT/$MOVED/0' | grep -q 'Vendor'"
run $PY nop 127.0.0.1 "$TL_PORT" "$TL_TARGET" 1 2
tl_stop || tl_fail "stop failed"
tl_pass
