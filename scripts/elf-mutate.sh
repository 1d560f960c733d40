#!/usr/bin/env bash
# ELF mutation campaign: COUNT copies of a real static program
# (tests/progs/hello.c, musl-gcc -static) with 1-4 bits flipped in its ELF
# header or its program headers, each run with `lstar run` under a timeout.
# Every outcome must be a clear status: the program's own exit, a guest
# fault report (`lstar-kernel: ... killed by SIG...`), or an `lstar:` error
# with a non-zero status. A Rust panic, a guest kernel panic, a hang, or a
# non-zero status with no message is a finding: its file is kept in OUT.
#
#   scripts/elf-mutate.sh [COUNT [SEED]]    (defaults: 2000, 1)
#
# LSTAR=path picks the binary (default: the release build, built if
# missing); OUT=dir where findings go (default target/elf-mutate).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=${1:-2000}
seed=${2:-1}
out=${OUT:-$root/target/elf-mutate}
lstar=${LSTAR:-$root/target/x86_64-unknown-linux-gnu/release/lstar}
limit=20 # seconds per run; hello takes well under one

if [[ ! -x $lstar ]]; then
    (cd "$root" && cargo build --release)
fi
command -v musl-gcc > /dev/null || {
    echo "elf-mutate: musl-gcc missing (scripts/setup.sh installs musl-tools)" >&2
    exit 1
}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
musl-gcc -static -O2 -o "$work/hello" "$root/tests/progs/hello.c"

# Little-endian unsigned integer of $2 bytes at offset $1 of the original.
le() {
    local v=0 i b
    for ((i = $2 - 1; i >= 0; i--)); do
        b=$(od -An -tu1 -j $(($1 + i)) -N1 "$work/hello" | tr -d ' ')
        v=$((v * 256 + b))
    done
    echo "$v"
}
phoff=$(le 32 8)
phnum=$(le 56 2)
phend=$((phoff + 56 * phnum))

RANDOM=$seed
rand32() { echo $(((RANDOM << 17) ^ (RANDOM << 2) ^ (RANDOM & 3))); }

declare -A classes=()
findings=0
for ((n = 1; n <= count; n++)); do
    f="$work/prog"
    cp "$work/hello" "$f"
    flips=$((1 + RANDOM % 4))
    what=""
    for ((k = 0; k < flips; k++)); do
        # Three in five flips in the ELF header, the rest in the program
        # header table.
        if ((RANDOM % 5 < 3)); then
            at=$(($(rand32) % 64))
        else
            at=$((phoff + $(rand32) % (phend - phoff)))
        fi
        bit=$((RANDOM % 8))
        byte=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
        printf "$(printf '\\%03o' $((byte ^ (1 << bit))))" |
            dd of="$f" bs=1 seek="$at" conv=notrunc status=none
        what+=" $at:$bit"
    done
    set +e
    timeout -k 5 "$limit" "$lstar" run -- "$f" < /dev/null > "$work/stdout" 2> "$work/stderr"
    status=$?
    set -e
    err=$(cat "$work/stderr")
    if ((status == 124)); then
        class="FINDING: hang (no end within ${limit}s)"
    elif grep -q "^thread '.*' panicked at" <<< "$err"; then
        class="FINDING: lstar panicked"
    elif grep -q "^lstar: guest kernel panic" <<< "$err"; then
        where=$(grep -m1 -o "panicked at [^ ]*" <<< "$err" || echo "a kernel fault")
        class="FINDING: guest kernel panic ($where)"
    elif ((status == 0)) && grep -qx "hello world" "$work/stdout"; then
        class="ran: hello world, status 0"
    elif grep -q "^lstar-kernel: .*killed by SIG" <<< "$err"; then
        class="guest fault report, status $status"
    elif ((status != 0)) && grep -q "^lstar: " <<< "$err"; then
        # The message without the path: one class per reason.
        reason=$(grep -m1 "^lstar: " <<< "$err" | sed -e "s|$f|PROG|g" -e 's/0x[0-9a-f]*/0x../g' -e 's/\(type\|size\) [0-9]*/\1 N/g' -e 's/[0-9][0-9]* bytes/N bytes/g')
        class="status $status: $reason"
    elif grep -q "^lstar-kernel: " <<< "$err"; then
        reason=$(grep -m1 "^lstar-kernel: " <<< "$err" | sed -e "s|$f|PROG|g" -e 's/0x[0-9a-f]*/0x../g')
        class="status $status: $reason"
    elif ((status != 0)); then
        class="FINDING: status $status without a message"
    else
        class="status 0, other output"
    fi
    classes[$class]=$((${classes[$class]:-0} + 1))
    # Findings, and runs that ended well but printed something else, are
    # kept to look at.
    keep=""
    if [[ $class == FINDING* ]]; then
        findings=$((findings + 1))
        keep=finding
    elif [[ $class == "status 0, other output" ]]; then
        keep=other
    fi
    if [[ -n $keep ]]; then
        cp "$f" "$out/$keep-$seed-$n.elf"
        {
            echo "$class (flips$what)"
            echo "--- stdout"
            cat "$work/stdout"
            echo "--- stderr"
            cat "$work/stderr"
        } > "$out/$keep-$seed-$n.txt"
    fi
done

echo "elf-mutate: $count mutants of hello (seed $seed, $(date -u +%F)), by outcome:"
for class in "${!classes[@]}"; do
    printf '%6d  %s\n' "${classes[$class]}" "$class"
done | sort -rn
if ((findings)); then
    echo "elf-mutate: $findings findings (files in $out)"
else
    echo "elf-mutate: no findings"
fi
((findings == 0))
