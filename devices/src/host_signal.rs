//! The host signal port ([`lstar_abi::ports::HOST_SIGNAL_PORT`]): the
//! signals the VMM was sent and forwards to the guest's pid 1, as a bit
//! set that a 32-bit read returns and clears. Whoever sets a bit raises
//! the host signal interrupt afterwards, so the kernel reads the port.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome};

/// Signals waiting for the guest: bit N for signal N (1..=31).
#[derive(Clone, Default)]
pub struct PendingSignals(Arc<AtomicU32>);

impl PendingSignals {
    /// Marks `signo` waiting; returns false for a number the set cannot hold.
    pub fn raise(&self, signo: i32) -> bool {
        if !(1..32).contains(&signo) {
            return false;
        }
        self.0.fetch_or(1 << signo, Ordering::AcqRel);
        true
    }

    /// Whether the guest has taken every signal raised.
    pub fn is_empty(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }

    fn take(&self) -> u32 {
        self.0.swap(0, Ordering::AcqRel)
    }
}

pub struct HostSignalPort {
    pending: PendingSignals,
}

impl HostSignalPort {
    pub fn new(pending: PendingSignals) -> HostSignalPort {
        HostSignalPort { pending }
    }
}

impl PioDevice for HostSignalPort {
    fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        // Only the 32-bit read at the first port takes the set; anything
        // else reads as an unclaimed port (bit 0 set: nothing to deliver).
        if offset == 0 && data.len() == 4 {
            data.copy_from_slice(&self.pending.take().to_le_bytes());
        } else {
            data.fill(0xff);
        }
        Ok(())
    }

    fn write(&mut self, _offset: u16, _data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        Ok(WriteOutcome::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_takes_the_set_once() {
        let pending = PendingSignals::default();
        let mut port = HostSignalPort::new(pending.clone());
        assert!(pending.raise(15));
        assert!(pending.raise(2));
        assert!(!pending.raise(0));
        assert!(!pending.raise(32));
        let mut d = [0u8; 4];
        port.read(0, &mut d).unwrap();
        assert_eq!(u32::from_le_bytes(d), (1 << 15) | (1 << 2));
        port.read(0, &mut d).unwrap();
        assert_eq!(u32::from_le_bytes(d), 0);
        assert!(pending.is_empty());
        pending.raise(1);
        let mut b = [0u8; 1];
        port.read(0, &mut b).unwrap();
        assert_eq!(b, [0xff]);
        port.read(0, &mut d).unwrap();
        assert_eq!(u32::from_le_bytes(d), 1 << 1);
    }
}
