#!/usr/bin/env bash
# Boot benchmark (issue 2): `lstar run -- hello` against QEMU microvm
# (-accel kvm) booting the same kernel ELF with the same program, in one run
# on one machine. Prints a markdown table: median wall time of each (from
# process start to exit), their ratio, the peak RSS of each, and lstar's
# overhead = its peak RSS minus the guest memory it touched (from the line
# `lstar run --verbose` prints at exit).
#
#   scripts/bench.sh            # BENCH_RUNS=N to change the number of runs (default 20)
#
# Then both kernels under QEMU TCG with -icount (the Linux peer row:
# Linux does not boot under kvm-pvm): wall time and instructions from
# reset to the program's main() and to its exit (tests/progs/boot-tsc.c).
#
# Targets: lstar/QEMU wall time <= 0.25; VMM overhead <= 2 MiB.
# Compare ratios measured in the same run only, never absolute times
# across machines (docs: ../shared/PLATFORM.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${BENCH_RUNS:-20}
((runs >= 10)) || { echo "bench: BENCH_RUNS must be at least 10" >&2; exit 1; }

# --- platform ---------------------------------------------------------------
# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
bench_platform

# --- builds -----------------------------------------------------------------
bash scripts/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bench: building lstar (release), the guest kernel and hello" >&2
bench_build_lstar
musl-gcc -static -O2 -o "$work/hello" tests/progs/hello.c

# The peak RSS the kernel reports for a child (wait4's ru_maxrss) is the
# maximum over the process's whole life, including the memory of the
# process that forked it before the exec: measured from python3 directly,
# every small child would "use" python's ~15 MiB. So a tiny static helper
# forks, execs and waits, and reports the child's time and peak RSS.
cat >"$work/measure.c" <<'C'
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* measure PROGRAM ARGS...: runs it; writes "NANOSECONDS MAXRSS_KIB STATUS"
 * to fd 3 (STATUS as a shell gives it). */
int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	if (argc < 2)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		close(3);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	dprintf(3, "%lld %ld %d\n", ns, ru.ru_maxrss, code);
	return 0;
}
C
musl-gcc -static -O2 -o "$work/measure" "$work/measure.c"

# QEMU's exact command line, as scripts/qemu-run.sh --kvm builds it (this
# also builds the guest kernel).
bash scripts/qemu-run.sh --kvm --print-argv "$work/hello" >"$work/qemu-argv"

python3 - "$work/measure" "$lstar" "$work/hello" "$work/qemu-argv" "$runs" "$platform_long" "$cpu" <<'PY'
import datetime, os, shutil, statistics, sys, tempfile

measure, lstar, hello, argv_file, runs, platform, cpu = sys.argv[1:8]
runs = int(runs)
qemu_argv = open(argv_file, "rb").read().split(b"\0")[:-1]
qemu_argv = [a.decode() for a in qemu_argv]
qemu_argv[0] = shutil.which(qemu_argv[0]) or qemu_argv[0]
# lstar boots the kernel embedded in it (what users run); QEMU the one the
# guest workspace builds from the same source (scripts/qemu-run.sh).
lstar_argv = [lstar, "run", "--", hello]
lstar_verbose = [lstar, "run", "--verbose", "--", hello]
EXPECTED = b"hello world\n"


def run(argv):
    """Runs argv to its end; returns (seconds, peak RSS KiB, stdout, stderr)."""
    files = [tempfile.TemporaryFile() for _ in range(3)]
    out, err, report = files
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
        (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        (os.POSIX_SPAWN_DUP2, report.fileno(), 3),
    ]
    pid = os.posix_spawn(measure, [measure] + argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    for f in files:
        f.seek(0)
    stdout, stderr, line = out.read(), err.read(), report.read().decode()
    for f in files:
        f.close()
    if os.waitstatus_to_exitcode(status) != 0 or len(line.split()) != 3:
        sys.exit(f"bench: measuring {argv} failed")
    ns, maxrss, code = (int(x) for x in line.split())
    return ns / 1e9, maxrss, code, stdout, stderr


def check(what, result, want_code):
    _, _, code, stdout, stderr = result
    if code != want_code or stdout != EXPECTED:
        sys.exit(f"bench: {what} failed: status {code} (want {want_code}), "
                 f"stdout {stdout[:200]!r}, stderr {stderr[-500:]!r}")


# QEMU exits with (V << 1) | 1 for the guest's exit status V: 1 for status 0.
for _ in range(2):  # warm-up: page cache, KVM module state
    check("lstar", run(lstar_argv), 0)
    check("qemu", run(qemu_argv), 1)

lstar_t, qemu_t, lstar_rss, qemu_rss, touched = [], [], [], [], []
for _ in range(runs):  # interleaved, so drifts hit both alike
    r = run(lstar_argv); check("lstar", r, 0); lstar_t.append(r[0])
    r = run(qemu_argv); check("qemu", r, 1); qemu_t.append(r[0]); qemu_rss.append(r[1])
for _ in range(runs):
    r = run(lstar_verbose); check("lstar --verbose", r, 0)
    lstar_rss.append(r[1])
    for line in r[4].decode(errors="replace").splitlines():
        # lstar: guest memory touched: N KiB, peak RSS: M KiB
        if line.startswith("lstar: guest memory touched: "):
            touched.append(int(line.split(": ")[2].split()[0]))

med = statistics.median
lt, qt = med(lstar_t) * 1e3, med(qemu_t) * 1e3
ratio = lt / qt
lr, qr = med(lstar_rss) / 1024, med(qemu_rss) / 1024
if touched:
    tk = med(touched) / 1024
    overhead = med([r - t for r, t in zip(lstar_rss, touched)]) / 1024
    touched_s, overhead_s = f"{tk:.1f} MiB", f"{overhead:.2f} MiB"
    overhead_ok = "yes" if overhead <= 2 else "no"
else:
    touched_s = overhead_s = "n/a (no `guest memory touched` line from --verbose)"
    overhead_ok = "n/a"

uname = os.uname()
print("### Boot benchmark: `lstar run -- hello` vs QEMU microvm\n")
print(f"- date: {datetime.date.today().isoformat()}")
print(f"- machine: {cpu}, {os.cpu_count()} CPUs, Linux {uname.release}")
print(f"- platform: {platform}")
print(f"- runs: {runs} of each, interleaved, after 2 warm-up runs; medians\n")
print("| measure | lstar | QEMU microvm `-accel kvm` | target | met |")
print("|---|---|---|---|---|")
print(f"| wall time, start to exit | {lt:.1f} ms | {qt:.1f} ms | | |")
print(f"| ratio lstar/QEMU | {ratio:.2f} | | <= 0.25 | {'yes' if ratio <= 0.25 else 'no'} |")
print(f"| peak RSS | {lr:.1f} MiB | {qr:.1f} MiB | | |")
print(f"| guest memory touched | {touched_s} | | | |")
print(f"| VMM overhead (peak RSS - guest touched) | {overhead_s} | | <= 2 MiB | {overhead_ok} |")
PY

# --- the Linux peer, under QEMU TCG ------------------------------------------
# Linux does not boot under kvm-pvm (../shared/PLATFORM.md), so the peer
# row is TCG with `-icount shift=0,sleep=off` for both kernels: the guest
# TSC counts instructions from reset (sleep=off: an idle guest's clock
# jumps to the next timer at once instead of following the host's, so the
# figures are the same on every run), and tests/progs/boot-tsc.c prints it
# at main() and just before the exit. Wall time is QEMU's process, start to exit
# (TCG translates as it goes: the time is the emulator's, the
# instructions are the kernels').
tcg_runs=${BENCH_TCG_RUNS:-3}
musl-gcc -static -O2 -o "$work/boot-tsc" tests/progs/boot-tsc.c
export QEMU_EXTRA_ARGS="-icount shift=0,sleep=off" QEMU_RUN_TIMEOUT=300
guest_kernel=$root/guest-kernel/target/x86_64-unknown-none/release/lstar-kernel
linux_why=
if ! vmlinuz=$(bash scripts/linux-peer.sh vmlinuz 2>"$work/why"); then
    linux_why=$(cat "$work/why")
elif ! bash scripts/linux-peer.sh vmlinux "$work/vmlinux" 2>"$work/why"; then
    linux_why=$(cat "$work/why")
else
    mkdir -p "$work/initramfs"
    cp "$work/boot-tsc" "$work/initramfs/init"
    bash scripts/linux-peer.sh initramfs "$work/initramfs" "$work/init.cpio"
fi

tcg_run() { # name out command...: one run; appends "SECONDS MAIN EXIT" to out
    local name=$1 out=$2 t0 t1 log=$work/tcg.log
    shift 2
    t0=$(date +%s.%N)
    "$@" >"$log" 2>&1 || true
    t1=$(date +%s.%N)
    local at_main at_exit
    at_main=$(tr -d '\r' <"$log" | sed -n 's/^boot-tsc: main \([0-9]*\)$/\1/p' | head -1)
    at_exit=$(tr -d '\r' <"$log" | sed -n 's/^boot-tsc: exit \([0-9]*\)$/\1/p' | head -1)
    if [[ -z $at_main || -z $at_exit ]]; then
        tail -20 "$log" >&2
        echo "bench: $name under QEMU TCG did not print boot-tsc's lines (output above)" >&2
        exit 1
    fi
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $at_main $at_exit" >>"$out"
}

echo "bench: lstar's kernel and Linux under QEMU TCG -icount shift=0,sleep=off, $tcg_runs runs each" >&2
for _ in $(seq "$tcg_runs"); do
    # qemu-run.sh builds the kernel; QEMU gives it no TSC frequency, so it
    # calibrates against the PIT (2 ms); lstar's VMM passes the frequency.
    tcg_run lstar "$work/tcg-lstar-pit" bash scripts/qemu-run.sh --mem 256 "$work/boot-tsc"
    tcg_run lstar "$work/tcg-lstar" bash scripts/qemu-run.sh --kernel "$guest_kernel" \
        --append "lstar.seed=00 lstar.tsc_khz=1000000 lstar.log=warn --" --mem 256 "$work/boot-tsc"
    if [[ -z $linux_why ]]; then
        tcg_run Linux "$work/tcg-linux" bash scripts/qemu-run.sh --kernel "$work/vmlinux" \
            --append "console=ttyS0 panic=-1 quiet -- exit-port" --mem 256 "$work/init.cpio"
    fi
done

tcg_row() { # label file
    sort -n "$2" | awk -v label="$1" '
        { t[NR] = $1; m[NR] = $2; e[NR] = $3 }
        END { i = int((NR + 1) / 2); printf "| %s | %.0f ms | %d | %d |\n", label, t[i] * 1000, m[i], e[i] }'
}
echo
echo "Under QEMU TCG \`-icount shift=0,sleep=off\` (\`-M microvm,acpi=off -cpu max -m 256\`, $tcg_runs runs each, medians; instructions are the guest TSC, exact):"
echo
echo "| kernel | wall time, QEMU start to exit | instructions, reset to main() | instructions, reset to exit |"
echo "|---|---:|---:|---:|"
tcg_row "lstar, given the TSC frequency (\`lstar.tsc_khz=\`, as lstar's VMM passes it)" "$work/tcg-lstar"
tcg_row "lstar, measuring the TSC against the PIT (QEMU passes no frequency)" "$work/tcg-lstar-pit"
if [[ -z $linux_why ]]; then
    tcg_row "Linux $(basename "$vmlinuz" | sed 's/^vmlinuz-//') (Debian), boot-tsc as /init" "$work/tcg-linux"
else
    echo "| Linux | missing: $linux_why | | |"
fi
echo
echo "Linux does not boot under kvm-pvm at all (../shared/PLATFORM.md), so it has no row above."
