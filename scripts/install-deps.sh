#!/usr/bin/env bash
# Installs the Debian packages mtgt needs to build, run and test. Idempotent:
# asks apt only for what is missing.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libev-dev libjansson-dev liburing-dev libaio-dev libseccomp-dev libcmocka-dev libsystemd-dev zlib1g-dev
  libiscsi-dev libiscsi-bin   # the initiator used by tests and conformance
  open-isns-server open-isns-utils  # isnsd and isnsadm for the iSNS test
  nettle-dev                  # CHAP hashes (MD5, SHA-256, SHA3-256) in mtgt-iscsi
  tgt                         # the peer target for benchmarks
  genisoimage                 # the cdrom test builds its ISO image
  clang libclang-rt-14-dev    # libFuzzer for make fuzz
  libibverbs-dev librdmacm-dev # mtgt-srp verbs transport (builds without RDMA hardware)
  procps iproute2 python3 util-linux
  fcoe-utils tshark           # the FC test: fipvlan asks mtgt-fc's FIP VLAN answer, tshark decodes the capture
)

# The unprivileged user the sandboxed children run as (docs/security.md);
# mtgtd falls back to "nobody" without it. Idempotent; needs root.
if ! getent passwd mtgt >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mtgt
  elif command -v sudo >/dev/null; then
    sudo useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mtgt
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# tgt's package starts a service where systemd runs; we only need its binary.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
