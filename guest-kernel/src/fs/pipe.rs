//! Pipes (Linux's fs/pipe.c): a 64 KiB ring buffer between a read end and
//! a write end. Readers wait for data and see EOF once the last writer is
//! gone; writers wait for room and get SIGPIPE and EPIPE once the last
//! reader is gone; writes of at most PIPE_BUF bytes are never interleaved
//! with others. Each end is an open file; when it goes (the last close,
//! through fput) the counts change and the other side is woken.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::mem::MaybeUninit;

use spin::Mutex;

use super::dentry::Dentry;
use super::file::{File, FileOps, O_NONBLOCK, O_RDONLY, O_WRONLY, POLLIN, POLLOUT};
use super::inode::{InodeRef, S_IFIFO};
use crate::drivers::copy_engine;
use crate::errno::{EAGAIN, EBUSY, EFAULT, EINVAL, EPERM, EPIPE, Errno, SysResult};
use crate::kernel::wait::WaitQueue;
use crate::syscall::Args;
use crate::task::current;

/// Writes up to this size are atomic (POSIX PIPE_BUF on Linux).
pub const PIPE_BUF: usize = 4096;
/// Linux's default pipe size, and the most F_SETPIPE_SZ grants here
/// (Linux's /proc/sys/fs/pipe-max-size default is 1 MiB).
const PIPE_DEF_SIZE: usize = 64 * 1024;
const PIPE_MAX_SIZE: usize = 1 << 20;

const POLLERR: u16 = 0x8;
const POLLHUP: u16 = 0x10;
const FIONREAD: u64 = 0x541b;
const SIGPIPE: u32 = 13;

struct Ring {
    /// Allocated on the first write (most pipes carry little) and never
    /// zeroed: only bytes written are read back. Under kvm-pvm zeroing
    /// 64 KiB in ring 0 costs milliseconds.
    buf: Box<[MaybeUninit<u8>]>,
    capacity: usize,
    head: usize,
    len: usize,
    readers: u32,
    writers: u32,
    /// Opens of each end so far: a FIFO opener waits for the other end to
    /// have been opened, even if it closed again since (Linux's counters).
    opened_readers: u64,
    opened_writers: u64,
}

impl Ring {
    fn space(&self) -> usize {
        self.capacity - self.len
    }

    fn push(&mut self, data: &[u8]) -> usize {
        if self.buf.len() < self.capacity {
            self.buf = Box::new_uninit_slice(self.capacity);
        }
        let n = data.len().min(self.space());
        let tail = (self.head + self.len) % self.capacity;
        let first = n.min(self.capacity - tail);
        let ring = self.buf.as_mut_ptr() as u64;
        let src = data.as_ptr() as u64;
        // Through the copy engine: one VM exit for both parts when ring 0
        // is emulated, a memcpy otherwise.
        // SAFETY: [tail, tail + first) and [0, n - first) lie in the ring
        // (n <= space), the sources in `data`; a user buffer and the
        // kernel's ring never overlap.
        unsafe {
            copy_engine::copy_many(&[
                (ring + tail as u64, src, first as u64),
                (ring, src + first as u64, (n - first) as u64),
            ])
        };
        self.len += n;
        n
    }

    fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let first = n.min(self.capacity - self.head);
        let ring = self.buf.as_mut_ptr() as u64;
        let dst = out.as_mut_ptr() as u64;
        // SAFETY: the n bytes from head (wrapping) were written by push
        // (n <= len), the destinations are in `out`; no overlap.
        unsafe {
            copy_engine::copy_many(&[
                (dst, ring + self.head as u64, first as u64),
                (dst + first as u64, ring, (n - first) as u64),
            ])
        };
        self.head = (self.head + n) % self.capacity;
        self.len -= n;
        if self.len == 0 {
            self.head = 0;
        }
        n
    }

    /// A new size (F_SETPIPE_SZ), keeping the data in order.
    fn resize(&mut self, capacity: usize) -> Result<(), Errno> {
        if capacity < self.len {
            return Err(EBUSY);
        }
        let mut data = alloc::vec![0u8; self.len];
        self.pop(&mut data);
        self.buf = Box::new([]);
        self.capacity = capacity;
        self.head = 0;
        self.push(&data);
        Ok(())
    }
}

pub struct Pipe {
    ring: Mutex<Ring>,
    /// Both sides sleep here: readers for data, writers for room.
    wait: WaitQueue,
}

impl Pipe {
    fn new() -> Arc<Pipe> {
        Arc::new(Pipe {
            ring: Mutex::new(Ring {
                buf: Box::new([]),
                capacity: PIPE_DEF_SIZE,
                head: 0,
                len: 0,
                readers: 0,
                writers: 0,
                opened_readers: 0,
                opened_writers: 0,
            }),
            wait: WaitQueue::new(),
        })
    }

    fn changed(&self) {
        self.wait.wake_up();
        super::select::poll_wake();
    }
}

/// One end of a pipe, as an open file's operations.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl PipeEnd {
    /// Opens an end: the pipe counts its readers and writers per open file.
    fn open(pipe: &Arc<Pipe>, write: bool) -> Arc<dyn FileOps> {
        {
            let mut r = pipe.ring.lock();
            if write {
                r.writers += 1;
                r.opened_writers += 1;
            } else {
                r.readers += 1;
                r.opened_readers += 1;
            }
        }
        Arc::new(PipeEnd {
            pipe: pipe.clone(),
            write,
        })
    }
}

impl PipeEnd {
    /// A FIFO opened O_RDWR: one file that is both a reader and a writer.
    fn open_both(pipe: &Arc<Pipe>) -> Arc<dyn FileOps> {
        let r = PipeEnd::open(pipe, false);
        let w = PipeEnd::open(pipe, true);
        Arc::new(BothEnds { r, w })
    }
}

struct BothEnds {
    r: Arc<dyn FileOps>,
    w: Arc<dyn FileOps>,
}

impl FileOps for BothEnds {
    fn read(&self, file: &File, buf: &mut [u8]) -> SysResult {
        self.r.read(file, buf)
    }
    fn write(&self, file: &File, buf: &[u8]) -> SysResult {
        self.w.write(file, buf)
    }
    fn poll(&self, file: &File) -> u16 {
        (self.r.poll(file) & (POLLIN | POLLHUP)) | (self.w.poll(file) & (POLLOUT | POLLERR))
    }
    fn ioctl(&self, file: &File, request: u64, arg: u64) -> SysResult {
        self.r.ioctl(file, request, arg)
    }
    fn pipe_size(&self, new: Option<u64>) -> SysResult {
        self.r.pipe_size(new)
    }
}

fn nonblocking(file: &File) -> bool {
    *file.flags.lock() & O_NONBLOCK != 0
}

impl FileOps for PipeEnd {
    fn read(&self, file: &File, buf: &mut [u8]) -> SysResult {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            {
                let mut r = self.pipe.ring.lock();
                if r.len > 0 {
                    let n = r.pop(buf);
                    drop(r);
                    self.pipe.changed();
                    return Ok(n as u64);
                }
                if r.writers == 0 {
                    return Ok(0);
                }
            }
            if nonblocking(file) {
                return Err(EAGAIN);
            }
            let ring = &self.pipe.ring;
            self.pipe.wait.wait_event(|| {
                let r = ring.lock();
                r.len > 0 || r.writers == 0
            })?;
        }
    }

    fn write(&self, file: &File, data: &[u8]) -> SysResult {
        let atomic = data.len() <= PIPE_BUF;
        let mut done = 0;
        loop {
            {
                let mut r = self.pipe.ring.lock();
                if r.readers == 0 {
                    drop(r);
                    if done > 0 {
                        return Ok(done as u64);
                    }
                    crate::kernel::signal::send_signal_from_kernel(current(), SIGPIPE);
                    return Err(EPIPE);
                }
                let room = r.space();
                if (atomic && room >= data.len()) || (!atomic && room > 0) {
                    done += r.push(&data[done..]);
                    drop(r);
                    self.pipe.changed();
                    if done == data.len() {
                        return Ok(done as u64);
                    }
                    continue;
                }
            }
            if nonblocking(file) {
                return if done > 0 {
                    Ok(done as u64)
                } else {
                    Err(EAGAIN)
                };
            }
            let need = if atomic { data.len() } else { 1 };
            let ring = &self.pipe.ring;
            if let Err(e) = self.pipe.wait.wait_event(|| {
                let r = ring.lock();
                r.space() >= need || r.readers == 0
            }) {
                return if done > 0 { Ok(done as u64) } else { Err(e) };
            }
        }
    }

    fn poll(&self, _file: &File) -> u16 {
        let r = self.pipe.ring.lock();
        if self.write {
            // Room for a PIPE_BUF write is "writable"; no reader is an
            // error on top (Linux's pipe_poll).
            let mut m = if r.space() >= PIPE_BUF.min(r.capacity) {
                POLLOUT
            } else {
                0
            };
            if r.readers == 0 {
                m |= POLLERR;
            }
            m
        } else {
            let mut m = if r.len > 0 { POLLIN } else { 0 };
            if r.writers == 0 {
                m |= POLLHUP;
            }
            m
        }
    }

    fn ioctl(&self, _file: &File, request: u64, arg: u64) -> SysResult {
        if request != FIONREAD {
            return Err(crate::errno::ENOTTY);
        }
        let n = self.pipe.ring.lock().len as u32;
        crate::uaccess::put_user(arg, &n).map_err(|_| EFAULT)?;
        Ok(0)
    }

    fn pipe_size(&self, new: Option<u64>) -> SysResult {
        let mut r = self.pipe.ring.lock();
        if let Some(want) = new {
            if want > PIPE_MAX_SIZE as u64 {
                return Err(EPERM);
            }
            // Linux rounds up to a power of two pages.
            let size = (want.max(4096) as usize).next_power_of_two();
            r.resize(size)?;
            drop(r);
            self.pipe.changed();
            return Ok(size as u64);
        }
        Ok(r.capacity as u64)
    }
}

/// An end goes when its open file does (after the release of the last
/// close), or at once when an open of a FIFO was interrupted.
impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut r = self.pipe.ring.lock();
            if self.write {
                r.writers -= 1;
            } else {
                r.readers -= 1;
            }
            if r.readers == 0 && r.writers == 0 {
                // A FIFO nobody has open keeps no data (as on Linux).
                r.len = 0;
                r.head = 0;
            }
        }
        self.pipe.changed();
    }
}

/// Opens a FIFO (Linux's fifo_open): a reader waits for a writer and a
/// writer for a reader, unless O_NONBLOCK (then a writer with no reader
/// gets ENXIO); O_RDWR waits for nobody.
pub fn fifo_open(inode: &InodeRef, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    use super::file::{O_ACCMODE, O_RDWR};
    let pipe = inode.fifo.lock().get_or_insert_with(Pipe::new).clone();
    let nonblock = flags & O_NONBLOCK != 0;
    match flags & O_ACCMODE {
        O_RDONLY => {
            let ops = PipeEnd::open(&pipe, false);
            pipe.changed();
            let seen = pipe.ring.lock().opened_writers;
            if !nonblock {
                let ring = &pipe.ring;
                // On a signal the end just opened is released with `ops`.
                pipe.wait.wait_event(|| {
                    let r = ring.lock();
                    r.writers > 0 || r.opened_writers != seen
                })?;
            }
            Ok(ops)
        }
        O_WRONLY => {
            if nonblock && pipe.ring.lock().readers == 0 {
                return Err(crate::errno::ENXIO);
            }
            let ops = PipeEnd::open(&pipe, true);
            pipe.changed();
            let seen = pipe.ring.lock().opened_readers;
            let ring = &pipe.ring;
            pipe.wait.wait_event(|| {
                let r = ring.lock();
                r.readers > 0 || r.opened_readers != seen
            })?;
            Ok(ops)
        }
        O_RDWR => {
            let ops = PipeEnd::open_both(&pipe);
            pipe.changed();
            Ok(ops)
        }
        _ => Err(EINVAL),
    }
}

static PIPE_ROOT: Mutex<Option<InodeRef>> = Mutex::new(None);

/// An inode for a new pipe (fstat shows a FIFO), on a hidden file system
/// of its own, as Linux's pipefs.
fn pipe_inode() -> Result<InodeRef, Errno> {
    super::tmpfs::nameless_inode(&PIPE_ROOT, "pipefs", || 1 << 40, S_IFIFO | 0o600)
}

fn do_pipe2(fds: u64, flags: u64) -> SysResult {
    use super::file::O_CLOEXEC;
    const O_DIRECT: u64 = 0o40000;
    if flags & !u64::from(O_CLOEXEC | O_NONBLOCK) & !O_DIRECT != 0 {
        return Err(EINVAL);
    }
    let inode = pipe_inode()?;
    let label = alloc::format!("pipe:[{}]", inode.ino);
    let dentry = Dentry::anonymous(inode, label.as_bytes());
    let pipe = Pipe::new();
    let status = (flags as u32) & O_NONBLOCK;
    let rd = File::new(
        dentry.clone(),
        PipeEnd::open(&pipe, false),
        O_RDONLY | status,
    );
    let wr = File::new(dentry, PipeEnd::open(&pipe, true), O_WRONLY | status);
    let cloexec = flags & u64::from(O_CLOEXEC) != 0;
    let files = &mut current().files;
    let r = files.install(rd, 0, cloexec)?;
    let w = match files.install(wr, 0, cloexec) {
        Ok(w) => w,
        Err(e) => {
            let _ = files.close(r);
            return Err(e);
        }
    };
    let pair = [r as i32, w as i32];
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&pair[0].to_le_bytes());
    bytes[4..].copy_from_slice(&pair[1].to_le_bytes());
    if crate::uaccess::copy_to_user(fds, &bytes).is_err() {
        let _ = files.close(r);
        let _ = files.close(w);
        return Err(EFAULT);
    }
    Ok(0)
}

pub fn sys_pipe(a: &Args) -> SysResult {
    do_pipe2(a[0], 0)
}

pub fn sys_pipe2(a: &Args) -> SysResult {
    do_pipe2(a[0], a[1])
}
