#!/bin/bash
# ErrorRecoveryLevel 2 when a session's only connection fails
# (test-raw-initiator erl2-one): the session is held without a connection;
# logins with a wrong TSIH, ISID or InitiatorName get 0x020a; a new
# connection with its ISID and TSIH joins it and reassigns a READ and a
# half-written WRITE (both verified); a login with the CID of the only
# connection while it is up reinstates it (its READ reassigned); left
# alone, the session ends after
# Time2Wait + Time2Retain (0x020a, the write never lands). Then a live
# upgrade of mtgt-iscsi with a held session falls back to a plain restart
# (the state has no place for it), the session does not survive it; an
# administrator's drop ends a held session at once; and nothing is left
# over (sessions, in-flight requests, pool).
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-erl2-one 3555

[ -x "$TL_BIN/test-raw-initiator" ] || tl_fail "build/bin/test-raw-initiator missing (make tests)"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
rawi() { # log-name case...
	local log=$TL_DIR/$1.log rc
	shift
	timeout -k 5 "$(tl_secs 120)" "$TL_BIN/test-raw-initiator" "127.0.0.1:$TL_PORT" \
		"$TL_TARGET" "$@" >"$log" 2>&1
	rc=$?
	cat "$log" >&2
	[ $rc = 0 ] || tl_fail "test-raw-initiator $* exit $rc: $(grep -m 3 -E 'FAIL' "$log" | tr '\n' ' ')"
}
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

rawi one erl2-one
grep -q 'its last connection (0) failed: session kept' "$TL_LOG" ||
	tl_fail "no held session in the log"
grep -q 'continued on a new connection, 2 tasks to reassign' "$TL_LOG" ||
	tl_fail "the new connection did not continue the session with its 2 tasks"
[ "$(grep -c 'reassigned here' "$TL_LOG")" = 3 ] || tl_fail "not 3 tasks reassigned in the log"
grep -q 'closing: connection reinstated by a new login (ERL 2)' "$TL_LOG" ||
	tl_fail "the only connection was not reinstated"
grep -q 'ends: no connection within Time2Wait + Time2Retain' "$TL_LOG" ||
	tl_fail "the held session did not end after Time2Retain"
tl_iscsi_wait_clean

# ---- an administrator drops a held session: it ends at once ----
rawi hold0 erl2-hold
tsih=$(awk '$1 == "tsih" { print $2 }' "$TL_DIR/hold0.log")
[ -n "$tsih" ] || tl_fail "no TSIH from erl2-hold"
# the supervisor's session list is refreshed each second
for _ in $(seq 30); do
	"$TL_BIN/mtgtctl" -s "$TL_SOCK" session drop "$tsih" >/dev/null 2>&1 && { dropped=1; break; }
	sleep 0.2
done
[ -n "${dropped:-}" ] || tl_fail "session drop $tsih failed"
grep -q "session tsih $tsih (.*) ends: dropped by the administrator; 2 tasks aborted" "$TL_LOG" ||
	tl_fail "the held session was not ended by the drop"
tl_iscsi_wait_clean

# ---- a live upgrade while a session is held: plain restart instead ----
rawi hold erl2-hold
tsih=$(awk '$1 == "tsih" { print $2 }' "$TL_DIR/hold.log")
[ -n "$tsih" ] || tl_fail "no TSIH from erl2-hold"
old=$(tl_pid iscsi0)
timeout "$(tl_secs 30)" "$TL_BIN/mtgtctl" -s "$TL_SOCK" proc upgrade iscsi0 \
	--quiesce-timeout 1000 >"$TL_DIR/upgrade.out" 2>&1
cat "$TL_DIR/upgrade.out" >&2
grep -q 'a session waits for a new connection (ERL 2)' "$TL_LOG" ||
	tl_fail "the quiesce did not name the held session"
grep -q 'falling back to a plain restart' "$TL_LOG" || tl_fail "no fallback to a plain restart"
tl_wait_restarted iscsi0 "$old" >/dev/null || tl_fail "mtgt-iscsi not restarted"
tl_wait_ready || tl_fail "target not ready after the upgrade"
RAWI_TSIH=$tsih rawi gone erl2-gone
tl_iscsi_wait_clean
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
