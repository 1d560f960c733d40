//! `sys_call_table` (x86-64 numbers) and `ia32_sys_call_table` (the i386
//! numbers of `int $0x80`). Names and numbers come from the shared ABI
//! crate, so the host prints the same names the kernel dispatches on.
//! A missing entry is -ENOSYS.

use lstar_abi::syscall_nr::{NR_SYSCALLS_64, NR_SYSCALLS_I386, nr, nr_i386};

use super::SyscallFn;
use crate::arch::prctl::sys_arch_prctl;
use crate::exit::sys_exit_group;
use crate::fs::fcntl::*;
use crate::fs::ioctl::sys_ioctl;
use crate::fs::namei::*;
use crate::fs::read_write::*;
use crate::fs::stat::*;
use crate::kernel::random::sys_getrandom;
use crate::kernel::signal::*;
use crate::kernel::sys::*;
use crate::kernel::time::*;
use crate::mm::mmap::*;

pub static SYS_CALL_TABLE: [Option<SyscallFn>; NR_SYSCALLS_64] = {
    let mut t: [Option<SyscallFn>; NR_SYSCALLS_64] = [None; NR_SYSCALLS_64];
    t[nr::READ] = Some(sys_read);
    t[nr::WRITE] = Some(sys_write);
    t[nr::OPEN] = Some(sys_open);
    t[nr::CLOSE] = Some(sys_close);
    t[nr::STAT] = Some(sys_stat);
    t[nr::FSTAT] = Some(sys_fstat);
    t[nr::LSTAT] = Some(sys_stat);
    t[nr::LSEEK] = Some(sys_lseek);
    t[nr::MMAP] = Some(sys_mmap);
    t[nr::MPROTECT] = Some(sys_mprotect);
    t[nr::MUNMAP] = Some(sys_munmap);
    t[nr::BRK] = Some(sys_brk);
    t[nr::RT_SIGACTION] = Some(sys_rt_sigaction);
    t[nr::RT_SIGPROCMASK] = Some(sys_rt_sigprocmask);
    t[nr::IOCTL] = Some(sys_ioctl);
    t[nr::PREAD64] = Some(sys_pread64);
    t[nr::PWRITE64] = Some(sys_pwrite64);
    t[nr::READV] = Some(sys_readv);
    t[nr::WRITEV] = Some(sys_writev);
    t[nr::ACCESS] = Some(sys_access);
    t[nr::SCHED_YIELD] = Some(sys_sched_yield);
    t[nr::MREMAP] = Some(sys_mremap);
    t[nr::MADVISE] = Some(sys_madvise);
    t[nr::DUP] = Some(sys_dup);
    t[nr::DUP2] = Some(sys_dup2);
    t[nr::NANOSLEEP] = Some(sys_nanosleep);
    t[nr::GETPID] = Some(sys_getpid);
    t[nr::EXIT] = Some(sys_exit_group);
    t[nr::KILL] = Some(sys_kill);
    t[nr::UNAME] = Some(sys_uname);
    t[nr::FCNTL] = Some(sys_fcntl);
    t[nr::GETCWD] = Some(sys_getcwd);
    t[nr::CHDIR] = Some(sys_chdir);
    t[nr::READLINK] = Some(sys_readlink);
    t[nr::UMASK] = Some(sys_umask);
    t[nr::GETTIMEOFDAY] = Some(sys_gettimeofday);
    t[nr::GETRLIMIT] = Some(sys_getrlimit);
    t[nr::GETUID] = Some(sys_getuid);
    t[nr::GETGID] = Some(sys_getuid);
    t[nr::GETEUID] = Some(sys_getuid);
    t[nr::GETEGID] = Some(sys_getuid);
    t[nr::SETPGID] = Some(sys_setpgid);
    t[nr::GETPPID] = Some(sys_getppid);
    t[nr::GETPGRP] = Some(sys_getpgrp);
    t[nr::SETSID] = Some(sys_setsid);
    t[nr::GETPGID] = Some(sys_getpgid);
    t[nr::GETSID] = Some(sys_getpgid);
    t[nr::SIGALTSTACK] = Some(sys_sigaltstack);
    t[nr::ARCH_PRCTL] = Some(sys_arch_prctl);
    t[nr::GETTID] = Some(sys_getpid);
    t[nr::TKILL] = Some(sys_tkill);
    t[nr::TIME] = Some(sys_time);
    t[nr::SET_TID_ADDRESS] = Some(sys_set_tid_address);
    t[nr::CLOCK_GETTIME] = Some(sys_clock_gettime);
    t[nr::CLOCK_GETRES] = Some(sys_clock_getres);
    t[nr::CLOCK_NANOSLEEP] = Some(sys_clock_nanosleep);
    t[nr::EXIT_GROUP] = Some(sys_exit_group);
    t[nr::TGKILL] = Some(sys_tgkill);
    t[nr::OPENAT] = Some(sys_openat);
    t[nr::NEWFSTATAT] = Some(sys_newfstatat);
    t[nr::READLINKAT] = Some(sys_readlinkat);
    t[nr::FACCESSAT] = Some(sys_faccessat);
    t[nr::FACCESSAT2] = Some(sys_faccessat);
    t[nr::SET_ROBUST_LIST] = Some(sys_set_robust_list);
    t[nr::DUP3] = Some(sys_dup3);
    t[nr::PRLIMIT64] = Some(sys_prlimit64);
    t[nr::GETRANDOM] = Some(sys_getrandom);
    t[nr::FSYNC] = Some(sys_fsync);
    t[nr::FDATASYNC] = Some(sys_fsync);
    t[nr::SENDFILE] = Some(sys_sendfile);
    t
};

/// The i386 table maps onto the same implementations where the argument
/// layout is the same at 32 bits, and onto compat versions where it is not.
pub static IA32_SYS_CALL_TABLE: [Option<SyscallFn>; NR_SYSCALLS_I386] = {
    let mut t: [Option<SyscallFn>; NR_SYSCALLS_I386] = [None; NR_SYSCALLS_I386];
    t[nr_i386::EXIT] = Some(sys_exit_group);
    t[nr_i386::READ] = Some(sys_read);
    t[nr_i386::WRITE] = Some(sys_write);
    t[nr_i386::CLOSE] = Some(sys_close);
    t[nr_i386::GETPID] = Some(sys_getpid);
    t[nr_i386::GETUID] = Some(sys_getuid);
    t[nr_i386::GETEUID] = Some(sys_getuid);
    t[nr_i386::GETGID] = Some(sys_getuid);
    t[nr_i386::GETEGID] = Some(sys_getuid);
    t[nr_i386::GETUID32] = Some(sys_getuid);
    t[nr_i386::GETEUID32] = Some(sys_getuid);
    t[nr_i386::GETGID32] = Some(sys_getuid);
    t[nr_i386::GETEGID32] = Some(sys_getuid);
    t[nr_i386::KILL] = Some(sys_kill);
    t[nr_i386::DUP] = Some(sys_dup);
    t[nr_i386::DUP2] = Some(sys_dup2);
    t[nr_i386::DUP3] = Some(sys_dup3);
    t[nr_i386::BRK] = Some(sys_brk);
    t[nr_i386::IOCTL] = Some(sys_ioctl);
    t[nr_i386::FCNTL] = Some(sys_fcntl);
    t[nr_i386::UMASK] = Some(sys_umask);
    t[nr_i386::GETPPID] = Some(sys_getppid);
    t[nr_i386::GETPGRP] = Some(sys_getpgrp);
    t[nr_i386::UNAME] = Some(sys_uname);
    t[nr_i386::READV] = Some(compat_sys_readv);
    t[nr_i386::WRITEV] = Some(compat_sys_writev);
    t[nr_i386::SCHED_YIELD] = Some(sys_sched_yield);
    t[nr_i386::GETTID] = Some(sys_getpid);
    t[nr_i386::EXIT_GROUP] = Some(sys_exit_group);
    t[nr_i386::GETRANDOM] = Some(sys_getrandom);
    t[nr_i386::OPEN] = Some(sys_open);
    t[nr_i386::FSYNC] = Some(sys_fsync);
    t[nr_i386::FDATASYNC] = Some(sys_fsync);
    t
};
