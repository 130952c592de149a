#!/bin/bash
# Cache modes of the file backend: a write with FUA, or followed by
# SYNCHRONIZE CACHE, or on a write-through LUN (config or MODE SELECT WCE=0),
# reaches the file before it completes; WCE is reported as it is.
#
# What this can prove: a page of the backing file that POSIX_FADV_DONTNEED
# drops from the page cache was clean, i.e. already written back to the disk
# (dirty pages and pages under writeback are never dropped); the bytes then
# read with O_DIRECT by a second open come from the disk, not the cache. What
# it cannot: that the disk's own volatile cache was flushed (fdatasync asks it
# to; only a power cut would tell). The negative control (a buffered write
# whose pages stay resident) shows the check can fail.
. "$(dirname "$0")/../lib/target.sh"
# BE_CACHE_NAME/BE_CACHE_PORT/BE_ENGINE/BE_WRAP: the same checks with another
# I/O engine (be-libaio.sh), or under a wrapper (test-no-uring).
tl_init "${BE_CACHE_NAME:-be-cache}" "${BE_CACHE_PORT:-3435}"

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"], "heartbeat": {"interval_ms": 200, "timeout_ms": 10000},
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/wb.img", "size": "64M"},
              {"lun": 1, "backend": "file", "path": "$TL_DIR/wt.img", "size": "64M",
               "cache": "writethrough"},
              {"lun": 2, "backend": "file", "path": "$TL_DIR/dio.img", "size": "64M",
               "direct": true} ] } ],
  "backends": { "file": { "engine": "${BE_ENGINE:-auto}" } } }
JSON
if [ -n "${BE_WRAP:-}" ]; then
	"$TL_BIN/$BE_WRAP" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
	TL_PID=$!
else
	tl_start "$TL_DIR/mtgtd.json"
fi
tl_wait_ready || tl_fail "target not ready"
want=${BE_WANT_ENGINE:-io_uring}
grep -q "backend-file.*I/O engine $want" "$TL_LOG" || tl_fail "the file backend does not run $want: $(grep -m2 'engine' "$TL_LOG")"
# and says so in its STATS (mtgtctl status, after a heartbeat)
for ((i = 0; i < 30; i++)); do
	e=$(tl_status_json | "$TL_PY" -c 'import json, sys
print(next((p.get("stats", {}).get("engine", "") for p in json.load(sys.stdin)["processes"] if p["kind"] == "backend-file"), ""))')
	[ -n "$e" ] && break
	sleep 0.2
done
[ "$e" = "$want" ] || tl_fail "STATS engine \"$e\", want $want"

P=$TL_BIN/test-be-probe
probe() { timeout -k 5 60 "$P" "$@"; }
resident() { "$P" disk resident "$1" "$2" "$3" | sed -n 's/^resident=\([0-9]*\)\/.*/\1/p'; }
odread() { "$P" disk odread "$@" >/dev/null || tl_fail "O_DIRECT read of $1 at $2: $("$P" disk odread "$@")"; }
# MODE SENSE(10) caching page with page control $1: the WCE bit
wce() { # lun pc(0 current, 1 changeable, 2 default)
	local pc=$(( $2 << 6 | 8 )) out
	out=$(probe "$(tl_url "" "$1")" tur "cdb:5a08$(printf %02x $pc)00000000001c00:in=28" 2>&1 |
		sed -n 's/^step 1 .*status=0 data=\(.*\)/\1/p')
	[ -n "$out" ] || { echo "?"; return; }
	echo $(( (0x${out:20:2} >> 2) & 1 ))
}

# MODE SELECT(10) parameter list: header, caching page with byte 2 = $1
ms_page() { printf '0000000000000000%s%s%s' 0812 "$1" "$(printf '00%.0s' $(seq 17))"; }

WB=$TL_DIR/wb.img WT=$TL_DIR/wt.img
# 1 MiB ranges, far apart: block 0, 4096, 8192, ...
R=1048576
[ "$(wce 0 0)$(wce 0 1)$(wce 0 2)" = 111 ] || tl_fail "write-back LUN: WCE current/changeable/default $(wce 0 0)$(wce 0 1)$(wce 0 2), want 111"
[ "$(wce 1 0)$(wce 1 1)$(wce 1 2)" = 010 ] || tl_fail "write-through LUN: WCE current/changeable/default $(wce 1 0)$(wce 1 1)$(wce 1 2), want 010"

# negative control: a buffered write stays dirty in the page cache (three
# tries: the kernel's flusher may write back at any moment under memory
# pressure, but not every time right after our write)
for try in 1 2 3; do
	probe "$(tl_url "" 0)" tur wpat:0:2048:1$try >/dev/null || tl_fail "buffered write failed"
	n=$(resident "$WB" 0 $R)
	[ "${n:-0}" -gt 0 ] && break
done
[ "${n:-0}" -gt 0 ] || tl_fail "negative control: a buffered write left no dirty page ($n resident): the check cannot tell"
# FUA write: clean (on disk) when it completes
probe "$(tl_url "" 0)" tur wpat:4096:2048:12:fua >/dev/null || tl_fail "FUA write failed"
n=$(resident "$WB" $((2 * R)) $R)
[ "$n" = 0 ] || tl_fail "FUA write: $n pages of 256 still dirty after completion"
odread "$WB" $((2 * R)) $R 12
# write, then SYNCHRONIZE CACHE
probe "$(tl_url "" 0)" tur wpat:8192:2048:13 sync >/dev/null || tl_fail "write + SYNCHRONIZE CACHE failed"
n=$(resident "$WB" $((4 * R)) $R)
[ "$n" = 0 ] || tl_fail "SYNCHRONIZE CACHE: $n pages of 256 still dirty after it completed"
odread "$WB" $((4 * R)) $R 13

# write-through LUN: no FUA, no SYNCHRONIZE CACHE, still on disk
probe "$(tl_url "" 1)" tur wpat:0:2048:14 >/dev/null || tl_fail "write-through write failed"
n=$(resident "$WT" 0 $R)
[ "$n" = 0 ] || tl_fail "write-through LUN: $n pages of 256 dirty after the write completed"
odread "$WT" 0 $R 14

# MODE SELECT WCE=0 on the write-back LUN: write-through from now on
out=$(probe "$(tl_url "" 0)" tur "cdb:55100000000000001c00:out=$(ms_page 00)" )
echo "$out" | grep -q "step 1.*status=0" || tl_fail "MODE SELECT WCE=0 refused: $out"
[ "$(wce 0 0)" = 0 ] || tl_fail "WCE still 1 after MODE SELECT WCE=0"
probe "$(tl_url "" 0)" tur wpat:12288:2048:15 >/dev/null || tl_fail "write after WCE=0 failed"
n=$(resident "$WB" $((6 * R)) $R)
[ "$n" = 0 ] || tl_fail "after MODE SELECT WCE=0: $n pages of 256 dirty after the write completed"
odread "$WB" $((6 * R)) $R 15
# and back: WCE=1 buffers again (the negative control once more)
out=$(probe "$(tl_url "" 0)" tur "cdb:55100000000000001c00:out=$(ms_page 04)")
echo "$out" | grep -q "step 1.*status=0" || tl_fail "MODE SELECT WCE=1 refused: $out"
[ "$(wce 0 0)" = 1 ] || tl_fail "WCE still 0 after MODE SELECT WCE=1"

# buffered LUN at queue depth 16 (the engine's reads and writes in bulk)
tl_tio 60 -s 16M -o 16M -q 16 -S 17 writeverify "$(tl_url "" 0)" >>"$TL_DIR/tio.log" 2>&1 ||
	tl_fail "buffered LUN: write/verify: $(tail -3 "$TL_DIR/tio.log")"
# O_DIRECT LUN: data round-trips and is on disk (no page cache at all)
tl_tio 60 -s 8M -q 16 -S 16 writeverify "$(tl_url "" 2)" >>"$TL_DIR/tio.log" 2>&1 ||
	tl_fail "O_DIRECT LUN: write/verify: $(tail -3 "$TL_DIR/tio.log")"
odread "$TL_DIR/dio.img" 0 $((8 * R)) 16
n=$(resident "$TL_DIR/dio.img" 0 $((8 * R)))
[ "$n" = 0 ] || tl_fail "O_DIRECT LUN: $n pages of its file in the page cache"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
