#!/bin/bash
# scripts/mtgt-bind-vfio against a fake sysfs tree (never the real
# /sys/bus/pci): argument checks, refusals (no device, no IOMMU group,
# vfio-pci not loaded, a group member on another driver), the exact writes of
# --dry-run for bind, bind --group and unbind, and a real run into the fake
# tree, which writes the files and then fails honestly because no kernel
# rebinds anything there. Binds no port.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S=$ROOT/scripts/mtgt-bind-vfio
T=$(mktemp -d /tmp/mtgt-test.vfio-bind.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL vfio-bind: $*"; exit 1; }
SYS=$T/sys
P=$SYS/bus/pci

# a two-port QLogic HBA (two functions) and a PCIe port bridge in group 7,
# an Emulex HBA alone in group 9, a device with no IOMMU group
mkdir -p "$P/drivers/qla2xxx" "$P/drivers/lpfc" "$P/drivers/pcieport" "$P/drivers/vfio-pci" \
	"$SYS/kernel/iommu_groups/7/devices" "$SYS/kernel/iommu_groups/9/devices"
: >"$P/drivers_probe"
for d in qla2xxx lpfc pcieport vfio-pci; do : >"$P/drivers/$d/bind"; : >"$P/drivers/$d/unbind"; done
mkdev() { # addr driver group
	mkdir -p "$P/devices/$1"
	echo "(null)" >"$P/devices/$1/driver_override"
	[ "$2" = none ] || ln -s "../../drivers/$2" "$P/devices/$1/driver"
	[ "$3" = none ] && return
	ln -s "../../../../kernel/iommu_groups/$3" "$P/devices/$1/iommu_group"
	ln -s "../../../../bus/pci/devices/$1" "$SYS/kernel/iommu_groups/$3/devices/$1"
}
mkdev 0000:03:00.0 qla2xxx 7
mkdev 0000:03:00.1 qla2xxx 7
mkdev 0000:00:01.0 pcieport 7
mkdev 0000:05:00.0 lpfc 9
mkdev 0000:06:00.0 lpfc none
export MTGT_VFIO_STATE=$T/state

# run: expected-exit args...; output in $out
run() {
	local want=$1
	shift
	out=$(bash "$S" --sysfs "$SYS" "$@" 2>&1)
	local rc=$?
	[ $rc = "$want" ] || fail "mtgt-bind-vfio $* exited $rc, not $want: $out"
}
expect() { grep -qF -- "$1" <<<"$out" || fail "output lacks '$1': $out"; }

# arguments
run 2;                               expect "no command"
run 2 frobnicate 03:00.0;            expect "unknown command frobnicate"
run 2 bind;                          expect "no PCI address"
run 2 bind 03:00;                    expect "bad PCI address '03:00'"
run 2 bind 0000:03:20.0;             expect "bad PCI address"   # device 32
run 2 bind 0000:03:00.8;             expect "bad PCI address"   # function 8
run 2 bind ../../../etc:00.0;        expect "bad PCI address"
run 2 bind 03:00.0 03:00.1;          expect "too many arguments"
run 2 --bogus bind 03:00.0;          expect "unknown option --bogus"
run 2 bind 03:00.0 --sysfs;          expect "--sysfs needs a directory"
run 0 --help;                        expect "usage: mtgt-bind-vfio"
out=$(bash "$S" --sysfs "$T/nonexistent" bind 03:00.0 2>&1) && fail "a missing sysfs root passed"
grep -qF "no PCI bus under" <<<"$out" || fail "missing sysfs root: $out"

# refusals
run 1 bind 0000:04:00.0;             expect "no PCI device 0000:04:00.0"
run 1 --dry-run bind 06:00.0;        expect "has no IOMMU group"
run 1 --dry-run bind 03:00.0;        expect "IOMMU group 7 also holds 0000:03:00.1 (qla2xxx)"
grep -qF "pcieport" <<<"$out" && fail "the bridge was counted as a blocker: $out"

# dry run, one device alone in its group: exactly these writes, in order
run 0 -n bind 05:00.0
want="remember 0000:05:00.0 was on lpfc (in $T/state/0000:05:00.0)
write $P/devices/0000:05:00.0/driver_override <- vfio-pci
write $P/devices/0000:05:00.0/driver/unbind <- 0000:05:00.0
write $P/drivers_probe <- 0000:05:00.0"
[ "$out" = "$want" ] || fail "dry-run bind wrote
$out
instead of
$want"

# dry run with --group: both functions, the bridge left alone
run 0 --dry-run --group bind 0000:03:00.0
[ "$(grep -c '^write' <<<"$out")" = 6 ] || fail "bind --group: not 6 writes: $out"
expect "write $P/devices/0000:03:00.1/driver_override <- vfio-pci"
expect "write $P/devices/0000:03:00.1/driver/unbind <- 0000:03:00.1"
grep -qF "0000:00:01.0" <<<"$out" && fail "bind --group touched the bridge: $out"

# nothing was written by any dry run
[ -e "$T/state" ] && fail "a dry run created the state directory"
for f in "$P"/devices/*/driver_override; do
	[ "$(cat "$f")" = "(null)" ] || fail "a dry run wrote $f"
done
for f in "$P/drivers_probe" "$P"/drivers/*/bind "$P"/drivers/*/unbind; do
	[ -s "$f" ] && fail "a dry run wrote $f"
done

# status
run 0 status 03:00.0
expect "0000:03:00.0: driver qla2xxx, override (null), IOMMU group 7 (/dev/vfio/7)"
expect "group member 0000:03:00.1: driver qla2xxx"

# unbind of a device on vfio-pci whose original driver was recorded
rm "$P/devices/0000:05:00.0/driver"
ln -s ../../drivers/vfio-pci "$P/devices/0000:05:00.0/driver"
mkdir -p "$T/state" && echo lpfc >"$T/state/0000:05:00.0"
run 0 -n unbind 05:00.0
want="write $P/devices/0000:05:00.0/driver/unbind <- 0000:05:00.0
write $P/devices/0000:05:00.0/driver_override <- \"\"
write $P/drivers/lpfc/bind <- 0000:05:00.0
forget $T/state/0000:05:00.0"
[ "$out" = "$want" ] || fail "dry-run unbind wrote
$out
instead of
$want"
# a forged state file naming no driver falls back to drivers_probe
echo '../../evil' >"$T/state/0000:05:00.0"
run 0 -n unbind 05:00.0;             expect "write $P/drivers_probe <- 0000:05:00.0"
rm -rf "$T/state"

# already on vfio-pci: nothing to do
run 0 -n bind 05:00.0;               expect "already bound to vfio-pci"

# vfio-pci not loaded
mv "$P/drivers/vfio-pci" "$P/drivers/vfio-pci.off"
run 1 -n bind 03:00.0 --group;       expect "vfio-pci driver is not loaded (modprobe vfio-pci)"
mv "$P/drivers/vfio-pci.off" "$P/drivers/vfio-pci"

# a real run into the fake tree: the writes land in the files, the state is
# kept, and since no kernel rebinds the device the script says so and fails
run 1 bind 0000:03:00.0 --group;     expect "0000:03:00.0: bound to qla2xxx after the probe, not vfio-pci"
[ "$(cat "$P/devices/0000:03:00.0/driver_override")" = vfio-pci ] || fail "driver_override not written"
[ "$(cat "$P/drivers/qla2xxx/unbind")" = 0000:03:00.0 ] || fail "unbind not written"
[ "$(cat "$P/drivers_probe")" = 0000:03:00.0 ] || fail "drivers_probe not written"
[ "$(cat "$T/state/0000:03:00.0")" = qla2xxx ] || fail "original driver not recorded"

echo "PASS vfio-bind"
