//! vmm/build.rs's check that the toolchain has the guest's target
//! (vmm/guest_target.rs), against a toolchain without it: a farm of hard
//! links to the installed toolchain's rustc and libraries, with the host's
//! rustlib and no `x86_64-unknown-none`.

#[path = "../vmm/guest_target.rs"]
mod guest_target;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use guest_target::{Ensured, TargetError, ensure_target, has_libcore, target_libdir};

const TARGET: &str = "x86_64-unknown-none";

fn sysroot() -> PathBuf {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("running rustc --print sysroot");
    assert!(out.status.success(), "rustc --print sysroot failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A toolchain whose rustc is the installed one but whose sysroot has only
/// the host's standard library, or `None` (reported) where hard links to the
/// toolchain cannot be made.
fn toolchain_without_target() -> Option<PathBuf> {
    let real = sysroot();
    let farm = crate::common::scratch_dir("toolchain-without-target");
    let _ = fs::remove_dir_all(&farm);
    fs::create_dir_all(farm.join("bin")).expect("mkdir bin");
    fs::create_dir_all(farm.join("lib/rustlib")).expect("mkdir lib/rustlib");
    let link = |from: &Path, to: &Path| match fs::hard_link(from, to) {
        Ok(()) => true,
        Err(e) => {
            crate::common::report_skip(&format!("cannot hard-link {}: {e}", from.display()));
            false
        }
    };
    if !link(&real.join("bin/rustc"), &farm.join("bin/rustc")) {
        return None;
    }
    for entry in fs::read_dir(real.join("lib")).expect("reading the toolchain's lib/") {
        let entry = entry.expect("a lib/ entry");
        let name = entry.file_name();
        if name.to_string_lossy().contains(".so")
            && !link(&entry.path(), &farm.join("lib").join(&name))
        {
            return None;
        }
    }
    let host = String::from_utf8_lossy(
        &Command::new(farm.join("bin/rustc"))
            .args(["--print", "host-tuple"])
            .output()
            .expect("rustc --print host-tuple")
            .stdout,
    )
    .trim()
    .to_string();
    symlink(
        real.join("lib/rustlib").join(&host),
        farm.join("lib/rustlib").join(&host),
    )
    .expect("symlinking the host's rustlib");
    Some(farm)
}

#[test]
fn the_installed_toolchain_has_the_guest_target() {
    let libdir = target_libdir(&|| Command::new("rustc"), TARGET).expect("target-libdir");
    assert!(has_libcore(&libdir), "{} has no libcore", libdir.display());
    assert_eq!(
        ensure_target(
            &|| Command::new("rustc"),
            OsStr::new("/nonexistent/rustup"),
            TARGET
        )
        .expect("present"),
        Ensured::Present
    );
}

#[test]
fn a_toolchain_without_the_guest_target_is_seen_and_named() {
    let Some(farm) = toolchain_without_target() else {
        return;
    };
    // Cargo runs tests with the real toolchain's lib/ in LD_LIBRARY_PATH:
    // without it the farm's rustc finds its libraries, and so its sysroot,
    // in the farm.
    let rustc_path = farm.join("bin/rustc");
    let rustc = || {
        let mut cmd = Command::new(&rustc_path);
        cmd.env_remove("LD_LIBRARY_PATH");
        cmd
    };
    let libdir = target_libdir(&rustc, TARGET).expect("target-libdir");
    assert!(
        libdir.starts_with(&farm),
        "{} is not in the farm",
        libdir.display()
    );
    assert!(!has_libcore(&libdir), "{} has a libcore", libdir.display());

    // Without rustup: a clear error naming the target and the fix.
    let err = ensure_target(&rustc, OsStr::new("/nonexistent/rustup"), TARGET)
        .expect_err("the target is missing");
    assert!(matches!(err, TargetError::NoRustup { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(TARGET) && message.contains("rustup target add x86_64-unknown-none"),
        "{message}"
    );

    // A rustup that fails (here `false`): its failure, not a later
    // "can't find crate for core".
    let err = ensure_target(&rustc, OsStr::new("false"), TARGET)
        .expect_err("the target is still missing");
    assert!(matches!(err, TargetError::RustupFailed { .. }), "{err:?}");

    // A rustup that "succeeds" without installing anything (`true`).
    let err =
        ensure_target(&rustc, OsStr::new("true"), TARGET).expect_err("the target is still missing");
    assert!(matches!(err, TargetError::StillMissing { .. }), "{err:?}");
}
