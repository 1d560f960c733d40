//! Opening the host files lstar reads into the guest (the program,
//! `--kernel`, every `--file`): without ever blocking, and regular files
//! only.
//!
//! Why O_NONBLOCK: open(2) of a FIFO for reading waits for a writer, so a
//! FIFO given as the program would hang lstar forever before it could say
//! anything. With O_NONBLOCK the open returns at once, fstat on the open
//! file tells what it is (no path lookup between the check and the use),
//! and anything but a regular file is refused.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use lstar_abi::cmdline::FileMeta;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpenError {
    #[error("no such file")]
    NotFound,
    #[error("is a directory")]
    Directory,
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error("cannot read its metadata: {0}")]
    Stat(io::Error),
}

/// An open regular file, its size and the metadata the guest is shown.
#[derive(Debug)]
pub struct HostFile {
    pub file: File,
    pub size: u64,
    pub meta: FileMeta,
}

/// What a file that is not a regular file is, for messages.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a file lstar can read"
    }
}

/// Clears O_NONBLOCK, which the open needed and reads must not see (some
/// file systems honour it on regular files too).
pub fn clear_nonblock(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own; F_GETFL/F_SETFL take and
    // return plain integers.
    let cleared = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) == 0
    };
    if cleared {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Opens `path` for reading (O_NONBLOCK, O_CLOEXEC) and accepts it only if
/// it is a regular file.
pub fn open_regular(path: &Path) -> Result<HostFile, OpenError> {
    // std opens with O_CLOEXEC.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenError::NotFound,
            io::ErrorKind::IsADirectory => OpenError::Directory,
            _ => OpenError::Open(e),
        })?;
    let meta = file.metadata().map_err(OpenError::Stat)?;
    if meta.is_dir() {
        return Err(OpenError::Directory);
    }
    if !meta.is_file() {
        return Err(OpenError::NotRegular(kind(&meta)));
    }
    clear_nonblock(&file).map_err(OpenError::Open)?;
    Ok(HostFile {
        file,
        size: meta.len(),
        meta: FileMeta {
            mode: meta.mode() & 0o7777,
            mtime_sec: meta.mtime(),
            // st_mtim.tv_nsec is always in 0..10^9.
            mtime_nsec: u32::try_from(meta.mtime_nsec()).unwrap_or(0),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lstar-host-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn regular_files_with_their_metadata() {
        let path = scratch("plain");
        std::fs::write(&path, b"hello").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o4640))
            .unwrap();
        let f = open_regular(&path).unwrap();
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!(f.size, 5);
        assert_eq!(f.meta.mode, 0o4640);
        assert_eq!(f.meta.mtime_sec, m.mtime());
        assert_eq!(i64::from(f.meta.mtime_nsec), m.mtime_nsec());
        // SAFETY: F_GETFL on a descriptor the test owns.
        let flags = unsafe { libc::fcntl(f.file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0);
    }

    #[test]
    fn everything_else_is_refused_without_blocking() {
        assert!(matches!(
            open_regular(Path::new("/nonexistent/x")),
            Err(OpenError::NotFound)
        ));
        assert!(matches!(
            open_regular(&std::env::temp_dir()),
            Err(OpenError::Directory)
        ));
        let fifo = scratch("fifo");
        let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path only.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular(&fifo),
            Err(OpenError::NotRegular("a FIFO"))
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/null")),
            Err(OpenError::NotRegular("a character device"))
        ));
    }
}
