//! What a program ELF must be for the lstar kernel to run it: a static
//! x86-64 executable (ET_EXEC, or ET_DYN for static PIE) with loadable
//! segments that lie within the file.
//!
//! The VMM checks a program with these rules before it boots
//! (`vmm/src/program.rs`), so that a mistake gets a clear message at once;
//! the guest kernel re-validates what it maps. Pure functions over bytes, so
//! that `fuzz/` can feed them anything: [`check_header`] says where the
//! program header table is, the caller reads it, [`check_program_headers`]
//! checks it.

use core::fmt;

/// Bytes of an ELF64 header.
pub const ELF_HEADER_SIZE: usize = 64;
/// Bytes of an ELF64 program header.
pub const PHDR_SIZE: usize = 56;
/// Linux refuses more than 64 KiB of program headers, and so do we.
pub const MAX_PHDRS_BYTES: usize = 64 * 1024;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;

/// Why a file is not a program the kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    WrongArch,
    NotExecutable(u16),
    BadProgramHeaderSize(u16),
    Truncated,
    SegmentOutsideFile,
    Dynamic,
    NoLoad,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::NotElf => f.write_str("not an ELF executable"),
            ElfError::WrongArch => {
                f.write_str("not an x86-64 executable (ELF64, little-endian, EM_X86_64 required)")
            }
            ElfError::NotExecutable(kind) => write!(
                f,
                "not an executable (ELF type {kind}; ET_EXEC or ET_DYN required)"
            ),
            ElfError::BadProgramHeaderSize(size) => write!(
                f,
                "malformed program headers (size {size}, {PHDR_SIZE} expected)"
            ),
            ElfError::Truncated => {
                f.write_str("truncated: the program headers lie past the end of the file")
            }
            ElfError::SegmentOutsideFile => f.write_str(
                "truncated or corrupt: a loadable segment lies past the end of the file",
            ),
            ElfError::Dynamic => f.write_str(
                "dynamically linked (it has an interpreter): lstar runs static executables only",
            ),
            ElfError::NoLoad => f.write_str("no loadable segments"),
        }
    }
}

impl core::error::Error for ElfError {}

/// Where the program header table lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhdrTable {
    pub offset: u64,
    /// In bytes: a multiple of [`PHDR_SIZE`], at most [`MAX_PHDRS_BYTES`].
    pub len: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(le)
}

/// Checks the first bytes of a file of `file_size` bytes (up to
/// [`ELF_HEADER_SIZE`] of them; fewer when the file is shorter) and returns
/// where its program header table lies, within the file.
pub fn check_header(header: &[u8], file_size: u64) -> Result<PhdrTable, ElfError> {
    if header.len() < 4 || header[..4] != [0x7f, b'E', b'L', b'F'] {
        return Err(ElfError::NotElf);
    }
    if header.len() < ELF_HEADER_SIZE {
        return Err(ElfError::Truncated);
    }
    if header[4] != 2 || header[5] != 1 || u16_at(header, 18) != EM_X86_64 {
        return Err(ElfError::WrongArch);
    }
    let kind = u16_at(header, 16);
    if kind != ET_EXEC && kind != ET_DYN {
        return Err(ElfError::NotExecutable(kind));
    }
    let offset = u64_at(header, 32);
    let phentsize = u16_at(header, 54);
    let phnum = usize::from(u16_at(header, 56));
    if phnum == 0 {
        return Err(ElfError::NoLoad);
    }
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(ElfError::BadProgramHeaderSize(phentsize));
    }
    let len = phnum * PHDR_SIZE;
    if len > MAX_PHDRS_BYTES
        || offset
            .checked_add(len as u64)
            .is_none_or(|end| end > file_size)
    {
        return Err(ElfError::Truncated);
    }
    Ok(PhdrTable { offset, len })
}

/// Checks the program header table (`table`, [`PhdrTable::len`] bytes read
/// from the file): no interpreter, at least one PT_LOAD, every PT_LOAD's
/// file bytes within the file's `file_size`.
pub fn check_program_headers(table: &[u8], file_size: u64) -> Result<(), ElfError> {
    let mut has_load = false;
    for ph in table.chunks_exact(PHDR_SIZE) {
        match u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]) {
            PT_INTERP => return Err(ElfError::Dynamic),
            PT_LOAD => {
                has_load = true;
                // p_offset + p_filesz must lie within the file.
                let (offset, filesz) = (u64_at(ph, 8), u64_at(ph, 32));
                if offset.checked_add(filesz).is_none_or(|end| end > file_size) {
                    return Err(ElfError::SegmentOutsideFile);
                }
            }
            _ => {}
        }
    }
    if !has_load {
        return Err(ElfError::NoLoad);
    }
    Ok(())
}

/// Both checks over a whole file in memory.
pub fn check_file(file: &[u8]) -> Result<(), ElfError> {
    let size = file.len() as u64;
    let table = check_header(&file[..file.len().min(ELF_HEADER_SIZE)], size)?;
    // check_header put the table within the file.
    let start = usize::try_from(table.offset).map_err(|_| ElfError::Truncated)?;
    let bytes = file
        .get(start..start + table.len)
        .ok_or(ElfError::Truncated)?;
    check_program_headers(bytes, size)
}

/// The header of an x86-64 little-endian ELF64 file of type `e_type` with
/// `phnum` program headers right after it, every other field zero: what
/// the tests and fuzz targets of these checks build their files from.
pub fn header(e_type: u16, phnum: u16) -> [u8; ELF_HEADER_SIZE] {
    let mut b = [0u8; ELF_HEADER_SIZE];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // ELFCLASS64
    b[5] = 1; // ELFDATA2LSB
    b[6] = 1; // EV_CURRENT
    b[16..18].copy_from_slice(&e_type.to_le_bytes());
    b[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    b[32..40].copy_from_slice(&(ELF_HEADER_SIZE as u64).to_le_bytes());
    b[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    b[56..58].copy_from_slice(&phnum.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A static x86-64 ELF header with `phdrs` program header types.
    fn elf(kind: u16, phdrs: &[u32]) -> Vec<u8> {
        let mut b = header(kind, phdrs.len() as u16).to_vec();
        for &t in phdrs {
            let mut ph = [0u8; PHDR_SIZE];
            ph[..4].copy_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&ph);
        }
        b
    }

    #[test]
    fn accepts_static_exec_and_static_pie() {
        check_file(&elf(ET_EXEC, &[6, PT_LOAD, PT_LOAD])).unwrap();
        check_file(&elf(ET_DYN, &[PT_LOAD])).unwrap();
    }

    #[test]
    fn rejects_what_cannot_run() {
        assert_eq!(check_file(b"#!/bin/sh\n"), Err(ElfError::NotElf));
        assert_eq!(check_file(b""), Err(ElfError::NotElf));
        assert_eq!(check_file(b"\x7fELF\x02\x01"), Err(ElfError::Truncated));
        let mut arm = elf(ET_EXEC, &[PT_LOAD]);
        arm[18] = 183;
        assert_eq!(check_file(&arm), Err(ElfError::WrongArch));
        let mut elf32 = elf(ET_EXEC, &[PT_LOAD]);
        elf32[4] = 1;
        assert_eq!(check_file(&elf32), Err(ElfError::WrongArch));
        let mut be = elf(ET_EXEC, &[PT_LOAD]);
        be[5] = 2;
        assert_eq!(check_file(&be), Err(ElfError::WrongArch));
        assert_eq!(
            check_file(&elf(1, &[PT_LOAD])),
            Err(ElfError::NotExecutable(1))
        );
        assert_eq!(
            check_file(&elf(ET_EXEC, &[PT_LOAD, PT_INTERP])),
            Err(ElfError::Dynamic)
        );
        assert_eq!(check_file(&elf(ET_EXEC, &[6])), Err(ElfError::NoLoad));
        assert_eq!(check_file(&elf(ET_EXEC, &[])), Err(ElfError::NoLoad));
        let full = elf(ET_EXEC, &[PT_LOAD, PT_LOAD]);
        assert_eq!(
            check_file(&full[..full.len() - 1]),
            Err(ElfError::Truncated)
        );
        let mut far = elf(ET_EXEC, &[PT_LOAD]);
        far[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(check_file(&far), Err(ElfError::Truncated));
        let mut bad_size = elf(ET_EXEC, &[PT_LOAD]);
        bad_size[54] = 32;
        assert_eq!(
            check_file(&bad_size),
            Err(ElfError::BadProgramHeaderSize(32))
        );
    }

    #[test]
    fn segments_must_lie_within_the_file() {
        let mut b = elf(ET_EXEC, &[PT_LOAD]);
        let len = b.len() as u64;
        let ph = ELF_HEADER_SIZE;
        b[ph + 32..ph + 40].copy_from_slice(&len.to_le_bytes());
        check_file(&b).unwrap();
        b[ph + 32..ph + 40].copy_from_slice(&(len + 1).to_le_bytes());
        assert_eq!(check_file(&b), Err(ElfError::SegmentOutsideFile));
        b[ph + 8..ph + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(check_file(&b), Err(ElfError::SegmentOutsideFile));
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        let good = elf(ET_DYN, &[PT_LOAD, 4, PT_LOAD]);
        for cut in 0..good.len() {
            let _ = check_file(&good[..cut]);
        }
        for i in 0..good.len() {
            for v in [0u8, 0xff, 0x80] {
                let mut b = good.clone();
                b[i] = v;
                let _ = check_file(&b);
            }
        }
    }
}
