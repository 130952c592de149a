#!/bin/bash
# Every child runs sandboxed (docs/security.md): /proc/PID/status shows a
# seccomp filter, no_new_privs, no capabilities in any set and, when the suite
# runs as root, a non-root uid. The frontend maps only its own pool arena and
# holds no pool fd. Then each process kind is made (test hook, SIGRTMIN+1..3)
# to open a file, connect a socket or exec: the kernel kills it with SIGSYS,
# the log names the system call, the supervisor restarts it, and I/O through
# the processes not hit keeps going without an error.
. "$(dirname "$0")/../lib/target.sh"
tl_init sandbox 3396

# The hooks exist only in the test build (build/hooks/bin, `make tests`); the
# programs `make run` starts have none.
TL_SERVER_BIN=$TL_ROOT/build/hooks/bin
[ -x "$TL_SERVER_BIN/mtgtd" ] || tl_fail "build/hooks/bin missing (make tests)"
for p in mtgt-core mtgt-iscsi mtgt-backend-file; do
	grep -q -a MTGT_SANDBOX_TEST "$TL_SERVER_BIN/$p" || tl_fail "$p of the test build has no hook"
	! grep -q -a MTGT_SANDBOX_TEST "$TL_BIN/$p" || tl_fail "build/bin/$p has the test hook compiled in"
done
export MTGT_SANDBOX_TEST=1
TL_SANDBOX_KILLS_EXPECTED=1
tl_config_simple >"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
L=$TL_DIR/tio.log

status_field() { # pid field
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"
}

check_sandboxed() { # name
	local pid f v
	pid=$(tl_pid "$1")
	[ "${pid:-0}" -gt 0 ] 2>/dev/null || tl_fail "no $1 process: $(tl_procs | tr '\n' ';')"
	[ "$(status_field "$pid" Seccomp)" = 2 ] || tl_fail "$1: Seccomp $(status_field "$pid" Seccomp), want 2"
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ] || tl_fail "$1: NoNewPrivs not set"
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(status_field "$pid" $f)
		[ "$v" = 0000000000000000 ] || tl_fail "$1: $f $v, want none"
	done
	if [ "$(id -u)" = 0 ]; then
		v=$(status_field "$pid" Uid)
		[ "${v:-0}" != 0 ] || tl_fail "$1 runs as root"
	fi
	# no core dumps (the pool holds initiators' data), a bound on fds
	v=$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")
	[ "$v" = 0 ] || tl_fail "$1: core file size limit $v, want 0"
	v=$(awk '/^Max open files/ { print $5 }' "/proc/$pid/limits")
	[ "${v:-unlimited}" != unlimited ] && [ "$v" -le 16384 ] || tl_fail "$1: open files limit $v, want <= 16384"
	tl_log "$1 (pid $pid): seccomp filter, no_new_privs, no capabilities, uid $(status_field "$pid" Uid), at most $v fds"
}

for p in core iscsi0 backend-file backend-null backend-ram; do
	check_sandboxed $p
done

# The frontend's view of the pool: its own arena only, and no fd to map more.
fe=$(tl_pid iscsi0)
pool_kib() { # pid: KiB of the pool it maps
	"$TL_PY" -c '
import sys
s = 0
for line in open("/proc/%s/maps" % sys.argv[1]):
    if "memfd:mtgt-pool" in line:
        a, b = line.split()[0].split("-")
        s += int(b, 16) - int(a, 16)
print(s // 1024)' "$1"
}
pool_kib=$(pool_kib "$fe")
core_kib=$(pool_kib "$(tl_pid core)")
[ "${pool_kib:-0}" -gt 0 ] || tl_fail "frontend maps no pool arena"
[ "$pool_kib" -lt "$core_kib" ] || tl_fail "frontend maps $pool_kib KiB of the pool, the core $core_kib"
if ls -l "/proc/$fe/fd" | grep -q "memfd:mtgt-pool"; then
	tl_fail "frontend holds a pool fd"
fi
tl_log "frontend maps $pool_kib KiB of the $core_kib KiB pool and holds no pool fd"

# forbidden VICTIM ACTION SIGNAL SYSCALL LUN: kill VICTIM through the hook
# while I/O runs on LUN (through processes the victim is not); "-" for LUN
# checks I/O only afterwards.
forbidden() {
	local victim=$1 action=$2 sig=$3 call=$4 lun=$5 old new r0 r1 pm= errs
	old=$(tl_pid "$victim")
	r0=$(tl_proc_field "$victim" restarts)
	if [ "$lun" != - ]; then
		tl_tio 60 -d "$(tl_secs 4)" -k -s 16M -S 31 --woffset 16M --wsize 16M --wseed 32 -q 8 \
			-T 20 mixed "$(tl_url "" "$lun")" >"$TL_DIR/mixed-$victim.log" 2>&1 &
		pm=$!
		TL_BG_PIDS+=($pm)
		sleep "$(tl_secs 1)"
	fi
	tl_log "$victim (pid $old): attempt $action"
	kill -s "$sig" "$old" || tl_fail "cannot signal $victim"
	new=$(tl_wait_restarted "$victim" "$old" 15) ||
		tl_fail "$victim not restarted after $action: $(tl_procs | tr '\n' ';')"
	r1=$(tl_proc_field "$victim" restarts)
	[ "$r1" = $((r0 + 1)) ] || tl_fail "$victim restarts $r0 -> $r1, want +1"
	# the supervisor names the call from the kernel's audit record
	grep -q "$victim ended: killed by seccomp (SIGSYS): forbidden system call [0-9]* ($call)" "$TL_LOG" ||
		tl_fail "$victim: the supervisor did not log a seccomp kill of $call: $(grep "$victim ended" "$TL_LOG" | tail -1)"
	if [ -n "$pm" ]; then
		wait $pm || tl_fail "I/O on LUN $lun while $victim died: $(tail -3 "$TL_DIR/mixed-$victim.log")"
		errs=$(sed -n 's/.*verify: [0-9]* cmds \([0-9]*\) errors.*write: [0-9]* cmds \([0-9]*\) errors.*/\1 \2/p' \
			"$TL_DIR/mixed-$victim.log")
		[ -n "$errs" ] || tl_fail "no I/O summary: $(tail -3 "$TL_DIR/mixed-$victim.log")"
		[ "$errs" = "0 0" ] || tl_fail "I/O errors (verify, write) on LUN $lun while $victim died: $errs"
	fi
	tl_wait_ready || tl_fail "not every process runs after $victim's restart"
	check_sandboxed "$victim"
	tl_log "$victim killed for $call and restarted: pid $old -> $new"
}

# Region [0,16M) of the file and ram LUNs, read back after every kill.
tl_tio 60 -s 16M -q 16 -S 31 writeverify "$(tl_url "" 0)" >>"$L" 2>&1 || tl_fail "write LUN 0: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 31 writeverify "$(tl_url "" 2)" >>"$L" 2>&1 || tl_fail "write LUN 2: $(tail -3 "$L")"

forbidden backend-file open    RTMIN+1 openat  2
forbidden backend-ram  connect RTMIN+2 socket  0
forbidden backend-null exec    RTMIN+3 execve  2
forbidden iscsi0       connect RTMIN+2 socket  -
forbidden core         open    RTMIN+1 openat  -

tl_tio 60 -s 16M -q 16 -S 31 verify "$(tl_url "" 0)" >>"$L" 2>&1 || tl_fail "LUN 0 after the kills: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 31 verify "$(tl_url "" 2)" >>"$L" 2>&1 || tl_fail "LUN 2 after the kills: $(tail -3 "$L")"
tl_tio 60 -o 32M -s 8M -q 16 -S 33 writeverify "$(tl_url "" 0)" >>"$L" 2>&1 || tl_fail "new I/O: $(tail -3 "$L")"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

# --sandbox=log: a forbidden call is let through (to the audit log) and the
# process lives on; Landlock still refuses the TCP connect itself.
mv "$TL_LOG" "$TL_DIR/mtgtd-enforce.log"
tl_start "$TL_DIR/mtgtd.json" --sandbox=log
tl_wait_ready || tl_fail "target not ready with --sandbox=log"
old=$(tl_pid backend-ram)
[ "$(status_field "$old" Seccomp)" = 2 ] || tl_fail "log mode: no seccomp filter"
kill -s RTMIN+2 "$old"
sleep "$(tl_secs 1)"
[ "$(tl_pid backend-ram)" = "$old" ] || tl_fail "log mode: backend-ram was restarted"
grep -q "killed by seccomp" "$TL_LOG" && tl_fail "log mode: a process was killed"
tl_tio 60 -s 16M -q 16 -S 34 writeverify "$(tl_url "" 2)" >>"$L" 2>&1 || tl_fail "log mode I/O: $(tail -3 "$L")"
tl_log "log mode: backend-ram (pid $old) survived its forbidden socket()"
tl_stop || tl_fail "stop failed (log mode)"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT (log mode)"

# A kernel without Landlock (forced by a test hook): every child runs in an
# empty root of its own mount namespace instead, still seccomp-confined, and
# serves I/O.
mv "$TL_LOG" "$TL_DIR/mtgtd-log.log"
MTGT_SANDBOX_TEST_NO_LANDLOCK=1 tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready without Landlock"
for p in core iscsi0 backend-file backend-null backend-ram; do
	pid=$(tl_pid $p)
	root=$(readlink "/proc/$pid/root")
	[ "$root" = /run/mtgt-empty ] || tl_fail "$p without Landlock: root is $root, want /run/mtgt-empty"
	[ -z "$(ls -A "/proc/$pid/root/" 2>/dev/null)" ] || tl_fail "$p: its root is not empty"
	check_sandboxed $p
done
grep -q "sandbox: enforce (uid [0-9]*, empty root" "$TL_LOG" || tl_fail "no 'empty root' in the log"
tl_tio 60 -s 16M -q 16 -S 35 writeverify "$(tl_url "" 0)" >>"$L" 2>&1 || tl_fail "I/O without Landlock: $(tail -3 "$L")"
tl_log "without Landlock: every child in an empty root, I/O verified"
tl_stop || tl_fail "stop failed (no Landlock)"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT (no Landlock)"
tl_pass
