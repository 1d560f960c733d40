//! PVH boot: the kernel ELF loaded at its physical addresses (linux-loader),
//! the command line, the modules (0: the program's ELF at the top of RAM,
//! 1: the kernel symbol table below it, 2...: the `--file` files below
//! that) and `hvm_start_info` with its module list and memory map. Layout:
//! `lstar_abi::layout`.

use std::fs::File;
use std::io::Cursor;
use std::mem::size_of;
use std::path::PathBuf;

use linux_loader::loader::KernelLoader;
use linux_loader::loader::elf::{Elf, PvhBootCapability};
use lstar_abi::layout::{CMDLINE_ADDR, CMDLINE_MAX, LOW_MEMORY_END, PAGE_SIZE, START_INFO_ADDR};
use lstar_abi::pvh::{
    HvmMemmapTableEntry, HvmModlistEntry, HvmStartInfo, MEMMAP_TYPE_RAM, START_MAGIC,
};
use thiserror::Error;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

#[derive(Debug, Error)]
pub enum BootError {
    #[error("cannot load the kernel ELF: {0}")]
    Load(linux_loader::loader::Error),
    #[error("the kernel ELF has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)")]
    NoPvhEntry,
    #[error("the PVH entry {0:#x} is not a 32-bit physical address")]
    BadEntry(u64),
    #[error(
        "the kernel ends at {kernel_end:#x}, past the modules at {modules:#x}: try a larger --mem"
    )]
    NoRoom { kernel_end: u64, modules: u64 },
    #[error("the command line is longer than {CMDLINE_MAX} bytes")]
    CmdlineTooLong,
    #[error("cannot write {what} to guest memory: {source}")]
    Write {
        what: &'static str,
        source: vm_memory::GuestMemoryError,
    },
    #[error("cannot read the program into guest memory: {0}")]
    ReadProgram(vm_memory::GuestMemoryError),
    #[error(
        "--file: the files need {need} of guest memory, but {room} are left of the guest's \
         {mem_mib} MiB after the kernel, the program and {free} kept free for the kernel's \
         own use: try a larger --mem",
        need = Size(*.need), room = Size(*.room), free = Size(KERNEL_FREE_MIN)
    )]
    FilesDoNotFit { need: u64, room: u64, mem_mib: u64 },
    #[error("{}: cannot read the file into guest memory: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: vm_memory::GuestMemoryError,
    },
}

/// A size for messages: whole MiB when it is, else KiB (rounded up).
struct Size(u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            b if b.is_multiple_of(1 << 20) => write!(f, "{} MiB", b >> 20),
            b => write!(f, "{} KiB", b.div_ceil(1 << 10)),
        }
    }
}

/// With `--file`, at least this much RAM stays between the kernel image
/// and the lowest module, for the frames the kernel hands out (page
/// tables, the program's data, stack and heap).
pub const KERNEL_FREE_MIN: u64 = 4 << 20;

/// A `--file` file, read straight into guest memory as a module.
pub struct FileModule {
    pub file: File,
    pub size: u64,
    /// For messages.
    pub host: PathBuf,
}

/// Where the program's bytes come from.
pub enum ProgramImage<'a> {
    Embedded(&'a [u8]),
    File { file: File, size: u64 },
}

impl ProgramImage<'_> {
    fn size(&self) -> u64 {
        match self {
            ProgramImage::Embedded(b) => b.len() as u64,
            ProgramImage::File { size, .. } => *size,
        }
    }
}

/// Loads the kernel's PT_LOAD segments at their physical addresses;
/// returns the PVH entry and the end of the kernel image.
pub fn load_kernel(memory: &GuestMemoryMmap, elf: &[u8]) -> Result<(u64, u64), BootError> {
    let result = Elf::load(memory, None, &mut Cursor::new(elf), None).map_err(BootError::Load)?;
    let PvhBootCapability::PvhEntryPresent(entry) = result.pvh_boot_cap else {
        return Err(BootError::NoPvhEntry);
    };
    if entry.0 > u64::from(u32::MAX) {
        return Err(BootError::BadEntry(entry.0));
    }
    Ok((entry.0, result.kernel_end))
}

fn align_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

/// Saturates for sizes no guest can hold (refused by the caller).
fn align_up(x: u64) -> u64 {
    x.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
}

/// Where the modules go ([`module_addresses`]).
#[derive(Debug, PartialEq, Eq)]
pub struct ModuleAddresses {
    pub program: u64,
    pub ksyms: Option<u64>,
    /// One per `--file`, in order.
    pub files: Vec<u64>,
}

/// Where each module goes, from the top of RAM down, each page-aligned and
/// below the one before: the program, the symbol table, then the files in
/// order. Nothing else shares a module's pages, so the rest of a file's
/// last page stays zero (guest RAM starts zeroed). With files, at least
/// [`KERNEL_FREE_MIN`] must stay free above the kernel.
pub fn module_addresses(
    mem_bytes: u64,
    program_size: u64,
    ksyms_size: Option<u64>,
    file_sizes: &[u64],
    kernel_end: u64,
) -> Result<ModuleAddresses, BootError> {
    let program = align_down(mem_bytes.saturating_sub(program_size));
    let ksyms = ksyms_size.map(|size| align_down(program.saturating_sub(size)));
    let above_files = ksyms.unwrap_or(program);
    let floor = kernel_end.max(LOW_MEMORY_END);
    if above_files < floor || program_size > mem_bytes {
        return Err(BootError::NoRoom {
            kernel_end,
            modules: above_files,
        });
    }
    if file_sizes.is_empty() {
        return Ok(ModuleAddresses {
            program,
            ksyms,
            files: Vec::new(),
        });
    }
    let need = file_sizes
        .iter()
        .fold(0u64, |sum, &size| sum.saturating_add(align_up(size)));
    let room = above_files.saturating_sub(align_up(floor).saturating_add(KERNEL_FREE_MIN));
    if need > room {
        return Err(BootError::FilesDoNotFit {
            need,
            room,
            mem_mib: mem_bytes >> 20,
        });
    }
    let mut next = above_files;
    let files = file_sizes
        .iter()
        .map(|&size| {
            next -= align_up(size);
            next
        })
        .collect();
    Ok(ModuleAddresses {
        program,
        ksyms,
        files,
    })
}

/// `hvm_start_info` followed by the module list and the memory map, laid
/// out as they go at [`START_INFO_ADDR`], little-endian.
pub fn start_info_bytes(mem_bytes: u64, modules: &[(u64, u64)]) -> Vec<u8> {
    let modlist_addr = START_INFO_ADDR + size_of::<HvmStartInfo>() as u64;
    let memmap_addr = modlist_addr + (modules.len() * size_of::<HvmModlistEntry>()) as u64;
    let info = HvmStartInfo {
        magic: START_MAGIC,
        version: 1,
        flags: 0,
        nr_modules: modules.len() as u32,
        modlist_paddr: if modules.is_empty() { 0 } else { modlist_addr },
        cmdline_paddr: CMDLINE_ADDR,
        rsdp_paddr: 0,
        memmap_paddr: memmap_addr,
        memmap_entries: 1,
        reserved: 0,
    };
    let mut b = Vec::with_capacity(256);
    for v in [info.magic, info.version, info.flags, info.nr_modules] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in [
        info.modlist_paddr,
        info.cmdline_paddr,
        info.rsdp_paddr,
        info.memmap_paddr,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&info.memmap_entries.to_le_bytes());
    b.extend_from_slice(&info.reserved.to_le_bytes());
    debug_assert_eq!(b.len(), size_of::<HvmStartInfo>());
    for &(paddr, size) in modules {
        let m = HvmModlistEntry {
            paddr,
            size,
            cmdline_paddr: 0,
            reserved: 0,
        };
        for v in [m.paddr, m.size, m.cmdline_paddr, m.reserved] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    let ram = HvmMemmapTableEntry {
        addr: 0,
        size: mem_bytes,
        kind: MEMMAP_TYPE_RAM,
        reserved: 0,
    };
    b.extend_from_slice(&ram.addr.to_le_bytes());
    b.extend_from_slice(&ram.size.to_le_bytes());
    b.extend_from_slice(&ram.kind.to_le_bytes());
    b.extend_from_slice(&ram.reserved.to_le_bytes());
    b
}

/// What `setup` put where, for diagnostics.
pub struct BootLayout {
    pub entry: u64,
    pub kernel_end: u64,
    pub program_addr: u64,
    pub ksyms_addr: Option<u64>,
    pub file_addrs: Vec<u64>,
}

/// Writes the modules, the command line and the start info, around the
/// kernel already loaded by [`load_kernel`] (which gave `entry`, `kernel_end`).
pub fn setup(
    memory: &GuestMemoryMmap,
    mem_bytes: u64,
    (entry, kernel_end): (u64, u64),
    cmdline: &[u8],
    program: ProgramImage<'_>,
    ksyms: Option<&[u8]>,
    files: Vec<FileModule>,
) -> Result<BootLayout, BootError> {
    let program_size = program.size();
    let file_sizes: Vec<u64> = files.iter().map(|f| f.size).collect();
    let addrs = module_addresses(
        mem_bytes,
        program_size,
        ksyms.map(|k| k.len() as u64),
        &file_sizes,
        kernel_end,
    )?;
    let (program_addr, ksyms_addr) = (addrs.program, addrs.ksyms);
    let write = |what, bytes: &[u8], addr| {
        memory
            .write_slice(bytes, GuestAddress(addr))
            .map_err(|source| BootError::Write { what, source })
    };
    match program {
        ProgramImage::Embedded(bytes) => write("the program", bytes, program_addr)?,
        // Straight from the file into guest memory: no host-side copy.
        ProgramImage::File { mut file, size } => memory
            .read_exact_volatile_from(GuestAddress(program_addr), &mut file, size as usize)
            .map_err(BootError::ReadProgram)?,
    }
    let mut modules = vec![(program_addr, program_size)];
    match (ksyms, ksyms_addr) {
        (Some(blob), Some(addr)) => {
            write("the kernel symbol table", blob, addr)?;
            modules.push((addr, blob.len() as u64));
        }
        // Files are modules 2...: module 1 is there, empty, without symbols.
        _ if !files.is_empty() => modules.push((0, 0)),
        _ => {}
    }
    for (mut f, &addr) in files.into_iter().zip(&addrs.files) {
        // Straight from the file into guest memory, as the program.
        memory
            .read_exact_volatile_from(GuestAddress(addr), &mut f.file, f.size as usize)
            .map_err(|source| BootError::ReadFile {
                path: f.host,
                source,
            })?;
        modules.push((addr, f.size));
    }
    if cmdline.len() + 1 > CMDLINE_MAX {
        return Err(BootError::CmdlineTooLong);
    }
    write("the command line", cmdline, CMDLINE_ADDR)?;
    write(
        "the command line",
        &[0],
        CMDLINE_ADDR + cmdline.len() as u64,
    )?;
    write(
        "the start info",
        &start_info_bytes(mem_bytes, &modules),
        START_INFO_ADDR,
    )?;
    Ok(BootLayout {
        entry,
        kernel_end,
        program_addr,
        ksyms_addr,
        file_addrs: addrs.files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    #[test]
    fn start_info_layout_follows_the_pvh_abi() {
        let mem = 64 << 20;
        let b = start_info_bytes(mem, &[(0x3ff_0000, 0x1234), (0x3fe_0000, 0x100)]);
        assert_eq!(b.len(), 56 + 2 * 32 + 24);
        assert_eq!(u32_at(&b, 0), START_MAGIC);
        assert_eq!(u32_at(&b, 4), 1); // version
        assert_eq!(u32_at(&b, 12), 2); // nr_modules
        assert_eq!(u64_at(&b, 16), START_INFO_ADDR + 56); // modlist
        assert_eq!(u64_at(&b, 24), CMDLINE_ADDR);
        assert_eq!(u64_at(&b, 40), START_INFO_ADDR + 56 + 64); // memmap
        assert_eq!(u32_at(&b, 48), 1); // memmap entries
        assert_eq!((u64_at(&b, 56), u64_at(&b, 64)), (0x3ff_0000, 0x1234));
        assert_eq!((u64_at(&b, 88), u64_at(&b, 96)), (0x3fe_0000, 0x100));
        let mm = 56 + 64;
        assert_eq!((u64_at(&b, mm), u64_at(&b, mm + 8)), (0, mem));
        assert_eq!(u32_at(&b, mm + 16), MEMMAP_TYPE_RAM);
    }

    fn addrs(
        mem: u64,
        program: u64,
        ksyms: Option<u64>,
        kernel_end: u64,
    ) -> Result<(u64, Option<u64>), BootError> {
        module_addresses(mem, program, ksyms, &[], kernel_end).map(|a| (a.program, a.ksyms))
    }

    #[test]
    fn modules_sit_page_aligned_at_the_top() {
        let mem = 64 << 20;
        let (p, k) = addrs(mem, 5000, Some(300), 0x20_0000).unwrap();
        assert_eq!(p, mem - 8192);
        assert!(p + 5000 <= mem);
        assert_eq!(k, Some(mem - 12288));
        let (p, k) = addrs(mem, 4096, None, 0x20_0000).unwrap();
        assert_eq!((p, k), (mem - 4096, None));
    }

    #[test]
    fn modules_never_overlap_the_kernel() {
        let mem = 16 << 20;
        assert!(addrs(mem, 15 << 20, None, 0x20_0000).is_err());
        assert!(addrs(mem, mem + 1, None, 0).is_err());
        assert!(addrs(mem, 1 << 20, Some(1 << 20), (14 << 20) + 1).is_err());
        assert!(addrs(mem, 1 << 20, Some(1 << 20), 14 << 20).is_ok());
    }

    #[test]
    fn files_go_below_in_order_each_on_pages_of_its_own() {
        let mem = 64 << 20;
        let sizes = [1, 4096, 0, 4097, 10];
        let a = module_addresses(mem, 5000, Some(300), &sizes, 0x20_0000).unwrap();
        assert_eq!(a.ksyms, Some(mem - 12288));
        let mut above = mem - 12288;
        for (&addr, &size) in a.files.iter().zip(&sizes) {
            assert_eq!(addr % PAGE_SIZE, 0);
            assert!(addr + size <= above, "{addr:#x}+{size} overlaps {above:#x}");
            // The rest of its last page belongs to no other module.
            assert!(above - addr < size + PAGE_SIZE);
            above = addr;
        }
        assert_eq!(
            a.files,
            [
                mem - 16384,
                mem - 20480,
                mem - 20480,
                mem - 28672,
                mem - 32768
            ]
        );
        // Without a symbol table, right below the program.
        let a = module_addresses(mem, 4096, None, &[100], 0x20_0000).unwrap();
        assert_eq!(a.files, [mem - 8192]);
    }

    #[test]
    fn files_that_do_not_fit_are_refused() {
        let mem = 16 << 20;
        let kernel_end = 6 << 20;
        // 16 MiB - 8 KiB of modules above - 6 MiB kernel - 4 MiB free.
        let room = mem - 8192 - kernel_end - KERNEL_FREE_MIN;
        assert!(module_addresses(mem, 4096, Some(4096), &[room], kernel_end).is_ok());
        assert!(module_addresses(mem, 4096, Some(4096), &[room / 2, room / 2], kernel_end).is_ok());
        let err = module_addresses(mem, 4096, Some(4096), &[room + 1], kernel_end).unwrap_err();
        assert!(
            matches!(err, BootError::FilesDoNotFit { need, room: r, mem_mib: 16 }
            if need == room + 4096 && r == room)
        );
        assert_eq!(
            err.to_string(),
            "--file: the files need 6140 KiB of guest memory, but 6136 KiB are left of the \
             guest's 16 MiB after the kernel, the program and 4 MiB kept free for the \
             kernel's own use: try a larger --mem"
        );
        assert!(module_addresses(mem, 4096, None, &[u64::MAX, 1], kernel_end).is_err());
        assert!(module_addresses(mem, 4096, None, &[1 << 40], kernel_end).is_err());
    }
}
