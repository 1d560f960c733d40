#!/usr/bin/env bash
# Thread benchmark (issue 11): thread create+join and a contended futex
# handoff between two threads (tests/progs/thread-bench.c), and a goroutine
# ping-pong over channels (tests/progs/go-pingpong, with Debian's Go),
# natively and in lstar, in one run; on kvm-pvm also kernel instructions per operation
# (perf stat -e kvm:kvm_emulate_insn of the run minus the same run with
# N = 0, / N). Prints a markdown table with the platform and date.
#
#   scripts/thread-bench.sh        # needs musl-gcc, /dev/kvm; perf for the last column
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
lstar=target/x86_64-unknown-linux-gnu/release/lstar
probe=$(mktemp -d)/thread-bench
trap 'rm -rf "$(dirname "$probe")"' EXIT
musl-gcc -static -O2 -o "$probe" tests/progs/thread-bench.c
gobench=$(dirname "$probe")/go-pingpong
(cd tests/progs/go-pingpong && CGO_ENABLED=0 GOCACHE=$(dirname "$probe")/go-cache go build -o "$gobench" .)
platform="hardware KVM"
[[ -d /sys/module/kvm_pvm ]] && platform="kvm-pvm"
us() { "$@" | sed -n 's/.*: \([0-9.]*\) us\/op/\1/p'; }
insns() { perf stat -e kvm:kvm_emulate_insn -x, "$@" 2>&1 >/dev/null | awk -F, '/kvm_emulate_insn/ {print $1}'; }
echo "### Threads: \`bash scripts/thread-bench.sh\` ($(date -u +%F); $platform)"
echo
echo "| operation | native | lstar | lstar/native | kernel instructions/op |"
echo "|---|---:|---:|---:|---:|"
for row in "c:thread create + join:2000:100" "f:futex handoff round trip, two threads:20000:1000" \
    "g:goroutine ping-pong round trip (Go channels):200000:20000"; do
    IFS=: read -r mode name native_n guest_n <<<"$row"
    prog=$probe
    [[ $mode == g ]] && prog=$gobench
    n=$(us "$prog" "$mode" "$native_n")
    g=$(us "$lstar" run -- "$prog" "$mode" "$guest_n")
    k="-"
    if command -v perf >/dev/null && [[ $platform == kvm-pvm ]]; then
        base=$(insns "$lstar" run -- "$prog" "$mode" 0)
        full=$(insns "$lstar" run -- "$prog" "$mode" "$guest_n")
        [[ -n $base && -n $full ]] && k=$(((full - base) / guest_n))
    fi
    ratio=$(awk -v g="$g" -v n="$n" 'BEGIN { printf "%.0f", g / n }')
    echo "| $name (N = $native_n / $guest_n) | $n us | $g us | $ratio | $k |"
done
