#!/bin/bash
# config save / load: the saved file is what mtgtd -c reads and round-trips
# byte for byte; saving keeps the previous versions (FILE.1 ..); a load is
# applied as live changes, and --dry-run only lists them; admin.save_on_change
# saves after each change.
. "$(dirname "$0")/../lib/target.sh"
tl_init admin-config 3452

T=$TL_TARGET
CFG=$TL_DIR/mtgtd.json
cat >"$CFG" <<EOC
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"], "start_backends": ["null", "ram"],
  "admin": { "save_on_change": true },
  "targets": [ { "name": "$T",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M"} ],
      "initiators": ["*"] } ] }
EOC
cp "$CFG" "$TL_DIR/orig.json"
tl_start "$CFG"
tl_wait_ready || tl_fail "target not ready"
C() { timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

# a few live changes; save_on_change writes each into the -c file
C target add iqn.2026-11.org.example:second --max-sessions 4 >/dev/null || tl_fail "target add"
C lun add iqn.2026-11.org.example:second 0 --backend null --size 2G >/dev/null || tl_fail "lun add"
C lun add "$T" 1 --backend ram --size 16M --block-size 4096 >/dev/null || tl_fail "lun add ram"
C acl add "$T" iqn.2026-11.org.example:host1 --luns 0 --map 3=1 --readonly >/dev/null || tl_fail "acl add"
C acl add iqn.2026-11.org.example:second '*' >/dev/null || tl_fail "acl add *"
C chap set "$T" --user alice --secret 0123456789abcdef >/dev/null || tl_fail "chap set"
grep -q '"iqn.2026-11.org.example:second"' "$CFG" || tl_fail "save_on_change did not save"
for i in 1 2 3 4 5; do
	[ -f "$CFG.$i" ] || tl_fail "$CFG.$i missing after 6 saves"
done
cmp -s "$CFG.6" "$TL_DIR/orig.json" || tl_fail "the oldest version is not the original file"

# round trip: save, restart from the saved file, save again: same bytes
C config save "$TL_DIR/saved.json" >/dev/null || tl_fail "config save"
[ "$(stat -c %a "$TL_DIR/saved.json")" = 600 ] || tl_fail "saved file mode $(stat -c %a "$TL_DIR/saved.json")"
tl_stop || tl_fail "stop"
tl_start "$TL_DIR/saved.json"
tl_wait_ready || tl_fail "mtgtd -c saved.json not ready"
C config save "$TL_DIR/saved2.json" >/dev/null || tl_fail "config save 2"
cmp "$TL_DIR/saved.json" "$TL_DIR/saved2.json" >&2 || tl_fail "round trip differs: $(diff "$TL_DIR/saved.json" "$TL_DIR/saved2.json" | head -6 | tr '\n' ';')"
C lun list | grep -q "second.*null" || tl_fail "restarted target lost a LUN: $(C lun list)"

# load: dry run lists the diff and changes nothing; the real load applies it
sed 's/"size": 2147483648/"size": 4294967296/' "$TL_DIR/saved.json" |
	"$TL_PY" -c 'import json,sys
d = json.load(sys.stdin)
d["targets"] = [t for t in d["targets"] if t["name"] != "iqn.2026-11.org.example:second"]
d["targets"][0]["luns"].append({"lun": 2, "backend": "null", "size": "1G"})
json.dump(d, sys.stdout, indent=2)' >"$TL_DIR/next.json"
C config load "$TL_DIR/next.json" --dry-run >"$TL_DIR/dry.out" || tl_fail "dry run: $(cat "$TL_DIR/dry.out")"
cat "$TL_DIR/dry.out" >&2
grep -q "would: - target iqn.2026-11.org.example:second" "$TL_DIR/dry.out" || tl_fail "dry run misses the target removal"
grep -q "would: + lun $T 2 null" "$TL_DIR/dry.out" || tl_fail "dry run misses the LUN"
C lun list | grep -q "second" || tl_fail "dry run changed the target"
C config load "$TL_DIR/next.json" >/dev/null || tl_fail "load"
C lun list >"$TL_DIR/luns.out"
grep -q "second" "$TL_DIR/luns.out" && tl_fail "load did not remove the target"
grep -q "^$T *2 *null" "$TL_DIR/luns.out" || tl_fail "load did not add LUN 2: $(cat "$TL_DIR/luns.out")"
"$TL_BIN/test-admin-probe" "127.0.0.1:$TL_PORT" "$T" luns 2>&1 | grep -q "login: failed" ||
	tl_fail "CHAP from the loaded config not required"
C config load "$TL_DIR/next.json" | grep -q "no change" || tl_fail "a second load is not a no-op"
bad=$TL_DIR/bad.json
# portals: add one, log in through it, remove the first one
P2=127.0.0.1:$((TL_PORT + 10))
C portal add "$P2" >/dev/null || tl_fail "portal add"
C chap clear "$T" >/dev/null || tl_fail "chap clear"
"$TL_BIN/test-admin-probe" "$P2" "$T" luns | grep -q "^luns: 0" || tl_fail "no login through the new portal"
C portal del "127.0.0.1:$TL_PORT" >/dev/null || tl_fail "portal del"
tl_portal_open && tl_fail "the removed portal still accepts"
"$TL_BIN/test-admin-probe" "$P2" "$T" luns | grep -q "^luns: 0" || tl_fail "the new portal stopped working"
C portal list | grep -q "$P2" || tl_fail "portal list"
# discovery CHAP set and cleared live
C chap set --discovery --user disc --secret disc-secret-123 >/dev/null || tl_fail "chap set --discovery"
timeout 20 "$TL_BIN/test-chap-login" "$P2" >/dev/null 2>&1
[ $? = 2 ] || tl_fail "discovery without CHAP not refused after chap set --discovery"
timeout 20 "$TL_BIN/test-chap-login" -u disc -p disc-secret-123 "$P2" | grep -q "target $T" ||
	tl_fail "discovery with the live CHAP secret failed"
C chap clear --discovery >/dev/null || tl_fail "chap clear --discovery"
timeout 20 "$TL_BIN/test-chap-login" "$P2" | grep -q "target $T" || tl_fail "discovery still needs CHAP"
echo '{ "state_dir": "/elsewhere", "portals": ["127.0.0.1:1"], "targets": [] }' >"$bad"
C config load "$bad" 2>&1 | grep -q "cannot change while running" || tl_fail "frozen key not refused"
echo '{ broken' >"$bad"
C config load "$bad" 2>&1 | grep -q "params.file: .*bad.json:1" || tl_fail "broken JSON not reported with its position"

tl_stop || tl_fail "stop failed"
tl_pass
