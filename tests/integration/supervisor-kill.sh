#!/bin/bash
# The supervisor itself killed with SIGKILL (as a crash, or systemd's
# watchdog): its children go with it (none outlives the process that owns
# its fds), nothing stale is left, and a new mtgtd on the same config starts
# clean: same portal, same admin socket path, data written before intact.
. "$(dirname "$0")/../lib/target.sh"
tl_init supervisor-kill 3358

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
tl_tio 60 -s 8M -q 8 -S 51 writeverify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "initial write: $(tail -3 "$TL_DIR/tio.log")"

kids=$(tl_procs | awk '$3 > 0 { print $3 }')
[ -n "$kids" ] || tl_fail "no children listed"
tl_log "SIGKILL mtgtd pid $TL_PID (children: $(echo $kids))"
kill -KILL "$TL_PID"
tl_wait_gone "$TL_PID" 5 || tl_fail "mtgtd survived SIGKILL"
for k in $kids; do
	tl_wait_gone "$k" 5 || tl_fail "child $k outlived its supervisor"
done
[ -S "$TL_SOCK" ] || tl_log "note: admin socket file removed"

# the same config again: a stale admin socket and the portal must not block it
TL_PID=
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "a new mtgtd did not start on the old config: $(tail -5 "$TL_LOG")"
tl_tio 60 -s 8M -q 8 -S 51 verify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "data after the supervisor crash: $(tail -3 "$TL_DIR/tio.log")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
