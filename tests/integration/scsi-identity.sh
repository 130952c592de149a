#!/bin/bash
# INQUIRY and READ CAPACITY(16) answers match the configuration.
. "$(dirname "$0")/../lib/target.sh"
tl_init scsi-identity 3342

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

# libiscsi's own tools first.
out=$(timeout "$(tl_secs 10)" iscsi-inq "$(tl_url "" 0)" 2>&1) || tl_fail "iscsi-inq failed: $out"
echo "$out" | grep -q "Peripheral Device Type:DIRECT_ACCESS" || tl_fail "iscsi-inq: not DIRECT_ACCESS: $out"
echo "$out" | grep -q "^Vendor:" || tl_fail "iscsi-inq: no vendor: $out"
out=$(timeout "$(tl_secs 10)" iscsi-inq -e 1 -c 0x80 "$(tl_url "" 0)" 2>&1) || tl_fail "iscsi-inq VPD 0x80 failed: $out"

# LUN, block size, block count
for spec in "0 512 131072" "1 512 2147483648" "2 4096 65536"; do
	set -- $spec
	out=$(timeout "$(tl_secs 10)" iscsi-readcapacity16 "$(tl_url "" "$1")" 2>&1) ||
		tl_fail "iscsi-readcapacity16 LUN $1 failed: $out"
	echo "$out" | grep -q "^LOGICAL BLOCK LENGTH IN BYTES:$2\$" ||
		tl_fail "LUN $1: want block length $2: $out"
	echo "$out" | grep -q "^RETURNED LOGICAL BLOCK ADDRESS:$(($3 - 1))\$" ||
		tl_fail "LUN $1: want last LBA $(($3 - 1)): $out"
	tl_tio 20 -b "$2" -n "$3" capacity "$(tl_url "" "$1")" >>"$TL_DIR/tio.log" 2>&1 ||
		tl_fail "LUN $1: capacity check: $(tail -3 "$TL_DIR/tio.log")"
	tl_tio 20 ${MTGT_VENDOR:+-V "$MTGT_VENDOR"} ${MTGT_PRODUCT:+-P "$MTGT_PRODUCT"} \
		inquiry "$(tl_url "" "$1")" >>"$TL_DIR/tio.log" 2>&1 ||
		tl_fail "LUN $1: inquiry check: $(tail -3 "$TL_DIR/tio.log")"
done

# The serial numbers of different LUNs differ (VPD 0x80).
sns=$(grep "unit serial number" "$TL_DIR/tio.log" | sort -u | wc -l)
[ "$sns" = 3 ] || tl_fail "want 3 distinct unit serial numbers: $(grep 'unit serial' "$TL_DIR/tio.log")"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
