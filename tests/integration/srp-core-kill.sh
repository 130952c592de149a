#!/bin/bash
# SIGKILL of the core, three times, then a live core upgrade, under SRP load with 8 commands in flight
# (direct, indirect and immediate data-out): mtgt-srp keeps its channels and
# sessions and re-submits to each new core what the dead one did not answer
# (MSG_FLAG_REPLAY), as mtgt-iscsi does. The initiator must notice nothing:
# one login for the whole run, every command GOOD (no unit attention), all
# data verified, mtgt-srp keeps its pid, and at least one kill found
# commands in flight that were re-submitted.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-core-kill 3493
KILLS=3

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0003
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "restart": { "core": { "backoff_initial_ms": 1, "backoff_max_ms": 50,
                         "intensity": 100, "period_s": 1 } },
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "null", "size": "1T"},
                {"lun": 2, "backend": "ram",  "size": "64M", "block_size": 4096} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
srp=$(tl_pid srp0)
secs=$(tl_secs $(( 6 + 3 * KILLS )))
timeout $(( secs + 60 )) "$INI" "$SOCK" "$TPORT" "$IPORT" steady "$secs" 8 \
	>"$TL_DIR/load.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"
for k in $(seq $KILLS); do
	kill -0 $pl 2>/dev/null || tl_fail "load ended early: $(tail -3 "$TL_DIR/load.log")"
	old=$(tl_pid core)
	tl_log "kill $k: SIGKILL core pid $old"
	kill -KILL "$old"
	# a second initiator logs in while the core is gone (its NEXUS_ADD
	# waits for the next core) and runs the basic case
	timeout "$(tl_secs 60)" "$INI" "$SOCK" "$TPORT" "0x0000000000000000aabbccddeeff010$k" basic \
		>"$TL_DIR/login$k.log" 2>&1 &
	pb=$!
	TL_BG_PIDS+=($pb)
	new=$(tl_wait_restarted core "$old" 20) || tl_fail "core not restarted: $(tl_procs | tr '\n' ';')"
	tl_log "core restarted: pid $old -> $new"
	tl_wait_ready || tl_fail "not every process runs after core restart $k"
	wait $pb || tl_fail "login across core kill $k: $(tail -3 "$TL_DIR/login$k.log")"
	sleep "$(tl_secs 2)"
done
# and a live upgrade of the core (its handover re-submits the same way)
old=$(tl_pid core)
timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" proc upgrade core >/dev/null || tl_fail "core upgrade refused"
tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "core upgrade: no new core"
for _ in $(seq 100); do
	grep -q "core upgrade done.*pid $old -> " "$TL_LOG" && break
	sleep 0.1
done
grep -q "core upgrade done.*pid $old -> " "$TL_LOG" || tl_fail "core upgrade not done"
tl_log "core upgraded live: pid $old -> $(tl_pid core)"
wait $pl
rc=$?
cat "$TL_DIR/load.log" >&2
[ $rc = 0 ] || tl_fail "SRP load across the core kills failed (the initiator saw it)"
grep -q '^steady: .* 0 errors' "$TL_DIR/load.log" || tl_fail "no summary from the initiator"
[ "$(tl_pid srp0)" = "$srp" ] || tl_fail "mtgt-srp changed pid $srp -> $(tl_pid srp0)"
resent=$(grep -o 'srp0\[[0-9]*\].*new core: [0-9]* requests sent again' "$TL_LOG" |
	sed 's/.*new core: \([0-9]*\) requests.*/\1/' | paste -sd+ | bc)
tl_log "requests re-submitted by mtgt-srp over $KILLS kills: ${resent:-none}"
[ "${resent:-0}" -gt 0 ] || tl_fail "no kill found SRP commands in flight: nothing was replayed"
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"
tl_pass
