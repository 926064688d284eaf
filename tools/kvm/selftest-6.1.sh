#!/bin/bash
# Build exported kvm-selftests (gicreplay export --format kvm-selftest) in a real kernel tree, the
# selftests of Debian's linux-source-6.1 (tools/testing/selftests/kvm; 6.1 names the arm64 directory
# aarch64/), with the aarch64 cross compiler and the kernel's own selftest library, statically
# linked, and run them on the nested KVM host (the default 6.1 kernel) in one boot. Each trace is
# exported under --policy (default rev3) and expected to pass; with --altered, a copy of the first
# with its first checked read value changed is expected to fail naming that access.
#   bash tools/kvm/selftest-6.1.sh [--policy P] [--altered] TRACE…
# Needs: apt-get download (network; the .deb is cached in ~/.cache/gicreplay/linux-source-6.1),
# aarch64-linux-gnu-gcc, make, and the nested host (bash tools/kvm/install.sh). Not in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
policy=rev3 altered=0 traces=()
while [ $# -gt 0 ]; do
  case "$1" in
    --policy) policy=$2; shift 2 ;;
    --altered) altered=1; shift ;;
    *) traces+=("$1"); shift ;;
  esac
done
[ ${#traces[@]} -gt 0 ] || { echo "usage: bash tools/kvm/selftest-6.1.sh [--policy P] [--altered] TRACE…" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gicreplay/linux-source-6.1
mkdir -p "$cache"
if [ ! -f "$cache/linux-source-6.1/scripts/subarch.include" ]; then
  ( cd "$cache" && ls linux-source-6.1_*_all.deb >/dev/null 2>&1 || apt-get download linux-source-6.1 )
  deb=$(ls "$cache"/linux-source-6.1_*_all.deb | head -n1)
  rm -rf "$cache/x" && dpkg-deb -x "$deb" "$cache/x"
  tar -C "$cache" -xaf "$cache"/x/usr/src/linux-source-6.1.tar.xz --wildcards 'linux-source-6.1/tools/*' 'linux-source-6.1/scripts/*'
  rm -rf "$cache/x"
fi
kvm=$cache/linux-source-6.1/tools/testing/selftests/kvm
# The exported tests, added to the tree's aarch64 list once, next to vgic_irq: the list must be
# complete before the Makefile's rules make every test depend on the library's objects.
add() { grep -q "^TEST_GEN_PROGS_aarch64 += $1\$" "$kvm/Makefile" || sed -i "s|^TEST_GEN_PROGS_aarch64 += aarch64/vgic_irq\$|&\nTEST_GEN_PROGS_aarch64 += $1|" "$kvm/Makefile"; }
targets=() bins=()
for t in "${traces[@]}"; do
  n=gicreplay_$(basename "$t" .gtr | tr -c 'A-Za-z0-9_\n' _)
  node bin/gicreplay export "$t" --policy "$policy" --format kvm-selftest -o "$kvm/aarch64/$n.c" >/dev/null
  add "aarch64/$n"
  targets+=("$kvm/aarch64/$n") bins+=(--expect-pass "$kvm/aarch64/$n")
done
if [ $altered = 1 ]; then
  first=$(basename "${targets[0]}")
  # 0x<v> -> 0x1<v>: always a different value.
  sed '0,/\.check_value = 1, \.want_value = 0x/s//.check_value = 1, .want_value = 0x1/' "$kvm/aarch64/$first.c" > "$kvm/aarch64/${first}_altered.c"
  add "aarch64/${first}_altered"
  targets+=("$kvm/aarch64/${first}_altered") bins+=(--expect-fail "$kvm/aarch64/${first}_altered")
fi
# The UAPI headers: the cross toolchain's (Debian 12's linux-libc-dev, 6.1), not a headers_install.
make -s -C "$kvm" -j2 ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KHDR_INCLUDES="-isystem /usr/aarch64-linux-gnu/include" EXTRA_CFLAGS=-static "${targets[@]}"
node dist/tools/kvm/run-built.js --gic 3 "${bins[@]}"
