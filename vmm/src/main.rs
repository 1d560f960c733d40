//! `lstar`: boots the lstar guest kernel under KVM and runs one static
//! x86-64 Linux program in it, exiting with the program's status.

mod api;
mod boot;
mod cli;
mod cmdline;
mod console;
mod cpuid;
mod disk;
mod error;
mod exit_status;
mod guest_path;
mod host_file;
mod inspect;
mod ksyms;
mod kvm_stats;
mod msr;
mod program;
mod regs;
mod seccomp;
mod signals;
mod stats;
mod teardown;
mod trace;
mod vcpu;
mod vcpu_control;
mod vm;

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use lstar_abi::cmdline::{ExeToken, FileMeta, FileToken, LogLevel, SEED_LEN, check_guest_path};
use lstar_abi::ksyms::Ksyms;
use lstar_abi::layout::{FIRST_FILE_MODULE, VIRTIO_BLK_GSI, VIRTIO_MMIO_BASE, VIRTIO_MMIO_SIZE};
use lstar_abi::ports::{
    COM1, COM1_GSI, COM2, COM2_GSI, CONSOLE_STATUS_PORT, CONSOLE_WRITE_PORT, EXIT_PORT,
    HOST_SIGNAL_GSI, HOST_SIGNAL_PORT, HOST_SIGNAL_PORT_LEN, UART_PORT_COUNT,
};
use lstar_abi::stats::STATS_ADDR;
use lstar_devices::console_status::CONSOLE_STATUS_LEN;
use lstar_devices::console_write::CONSOLE_WRITE_LEN;
use lstar_devices::exit_port::EXIT_PORT_LEN;
use lstar_devices::{
    ConsoleStatus, ConsoleWrite, ExitPort, HostSignalPort, PendingSignals, PioBus,
};

use crate::boot::{FileModule, ProgramImage};
use crate::cli::{Command, RunOptions, Verbosity};
use crate::cmdline::{CmdlineParts, VirtioMmio};
use crate::error::Error;
use crate::exit_status::{GuestExit, LSTAR_FAILED, SHUT_DOWN};
use crate::vcpu::{Vcpu, VcpuEnd, VcpuError, VcpuReport};
use crate::vcpu_control::ExitStats;
use crate::vm::Vm;

/// The guest kernel, the demo program and the kernel's symbol table, built
/// by build.rs from guest-kernel/.
static KERNEL: &[u8] = include_bytes!(env!("LSTAR_KERNEL_PATH"));
static DEMO: &[u8] = include_bytes!(env!("LSTAR_DEMO_PATH"));
static KSYMS: &[u8] = include_bytes!(env!("LSTAR_KSYMS_PATH"));

/// Drops the pages of an embedded image from lstar's resident set once it
/// has been copied into guest memory: otherwise the kernel ELF is resident
/// twice, in lstar's rodata and in the guest (~0.8 MiB of the "VMM
/// overhead" scripts/bench.sh measures).
fn release_embedded(bytes: &'static [u8]) {
    const PAGE: usize = 4096;
    let start = (bytes.as_ptr() as usize).next_multiple_of(PAGE);
    let end = (bytes.as_ptr() as usize + bytes.len()) & !(PAGE - 1);
    if end > start {
        // SAFETY: [start, end) lies inside `bytes`, a static in the
        // binary's read-only, file-backed private mapping that nothing
        // writes (no relocation touches include_bytes data). MADV_DONTNEED
        // only unmaps its pages: a later read faults the same bytes in
        // again from the file. A failure leaves them resident, no harm.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// argv[0] of the embedded demo.
const DEMO_NAME: &[u8] = b"lstar-demo";
/// What the guest is told of the demo's file (no host file behind it).
const DEMO_META: FileMeta = FileMeta {
    mode: 0o755,
    mtime_sec: 0,
    mtime_nsec: 0,
};

/// Host randomness for the guest (AT_RANDOM, the kernel's RNG).
fn random_seed() -> Result<[u8; SEED_LEN], Error> {
    let mut seed = [0u8; SEED_LEN];
    // SAFETY: getrandom writes at most `seed.len()` bytes into `seed`.
    let n = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
    if n != seed.len() as isize {
        return Err(Error::Random(io::Error::last_os_error()));
    }
    Ok(seed)
}

/// Peak resident set size of this process image, in KiB: VmHWM, not
/// getrusage's ru_maxrss, which keeps the peak of the image before execve
/// (the forked shell that started us).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `0x...` with the nearest kernel symbol when there is one.
fn describe_rip(rip: Option<u64>, ksyms: Option<&[u8]>) -> String {
    let Some(rip) = rip else {
        return "unknown".to_string();
    };
    match ksyms.and_then(Ksyms::parse).and_then(|k| k.lookup(rip)) {
        Some((name, offset)) => format!("{rip:#x} <{name}+{offset:#x}>"),
        None => format!("{rip:#x}"),
    }
}

/// Reads a `--kernel` file (a regular file only: a FIFO must not hang us).
fn read_kernel(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    let host_file::HostFile { mut file, size, .. } =
        host_file::open_regular(path).map_err(|source| Error::KernelOpen {
            path: path.to_path_buf(),
            source,
        })?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|source| Error::KernelRead {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// Runs the guest; returns lstar's exit status and the VM, still open.
fn run(opts: &RunOptions, start: Instant) -> Result<(u8, Vm), Error> {
    let verbose = opts.verbosity == Verbosity::Verbose;
    // Before any thread starts: threads inherit the signal mask, and the
    // SIGSYS handler serves them all.
    seccomp::init(opts.seccomp)?;
    signals::block()?;

    // The program first: a typo should fail fast, before KVM is touched.
    let (program, argv0, args, exe): (ProgramImage<'_>, &[u8], Vec<&[u8]>, ExeToken<'_>) =
        match &opts.program {
            Some(p) => {
                let host_file::HostFile { file, size, meta } = program::open(&p.path, opts.mem_mib)
                    .map_err(|source| Error::Program {
                        path: p.path.clone(),
                        source,
                    })?;
                let args = p.args.iter().map(|a| a.as_bytes()).collect();
                (
                    ProgramImage::File { file, size },
                    p.path.as_os_str().as_bytes(),
                    args,
                    ExeToken {
                        meta,
                        path: &p.guest_path,
                    },
                )
            }
            None => (
                ProgramImage::Embedded(DEMO),
                DEMO_NAME,
                Vec::new(),
                ExeToken {
                    meta: DEMO_META,
                    path: guest_path::DEMO_GUEST_PATH,
                },
            ),
        };
    // A path the guest cannot take (too long) is not given; the program
    // still runs from module 0.
    let exe = match check_guest_path(exe.path) {
        Ok(()) => Some(exe),
        Err(e) => {
            if verbose {
                eprintln!("lstar: the program's guest path is not usable in the guest ({e:?})");
            }
            None
        }
    };

    let loaded_kernel;
    let loaded_ksyms;
    let (kernel, ksyms): (&[u8], Option<&[u8]>) = match &opts.kernel {
        None => (KERNEL, Some(KSYMS)),
        Some(path) => {
            loaded_kernel = read_kernel(path)?;
            // Without symbols the kernel still runs; its reports show bare addresses.
            loaded_ksyms = match ksyms::build(&loaded_kernel) {
                Ok(blob) => Some(blob),
                Err(e) => {
                    if verbose {
                        eprintln!("lstar: {}: no kernel symbols: {e}", path.display());
                    }
                    None
                }
            };
            (&loaded_kernel[..], loaded_ksyms.as_deref())
        }
    };

    // Every --file, open and checked: a missing one fails before KVM.
    let mut files = Vec::with_capacity(opts.files.len());
    let mut file_tokens = Vec::with_capacity(opts.files.len());
    for (f, module) in opts.files.iter().zip(FIRST_FILE_MODULE..) {
        let host_file::HostFile { file, size, meta } =
            host_file::open_regular(&f.host).map_err(|source| Error::File {
                arg: f.arg.clone(),
                host: f.host.clone(),
                source,
            })?;
        files.push(FileModule {
            file,
            size,
            host: f.host.clone(),
        });
        file_tokens.push(FileToken {
            module,
            read_only: f.read_only,
            meta,
            path: &f.guest,
        });
    }

    // Before KVM: a socket another lstar is listening on fails fast.
    let socket = match &opts.socket {
        Some(path) => {
            vcpu_control::register_kick_handler()?;
            let socket = api::SocketFile::bind(path)?;
            signals::remember_socket(path);
            Some(socket)
        }
        None => None,
    };

    // The disk image too: a locked or missing image fails before KVM.
    // An image of no whole number of sectors is refused there too.
    let image = match &opts.disk {
        Some(path) => Some(disk::open(path, opts.read_only)?),
        None => None,
    };

    let t_parsed = start.elapsed();

    let vm = Vm::new(opts.mem_mib)?;
    let t_vm = start.elapsed();
    let mut disk = image.map(|image| disk::attach(&vm, image)).transpose()?;
    let kernel_loaded = boot::load_kernel(&vm.memory, kernel)?;
    if opts.kernel.is_none() {
        release_embedded(KERNEL);
    }

    let com1 = console::com1(vm.irq_line(COM1_GSI)?);
    let com2 = console::com2(vm.irq_line(COM2_GSI)?);
    let mut bus = PioBus::new();
    let mut exit_stats = ExitStats::default();
    for (base, len, name) in [
        (COM1, UART_PORT_COUNT, "COM1"),
        (COM2, UART_PORT_COUNT, "COM2"),
        (CONSOLE_WRITE_PORT, CONSOLE_WRITE_LEN, "console-write"),
        (EXIT_PORT, EXIT_PORT_LEN, "exit"),
        (CONSOLE_STATUS_PORT, CONSOLE_STATUS_LEN, "console-status"),
        (HOST_SIGNAL_PORT, HOST_SIGNAL_PORT_LEN, "host-signal"),
    ] {
        exit_stats.add_device(base, len, name);
    }
    bus.insert(COM1, UART_PORT_COUNT, "COM1", Box::new(com1.clone()))?;
    bus.insert(COM2, UART_PORT_COUNT, "COM2", Box::new(com2.clone()))?;
    bus.insert(
        lstar_abi::ports::COPY_PORT,
        lstar_devices::copy_engine::COPY_PORT_LEN,
        "copy",
        Box::new(lstar_devices::CopyEngine::new(vm.memory.clone())),
    )?;
    bus.insert(
        CONSOLE_WRITE_PORT,
        CONSOLE_WRITE_LEN,
        "console-write",
        Box::new(ConsoleWrite::new(
            vm.memory.clone(),
            console::UartStreams {
                stdout: com1.clone(),
                stderr: com2.clone(),
            },
        )),
    )?;
    bus.insert(EXIT_PORT, EXIT_PORT_LEN, "exit", Box::new(ExitPort))?;
    bus.insert(
        CONSOLE_STATUS_PORT,
        CONSOLE_STATUS_LEN,
        "console-status",
        Box::new(ConsoleStatus::new(com1.clone())),
    )?;
    // SIGINT, SIGTERM, SIGHUP from now on go to the guest's pid 1.
    let pending_signals = PendingSignals::default();
    bus.insert(
        HOST_SIGNAL_PORT,
        HOST_SIGNAL_PORT_LEN,
        "host-signal",
        Box::new(HostSignalPort::new(pending_signals.clone())),
    )?;
    signals::spawn_forwarder(pending_signals, vm.irq_line(HOST_SIGNAL_GSI)?)?;
    // The vCPU comes before the command line, which carries its clock.
    let (vcpu_side, controller) = vcpu_control::new(exit_stats, socket.is_some());
    let shared = vcpu_side.shared.clone();
    let vcpu = Vcpu::new(
        &vm.kvm,
        &vm.fd,
        &vm.memory,
        kernel_loaded.0,
        bus,
        vcpu_side,
        disk.as_mut().and_then(disk::AttachedDisk::take_window),
    )?;
    let clock = vcpu.clock();

    let term = std::env::var_os("TERM");
    let env = cmdline::merge_env(term.as_deref().map(OsStr::as_bytes), &opts.env);
    let mut argv = Vec::with_capacity(1 + args.len());
    argv.push(argv0);
    argv.extend(args);
    let line = cmdline::build(&CmdlineParts {
        env: &env,
        seed: random_seed()?,
        log: match opts.verbosity {
            Verbosity::Quiet => Some(LogLevel::Quiet),
            Verbosity::Normal => None,
            Verbosity::Verbose => Some(LogLevel::Info),
        },
        // Always: the counters are cheap for the guest, and the area is
        // there to read whether or not --stats asks for it at the end.
        stats_addr: Some(STATS_ADDR),
        tsc_khz: clock.tsc_khz,
        epoch_ns: clock.epoch_ns,
        ring0_emulated: api::platform() == "kvm-pvm",
        tty_mask: console::host_tty_mask(),
        winsize: console::host_winsize(),
        virtio_mmio: disk.as_ref().map(|_| VirtioMmio {
            base: VIRTIO_MMIO_BASE,
            size: VIRTIO_MMIO_SIZE,
            gsi: VIRTIO_BLK_GSI,
        }),
        exe,
        files: &file_tokens,
        extra: &opts.cmdline,
        argv: &argv,
    })?;
    let layout = boot::setup(
        &vm.memory,
        vm.mem_bytes(),
        kernel_loaded,
        &line,
        program,
        ksyms,
        files,
    )?;
    let t_ready = start.elapsed();
    if verbose {
        eprintln!(
            "lstar: kernel entry {:#x}, kernel ends {:#x}, program at {:#x}, symbols at {}, {} files{}, command line {} bytes",
            layout.entry,
            layout.kernel_end,
            layout.program_addr,
            layout
                .ksyms_addr
                .map_or("(none)".to_string(), |a| format!("{a:#x}")),
            layout.file_addrs.len(),
            layout
                .file_addrs
                .last()
                .map_or(String::new(), |a| format!(" (lowest at {a:#x})")),
            line.len()
        );
    }

    if let (Some(socket), Some(control)) = (socket, controller) {
        socket.serve(api::Context {
            control,
            memory: vm.memory.clone(),
            stats_addr: STATS_ADDR,
            ksyms: ksyms.map(<[u8]>::to_vec),
            kvm_stats: vcpu.stats_fd(),
            started: Instant::now(),
            mem_mib: opts.mem_mib,
            kernel: opts
                .kernel
                .as_ref()
                .map_or_else(|| "embedded".to_string(), |p| p.display().to_string()),
            cmdline: String::from_utf8_lossy(&line).into_owned(),
            platform: api::platform(),
            blk: disk.as_ref().map(disk::AttachedDisk::stats),
            trace: std::sync::Mutex::new(None),
        })?;
    }

    // --trace: the guest starts recording before its first instruction; a
    // thread of ours drains the ring to stderr while it runs.
    let trace_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tracer = match opts.trace {
        true => trace::TraceRing::enable(vm.memory.clone(), STATS_ADDR)
            .map(|ring| trace::spawn_drainer(ring, trace_done.clone()))
            .transpose()
            .map_err(Error::TraceThread)?,
        false => None,
    };
    // The vCPU thread installs its own filter, then waits for ours: a
    // thread started after it would carry the main thread's filter too.
    let (go, wait_for_go) = std::sync::mpsc::channel();
    let vcpu_thread = vcpu.spawn(wait_for_go)?;
    seccomp::install(seccomp::Role::Main)?;
    // The vCPU thread waits on the other end until it is gone.
    let _ = go.send(());
    let report: VcpuReport = vcpu_thread.join().map_err(|_| VcpuError::Panicked)??;
    // The guest is gone: stop the device thread and let go of the image.
    let blk_stats = disk.map(|d| {
        let stats = d.stats();
        d.finish();
        stats
    });
    trace_done.store(true, std::sync::atomic::Ordering::Release);
    if let Some(tracer) = tracer {
        let _ = tracer.join();
    } else if opts.socket.is_some() {
        // A tracer attached over the socket (`lstar trace`) gets a moment to
        // read the last records before the socket goes away.
        trace::wait_for_drain(&vm.memory, STATS_ADDR, Duration::from_millis(250));
    }
    let t_end = start.elapsed();

    let code = match &report.end {
        VcpuEnd::ExitPort(value) => {
            let exit = GuestExit::from_port_value(*value);
            if let Some(message) = exit.message(&String::from_utf8_lossy(argv0)) {
                eprintln!("lstar: {message}");
            }
            exit.exit_code()
        }
        VcpuEnd::Failed { what, rip } => {
            eprintln!(
                "lstar: guest {what} at RIP {}; `dmesg` (as root) may say more",
                describe_rip(*rip, ksyms)
            );
            LSTAR_FAILED
        }
        VcpuEnd::Shutdown => {
            // Let the client that asked read its answer first.
            shared.wait_shutdown_answered(Duration::from_secs(1));
            SHUT_DOWN
        }
    };
    // Output the host refused (`> /dev/full`, a full disk, EIO): the guest
    // saw its write() fail, and lstar does not report success either.
    let code = match console::lost_output_report(&com1, &com2) {
        Some(line) => {
            eprintln!("lstar: {line}");
            if code == 0 { LSTAR_FAILED } else { code }
        }
        None => code,
    };
    shared.set_exit_status(code);

    if opts.stats {
        // After the program's own last words, as strace -c prints.
        match stats::Stats::read(&vm.memory, STATS_ADDR) {
            Ok(s) => eprint!("{}", stats::format(&s)),
            Err(e) => eprintln!("lstar: {e}"),
        }
        if let Some(blk) = &blk_stats {
            let pairs: Vec<String> = blk
                .pairs()
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            eprintln!("blk: {}", pairs.join(", "));
        }
    }

    if verbose {
        let e = &report.exits;
        eprintln!(
            "lstar: startup {:.2} ms (options {:.2} ms, KVM VM {:.2} ms, boot setup {:.2} ms), guest ran {:.2} ms, total {:.2} ms",
            ms(t_ready),
            ms(t_parsed),
            ms(t_vm - t_parsed),
            ms(t_ready - t_vm),
            ms(t_end - t_ready),
            ms(t_end)
        );
        let by_device: Vec<String> = report
            .by_device
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        eprintln!(
            "lstar: {} exits ({} port I/O: {}, unclaimed {} reads {} writes; {} MMIO, {} HLT, {} interrupted, {} other)",
            e.total(),
            e.io,
            by_device.join(", "),
            report.unclaimed.0,
            report.unclaimed.1,
            e.mmio,
            e.hlt,
            e.interrupted,
            e.other
        );
        let touched = vm.memory_touched().map(|b| b / 1024).unwrap_or(0);
        let peak = peak_rss_kib().unwrap_or(0);
        eprintln!("lstar: guest memory touched: {touched} KiB, peak RSS: {peak} KiB");
    }
    Ok((code, vm))
}

fn main() {
    let start = Instant::now();
    // A finished VM is kept open until the very end, see `teardown`.
    let (code, vm) = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            (0, None)
        }
        Ok(Command::Version) => {
            println!("lstar {}", env!("CARGO_PKG_VERSION"));
            (0, None)
        }
        Ok(Command::Inspect(opts)) => (inspect::main(&opts), None),
        Ok(Command::Trace(socket)) => (trace::follow(&socket), None),
        Ok(Command::Run(opts)) => match run(&opts, start) {
            Ok((code, vm)) => (code, Some(vm)),
            Err(e) => {
                eprintln!("lstar: {e}");
                (e.exit_code(), None)
            }
        },
        Err(e) => {
            eprintln!("lstar: {e}");
            (LSTAR_FAILED, None)
        }
    };
    let _ = io::stdout().flush();
    signals::remove_socket();
    if vm.is_some() {
        // Failure only means a slower exit.
        let _ = teardown::hand_off();
    }
    // Exit right away: process::exit drops nothing (so the VM is still
    // open for the helper), and the stdin reader, maybe blocked in read(),
    // cannot keep the process alive.
    std::process::exit(i32::from(code));
}
