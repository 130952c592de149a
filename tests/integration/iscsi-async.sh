#!/bin/bash
# AsyncEvent 1 on request: the fake supervisor (test-iscsi-fakecore) sends
# CTL_SESSION_LOGOUT {"wait_s":1}; of two sessions, the one that logs out gets
# its Logout Response, the one that does not gets AsyncEvent 2 (CID,
# Time2Wait) about 3 s later and is closed. Driven by test-raw-initiator.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TL_BIN:-$ROOT/build/bin}
PORT=$((3422 + ${TEST_PORT_OFFSET:-0}))
DIR=$(mktemp -d /tmp/mtgt-test.iscsi-async.XXXXXX)
pid=
fail=0
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ $fail = 0 ]; then rm -rf "$DIR"; else echo "logs kept in $DIR"; fi
}
trap cleanup EXIT
"$BIN/test-iscsi-fakecore" "$PORT" "$BIN/mtgt-iscsi" >"$DIR/fake.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "ctl READY" "$DIR/fake.log" 2>/dev/null && break; sleep 0.1; done
if ! grep -q "ctl READY" "$DIR/fake.log"; then
	fail=1
	echo "FAIL iscsi-async: fake target did not start: $(tail -3 "$DIR/fake.log")"
	exit 1
fi
if RAWI_FAKECORE_PID=$pid timeout 60 "$BIN/test-raw-initiator" "127.0.0.1:$PORT" \
	iqn.2026-11.org.mtgt:test logout-req >"$DIR/rawi.log" 2>&1; then
	echo "PASS iscsi-async"
else
	fail=1
	cat "$DIR/rawi.log"
	tail -20 "$DIR/fake.log"
	echo "FAIL iscsi-async: $(grep -m 2 FAIL "$DIR/rawi.log" | tr '\n' ' ')"
	exit 1
fi
