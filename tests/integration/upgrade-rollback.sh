#!/bin/bash
# The new frontend treats the handed-over state as untrusted input: with
# MTGT_TEST_HANDOVER_CORRUPT=cycle (test builds) the old instance spoils the
# state of successive handovers (TSIH 0, a MaxRecvDataSegmentLength above our
# limit, an fd index that was not sent, a bad ISID, truncated JSON). Each time
# the new instance must refuse it with the reason, be killed, and the old one
# must serve on (stage "load", state "rolled_back") while a libiscsi session
# that may not reconnect keeps doing verified I/O with zero errors; the sixth
# handover is clean and succeeds.
. "$(dirname "$0")/../lib/target.sh"
tl_init upgrade-rollback 3478

CTL() { timeout 60 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

# the hook exists only in the test build of the target (make tests)
TL_SERVER_BIN=$TL_ROOT/build/hooks/bin
[ -x "$TL_SERVER_BIN/mtgtd" ] || tl_fail "build/hooks/bin missing (make tests)"
tl_config_simple >"$TL_DIR/mtgtd.json"
MTGT_TEST_HANDOVER_CORRUPT=cycle tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 2)
tl_tio 60 -s 16M -q 16 -S 71 writeverify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "initial write"

tl_tio 120 -d "$(tl_secs 12)" --no-reconnect -s 16M -S 71 --woffset 16M --wsize 16M --wseed 72 \
	-q 8 -T 20 mixed "$U" >"$TL_DIR/mixed.log" 2>&1 &
pm=$!
TL_BG_PIDS+=($pm)
# a second session (another initiator, LUN 0) crosses the clean handover too
U0=$(tl_url "" 0)
tl_tio 60 -s 8M -q 8 -S 73 writeverify "$U0" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "initial write LUN 0"
tl_tio 120 -i iqn.2026-11.org.mtgt:second -d "$(tl_secs 10)" --no-reconnect -s 8M -S 73 \
	--woffset 8M --wsize 8M --wseed 74 -q 4 -T 20 mixed "$U0" >"$TL_DIR/mixed2.log" 2>&1 &
pm2=$!
TL_BG_PIDS+=($pm2)
sleep "$(tl_secs 1)"
old=$(tl_pid iscsi0)
for want in "session.tsih" "params.mrdsl_rx" "conn.fd" "session.isid" "not a handover"; do
	out=$(CTL --json proc upgrade iscsi0) && tl_fail "a spoiled handover succeeded: $out"
	grep -q '"state": "rolled_back"' <<<"$out" || tl_fail "not rolled back: $out"
	grep -q '"stage": "load"' <<<"$out" || tl_fail "stage: $out"
	grep -q "refused the state: invalid state: $want" <<<"$out" || tl_fail "reason (want $want): $out"
	[ "$(tl_pid iscsi0)" = "$old" ] || tl_fail "iscsi0 changed pid on a rollback"
	tl_log "refused: $(grep -o '"error": "[^"]*"' <<<"$out")"
	sleep 0.5
done
out=$(CTL proc upgrade iscsi0) || tl_fail "the clean handover failed: $out"
tl_log "$out"
[ "$(tl_pid iscsi0)" != "$old" ] || tl_fail "no new frontend after the clean handover"
wait $pm || tl_fail "I/O across the rollbacks: $(tail -3 "$TL_DIR/mixed.log")"
grep -q " 0 errors 0 miscompares; write: [0-9]* cmds 0 errors" "$TL_DIR/mixed.log" ||
	tl_fail "I/O errors across the rollbacks: $(tail -2 "$TL_DIR/mixed.log")"
tl_log "$(grep 'tio: mixed' "$TL_DIR/mixed.log")"
wait $pm2 || tl_fail "second session across the rollbacks: $(tail -3 "$TL_DIR/mixed2.log")"
grep -q " 0 errors 0 miscompares; write: [0-9]* cmds 0 errors" "$TL_DIR/mixed2.log" ||
	tl_fail "I/O errors in the second session: $(tail -2 "$TL_DIR/mixed2.log")"
grep -q "handing over 2 sessions" "$TL_LOG" || tl_fail "the clean handover did not carry both sessions"
tl_tio 60 -o 16M -s 16M -q 16 -S 72 verify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "data after the rollbacks"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
