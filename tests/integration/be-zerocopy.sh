#!/bin/bash
# Zero copy: after verified READ and WRITE traffic on a file LUN (io_uring)
# and a null LUN, no process copied a payload byte: bytes_copied in each
# one's CTL_STATS, summed as payload_bytes_copied in `mtgtctl status`, and
# logged when each exits. be-512e shows the counter going up when a bounce
# buffer is used.
. "$(dirname "$0")/../lib/target.sh"
tl_init be-zerocopy 3439

# heartbeats (and with them the STATS requests) every 200 ms
tl_config_simple | sed 's/^{ "admin_socket"/{ "heartbeat": {"interval_ms": 200, "timeout_ms": 10000}, "admin_socket"/' \
	>"$TL_DIR/mtgtd.json"
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"
L=$TL_DIR/tio.log
tl_tio 120 -s 32M -q 16 -c 256K -S 41 writeverify "$(tl_url "" 0)" >>"$L" 2>&1 ||
	tl_fail "file LUN: write/verify: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 42 write "$(tl_url "" 1)" >>"$L" 2>&1 ||
	tl_fail "null LUN: writes: $(tail -3 "$L")"
tl_tio 60 -s 16M -q 16 -S 0 verify "$(tl_url "" 1)" >>"$L" 2>/dev/null
# mtgtctl status: every process' counters and their sum (as of a heartbeat)
sleep 1
res=$(tl_status_json | "$TL_PY" -c '
import json, sys
d = json.load(sys.stdin)
st = {p["kind"]: p.get("stats", {}) for p in d["processes"]}
fb = st.get("backend-file", {})
bad = [k for k, v in st.items() if v.get("bytes_copied") != 0]
if d.get("payload_bytes_copied") != 0 or bad:
    print("copied:", d.get("payload_bytes_copied"), bad)
elif fb.get("bytes_written", 0) < 32 << 20 or fb.get("bytes_read", 0) < 32 << 20:
    print("stale backend stats", fb)
else:
    print("ok")')
[ "$res" = ok ] || tl_fail "mtgtctl status: $res"
tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

check() { # process-name-pattern
	local line
	line=$(grep -E "$1" "$TL_LOG" | grep -m1 "bytes_copied")
	[ -n "$line" ] || tl_fail "no bytes_copied report from $1"
	echo "$line" | grep -qE "bytes_copied 0\b" || tl_fail "payload copied: $line"
	# and it did serve I/O
	echo "$line" >&2
}
check "backend-file\["
check "core\["
check "iscsi0\["
grep "backend-file\[" "$TL_LOG" | grep "bytes_copied" | grep -qE "bytes read 0," &&
	tl_fail "the file backend read nothing"
tl_pass
