//! arch_prctl: the user's FS and GS bases (TLS).

use crate::arch::msr::{self, wrmsr};
use crate::errno::{EINVAL, EPERM, SysResult};
use crate::mm::address_space::TASK_SIZE;
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::put_user;

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;

pub fn sys_arch_prctl(a: &Args) -> SysResult {
    let (code, addr) = (a[0], a[1]);
    match code {
        ARCH_SET_FS | ARCH_SET_GS if addr >= TASK_SIZE => Err(EPERM),
        ARCH_SET_FS => {
            current().fs_base = addr;
            // SAFETY: a canonical user address (checked above) as FS base.
            unsafe { wrmsr(msr::FS_BASE, addr) };
            Ok(0)
        }
        // Inside the kernel the user's GS base sits in KERNEL_GS_BASE (every
        // entry from user mode did SWAPGS); the exit swaps it back.
        ARCH_SET_GS => {
            current().gs_base = addr;
            // SAFETY: a canonical user address (checked above) as GS base.
            unsafe { wrmsr(msr::KERNEL_GS_BASE, addr) };
            Ok(0)
        }
        ARCH_GET_FS => put_user(addr, &current().fs_base).map(|_| 0),
        ARCH_GET_GS => put_user(addr, &current().gs_base).map(|_| 0),
        _ => Err(EINVAL),
    }
}
