#!/bin/bash
# Live upgrade (`mtgtctl proc upgrade`) under verified I/O: a backend and the
# iSCSI frontend are replaced by copies of their binaries while a libiscsi
# session that may not reconnect (--no-reconnect) verifies one region and
# rewrites another. Zero I/O errors are allowed, the session keeps its TSIH
# (no new login), and the new process runs the new binary. A new binary that
# exits at once or never gets ready is rolled back with a structured error
# and the old process serves on; the core's upgrade (its own handover) is
# reached through the same command.
. "$(dirname "$0")/../lib/target.sh"
tl_init upgrade 3475

CTL() { timeout 60 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U0=$(tl_url "" 0)
U2=$(tl_url "" 2)
L=$TL_DIR/tio.log
mkdir -p "$TL_DIR/v2"
for b in mtgt-backend-file mtgt-backend-ram mtgt-iscsi; do
	cp "$TL_BIN/$b" "$TL_DIR/v2/$b" || tl_fail "copy $b"
done
printf '#!/bin/sh\nexec sleep 600\n' >"$TL_DIR/v2/hang"
chmod +x "$TL_DIR/v2/hang"

tl_tio 60 -s 16M -q 16 -S 31 writeverify "$U0" >>"$L" 2>&1 || tl_fail "initial write LUN 0: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 33 writeverify "$U2" >>"$L" 2>&1 || tl_fail "initial write LUN 2: $(tail -3 "$L")"

# upgrade NAME URL: I/O across the upgrade, no error, no reconnect
upgrade_under_io() {
	local name=$1 url=$2 bin=$3 old new pm out logins0 logins1
	old=$(tl_pid "$name")
	tl_tio 90 -d "$(tl_secs 6)" --no-reconnect -s 16M -S "$4" --woffset 32M --wsize 16M \
		--wseed "$5" -q 16 -T 20 mixed "$url" >"$TL_DIR/mixed-$name.log" 2>&1 &
	pm=$!
	TL_BG_PIDS+=($pm)
	sleep "$(tl_secs 2)"
	kill -0 $pm 2>/dev/null || tl_fail "I/O ended early: $(tail -3 "$TL_DIR/mixed-$name.log")"
	# logins so far (the session doing I/O included)
	logins0=$(grep -c "session tsih [0-9]*: " "$TL_LOG")
	out=$(CTL proc upgrade "$name" --binary "$bin") || tl_fail "upgrade of $name: $out"
	tl_log "$out"
	new=$(tl_pid "$name")
	[ "$new" -gt 0 ] && [ "$new" != "$old" ] || tl_fail "$name pid $old -> $new"
	[ "$(readlink "/proc/$new/exe")" = "$bin" ] || tl_fail "$name runs $(readlink "/proc/$new/exe"), not $bin"
	kill -0 "$old" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$old/stat" 2>/dev/null)" != Z ] &&
		tl_fail "old $name pid $old still runs"
	wait $pm || tl_fail "I/O across the upgrade of $name failed: $(tail -3 "$TL_DIR/mixed-$name.log")"
	grep -q " 0 errors 0 miscompares; write: [0-9]* cmds 0 errors" "$TL_DIR/mixed-$name.log" ||
		tl_fail "I/O errors across the upgrade of $name: $(tail -2 "$TL_DIR/mixed-$name.log")"
	logins1=$(grep -c "session tsih [0-9]*: " "$TL_LOG")
	# --no-reconnect already fails on a drop; no new login either
	[ "$logins1" = "$logins0" ] || tl_fail "a new login during the upgrade of $name ($logins0 -> $logins1)"
	tl_log "$name upgraded under I/O: $(grep 'tio: mixed' "$TL_DIR/mixed-$name.log")"
}

upgrade_under_io backend-file "$U0" "$TL_DIR/v2/mtgt-backend-file" 31 32
upgrade_under_io backend-ram "$U2" "$TL_DIR/v2/mtgt-backend-ram" 33 34

# the frontend: the same session goes on (no login line but "adopted")
upgrade_under_io iscsi0 "$U0" "$TL_DIR/v2/mtgt-iscsi" 31 32
tsih=$(grep -o "session tsih [0-9]* adopted" "$TL_LOG" | tail -1 | awk '{ print $3 }')
[ -n "$tsih" ] || tl_fail "no session was handed over"
grep -q "session tsih $tsih: " "$TL_LOG" || tl_fail "adopted tsih $tsih was never logged in"
tl_log "session tsih $tsih kept across the frontend upgrade"

# raw PDUs with digests, a header half read when the upgrade starts: the
# connection, StatSN and the half header cross over
wait_line() { # file pattern
	for ((i = 0; i < 100; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
mkfifo "$TL_DIR/split.in" "$TL_DIR/stuck.in"
"$TL_PY" "$TL_ROOT/tests/integration/upgrade_raw.py" split 127.0.0.1 "$TL_PORT" "$TL_TARGET" \
	<"$TL_DIR/split.in" >"$TL_DIR/split.out" 2>&1 &
sp=$!
TL_BG_PIDS+=($sp)
exec 7>"$TL_DIR/split.in"
wait_line "$TL_DIR/split.out" READY || tl_fail "raw session: $(cat "$TL_DIR/split.out")"
out=$(CTL proc upgrade iscsi0 --binary "$TL_DIR/v2/mtgt-iscsi") || tl_fail "upgrade with a raw session: $out"
echo go >&7
exec 7>&-
wait $sp || tl_fail "raw session across the upgrade: $(cat "$TL_DIR/split.out")"
tl_log "$(tail -1 "$TL_DIR/split.out")"

# a write whose Data-Out is still owed when the quiesce starts: the old
# instance keeps reading for it, finishes it, then hands over
mkfifo "$TL_DIR/r2t.in"
"$TL_PY" "$TL_ROOT/tests/integration/upgrade_raw.py" r2t 127.0.0.1 "$TL_PORT" "$TL_TARGET" \
	<"$TL_DIR/r2t.in" >"$TL_DIR/r2t.out" 2>&1 &
sp=$!
TL_BG_PIDS+=($sp)
exec 7>"$TL_DIR/r2t.in"
wait_line "$TL_DIR/r2t.out" READY || tl_fail "r2t session: $(cat "$TL_DIR/r2t.out")"
nq=$(grep -c "upgrade: quiescing" "$TL_LOG")
CTL proc upgrade iscsi0 --binary "$TL_DIR/v2/mtgt-iscsi" >"$TL_DIR/r2t.ctl" 2>&1 &
cp=$!
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c "upgrade: quiescing" "$TL_LOG")" -gt "$nq" ] && break
	sleep 0.05
done
sleep 0.2
echo go >&7
exec 7>&-
wait $cp || tl_fail "upgrade with a Data-Out owed: $(cat "$TL_DIR/r2t.ctl")"
wait $sp || tl_fail "r2t session: $(cat "$TL_DIR/r2t.out")"
tl_log "$(tail -1 "$TL_DIR/r2t.out")"

# a PDU that never completes: no PDU boundary within the deadline, so the
# upgrade falls back to a plain restart and says why
"$TL_PY" "$TL_ROOT/tests/integration/upgrade_raw.py" stuck 127.0.0.1 "$TL_PORT" "$TL_TARGET" \
	<"$TL_DIR/stuck.in" >"$TL_DIR/stuck.out" 2>&1 &
sp=$!
TL_BG_PIDS+=($sp)
exec 8>"$TL_DIR/stuck.in"
wait_line "$TL_DIR/stuck.out" READY || tl_fail "stuck session: $(cat "$TL_DIR/stuck.out")"
old=$(tl_pid iscsi0)
out=$(CTL --json proc upgrade iscsi0 --binary "$TL_DIR/v2/mtgt-iscsi" --quiesce-timeout 1000) &&
	tl_fail "upgrade with a stuck PDU reported success: $out"
grep -q '"state": "restarted"' <<<"$out" || tl_fail "stuck PDU: no fallback: $out"
grep -q 'partly received' <<<"$out" || tl_fail "stuck PDU: reason: $out"
tl_wait_restarted iscsi0 "$old" 20 >/dev/null || tl_fail "no plain restart after the failed handover"
echo >&8
exec 8>&-
wait $sp
grep -q "falling back to a plain restart" "$TL_LOG" || tl_fail "fallback not logged"
tl_wait_ready 20 || tl_fail "not ready after the fallback restart"

# rollback: a binary that exits at once, one that never gets ready
for name in backend-file iscsi0; do
	for bad in /bin/false "$TL_DIR/v2/hang"; do
		old=$(tl_pid "$name")
		out=$(CTL --json proc upgrade "$name" --binary "$bad" --start-timeout 1500) &&
			tl_fail "upgrade of $name to $bad succeeded: $out"
		grep -q '"state": "rolled_back"' <<<"$out" || tl_fail "$name to $bad: not rolled back: $out"
		grep -q '"stage": "start"' <<<"$out" || tl_fail "$name to $bad: stage: $out"
		grep -q '"error": "new instance' <<<"$out" || tl_fail "$name to $bad: error: $out"
		[ "$(tl_pid "$name")" = "$old" ] || tl_fail "$name changed pid after a rollback"
		[ "$(tl_proc_field "$name" state)" = running ] || tl_fail "$name not running after a rollback"
	done
done
tl_tio 60 -s 16M -q 16 -S 31 verify "$U0" >>"$L" 2>&1 || tl_fail "LUN 0 after the rollbacks: $(tail -3 "$L")"
tl_tio 60 -o 32M -s 16M -q 16 -S 32 verify "$U0" >>"$L" 2>&1 || tl_fail "LUN 0 rewritten region: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 33 verify "$U2" >>"$L" 2>&1 || tl_fail "LUN 2 after the upgrade: $(tail -3 "$L")"

# bad requests get clear errors
out=$(CTL proc upgrade backend-file --binary relative/path 2>&1) && tl_fail "relative binary accepted"
grep -q "absolute path" <<<"$out" || tl_fail "relative binary: $out"
out=$(CTL proc upgrade nosuch 2>&1) && tl_fail "unknown process accepted"
# the core hands over its own way (sup_core_handover.c); proc.upgrade passes it on
old=$(tl_pid core)
out=$(CTL proc upgrade core 2>&1) || tl_fail "core upgrade: $out"
tl_log "$out"
tl_wait_ready 20 || tl_fail "not ready after the core upgrade"
[ "$(tl_pid core)" != "$old" ] || tl_fail "the core kept its pid across an upgrade"

# the core dies while an upgrade waits for its new instance: the upgrade is
# abandoned (the new instance killed) and the core comes back as usual
CTL --json proc upgrade backend-file --binary "$TL_DIR/v2/hang" --start-timeout 30000 \
	>"$TL_DIR/coredeath.json" 2>&1 &
cp=$!
sleep 1
kill -KILL "$(tl_pid core)"
wait $cp && tl_fail "upgrade survived the core's death: $(cat "$TL_DIR/coredeath.json")"
grep -q '"state": "failed"' "$TL_DIR/coredeath.json" || tl_fail "core death: $(cat "$TL_DIR/coredeath.json")"
hp=$("$TL_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["new_pid"])' "$TL_DIR/coredeath.json")
tl_wait_gone "$hp" 5 || tl_fail "the abandoned new instance $hp lives on"
tl_wait_ready 20 || tl_fail "not ready after the core died during an upgrade"

# a plain restart is still a plain restart
old=$(tl_pid backend-ram)
CTL proc restart backend-ram >/dev/null || tl_fail "proc restart"
tl_wait_restarted backend-ram "$old" 10 >/dev/null || tl_fail "backend-ram not restarted"
[ "$(readlink "/proc/$(tl_pid backend-ram)/exe")" = "$TL_DIR/v2/mtgt-backend-ram" ] ||
	tl_fail "a restart after an upgrade must keep the upgraded binary"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
