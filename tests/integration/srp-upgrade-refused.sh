#!/bin/bash
# Live upgrades of mtgt-srp whose new instance refuses the state it is
# handed (srp_handover_parse.c checks it as untrusted input), under the
# strict `steady` load (one login, every command GOOD, data verified): the
# initiator notices nothing.
# 1-5: the old instance spoils the state (test hook
#   MTGT_TEST_HANDOVER_CORRUPT=cycle: credits above the request limit, fds out
#   of order, a nexus id not below next_nexus, a memory region of length 0,
#   a truncated document): refused before anything is built.
# 6: a clean state, but the new binary cannot map the initiator's memory
#   regions (an address-space limit below what they need): refused in the
#   middle of adopting the channels, after sessions were built.
# Each time the new instance must refuse cleanly (never serve, read or
# disconnect what it adopted; "invalid state: <field>"), the supervisor kills
# it and rolls back, and the old instance, which still holds every
# connection, serves on. 7: a normal upgrade afterwards moves the channels.
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-upgrade-refused 3545

TPORT=0x00112233445566770011223344556677
IPORT=0x0000000000000000aabbccddeeff0006
SOCK=$TL_DIR/srp0.sock
INI=$TL_BIN/test-srp-ini
[ -x "$INI" ] || tl_fail "build/bin/test-srp-ini missing (make tests)"
# the hook exists only in the test build of the target (make tests)
TL_SERVER_BIN=$TL_ROOT/build/hooks/bin
[ -x "$TL_SERVER_BIN/mtgtd" ] || tl_fail "build/hooks/bin missing (make tests)"
# an address-space limit and ASan's shadow reservations do not mix
[ "${SAN:-0}" = 1 ] && { tl_log "skipped under SAN=1 (RLIMIT_AS)"; tl_pass; }
CTL() { timeout 60 "$TL_BIN/mtgtctl" -s "$TL_SOCK" "$@"; }

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "64M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
MTGT_TEST_HANDOVER_CORRUPT=cycle tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

secs=$(tl_secs 16)
timeout $(( secs + 60 )) "$INI" "$SOCK" "$TPORT" "$IPORT" steady "$secs" 8 \
	>"$TL_DIR/steady.log" 2>&1 &
pl=$!
TL_BG_PIDS+=($pl)
sleep "$(tl_secs 2)"
kill -0 $pl 2>/dev/null || tl_fail "load ended early: $(tail -3 "$TL_DIR/steady.log")"

old=$(tl_pid srp0)
for why in "channel credits above the request limit" "channel.fd" "session.nexus" \
	   "channel.conn" "not a handover"; do
	out=$(CTL --json proc upgrade srp0) && tl_fail "upgrade with a spoiled state succeeded: $out"
	grep -q '"state": "rolled_back"' <<<"$out" || tl_fail "spoiled state not rolled back: $out"
	grep -q "refused the state: invalid state: $why\"" <<<"$out" ||
		tl_fail "spoiled state not refused for $why: $out"
	[ "$(tl_pid srp0)" = "$old" ] || tl_fail "srp0 changed pid in a rollback"
	kill -0 $pl 2>/dev/null || tl_fail "load ended: $(tail -3 "$TL_DIR/steady.log")"
	tl_log "spoiled state refused: $why"
	sleep 0.5
done

# The old instance maps the initiator's regions (64 MiB + 1 MiB each
# channel); the new one starts without them. 32 MiB more than the old one
# has without its regions lets the new one start but not map a region.
old=$(tl_pid srp0)
vm=$(awk '/^VmSize:/ { print $2 }' "/proc/$old/status")
[ -n "$vm" ] || tl_fail "no VmSize of srp0 (pid $old)"
limit=$(( vm - 65 * 1024 + 32 * 1024 ))
cat >"$TL_DIR/mtgt-srp-small" <<SH
#!/bin/bash
ulimit -v $limit
exec "$TL_BIN/mtgt-srp" "\$@"
SH
chmod +x "$TL_DIR/mtgt-srp-small"
out=$(CTL --json proc upgrade srp0 --binary "$TL_DIR/mtgt-srp-small") &&
	tl_fail "upgrade with a state the new instance cannot adopt succeeded: $out"
grep -q '"state": "rolled_back"' <<<"$out" || tl_fail "not rolled back: $out"
grep -q 'refused the state: invalid state: a connection the transport refused' <<<"$out" ||
	tl_fail "not refused for the connection: $out"
[ "$(tl_pid srp0)" = "$old" ] || tl_fail "srp0 changed pid in a rollback"
tl_log "refused and rolled back: $(grep -o '"error": "[^"]*"' <<<"$out")"
sleep "$(tl_secs 1)"

# and a normal upgrade afterwards moves the channels
kill -0 $pl 2>/dev/null || tl_fail "load ended after the rollback: $(tail -3 "$TL_DIR/steady.log")"
out=$(CTL --json proc upgrade srp0) || tl_fail "upgrade after the rollback refused: $out"
grep -q '"state": "done"' <<<"$out" || tl_fail "upgrade after the rollback not done: $out"
[ "$(tl_pid srp0)" != "$old" ] || tl_fail "srp0 kept its pid after an upgrade"

wait $pl || tl_fail "the initiator saw the refused upgrade: $(tail -3 "$TL_DIR/steady.log")"
cat "$TL_DIR/steady.log" >&2
grep -q '^steady: .* 0 errors' "$TL_DIR/steady.log" || tl_fail "no summary from the initiator"
grep -q 'upgrade: invalid state: a connection the transport refused' "$TL_LOG" ||
	tl_fail "the new instance did not log its refusal"
[ "$(grep -c 'channels of [0-9]* sessions handed over' "$TL_LOG")" = 7 ] ||
	tl_fail "channels were not handed over 7 times (6 refused, then done)"
[ "$(grep -c 'upgrade: test hook: handing over a spoiled state' "$TL_LOG")" = 5 ] ||
	tl_fail "the test hook did not spoil 5 states"
! grep -q 'closing: target upgrading' "$TL_LOG" || tl_fail "a channel was ended by an upgrade"
tl_stop || tl_fail "stop"
tl_pass
