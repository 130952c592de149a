#!/bin/bash
# 512-byte logical blocks on 4096-byte physical blocks (512e): READ
# CAPACITY(16) and the Block Limits page say so, the libiscsi tests that need
# LBPPB > 1 run and pass, and on an O_DIRECT LUN (which can only write whole
# 4 KiB blocks here) single-block writes are read-modify-written without
# disturbing their neighbours, also at queue depth 16 with odd sizes.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-512e 3438

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "heartbeat": {"interval_ms": 500, "timeout_ms": 10000},
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/e.img", "size": "64M",
               "block_size": 512, "physical_block_size": 4096, "thin": true, "direct": true},
              {"lun": 1, "backend": "file", "path": "$TL_DIR/n.img", "size": "64M"} ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
grep -q "O_DIRECT, alignment 4096" "$TL_LOG" || tl_fail "the 512e LUN is not served with 4096-byte O_DIRECT alignment"

P=$TL_BIN/test-be-probe
probe() { timeout -k 5 60 "$P" "$@"; }
# READ CAPACITY(16): LBPPBE (byte 13) and LOWEST ALIGNED LBA (bytes 14-15, low 14 bits)
rc16() { probe "$(tl_url "" "$1")" tur "cdb:9e10000000000000000000000020$(printf 0000):in=32" |
	sed -n 's/^step 1 .*status=0 data=\(.*\)/\1/p'; }
d=$(rc16 0)
[ "${d:26:2}" = 03 ] || tl_fail "512e LUN: LBPPBE ${d:26:2}, want 03 ($d)"
[ $(( 0x${d:28:4} & 0x3fff )) = 0 ] || tl_fail "512e LUN: LOWEST ALIGNED LBA $(( 0x${d:28:4} & 0x3fff ))"
d=$(rc16 1)
[ "${d:26:2}" = 00 ] || tl_fail "512n LUN: LBPPBE ${d:26:2}, want 00"
# Block Limits VPD: OPTIMAL TRANSFER LENGTH GRANULARITY (bytes 6-7), UNMAP GRANULARITY (28-31)
d=$(probe "$(tl_url "" 0)" tur "cdb:1201b0004000:in=64" | sed -n 's/^step 1 .*status=0 data=\(.*\)/\1/p')
[ $(( 0x${d:12:4} )) = 8 ] || tl_fail "512e LUN: optimal transfer granularity $(( 0x${d:12:4} )), want 8"
[ $(( 0x${d:56:8} )) = 8 ] || tl_fail "512e LUN: unmap granularity $(( 0x${d:56:8} )), want 8"

# read-modify-write: blocks 0..15 with seed 1, then block 3 and 9..10 with
# seed 2; the neighbours keep seed 1
out=$(probe "$(tl_url "" 0)" tur wpat:0:16:1 wpat:3:1:2 wpat:9:2:2:fua rpat:0:3:1 rpat:3:1:2 \
	rpat:4:5:1 rpat:9:2:2 rpat:11:5:1 2>&1) || tl_fail "512e read-modify-write: $out"
"$P" disk odread "$TL_DIR/e.img" 0 4096 1 >/dev/null && tl_fail "block 3 was not written"
# concurrent odd-sized I/O sharing physical blocks
tl_tio 90 -s 4M -q 16 -c 3584 -S 7 writeverify "$(tl_url "" 0)" >>"$TL_DIR/tio.log" 2>&1 ||
	tl_fail "512e LUN: write/verify at QD 16 in chunks up to 7 blocks: $(tail -3 "$TL_DIR/tio.log")"

# libiscsi's tests that need LBPPB > 1 (they report [SKIPPED] otherwise)
T=SCSI.CompareAndWrite.InvalidDataOutSize,SCSI.WriteSame10.UnmapUnaligned,SCSI.WriteSame16.UnmapUnaligned,SCSI.WriteSame10.InvalidDataOutSize,SCSI.WriteSame16.InvalidDataOutSize
timeout -k 5 "$(tl_secs 120)" iscsi-test-cu -d -V -t "$T" "$(tl_url "" 0)" >"$TL_DIR/cu.log" 2>&1
grep -q "SKIPPED" "$TL_DIR/cu.log" && tl_fail "iscsi-test-cu skipped: $(grep -m3 -B2 SKIPPED "$TL_DIR/cu.log")"
grep -qE "^ +tests +5 +5 +5 +0 " "$TL_DIR/cu.log" && ! grep -q FAILED "$TL_DIR/cu.log" ||
	tl_fail "iscsi-test-cu: not 5 of 5 passed: $(grep -E 'FAILED|^ +tests' "$TL_DIR/cu.log" | head -8)"

# the bounce copies show in mtgtctl status (STATS with the next heartbeat)
for ((i = 0; i < 40; i++)); do
	c=$(tl_status_json | "$TL_PY" -c 'import json, sys; print(json.load(sys.stdin).get("payload_bytes_copied", 0))')
	[ "${c:-0}" -gt 0 ] && break
	sleep 0.25
done
[ "${c:-0}" -gt 0 ] || tl_fail "payload_bytes_copied stays 0 in mtgtctl status"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
grep -q "backend-file.*bytes_copied [1-9]" "$TL_LOG" ||
	tl_fail "the bounce path copied nothing (bytes_copied): $(grep -m1 'bytes_copied' "$TL_LOG")"
tl_pass
