#!/usr/bin/env bash
# System call benchmark (issue 3): tests/progs/getppid-bench.c times N
# getppid calls with rdtsc through `syscall` (x86-64 number 110) and through
# `int $0x80` (i386 number 64), best of 5 rounds. It runs, in one go on one
# machine:
#   - natively on the host (Linux's own getppid),
#   - inside lstar (on this machine's /dev/kvm),
#   - under QEMU `-accel tcg` through scripts/qemu-run.sh: an emulator, so
#     its cycles say nothing about speed; it is there because TCG is the one
#     place here where the guest's fast paths (SYSCALL/SYSRETQ, the IDT
#     int 0x80 gate) really run, and its figures show they do.
# Prints a markdown table: cycles per call of each, the ratio lstar/host,
# the platform (kvm-pvm, or VMX/SVM hardware KVM), the date and the CPU;
# on kvm-pvm also the kernel's instructions per call of each entry (perf
# stat -e kvm:kvm_emulate_insn over N and 2N calls), which load does not
# change.
#
#   scripts/syscall-bench.sh          # BENCH_N=calls per round (default:
#                                     # 20000 on kvm-pvm, 200000 elsewhere)
#
# Target on hardware KVM: lstar's SYSCALL round trip at most 0.5x the
# host's getppid. On kvm-pvm every guest system call is a trap into a
# software hypervisor (~100 us); compare ratios measured in the same run
# only, never absolute cycles across machines (../shared/PLATFORM.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=syscall-bench
die() {
    echo "$me: $*" >&2
    exit 1
}

# --- platform ---------------------------------------------------------------
# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
bench_platform
if [[ $platform == kvm-pvm ]]; then
    n=${BENCH_N:-20000}
else
    n=${BENCH_N:-200000}
fi
[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_N must be a positive number"

# --- builds -----------------------------------------------------------------
bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "$me: building lstar (release) and the benchmark" >&2
bench_build_lstar
bench=$work/getppid-bench
musl-gcc -static -O2 -o "$bench" tests/progs/getppid-bench.c

# --- runs -------------------------------------------------------------------
# Each prints "syscall: C cycles/call" and "int80: C cycles/call".
cycles() { # entry output
    sed -n "s/^$1: \([0-9]*\) cycles\/call$/\1/p" <<<"$2"
}

echo "$me: $n calls per round, natively" >&2
host=$("$bench" "$n") || die "the benchmark failed natively"
echo "$me: $n calls per round, in lstar ($platform)" >&2
guest=$("$lstar" run --quiet -- "$bench" "$n") || die "the benchmark failed in lstar"
echo "$me: $n calls per round, under QEMU TCG (emulated)" >&2
if ! tcg=$(QEMU_RUN_TIMEOUT=${QEMU_RUN_TIMEOUT:-600} bash scripts/qemu-run.sh "$bench" "$n" 2>"$work/tcg.err"); then
    cat "$work/tcg.err" >&2
    die "the benchmark failed under QEMU TCG"
fi

ratio() { # guest host
    awk -v g="$1" -v h="$2" 'BEGIN { if (h > 0) printf "%.1f", g / h; else print "-" }'
}

echo
echo "| entry | host cycles/call | lstar cycles/call | lstar/host | QEMU TCG cycles/call (emulator) | platform | date | CPU |"
echo "|---|---:|---:|---:|---:|---|---|---|"
for entry in syscall int80; do
    h=$(cycles "$entry" "$host")
    g=$(cycles "$entry" "$guest")
    t=$(cycles "$entry" "$tcg")
    [[ -n $h && -n $g && -n $t ]] || die "no $entry figure (host: $h, lstar: $g, TCG: $t)"
    case $entry in
    syscall) name='`syscall` (getppid, 110)' ;;
    int80) name='`int $0x80` (getppid, i386 64)' ;;
    esac
    echo "| $name | $h | $g | $(ratio "$g" "$h") | $t | $platform | $date | $cpu |"
done
echo
echo "N = $n calls per entry, best of 5 rounds; cycles are rdtsc ticks in user mode."

# --- kernel instructions per call (kvm-pvm) ------------------------------------
# Every ring-0 instruction is emulated there, and perf counts the emulations
# exactly (kvm:kvm_emulate_insn, for the whole lstar run): N calls and 2N
# calls through one entry, the difference over N, is the kernel's
# instructions per call, free of the machine's load and of boot and exit.
if [[ $platform == kvm-pvm ]]; then
    insns() { # calls entry
        perf stat -x, -e kvm:kvm_emulate_insn -- "$lstar" run --quiet -- "$bench" "$1" "$2" 2>&1 >/dev/null |
            awk -F, '/kvm:kvm_emulate_insn/ { print $1 }'
    }
    echo
    if ! command -v perf >/dev/null; then
        echo "Kernel instructions per call: not measured (no perf: apt-get install linux-perf)."
    else
        echo "| entry | kernel instructions/call (kvm-pvm, perf stat -e kvm:kvm_emulate_insn) |"
        echo "|---|---:|"
        for entry in syscall int80; do
            a=$(insns "$n" "$entry")
            b=$(insns $((2 * n)) "$entry")
            if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
                per=$(awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
            else
                per="- (perf: ${a:-no count}; root or perf_event_paranoid <= -1 needed)"
            fi
            echo "| $entry | $per |"
        done
    fi
fi
