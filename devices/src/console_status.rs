//! lstar's console status port ([`lstar_abi::ports::CONSOLE_STATUS_PORT`]).
//!
//! A 16550 cannot say "end of input", but a program reading stdin until
//! EOF needs one: this port tells the guest when the host's stdin is
//! exhausted and every byte of it was read out of COM1.

use lstar_abi::ports::{CONSOLE_STATUS_MAGIC, CONSOLE_STDIN_EOF};

use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome};

/// Ports the device decodes (one 32-bit register).
pub const CONSOLE_STATUS_LEN: u16 = 4;

/// Where the device learns about stdin.
pub trait StdinSource: Send {
    /// True once stdin hit EOF and the guest has read every byte of it.
    /// Asking also tells the source the guest cares about input.
    fn stdin_finished(&self) -> bool;
}

/// The status word the guest reads.
pub fn status_word(stdin_finished: bool) -> u32 {
    let mut word = CONSOLE_STATUS_MAGIC;
    if stdin_finished {
        word |= CONSOLE_STDIN_EOF;
    }
    word
}

pub struct ConsoleStatus<S> {
    stdin: S,
}

impl<S: StdinSource> ConsoleStatus<S> {
    pub fn new(stdin: S) -> Self {
        ConsoleStatus { stdin }
    }
}

impl<S: StdinSource> PioDevice for ConsoleStatus<S> {
    fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        let word = status_word(self.stdin.stdin_finished()).to_le_bytes();
        // Narrow or unaligned reads see the matching bytes of the register.
        for (i, byte) in data.iter_mut().enumerate() {
            *byte = word.get(usize::from(offset) + i).copied().unwrap_or(0xff);
        }
        Ok(())
    }

    fn write(&mut self, _offset: u16, _data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        // Read-only register.
        Ok(WriteOutcome::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Fixed(AtomicBool);
    impl StdinSource for Fixed {
        fn stdin_finished(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn reports_magic_and_eof_bit() {
        let mut dev = ConsoleStatus::new(Fixed(AtomicBool::new(false)));
        let mut d = [0u8; 4];
        dev.read(0, &mut d).unwrap();
        assert_eq!(u32::from_le_bytes(d), CONSOLE_STATUS_MAGIC);
        dev.stdin.0.store(true, Ordering::Relaxed);
        dev.read(0, &mut d).unwrap();
        assert_eq!(
            u32::from_le_bytes(d),
            CONSOLE_STATUS_MAGIC | CONSOLE_STDIN_EOF
        );
        let mut hi = [0u8; 2];
        dev.read(2, &mut hi).unwrap();
        assert_eq!(u16::from_le_bytes(hi), (CONSOLE_STATUS_MAGIC >> 16) as u16);
    }
}
