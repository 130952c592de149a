#!/bin/bash
# iSNS registrations kept current (RFC 4171) against the real isnsd of
# Debian's open-isns-server on 127.0.0.1: a target added live (mtgtctl
# target add) is registered, a portal added live too, a target removed live
# is deregistered; isnsd killed (by pid) and started again with an empty
# database gets everything registered again within a bounded time (the
# frontend reports the connection down, the supervisor reconnects with
# backoff and hands the new connection over). Skipped (PASS with a note)
# when isnsd is not installed.
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-isns-live 3427
ISNS_PORT=$(( 3426 + ${TEST_PORT_OFFSET:-0} ))
PORT2=$(( 3428 + ${TEST_PORT_OFFSET:-0} ))
LIVE=iqn.2026-11.org.mtgt:isns-live-added

if ! command -v isnsd >/dev/null || ! command -v isnsadm >/dev/null; then
	tl_log "isnsd/isnsadm not installed (open-isns-server, open-isns-utils): skipped"
	tl_pass
	exit 0
fi
cat >"$TL_DIR/isnsd.conf" <<CONF
BindAddress = 127.0.0.1:$ISNS_PORT
ServerAddress = 127.0.0.1:$ISNS_PORT
Database = $TL_DIR/isnsdb
PIDFile = $TL_DIR/isnsd.pid
ControlSocket = $TL_DIR/isnsctl
Security = 0
SourceName = iqn.2026-11.org.mtgt:isns-test-server
RegistrationPeriod = 10m
DefaultDiscoveryDomain = 1
SLPRegister = 0
ESIRetries = 0
CONF
cat >"$TL_DIR/isnsadm.conf" <<CONF
ServerAddress = 127.0.0.1:$ISNS_PORT
ControlSocket = $TL_DIR/isnsctl
Security = 0
SourceName = iqn.2026-11.org.mtgt:isns-test-admin
CONF
isnsd_pid=
start_isnsd() {
	rm -rf "$TL_DIR/isnsdb" "$TL_DIR/isnsd.pid" "$TL_DIR/isnsctl"
	mkdir -p "$TL_DIR/isnsdb"
	isnsd -c "$TL_DIR/isnsd.conf" -f >>"$TL_DIR/isnsd.log" 2>&1 &
	isnsd_pid=$!
	TL_BG_PIDS+=($isnsd_pid)
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$ISNS_PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
start_isnsd || tl_fail "isnsd did not start"
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "isns": {"server": "127.0.0.1:$ISNS_PORT", "entity": "mtgt-isns-live"},
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
adm() { timeout 10 isnsadm -c "$TL_DIR/isnsadm.conf" --local "$@" 2>&1; }
ctl() { timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }
# wait_list WHAT PATTERN present|absent SECONDS
wait_list() {
	local n=$(( $4 * 5 * TL_SLOW ))
	for _ in $(seq $n); do
		adm --list "$1" >"$TL_DIR/list.txt"
		if grep -q -- "$2" "$TL_DIR/list.txt"; then
			[ "$3" = present ] && return 0
		else
			[ "$3" = absent ] && return 0
		fi
		sleep 0.2
	done
	cat "$TL_DIR/list.txt" >&2
	return 1
}
wait_list nodes "$TL_TARGET" present 10 || tl_fail "target not registered at start"

# a target added live is registered, a portal added live too
ctl target add "$LIVE" >/dev/null || tl_fail "target add failed"
wait_list nodes "$LIVE" present 10 || tl_fail "target added live not registered"
ctl portal add "127.0.0.1:$PORT2" >/dev/null || tl_fail "portal add failed"
wait_list portals "$PORT2" present 10 || tl_fail "portal added live not registered"
adm --list nodes | grep -q "$TL_TARGET" || tl_fail "first target lost by the re-registration"
# and removed live: deregistered
ctl target del "$LIVE" >/dev/null || tl_fail "target del failed"
wait_list nodes "$LIVE" absent 10 || tl_fail "target removed live still registered"
ctl portal del "127.0.0.1:$PORT2" >/dev/null || tl_fail "portal del failed"
wait_list portals "$PORT2" absent 10 || tl_fail "portal removed live still registered"
wait_list nodes "$TL_TARGET" present 2 || tl_fail "first target lost after the removals"

# isnsd restarts with an empty database: registered again, within 20 s
kill -TERM "$isnsd_pid"
for _ in $(seq 50); do kill -0 "$isnsd_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$isnsd_pid" 2>/dev/null && tl_fail "isnsd did not stop"
sleep 3   # the frontend sees the connection go; the supervisor's first tries fail
start_isnsd || tl_fail "isnsd did not start again"
t0=$(date +%s)
wait_list nodes "$TL_TARGET" present 25 || tl_fail "not registered again after isnsd restarted: $(grep -i isns "$TL_LOG" | tail -5)"
tl_log "registered again $(( $(date +%s) - t0 )) s after isnsd came back"
wait_list portals "$TL_PORT" present 5 || tl_fail "portal not registered again"
grep -q "iSNS: new connection to .* handed to iscsi0" "$TL_LOG" || tl_fail "no reconnection in the log"
grep -q "iSNS: connection to .* lost" "$TL_LOG" || tl_fail "connection loss not logged"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
sleep 0.5
wait_list nodes "$TL_TARGET" absent 3 || tl_fail "target still registered after shutdown"
tl_pass
