#!/bin/bash
# Live resize through the admin socket (JSON-RPC lun.resize, which calls
# sup_lun_resize): the file grows and shrinks, the initiator sees CAPACITY
# DATA HAS CHANGED once, READ CAPACITY gives the new size, data within the
# size survives, I/O past the old end works after a grow and fails with LBA
# OUT OF RANGE after a shrink. The same for a ram LUN (its memfd grows; a
# shrink punches the tail out, so a grow after it reads zeros there). Bad
# requests are refused with a reason.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-resize 3441

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/r.img", "size": "16M"},
              {"lun": 1, "backend": "ram", "size": "16M"} ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

rpc() { # params-json -> prints "ok" or the error message
	"$TL_PY" - "$TL_SOCK" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "lun.resize",
                       "params": json.loads(sys.argv[2])}) + "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(4096)
    if not d:
        break
    buf += d
r = json.loads(buf)
print("ok" if "result" in r else r["error"]["message"])
PY
}
P=$TL_BIN/test-be-probe
U=$(tl_url "" 0)
cap() { timeout -k 5 30 "$P" "${1:-$U}" tur "cdb:9e10000000000000000000000020$(printf 0000):in=32" |
	sed -n 's/^step 1 .*status=0 data=\(.*\)/\1/p' | cut -c1-16; }
M=$((1 << 20))

timeout -k 5 30 "$P" "$U" tur wpat:32760:8:5 >/dev/null || tl_fail "write at the end failed"
# a session logged in before the resize hears the UA on its next command
timeout -k 5 40 "$P" "$U" tur "wait:$TL_DIR/resized" "cdb:000000000000" "cdb:000000000000" \
	>"$TL_DIR/ua.log" 2>&1 &
ua_pid=$!
sleep 0.5
r=$(rpc "{\"target\": \"$TL_TARGET\", \"lun\": 0, \"size\": \"32M\"}")
[ "$r" = ok ] || tl_fail "grow refused: $r"
[ "$(stat -c %s "$TL_DIR/r.img")" = $((32 * M)) ] || tl_fail "file not grown: $(stat -c %s "$TL_DIR/r.img")"
touch "$TL_DIR/resized"
wait $ua_pid
out=$(cat "$TL_DIR/ua.log")
echo "$out" | grep -q "step 2 .*sense=6/2a/09" && echo "$out" | grep -q "step 3 .*status=0 " ||
	tl_fail "no CAPACITY DATA HAS CHANGED (once): $out"
[ "$(cap)" = $(printf %016x $((32 * M / 512 - 1))) ] || tl_fail "capacity after grow: $(cap)"
timeout -k 5 30 "$P" "$U" tur rpat:32760:8:5 wpat:65000:536:6 rpat:65000:536:6 >/dev/null ||
	tl_fail "I/O after grow failed"

r=$(rpc "{\"target\": \"$TL_TARGET\", \"lun\": 0, \"size\": $((8 * M))}")
[ "$r" = ok ] || tl_fail "shrink refused: $r"
[ "$(cap)" = $(printf %016x $((8 * M / 512 - 1))) ] || tl_fail "capacity after shrink: $(cap)"
[ "$(stat -c %s "$TL_DIR/r.img")" = $((8 * M)) ] || tl_fail "file not shrunk"
out=$(timeout -k 5 30 "$P" "$U" tur "cdb:8800000000000000400000000001$(printf 0000):in=512")
echo "$out" | grep -q "step 1.*sense=5/21/00" || tl_fail "read past the new end: $out"

# the ram LUN: grow with a session that hears the UA, data kept, I/O past the
# old end; shrink; grow again and the cut part reads as zeros
R=$(tl_url "" 1)
timeout -k 5 30 "$P" "$R" tur wpat:32760:8:7 wpat:100:8:9 >/dev/null || tl_fail "ram: write failed"
timeout -k 5 40 "$P" "$R" tur "wait:$TL_DIR/ram-resized" "cdb:000000000000" "cdb:000000000000" \
	>"$TL_DIR/ua-ram.log" 2>&1 &
ua_pid=$!
sleep 0.5
r=$(rpc "{\"target\": \"$TL_TARGET\", \"lun\": 1, \"size\": \"32M\"}")
[ "$r" = ok ] || tl_fail "ram grow refused: $r"
touch "$TL_DIR/ram-resized"
wait $ua_pid
out=$(cat "$TL_DIR/ua-ram.log")
echo "$out" | grep -q "step 2 .*sense=6/2a/09" && echo "$out" | grep -q "step 3 .*status=0 " ||
	tl_fail "ram: no CAPACITY DATA HAS CHANGED (once): $out"
[ "$(cap "$R")" = $(printf %016x $((32 * M / 512 - 1))) ] || tl_fail "ram capacity after grow: $(cap "$R")"
timeout -k 5 30 "$P" "$R" tur rpat:32760:8:7 wpat:65000:536:8 rpat:65000:536:8 >/dev/null ||
	tl_fail "ram: I/O after grow failed"
r=$(rpc "{\"target\": \"$TL_TARGET\", \"lun\": 1, \"size\": \"8M\"}")
[ "$r" = ok ] || tl_fail "ram shrink refused: $r"
[ "$(cap "$R")" = $(printf %016x $((8 * M / 512 - 1))) ] || tl_fail "ram capacity after shrink: $(cap "$R")"
out=$(timeout -k 5 30 "$P" "$R" tur "cdb:8800000000000000400000000001$(printf 0000):in=512")
echo "$out" | grep -q "step 1.*sense=5/21/00" || tl_fail "ram: read past the new end: $out"
timeout -k 5 30 "$P" "$R" tur rpat:100:8:9 >/dev/null || tl_fail "ram: data lost by the shrink"
r=$(rpc "{\"target\": \"$TL_TARGET\", \"lun\": 1, \"size\": \"16M\"}")
[ "$r" = ok ] || tl_fail "ram regrow refused: $r"
out=$(timeout -k 5 30 "$P" "$R" tur "cdb:88000000000000007ff8000000010000:in=512")
echo "$out" | grep -q "step 1 .*status=0 data=0\{1024\}$" || tl_fail "ram: cut tail not zero after regrow: $out"
grep -q "device .*cannot resize" "$TL_LOG" && tl_fail "a backend refused a resize"

for bad in '"lun": 7, "size": "8M"' '"lun": 0, "size": 1000' '"lun": 1, "size": 1000' '"lun": 0'; do
	r=$(rpc "{\"target\": \"$TL_TARGET\", $bad}")
	[ "$r" != ok ] && [ -n "$r" ] || tl_fail "resize {$bad} was accepted"
done
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
