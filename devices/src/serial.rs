//! The 16550A UARTs (COM1, COM2): vm-superio's model plus what a console
//! needs around it: output batched per exit, and for COM1 an input queue
//! fed by a host thread that reads stdin.
//!
//! Input flow: host stdin -> `pending` (unbounded by the guest's pace, but
//! the reader blocks past [`PENDING_LIMIT`]) -> the UART's 64-byte receive
//! FIFO, topped up whenever the guest reads the receive buffer register.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use vm_superio::serial::{Error as SerialError, NoEvents};
use vm_superio::{Serial, Trigger};
use vmm_sys_util::eventfd::EventFd;

use crate::console_status::StdinSource;
use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome};

/// Bytes of host stdin held back while the guest is not reading; the stdin
/// reader waits beyond this, so a huge or endless stdin costs no memory.
pub const PENDING_LIMIT: usize = 64 * 1024;

/// The shell's status for a process killed by SIGPIPE (128 + 13).
pub const KILLED_BY_SIGPIPE: u32 = 128 + 13;

/// Initial capacity of the per-exit output batch (grows if a long
/// `rep outsb` needs more).
const OUTPUT_BATCH: usize = 4096;

// 16550 register offsets and bits this file looks at.
const DATA: u8 = 0;
const IER: u8 = 1;
const LCR: u8 = 3;
const LCR_DLAB: u8 = 0x80;
const IER_RX_DATA: u8 = 0x01;

/// The UART's interrupt line: an EventFd the VMM registers as an irqfd.
pub struct EventFdTrigger(EventFd);

impl EventFdTrigger {
    pub fn new(fd: EventFd) -> EventFdTrigger {
        EventFdTrigger(fd)
    }
}

impl Trigger for EventFdTrigger {
    type E = io::Error;

    fn trigger(&self) -> io::Result<()> {
        self.0.write(1)
    }
}

fn device_error(e: SerialError<io::Error>) -> DeviceError {
    match e {
        SerialError::Trigger(e) | SerialError::IOError(e) => DeviceError::Interrupt(e),
        // Only returned when enqueueing into a full FIFO, which we never do.
        SerialError::FullFifo => DeviceError::Interrupt(io::Error::other("receive FIFO full")),
    }
}

type InterestHook = Box<dyn FnOnce() + Send>;

/// One 16550A: registers from vm-superio, output to `sink`.
pub struct Uart<T: Trigger<E = io::Error>, W: Write> {
    // vm-superio flushes its writer after every byte; a Vec makes that free
    // and `flush_output` writes the whole batch once per exit.
    serial: Serial<T, NoEvents, Vec<u8>>,
    sink: W,
    lcr: u8,
    ier: u8,
    fifo_size: usize,
    pending: VecDeque<u8>,
    eof: bool,
    on_interest: Option<InterestHook>,
    lost_output: u64,
    /// Why the sink last refused bytes (not a closed pipe).
    last_error: Option<io::Error>,
}

/// What became of bytes written straight to a UART's sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectWrite {
    /// Written (or the machine stops: the pipe closed).
    Done(WriteOutcome),
    /// The sink refused them: the stream is full (ENOSPC on Linux).
    NoSpace,
    /// The sink refused them otherwise (EIO).
    Failed,
}

impl<T: Trigger<E = io::Error>, W: Write> Uart<T, W> {
    pub fn new(interrupt: T, sink: W) -> Self {
        // Allocated here, on the thread that builds the machine: the vCPU
        // thread then never mallocs on its hot path (nor gets its own arena).
        let serial = Serial::new(interrupt, Vec::with_capacity(OUTPUT_BATCH));
        let fifo_size = serial.fifo_capacity();
        Uart {
            serial,
            sink,
            lcr: 0,
            ier: 0,
            fifo_size,
            pending: VecDeque::new(),
            eof: false,
            on_interest: None,
            lost_output: 0,
            last_error: None,
        }
    }

    /// Runs `hook` the first time the guest shows it wants input (reads the
    /// receive buffer, enables the receive interrupt, or asks for EOF), so
    /// host stdin is left alone for programs that never read it.
    pub fn on_input_interest(&mut self, hook: InterestHook) {
        self.on_interest = Some(hook);
    }

    fn note_interest(&mut self) {
        if let Some(hook) = self.on_interest.take() {
            hook();
        }
    }

    fn dlab(&self) -> bool {
        self.lcr & LCR_DLAB != 0
    }

    /// Guest read of register `offset`.
    pub fn read_reg(&mut self, offset: u8) -> Result<u8, DeviceError> {
        let value = self.serial.read(offset);
        if offset == DATA && !self.dlab() {
            self.note_interest();
            self.refill()?;
        }
        Ok(value)
    }

    /// Guest write of `value` to register `offset`.
    pub fn write_reg(&mut self, offset: u8, value: u8) -> Result<(), DeviceError> {
        match offset {
            LCR => self.lcr = value,
            IER if !self.dlab() => {
                self.ier = value;
                if value & IER_RX_DATA != 0 {
                    self.note_interest();
                }
            }
            _ => {}
        }
        self.serial.write(offset, value).map_err(device_error)?;
        // End of input behaves like a level: a guest that arms the receive
        // interrupt after stdin ran dry gets one, so it cannot sleep
        // through the EOF (vm-superio does the same for pending data).
        if offset == IER && !self.dlab() && value & IER_RX_DATA != 0 && self.input_finished() {
            self.raise_interrupt()?;
        }
        Ok(())
    }

    /// Moves pending input into the receive FIFO as far as it has room.
    fn refill(&mut self) -> Result<(), DeviceError> {
        let room = self.serial.fifo_capacity().min(self.pending.len());
        if room == 0 {
            return Ok(());
        }
        // The FIFO holds 64 bytes: a stack buffer is always big enough.
        let mut chunk = [0u8; 64];
        let room = room.min(chunk.len());
        for (dst, src) in chunk.iter_mut().zip(self.pending.iter()).take(room) {
            *dst = *src;
        }
        let n = self
            .serial
            .enqueue_raw_bytes(&chunk[..room])
            .map_err(device_error)?;
        self.pending.drain(..n);
        Ok(())
    }

    /// Queues host input for the guest.
    pub fn push_input(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.pending.extend(bytes);
        self.refill()
    }

    /// Host stdin reached EOF. If the guest is already waiting with nothing
    /// left to read, raise the interrupt once so it looks at the console
    /// status port (a 16550 has no "end of input" interrupt; a spurious
    /// one is harmless: IIR reads "none pending").
    pub fn set_eof(&mut self) -> Result<(), DeviceError> {
        self.eof = true;
        if self.input_finished() && self.ier & IER_RX_DATA != 0 {
            self.raise_interrupt()?;
        }
        Ok(())
    }

    fn raise_interrupt(&self) -> Result<(), DeviceError> {
        self.serial
            .interrupt_evt()
            .trigger()
            .map_err(DeviceError::Interrupt)
    }

    /// True once stdin hit EOF and every byte was read out of the FIFO.
    pub fn input_finished(&self) -> bool {
        self.eof && self.pending.is_empty() && self.serial.fifo_capacity() == self.fifo_size
    }

    /// Bytes waiting to enter the FIFO.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Writes the output collected during this exit to the sink. Bytes the
    /// sink refuses are lost, like on a serial line; a closed pipe stops
    /// the machine with the status of a program killed by SIGPIPE, so that
    /// `lstar run -- yes | head -1` ends like `yes | head -1` does.
    pub fn flush_output(&mut self) -> WriteOutcome {
        let buf = self.serial.writer_mut();
        if buf.is_empty() {
            return WriteOutcome::Continue;
        }
        let written = self.sink.write_all(buf).and_then(|()| self.sink.flush());
        let lost = buf.len() as u64;
        buf.clear();
        match written {
            Ok(()) => WriteOutcome::Continue,
            Err(e) => {
                self.lost_output += lost;
                if e.kind() == io::ErrorKind::BrokenPipe {
                    WriteOutcome::Exit(KILLED_BY_SIGPIPE)
                } else {
                    self.last_error = Some(e);
                    WriteOutcome::Continue
                }
            }
        }
    }

    /// Writes `bytes` to the sink after whatever the UART has queued, so
    /// that output through the console write port and through the UART
    /// keeps its order. Same failure handling as `flush_output`, but the
    /// caller learns of a failure, to fail the guest's write() with it.
    pub fn write_direct(&mut self, bytes: &[u8]) -> DirectWrite {
        if let WriteOutcome::Exit(status) = self.flush_output() {
            return DirectWrite::Done(WriteOutcome::Exit(status));
        }
        match self.sink.write_all(bytes).and_then(|()| self.sink.flush()) {
            Ok(()) => DirectWrite::Done(WriteOutcome::Continue),
            Err(e) => {
                self.lost_output += bytes.len() as u64;
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return DirectWrite::Done(WriteOutcome::Exit(KILLED_BY_SIGPIPE));
                }
                let full = e.kind() == io::ErrorKind::StorageFull;
                self.last_error = Some(e);
                if full {
                    DirectWrite::NoSpace
                } else {
                    DirectWrite::Failed
                }
            }
        }
    }

    /// Output bytes the sink refused.
    pub fn lost_output(&self) -> u64 {
        self.lost_output
    }

    /// Why the sink last refused bytes, unless it was a closed pipe.
    pub fn last_error(&self) -> Option<&io::Error> {
        self.last_error.as_ref()
    }
}

/// A UART is 8 bits wide: a wider access touches consecutive registers, as
/// the ISA bus (and QEMU) would split it.
impl<T, W> PioDevice for Uart<T, W>
where
    T: Trigger<E = io::Error> + Send,
    W: Write + Send,
{
    fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        for (reg, byte) in (offset..).zip(data.iter_mut()) {
            *byte = match u8::try_from(reg) {
                Ok(reg) if reg < 8 => self.read_reg(reg)?,
                _ => 0xff,
            };
        }
        Ok(())
    }

    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        for (reg, &byte) in (offset..).zip(data.iter()) {
            if let Ok(reg) = u8::try_from(reg)
                && reg < 8
            {
                self.write_reg(reg, byte)?;
            }
        }
        Ok(WriteOutcome::Continue)
    }

    fn end_of_exit(&mut self) -> WriteOutcome {
        self.flush_output()
    }
}

/// COM1: a [`Uart`] shared between the vCPU thread (guest accesses) and
/// the thread that reads host stdin.
pub struct SharedUart<T: Trigger<E = io::Error>, W: Write> {
    uart: Mutex<Uart<T, W>>,
    /// Signalled when the guest made room in `pending`.
    room: Condvar,
}

impl<T: Trigger<E = io::Error>, W: Write> SharedUart<T, W> {
    pub fn new(uart: Uart<T, W>) -> Arc<Self> {
        Arc::new(SharedUart {
            uart: Mutex::new(uart),
            room: Condvar::new(),
        })
    }

    /// The UART. A panic elsewhere cannot leave it half-updated in a way
    /// that matters more than losing the console, so poison is ignored.
    pub fn lock(&self) -> MutexGuard<'_, Uart<T, W>> {
        self.uart.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues host input, first waiting while [`PENDING_LIMIT`] bytes are
    /// already waiting for the guest.
    pub fn push_input(&self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut uart = self.lock();
        while uart.pending_len() >= PENDING_LIMIT {
            uart = self.room.wait(uart).unwrap_or_else(PoisonError::into_inner);
        }
        uart.push_input(bytes)
    }

    pub fn set_eof(&self) -> Result<(), DeviceError> {
        self.lock().set_eof()
    }
}

impl<T, W> PioDevice for Arc<SharedUart<T, W>>
where
    T: Trigger<E = io::Error> + Send,
    W: Write + Send,
{
    fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        let mut uart = self.lock();
        uart.read(offset, data)?;
        if uart.pending_len() < PENDING_LIMIT {
            self.room.notify_one();
        }
        Ok(())
    }

    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        self.lock().write(offset, data)
    }

    fn end_of_exit(&mut self) -> WriteOutcome {
        self.lock().flush_output()
    }
}

impl<T, W> StdinSource for Arc<SharedUart<T, W>>
where
    T: Trigger<E = io::Error> + Send,
    W: Write + Send,
{
    fn stdin_finished(&self) -> bool {
        let mut uart = self.lock();
        uart.note_interest();
        uart.input_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const LSR: u8 = 5;
    const LSR_DATA_READY: u8 = 0x01;

    /// Counts interrupts raised.
    #[derive(Clone, Default)]
    struct Irqs(Arc<AtomicUsize>);
    impl Trigger for Irqs {
        type E = io::Error;
        fn trigger(&self) -> io::Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
    impl Irqs {
        fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A sink whose contents the test can look at.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn uart() -> (Uart<Irqs, Sink>, Irqs, Sink) {
        let (irqs, sink) = (Irqs::default(), Sink::default());
        (Uart::new(irqs.clone(), sink.clone()), irqs, sink)
    }

    #[test]
    fn output_is_batched_until_the_end_of_the_exit() {
        let (mut u, _, sink) = uart();
        u.write(0, b"h").unwrap();
        u.write(0, b"i").unwrap();
        assert!(sink.0.lock().unwrap().is_empty());
        u.end_of_exit();
        assert_eq!(*sink.0.lock().unwrap(), b"hi");
    }

    /// A sink whose reader went away.
    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_pipe_stops_the_machine_like_sigpipe() {
        let mut u = Uart::new(Irqs::default(), ClosedPipe);
        u.write(0, b"y").unwrap();
        assert_eq!(u.end_of_exit(), WriteOutcome::Exit(KILLED_BY_SIGPIPE));
        assert_eq!(u.lost_output(), 1);
        assert_eq!(u.end_of_exit(), WriteOutcome::Continue);
    }

    /// A sink that fails as `> /dev/full` does, or with EIO.
    struct Failing(io::ErrorKind);
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_sink_is_reported_to_the_direct_writer_and_counted() {
        let mut u = Uart::new(Irqs::default(), Failing(io::ErrorKind::StorageFull));
        assert_eq!(u.write_direct(b"abc"), DirectWrite::NoSpace);
        assert_eq!(u.lost_output(), 3);
        assert_eq!(
            u.last_error().map(io::Error::kind),
            Some(io::ErrorKind::StorageFull)
        );
        let mut u = Uart::new(Irqs::default(), Failing(io::ErrorKind::Other));
        assert_eq!(u.write_direct(b"ab"), DirectWrite::Failed);
        assert_eq!(u.lost_output(), 2);
        let mut u = Uart::new(Irqs::default(), ClosedPipe);
        assert_eq!(
            u.write_direct(b"ab"),
            DirectWrite::Done(WriteOutcome::Exit(KILLED_BY_SIGPIPE))
        );
        assert!(u.last_error().is_none());
    }

    #[test]
    fn divisor_latch_writes_are_not_output() {
        let (mut u, _, sink) = uart();
        u.write(3, &[LCR_DLAB]).unwrap();
        u.write(0, &[1]).unwrap();
        u.write(3, &[0x03]).unwrap();
        u.end_of_exit();
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn fifo_is_topped_up_from_pending_as_the_guest_reads() {
        let (mut u, irqs, _) = uart();
        u.write(1, &[IER_RX_DATA]).unwrap();
        let input: Vec<u8> = (0..200u8).collect();
        u.push_input(&input).unwrap();
        assert_eq!(irqs.count(), 1);
        assert_eq!(u.pending_len(), 200 - 64);
        let mut got = Vec::new();
        let mut b = [0u8];
        loop {
            u.read(u16::from(LSR), &mut b).unwrap();
            if b[0] & LSR_DATA_READY == 0 {
                break;
            }
            u.read(0, &mut b).unwrap();
            got.push(b[0]);
        }
        assert_eq!(got, input);
        assert_eq!(u.pending_len(), 0);
    }

    #[test]
    fn eof_only_once_everything_was_read() {
        let (mut u, irqs, _) = uart();
        u.write(1, &[IER_RX_DATA]).unwrap();
        u.push_input(b"ab").unwrap();
        u.set_eof().unwrap();
        assert!(!u.input_finished());
        let mut b = [0u8];
        u.read(0, &mut b).unwrap();
        assert!(!u.input_finished());
        u.read(0, &mut b).unwrap();
        assert_eq!(b, *b"b");
        assert!(u.input_finished());
        // Data arrival raised the line once; EOF with data still queued did not.
        assert_eq!(irqs.count(), 1);
    }

    #[test]
    fn eof_on_an_empty_fifo_wakes_a_waiting_reader() {
        let (mut u, irqs, _) = uart();
        u.write(1, &[IER_RX_DATA]).unwrap();
        let before = irqs.count();
        u.set_eof().unwrap();
        assert!(u.input_finished());
        assert_eq!(irqs.count(), before + 1);
    }

    #[test]
    fn arming_the_receive_interrupt_after_eof_raises_it() {
        let (mut u, irqs, _) = uart();
        u.set_eof().unwrap();
        let before = irqs.count();
        u.write(1, &[IER_RX_DATA]).unwrap();
        assert_eq!(irqs.count(), before + 1);
        u.write(1, &[0]).unwrap();
        assert_eq!(irqs.count(), before + 1);
    }

    #[test]
    fn interest_hook_runs_once_on_first_receive_access() {
        let (mut u, _, _) = uart();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        u.on_input_interest(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }));
        let mut b = [0u8];
        u.read(u16::from(LSR), &mut b).unwrap();
        u.write(0, b"x").unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        u.read(0, &mut b).unwrap();
        u.write(1, &[IER_RX_DATA]).unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn shared_uart_reports_stdin_state() {
        let (u, _, _) = uart();
        let mut shared = SharedUart::new(u);
        shared.push_input(b"z").unwrap();
        shared.set_eof().unwrap();
        assert!(!shared.stdin_finished());
        let mut b = [0u8];
        PioDevice::read(&mut shared, 0, &mut b).unwrap();
        assert_eq!(b, *b"z");
        assert!(shared.stdin_finished());
    }
}
