#!/bin/bash
# 64 MiB of random data written at queue depth 16 read back intact, by the
# same session and by a second initiator, and again after a target restart.
. "$(dirname "$0")/../lib/target.sh"
tl_init io-64m 3343

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

L=$TL_DIR/tio.log
tl_tio 120 -i "$TL_INITIATOR" -s 64M -q 16 -S 101 writeverify "$(tl_url "" 0)" >>"$L" 2>&1 ||
	tl_fail "file LUN: write/verify 64M at QD 16: $(tail -3 "$L")"
tl_tio 60 -i iqn.2026-11.org.mtgt:second-host -s 64M -q 32 -S 101 verify "$(tl_url "" 0)" >>"$L" 2>&1 ||
	tl_fail "file LUN: second initiator read back: $(tail -3 "$L")"
tl_tio 120 -s 64M -o 128M -q 32 -c 1M -S 202 writeverify "$(tl_url "" 2)" >>"$L" 2>&1 ||
	tl_fail "ram LUN: write/verify 64M at QD 32: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 303 writeverify "$(tl_url "" 1)" >>"$L" 2>/dev/null
# the null LUN discards data: its read back must not verify
[ $? = 1 ] || tl_fail "null LUN returned the data written to it"
tl_tio 60 -s 16M -q 16 -S 303 write "$(tl_url "" 1)" >>"$L" 2>&1 ||
	tl_fail "null LUN: writes failed: $(tail -3 "$L")"
grep "^tio:" "$L" >&2

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

# The file LUN persists across a restart.
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready after restart"
tl_tio 60 -s 64M -q 16 -S 101 verify "$(tl_url "" 0)" >>"$L" 2>&1 ||
	tl_fail "file LUN lost data across a restart: $(tail -3 "$L")"
tl_stop || tl_fail "second stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
