//! Whether the Rust toolchain that builds `lstar` can also build the guest
//! (target `x86_64-unknown-none`), and adding the target with rustup when
//! it cannot. rustup installs `rust-toolchain.toml`'s targets only with a
//! toolchain it installs; an already-installed stable lacks them.
//!
//! Shared by `vmm/build.rs` and the integration tests (tests/toolchain.rs).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot run {rustc} to find the {target} standard library: {source}")]
    Rustc {
        rustc: String,
        target: &'static str,
        source: io::Error,
    },
    #[error("`{rustc} --print target-libdir --target {target}` failed ({status})")]
    RustcFailed {
        rustc: String,
        target: &'static str,
        status: ExitStatus,
    },
    #[error(
        "the Rust target {target} (the guest kernel's) is not installed and rustup was not found \
         ({source}); add it to this toolchain (with rustup: `rustup target add {target}`; \
         otherwise install your toolchain's rust-std for {target})"
    )]
    NoRustup {
        target: &'static str,
        source: io::Error,
    },
    #[error(
        "the Rust target {target} is not installed and `rustup target add {target}` failed ({status})"
    )]
    RustupFailed {
        target: &'static str,
        status: ExitStatus,
    },
    #[error(
        "`rustup target add {target}` succeeded but {libdir} still has no libcore; \
         is rustup managing the toolchain cargo uses?"
    )]
    StillMissing {
        target: &'static str,
        libdir: String,
    },
}

/// The directory where the rustc that `rustc()` runs looks for `target`'s
/// standard library.
pub fn target_libdir(
    rustc: &dyn Fn() -> Command,
    target: &'static str,
) -> Result<PathBuf, TargetError> {
    let cmd = rustc();
    let shown = || Path::new(cmd.get_program()).display().to_string();
    let out = rustc()
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .map_err(|source| TargetError::Rustc {
            rustc: shown(),
            target,
            source,
        })?;
    if !out.status.success() {
        return Err(TargetError::RustcFailed {
            rustc: shown(),
            target,
            status: out.status,
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(PathBuf::from(text.trim_end_matches(['\n', '\r'])))
}

/// Whether `libdir` holds a `libcore-*.rlib`: the target is installed.
pub fn has_libcore(libdir: &Path) -> bool {
    fs::read_dir(libdir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

/// What [`ensure_target`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Ensured {
    /// The target was there already.
    Present,
    /// `rustup target add` installed it.
    Added,
}

/// Makes sure the rustc that `rustc()` runs can build for `target`: when its standard library is
/// missing, runs `rustup target add target` (the toolchain is the one the
/// rustup proxies picked for this build, through `RUSTUP_TOOLCHAIN`).
pub fn ensure_target(
    rustc: &dyn Fn() -> Command,
    rustup: &OsStr,
    target: &'static str,
) -> Result<Ensured, TargetError> {
    let libdir = target_libdir(rustc, target)?;
    if has_libcore(&libdir) {
        return Ok(Ensured::Present);
    }
    let status = Command::new(rustup)
        .args(["target", "add", target])
        // A build script's stdout is cargo's: rustup's talk goes to stderr.
        .stdout(Stdio::from(io::stderr()))
        .status()
        .map_err(|source| TargetError::NoRustup { target, source })?;
    if !status.success() {
        return Err(TargetError::RustupFailed { target, status });
    }
    let libdir = target_libdir(rustc, target)?;
    if has_libcore(&libdir) {
        Ok(Ensured::Added)
    } else {
        Err(TargetError::StillMissing {
            target,
            libdir: libdir.display().to_string(),
        })
    }
}
