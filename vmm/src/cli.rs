//! The command line of `lstar` itself.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use lstar_abi::cmdline::{check_guest_path, paths_clash};
use lstar_abi::layout::{MAX_FILES, MAX_MEM_MIB, MIN_MEM_MIB};
use thiserror::Error;

use crate::guest_path::{self, DEMO_GUEST_PATH, GuestPathError};

pub const USAGE: &str = "\
Usage: lstar run [OPTIONS] [--] [PROGRAM [ARGS...]]
       lstar inspect SOCKET WHAT [--json]
       lstar trace SOCKET

Boots the lstar guest kernel under KVM and runs PROGRAM (a static x86-64
Linux executable from the host) in it; without PROGRAM, runs the built-in
demo. Exits with the program's exit status (128+N if killed by signal N);
125 if lstar failed, 126 if PROGRAM cannot be executed, 127 if not found,
124 if it was shut down through the control socket.

Options:
  --env KEY=VALUE   add KEY=VALUE to the program's environment (repeatable)
  --kernel PATH     boot this kernel ELF instead of the built-in one
  --file HOST:GUEST[:ro]
                    host file HOST at guest path GUEST, :ro read-only (repeatable)
  --mem MIB         guest memory in MiB (default 64, 16..=3072)
  --cmdline STR     extra kernel command-line parameters
  --disk PATH       attach the image file (or block device) PATH as the
                    virtio-blk disk /dev/vda; it is locked while lstar runs
  --read-only       open the --disk image read-only (the device refuses
                    writes; other read-only users may share the image)
  --quiet           kernel log off (lstar.log=quiet)
  --stats           after the program ends, print its system call counts
                    (per entry, like `strace -c`) and task work run on stderr
  --trace           print every system call of the program on stderr as it
                    happens, like strace (`name(args) = result`)
  --socket PATH     serve the control API (HTTP/1.1 + JSON, docs/api/openapi.yaml)
                    on a Unix socket at PATH, mode 0600, removed at exit
  --seccomp=off     run lstar's own threads without their seccomp filters
                    (for debugging a filter; on by default)
  --verbose         kernel boot log (lstar.log=info) and lstar's own statistics
  -h, --help        print this help
  -V, --version     print the version

`lstar inspect SOCKET WHAT` asks a running `lstar run --socket SOCKET`:
WHAT is vm, syscalls, tasks (the guest's processes, like ps), exits, blk,
regs, sregs, msrs, syscall-table (the guest kernel's system call tables,
each entry symbolized), printed as tables or as the raw JSON with --json;
or pause, resume, shutdown.

`lstar trace SOCKET` follows the system calls of a running
`lstar run --socket SOCKET`, like `strace -p -f`, until it exits: each line
starts with the calling task's `[pid N]`.
";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CliError {
    #[error("{0}")]
    Parse(String),
    #[error("--env {0:?}: expected KEY=VALUE")]
    EnvWithoutEquals(OsString),
    #[error("--env {0:?}: the KEY must not be empty")]
    EnvEmptyKey(OsString),
    #[error("--mem {0:?}: expected a whole number of MiB between {MIN_MEM_MIB} and {MAX_MEM_MIB}")]
    BadMem(OsString),
    #[error("--read-only needs --disk PATH")]
    ReadOnlyWithoutDisk,
    #[error("--disk given twice (one disk for now)")]
    TwoDisks,
    #[error("--quiet and --verbose contradict each other")]
    QuietAndVerbose,
    #[error("missing command (try `lstar run --help`)")]
    NoCommand,
    #[error("usage: lstar inspect SOCKET WHAT [--json] (WHAT: {})", INSPECT_WHAT.join("|"))]
    InspectUsage,
    #[error("usage: lstar trace SOCKET")]
    TraceUsage,
    #[error("inspect: unknown WHAT {what:?} (one of: {all})", what = .0, all = INSPECT_WHAT.join("|"))]
    InspectWhat(String),
    #[error("--file {arg:?}: {reason}")]
    File { arg: OsString, reason: FileArgError },
    #[error("--seccomp {0:?}: expected on or off")]
    BadSeccomp(OsString),
}

/// What is wrong with one `--file` value.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FileArgError {
    #[error("expected HOST:GUEST or HOST:GUEST:ro, GUEST an absolute path in the guest")]
    NoGuest,
    #[error("HOST is empty")]
    EmptyHost,
    #[error(transparent)]
    Guest(#[from] GuestPathError),
    #[error(
        "clashes with --file {0:?}: the same guest path, or one is a directory the other is in"
    )]
    Clash(OsString),
    #[error("clashes with the program's guest path {0}")]
    ClashProgram(String),
    #[error(
        "more than {MAX_FILES} --file options (the guest takes {} PVH modules: the program, \
         the kernel symbols, {MAX_FILES} files)",
        lstar_abi::layout::MAX_MODULES
    )]
    TooMany,
}

impl From<lexopt::Error> for CliError {
    fn from(e: lexopt::Error) -> CliError {
        CliError::Parse(e.to_string())
    }
}

/// How much the kernel and lstar say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

/// The program to run: its path as typed, then its arguments.
#[derive(Debug, PartialEq, Eq)]
pub struct Program {
    pub path: PathBuf,
    pub args: Vec<OsString>,
    /// Its path in the guest ([`guest_path::resolve_program`]).
    pub guest_path: Vec<u8>,
}

/// One `--file HOST:GUEST[:ro]`.
#[derive(Debug, PartialEq, Eq)]
pub struct FileOption {
    /// The value as given, for messages.
    pub arg: OsString,
    pub host: PathBuf,
    /// Absolute and normalised ([`guest_path::normalise`]).
    pub guest: Vec<u8>,
    pub read_only: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// `--env` in the order given, split at the first `=`.
    pub env: Vec<(Vec<u8>, Vec<u8>)>,
    pub kernel: Option<PathBuf>,
    pub mem_mib: u64,
    pub cmdline: Vec<OsString>,
    pub verbosity: Verbosity,
    /// `--stats`: print the guest's syscall counters at the end.
    pub stats: bool,
    /// `--trace`: print each system call as it happens.
    pub trace: bool,
    /// `--socket PATH`: the control socket.
    pub socket: Option<PathBuf>,
    /// `--disk PATH`: the virtio-blk image.
    pub disk: Option<PathBuf>,
    /// `--read-only`: open the image read-only.
    pub read_only: bool,
    /// `--file` in the order given.
    pub files: Vec<FileOption>,
    /// `None`: the embedded demo.
    pub program: Option<Program>,
    /// `--seccomp=off` clears it: no seccomp filters (seccomp.rs).
    pub seccomp: bool,
}

/// What `lstar inspect` can ask for.
pub const INSPECT_WHAT: [&str; 12] = [
    "vm",
    "syscalls",
    "tasks",
    "exits",
    "blk",
    "regs",
    "sregs",
    "msrs",
    "syscall-table",
    "pause",
    "resume",
    "shutdown",
];

#[derive(Debug, PartialEq, Eq)]
pub struct InspectOptions {
    pub socket: PathBuf,
    /// One of [`INSPECT_WHAT`].
    pub what: String,
    pub json: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            env: Vec::new(),
            kernel: None,
            mem_mib: 64,
            cmdline: Vec::new(),
            verbosity: Verbosity::Normal,
            stats: false,
            trace: false,
            socket: None,
            disk: None,
            read_only: false,
            files: Vec::new(),
            program: None,
            seccomp: true,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(RunOptions),
    Inspect(InspectOptions),
    /// `lstar trace SOCKET`.
    Trace(PathBuf),
    Help,
    Version,
}

fn parse_env(value: OsString) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    let bytes = value.as_bytes();
    let Some(eq) = bytes.iter().position(|&b| b == b'=') else {
        return Err(CliError::EnvWithoutEquals(value));
    };
    if eq == 0 {
        return Err(CliError::EnvEmptyKey(value));
    }
    Ok((bytes[..eq].to_vec(), bytes[eq + 1..].to_vec()))
}

fn parse_mem(value: OsString) -> Result<u64, CliError> {
    value
        .to_str()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|m| (MIN_MEM_MIB..=MAX_MEM_MIB).contains(m))
        .ok_or(CliError::BadMem(value))
}

/// Splits `HOST:GUEST[:ro]`: a trailing `:ro` is the read-only flag, and
/// HOST ends at the last `:` that starts an absolute GUEST (the last `:/`).
/// So HOST may contain any byte, `:` and `:/` included; GUEST cannot
/// contain `:/` nor end in `:ro`.
fn parse_file(value: OsString) -> Result<FileOption, CliError> {
    let split = |bytes: &[u8]| -> Result<_, FileArgError> {
        let (spec, read_only) = match bytes.strip_suffix(b":ro") {
            Some(spec) => (spec, true),
            None => (bytes, false),
        };
        let colon = spec
            .windows(2)
            .rposition(|w| w == b":/")
            .ok_or(FileArgError::NoGuest)?;
        let (host, guest) = (&spec[..colon], &spec[colon + 1..]);
        if host.is_empty() {
            return Err(FileArgError::EmptyHost);
        }
        let guest = guest_path::normalise(guest)?;
        Ok((PathBuf::from(OsStr::from_bytes(host)), guest, read_only))
    };
    match split(value.as_bytes()) {
        Ok((host, guest, read_only)) => Ok(FileOption {
            arg: value,
            host,
            guest,
            read_only,
        }),
        Err(reason) => Err(CliError::File { arg: value, reason }),
    }
}

/// No two `--file` guest paths clash, nor one with the program's.
fn check_clashes(files: &[FileOption], program: &[u8]) -> Result<(), CliError> {
    for (i, file) in files.iter().enumerate() {
        let clash = |reason| CliError::File {
            arg: file.arg.clone(),
            reason,
        };
        if let Some(other) = files[..i]
            .iter()
            .find(|other| paths_clash(&other.guest, &file.guest))
        {
            return Err(clash(FileArgError::Clash(other.arg.clone())));
        }
        // A program path the guest cannot take is not given to it, so
        // nothing can clash with it.
        if check_guest_path(program).is_ok() && paths_clash(program, &file.guest) {
            return Err(clash(FileArgError::ClashProgram(
                String::from_utf8_lossy(program).into_owned(),
            )));
        }
    }
    Ok(())
}

fn parse_inspect(mut parser: lexopt::Parser) -> Result<Command, CliError> {
    use lexopt::prelude::*;

    let mut values = Vec::new();
    let mut json = false;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("json") => json = true,
            Value(v) => values.push(v),
            other => return Err(other.unexpected().into()),
        }
    }
    let [socket, what] = <[OsString; 2]>::try_from(values).map_err(|_| CliError::InspectUsage)?;
    let what = what.to_string_lossy().into_owned();
    if !INSPECT_WHAT.contains(&what.as_str()) {
        return Err(CliError::InspectWhat(what));
    }
    Ok(Command::Inspect(InspectOptions {
        socket: socket.into(),
        what,
        json,
    }))
}

fn parse_trace(mut parser: lexopt::Parser) -> Result<Command, CliError> {
    use lexopt::prelude::*;

    let mut socket = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Value(v) if socket.is_none() => socket = Some(PathBuf::from(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    socket.map(Command::Trace).ok_or(CliError::TraceUsage)
}

/// Parses `lstar`'s arguments (without argv[0]).
pub fn parse<I>(args: I) -> Result<Command, CliError>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    match parser.next()? {
        Some(Long("help") | Short('h')) => return Ok(Command::Help),
        Some(Long("version") | Short('V')) => return Ok(Command::Version),
        Some(Value(cmd)) if cmd == "help" => return Ok(Command::Help),
        Some(Value(cmd)) if cmd == "run" => {}
        Some(Value(cmd)) if cmd == "inspect" => return parse_inspect(parser),
        Some(Value(cmd)) if cmd == "trace" => return parse_trace(parser),
        Some(other) => return Err(other.unexpected().into()),
        None => return Err(CliError::NoCommand),
    }

    let mut opts = RunOptions::default();
    let (mut quiet, mut verbose) = (false, false);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("env") | Short('e') => opts.env.push(parse_env(parser.value()?)?),
            Long("kernel") => opts.kernel = Some(parser.value()?.into()),
            Long("mem") => opts.mem_mib = parse_mem(parser.value()?)?,
            Long("cmdline") => opts.cmdline.push(parser.value()?),
            Long("quiet") | Short('q') => quiet = true,
            Long("verbose") | Short('v') => verbose = true,
            Long("stats") => opts.stats = true,
            Long("trace") => opts.trace = true,
            Long("socket") => opts.socket = Some(parser.value()?.into()),
            Long("disk") => {
                let path = parser.value()?;
                if opts.disk.replace(path.into()).is_some() {
                    return Err(CliError::TwoDisks);
                }
            }
            Long("read-only") => opts.read_only = true,
            Long("seccomp") => {
                let value = parser.value()?;
                opts.seccomp = match value.to_str() {
                    Some("on") => true,
                    Some("off") => false,
                    _ => return Err(CliError::BadSeccomp(value)),
                };
            }
            Long("file") => {
                let file = parse_file(parser.value()?)?;
                if opts.files.len() == MAX_FILES {
                    return Err(CliError::File {
                        arg: file.arg,
                        reason: FileArgError::TooMany,
                    });
                }
                opts.files.push(file);
            }
            Value(path) => {
                // Everything after the program is its own, even `--flags`.
                let args = parser.raw_args()?.collect();
                opts.program = Some(Program {
                    guest_path: guest_path::resolve_program(path.as_bytes()),
                    path: path.into(),
                    args,
                });
                break;
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if opts.read_only && opts.disk.is_none() {
        return Err(CliError::ReadOnlyWithoutDisk);
    }
    check_clashes(
        &opts.files,
        opts.program
            .as_ref()
            .map_or(DEMO_GUEST_PATH, |p| &p.guest_path),
    )?;
    opts.verbosity = match (quiet, verbose) {
        (true, true) => return Err(CliError::QuietAndVerbose),
        (true, false) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    Ok(Command::Run(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<RunOptions, CliError> {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        match parse(all)? {
            Command::Run(o) => Ok(o),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seccomp_is_on_unless_turned_off() {
        assert!(run(&[]).unwrap().seccomp);
        assert!(!run(&["--seccomp=off"]).unwrap().seccomp);
        assert!(!run(&["--seccomp", "off"]).unwrap().seccomp);
        assert!(run(&["--seccomp=on"]).unwrap().seccomp);
        assert_eq!(
            run(&["--seccomp=maybe"]),
            Err(CliError::BadSeccomp("maybe".into()))
        );
    }

    #[test]
    fn defaults_run_the_demo() {
        assert_eq!(run(&[]).unwrap(), RunOptions::default());
        assert_eq!(run(&["--"]).unwrap(), RunOptions::default());
    }

    #[test]
    fn options_then_program_and_its_own_flags() {
        let o = run(&[
            "--env",
            "A=1",
            "--env=B==x",
            "--mem",
            "128",
            "--cmdline",
            "foo=bar",
            "--verbose",
            "--stats",
            "--kernel",
            "/k",
            "--",
            "./hello",
            "--env",
            "-x",
        ])
        .unwrap();
        assert_eq!(
            o.env,
            [
                (b"A".to_vec(), b"1".to_vec()),
                (b"B".to_vec(), b"=x".to_vec())
            ]
        );
        assert_eq!(o.mem_mib, 128);
        assert_eq!(o.cmdline, ["foo=bar"]);
        assert_eq!(o.verbosity, Verbosity::Verbose);
        assert!(o.stats);
        assert_eq!(o.kernel, Some(PathBuf::from("/k")));
        let p = o.program.unwrap();
        assert_eq!(p.path, PathBuf::from("./hello"));
        assert_eq!(p.args, ["--env", "-x"]);
    }

    #[test]
    fn program_without_separator() {
        let p = run(&["--quiet", "/bin/echo", "-n", "hi"]).unwrap();
        assert_eq!(p.verbosity, Verbosity::Quiet);
        assert!(!p.stats);
        assert_eq!(p.program.unwrap().args, ["-n", "hi"]);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(matches!(
            run(&["--env", "NOEQUALS"]),
            Err(CliError::EnvWithoutEquals(_))
        ));
        assert!(matches!(
            run(&["--env", "=v"]),
            Err(CliError::EnvEmptyKey(_))
        ));
        assert!(matches!(run(&["--mem", "15"]), Err(CliError::BadMem(_))));
        assert!(matches!(run(&["--mem", "3073"]), Err(CliError::BadMem(_))));
        assert!(matches!(run(&["--mem", "lots"]), Err(CliError::BadMem(_))));
        assert!(run(&["--mem", "16"]).is_ok());
        assert!(run(&["--mem", "3072"]).is_ok());
        assert_eq!(
            run(&["--quiet", "--verbose"]),
            Err(CliError::QuietAndVerbose)
        );
        assert!(matches!(run(&["--bogus"]), Err(CliError::Parse(_))));
        assert!(matches!(run(&["--mem"]), Err(CliError::Parse(_))));
        assert_eq!(parse(Vec::<String>::new()), Err(CliError::NoCommand));
        assert!(matches!(parse(["frobnicate"]), Err(CliError::Parse(_))));
        assert_eq!(parse(["--help"]), Ok(Command::Help));
        assert_eq!(parse(["run", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn disk_options() {
        let o = run(&["--disk", "a.img", "--read-only", "--", "./p"]).unwrap();
        assert_eq!(o.disk, Some(PathBuf::from("a.img")));
        assert!(o.read_only);
        let o = run(&["--disk=b.img", "./p", "--read-only"]).unwrap();
        assert_eq!(o.disk, Some(PathBuf::from("b.img")));
        assert!(!o.read_only);
        assert_eq!(
            run(&["--read-only", "./p"]),
            Err(CliError::ReadOnlyWithoutDisk)
        );
        assert_eq!(
            run(&["--disk", "a", "--disk", "b"]),
            Err(CliError::TwoDisks)
        );
        assert!(matches!(run(&["--disk"]), Err(CliError::Parse(_))));
    }

    #[test]
    fn socket_and_inspect() {
        assert_eq!(
            run(&["--socket", "/tmp/s", "x"]).unwrap().socket,
            Some(PathBuf::from("/tmp/s"))
        );
        assert_eq!(
            parse(["inspect", "vm.sock", "msrs", "--json"]),
            Ok(Command::Inspect(InspectOptions {
                socket: "vm.sock".into(),
                what: "msrs".into(),
                json: true
            }))
        );
        assert_eq!(parse(["inspect", "vm.sock"]), Err(CliError::InspectUsage));
        assert_eq!(
            parse(["trace", "vm.sock"]),
            Ok(Command::Trace("vm.sock".into()))
        );
        assert_eq!(parse(["trace"]), Err(CliError::TraceUsage));
        assert!(matches!(
            parse(["run", "--trace", "x"]),
            Ok(Command::Run(RunOptions { trace: true, .. }))
        ));
        assert_eq!(
            parse(["inspect", "vm.sock", "bogus"]),
            Err(CliError::InspectWhat("bogus".into()))
        );
        assert!(matches!(
            parse(["inspect", "s", "vm", "--bad"]),
            Err(CliError::Parse(_))
        ));
    }
    fn file(arg: &str) -> Result<FileOption, CliError> {
        let mut o = run(&["--file", arg, "/bin/p"])?;
        Ok(o.files.remove(0))
    }

    fn file_err(args: &[&str]) -> FileArgError {
        match run(args) {
            Err(CliError::File { reason, .. }) => reason,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn file_options_split_at_the_last_colon_slash() {
        let f = file("data.txt:/etc/data").unwrap();
        assert_eq!(
            (f.host, f.guest, f.read_only),
            (PathBuf::from("data.txt"), b"/etc/data".to_vec(), false)
        );
        let f = file("/h/a:b:/c:/d:ro").unwrap();
        assert_eq!(
            (f.host, f.guest, f.read_only),
            (PathBuf::from("/h/a:b:/c"), b"/d".to_vec(), true)
        );
        let f = file("x:ro:/g//./y/").unwrap();
        assert_eq!((f.host, f.guest), (PathBuf::from("x:ro"), b"/g/y".to_vec()));
        // A GUEST that would end in `:ro` cannot be given.
        let f = file("h:/g:ro").unwrap();
        assert_eq!((f.guest, f.read_only), (b"/g".to_vec(), true));
        let f = file("h:/g:rw").unwrap();
        assert_eq!(f.guest, b"/g:rw".to_vec());
        assert_eq!(f.arg, "h:/g:rw");
    }

    #[test]
    fn bad_file_options() {
        for arg in ["nocolon", "h:relative", "h:", ":ro", "h:ro", ""] {
            assert_eq!(file_err(&["--file", arg]), FileArgError::NoGuest, "{arg}");
        }
        assert_eq!(file_err(&["--file", ":/x"]), FileArgError::EmptyHost);
        assert_eq!(
            file_err(&["--file", "h:/a/../b"]),
            FileArgError::Guest(GuestPathError::DotDot)
        );
        assert_eq!(
            file_err(&["--file", "h:/"]),
            FileArgError::Guest(GuestPathError::Root)
        );
        assert_eq!(
            file_err(&["--file", "h:/dev/x"]),
            FileArgError::Guest(GuestPathError::KernelDir("/dev"))
        );
        assert_eq!(
            file_err(&["--file", "h:/proc:ro"]),
            FileArgError::Guest(GuestPathError::KernelDir("/proc"))
        );
        assert_eq!(
            run(&["--file", "h:/a/../b"]).unwrap_err().to_string(),
            "--file \"h:/a/../b\": GUEST must not contain `..`"
        );
        assert!(matches!(run(&["--file"]), Err(CliError::Parse(_))));
    }

    #[test]
    fn file_clashes() {
        assert_eq!(
            file_err(&["--file", "a:/x", "--file", "b:/x/"]),
            FileArgError::Clash("a:/x".into())
        );
        assert_eq!(
            file_err(&["--file", "a:/x/y", "--file", "b:/x"]),
            FileArgError::Clash("a:/x/y".into())
        );
        assert_eq!(
            file_err(&["--file", "a:/x", "--file", "b:/x/y"]),
            FileArgError::Clash("a:/x".into())
        );
        assert!(run(&["--file", "a:/x", "--file", "b:/xy", "--file", "c:/z/x"]).is_ok());
        assert_eq!(
            file_err(&["--file", "a:/hello", "./hello"]),
            FileArgError::ClashProgram("/hello".into())
        );
        assert_eq!(
            file_err(&["--file", "a:/bin", "--", "/bin/busybox"]),
            FileArgError::ClashProgram("/bin/busybox".into())
        );
        assert_eq!(
            file_err(&["--file", "a:/target/x/hello/y", "target/x/hello"]),
            FileArgError::ClashProgram("/target/x/hello".into())
        );
        assert_eq!(
            file_err(&["--file", "a:/demo"]),
            FileArgError::ClashProgram("/demo".into())
        );
        assert_eq!(
            run(&["--file", "a:/x", "--file", "b:/x"])
                .unwrap_err()
                .to_string(),
            "--file \"b:/x\": clashes with --file \"a:/x\": the same guest path, or one is a \
             directory the other is in"
        );
    }

    #[test]
    fn at_most_62_files() {
        let args: Vec<String> = (0..=MAX_FILES).map(|i| format!("h:/f{i}")).collect();
        let mut argv: Vec<&str> = Vec::new();
        for a in &args[..MAX_FILES] {
            argv.extend(["--file", a]);
        }
        assert_eq!(run(&argv).unwrap().files.len(), 62);
        argv.extend(["--file", &args[MAX_FILES]]);
        assert_eq!(file_err(&argv), FileArgError::TooMany);
    }

    #[test]
    fn program_guest_paths() {
        let guest = |p: &str| run(&[p]).unwrap().program.unwrap().guest_path;
        assert_eq!(guest("/bin/busybox"), b"/bin/busybox");
        assert_eq!(guest("./hello"), b"/hello");
        assert_eq!(guest("target/x/hello"), b"/target/x/hello");
        assert_eq!(guest("../a/b"), b"/a/b");
    }
}
