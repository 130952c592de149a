#!/bin/bash
# Scale: one target with 1,000 LUNs (null, plus a file and ram LUNs among
# them). REPORT LUNS lists all 1,000 with the right addressing (flat space
# from 256 on), and data is verified on a few of them, low and high.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-1000luns 3440

{
	printf '{ "admin_socket": "%s", "state_dir": "%s/state", "portals": ["127.0.0.1:%s"],\n' \
		"$TL_SOCK" "$TL_DIR" "$TL_PORT"
	printf '  "targets": [ { "name": "%s", "initiators": ["*"], "luns": [\n' "$TL_TARGET"
	for ((i = 0; i < 1000; i++)); do
		case $i in
		0) l="\"backend\": \"file\", \"path\": \"$TL_DIR/d0.img\", \"size\": \"16M\"" ;;
		500|999) l="\"backend\": \"ram\", \"size\": \"16M\"" ;;
		*) l="\"backend\": \"null\", \"size\": \"1G\"" ;;
		esac
		printf '    {"lun": %d, %s}%s\n' $i "$l" "$([ $i = 999 ] && echo || echo ,)"
	done
	printf '  ] } ] }\n'
} >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready 30 || tl_fail "target not ready"

out=$(timeout -k 5 60 "$TL_BIN/test-be-probe" "$(tl_url "" 0)" tur "cdb:a00000000000000040000000:in=16384")
data=$(echo "$out" | sed -n 's/^step 1 .*status=0 data=\(.*\)/\1/p')
[ -n "$data" ] || tl_fail "REPORT LUNS failed: $out"
res=$("$TL_PY" - "$data" <<'PY'
import sys
b = bytes.fromhex(sys.argv[1])
n = int.from_bytes(b[0:4], "big") // 8
luns = []
for i in range(n):
    e = b[8 + 8 * i: 16 + 8 * i]
    if len(e) < 8 or any(e[2:]):
        print("bad entry", e.hex()); sys.exit()
    am = e[0] >> 6
    v = ((e[0] & 0x3f) << 8 | e[1]) if am == 1 else e[1]
    if (am == 0 and (e[0] or v > 255)) or (am == 1 and v < 256) or am > 1:
        print("bad addressing", e.hex()); sys.exit()
    luns.append(v)
print("ok" if sorted(luns) == list(range(1000)) and len(b) == 8 + 8 * n else
      "got %d luns, first %s" % (n, luns[:4]))
PY
)
[ "$res" = ok ] || tl_fail "REPORT LUNS: $res"

L=$TL_DIR/tio.log
# libiscsi puts the URL's LUN number into LUN bytes 0-1 as it is: a LUN from
# 256 on is named by its flat-space form (0x4000 | n), as REPORT LUNS gives it
wire() { [ "$1" -lt 256 ] && echo "$1" || echo $(( 0x4000 | $1 )); }
for lun in 0 500 999; do
	tl_tio 60 -s 8M -q 8 -S $((lun + 1)) writeverify "$(tl_url "" "$(wire $lun)")" >>"$L" 2>&1 ||
		tl_fail "LUN $lun: write/verify: $(tail -3 "$L")"
done
for lun in 1 255 256 998; do
	: >"$L"
	timeout -k 5 30 "$TL_BIN/test-be-probe" "$(tl_url "" "$(wire $lun)")" tur rpat:0:8:0 >>"$L" 2>&1 &&
		tl_fail "null LUN $lun returned the pattern"
	grep -q "rpat: mismatch" "$L" || tl_fail "null LUN $lun: READ failed: $(tail -2 "$L")"
done
tl_stop 20 || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
