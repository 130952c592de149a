#!/usr/bin/env bash
# Runs each fuzzer with the given libFuzzer limit; corpora live in build/fuzz/corpus.
# Prints PASS/FAIL per fuzzer; exit 1 if any found a crash.
set -u
limit=$1; shift
rc=0
for f in "$@"; do
  corpus=build/fuzz/corpus/$f
  mkdir -p "$corpus"
  seeds=tests/fuzz/seeds/$f
  args=("$corpus")
  [ -d "$seeds" ] && args+=("$seeds")
  # a harness may come with a dictionary of its format's tokens
  [ -f "tests/fuzz/$f.dict" ] && args=("-dict=tests/fuzz/$f.dict" "${args[@]}")
  if build/fuzz/$f "$limit" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=build/fuzz/ "${args[@]}" > build/fuzz/$f.log 2>&1; then
    echo "PASS fuzz $f ($(grep -o 'Done [0-9]* runs' build/fuzz/$f.log | tail -1))"
  else
    echo "FAIL fuzz $f: see build/fuzz/$f.log"; tail -20 build/fuzz/$f.log; rc=1
  fi
done
exit $rc
