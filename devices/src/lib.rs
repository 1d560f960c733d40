//! Device models of the lstar machine. No KVM ioctls live here: the VMM's
//! vCPU loop hands every port access to a [`PioBus`], which routes it to
//! the device that decodes the port.

pub mod console_status;
pub mod console_write;
pub mod copy_engine;
pub mod exit_port;
pub mod host_signal;
pub mod pio_bus;
pub mod serial;
pub mod virtio;

pub use console_status::{ConsoleStatus, StdinSource};
pub use console_write::{ConsoleStreams, ConsoleWrite};
pub use copy_engine::CopyEngine;
pub use exit_port::ExitPort;
pub use host_signal::{HostSignalPort, PendingSignals};
pub use pio_bus::{BusError, DeviceError, PioBus, PioDevice, WriteOutcome};
pub use serial::{DirectWrite, EventFdTrigger, SharedUart, Uart};
