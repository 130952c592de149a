#!/bin/bash
# Malformed PDUs on other connections disturb neither a logged-in session nor
# the processes: no restart, same pids.
. "$(dirname "$0")/../lib/target.sh"
tl_init malformed-pdu 3346

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
before=$(tl_procs | awk '{ print $1, $3, $5 }' | sort)
fe=$(tl_pid iscsi)
sockets() { ls -l "/proc/$fe/fd" 2>/dev/null | grep -c 'socket:'; }
sock0=$(sockets)

# A bystander doing steady I/O on another LUN the whole time.
tl_tio 90 -i iqn.2026-11.org.mtgt:bystander -s 32M -q 16 -S 5 writeverify "$(tl_url "" 2)" \
	>"$TL_DIR/bystander.log" 2>&1 &
pb=$!
TL_BG_PIDS+=($pb)

tl_tio 90 -i "$TL_INITIATOR" -s 2M -q 8 -S 6 malformed "$(tl_url "" 0)" >"$TL_DIR/malformed.log" 2>&1
rc=$?
cat "$TL_DIR/malformed.log" >&2
[ $rc = 0 ] || tl_fail "the session next to malformed PDUs failed: $(grep -v '^tio: malformed ' "$TL_DIR/malformed.log" | tail -3)"
wait $pb || tl_fail "bystander I/O failed: $(tail -3 "$TL_DIR/bystander.log")"

kill -0 "$TL_PID" 2>/dev/null || tl_fail "mtgtd died"
after=$(tl_procs | awk '{ print $1, $3, $5 }' | sort)
[ "$before" = "$after" ] || tl_fail "processes changed (restart?): before [$(echo $before)] after [$(echo $after)]"

# Every connection of the cases is closed by now: the frontend must not keep
# their sockets (bounded wait for its own cleanup).
for ((i = 0; i < $(tl_secs 10) * 10; i++)); do
	[ "$(sockets)" -le "$sock0" ] && break
	sleep 0.1
done
tl_log "frontend sockets: $sock0 before the cases, $(sockets) after"
[ "$(sockets)" -le "$sock0" ] || tl_fail "the frontend holds $(sockets) sockets, $sock0 before the cases"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
