#!/bin/bash
# The core killed 20 times (SIGKILL at random moments) under verified I/O, then
# upgraded live 5 times under load, then a failed upgrade rolled back:
#  - no session drops: the mixed I/O initiator never sees a new nexus (no unit
#    attention retried), the core log shows no new login, corestate-check's two
#    sessions (no automatic reconnect) stay up and every TEST UNIT READY they
#    send across the kills is GOOD;
#  - zero READ/WRITE errors, no miscompare, nothing written lost;
#  - a PR registration and reservation, a MODE SELECT change and a unit
#    attention queued before the kills are all still there after them;
#  - recovery time (death to a serving new core) median and worst over the
#    kills, printed for the report.
. "$(dirname "$0")/../lib/target.sh"
tl_init core-restart 3465
KILLS=${CORE_RESTART_KILLS:-20}
UPGRADES=${CORE_RESTART_UPGRADES:-5}

tl_config_simple | $TL_PY -c '
import json, sys
c = json.load(sys.stdin)
# every kill restarts at once: the core ran longer than period_s before each
c["restart"] = {"core": {"backoff_initial_ms": 1, "backoff_max_ms": 50,
                         "intensity": 1000, "period_s": 1}}
print(json.dumps(c))' >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
L=$TL_DIR/tio.log
C() { timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

tl_tio 60 -s 16M -q 16 -S 31 writeverify "$U" >>"$L" 2>&1 || tl_fail "initial write: $(tail -3 "$L")"

# LUN 1 removed and LUN 3 added live: the running core gives LUN 3 the freed
# slot, a new core numbers its slots afresh; saved state must follow LUN
# numbers, not slots
C lun del "$TL_TARGET" 1 >/dev/null || tl_fail "lun del refused"
C lun add "$TL_TARGET" 3 --backend null --size 1G >/dev/null || tl_fail "lun add refused"

# two sessions holding PR, mode and UA state across everything below
GO=$TL_DIR/go
"$TL_BIN/corestate-check" "127.0.0.1:$TL_PORT" "$TL_TARGET" 2 "$GO" >"$TL_DIR/state.log" 2>&1 &
ps=$!
TL_BG_PIDS+=($ps)
for _ in $(seq 100); do
	grep -q '^ready' "$TL_DIR/state.log" && break
	kill -0 $ps 2>/dev/null || break
	sleep 0.1
done
grep -q '^ready' "$TL_DIR/state.log" || tl_fail "state setup: $(cat "$TL_DIR/state.log")"

# mixed I/O: A [0,16M) verified, B [32M,48M) rewritten, for the whole run
# The load runs until the test creates its stop file ($3.stop) after the last
# fault, or at most 3x the time the faults should take: on a loaded machine
# the restarts take longer, and a fixed duration ran out before the last kill.
mixed() { # seconds seed log
	tl_tio $(( $1 * 3 + 60 )) -d "$(tl_secs $(( $1 * 3 )))" -k -s 16M -S 31 --woffset 32M \
		--wsize 16M --wseed "$2" -q 16 -T 30 --until-file "$3.stop" mixed "$U" >"$3" 2>&1
}
mixed_ok() { # log what
	local log=$1 what=$2 errs
	grep -v -E "^tio: (READ|WRITE)\(16\)" "$log" >&2
	errs=$(sed -n 's/.*verify: [0-9]* cmds \([0-9]*\) errors \([0-9]*\) miscompares; write: [0-9]* cmds \([0-9]*\) errors; \([0-9]*\) unit attentions retried.*/\1 \2 \3 \4/p' "$log")
	[ -n "$errs" ] || tl_fail "$what: no summary from the initiator: $(tail -3 "$log")"
	set -- $errs
	[ "$1 $2 $3" = "0 0 0" ] || tl_fail "$what: I/O errors: verify $1, miscompare $2, write $3"
	[ "$4" = 0 ] || tl_fail "$what: $4 unit attentions retried: a session was re-established"
}

# nothing but the core may change pid
declare -A pid0
for p in iscsi0 backend-file backend-null backend-ram; do
	pid0[$p]=$(tl_pid $p)
done
same_pids() {
	local p
	for p in "${!pid0[@]}"; do
		[ "$(tl_pid $p)" = "${pid0[$p]}" ] || tl_fail "$1: $p changed pid ${pid0[$p]} -> $(tl_pid $p)"
	done
}
logins0=$(grep -c 'core\[.*nexus [0-9]* on link [0-9]*: ' "$TL_LOG")
mixed $(( KILLS + 15 )) 32 "$TL_DIR/mixed1.log" &
pm=$!
TL_BG_PIDS+=($pm)
sleep 1
for i in $(seq "$KILLS"); do
	# a random moment: 1.0 .. 1.7 s apart (over the policy's period: each
	# restart is the immediate first one)
	sleep "1.$(( RANDOM % 8 ))"
	kill -0 $pm 2>/dev/null || tl_fail "mixed I/O ended early (kill $i): $(tail -3 "$TL_DIR/mixed1.log")"
	old=$(tl_pid core)
	kill -KILL "$old"
	tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "kill $i: core not back: $(tl_procs | tr '\n' ';')"
done
tl_log "$KILLS core kills done"
sleep 1
touch "$TL_DIR/mixed1.log.stop"
wait $pm || tl_fail "I/O across the kills failed: $(tail -3 "$TL_DIR/mixed1.log")"
mixed_ok "$TL_DIR/mixed1.log" "kills"
tl_wait_ready || tl_fail "not every process runs after the kills"
logins1=$(grep -c 'core\[.*nexus [0-9]* on link [0-9]*: ' "$TL_LOG")
# the mixed initiator itself opened one session; a re-login would add more
[ $(( logins1 - logins0 )) -le 1 ] || tl_fail "$(( logins1 - logins0 - 1 )) re-logins during the kills"
grep -q 'nexuses restored' "$TL_LOG" || tl_fail "no core restored the nexus table"
same_pids "after the kills"

# recovery time
grep -o 'core recovered in [0-9.]* ms' "$TL_LOG" | awk '{print $4}' | sort -n >"$TL_DIR/rec.txt"
n=$(wc -l <"$TL_DIR/rec.txt")
[ "$n" -ge "$KILLS" ] || tl_fail "only $n recoveries logged for $KILLS kills"
tl_log "recovery over $n kills: median $(sed -n "$(( (n + 1) / 2 ))p" "$TL_DIR/rec.txt") ms, worst $(tail -1 "$TL_DIR/rec.txt") ms"

# live upgrades under load: no error at all
mixed $(( UPGRADES * 2 + 12 )) 33 "$TL_DIR/mixed2.log" &
pm=$!
TL_BG_PIDS+=($pm)
sleep 1
cp "$TL_BIN/mtgt-core" "$TL_DIR/mtgt-core-new"
for i in $(seq "$UPGRADES"); do
	old=$(tl_pid core)
	if [ "$i" = 1 ]; then
		# the first one to another binary (later ones keep running it)
		C proc upgrade core --binary "$TL_DIR/mtgt-core-new" >/dev/null ||
			tl_fail "upgrade to a new binary refused"
	else
		C proc upgrade core >/dev/null || tl_fail "upgrade $i refused"
	fi
	tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "upgrade $i: no new core"
	for _ in $(seq 100); do
		grep -q "core upgrade done.*pid $old -> " "$TL_LOG" && break
		sleep 0.1
	done
	grep -q "core upgrade done.*pid $old -> " "$TL_LOG" || tl_fail "upgrade $i not done"
	tl_wait_ready || tl_fail "upgrade $i: not every process runs"
	[ "$(readlink "/proc/$(tl_pid core)/exe")" = "$TL_DIR/mtgt-core-new" ] ||
		tl_fail "upgrade $i: core runs $(readlink "/proc/$(tl_pid core)/exe")"
	sleep 1
done
grep -o 'core upgrade done in [0-9.]* ms' "$TL_LOG" | awk '{print $5}' | sort -n >"$TL_DIR/up.txt"
# proc restart core: the same handover, counted as a restart
old=$(tl_pid core)
r0=$(tl_proc_field core restarts)
C proc restart core >/dev/null || tl_fail "proc restart core refused"
tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "proc restart core: no new core"
tl_wait_ready || tl_fail "not running after proc restart core"
[ "$(tl_proc_field core restarts)" = $(( r0 + 1 )) ] || tl_fail "proc restart core not counted"
sleep 1
# a new binary that cannot start: rolled back, the old core serves on
old=$(tl_pid core)
r0=$(tl_proc_field core restarts)
C proc upgrade core --binary /bin/false --no-wait >/dev/null || tl_fail "upgrade to /bin/false refused"
for _ in $(seq 100); do
	grep -q 'core upgrade rolled back' "$TL_LOG" && break
	sleep 0.1
done
grep -q 'core upgrade rolled back' "$TL_LOG" || tl_fail "failed upgrade not rolled back"
tl_wait_ready || tl_fail "not running after the rollback"
[ "$(tl_pid core)" = "$old" ] || tl_fail "rollback: core pid $old -> $(tl_pid core)"
[ "$(tl_proc_field core restarts)" = "$r0" ] || tl_fail "rollback counted as a restart"
# (proc upgrade of a frontend or a backend is upgrade.sh's)
# a core killed in the middle of an upgrade, with a new core that takes 3 s
# to start (long enough that a loaded machine still kills it mid-start, well
# inside the supervisor's 10 s start deadline): the new one killed is a rollback (the old one serves on,
# same pid); the old one killed while the new one starts is a takeover
printf '#!/bin/sh\nsleep 3\nexec "%s" "$@"\n' "$TL_DIR/mtgt-core-new" >"$TL_DIR/slow-core"
chmod +x "$TL_DIR/slow-core"
sleep 1
old=$(tl_pid core)
C proc upgrade core --binary "$TL_DIR/slow-core" --no-wait >/dev/null || tl_fail "slow upgrade refused"
for _ in $(seq 50); do [ "$(tl_pid core)" != "$old" ] && break; sleep 0.02; done
new=$(tl_pid core)
[ "$new" != "$old" ] || tl_fail "slow upgrade: no new core started"
kill -KILL "$new"
for _ in $(seq 100); do [ "$(grep -c 'core upgrade rolled back' "$TL_LOG")" = 2 ] && break; sleep 0.1; done
[ "$(grep -c 'core upgrade rolled back' "$TL_LOG")" = 2 ] || tl_fail "new core killed: no rollback"
tl_wait_ready || tl_fail "not running after the rollback of a killed new core"
[ "$(tl_pid core)" = "$old" ] || tl_fail "killed new core: pid $old -> $(tl_pid core)"
sleep 1
C proc upgrade core --binary "$TL_DIR/slow-core" --no-wait >/dev/null || tl_fail "slow upgrade 2 refused"
for _ in $(seq 50); do [ "$(tl_pid core)" != "$old" ] && break; sleep 0.02; done
kill -KILL "$old"
for _ in $(seq 200); do grep -q "core upgrade done.*pid $old -> " "$TL_LOG" && break; sleep 0.1; done
grep -q "core upgrade done.*pid $old -> " "$TL_LOG" || tl_fail "old core killed during the upgrade: no takeover"
tl_wait_ready || tl_fail "not running after the takeover"
touch "$TL_DIR/mixed2.log.stop"
wait $pm || tl_fail "I/O across the upgrades failed: $(tail -3 "$TL_DIR/mixed2.log")"
mixed_ok "$TL_DIR/mixed2.log" "upgrades"
same_pids "after the upgrades"
grep -q 'refused' "$TL_LOG" && tl_fail "a child refused a link: $(grep refused "$TL_LOG" | head -3)"
tl_log "upgrade (quiesce to switch) over $(wc -l <"$TL_DIR/up.txt") runs: median $(sed -n "$(( ($(wc -l <"$TL_DIR/up.txt") + 1) / 2 ))p" "$TL_DIR/up.txt") ms, worst $(tail -1 "$TL_DIR/up.txt") ms"

# the state held across all of it
touch "$GO"
wait $ps || tl_fail "state across the kills: $(cat "$TL_DIR/state.log")"
tl_log "$(tail -1 "$TL_DIR/state.log")"

# core and frontend killed together: the frontend's sessions end with it, the
# new core must not restore them (a new frontend reuses nexus ids), and new
# sessions work at once
oc=$(tl_pid core)
of=$(tl_pid iscsi0)
kill -KILL "$oc" "$of"
tl_wait_restarted core "$oc" 15 >/dev/null || tl_fail "core not back after the double kill"
tl_wait_restarted iscsi0 "$of" 15 >/dev/null || tl_fail "iscsi0 not back after the double kill"
tl_wait_ready || tl_fail "not ready after the double kill"
tl_tio 60 -o 48M -s 8M -q 16 -S 34 writeverify "$U" >>"$L" 2>&1 ||
	tl_fail "I/O after the double kill: $(tail -3 "$L")"
grep -q 'protocol violation' "$TL_LOG" && tl_fail "protocol violation: $(grep 'protocol violation' "$TL_LOG" | head -3)"

# everything written is there
tl_tio 60 -s 16M -q 16 -S 31 verify "$U" >>"$L" 2>&1 || tl_fail "region A: $(tail -3 "$L")"
tl_tio 60 -o 32M -s 16M -q 16 -S 33 verify "$U" >>"$L" 2>&1 || tl_fail "region B: $(tail -3 "$L")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
