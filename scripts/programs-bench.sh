#!/usr/bin/env bash
# Real programs, lstar against native (the performance issue): the same
# static binary natively and in lstar, in one run, interleaved, median of
# BENCH_RUNS runs (default 5); the output of both must be the same bytes.
#   - busybox (Debian's busybox-static, /bin/busybox): `sort -n` of 20,000
#     random lines, `gzip -9` of 8 MiB of text, `sha256sum` of 64 MiB from
#     /dev/zero (`dd | sha256sum`, a pipe), an `awk` loop of 10^6 iterations;
#   - Lua 5.4.7 running scripts/bench-progs/gc.lua (a million short-lived
#     tables: the collector runs all the time), from the lua-src 547.0.0
#     crate's sources;
#   - SQLite 3.46.0 running 20,000 INSERTs into an in-memory database, from
#     the amalgamation in the libsqlite3-sys 0.30.1 crate.
#   Both are fetched from crates.io (static.crates.io, checked against the
#   registry index's sha256) into target/bench-src and built with musl-gcc
#   -static -O2 into target/bench-progs; the hosts are our lua-run.c and
#   sqlite-run.c (the crates carry no lua.c or shell.c).
# Where `perf stat -e kvm:kvm_emulate_insn` works (kvm-pvm: every ring-0
# guest instruction is emulated and counted), the kernel instructions of
# one lstar run too. Prints the platform, the date, the CPU and a markdown
# table. Compare ratios from the same run only (../shared/PLATFORM.md).
#
#   scripts/programs-bench.sh            # BENCH_RUNS=N runs per side
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=programs-bench
die() {
    echo "$me: $*" >&2
    exit 1
}
case ${1:-} in
    "") ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (usage: $0)" ;;
esac
runs=${BENCH_RUNS:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"

# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh"
bench_platform
for tool in python3 musl-gcc curl sha256sum; do
    command -v $tool >/dev/null || die "$tool not found (bash scripts/setup.sh installs what the suite needs)"
done
[[ -x /bin/busybox ]] || die "/bin/busybox not found (apt-get install busybox-static)"
bench_build_lstar

src=$root/target/bench-src
bin=$root/target/bench-progs
mkdir -p "$src" "$bin"

# fetch CRATE VERSION SHA256: the crate's source tree under $src.
fetch() {
    local crate=$1 version=$2 sum=$3 file=$src/$1-$2.crate
    if [[ ! -d $src/$crate-$version ]]; then
        curl -sfL -o "$file.part" "https://static.crates.io/crates/$crate/$crate-$version.crate" ||
            die "cannot download $crate $version from static.crates.io"
        echo "$sum  $file.part" | sha256sum -c --quiet - || die "$crate $version: wrong sha256"
        mv "$file.part" "$file"
        tar xzf "$file" -C "$src"
    fi
}
fetch lua-src 547.0.0 1edaf29e3517b49b8b746701e5648ccb5785cde1c119062cbabbc5d5cd115e42
fetch libsqlite3-sys 0.30.1 2e99fb7a497b1e3339bc746195567ed8d3e24945ecd636e3619d20b9de9e9149
lua_dir=$src/lua-src-547.0.0/lua-5.4.7
sqlite_dir=$src/libsqlite3-sys-0.30.1/sqlite3
if [[ ! -x $bin/lua-run || scripts/bench-progs/lua-run.c -nt $bin/lua-run ]]; then
    echo "$me: building Lua 5.4.7" >&2
    # Every .c of the crate's Lua is the library (no lua.c/luac.c there).
    musl-gcc -static -O2 -DLUA_USE_POSIX -I"$lua_dir" -o "$bin/lua-run" \
        scripts/bench-progs/lua-run.c "$lua_dir"/*.c -lm
fi
if [[ ! -x $bin/sqlite-run || scripts/bench-progs/sqlite-run.c -nt $bin/sqlite-run ]]; then
    echo "$me: building SQLite 3.46.0 (a minute)" >&2
    musl-gcc -static -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -I"$sqlite_dir" \
        -o "$bin/sqlite-run" scripts/bench-progs/sqlite-run.c "$sqlite_dir/sqlite3.c" -lm
fi

perf_ok=0
if [[ $platform == kvm-pvm ]] && command -v perf >/dev/null &&
    perf stat -e kvm:kvm_emulate_insn -x, -o /dev/null -- true 2>/dev/null; then
    perf_ok=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$lstar" "$bin" "$root" "$work" "$runs" "$perf_ok" "$platform_long" "$date" "$cpu" "$ncpu" <<'PY'
import hashlib, os, random, statistics, subprocess, sys, time

lstar, bin, root, work, runs, perf_ok, platform, date, cpu, ncpu = sys.argv[1:]
runs, perf_ok = int(runs), perf_ok == "1"

# Inputs, the same bytes every run (seeded).
rng = random.Random(20261201)
with open(f"{work}/nums.txt", "w") as f:
    f.writelines(f"{rng.randrange(10**9)}\n" for _ in range(20000))
words = ["lorem", "ipsum", "dolor", "sit", "amet", "kernel", "page", "cache", "fault", "virtio"]
with open(f"{work}/text", "w") as f:
    size = 0
    while size < 8 << 20:
        line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.randrange(10**6)}\n"
        f.write(line)
        size += len(line)
with open(f"{work}/insert.sql", "w") as f:
    f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL);\n")
    for i in range(20000):
        f.write(f"INSERT INTO t(name, value) VALUES('row{i}', {rng.random():.6f});\n")
    f.write("SELECT count(*), sum(length(name)) FROM t;\n")

bb = "/bin/busybox"
# (name, native argv, guest argv, files for the guest as (host, guest)).
cases = [
    ("busybox `sort -n`, 20,000 random lines",
     [bb, "sort", "-n", f"{work}/nums.txt"], [bb, "sort", "-n", "/in/nums.txt"],
     [(f"{work}/nums.txt", "/in/nums.txt")]),
    ("busybox `gzip -9` of 8 MiB of text",
     [bb, "gzip", "-9", "-c", f"{work}/text"], [bb, "gzip", "-9", "-c", "/in/text"],
     [(f"{work}/text", "/in/text")]),
    ("busybox `sha256sum` of 64 MiB from /dev/zero (`dd bs=1M \\| sha256sum`)",
     [bb, "sh", "-c", f"{bb} dd if=/dev/zero bs=1048576 count=64 2>/dev/null | {bb} sha256sum"],
     [bb, "sh", "-c", f"{bb} dd if=/dev/zero bs=1048576 count=64 2>/dev/null | {bb} sha256sum"],
     []),
    ("busybox `awk`, 10^6-iteration loop",
     [bb, "awk", "BEGIN { s = 0; for (i = 0; i < 1000000; i++) s += i % 7; print s }"],
     [bb, "awk", "BEGIN { s = 0; for (i = 0; i < 1000000; i++) s += i % 7; print s }"],
     []),
    ("Lua 5.4 GC-heavy script (gc.lua)",
     [f"{bin}/lua-run", f"{root}/scripts/bench-progs/gc.lua"], ["/bin/lua-run", "/in/gc.lua"],
     [(f"{bin}/lua-run", "/bin/lua-run"), (f"{root}/scripts/bench-progs/gc.lua", "/in/gc.lua")]),
    ("SQLite in-memory, 20,000-row insert script",
     [f"{bin}/sqlite-run", f"{work}/insert.sql"], ["/bin/sqlite-run", "/in/insert.sql"],
     [(f"{bin}/sqlite-run", "/bin/sqlite-run"), (f"{work}/insert.sql", "/in/insert.sql")]),
]

def lstar_argv(guest, files):
    argv = [lstar, "run", "--mem", "512"]
    for host, path in files:
        argv += ["--file", f"{host}:{path}:ro"]
    # The program itself comes from the host; busybox sh finds the rest by path.
    program = guest[0]
    if program == bb:
        argv += ["--", bb] + guest[1:]
    else:
        argv += ["--", next(h for h, g in files if g == program)] + guest[1:]
    return argv

def timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"programs-bench: {' '.join(argv)} exited {p.returncode}: {p.stderr.decode(errors='replace')[-400:]}")
    return wall, hashlib.sha256(p.stdout).hexdigest()

def emulated(argv):
    out = f"{work}/perf.csv"
    subprocess.run(["perf", "stat", "-e", "kvm:kvm_emulate_insn", "-x", ",", "-o", out, "--"] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for line in open(out):
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("kvm:kvm_emulate_insn"):
            return int(f[0])
    return None

print(f"platform: {platform}; {date}; {cpu}, {ncpu} CPUs; median of {runs} runs, native and lstar interleaved")
print()
print("| program | native | lstar | lstar/native | kernel instructions (one lstar run) |")
print("|---|---:|---:|---:|---:|")
worst = 0
for name, native, guest, files in cases:
    g = lstar_argv(guest, files)
    nt, lt = [], []
    for _ in range(runs):
        t, want = timed(native)
        nt.append(t)
        t, got = timed(g)
        lt.append(t)
        if got != want:
            sys.exit(f"programs-bench: {name}: lstar's output differs from native")
    n, l = statistics.median(nt), statistics.median(lt)
    worst = max(worst, l / n)
    insn = f"{emulated(g):,}" if perf_ok else "n/a (not kvm-pvm)"
    print(f"| {name} | {n*1000:.1f} ms | {l*1000:.1f} ms | {l/n:.1f} | {insn} |", flush=True)
print()
print(f"target: every program within 5x of native; worst here {worst:.1f}x "
      f"({'met' if worst <= 5 else 'not met'})")
PY
