//! virtio-blk, host side: one request queue served from a host file.
//!
//! Everything in a request is guest-controlled, so each chain is checked
//! before any byte moves: its shape (readable header first, then
//! device-writable buffers, status byte last), that every buffer lies in
//! guest memory, and that the sectors lie on the disk. A bad request gets
//! VIRTIO_BLK_S_IOERR when it has a usable status byte and an empty used
//! entry otherwise; a broken queue (bad avail index, head out of range,
//! rings outside memory) makes the device ask for a reset.

use std::fmt::Display;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use virtio_bindings::virtio_blk::{
    VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX,
    VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
    VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
};
use virtio_bindings::virtio_config::VIRTIO_F_VERSION_1;
use virtio_bindings::virtio_ids::VIRTIO_ID_BLOCK;
use virtio_bindings::virtio_ring::{VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC};
use virtio_queue::{DescriptorChain, Queue, QueueOwnedT, QueueT};
use vm_memory::{Address, Bytes, GuestAddress, GuestMemory, GuestMemoryMmap, Permissions};

use super::{ActivateError, Interrupt, VirtioDevice};

pub const SECTOR_SIZE: u64 = 512;
/// Descriptors in the request queue.
pub const QUEUE_SIZE: u16 = 256;
/// Data segments per request: a chain also holds the header and status.
pub const SEG_MAX: u32 = QUEUE_SIZE as u32 - 2;
/// Logical block size reported in config space; the image is byte-addressed
/// so the smallest unit is fine, and it is what QEMU reports by default.
pub const BLK_SIZE: u32 = 512;
pub const ID_LEN: usize = VIRTIO_BLK_ID_BYTES as usize;

/// Request header: type, reserved, sector (spec 5.2.6).
const HEADER_LEN: usize = 16;
/// Longest chain we serve: header + SEG_MAX data + status.
const MAX_DESCRIPTORS: usize = SEG_MAX as usize + 2;
/// Copy granularity between guest memory and the disk.
const BOUNCE_LEN: usize = 256 * 1024;
/// Bad requests logged in full before only counting them.
const LOG_LIMIT: u32 = 5;

/// Where the data lives. `File` in the VMM; anything `Read + Write + Seek`
/// through [`SeekDisk`] (an in-memory `Cursor` in tests).
pub trait DiskBackend: Send {
    fn size(&mut self) -> io::Result<u64>;
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes written data durable (fdatasync for a file).
    fn flush(&mut self) -> io::Result<()>;
}

impl DiskBackend for File {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, offset)
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        FileExt::write_all_at(self, buf, offset)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

/// Adapts a `Read + Write + Seek` to [`DiskBackend`].
pub struct SeekDisk<T>(pub T);

impl<T: Read + Write + Seek + Send> DiskBackend for SeekDisk<T> {
    fn size(&mut self) -> io::Result<u64> {
        self.0.seek(SeekFrom::End(0))
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.0.seek(SeekFrom::Start(offset))?;
        self.0.read_exact(buf)
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.seek(SeekFrom::Start(offset))?;
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Counters for the control socket: plain atomics, read from any thread.
#[derive(Debug, Default)]
pub struct BlockCounters {
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub flushes: AtomicU64,
    pub get_ids: AtomicU64,
    /// Requests of a type we do not serve (answered UNSUPP).
    pub unsupported: AtomicU64,
    pub bytes_read: AtomicU64,
    pub bytes_written: AtomicU64,
    /// Requests answered IOERR or dropped as malformed, plus queue failures.
    pub errors: AtomicU64,
    pub notifications: AtomicU64,
    pub interrupts: AtomicU64,
}

fn inc(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("cannot open disk image {}: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read the disk size: {0}")]
    Size(io::Error),
}

/// Why a request failed. None of these is fatal to the VMM.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    #[error("descriptor chain is broken (loop, bad index or bad indirect table)")]
    BrokenChain,
    #[error("descriptor chain longer than {MAX_DESCRIPTORS} descriptors")]
    TooLong,
    #[error("the last descriptor is not a device-writable status byte")]
    NoStatus,
    #[error("device-readable descriptor after a device-writable one")]
    ReadableAfterWritable,
    #[error("buffer {addr:#x}+{len:#x} is outside guest memory")]
    OutsideMemory { addr: u64, len: usize },
    #[error("header needs {HEADER_LEN} device-readable bytes, has {0}")]
    ShortHeader(usize),
    #[error("request type {kind}: {readable} readable / {writable} writable data bytes")]
    WrongDirection {
        kind: u32,
        readable: usize,
        writable: usize,
    },
    #[error("data length {0} is not a multiple of {SECTOR_SIZE}")]
    Unaligned(usize),
    #[error("sector {sector} + {len} bytes is beyond the disk's {capacity} sectors")]
    OutOfRange {
        sector: u64,
        len: usize,
        capacity: u64,
    },
    #[error("write to a read-only disk")]
    ReadOnly,
    #[error("guest memory: {0}")]
    Memory(#[from] vm_memory::GuestMemoryError),
    #[error("disk image: {0}")]
    Io(#[from] io::Error),
}

/// What the device does when the queue itself cannot be trusted.
#[derive(Debug, thiserror::Error)]
#[error("request queue: {0}")]
struct QueueError(#[from] virtio_queue::Error);

/// A guest buffer: start and length.
#[derive(Clone, Copy, Debug)]
struct Seg {
    addr: GuestAddress,
    len: usize,
}

/// Logs the first few bad requests, then only counts them: a guest must not
/// be able to flood the host's stderr.
#[derive(Default)]
struct ErrorLog {
    logged: u32,
    suppressed: u64,
}

impl ErrorLog {
    fn report(&mut self, what: &dyn Display) {
        if self.logged < LOG_LIMIT {
            self.logged += 1;
            eprintln!("lstar: virtio-blk: {what}");
            if self.logged == LOG_LIMIT {
                eprintln!("lstar: virtio-blk: further errors are counted, not logged");
            }
        } else {
            self.suppressed += 1;
        }
    }

    fn summary(&mut self) {
        if self.suppressed > 0 {
            eprintln!(
                "lstar: virtio-blk: {} more errors were not logged",
                self.suppressed
            );
            self.suppressed = 0;
        }
    }
}

impl Drop for ErrorLog {
    fn drop(&mut self) {
        self.summary();
    }
}

/// The disk and what serving a request needs, apart from the queue.
struct Disk<B> {
    backend: B,
    capacity: u64,
    read_only: bool,
    id: [u8; ID_LEN],
    bounce: Vec<u8>,
    counters: Arc<BlockCounters>,
    log: ErrorLog,
}

/// What exists between DRIVER_OK and reset.
struct Active {
    queue: Queue,
    memory: GuestMemoryMmap,
    interrupt: Interrupt,
    /// The queue failed: serve nothing until the driver resets us.
    broken: bool,
}

pub struct Block<B: DiskBackend = File> {
    disk: Disk<B>,
    features: u64,
    config: [u8; 24],
    active: Option<Active>,
}

impl Block<File> {
    /// Opens the image (read-write unless `read_only`). Locking the image
    /// against a second VM is the caller's job.
    pub fn open(path: &Path, read_only: bool, id: &[u8]) -> Result<Self, BlockError> {
        let file = OpenOptions::new()
            .read(true)
            .write(!read_only)
            .open(path)
            .map_err(|source| BlockError::Open {
                path: path.to_owned(),
                source,
            })?;
        Self::new(file, read_only, id)
    }
}

impl<B: DiskBackend> Block<B> {
    /// A device over `backend`. Its capacity is the backend's size rounded
    /// down to whole sectors; `id` (GET_ID) is cut to 20 bytes, NUL-padded.
    pub fn new(mut backend: B, read_only: bool, id: &[u8]) -> Result<Self, BlockError> {
        let capacity = backend.size().map_err(BlockError::Size)? / SECTOR_SIZE;
        let mut id_bytes = [0u8; ID_LEN];
        let n = id.len().min(ID_LEN);
        id_bytes[..n].copy_from_slice(&id[..n]);

        let mut features = (1u64 << VIRTIO_F_VERSION_1)
            | (1 << VIRTIO_BLK_F_FLUSH)
            | (1 << VIRTIO_BLK_F_BLK_SIZE)
            | (1 << VIRTIO_BLK_F_SEG_MAX)
            | (1 << VIRTIO_RING_F_EVENT_IDX)
            | (1 << VIRTIO_RING_F_INDIRECT_DESC);
        if read_only {
            features |= 1 << VIRTIO_BLK_F_RO;
        }

        // struct virtio_blk_config up to blk_size: capacity @0, size_max @8,
        // seg_max @12, geometry @16, blk_size @20. Later fields read as 0.
        let mut config = [0u8; 24];
        config[0..8].copy_from_slice(&capacity.to_le_bytes());
        config[12..16].copy_from_slice(&SEG_MAX.to_le_bytes());
        config[20..24].copy_from_slice(&BLK_SIZE.to_le_bytes());

        Ok(Self {
            disk: Disk {
                backend,
                capacity,
                read_only,
                id: id_bytes,
                bounce: Vec::new(),
                counters: Arc::default(),
                log: ErrorLog::default(),
            },
            features,
            config,
            active: None,
        })
    }

    /// Capacity in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.disk.capacity
    }

    pub fn counters(&self) -> Arc<BlockCounters> {
        self.disk.counters.clone()
    }

    pub fn backend(&self) -> &B {
        &self.disk.backend
    }

    /// Serves every available request, then interrupts once if the driver
    /// wants it (EVENT_IDX may say it does not).
    ///
    /// A contract the guest relies on: requests are served one at a time
    /// in ring order, each one's write in the image file before the next
    /// is read, so a batch is ordered (the guest's ext2 puts its write
    /// phases behind one notification: a killed VMM leaves a prefix).
    fn process_queue(active: &mut Active, disk: &mut Disk<B>) -> Result<(), QueueError> {
        let mem = &active.memory;
        let queue = &mut active.queue;
        let mut used_any = false;
        loop {
            queue.disable_notification(mem)?;
            // iter() re-reads the avail index and rejects one that ran more
            // than a queue's length ahead.
            while let Some(chain) = queue.iter(mem)?.next() {
                let head = chain.head_index();
                let len = disk.serve(chain, mem);
                queue.add_used(mem, head, len)?;
                used_any = true;
            }
            // Closes the race with a driver that added buffers after our
            // last look but saw notifications disabled.
            if !queue.enable_notification(mem)? {
                break;
            }
        }
        if used_any && queue.needs_notification(mem)? {
            inc(&disk.counters.interrupts, 1);
            if let Err(e) = active.interrupt.signal_used_queue() {
                disk.log
                    .report(&format_args!("cannot raise the interrupt: {e}"));
            }
        }
        Ok(())
    }
}

impl<B: DiskBackend> Disk<B> {
    /// Serves one chain and returns the used length (bytes written to the
    /// guest). Never fails: errors become a status or an empty used entry.
    fn serve(&mut self, chain: DescriptorChain<&GuestMemoryMmap>, mem: &GuestMemoryMmap) -> u32 {
        let (descs, status) = match Self::parse(chain, mem) {
            Ok(parsed) => parsed,
            Err(e) => {
                // No status byte we may write: the guest only gets the
                // used entry back.
                self.failed(&e);
                return 0;
            }
        };
        let (code, written) =
            match descs.and_then(|(readable, writable)| self.execute(mem, &readable, &writable)) {
                Ok(done) => done,
                Err(e) => {
                    self.failed(&e);
                    (VIRTIO_BLK_S_IOERR, 0)
                }
            };
        if let Err(e) = mem.write_obj(code as u8, status) {
            self.failed(&RequestError::Memory(e));
            return 0;
        }
        // `written` is bounded by the chain's total length, itself below
        // 2^32 (virtio-queue stops a chain there).
        u32::try_from(written + 1).unwrap_or(u32::MAX)
    }

    fn failed(&mut self, e: &RequestError) {
        inc(&self.counters.errors, 1);
        self.log.report(e);
    }

    /// Splits a chain into readable and writable buffers and its status
    /// byte. The outer error means there is no status byte to answer with;
    /// the inner one is answered IOERR.
    #[allow(clippy::type_complexity)]
    fn parse(
        chain: DescriptorChain<&GuestMemoryMmap>,
        mem: &GuestMemoryMmap,
    ) -> Result<(Result<(Vec<Seg>, Vec<Seg>), RequestError>, GuestAddress), RequestError> {
        let mut descs = Vec::new();
        let mut complete = false;
        for d in chain {
            if descs.len() == MAX_DESCRIPTORS {
                return Err(RequestError::TooLong);
            }
            complete = !d.has_next();
            descs.push(d);
        }
        // virtio-queue ends a chain early, silently, on a loop (after a
        // queue's worth of descriptors), a next index out of the table, or
        // a bad indirect table: the last descriptor still says "next".
        if !complete {
            return Err(RequestError::BrokenChain);
        }
        let last = descs.last().ok_or(RequestError::BrokenChain)?;
        if !last.is_write_only() || last.len() == 0 {
            return Err(RequestError::NoStatus);
        }
        let status = last
            .addr()
            .checked_add(u64::from(last.len()) - 1)
            .filter(|&a| mem.check_range(a, 1, Permissions::Write))
            .ok_or(RequestError::NoStatus)?;

        let checked = || {
            let mut readable = Vec::new();
            let mut writable = Vec::new();
            for d in &descs {
                let seg = Seg {
                    addr: d.addr(),
                    len: d.len() as usize,
                };
                let access = if d.is_write_only() {
                    Permissions::Write
                } else {
                    Permissions::Read
                };
                if !mem.check_range(seg.addr, seg.len, access) {
                    return Err(RequestError::OutsideMemory {
                        addr: seg.addr.0,
                        len: seg.len,
                    });
                }
                if d.is_write_only() {
                    writable.push(seg);
                } else if writable.is_empty() {
                    readable.push(seg);
                } else {
                    return Err(RequestError::ReadableAfterWritable);
                }
            }
            // The status byte is the writable area's last byte.
            if let Some(s) = writable.last_mut() {
                s.len -= 1;
            }
            Ok((readable, writable))
        };
        Ok((checked(), status))
    }

    /// Runs a well-formed request; returns its status and data bytes
    /// written to the guest.
    fn execute(
        &mut self,
        mem: &GuestMemoryMmap,
        readable: &[Seg],
        writable: &[Seg],
    ) -> Result<(u32, usize), RequestError> {
        let total_readable: usize = readable.iter().map(|s| s.len).sum();
        if total_readable < HEADER_LEN {
            return Err(RequestError::ShortHeader(total_readable));
        }
        let mut header = [0u8; HEADER_LEN];
        let out_data = gather(mem, readable, &mut header)?;
        let kind = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let mut sector_bytes = [0u8; 8];
        sector_bytes.copy_from_slice(&header[8..16]);
        let sector = u64::from_le_bytes(sector_bytes);

        let out_len: usize = out_data.iter().map(|s| s.len).sum();
        let in_len: usize = writable.iter().map(|s| s.len).sum();
        let direction = |ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(RequestError::WrongDirection {
                    kind,
                    readable: out_len,
                    writable: in_len,
                })
            }
        };

        match kind {
            VIRTIO_BLK_T_IN => {
                inc(&self.counters.reads, 1);
                direction(out_len == 0)?;
                let offset = self.range(sector, in_len)?;
                self.read_into(mem, writable, offset)?;
                inc(&self.counters.bytes_read, in_len as u64);
                Ok((VIRTIO_BLK_S_OK, in_len))
            }
            VIRTIO_BLK_T_OUT => {
                inc(&self.counters.writes, 1);
                direction(in_len == 0)?;
                if self.read_only {
                    return Err(RequestError::ReadOnly);
                }
                let offset = self.range(sector, out_len)?;
                self.write_from(mem, &out_data, offset)?;
                inc(&self.counters.bytes_written, out_len as u64);
                Ok((VIRTIO_BLK_S_OK, 0))
            }
            VIRTIO_BLK_T_FLUSH => {
                inc(&self.counters.flushes, 1);
                direction(in_len == 0 && out_len == 0)?;
                self.backend.flush()?;
                Ok((VIRTIO_BLK_S_OK, 0))
            }
            VIRTIO_BLK_T_GET_ID => {
                inc(&self.counters.get_ids, 1);
                direction(out_len == 0 && in_len > 0)?;
                let n = scatter(mem, writable, &self.id)?;
                Ok((VIRTIO_BLK_S_OK, n))
            }
            _ => {
                inc(&self.counters.unsupported, 1);
                Ok((VIRTIO_BLK_S_UNSUPP, 0))
            }
        }
    }

    /// Byte offset of `sector` if `len` bytes from there fit on the disk.
    fn range(&self, sector: u64, len: usize) -> Result<u64, RequestError> {
        if !(len as u64).is_multiple_of(SECTOR_SIZE) {
            return Err(RequestError::Unaligned(len));
        }
        let fits = sector
            .checked_add(len as u64 / SECTOR_SIZE)
            .is_some_and(|end| end <= self.capacity);
        if !fits {
            return Err(RequestError::OutOfRange {
                sector,
                len,
                capacity: self.capacity,
            });
        }
        // Cannot overflow: end_sector <= capacity = file size / 512.
        Ok(sector * SECTOR_SIZE)
    }

    fn bounce(&mut self) -> &mut [u8] {
        if self.bounce.is_empty() {
            self.bounce = vec![0; BOUNCE_LEN];
        }
        &mut self.bounce
    }

    fn read_into(
        &mut self,
        mem: &GuestMemoryMmap,
        segs: &[Seg],
        mut offset: u64,
    ) -> Result<(), RequestError> {
        for seg in segs {
            let mut done = 0;
            while done < seg.len {
                let n = (seg.len - done).min(BOUNCE_LEN);
                self.bounce();
                let buf = &mut self.bounce[..n];
                self.backend.read_exact_at(buf, offset)?;
                mem.write_slice(buf, seg.addr.unchecked_add(done as u64))?;
                done += n;
                offset += n as u64;
            }
        }
        Ok(())
    }

    fn write_from(
        &mut self,
        mem: &GuestMemoryMmap,
        segs: &[Seg],
        mut offset: u64,
    ) -> Result<(), RequestError> {
        for seg in segs {
            let mut done = 0;
            while done < seg.len {
                let n = (seg.len - done).min(BOUNCE_LEN);
                self.bounce();
                let buf = &mut self.bounce[..n];
                mem.read_slice(buf, seg.addr.unchecked_add(done as u64))?;
                self.backend.write_all_at(buf, offset)?;
                done += n;
                offset += n as u64;
            }
        }
        Ok(())
    }
}

/// Fills `out` from the front of `segs` and returns what is left of them.
fn gather(mem: &GuestMemoryMmap, segs: &[Seg], out: &mut [u8]) -> Result<Vec<Seg>, RequestError> {
    let mut filled = 0;
    let mut rest = Vec::new();
    for seg in segs {
        let take = (out.len() - filled).min(seg.len);
        if take > 0 {
            mem.read_slice(&mut out[filled..filled + take], seg.addr)?;
            filled += take;
        }
        if take < seg.len {
            rest.push(Seg {
                addr: seg.addr.unchecked_add(take as u64),
                len: seg.len - take,
            });
        }
    }
    Ok(rest)
}

/// Writes as much of `data` as fits in `segs`; returns how much did.
fn scatter(mem: &GuestMemoryMmap, segs: &[Seg], data: &[u8]) -> Result<usize, RequestError> {
    let mut done = 0;
    for seg in segs {
        let n = (data.len() - done).min(seg.len);
        mem.write_slice(&data[done..done + n], seg.addr)?;
        done += n;
    }
    Ok(done)
}

impl<B: DiskBackend> VirtioDevice for Block<B> {
    fn device_type(&self) -> u32 {
        VIRTIO_ID_BLOCK
    }

    fn queue_max_sizes(&self) -> &[u16] {
        &[QUEUE_SIZE]
    }

    fn device_features(&self) -> u64 {
        self.features
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        for (i, b) in data.iter_mut().enumerate() {
            *b = usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(i))
                .and_then(|o| self.config.get(o))
                .copied()
                .unwrap_or(0);
        }
    }

    fn write_config(&mut self, _offset: u64, _data: &[u8]) {
        // No writable field: `writeback` needs CONFIG_WCE, not offered.
    }

    fn activate(
        &mut self,
        _features: u64,
        mut queues: Vec<Queue>,
        memory: GuestMemoryMmap,
        interrupt: Interrupt,
    ) -> Result<(), ActivateError> {
        if queues.len() != 1 {
            return Err(ActivateError::QueueCount {
                expected: 1,
                got: queues.len(),
            });
        }
        let queue = queues.remove(0);
        self.active = Some(Active {
            queue,
            memory,
            interrupt,
            broken: false,
        });
        Ok(())
    }

    fn reset(&mut self) {
        self.active = None;
        self.disk.log.summary();
    }

    fn queue_notify(&mut self, index: u16) {
        inc(&self.disk.counters.notifications, 1);
        let Some(active) = self.active.as_mut() else {
            return;
        };
        if index != 0 || active.broken {
            return;
        }
        if let Err(e) = Self::process_queue(active, &mut self.disk) {
            active.broken = true;
            inc(&self.disk.counters.errors, 1);
            self.disk
                .log
                .report(&format_args!("{e}; the device needs a reset"));
            if let Err(e) = active.interrupt.set_needs_reset() {
                self.disk
                    .log
                    .report(&format_args!("cannot raise the interrupt: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtio::InterruptTrigger;
    use crate::virtio::queue_test_util::*;
    use std::io::Cursor;
    use std::sync::atomic::AtomicU32;

    type MemBlock = Block<SeekDisk<Cursor<Vec<u8>>>>;

    const SECTORS: u64 = 64;
    const HDR: u64 = DATA;
    const BUF: u64 = DATA + 0x1000;
    const STATUS: u64 = DATA + 0x8000;

    #[derive(Default)]
    struct CountingTrigger(AtomicU32);

    impl InterruptTrigger for CountingTrigger {
        fn trigger(&self) -> io::Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    struct Rig {
        dq: DriverQueue,
        blk: MemBlock,
        trigger: Arc<CountingTrigger>,
        interrupt: Interrupt,
    }

    fn pattern(i: usize) -> u8 {
        (i * 7 % 251) as u8
    }

    fn rig_with(read_only: bool, event_idx: bool) -> Rig {
        let mem = memory();
        let dq = DriverQueue::new(&mem, 16);
        let disk: Vec<u8> = (0..(SECTORS * SECTOR_SIZE) as usize).map(pattern).collect();
        let mut blk = Block::new(SeekDisk(Cursor::new(disk)), read_only, b"lstar-test").unwrap();
        let trigger = Arc::new(CountingTrigger::default());
        let interrupt = Interrupt::new(trigger.clone());
        blk.activate(
            blk.device_features(),
            vec![dq.device_queue(event_idx)],
            mem,
            interrupt.clone(),
        )
        .unwrap();
        Rig {
            dq,
            blk,
            trigger,
            interrupt,
        }
    }

    fn rig() -> Rig {
        rig_with(false, false)
    }

    impl Rig {
        fn header(&self, kind: u32, sector: u64) {
            let mut h = [0u8; 16];
            h[0..4].copy_from_slice(&kind.to_le_bytes());
            h[8..16].copy_from_slice(&sector.to_le_bytes());
            self.dq.mem.write_slice(&h, GuestAddress(HDR)).unwrap();
            // Poison the status so a missing answer shows.
            self.dq.mem.write_obj(0xaau8, GuestAddress(STATUS)).unwrap();
        }
        fn status(&self) -> u8 {
            self.dq.mem.read_obj(GuestAddress(STATUS)).unwrap()
        }
        fn disk(&self) -> &[u8] {
            self.blk.backend().0.get_ref()
        }
        fn guest(&self, addr: u64, len: usize) -> Vec<u8> {
            let mut v = vec![0; len];
            self.dq.mem.read_slice(&mut v, GuestAddress(addr)).unwrap();
            v
        }
        /// Publishes one chain, notifies, returns the used length.
        fn run(&mut self, bufs: &[Buf]) -> u32 {
            let before = self.dq.used_idx();
            self.dq.add(bufs);
            self.blk.queue_notify(0);
            assert_eq!(
                self.dq.used_idx(),
                before.wrapping_add(1),
                "request not completed"
            );
            self.dq.used(before).1
        }
        fn c(&self) -> Arc<BlockCounters> {
            self.blk.counters()
        }
    }

    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    const S_OK: u8 = VIRTIO_BLK_S_OK as u8;
    const S_IOERR: u8 = VIRTIO_BLK_S_IOERR as u8;

    #[test]
    fn config_space_and_features() {
        let d = rig_with(true, false);
        let mut cap = [0u8; 8];
        d.blk.read_config(0, &mut cap);
        assert_eq!(u64::from_le_bytes(cap), SECTORS);
        let mut w = [0u8; 4];
        d.blk.read_config(12, &mut w);
        assert_eq!(u32::from_le_bytes(w), SEG_MAX);
        d.blk.read_config(20, &mut w);
        assert_eq!(u32::from_le_bytes(w), 512);
        d.blk.read_config(u64::MAX, &mut w);
        assert_eq!(w, [0; 4]);
        let f = d.blk.device_features();
        for bit in [32, 9, 6, 2, 5, 29, 28] {
            assert_ne!(f & (1 << bit), 0, "feature bit {bit}");
        }
        assert_eq!(rig().blk.device_features() & (1 << VIRTIO_BLK_F_RO), 0);
    }

    #[test]
    fn read_scatters_sectors_into_guest_buffers() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 2);
        let len = d.run(&[r(HDR, 16), w(BUF, 512), w(BUF + 0x800, 512), w(STATUS, 1)]);
        assert_eq!(len, 1025);
        assert_eq!(d.status(), S_OK);
        let want: Vec<u8> = (1024..2048).map(pattern).collect();
        assert_eq!(d.guest(BUF, 512), want[..512]);
        assert_eq!(d.guest(BUF + 0x800, 512), want[512..]);
        assert_eq!(get(&d.c().reads), 1);
        assert_eq!(get(&d.c().bytes_read), 1024);
        assert_eq!(get(&d.c().interrupts), 1);
        assert_eq!(d.trigger.0.load(Ordering::SeqCst), 1);
        assert_eq!(d.interrupt.status(), 1);
    }

    #[test]
    fn write_gathers_guest_buffers_onto_the_disk() {
        let mut d = rig();
        d.dq.mem
            .write_slice(&[0x5a; 1024], GuestAddress(BUF))
            .unwrap();
        d.header(VIRTIO_BLK_T_OUT, 3);
        // Header and data share one descriptor: any layout is allowed.
        d.dq.mem
            .write_slice(&[0x5a; 1024], GuestAddress(HDR + 16))
            .unwrap();
        let len = d.run(&[r(HDR, 16 + 512), r(HDR + 16 + 512, 512), w(STATUS, 1)]);
        assert_eq!(len, 1);
        assert_eq!(d.status(), S_OK);
        assert_eq!(d.disk()[3 * 512..5 * 512], [0x5a; 1024]);
        assert_eq!(d.disk()[3 * 512 - 1], pattern(3 * 512 - 1));
        assert_eq!(d.disk()[5 * 512], pattern(5 * 512));
        assert_eq!(get(&d.c().writes), 1);
        assert_eq!(get(&d.c().bytes_written), 1024);
    }

    #[test]
    fn flush_get_id_and_unknown_types() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_OK);
        assert_eq!(get(&d.c().flushes), 1);

        d.header(VIRTIO_BLK_T_GET_ID, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(BUF, 20), w(STATUS, 1)]), 21);
        assert_eq!(d.status(), S_OK);
        assert_eq!(&d.guest(BUF, 20)[..12], b"lstar-test\0\0");
        assert_eq!(get(&d.c().get_ids), 1);

        d.header(99, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), VIRTIO_BLK_S_UNSUPP as u8);
        assert_eq!(get(&d.c().unsupported), 1);
        assert_eq!(get(&d.c().errors), 0);
    }

    #[test]
    fn out_of_range_and_overflowing_sectors_fail() {
        let mut d = rig();
        let cases = [
            (SECTORS, 512),
            (SECTORS - 1, 1024),
            (u64::MAX, 512),
            (u64::MAX / 512 + 1, 512),
        ];
        for (sector, len) in cases {
            d.header(VIRTIO_BLK_T_IN, sector);
            assert_eq!(d.run(&[r(HDR, 16), w(BUF, len), w(STATUS, 1)]), 1);
            assert_eq!(d.status(), S_IOERR, "sector {sector}");
            d.header(VIRTIO_BLK_T_OUT, sector);
            d.run(&[r(HDR, 16), r(BUF, len), w(STATUS, 1)]);
            assert_eq!(d.status(), S_IOERR, "sector {sector}");
        }
        // The last sector itself is fine; half a sector is not.
        d.header(VIRTIO_BLK_T_IN, SECTORS - 1);
        d.run(&[r(HDR, 16), w(BUF, 512), w(STATUS, 1)]);
        assert_eq!(d.status(), S_OK);
        d.header(VIRTIO_BLK_T_IN, 0);
        d.run(&[r(HDR, 16), w(BUF, 256), w(STATUS, 1)]);
        assert_eq!(d.status(), S_IOERR);
        assert_eq!(get(&d.c().errors), 9);
        assert_eq!(get(&d.c().bytes_written), 0);
    }

    #[test]
    fn short_chains_fail_without_touching_memory() {
        let mut d = rig();
        // Header only: no status byte to answer with.
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(d.run(&[r(HDR, 16)]), 0);
        assert_eq!(d.status(), 0xaa);
        // A header shorter than 16 bytes.
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(d.run(&[r(HDR, 8), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        // A zero-length status descriptor.
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(STATUS, 0)]), 0);
        assert_eq!(d.status(), 0xaa);
        assert_eq!(get(&d.c().errors), 3);
    }

    #[test]
    fn wrongly_directed_buffers_fail() {
        let mut d = rig();
        d.dq.mem
            .write_slice(&[0x11; 512], GuestAddress(BUF))
            .unwrap();
        // A read whose data buffer is device-readable.
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(d.run(&[r(HDR, 16), r(BUF, 512), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        assert_eq!(d.guest(BUF, 512), [0x11; 512]);
        // A write whose data buffer is device-writable.
        d.header(VIRTIO_BLK_T_OUT, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(BUF, 512), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        assert_eq!(d.disk()[..512], (0..512).map(pattern).collect::<Vec<_>>());
        // A header that is device-writable.
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(d.run(&[w(HDR, 16), w(BUF, 512), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        assert_eq!(get(&d.c().errors), 3);
    }

    #[test]
    fn read_only_status_descriptor_is_not_written() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(BUF, 512), r(STATUS, 1)]), 0);
        assert_eq!(d.status(), 0xaa);
        assert_eq!(get(&d.c().errors), 1);
        assert_eq!(get(&d.c().bytes_read), 0);
    }

    #[test]
    fn buffers_outside_guest_memory_fail() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(
            d.run(&[r(HDR, 16), w(MEM_SIZE - 256, 512), w(STATUS, 1)]),
            1
        );
        assert_eq!(d.status(), S_IOERR);
        d.header(VIRTIO_BLK_T_IN, 0);
        assert_eq!(
            d.run(&[r(HDR, 16), w(u64::MAX - 100, 512), w(STATUS, 1)]),
            1
        );
        assert_eq!(d.status(), S_IOERR);
        d.header(VIRTIO_BLK_T_OUT, 0);
        assert_eq!(d.run(&[r(HDR, 16), r(MEM_SIZE, 512), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        // The status byte itself outside memory: nothing to write.
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        assert_eq!(d.run(&[r(HDR, 16), w(MEM_SIZE, 1)]), 0);
        assert_eq!(get(&d.c().errors), 4);
    }

    #[test]
    fn read_only_disk_refuses_writes() {
        let mut d = rig_with(true, false);
        d.header(VIRTIO_BLK_T_OUT, 0);
        assert_eq!(d.run(&[r(HDR, 16), r(BUF, 512), w(STATUS, 1)]), 1);
        assert_eq!(d.status(), S_IOERR);
        assert_eq!(d.disk()[..512], (0..512).map(pattern).collect::<Vec<_>>());
        d.header(VIRTIO_BLK_T_IN, 0);
        d.run(&[r(HDR, 16), w(BUF, 512), w(STATUS, 1)]);
        assert_eq!(d.status(), S_OK);
    }

    #[test]
    fn descriptor_loop_is_cut_and_the_device_goes_on() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 0);
        let next = virtio_bindings::virtio_ring::VRING_DESC_F_NEXT as u16;
        let write = virtio_bindings::virtio_ring::VRING_DESC_F_WRITE as u16;
        d.dq.write_desc(DESC_TABLE, 0, HDR, 16, next, 1);
        d.dq.write_desc(DESC_TABLE, 1, BUF, 512, next | write, 0);
        d.dq.publish(0);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used_idx(), 1);
        assert_eq!(d.dq.used(0), (0, 0));
        assert_eq!(get(&d.c().errors), 1);
        assert_eq!(get(&d.c().bytes_read), 0);
        // A next index past the table is cut the same way.
        d.dq.write_desc(DESC_TABLE, 2, HDR, 16, next, 200);
        d.dq.publish(2);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used(1), (2, 0));
        // The queue still works.
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        d.dq.write_desc(DESC_TABLE, 3, HDR, 16, next, 4);
        d.dq.write_desc(DESC_TABLE, 4, STATUS, 1, write, 0);
        d.dq.publish(3);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used(2), (3, 1));
        assert_eq!(d.status(), S_OK);
        assert!(!d.interrupt.needs_reset());
    }

    #[test]
    fn indirect_descriptors() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 1);
        let head = d.dq.build_indirect(
            DATA + 0x9000,
            &[r(HDR, 16), w(BUF, 256), w(BUF + 0x400, 256), w(STATUS, 1)],
        );
        d.dq.publish(head);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used(0), (u32::from(head), 513));
        assert_eq!(d.status(), S_OK);
        let want: Vec<u8> = (512..1024).map(pattern).collect();
        assert_eq!(d.guest(BUF, 256), want[..256]);
        assert_eq!(d.guest(BUF + 0x400, 256), want[256..]);
    }

    #[test]
    fn too_long_chains_are_refused() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 0);
        let mut bufs = vec![r(HDR, 16)];
        bufs.extend((0..MAX_DESCRIPTORS as u64).map(|i| w(BUF + 512 * i, 512)));
        bufs.push(w(STATUS, 1));
        let head = d.dq.build_indirect(DATA + 0x40000, &bufs);
        d.dq.publish(head);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used(0), (u32::from(head), 0));
        assert_eq!(get(&d.c().errors), 1);
        assert_eq!(get(&d.c().bytes_read), 0);
    }

    #[test]
    fn many_requests_one_notification_one_interrupt() {
        let mut d = rig();
        d.header(VIRTIO_BLK_T_IN, 0);
        // Five three-descriptor chains fill the 16-entry table.
        for i in 0..5 {
            d.dq.add(&[r(HDR, 16), w(BUF + 0x200 * i, 512), w(STATUS, 1)]);
        }
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used_idx(), 5);
        assert_eq!(get(&d.c().reads), 5);
        assert_eq!(get(&d.c().notifications), 1);
        assert_eq!(get(&d.c().interrupts), 1);
        assert_eq!(d.trigger.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn event_idx_suppresses_interrupts_the_driver_does_not_want() {
        let mut d = rig_with(false, true);
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        // used_event = 0: interrupt when entry 0 is used.
        d.dq.set_used_event(0);
        d.run(&[r(HDR, 16), w(STATUS, 1)]);
        assert_eq!(get(&d.c().interrupts), 1);
        // used_event = 5: not before the sixth completion.
        d.dq.set_used_event(5);
        for _ in 0..4 {
            d.run(&[r(HDR, 16), w(STATUS, 1)]);
        }
        assert_eq!(get(&d.c().interrupts), 1);
        d.run(&[r(HDR, 16), w(STATUS, 1)]);
        assert_eq!(get(&d.c().interrupts), 2);
        assert_eq!(d.trigger.0.load(Ordering::SeqCst), 2);
        // The device asked to be notified at the next avail entry.
        let avail_event: u16 =
            d.dq.mem
                .read_obj(GuestAddress(USED_RING + 4 + 8 * 16))
                .unwrap();
        assert_eq!(avail_event, 6);
    }

    #[test]
    fn a_broken_queue_makes_the_device_need_a_reset() {
        // A head index past the queue.
        let mut d = rig();
        d.dq.publish(40);
        d.blk.queue_notify(0);
        assert!(d.interrupt.needs_reset());
        assert_eq!(d.interrupt.status() & 2, 2);
        assert_eq!(get(&d.c().errors), 2);
        // Ignored from now on.
        d.header(VIRTIO_BLK_T_FLUSH, 0);
        d.dq.add(&[r(HDR, 16), w(STATUS, 1)]);
        d.blk.queue_notify(0);
        assert_eq!(d.dq.used_idx(), 0);

        // An available index that runs ahead by more than the queue.
        let mut d = rig();
        d.dq.set_avail_idx(17);
        d.blk.queue_notify(0);
        assert!(d.interrupt.needs_reset());
        assert_eq!(d.dq.used_idx(), 0);

        // Reset drops the queue; later notifications are only counted.
        d.blk.reset();
        d.blk.queue_notify(0);
        assert_eq!(get(&d.c().notifications), 2);
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lstar-blk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn file_backend_writes_reach_the_image() {
        let path = scratch("rw.img");
        std::fs::write(&path, vec![0u8; 8 * 512 + 100]).unwrap();
        let mem = memory();
        let mut dq = DriverQueue::new(&mem, 16);
        let mut blk = Block::open(&path, false, b"img").unwrap();
        assert_eq!(blk.capacity(), 8);
        let interrupt = Interrupt::new(Arc::new(CountingTrigger::default()));
        blk.activate(0, vec![dq.device_queue(false)], mem.clone(), interrupt)
            .unwrap();
        let mut h = [0u8; 16];
        h[0] = VIRTIO_BLK_T_OUT as u8;
        h[8] = 7;
        mem.write_slice(&h, GuestAddress(HDR)).unwrap();
        mem.write_slice(&[0xc3; 512], GuestAddress(BUF)).unwrap();
        dq.add(&[r(HDR, 16), r(BUF, 512), w(STATUS, 1)]);
        h[0] = VIRTIO_BLK_T_FLUSH as u8;
        mem.write_slice(&h, GuestAddress(HDR + 16)).unwrap();
        dq.add(&[r(HDR + 16, 16), w(STATUS + 1, 1)]);
        blk.queue_notify(0);
        assert_eq!(dq.used_idx(), 2);
        let status: [u8; 2] = mem.read_obj(GuestAddress(STATUS)).unwrap();
        assert_eq!(status, [S_OK, S_OK]);
        let image = std::fs::read(&path).unwrap();
        assert_eq!(image[7 * 512..8 * 512], [0xc3; 512]);
        assert_eq!(image.len(), 8 * 512 + 100);

        let ro = Block::open(&path, true, b"img").unwrap();
        assert_ne!(ro.device_features() & (1 << VIRTIO_BLK_F_RO), 0);
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(path.parent().unwrap());
        assert!(matches!(
            Block::open(&path, true, b""),
            Err(BlockError::Open { .. })
        ));
    }

    #[test]
    fn works_behind_the_mmio_transport() {
        use crate::virtio::mmio::MmioTransport;
        use crate::virtio::status;
        use virtio_bindings::virtio_mmio as reg;

        let mem = memory();
        let mut dq = DriverQueue::new(&mem, 16);
        let disk: Vec<u8> = (0..(SECTORS * SECTOR_SIZE) as usize).map(pattern).collect();
        let blk = Block::new(SeekDisk(Cursor::new(disk)), false, b"t").unwrap();
        let trigger = Arc::new(CountingTrigger::default());
        let mut t = MmioTransport::new(blk, mem.clone(), trigger.clone());
        let w32 = |t: &mut MmioTransport<MemBlock>, off: u32, v: u32| {
            t.write(u64::from(off), &v.to_le_bytes())
        };
        let r32 = |t: &mut MmioTransport<MemBlock>, off: u32| {
            let mut d = [0u8; 4];
            t.read(u64::from(off), &mut d);
            u32::from_le_bytes(d)
        };
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_DEVICE_ID), 2);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
        let mut s = status::ACKNOWLEDGE | status::DRIVER;
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, s);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES, 1);
        w32(&mut t, reg::VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
        w32(
            &mut t,
            reg::VIRTIO_MMIO_DRIVER_FEATURES,
            1 << VIRTIO_BLK_F_FLUSH,
        );
        s |= status::FEATURES_OK;
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, s);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS), s);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_NUM, 16);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_DESC_LOW, DESC_TABLE as u32);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL_RING as u32);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_USED_LOW, USED_RING as u32);
        w32(&mut t, reg::VIRTIO_MMIO_QUEUE_READY, 1);
        s |= status::DRIVER_OK;
        w32(&mut t, reg::VIRTIO_MMIO_STATUS, s);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_STATUS), s);

        let mut h = [0u8; 16];
        h[8] = 4;
        mem.write_slice(&h, GuestAddress(HDR)).unwrap();
        dq.add(&[r(HDR, 16), w(BUF, 512), w(STATUS, 1)]);
        t.notify(0);
        assert_eq!(dq.used(0), (0, 513));
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 1);
        assert_eq!(trigger.0.load(Ordering::SeqCst), 1);
        w32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_ACK, 1);
        assert_eq!(r32(&mut t, reg::VIRTIO_MMIO_INTERRUPT_STATUS), 0);
        let c = t.device().counters();
        assert_eq!(get(&c.reads), 1);
        assert_eq!(get(&c.bytes_read), 512);
    }
}
