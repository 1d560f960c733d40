#!/usr/bin/env bash
# Process benchmark (issue 10): the guest's fork, exec, pipes and scheduler
# against the host's, in one run on one machine.
#   - probe: tests/progs/proc-bench.c times its own loop (CLOCK_MONOTONIC;
#     the guest's clock in lstar) for fork+exit+wait, fork+exec(/bin/busybox
#     true)+wait, a 1-byte pipe round trip between two processes, 64 KiB
#     pipe writes to a reading process, and sched_yield between two
#     processes on one CPU; natively and in lstar (with --file
#     /bin/busybox:/bin/busybox);
#   - shell: `busybox sh -c` running 100 iterations of `echo | cat`:
#     host wall time of the run minus that of `busybox sh -c :` (in lstar
#     that takes the boot out), per iteration;
#   - where `perf stat -e kvm:kvm_emulate_insn` works (kvm-pvm, where every
#     ring-0 guest instruction is emulated and counted): kernel
#     instructions per operation, (count of the run - count of the same
#     run with N = 0) / N, the shell's against `sh -c :`;
#   - idle: host CPU time (user + system, from wait4's rusage) of
#     `lstar run -- /bin/busybox sleep 10` and of the same sleep natively.
# Prints the platform (kvm-pvm, or VMX/SVM hardware KVM), the date, the CPU
# and a markdown table: native, lstar, lstar/native, kernel instructions
# per operation. Medians of BENCH_RUNS runs (default 3), native and lstar
# interleaved. A measurement that fails (a kernel without fork yet) shows
# as "failed" with the reason below the table; the others still run, and
# the script then exits 2 (0 when everything was measured).
#
# With the defaults it takes 3.5 minutes on kvm-pvm (2 CPUs, a quiet
# machine; the build aside), at most ~5 under some load. The shell loop
# sets the length: one iteration (two forks, an exec of busybox, a pipe)
# is ~220,000 emulated kernel instructions, ~0.17 s there, and the loop
# runs BENCH_RUNS times plus once under perf; at the former 1,000
# iterations the script would take ~13 minutes (estimated from those
# figures; such a run was stopped after 10).
#
#   scripts/proc-bench.sh                 # BENCH_RUNS=N for more or fewer runs
#   scripts/proc-bench.sh --native-only   # the native column only (no /dev/kvm needed)
#   BENCH_IDLE_SECONDS=10                 # length of the idle measurement (0 skips it)
#   BENCH_SH_ITERATIONS=100               # iterations of the shell loop
#
# Compare ratios from the same run only (../shared/PLATFORM.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=proc-bench
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
runs=${BENCH_RUNS:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
idle=${BENCH_IDLE_SECONDS:-10}
[[ $idle =~ ^[0-9]+$ ]] || die "BENCH_IDLE_SECONDS must be a number of seconds"
sh_iter=${BENCH_SH_ITERATIONS:-100}
[[ $sh_iter =~ ^[1-9][0-9]*$ ]] || die "BENCH_SH_ITERATIONS must be a positive number"

# --- platform ---------------------------------------------------------------
# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
if ((native_only)) && [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
    platform="none"
    platform_long="no usable /dev/kvm (native column only)"
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    ncpu=$(nproc)
    date=$(date -u +%Y-%m-%d)
else
    bench_platform
fi
command -v python3 >/dev/null || die "python3 not found"
command -v musl-gcc >/dev/null || die "musl-gcc not found (scripts/setup.sh installs it)"
[[ -x /bin/busybox ]] || die "/bin/busybox not found (scripts/setup.sh installs busybox-static)"

# --- builds -----------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ((native_only)); then
    echo "$me: building tests/progs/proc-bench.c" >&2
    lstar=
else
    echo "$me: building lstar (release) and tests/progs/proc-bench.c" >&2
    bench_build_lstar
fi
probe=$work/proc-bench
musl-gcc -static -O2 -o "$probe" tests/progs/proc-bench.c

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
python3 - "$lstar" "$probe" "$work" "$runs" "$perf_ok" "$perf_why" \
    "$platform_long" "$date" "$cpu" "$ncpu" "$native_only" "$idle" "$sh_iter" <<'PY'
import os, statistics, subprocess, sys, time

(lstar, probe, work, runs, perf_ok, perf_why, platform, date, cpu, ncpu, native_only,
 idle, sh_iter) = sys.argv[1:14]
runs, perf_ok, native_only, idle = int(runs), perf_ok == "1", native_only == "1", int(idle)
BUSYBOX = "/bin/busybox"
MEM = "128"
med = statistics.median

# (key, description, probe mode, count natively, count in lstar, unit).
# Per operation means per N, except for yield: N sched_yield calls in each
# of two processes are 2N switches.
PROBES = [
    ("fork", "fork + _exit + waitpid", "fork", 1000, 200, "us/op"),
    ("forkexec", "fork + execve(/bin/busybox true) + waitpid", "forkexec", 300, 50, "us/op"),
    ("pingpong", "pipe round trip, 1 byte each way, two processes", "pingpong", 20000, 2000, "us/op"),
    ("pipe", "pipe throughput, 64 KiB writes to a reading process", "pipe", 4096, 512, "MiB/s"),
    ("yield", "sched_yield between two processes on one CPU (per switch)", "yield", 20000, 2000, "us/op"),
]
SH_ITER = int(sh_iter)
SH_LOOP = f"i=0; while [ $i -lt {SH_ITER} ]; do echo | cat; i=$((i + 1)); done"

failures = []  # (what, reason), printed under the table


class Failed(Exception):
    pass


def run(argv, what):
    """Runs argv (stdin /dev/null); returns (wall seconds, stdout, rusage
    CPU seconds). Raises Failed when the status is not 0."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Failed(f"{what}: timed out after 900 s")
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        last = [l for l in err.decode(errors="replace").splitlines() if l.strip()][-3:]
        raise Failed(f"{what}: exit status {p.returncode}" + (f" ({' / '.join(last)})" if last else ""))
    return wall, out.decode(errors="replace")


def cpu_of(argv, what):
    """Host CPU seconds (user + system) of argv and its children, via wait4."""
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_RDWR)
            os.dup2(fd, 0)
            os.dup2(fd, 1)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise Failed(f"{what}: exit status {os.waitstatus_to_exitcode(status)}")
    return ru.ru_utime + ru.ru_stime


def lstar_argv(argv, busybox_file=True):
    out = [lstar, "run", "--quiet", "--mem", MEM]
    if busybox_file:
        out += ["--file", f"{BUSYBOX}:{BUSYBOX}"]
    return out + ["--"] + argv


def probe_ns(stdout, what):
    values = dict(line.split(" ", 1) for line in stdout.splitlines() if " " in line)
    try:
        return int(values["elapsed_ns"])
    except (KeyError, ValueError):
        raise Failed(f"{what}: no elapsed_ns line in {stdout!r}")


def insns(argv, what):
    """Emulated guest instructions of one run (perf stat, CSV to a file)."""
    out = os.path.join(work, "perf.csv")
    run(["perf", "stat", "-e", "kvm:kvm_emulate_insn", "-x", ",", "-o", out, "--"] + argv, what)
    for line in open(out):
        cells = line.strip().split(",")
        if len(cells) > 2 and cells[2].startswith("kvm:kvm_emulate_insn"):
            return int(cells[0])
    raise Failed(f"{what}: no kvm:kvm_emulate_insn count in {open(out).read()!r}")


def attempt(key, what, fn):
    """fn(), or None with the reason kept for the notes."""
    try:
        return fn()
    except Failed as e:
        if not any(k == key for k, _ in failures):
            failures.append((key, str(e)))
        return None


# --- timings, interleaved -------------------------------------------------
native = {k: [] for k, *_ in PROBES}
guest = {k: [] for k, *_ in PROBES}
native["sh"], guest["sh"] = [], []
sh_native = [BUSYBOX, "sh", "-c", SH_LOOP]
sh_native_empty = [BUSYBOX, "sh", "-c", ":"]
sh_guest = lstar_argv(sh_native, busybox_file=False)
sh_guest_empty = lstar_argv(sh_native_empty, busybox_file=False)

for i in range(runs):
    print(f"proc-bench: run {i + 1} of {runs}", file=sys.stderr)
    for key, _, mode, n_native, n_guest, _ in PROBES:
        per = 2 if key == "yield" else 1
        v = attempt("native " + key, key, lambda: probe_ns(
            run([probe, mode, str(n_native)], f"native {mode}")[1], f"native {mode}") / (per * n_native))
        if v is not None:
            native[key].append(v)
        if not native_only:
            v = attempt("lstar " + key, key, lambda: probe_ns(
                run(lstar_argv([probe, mode, str(n_guest)]), f"lstar {mode}")[1], f"lstar {mode}") / (per * n_guest))
            if v is not None:
                guest[key].append(v)
    v = attempt("native sh", "sh", lambda: (run(sh_native, "native sh loop")[0]
                                           - run(sh_native_empty, "native sh -c :")[0]) * 1e9 / SH_ITER)
    if v is not None:
        native["sh"].append(v)
    if not native_only:
        v = attempt("lstar sh", "sh", lambda: (run(sh_guest, "lstar sh loop")[0]
                                              - run(sh_guest_empty, "lstar sh -c :")[0]) * 1e9 / SH_ITER)
        if v is not None:
            guest["sh"].append(v)

# --- kernel instructions (kvm-pvm) ----------------------------------------
per_op = {}
if perf_ok and not native_only:
    print("proc-bench: perf stat runs", file=sys.stderr)
    for key, _, mode, _, n_guest, _ in PROBES:
        def count(mode=mode, n=n_guest):
            full = med(insns(lstar_argv([probe, mode, str(n)]), f"perf lstar {mode}") for _ in range(3))
            empty = med(insns(lstar_argv([probe, mode, "0"]), f"perf lstar {mode} 0") for _ in range(3))
            return (full - empty) / (n * (2 if mode == "yield" else 1))
        per_op[key] = attempt("perf " + key, key, count)
    per_op["sh"] = attempt("perf sh", "sh", lambda: (insns(sh_guest, "perf lstar sh loop")
                                                    - insns(sh_guest_empty, "perf lstar sh -c :")) / SH_ITER)

# --- idle -----------------------------------------------------------------
idle_native = idle_guest = idle_guest0 = None
if idle > 0:
    print(f"proc-bench: idle, {idle} s each", file=sys.stderr)
    idle_native = attempt("native idle", "idle", lambda: cpu_of([BUSYBOX, "sleep", str(idle)], "native sleep"))
    if not native_only:
        idle_guest = attempt("lstar idle", "idle", lambda: cpu_of(
            lstar_argv([BUSYBOX, "sleep", str(idle)], busybox_file=False), "lstar sleep"))
        # The same run with `sleep 0`: boot and exit, to take out.
        idle_guest0 = attempt("lstar idle", "idle", lambda: med(cpu_of(
            lstar_argv([BUSYBOX, "sleep", "0"], busybox_file=False), "lstar sleep 0") for _ in range(3)))

# --- report ---------------------------------------------------------------
def us(ns):
    v = ns / 1e3
    return f"{v:.1f} us" if v >= 10 else f"{v:.2f} us"


def cell(values, unit):
    if not values:
        return None, "failed"
    v = med(values)
    if unit == "MiB/s":
        rate = 64 * 1024 / (v / 1e9) / (1 << 20)  # v: ns per 64 KiB write
        return v, f"{rate:,.0f} MiB/s ({us(v)}/write)"
    return v, us(v)


def ratio(n, g):
    if n is None or g is None:
        return "-"
    return f"{g / n:.1f}"


def ins(key):
    if native_only:
        return "(not run)"
    if not perf_ok:
        return f"n/a ({perf_why})"
    v = per_op.get(key)
    return "failed" if v is None else f"{v:,.0f}"


rows = [(key, desc, unit, f"N = {nn:,} / {ng:,}") for key, desc, _, nn, ng, unit in PROBES]
rows.append(("sh", "`busybox sh -c` loop of `echo \\| cat`, per iteration", "us/op", f"N = {SH_ITER:,}"))

print(f"### Processes: `bash scripts/proc-bench.sh` ({date}; {runs} runs, medians)\n")
print(f"- platform: {platform}; date: {date}; CPU: {cpu} ({ncpu} CPUs); Linux {os.uname().release}")
print(f"- probe: tests/progs/proc-bench.c, its own CLOCK_MONOTONIC around the loop (N natively / in lstar);"
      f" lstar with --mem {MEM} and --file {BUSYBOX}:{BUSYBOX}")
print(f"- shell: host wall time of `busybox sh -c '{SH_LOOP}'` minus that of `busybox sh -c :`, / {SH_ITER}")
print(f"- kernel instructions per operation: kvm:kvm_emulate_insn of the run minus that of the same run"
      f" with N = 0 (shell: `sh -c :`), / N; medians of 3\n")
print("| operation | native | lstar | lstar/native | kernel instructions/op |")
print("|---|---:|---:|---:|---:|")
for key, desc, unit, ns in rows:
    n, ntext = cell(native[key], unit)
    if native_only:
        g, gtext = None, "(not run)"
    else:
        g, gtext = cell(guest[key], unit)
    print(f"| {desc} ({ns}) | {ntext} | {gtext} | {ratio(n, g)} | {ins(key)} |")

if idle > 0:
    def cpu_cell(v):
        if v is None:
            return "failed"
        return f"{v * 1e3:.1f} ms ({v / idle * 100:.2f}% of a CPU)"
    g = "(not run)" if native_only else cpu_cell(idle_guest)
    g0 = "(not run)" if native_only else (
        "failed" if idle_guest is None or idle_guest0 is None else cpu_cell(max(0.0, idle_guest - idle_guest0)))
    print(f"\n| idle: host CPU (user + system, wait4 rusage) of `busybox sleep {idle}` | native | lstar |")
    print("|---|---:|---:|")
    print(f"| the whole run | {cpu_cell(idle_native)} | {g} |")
    print(f"| minus the same run with `sleep 0` (lstar: boot and exit) | | {g0} |")

if failures:
    print("\nFailed measurements:")
    for key, reason in failures:
        print(f"- {key}: {reason}")
    sys.exit(2)
PY
