#!/bin/bash
# Logins to an unknown target, or by an initiator the target does not list,
# are refused; the allowed initiator still gets in.
. "$(dirname "$0")/../lib/target.sh"
tl_init login-refused 3345

OK=iqn.1993-08.org.debian:01:host1
BAD=iqn.1993-08.org.debian:01:intruder
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["$OK"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

out=$(timeout "$(tl_secs 10)" iscsi-inq -i "$OK" "$(tl_url "" 0)" 2>&1) ||
	tl_fail "the listed initiator was refused: $out"
out=$(timeout "$(tl_secs 10)" iscsi-inq -i "$BAD" "$(tl_url "" 0)" 2>&1)
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || tl_fail "unlisted initiator: iscsi-inq exit $rc: $out"
echo "$out" | grep -q -i "login" || tl_fail "unlisted initiator: not a login failure: $out"
out=$(timeout "$(tl_secs 10)" iscsi-inq -i "$OK" "$(tl_url iqn.2026-11.org.example:no-such-target 0)" 2>&1)
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || tl_fail "unknown target: iscsi-inq exit $rc: $out"
echo "$out" | grep -q -i "login" || tl_fail "unknown target: not a login failure: $out"
# libiscsi reports the login status class/detail: not found (0x0203) for an
# unknown target, authorization failure (0x0202) or not found for an ACL miss.
echo "$out" | grep -q -i "not found" || tl_log "note: unknown target answered: $out"

# Refused logins leave the target serving.
tl_tio 30 -i "$BAD" -s 1M capacity "$(tl_url "" 0)" >/dev/null 2>&1 &&
	tl_fail "test-initiator logged in as an unlisted initiator"
tl_tio 30 -i "$OK" -s 4M writeverify "$(tl_url "" 0)" >"$TL_DIR/tio.log" 2>&1 ||
	tl_fail "I/O after refused logins: $(tail -3 "$TL_DIR/tio.log")"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"
tl_pass
