#!/bin/bash
# Restart policy and systemd integration:
#  - a backend killed more often than its policy allows escalates (the core is
#    restarted with it), then the supervisor gives up on it and says so;
#  - `mtgtctl proc restart` brings it back and I/O works again;
#  - `mtgtctl proc policy` reads and changes a policy, and refuses bad values;
#  - with NOTIFY_SOCKET set, mtgtd sends READY=1, WATCHDOG=1 while healthy and
#    STOPPING=1 at shutdown.
. "$(dirname "$0")/../lib/target.sh"
tl_init restart-policy 3356
C() { timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "restart": { "default": { "intensity": 5, "period_s": 60 },
               "backend": { "intensity": 2, "period_s": 60, "backoff_initial_ms": 50 } },
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
      "luns": [ { "lun": 0, "backend": "ram", "size": "16M" } ] } ] }
JSON

# A fake systemd: collects what mtgtd sends to NOTIFY_SOCKET.
NS=$TL_DIR/notify.sock
"$TL_PY" - "$NS" "$TL_DIR/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(0.5)
end = time.time() + 900  # the test stops it by pid long before
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode() + "\n"); out.flush()
        except socket.timeout:
            pass
PY
TL_BG_PIDS+=($!)
for _ in $(seq 50); do [ -S "$NS" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$NS WATCHDOG_USEC=4000000 tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
for _ in $(seq 50); do grep -q WATCHDOG=1 "$TL_DIR/notify.log" && break; sleep 0.2; done
grep -q '^READY=1' "$TL_DIR/notify.log" || tl_fail "no READY=1 sent to NOTIFY_SOCKET"
grep -q '^WATCHDOG=1' "$TL_DIR/notify.log" || tl_fail "no WATCHDOG=1 while healthy"

C proc policy backend-ram | grep -q 'at most 2 restarts in 60 s' || tl_fail "policy of backend-ram: $(C proc policy backend-ram)"
C proc policy iscsi0 --intensity 7 | grep -q 'at most 7 restarts' || tl_fail "policy change not applied"
C proc policy iscsi0 --period 0 2>&1 | grep -q 'params.period_s' || tl_fail "bad policy value not refused by name"
C proc restart nosuch 2>&1 | grep -q 'params.name' || tl_fail "unknown process not refused"

core0=$(tl_pid core)
# 1st and 2nd kill: restarts; 3rd: escalation (core restarted too); 4th: give up.
for i in 1 2 3 4; do
	p=$(tl_pid backend-ram)
	[ -n "$p" ] && [ "$p" -gt 0 ] || tl_fail "kill $i: no backend-ram pid: $(tl_procs | tr '\n' ';')"
	kill -KILL "$p"
	tl_wait_restarted backend-ram "$p" "$(tl_secs 10)" >/dev/null && continue
	[ $i = 4 ] || tl_fail "kill $i: backend-ram not restarted: $(tl_procs | tr '\n' ';')"
done
for _ in $(seq 50); do [ "$(tl_proc_field backend-ram state)" = failed ] && break; sleep 0.2; done
[ "$(tl_proc_field backend-ram state)" = failed ] || tl_fail "no give-up after 4 kills: $(tl_procs | tr '\n' ';')"
grep -q 'escalating, restarting the core' "$TL_LOG" || tl_fail "no escalation logged"
grep -q 'giving up on backend-ram' "$TL_LOG" || tl_fail "no give-up logged"
[ "$(tl_pid core)" != "$core0" ] || tl_fail "escalation did not restart the core"
n=$(wc -l <"$TL_DIR/notify.log")
sleep "$(tl_secs 5)"
tail -n +$((n + 1)) "$TL_DIR/notify.log" | grep -q WATCHDOG=1 && tl_fail "WATCHDOG=1 sent while a process is given up"

C proc restart backend-ram >/dev/null || tl_fail "proc restart of a failed process refused"
tl_wait_ready || tl_fail "not ready after proc restart: $(tl_procs | tr '\n' ';')"
tl_tio 60 -s 4M -q 8 -S 3 writeverify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "I/O after revival: $(tail -3 "$TL_DIR/tio.log")"

# a graceful restart of a healthy process is not a failure
p=$(tl_pid iscsi0)
C proc restart iscsi0 >/dev/null || tl_fail "proc restart iscsi0 refused"
tl_wait_restarted iscsi0 "$p" "$(tl_secs 10)" >/dev/null || tl_fail "iscsi0 not restarted"
tl_wait_ready || tl_fail "not ready after restarting iscsi0"
tl_tio 60 -s 4M -q 8 -S 3 verify "$U" >>"$TL_DIR/tio.log" 2>&1 || tl_fail "data after restart: $(tail -3 "$TL_DIR/tio.log")"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
grep -q '^STOPPING=1' "$TL_DIR/notify.log" || tl_fail "no STOPPING=1 at shutdown"
tl_pass
