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
# "drop session" from the admin side: JSON-RPC session.logout -> AsyncEvent 1
"$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" "$TL_TARGET" logout-wait >"$TL_DIR/lw.log" 2>&1 &
lw=$!
TL_BG_PIDS+=($lw)
for _ in $(seq 100); do grep -q '^ready' "$TL_DIR/lw.log" && break; sleep 0.1; done
grep -q '^ready' "$TL_DIR/lw.log" || tl_fail "logout-wait: no session: $(tail -3 "$TL_DIR/lw.log")"
reply=$("$TL_PY" - "$TL_SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "session.logout",
    "params": {"initiator": "iqn.2026-11.org.mtgt:raw-initiator", "wait_s": 2}}).encode() + b"\n")
buf = b""
while b"\n" not in buf:
    d = s.recv(65536)
    if not d:
        break
    buf += d
print(buf.decode().strip())
PY
)
echo "$reply" | grep -q '"frontends": *1' || tl_fail "session.logout reply: $reply"
wait $lw || tl_fail "logout-wait: $(grep -m2 FAIL "$TL_DIR/lw.log")"
grep -q "^ok logout-wait" "$TL_DIR/lw.log" || tl_fail "logout-wait: $(cat "$TL_DIR/lw.log")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
