//! Builds the guest workspace (`guest-kernel/`: the kernel and the demo
//! program, target x86_64-unknown-none) so that `lstar` embeds both, plus
//! the kernel's symbol table, and a fresh checkout needs no second step.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::{fmt, io};

#[path = "src/ksyms.rs"]
mod ksyms;

#[path = "guest_target.rs"]
mod guest_target;

#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error("{0} is not set (not run by cargo?)")]
    Env(&'static str),
    #[error("cannot run cargo for the guest workspace: {source}")]
    Spawn { source: io::Error },
    #[error("building the guest workspace failed ({status})")]
    Failed { status: ExitStatus },
    #[error(transparent)]
    Target(#[from] guest_target::TargetError),
    #[error("{path}: {source}")]
    Io { path: Shown, source: io::Error },
    #[error("{path}: {source}")]
    Ksyms {
        path: Shown,
        source: ksyms::KsymsError,
    },
}

/// A path, displayed.
#[derive(Debug)]
struct Shown(PathBuf);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BuildError {
    let path = Shown(path.to_path_buf());
    move |source| BuildError::Io { path, source }
}

const GUEST_TARGET: &str = "x86_64-unknown-none";
const GUEST_PACKAGES: [&str; 2] = ["lstar-kernel", "lstar-demo"];

/// Variables of the outer build that must not reach the guest build: they
/// would add host flags, a host target or clippy's wrapper to it.
const LEAKY_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "CLIPPY_ARGS",
    "CLIPPY_CONF_DIR",
];

fn rerun_if_changed(path: &Path) {
    // A path that does not exist would make cargo rerun us every time.
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Builds the kernel and the demo in one cargo run: both use the guest
/// workspace's own target and flags (guest-kernel/.cargo/config.toml).
fn cargo_guest(cargo: &OsString, guest: &Path, target_dir: &Path) -> Result<(), BuildError> {
    let mut cmd = Command::new(cargo);
    cmd.current_dir(guest)
        .args(["build", "--release", "--target", GUEST_TARGET])
        .args(GUEST_PACKAGES.iter().flat_map(|p| ["-p", p]))
        .arg("--target-dir")
        .arg(target_dir);
    for var in LEAKY_ENV {
        cmd.env_remove(var);
    }
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(BuildError::Failed { status }),
        Err(source) => Err(BuildError::Spawn { source }),
    }
}

fn run() -> Result<(), BuildError> {
    let manifest_dir = PathBuf::from(
        env::var_os("CARGO_MANIFEST_DIR").ok_or(BuildError::Env("CARGO_MANIFEST_DIR"))?,
    );
    // vmm/ always sits in the workspace root.
    let root = manifest_dir.parent().unwrap_or(Path::new(".."));
    let guest = root.join("guest-kernel");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or(BuildError::Env("OUT_DIR"))?);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    for p in [
        "src",
        "demo/src",
        "Cargo.toml",
        "Cargo.lock",
        "demo/Cargo.toml",
        "build.rs",
        "demo/build.rs",
        ".cargo/config.toml",
    ] {
        rerun_if_changed(&guest.join(p));
    }
    if let Ok(entries) = fs::read_dir(&guest) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "ld") {
                rerun_if_changed(&entry.path());
            }
        }
    }
    rerun_if_changed(&root.join("abi/src"));
    rerun_if_changed(&root.join("abi/Cargo.toml"));

    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustup = OsString::from("rustup");
    if guest_target::ensure_target(&|| Command::new(&rustc), &rustup, GUEST_TARGET)?
        == guest_target::Ensured::Added
    {
        println!(
            "cargo:warning=the Rust target {GUEST_TARGET} (the guest kernel's) was missing: \
             ran `rustup target add {GUEST_TARGET}`"
        );
    }

    let target_dir = out_dir.join("guest-target");
    cargo_guest(&cargo, &guest, &target_dir)?;

    let bin_dir = target_dir.join(GUEST_TARGET).join("release");
    let kernel = bin_dir.join("lstar-kernel");
    let demo = bin_dir.join("lstar-demo");
    let kernel_elf = fs::read(&kernel).map_err(io_error(&kernel))?;
    let ksyms_blob = ksyms::build(&kernel_elf).map_err(|source| BuildError::Ksyms {
        path: Shown(kernel.clone()),
        source,
    })?;
    let ksyms_path = out_dir.join("lstar-kernel.ksyms");
    fs::write(&ksyms_path, ksyms_blob).map_err(io_error(&ksyms_path))?;

    println!("cargo:rustc-env=LSTAR_KERNEL_PATH={}", kernel.display());
    println!("cargo:rustc-env=LSTAR_DEMO_PATH={}", demo.display());
    println!("cargo:rustc-env=LSTAR_KSYMS_PATH={}", ksyms_path.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
