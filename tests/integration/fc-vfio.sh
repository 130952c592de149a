#!/bin/bash
# An FC port on the vfio driver where it cannot run: this machine has no
# /dev/vfio (no IOMMU / vfio-pci), and even where it has, no HBA firmware
# interface is implemented. mtgt-fc says why ("no /dev/vfio", or the PCI
# device / firmware reason), exits as unavailable when it has no other port,
# the supervisor does not restart it or escalate, and the rest of the
# target serves iSCSI as usual. mtgt-fc got an RLIMIT_MEMLOCK of at least
# its arena (VFIO pins the pool it maps for DMA). The case with an FCoE
# port beside a vfio one is in fc-fcoe.sh (the FCoE port serves every case).
. "$(dirname "$0")/../lib/target.sh"
tl_init fc-vfio 3501

cat >"$TL_DIR/mtgtd.json" <<JSON
{ "admin_socket": "$TL_SOCK",
  "state_dir": "$TL_DIR/state",
  "portals": ["127.0.0.1:$TL_PORT"],
  "fc": [ { "driver": "vfio", "pci": "0000:7f:1f.7", "wwpn": "0x2000001b32aa00f1",
            "wwnn": "0x2000001b32aa00f0", "target": "$TL_TARGET" } ],
  "targets": [
    { "name": "$TL_TARGET",
      "luns": [ {"lun": 0, "backend": "null", "size": "1G"} ],
      "initiators": ["*"] } ] }
JSON
tl_start "$TL_DIR/mtgtd.json"
for ((i = 0; i < $(tl_secs 50); i++)); do
	[ "$(tl_proc_field fc0 state)" = failed ] && break
	sleep 0.1
done
[ "$(tl_proc_field fc0 state)" = failed ] || tl_fail "fc0 not reported unavailable: $(tl_procs | tr '\n' ';')"
if [ -e /dev/vfio/vfio ]; then
	# VFIO exists here: the made-up PCI address is what is missing
	grep -q "fc port 0 not served" "$TL_LOG" || tl_fail "no 'fc port 0 not served' in the log"
else
	grep -q "fc port 0 (vfio 2000001b32aa00f1): no /dev/vfio on this machine" "$TL_LOG" ||
		tl_fail "no 'no /dev/vfio' message in the log"
fi
grep -q "no FC port can run on this machine" "$TL_LOG" || tl_fail "mtgt-fc did not say why it exits"
grep -q "fc0: transport not available on this machine" "$TL_LOG" || tl_fail "supervisor did not say why"
for p in core iscsi0 backend-null; do
	[ "$(tl_proc_field $p state)" = running ] || tl_fail "$p not running"
done
tl_portal_open || tl_fail "iSCSI portal closed"
sleep "$(tl_secs 2)"
[ "$(tl_proc_field fc0 restarts)" = 0 ] || tl_fail "fc0 was restarted"
[ "$(tl_proc_field core restarts)" = 0 ] || tl_fail "escalated: the core restarted"
timeout 10 "$TL_BIN/test-initiator" inquiry "$(tl_url "" 0)" >/dev/null 2>&1 ||
	timeout 10 iscsi-inq "$(tl_url "" 0)" >/dev/null 2>&1 || tl_fail "iSCSI INQUIRY failed"
tl_log "fc0: $(grep -o 'fc port 0 (vfio[^)]*): [^(]*' "$TL_LOG" | head -1)"
tl_log_clean || tl_fail "sanitizer report or sandbox kill in the log"
tl_stop || tl_fail "stop failed"

# a bad vfio port config is refused at load time with a clear error
sed 's/"pci": "0000:7f:1f.7"/"pci": "0000:7f:1f.7", "interface": "eth0"/' "$TL_DIR/mtgtd.json" \
	>"$TL_DIR/bad.json"
out=$(timeout 10 "$TL_BIN/mtgtd" -c "$TL_DIR/bad.json" -f 2>&1) && tl_fail "bad vfio config accepted"
echo "$out" | grep -q "fc\[0\].interface: an FCoE key, not for a vfio port" ||
	tl_fail "bad vfio config: unclear error: $out"
tl_pass
