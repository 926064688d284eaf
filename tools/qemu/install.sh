#!/usr/bin/env bash
# Installs what `gicreplay record qemu` and the bare-metal guests need, from Debian's archive only:
# qemu-system-arm (provides qemu-system-aarch64, with the GIC trace events built in, `log` backend),
# the aarch64 cross compiler and binutils for the guests in tools/qemu/guests/.
# Idempotent: does nothing when both tools are already on PATH.
#
#   tools/qemu/install.sh            QEMU + cross compiler
#   tools/qemu/install.sh --kernel   also Debian's arm64 kernel Image for `record qemu --kernel`,
#                                    downloaded (not installed) into ${GICREPLAY_CACHE:-~/.cache/gicreplay}/kernel
#                                    and printed as the last line
set -euo pipefail

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

if ! command -v qemu-system-aarch64 >/dev/null 2>&1 || ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends qemu-system-arm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu make
fi

if [ "${1:-}" = --kernel ]; then
  cache=${GICREPLAY_CACHE:-$HOME/.cache/gicreplay}/kernel
  mkdir -p "$cache"
  if ! ls "$cache"/boot/vmlinuz-*-arm64 >/dev/null 2>&1; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      $SUDO dpkg --add-architecture arm64
      $SUDO apt-get update
    fi
    # linux-image-arm64 is a metapackage; its first dependency is the versioned image
    pkg=$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    (cd "$cache" && apt-get download "$pkg" && dpkg-deb -x ./*.deb . && rm -f ./*.deb)
  fi
  # Debian's arm64 vmlinuz is already an uncompressed Image (EFI stub): -kernel takes it as is
  ls "$cache"/boot/vmlinuz-*-arm64 | tail -1
fi
