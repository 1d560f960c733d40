#!/usr/bin/env bash
# Boots the lstar guest kernel with a program under QEMU `-M microvm`, the
# way `lstar run` does under our own VMM: same kernel ELF (PVH), the program
# as module 0 (-initrd), the same command line, COM1 = the program's stdin
# and stdout, COM2 = its stderr and the kernel log, exit via isa-debug-exit.
#
#   scripts/qemu-run.sh [--kvm] [--kernel PATH] [--mem MiB] [--disk IMAGE] PROGRAM [ARGS...]
#   scripts/qemu-run.sh --kernel VMLINUX --append CMDLINE [--mem MiB] INITRD
#
# --append CMDLINE passes CMDLINE as the kernel's whole command line instead
# of lstar's (no seed, no encoded arguments; ARGS are refused), and PROGRAM
# is then only the -initrd file: this boots another kernel, e.g. Linux with
# an initramfs (scripts/icount-bench.sh), on the same machine model.
#
# -accel tcg (the default) runs the guest with real x86 semantics (swapgs,
# sysretq, the int 0x80 IDT gate): the fast paths kvm-pvm never takes.
# --kvm uses -accel kvm instead. --print-argv prints QEMU's argv, NUL
# separated, instead of running it (scripts/bench.sh uses it).
#
# Environment: QEMU_RUN_TIMEOUT (seconds, default 60), QEMU_EXTRA_ARGS
# (appended to QEMU's command line, split on spaces; e.g.
# "-d int,cpu_reset -D qemu.log" to log every exception under TCG).
#
# Exit status: the program's, like `lstar run`, with one limit: QEMU exits
# with (V << 1) | 1 for a guest write of V to the isa-debug-exit port, and a
# process exit status has 8 bits, so only V mod 128 survives. Statuses
# 0..127 come through exactly; 128 and above cannot be told apart from
# V - 128 (a SIGSEGV kill, 139, arrives as 11; the kernel's panic and
# exec-failure codes, 0x100 and 0x101, arrive as 0 and 1). The kernel log on
# stderr says which it was. 127 and 126 are also this script's own "program
# missing" / "not a regular file" statuses, checked before QEMU starts.
# stdin: QEMU has no way to say "end of input" on the serial console (lstar's
# console status port 0xf0 does not exist there; reads return all ones), so
# a program that reads its stdin to the end waits until the timeout.
#
# An even QEMU status (the guest reset or QEMU failed) or a timeout is this
# script's failure: it prints why on stderr and exits 125.
set -euo pipefail

me=qemu-run
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { # status message
    echo "$me: $2" >&2
    exit "$1"
}

accel=tcg
disk=
kernel=
append=
append_set=0
mem=64
print_argv=0
while (($#)); do
    case $1 in
    --kvm) accel=kvm; shift ;;
    --tcg) accel=tcg; shift ;;
    --kernel)
        (($# >= 2)) || die 125 "--kernel needs a path"
        kernel=$2; shift 2 ;;
    --append)
        (($# >= 2)) || die 125 "--append needs a command line"
        append=$2; append_set=1; shift 2 ;;
    --mem)
        (($# >= 2)) || die 125 "--mem needs a size in MiB"
        mem=$2; shift 2 ;;
    --print-argv) print_argv=1; shift ;;
    --disk)
        (($# >= 2)) || die 125 "--disk needs an image"
        [[ -f $2 ]] || die 125 "$2: no such disk image"
        disk=$2; shift 2 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0 ;;
    --) shift; break ;;
    -*) die 125 "unknown option $1 (see --help)" ;;
    *) break ;;
    esac
done
(($# >= 1)) || die 125 "usage: $me [--kvm] [--kernel PATH] [--mem MiB] [--disk IMAGE] PROGRAM [ARGS...]"
program=$1
((append_set && $# > 1)) && die 125 "--append: the command line is CMDLINE; no ARGS after $program"

[[ -e $program ]] || die 127 "$program: no such file"
[[ -f $program ]] || die 126 "$program: not a regular file"
[[ $mem =~ ^[0-9]+$ ]] || die 125 "--mem: not a number: $mem"

command -v qemu-system-x86_64 >/dev/null ||
    die 125 "qemu-system-x86_64 not found: run scripts/setup.sh"

if [[ -z $kernel ]]; then
    # The guest workspace's .cargo/config.toml selects x86_64-unknown-none.
    # An explicit --target-dir keeps the path fixed whatever CARGO_TARGET_DIR says.
    (cd "$root/guest-kernel" &&
        cargo build --quiet --release -p lstar-kernel --target-dir "$root/guest-kernel/target") >&2 ||
        die 125 "building the guest kernel failed"
    kernel=$root/guest-kernel/target/x86_64-unknown-none/release/lstar-kernel
fi
[[ -f $kernel ]] || die 125 "kernel $kernel: no such file"

# Percent-encodes one argument exactly like abi/src/cmdline.rs (`Encoded`):
# bytes 0x21..=0x7e other than '%' and '=' stay, every other byte becomes %XX
# ('=' is escaped so that QEMU's appended virtio_mmio.device= stays a kernel parameter)
# (upper-case hex), and the empty string becomes a lone '%'.
encode() {
    local LC_ALL=C s=$1 out='' c byte i
    if [[ -z $s ]]; then
        printf '%%'
        return
    fi
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        printf -v byte '%d' "'$c" # the byte's value, in the C locale
        if ((byte >= 0x21 && byte <= 0x7e && byte != 0x25 && byte != 0x3d)); then
            out+=$c
        else
            printf -v c '%%%02X' "$byte"
            out+=$c
        fi
    done
    printf '%s' "$out"
}

seed=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
cmdline="lstar.seed=$seed lstar.log=warn --"
for arg in "$@"; do
    cmdline+=" $(encode "$arg")"
done
((append_set)) && cmdline=$append

case $accel in
# kvm-pvm cannot set IA32_ARCH_CAPABILITIES (MSR 0x10a), which QEMU's
# `-cpu host` asks for; hiding that one feature changes nothing else.
kvm) cpu=host,-arch-capabilities ;;
tcg) cpu=max ;;
esac

# COM2 goes to our stderr through a file chardev on /dev/fd/3 (a copy of our
# stderr made below), so that QEMU's own messages on its stderr stay apart.
com2_path=/dev/fd/3
((print_argv)) && com2_path=/dev/stderr

qemu=(
    qemu-system-x86_64
    -M microvm,acpi=off -accel "$accel" -cpu "$cpu" -m "$mem"
    -nodefaults -no-reboot -display none
    -kernel "$kernel" -initrd "$program" -append "$cmdline"
    # COM1 (0x3f8, irq 4) is the one ISA serial port microvm creates itself.
    -chardev stdio,id=com1 -serial chardev:com1
    -chardev "file,id=com2,path=$com2_path,append=on"
    -device isa-serial,chardev=com2,iobase=0x2f8,irq=3
    -device isa-debug-exit,iobase=0xf4,iosize=4
)
# The disk as QEMU's own virtio-blk device (a peer nobody here wrote), in
# the modern virtio-mmio layout the guest driver speaks.
if [[ -n $disk ]]; then
    qemu+=(-global virtio-mmio.force-legacy=false
        -drive "id=vda,file=$disk,format=raw,if=none"
        -device virtio-blk-device,drive=vda)
fi
if [[ -n ${QEMU_EXTRA_ARGS:-} ]]; then
    read -r -a extra <<<"$QEMU_EXTRA_ARGS"
    qemu+=("${extra[@]}")
fi

if ((print_argv)); then
    printf '%s\0' "${qemu[@]}"
    exit 0
fi

qemu_err=$(mktemp)
trap 'rm -f "$qemu_err"' EXIT
timeout_s=${QEMU_RUN_TIMEOUT:-60}

status=0
SECONDS=0
timeout --foreground -k 5 "$timeout_s" "${qemu[@]}" 3>&2 2>"$qemu_err" || status=$?
elapsed=$SECONDS

# QEMU's own messages (errors, warnings), kept apart from the guest's stderr.
if [[ -s $qemu_err ]]; then
    sed "s/^/$me: /" "$qemu_err" >&2
fi

# timeout(1) exits 124, or 137 when QEMU needed a SIGKILL; 137 is also
# (68 << 1) | 1, hence the clock.
if ((status == 124 || (status == 137 && elapsed >= timeout_s))); then
    die 125 "timed out after ${timeout_s}s (QEMU_RUN_TIMEOUT)"
fi
if ((status % 2 == 0)); then
    die 125 "QEMU exited with status $status without the guest writing to isa-debug-exit (reset, triple fault or QEMU failure)"
fi
# Status 1 is both "the guest wrote 0" and QEMU's usual error status; QEMU
# prints "qemu-system-x86_64: <error>" in the second case.
if ((status == 1)) && grep -v ': warning: ' "$qemu_err" | grep -q '^qemu-system-x86_64: '; then
    die 125 "QEMU failed (status 1)"
fi
exit $((status >> 1))
