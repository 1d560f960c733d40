//! The isa-debug-exit compatible exit port ([`lstar_abi::ports::EXIT_PORT`]).
//!
//! A 32-bit write of V stops the machine; what V means (program status,
//! kernel panic, exec failure) is the VMM's business, see `lstar_abi::exit`.
//! docs/boot-contract.md promises a 32-bit write and the kernel makes one
//! (`outl`); any other access (8 or 16 bits, or at ports 0xf5-0xf7) is
//! ignored, so that a stray byte cannot end the VM.

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

    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
        Ok(match (offset, <[u8; 4]>::try_from(data)) {
            (0, Ok(word)) => WriteOutcome::Exit(u32::from_le_bytes(word)),
            _ => WriteOutcome::Continue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_32_bit_write_requests_exit_with_its_value() {
        let mut p = ExitPort;
        assert_eq!(
            p.write(0, &0x101u32.to_le_bytes()).unwrap(),
            WriteOutcome::Exit(0x101)
        );
        assert_eq!(p.write(0, &[42]).unwrap(), WriteOutcome::Continue);
        assert_eq!(p.write(0, &[0, 1]).unwrap(), WriteOutcome::Continue);
        for offset in 1..EXIT_PORT_LEN {
            assert_eq!(p.write(offset, &[42]).unwrap(), WriteOutcome::Continue);
            assert_eq!(
                p.write(offset, &7u32.to_le_bytes()).unwrap(),
                WriteOutcome::Continue
            );
        }
        let mut d = [0u8; 4];
        p.read(0, &mut d).unwrap();
        assert_eq!(d, [0xff; 4]);
    }
}
