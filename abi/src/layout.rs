//! Guest-physical memory layout chosen by the lstar VMM.
//!
//! The kernel must not rely on these addresses (under QEMU they differ): it
//! learns everything from the PVH start info and the command line. They are
//! here so that the host's tests and tools agree with the VMM.

pub const PAGE_SIZE: u64 = 4096;
/// `hvm_start_info`, then the module list, then the memory map.
pub const START_INFO_ADDR: u64 = 0x6000;
/// Kernel command line, NUL-terminated.
pub const CMDLINE_ADDR: u64 = 0x2_0000;
/// Largest command line the VMM accepts, NUL included.
pub const CMDLINE_MAX: usize = 0x1_0000;
/// Everything below this is firmware-land on a PC; the kernel never hands
/// out frames from it.
pub const LOW_MEMORY_END: u64 = 0x10_0000;
/// Where the kernel ELF asks to be loaded (its PT_LOAD physical addresses).
pub const KERNEL_PHYS_BASE: u64 = 0x10_0000;
/// Guest RAM is one range from 0; it must stay below the 32-bit MMIO hole
/// (IOAPIC at 0xfec0_0000, LAPIC at 0xfee0_0000, virtio-mmio devices).
pub const MMIO_HOLE_START: u64 = 0xc000_0000;
/// Smallest and largest `--mem` in MiB.
pub const MIN_MEM_MIB: u64 = 16;
pub const MAX_MEM_MIB: u64 = MMIO_HOLE_START >> 20;
/// The virtio-mmio window of the virtio-blk device (lstar only: QEMU puts
/// its devices elsewhere). The guest learns it from the command line
/// (`virtio_mmio.device=4K@0xd0000000:5`), never from this constant.
pub const VIRTIO_MMIO_BASE: u64 = 0xd000_0000;
/// Size of that window: the virtio-mmio register layout, config included.
pub const VIRTIO_MMIO_SIZE: u64 = 0x1000;
/// IOAPIC pin (GSI) of the virtio-blk device's interrupt.
pub const VIRTIO_BLK_GSI: u32 = 5;
/// PVH modules: 0 is the program, 1 the kernel symbol table (empty when
/// there is none), then one per `--file` from [`FIRST_FILE_MODULE`] on. The
/// kernel reads at most [`MAX_MODULES`] of them.
pub const MAX_MODULES: usize = 64;
pub const FIRST_FILE_MODULE: u32 = 2;
/// The most `--file` options lstar accepts.
pub const MAX_FILES: usize = MAX_MODULES - FIRST_FILE_MODULE as usize;
