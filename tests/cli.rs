//! The `lstar run` command line: the program's argv and environment, and
//! lstar's own options and their errors.

use crate::common::{Cmd, os, prog};
use std::collections::HashMap;
use std::ffi::OsString;

/// What args.c prints for this argv.
fn args_output(argv: &[&[u8]]) -> String {
    let mut out = format!("argc={}\n", argv.len());
    for (i, arg) in argv.iter().enumerate() {
        out += &format!("{i}:");
        if arg.is_empty() {
            out += "-";
        }
        for b in *arg {
            out += &format!("{b:02x}");
        }
        out += "\n";
    }
    out
}

/// Runs args.c in lstar with these arguments and checks that it sees them
/// exactly, with argv[0] the program path as given.
fn check_argv(args: &[&[u8]]) {
    let program = prog("args");
    let program_bytes = program.as_os_str().as_encoded_bytes().to_vec();
    let mut argv: Vec<&[u8]> = vec![&program_bytes];
    argv.extend_from_slice(args);
    let os_args: Vec<OsString> = args.iter().map(|a| os(a)).collect();
    Cmd::lstar_run(&program, &os_args)
        .run()
        .assert_status(0)
        .assert_stdout(args_output(&argv));
}

#[test]
fn argv_plain() {
    require_kvm!();
    check_argv(&[b"arg1", b"arg2"]);
}

#[test]
fn argv_none() {
    require_kvm!();
    check_argv(&[]);
}

#[test]
fn argv_spaces_empty_unicode_percent() {
    require_kvm!();
    check_argv(&[
        b"two words",
        b"",
        b"  leading and trailing  ",
        "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}".as_bytes(),
        b"%",
        b"100%",
        b"%41",
        b"%%",
        b"",
        b"tab\there\nnewline",
        b"--",
        b"-- lstar.env=X=1",
        b"'\"\\$`",
    ]);
}

#[test]
fn argv_every_byte_value() {
    require_kvm!();
    let all: Vec<u8> = (1..=255).collect();
    check_argv(&[&all]);
}

#[test]
fn argv_hundred_arguments() {
    require_kvm!();
    let args: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("arg{i}-{}", "x".repeat(i % 17)).into_bytes())
        .collect();
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    check_argv(&refs);
}

// ---------------------------------------------------------------------------
// Environment

/// The environment env.c sees, in order, when lstar runs with `setup`.
fn guest_env(setup: impl FnOnce(&mut Cmd)) -> Vec<String> {
    let mut cmd = Cmd::lstar();
    // Host variables that must never reach the guest.
    cmd.env("LSTAR_TEST_SECRET", "leaked")
        .env("HOME", "/host/home")
        .env("PATH", "/host/bin:/usr/bin:/bin");
    setup(&mut cmd);
    cmd.arg("--").arg(prog("env"));
    let out = cmd.run();
    out.assert_status(0);
    out.stdout_str().lines().map(String::from).collect()
}

#[test]
fn env_is_exactly_the_fixed_set_and_env_options() {
    require_kvm!();
    let env = guest_env(|cmd| {
        cmd.env("TERM", "xterm-lstar-test").args([
            "--env",
            "FOO=bar",
            "--env",
            "SPACED=a b=c \u{2713}",
            "--env",
            "EMPTY=",
            "--env",
            "PCT=100%",
        ]);
    });
    assert_eq!(
        env,
        [
            "PATH=/bin:/usr/bin",
            "HOME=/",
            "TERM=xterm-lstar-test",
            "FOO=bar",
            "SPACED=a b=c \u{2713}",
            "EMPTY=",
            "PCT=100%",
        ]
    );
}

#[test]
fn env_without_host_term() {
    require_kvm!();
    let env = guest_env(|cmd| {
        cmd.env_remove("TERM");
    });
    assert_eq!(env, ["PATH=/bin:/usr/bin", "HOME=/"]);
}

/// `--env` for a fixed variable replaces it: the key appears once, with
/// the value given.
#[test]
fn env_option_overrides_the_fixed_variables() {
    require_kvm!();
    let env = guest_env(|cmd| {
        cmd.env("TERM", "vt100").args([
            "--env",
            "HOME=/root",
            "--env",
            "PATH=/opt/bin",
            "--env",
            "TERM=dumb",
        ]);
    });
    let mut seen: HashMap<&str, Vec<&str>> = HashMap::new();
    for entry in &env {
        let (key, value) = entry
            .split_once('=')
            .unwrap_or_else(|| panic!("environment string without '=': {entry:?}"));
        seen.entry(key).or_default().push(value);
    }
    for (key, value) in [("HOME", "/root"), ("PATH", "/opt/bin"), ("TERM", "dumb")] {
        assert_eq!(
            seen.get(key).map(Vec::as_slice),
            Some(&[value][..]),
            "{key} in {env:?}"
        );
    }
    assert_eq!(env.len(), 3, "{env:?}");
}

// ---------------------------------------------------------------------------
// Options

/// lstar's own failures: status 125 and a `lstar: ` diagnostic. These need
/// no KVM (the options are wrong before any VM exists).
fn assert_rejected(args: &[&str]) {
    let mut cmd = Cmd::lstar();
    cmd.args(args);
    if !args.contains(&"--") {
        cmd.arg("--").arg(prog("hello"));
    }
    let out = cmd.run();
    out.assert_status(125).assert_lstar_message();
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn unknown_option_is_rejected() {
    assert_rejected(&["--no-such-option"]);
}

#[test]
fn env_without_equals_is_rejected() {
    assert_rejected(&["--env", "NOEQUALS"]);
}

#[test]
fn env_without_value_is_rejected() {
    assert_rejected(&["--env"]);
}

#[test]
fn mem_out_of_range_is_rejected() {
    assert_rejected(&["--mem", "15"]);
    assert_rejected(&["--mem", "3073"]);
    assert_rejected(&["--mem", "0"]);
}

#[test]
fn mem_not_a_number_is_rejected() {
    assert_rejected(&["--mem", "lots"]);
    assert_rejected(&["--mem", "-64"]);
    assert_rejected(&["--mem"]);
}

#[test]
fn missing_kernel_file_is_rejected() {
    assert_rejected(&["--kernel", "/nonexistent/lstar-kernel"]);
}

/// Unknown kernel parameters from `--cmdline` are ignored by the kernel.
#[test]
fn extra_cmdline_is_harmless() {
    require_kvm!();
    Cmd::lstar()
        .args(["--cmdline", "lstar.test.unknown=1 console=ttyS0", "--"])
        .arg(prog("hello"))
        .run()
        .assert_status(0)
        .assert_stdout("hello world\n");
}

#[test]
fn quiet_and_verbose_runs_work() {
    require_kvm!();
    for flag in ["--quiet", "--verbose"] {
        let out = Cmd::lstar().args([flag, "--"]).arg(prog("hello")).run();
        out.assert_status(0).assert_stdout("hello world\n");
        if flag == "--quiet" {
            assert!(out.stderr.is_empty(), "{}", out.describe());
        }
    }
}
