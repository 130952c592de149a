#!/bin/bash
# Session-level features of mtgt-iscsi under the fake core
# (tests/helpers/iscsi_fake_core.c), ports 3380-3389 + TEST_PORT_OFFSET:
# NOP-In pings and dead initiators, the per-target session limit, login
# redirection, portal groups, the logout request at shutdown. The raw-PDU
# side is iscsi_session_raw.py; libiscsi checks that real initiators follow.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TL_BIN:-$ROOT/build/bin}
OFF=${TEST_PORT_OFFSET:-0}
P1=$((3380 + OFF)) P2=$((3381 + OFF)) P3=$((3382 + OFF)) P4=$((3383 + OFF)) P5=$((3384 + OFF)) P6=$((3385 + OFF))
T=iqn.2026-11.org.mtgt:test
T2=iqn.2026-11.org.mtgt:second
PY="python3 $ROOT/tests/integration/iscsi_session_raw.py"
SLOW=1
[ "${SAN:-0}" = 1 ] && SLOW=3
DIR=$(mktemp -d /tmp/mtgt-test.iscsi-session.XXXXXX)
fail=0
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ $fail = 0 ]; then rm -rf "$DIR"; else echo "logs kept in $DIR"; fi
}
trap cleanup EXIT

check() { # description command...
	local what=$1
	shift
	echo "== $what" >>"$DIR/out.log"
	if timeout $((60 * SLOW)) "$@" >>"$DIR/out.log" 2>&1; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		tail -5 "$DIR/out.log" | sed 's/^/     | /'
		fail=1
	fi
}

start_fake() { # port log config-json [env...]
	local port=$1 log=$2 cfg=$3
	shift 3
	env FAKE_CONFIG="$cfg" "$@" "$BIN/test-iscsi-fakecore" "$port" "$BIN/mtgt-iscsi" >"$log" 2>&1 &
	pids+=($!)
	LAST=$!
	for _ in $(seq $((50 * SLOW))); do
		grep -q "ctl READY" "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL target on $port did not start: $(tail -3 "$log")"
	fail=1
	return 1
}

echo "== NOP-In pings (port $P1)"
if start_fake $P1 "$DIR/nop.log" '{"nop_interval_s":1,"nop_timeout_s":2}'; then
	check "dead initiator dropped, live one kept" $PY nop 127.0.0.1 $P1 $T 1 2
	check "its nexus is dropped" grep -q "NEXUS_DEL 2" "$DIR/nop.log"
fi
if start_fake $P2 "$DIR/nop-off.log" '{"nop_interval_s":0}'; then
	check "nop_interval_s 0: no pings" $PY nop_off 127.0.0.1 $P2 $T 2
fi

echo "== per-target session limit (port $P3)"
if start_fake $P3 "$DIR/limit.log" '{"targets":[{"name":"'$T'","max_sessions":2}]}'; then
	check "max_sessions 2: the third login gets 0x0302" $PY max_sessions 127.0.0.1 $P3 $T 2 $T2
fi

echo "== login redirection (ports $P4 -> $P5)"
if start_fake $P5 "$DIR/redir-to.log" '{}' &&
   start_fake $P4 "$DIR/redir.log" '{"targets":[{"name":"'$T2'","redirect":{"address":"127.0.0.1:'$P5'","type":"temporary"}},
	{"name":"'$T'","redirect":{"address":"127.0.0.1:'$P5'","type":"permanent"}}]}'; then
	check "temporary: 0x0101 with TargetAddress" $PY redirect 127.0.0.1 $P4 $T2 127.0.0.1:$P5 0101
	check "permanent: 0x0102 with TargetAddress" $PY redirect 127.0.0.1 $P4 $T 127.0.0.1:$P5 0102
	check "libiscsi follows the redirection" bash -c "iscsi-inq iscsi://127.0.0.1:$P4/$T2/0 | grep -q FAKE-CORE-DISK"
	check "... and logged in where it was sent" grep -q "NEXUS_ADD .* -> $T2" "$DIR/redir-to.log"
fi

echo "== portal groups and IPv6 (ports $P6, $((P6 + 1)), [::1]:$((P6 + 2)))"
PG=$((P6 + 1)) P6V6=$((P6 + 2))
if start_fake $P6 "$DIR/portals.log" '{"targets":[{"name":"'$T'","portal_groups":[2]}]}' \
	FAKE_LISTENERS='[{"addr":"127.0.0.1:'$PG'","group":2},{"addr":"[::1]:'$P6V6'","group":1}]'; then
	check "SendTargets lists only visible portals, logins only there" \
		$PY portals 127.0.0.1 $P6 $T $T2 "127.0.0.1:$PG,2" "127.0.0.1:$P6,1;127.0.0.1:$PG,2;[::1]:$P6V6,1"
	check "libiscsi over IPv6 ([::1])" bash -c "iscsi-inq 'iscsi://[::1]:$P6V6/$T2/0' | grep -q FAKE-CORE-DISK"
	check "libiscsi discovery over IPv6" bash -c "iscsi-ls 'iscsi://[::1]:$P6V6/' | grep -q 'Target:$T2 Portal:\[::1\]:$P6V6,1'"
	check "libiscsi refused outside the target's groups" bash -c "! iscsi-inq 'iscsi://[::1]:$P6V6/$T/0' >/dev/null 2>&1"
fi

echo "== header digests required by policy (port $((P1 + 9)))"
if start_fake $((P1 + 9)) "$DIR/digest.log" '{"require_header_digest":1}'; then
	check "None skipped, a login without the digest refused" $PY digest_required 127.0.0.1 $((P1 + 9)) $T
	check "libiscsi (None,CRC32C) gets CRC32C" bash -c "iscsi-inq iscsi://127.0.0.1:$((P1 + 9))/$T/0 | grep -q FAKE-CORE-DISK &&
		grep -q 'digests CRC32C/None' '$DIR/digest.log'"
fi

echo "== shutdown asks initiators to log out (port $((P1 + 8)))"
if start_fake $((P1 + 8)) "$DIR/shutdown.log" '{"shutdown_logout_s":2}'; then
	check "AsyncEvent 1, Logout honoured, the rest dropped with AsyncEvent 2" \
		$PY shutdown 127.0.0.1 $((P1 + 8)) $T $LAST 2
	for _ in $(seq $((50 * SLOW))); do grep -q "frontend exited" "$DIR/shutdown.log" && break; sleep 0.1; done
	check "the frontend exits 0 afterwards" grep -q "frontend exited, status 0x0" "$DIR/shutdown.log"
fi

check "no sanitizer reports" bash -c "! grep -a -q -e Sanitizer -e 'runtime error' '$DIR'/*.log"

[ $fail = 0 ] && echo "PASS iscsi-session" || echo "FAIL iscsi-session"
exit $fail
