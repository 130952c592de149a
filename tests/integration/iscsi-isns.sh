#!/bin/bash
# iSNS (RFC 4171) against the real isnsd of Debian's open-isns-server on
# 127.0.0.1: the supervisor connects, the frontend registers the entity, its
# portal (with an SCN port: a listener the supervisor opened), the target
# (iSCSI node of type Target) and its portal group, and registers for SCNs;
# isnsadm lists them; another node registered with isnsadm brings an SCN,
# which is answered; at shutdown the entity is deregistered and isnsadm no
# longer finds it. Skipped (PASS with a note)
# when isnsd is not installed (scripts/install-deps.sh installs it).
. "$(dirname "$0")/../lib/target.sh"
tl_init iscsi-isns 3424
ISNS_PORT=$(( 3423 + ${TEST_PORT_OFFSET:-0} ))

if ! command -v isnsd >/dev/null || ! command -v isnsadm >/dev/null; then
	tl_log "isnsd/isnsadm not installed (open-isns-server, open-isns-utils): skipped"
	tl_pass
	exit 0
fi
mkdir -p "$TL_DIR/isnsdb"
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
isnsd -c "$TL_DIR/isnsd.conf" -f >"$TL_DIR/isnsd.log" 2>&1 &
TL_BG_PIDS+=($!)
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$ISNS_PORT") 2>/dev/null && break
	sleep 0.1
done
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "isns": {"server": "127.0.0.1:$ISNS_PORT", "entity": "mtgt-isns-test"},
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
adm() { timeout 10 isnsadm -c "$TL_DIR/isnsadm.conf" --local "$@" 2>&1; }
ok=0
for _ in $(seq $(( 30 * TL_SLOW ))); do
	grep -q "iSNS: entity mtgt-isns-test registered" "$TL_LOG" && grep -q "state change notifications" "$TL_LOG" && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || tl_fail "no registration in the log: $(grep -i isns "$TL_LOG" | tail -3)"
adm --list nodes >"$TL_DIR/nodes.txt"
adm --list portals >"$TL_DIR/portals.txt"
adm --list entities >"$TL_DIR/entities.txt"
cat "$TL_DIR/nodes.txt" "$TL_DIR/portals.txt" "$TL_DIR/entities.txt" >&2
grep -q "$TL_TARGET" "$TL_DIR/nodes.txt" || tl_fail "isnsadm does not list the target node"
grep -qi "target" "$TL_DIR/nodes.txt" || tl_fail "node type Target not listed"
grep -q "$TL_PORT" "$TL_DIR/portals.txt" || tl_fail "isnsadm does not list the portal 127.0.0.1:$TL_PORT"
grep -q "mtgt-isns-test" "$TL_DIR/entities.txt" || tl_fail "isnsadm does not list the entity"
adm --list portal-groups >"$TL_DIR/pgs.txt" 2>&1 || true
grep -q "$TL_TARGET" "$TL_DIR/pgs.txt" || tl_fail "isnsadm does not list the portal group"
grep -q "SCN port" "$TL_DIR/portals.txt" || tl_fail "no SCN port registered on the portal"
# another node appears: the server sends our target an SCN on its SCN port
timeout 10 isnsadm -c "$TL_DIR/isnsadm.conf" --register entity=isns-peer \
	initiator,iscsi-name=iqn.2026-11.org.mtgt:isns-peer >"$TL_DIR/reg.txt" 2>&1 ||
	tl_fail "isnsadm --register: $(tail -2 "$TL_DIR/reg.txt")"
ok=0
for _ in $(seq $(( 50 * TL_SLOW ))); do
	grep -q "iSNS: state change notification" "$TL_LOG" && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || tl_fail "no SCN received after another node registered"
tl_log "$(grep -m1 'iSNS: state change notification' "$TL_LOG")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
sleep 0.5
adm --list nodes >"$TL_DIR/nodes-after.txt"
if grep -q "$TL_TARGET" "$TL_DIR/nodes-after.txt"; then
	cat "$TL_DIR/nodes-after.txt" >&2
	tl_fail "target still registered after shutdown"
fi
tl_pass
