#!/bin/bash
# An SRP port on the verbs transport where there is no RDMA device (the build
# machines): mtgt-srp says "no RDMA devices" and exits as unavailable, the
# supervisor does not restart or escalate, and the rest of the target serves
# iSCSI as usual. (Where RDMA devices exist this test would see srp0 run; it
# then only checks that the target is ready.)
. "$(dirname "$0")/../lib/target.sh"
tl_init srp-verbs 3492

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "srp": [ { "transport": "verbs", "port_id": "0x00112233445566770011223344556677",
             "target": "$TL_TARGET", "port": $(( 20000 + TL_PORT % 10000 )) } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "null", "size": "1G"} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
if ls /sys/class/infiniband/* >/dev/null 2>&1; then
	tl_wait_ready || tl_fail "target not ready"
	tl_stop || tl_fail "stop failed"
	tl_pass
fi
for ((i = 0; i < $(tl_secs 50); i++)); do
	[ "$(tl_proc_field srp0 state)" = failed ] && break
	sleep 0.1
done
[ "$(tl_proc_field srp0 state)" = failed ] || tl_fail "srp0 not reported unavailable: $(tl_procs | tr '\n' ';')"
grep -q "no RDMA devices" "$TL_LOG" || tl_fail "no 'no RDMA devices' message in the log"
grep -q "transport not available on this machine" "$TL_LOG" || tl_fail "supervisor did not say why"
# the rest serves: core, backend and iSCSI run
for p in core iscsi0 backend-null; do
	[ "$(tl_proc_field $p state)" = running ] || tl_fail "$p not running"
done
tl_portal_open || tl_fail "iSCSI portal closed"
sleep "$(tl_secs 2)"
[ "$(tl_proc_field srp0 restarts)" = 0 ] || tl_fail "srp0 was restarted"
[ "$(tl_proc_field core restarts)" = 0 ] || tl_fail "escalated: the core restarted"
timeout 10 "$TL_BIN/test-initiator" inquiry "$(tl_url "" 0)" >/dev/null 2>&1 ||
	timeout 10 iscsi-inq "$(tl_url "" 0)" >/dev/null 2>&1 || tl_fail "iSCSI INQUIRY failed"
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"

# A verbs port beside a soft one, the sandbox explicitly enforcing: the
# verbs port says "no RDMA devices" and is not served, mtgt-srp enters its
# sandbox (seccomp, Landlock or an empty root, user switch) and serves the
# soft port: logins, verified I/O, no sandbox kill, no restart.
SOCK=$TL_DIR/srp0.sock
TPORT=0x00112233445566770011223344556688
cat >"$TL_DIR/mixed.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "sandbox": { "mode": "enforce" },
  "srp": [ { "transport": "verbs", "port_id": "0x00112233445566770011223344556677",
             "target": "$TL_TARGET", "port": $(( 20000 + TL_PORT % 10000 )) },
           { "transport": "soft", "port_id": "$TPORT", "target": "$TL_TARGET",
             "path": "$SOCK" } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "file", "path": "$TL_DIR/disk0.img", "size": "64M", "block_size": 512},
                {"lun": 1, "backend": "null", "size": "1G"},
                {"lun": 2, "backend": "null", "size": "1G"} ],
      "initiators": ["*"] } ] }
JSON
lines0=$(wc -l <"$TL_LOG")
tl_start "$TL_DIR/mixed.json"
tl_wait_ready || tl_fail "mixed: target not ready: $(tl_procs | tr '\n' ';')"
pid=$(tl_pid srp0)
tail -n +$(( lines0 + 1 )) "$TL_LOG" >"$TL_DIR/mixed.log"
grep -q 'srp port 0 (verbs): no RDMA devices' "$TL_DIR/mixed.log" ||
	tl_fail "mixed: the verbs port did not say 'no RDMA devices'"
grep -q 'srp0\[[0-9]*\] info: sandbox: enforce .*seccomp srp profile' "$TL_DIR/mixed.log" ||
	tl_fail "mixed: mtgt-srp did not enter its sandbox: $(grep 'srp0.*sandbox' "$TL_DIR/mixed.log")"
timeout "$(tl_secs 60)" "$TL_BIN/test-srp-ini" "$SOCK" "$TPORT" 0x0000000000000000aabbccddeeff0005 basic \
	>"$TL_DIR/basic.log" 2>&1 || tl_fail "mixed: SRP I/O on the soft port: $(tail -3 "$TL_DIR/basic.log")"
[ "$(tl_pid srp0)" = "$pid" ] || tl_fail "mixed: mtgt-srp restarted"
[ "$(tl_proc_field srp0 state)" = running ] || tl_fail "mixed: srp0 not running"
tl_log_clean || tl_fail "mixed: sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "mixed: stop failed"
tl_pass
