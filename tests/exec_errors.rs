//! Programs lstar cannot run: a clear `lstar: ` message, the shell's status
//! (127 missing, 126 not executable) and never a hang. The kernel or the VMM
//! may be the one that refuses; the user sees the same either way. At the
//! end, odd ELF files that Linux runs, which lstar must run too (found by
//! scripts/elf-mutate.sh).

use crate::common::{Cmd, Outcome, dynamic_prog, fixture, prog, scratch_dir};
use std::fs;
use std::path::Path;

fn run(program: &Path) -> Outcome {
    let out = Cmd::lstar_prog(program).run();
    assert!(out.stdout.is_empty(), "{}", out.describe());
    out
}

fn assert_not_executable(program: &Path) {
    run(program).assert_status(126).assert_lstar_message();
}

fn hello_bytes() -> Vec<u8> {
    let hello = prog("hello");
    fs::read(&hello).unwrap_or_else(|e| panic!("reading {}: {e}", hello.display()))
}

#[test]
fn missing_program_is_127() {
    require_kvm!();
    run(Path::new("/nonexistent/program"))
        .assert_status(127)
        .assert_lstar_message();
}

/// A static ELF without any execute bit: `lstar: PATH: Permission denied`
/// and 126, as a shell says (even for root, execve wants an x bit).
#[test]
fn program_without_execute_permission_is_126() {
    require_kvm!();
    use std::os::unix::fs::PermissionsExt;
    let path = fixture("hello-not-executable", &hello_bytes());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod 644");
    let out = run(&path);
    out.assert_status(126);
    let want = format!("lstar: {}: Permission denied", path.display());
    assert!(
        out.stderr_str().lines().any(|l| l == want),
        "no `{want}`: {}",
        out.describe()
    );
    // The same file with one execute bit runs.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o744)).expect("chmod 744");
    Cmd::lstar_prog(&path)
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}

#[test]
fn text_file_is_126() {
    require_kvm!();
    assert_not_executable(&fixture("script.sh", b"#!/bin/sh\necho hi\n"));
}

#[test]
fn empty_file_is_126() {
    require_kvm!();
    assert_not_executable(&fixture("empty", b""));
}

#[test]
fn truncated_elf_is_126() {
    require_kvm!();
    let hello = hello_bytes();
    assert_not_executable(&fixture("hello-truncated-100", &hello[..100]));
}

/// Headers intact, but the file ends in the middle of the first segment
/// after the headers.
#[test]
fn elf_cut_inside_a_segment_is_126() {
    require_kvm!();
    let hello = hello_bytes();
    assert_not_executable(&fixture("hello-truncated-half", &hello[..hello.len() / 2]));
}

#[test]
fn dynamic_elf_is_126() {
    require_kvm!();
    assert_not_executable(&dynamic_prog("hello"));
}

#[test]
fn elf32_class_is_126() {
    require_kvm!();
    let mut elf = hello_bytes();
    elf[4] = 1; // EI_CLASS = ELFCLASS32
    assert_not_executable(&fixture("hello-elfclass32", &elf));
}

#[test]
fn foreign_machine_is_126() {
    require_kvm!();
    let mut elf = hello_bytes();
    elf[18..20].copy_from_slice(&183u16.to_le_bytes()); // e_machine = EM_AARCH64
    assert_not_executable(&fixture("hello-aarch64", &elf));
}

#[test]
fn directory_is_126() {
    require_kvm!();
    assert_not_executable(&scratch_dir("a-directory"));
}

/// hello with its first PT_LOAD's p_memsz raised to 64 KiB: that
/// segment's bss covers every later segment, which Linux maps over it. The
/// guest kernel panicked on it ("min > max" in binfmt_elf's load_segment);
/// it runs, as natively.
#[test]
fn segment_covered_by_an_earlier_bss_runs() {
    require_kvm!();
    let mut elf = hello_bytes();
    let phoff = u64::from_le_bytes(elf[32..40].try_into().expect("8 bytes")) as usize;
    let first = &mut elf[phoff..phoff + 56];
    assert_eq!(
        first[..4],
        1u32.to_le_bytes(),
        "hello's first program header is a PT_LOAD"
    );
    first[40..48].copy_from_slice(&0x10000u64.to_le_bytes());
    Cmd::lstar_prog(fixture("hello-bss-covers-all", &elf))
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}
