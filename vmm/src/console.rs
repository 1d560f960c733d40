//! The console plumbing: COM1 <-> lstar's stdin/stdout, COM2 -> stderr,
//! and the thread that reads host stdin for COM1.

use std::io::{self, Read, Stderr, Stdout};
use std::sync::{Arc, Weak};
use std::thread;

use lstar_abi::ports::{STREAM_STDERR, STREAM_STDOUT};
use lstar_devices::{ConsoleStreams, DirectWrite, EventFdTrigger, SharedUart, Uart};
use vmm_sys_util::eventfd::EventFd;

pub type Com1 = Arc<SharedUart<EventFdTrigger, Stdout>>;
pub type Com2 = Arc<SharedUart<EventFdTrigger, Stderr>>;

/// The stdin reader needs little stack: one read buffer.
const STDIN_THREAD_STACK: usize = 64 * 1024;
const READ_CHUNK: usize = 4096;

/// COM1: the program's stdin and stdout. Host stdin is only read once the
/// guest shows interest in input, so a program that never reads leaves it
/// alone (`while read f; do lstar run -- hello; done < list` works).
pub fn com1(irq: EventFd) -> Com1 {
    let com1 = SharedUart::new(Uart::new(EventFdTrigger::new(irq), io::stdout()));
    let weak = Arc::downgrade(&com1);
    com1.lock()
        .on_input_interest(Box::new(move || spawn_stdin_reader(weak)));
    com1
}

/// COM2: the program's stderr and the kernel log.
pub fn com2(irq: EventFd) -> Com2 {
    SharedUart::new(Uart::new(EventFdTrigger::new(irq), io::stderr()))
}

/// Which of our fds 0, 1, 2 are terminals (bits 0..2): the guest's console
/// streams mirror them, so a program piped into `grep` buffers its output
/// as it would on the host, and one in a terminal sees a terminal.
pub fn host_tty_mask() -> u8 {
    (0..3).fold(0, |mask, fd| {
        // SAFETY: isatty only inspects the descriptor.
        let tty = unsafe { libc::isatty(fd) } == 1;
        mask | (u8::from(tty) << fd)
    })
}

/// The size of the first of our fds 0, 1, 2 that is a terminal.
pub fn host_winsize() -> Option<(u16, u16)> {
    (0..3).find_map(|fd| {
        let mut ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one `struct winsize` into `ws`.
        let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0;
        ok.then_some((ws.ws_row, ws.ws_col))
    })
}

/// Where the console write port sends bytes: into the UARTs' own sinks, so
/// output keeps its order whichever way it left the guest.
pub struct UartStreams {
    pub stdout: Com1,
    pub stderr: Com2,
}

impl ConsoleStreams for UartStreams {
    fn write_stream(&mut self, stream: u32, bytes: &[u8]) -> Option<DirectWrite> {
        match stream {
            STREAM_STDOUT => Some(self.stdout.lock().write_direct(bytes)),
            STREAM_STDERR => Some(self.stderr.lock().write_direct(bytes)),
            _ => None,
        }
    }
}

/// The `lstar:` line for output the host's stdout or stderr refused (other
/// than a closed pipe, which ends the run like SIGPIPE), or None if every
/// byte went out.
pub fn lost_output_report(com1: &Com1, com2: &Com2) -> Option<String> {
    fn lost<W: io::Write>(uart: &Uart<EventFdTrigger, W>) -> Option<(u64, String)> {
        let error = uart.last_error()?;
        Some((uart.lost_output(), error.to_string()))
    }
    let streams = [
        ("stdout", lost(&com1.lock())),
        ("stderr", lost(&com2.lock())),
    ];
    let mut total = 0;
    let parts: Vec<String> = streams
        .into_iter()
        .filter_map(|(name, lost)| {
            let (bytes, why) = lost?;
            total += bytes;
            Some(format!("{bytes} to {name} ({why})"))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("{total} bytes of output were lost: {}", parts.join(", ")))
}

fn spawn_stdin_reader(com1: Weak<SharedUart<EventFdTrigger, Stdout>>) {
    let spawned = thread::Builder::new()
        .name("lstar-stdin".into())
        .stack_size(STDIN_THREAD_STACK)
        .spawn(move || pump_stdin(com1));
    if let Err(e) = spawned {
        // The guest then simply never gets input; say why.
        eprintln!("lstar: cannot start the stdin reader: {e}");
    }
}

/// Copies host stdin into COM1 until EOF. Never joined: the process exits
/// with the guest's status while this may still sit in read().
fn pump_stdin(com1: Weak<SharedUart<EventFdTrigger, Stdout>>) {
    crate::seccomp::install_or_exit(crate::seccomp::Role::Stdin);
    let mut buf = [0u8; READ_CHUNK];
    let mut stdin = io::stdin().lock();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // No stdin at all (`<&-`): simply nothing to read.
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => 0,
            Err(e) => {
                eprintln!("lstar: reading stdin: {e} (treated as end of input)");
                0
            }
        };
        let Some(com1) = com1.upgrade() else {
            return;
        };
        let result = if n == 0 {
            com1.set_eof()
        } else {
            com1.push_input(&buf[..n])
        };
        if let Err(e) = result {
            eprintln!("lstar: stdin: {e}");
            return;
        }
        if n == 0 {
            return;
        }
    }
}
