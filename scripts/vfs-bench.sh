#!/usr/bin/env bash
# VFS benchmark: the guest's tmpfs against the host's, in one run on one
# machine.
#   - probe: tests/progs/vfs-bench.c creates, writes 4 KiB to, closes and
#     stats 1,000 files in a directory and prints the time of that loop
#     (CLOCK_MONOTONIC, its own clock): natively in a /dev/shm directory,
#     in lstar in /tmp;
#   - tar: `busybox tar xf` of a 2,000-file tarball the host's tar made:
#     natively into a /dev/shm directory, in lstar (tarball given with
#     `--file`) into /tmp; host wall time of the whole run minus that of an
#     empty run (`tar xf /dev/null`, which fails at once, no --file), so in
#     lstar the boot is out and the --file copy of the tarball is in;
#   - where `perf stat -e kvm:kvm_emulate_insn` works (kvm-pvm, where every
#     ring-0 guest instruction is emulated and counted): kernel instructions
#     per file, (instructions of the run - those of the empty run) / files;
#     for tar also the share of the --file copy.
# Prints the platform (kvm-pvm, or VMX/SVM hardware KVM), the date, the CPU
# and a markdown table: native time, lstar time, lstar/native, kernel
# instructions per file. Medians of BENCH_RUNS runs (default 5), native and
# lstar interleaved.
#
#   scripts/vfs-bench.sh                 # BENCH_RUNS=N for more or fewer runs
#   scripts/vfs-bench.sh --native-only   # the native column only (a check of the setup)
#
# Compare ratios from the same run only (../shared/PLATFORM.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=vfs-bench
die() {
    echo "$me: $*" >&2
    exit 1
}

native_only=0
while (($#)); do
    case $1 in
        --native-only) native_only=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (usage: $0 [--native-only])" ;;
    esac
done
runs=${BENCH_RUNS:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"

# --- platform ---------------------------------------------------------------
# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
bench_platform
command -v python3 >/dev/null || die "python3 not found"
command -v musl-gcc >/dev/null || die "musl-gcc not found (scripts/setup.sh installs it)"
[[ -x /bin/busybox ]] || die "/bin/busybox not found (scripts/setup.sh installs busybox-static)"
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar not found (it makes the tarball)"
[[ -d /dev/shm && -w /dev/shm ]] || die "/dev/shm is not a writable directory (the native side runs there)"
[[ $(stat -f -c %T /dev/shm) == tmpfs ]] || die "/dev/shm is not a tmpfs"

# --- builds -----------------------------------------------------------------
work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/vfs-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT

if ((native_only)); then
    echo "$me: building tests/progs/vfs-bench.c" >&2
    lstar=
else
    echo "$me: building lstar (release) and tests/progs/vfs-bench.c" >&2
    bench_build_lstar
fi
probe=$work/vfs-bench
musl-gcc -static -O2 -o "$probe" tests/progs/vfs-bench.c

# The tarball: 20 directories of 100 files, 0 to 2 KiB each, made by the
# host's tar in name order with fixed owners and mtimes.
python3 - "$work/src" <<'PY'
import os, sys
top = os.path.join(sys.argv[1], "tree")
for d in range(20):
    os.makedirs(os.path.join(top, f"d{d:02}"))
    for f in range(100):
        i = d * 100 + f
        with open(os.path.join(top, f"d{d:02}", f"f{f:03}"), "wb") as out:
            out.write(bytes((i + k) & 0xFF for k in range(i * 37 % 2048)))
PY
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=2020-01-01 \
    -cf "$work/tree.tar" -C "$work/src" tree

# kvm:kvm_emulate_insn counts the guest kernel's instructions on kvm-pvm
# only: hardware KVM runs them natively and emulates a few.
perf_ok=0
perf_why="not kvm-pvm: hardware KVM does not emulate kernel instructions"
if [[ $platform == kvm-pvm ]]; then
    if command -v perf >/dev/null &&
        perf stat -e kvm:kvm_emulate_insn -x, -o "$work/perf.check" -- true 2>/dev/null; then
        perf_ok=1
    else
        perf_why="perf stat -e kvm:kvm_emulate_insn does not work here"
    fi
fi

echo "$me: $runs runs of each ($platform)" >&2
python3 - "$lstar" "$probe" "$work" "$shm" "$runs" "$perf_ok" "$perf_why" \
    "$platform_long" "$date" "$cpu" "$ncpu" "$native_only" <<'PY'
import os, shutil, statistics, subprocess, sys, time

(lstar, probe, work, shm, runs, perf_ok, perf_why, platform, date, cpu, ncpu,
 native_only) = sys.argv[1:13]
runs, perf_ok, native_only = int(runs), perf_ok == "1", native_only == "1"
tarball = os.path.join(work, "tree.tar")
BUSYBOX = "/bin/busybox"
FILES, TAR_FILES = 1000, 2000
MEM = "256"  # MiB: the tarball and the extracted tree both live in the guest's tmpfs
med = statistics.median


def run(argv, want=0, what=None):
    """Runs argv; returns (wall seconds, stdout). Stops the benchmark when
    the status is not `want` (None: any)."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=900)
    wall = time.perf_counter() - t0
    if want is not None and r.returncode != want:
        sys.exit(f"vfs-bench: {what or ' '.join(argv)} exited {r.returncode} (want {want}):\n"
                 f"{r.stdout.decode(errors='replace')[-2000:]}{r.stderr.decode(errors='replace')[-2000:]}")
    return wall, r.stdout.decode(errors="replace")


def lstar_argv(files, argv):
    out = [lstar, "run", "--quiet", "--mem", MEM]
    for host, guest in files:
        out += ["--file", f"{host}:{guest}"]
    return out + ["--"] + argv


def probe_ms(stdout):
    values = dict(line.split(" ", 1) for line in stdout.splitlines() if " " in line)
    return float(values["elapsed_ms"])


def insns(argv, want):
    """Emulated guest instructions of one run (perf stat, CSV to a file)."""
    out = os.path.join(work, "perf.csv")
    run(["perf", "stat", "-e", "kvm:kvm_emulate_insn", "-x", ",", "-o", out, "--"] + argv, want,
        " ".join(argv))
    for line in open(out):
        cells = line.strip().split(",")
        if len(cells) > 2 and cells[2].startswith("kvm:kvm_emulate_insn"):
            return int(cells[0])
    sys.exit(f"vfs-bench: no kvm:kvm_emulate_insn count in {open(out).read()!r}")


counter = iter(range(1 << 30))


def fresh(prefix):
    d = os.path.join(shm, f"{prefix}-{next(counter)}")
    os.mkdir(d)
    return d


# The guest's commands.
tar_files = [(tarball, "/tmp/tree.tar")]
guest_probe = lstar_argv([], [probe, "/tmp/bench", str(FILES)])
guest_probe_empty = lstar_argv([], [probe, "/tmp/bench", "0"])
guest_tar = lstar_argv(tar_files, [BUSYBOX, "tar", "xf", "/tmp/tree.tar", "-C", "/tmp"])
# The empty runs fail at once ("short read"): status 1.
guest_tar_empty = lstar_argv([], [BUSYBOX, "tar", "xf", "/dev/null", "-C", "/tmp"])
guest_tar_setup = lstar_argv(tar_files, [BUSYBOX, "tar", "xf", "/dev/null", "-C", "/tmp"])

# --- checks: the extraction is complete on both sides ---------------------
_, listing = run([BUSYBOX, "tar", "tf", tarball])
entries = len(listing.splitlines())  # 2,000 files and 21 directories
d = fresh("check")
_, names = run([BUSYBOX, "tar", "xvf", tarball, "-C", d])
if len(names.splitlines()) != entries or sum(len(f) for _, _, f in os.walk(d)) != TAR_FILES:
    sys.exit(f"vfs-bench: native tar extracted {len(names.splitlines())} of {entries} entries")
if not native_only:
    _, names = run(lstar_argv(tar_files, [BUSYBOX, "tar", "xvf", "/tmp/tree.tar", "-C", "/tmp"]))
    if len(names.splitlines()) != entries:
        sys.exit(f"vfs-bench: tar in lstar extracted {len(names.splitlines())} of {entries} entries")

# --- timings, interleaved -------------------------------------------------
n_probe, g_probe, n_tar, n_tar0, g_tar, g_tar0 = [], [], [], [], [], []
for i in range(runs):
    print(f"vfs-bench: run {i + 1} of {runs}", file=sys.stderr)
    n_probe.append(probe_ms(run([probe, fresh("probe"), str(FILES)])[1]))
    n_tar.append(run([BUSYBOX, "tar", "xf", tarball, "-C", fresh("tar")])[0] * 1e3)
    n_tar0.append(run([BUSYBOX, "tar", "xf", "/dev/null", "-C", fresh("tar0")], want=1)[0] * 1e3)
    if native_only:
        continue
    g_probe.append(probe_ms(run(guest_probe)[1]))
    g_tar.append(run(guest_tar)[0] * 1e3)
    g_tar0.append(run(guest_tar_empty, want=1)[0] * 1e3)
    # Keep /dev/shm small: the trees are not needed any more.
    for name in os.listdir(shm):
        shutil.rmtree(os.path.join(shm, name))

# --- kernel instructions (kvm-pvm) ----------------------------------------
per_probe = per_tar = per_setup = None
if perf_ok and not native_only:
    print("vfs-bench: perf stat runs", file=sys.stderr)
    reps = 3
    p_full = med(insns(guest_probe, 0) for _ in range(reps))
    p_empty = med(insns(guest_probe_empty, 0) for _ in range(reps))
    t_full = med(insns(guest_tar, 0) for _ in range(reps))
    t_empty = med(insns(guest_tar_empty, 1) for _ in range(reps))
    t_setup = med(insns(guest_tar_setup, 1) for _ in range(reps))
    per_probe = (p_full - p_empty) / FILES
    per_tar = (t_full - t_empty) / TAR_FILES
    per_setup = (t_setup - t_empty) / TAR_FILES

# --- report ---------------------------------------------------------------
def ms(v):
    return f"{v:.1f} ms" if v >= 10 else f"{v:.2f} ms"


def per_file(v, n):
    return f"{v * 1e3 / n:.1f} us/file"


np_ms = med(n_probe)
nt_ms = med(n_tar) - med(n_tar0)
if native_only:
    gp = gt = ratio_p = ratio_t = "(not run)"
else:
    gp_ms, gt_ms = med(g_probe), med(g_tar) - med(g_tar0)
    gp = f"{ms(gp_ms)} ({per_file(gp_ms, FILES)})"
    gt = f"{ms(gt_ms)} ({per_file(gt_ms, TAR_FILES)})"
    ratio_p, ratio_t = f"{gp_ms / np_ms:.0f}", f"{gt_ms / nt_ms:.0f}"
if native_only:
    ins = lambda v: "(not run)"
elif not perf_ok:
    ins = lambda v: f"n/a ({perf_why})"
else:
    ins = lambda v: f"{v:,.0f}"
size_kib = os.path.getsize(tarball) / 1024

print(f"### VFS: `bash scripts/vfs-bench.sh` ({date}; {runs} runs, medians)\n")
print(f"- platform: {platform}; date: {date}; CPU: {cpu} ({ncpu} CPUs); Linux {os.uname().release}")
print(f"- native: a directory in the host's /dev/shm (tmpfs); lstar: the guest's /tmp (tmpfs), --mem {MEM}")
print(f"- probe: tests/progs/vfs-bench.c, its own CLOCK_MONOTONIC around the loop: per file open(O_CREAT),"
      f" write 4 KiB, close, stat")
print(f"- tar: `busybox tar xf` of a {TAR_FILES:,}-file tarball ({entries - TAR_FILES} directories,"
      f" 0-2 KiB files, {size_kib:,.0f} KiB), host wall time minus that of an empty run"
      f" (`tar xf /dev/null`, no --file); lstar's includes the --file copy of the tarball")
print(f"- kernel instructions per file: kvm:kvm_emulate_insn of the run minus that of the empty run"
      f" (probe: N = 0), divided by the files; medians of 3\n")
print("| workload | native | lstar | lstar/native | kernel instructions per file |")
print("|---|---:|---:|---:|---:|")
print(f"| create + write 4 KiB + close + stat, {FILES:,} files | {ms(np_ms)} ({per_file(np_ms, FILES)}) "
      f"| {gp} | {ratio_p} | {ins(per_probe)} |")
print(f"| `busybox tar xf`, {TAR_FILES:,} files | {ms(nt_ms)} ({per_file(nt_ms, TAR_FILES)}) "
      f"| {gt} | {ratio_t} | {ins(per_tar)} |")
print(f"| of which the `--file` copy of the tarball into the guest | | | | {ins(per_setup)} |")
PY
