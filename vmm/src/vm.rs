//! The VM: KVM handle, guest memory (one region [0, mem)), in-kernel
//! irqchip (IOAPIC + LAPIC + PICs, the guest masks the PICs itself).

use std::io;

use kvm_bindings::kvm_userspace_memory_region;
use kvm_ioctls::{Kvm, VmFd};
use thiserror::Error;
use vm_memory::{GuestAddress, GuestMemoryBackend, GuestMemoryMmap};
use vmm_sys_util::eventfd::EventFd;

#[derive(Debug, Error)]
pub enum VmError {
    #[error("cannot open /dev/kvm: {0} (is KVM available and accessible to you?)")]
    OpenKvm(kvm_ioctls::Error),
    #[error("KVM_CREATE_VM failed: {0}")]
    CreateVm(kvm_ioctls::Error),
    #[error("KVM_SET_IDENTITY_MAP_ADDR failed: {0}")]
    IdentityMap(kvm_ioctls::Error),
    #[error("KVM_SET_TSS_ADDR failed: {0}")]
    TssAddr(kvm_ioctls::Error),
    #[error("KVM_CREATE_IRQCHIP failed: {0}")]
    Irqchip(kvm_ioctls::Error),
    #[error("cannot map {0} MiB of guest memory: {1}")]
    Memory(u64, vm_memory::mmap::FromRangesError),
    #[error("KVM_SET_USER_MEMORY_REGION failed: {0}")]
    MemoryRegion(kvm_ioctls::Error),
    #[error("cannot create an interrupt eventfd: {0}")]
    EventFd(io::Error),
    #[error("KVM_IRQFD for GSI {0} failed: {1}")]
    Irqfd(u32, kvm_ioctls::Error),
}

/// Three pages KVM needs for its own use on Intel (real-mode TSS and
/// identity-mapped page table), placed in the unused top of the 32-bit
/// space, below the 4 GiB boundary and away from RAM and the MMIO devices.
const IDENTITY_MAP_ADDR: u64 = 0xfffb_c000;
const TSS_ADDR: usize = 0xfffb_d000;

pub struct Vm {
    pub kvm: Kvm,
    pub fd: VmFd,
    pub memory: GuestMemoryMmap,
    mem_bytes: u64,
}

impl Vm {
    pub fn new(mem_mib: u64) -> Result<Vm, VmError> {
        let kvm = Kvm::new().map_err(VmError::OpenKvm)?;
        let fd = kvm.create_vm().map_err(VmError::CreateVm)?;
        // Memory first, irqchip after: once the irqchip exists, changing a
        // memslot waits for an SRCU grace period (measured: 4-8 ms on
        // kvm-pvm, against 0.08 ms in this order).
        let mem_bytes = mem_mib << 20;
        // Anonymous, MAP_NORESERVE: pages cost nothing until the guest
        // touches them, and nothing here touches them in advance.
        let memory = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), mem_bytes as usize)])
            .map_err(|e| VmError::Memory(mem_mib, e))?;
        let host = memory
            .get_host_address(GuestAddress(0))
            .map_err(|_| VmError::MemoryRegion(kvm_ioctls::Error::new(libc::EFAULT)))?;
        let region = kvm_userspace_memory_region {
            slot: 0,
            flags: 0,
            guest_phys_addr: 0,
            memory_size: mem_bytes,
            userspace_addr: host as u64,
        };
        // SAFETY: the region is the whole mapping owned by `memory`, which
        // lives in this Vm as long as the VM fd; the process exits without
        // unmapping it while a vCPU may still run.
        unsafe { fd.set_user_memory_region(region) }.map_err(VmError::MemoryRegion)?;
        // Before any vCPU exists, as KVM requires.
        fd.set_identity_map_address(IDENTITY_MAP_ADDR)
            .map_err(VmError::IdentityMap)?;
        fd.set_tss_address(TSS_ADDR).map_err(VmError::TssAddr)?;
        fd.create_irq_chip().map_err(VmError::Irqchip)?;

        Ok(Vm {
            kvm,
            fd,
            memory,
            mem_bytes,
        })
    }

    pub fn mem_bytes(&self) -> u64 {
        self.mem_bytes
    }

    /// An interrupt line: an eventfd wired to `gsi` on the in-kernel IOAPIC.
    pub fn irq_line(&self, gsi: u32) -> Result<EventFd, VmError> {
        let evt = EventFd::new(libc::EFD_NONBLOCK).map_err(VmError::EventFd)?;
        self.fd
            .register_irqfd(&evt, gsi)
            .map_err(|e| VmError::Irqfd(gsi, e))?;
        Ok(evt)
    }

    /// Bytes of guest memory that are resident on the host (what the
    /// guest, or the loader, has touched so far).
    pub fn memory_touched(&self) -> io::Result<u64> {
        let host = self
            .memory
            .get_host_address(GuestAddress(0))
            .map_err(|e| io::Error::other(e.to_string()))?;
        let page = 4096u64;
        let mut residency = vec![0u8; self.mem_bytes.div_ceil(page) as usize];
        // SAFETY: `host` is the start of a live mapping of `mem_bytes`
        // bytes (page aligned, from mmap); mincore writes one byte per page
        // into `residency`, which has exactly that many.
        let rc =
            unsafe { libc::mincore(host.cast(), self.mem_bytes as usize, residency.as_mut_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(residency.iter().filter(|&&r| r & 1 != 0).count() as u64 * page)
    }
}
