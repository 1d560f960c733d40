//! Host-side checks of the program before booting, so that common mistakes
//! get a clear `lstar: PATH: reason` and a shell-like status at once
//! (127 missing, 126 not executable). The guest kernel re-validates: these
//! checks are for the user's benefit, not the sandbox's safety. The ELF
//! rules are `lstar_abi::elf`'s (pure functions that fuzz/ exercises).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use lstar_abi::elf::{self, ELF_HEADER_SIZE, ElfError};
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
    /// Not a static x86-64 executable (`lstar_abi::elf`'s rules).
    #[error(transparent)]
    Elf(#[from] ElfError),
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

/// Checks an ELF header (the file's first bytes, up to
/// [`ELF_HEADER_SIZE`]) and its program headers. `read_at` reads exactly
/// `buf.len()` bytes at an offset (or fails); `file_size` bounds both.
pub fn check_elf(
    header: &[u8],
    file_size: u64,
    mut read_at: impl FnMut(&mut [u8], u64) -> io::Result<()>,
) -> Result<(), ProgramError> {
    let at = elf::check_header(header, file_size)?;
    let mut table = vec![0u8; at.len];
    read_at(&mut table, at.offset).map_err(ProgramError::Read)?;
    elf::check_program_headers(&table, file_size)?;
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
    use lstar_abi::elf::{ET_EXEC, PHDR_SIZE, PT_INTERP, PT_LOAD};

    /// A static x86-64 ELF header with `phdrs` program header types (the
    /// rules themselves are tested in lstar_abi::elf).
    fn elf(phdrs: &[u32]) -> Vec<u8> {
        let mut b = lstar_abi::elf::header(ET_EXEC, phdrs.len() as u16).to_vec();
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
    fn header_and_program_headers_are_both_checked() {
        check(&elf(&[6, PT_LOAD])).unwrap();
        assert!(matches!(
            check(b"#!/bin/sh\n"),
            Err(ProgramError::Elf(ElfError::NotElf))
        ));
        let e = check(&elf(&[PT_LOAD, PT_INTERP])).unwrap_err();
        assert!(matches!(e, ProgramError::Elf(ElfError::Dynamic)));
        assert_eq!(
            e.to_string(),
            "dynamically linked (it has an interpreter): lstar runs static executables only"
        );
        let e = check_elf(&elf(&[PT_LOAD]), 1 << 20, |_, _| {
            Err(io::ErrorKind::UnexpectedEof.into())
        })
        .unwrap_err();
        assert!(matches!(e, ProgramError::Read(_)));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(ProgramError::NotFound.exit_code(), 127);
        assert_eq!(ProgramError::Elf(ElfError::Dynamic).exit_code(), 126);
        assert_eq!(ProgramError::Directory.exit_code(), 126);
        assert_eq!(ProgramError::NotRegular("a FIFO").exit_code(), 126);
    }
}
