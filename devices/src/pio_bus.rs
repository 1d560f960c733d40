//! Port I/O dispatch: which device answers which port.
//!
//! One KVM_EXIT_IO may carry several elements (`rep insb/outsb`); the bus
//! hands each element to the device in turn, as the CPU would have done
//! one `in`/`out` at a time.

use thiserror::Error;

/// What a port write asks of the VMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Keep running the guest.
    Continue,
    /// The guest wrote this value to the exit port: stop the VM.
    Exit(u32),
}

/// A device failed in a way the guest cannot be allowed to ignore.
#[derive(Debug, Error)]
pub enum DeviceError {
    #[error("cannot raise the serial interrupt: {0}")]
    Interrupt(std::io::Error),
}

/// The bus was set up wrongly (a VMM bug, not a guest error).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BusError {
    #[error("port range {base:#x}+{len} overlaps a device already on the bus")]
    Overlap { base: u16, len: u16 },
    #[error("port range {base:#x}+{len} is empty or wraps past 0xffff")]
    BadRange { base: u16, len: u16 },
}

/// For the paravirtual ports that take the guest-physical address of a
/// request block: a full 32-bit write at offset 0 is a request; any other
/// access (narrow, offset) is ignored, as on a real register.
pub fn request_address(offset: u16, data: &[u8]) -> Option<u64> {
    let word = <[u8; 4]>::try_from(data).ok()?;
    (offset == 0).then(|| u64::from(u32::from_le_bytes(word)))
}

/// A device that decodes a range of I/O ports.
pub trait PioDevice: Send {
    /// An `in` of `data.len()` bytes at `offset` from the device's first port.
    fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError>;
    /// An `out` of `data.len()` bytes at `offset` from the device's first port.
    fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError>;
    /// Called once after all elements of a write exit were handled, so
    /// that side effects (console output) are batched per exit, not per
    /// byte. It may stop the machine too (output to a closed pipe).
    fn end_of_exit(&mut self) -> WriteOutcome {
        WriteOutcome::Continue
    }
}

struct Slot {
    base: u16,
    len: u16,
    name: &'static str,
    /// Exits this device handled (a `rep` string counts once).
    exits: u64,
    device: Box<dyn PioDevice>,
}

impl Slot {
    fn decodes(&self, port: u16) -> bool {
        port >= self.base && port - self.base < self.len
    }
}

/// The I/O port bus of the machine. Ports no device decodes behave like
/// an empty ISA bus: reads return all ones, writes vanish. Both are counted.
#[derive(Default)]
pub struct PioBus {
    slots: Vec<Slot>,
    unclaimed_reads: u64,
    unclaimed_writes: u64,
}

/// Splits an exit's data into elements of `size` bytes; a size that does
/// not divide the data (never produced by KVM) makes it one element.
fn element_size(size: usize, total: usize) -> usize {
    if size == 0 || !total.is_multiple_of(size) {
        total.max(1)
    } else {
        size
    }
}

impl PioBus {
    pub fn new() -> PioBus {
        PioBus::default()
    }

    /// Puts `device`, called `name` in statistics, on ports `base..base + len`.
    pub fn insert(
        &mut self,
        base: u16,
        len: u16,
        name: &'static str,
        device: Box<dyn PioDevice>,
    ) -> Result<(), BusError> {
        if len == 0 || base.checked_add(len - 1).is_none() {
            return Err(BusError::BadRange { base, len });
        }
        let last = base + (len - 1);
        if self
            .slots
            .iter()
            .any(|s| base <= s.base + (s.len - 1) && s.base <= last)
        {
            return Err(BusError::Overlap { base, len });
        }
        self.slots.push(Slot {
            base,
            len,
            name,
            exits: 0,
            device,
        });
        Ok(())
    }

    fn slot(&mut self, port: u16) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.decodes(port))
    }

    /// Handles a KVM_EXIT_IO in: `data` holds `count` elements of `size`
    /// bytes each, all read from `port`.
    pub fn read(&mut self, port: u16, size: usize, data: &mut [u8]) -> Result<(), DeviceError> {
        let step = element_size(size, data.len());
        let Some(slot) = self.slot(port) else {
            self.unclaimed_reads += 1;
            data.fill(0xff);
            return Ok(());
        };
        slot.exits += 1;
        let offset = port - slot.base;
        let mut result = Ok(());
        for element in data.chunks_mut(step) {
            result = slot.device.read(offset, element);
            if result.is_err() {
                break;
            }
        }
        result
    }

    /// Handles a KVM_EXIT_IO out: `data` holds `count` elements of `size`
    /// bytes each, all written to `port`. Elements after an exit request
    /// are dropped (the machine has stopped).
    pub fn write(
        &mut self,
        port: u16,
        size: usize,
        data: &[u8],
    ) -> Result<WriteOutcome, DeviceError> {
        let step = element_size(size, data.len());
        let Some(slot) = self.slot(port) else {
            self.unclaimed_writes += 1;
            return Ok(WriteOutcome::Continue);
        };
        slot.exits += 1;
        let offset = port - slot.base;
        let mut result = Ok(WriteOutcome::Continue);
        for element in data.chunks(step) {
            result = slot.device.write(offset, element);
            if !matches!(result, Ok(WriteOutcome::Continue)) {
                break;
            }
        }
        match (result, slot.device.end_of_exit()) {
            (Ok(WriteOutcome::Continue), stop @ WriteOutcome::Exit(_)) => Ok(stop),
            (result, _) => result,
        }
    }

    /// Accesses to ports no device decodes: (reads, writes).
    pub fn unclaimed(&self) -> (u64, u64) {
        (self.unclaimed_reads, self.unclaimed_writes)
    }

    /// Exits handled by each device, by name, in insertion order.
    pub fn exits_by_device(&self) -> Vec<(&'static str, u64)> {
        self.slots.iter().map(|s| (s.name, s.exits)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Records every access it sees.
    #[derive(Clone, Default)]
    struct Probe(Arc<Mutex<Vec<String>>>);

    impl PioDevice for Probe {
        fn read(&mut self, offset: u16, data: &mut [u8]) -> Result<(), DeviceError> {
            data.fill(offset as u8);
            self.0
                .lock()
                .unwrap()
                .push(format!("r{offset}:{}", data.len()));
            Ok(())
        }
        fn write(&mut self, offset: u16, data: &[u8]) -> Result<WriteOutcome, DeviceError> {
            self.0.lock().unwrap().push(format!("w{offset}:{data:?}"));
            if data == [0xee] {
                return Ok(WriteOutcome::Exit(7));
            }
            Ok(WriteOutcome::Continue)
        }
        fn end_of_exit(&mut self) -> WriteOutcome {
            self.0.lock().unwrap().push("end".into());
            WriteOutcome::Continue
        }
    }

    fn bus_with_probe() -> (PioBus, Probe) {
        let probe = Probe::default();
        let mut bus = PioBus::new();
        bus.insert(0x3f8, 8, "probe", Box::new(probe.clone()))
            .unwrap();
        (bus, probe)
    }

    #[test]
    fn routes_by_port_with_offsets() {
        let (mut bus, probe) = bus_with_probe();
        let mut b = [0u8; 1];
        bus.read(0x3fd, 1, &mut b).unwrap();
        assert_eq!(b, [5]);
        bus.write(0x3f8, 1, b"A").unwrap();
        assert_eq!(*probe.0.lock().unwrap(), ["r5:1", "w0:[65]", "end"]);
        assert_eq!(bus.exits_by_device(), [("probe", 2)]);
    }

    #[test]
    fn rep_string_exits_are_split_into_elements() {
        let (mut bus, probe) = bus_with_probe();
        bus.write(0x3f8, 1, b"hi!").unwrap();
        let mut w = [0u8; 4];
        bus.read(0x3f9, 2, &mut w).unwrap();
        assert_eq!(
            *probe.0.lock().unwrap(),
            ["w0:[104]", "w0:[105]", "w0:[33]", "end", "r1:2", "r1:2"]
        );
    }

    #[test]
    fn exit_request_stops_the_rest_of_a_rep() {
        let (mut bus, probe) = bus_with_probe();
        let out = bus.write(0x3f8, 1, &[1, 0xee, 2]).unwrap();
        assert_eq!(out, WriteOutcome::Exit(7));
        assert_eq!(*probe.0.lock().unwrap(), ["w0:[1]", "w0:[238]", "end"]);
    }

    /// A device whose output batch fails at the end of the exit.
    struct StopsAtEnd;
    impl PioDevice for StopsAtEnd {
        fn read(&mut self, _: u16, _: &mut [u8]) -> Result<(), DeviceError> {
            Ok(())
        }
        fn write(&mut self, _: u16, _: &[u8]) -> Result<WriteOutcome, DeviceError> {
            Ok(WriteOutcome::Continue)
        }
        fn end_of_exit(&mut self) -> WriteOutcome {
            WriteOutcome::Exit(141)
        }
    }

    #[test]
    fn end_of_exit_can_stop_the_machine() {
        let mut bus = PioBus::new();
        bus.insert(0x2f8, 8, "s", Box::new(StopsAtEnd)).unwrap();
        assert_eq!(bus.write(0x2f8, 1, b"x").unwrap(), WriteOutcome::Exit(141));
    }

    #[test]
    fn unclaimed_ports_read_all_ones_and_are_counted() {
        let (mut bus, _) = bus_with_probe();
        let mut d = [0u8; 4];
        bus.read(0x80, 4, &mut d).unwrap();
        assert_eq!(d, [0xff; 4]);
        assert_eq!(bus.write(0x400, 1, &[1]).unwrap(), WriteOutcome::Continue);
        assert_eq!(bus.unclaimed(), (1, 1));
    }

    #[test]
    fn overlapping_or_bad_ranges_are_refused() {
        let (mut bus, probe) = bus_with_probe();
        let p = || Box::new(probe.clone());
        assert_eq!(
            bus.insert(0x3ff, 1, "p", p()),
            Err(BusError::Overlap {
                base: 0x3ff,
                len: 1
            })
        );
        assert_eq!(
            bus.insert(0x3f0, 9, "p", p()),
            Err(BusError::Overlap {
                base: 0x3f0,
                len: 9
            })
        );
        assert_eq!(bus.insert(0x3f0, 8, "p", p()), Ok(()));
        assert_eq!(
            bus.insert(0xfff0, 0x20, "p", p()),
            Err(BusError::BadRange {
                base: 0xfff0,
                len: 0x20
            })
        );
        assert_eq!(
            bus.insert(0, 0, "p", p()),
            Err(BusError::BadRange { base: 0, len: 0 })
        );
    }
}
