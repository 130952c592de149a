#!/bin/bash
# The admin socket: every schema method has a handler and every handler a
# schema entry; bad arguments get a structured error naming the parameter and
# change nothing; malformed, oversized and stalled clients never disturb the
# target (I/O keeps flowing, other clients are served, the stalled one is
# dropped after admin.idle_timeout_ms); admin.group members may connect,
# others may not.
. "$(dirname "$0")/../lib/target.sh"
tl_init admin-rpc 3451

T=$TL_TARGET
cat >"$TL_DIR/mtgtd.json" <<EOC
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "admin": { "group": "nogroup", "idle_timeout_ms": 1500 },
  "targets": [ { "name": "$T",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M"} ],
      "initiators": ["*"] } ] }
EOC
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
C() { timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }
# raw JSON-RPC lines; prints the replies
raw() { timeout 10 "$TL_PY" - "$TL_SOCK" "$@" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(8)
f = s.makefile("rwb")
for line in sys.argv[2:]:
    f.write(line.encode() + b"\n"); f.flush()
    print(f.readline().decode().strip())
EOP
}

# 1. schema and handlers agree, both ways
C --json rpc methods >"$TL_DIR/methods.json" || tl_fail "rpc.methods"
methods=$("$TL_PY" -c 'import json,sys; print(" ".join(m["name"] for m in json.load(open(sys.argv[1]))))' "$TL_DIR/methods.json")
n=0
for m in $methods; do
	r=$(raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$m\",\"params\":{\"zz_bogus\":1}}")
	echo "$r" | grep -q '"code":-32602' && echo "$r" | grep -q 'params.zz_bogus' ||
		tl_fail "$m: no schema check of an unknown parameter: $r"
	n=$((n + 1))
done
[ $n -ge 20 ] || tl_fail "only $n methods listed"
r=$(raw '{"jsonrpc":"2.0","id":1,"method":"lun.frobnicate"}')
echo "$r" | grep -q '"code":-32601' || tl_fail "unknown method: $r"
tl_log "$n methods, each validated against the schema"

# 2. bad input: a clear message naming the parameter, nothing changed
C --json config show >"$TL_DIR/before.json" || tl_fail "config show"
bad() { # expected-substring mtgtctl-args...
	local want=$1 out
	shift
	out=$(C "$@" 2>&1) && tl_fail "accepted: $*"
	echo "$out" | grep -qF -- "$want" || tl_fail "$*: said '$out', want '$want'"
}
bad "params.target: no target" lun add iqn.2026-11.org.nosuch:x 1 --backend null --size 1G
bad "already has LUN 0" lun add "$T" 0 --backend null --size 1G
bad "params.size: not a size" lun add "$T" 1 --backend null --size 12Q
bad "params.size: smaller than one block" lun add "$T" 1 --backend null --size 100
bad "params.path" lun add "$T" 1 --backend file --path /nonexistent/dir/x.img
bad "give --size to create it" lun add "$T" 1 --backend file --path "$TL_DIR/none.img"
bad "params.backend" lun add "$T" 1 --backend tape --size 1G
bad "params.block_size" lun add "$T" 1 --backend null --size 1G --block-size 1000
bad "params.lun" lun add "$T" 99999 --backend null --size 1G
bad "not a number" lun add "$T" -1 --backend null --size 1G
bad "is not an iSCSI name" target add bogus.name
bad "is not an iSCSI name" target add iqn.2026-13.org.x:y
bad "is not an iSCSI name" target add eui.12345
bad "is not an iSCSI name" acl add "$T" naa.xyz
bad "already exists" target add "$T"
bad "params.secret: must have 12" chap set "$T" --user u --secret short
bad "mutual_secret: must differ" chap set "$T" --user u --secret 123456789012 --mutual-user t --mutual-secret 123456789012
bad "params.size: not a size" lun resize "$T" 0 12Q
bad "params.size: size must be a positive multiple" lun resize "$T" 0 1000
bad "params.lun: " lun resize "$T" 9 1G
bad "has no LUN 5" lun del "$T" 5
bad "has no LUN 3" acl add "$T" iqn.2026-11.org.x:i --luns 3
bad "not in the ACL" acl del "$T" iqn.2026-11.org.x:nobody
bad "still has 1 LUNs" target del "$T"
bad "unknown option" lun add "$T" 1 --backend null --size 1G --colour blue
sed "s#\"state_dir\": \"[^\"]*\"#\"state_dir\": \"/tmp/elsewhere\"#" "$TL_DIR/before.json" >"$TL_DIR/moved.json"
bad '"state_dir" cannot change while running' config load "$TL_DIR/moved.json"
bad "is not IPv4:port" portal add 127.0.0.1
bad "already a portal" portal add "127.0.0.1:$TL_PORT"
bad "is the last portal" portal del "127.0.0.1:$TL_PORT"
bad "cannot listen on" portal add "192.0.2.1:3260"
C --json config show >"$TL_DIR/after.json" || tl_fail "config show"
cmp -s "$TL_DIR/before.json" "$TL_DIR/after.json" || tl_fail "a refused change changed the config: $(diff "$TL_DIR/before.json" "$TL_DIR/after.json" | head -5 | tr '\n' ';')"
[ ! -e "$TL_DIR/none.img" ] || tl_fail "a refused lun add created its file"

# 3. hostile clients while I/O runs
tl_tio 20 -s 32M write "$(tl_url "" 0)" >"$TL_DIR/tio0.log" 2>&1 || tl_fail "write: $(tail -2 "$TL_DIR/tio0.log")"
tl_tio 12 -q 8 -s 32M -d 8 --woffset 32M --wsize 16M mixed "$(tl_url "" 0)" >"$TL_DIR/tio.log" 2>&1 &
tio=$!
r=$(raw '{"jsonrpc":"2.0","id":1,"method":' 'not json at all' '[1,2,3]')
[ "$(echo "$r" | grep -c '"code":-32700')" = 3 ] || tl_fail "malformed requests: $r"
# an oversized line: refused, connection closed, the next client is served
"$TL_PY" - "$TL_SOCK" <<'EOP' >"$TL_DIR/big.out" 2>&1 || tl_fail "oversized request: $(cat "$TL_DIR/big.out")"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(8)
try:
    s.sendall(b"x" * (200 * 1024))
except OSError:
    pass
data = b""
while True:
    try:
        d = s.recv(4096)
    except OSError:
        break
    if not d:
        break
    data += d
assert b"longer than" in data or data == b"", data
EOP
# stalled clients: one connects and says nothing, one sends half a line, one
# sends many requests and never reads
"$TL_PY" - "$TL_SOCK" <<'EOP' &
import socket, sys, time
a = socket.socket(socket.AF_UNIX); a.connect(sys.argv[1])
b = socket.socket(socket.AF_UNIX); b.connect(sys.argv[1]); b.sendall(b'{"jsonrpc":"2.0",')
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.setblocking(False)
req = b'{"jsonrpc":"2.0","id":1,"method":"config.show"}\n' * 200
sent = 0
for _ in range(200):
    try:
        sent += c.send(req)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break
time.sleep(4)
EOP
stall=$!
sleep 0.5
C status >/dev/null || tl_fail "status refused while clients stall"
C lun list >/dev/null || tl_fail "lun list refused while clients stall"
sleep 3
grep -q "client idle for 1500 ms; dropped" "$TL_LOG" || tl_fail "idle clients not dropped"
wait $stall
wait $tio || tl_fail "I/O failed while admin clients misbehaved: $(tail -3 "$TL_DIR/tio.log")"
tl_procs | awk '$5 != 0 { bad = 1 } END { exit bad }' || tl_fail "a process restarted: $(tl_procs | tr '\n' ';')"

# 4. admin.group: a member may connect, a stranger may not
chmod 755 "$TL_DIR"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$TL_BIN/mtgtctl" -s "$TL_SOCK" status >/dev/null 2>&1 ||
	tl_fail "a member of admin.group was refused"
setpriv --reuid=nobody --regid=1 --clear-groups "$TL_BIN/mtgtctl" -s "$TL_SOCK" status >/dev/null 2>&1 &&
	tl_fail "a stranger was let in"
[ "$(stat -c %a "$TL_SOCK")" = 660 ] || tl_fail "socket mode $(stat -c %a "$TL_SOCK"), want 660 with admin.group"

tl_stop || tl_fail "stop failed"
tl_pass
