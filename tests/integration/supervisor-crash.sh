#!/bin/bash
# mtgtd killed with SIGKILL under I/O (as systemd's watchdog or a crash would):
# every child dies with it (PR_SET_PDEATHSIG from before exec, and EOF on the
# control socket), nothing of ours is left behind (no process holding one of
# its memfds as an fd or a mapping, nothing new in /dev/shm, no listener on the
# portal, the admin socket file dead), and a new mtgtd on the same config
# starts clean: the stale admin socket is replaced, the initiator's session
# comes back and data written before the crash is intact.
. "$(dirname "$0")/../lib/target.sh"
tl_init supervisor-crash 3476

shm_list() { ls -A /dev/shm 2>/dev/null | grep -i mtgt | sort; }
# inode numbers of the memfds (pool, links) mtgtd holds
our_memfds() {
	local f
	for f in /proc/$1/fd/*; do
		readlink "$f" 2>/dev/null | grep -q "memfd:mtgt" && stat -L -c %i "$f" 2>/dev/null
	done | sort -u
}
# processes still holding one of those memfds, as an fd or as a mapping
# (children map their links and close the fds)
leftovers() { # inode...
	local p f ino
	for p in /proc/[0-9]*; do
		for f in "$p"/fd/*; do
			readlink "$f" 2>/dev/null | grep -q "memfd:mtgt" || continue
			ino=$(stat -L -c %i "$f" 2>/dev/null)
			if [[ " $* " == *" $ino "* ]]; then
				echo "${p#/proc/} ($(cat "$p/comm" 2>/dev/null)): fd"
				break
			fi
		done
		awk '/memfd:mtgt/ { print $5 }' "$p/maps" 2>/dev/null | sort -u | while read -r ino; do
			[[ " $* " == *" $ino "* ]] && echo "${p#/proc/} ($(cat "$p/comm" 2>/dev/null)): mapping"
		done
	done | sort -u
}

tl_config_simple >"$TL_DIR/mtgtd.json"
shm_before=$(shm_list)
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
U=$(tl_url "" 0)
L=$TL_DIR/tio.log
tl_tio 60 -s 16M -q 16 -S 61 writeverify "$U" >>"$L" 2>&1 || tl_fail "initial write: $(tail -3 "$L")"
inodes=$(our_memfds "$TL_PID")
[ -n "$inodes" ] || tl_fail "no mtgt memfd found in mtgtd's fds"
[ -n "$(leftovers $inodes)" ] || tl_fail "the leftover scan sees no holder even while mtgtd runs"

# I/O that reconnects across the crash and the new supervisor
tl_tio 120 -d "$(tl_secs 10)" -k -s 16M -S 61 --woffset 16M --wsize 16M --wseed 62 -q 8 -T 20 \
	mixed "$U" >"$TL_DIR/mixed.log" 2>&1 &
pm=$!
TL_BG_PIDS+=($pm)
sleep "$(tl_secs 2)"
kids=$(tl_procs | awk '$3 > 0 { print $3 }')
[ "$(wc -w <<<"$kids")" -ge 3 ] || tl_fail "children: $kids"
tl_log "SIGKILL mtgtd $TL_PID under I/O (children: $(echo $kids))"
kill -KILL "$TL_PID"
wait "$TL_PID" 2>/dev/null
old_sup=$TL_PID
TL_PID=
for k in $kids; do
	tl_wait_gone "$k" 3 || tl_fail "child $k ($(cat /proc/$k/comm 2>/dev/null)) outlived its supervisor"
done
left=$(leftovers $inodes)
[ -z "$left" ] || tl_fail "processes still holding mtgt memfds: $left"
[ "$(shm_list)" = "$shm_before" ] || tl_fail "/dev/shm changed: $(shm_list)"
ss -Hltn "sport = :$TL_PORT" 2>/dev/null | grep -q . && tl_fail "the portal still listens after the crash"
if [ -S "$TL_SOCK" ]; then
	timeout 2 "$TL_BIN/mtgtctl" -s "$TL_SOCK" status >/dev/null 2>&1 &&
		tl_fail "the dead supervisor's admin socket still answers"
	tl_log "stale admin socket file left (a crash cannot unlink it); must not block a restart"
fi

tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready 20 || tl_fail "a new mtgtd did not start over the crashed one's leftovers"
[ "$TL_PID" != "$old_sup" ] || tl_fail "same pid?"
inodes2=$(our_memfds "$TL_PID")
wait $pm || tl_fail "I/O across the supervisor crash: $(tail -3 "$TL_DIR/mixed.log")"
grep -q " 0 miscompares" "$TL_DIR/mixed.log" || tl_fail "corruption across the crash: $(tail -2 "$TL_DIR/mixed.log")"
tl_log "across the crash: $(grep 'tio: mixed' "$TL_DIR/mixed.log")"
tl_tio 60 -s 16M -q 16 -S 61 verify "$U" >>"$L" 2>&1 || tl_fail "data after the crash: $(tail -3 "$L")"
tl_tio 60 -o 16M -s 16M -q 16 -S 62 verify "$U" >>"$L" 2>&1 || tl_fail "region rewritten across the crash: $(tail -3 "$L")"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
[ -e "$TL_SOCK" ] && tl_fail "a clean stop left the admin socket file"
left=$(leftovers $inodes2)
[ -z "$left" ] || tl_fail "leftovers after a clean stop: $left"
tl_pass
