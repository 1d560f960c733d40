//! What the value the guest wrote to the exit port means for `lstar run`'s
//! own exit status (see docs/boot-contract.md).

use lstar_abi::exit::{EXEC_FAILED, KERNEL_PANIC, MAX_PROGRAM_STATUS};

/// lstar itself failed (bad option, KVM error, kernel panic, triple fault).
pub const LSTAR_FAILED: u8 = 125;
/// The program cannot be executed.
pub const CANNOT_EXECUTE: u8 = 126;
/// The VM was shut down through the control socket (`PUT /vm/actions
/// {"action": "shutdown"}`): stopped from outside, as timeout(1)'s 124.
pub const SHUT_DOWN: u8 = 124;

#[derive(Debug, PartialEq, Eq)]
pub enum GuestExit {
    /// The program's status, already in shell form (128+N for signal N).
    Program(u8),
    KernelPanic,
    ExecFailed,
    /// A value the contract does not define.
    Unknown(u32),
}

impl GuestExit {
    pub fn from_port_value(value: u32) -> GuestExit {
        match value {
            v if v <= MAX_PROGRAM_STATUS => GuestExit::Program(v as u8),
            KERNEL_PANIC => GuestExit::KernelPanic,
            EXEC_FAILED => GuestExit::ExecFailed,
            other => GuestExit::Unknown(other),
        }
    }

    /// The status `lstar run` exits with.
    pub fn exit_code(&self) -> u8 {
        match self {
            GuestExit::Program(status) => *status,
            GuestExit::KernelPanic | GuestExit::Unknown(_) => LSTAR_FAILED,
            GuestExit::ExecFailed => CANNOT_EXECUTE,
        }
    }

    /// What lstar says about it on stderr, if anything. The kernel explains
    /// an exec failure on COM2; lstar adds its own line so that scripts see
    /// an `lstar:` diagnostic whoever refused the program.
    pub fn message(&self, program: &str) -> Option<String> {
        match self {
            GuestExit::Program(_) => None,
            GuestExit::ExecFailed => Some(format!(
                "{program}: cannot execute (refused by the guest kernel)"
            )),
            GuestExit::KernelPanic => Some("guest kernel panic".to_string()),
            GuestExit::Unknown(v) => Some(format!("guest wrote unknown exit value {v:#x}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_port_values_to_statuses() {
        assert_eq!(GuestExit::from_port_value(0).exit_code(), 0);
        assert_eq!(GuestExit::from_port_value(42).exit_code(), 42);
        assert_eq!(GuestExit::from_port_value(139).exit_code(), 139);
        assert_eq!(GuestExit::from_port_value(255).exit_code(), 255);
        assert_eq!(
            GuestExit::from_port_value(KERNEL_PANIC),
            GuestExit::KernelPanic
        );
        assert_eq!(GuestExit::KernelPanic.exit_code(), 125);
        assert_eq!(
            GuestExit::KernelPanic.message("p").as_deref(),
            Some("guest kernel panic")
        );
        assert_eq!(GuestExit::from_port_value(EXEC_FAILED).exit_code(), 126);
        assert_eq!(
            GuestExit::ExecFailed.message("./x").as_deref(),
            Some("./x: cannot execute (refused by the guest kernel)")
        );
        assert_eq!(GuestExit::from_port_value(0x1234).exit_code(), 125);
        assert_eq!(GuestExit::Program(3).message("p"), None);
    }
}
