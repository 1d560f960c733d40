#!/usr/bin/env bash
# Installs what building and testing lstar needs on a fresh Debian/Ubuntu
# machine, and nothing when it is all there (then it prints nothing).
#
#   Rust:  the x86_64-unknown-none target (the guest), rustfmt and clippy
#   apt:   qemu-system-x86 (QEMU cross-boot), musl-tools (musl-gcc for the
#          test programs), busybox-static (a real static program to run),
#          e2fsprogs (mkfs.ext2/e2fsck for disk images), strace (reference
#          system call counts), golang-go (a static Go program: the Go
#          runtime's threads, netpoller and preemption), linux-image-amd64
#          when there is no /boot/vmlinuz-* (Debian's kernel as the peer
#          under QEMU: tests/ext2_peer.rs, scripts/icount-bench.sh)
#
# Idempotent. Uses sudo for apt only when not root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" # rust-toolchain.toml here selects the toolchain rustup manages

say() { echo "setup: $*" >&2; }

# --- Rust -------------------------------------------------------------------
if ! command -v cargo >/dev/null; then
    say "cargo not found: install Rust with rustup (https://rustup.rs) first"
    exit 1
fi
if command -v rustup >/dev/null; then
    if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-none; then
        say "adding the Rust target x86_64-unknown-none"
        rustup target add x86_64-unknown-none >&2
    fi
    installed_components=$(rustup component list --installed 2>/dev/null)
    for component in rustfmt clippy; do
        if ! grep -q "^$component" <<<"$installed_components"; then
            say "adding the Rust component $component"
            rustup component add "$component" >&2
        fi
    done
else
    say "warning: rustup not found; make sure the x86_64-unknown-none target, rustfmt and clippy are installed"
fi

# --- apt packages -------------------------------------------------------------
# A static /bin/busybox: present, and without a program interpreter.
static_busybox() {
    [[ -x /bin/busybox ]] || return 1
    if command -v readelf >/dev/null; then
        ! LC_ALL=C readelf -lW /bin/busybox 2>/dev/null | grep -q 'program interpreter'
    else
        dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
    fi
}

have() { command -v "$1" >/dev/null || [[ -x /sbin/$1 || -x /usr/sbin/$1 ]]; }

missing=()
have qemu-system-x86_64 || missing+=(qemu-system-x86)
have musl-gcc || missing+=(musl-tools)
static_busybox || missing+=(busybox-static)
{ have mkfs.ext2 && have e2fsck; } || missing+=(e2fsprogs)
have strace || missing+=(strace)
have go || missing+=(golang-go)
have gcc || missing+=(gcc)         # musl-gcc drives it; a dynamic ELF for the tests
have python3 || missing+=(python3) # scripts/bench.sh
compgen -G '/boot/vmlinuz-*' >/dev/null || missing+=(linux-image-amd64)

if ((${#missing[@]})); then
    say "installing with apt: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || {
            say "not root and no sudo: install ${missing[*]} yourself"
            exit 1
        }
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    static_busybox || {
        say "/bin/busybox is still not a static executable"
        exit 1
    }
fi
