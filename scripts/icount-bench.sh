#!/usr/bin/env bash
# Instruction-count benchmark (the performance issue): guest instructions
# per kernel operation, lstar's kernel against Linux's, counted exactly.
#
# Both kernels boot under `qemu-system-x86_64 -M microvm -accel tcg -icount
# shift=0` (scripts/qemu-run.sh), where the guest TSC counts instructions:
# tests/progs/icount-probe.c reads it with `rdtsc` around N repetitions of
# each operation and subtracts an empty loop (see its header). No KVM is
# involved, so the figures do not depend on the machine or its load: they
# are instructions, user and kernel, per operation.
#
#   - lstar: the guest kernel ELF the guest workspace builds, the probe as
#     the program (its exit is the VM's exit, through isa-debug-exit).
#   - Linux: Debian's linux-image-amd64 (/boot/vmlinuz-*; with
#     ICOUNT_BENCH_INSTALL=1 and root, this script installs it with apt-get
#     when it is missing). The vmlinux ELF is extracted from the bzImage
#     (scripts/linux-peer.sh vmlinux: the first compressed stream that
#     decompresses to an ELF), booted with `-M microvm,acpi=off -kernel vmlinux -initrd
#     init.cpio`; the cpio holds /dev/console and the same static probe as
#     /init, which mounts a tmpfs on /tmp and, at the end, writes to the
#     isa-debug-exit port after ioperm(2) (pid 1 is root).
#     Without a kernel image the Linux column says why it is missing.
#
#   scripts/icount-bench.sh       # ICOUNT_BENCH_VMLINUZ=PATH to pick a kernel
#
# Prints the platform, QEMU's version, the date and a markdown table:
# operation | lstar instructions/op | Linux instructions/op | lstar/Linux.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=icount-bench
die() {
    echo "$me: $*" >&2
    exit 1
}
say() { echo "$me: $*" >&2; }

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run scripts/setup.sh"
command -v musl-gcc >/dev/null || die "musl-gcc not found: run scripts/setup.sh"

# The platform line of the other benchmarks; this one needs no /dev/kvm.
if [[ -d /sys/module/kvm_pvm ]]; then
    platform="kvm-pvm host (not used: QEMU TCG, instructions counted)"
elif grep -qw vmx /proc/cpuinfo; then
    platform="VMX host (not used: QEMU TCG, instructions counted)"
elif grep -qw svm /proc/cpuinfo; then
    platform="SVM host (not used: QEMU TCG, instructions counted)"
else
    platform="unknown host (QEMU TCG, instructions counted)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
qemu_version=$(qemu-system-x86_64 --version | head -1)
date=$(date -u +%Y-%m-%d)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mem=256
export QEMU_RUN_TIMEOUT=${QEMU_RUN_TIMEOUT:-600}
export QEMU_EXTRA_ARGS="-icount shift=0"

say "building the probe"
probe=$work/icount-probe
musl-gcc -static -O2 -o "$probe" tests/progs/icount-probe.c

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
say "lstar: booting the probe under QEMU TCG -icount shift=0"
if ! bash scripts/qemu-run.sh --mem "$mem" "$probe" >"$work/lstar.out" 2>"$work/lstar.err"; then
    cat "$work/lstar.out" "$work/lstar.err" >&2
    die "the probe failed under the lstar kernel"
fi
grep -qx 'icount: done' "$work/lstar.out" || die "the probe did not finish under lstar: $(cat "$work/lstar.out")"
lstar_s=$(elapsed "$t0")

# --- the Linux peer -----------------------------------------------------------
linux_why=
linux_name=
linux_s=
vmlinuz=${ICOUNT_BENCH_VMLINUZ:-$(bash scripts/linux-peer.sh vmlinuz 2>/dev/null || true)}
if [[ -z $vmlinuz && ${ICOUNT_BENCH_INSTALL:-0} == 1 && $(id -u) == 0 ]]; then
    say "installing linux-image-amd64 (apt-get) for the Linux column"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-image-amd64 >"$work/apt.log" 2>&1; then
        vmlinuz=$(bash scripts/linux-peer.sh vmlinuz 2>/dev/null || true)
    else
        tail -5 "$work/apt.log" >&2
    fi
fi
if [[ -z $vmlinuz ]]; then
    linux_why="no Linux kernel image: no /boot/vmlinuz-* (apt-get install linux-image-amd64, or run with ICOUNT_BENCH_INSTALL=1 as root, or set ICOUNT_BENCH_VMLINUZ)"
elif [[ ! -r $vmlinuz ]]; then
    linux_why="$vmlinuz is not readable"
fi

if [[ -z $linux_why ]]; then
    linux_name=$(basename "$vmlinuz")
    say "Linux: extracting the vmlinux from $vmlinuz"
    if ! LINUX_PEER_VMLINUZ=$vmlinuz bash scripts/linux-peer.sh vmlinux "$work/vmlinux"; then
        linux_why="could not extract a vmlinux from $vmlinuz"
    fi
fi

if [[ -z $linux_why ]]; then
    # init.cpio (newc): /dev/console (linux-peer.sh adds it: the kernel
    # opens it for init's stdio), /tmp, and the probe as /init.
    mkdir -p "$work/initramfs/tmp"
    chmod 1777 "$work/initramfs/tmp"
    install -m 755 "$probe" "$work/initramfs/init"
    bash scripts/linux-peer.sh initramfs "$work/initramfs" "$work/init.cpio"
    # Arguments after `--` go to init: the probe's exit-port mode.
    # panic=-1 with QEMU's -no-reboot: a panic ends the run at once.
    cmdline="console=ttyS0 panic=-1 quiet -- exit-port"
    say "Linux: booting $linux_name under QEMU TCG -icount shift=0 (about 15 s on a 2-CPU EPYC)"
    t0=$(now)
    if ! bash scripts/qemu-run.sh --kernel "$work/vmlinux" --append "$cmdline" --mem "$mem" \
        "$work/init.cpio" >"$work/linux.out" 2>"$work/linux.err"; then
        tail -20 "$work/linux.out" "$work/linux.err" >&2
        linux_why="$linux_name did not run the probe to its end under QEMU (console above)"
    elif ! grep -qx 'icount: done' <(tr -d '\r' <"$work/linux.out"); then
        linux_why="the probe did not finish under $linux_name"
    fi
    linux_s=$(elapsed "$t0")
fi
[[ -z $linux_why ]] || say "no Linux column: $linux_why"

# --- the table ----------------------------------------------------------------
figure() { # file name
    [[ -f $1 ]] || return 0
    tr -d '\r' <"$1" | sed -n "s/^icount: $2 \([0-9]*\)$/\1/p" | head -1
}

echo "### Instructions per operation: \`bash scripts/icount-bench.sh\`"
echo
echo "- date: $date"
echo "- platform: $platform; $cpu, $(nproc) CPUs, Linux $(uname -r)"
echo "- QEMU: $qemu_version, \`-M microvm,acpi=off -accel tcg -cpu max -icount shift=0 -m $mem\`"
echo "- probe: tests/progs/icount-probe.c (rdtsc = instructions; an empty loop subtracted; smallest of 3 rounds)"
echo "- lstar: guest-kernel ELF from this tree (boot to exit: ${lstar_s} s wall, including the kernel's cargo build check)"
if [[ -z $linux_why ]]; then
    echo "- Linux: $linux_name from Debian's linux-image-amd64, the probe as /init in an initramfs, \`$cmdline\`, exit through ioperm + outl to isa-debug-exit (boot to exit: ${linux_s} s wall)"
else
    echo "- Linux: missing: $linux_why"
fi
echo
echo "| operation | lstar instructions/op | Linux instructions/op | lstar/Linux |"
echo "|---|---:|---:|---:|"
ops="syscall-getppid int80-getppid anon-fault file-private-fault brk-1MiB-grow-shrink
mmap-munmap-1MiB mmap-touch-munmap-1MiB mmap-touch-munmap-4KiB-x2 mmap-touch-munmap-64KiB
write-4KiB-cached pread-4KiB open-close stat"
declare -A label=(
    [syscall-getppid]='null syscall (`syscall`, getppid)'
    [int80-getppid]='null syscall (`int $0x80`, i386 getppid)'
    [anon-fault]='first touch of anonymous memory (write), per page'
    [file-private-fault]='first touch of a MAP_PRIVATE tmpfs file mapping (read), per page'
    [brk-1MiB-grow-shrink]='brk grow + shrink 1 MiB'
    [mmap-munmap-1MiB]='mmap + munmap 1 MiB, untouched'
    [mmap-touch-munmap-1MiB]='mmap + touch 256 pages + munmap 1 MiB'
    [mmap-touch-munmap-4KiB-x2]='2x mmap 4 KiB + write each + 2x munmap (SQLite'"'"'s malloc churn)'
    [mmap-touch-munmap-64KiB]='mmap + write 16 pages + munmap 64 KiB (Lua'"'"'s)'
    [write-4KiB-cached]='write 4 KiB to a cached /tmp file'
    [pread-4KiB]='pread 4 KiB from a cached /tmp file'
    [open-close]='open + close of an existing /tmp file'
    [stat]='stat of a /tmp file'
)
for op in $ops; do
    l=$(figure "$work/lstar.out" "$op")
    [[ -n $l ]] || die "no $op figure from lstar"
    x=$(figure "$work/linux.out" "$op")
    if [[ -n $x && -z $linux_why ]]; then
        r=$(awk -v a="$l" -v b="$x" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    else
        x=-; r=-
    fi
    printf '| %s | %s | %s | %s |\n' "${label[$op]}" "$l" "$x" "$r"
done
echo
echo "Reading the figures: a \`rep\` string instruction counts one instruction per"
echo "iteration, so a copy or clear by \`rep movsb/stosb\` (Linux's copy_user and"
echo "clear_page with -cpu max's ERMS/FSRM) counts one per byte, one by \`rep movsq\`"
echo "one per 8 bytes. Linux maps up to 16 pages of a file mapping per fault"
echo "(fault-around), so its per-page figure of the file mapping spreads one"
echo "fault over several pages. Under QEMU lstar has no copy port: its kernel copies"
echo "with memcpy (compiler-builtins, \`rep movsq\`). Linux runs with Debian's defaults"
echo "(mitigations on)."
