#!/bin/bash
# docs/rpc.md and dist/mtgtctl.bash-completion are generated from the schema
# (common/rpc_schema.c); fail when someone changed the schema without `make
# docs`. Also: mtgtctl --help lists every method of the schema. Binds nothing.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TL_BIN:-$ROOT/build/bin}
fail() { echo "FAIL rpc-doc: $*"; exit 1; }
[ -x "$BIN/rpc-doc" ] || fail "$BIN/rpc-doc missing (make all)"
"$BIN/rpc-doc" --markdown | cmp -s - "$ROOT/docs/rpc.md" ||
	fail "docs/rpc.md is stale: run make docs"
"$BIN/rpc-doc" --bash | cmp -s - "$ROOT/dist/mtgtctl.bash-completion" ||
	fail "dist/mtgtctl.bash-completion is stale: run make docs"
bash -n "$ROOT/dist/mtgtctl.bash-completion" || fail "completion is not valid bash"
help=$("$BIN/mtgtctl" --help) || fail "mtgtctl --help"
for m in $(grep -o '^## [a-z.]*' "$ROOT/docs/rpc.md" | cut -c4-); do
	words=${m/./ }
	echo "$help" | grep -q "^  $words\b" || fail "mtgtctl --help does not list '$words'"
done
"$BIN/mtgtctl" lun --help | grep -q -- "--block-size" || fail "mtgtctl lun --help lacks --block-size"
echo "PASS rpc-doc"
