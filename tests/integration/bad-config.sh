#!/bin/bash
# A bad configuration: mtgtd exits 1 with a message naming the bad field, and
# leaves no process behind.
. "$(dirname "$0")/../lib/target.sh"
tl_init bad-config 3349

n=0
# field-regexp config-json
bad() {
	local want=$1 cfg=$TL_DIR/bad$n.json out rc pid i
	n=$((n + 1))
	printf '%s\n' "$2" >"$cfg"
	"$TL_BIN/mtgtd" -c "$cfg" -f >"$TL_DIR/out$n.log" 2>&1 &
	pid=$!
	for ((i = 0; i < $(tl_secs 10) * 10; i++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid
		wait $pid
		tl_fail "config $n (want an error about $want) was accepted: $(cat "$cfg")"
	fi
	wait $pid
	rc=$?
	out=$(cat "$TL_DIR/out$n.log")
	[ $rc = 1 ] || tl_fail "config $n: exit status $rc, want 1; output: $out"
	echo "$out" | grep -q -i -E "$want" || tl_fail "config $n: message does not name '$want': $out"
	tl_log "config $n rejected: $(echo "$out" | head -1)"
	# nothing spawned must survive: no process may have that config open
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -F -- "$cfg"; then
			tl_fail "config $n: process ${p#/proc/} still runs with it"
		fi
	done
}

S=$TL_DIR/mtgtd.sock
P=127.0.0.1:$TL_PORT
T=iqn.2026-11.org.example:store
LUN='{"lun": 0, "backend": "ram", "size": "16M", "block_size": 512}'
ok_target="{ \"name\": \"$T\", \"luns\": [ $LUN ], \"initiators\": [\"*\"] }"

bad 'json|parse|syntax' '{ "admin_socket": '
bad 'portals' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": \"not-a-list\", \"targets\": [ $ok_target ] }"
bad 'portals|address|port' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"127.0.0.1:99999\"], \"targets\": [ $ok_target ] }"
bad 'backend' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ {\"lun\": 0, \"backend\": \"floppy\", \"size\": \"16M\"} ], \"initiators\": [\"*\"] } ] }"
bad 'size' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ {\"lun\": 0, \"backend\": \"ram\", \"size\": \"12Q\"} ], \"initiators\": [\"*\"] } ] }"
bad 'block_size' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ {\"lun\": 0, \"backend\": \"ram\", \"size\": \"16M\", \"block_size\": 1000} ], \"initiators\": [\"*\"] } ] }"
bad 'name' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"luns\": [ $LUN ], \"initiators\": [\"*\"] } ] }"
bad 'initiators' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ $LUN ], \"initiators\": \"everyone\" } ] }"
bad 'lun' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ {\"lun\": -4, \"backend\": \"ram\", \"size\": \"16M\"} ], \"initiators\": [\"*\"] } ] }"
bad 'path' "{ \"admin_socket\": \"$S\", \"state_dir\": \"$TL_DIR/st\", \"portals\": [\"$P\"], \"targets\": [ { \"name\": \"$T\", \"luns\": [ {\"lun\": 0, \"backend\": \"file\", \"size\": \"16M\"} ], \"initiators\": [\"*\"] } ] }"

# A config file that does not exist.
"$TL_BIN/mtgtd" -c "$TL_DIR/none.json" -f >"$TL_DIR/none.log" 2>&1 &
pid=$!
for ((i = 0; i < $(tl_secs 10) * 10; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -KILL $pid; tl_fail "a missing config file was accepted"; }
wait $pid
rc=$?
[ $rc = 1 ] || tl_fail "missing config file: exit status $rc, want 1: $(cat "$TL_DIR/none.log")"

# The port of the rejected configs was never bound.
tl_portal_open && tl_fail "port $TL_PORT is open after rejected configs"
tl_pass
