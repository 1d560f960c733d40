//! The isa-debug-exit compatible exit port ([`lstar_abi::ports::EXIT_PORT`]).
//!
//! A write of V stops the machine; what V means (program status, kernel
//! panic, exec failure) is the VMM's business, see `lstar_abi::exit`.
//! Like QEMU's device, any write width counts, zero-extended.

use crate::pio_bus::{DeviceError, PioDevice, WriteOutcome};

/// Ports the device decodes (QEMU: `iosize=4`).
pub const EXIT_PORT_LEN: u16 = 4;

#[derive(Default)]
pub struct ExitPort;

impl PioDevice for ExitPort {
    fn read(&mut self, _offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
        // Nothing to read: behave like an unclaimed port.
        data.fill(0xff);
        Ok(())
    }

    fn write(&mut self, _offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        let mut le = [0u8; 4];
        let n = data.len().min(4);
        le[..n].copy_from_slice(&data[..n]);
        Ok(WriteOutcome::Exit(u32::from_le_bytes(le)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_of_any_width_requests_exit_with_its_value() {
        let mut p = ExitPort;
        assert_eq!(
            p.write(0, &0x101u32.to_le_bytes()).unwrap(),
            WriteOutcome::Exit(0x101)
        );
        assert_eq!(p.write(0, &[42]).unwrap(), WriteOutcome::Exit(42));
        assert_eq!(p.write(0, &[0, 1]).unwrap(), WriteOutcome::Exit(256));
        let mut d = [0u8; 4];
        p.read(0, &mut d).unwrap();
        assert_eq!(d, [0xff; 4]);
    }
}
