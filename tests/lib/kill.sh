# SIGKILL of one mtgt process while an initiator does I/O; source after
# target.sh, then call tl_kill_scenario once tl_init has run.
#
#   tl_kill_scenario VICTIM "UNCHANGED..." [reconnect]
#
# VICTIM is a process name or kind from `mtgtctl status` (backend-file, iscsi,
# core). The supervisor must restart it (new pid, restarts +1); the processes
# named in UNCHANGED must keep their pids. Afterwards data written before the
# kill reads back intact, the region rewritten across the kill holds its
# pattern, and new I/O works. I/O errors during the kill are tolerated and
# shown unless MTGT_STRICT_KILL=1: the initiator reconnects on its own
# (libiscsi), as a real one would. A backend kill is strict by default
# (MTGT_STRICT_BACKEND_KILL=0 relaxes it): the core reissues the backend's
# in-flight I/O, so the initiator must see no error at all.

tl_kill_scenario() {
	local victim=$1 unchanged=$2 U L old r0 new r1 pm rm errs p strict=${MTGT_STRICT_KILL:-0}
	local -A before

	case $victim in backend*) strict=${MTGT_STRICT_BACKEND_KILL:-1} ;; esac
	tl_config_simple >"$TL_DIR/mtgtd.json"
	tl_start "$TL_DIR/mtgtd.json"
	tl_wait_ready || tl_fail "target not ready"
	U=$(tl_url "" 0)
	L=$TL_DIR/tio.log

	# Region A [0,16M) seed 21: written before the kill, only read afterwards.
	tl_tio 60 -s 16M -q 16 -S 21 writeverify "$U" >>"$L" 2>&1 ||
		tl_fail "initial write: $(tail -3 "$L")"

	old=$(tl_pid "$victim")
	r0=$(tl_proc_field "$victim" restarts)
	[ -n "$old" ] && [ "$old" -gt 0 ] || tl_fail "no $victim process in: $(tl_procs | tr '\n' ';')"
	for p in $unchanged; do
		before[$p]=$(tl_pid "$p")
	done

	# Region B [32M,48M) seed 22 rewritten in a loop while A is verified.
	tl_tio 90 -d "$(tl_secs 8)" -k -s 16M -S 21 --woffset 32M --wsize 16M --wseed 22 -q 16 \
		-T 20 mixed "$U" >"$TL_DIR/mixed.log" 2>&1 &
	pm=$!
	TL_BG_PIDS+=($pm)
	sleep "$(tl_secs 2)"
	kill -0 $pm 2>/dev/null || tl_fail "mixed I/O ended early: $(tail -3 "$TL_DIR/mixed.log")"
	tl_log "SIGKILL $victim pid $old"
	kill -KILL "$old"
	new=$(tl_wait_restarted "$victim" "$old" 15) ||
		tl_fail "$victim not restarted (pid $old): $(tl_procs | tr '\n' ';')"
	r1=$(tl_proc_field "$victim" restarts)
	[ "$r1" = $((r0 + 1)) ] || tl_fail "$victim restarts $r0 -> $r1, want +1"
	tl_log "$victim restarted: pid $old -> $new"

	wait $pm
	rm=$?
	grep -v -E "^tio: (READ|WRITE)\(16\)" "$TL_DIR/mixed.log" >&2
	[ $rm = 0 ] || tl_fail "I/O across the kill failed: $(tail -3 "$TL_DIR/mixed.log")"
	errs=$(sed -n 's/.*verify: [0-9]* cmds \([0-9]*\) errors.*write: [0-9]* cmds \([0-9]*\) errors.*/\1 \2/p' \
		"$TL_DIR/mixed.log")
	set -- $errs
	if [ "${1:-0}" != 0 ] || [ "${2:-0}" != 0 ]; then
		[ "$strict" = 1 ] && tl_fail "I/O errors during the kill: verify $1, write $2"
		tl_log "note: I/O errors during the kill (tolerated): verify $1, write $2"
	fi

	# After the restart: old data intact, new I/O works, nothing else restarted.
	tl_wait_ready || tl_fail "not every process runs after the restart"
	tl_tio 60 -s 16M -q 16 -S 21 verify "$U" >>"$L" 2>&1 ||
		tl_fail "data written before the kill: $(tail -3 "$L")"
	tl_tio 60 -o 32M -s 16M -q 16 -S 22 verify "$U" >>"$L" 2>&1 ||
		tl_fail "data written across the kill: $(tail -3 "$L")"
	tl_tio 60 -o 48M -s 16M -q 16 -S 23 writeverify "$U" >>"$L" 2>&1 ||
		tl_fail "I/O after the restart: $(tail -3 "$L")"
	[ "$(tl_pid "$victim")" = "$new" ] || tl_fail "$victim restarted again"
	for p in $unchanged; do
		[ "$(tl_pid "$p")" = "${before[$p]}" ] ||
			tl_fail "$p changed pid ${before[$p]} -> $(tl_pid "$p")"
	done
	kill -0 "$old" 2>/dev/null && tl_fail "the killed pid $old still exists"

	tl_stop || tl_fail "stop failed"
	[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
}
