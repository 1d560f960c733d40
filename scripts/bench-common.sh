# Sourced by the benchmark scripts (bench.sh, syscall-bench.sh,
# api-bench.sh, blk-bench.sh, vfs-bench.sh, proc-bench.sh): which KVM this is, and the machine.
# Every benchmark names its platform: timings differ by orders of magnitude
# between hardware KVM and kvm-pvm (../shared/PLATFORM.md).
#
# bench_platform sets: platform (kvm-pvm | VMX | SVM | unknown),
# platform_long (the same, explained), cpu, ncpu, date; and stops the
# script when /dev/kvm is not usable.
bench_platform() {
    if [[ -d /sys/module/kvm_pvm ]]; then
        platform="kvm-pvm"
        platform_long="kvm-pvm (software, see PLATFORM.md)"
    elif grep -qw vmx /proc/cpuinfo; then
        platform="VMX"
        platform_long="VMX (Intel hardware KVM)"
    elif grep -qw svm /proc/cpuinfo; then
        platform="SVM"
        platform_long="SVM (AMD hardware KVM)"
    else
        platform="unknown"
        platform_long="unknown (no kvm_pvm module, no vmx/svm flag)"
    fi
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    ncpu=$(nproc)
    date=$(date -u +%Y-%m-%d)
    if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
        echo "${me:-bench}: /dev/kvm is not usable" >&2
        exit 1
    fi
}

# bench_build_lstar builds lstar (release) and sets `lstar` to the binary
# (under target/x86_64-unknown-linux-gnu: .cargo/config.toml names the
# target so that lstar links statically).
bench_build_lstar() {
    cargo build --quiet --release -p lstar
    lstar=${CARGO_TARGET_DIR:-$root/target}/x86_64-unknown-linux-gnu/release/lstar
    if [[ ! -x $lstar ]]; then
        echo "${me:-bench}: $lstar not built" >&2
        exit 1
    fi
}
