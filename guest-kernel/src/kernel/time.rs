//! Time from the TSC. The VMM passes the TSC frequency (`lstar.tsc_khz=`)
//! and the wall-clock time at TSC 0 (`lstar.epoch_ns=`); without them
//! (QEMU) the kernel reads CPUID leaf 0x15/0x16 or the hypervisor's
//! frequency leaf 0x40000010, else measures the TSC against the PIT, and
//! starts at the epoch.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::errno::{EFAULT, EINVAL, Errno, SysResult};
use crate::syscall::Args;
use crate::uaccess::{copy_from_user, copy_to_user};

static TSC_KHZ: AtomicU64 = AtomicU64::new(1_000_000);
/// Nanoseconds per TSC tick as a 32.32 fixed-point factor, so that a clock
/// read is a multiply and a shift (a 128-bit division is a library call of
/// hundreds of emulated instructions under kvm-pvm). 1 GHz until init.
static TSC_MULT: AtomicU64 = AtomicU64::new(1 << 32);
static EPOCH_NS: AtomicU64 = AtomicU64::new(0);

pub fn rdtsc() -> u64 {
    // SAFETY: reading the time-stamp counter has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// TSC frequency from CPUID 0x15 (crystal ratio) or 0x16 (base MHz).
fn cpuid_tsc_khz() -> Option<u64> {
    let max = core::arch::x86_64::__cpuid(0).eax;
    if max >= 0x15 {
        let l = core::arch::x86_64::__cpuid(0x15);
        if l.eax != 0 && l.ebx != 0 && l.ecx != 0 {
            return Some(u64::from(l.ecx) * u64::from(l.ebx) / u64::from(l.eax) / 1000);
        }
    }
    if max >= 0x16 {
        let mhz = core::arch::x86_64::__cpuid(0x16).eax & 0xffff;
        if mhz != 0 {
            return Some(u64::from(mhz) * 1000);
        }
    }
    // The hypervisor leaves (KVM, VMware's convention that QEMU follows
    // with vmware-cpuid-freq): 0x40000010 EAX is the TSC frequency in kHz.
    let hv_max = core::arch::x86_64::__cpuid(0x4000_0000).eax;
    if (0x4000_0010..0x5000_0000).contains(&hv_max) {
        let khz = core::arch::x86_64::__cpuid(0x4000_0010).eax;
        if khz != 0 {
            return Some(u64::from(khz));
        }
    }
    None
}

pub fn init(tsc_khz: Option<u64>, epoch_ns: Option<u64>) {
    let khz = tsc_khz
        .filter(|&k| k != 0)
        .or_else(cpuid_tsc_khz)
        .or_else(crate::arch::pit::calibrate_tsc_khz);
    if let Some(khz) = khz {
        crate::info!("TSC at {} kHz", khz);
        TSC_KHZ.store(khz, Ordering::Relaxed);
        TSC_MULT.store(
            ((1_000_000u128 << 32) / u128::from(khz)) as u64,
            Ordering::Relaxed,
        );
    } else {
        crate::info!("TSC frequency unknown; assuming 1 GHz");
    }
    EPOCH_NS.store(epoch_ns.unwrap_or(0), Ordering::Relaxed);
}

/// The TSC frequency the clock uses, in kHz.
pub fn tsc_khz() -> u64 {
    TSC_KHZ.load(Ordering::Relaxed)
}

/// Nanoseconds since the TSC was 0 (VM start).
pub fn monotonic_ns() -> u64 {
    let mult = TSC_MULT.load(Ordering::Relaxed);
    ((u128::from(rdtsc()) * u128::from(mult)) >> 32) as u64
}

pub fn realtime_ns() -> u64 {
    EPOCH_NS.load(Ordering::Relaxed) + monotonic_ns()
}

const NSEC_PER_SEC: u64 = 1_000_000_000;

fn timespec_bytes(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / NSEC_PER_SEC).to_le_bytes());
    b[8..].copy_from_slice(&(ns % NSEC_PER_SEC).to_le_bytes());
    b
}

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
const CLOCK_MONOTONIC_RAW: u64 = 4;
const CLOCK_REALTIME_COARSE: u64 = 5;
const CLOCK_MONOTONIC_COARSE: u64 = 6;
const CLOCK_BOOTTIME: u64 = 7;

fn clock_ns(clock: u64) -> Result<u64, Errno> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(monotonic_ns())
        }
        // CPU time as the scheduler counts it (user and kernel together).
        CLOCK_THREAD_CPUTIME_ID => Ok(crate::task::current().cpu_ns()),
        CLOCK_PROCESS_CPUTIME_ID => {
            let tgid = crate::task::current().tgid;
            Ok(crate::task::all()
                .filter(|t| t.tgid == tgid)
                .map(|t| t.cpu_ns())
                .sum())
        }
        _ => Err(EINVAL),
    }
}

pub fn sys_clock_gettime(a: &Args) -> SysResult {
    let ns = clock_ns(a[0])?;
    copy_to_user(a[1], &timespec_bytes(ns)).map(|_| 0)
}

pub fn sys_clock_getres(a: &Args) -> SysResult {
    clock_ns(a[0])?;
    if a[1] != 0 {
        copy_to_user(a[1], &timespec_bytes(1))?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(a: &Args) -> SysResult {
    let ns = realtime_ns();
    if a[0] != 0 {
        let mut tv = [0u8; 16];
        tv[..8].copy_from_slice(&(ns / NSEC_PER_SEC).to_le_bytes());
        tv[8..].copy_from_slice(&(ns % NSEC_PER_SEC / 1000).to_le_bytes());
        copy_to_user(a[0], &tv)?;
    }
    if a[1] != 0 {
        // struct timezone: minutes west and DST type, both 0 (UTC).
        copy_to_user(a[1], &[0u8; 8])?;
    }
    Ok(0)
}

pub fn sys_time(a: &Args) -> SysResult {
    let secs = realtime_ns() / NSEC_PER_SEC;
    if a[0] != 0 {
        copy_to_user(a[0], &secs.to_le_bytes())?;
    }
    Ok(secs)
}

/// Reads a `struct timespec` (64-bit fields) and checks it as Linux does.
pub fn read_timespec(addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 16];
    copy_from_user(&mut b, addr)?;
    let sec = i64::from_le_bytes(b[..8].try_into().map_err(|_| EFAULT)?);
    let nsec = i64::from_le_bytes(b[8..].try_into().map_err(|_| EFAULT)?);
    if sec < 0 || !(0..NSEC_PER_SEC as i64).contains(&nsec) {
        return Err(EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(nsec as u64))
}

fn remaining_bytes(deadline: u64) -> [u8; 16] {
    timespec_bytes(deadline.saturating_sub(monotonic_ns()))
}

/// An interrupted sleep ends with EINTR and the time left (Linux restarts
/// it with a restart block when no handler ran; here the caller sees
/// EINTR only when a handler ran, else the rest of the sleep continues).
fn interruptible_sleep(deadline: u64, rem: u64) -> SysResult {
    match crate::kernel::sched::sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(_) => {
            if rem != 0 {
                copy_to_user(rem, &remaining_bytes(deadline))?;
            }
            // EINTR when a handler ran, even with SA_RESTART (Linux's
            // restart block); restarted when none did.
            Err(crate::errno::ERESTARTNOHAND)
        }
    }
}

pub fn sys_nanosleep(a: &Args) -> SysResult {
    let ns = read_timespec(a[0])?;
    interruptible_sleep(monotonic_ns().saturating_add(ns), a[1])
}

const TIMER_ABSTIME: u64 = 1;

pub fn sys_clock_nanosleep(a: &Args) -> SysResult {
    let (clock, flags, req, rem) = (a[0], a[1], a[2], a[3]);
    // clock_nanosleep returns the error number itself, not -1/errno, but
    // through the raw syscall ABI it is the usual negative value.
    let now = clock_ns(clock)?;
    let ns = read_timespec(req)?;
    let deadline_mono = if flags & TIMER_ABSTIME != 0 {
        monotonic_ns().saturating_add(ns.saturating_sub(now))
    } else {
        monotonic_ns().saturating_add(ns)
    };
    interruptible_sleep(
        deadline_mono,
        if flags & TIMER_ABSTIME != 0 { 0 } else { rem },
    )
}

const NSEC_PER_USEC: u64 = 1000;

/// alarm(seconds): SIGALRM after that long (0 cancels); returns the
/// seconds left of the previous alarm, rounded as Linux does.
pub fn sys_alarm(a: &Args) -> SysResult {
    let t = crate::task::current();
    let now = monotonic_ns();
    let left = t.alarm_at.map_or(0, |at| {
        let ns = at.saturating_sub(now);
        ns.div_ceil(NSEC_PER_SEC).max(1)
    });
    let secs = a[0] & 0xffff_ffff;
    t.alarm_at = (secs > 0).then(|| now + secs * NSEC_PER_SEC);
    t.alarm_interval = 0;
    crate::kernel::sched::timers_changed();
    Ok(left)
}

const ITIMER_REAL: u64 = 0;

fn itimerval_bytes(interval: u64, value: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, ns) in [interval, value].into_iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&(ns / NSEC_PER_SEC).to_le_bytes());
        b[i * 16 + 8..i * 16 + 16]
            .copy_from_slice(&((ns % NSEC_PER_SEC) / NSEC_PER_USEC).to_le_bytes());
    }
    b
}

fn current_itimer() -> [u8; 32] {
    let t = crate::task::current();
    let value = t
        .alarm_at
        .map_or(0, |at| at.saturating_sub(monotonic_ns()).max(1));
    itimerval_bytes(t.alarm_interval, value)
}

/// Only ITIMER_REAL (SIGALRM on the monotonic clock) exists: the virtual
/// and profiling timers need CPU-time accounting this kernel does not do.
pub fn sys_getitimer(a: &Args) -> SysResult {
    if a[0] != ITIMER_REAL {
        return Err(EINVAL);
    }
    copy_to_user(a[1], &current_itimer())?;
    Ok(0)
}

pub fn sys_setitimer(a: &Args) -> SysResult {
    if a[0] != ITIMER_REAL {
        return Err(EINVAL);
    }
    let mut b = [0u8; 32];
    if a[1] != 0 {
        copy_from_user(&mut b, a[1])?;
    }
    let word = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (isec, iusec, vsec, vusec) = (word(0), word(1), word(2), word(3));
    if [isec, vsec].iter().any(|&s| s < 0)
        || [iusec, vusec].iter().any(|&u| !(0..1_000_000).contains(&u))
    {
        return Err(EINVAL);
    }
    let ns = |s: i64, u: i64| (s as u64).saturating_mul(NSEC_PER_SEC) + u as u64 * NSEC_PER_USEC;
    if a[2] != 0 {
        copy_to_user(a[2], &current_itimer())?;
    }
    let t = crate::task::current();
    let value = ns(vsec, vusec);
    t.alarm_at = (value > 0).then(|| monotonic_ns() + value);
    t.alarm_interval = ns(isec, iusec);
    crate::kernel::sched::timers_changed();
    Ok(0)
}

/// pause(): sleeps until a signal is delivered.
pub fn sys_pause(_: &Args) -> SysResult {
    crate::kernel::sched::sleep_until(u64::MAX)?;
    Ok(0)
}
