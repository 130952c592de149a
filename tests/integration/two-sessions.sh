#!/bin/bash
# Two initiators write disjoint halves of a LUN concurrently, then each reads
# back what the other wrote.
. "$(dirname "$0")/../lib/target.sh"
tl_init two-sessions 3344

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

A=iqn.2026-11.org.mtgt:host-a
B=iqn.2026-11.org.mtgt:host-b
tl_tio 120 -i $A -o 0 -s 32M -q 16 -S 11 writeverify "$(tl_url "" 0)" >"$TL_DIR/a.log" 2>&1 &
pa=$!
TL_BG_PIDS+=($pa)
tl_tio 120 -i $B -o 32M -s 32M -q 16 -S 12 writeverify "$(tl_url "" 0)" >"$TL_DIR/b.log" 2>&1 &
pb=$!
TL_BG_PIDS+=($pb)
wait $pa; ra=$?
wait $pb; rb=$?
[ $ra = 0 ] || tl_fail "session A: $(tail -3 "$TL_DIR/a.log")"
[ $rb = 0 ] || tl_fail "session B: $(tail -3 "$TL_DIR/b.log")"

# Both at once again, now reading each other's half, on two LUNs.
tl_tio 60 -i $A -o 32M -s 32M -S 12 verify "$(tl_url "" 0)" >"$TL_DIR/a2.log" 2>&1 &
pa=$!
TL_BG_PIDS+=($pa)
tl_tio 60 -i $B -o 0 -s 32M -S 11 verify "$(tl_url "" 0)" >"$TL_DIR/b2.log" 2>&1 &
pb=$!
TL_BG_PIDS+=($pb)
tl_tio 60 -i $B -s 32M -q 16 -S 13 writeverify "$(tl_url "" 2)" >"$TL_DIR/c2.log" 2>&1 ||
	tl_fail "ram LUN next to them: $(tail -3 "$TL_DIR/c2.log")"
wait $pa || tl_fail "A reading B's half: $(tail -3 "$TL_DIR/a2.log")"
wait $pb || tl_fail "B reading A's half: $(tail -3 "$TL_DIR/b2.log")"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
