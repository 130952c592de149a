#!/bin/bash
# CHAP and login security of mtgt-iscsi (ports 3370-3372 + TEST_PORT_OFFSET).
#  1. The frontend under the fake core (tests/helpers/iscsi_fake_core.c), CHAP
#     from FAKE_CONFIG: libiscsi one-way and mutual CHAP with right and wrong
#     secrets, discovery CHAP, then chap_raw.py (SHA-256/SHA3-256, base64,
#     reflection, hidden vs missing targets); no secret in the log.
#  2. A second fake-core target with auth_fail_burst 3: the rate limit.
#  3. Bad CHAP configs handed straight to the frontend are refused.
# chap-mtgtd.sh covers the same through mtgtd and its config file.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TL_BIN:-$ROOT/build/bin}
OFF=${TEST_PORT_OFFSET:-0}
P1=$((3370 + OFF)) P2=$((3371 + OFF)) P3=$((3372 + OFF))
T=iqn.2026-11.org.mtgt:test
HIDDEN=iqn.2026-11.org.mtgt:hidden
SLOW=1
[ "${SAN:-0}" = 1 ] && SLOW=3
DIR=$(mktemp -d /tmp/mtgt-test.chap.XXXXXX)
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
	if "$@" >>"$DIR/out.log" 2>&1; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fail=1
	fi
}
# login must fail (exit 2) with a message matching $2
refused() { # description pattern command...
	local what=$1 pat=$2 out rc
	shift 2
	out=$(timeout $((15 * SLOW)) "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && echo "$out" | grep -q -- "$pat"; then
		echo "ok   $what"
	else
		echo "FAIL $what (exit $rc: $out)"
		fail=1
	fi
}

start_fake() { # port log config-json
	FAKE_CONFIG=$3 "$BIN/test-iscsi-fakecore" "$1" "$BIN/mtgt-iscsi" >"$2" 2>&1 &
	pids+=($!)
	for _ in $(seq $((50 * SLOW))); do
		grep -q "ctl READY" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL target on $1 did not start: $(tail -3 "$2")"
	fail=1
	return 1
}

CFG='{"targets":[{"name":"'$T'","chap":{"user":"alice","secret":"alice-secret-1",
 "mutual_user":"tgt-auth","mutual_secret":"target-secret-2"}},
 {"name":"'$HIDDEN'","chap":{"user":"alice","secret":"alice-secret-1"}}],
 "discovery_chap":{"user":"disco","secret":"discovery-secret-3"},"auth_fail_burst":100}'
L="$BIN/test-chap-login"
echo "== frontend with CHAP under the fake core (port $P1)"
if start_fake $P1 "$DIR/fake1.log" "$CFG"; then
	check "one-way CHAP (libiscsi, MD5)" timeout $((15 * SLOW)) $L -u alice -p alice-secret-1 127.0.0.1:$P1 $T
	check "one-way CHAP through the URL (iscsi-inq)" \
		timeout $((15 * SLOW)) iscsi-inq "iscsi://alice%alice-secret-1@127.0.0.1:$P1/$T/0"
	check "mutual CHAP" timeout $((15 * SLOW)) \
		$L -u alice -p alice-secret-1 -U tgt-auth -P target-secret-2 127.0.0.1:$P1 $T
	refused "wrong secret: authentication failure (0x0201)" "(513)" \
		$L -u alice -p alice-secret-X 127.0.0.1:$P1 $T
	refused "wrong user: 0x0201" "(513)" $L -u bob -p alice-secret-1 127.0.0.1:$P1 $T
	refused "no CHAP at all: 0x0201" "(513)" $L 127.0.0.1:$P1 $T
	refused "mutual CHAP, initiator expects another target secret" "CHAP_R" \
		$L -u alice -p alice-secret-1 -U tgt-auth -P not-the-secret 127.0.0.1:$P1 $T
	refused "mutual CHAP, initiator expects another target user" "CHAP" \
		$L -u alice -p alice-secret-1 -U someone -P target-secret-2 127.0.0.1:$P1 $T
	refused "hidden target with the right secret: not found (0x0203)" "(515)" \
		$L -u alice -p alice-secret-1 127.0.0.1:$P1 $HIDDEN
	refused "missing target: not found (0x0203)" "(515)" \
		$L -u alice -p alice-secret-1 127.0.0.1:$P1 iqn.2026-11.org.mtgt:nothing
	check "target without CHAP still open" timeout $((15 * SLOW)) $L 127.0.0.1:$P1 iqn.2026-11.org.mtgt:second
	check "discovery CHAP lists the targets" bash -c \
		"timeout $((15 * SLOW)) $L -u disco -p discovery-secret-3 127.0.0.1:$P1 | grep -q 'target $T'"
	refused "discovery without CHAP: 0x0201" "(513)" $L 127.0.0.1:$P1
	refused "discovery with a wrong secret: 0x0201" "(513)" $L -u disco -p discovery-secret-X 127.0.0.1:$P1
	refused "discovery asking for mutual CHAP (none configured): 0x0201" "(513)" \
		$L -u disco -p discovery-secret-3 -U x -P yyyyyyyyyyyyyy 127.0.0.1:$P1
	check "raw PDUs: SHA3-256/SHA-256/MD5, base64, mutual, reflection, hidden targets" \
		timeout $((60 * SLOW)) python3 "$ROOT/tests/integration/chap_raw.py" 127.0.0.1 $P1 $T \
		alice alice-secret-1 tgt-auth target-secret-2 $HIDDEN
	check "I/O after CHAP login" timeout $((60 * SLOW)) "$BIN/test-initiator" -s 1M writeverify \
		"iscsi://alice%alice-secret-1@127.0.0.1:$P1/$T/0"
	kill -USR2 "${pids[0]}"
	sleep 0.5
	check "CTL_STATS counts authentication failures" grep -q '"auth_failures":[1-9]' "$DIR/fake1.log"
	check "failures are logged with a reason" grep -q "authentication failed: wrong CHAP user name or response" "$DIR/fake1.log"
	check "reflection is logged" grep -q "reflection" "$DIR/fake1.log"
	check "no secret in the log" bash -c "! grep -a -q -e alice-secret -e target-secret -e discovery-secret '$DIR/fake1.log'"
	check "no sanitizer reports" bash -c "! grep -a -q 'Sanitizer\|runtime error' '$DIR/fake1.log'"
fi

echo "== failed-login rate limit (port $P2, auth_fail_burst 3)"
if start_fake $P2 "$DIR/fake2.log" '{"targets":[{"name":"'$T'","chap":{"user":"alice","secret":"alice-secret-1"}}],"auth_fail_burst":3,"auth_fail_block_max":2}'; then
	check "rate limit" timeout $((60 * SLOW)) python3 "$ROOT/tests/integration/chap_raw.py" 127.0.0.1 $P2 $T \
		alice alice-secret-1 x x $HIDDEN --ratelimit 3
	check "blocked logins are logged" grep -q "too many failed logins from this address" "$DIR/fake2.log"
fi

echo "== bad CHAP config is refused by the frontend"
for bad in '{"targets":[{"name":"'$T'","chap":{"user":"a","secret":"short"}}]}' \
	   '{"discovery_chap":{"user":"a","secret":"long-enough-1","mutual_user":"b","mutual_secret":"long-enough-1"}}' \
	   '{"discovery_chap":{"user":"a","secret":"long-enough-1","mutual_user":"b"}}' \
	   '{"chap_algorithms":["MD4"]}'; do
	FAKE_CONFIG=$bad timeout $((10 * SLOW)) "$BIN/test-iscsi-fakecore" $P3 "$BIN/mtgt-iscsi" >"$DIR/bad.log" 2>&1 &
	bp=$!
	pids+=($bp)
	for _ in $(seq $((50 * SLOW))); do
		grep -q -e "frontend exited" -e "ctl READY" "$DIR/bad.log" && break
		sleep 0.1
	done
	kill $bp 2>/dev/null
	wait $bp 2>/dev/null
	check "refused: $bad" bash -c "! grep -q 'ctl READY' '$DIR/bad.log' && grep -q 'config' '$DIR/bad.log'"
done

[ $fail = 0 ] && echo "PASS chap" || echo "FAIL chap"
exit $fail
