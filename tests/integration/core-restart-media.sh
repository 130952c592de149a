#!/bin/bash
# What the core state segment keeps besides reservations and unit attentions
# (core_media.c "media", core_sanitize.c "sanitize"), across SIGKILLs of the
# core, seen through sessions that stay logged in:
#  - a removable LUN: the prevention a session holds still refuses the eject
#    after a restart; after ALLOW the eject works, and the ejected medium is
#    still out after the next restart (MEDIUM NOT PRESENT) until loaded;
#  - a SANITIZE OVERWRITE (IMMED) paced over several seconds on a thin LUN is
#    still in progress after a restart (NOT READY, SANITIZE IN PROGRESS),
#    resumes from where it was (the log says so), is paused and resumed by a
#    live upgrade of the core, ends, and every block holds its pattern;
#  - a non-IMMED SANITIZE waiting for its job across a kill of the core ends
#    GOOD when the resumed job does (the frontend re-submits it).
. "$(dirname "$0")/../lib/target.sh"
tl_init core-restart-media 3403

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK", "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "restart": {"core": {"backoff_initial_ms": 1, "backoff_max_ms": 50,
                       "intensity": 1000, "period_s": 1}},
  "targets": [ { "name": "$TL_TARGET", "initiators": ["*"],
    "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/rm.img", "size": "16M", "removable": true},
              {"lun": 1, "backend": "file", "path": "$TL_DIR/th.img", "size": "8M", "thin": true} ] } ] }
JSON
# 8 MiB at 2 MiB/s: about 4 s of sanitize, across two kills
MTGT_CORE_SANITIZE_MIBS=2 tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

probe() { # log initiator lun steps...
	local log=$1 ini=$2 lun=$3
	shift 3
	timeout -k 5 "$(tl_secs 90)" "$TL_BIN/test-be-probe" -i "$ini" "$(tl_url "" "$lun")" "$@" >"$log" 2>&1
}
step_is() { # log step pattern what
	grep -q "^step $2 .*$3" "$1" || tl_fail "$4: $(grep "^step $2 " "$1" | cut -c1-200)"
}
reached() { # log step: wait (bounded) until the probe printed that step
	for _ in $(seq 200); do
		grep -q "^step $2 " "$1" && return 0
		sleep 0.05
	done
	tl_fail "the probe did not reach step $2: $(tail -2 "$1")"
}
kill_core() {
	local old
	old=$(tl_pid core)
	kill -KILL "$old"
	tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "core not back after kill"
}

# the sanitize first, so that it runs across both kills below
PAT=01000004deadbeef
probe "$TL_DIR/san.log" iqn.2026-11.org.mtgt:san 1 tur "cdb:48810000000000000800:out=$PAT" ||
	tl_fail "sanitize probe: $(tail -2 "$TL_DIR/san.log")"
step_is "$TL_DIR/san.log" 1 "status=0 " "SANITIZE IMMED refused"

M=$TL_DIR/media.log
probe "$M" iqn.2026-11.org.mtgt:media 0 tur \
	"cdb:1e0000000100" "wait:$TL_DIR/k1" \
	"cdb:1b0000000200" "cdb:1e0000000000" "cdb:1b0000000200" "wait:$TL_DIR/k2" \
	"cdb:000000000000" "cdb:1b0000000300" "cdb:000000000000" &
pm=$!
TL_BG_PIDS+=($pm)
reached "$M" 1
kill_core
touch "$TL_DIR/k1"
reached "$M" 5
kill_core
# the sanitize goes on: a new session finds it in progress
probe "$TL_DIR/san2.log" iqn.2026-11.org.mtgt:san 1 "cdb:000000000000" ||
	tl_fail "probe after the kills: $(tail -2 "$TL_DIR/san2.log")"
touch "$TL_DIR/k2"
wait $pm || tl_fail "media probe: $(tail -2 "$M")"
# a live upgrade meanwhile: the old core pauses the sanitize between two
# pieces to quiesce, the new one resumes it
old=$(tl_pid core)
timeout 10 "$TL_BIN/mtgtctl" -s "$TL_SOCK" proc upgrade core >/dev/null || tl_fail "upgrade refused"
tl_wait_restarted core "$old" 15 >/dev/null || tl_fail "upgrade: no new core"
for _ in $(seq 100); do
	grep -q "core upgrade done.*pid $old -> " "$TL_LOG" && break
	sleep 0.1
done
grep -q "core upgrade done.*pid $old -> " "$TL_LOG" || tl_fail "upgrade not done: $(grep -i upgrade "$TL_LOG" | tail -3)"
step_is "$M" 1 "status=0 " "PREVENT refused"
step_is "$M" 3 "sense=5/53/02" "the prevention did not survive the core restart"
step_is "$M" 4 "status=0 " "ALLOW refused"
step_is "$M" 5 "status=0 " "eject after ALLOW refused"
step_is "$M" 7 "sense=2/3a/00" "the ejected medium came back with the new core"
step_is "$M" 8 "status=0 " "load refused"
step_is "$M" 9 "status=0 " "TEST UNIT READY after the load"
grep -q "^step 0 .*sense=2/04/1b" "$TL_DIR/san2.log" ||
	tl_fail "no sanitize in progress after the restarts: $(cut -c1-200 "$TL_DIR/san2.log")"
grep -qE 'sanitize resumed at [1-9][0-9]* of' "$TL_LOG" ||
	tl_fail "the sanitize did not resume from its progress: $(grep -i sanitize "$TL_LOG" | tail -5)"
grep -q 'sanitize paused at' "$TL_LOG" && [ "$(grep -c 'sanitize resumed at' "$TL_LOG")" -ge 3 ] ||
	tl_fail "the upgrade did not pause and resume the sanitize: $(grep -i sanitize "$TL_LOG" | tail -5)"

# it ends (bounded), and every block holds the pattern
for i in $(seq 60); do
	probe "$TL_DIR/san3.log" iqn.2026-11.org.mtgt:san 1 "cdb:000000000000"
	grep -q "^step 0 .*status=0 " "$TL_DIR/san3.log" && break
	sleep 0.5
done
grep -q "^step 0 .*status=0 " "$TL_DIR/san3.log" || tl_fail "sanitize never ended: $(cut -c1-200 "$TL_DIR/san3.log")"
for lba in 0 4095 8191 16383; do
	probe "$TL_DIR/rd.log" iqn.2026-11.org.mtgt:san 1 tur \
		"cdb:8800000000000000$(printf '%04x' "$lba")000000010000:in=512" ||
		tl_fail "read $lba: $(tail -1 "$TL_DIR/rd.log")"
	grep "^step 1 " "$TL_DIR/rd.log" | grep -q "status=0 data=\(deadbeef\)\{128\}$" ||
		tl_fail "LBA $lba does not hold the pattern: $(grep '^step 1 ' "$TL_DIR/rd.log" | cut -c1-120)"
done

# a non-IMMED SANITIZE: the core is killed while the command waits for the
# job; the frontend re-submits it, it waits for the resumed job and ends with
# its outcome (GOOD), not with SANITIZE IN PROGRESS
PAT2=01000004cafef00d
nstart=$(grep -c 'sanitize (service action 01h' "$TL_LOG")
probe "$TL_DIR/san4.log" iqn.2026-11.org.mtgt:san 1 tur "cdb:48010000000000000800:out=$PAT2" &
p4=$!
TL_BG_PIDS+=($p4)
for _ in $(seq 100); do
	[ "$(grep -c 'sanitize (service action 01h' "$TL_LOG")" -gt "$nstart" ] && break
	sleep 0.05
done
[ "$(grep -c 'sanitize (service action 01h' "$TL_LOG")" -gt "$nstart" ] ||
	tl_fail "the non-IMMED SANITIZE did not start: $(tail -2 "$TL_DIR/san4.log")"
sleep 0.3
kill_core
wait $p4 || tl_fail "non-IMMED sanitize probe: $(tail -2 "$TL_DIR/san4.log")"
step_is "$TL_DIR/san4.log" 1 "status=0 " "the re-submitted non-IMMED SANITIZE"
grep -q 'the re-submitted SANITIZE waits for the resumed job' "$TL_LOG" ||
	tl_fail "the re-submitted SANITIZE did not wait for the job: $(grep -i sanitize "$TL_LOG" | tail -5)"
for lba in 0 16383; do
	probe "$TL_DIR/rd.log" iqn.2026-11.org.mtgt:san 1 tur \
		"cdb:8800000000000000$(printf '%04x' "$lba")000000010000:in=512" ||
		tl_fail "read $lba: $(tail -1 "$TL_DIR/rd.log")"
	grep "^step 1 " "$TL_DIR/rd.log" | grep -q "status=0 data=\(cafef00d\)\{128\}$" ||
		tl_fail "LBA $lba does not hold the second pattern: $(grep '^step 1 ' "$TL_DIR/rd.log" | cut -c1-120)"
done
tl_stop || tl_fail "stop failed"
tl_pass
