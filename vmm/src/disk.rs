//! `--disk`: the image file, its lock, and the virtio-blk device wired to
//! the VM (virtio-mmio window, ioeventfd, irqfd, device thread).
//!
//! The device models live in `lstar_devices::virtio`; this file only
//! connects them to KVM:
//!
//! - the guest's MMIO accesses to [`VIRTIO_MMIO_BASE`]..+[`VIRTIO_MMIO_SIZE`]
//!   exit to the vCPU thread, which forwards them to the transport
//!   ([`MmioWindow`]);
//! - a write of queue index 0 to QueueNotify does not exit at all: KVM
//!   signals an ioeventfd, and the device thread (`lstar-blk`) serves the
//!   queue. The vCPU thread never serves a block request;
//! - the device raises GSI [`VIRTIO_BLK_GSI`] through an irqfd.
//!
//! Without `--disk` none of this exists: no thread, no ioeventfd, no token
//! on the command line.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use kvm_ioctls::IoEventAddress;
use lstar_abi::layout::{MMIO_HOLE_START, VIRTIO_BLK_GSI, VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE};
use lstar_devices::virtio::blk::{self, Block, BlockCounters, DiskBackend};
use lstar_devices::virtio::mmio::{self, MmioCounters, MmioTransport};
use thiserror::Error;
use vmm_sys_util::epoll::{ControlOperation, Epoll, EpollEvent, EventSet};
use vmm_sys_util::eventfd::EventFd;

use crate::vm::{Vm, VmError};

// The window must be what the transport decodes, and lie in the MMIO hole
// (RAM ends below it, the IOAPIC at 0xfec0_0000 is above it).
const _: () = assert!(VIRTIO_MMIO_SIZE == mmio::MMIO_SIZE);
const _: () = assert!(VIRTIO_MMIO_BASE >= MMIO_HOLE_START);
const _: () = assert!(VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE <= 0xfec0_0000);
const _: () = assert!(mmio::NOTIFY_OFFSET < VIRTIO_MMIO_SIZE);

/// What GET_ID answers (at most 20 bytes).
const DEVICE_ID: &[u8] = b"lstar-vda";

#[derive(Debug, Error)]
pub enum DiskError {
    #[error("{}: cannot open disk image: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("{}: disk image is not a regular file or block device", path.display())]
    NotADisk { path: PathBuf },
    #[error("{}: disk image is in use by another process (locked)", path.display())]
    Locked { path: PathBuf },
    #[error("{}: cannot lock disk image: {source}", path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error("{}: cannot read the disk image's size: {source}", path.display())]
    Size { path: PathBuf, source: io::Error },
    #[error("{}: disk image is empty (a virtio-blk disk has at least one 512-byte sector)", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}: disk image size {size} bytes is not a multiple of 512 (the sector size); \
         the last {} bytes would be unreachable",
        path.display(),
        size % 512
    )]
    PartialSector { path: PathBuf, size: u64 },
    #[error("{}: {source}", path.display())]
    Device {
        path: PathBuf,
        source: blk::BlockError,
    },
    #[error(transparent)]
    Irq(#[from] VmError),
    #[error("cannot create the virtio-blk queue eventfd: {0}")]
    EventFd(io::Error),
    #[error("KVM_IOEVENTFD at {addr:#x} failed: {source}")]
    Ioeventfd {
        addr: u64,
        source: kvm_ioctls::Error,
    },
    #[error("cannot set up the virtio-blk device thread: {0}")]
    Thread(io::Error),
}

/// The image file as the device's backend. Not `File` itself: a block
/// device's metadata says length 0, so the size comes from seeking to the
/// end, which works for both.
pub struct Image(File);

impl DiskBackend for Image {
    fn size(&mut self) -> io::Result<u64> {
        self.0.seek(SeekFrom::End(0))
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(&self.0, buf, offset)
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        FileExt::write_all_at(&self.0, buf, offset)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }
}

/// The transport of the one virtio-blk device, shared by the vCPU thread
/// (MMIO exits) and the device thread (queue notifications).
pub type BlkTransport = Arc<Mutex<MmioTransport<Block<Image>>>>;

/// Locks the transport. A thread that panicked while holding it left it
/// poisoned; the device state is still memory-safe, and the guest would
/// only see a broken device, so go on with it.
pub fn lock_transport(
    t: &Mutex<MmioTransport<Block<Image>>>,
) -> MutexGuard<'_, MmioTransport<Block<Image>>> {
    t.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The guest-physical range the vCPU thread forwards to the transport.
pub struct MmioWindow {
    pub base: u64,
    pub transport: BlkTransport,
}

impl MmioWindow {
    /// The offset of `addr` in the window, if it is inside (with `len`
    /// bytes).
    pub fn offset(&self, addr: u64, len: usize) -> Option<u64> {
        let offset = addr.checked_sub(self.base)?;
        let end = offset.checked_add(len as u64)?;
        (end <= VIRTIO_MMIO_SIZE).then_some(offset)
    }
}

/// An opened and locked image, before the VM exists.
pub struct LockedImage {
    path: PathBuf,
    file: File,
    read_only: bool,
}

impl LockedImage {}

/// Opens the image (read-write, or read-only) and locks it: exclusively
/// for a writer, shared for a reader, so two readers may share an image
/// but a writer excludes everyone. The lock (flock) belongs to the open
/// file and goes away with it, or with [`AttachedDisk::finish`].
pub fn open(path: &Path, read_only: bool) -> Result<LockedImage, DiskError> {
    let path_buf = || path.to_path_buf();
    // O_NONBLOCK: opening a FIFO someone pointed us at must not hang; it
    // is refused below, and cleared for what is accepted.
    let file = OpenOptions::new()
        .read(true)
        .write(!read_only)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| DiskError::Open {
            path: path_buf(),
            source,
        })?;
    let kind = file
        .metadata()
        .map_err(|source| DiskError::Open {
            path: path_buf(),
            source,
        })?
        .file_type();
    if !(kind.is_file() || kind.is_block_device()) {
        return Err(DiskError::NotADisk { path: path_buf() });
    }
    crate::host_file::clear_nonblock(&file).map_err(|source| DiskError::Open {
        path: path_buf(),
        source,
    })?;
    let fd = file.as_raw_fd();
    let mode = if read_only {
        libc::LOCK_SH
    } else {
        libc::LOCK_EX
    };
    // SAFETY: flock on a descriptor we own; no memory is involved.
    if unsafe { libc::flock(fd, mode | libc::LOCK_NB) } != 0 {
        let source = io::Error::last_os_error();
        return Err(if source.raw_os_error() == Some(libc::EWOULDBLOCK) {
            DiskError::Locked { path: path_buf() }
        } else {
            DiskError::Lock {
                path: path_buf(),
                source,
            }
        });
    }
    let mut file = file;
    let size = file
        .seek(SeekFrom::End(0))
        .map_err(|source| DiskError::Size {
            path: path_buf(),
            source,
        })?;
    // The device counts whole sectors: refuse what it would cut off.
    if size == 0 {
        return Err(DiskError::Empty { path: path_buf() });
    }
    if size % 512 != 0 {
        return Err(DiskError::PartialSector {
            path: path_buf(),
            size,
        });
    }
    Ok(LockedImage {
        path: path.to_path_buf(),
        file,
        read_only,
    })
}

/// The device attached to a VM, its thread running.
pub struct AttachedDisk {
    /// Handed to the vCPU; `None` once taken.
    window: Option<MmioWindow>,
    counters: BlkStats,
    stop: EventFd,
    thread: Option<JoinHandle<()>>,
    /// A second descriptor of the image's open file, to drop the lock
    /// with once the VM is over (the teardown helper inherits our file
    /// table, and with it the lock, for a while after we exit).
    lock: File,
}

/// The counters `GET /vm/blk`, `/metrics` and `--stats` read.
#[derive(Clone)]
pub struct BlkStats {
    pub device: Arc<BlockCounters>,
    pub transport: Arc<MmioCounters>,
    pub capacity_sectors: u64,
    pub read_only: bool,
}

impl BlkStats {
    /// Name and value of every counter, in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, u64)> {
        let d = &self.device;
        let t = &self.transport;
        let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("reads", get(&d.reads)),
            ("writes", get(&d.writes)),
            ("flushes", get(&d.flushes)),
            ("get_ids", get(&d.get_ids)),
            ("unsupported", get(&d.unsupported)),
            ("bytes_read", get(&d.bytes_read)),
            ("bytes_written", get(&d.bytes_written)),
            ("errors", get(&d.errors)),
            ("notifications", get(&d.notifications)),
            ("interrupts", get(&d.interrupts)),
            ("invalid_accesses", get(&t.invalid_accesses)),
            ("features_refused", get(&t.features_refused)),
            ("activation_failures", get(&t.activation_failures)),
            ("capacity_sectors", self.capacity_sectors),
            ("read_only", u64::from(self.read_only)),
        ]
    }
}

/// Creates the device on `vm` at [`VIRTIO_MMIO_BASE`] and starts its
/// thread.
pub fn attach(vm: &Vm, image: LockedImage) -> Result<AttachedDisk, DiskError> {
    let LockedImage {
        path,
        file,
        read_only,
        ..
    } = image;
    let lock = file.try_clone().map_err(|source| DiskError::Open {
        path: path.clone(),
        source,
    })?;
    let device = Block::new(Image(file), read_only, DEVICE_ID)
        .map_err(|source| DiskError::Device { path, source })?;
    let capacity = device.capacity();
    let device_counters = device.counters();
    let irq = vm.irq_line(VIRTIO_BLK_GSI)?;
    let transport = MmioTransport::new(device, vm.memory.clone(), Arc::new(irq));
    let counters = BlkStats {
        device: device_counters,
        transport: transport.counters(),
        capacity_sectors: capacity,
        read_only,
    };
    let transport = Arc::new(Mutex::new(transport));

    // Queue 0's notification: a 32-bit write of 0 to QueueNotify signals
    // this eventfd inside KVM, without an exit. Other values (queues that
    // do not exist) still exit and reach the transport, which counts them.
    let notify = EventFd::new(libc::EFD_NONBLOCK).map_err(DiskError::EventFd)?;
    let addr = VIRTIO_MMIO_BASE + mmio::NOTIFY_OFFSET;
    vm.fd
        .register_ioevent(&notify, &IoEventAddress::Mmio(addr), 0u32)
        .map_err(|source| DiskError::Ioeventfd { addr, source })?;
    let stop = EventFd::new(libc::EFD_NONBLOCK).map_err(DiskError::EventFd)?;

    let epoll = Epoll::new().map_err(DiskError::Thread)?;
    for (fd, token) in [(&notify, NOTIFY_TOKEN), (&stop, STOP_TOKEN)] {
        epoll
            .ctl(
                ControlOperation::Add,
                fd.as_raw_fd(),
                EpollEvent::new(EventSet::IN, token),
            )
            .map_err(DiskError::Thread)?;
    }
    let served = transport.clone();
    let thread = thread::Builder::new()
        .name("lstar-blk".into())
        .spawn(move || {
            crate::seccomp::install_or_exit(crate::seccomp::Role::Blk);
            device_thread(&epoll, &notify, &served)
        })
        .map_err(DiskError::Thread)?;

    Ok(AttachedDisk {
        window: Some(MmioWindow {
            base: VIRTIO_MMIO_BASE,
            transport,
        }),
        counters,
        stop,
        thread: Some(thread),
        lock,
    })
}

const NOTIFY_TOKEN: u64 = 0;
const STOP_TOKEN: u64 = 1;

/// Waits for queue notifications and serves them until told to stop.
fn device_thread(epoll: &Epoll, notify: &EventFd, transport: &Mutex<MmioTransport<Block<Image>>>) {
    let mut events = [EpollEvent::default(); 2];
    loop {
        let n = match epoll.wait(-1, &mut events) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("lstar: virtio-blk: epoll_wait failed: {e}; the device stops");
                return;
            }
        };
        let mut kicked = false;
        for event in &events[..n] {
            match event.data() {
                STOP_TOKEN => return,
                _ => kicked = true,
            }
        }
        // Reading resets the counter: kicks that came meanwhile are
        // served by this one pass (the device drains the whole queue).
        // EAGAIN only means another pass got them already.
        if kicked && notify.read().is_ok() {
            lock_transport(transport).notify(0);
        }
    }
}

impl AttachedDisk {
    /// The window for the vCPU (once).
    pub fn take_window(&mut self) -> Option<MmioWindow> {
        self.window.take()
    }

    pub fn stats(&self) -> BlkStats {
        self.counters.clone()
    }

    /// The VM is over: stops the device thread (it finishes the queue pass
    /// it may be in), then releases the image's lock, so that the next VM
    /// may use the image as soon as we have exited.
    pub fn finish(mut self) {
        self.stop_thread();
        // SAFETY: flock on a descriptor we own; the lock belongs to the
        // open file description, which `lock` shares with the device's.
        unsafe { libc::flock(self.lock.as_raw_fd(), libc::LOCK_UN) };
    }

    fn stop_thread(&mut self) {
        if let Some(thread) = self.thread.take() {
            // If the write fails the thread cannot be told; leave it, the
            // process exit ends it.
            if self.stop.write(1).is_ok() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for AttachedDisk {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lstar-disk-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn window_offsets() {
        let mem =
            vm_memory::GuestMemoryMmap::<()>::from_ranges(&[(vm_memory::GuestAddress(0), 0x1000)])
                .unwrap();
        let path = scratch("window.img");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let file = File::open(&path).unwrap();
        let device = Block::new(Image(file), true, b"x").unwrap();
        let irq = EventFd::new(0).unwrap();
        let w = MmioWindow {
            base: VIRTIO_MMIO_BASE,
            transport: Arc::new(Mutex::new(MmioTransport::new(device, mem, Arc::new(irq)))),
        };
        assert_eq!(w.offset(VIRTIO_MMIO_BASE, 4), Some(0));
        assert_eq!(w.offset(VIRTIO_MMIO_BASE + 0xffc, 4), Some(0xffc));
        assert_eq!(w.offset(VIRTIO_MMIO_BASE + 0xffd, 4), None);
        assert_eq!(w.offset(VIRTIO_MMIO_BASE - 1, 1), None);
        assert_eq!(w.offset(VIRTIO_MMIO_BASE + 0x1000, 1), None);
        assert_eq!(w.offset(u64::MAX, 8), None);
        // The capacity rounds down to whole sectors.
        let mut t = lock_transport(&w.transport);
        let mut magic = [0u8; 4];
        t.read(0, &mut magic);
        assert_eq!(u32::from_le_bytes(magic), mmio::MAGIC_VALUE);
        assert_eq!(t.device().capacity(), 8);
    }

    #[test]
    fn images_of_no_whole_number_of_sectors_are_refused() {
        let path = scratch("sectors.img");
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(open(&path, false), Err(DiskError::Empty { .. })));
        for size in [1, 511, 1000, 1025] {
            std::fs::write(&path, vec![0u8; size]).unwrap();
            assert!(
                matches!(open(&path, true), Err(DiskError::PartialSector { size: s, .. }) if s == size as u64),
                "{size}"
            );
        }
        std::fs::write(&path, vec![0u8; 512]).unwrap();
        assert!(open(&path, false).is_ok());
    }

    #[test]
    fn locks_writer_exclusive_readers_shared() {
        let path = scratch("lock.img");
        std::fs::write(&path, vec![0u8; 1024]).unwrap();
        let writer = open(&path, false).unwrap();
        assert!(matches!(open(&path, false), Err(DiskError::Locked { .. })));
        assert!(matches!(open(&path, true), Err(DiskError::Locked { .. })));
        drop(writer);
        let r1 = open(&path, true).unwrap();
        let r2 = open(&path, true).unwrap();
        let e = open(&path, false).err().unwrap();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: disk image is in use by another process (locked)",
                path.display()
            )
        );
        drop((r1, r2));
        assert!(open(&path, false).is_ok());
    }

    #[test]
    fn missing_and_odd_images() {
        let dir = scratch("");
        assert!(matches!(
            open(&dir.join("nope.img"), false),
            Err(DiskError::Open { .. })
        ));
        assert!(matches!(open(&dir, true), Err(DiskError::NotADisk { .. })));
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(open(&fifo, true), Err(DiskError::NotADisk { .. })));
    }
}
