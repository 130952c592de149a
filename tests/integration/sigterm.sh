#!/bin/bash
# SIGTERM: mtgtd exits 0 and takes every child with it, idle or under I/O.
. "$(dirname "$0")/../lib/target.sh"
tl_init sigterm 3348

tl_config_simple >"$TL_DIR/mtgtd.json"

check_stop() { # what
	local kids=("${TL_CHILD_PIDS[@]}")
	tl_stop || tl_fail "$1: SIGTERM did not bring everything down"
	[ "$TL_EXIT" = 0 ] || tl_fail "$1: mtgtd exit status $TL_EXIT, want 0"
	for p in "${kids[@]}"; do
		kill -0 "$p" 2>/dev/null && tl_fail "$1: child $p still alive"
	done
	tl_portal_open && tl_fail "$1: the portal still accepts connections"
	[ -S "$TL_SOCK" ] && tl_log "note: $1: admin socket $TL_SOCK left behind"
	TL_CHILD_PIDS=()
}

# 1. idle
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
[ ${#TL_CHILD_PIDS[@]} -ge 3 ] || tl_fail "expected at least 3 children, got: ${TL_CHILD_PIDS[*]}"
check_stop idle

# 2. with a logged-in session that is idle
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready (2)"
tl_tio 30 -s 1M -S 31 -d 30 -k mixed --wsize 1M --woffset 4M "$(tl_url "" 2)" >"$TL_DIR/mixed.log" 2>&1 &
TL_BG_PIDS+=($!)
sleep "$(tl_secs 1)"
check_stop "busy session"

# 3. with writes in flight: commands acknowledged before the stop are on disk
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready (3)"
tl_tio 60 -s 64M -q 32 -S 32 write "$(tl_url "" 0)" >"$TL_DIR/write.log" 2>&1 &
pw=$!
TL_BG_PIDS+=($pw)
sleep "$(tl_secs 1)"
check_stop "writes in flight"
wait $pw
tl_log "writer ended with status $? (an error is expected: the target went away)"

tl_pass
