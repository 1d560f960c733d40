//! How many arguments a system call takes, so that a tracer prints
//! `write(1, 0x4020, 14)` rather than six registers. Facts from the Linux
//! system call definitions; calls not listed here print all six.

use crate::stats::Entry;

/// Argument count of the call `name` through `entry`.
pub fn arity(entry: Entry, name: &str) -> Option<u8> {
    // The i386 ABI's old calls that differ from their x86-64 namesakes.
    if entry == Entry::Int80 {
        match name {
            "mmap" => return Some(1), // old_mmap: a pointer to the six
            "_llseek" => return Some(5),
            "mmap2" => return Some(6),
            _ => {}
        }
    }
    Some(match name {
        "getpid" | "getppid" | "gettid" | "getuid" | "geteuid" | "getgid" | "getegid"
        | "getuid32" | "geteuid32" | "getgid32" | "getegid32" | "getpgrp" | "setsid"
        | "sched_yield" | "fork" | "vfork" | "pause" | "sync" | "rt_sigreturn" => 0,
        "exit" | "exit_group" | "close" | "dup" | "brk" | "chdir" | "fchdir" | "umask"
        | "uname" | "set_tid_address" | "time" | "getpgid" | "getsid" | "alarm" | "pipe"
        | "fsync" | "fdatasync" | "rmdir" | "unlink" | "setuid" | "setgid" => 1,
        "access" | "arch_prctl" | "clock_getres" | "clock_gettime" | "dup2" | "fstat"
        | "getcwd" | "getrlimit" | "setrlimit" | "gettimeofday" | "kill" | "lstat" | "stat"
        | "munmap" | "nanosleep" | "setpgid" | "set_robust_list" | "sigaltstack" | "tkill"
        | "creat" | "mkdir" | "rename" | "link" | "symlink" | "pipe2" | "truncate"
        | "ftruncate" | "flock" | "listen" | "shutdown" | "chmod" | "fchmod" => 2,
        "read" | "write" | "open" | "lseek" | "ioctl" | "fcntl" | "readv" | "writev"
        | "readlink" | "mprotect" | "madvise" | "dup3" | "getrandom" | "faccessat" | "tgkill"
        | "execve" | "mkdirat" | "unlinkat" | "fchmodat" | "getdents64" | "chown" | "fchown"
        | "lchown" | "connect" | "accept" | "bind" | "socket" | "poll" => 3,
        "openat" | "newfstatat" | "readlinkat" | "rt_sigaction" | "rt_sigprocmask" | "pread64"
        | "pwrite64" | "prlimit64" | "clock_nanosleep" | "faccessat2" | "wait4" | "renameat"
        | "sendfile" | "socketpair" | "rseq" | "fchownat" | "utimensat" | "accept4"
        | "newfstat" => 4,
        "mremap" | "prctl" | "statx" | "select" | "pselect6" | "renameat2" | "linkat"
        | "waitid" | "clone" => 5,
        "mmap" | "futex" | "sendto" | "recvfrom" | "preadv2" | "pwritev2" | "clone3" => 6,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_calls() {
        assert_eq!(arity(Entry::Syscall64, "write"), Some(3));
        assert_eq!(arity(Entry::Syscall64, "getppid"), Some(0));
        assert_eq!(arity(Entry::Syscall64, "mmap"), Some(6));
        assert_eq!(arity(Entry::Int80, "mmap"), Some(1));
        assert_eq!(arity(Entry::Int80, "write"), Some(3));
        assert_eq!(arity(Entry::Syscall64, "no_such_call"), None);
    }
}
