#!/usr/bin/env bash
# Memory-management benchmark (issues 12 and 13): emulated kernel
# instructions (`perf stat -e kvm:kvm_emulate_insn`) and host wall time of
#   - busybox `sort -n` of 20,000 random lines (made here, passed with --file);
#   - the first touch of 8 MiB of anonymous memory and its munmap
#     (tests/progs/munmap-bench.c; the munmap's instructions are the run's
#     minus those of the same run that keeps the mapping);
#   - tests/progs/vma-merge.c: 5,000 one-page mmaps, mprotect, munmap,
#     mremap, /proc/self/maps read 12 times;
#   - tests/progs/mm-churn.c: malloc's mmap/munmap churn (SQLite's one
#     page, Lua's 64 KiB), 10,000 cycles, untouched and written; per cycle
#     is the run's count minus that of a run with no cycles, over 10,000.
#
#   scripts/mm-bench.sh [RUNS]      # medians of RUNS runs (default 3)
#   LSTAR=/path/to/lstar scripts/mm-bench.sh   # another build (a "before")
#
# Needs perf (linux-perf) and root for the tracepoint.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
me=mm-bench
# shellcheck source=bench-common.sh
source scripts/bench-common.sh
bench_platform
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "$me: RUNS must be a positive number" >&2
    exit 1
}
command -v perf >/dev/null || {
    echo "$me: perf not found (apt-get install linux-perf)" >&2
    exit 1
}
if [[ -n ${LSTAR:-} ]]; then
    lstar=$LSTAR
else
    bench_build_lstar
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in munmap-bench vma-merge mm-churn; do
    musl-gcc -static -O2 -o "$work/$p" "tests/progs/$p.c"
done
awk 'BEGIN { srand(12); for (i = 0; i < 20000; i++) printf "%d\n", int(rand() * 1e9) }' >"$work/sort-in.txt"

# run NAME ARGS...: one line "instructions seconds" per run, medians printed.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() { # label, then the lstar arguments
    local label=$1
    shift
    local insns=() secs=()
    for ((i = 0; i < runs; i++)); do
        local out start end
        start=$(date +%s.%N)
        out=$(perf stat -x, -e kvm:kvm_emulate_insn -- "$lstar" run "$@" 2>&1 >/dev/null)
        end=$(date +%s.%N)
        insns+=("$(echo "$out" | awk -F, '/kvm_emulate_insn/ { print $1 }')")
        secs+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\t%s\t%s\n' "$label" \
        "$(printf '%s\n' "${insns[@]}" | median)" \
        "$(printf '%s\n' "${secs[@]}" | median)"
}

echo "- platform: $platform_long; date: $date; CPU: $cpu ($ncpu CPUs); lstar: $lstar; $runs runs, medians"
{
    measure sort --file "$work/sort-in.txt:/in.txt" -- /bin/busybox sort -n -o /tmp/out /in.txt
    measure touch8 -- "$work/munmap-bench" 8 keep
    measure munmap8 -- "$work/munmap-bench" 8
    measure vma -- "$work/vma-merge"
    measure churn0 -- "$work/mm-churn" 0 0 4096
    measure churn4 -- "$work/mm-churn" 10000 0 4096
    measure churn4t -- "$work/mm-churn" 10000 1 4096
    measure churn64t -- "$work/mm-churn" 10000 1 65536
} >"$work/rows"
awk -F'\t' '
    { insn[$1] = $2; sec[$1] = $3 }
    END {
        print "| workload | emulated kernel instructions | wall time |"
        print "|---|---:|---:|"
        printf "| busybox sort -n, 20,000 lines (whole run) | %d | %.2f s |\n", insn["sort"], sec["sort"]
        printf "| first touch of 8 MiB, one write per page (whole run) | %d | %.2f s |\n", insn["touch8"], sec["touch8"]
        printf "| munmap of those 8 MiB (difference) | %d | %.2f s |\n", insn["munmap8"] - insn["touch8"], sec["munmap8"] - sec["touch8"]
        printf "| vma-merge.c: 5,000 one-page areas (whole run) | %d | %.1f s |\n", insn["vma"], sec["vma"]
        printf "| mm-churn.c: mmap + munmap of 4 KiB, untouched, per cycle | %d | |\n", (insn["churn4"] - insn["churn0"]) / 10000
        printf "| mm-churn.c: mmap + write + munmap of 4 KiB, per cycle | %d | |\n", (insn["churn4t"] - insn["churn0"]) / 10000
        printf "| mm-churn.c: mmap + write 16 pages + munmap of 64 KiB, per cycle | %d | |\n", (insn["churn64t"] - insn["churn0"]) / 10000
    }' "$work/rows"
