#!/bin/bash
# Live changes seen by an initiator whose session stays open throughout
# (test-admin-probe): LUN add / resize / delete raise REPORTED LUNS DATA HAS
# CHANGED and CAPACITY DATA HAS CHANGED, an ACL with its own LUN map and
# read-only access is enforced per initiator, losing access hides every LUN at
# once, and deleting a LUN under I/O leaves the target serving.
. "$(dirname "$0")/../lib/target.sh"
tl_init admin-live 3450

P=iqn.2026-11.org.mtgt:admin-probe
T=$TL_TARGET
cat >"$TL_DIR/mtgtd.json" <<EOC
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"], "start_backends": ["file", "null", "ram"],
  "targets": [ { "name": "$T",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M"},
                {"lun": 1, "backend": "null", "size": "1T"} ],
      "initiators": ["*"] } ] }
EOC
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
core=$(tl_pid core)
C="timeout 10 $TL_BIN/mtgtctl -s $TL_SOCK"

# the probe's own session: shown in full, then dropped
cat >"$TL_DIR/session.sh" <<EOS
tsih=\$($C --json session list | "$TL_PY" -c 'import json,sys
print([x["tsih"] for x in json.load(sys.stdin) if x["initiator"] == "$P"][0])') || exit 1
$C session show "\$tsih" | grep -q "max_recv_data_segment_length" || exit 2
$C session \$1 "\$tsih" >/dev/null
EOS
timeout 60 "$TL_BIN/test-admin-probe" -i "$P" "127.0.0.1:$TL_PORT" "$T" \
	tur:0 tur:0 luns \
	"run:sleep 1.2; $C --json session list | grep -q '\"initiator\": \"$P\"'" \
	"run:$C stats --count 1 | grep -q '^$T *0 '" \
	"run:$C lun add $T 2 --backend ram --size 32M >/dev/null" \
	tur:0 luns \
	"run:$C lun resize $T 0 128M >/dev/null" \
	tur:0 cap:0 \
	"run:$C acl add $T $P --map 7=2 --readonly >/dev/null" \
	tur:0 tur:7 luns write:7 read:7 \
	"run:$C acl del $T $P >/dev/null" \
	tur:0 luns write:0 \
	"run:$C acl del $T '*' >/dev/null" \
	luns tur:0 \
	"run:$C acl add $T '*' >/dev/null" \
	tur:0 "run:$C lun del $T 1 >/dev/null" tur:0 luns \
	"run:bash $TL_DIR/session.sh show" "run:bash $TL_DIR/session.sh drop" sleep:300 tur:0 \
	>"$TL_DIR/probe.out" 2>&1
rc=$?
cat "$TL_DIR/probe.out" >&2
[ $rc = 3 ] || tl_fail "probe exited $rc, want 3 (session dropped)"
tail -1 "$TL_DIR/probe.out" | grep -q "session: lost" || tl_fail "dropped session not lost"
# expected lines, in order
expect=(
	"tur 0: check 6/2900"     # power on
	"tur 0: good"
	"luns: 0 1"
	"run: 0"                  # session list shows the probe
	"run: 0"                  # stats lists LUN 0
	"run: 0"
	"tur 0: check 6/3f0e"     # REPORTED LUNS DATA HAS CHANGED
	"luns: 0 1 2"
	"run: 0"
	"tur 0: check 6/2a09"     # CAPACITY DATA HAS CHANGED
	"cap 0: 262144"
	"run: 0"
	"tur 0: check 5/2500"     # LUN 0 no longer visible to this initiator
	"tur 7: check 6/3f0e"
	"luns: 7"
	"write 7: check 7/2700"   # read-only for this initiator
	"read 7: good"
	"run: 0"
	"tur 0: check 6/3f0e"     # back to the "*" entry: all LUNs
	"luns: 0 1 2"
	"write 0: good"
	"run: 0"
	"luns:"                   # no ACL entry: nothing visible
	"tur 0: check 5/2500"
	"run: 0"
	"tur 0: check 6/3f0e"
	"run: 0"
	"tur 0: check 6/3f0e"
	"luns: 0 2"
	"run: 0"                  # session show
	"run: 0"                  # session drop
)
got=$(grep -v '^login\|^tur 0: failed\|^tur 0: status\|^session: lost' "$TL_DIR/probe.out")
want=$(printf '%s\n' "${expect[@]}" | sed 's/ *#.*//; s/ *$//')
[ "$got" = "$want" ] || tl_fail "initiator saw: $(diff <(echo "$want") <(echo "$got") | tr '\n' ';')"

# a removed target logs its sessions out
G=iqn.2026-11.org.example:gone
$C target add $G >/dev/null && $C lun add $G 0 --backend null --size 1G >/dev/null &&
	$C acl add $G '*' >/dev/null || tl_fail "setting up $G"
timeout 30 "$TL_BIN/test-admin-probe" "127.0.0.1:$TL_PORT" "$G" tur:0 tur:0 \
	"run:$C target del $G --force >/dev/null" sleep:300 tur:0 >"$TL_DIR/gone.out" 2>&1
rc=$?
cat "$TL_DIR/gone.out" >&2
[ $rc = 3 ] && grep -q "^tur 0: good" "$TL_DIR/gone.out" || tl_fail "session on a removed target not logged out (rc $rc)"

# a LUN deleted under I/O: the I/O ends (errors allowed), nothing restarts
tl_tio 6 -q 8 -s 16M -d 3 -k --woffset 16M --wsize 8M mixed "$(tl_url "" 2)" >"$TL_DIR/tio.log" 2>&1 &
tio=$!
sleep 1
$C lun del "$T" 2 >/dev/null || tl_fail "lun del under I/O refused"
wait $tio
tl_log "I/O on the deleted LUN: $(tail -1 "$TL_DIR/tio.log")"
[ "$(tl_pid core)" = "$core" ] || tl_fail "the core restarted"
grep -q "LUN 2 removed" "$TL_LOG" || tl_fail "core did not log the removal"
for ((i = 0; i < 50; i++)); do
	grep -q "backend-ram device [0-9]* released" "$TL_LOG" && break
	sleep 0.1
done
grep -q "backend-ram device [0-9]* released" "$TL_LOG" || tl_fail "ram device never released"
tl_tio 10 -s 4M writeverify "$(tl_url "" 0)" >"$TL_DIR/tio2.log" 2>&1 ||
	tl_fail "I/O on LUN 0 after the changes: $(tail -3 "$TL_DIR/tio2.log")"
tl_procs | awk '$5 != 0 { bad = 1 } END { exit bad }' || tl_fail "a process restarted: $(tl_procs | tr '\n' ';')"

tl_stop || tl_fail "stop failed"
tl_pass
