#!/usr/bin/env bash
# Debian's Linux kernel as a peer nobody here wrote: what
# scripts/icount-bench.sh (Linux's instruction counts) and tests/ext2_peer.rs
# (Linux reads and writes lstar's ext2 images) share.
#
#   scripts/linux-peer.sh vmlinuz
#       prints the bzImage used: $LINUX_PEER_VMLINUZ, else the newest
#       /boot/vmlinuz-* (exit 1 and why when there is none)
#   scripts/linux-peer.sh vmlinux OUT
#       writes its vmlinux ELF to OUT: the first compressed stream in the
#       bzImage (xz, gzip or zstd) that decompresses to an ELF file
#   scripts/linux-peer.sh modules OUTDIR MODULE...
#       copies each MODULE (a name in modules.dep, e.g. ext4) and what it
#       depends on from /lib/modules/<the kernel's release>/ to OUTDIR,
#       uncompressed (.ko.xz, .ko.zst, .ko.gz), and prints their file names
#       in an order insmod can load them in, dependencies first
#   scripts/linux-peer.sh initramfs DIR OUT
#       writes a newc cpio of DIR's tree (files, directories, symlinks;
#       owner root) to OUT, with /dev/console added (the kernel opens it
#       for init's stdio before anything is mounted)
#   scripts/linux-peer.sh boot VMLINUX INITRD [--disk IMG] [--mem MiB] [--append ARGS]
#       boots Linux under `qemu-system-x86_64 -M microvm -accel tcg` with
#       INITRD, IMG as a virtio-blk disk (/dev/vda), the serial console on
#       stdout and QEMU's messages on stderr; -no-reboot, so init's
#       `reboot -f` (or a panic, with panic=-1) ends QEMU. Exit status:
#       QEMU's (0 after a reboot), 124 on a timeout (LINUX_PEER_TIMEOUT
#       seconds, default 300). The caller judges the run by what init
#       printed.
#
# Why `boot` keeps microvm's ACPI on (scripts/qemu-run.sh turns it off):
# Debian builds virtio_mmio without command-line devices, so with
# acpi=off Linux never finds QEMU's virtio-mmio disk; with ACPI on it is
# described in the DSDT. Debian builds virtio, virtio_ring, virtio_mmio and
# virtio_blk as modules: init must insmod them (see `modules`). And
# microvm's ACPI tables give Linux no way to measure the TSC, so early boot
# hangs without `tsc_early_khz=` (the host's, from /proc/cpuinfo).
set -euo pipefail

me=linux-peer
die() {
    echo "$me: $*" >&2
    exit 1
}

vmlinuz() {
    local v=${LINUX_PEER_VMLINUZ:-}
    if [[ -z $v ]]; then
        v=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)
    fi
    [[ -n $v ]] || die "no Linux kernel image: no /boot/vmlinuz-* (run scripts/setup.sh, which installs linux-image-amd64, or set LINUX_PEER_VMLINUZ)"
    [[ -r $v ]] || die "$v is not readable"
    echo "$v"
}

# The release a bzImage was built as: vmlinuz-RELEASE names its modules.
release() {
    local v
    v=$(vmlinuz)
    v=$(basename "$v")
    echo "${v#vmlinuz-}"
}

cmd_vmlinux() {
    (($# == 1)) || die "usage: $me vmlinux OUT"
    local v
    v=$(vmlinuz)
    python3 - "$v" "$1" <<'PY' || die "could not extract a vmlinux from $v"
import lzma, subprocess, sys, zlib

data = open(sys.argv[1], "rb").read()
MAGICS = [(b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd")]
found = []
for magic, kind in MAGICS:
    off = data.find(magic)
    while off >= 0:
        found.append((off, kind))
        off = data.find(magic, off + 1)
for off, kind in sorted(found):
    try:
        if kind == "xz":
            out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[off:])
        elif kind == "gzip":
            out = zlib.decompressobj(31).decompress(data[off:])
        else:
            out = subprocess.run(["zstd", "-dcq"], input=data[off:], capture_output=True).stdout
    except Exception:
        continue
    if out.startswith(b"\x7fELF"):
        open(sys.argv[2], "wb").write(out)
        sys.exit(0)
sys.exit("no compressed stream decompresses to an ELF")
PY
}

cmd_modules() {
    (($# >= 2)) || die "usage: $me modules OUTDIR MODULE..."
    local out=$1 dir
    shift
    dir=/lib/modules/$(release)
    [[ -f $dir/modules.dep ]] || die "$dir/modules.dep: missing (the package linux-image-$(release) installs it)"
    mkdir -p "$out"
    python3 - "$dir" "$out" "$@" <<'PY' || die "collecting modules from $dir failed"
import gzip, lzma, os, subprocess, sys

base, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")

def name_of(path):
    name = os.path.basename(path)
    for s in SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)].replace("-", "_")
    return name

deps = {}
for line in open(os.path.join(base, "modules.dep")):
    path, _, rest = line.partition(":")
    deps[name_of(path)] = (path, rest.split())

order = []
def visit(name, chain):
    name = name.replace("-", "_")
    if name in order:
        return
    if name not in deps:
        sys.exit(f"{name}: not a module of this kernel (built in, or misspelt)")
    if name in chain:
        sys.exit(f"dependency loop at {name}")
    path, needs = deps[name]
    for n in needs:
        visit(name_of(n), chain + [name])
    order.append(name)

for w in wanted:
    visit(w, [])
for name in order:
    path = os.path.join(base, deps[name][0])
    raw = open(path, "rb").read()
    if path.endswith(".xz"):
        raw = lzma.decompress(raw)
    elif path.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif path.endswith(".zst"):
        raw = subprocess.run(["zstd", "-dcq", path], capture_output=True, check=True).stdout
    open(os.path.join(out, name + ".ko"), "wb").write(raw)
    print(name + ".ko")
PY
}

cmd_initramfs() {
    (($# == 2)) || die "usage: $me initramfs DIR OUT"
    [[ -d $1 ]] || die "$1: not a directory"
    python3 - "$1" "$2" <<'PY' || die "writing the cpio $2 failed"
import os, stat, sys

top, out = sys.argv[1:3]
entries = [(".", 0o040755, b"", 0, 0), ("dev", 0o040755, b"", 0, 0),
           ("dev/console", 0o020600, b"", 5, 1)]
for d, dirs, files in os.walk(top):
    dirs.sort()
    for n in sorted(dirs) + sorted(files):
        p = os.path.join(d, n)
        rel = os.path.relpath(p, top)
        if rel == "dev":
            continue
        st = os.lstat(p)
        perm = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            entries.append((rel, 0o120777, os.readlink(p).encode(), 0, 0))
        elif stat.S_ISDIR(st.st_mode):
            entries.append((rel, 0o040000 | perm, b"", 0, 0))
        elif stat.S_ISREG(st.st_mode):
            entries.append((rel, 0o100000 | perm, open(p, "rb").read(), 0, 0))
        else:
            sys.exit(f"{p}: only files, directories and symlinks go into the cpio")
entries.append(("TRAILER!!!", 0, b"", 0, 0))
pad = lambda b: b + b"\0" * (-len(b) % 4)
cpio = bytearray()
for ino, (name, mode, data, rmaj, rmin) in enumerate(entries, 1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 2 if mode & 0o170000 == 0o040000 else 1, 0, len(data), 0, 0,
              rmaj, rmin, len(name_b), 0]
    cpio += pad(b"070701" + b"".join(b"%08x" % f for f in fields) + name_b) + pad(data)
open(out, "wb").write(bytes(cpio) + b"\0" * (-len(cpio) % 512))
PY
}

cmd_boot() {
    (($# >= 2)) || die "usage: $me boot VMLINUX INITRD [--disk IMG] [--mem MiB] [--append ARGS]"
    local kernel=$1 initrd=$2 disk= mem=256 append=
    shift 2
    while (($#)); do
        case $1 in
        --disk) (($# >= 2)) || die "--disk needs an image"; disk=$2; shift 2 ;;
        --mem) (($# >= 2)) || die "--mem needs MiB"; mem=$2; shift 2 ;;
        --append) (($# >= 2)) || die "--append needs arguments"; append=$2; shift 2 ;;
        *) die "unknown argument $1" ;;
        esac
    done
    [[ -f $kernel ]] || die "$kernel: no such file"
    [[ -f $initrd ]] || die "$initrd: no such file"
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run scripts/setup.sh"
    # Under TCG the guest's TSC is the host's (without -icount): its
    # frequency keeps Linux's clock near the host's, and e2fsck from
    # seeing mount times in the future.
    local tsc_khz
    tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
    [[ $tsc_khz =~ ^[1-9][0-9]*$ ]] || tsc_khz=1000000
    local qemu=(
        qemu-system-x86_64
        -M microvm -accel tcg -cpu max -m "$mem"
        -nodefaults -no-reboot -display none
        -kernel "$kernel" -initrd "$initrd"
        -append "console=ttyS0 tsc_early_khz=$tsc_khz panic=-1 quiet $append"
        -chardev stdio,id=com1 -serial chardev:com1
    )
    if [[ -n $disk ]]; then
        [[ -f $disk ]] || die "$disk: no such disk image"
        qemu+=(-drive "id=vda,file=$disk,format=raw,if=none"
            -device virtio-blk-device,drive=vda)
    fi
    local status=0
    timeout --foreground -k 5 "${LINUX_PEER_TIMEOUT:-300}" "${qemu[@]}" </dev/null || status=$?
    return "$status"
}

(($# >= 1)) || die "usage: $me vmlinuz | vmlinux OUT | modules OUTDIR MODULE... | initramfs DIR OUT | boot VMLINUX INITRD [options] (see the header)"
sub=$1
shift
case $sub in
vmlinuz) vmlinuz ;;
vmlinux) cmd_vmlinux "$@" ;;
modules) cmd_modules "$@" ;;
initramfs) cmd_initramfs "$@" ;;
boot) cmd_boot "$@" ;;
*) die "unknown command $sub (see the header)" ;;
esac
