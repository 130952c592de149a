#!/bin/bash
# Removable media and a virtual CD/DVD.
#  - a "removable": true disk: libiscsi's PreventAllow (8 tests) and
#    StartStopUnit.Simple pass (RMB, eject/load, MEDIUM NOT PRESENT, MEDIUM
#    REMOVAL PREVENTED, prevention cleared by nexus loss and resets); a fixed
#    disk refuses LOEJ;
#  - a "type": "cdrom" LUN on an ISO image built here (genisoimage; a
#    deterministic byte image when it is missing): INQUIRY, READ CAPACITY(10),
#    READ(10/12) against the image's bytes, GET CONFIGURATION, READ TOC
#    formats 0/1/2 (LBA and MSF), GET EVENT STATUS NOTIFICATION, READ DISC
#    INFORMATION, MECHANISM STATUS, MODE SENSE page 2Ah, writes refused,
#    eject and load seen by all of them, and a load reported to another
#    session as a unit attention (28/00). Field by field.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-media 3442

ISO=$TL_DIR/disc.iso
if command -v genisoimage >/dev/null; then
	mkdir -p "$TL_DIR/iso/d"
	for i in $(seq 1 40); do
		"$TL_PY" -c "import sys; sys.stdout.buffer.write(bytes((i * 7 + $i) & 255 for i in range(50000)))" >"$TL_DIR/iso/d/f$i"
	done
	genisoimage -quiet -V MTGTTEST -R -o "$ISO" "$TL_DIR/iso" || tl_fail "genisoimage failed"
else
	"$TL_PY" -c "import sys; sys.stdout.buffer.write(bytes((i * 13 + i // 2048) & 255 for i in range(2048 * 1200)))" >"$ISO"
fi
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/rm.img", "size": "16M", "removable": true},
              {"lun": 1, "backend": "file", "path": "$TL_DIR/fx.img", "size": "16M"},
              {"lun": 2, "backend": "file", "type": "cdrom", "path": "$ISO"} ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

cu() { # tests lun
	timeout -k 5 "$(tl_secs 120)" iscsi-test-cu -d -t "$1" "$(tl_url "" "$2")" >"$TL_DIR/cu.log" 2>&1
	grep -q SKIPPED "$TL_DIR/cu.log" && tl_fail "$1 on LUN $2 skipped: $(grep -m2 -B1 SKIPPED "$TL_DIR/cu.log")"
	grep -qE "^ +tests +$3 +$3 +$3 +0 " "$TL_DIR/cu.log" ||
		tl_fail "$1 on LUN $2: $(grep -E '^  Test:.*FAILED|^ +tests' "$TL_DIR/cu.log" | head -5)"
}
cu SCSI.PreventAllow,SCSI.StartStopUnit.Simple 0 9
out=$(timeout -k 5 30 "$TL_BIN/test-be-probe" "$(tl_url "" 1)" tur "cdb:1b0000000200" tur)
echo "$out" | grep -q "step 1 .*sense=5/24/00" || tl_fail "a fixed disk accepted LOEJ: $out"

# the cdrom, one session of steps; the checker reads the probe's output
steps=(
	tur
	"cdb:120000006000:in=96"                      # 1 INQUIRY
	"cdb:25000000000000000000:in=8"               # 2 READ CAPACITY(10)
	"cdb:28000000001000000100:in=2048"            # 3 READ(10) LBA 16 (volume descriptor)
	"cdb:a80000000011000000030000:in=6144"        # 4 READ(12) LBA 17, 3 blocks
	"cdb:46000000000000010000:in=256"             # 5 GET CONFIGURATION RT=0
	"cdb:46020010000000010000:in=256"             # 6 RT=2 feature 0010h
	"cdb:43000000000000010000:in=256"             # 7 READ TOC format 0, LBA
	"cdb:43020000000000010000:in=256"             # 8 format 0, MSF
	"cdb:43000100000000010000:in=256"             # 9 format 1
	"cdb:43020200000000010000:in=256"             # 10 format 2 (full TOC)
	"cdb:4a010000100000000800:in=8"               # 11 GESN media class
	"cdb:4a010000020000000800:in=8"               # 12 GESN operational class
	"cdb:4a000000100000000800:in=8"               # 13 GESN not polled: refused
	"cdb:51000000000000002200:in=34"              # 14 READ DISC INFORMATION
	"cdb:bd0000000000000000080000:in=8"           # 15 MECHANISM STATUS
	"cdb:5a082a00000000002000:in=32"              # 16 MODE SENSE(10) page 2Ah
	"cdb:2a000000000000000100:out=$(printf '00%.0s' $(seq 2048))"  # 17 WRITE(10)
	"cdb:1b0000000200"                            # 18 eject
	"cdb:000000000000"                            # 19 TUR: no medium
	"cdb:43000000000000010000:in=256"             # 20 READ TOC: no medium
	"cdb:4a010000100000000800:in=8"               # 21 GESN: removed, tray open
	"cdb:46000000000000010000:in=16"              # 22 GET CONFIGURATION: no profile
	"cdb:1e0000000100"                            # 23 PREVENT
	"cdb:1b0000000300"                            # 24 load: prevented
	"cdb:1e0000000000"                            # 25 ALLOW
	"cdb:1b0000000300"                            # 26 load
	"cdb:4a010000100000000800:in=8"               # 27 GESN: new media
	"cdb:000000000000"                            # 28 TUR: ready
	"cdb:88000000000000000010000000010000:in=2048"  # 29 READ(16): not MMC
	"cdb:a30c01460000000000100000:in=16"          # 30 RSOC one command: GET CONFIGURATION
	"cdb:a30c01880000000000100000:in=16"          # 31 RSOC one command: READ(16)
)
# a second session, there all along, hears that the medium may have changed
timeout -k 5 90 "$TL_BIN/test-be-probe" -i iqn.2026-11.org.mtgt:other "$(tl_url "" 2)" tur \
	"wait:$TL_DIR/loaded" "cdb:000000000000" "cdb:000000000000" >"$TL_DIR/other.log" 2>&1 &
other=$!
sleep 0.5
timeout -k 5 60 "$TL_BIN/test-be-probe" "$(tl_url "" 2)" "${steps[@]}" >"$TL_DIR/cd.log" 2>&1 ||
	tl_fail "cdrom probe: $(tail -3 "$TL_DIR/cd.log")"
touch "$TL_DIR/loaded"
wait $other
grep -q "step 2 .*sense=6/28/00" "$TL_DIR/other.log" && grep -q "step 3 .*status=0 " "$TL_DIR/other.log" ||
	tl_fail "the other session did not hear MEDIUM MAY HAVE CHANGED once: $(cat "$TL_DIR/other.log")"
res=$("$TL_PY" - "$TL_DIR/cd.log" "$ISO" <<'PY'
import re, sys
steps = {}
for line in open(sys.argv[1]):
    m = re.match(r"step (\d+) \S+: status=(-?\d+)(?: sense=(\S+))? data=(\w*)", line)
    if m:
        steps[int(m.group(1))] = (int(m.group(2)), m.group(3), bytes.fromhex(m.group(4)))
iso = open(sys.argv[2], "rb").read()
nblk = len(iso) // 2048
errs = []
def ok(n):
    st = steps.get(n)
    if not st or st[0] != 0:
        errs.append("step %d: %s" % (n, st and (st[0], st[1])))
        return b""
    return st[2]
def check(cond, what):
    if not cond:
        errs.append(what)
def sense(n, want):
    st = steps.get(n)
    check(st and st[0] == 2 and st[1] == want, "step %d: want %s, got %s" % (n, want, st and st[:2]))
def be(b, o, n):
    return int.from_bytes(b[o:o + n], "big")
def msf(lba):
    f = lba + 150
    return bytes([0, f // 4500, f // 75 % 60, f % 75])

d = ok(1)
check(d[:2] == b"\x05\x80", "INQUIRY: type/RMB %s" % d[:2].hex())
check(d[16:32] == b"VIRTUAL-CDROM   ", "INQUIRY product %r" % d[16:32])
d = ok(2)
check(be(d, 0, 4) == nblk - 1 and be(d, 4, 4) == 2048, "READ CAPACITY %s (want %d blocks)" % (d.hex(), nblk))
check(ok(3) == iso[16 * 2048:17 * 2048], "READ(10) LBA 16 differs from the image")
check(ok(4) == iso[17 * 2048:20 * 2048], "READ(12) LBA 17+3 differs from the image")
d = ok(5)
check(be(d, 0, 4) == len(d) - 4, "GET CONFIGURATION length %d of %d" % (be(d, 0, 4), len(d)))
check(be(d, 6, 2) == 0x0008, "current profile %04x, want CD-ROM" % be(d, 6, 2))
feats, o = {}, 8
while o + 4 <= len(d):
    feats[be(d, o, 2)] = d[o:o + 4 + d[o + 3]]
    o += 4 + d[o + 3]
check(sorted(feats) == [0, 1, 2, 3, 0x10, 0x1e, 0x1f], "features %s" % [hex(k) for k in feats])
pl = feats.get(0, b"\0" * 4)
check(pl[2] & 3 == 3 and pl[4:] == bytes([0, 0x10, 0, 0, 0, 0x08, 1, 0]), "profile list %s" % pl.hex())
check(be(feats.get(1, b"\0" * 12), 4, 4) == 1, "core feature %s" % feats.get(1, b"").hex())
check(feats.get(3, b"\0" * 8)[4] == 0x29, "removable medium feature %s" % feats.get(3, b"").hex())
check(feats.get(0x1e, b"\0" * 4)[2] & 1 == 1 and feats.get(0x1f, b"\0" * 4)[2] & 1 == 0,
      "CD Read current / DVD Read not current")
d = ok(6)
check(len(d) == 20 and be(d, 8, 2) == 0x10 and d[10] & 1 and be(d, 12, 4) == 2048 and be(d, 16, 2) == 1,
      "RT=2 Random Readable %s" % d.hex())
d = ok(7)
check(d == bytes([0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xaa, 0]) + nblk.to_bytes(4, "big"),
      "TOC format 0 %s" % d.hex())
d = ok(8)
check(d[8:12] == msf(0) and d[16:20] == msf(nblk) and d[14] == 0xaa, "TOC MSF %s" % d.hex())
d = ok(9)
check(d == bytes([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]), "TOC format 1 %s" % d.hex())
d = ok(10)
check(be(d, 0, 2) == 2 + 44 and d[2:4] == b"\x01\x01", "full TOC header %s" % d[:4].hex())
desc = {d[4 + 11 * i + 3]: d[4 + 11 * i:15 + 11 * i] for i in range(4)}
check(desc.get(0xa0, b"\0" * 11)[8] == 1 and desc.get(0xa1, b"\0" * 11)[8] == 1, "full TOC A0/A1")
check(desc.get(0xa2, b"\0" * 11)[8:11] == msf(nblk)[1:], "full TOC A2 lead-out %s" % desc.get(0xa2, b"").hex())
check(desc.get(1, b"\0" * 11)[8:11] == msf(0)[1:], "full TOC track 1")
d = ok(11)
check(d[2] == 4 and d[3] == 0x12 and d[5] == 0x02, "GESN media %s" % d.hex())
d = ok(12)
check(d[2] == 1 and be(d, 0, 2) == 6, "GESN operational %s" % d.hex())
sense(13, "5/24/00")
d = ok(14)
check(be(d, 0, 2) == 32 and d[2] == 0x0e and d[3:7] == b"\x01\x01\x01\x01", "DISC INFORMATION %s" % d.hex())
d = ok(15)
check(len(d) == 8 and d[1] == 0 and d[5] == 0, "MECHANISM STATUS %s" % d.hex())
d = ok(16)
check(d[8] == 0x2a and d[9] == 0x14 and d[14] & 0x29 == 0x29, "page 2Ah %s" % d.hex())
sense(17, "7/27/00")
ok(18)
sense(19, "2/3a/00")
sense(20, "2/3a/00")
d = ok(21)
check(d[4] == 3 and d[5] == 0x01, "GESN after eject %s" % d.hex())
d = ok(22)
check(be(d, 6, 2) == 0, "profile after eject %s" % d.hex())
ok(23)
sense(24, "5/53/02")
ok(25)
ok(26)
d = ok(27)
check(d[4] == 2 and d[5] == 0x02, "GESN after load %s" % d.hex())
ok(28)
# the CD/DVD LU runs and lists the MMC set, not the disk-only commands
sense(29, "5/20/00")
d = ok(30)
check(d[1] & 7 == 3 and be(d, 2, 2) == 10 and d[4] == 0x46, "RSOC GET CONFIGURATION %s" % d.hex())
d = ok(31)
check(d[1] & 7 == 1, "RSOC READ(16) on a cdrom %s" % d.hex())
print("ok" if not errs else "; ".join(errs))
PY
)
[ "$res" = ok ] || tl_fail "cdrom: $res"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
