#!/bin/bash
# ALUA: one target reached through two portal groups (two portals on
# 127.0.0.1); SET TARGET PORT GROUPS puts group 2 in standby and unavailable,
# reads there fail with the state's sense while group 1 keeps working
# (test-alua does the SCSI part). Then a config with group 2 starting in
# standby, and configs with bad "alua" keys refused at start.
. "$(dirname "$0")/../lib/target.sh"
tl_init alua 3410
P2=$((TL_PORT + 1))

config() { # alua-object
	cat <<EOF2
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT", {"address": "127.0.0.1:$P2", "group": 2}],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"]${1:+, \"alua\": $1} } ] }
EOF2
}

config "" >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
timeout 60 "$TL_BIN/test-alua" "127.0.0.1:$TL_PORT" "127.0.0.1:$P2" "$TL_TARGET" \
	>"$TL_DIR/alua.log" 2>&1 || tl_fail "$(tail -3 "$TL_DIR/alua.log")"
tl_log "$(grep -c '^ok' "$TL_DIR/alua.log") steps passed"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

# Group 2 configured in standby, group 1 preferred: reads through group 2
# fail from the start, through group 1 they work.
config '{"states": {"2": "standby"}, "preferred": [1], "transition_time": 10}' >"$TL_DIR/mtgtd.json"
: >"$TL_LOG"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready (standby config)"
tl_tio 30 -s 1M verify "iscsi://127.0.0.1:$P2/$TL_TARGET/0" >"$TL_DIR/sb.log" 2>&1 &&
	tl_fail "a read through the standby group succeeded"
grep -q -i "not ready\|standby\|0x040b\|04/0b" "$TL_DIR/sb.log" ||
	tl_fail "standby read failed for another reason: $(tail -2 "$TL_DIR/sb.log")"
tl_tio 30 -s 1M writeverify "$(tl_url "" 0)" >"$TL_DIR/a.log" 2>&1 ||
	tl_fail "group 1 with group 2 in standby: $(tail -2 "$TL_DIR/a.log")"
tl_stop || tl_fail "stop failed (standby config)"

# Bad "alua" keys: mtgtd refuses the config with a message naming the field.
for bad in '{"mode": "sideways"}' '{"states": {"3": "standby"}}' \
	   '{"states": {"2": "asleep"}}' '{"transition_time": 300}' '{"color": 1}'; do
	config "$bad" >"$TL_DIR/bad.json"
	out=$(timeout 10 "$TL_BIN/mtgtd" -c "$TL_DIR/bad.json" -f 2>&1)
	rc=$?
	[ $rc != 0 ] && grep -q "alua" <<<"$out" || tl_fail "config $bad accepted (rc $rc): $out"
done
tl_pass
