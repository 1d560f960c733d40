//! Issue 3's Linux ABI, call by call: tests/progs/abi.c checks every
//! system call of the list the way Linux answers it and prints one line per
//! check. The same binary runs natively and in lstar (with the console a
//! pipe as the host's stdout is, and as a tty); all must print exactly
//! [`EXPECTED`]. Plus the calls that end or kill the program: exit (not
//! exit_group) and a write to a page mprotect made read-only.

use crate::common::{Cmd, Outcome, prog};
use std::time::{SystemTime, UNIX_EPOCH};

/// What tests/progs/abi.c prints when every check passes, in lstar and on
/// Linux alike (the program words the checks that differ by design so that
/// the lines do not: readlink of /proc/self/exe, rseq, fd 1's access mode;
/// its first argument says whether fd 1 is a tty).
const EXPECTED: &str = r#"write
write(1, 6 bytes): ok
write(1, 0 bytes): ok
write(99) EBADF: ok
write(-1) EBADF: ok
writev
writev(1, 3 iovecs): ok
writev(1, 0 iovecs): ok
writev(1, -1 iovecs) EINVAL: ok
writev(1, 1025 iovecs) EINVAL: ok
writev(99) EBADF: ok
read(0, 0 bytes): ok
read(0) at end of input: ok
read(99) EBADF: ok
readv(0, 2 iovecs) at end of input: ok
readv(0, -1 iovecs) EINVAL: ok
readv(99) EBADF: ok
readv(0, {ok, kernel address}) EFAULT: ok
writev(1, {ok, kernel address}) EFAULT: ok
brk(0): ok
brk(+64 KiB): ok
brk memory is writable: ok
brk(0) after growing: ok
brk(back): ok
brk(4096) refused: ok
brk(0) unchanged: ok
mmap(3 pages, anonymous private): ok
mmap memory is zero: ok
munmap(middle page): ok
mmap(MAP_FIXED, the hole): ok
MAP_FIXED page is fresh: ok
mmap(MAP_FIXED over a mapped page): ok
MAP_FIXED replaced it: ok
mprotect(PROT_READ): ok
PROT_READ page still readable: ok
mprotect(PROT_READ|PROT_WRITE): ok
writable again: ok
mprotect(unaligned) EINVAL: ok
mmap(length 0) EINVAL: ok
mmap(MAP_FIXED unaligned) EINVAL: ok
mmap(neither private nor shared) EINVAL: ok
munmap(unaligned) EINVAL: ok
munmap(length 0) EINVAL: ok
munmap(all 3 pages): ok
munmap(nothing mapped there): ok
mprotect(unmapped) ENOMEM: ok
mmap(1 MiB): ok
munmap(1 MiB): ok
arch_prctl(ARCH_GET_FS): ok
ARCH_GET_FS is musl's TLS: ok
arch_prctl(ARCH_SET_FS): ok
ARCH_GET_FS reads it back: ok
arch_prctl(ARCH_SET_FS, back): ok
arch_prctl(ARCH_SET_FS, kernel address) EPERM: ok
arch_prctl(0x9999) EINVAL: ok
getpid: ok
gettid == getpid: ok
getppid: ok
getuid: ok
geteuid == getuid: ok
getgid: ok
getegid == getgid: ok
set_tid_address returns the tid: ok
set_robust_list(24): ok
set_robust_list(23) EINVAL: ok
rseq (0 or ENOSYS): ok
prlimit64(RLIMIT_STACK, get): ok
RLIMIT_STACK cur <= max: ok
prlimit64(RLIMIT_NOFILE, get): ok
RLIMIT_NOFILE cur >= 3: ok
prlimit64(RLIMIT_NOFILE, set the same): ok
prlimit64 set returns the old value: ok
prlimit64(resource 999) EINVAL: ok
getrandom(32): ok
getrandom(32, GRND_NONBLOCK): ok
getrandom gives different bytes: ok
getrandom(0): ok
getrandom(bad flags) EINVAL: ok
uname: ok
uname sysname is Linux: ok
uname machine is x86_64: ok
uname release is set: ok
ioctl(1, TIOCGWINSZ): ok
ioctl(1, TCGETS): ok
ioctl(1, unknown request) ENOTTY: ok
ioctl(99, TCGETS) EBADF: ok
clock_gettime(CLOCK_REALTIME): ok
CLOCK_REALTIME within 5 s of the host: ok
clock_gettime(CLOCK_MONOTONIC): ok
CLOCK_MONOTONIC never goes back: ok
tv_nsec < 1e9: ok
clock_gettime(999) EINVAL: ok
gettimeofday: ok
gettimeofday agrees with CLOCK_REALTIME: ok
tv_usec < 1e6: ok
gettimeofday(NULL, NULL): ok
nanosleep(20 ms): ok
nanosleep slept at least 20 ms: ok
nanosleep(0): ok
nanosleep(tv_nsec = 1e9) EINVAL: ok
nanosleep(tv_sec = -1) EINVAL: ok
sched_yield: ok
rt_sigaction(SIGUSR1, get default): ok
SIGUSR1 starts SIG_DFL: ok
rt_sigaction(SIGUSR1, set): ok
rt_sigaction(SIGUSR1, set default, get old): ok
old action reads back: ok
SIGUSR1 is SIG_DFL again: ok
rt_sigaction(sigsetsize 4) EINVAL: ok
rt_sigaction(SIGKILL, set) EINVAL: ok
rt_sigaction(SIGKILL, get): ok
rt_sigaction(0) EINVAL: ok
rt_sigaction(65) EINVAL: ok
rt_sigprocmask(get): ok
rt_sigprocmask(SIG_BLOCK): ok
SIGUSR1 blocked, SIGKILL cannot be: ok
rt_sigprocmask(SIG_SETMASK, back): ok
old mask reads back: ok
mask restored: ok
rt_sigprocmask(how 99) EINVAL: ok
rt_sigprocmask(sigsetsize 4) EINVAL: ok
readlink(/proc/self/exe) (a path or ENOENT): ok
readlink("") ENOENT: ok
fcntl(1, F_GETFD): ok
fcntl(1, F_SETFD, FD_CLOEXEC): ok
F_GETFD reads FD_CLOEXEC: ok
fcntl(1, F_SETFD, 0): ok
fcntl(1, F_GETFL) is writable: ok
fcntl(1, F_DUPFD, 10): ok
F_DUPFD copy has no FD_CLOEXEC: ok
close(F_DUPFD copy): ok
fcntl(99, F_GETFD) EBADF: ok
fcntl(1, 9999) EINVAL: ok
dup(1): ok
through dup
write through dup(1): ok
close(dup): ok
close(closed fd) EBADF: ok
write(closed fd) EBADF: ok
dup(99) EBADF: ok
dup2(1, 1): ok
dup2(1, 20): ok
through dup2
write through dup2(1, 20): ok
dup2(2, 20) replaces it: ok
close(20): ok
dup2(99, 20) EBADF: ok
dup2(99, 99) EBADF: ok
dup3(1, 21, O_CLOEXEC): ok
dup3 copy has FD_CLOEXEC: ok
through dup3
write through dup3(1, 21): ok
close(21): ok
dup3(1, 1, 0) EINVAL: ok
dup3(1, 22, bad flags) EINVAL: ok
close(22) EBADF: ok
close(-1) EBADF: ok
registers across syscall getppid: ok
registers across syscall close(bad fd) EBADF: ok
registers across syscall 1000 ENOSYS: ok
registers across int $0x80 getppid: ok
registers across int $0x80 1000 ENOSYS: ok
OK
"#;

fn host_seconds() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

/// Fails with the lines that differ from [`EXPECTED`]: those printed but
/// not expected (the FAIL lines, stray output), and those expected but
/// missing.
#[track_caller]
fn assert_expected(out: &Outcome) {
    let got = out.stdout_str();
    if got != EXPECTED {
        let want: Vec<&str> = EXPECTED.lines().collect();
        let have: Vec<&str> = got.lines().collect();
        let mut diff = String::new();
        for line in have.iter().filter(|l| !want.contains(l)) {
            diff.push_str(&format!("  + {line}\n"));
        }
        for line in want.iter().filter(|l| !have.contains(l)) {
            diff.push_str(&format!("  - {line}\n"));
        }
        panic!(
            "abi.c's output differs (+ unexpected, - missing):\n{diff}{}",
            out.describe()
        );
    }
    out.assert_status(0);
}

#[test]
fn abi_checks_pass_natively() {
    // stdout is the harness's pipe here.
    let out = Cmd::new(prog("abi")).arg("pipe").arg(host_seconds()).run();
    assert_expected(&out);
}

/// lstar gives the program's fds 0-2 the host's tty-ness (`lstar.tty=`):
/// here they are the harness's pipes and /dev/null, as natively.
#[test]
fn abi_checks_pass_in_lstar() {
    require_kvm!();
    let out = Cmd::lstar_run(prog("abi"), ["pipe".to_string(), host_seconds()]).run();
    assert_expected(&out);
}

/// The console as a terminal (what a user at a tty gets): TIOCGWINSZ and
/// TCGETS succeed on fd 1, everything else reads the same.
#[test]
fn abi_checks_pass_in_lstar_on_a_tty() {
    require_kvm!();
    let mut cmd = Cmd::lstar();
    cmd.args(["--cmdline", "lstar.tty=7", "--"])
        .arg(prog("abi"))
        .args(["tty".to_string(), host_seconds()]);
    assert_expected(&cmd.run());
}

/// SYS_exit (60), not exit_group: with one thread it ends the program.
#[test]
fn exit_ends_the_program() {
    let native = Cmd::new(prog("abi")).arg("exit").run();
    native.assert_status(3).assert_stdout("");
    require_kvm!();
    Cmd::lstar_run(prog("abi"), ["exit"])
        .run()
        .assert_status(3)
        .assert_stdout("");
}

/// A write to a page that mprotect made read-only is SIGSEGV, natively
/// and in lstar (status 128 + 11, like a shell).
#[test]
fn write_to_read_only_page_is_sigsegv() {
    use std::os::unix::process::ExitStatusExt;
    let native = Cmd::new(prog("mprotect-segv")).run();
    assert_eq!(native.status.signal(), Some(11), "{}", native.describe());
    require_kvm!();
    let out = Cmd::lstar_prog(prog("mprotect-segv")).run();
    out.assert_status(128 + 11).assert_stdout("read-only\n");
    assert!(
        out.stderr_line_with("SIGSEGV").is_some(),
        "no SIGSEGV line on stderr: {}",
        out.describe()
    );
}
