#!/bin/bash
# CHAP configured in mtgtd.json reaches the iSCSI frontend: one-way and mutual
# CHAP with libiscsi, wrong secrets refused with 0x0201, discovery CHAP, an
# initiator outside the ACL cannot tell the CHAP target from a missing one
# (0x0203 for both), a short secret is refused at load. Port 3373.
. "$(dirname "$0")/../lib/target.sh"
tl_init chap-mtgtd 3373

OK=iqn.2026-11.org.mtgt:chap-initiator
BAD=iqn.2026-11.org.mtgt:outsider
OPEN=iqn.2026-11.org.example:open
L="$TL_BIN/test-chap-login"
P=127.0.0.1:$TL_PORT
cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["$P"],
  "discovery_chap": { "user": "disco", "secret": "discovery-secret-3" },
  "chap_algorithms": ["SHA-256", "MD5"],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["$OK"],
      "chap": { "user": "alice", "secret": "alice-secret-1",
                "mutual_user": "store", "mutual_secret": "target-secret-2" } },
    { "name": "$OPEN",
      "luns": [ {"lun": 0, "backend": "ram", "size": "16M", "block_size": 512} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
tl_wait_ready || tl_fail "target not ready"

secs=$(tl_secs 15)
login() { timeout "$secs" "$L" "$@" 2>&1; }
# refused pattern args...: the login fails (exit 2) with that status
refused() {
	local pat=$1 out rc
	shift
	out=$(login "$@")
	rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q -- "$pat" || tl_fail "$* : exit $rc, want a login failure $pat: $out"
}

out=$(login -i "$OK" -u alice -p alice-secret-1 "$P" "$TL_TARGET") || tl_fail "one-way CHAP: $out"
out=$(login -i "$OK" -u alice -p alice-secret-1 -U store -P target-secret-2 "$P" "$TL_TARGET") ||
	tl_fail "mutual CHAP: $out"
refused "(513)" -i "$OK" -u alice -p alice-secret-X "$P" "$TL_TARGET"
refused "(513)" -i "$OK" "$P" "$TL_TARGET"
refused "CHAP_R" -i "$OK" -u alice -p alice-secret-1 -U store -P wrong-target-secret "$P" "$TL_TARGET"
# the ACL comes first: an outsider learns nothing, even with the right secret
refused "(515)" -i "$BAD" -u alice -p alice-secret-1 "$P" "$TL_TARGET"
refused "(515)" -i "$BAD" -u alice -p alice-secret-1 "$P" iqn.2026-11.org.example:missing
out=$(login -i "$BAD" "$P" "$OPEN") || tl_fail "target without CHAP: $out"
# discovery
out=$(login -i "$OK" -u disco -p discovery-secret-3 "$P") || tl_fail "discovery CHAP: $out"
echo "$out" | grep -q "target $TL_TARGET" || tl_fail "discovery CHAP: $TL_TARGET not listed: $out"
out=$(login -i "$BAD" -u disco -p discovery-secret-3 "$P") || tl_fail "discovery CHAP (outsider): $out"
echo "$out" | grep -q "target $TL_TARGET" && tl_fail "discovery shows $TL_TARGET to an outsider: $out"
refused "(513)" -i "$OK" "$P"
refused "(513)" -i "$OK" -u disco -p discovery-secret-X "$P"
# I/O after a CHAP login
tl_tio 60 -i "$OK" -s 4M writeverify "iscsi://alice%alice-secret-1@$P/$TL_TARGET/0" \
	>"$TL_DIR/tio.log" 2>&1 || tl_fail "I/O after CHAP login: $(tail -3 "$TL_DIR/tio.log")"
grep -q "CHAP SHA-256, MD5\|algorithms SHA-256,MD5" "$TL_LOG" || tl_fail "configured algorithm order not in the log"
grep -q "authentication failed" "$TL_LOG" || tl_fail "failures not logged"
grep -a -q -e alice-secret -e target-secret -e discovery-secret "$TL_LOG" && tl_fail "a secret appears in the log"

tl_stop || tl_fail "stop failed"
[ "$TL_EXIT" = 0 ] || tl_fail "mtgtd exit status $TL_EXIT"

# a secret shorter than 12 bytes is refused at load, without quoting it
sed 's/"alice-secret-1"/"short-1"/' "$TL_DIR/mtgtd.json" >"$TL_DIR/short.json"
out=$(timeout "$(tl_secs 10)" "$TL_BIN/mtgtd" -c "$TL_DIR/short.json" -f 2>&1)
rc=$?
[ $rc = 1 ] || tl_fail "short secret: exit $rc, want 1: $out"
echo "$out" | grep -q -i "secret" || tl_fail "short secret: message does not say so: $out"
echo "$out" | grep -q "short-1" && tl_fail "short secret: the message quotes the secret: $out"
tl_pass
