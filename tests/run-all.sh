#!/bin/bash
# `make test`: every unit test program, every integration script and the short
# conformance run. Each program or script counts as one test. The last line
# printed is exactly "N passed, N failed"; the exit status is non-zero if any
# test failed.
#
#   TEST_FILTER=regexp   run only the tests whose name matches
#   SAN=1                the binaries are a sanitizer build (make test SAN=1):
#                        time bounds are stretched, sanitizer reports fail tests
#   TEST_VERBOSE=1       show the full output of failing tests, not the tail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
LOGS=$ROOT/build/test-logs
mkdir -p "$LOGS"
export SAN=${SAN:-0}
SLOW=1
[ "$SAN" = 1 ] && SLOW=3
# should the sanitizer build ever get a bin directory of its own
if [ "$SAN" = 1 ] && [ -x "$ROOT/build/san/bin/mtgtd" ]; then
	BIN=$ROOT/build/san/bin
	export TL_BIN=$BIN
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Programs in build/bin named test-* that are tools driven by the scripts,
# not unit tests.
NOT_UNIT=" test-initiator test-iscsi-io test-iscsi-fakecore test-chap-login test-alua test-be-probe test-no-uring test-be-fair test-admin-probe test-raw-initiator test-iscsi-scale test-srp-ini test-ring-scribble test-fc-ini "

passed=0
failed=0
failures=()

selected() { [ -z "${TEST_FILTER:-}" ] || [[ $1 =~ $TEST_FILTER ]]; }

# name seconds command...
run_one() {
	local name=$1 secs=$(( $2 * SLOW )) log=$LOGS/$1.log rc t0
	shift 2
	selected "$name" || return 0
	t0=$(date +%s)
	timeout -k 10 "$secs" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %-28s %4ds\n' "$name" $(( $(date +%s) - t0 ))
	else
		failed=$((failed + 1))
		failures+=("$name")
		[ $rc = 124 ] && echo "timed out after $secs s" >>"$log"
		printf 'FAIL %-28s %4ds (exit %d, log %s)\n' "$name" $(( $(date +%s) - t0 )) $rc "${log#$ROOT/}"
		if [ "${TEST_VERBOSE:-0}" = 1 ]; then
			sed 's/^/    | /' "$log"
		else
			tail -n 15 "$log" | sed 's/^/    | /'
		fi
	fi
}

echo "== unit tests"
found=0
for t in "$BIN"/test-*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[[ $NOT_UNIT == *" $n "* ]] && continue
	found=1
	run_one "$n" 120 "$t"
done
[ $found = 1 ] || echo "(no unit test programs in build/bin)"

echo "== integration tests"
for s in "$ROOT"/tests/integration/*.sh; do
	[ -f "$s" ] || continue
	run_one "$(basename "$s" .sh)" 300 bash "$s"
done

echo "== conformance (short)"
CONFORMANCE_SHORT=1 run_one conformance-short 300 bash "$ROOT/tests/conformance/run.sh"
if selected conformance-short && [ -f "$LOGS/conformance-short.log" ]; then
	grep -h '^conformance:' "$LOGS/conformance-short.log" | sed 's/^/    /'
fi
CONFORMANCE_READONLY=1 run_one conformance-readonly 120 bash "$ROOT/tests/conformance/run.sh"
CONFORMANCE_REMOVABLE=1 CONFORMANCE_MULTIPATH=1 run_one conformance-removable 120 bash "$ROOT/tests/conformance/run.sh"

echo "== soak and fuzz (short)"
run_one soak-short 180 env SOAK_SECONDS=20 bash "$ROOT/tests/soak/soak.sh"
run_one fuzz-short 600 make -C "$ROOT" --no-print-directory fuzz-short

if [ $failed -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in ${LOGS#$ROOT/}/)"
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
