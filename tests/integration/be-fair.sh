#!/bin/bash
# Per-LUN queue depth and fairness: an initiator keeping 64 reads queued and
# one reading one at a time share a LUN. With "queue_depth": 4 the greedy one
# gets TASK SET FULL beyond 4 queued commands (and backs off as Linux does),
# the LU's slots go round robin, and the polite one gets a fair share; the
# same pair on a LUN without a queue depth shows what it gets otherwise.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-fair 3443

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"], "heartbeat": {"interval_ms": 200, "timeout_ms": 10000},
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "null", "size": "1G"},
              {"lun": 1, "backend": "null", "size": "1G", "queue_depth": 4} ] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

run() { timeout -k 5 40 "$TL_BIN/test-be-fair" "$(tl_url "" "$1")" 3 64; }
free=$(run 0) || tl_fail "LUN without queue depth: $free"
fair=$(run 1) || tl_fail "LUN with queue depth 4: $fair"
tl_log "no queue depth: $free"
tl_log "queue depth 4:  $fair"
v() { echo "$1" | sed -n "s/.*\b$2=\([0-9]*\).*/\1/p"; }
[ "$(v "$fair" errors)" = 0 ] && [ "$(v "$free" errors)" = 0 ] || tl_fail "I/O errors: $free / $fair"
[ "$(v "$fair" tsf)" -gt 0 ] || tl_fail "queue depth 4 never answered TASK SET FULL: $fair"
[ "$(v "$free" tsf)" = 0 ] || tl_fail "TASK SET FULL without a queue depth: $free"
g=$(v "$fair" greedy) p=$(v "$fair" polite) g0=$(v "$free" greedy) p0=$(v "$free" polite)
[ "$g" -gt 0 ] && [ "$g0" -gt 0 ] || tl_fail "no I/O done"
# the polite initiator's share: at least 10% with the queue depth (1 of 5
# slots would be 20%), and at least twice what it gets without
[ $((p * 100 / (g + p))) -ge 10 ] || tl_fail "queue depth 4: polite share $((p * 100 / (g + p)))%: $fair"
[ $((p * (g0 + p0))) -ge $((2 * p0 * (g + p))) ] ||
	tl_fail "queue depth 4 does not help the polite initiator: $fair vs $free"
[ "$(v "$fair" polite_max_ms)" -lt $(tl_secs 2000) ] || tl_fail "polite initiator waited too long: $fair"
# the core counts them in its STATS (mtgtctl status, after a heartbeat)
for ((i = 0; i < 30; i++)); do
	n=$(tl_status_json | "$TL_PY" -c 'import json, sys
print(next((p.get("stats", {}).get("task_set_full", 0) for p in json.load(sys.stdin)["processes"] if p["kind"] == "core"), 0))')
	[ "${n:-0}" -ge "$(v "$fair" tsf)" ] && break
	sleep 0.2
done
[ "${n:-0}" -ge "$(v "$fair" tsf)" ] || tl_fail "core STATS task_set_full $n, the initiator saw $(v "$fair" tsf)"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
