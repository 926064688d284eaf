#!/usr/bin/env bash
# Installs what the KVM backend (`--backend kvm`, `gicreplay fidelity`) needs, from Debian's archive
# only:
# - on an x86-64 (or any non-arm64) machine: qemu-system-arm (qemu-system-aarch64), the aarch64
#   cross compiler with the static C library and the kernel headers (gcc-aarch64-linux-gnu,
#   libc6-dev-arm64-cross, which brings linux-libc-dev-arm64-cross), and Debian's arm64 kernel Image
#   for the nested host (downloaded with apt-get download and unpacked, not installed), via
#   tools/qemu/install.sh --kernel into ${GICREPLAY_CACHE:-~/.cache/gicreplay}/kernel;
# - on an arm64 machine: gcc and libc6-dev for the runner (the native host uses /dev/kvm), plus the
#   above kernel only with --nested.
# Idempotent: installs only what is missing.
#
#   tools/kvm/install.sh                                   the default (linux-image-arm64, 6.1 on bookworm)
#   tools/kvm/install.sh --kernel-package linux-image-6.12-arm64
#                                                          also that kernel, into ${cache}/kernel-6.12;
#                                                          its Image path is printed as the last line
set -euo pipefail
cd "$(dirname "$0")/../.."

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

missing() {
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done
}

pkg=
nested=
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel-package) pkg=$2; shift 2 ;;
    --nested) nested=1; shift ;;
    *) echo "tools/kvm/install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$(uname -m)" = aarch64 ] && [ -z "$nested" ]; then
  need=$(missing gcc libc6-dev)
  if [ -n "$need" ]; then $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends $need; fi
  exit 0
fi

# QEMU and the cross compiler (tools/qemu/install.sh), then what it does not install.
bash tools/qemu/install.sh --kernel >/dev/null
need=$(missing libc6-dev-arm64-cross gcc-aarch64-linux-gnu)
if [ -n "$need" ]; then $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends $need; fi

if [ -n "$pkg" ]; then
  cache=${GICREPLAY_CACHE:-$HOME/.cache/gicreplay}/kernel-${pkg#linux-image-}
  cache=${cache%-arm64}
  mkdir -p "$cache"
  if ! ls "$cache"/boot/vmlinuz-*-arm64 >/dev/null 2>&1; then
    # a metapackage (linux-image-6.12-arm64) names the versioned image as its first dependency
    real=$(apt-cache depends "$pkg:arm64" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    # for a foreign architecture apt-cache names the dependency with its ":arm64" already
    real=${real%:arm64}
    (cd "$cache" && apt-get download "${real:-$pkg}:arm64" && dpkg-deb -x ./*.deb . && rm -f ./*.deb)
  fi
  ls "$cache"/boot/vmlinuz-*-arm64 | tail -1
fi
