#!/bin/bash
# Supervisor, core, frontend and backends are separate processes, children
# of mtgtd, and core, frontend and backend map the same data pool memfd.
. "$(dirname "$0")/../lib/target.sh"
tl_init processes 3350

tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
# some I/O so that every part has done real work
tl_tio 30 -s 4M -S 41 writeverify "$(tl_url "" 0)" >"$TL_DIR/tio.log" 2>&1 || tl_fail "I/O: $(tail -3 "$TL_DIR/tio.log")"

procs=$(tl_procs)
tl_log "status: $(echo "$procs" | tr '\n' ';')"
core=$(tl_pid core)
fe=$(tl_pid iscsi)
bf=$(tl_pid backend-file)
bn=$(tl_pid backend-null)
br=$(tl_pid backend-ram)
for v in core fe bf bn br; do
	[ -n "${!v}" ] && [ "${!v}" -gt 0 ] 2>/dev/null || tl_fail "no pid for $v in: $(echo "$procs" | tr '\n' ';')"
done
all="$TL_PID $core $fe $bf $bn $br"
[ "$(echo $all | tr ' ' '\n' | sort -u | wc -l)" = 6 ] || tl_fail "pids are not distinct: $all"

ps -o pid,ppid,user,comm,args -p "$(echo $all | tr ' ' ,)" >"$TL_DIR/ps.txt" || tl_fail "ps failed"
cat "$TL_DIR/ps.txt" >&2
# comm of each process, and each child's parent is mtgtd
expect_comm() { # pid regexp
	local c
	c=$(cat "/proc/$1/comm" 2>/dev/null)
	echo "$c" | grep -q -E "$2" || tl_fail "pid $1 is '$c', want $2"
}
expect_comm "$TL_PID" '^mtgtd'
expect_comm "$core" '^mtgt-core'
expect_comm "$fe" '^mtgt-iscsi'
expect_comm "$bf" '^mtgt-backend-fi'
expect_comm "$bn" '^mtgt-backend-nu'
expect_comm "$br" '^mtgt-backend-ra'
for p in $core $fe $bf $bn $br; do
	pp=$(awk '{ print $4 }' "/proc/$p/stat")
	[ "$pp" = "$TL_PID" ] || tl_fail "pid $p has parent $pp, not mtgtd $TL_PID"
done

# memfd mappings as "dev:inode name" per process
memfds() { awk '$6 ~ /^\/memfd:/ { print $4 ":" $5, $6 }' "/proc/$1/maps" | sort -u; }
for p in $core $fe $bf; do
	memfds "$p" >"$TL_DIR/memfd.$p"
	[ -s "$TL_DIR/memfd.$p" ] || tl_fail "pid $p ($(cat /proc/$p/comm)) maps no memfd"
done
shared=$(comm -12 "$TL_DIR/memfd.$core" "$TL_DIR/memfd.$fe" | comm -12 - "$TL_DIR/memfd.$bf")
[ -n "$shared" ] || tl_fail "no memfd mapped by core, frontend and backend alike: core [$(cat "$TL_DIR/memfd.$core" | tr '\n' ' ')] fe [$(cat "$TL_DIR/memfd.$fe" | tr '\n' ' ')] be [$(cat "$TL_DIR/memfd.$bf" | tr '\n' ' ')]"
tl_log "shared memfds: $(echo "$shared" | tr '\n' ' ')"
echo "$shared" | grep -q -i pool || tl_log "note: no shared memfd is named like the pool: $shared"
# the supervisor keeps no mapping of the data path? (not required; report)
tl_log "mtgtd maps $(memfds "$TL_PID" | wc -l) memfd(s)"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
