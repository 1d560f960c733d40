#!/usr/bin/env bash
# ext2 benchmark (issue 9), one run on one machine, one image:
#   - 64 MiB written in 1 MiB writes to a file of the ext2 root, first
#     write to the return of close (tests/progs/blk-bench.c with a PATH),
#     then read back after a fresh boot; beside it the raw /dev/vda of a
#     disk without a file system (the same probe), and natively the same
#     probe on a file in a host directory (its own file system) and in
#     /dev/shm (tmpfs);
#   - create + write 4 KiB + close + stat of 1,000 files
#     (tests/progs/vfs-bench.c) on the ext2 root, in the guest's tmpfs and
#     natively;
#   - requests and notifications per MiB (written and read) and per
#     file from `lstar run --stats` (its `blk:` line), and, on kvm-pvm,
#     kernel instructions per file created (perf stat -e
#     kvm:kvm_emulate_insn, minus an empty run).
# Prints the platform and a markdown table. Compare ratios from the same
# run only (../shared/PLATFORM.md).
#
#   scripts/ext2-bench.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=ext2-bench
die() {
    echo "$me: $*" >&2
    exit 1
}

# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
bench_platform
for t in musl-gcc mkfs.ext2 e2fsck python3; do
    command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs it)"
done

work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/ext2-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
echo "$me: building lstar (release) and the probes" >&2
bench_build_lstar
musl-gcc -static -O2 -o "$work/blk-bench" tests/progs/blk-bench.c
musl-gcc -static -O2 -o "$work/vfs-bench" tests/progs/vfs-bench.c
mkdir -p "$work/src/tmp" && chmod 1777 "$work/src/tmp"

perf_ok=0
if [[ $platform == kvm-pvm ]] && command -v perf >/dev/null &&
    perf stat -e kvm:kvm_emulate_insn -x, -o "$work/perf.check" -- true 2>/dev/null; then
    perf_ok=1
fi

python3 - "$lstar" "$work" "$shm" "$perf_ok" "$platform_long" "$date" "$cpu" "$ncpu" <<'PY'
import os, subprocess, sys

lstar, work, shm, perf_ok, platform, date, cpu, ncpu = sys.argv[1:9]
perf_ok = perf_ok == "1"
blk, vfs = os.path.join(work, "blk-bench"), os.path.join(work, "vfs-bench")
MIB, FILES = 64, 1000


def image(name, ext2):
    img = os.path.join(work, name)
    if ext2:
        subprocess.run(["mkfs.ext2", "-q", "-F", "-b", "4096", "-d",
                        os.path.join(work, "src"), img, "256M"], check=True)
    else:
        with open(img, "wb") as f:
            f.truncate(256 << 20)
    return img


def guest(img, argv, perf=False):
    """lstar run --stats --disk IMG -- ARGV: (probe's numbers, blk counters, kernel instructions)."""
    cmd = [lstar, "run", "--quiet", "--stats", "--mem", "256", "--disk", img, "--"] + argv
    out_file = os.path.join(work, "perf.out")
    if perf:
        cmd = ["perf", "stat", "-e", "kvm:kvm_emulate_insn", "-x,", "-o", out_file, "--"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        sys.exit(f"ext2-bench: {' '.join(cmd)}: status {r.returncode}\n{r.stdout}{r.stderr[-2000:]}")
    nums = dict(l.split()[:2] for l in r.stdout.splitlines() if len(l.split()) >= 2)
    blkline = next((l for l in r.stderr.splitlines() if l.startswith("blk:")), "")
    counters = {k: int(v) for k, v in (p.split() for p in blkline[5:].split(", ") if p)}
    insns = None
    if perf:
        for l in open(out_file):
            if "kvm_emulate_insn" in l:
                insns = int(l.split(",")[0])
    return nums, counters, insns


def native(argv):
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    return dict(l.split()[:2] for l in r.stdout.splitlines() if len(l.split()) >= 2)


rows = []
mbs = lambda ms: f"{MIB / (float(ms) / 1000):.1f} MB/s"

img = image("ext2.img", True)
w, wc, _ = guest(img, [blk, "write", str(MIB), "/tmp/f"])
r, rc, _ = guest(img, [blk, "read", str(MIB), "/tmp/f"])
subprocess.run(["e2fsck", "-fn", img], check=True, capture_output=True)
raw = image("raw.img", False)
rw, rwc, _ = guest(raw, [blk, "write", str(MIB)])
rr, rrc, _ = guest(raw, [blk, "read", str(MIB)])
hostdir = os.path.join(work, "host-f")
hw = native([blk, "write", str(MIB), hostdir])
sw = native([blk, "write", str(MIB), os.path.join(shm, "f")])
rows.append(("write 64 MiB, first write to close", mbs(w["write_close_ms"]),
             mbs(rw["write_close_ms"]), mbs(hw["write_close_ms"]), mbs(sw["write_close_ms"])))
rows.append(("read 64 MiB after a fresh boot", mbs(r["read_ms"]), mbs(rr["read_ms"]), "", ""))

img2 = image("files.img", True)
f, fc, fi = guest(img2, [vfs, "/tmp/b", str(FILES)], perf_ok)
_, _, f0 = guest(img2, [vfs, "/tmp/b0", "0"], perf_ok)
t, _, ti = guest(raw, [vfs, "/tmp/b", str(FILES)], perf_ok)
_, _, t0 = guest(raw, [vfs, "/tmp/b0", "0"], perf_ok)
hf = native([vfs, os.path.join(work, "host-b"), str(FILES)])
sf = native([vfs, os.path.join(shm, "b"), str(FILES)])
per = lambda ms: f"{float(ms) / FILES * 1000:.0f} us/file"
rows.append(("create + write 4 KiB + close + stat, 1,000 files", per(f["elapsed_ms"]),
             per(t["elapsed_ms"]) + " (guest tmpfs)", per(hf["elapsed_ms"]), per(sf["elapsed_ms"])))

print(f"- platform: {platform}; date: {date}; CPU: {cpu} ({ncpu} CPUs)")
print("- image: mkfs.ext2 -b 4096, 256 MiB; raw: the same size without a file system; host: a file in a")
print("  directory of the host's own file system, and in /dev/shm\n")
print("| workload | lstar ext2 | lstar raw /dev/vda (or tmpfs) | host fs | host tmpfs |")
print("|---|---:|---:|---:|---:|")
for row in rows:
    print("| " + " | ".join(row) + " |")
print()
for what, c, unit in [("ext2 64 MiB write", wc, MIB), ("raw 64 MiB write", rwc, MIB),
                      ("ext2 64 MiB read", rc, MIB), ("raw 64 MiB read", rrc, MIB),
                      ("ext2 1,000 files", fc, FILES)]:
    keys = ["reads", "writes", "flushes", "notifications", "interrupts"]
    print(f"- {what}: per {'MiB' if unit == MIB else 'file'}: "
          + ", ".join(f"{k} {c.get(k, 0) / unit:.2f}" for k in keys)
          + f" (in all: {', '.join(f'{k} {c.get(k, 0)}' for k in keys)})")
if perf_ok and fi is not None and f0 is not None:
    print(f"- kernel instructions per file created (kvm-pvm): ext2 {(fi - f0) / FILES:,.0f}, "
          f"tmpfs {(ti - t0) / FILES:,.0f}")
PY
