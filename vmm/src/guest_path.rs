//! Paths as the guest sees them: `--file`'s GUEST, normalised and checked,
//! and the program's own path, resolved against the guest's working
//! directory `/`. Both are lexical: nothing here looks at the host's file
//! system.

use lstar_abi::cmdline::{NAME_MAX, PATH_MAX, kernel_dir};
use thiserror::Error;

/// Where the embedded demo program is in the guest.
pub const DEMO_GUEST_PATH: &[u8] = b"/demo";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum GuestPathError {
    #[error("GUEST must be an absolute path")]
    NotAbsolute,
    #[error("GUEST must not contain `..`")]
    DotDot,
    #[error("GUEST must name a file, not `/`")]
    Root,
    #[error("GUEST has a component longer than {NAME_MAX} bytes")]
    NameTooLong,
    #[error("GUEST is {0} bytes long; the guest takes at most {max}", max = PATH_MAX - 1)]
    TooLong(usize),
    #[error("GUEST is in {0}, which belongs to the guest kernel")]
    KernelDir(&'static str),
}

/// Normalises an absolute guest path lexically: `//` and `.` components
/// collapse, a trailing `/` goes; `..` is refused (what it means depends on
/// what the guest has there). The result must not be `/`, lie in `/dev` or
/// `/proc`, or exceed Linux's NAME_MAX and PATH_MAX.
pub fn normalise(guest: &[u8]) -> Result<Vec<u8>, GuestPathError> {
    if !guest.starts_with(b"/") {
        return Err(GuestPathError::NotAbsolute);
    }
    let mut out = Vec::with_capacity(guest.len());
    for name in guest.split(|&b| b == b'/') {
        match name {
            b"" | b"." => {}
            b".." => return Err(GuestPathError::DotDot),
            n if n.len() > NAME_MAX => return Err(GuestPathError::NameTooLong),
            n => {
                out.push(b'/');
                out.extend_from_slice(n);
            }
        }
    }
    if out.is_empty() {
        return Err(GuestPathError::Root);
    }
    if out.len() >= PATH_MAX {
        return Err(GuestPathError::TooLong(out.len()));
    }
    if let Some(dir) = kernel_dir(&out) {
        return Err(GuestPathError::KernelDir(dir));
    }
    Ok(out)
}

/// The program's path in the guest: `path` as given, resolved lexically
/// against `/` (the guest's working directory): `./hello` is `/hello`,
/// `target/x/hello` is `/target/x/hello`, `../a/b` is `/a/b` (`..` at the
/// root stays there). The result may still be too long for the guest
/// (`lstar_abi::cmdline::check_guest_path` says).
pub fn resolve_program(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 1);
    for name in path.split(|&b| b == b'/') {
        match name {
            b"" | b"." => {}
            b".." => {
                let parent = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(parent);
            }
            n => {
                out.push(b'/');
                out.extend_from_slice(n);
            }
        }
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Result<String, GuestPathError> {
        normalise(s.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn file_paths_normalise() {
        assert_eq!(norm("/a/b"), Ok("/a/b".into()));
        assert_eq!(norm("//a///b/"), Ok("/a/b".into()));
        assert_eq!(norm("/./a/./b/."), Ok("/a/b".into()));
        assert_eq!(norm("/a/.../b"), Ok("/a/.../b".into()));
        assert_eq!(norm("/devices"), Ok("/devices".into()));
        assert_eq!(norm("/a:b,c d"), Ok("/a:b,c d".into()));
        assert_eq!(norm("a/b"), Err(GuestPathError::NotAbsolute));
        assert_eq!(norm("/a/../b"), Err(GuestPathError::DotDot));
        assert_eq!(norm("/.."), Err(GuestPathError::DotDot));
        assert_eq!(norm("/"), Err(GuestPathError::Root));
        assert_eq!(norm("//./"), Err(GuestPathError::Root));
        assert_eq!(norm("/dev"), Err(GuestPathError::KernelDir("/dev")));
        assert_eq!(norm("//dev/./x"), Err(GuestPathError::KernelDir("/dev")));
        assert_eq!(norm("/proc/1/x"), Err(GuestPathError::KernelDir("/proc")));
        let long_name = format!("/{}", "n".repeat(NAME_MAX + 1));
        assert_eq!(norm(&long_name), Err(GuestPathError::NameTooLong));
        assert!(norm(&format!("/{}", "n".repeat(NAME_MAX))).is_ok());
        let deep = "/abc".repeat(1024);
        assert_eq!(norm(&deep), Err(GuestPathError::TooLong(4096)));
        assert!(norm(&deep[..4095]).is_ok());
        // `/./` collapses before the length counts.
        assert!(norm(&format!("/.{}", &deep[..4095])).is_ok());
    }

    fn resolve(s: &str) -> String {
        String::from_utf8(resolve_program(s.as_bytes())).unwrap()
    }

    #[test]
    fn program_paths_resolve_against_the_root() {
        assert_eq!(resolve("/bin/busybox"), "/bin/busybox");
        assert_eq!(resolve("./hello"), "/hello");
        assert_eq!(resolve("hello"), "/hello");
        assert_eq!(resolve("target/x/hello"), "/target/x/hello");
        assert_eq!(resolve("../a/b"), "/a/b");
        assert_eq!(resolve("/../../a"), "/a");
        assert_eq!(resolve("a/../../b/./c//d"), "/b/c/d");
        assert_eq!(resolve("a/b/.."), "/a");
        assert_eq!(resolve(".."), "/");
        assert_eq!(resolve("/dev/shm/p"), "/dev/shm/p");
    }
}
