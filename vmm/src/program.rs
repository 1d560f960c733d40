//! Host-side checks of the program before booting, so that common mistakes
//! get a clear `lstar: PATH: reason` and a shell-like status at once
//! (127 missing, 126 not executable). The guest kernel re-validates: these
//! checks are for the user's benefit, not the sandbox's safety.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use thiserror::Error;

use crate::host_file::{self, HostFile, OpenError};

#[derive(Debug, Error)]
pub enum ProgramError {
    #[error("no such file")]
    NotFound,
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error("is a directory")]
    Directory,
    /// No execute permission for us (a shell's execve gets EACCES).
    #[error("Permission denied")]
    PermissionDenied,
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("cannot read: {0}")]
    Read(io::Error),
    #[error("not an ELF executable")]
    NotElf,
    #[error("not an x86-64 executable (ELF64, little-endian, EM_X86_64 required)")]
    WrongArch,
    #[error("not an executable (ELF type {0}; ET_EXEC or ET_DYN required)")]
    NotExecutable(u16),
    #[error("malformed program headers (size {0}, 56 expected)")]
    BadProgramHeaderSize(u16),
    #[error("truncated: the program headers lie past the end of the file")]
    Truncated,
    #[error("truncated or corrupt: a loadable segment lies past the end of the file")]
    SegmentOutsideFile,
    #[error("dynamically linked (it has an interpreter): lstar runs static executables only")]
    Dynamic,
    #[error("no loadable segments")]
    NoLoad,
    #[error("{size} bytes do not fit in the guest's {mem_mib} MiB (try a larger --mem)")]
    TooLarge { size: u64, mem_mib: u64 },
}

impl ProgramError {
    /// The status `lstar run` exits with, as a shell would.
    pub fn exit_code(&self) -> u8 {
        match self {
            ProgramError::NotFound => 127,
            _ => 126,
        }
    }
}

const ELF_HEADER_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
/// Linux refuses more than 64 KiB of program headers, and so do we.
const MAX_PHDRS_BYTES: usize = 64 * 1024;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Checks an ELF header. `read_at` reads exactly `buf.len()` bytes at an
/// offset (or fails); `file_size` bounds the program header table.
pub fn check_elf(
    header: &[u8],
    file_size: u64,
    mut read_at: impl FnMut(&mut [u8], u64) -> io::Result<()>,
) -> Result<(), ProgramError> {
    if header.len() < 4 || header[..4] != [0x7f, b'E', b'L', b'F'] {
        return Err(ProgramError::NotElf);
    }
    if header.len() < ELF_HEADER_SIZE {
        return Err(ProgramError::Truncated);
    }
    if header[4] != 2 || header[5] != 1 || u16_at(header, 18) != EM_X86_64 {
        return Err(ProgramError::WrongArch);
    }
    let kind = u16_at(header, 16);
    if kind != ET_EXEC && kind != ET_DYN {
        return Err(ProgramError::NotExecutable(kind));
    }
    let phoff = u64::from_le_bytes(header[32..40].try_into().unwrap_or_default());
    let phentsize = u16_at(header, 54);
    let phnum = usize::from(u16_at(header, 56));
    if phnum == 0 {
        return Err(ProgramError::NoLoad);
    }
    if usize::from(phentsize) != PHDR_SIZE {
        return Err(ProgramError::BadProgramHeaderSize(phentsize));
    }
    let table_len = phnum * PHDR_SIZE;
    if table_len > MAX_PHDRS_BYTES
        || phoff
            .checked_add(table_len as u64)
            .is_none_or(|end| end > file_size)
    {
        return Err(ProgramError::Truncated);
    }
    let mut table = vec![0u8; table_len];
    read_at(&mut table, phoff).map_err(ProgramError::Read)?;
    let mut has_load = false;
    for ph in table.chunks_exact(PHDR_SIZE) {
        let field = |at: usize| u64::from_le_bytes(ph[at..at + 8].try_into().unwrap_or_default());
        match u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]) {
            PT_INTERP => return Err(ProgramError::Dynamic),
            PT_LOAD => {
                has_load = true;
                // p_offset + p_filesz must lie within the file.
                let (offset, filesz) = (field(8), field(32));
                if offset.checked_add(filesz).is_none_or(|end| end > file_size) {
                    return Err(ProgramError::SegmentOutsideFile);
                }
            }
            _ => {}
        }
    }
    if !has_load {
        return Err(ProgramError::NoLoad);
    }
    Ok(())
}

/// Opens and checks the program (a regular file, never blocking on a
/// FIFO: [`host_file::open_regular`]).
pub fn open(path: &Path, mem_mib: u64) -> Result<HostFile, ProgramError> {
    let program = host_file::open_regular(path).map_err(|e| match e {
        OpenError::NotFound => ProgramError::NotFound,
        OpenError::Directory => ProgramError::Directory,
        OpenError::NotRegular(kind) => ProgramError::NotRegular(kind),
        OpenError::Open(e) => ProgramError::Open(e),
        OpenError::Stat(e) => ProgramError::Read(e),
    })?;
    if !may_execute(path) {
        return Err(ProgramError::PermissionDenied);
    }
    let (file, size) = (&program.file, program.size);
    let mut header = [0u8; ELF_HEADER_SIZE];
    let n = read_prefix(file, &mut header).map_err(ProgramError::Read)?;
    check_elf(&header[..n], size, |buf, at| file.read_exact_at(buf, at))?;
    // The program must leave the kernel most of the memory (a quarter is
    // a generous bound; the kernel refuses precisely).
    if size > (mem_mib << 20) / 4 {
        return Err(ProgramError::TooLarge { size, mem_mib });
    }
    Ok(program)
}

/// Whether we may execute `path`, as execve would decide: access(X_OK),
/// which for root means some execute bit is set.
fn may_execute(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // A path with a NUL byte could not have been opened either.
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access only reads the NUL-terminated path we pass.
    unsafe { libc::access(c_path.as_ptr(), libc::X_OK) == 0 }
}

/// Reads up to `buf.len()` bytes from the start of the file.
fn read_prefix(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A static x86-64 ELF header with `phdrs` program header types.
    fn elf(kind: u16, phdrs: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; ELF_HEADER_SIZE];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&kind.to_le_bytes());
        b[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for &t in phdrs {
            let mut ph = [0u8; PHDR_SIZE];
            ph[..4].copy_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&ph);
        }
        b
    }

    fn check(b: &[u8]) -> Result<(), ProgramError> {
        let header = &b[..b.len().min(ELF_HEADER_SIZE)];
        check_elf(header, b.len() as u64, |buf, at| {
            let at = at as usize;
            let src = b
                .get(at..at + buf.len())
                .ok_or(io::ErrorKind::UnexpectedEof)?;
            buf.copy_from_slice(src);
            Ok(())
        })
    }

    #[test]
    fn accepts_static_exec_and_static_pie() {
        check(&elf(ET_EXEC, &[6, PT_LOAD, PT_LOAD])).unwrap();
        check(&elf(ET_DYN, &[PT_LOAD])).unwrap();
    }

    #[test]
    fn rejects_what_cannot_run() {
        assert!(matches!(check(b"#!/bin/sh\n"), Err(ProgramError::NotElf)));
        assert!(matches!(check(b""), Err(ProgramError::NotElf)));
        assert!(matches!(
            check(b"\x7fELF\x02\x01"),
            Err(ProgramError::Truncated)
        ));
        let mut arm = elf(ET_EXEC, &[PT_LOAD]);
        arm[18] = 183;
        assert!(matches!(check(&arm), Err(ProgramError::WrongArch)));
        let mut elf32 = elf(ET_EXEC, &[PT_LOAD]);
        elf32[4] = 1;
        assert!(matches!(check(&elf32), Err(ProgramError::WrongArch)));
        let mut be = elf(ET_EXEC, &[PT_LOAD]);
        be[5] = 2;
        assert!(matches!(check(&be), Err(ProgramError::WrongArch)));
        assert!(matches!(
            check(&elf(1, &[PT_LOAD])),
            Err(ProgramError::NotExecutable(1))
        ));
        assert!(matches!(
            check(&elf(ET_EXEC, &[PT_LOAD, PT_INTERP])),
            Err(ProgramError::Dynamic)
        ));
        assert!(matches!(
            check(&elf(ET_EXEC, &[6])),
            Err(ProgramError::NoLoad)
        ));
        assert!(matches!(
            check(&elf(ET_EXEC, &[])),
            Err(ProgramError::NoLoad)
        ));
        let full = elf(ET_EXEC, &[PT_LOAD, PT_LOAD]);
        assert!(matches!(
            check(&full[..full.len() - 1]),
            Err(ProgramError::Truncated)
        ));
        let mut far = elf(ET_EXEC, &[PT_LOAD]);
        far[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(check(&far), Err(ProgramError::Truncated)));
        let mut bad_size = elf(ET_EXEC, &[PT_LOAD]);
        bad_size[54] = 32;
        assert!(matches!(
            check(&bad_size),
            Err(ProgramError::BadProgramHeaderSize(32))
        ));
    }

    #[test]
    fn segments_must_lie_within_the_file() {
        let mut b = elf(ET_EXEC, &[PT_LOAD]);
        let len = b.len() as u64;
        let ph = ELF_HEADER_SIZE;
        b[ph + 32..ph + 40].copy_from_slice(&len.to_le_bytes());
        check(&b).unwrap();
        b[ph + 32..ph + 40].copy_from_slice(&(len + 1).to_le_bytes());
        assert!(matches!(check(&b), Err(ProgramError::SegmentOutsideFile)));
        b[ph + 8..ph + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(check(&b), Err(ProgramError::SegmentOutsideFile)));
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        let good = elf(ET_DYN, &[PT_LOAD, 4, PT_LOAD]);
        for cut in 0..good.len() {
            let _ = check(&good[..cut]);
        }
        for i in 0..good.len() {
            for v in [0u8, 0xff, 0x80] {
                let mut b = good.clone();
                b[i] = v;
                let _ = check(&b);
            }
        }
    }

    #[test]
    fn exit_codes() {
        assert_eq!(ProgramError::NotFound.exit_code(), 127);
        assert_eq!(ProgramError::Dynamic.exit_code(), 126);
        assert_eq!(ProgramError::Directory.exit_code(), 126);
        assert_eq!(ProgramError::NotRegular("a FIFO").exit_code(), 126);
    }
}
