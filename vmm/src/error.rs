//! Everything that makes `lstar run` fail before or instead of the guest
//! program's own status, and the status each failure exits with.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::boot::BootError;
use crate::cli::CliError;
use crate::cmdline::CmdlineError;
use crate::exit_status::LSTAR_FAILED;
use crate::host_file::OpenError;
use crate::program::ProgramError;
use crate::vcpu::VcpuError;
use crate::vm::VmError;

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Cli(#[from] CliError),
    #[error("{}: {source}", path.display())]
    Program { path: PathBuf, source: ProgramError },
    #[error("{}: cannot read the kernel: {source}", path.display())]
    KernelOpen { path: PathBuf, source: OpenError },
    #[error("{}: cannot read the kernel: {source}", path.display())]
    KernelRead { path: PathBuf, source: io::Error },
    #[error("--file {arg:?}: {}: {source}", host.display())]
    File {
        arg: OsString,
        host: PathBuf,
        source: OpenError,
    },
    #[error("cannot get random bytes for the guest's seed: {0}")]
    Random(io::Error),
    #[error(transparent)]
    Cmdline(#[from] CmdlineError),
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error(transparent)]
    Boot(#[from] BootError),
    #[error(transparent)]
    Vcpu(#[from] VcpuError),
    #[error(transparent)]
    Device(#[from] lstar_devices::BusError),
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    #[error(transparent)]
    Control(#[from] crate::vcpu_control::ControlError),
    #[error(transparent)]
    Disk(#[from] crate::disk::DiskError),
    #[error("cannot start the trace thread: {0}")]
    TraceThread(io::Error),
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::SeccompError),
    #[error(transparent)]
    Signals(#[from] crate::signals::SignalsError),
}

impl Error {
    /// The status `lstar run` exits with (docs/boot-contract.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Program { source, .. } => source.exit_code(),
            _ => LSTAR_FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lstar_abi::elf::ElfError;

    #[test]
    fn program_errors_keep_their_shell_statuses() {
        let missing = Error::Program {
            path: "/nope".into(),
            source: ProgramError::NotFound,
        };
        assert_eq!(missing.exit_code(), 127);
        assert_eq!(missing.to_string(), "/nope: no such file");
        let dynamic = Error::Program {
            path: "x".into(),
            source: ProgramError::Elf(ElfError::Dynamic),
        };
        assert_eq!(dynamic.exit_code(), 126);
        assert_eq!(Error::Cli(CliError::NoCommand).exit_code(), 125);
        let fifo = Error::File {
            arg: "f:/x".into(),
            host: "f".into(),
            source: OpenError::NotRegular("a FIFO"),
        };
        assert_eq!(fifo.exit_code(), 125);
        assert_eq!(
            fifo.to_string(),
            "--file \"f:/x\": f: not a regular file (a FIFO)"
        );
    }
}
