#!/bin/bash
# CmdSN ordering (RFC 7143 3.2.2.1, 4.2.2.1) with our raw-PDU initiator:
# commands sent out of CmdSN order run in CmdSN order (a read sent before
# the write it follows sees the write; a write sent before the read it
# follows does not), CmdSNs outside the window are ignored and the session
# goes on, data of a waiting write (immediate, unsolicited, then R2T) is
# kept, a gap never filled leaves pings answered and Logout working, ABORT
# TASK / ABORT TASK SET cover waiting commands. Then nothing is left over:
# no session, nothing in flight, no pool pages, no private spill memory.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-cmdsn 3425

[ -x "$TL_BIN/test-raw-initiator" ] || tl_fail "build/bin/test-raw-initiator missing (make tests)"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
timeout -k 5 "$(tl_secs 120)" "$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" "$TL_TARGET" \
	${RAWI_CASES:-cmdsn-order cmdsn-window cmdsn-data cmdsn-gap cmdsn-tmf cmdsn-shuffle cmdsn-fuzz} >"$TL_DIR/rawi.log" 2>&1
rc=$?
cat "$TL_DIR/rawi.log" >&2
[ $rc = 0 ] || tl_fail "test-raw-initiator exit $rc: $(grep -m 3 -E 'FAIL' "$TL_DIR/rawi.log" | tr '\n' ' ')"
grep -q "waits for its turn" "$TL_LOG" || tl_fail "the log shows no command waiting for its CmdSN"
tl_iscsi_wait_clean
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
