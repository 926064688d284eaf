#!/usr/bin/env bash
# Installs what `gicreplay record qemu` and the bare-metal guests need, from Debian's archive only:
# qemu-system-arm (provides qemu-system-aarch64, with the GIC trace events built in, `log` backend),
# the aarch64 cross compiler and binutils for the guests in tools/qemu/guests/.
# Idempotent: does nothing when both tools are already on PATH.
set -euo pipefail

if command -v qemu-system-aarch64 >/dev/null 2>&1 && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends qemu-system-arm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu make
