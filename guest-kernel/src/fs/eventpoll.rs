//! epoll (Linux's fs/eventpoll.c) and eventfd (fs/eventfd.c).
//!
//! An epoll instance is a set of (descriptor, file, events, data) items;
//! epoll_wait asks each file's `FileOps::poll` and, with nothing ready,
//! sleeps on select.rs's wait queue, which every readiness change wakes
//! (the same mechanism as poll). Items hold their files weakly, so a file
//! closed everywhere leaves the set as on Linux. Edge-triggered items
//! (EPOLLET) are reported again only after a readiness change somewhere
//! since their last report; level-triggered ones whenever ready.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

use spin::Mutex;

use super::dentry::Dentry;
use super::file::{File, FileOps, O_CLOEXEC, O_NONBLOCK, O_RDWR, POLLIN, POLLOUT};
use super::inode::{InodeRef, S_IFREG};
use crate::errno::{EAGAIN, EBADF, EEXIST, EINVAL, ENOENT, EPERM, Errno, SysResult};
use crate::kernel::wait::WaitQueue;
use crate::syscall::Args;
use crate::task::current;
use crate::uaccess::{copy_from_user, get_user, user_slice_mut};

const EPOLL_CTL_ADD: u64 = 1;
const EPOLL_CTL_DEL: u64 = 2;
const EPOLL_CTL_MOD: u64 = 3;
const EPOLLERR: u32 = 0x8;
const EPOLLHUP: u32 = 0x10;
const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EPOLLONESHOT: u32 = 1 << 30;
const EPOLLET: u32 = 1 << 31;
/// Linux's EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event).
const EP_MAX_EVENTS: u64 = (i32::MAX as u64) / 12;

struct Item {
    file: Weak<File>,
    events: u32,
    data: u64,
    /// The readiness-change count at this item's last report (EPOLLET).
    reported_at: Option<u64>,
    /// EPOLLONESHOT fired: reported no more until EPOLL_CTL_MOD.
    disabled: bool,
}

pub struct EventPoll {
    items: Mutex<BTreeMap<i32, Item>>,
}

impl FileOps for EventPoll {
    fn as_epoll(&self) -> Option<&EventPoll> {
        Some(self)
    }
    fn poll(&self, _file: &File) -> u16 {
        if self.ready(usize::MAX, &mut |_, _| {}, false) > 0 {
            POLLIN
        } else {
            0
        }
    }
}

impl EventPoll {
    /// Reports the ready items through `emit` (at most `max`); `consume`
    /// marks them reported (epoll_wait, not a poll of the epoll file).
    fn ready(&self, max: usize, emit: &mut dyn FnMut(u32, u64), consume: bool) -> usize {
        let now = super::select::poll_events();
        let mut n = 0;
        let mut items = self.items.lock();
        items.retain(|_, item| item.file.strong_count() > 0);
        for item in items.values_mut() {
            if n >= max {
                break;
            }
            if item.disabled {
                continue;
            }
            let Some(file) = item.file.upgrade() else {
                continue;
            };
            let wanted = item.events | EPOLLERR | EPOLLHUP;
            let revents = u32::from(file.ops.poll(&file)) & wanted;
            if revents == 0 {
                continue;
            }
            if item.events & EPOLLET != 0 && item.reported_at == Some(now) {
                continue;
            }
            emit(revents, item.data);
            n += 1;
            if consume {
                item.reported_at = Some(now);
                if item.events & EPOLLONESHOT != 0 {
                    item.disabled = true;
                }
            }
        }
        n
    }
}

static EPOLL_ROOT: Mutex<Option<InodeRef>> = Mutex::new(None);

/// A nameless inode for an anonymous file ("anon_inode:[eventpoll]").
fn anon_dentry(label: &[u8]) -> Result<Arc<Dentry>, Errno> {
    let inode =
        super::tmpfs::nameless_inode(&EPOLL_ROOT, "anon_inodefs", || 1 << 40, S_IFREG | 0o600)?;
    Ok(Dentry::anonymous(inode, label))
}

fn do_epoll_create(flags: u64) -> SysResult {
    if flags & !u64::from(O_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    let ops: Arc<dyn FileOps> = Arc::new(EventPoll {
        items: Mutex::new(BTreeMap::new()),
    });
    let file = File::new(anon_dentry(b"anon_inode:[eventpoll]")?, ops, O_RDWR);
    current()
        .files
        .install(file, 0, flags & u64::from(O_CLOEXEC) != 0)
}

pub fn sys_epoll_create1(a: &Args) -> SysResult {
    do_epoll_create(a[0])
}

pub fn sys_epoll_create(a: &Args) -> SysResult {
    if a[0] as i32 <= 0 {
        return Err(EINVAL);
    }
    do_epoll_create(0)
}

fn epoll_of(file: &Arc<File>) -> Result<&EventPoll, Errno> {
    file.ops.as_epoll().ok_or(EINVAL)
}

pub fn sys_epoll_ctl(a: &Args) -> SysResult {
    let (epfd, op, fd, event) = (a[0], a[1], a[2] as i32, a[3]);
    let files = &current().files;
    let epfile = files.get(epfd)?;
    let target = files.get(fd as u64).map_err(|_| EBADF)?;
    let ep = epoll_of(&epfile)?;
    // An epoll set inside another is refused: the readiness scan holds a
    // set's lock while it asks each file, so a cycle of sets would
    // deadlock (Linux allows nesting and detects loops, ELOOP).
    if Arc::ptr_eq(&epfile, &target) || target.ops.as_epoll().is_some() {
        return Err(EINVAL);
    }
    if target.ops.seekable() || target.dentry.inode.is_dir() {
        // Linux: files without a poll operation (regular files, block
        // devices, directories) cannot be watched.
        return Err(EPERM);
    }
    let (events, data) = if op == EPOLL_CTL_DEL {
        (0, 0)
    } else {
        let mut b = [0u8; 12];
        copy_from_user(&mut b, event)?;
        let events = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[4..12]);
        (events, u64::from_le_bytes(d))
    };
    let mut items = ep.items.lock();
    items.retain(|_, item| item.file.strong_count() > 0);
    let same_file = |item: &Item| {
        item.file
            .upgrade()
            .is_some_and(|f| Arc::ptr_eq(&f, &target))
    };
    match op {
        EPOLL_CTL_ADD => {
            if items.get(&fd).is_some_and(same_file) {
                return Err(EEXIST);
            }
            items.insert(
                fd,
                Item {
                    file: Arc::downgrade(&target),
                    events,
                    data,
                    reported_at: None,
                    disabled: false,
                },
            );
        }
        EPOLL_CTL_MOD => {
            let item = items.get_mut(&fd).filter(|i| same_file(i)).ok_or(ENOENT)?;
            if events & EPOLLEXCLUSIVE != 0 {
                return Err(EINVAL);
            }
            item.events = events;
            item.data = data;
            item.reported_at = None;
            item.disabled = false;
        }
        EPOLL_CTL_DEL => {
            if !items.get(&fd).is_some_and(same_file) {
                return Err(ENOENT);
            }
            items.remove(&fd);
        }
        _ => return Err(EINVAL),
    }
    drop(items);
    // A new item may be ready already: let waiters look.
    super::select::poll_wake();
    Ok(0)
}

fn do_epoll_wait(
    epfd: u64,
    events: u64,
    max: i32,
    deadline: Option<u64>,
    sigmask: u64,
) -> SysResult {
    if max <= 0 || max as u64 > EP_MAX_EVENTS {
        return Err(EINVAL);
    }
    let epfile = current().files.get(epfd)?;
    let ep = epoll_of(&epfile)?;
    let out = user_slice_mut(events, max as u64 * 12)?;
    // epoll_pwait: the mask holds only while waiting.
    let saved = if sigmask != 0 {
        let mask: u64 = get_user(sigmask)?;
        let t = current();
        let old = t.signal.blocked;
        t.signal.blocked = mask & !((1 << 8) | (1 << 18)); // never SIGKILL/SIGSTOP
        Some(old)
    } else {
        None
    };
    let result = loop {
        let seen = super::select::poll_events();
        let mut at = 0;
        let n = ep.ready(
            max as usize,
            &mut |ev, data| {
                out[at..at + 4].copy_from_slice(&ev.to_le_bytes());
                out[at + 4..at + 12].copy_from_slice(&data.to_le_bytes());
                at += 12;
            },
            true,
        );
        if n > 0 || deadline == Some(0) {
            break Ok(n as u64);
        }
        match super::select::wait_for_events(seen, deadline) {
            Ok(true) => continue,
            Ok(false) => break Ok(0),
            Err(e) => break Err(e),
        }
    };
    if let Some(old) = saved {
        current().signal.blocked = old;
    }
    result
}

fn deadline_ms(timeout: i32) -> Option<u64> {
    (timeout >= 0)
        .then(|| crate::kernel::time::monotonic_ns().saturating_add(timeout as u64 * 1_000_000))
}

pub fn sys_epoll_wait(a: &Args) -> SysResult {
    do_epoll_wait(a[0], a[1], a[2] as i32, deadline_ms(a[3] as i32), 0)
}

pub fn sys_epoll_pwait(a: &Args) -> SysResult {
    if a[4] != 0 && a[5] != 8 {
        return Err(EINVAL);
    }
    do_epoll_wait(a[0], a[1], a[2] as i32, deadline_ms(a[3] as i32), a[4])
}

pub fn sys_epoll_pwait2(a: &Args) -> SysResult {
    if a[4] != 0 && a[5] != 8 {
        return Err(EINVAL);
    }
    let deadline = match a[3] {
        0 => None,
        t => Some(
            crate::kernel::time::monotonic_ns()
                .saturating_add(crate::kernel::time::read_timespec(t)?),
        ),
    };
    do_epoll_wait(a[0], a[1], a[2] as i32, deadline, a[4])
}

/// An eventfd: a 64-bit counter; read takes it (or 1, EFD_SEMAPHORE),
/// write adds; each waits while it would over- or underflow.
struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    wait: WaitQueue,
}

const EFD_SEMAPHORE: u64 = 1;

impl FileOps for EventFd {
    fn read(&self, file: &File, buf: &mut [u8]) -> SysResult {
        if buf.len() < 8 {
            return Err(EINVAL);
        }
        loop {
            {
                let mut c = self.count.lock();
                if *c > 0 {
                    let v = if self.semaphore { 1 } else { *c };
                    *c -= v;
                    buf[..8].copy_from_slice(&v.to_le_bytes());
                    drop(c);
                    self.wait.wake_up();
                    super::select::poll_wake();
                    return Ok(8);
                }
            }
            if *file.flags.lock() & O_NONBLOCK != 0 {
                return Err(EAGAIN);
            }
            let count = &self.count;
            self.wait.wait_event(|| *count.lock() > 0)?;
        }
    }

    fn write(&self, file: &File, buf: &[u8]) -> SysResult {
        let Some(b) = buf.get(..8) else {
            return Err(EINVAL);
        };
        let mut v = [0u8; 8];
        v.copy_from_slice(b);
        let v = u64::from_le_bytes(v);
        if v == u64::MAX {
            return Err(EINVAL);
        }
        loop {
            {
                let mut c = self.count.lock();
                if u64::MAX - 1 - *c >= v {
                    *c += v;
                    drop(c);
                    self.wait.wake_up();
                    super::select::poll_wake();
                    return Ok(8);
                }
            }
            if *file.flags.lock() & O_NONBLOCK != 0 {
                return Err(EAGAIN);
            }
            let count = &self.count;
            self.wait.wait_event(|| u64::MAX - 1 - *count.lock() >= v)?;
        }
    }

    fn poll(&self, _file: &File) -> u16 {
        let c = *self.count.lock();
        let mut m = 0;
        if c > 0 {
            m |= POLLIN;
        }
        if c < u64::MAX - 1 {
            m |= POLLOUT;
        }
        m
    }
}

pub fn sys_eventfd2(a: &Args) -> SysResult {
    let (initval, flags) = (a[0] & 0xffff_ffff, a[1]);
    if flags & !(EFD_SEMAPHORE | u64::from(O_CLOEXEC | O_NONBLOCK)) != 0 {
        return Err(EINVAL);
    }
    let ops: Arc<dyn FileOps> = Arc::new(EventFd {
        count: Mutex::new(initval),
        semaphore: flags & EFD_SEMAPHORE != 0,
        wait: WaitQueue::new(),
    });
    let status = O_RDWR | (flags as u32 & O_NONBLOCK);
    let file = File::new(anon_dentry(b"anon_inode:[eventfd]")?, ops, status);
    current()
        .files
        .install(file, 0, flags & u64::from(O_CLOEXEC) != 0)
}

pub fn sys_eventfd(a: &Args) -> SysResult {
    sys_eventfd2(&[a[0], 0, 0, 0, 0, 0])
}
