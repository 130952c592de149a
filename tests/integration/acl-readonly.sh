#!/bin/bash
# A read-only ACL entry (docs/core.md, "Read-only ACL entries"): one target,
# a thin removable LUN, initiator "reader" with "readonly": true and
# initiator "writer" with full access. The reader reads, verifies, sees WP in
# MODE SENSE, may PREVENT/ALLOW and read the registrations; every command that
# would change the medium or state the writer shares (WRITE, WRITE SAME,
# MODE SELECT, PERSISTENT RESERVE OUT, RESERVE(6), SET TARGET PORT GROUPS,
# eject, SANITIZE) gets DATA PROTECT / WRITE PROTECTED (7/27/00) and changes
# nothing: afterwards the writer finds no registration, no reservation, the
# medium in place, and may do all of it itself.
. "$(dirname "$0")/../lib/target.sh"
tl_init acl-readonly 3402

READER=iqn.2026-11.org.mtgt:reader
WRITER=iqn.2026-11.org.mtgt:writer
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [ { "name": "$TL_TARGET",
    "initiators": [ {"name": "$READER", "readonly": true}, "$WRITER" ],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/d.img", "size": "16M",
               "thin": true, "removable": true} ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

zeros() { printf '00%.0s' $(seq "$1"); }
# PR OUT parameter list: reservation key 0, service action key 0x11
PROUT=0000000000000000000000000000001100000000$(zeros 4)
probe() { # initiator steps...
	local ini=$1
	shift
	timeout -k 5 "$(tl_secs 60)" "$TL_BIN/test-be-probe" -i "$ini" "$(tl_url "" 0)" "$@"
}
expect() { # log step pattern what
	grep -q "^step $2 .*$3" "$1" || tl_fail "$4: $(grep "^step $2 " "$1")"
}

probe "$READER" tur \
	"cdb:28000000000000000100:in=512" \
	"cdb:2a000000000000000100:out=$(zeros 512)" \
	"cdb:93080000000000000000000000010000:out=$(zeros 512)" \
	"cdb:55100000000000001800:out=$(zeros 24)" \
	"cdb:5f000000000000001800:out=$PROUT" \
	"cdb:5f010100000000001800:out=$PROUT" \
	"cdb:160000000000" \
	"cdb:a40a00000000000000080000:out=$(zeros 8)" \
	"cdb:1b0000000200" \
	"cdb:48020000000000000000" \
	"cdb:5e000000000000002000:in=32" \
	"cdb:5a083f00000000000800:in=8" \
	"cdb:1e0000000100" \
	"cdb:1e0000000000" \
	"cdb:2f000000000000000100" \
	"cdb:000000000000" >"$TL_DIR/reader.log" 2>&1 || tl_fail "reader probe: $(tail -3 "$TL_DIR/reader.log")"
L=$TL_DIR/reader.log
# (steps count from 0: the first is the tur)
expect "$L" 1 "status=0 " "READ refused to a read-only entry"
for s in 2:WRITE 3:"WRITE SAME" 4:"MODE SELECT" 5:"PR OUT REGISTER" 6:"PR OUT RESERVE" \
	 7:"RESERVE(6)" 8:"SET TARGET PORT GROUPS" 9:eject 10:"SANITIZE BLOCK ERASE"; do
	expect "$L" "${s%%:*}" "sense=7/27/00" "${s#*:} not refused with WRITE PROTECTED"
done
expect "$L" 11 "status=0 data=00000000" "PR IN READ KEYS: a refused REGISTER registered"
# MODE PARAMETER HEADER(10): WP is bit 7 of the device-specific byte
grep "^step 12 " "$L" | grep -qE "status=0 data=[0-9a-f]{6}[89a-f]" || tl_fail "MODE SENSE shows no WP: $(grep '^step 12 ' "$L")"
for s in 13 14 15 16; do
	expect "$L" $s "status=0 " "step $s (PREVENT, ALLOW, VERIFY, TEST UNIT READY) refused"
done

# the writer finds everything as it was, and may do it all
probe "$WRITER" tur \
	"cdb:5e000000000000002000:in=32" \
	"cdb:000000000000" \
	"cdb:2a000000000000000100:out=$(zeros 512)" \
	"cdb:160000000000" \
	"cdb:170000000000" \
	"cdb:5f000000000000001800:out=$PROUT" \
	"cdb:5a083f00000000000800:in=8" >"$TL_DIR/writer.log" 2>&1 || tl_fail "writer probe: $(tail -3 "$TL_DIR/writer.log")"
L=$TL_DIR/writer.log
expect "$L" 1 "status=0 data=00000000" "the reader's PR OUT changed the registrations"
expect "$L" 2 "status=0 " "medium gone or LU reserved after the reader's commands"
for s in 3 4 5 6; do
	expect "$L" $s "status=0 " "writer refused at step $s"
done
grep "^step 7 " "$L" | grep -qE "status=0 data=[0-9a-f]{6}[0-7]" || tl_fail "the writer sees WP: $(grep '^step 7 ' "$L")"
tl_stop || tl_fail "stop failed"
tl_pass
