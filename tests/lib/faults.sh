# The fault contract: what an initiator may see when one process of the data
# path is SIGKILLed. The fault-injection suite (tests/integration/faults.sh)
# reads it from here and nowhere else; change a line when the behaviour
# changes (e.g. the core keeps sessions once its state segment lands).
#
#   none       no I/O error and no reconnect: the core reissues the dead
#              backend's in-flight I/O to the new instance; a new core takes
#              the sessions over from the state segment
#   reconnect  the session drops; libiscsi logs in again (the supervisor kept
#              the listening sockets); commands in flight may fail, no
#              acknowledged write is lost, nothing is corrupted
fault_contract() { # kind
	case $1 in
	backend-*) echo none ;;
	iscsi) echo reconnect ;;
	# the core's state segment keeps sessions across its restart
	# (sup_core_restart.c): no error allowed
	core) echo "${FAULT_CORE_CONTRACT:-none}" ;;
	*) echo unknown ;;
	esac
}

# The LUN of tl_config_simple served by a kind (frontend and core: the file LUN).
fault_lun() { # kind
	case $1 in
	backend-null) echo 1 ;;
	backend-ram) echo 2 ;;
	*) echo 0 ;;
	esac
}

fault_now_ms() { date +%s%3N; }

# Median and maximum of numbers on stdin: "median max" (or "- -").
fault_stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %d\n", m, v[NR] }'
}

# Wait until process $1 runs with a pid other than $2 and every process runs;
# print the pid. Polls as fast as mtgtctl answers (~20-40 ms here).
fault_wait_back() { # name old-pid [seconds]
	local limit=$(( $(fault_now_ms) + $(tl_secs "${3:-30}") * 1000 )) lines pid
	while [ "$(fault_now_ms)" -lt "$limit" ]; do
		lines=$(tl_procs)
		pid=$(awk -v n="$1" '($1 == n || $2 == n) && $4 == "running" { print $3; exit }' <<<"$lines")
		if [ -n "$pid" ] && [ "$pid" != "$2" ] &&
		   awk '$4 != "running" { bad = 1 } END { exit bad }' <<<"$lines"; then
			echo "$pid"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# Milliseconds from the kill (fault_now_ms at t0) to the first log line after
# it matching a fixed string: the supervisor stamps "NAME ready (pid N)" the
# moment the child says READY, so this is not skewed by our polling.
fault_log_delay() { # t0 string
	local day=$(( $1 % 86400000 )) ms
	ms=$(grep -F "$2" "$TL_LOG" | tail -1 |
		awk '{ split($1, t, "[:.]"); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }')
	[ -n "$ms" ] || return 1
	ms=$(( 10#$ms - day ))
	[ $ms -lt -43200000 ] && ms=$(( ms + 86400000 ))
	echo $ms
}
