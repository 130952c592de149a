#!/bin/bash
# Fault injection under verified I/O, for each process kind of the data path
# (backend-file, backend-ram, backend-null, iscsi, core):
#   - SIGKILL at random moments, FAULT_KILLS times per kind (make test: 3;
#     make soak: 20). Meanwhile a libiscsi session verifies region A and
#     rewrites region B (mixed, reconnecting), and for every kill a second
#     initiator writes a region of its own with a unique pattern and reads it
#     back. Checks: the process is back (new pid, everything running), the
#     errors the initiators saw are what tests/lib/faults.sh allows for the
#     kind, no miscompare ever, and every region whose writes were all
#     acknowledged reads back intact at the end (no acknowledged write lost).
#     Recovery is timed from the kill to the process READY again and to the
#     first successful write of a fresh initiator; median and worst per kind
#     are printed (and appended to $FAULT_REPORT if set).
#   - live upgrades (FAULT_UPGRADES per kind, default as many as kills) under
#     I/O from sessions that may not reconnect: zero errors; upgrade time and
#     service pause printed.
#   - SIGSTOP (a hang): the heartbeat kills it, it restarts, I/O goes on.
#   - a garbage-writing peer (test-ring-scribble) on a backend's completion
#     ring and on the frontend's submission ring: the core (the receiver)
#     reports the violation and stays up, the offender is restarted.
. "$(dirname "$0")/../lib/target.sh"
. "$(dirname "$0")/../lib/faults.sh"
tl_init faults 3477

KILLS=${FAULT_KILLS:-3}
KINDS=${FAULT_KINDS:-"backend-file backend-ram backend-null iscsi core"}
TL_FILE_SIZE=${FAULT_FILE_SIZE:-640M}
TL_FILE_THIN=true
TL_RAM_SIZE=256M
tl_config_simple | "$TL_PY" -c '
import json, sys
c = json.load(sys.stdin)
c["heartbeat"] = {"interval_ms": 500, "timeout_ms": 3000}
# the mechanism is measured, not the policy: no backoff between the many
# restarts and no escalation (restart-policy.sh tests those)
c["restart"] = {"default": {"intensity": 10000, "period_s": 60,
                            "backoff_initial_ms": 1, "backoff_max_ms": 1}}
json.dump(c, sys.stdout)' >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
L=$TL_DIR/tio.log
REPORT=$TL_DIR/report.txt
: >"$REPORT"

for lun in 0 2; do
	U=$(tl_url "" $lun)
	tl_tio 60 -s 16M -q 16 -S $((40 + lun)) writeverify "$U" >>"$L" 2>&1 ||
		tl_fail "initial write LUN $lun: $(tail -3 "$L")"
done

MIXED_LUNS=" 0 "  # LUNs whose region B was rewritten (the scribble rounds use LUN 0)
region=0     # regions written across kills, each with a unique pattern
declare -a R_URL R_OFF R_SEED
declare -A NEXT_OFF  # per LUN: next free MiB (8 MiB regions from 32 MiB on)

# One kind: KILLS SIGKILLs under I/O. Prints the recovery line.
kill_kind() {
	local kind=$1 lun contract U pm old new t0 tr ti k w wrc probe errs mis
	local -a ready io
	lun=$(fault_lun "$kind")
	contract=$(fault_contract "$kind")
	U=$(tl_url "" "$lun")
	if [ "$kind" != backend-null ]; then
		MIXED_LUNS+=" $lun "
		tl_tio $((KILLS * 6 + 120)) -d "$(( KILLS * 3 + 2 ))" -k -s 16M -S $((40 + lun)) \
			--woffset 16M --wsize 16M --wseed $((50 + lun)) -q 8 -T 20 mixed "$U" \
			>"$TL_DIR/mixed-$kind.log" 2>&1 &
		pm=$!
		TL_BG_PIDS+=($pm)
	fi
	sleep 0.5
	for ((k = 0; k < KILLS; k++)); do
		tl_wait_ready 30 || tl_fail "$kind: target not back before kill $k"
		# a unique pattern in a region of its own, written across the kill
		R_URL[$region]=$U
		R_OFF[$region]=${NEXT_OFF[$lun]:-32}M
		NEXT_OFF[$lun]=$(( ${NEXT_OFF[$lun]:-32} + 8 ))
		R_SEED[$region]=$((1000 + region))
		if [ "$kind" = backend-null ]; then
			tl_tio 60 -o "${R_OFF[$region]}" -s 8M -q 8 -S "${R_SEED[$region]}" write "$U" \
				>"$TL_DIR/w-$region.log" 2>&1 &
		else
			tl_tio 60 -o "${R_OFF[$region]}" -s 8M -c 64K -q 4 -S "${R_SEED[$region]}" \
				writeverify "$U" >"$TL_DIR/w-$region.log" 2>&1 &
		fi
		w=$!
		TL_BG_PIDS+=($w)
		sleep "0.$(( RANDOM % 20 + 5 ))"
		old=$(tl_pid "$kind")
		[ -n "$old" ] && [ "$old" -gt 0 ] || tl_fail "no $kind process"
		t0=$(fault_now_ms)
		kill -KILL "$old"
		# a fresh initiator's first successful write, timed from the kill
		(
			for ((i = 0; i < 600; i++)); do
				if timeout 5 "$TL_BIN/test-initiator" -i "iqn.2026-11.org.mtgt:probe" -t 3 \
				   -T 2 -o 254M -s 4K -q 1 -S 9 write "$U" >/dev/null 2>&1; then
					fault_now_ms >"$TL_DIR/probe"
					exit 0
				fi
				sleep 0.01
			done
			exit 1
		) &
		probe=$!
		TL_BG_PIDS+=($probe)
		new=$(fault_wait_back "$kind" "$old" 30) ||
			tl_fail "$kind (pid $old) not back after SIGKILL: $(tl_procs | tr '\n' ';')"
		tr=$(fault_log_delay "$t0" "ready (pid $new)") || tl_fail "$kind: no READY logged for pid $new"
		wait $probe || tl_fail "$kind: no successful I/O after the kill"
		ti=$(cat "$TL_DIR/probe")
		ready+=($tr)
		io+=($((ti - t0)))
		wait $w
		wrc=$?
		if [ $wrc != 0 ]; then
			[ "$contract" = none ] &&
				tl_fail "$kind: the writer saw an error (contract: none): $(tail -3 "$TL_DIR/w-$region.log")"
			R_SEED[$region]=   # not every write was acknowledged: no claim on it
		fi
		[ "$kind" = backend-null ] && R_SEED[$region]=  # nothing to read back
		region=$((region + 1))
		tl_log "$kind kill $k: pid $old -> $new, ready $tr ms, first I/O $((ti - t0)) ms, writer rc $wrc"
	done
	errs=0
	mis=0
	if [ -n "$pm" ]; then
		wait $pm || tl_fail "$kind: mixed I/O failed: $(tail -3 "$TL_DIR/mixed-$kind.log")"
		set -- $(sed -n 's/.*verify: [0-9]* cmds \([0-9]*\) errors \([0-9]*\) miscompares; write: [0-9]* cmds \([0-9]*\) errors.*/\1 \2 \3/p' \
			"$TL_DIR/mixed-$kind.log")
		[ $# = 3 ] || tl_fail "$kind: no summary from the mixed I/O: $(tail -3 "$TL_DIR/mixed-$kind.log")"
		errs=$(($1 + $3))
		mis=$2
		[ "$mis" = 0 ] || tl_fail "$kind: $mis miscompares (corruption)"
		[ "$contract" = none ] && [ "$errs" != 0 ] &&
			tl_fail "$kind: $errs I/O errors (contract: none)"
	fi
	read -r rm rw < <(printf '%s\n' "${ready[@]}" | fault_stats)
	read -r im iw < <(printf '%s\n' "${io[@]}" | fault_stats)
	echo "recovery $kind: $KILLS kills, READY median $rm ms worst $rw ms; first I/O median $im ms worst $iw ms; initiator errors $errs (contract: $contract)" |
		tee -a "$REPORT" >&2
}

for kind in $KINDS; do
	kill_kind "$kind"
done

# Live upgrades under load: zero I/O errors allowed, from sessions that may
# not reconnect. Times: the whole upgrade, and the pause (old instance stopped
# serving -> new one serving).
UPGRADES=${FAULT_UPGRADES:-$KILLS}
upgrade_kind() {
	local kind=$1 name lun U pm out k el pa
	local -a total pause
	lun=$(fault_lun "$kind")
	U=$(tl_url "" "$lun")
	name=$(tl_procs | awk -v n="$kind" '$1 == n || $2 == n { print $1; exit }')
	tl_wait_ready 30 || tl_fail "not ready before upgrading $kind"
	if [ "$kind" = backend-null ]; then
		tl_tio $((UPGRADES * 4 + 60)) -s 4G -q 8 -S 7 write "$U" >"$TL_DIR/upg-$kind.log" 2>&1 &
	else
		MIXED_LUNS+=" $lun "
		tl_tio $((UPGRADES * 4 + 60)) -d $((UPGRADES + 3)) --no-reconnect -s 16M -S $((40 + lun)) \
			--woffset 16M --wsize 16M --wseed $((50 + lun)) -q 8 -T 20 mixed "$U" \
			>"$TL_DIR/upg-$kind.log" 2>&1 &
	fi
	pm=$!
	TL_BG_PIDS+=($pm)
	sleep 0.5
	for ((k = 0; k < UPGRADES; k++)); do
		out=$(timeout 60 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json proc upgrade "$name") ||
			tl_fail "upgrade $k of $name: $out"
		read -r el pa < <("$TL_PY" -c '
import json, sys
r = json.load(sys.stdin)
d = r.get("detail", {})
print(int(r["elapsed_ms"]), int(d.get("pause_ms", d.get("io_pause_ms", 0))))' <<<"$out")
		total+=($el)
		pause+=($pa)
		sleep "0.$(( RANDOM % 5 + 1 ))"
	done
	wait $pm || tl_fail "I/O across the upgrades of $kind: $(tail -3 "$TL_DIR/upg-$kind.log")"
	if [ "$kind" != backend-null ]; then
		grep -q " 0 errors 0 miscompares; write: [0-9]* cmds 0 errors" "$TL_DIR/upg-$kind.log" ||
			tl_fail "I/O errors across the upgrades of $kind: $(tail -2 "$TL_DIR/upg-$kind.log")"
	fi
	read -r tm tw < <(printf '%s\n' "${total[@]}" | fault_stats)
	read -r pm_ pw < <(printf '%s\n' "${pause[@]}" | fault_stats)
	echo "upgrade $kind: $UPGRADES under I/O, 0 initiator errors; upgrade median $tm ms worst $tw ms; service pause median $pm_ ms worst $pw ms" |
		tee -a "$REPORT" >&2
}
for kind in ${FAULT_UPGRADE_KINDS:-backend-file backend-ram backend-null iscsi}; do
	upgrade_kind "$kind"
done

# Hangs: the heartbeat (3 s here) finds them.
for kind in backend-ram iscsi core; do
	tl_wait_ready 30 || tl_fail "not ready before SIGSTOP of $kind"
	old=$(tl_pid "$kind")
	t0=$(fault_now_ms)
	kill -STOP "$old"
	new=$(fault_wait_back "$kind" "$old" 30) || tl_fail "hung $kind not restarted"
	echo "hang $kind: READY again $(fault_log_delay "$t0" "ready (pid $new)") ms after SIGSTOP (heartbeat timeout 3000 ms)" |
		tee -a "$REPORT" >&2
done
grep -q "heartbeat timeout" "$TL_LOG" || tl_fail "hang cause not logged"

# Garbage-writing peers, under I/O: the core must detect, report and stay up.
scribble() { # kind ring mode
	local kind=$1 old core pm
	tl_wait_ready 30 || tl_fail "not ready before scribbling as $kind"
	old=$(tl_pid "$kind")
	core=$(tl_pid core)
	tl_tio 60 -d 4 -k -s 16M -S 40 --woffset 16M --wsize 16M --wseed 50 -q 8 -T 20 mixed \
		"$(tl_url "" 0)" >"$TL_DIR/mixed-scribble-$kind.log" 2>&1 &
	pm=$!
	TL_BG_PIDS+=($pm)
	sleep 0.5
	"$TL_BIN/test-ring-scribble" "$old" "$2" "$3" 10 2>>"$TL_DIR/scribble.log" ||
		tl_fail "$kind survived garbage on its ring: $(tail -2 "$TL_DIR/scribble.log")"
	fault_wait_back "$kind" "$old" 30 >/dev/null || tl_fail "$kind not restarted after its garbage"
	[ "$(tl_pid core)" = "$core" ] || tl_fail "the core (receiver) went down with $kind's garbage"
	wait $pm || tl_fail "I/O across $kind's garbage: $(tail -3 "$TL_DIR/mixed-scribble-$kind.log")"
	grep -q " 0 miscompares" "$TL_DIR/mixed-scribble-$kind.log" || tl_fail "miscompare after $kind's garbage"
	echo "garbage from $kind ($3 on ring $2): reported, offender restarted, core stayed up; $(grep -o 'verify: .*errors;' "$TL_DIR/mixed-scribble-$kind.log")" |
		tee -a "$REPORT" >&2
}
# mapping another process's memfd through /proc/PID/map_files needs root
if [ "$(id -u)" = 0 ]; then
	scribble backend-file 1 index
	scribble iscsi 0 entry
	grep -q "protocol violation" "$TL_LOG" || tl_fail "no protocol violation logged"
else
	echo "garbage-writing peer: skipped (needs root to map a live link)" | tee -a "$REPORT" >&2
fi

# No acknowledged write lost, nothing corrupted.
tl_wait_ready 30 || tl_fail "not ready for the final checks"
for lun in 0 2; do
	tl_tio 60 -s 16M -q 16 -S $((40 + lun)) verify "$(tl_url "" $lun)" >>"$L" 2>&1 ||
		tl_fail "region A of LUN $lun: $(tail -3 "$L")"
	[[ $MIXED_LUNS == *" $lun "* ]] || continue
	tl_tio 60 -o 16M -s 16M -q 16 -S $((50 + lun)) verify "$(tl_url "" $lun)" >>"$L" 2>&1 ||
		tl_fail "region B of LUN $lun: $(tail -3 "$L")"
done
checked=0
for ((r = 0; r < region; r++)); do
	[ -n "${R_SEED[$r]}" ] || continue
	tl_tio 60 -o "${R_OFF[$r]}" -s 8M -q 8 -S "${R_SEED[$r]}" verify "${R_URL[$r]}" >>"$L" 2>&1 ||
		tl_fail "acknowledged region $r (${R_OFF[$r]}, seed ${R_SEED[$r]}) lost: $(tail -3 "$L")"
	checked=$((checked + 1))
done
echo "acknowledged regions verified: $checked of $region" | tee -a "$REPORT" >&2
[ -n "${FAULT_REPORT:-}" ] && cat "$REPORT" >>"$FAULT_REPORT"
tl_stop 20 || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
