#!/usr/bin/env bash
# The one command that tests everything (README, .ci/run and the GitHub
# workflow all run this): installs what is missing, runs every test of the
# workspace (unit tests and the integration tests in tests/, which boot the
# real guest on /dev/kvm and under QEMU), then the linters of both
# workspaces. Runs every step, then exits non-zero if any failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

failed=()
step() { # name command...
    local name=$1
    shift
    echo "==> $name: $*" >&2
    if ! "$@"; then
        echo "==> FAILED: $name" >&2
        failed+=("$name")
    fi
}

bash scripts/setup.sh || {
    echo "==> FAILED: scripts/setup.sh" >&2
    exit 1
}

step "tests" cargo test --workspace --no-fail-fast
# README's way to put lstar on PATH, into a throwaway root. It shares
# target/: seconds when a release build is there, a few minutes (the
# release profile's LTO) on a fresh clone, whose tests build debug.
install_check() {
    local dir
    dir=$(mktemp -d)
    local out rc
    # The whole output first: grep -q would close the pipe early, and
    # lstar rightly fails when its output is refused.
    cargo install --locked --quiet --path vmm --root "$dir" --target-dir "$root/target" &&
        out=$("$dir/bin/lstar" run) &&
        grep -q "Hello from ring 3" <<<"$out"
    rc=$?
    rm -rf "$dir"
    return $rc
}
step "cargo install" install_check
step "format" cargo fmt --all --check
step "clippy" cargo clippy --workspace --all-targets -- -D warnings
step "guest format" bash -c 'cd guest-kernel && cargo fmt --all --check'
step "guest clippy" bash -c 'cd guest-kernel && cargo clippy --workspace --release -- -D warnings'

if ((${#failed[@]})); then
    echo "==> scripts/test.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "==> scripts/test.sh: all steps passed" >&2
