#!/bin/bash
# SendTargets discovery lists exactly the targets an initiator may log in to.
. "$(dirname "$0")/../lib/target.sh"
tl_init discovery 3341

H1=iqn.1993-08.org.debian:01:host1
H2=iqn.1993-08.org.debian:01:host2
H3=iqn.1993-08.org.debian:01:host3
H4=iqn.1993-08.org.debian:01:host4
TA=iqn.2026-11.org.example:alpha
TB=iqn.2026-11.org.example:beta
TC=iqn.2026-11.org.example:common

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TA", "luns": [ {"lun": 0, "backend": "null", "size": "1G"} ],
      "initiators": ["$H1"] },
    { "name": "$TB", "luns": [ {"lun": 0, "backend": "null", "size": "1G"} ],
      "initiators": ["$H2", "$H3"] },
    { "name": "$TC", "luns": [ {"lun": 0, "backend": "null", "size": "1G"} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

# Sorted target names iscsi-ls reports for initiator $1.
listed() {
	timeout "$(tl_secs 10)" iscsi-ls -i "$1" "iscsi://127.0.0.1:$TL_PORT" 2>"$TL_DIR/ls.err" |
		sed -n 's/^Target:\([^ ]*\) .*/\1/p' | sort | tr '\n' ' '
}
expect() { # initiator expected-targets...
	local ini=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(listed "$ini")
	[ "$got" = "$want" ] || tl_fail "$ini sees [${got% }], want [${want% }] ($(head -c 200 "$TL_DIR/ls.err"))"
}

expect "$H1" "$TA" "$TC"
expect "$H2" "$TB" "$TC"
expect "$H3" "$TB" "$TC"
expect "$H4" "$TC"

# Each portal line names our portal.
out=$(timeout "$(tl_secs 10)" iscsi-ls -i "$H1" "iscsi://127.0.0.1:$TL_PORT")
echo "$out" | grep -q "Portal:127.0.0.1:$TL_PORT" || tl_fail "portal missing in: $out"

# -s logs in to every listed target to show its LUNs: the ACL must let it.
out=$(timeout "$(tl_secs 10)" iscsi-ls -s -i "$H2" "iscsi://127.0.0.1:$TL_PORT" 2>&1) ||
	tl_fail "iscsi-ls -s failed: $out"
[ "$(echo "$out" | grep -c '^Lun:0 ')" = 2 ] || tl_fail "iscsi-ls -s: want a LUN 0 for each of 2 targets: $out"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
