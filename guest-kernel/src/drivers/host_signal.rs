//! Signals from the host: lstar forwards SIGINT, SIGTERM and SIGHUP sent
//! to `lstar run` to pid 1, as a container runtime does. lstar raises
//! HOST_SIGNAL_GSI; the handler reads (and so clears) the pending set from
//! HOST_SIGNAL_PORT and sends each signal to pid 1 as kill() from outside
//! would (SI_USER, sender pid 0). The default action of SIGTERM kills pid 1
//! like any other process: the VM then ends with its status.

use lstar_abi::ports::{HOST_SIGNAL_GSI, HOST_SIGNAL_PORT};

use crate::arch::port::inl;
use crate::kernel::signal::{self, SI_USER, SigInfo};
use crate::task;

/// Routes the interrupt (under lstar only: elsewhere nothing raises it).
pub fn init() {
    if crate::console::under_lstar() {
        crate::arch::apic::route_gsi(HOST_SIGNAL_GSI);
    }
}

/// Called from the interrupt handler.
pub fn interrupt(gsi: u32) {
    if gsi != HOST_SIGNAL_GSI {
        return;
    }
    let pending = inl(HOST_SIGNAL_PORT);
    // Bit 0 set: no lstar behind the port (all ones).
    if pending & 1 != 0 {
        return;
    }
    let Some(init) = task::find(1) else {
        return;
    };
    for sig in 1..32 {
        if pending & (1 << sig) != 0 {
            signal::send_signal(init, sig, SigInfo::from_process(sig, SI_USER, 0, 0));
        }
    }
}
