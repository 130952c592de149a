# Helpers for the integration tests; source this file from bash.
#
#   . "$(dirname "$0")/../lib/target.sh"
#   tl_init discovery 3341          # test name, private TCP port
#   tl_config_simple > "$TL_DIR/mtgtd.json"
#   tl_start "$TL_DIR/mtgtd.json"   # starts build/bin/mtgtd -f in the background
#   tl_wait_ready || tl_fail "target not ready"
#   ...
#   tl_stop || tl_fail "..."
#   tl_pass
#
# Every wait is bounded. Processes are only ever signalled by the pids this
# file recorded (mtgtd's own pid from $!, its children's from `mtgtctl status`,
# helpers started with tl_bg), never by name.

TL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TL_BIN=${TL_BIN:-$TL_ROOT/build/bin}
TL_PY=/usr/bin/python3
[ -x "$TL_PY" ] || TL_PY=python3
# Sanitizer builds are slower: stretch every bound.
TL_SLOW=${TL_SLOW:-1}
[ "${SAN:-0}" = 1 ] && TL_SLOW=3
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

TL_NAME=
TL_PORT=
TL_DIR=
TL_PID=
TL_SOCK=
TL_LOG=
TL_EXIT=
TL_BG_PIDS=()
TL_CHILD_PIDS=()
TL_DONE=0

TL_INITIATOR=iqn.2026-11.org.mtgt:test-initiator
TL_TARGET=iqn.2026-11.org.example:store

tl_log() { echo "[$TL_NAME] $*" >&2; }

tl_init() {
	TL_NAME=$1
	# TEST_PORT_OFFSET lets two copies of the suite run side by side.
	TL_PORT=$(( $2 + ${TEST_PORT_OFFSET:-0} ))
	TL_DIR=$(mktemp -d "/tmp/mtgt-test.$TL_NAME.XXXXXX") || { echo "FAIL $TL_NAME: mktemp"; exit 1; }
	TL_SOCK=$TL_DIR/mtgtd.sock
	TL_LOG=$TL_DIR/mtgtd.log
	trap tl_cleanup EXIT
	trap 'tl_fail "interrupted"' INT TERM
	if [ ! -x "$TL_BIN/mtgtd" ] || [ ! -x "$TL_BIN/mtgtctl" ]; then
		tl_fail "build/bin/mtgtd or mtgtctl missing (run make all)"
	fi
}

# Seconds scaled for slow (sanitizer) builds.
tl_secs() { echo $(( $1 * TL_SLOW )); }

# TL_LUN_OFFSET shifts LUN numbers, for running these scripts against a
# reference target (tgtd) whose LUN 0 is its controller.
tl_url() { # [target] [lun]
	echo "iscsi://127.0.0.1:$TL_PORT/${1:-$TL_TARGET}/$(( ${2:-0} + ${TL_LUN_OFFSET:-0} ))"
}

# A config with one target open to any initiator: LUN 0 file 64M/512,
# LUN 1 null 1T, LUN 2 ram 256M/4096.
tl_config_simple() {
	cat <<EOF
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "${TL_FILE_SIZE:-64M}", "block_size": 512, "thin": ${TL_FILE_THIN:-false}},
                {"lun": 1, "backend": "null", "size": "1T"},
                {"lun": 2, "backend": "ram",  "size": "${TL_RAM_SIZE:-256M}", "block_size": 4096} ],
      "initiators": ["*"] } ] }
EOF
}

tl_start() { # config-file [extra args]
	local cfg=$1
	shift
	# TL_SERVER_BIN: the target's programs, e.g. the test-hook build
	"${TL_SERVER_BIN:-$TL_BIN}/mtgtd" -c "$cfg" -f "$@" >>"$TL_LOG" 2>&1 &
	TL_PID=$!
	tl_log "mtgtd pid $TL_PID, config $cfg, log $TL_LOG"
}

# The JSON of `mtgtctl --json status`, or nothing (status 1).
tl_status_json() {
	timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json status 2>/dev/null
}

# Read the status JSON on stdin; print "name kind pid state restarts" lines.
tl_status_lines() {
	"$TL_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
for p in d.get("processes", []):
    print(p.get("name", "?"), p.get("kind", "?"), p.get("pid", 0),
          p.get("state", "?"), p.get("restarts", 0))
'
}

tl_procs() { tl_status_json | tl_status_lines; }

# Field of the first process whose name or kind is $1: pid, state or restarts.
tl_proc_field() { # name-or-kind field
	local col
	case $2 in pid) col=3 ;; state) col=4 ;; restarts) col=5 ;; *) return 1 ;; esac
	tl_procs | awk -v n="$1" -v c="$col" '$1 == n || $2 == n { print $c; exit }'
}
tl_pid() { tl_proc_field "$1" pid; }

tl_portal_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TL_PORT" 2>/dev/null
}

# Wait until mtgtd lists core, an iscsi frontend and at least one backend, all
# "running", and the portal accepts connections.
tl_wait_ready() { # [seconds]
	local limit=$(( $(tl_secs "${1:-10}") * 10 )) i lines
	for ((i = 0; i < limit; i++)); do
		if ! kill -0 "$TL_PID" 2>/dev/null; then
			tl_log "mtgtd exited during startup"
			tl_show_log
			return 1
		fi
		lines=$(tl_procs)
		if [ -n "$lines" ] &&
		   echo "$lines" | awk '$4 != "running" { bad = 1 }
			$2 == "core" { c = 1 } $2 ~ /^iscsi/ { f = 1 } $2 ~ /^backend/ { b = 1 }
			END { exit !(c && f && b && !bad) }' &&
		   tl_portal_open; then
			TL_CHILD_PIDS=($(echo "$lines" | awk '{ print $3 }'))
			return 0
		fi
		sleep 0.1
	done
	tl_log "not ready after $(tl_secs "${1:-10}") s; last status:"
	echo "$lines" >&2
	tl_show_log
	return 1
}

# Wait until process $1 (name or kind) has a pid other than $2 and runs.
tl_wait_restarted() { # name old-pid [seconds]
	local limit=$(( $(tl_secs "${3:-10}") * 10 )) i pid state
	for ((i = 0; i < limit; i++)); do
		# pid and state from one snapshot: the pid is -1 between incarnations
		read -r pid state < <(tl_procs | awk -v n="$1" '$1 == n || $2 == n { print $3, $4; exit }')
		if [ "${pid:-0}" -gt 0 ] 2>/dev/null && [ "$pid" != "$2" ] && [ "$state" = running ]; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

tl_show_log() {
	[ -f "$TL_LOG" ] || return 0
	echo "---- last lines of $TL_LOG" >&2
	tail -n "${1:-30}" "$TL_LOG" >&2
	echo "----" >&2
}

# Sanitizer reports, crash notes or sandbox kills in the log make a test fail.
tl_log_clean() {
	[ -f "$TL_LOG" ] || return 0
	if grep -q -E "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$TL_LOG"; then
		grep -m 5 -E "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$TL_LOG" >&2
		return 1
	fi
	# A sandbox kill nobody asked for: an allowlist misses a call.
	if [ -z "${TL_SANDBOX_KILLS_EXPECTED:-}" ] &&
	   grep -q "killed by seccomp" "$TL_LOG"; then
		grep -m 5 "killed by seccomp" "$TL_LOG" >&2
		return 1
	fi
	return 0
}

# Wait (bounded) for a pid that is not our child to disappear.
tl_wait_gone() { # pid [seconds]
	local limit=$(( $(tl_secs "${2:-10}") * 10 )) i
	for ((i = 0; i < limit; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		# a zombie of another parent counts as gone
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# SIGTERM mtgtd, wait (bounded) for it; TL_EXIT gets its exit status. If it
# does not exit, SIGKILL it and return 1. Also returns 1 if a child it had
# outlives it.
tl_stop() { # [seconds]
	local limit=$(( $(tl_secs "${1:-10}") * 10 )) i rc=0 p cur
	[ -n "$TL_PID" ] || return 0
	# the children as they are now (a restart changes pids), so that any
	# leftover can be detected; the list from tl_wait_ready if mtgtd is mute
	cur=($(tl_procs | awk '$3 > 0 && $3 != "'"$TL_PID"'" { print $3 }'))
	[ ${#cur[@]} -gt 0 ] && TL_CHILD_PIDS=("${cur[@]}")
	kill -TERM "$TL_PID" 2>/dev/null
	for ((i = 0; i < limit; i++)); do
		kill -0 "$TL_PID" 2>/dev/null || break
		[ "$(awk '{ print $3 }' "/proc/$TL_PID/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	if kill -0 "$TL_PID" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$TL_PID/stat" 2>/dev/null)" != Z ]; then
		tl_log "mtgtd (pid $TL_PID) did not exit within $(tl_secs "${1:-10}") s of SIGTERM: SIGKILL"
		kill -KILL "$TL_PID" 2>/dev/null
		rc=1
	fi
	wait "$TL_PID" 2>/dev/null
	TL_EXIT=$?
	TL_PID=
	for p in "${TL_CHILD_PIDS[@]}"; do
		[ "$p" -gt 0 ] 2>/dev/null || continue
		if ! tl_wait_gone "$p" 5; then
			tl_log "child pid $p ($(cat /proc/$p/comm 2>/dev/null)) still alive after mtgtd exited"
			rc=1
		fi
	done
	return $rc
}

# Run a helper in the background and remember its pid for cleanup.
tl_bg() {
	"$@" &
	TL_BG_PIDS+=($!)
}

tl_cleanup() {
	local p
	for p in "${TL_BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -n "$TL_PID" ] && kill -0 "$TL_PID" 2>/dev/null; then
		TL_CHILD_PIDS=($(tl_procs 2>/dev/null | awk '$3 > 0 { print $3 }'))
		tl_stop 5 >/dev/null 2>&1
	fi
	# children that survived their supervisor: ours by pid, so stop them
	for p in "${TL_CHILD_PIDS[@]}"; do
		[ "$p" -gt 0 ] 2>/dev/null || continue
		if kill -0 "$p" 2>/dev/null && grep -q mtgt "/proc/$p/comm" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null
		fi
	done
	for p in "${TL_BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$TL_DIR" ] && [ -d "$TL_DIR" ]; then
		if [ "$TL_DONE" = pass ] && [ -z "${TL_KEEP:-}" ]; then
			rm -rf "$TL_DIR"
		else
			# keep the logs for a look, drop the big images
			rm -f "$TL_DIR"/*.img
			[ "$TL_DONE" = pass ] || echo "[$TL_NAME] logs kept in $TL_DIR" >&2
		fi
	fi
}

tl_pass() {
	if ! tl_log_clean; then
		tl_fail "sanitizer report or sandbox kill in the mtgtd log"
	fi
	TL_DONE=pass
	echo "PASS $TL_NAME"
	exit 0
}

tl_fail() {
	TL_DONE=fail
	echo "FAIL $TL_NAME: $*"
	[ -n "$TL_PID" ] && tl_show_log 20
	exit 1
}

# Run the libiscsi test tool bounded in time.
tl_tio() { # seconds args...
	local secs=$(tl_secs "$1")
	shift
	timeout -k 5 $((secs + 10)) "$TL_BIN/test-initiator" -t "$secs" "$@"
}

# Wait (10 s at most) until mtgt-iscsi has nothing left of the sessions a test
# ended: no session, nothing in flight, no private spill memory, no pool page
# (what held commands, queued PDUs and recovered tasks must give back).
tl_iscsi_wait_clean() {
	local st ok= _
	for _ in $(seq 50); do
		st=$(timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json stats get 2>/dev/null)
		if "$TL_PY" - "$st" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
s = j.get("processes", {}).get("iscsi0")
if not s:
    sys.exit(1)
ok = s["sessions"] == 0 and s["in_flight"] == 0 and s["spill_bytes"] == 0 \
    and s["pool_used"].startswith("0/")
sys.exit(0 if ok else 1)
PY
		then ok=1; break; fi
		sleep 0.2
	done
	[ -n "$ok" ] || tl_fail "left over after the sessions ended: $(echo "$st" | head -c 600)"
}
