#!/bin/bash
# FCP commands wait for pool space (DESIGN.md: when the pool is exhausted
# commands wait): mtgt-fc runs with a 1 MiB budget of its arena for FCP
# buffers (fc_options.pool_bytes) and a wait queue of 12 per port. Two
# initiators each keep 16 writes/reads of 256 KiB in flight (8 MiB in
# flight against a 1 MiB pool): everything completes with data verified,
# commands waited, and only a full wait queue answered TASK SET FULL. Then
# case waitq: waiting commands start in arrival order as buffers free, and
# ABTS, LUN RESET and LOGO drop waiting commands unanswered, with no buffer
# lost. Own namespaces and veth pair (tests/lib/fcnet.sh); port 3550 +
# offset for the iSCSI portal only. Skips where namespaces cannot be made.
. "$(dirname "$0")/../lib/target.sh"
tl_init fc-pool 3550

INI=$TL_BIN/test-fc-ini
[ -x "$INI" ] || tl_fail "build/bin/test-fc-ini missing (make tests)"
. "$(dirname "$0")/../lib/fcnet.sh"
fc_net_up fp

TWWPN=0x2000001b32aa0021
TWWNN=0x2000001b32aa0020
TID=010c01
IWWPN1=0x2100001b32bb0021
IWWPN2=0x2100001b32bb0022

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "fc": [ { "driver": "fcoe", "interface": "$VT", "mode": "vn2vn", "wwpn": "$TWWPN",
            "wwnn": "$TWWNN", "target": "$TL_TARGET", "port_id": "0x$TID" } ],
  "fc_options": { "pool_bytes": 1048576, "wait_queue": 12, "max_io": 262144 },
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "64M", "block_size": 512} ],
      "initiators": ["$TL_INITIATOR"],
      "fc_initiators": ["$IWWPN1", "$IWWPN2"] } ] }
JSON
ip netns exec "$NS_T" "$TL_BIN/mtgtd" -c "$TL_DIR/mtgtd.json" -f >>"$TL_LOG" 2>&1 &
TL_PID=$!
tl_portal_open() { ip netns exec "$NS_T" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TL_PORT" 2>/dev/null; }
tl_wait_ready || tl_fail "target not ready"
[ "$(tl_proc_field fc0 state)" = running ] || tl_fail "fc0 not running: $(tl_procs | tr '\n' ';')"
FC_PID=$(tl_pid fc0)

ini() { ip netns exec "$NS_I" timeout "$(tl_secs 120)" "$INI" "$VI" "$TID" "$@"; }

# fc stats as one JSON object (mtgt-fc reports them every second)
fc_stats() {
	timeout 5 "$TL_BIN/mtgtctl" -s "$TL_SOCK" --json stats >"$TL_DIR/stats.json" 2>/dev/null
	"$TL_PY" - "$TL_DIR/stats.json" "$@" <<'PY'
import json, sys
def fc(o):
    if isinstance(o, dict):
        if "waited" in o and "plogi" in o:
            return o
        for v in o.values():
            r = fc(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = fc(v)
            if r: return r
t = fc(json.load(open(sys.argv[1])))
if not t: sys.exit(1)
print(" ".join(str(t[k]) for k in sys.argv[2:]))
PY
}

# two initiators, 16 x 256 KiB each in flight, 8 MiB written and read back
# each, against a 1 MiB pool and a wait queue of 12
ini 020c01 "$IWWPN1" qd 16 256 0 8 >"$TL_DIR/qd1.out" 2>"$TL_DIR/qd1.err" &
Q1=$!
ini 020c02 "$IWWPN2" qd 16 256 32768 8 >"$TL_DIR/qd2.out" 2>"$TL_DIR/qd2.err" &
Q2=$!
TL_BG_PIDS+=($Q1 $Q2)
wait "$Q1" || { cat "$TL_DIR/qd1.err" >&2; fc_stats waited wait_full wait_peak waiting pool_used in_flight busy commands ports >&2; tl_fail "initiator 1: qd with a small pool failed"; }
wait "$Q2" || { cat "$TL_DIR/qd2.err" >&2; fc_stats waited wait_full wait_peak waiting pool_used in_flight busy commands ports >&2; tl_fail "initiator 2: qd with a small pool failed"; }
tl_log "initiator 1: $(sed 's/^test-fc-ini: //' "$TL_DIR/qd1.err" | grep QD)"
tl_log "initiator 2: $(sed 's/^test-fc-ini: //' "$TL_DIR/qd2.err" | grep QD)"

ini 020c03 "$IWWPN1" waitq 2>"$TL_DIR/waitq.err" ||
	{ cat "$TL_DIR/waitq.err" >&2; tl_fail "case waitq failed"; }
tl_log "$(sed 's/^test-fc-ini: //' "$TL_DIR/waitq.err" | grep waitq)"
[ "$(tl_pid fc0)" = "$FC_PID" ] || tl_fail "mtgt-fc restarted during the cases"

# the counters: commands waited, the queue never held more than 12, a full
# queue answered TASK SET FULL, and nothing waits or holds a buffer now
read -r waited full peak waiting used limit busy <<<"$(
	for _ in 1 2 3 4 5; do sleep 1.2; fc_stats waited wait_full wait_peak waiting pool_used \
		pool_limit busy && break; done)"
tl_log "fc0: waited $waited, TASK SET FULL for a full queue $full (busy $busy), most waiting $peak, now waiting $waiting, pool used $used of $limit"
[ "${waited:-0}" -ge 20 ] || tl_fail "only ${waited:-none} commands waited for pool space"
[ "${peak:-99}" -le 12 ] && [ "${peak:-0}" -ge 8 ] || tl_fail "wait queue peak ${peak:-none}, bound 12"
[ "${full:-0}" -ge 1 ] || tl_fail "the full wait queue never answered TASK SET FULL"
[ "$waiting" = 0 ] && [ "$used" = 0 ] || tl_fail "after the cases: $waiting waiting, $used pool bytes held"
[ "$limit" = 1048576 ] || tl_fail "pool_limit $limit"

tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
