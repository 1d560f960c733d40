//! Seccomp filters: every lstar thread (and the teardown helper) runs with
//! an allowlist of the system calls it needs, built with `seccompiler`.
//!
//! Each thread installs its own filter when it starts; the main thread
//! installs its filter once the VM is set up, before the vCPU enters the
//! guest. A forbidden call is SECCOMP_RET_TRAP: the kernel sends SIGSYS,
//! whose handler writes `lstar: seccomp: thread NAME made a forbidden
//! system call N (name)` and exits 125. The thread's [`Role`] travels in
//! the filter's return data (si_errno), so the handler needs neither TLS
//! nor locks.
//!
//! Filters stack: a thread started by a filtered thread keeps its parent's
//! filter under its own, and the kernel reports the newest filter's data
//! when both trap. So a child's allowlist is a subset of its parent's (a
//! unit test checks), and every call a new thread makes before its own
//! filter is in place (clone3, rseq, set_robust_list, prctl, seccomp...)
//! is in the parent's list.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};
use thiserror::Error;

/// lstar's exit status when a thread made a forbidden call (its own failure).
pub const VIOLATION_EXIT: i32 = 125;

/// Test hook: `LSTAR_TEST_SECCOMP_VIOLATION=NAME` makes the thread of that
/// role name call getpgid(2), which no filter allows, right after its filter
/// is installed (tests/seccomp.rs).
pub const TEST_VIOLATION_ENV: &str = "LSTAR_TEST_SECCOMP_VIOLATION";

#[derive(Debug, Error)]
pub enum SeccompError {
    #[error("cannot build the seccomp filter of thread {role}: {source}")]
    Build {
        role: &'static str,
        source: seccompiler::BackendError,
    },
    #[error("cannot install the seccomp filter of thread {role}: {source}")]
    Install {
        role: &'static str,
        source: seccompiler::Error,
    },
    #[error("cannot install the SIGSYS handler: {0}")]
    Handler(std::io::Error),
}

/// Who runs under a filter. The discriminant is the filter's trap data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The main thread, once the VM is set up.
    Main = 1,
    /// `lstar-vcpu0`: KVM_RUN and every port/MMIO exit.
    Vcpu,
    /// `lstar-stdin`: host stdin into COM1 (started by the vCPU thread).
    Stdin,
    /// `lstar-blk`: the virtio-blk queue.
    Blk,
    /// `lstar-api*`: the control socket's threads.
    Api,
    /// `lstar-trace`: `--trace`'s ring drainer.
    Trace,
    /// `lstar-signals`: SIGINT/SIGTERM/SIGHUP to the guest.
    Signals,
    /// The teardown helper process (teardown.rs).
    Teardown,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Main,
        Role::Vcpu,
        Role::Stdin,
        Role::Blk,
        Role::Api,
        Role::Trace,
        Role::Signals,
        Role::Teardown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Main => "main",
            Role::Vcpu => "vcpu",
            Role::Stdin => "stdin",
            Role::Blk => "blk",
            Role::Api => "api",
            Role::Trace => "trace",
            Role::Signals => "signals",
            Role::Teardown => "teardown",
        }
    }

    fn from_data(data: i32) -> Option<Role> {
        Role::ALL.into_iter().find(|r| *r as i32 == data)
    }

    /// The system calls this role may make.
    pub fn allowed(self) -> Vec<i64> {
        let mut list: Vec<i64> = match self {
            Role::Main => [COMMON, FILES, MAIN].concat(),
            Role::Vcpu => [COMMON, FILES, SPAWN, VCPU].concat(),
            Role::Stdin => [COMMON, STDIN].concat(),
            Role::Blk => [COMMON, FILES, BLK].concat(),
            Role::Api => [COMMON, FILES, SPAWN, API].concat(),
            Role::Trace => [COMMON, TRACE].concat(),
            Role::Signals => [COMMON, SIGNALS].concat(),
            Role::Teardown => TEARDOWN.to_vec(),
        };
        list.sort_unstable();
        list.dedup();
        list
    }

    /// The BPF program: allow the list, trap everything else (and any
    /// other architecture) with this role in the trap's data.
    pub fn program(self) -> Result<BpfProgram, SeccompError> {
        let build = |source| SeccompError::Build {
            role: self.name(),
            source,
        };
        let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
            self.allowed().into_iter().map(|nr| (nr, vec![])).collect();
        // Any thread may end lstar (a second SIGINT, SIGSYS) and remove
        // the socket file on the way: unlink of that one path only.
        if let Some(addr) = crate::signals::socket_path_addr()
            && self != Role::Teardown
        {
            let is_socket =
                SeccompCondition::new(0, SeccompCmpArgLen::Qword, SeccompCmpOp::Eq, addr)
                    .and_then(|c| SeccompRule::new(vec![c]))
                    .map_err(build)?;
            rules.insert(libc::SYS_unlink, vec![is_socket]);
        }
        // The control socket's loop makes each accepted stream non-blocking
        // (std's set_nonblocking is ioctl FIONBIO): that ioctl, no other.
        if self == Role::Api {
            let fionbio =
                SeccompCondition::new(1, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, libc::FIONBIO)
                    .and_then(|c| SeccompRule::new(vec![c]))
                    .map_err(build)?;
            rules.insert(libc::SYS_ioctl, vec![fionbio]);
        }
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Trap,
            SeccompAction::Allow,
            TargetArch::x86_64,
        )
        .map_err(build)?;
        let mut program: BpfProgram = filter.try_into().map_err(build)?;
        tag_traps(&mut program, self as u32);
        Ok(program)
    }
}

/// glibc's malloc opens /proc/sys/vm/overcommit_memory the first time a
/// thread's arena shrinks (a thread's free() may do it). Threads that open
/// no file get EACCES for openat instead of a trap: their allowlist has
/// openat, and this second filter, stacked under it, answers EACCES (the
/// stricter answer wins: a trap beats EACCES, EACCES beats allow). glibc
/// then simply does not shrink the heap by unmapping (it uses madvise).
fn refuse_open_program() -> Result<BpfProgram, SeccompError> {
    let build = |source| SeccompError::Build {
        role: "openat",
        source,
    };
    let rules = BTreeMap::from([(libc::SYS_openat, vec![])]);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        TargetArch::x86_64,
    )
    .map_err(build)?;
    filter.try_into().map_err(build)
}

const BPF_RET_K: u16 = 0x06;
const SECCOMP_RET_TRAP: u32 = 0x0003_0000;

/// seccompiler's Trap carries no data: put `data` into every trap return.
fn tag_traps(program: &mut [sock_filter], data: u32) {
    for insn in program.iter_mut() {
        if insn.code == BPF_RET_K && insn.k == SECCOMP_RET_TRAP {
            insn.k = SECCOMP_RET_TRAP | (data & 0xffff);
        }
    }
}

/// What every thread does: memory (the allocator), futexes (locks,
/// channels, join), signal return (the kick, SIGSYS), write (stderr
/// messages and eventfd kicks), time, and its own exit; openat only as
/// far as [`refuse_open_program`] lets it (EACCES but in main).
const COMMON: &[i64] = &[
    libc::SYS_openat,
    libc::SYS_brk,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mremap,
    libc::SYS_mprotect,
    libc::SYS_madvise,
    libc::SYS_futex,
    libc::SYS_rt_sigreturn,
    libc::SYS_rt_sigprocmask,
    libc::SYS_sigaltstack,
    libc::SYS_restart_syscall,
    libc::SYS_write,
    libc::SYS_writev,
    libc::SYS_clock_gettime,
    libc::SYS_sched_yield,
    libc::SYS_gettid,
    libc::SYS_getpid,
    libc::SYS_exit,
    libc::SYS_exit_group,
];

/// Descriptors a thread reads, closes and polls.
const FILES: &[i64] = &[
    libc::SYS_read,
    libc::SYS_close,
    libc::SYS_fcntl,
    libc::SYS_fstat,
    libc::SYS_statx,
    libc::SYS_lseek,
    libc::SYS_pread64,
    libc::SYS_poll,
    libc::SYS_ppoll,
];

/// Starting a std::thread, as the parent and as the child before its own
/// filter is in place.
const SPAWN: &[i64] = &[
    libc::SYS_clone,
    libc::SYS_clone3,
    libc::SYS_set_robust_list,
    libc::SYS_rseq,
    libc::SYS_prctl,
    libc::SYS_seccomp,
    libc::SYS_sched_getaffinity,
    libc::SYS_getrandom,
];

/// After setup: waits for the vCPU, reads /proc/self/status for
/// `--verbose`, removes the socket file, starts the teardown helper.
const MAIN: &[i64] = &[
    libc::SYS_ioctl,
    libc::SYS_mincore,
    libc::SYS_nanosleep,
    libc::SYS_clock_nanosleep,
    libc::SYS_flock,
    libc::SYS_pipe2,
    libc::SYS_clone,
    libc::SYS_seccomp,
    libc::SYS_tgkill,
];

/// KVM ioctls (KVM_RUN, registers, MSRs) and the exits' devices.
const VCPU: &[i64] = &[libc::SYS_ioctl];

/// Host stdin into COM1 (its eventfd interrupt is a write).
const STDIN: &[i64] = &[libc::SYS_read];

/// The disk: eventfds in an epoll set, the image by offset.
const BLK: &[i64] = &[
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_ctl,
    libc::SYS_pwrite64,
    libc::SYS_preadv,
    libc::SYS_pwritev,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
];

/// The control socket: one epoll loop, or a thread per connection; kicks
/// the vCPU with tgkill.
const API: &[i64] = &[
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_epoll_create1,
    libc::SYS_epoll_ctl,
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_recvfrom,
    libc::SYS_recvmsg,
    libc::SYS_sendto,
    libc::SYS_sendmsg,
    libc::SYS_shutdown,
    libc::SYS_getsockopt,
    libc::SYS_setsockopt,
    libc::SYS_timerfd_create,
    libc::SYS_timerfd_settime,
    libc::SYS_timerfd_gettime,
    libc::SYS_eventfd2,
    libc::SYS_tgkill,
    libc::SYS_nanosleep,
    libc::SYS_clock_nanosleep,
    libc::SYS_dup,
];

/// The trace drainer sleeps between drains.
const TRACE: &[i64] = &[libc::SYS_nanosleep, libc::SYS_clock_nanosleep];

/// Waits for signals; a second SIGINT removes the socket file and exits.
const SIGNALS: &[i64] = &[libc::SYS_rt_sigtimedwait];

/// Raw calls only: close its copies of 0-2, read the pipe, exit.
const TEARDOWN: &[i64] = &[
    libc::SYS_close,
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_rt_sigreturn,
    libc::SYS_exit,
    libc::SYS_exit_group,
];

/// Off with `--seccomp=off`.
static ENABLED: AtomicBool = AtomicBool::new(true);

/// The role named by [`TEST_VIOLATION_ENV`], read once before any thread.
static TEST_VIOLATION: OnceLock<Option<String>> = OnceLock::new();

/// Call first, on the main thread: the SIGSYS handler, and whether filters
/// are on at all.
pub fn init(enabled: bool) -> Result<(), SeccompError> {
    ENABLED.store(enabled, Ordering::Relaxed);
    let _ = TEST_VIOLATION.set(std::env::var(TEST_VIOLATION_ENV).ok());
    if !enabled {
        return Ok(());
    }
    vmm_sys_util::signal::register_signal_handler(libc::SIGSYS, sigsys_handler)
        .map_err(|e| SeccompError::Handler(std::io::Error::from_raw_os_error(e.errno())))
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the test hook asks `role` to make a forbidden call.
pub fn test_violation(role: Role) -> bool {
    TEST_VIOLATION
        .get()
        .and_then(Option::as_deref)
        .is_some_and(|name| name == role.name())
}

/// The forbidden call of the test hook.
pub fn forbidden_call() {
    // SAFETY: getpgid has no memory arguments; under a filter it traps.
    unsafe { libc::getpgid(0) };
}

/// Installs `role`'s filter on the calling thread (nothing when off).
pub fn install(role: Role) -> Result<(), SeccompError> {
    if !enabled() {
        return Ok(());
    }
    let install = |program: &BpfProgram| {
        seccompiler::apply_filter(program).map_err(|source| SeccompError::Install {
            role: role.name(),
            source,
        })
    };
    // The openat filter first: installing one needs prctl and seccomp,
    // which the allowlist may not allow.
    if role != Role::Main {
        install(&refuse_open_program()?)?;
    }
    install(&role.program()?)?;
    if test_violation(role) {
        forbidden_call();
    }
    Ok(())
}

/// For a thread's first line: without its filter it must not run on.
pub fn install_or_exit(role: Role) {
    if let Err(e) = install(role) {
        eprintln!("lstar: {e}");
        // SAFETY: _exit ends the process at once; nothing is left to unwind.
        unsafe { libc::_exit(VIOLATION_EXIT) };
    }
}

/// `lstar: seccomp: thread NAME made a forbidden system call N (name)\n`
/// into `buf`, without allocating; returns its length.
fn format_violation(buf: &mut [u8; 160], role: Option<Role>, nr: i32) -> usize {
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if len < buf.len() {
                buf[len] = b;
                len += 1;
            }
        }
    };
    put(b"lstar: seccomp: thread ");
    put(role.map_or("unknown", Role::name).as_bytes());
    put(b" made a forbidden system call ");
    let mut digits = [0u8; 12];
    let mut n = nr.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if nr < 0 {
        put(b"-");
    }
    put(&digits[i..]);
    put(b" (");
    let name = u64::try_from(nr)
        .ok()
        .and_then(lstar_abi::syscall_nr::name_64)
        .unwrap_or("unknown");
    put(name.as_bytes());
    put(b")\n");
    len
}

/// SIGSYS from a filter's trap: name the thread and the call, then exit.
/// Async-signal-safe: a stack buffer, write(2), _exit(2).
extern "C" fn sigsys_handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    if info.is_null() {
        return;
    }
    // SAFETY: the kernel passes a valid siginfo (SA_SIGINFO). For SIGSYS
    // from seccomp, si_errno holds the filter's data and the union holds
    // (call_addr: pointer, syscall: int, arch: u32): the call number is the
    // int after the pointer at the union's start (offset 16 on x86-64).
    let (data, nr) = unsafe {
        let errno = (*info).si_errno;
        let nr = info.cast::<u8>().add(16 + 8).cast::<i32>().read_unaligned();
        (errno, nr)
    };
    let mut buf = [0u8; 160];
    let len = format_violation(&mut buf, Role::from_data(data), nr);
    crate::signals::remove_socket();
    // SAFETY: write and _exit are async-signal-safe; `buf` holds `len` bytes.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), len);
        libc::_exit(VIOLATION_EXIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_compiles() {
        for role in Role::ALL {
            let program = role.program().unwrap();
            assert!(
                program
                    .iter()
                    .any(|i| i.k == SECCOMP_RET_TRAP | role as u32)
            );
            assert!(!program.iter().any(|i| i.k == SECCOMP_RET_TRAP));
        }
    }

    #[test]
    fn the_openat_filter_compiles() {
        assert!(refuse_open_program().is_ok());
    }

    /// A thread started by another keeps its parent's filter: everything
    /// the child may do, the parent allows too.
    #[test]
    fn children_are_subsets_of_their_parents() {
        for (parent, child) in [
            (Role::Vcpu, Role::Stdin),
            (Role::Api, Role::Api),
            (Role::Main, Role::Teardown),
        ] {
            let allowed = parent.allowed();
            for nr in child.allowed() {
                assert!(
                    allowed.contains(&nr),
                    "{} allows {nr} but {} does not",
                    child.name(),
                    parent.name()
                );
            }
        }
    }

    #[test]
    fn the_test_hooks_call_is_forbidden_everywhere() {
        for role in Role::ALL {
            assert!(!role.allowed().contains(&libc::SYS_getpgid));
        }
    }

    #[test]
    fn message_names_thread_and_call() {
        let mut buf = [0u8; 160];
        let len = format_violation(&mut buf, Some(Role::Blk), 121);
        assert_eq!(
            &buf[..len],
            b"lstar: seccomp: thread blk made a forbidden system call 121 (getpgid)\n"
        );
        let len = format_violation(&mut buf, None, 100_000);
        assert_eq!(
            &buf[..len],
            b"lstar: seccomp: thread unknown made a forbidden system call 100000 (unknown)\n"
        );
    }
}
