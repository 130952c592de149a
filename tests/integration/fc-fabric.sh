#!/bin/bash
# FCoE fabric mode end to end: mtgt-fc as an ENode behind an FCF. Two
# network namespaces joined by a veth pair (MTU 2158), names unique to the
# run, removed in the exit trap. In the initiator's namespace one process
# (test-fc-ini case "fabric", tests/helpers/fc_fcf.c) plays the FCF (VLAN
# answers, advertisements, two decoy FCFs, FIP FLOGI with an FPMA MAC,
# keep-alive checking), the directory server (RFT_ID/RFF_ID/RSPN_ID,
# GID_FT/GPN_ID), the fabric controller (SCR, RSCN) and an initiator that
# finds the target through the name server, logs in and runs verified I/O;
# then kill -9 of mtgt-fc under I/O (the restarted one logs in to the
# fabric again from the same ENode, registers, serves a new login, every
# acknowledged write reads back), RSCNs, Clear Virtual Links (the target
# logs in again, I/O resumes),
# stopped advertisements (link down), and FIP LOGO when mtgtd stops. This is
# a fake FCF in a test, not a real FCoE switch. Skips (prints SKIP, passes)
# where network namespaces cannot be made.
. "$(dirname "$0")/../lib/target.sh"
tl_init fc-fabric 3510

INI=$TL_BIN/test-fc-ini
[ -x "$INI" ] || tl_fail "build/bin/test-fc-ini missing (make tests)"
. "$(dirname "$0")/../lib/fcnet.sh"
fc_net_up ff

TWWPN=0x2000001b32aa0011
TWWNN=0x2000001b32aa0010
IWWPN=0x2100001b32bb0011
IID=0e0101   # the initiator's N_Port id on the fake fabric

CAP=$TL_DIR/fabric.pcap
if command -v tshark >/dev/null; then
	ip netns exec "$NS_I" tshark -q -i "$VI" -w "$CAP" -f "ether proto 0x8906 or ether proto 0x8914" \
		>/dev/null 2>&1 &
	CAP_PID=$!
	for ((i = 0; i < 100; i++)); do [ -s "$CAP" ] && break; sleep 0.1; done
	sleep 0.5
fi

# the fake FCF must be listening before the target solicits
READY=$TL_DIR/fabric.ready
KILLNOW=$TL_DIR/fabric.kill
ip netns exec "$NS_I" timeout "$(tl_secs 150)" "$INI" "$VI" - "$IID" "$IWWPN" fabric "$TWWPN" \
	"$READY" "$KILLNOW" >"$TL_DIR/fabric.out" 2>"$TL_DIR/fabric.err" &
FCF=$!
TL_BG_PIDS+=($FCF)
sleep 0.3

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "fc": [ { "driver": "fcoe", "interface": "$VT", "mode": "fabric", "wwpn": "$TWWPN",
            "wwnn": "$TWWNN", "target": "$TL_TARGET", "fc_map": "0x0efc00",
            "addressing": "fpma", "fip_vlan_discovery": true } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["$TL_INITIATOR"],
      "fc_initiators": ["$IWWPN"] } ] }
JSON
ip netns exec "$NS_T" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
TL_PID=$!
tl_portal_open() { ip netns exec "$NS_T" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TL_PORT" 2>/dev/null; }
tl_wait_ready || tl_fail "target not ready"
[ "$(tl_proc_field fc0 state)" = running ] || tl_fail "fc0 not running: $(tl_procs | tr '\n' ';')"
FC_PID=$(tl_pid fc0)

# kill -9 of mtgt-fc under I/O once the first login has run I/O: the
# supervisor restarts it on the same packet socket, and the new process
# (which sent no LOGO) logs in to the fabric again from the same ENode MAC;
# the fake FCF takes that FLOGI as an implicit logout of the old VN_Port.
for ((i = 0; i < $(tl_secs 60) * 10; i++)); do
	[ -e "$KILLNOW" ] && break
	kill -0 "$FCF" 2>/dev/null || break
	sleep 0.1
done
[ -e "$KILLNOW" ] || { cat "$TL_DIR/fabric.err" >&2; tl_fail "case fabric did not reach the kill"; }
sleep 0.5
kill -KILL "$FC_PID" 2>/dev/null || tl_fail "kill mtgt-fc"
NEW=$(tl_wait_restarted fc0 "$FC_PID" 10) || tl_fail "mtgt-fc not restarted"
tl_log "kill -9 of mtgt-fc $FC_PID in fabric mode under I/O: restarted as $NEW"
FC_PID=$NEW

# the case runs to the point where it waits for the FIP LOGO
for ((i = 0; i < $(tl_secs 100) * 10; i++)); do
	[ -e "$READY" ] && break
	kill -0 "$FCF" 2>/dev/null || break
	sleep 0.1
done
if [ ! -e "$READY" ]; then
	cat "$TL_DIR/fabric.err" >&2
	tl_fail "case fabric failed"
fi
[ "$(tl_pid fc0)" = "$FC_PID" ] || tl_fail "mtgt-fc restarted during the case"
grep -q "FCF advertisements stopped" "$TL_LOG" || tl_fail "mtgt-fc did not log the link down"
grep -q "Clear Virtual Links" "$TL_LOG" || tl_fail "mtgt-fc did not log the CVL"
grep -q "FIP VLAN notification: FCoE on VLAN 1002" "$TL_LOG" ||
	tl_fail "mtgt-fc did not take the FIP VLAN notification"

# fabric counters in mtgtctl stats (mtgt-fc reports them every second, so
# a fresh report may take a moment)
fabric_stats() {
	timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json stats >"$TL_DIR/stats.json" 2>/dev/null
	"$TL_PY" - "$TL_DIR/stats.json" <<'PY' >&2
import json, sys
def find(o):
    if isinstance(o, dict):
        if "fabric" in o and isinstance(o["fabric"], dict):
            return o["fabric"]
        for v in o.values():
            r = find(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
j = json.load(open(sys.argv[1]))
def fc(o):
    if isinstance(o, dict):
        if "in_flight" in o and "plogi" in o:
            return o
        for v in o.values():
            r = fc(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = fc(v)
            if r: return r
t = fc(j)
# the write cut off by the RSCN logout is gone from mtgt-fc too
if not t or t["in_flight"] != 0 or t["sessions"] != 0:
    print("mtgt-fc stats:", t); sys.exit(1)
d = find(j)
if not d or d["logins"] < 3 or d["cvl"] < 1 or d["adv_lost"] < 1 or d["enode_fka"] < 2:
    print("fabric stats:", d); sys.exit(1)
print("[fc-fabric] fabric stats:", json.dumps(d, separators=(",", ":")))
PY
}
ok=
for ((i = 0; i < 5; i++)); do
	sleep 1
	fabric_stats && { ok=1; break; }
done
[ -n "$ok" ] || tl_fail "no fabric counters in mtgtctl stats"

tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
wait "$FCF" || { cat "$TL_DIR/fabric.err" >&2; tl_fail "no FIP LOGO at shutdown"; }

# tshark decodes what the target sent (FIP from its ENode MAC, FCoE from its
# FPMA MAC) independently of our codecs
if [ -n "${CAP_PID:-}" ]; then
	sleep 0.5
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
	TMAC=$(ip -n "$NS_T" -o link show "$VT" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	from="(eth.src == 0e:fc:00:0e:01:02 || eth.src == $TMAC)"
	t() { tshark -r "$CAP" -Y "$from && ($1)" 2>/dev/null | wc -l; }
	bad=$(t "_ws.malformed || _ws.expert.severity >= warning")
	nsol=$(t "fip.opcode == 1 && fip.disc_subcode == 1")
	nflogi=$(t "fip.opcode == 2 && fip.ls.subcode == 1 && fcels.opcode == 0x04")
	nlogo=$(t "fip.opcode == 2 && fcels.opcode == 0x05")
	nfka=$(t "fip.opcode == 3 && fip.ctrl_subcode == 1")
	nct=$(t "fcdns")
	nscr=$(t "fcels.opcode == 0x62")
	nrft=$(t "fcdns.opcode == 0x217 && fcdns.fc4types.fcp == 1")
	nrff=$(t "fcdns.opcode == 0x21f && fcdns.fc4features.t == 1 && fcdns.req.fc4type == 8")
	tl_log "tshark: from the target $nsol solicitations, $nflogi FIP FLOGI, $nlogo FIP LOGO, $nfka keep-alives, $nct name-server CT frames ($nrft RFT_ID FCP, $nrff RFF_ID FCP target), $nscr SCR; $bad malformed or with warnings"
	[ "$bad" = 0 ] || tl_fail "tshark finds malformed target frames: $(tshark -r "$CAP" -Y "$from && (_ws.malformed || _ws.expert.severity >= warning)" 2>/dev/null | head -3)"
	[ "$nflogi" -ge 3 ] && [ "$nlogo" = 1 ] && [ "$nfka" -ge 2 ] && [ "$nct" -ge 9 ] &&
		[ "$nscr" -ge 3 ] && [ "$nrft" -ge 3 ] && [ "$nrff" -ge 3 ] || tl_fail "tshark does not see the fabric login sequence"
fi
sed 's/^test-fc-ini: /[fc-fabric] /' "$TL_DIR/fabric.err" | grep -v "^$" >&2
tl_pass
