//! Loading a static x86-64 ELF executable (Linux's binfmt_elf, without an
//! interpreter) and building its initial stack.
//!
//! The program's file sits in guest memory as PVH module 0, whose frames
//! are also the pages of its file in the tmpfs. Read-only segments are
//! mapped straight from those frames; writable ones (and any that share a
//! page with another) are copied into fresh frames. bss beyond the last
//! file page is demand-zero.

use alloc::vec::Vec;

use xmas_elf::ElfFile;
use xmas_elf::header::{Class, Machine, Type as ElfType};
use xmas_elf::program::{ProgramHeader, Type as PhType};

use crate::drivers::copy_engine;
use crate::mm::address_space::{
    AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP, TASK_SIZE, Vma, VmaFile,
};
use crate::mm::{PAGE_SIZE, frame, page_align_down, page_align_up, paging, phys_to_virt};

/// Why a program could not be started.
#[derive(Debug)]
pub enum ExecError {
    NotElf(&'static str),
    WrongArch,
    NotExecutable,
    /// PT_INTERP names this interpreter, which is not supported.
    Dynamic(alloc::vec::Vec<u8>),
    BadSegment,
    NoSegments,
    ArgumentsTooLong,
    OutOfMemory,
}

impl core::fmt::Display for ExecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExecError::NotElf(why) => write!(f, "not an ELF file ({why})"),
            ExecError::WrongArch => f.write_str("not an x86-64 (ELF64, little-endian) program"),
            ExecError::NotExecutable => f.write_str("not an executable (ET_EXEC or ET_DYN)"),
            ExecError::Dynamic(interp) => write!(
                f,
                "dynamically linked (needs the interpreter {}); only static programs run",
                core::str::from_utf8(interp).unwrap_or("?")
            ),
            ExecError::BadSegment => {
                f.write_str("corrupt program header (segment outside the file or user space)")
            }
            ExecError::NoSegments => f.write_str("no loadable segments"),
            ExecError::ArgumentsTooLong => f.write_str("argument list too long"),
            ExecError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

impl From<paging::OutOfMemory> for ExecError {
    fn from(_: paging::OutOfMemory) -> Self {
        ExecError::OutOfMemory
    }
}

/// Where a static-pie (ET_DYN) program is placed, as Linux's ELF_ET_DYN_BASE.
const ET_DYN_BASE: u64 = 0x5555_5555_4000;
/// Most bytes of argument and environment strings (Linux: a quarter of the stack).
const MAX_ARG_BYTES: usize = (STACK_SIZE / 4) as usize;

/// The file as it sits in guest memory.
/// Which file an image's file-backed areas name.
pub enum ImageFile {
    /// The first program's (`fs::exe`), before the file tree exists.
    Program,
    /// An open file (execve).
    File(alloc::sync::Arc<crate::fs::file::File>),
}

/// A program file's bytes, physically contiguous so that read-only
/// segments can be mapped in place: a boot module, or the page cache of a
/// file whose pages are one run (every file lstar placed is).
pub struct Image {
    pub phys: u64,
    pub bytes: &'static [u8],
    pub file: ImageFile,
}

impl Image {
    /// An area of the file's pages from file page `pgoff`, mapped privately.
    fn vma(&self, start: u64, end: u64, prot: u32, pgoff: u64) -> Vma {
        Vma {
            file: Some(match &self.file {
                ImageFile::Program => VmaFile::program(pgoff),
                ImageFile::File(f) => VmaFile::new(f.clone(), pgoff, false),
            }),
            ..Vma::anon(start, end, prot)
        }
    }
}

pub struct Loaded {
    pub entry: u64,
    pub stack_pointer: u64,
    /// The bytes of `[stack_pointer, STACK_TOP)`, for the caller to copy in
    /// once the address space is live.
    pub stack_image: Vec<u8>,
}

fn prot_of(ph: &ProgramHeader) -> u32 {
    let f = ph.flags();
    (if f.is_read() { PROT_READ } else { 0 })
        | (if f.is_write() { PROT_WRITE } else { 0 })
        | (if f.is_execute() { PROT_EXEC } else { 0 })
}

struct Segment {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    memsz: u64,
    prot: u32,
}

/// The interpreter path a PT_INTERP segment names (for the error).
fn interp_path(elf: &ElfFile, ph: &ProgramHeader) -> alloc::vec::Vec<u8> {
    let (off, len) = (ph.offset() as usize, ph.file_size() as usize);
    elf.input
        .get(off..off.saturating_add(len))
        .map(|b| b.split(|&c| c == 0).next().unwrap_or(b).to_vec())
        .unwrap_or_default()
}

fn check_header(elf: &ElfFile, len: usize) -> Result<(), ExecError> {
    if elf.header.pt1.class() != Class::SixtyFour
        || elf.header.pt2.machine().as_machine() != Machine::X86_64
    {
        return Err(ExecError::WrongArch);
    }
    // The program header table must lie inside the file with the 64-bit
    // entry size, before anything indexes it.
    let (off, num, size) = (
        elf.header.pt2.ph_offset(),
        elf.header.pt2.ph_count(),
        elf.header.pt2.ph_entry_size(),
    );
    let end = u64::from(num)
        .checked_mul(56)
        .and_then(|n| n.checked_add(off));
    if size != 56 || end.is_none_or(|e| e > len as u64) {
        return Err(ExecError::BadSegment);
    }
    Ok(())
}

/// The PT_LOAD segments, and the address of PT_PHDR if there is one, in
/// one pass over the program headers.
fn segments(
    elf: &ElfFile,
    file_len: u64,
    bias: u64,
    interp: &mut Option<Vec<u8>>,
) -> Result<(Vec<Segment>, Option<u64>), ExecError> {
    let mut out = Vec::new();
    let mut phdr = None;
    for ph in elf.program_iter() {
        match ph.get_type() {
            Ok(PhType::Interp) => {
                *interp = Some(interp_path(elf, &ph));
                continue;
            }
            Ok(PhType::Phdr) => {
                phdr = ph.virtual_addr().checked_add(bias);
                continue;
            }
            Ok(PhType::Load) => {}
            _ => continue,
        }
        let (vaddr, offset, filesz, memsz) = (
            ph.virtual_addr(),
            ph.offset(),
            ph.file_size(),
            ph.mem_size(),
        );
        let vaddr = vaddr.checked_add(bias).ok_or(ExecError::BadSegment)?;
        let in_file = offset.checked_add(filesz).is_some_and(|e| e <= file_len);
        let in_user =
            vaddr.checked_add(memsz).is_some_and(|e| e <= TASK_SIZE) && vaddr >= PAGE_SIZE;
        if !in_file || !in_user || filesz > memsz || vaddr % PAGE_SIZE != offset % PAGE_SIZE {
            return Err(ExecError::BadSegment);
        }
        if memsz == 0 {
            continue;
        }
        out.push(Segment {
            vaddr,
            offset,
            filesz,
            memsz,
            prot: prot_of(&ph),
        });
    }
    if out.is_empty() {
        return Err(ExecError::NoSegments);
    }
    Ok((out, phdr))
}

/// Prepares the copy of file bytes `[offset, offset + len)` to user
/// address `va`: the frame that backs the page (allocated when needed) is
/// mapped, and the copies to make are appended to `copies`, in order (a
/// page shared with a segment mapped in place is first copied whole).
fn copy_into_page(
    mm: &mut AddressSpace,
    image: &Image,
    (va, offset, len): (u64, u64, u64),
    prot: u32,
    copies: &mut Vec<(u64, u64, u64)>,
) -> Result<(), ExecError> {
    let page = page_align_down(va);
    let frame = match paging::lookup(mm.pml4, page) {
        Some(pte) if pte & paging::PTE_USER != 0 => {
            let old = paging::entry_frame(pte);
            if !frame::is_shared(old) {
                old
            } else {
                // A page of the file mapped in place by the previous
                // segment: this one writes it, so it gets a copy; the file
                // keeps its own reference, so the old frame stays valid
                // for the copy below.
                let new = frame::alloc_zeroed().ok_or(ExecError::OutOfMemory)?;
                frame::put(old);
                copies.push((phys_to_virt(new), phys_to_virt(old), PAGE_SIZE));
                new
            }
        }
        _ => frame::alloc_zeroed().ok_or(ExecError::OutOfMemory)?,
    };
    let src = &image.bytes[offset as usize..(offset + len) as usize];
    copies.push((
        phys_to_virt(frame) + (va - page),
        src.as_ptr() as u64,
        src.len() as u64,
    ));
    mm.map_frame(page, frame, prot)?;
    Ok(())
}

/// Whether the bytes `[from, to)` of the file belong to a segment other
/// than `seg`.
fn file_bytes_used_elsewhere(segs: &[Segment], seg: &Segment, from: u64, to: u64) -> bool {
    segs.iter()
        .filter(|s| !core::ptr::eq(*s, seg))
        .any(|s| s.offset < to && from < s.offset + s.filesz)
}

fn load_segment(
    mm: &mut AddressSpace,
    image: &Image,
    seg: &Segment,
    segs: &[Segment],
) -> Result<(), ExecError> {
    let start = page_align_down(seg.vaddr);
    let end = page_align_up(seg.vaddr + seg.memsz).ok_or(ExecError::BadSegment)?;
    let file_end = seg.vaddr + seg.filesz;
    let file_pages_end = page_align_up(file_end)
        .ok_or(ExecError::BadSegment)?
        .min(end);
    // Bytes after the file part in its last page read as zero when the
    // segment has bss there; in the file they are whatever follows.
    let tail = if seg.memsz > seg.filesz {
        file_pages_end - file_end
    } else {
        0
    };
    let tail_offset = seg.offset + seg.filesz;
    // The module is this run's private copy of the file, so its frames can
    // be mapped as they are, writable ones too (no copy: ring-0 copies cost
    // ~300 cycles a byte under kvm-pvm). Copy only when zeroing the bss tail
    // in place would clobber another segment's bytes, or when the segment
    // shares a virtual page with one loaded before.
    let shares_page = mm.overlaps(start, end);
    // The module is also the program's file in the tmpfs now, so only
    // segments that nobody writes are mapped in place; writable ones get
    // private copies (made by the VMM's copy port: one exit, not a ring-0
    // copy of each byte).
    let in_place = image.phys.is_multiple_of(PAGE_SIZE)
        && seg.prot & PROT_WRITE == 0
        && tail == 0
        && !shares_page
        && !(tail > 0 && file_bytes_used_elsewhere(segs, seg, tail_offset, tail_offset + tail));
    if in_place {
        if file_pages_end > start {
            let pa = image.phys + seg.offset - (seg.vaddr - start);
            let count = (file_pages_end - start) / PAGE_SIZE;
            let flags = crate::mm::address_space::pte_flags(seg.prot);
            paging::map_range(mm.pml4, start, pa, count, flags)?;
            // Each entry holds a reference; the file's cache owns the frames.
            frame::get_range(pa, count);
            let pgoff = (seg.offset - (seg.vaddr - start)) / PAGE_SIZE;
            mm.insert_vma(image.vma(start, file_pages_end, seg.prot, pgoff));
        }
        if tail > 0 {
            // SAFETY: the tail lies inside the module's last page of this
            // segment (file_end..file_pages_end), which no other segment
            // uses (checked above); the direct map covers it.
            unsafe { copy_engine::clear_phys(&[(image.phys + tail_offset, tail)]) };
        }
        if file_pages_end < end {
            // bss beyond the file's pages: demand-zero, frames owned.
            mm.add_vma(file_pages_end, end, seg.prot);
        }
        return Ok(());
    }
    // The area starts after any page an earlier segment already covers,
    // and may be empty: an earlier segment whose bss runs past this one
    // covers it whole (Linux runs such a file; clamp below needs
    // vma_start <= end, found by scripts/elf-mutate.sh).
    let vma_start = mm
        .vmas
        .overlapping(start, end)
        .map(|v| v.end)
        .max()
        .unwrap_or(start)
        .clamp(start, end);
    // The file's pages (private copies) and the demand-zero rest.
    let split = file_pages_end.clamp(vma_start, end);
    if vma_start < split {
        let pgoff = (seg.offset - (seg.vaddr - start) + (vma_start - start)) / PAGE_SIZE;
        mm.insert_vma(image.vma(vma_start, split, seg.prot, pgoff));
    }
    if split < end {
        mm.add_vma(split, end, seg.prot);
    }
    // Copy the file part page by page; the rest is demand-zero.
    // All of the segment's copies in one batch: one exit to the VMM's copy
    // port, not one per page.
    let mut copies = Vec::new();
    let mut va = seg.vaddr;
    while va < file_end {
        let n = (page_align_down(va) + PAGE_SIZE).min(file_end) - va;
        let piece = (va, seg.offset + (va - seg.vaddr), n);
        copy_into_page(mm, image, piece, seg.prot, &mut copies)?;
        va += n;
    }
    // SAFETY: each destination is a frame this segment owns (mapped above,
    // in range of its page); each source lies in the module or in a frame
    // being copied whole, which is copied first (the batch keeps order).
    unsafe { copy_engine::copy_many(&copies) };
    Ok(())
}

/// Auxiliary vector keys.
const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_EXECFN: u64 = 31;

/// Lays out argc, argv, envp, auxv and their strings below STACK_TOP, the
/// way Linux's `create_elf_tables` does, and copies it in one go.
fn build_stack(
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &[(u64, u64)],
    random: [u8; 16],
) -> Result<(u64, Vec<u8>), ExecError> {
    // Strings, top-down: the 16 random bytes, the platform, envp, argv.
    let strings: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum();
    if strings > MAX_ARG_BYTES {
        return Err(ExecError::ArgumentsTooLong);
    }
    let platform = b"x86_64\0";
    let strings_size = (strings + platform.len() + 16) as u64;
    let strings_base = STACK_TOP - strings_size;
    let words = 1 + argv.len() + 1 + envp.len() + 1 + (aux.len() + 4) * 2;
    let sp = (strings_base - words as u64 * 8) & !15;
    let mut image = alloc::vec![0u8; (STACK_TOP - sp) as usize];
    let mut word_at = 0usize;
    let mut push = |image: &mut Vec<u8>, v: u64| {
        image[word_at..word_at + 8].copy_from_slice(&v.to_le_bytes());
        word_at += 8;
    };
    let mut str_at = strings_base;
    let mut put_str = |image: &mut Vec<u8>, s: &[u8]| -> u64 {
        let at = str_at;
        let off = (at - sp) as usize;
        image[off..off + s.len()].copy_from_slice(s);
        str_at += s.len() as u64 + 1;
        at
    };
    let random_at = STACK_TOP - 16;
    let roff = (random_at - sp) as usize;
    image[roff..roff + 16].copy_from_slice(&random);

    push(&mut image, argv.len() as u64);
    let mut execfn = 0;
    for (i, a) in argv.iter().enumerate() {
        let at = put_str(&mut image, a);
        if i == 0 {
            execfn = at;
        }
        push(&mut image, at);
    }
    push(&mut image, 0);
    for e in envp {
        let at = put_str(&mut image, e);
        push(&mut image, at);
    }
    push(&mut image, 0);
    let platform_at = put_str(&mut image, &platform[..platform.len() - 1]);
    for &(k, v) in aux {
        push(&mut image, k);
        push(&mut image, v);
    }
    for (k, v) in [
        (AT_PLATFORM, platform_at),
        (AT_RANDOM, random_at),
        (AT_EXECFN, execfn),
        (AT_NULL, 0),
    ] {
        push(&mut image, k);
        push(&mut image, v);
    }
    Ok((sp, image))
}

/// CPUID.1:EDX, what Linux reports as AT_HWCAP on x86.
fn hwcap() -> u64 {
    u64::from(core::arch::x86_64::__cpuid(1).edx)
}

/// Loads `image` into `mm` and prepares its stack.
/// Where a dynamically linked program's interpreter (ld.so) goes: below
/// the top-down mmap area, as Linux places it in the mmap region.
const INTERP_BASE: u64 = 0x7f00_0000_0000;

/// Maps the interpreter (an ET_DYN ELF without an interpreter of its own)
/// at INTERP_BASE; returns its entry point.
fn load_interp(mm: &mut AddressSpace, image: &Image) -> Result<u64, ExecError> {
    let elf = ElfFile::new(image.bytes).map_err(ExecError::NotElf)?;
    check_header(&elf, image.bytes.len())?;
    if elf.header.pt2.type_().as_type() != ElfType::SharedObject {
        return Err(ExecError::NotExecutable);
    }
    let mut nested = None;
    let (segs, _) = segments(&elf, image.bytes.len() as u64, INTERP_BASE, &mut nested)?;
    if nested.is_some() {
        return Err(ExecError::BadSegment);
    }
    for seg in &segs {
        load_segment(mm, image, seg, &segs)?;
    }
    Ok(elf.header.pt2.entry_point() + INTERP_BASE)
}

/// Loads `image` into `mm` with its stack (argv, envp, auxv). A program
/// with PT_INTERP needs `interp`, the interpreter's image: without it the
/// error names the interpreter, so that the caller can find it and retry.
pub fn load(
    mm: &mut AddressSpace,
    image: &Image,
    interp: Option<&Image>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    at_random: [u8; 16],
) -> Result<Loaded, ExecError> {
    let elf = ElfFile::new(image.bytes).map_err(ExecError::NotElf)?;
    check_header(&elf, image.bytes.len())?;
    let bias = match elf.header.pt2.type_().as_type() {
        ElfType::Executable => 0,
        ElfType::SharedObject => ET_DYN_BASE,
        _ => return Err(ExecError::NotExecutable),
    };
    let mut interp_path = None;
    let (segs, phdr) = segments(&elf, image.bytes.len() as u64, bias, &mut interp_path)?;
    let interp = match (interp_path, interp) {
        (Some(path), None) => return Err(ExecError::Dynamic(path)),
        (Some(_), Some(i)) => Some(i),
        (None, _) => None,
    };
    let mut brk = 0;
    for seg in &segs {
        load_segment(mm, image, seg, &segs)?;
        brk = brk.max(seg.vaddr + seg.memsz);
    }
    let start = match interp {
        Some(i) => Some(load_interp(mm, i)?),
        None => None,
    };
    let brk = page_align_up(brk).ok_or(ExecError::BadSegment)?;
    mm.brk_start = brk;
    mm.brk = brk;

    let phoff = elf.header.pt2.ph_offset();
    let phdr = phdr
        .or_else(|| {
            segs.iter()
                .find(|s| s.offset <= phoff && phoff < s.offset + s.filesz)
                .map(|s| s.vaddr + (phoff - s.offset))
        })
        .unwrap_or(0);
    let entry = elf.header.pt2.entry_point() + bias;
    let aux = [
        (AT_PHDR, phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, u64::from(elf.header.pt2.ph_count())),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, if start.is_some() { INTERP_BASE } else { 0 }),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_HWCAP, hwcap()),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
    ];
    let (sp, stack) = build_stack(argv, envp, &aux, at_random)?;
    mm.add_vma_flags(
        STACK_TOP - STACK_SIZE,
        STACK_TOP,
        PROT_READ | PROT_WRITE,
        crate::mm::address_space::VM_GROWSDOWN,
    );
    crate::arch::xstate::map_into(mm)?;
    Ok(Loaded {
        entry: start.unwrap_or(entry),
        stack_pointer: sp,
        stack_image: stack,
    })
}
