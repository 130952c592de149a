#!/bin/bash
# EXTENDED COPY and SANITIZE through the whole target: xcopy-check checks the
# copied data byte for byte (across LUNs, overlapping in one LU, two
# segments), RECEIVE COPY RESULTS, that a LUN of a target the initiator may
# not use is no copy target, and a paced SANITIZE OVERWRITE with IMMED
# (NOT READY with progress while it runs, the pattern everywhere after).
# Then libiscsi's own ExtendedCopy/ReceiveCopyResults tests and the quick
# Sanitize tests on a thin LUN (Sanitize.Reset waits minutes by design: only
# in `make conformance`).
. "$(dirname "$0")/../lib/target.sh"
tl_init xcopy-sanitize 3400

OTHER=iqn.2026-11.org.example:other
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] },
    { "name": "$OTHER",
      "luns": [ {"lun": 0, "backend": "ram", "size": "4M", "block_size": 512} ],
      "initiators": ["iqn.2026-11.test:xcopy-admin"] } ] }
JSON
# 16 MiB at 6 MiB/s: the sanitize runs long enough to be watched
MTGT_CORE_SANITIZE_MIBS=6 tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

timeout -k 5 "$(tl_secs 120)" "$TL_BIN/xcopy-check" "127.0.0.1:$TL_PORT" "$TL_TARGET" "$OTHER" \
	>"$TL_DIR/xcopy.log" 2>&1 || tl_fail "xcopy-check: $(tail -5 "$TL_DIR/xcopy.log")"
tl_log "$(tail -1 "$TL_DIR/xcopy.log")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

# libiscsi's tests (their own target, thin LUN, -d -S with two sessions)
tests=ALL.ExtendedCopy,ALL.ReceiveCopyResults
for t in BlockErase BlockEraseReserved CryptoErase CryptoEraseReserved ExitFailureMode \
	 InvalidServiceAction Overwrite OverwriteReserved Readonly Reservations; do
	tests=$tests,ALL.Sanitize.$t
done
out=$(CONFORMANCE_TESTS=$tests CONFORMANCE_MULTIPATH=1 CONFORMANCE_THIN=1 \
	CONFORMANCE_LUN_SIZE=16M CONFORMANCE_PORT=3401 bash "$TL_ROOT/tests/conformance/run.sh" 2>&1) ||
	tl_fail "libiscsi run: $(echo "$out" | tail -3)"
line=$(echo "$out" | grep '^conformance:')
tl_log "libiscsi: $line"
echo "$line" | grep -q ' 0 failed' || tl_fail "libiscsi: $line $(echo "$out" | grep failed: )"
echo "$line" | grep -q '^conformance: 0 passed' && tl_fail "libiscsi: nothing passed"
tl_pass
