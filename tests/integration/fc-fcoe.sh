#!/bin/bash
# FCP over software FCoE, end to end with real FCoE frames: two network
# namespaces joined by a veth pair (MTU 2158, full 2112-byte payloads), made
# and removed by this script under names unique to the run. mtgtd runs in
# one (mtgt-fc on its veth end, VN2VN), the test initiator
# (tests/helpers/fc_ini.c) in the other: VN2VN claim, PLOGI/PRLI, REPORT
# LUNS, INQUIRY, READ CAPACITY, verified multi-frame I/O, link service
# rejects and the WWPN ACL, residuals, ABTS and RRQ, task management,
# injected faults, logout with I/O outstanding, Debian's fipvlan against the
# FIP VLAN answer, kill -9 of mtgt-fc under load; tshark (when installed)
# decodes the capture of the whole run. Skips (prints SKIP, passes) where
# network namespaces cannot be made.
. "$(dirname "$0")/../lib/target.sh"
tl_init fc-fcoe 3500

INI=$TL_BIN/test-fc-ini
[ -x "$INI" ] || tl_fail "build/bin/test-fc-ini missing (make tests)"
. "$(dirname "$0")/../lib/fcnet.sh"
fc_net_up fc
TMAC=$(ip -n "$NS_T" -o link show "$VT" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

TWWPN=0x2000001b32aa0001
TWWNN=0x2000001b32aa0000
TID=010a01
IWWPN=0x2100001b32bb0001
DENIED=0x2100001b32bb0099
LOWWWPN=0x1000001b32cc0001  # lower than the target's: the target must PLOGI

CAP=$TL_DIR/fcoe.pcap
if command -v tshark >/dev/null; then
	ip netns exec "$NS_I" tshark -q -i "$VI" -w "$CAP" -f "ether proto 0x8906 or ether proto 0x8914" \
		>/dev/null 2>&1 &
	CAP_PID=$!
	# tshark takes a while to start: the target's first claim must be in
	for ((i = 0; i < 100; i++)); do [ -s "$CAP" ] && break; sleep 0.1; done
	sleep 0.5
fi

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "fc": [ { "driver": "fcoe", "interface": "$VT", "mode": "vn2vn", "wwpn": "$TWWPN",
            "wwnn": "$TWWNN", "target": "$TL_TARGET", "port_id": "0x$TID",
            "fip_vlans": [ 1002 ] },
          { "driver": "vfio", "pci": "0000:7f:1f.7", "wwpn": "0x2000001b32aa00f1",
            "wwnn": "$TWWNN", "target": "$TL_TARGET" } ],
  "fc_options": { "data_out_timeout_ms": 1000 },
  "restart": { "core": { "backoff_initial_ms": 1, "backoff_max_ms": 50,
                         "intensity": 100, "period_s": 1 } },
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "null", "size": "1T"},
                {"lun": 2, "backend": "ram",  "size": "64M", "block_size": 4096} ],
      "initiators": ["$TL_INITIATOR"],
      "fc_initiators": ["$IWWPN", "$LOWWWPN"] } ] }
JSON
ip netns exec "$NS_T" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
TL_PID=$!
tl_portal_open() { ip netns exec "$NS_T" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TL_PORT" 2>/dev/null; }
tl_wait_ready || tl_fail "target not ready"
[ "$(tl_proc_field fc0 state)" = running ] || tl_fail "fc0 not running: $(tl_procs | tr '\n' ';')"
FC_PID=$(tl_pid fc0)
timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" proc list 2>/dev/null | grep -qw fc0 ||
	tl_fail "mtgtctl proc list does not show fc0"
# sandboxed: seccomp filter on, no capabilities (it was handed the packet socket)
grep -q "^Seccomp:[[:space:]]*2" "/proc/$FC_PID/status" || tl_fail "mtgt-fc runs without seccomp"
grep -q "^CapEff:[[:space:]]*0*$" "/proc/$FC_PID/status" || tl_fail "mtgt-fc kept capabilities"
# the vfio port beside it cannot run here (no /dev/vfio, or no firmware
# interface): said once, the FCoE port serves every case below
grep -q "fc port 1 not served" "$TL_LOG" || tl_fail "the vfio port did not say it is not served"
grep -q "fc port 1 (vfio 2000001b32aa00f1): \(no /dev/vfio\|no IOMMU group\|no FC HBA firmware\)" \
	"$TL_LOG" || tl_fail "the vfio port gave no clear reason"
# a vfio port configured: the memlock limit covers the pool arena VFIO would pin
ml=$(awk '/^Max locked memory/ { print $4 }' "/proc/$FC_PID/limits")
# (where mtgtd lacks CAP_SYS_RESOURCE and the hard limit is lower, it says so
# and gives the hard limit)
mlh=$(awk '/^Max locked memory/ { print $5 }' "/proc/$FC_PID/limits")
[ "$ml" = unlimited ] || [ "$ml" -ge $((128 << 20)) ] ||
	{ [ "$ml" = "$mlh" ] && grep -q "cannot raise RLIMIT_MEMLOCK to [0-9]* bytes for VFIO" "$TL_LOG"; } ||
	tl_fail "mtgt-fc RLIMIT_MEMLOCK $ml (hard $mlh), and no word why"
tl_log "vfio port beside the FCoE port: $(grep -o 'fc port 1 (vfio[^)]*): [^(]*' "$TL_LOG" | head -1); memlock $ml"

ini() { ip netns exec "$NS_I" timeout "$(tl_secs 90)" "$INI" "$VI" "$TID" "$@"; }
ini 020b01 "$IWWPN" basic 16 || tl_fail "case basic failed"
ini 020b02 "$IWWPN" rejects || tl_fail "case rejects failed"
ini 020b03 "$DENIED" denied || tl_fail "case denied failed"
ini 020b07 "$LOWWWPN" p2p || tl_fail "case p2p failed"
ini 020b08 "$IWWPN" qd 32 || tl_fail "case qd failed"
for c in residual abts tmf faults stall logout pr; do
	ini 020b04 "$IWWPN" $c || tl_fail "case $c failed"
done
[ "$(tl_pid fc0)" = "$FC_PID" ] || tl_fail "mtgt-fc restarted during the cases"

if command -v fipvlan >/dev/null; then
	out=$(ip netns exec "$NS_I" timeout 20 fipvlan "$VI" 2>&1)
	echo "$out" | grep -q 1002 || tl_fail "fipvlan did not get VLAN 1002: $out"
	tl_log "fipvlan: $(echo "$out" | grep 1002 | tr -s ' ')"
else
	tl_log "fipvlan not installed (fcoe-utils): FIP VLAN answer not checked by it"
fi

# the capture of the cases (not of the load: it would be a GiB)
if [ -n "${CAP_PID:-}" ]; then
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
	# frames the target sent: the VN_Port's MAC (FCoE) and the ENode's (FIP)
	from="(eth.src == 0e:fd:00:${TID:0:2}:${TID:2:2}:${TID:4:2} || eth.src == $TMAC)"
	n=$(tshark -r "$CAP" -Y "fcoe && $from" 2>/dev/null | wc -l)
	nfip=$(tshark -r "$CAP" -Y "fip && $from" 2>/dev/null | wc -l)
	bad=$(tshark -r "$CAP" -Y "$from && (_ws.malformed || _ws.expert.severity >= warning)" 2>/dev/null | wc -l)
	crc=$(tshark -r "$CAP" -Y 'fcoe.crc.status == "Bad" || fcoe.crc.status == 2' 2>/dev/null | wc -l)
	tl_log "tshark: the target sent $n FCoE and $nfip FIP frames, $bad malformed or with warnings; $crc frame with a bad CRC in the capture (the 1 injected)"
	[ "$bad" = 0 ] || tl_fail "tshark finds $bad malformed target frames: $(tshark -r "$CAP" -Y "$from && (_ws.malformed || _ws.expert.severity >= warning)" 2>/dev/null | head -3)"
	[ "$crc" = 1 ] || tl_fail "tshark finds $crc frames with a bad CRC, 1 was injected"
	[ "$nfip" -gt 0 ] || tl_fail "tshark sees no FIP frame from the target"
	[ "$n" -gt 100 ] || tl_fail "tshark decoded only $n FCoE frames"
fi

# kill -9 under load: the sessions drop (FC has no session to keep), the
# supervisor restarts mtgt-fc on the same packet socket, the initiator joins
# and logs in again and every write is verified.
ip netns exec "$NS_I" timeout "$(tl_secs 90)" "$INI" "$VI" "$TID" 020b05 "$IWWPN" load 8 \
	>"$TL_DIR/load.out" 2>"$TL_DIR/load.err" &
LOAD=$!
TL_BG_PIDS+=($LOAD)
sleep 2
kill -KILL "$FC_PID" 2>/dev/null || tl_fail "kill mtgt-fc"
NEW=$(tl_wait_restarted fc0 "$FC_PID" 10) || tl_fail "mtgt-fc not restarted"
wait "$LOAD" || { cat "$TL_DIR/load.err" >&2; tl_fail "load across kill -9 failed"; }
grep -q "relogins [1-9]" "$TL_DIR/load.out" || tl_fail "the load went on without logging in again"
tl_log "kill -9 of mtgt-fc $FC_PID under load: restarted as $NEW; $(grep "load:" "$TL_DIR/load.err" | sed "s/^test-fc-ini: //")"

# kill -9 of the core, twice, then a live core upgrade, under FC load: the
# logins (PLOGI, PRLI) and open exchanges stay in mtgt-fc, which re-submits
# to each new core what the dead one did not answer (MSG_FLAG_REPLAY). The
# initiator must notice nothing (strict: one login, every command GOOD at
# its first try, no unit attention, writes verified), mtgt-fc keeps its
# pid, and a second initiator whose PRLI arrives while the core is gone is
# logged in by the next core.
CORE_PID=$(tl_pid core)
FC_PID=$(tl_pid fc0)
ip netns exec "$NS_I" timeout "$(tl_secs 120)" "$INI" "$VI" "$TID" 020b06 "$IWWPN" \
	load "$(tl_secs 16)" strict >"$TL_DIR/load2.out" 2>"$TL_DIR/load2.err" &
LOAD=$!
TL_BG_PIDS+=($LOAD)
sleep 2
for k in 1 2; do
	kill -0 "$LOAD" 2>/dev/null || { cat "$TL_DIR/load2.err" >&2; tl_fail "load ended early"; }
	old=$(tl_pid core)
	kill -KILL "$old" 2>/dev/null || tl_fail "kill mtgt-core"
	ini 020b0$((8 + k)) "$LOWWWPN" basic 4 >"$TL_DIR/login$k.out" 2>&1 &
	LOGIN=$!
	TL_BG_PIDS+=($LOGIN)
	NEW=$(tl_wait_restarted core "$old" 20) || tl_fail "mtgt-core not restarted"
	tl_log "kill $k of mtgt-core $old under FC load: restarted as $NEW"
	tl_wait_ready || tl_fail "not every process runs after core restart $k"
	wait "$LOGIN" || { cat "$TL_DIR/login$k.out" >&2; tl_fail "login across core kill $k failed"; }
	sleep 1.5
done
old=$(tl_pid core)
timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" proc upgrade core >/dev/null || tl_fail "core upgrade refused"
tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "core upgrade: no new core"
for _ in $(seq 100); do
	grep -q "core upgrade done.*pid $old -> " "$TL_LOG" && break
	sleep 0.1
done
grep -q "core upgrade done.*pid $old -> " "$TL_LOG" || tl_fail "core upgrade not done"
tl_log "core upgraded live under FC load: pid $old -> $(tl_pid core)"
wait "$LOAD" || { cat "$TL_DIR/load2.err" >&2; tl_fail "strict FC load across core kills and upgrade failed"; }
grep -q "relogins 0" "$TL_DIR/load2.out" || tl_fail "the initiator logged in again across the core restarts"
[ "$(tl_pid fc0)" = "$FC_PID" ] || tl_fail "mtgt-fc restarted with the core"
resent=$(grep -o 'fc0\[[0-9]*\].*new core: [0-9]* requests sent again' "$TL_LOG" |
	sed 's/.*new core: \([0-9]*\) requests.*/\1/' | paste -sd+ | bc)
tl_log "FC load across 2 core kills and an upgrade: $(grep "load:" "$TL_DIR/load2.err" | sed "s/^test-fc-ini: //"); requests re-submitted by mtgt-fc: ${resent:-none}"
[ "${resent:-0}" -gt 0 ] || tl_fail "no core restart found FC commands in flight: nothing was replayed"

# mtgtctl stats shows mtgt-fc's counters (its own and its port driver's)
sleep 1.5
timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json stats >"$TL_DIR/stats.json" 2>/dev/null
"$TL_PY" - "$TL_DIR/stats.json" <<'PY' >&2 || tl_fail "no mtgt-fc counters in mtgtctl stats"
import json, sys
def find(o):
    if isinstance(o, dict):
        if "plogi" in o and "ports" in o:
            return o
        for v in o.values():
            r = find(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
d = find(json.load(open(sys.argv[1])))
if not d or d["plogi"] < 1: sys.exit(1)
print("[fc-fcoe] fc0 stats:", json.dumps(d, separators=(",", ":"))[:700])
PY

tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

tl_pass
