//! The guest kernel command line: environment, seed, log level, extra
//! parameters, then `--` and the program's argv (format: `lstar_abi::cmdline`).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use lstar_abi::cmdline::{
    ARGV_SEPARATOR, Encoded, ExeToken, FileToken, LogLevel, PARAM_ENV, PARAM_EPOCH_NS, PARAM_EXE,
    PARAM_FILE, PARAM_LOG, PARAM_RING0, PARAM_SEED, PARAM_STATS, PARAM_TSC_KHZ, PARAM_TTY,
    PARAM_WINSIZE, RING0_EMULATED, SEED_LEN,
};
use lstar_abi::layout::CMDLINE_MAX;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CmdlineError {
    #[error(
        "the kernel command line would be {0} bytes, more than the {max} the guest accepts \
         (too many or too long arguments, --env values or --file paths)",
        max = CMDLINE_MAX - 1
    )]
    TooLong(usize),
    #[error("--cmdline must not contain `--`: the program's argv starts there")]
    Separator,
}

/// One environment string, `KEY=VALUE`.
pub type EnvVar = (Vec<u8>, Vec<u8>);

/// The program's environment: the fixed base (`PATH`, `HOME`, `TERM` from
/// the host when set), then every `--env` in order. A later KEY replaces
/// the value of an earlier one in place; nothing else of the host leaks in.
pub fn merge_env(host_term: Option<&[u8]>, user: &[EnvVar]) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> = vec![
        (b"PATH".to_vec(), b"/bin:/usr/bin".to_vec()),
        (b"HOME".to_vec(), b"/".to_vec()),
    ];
    if let Some(term) = host_term {
        env.push((b"TERM".to_vec(), term.to_vec()));
    }
    for (key, value) in user {
        match env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1.clone_from(value),
            None => env.push((key.clone(), value.clone())),
        }
    }
    env
}

/// Everything that goes on the command line.
pub struct CmdlineParts<'a> {
    pub env: &'a [EnvVar],
    pub seed: [u8; SEED_LEN],
    /// `None`: the kernel's default.
    pub log: Option<LogLevel>,
    /// Guest-physical address of the stats area (`lstar_abi::stats`).
    pub stats_addr: Option<u64>,
    /// The guest's clock; `None` leaves the kernel to CPUID / the epoch.
    pub tsc_khz: Option<u32>,
    pub epoch_ns: Option<u64>,
    /// The host emulates ring 0 (kvm-pvm): `lstar.ring0=emulated`.
    pub ring0_emulated: bool,
    /// Which of fds 0, 1, 2 are terminals on the host (bits 0..2); the
    /// guest's console streams then behave the same way.
    pub tty_mask: u8,
    /// The host terminal's size (rows, columns), if one of them is a tty.
    pub winsize: Option<(u16, u16)>,
    /// A virtio-mmio device to announce as `virtio_mmio.device=SIZE@BASE:GSI`
    /// (Linux's convention; QEMU microvm and Firecracker emit the same).
    pub virtio_mmio: Option<VirtioMmio>,
    /// The program as a file in the guest (`lstar.exe=`).
    pub exe: Option<ExeToken<'a>>,
    /// The `--file` files (`lstar.file=`), in order.
    pub files: &'a [FileToken<'a>],
    /// `--cmdline` values, verbatim.
    pub extra: &'a [OsString],
    /// argv[0] (the program path as typed), then the arguments.
    pub argv: &'a [&'a [u8]],
}

/// Where a virtio-mmio device is: its register window and interrupt line.
#[derive(Clone, Copy, Debug)]
pub struct VirtioMmio {
    pub base: u64,
    pub size: u64,
    pub gsi: u32,
}

/// The key of the virtio-mmio device token.
pub const PARAM_VIRTIO_MMIO: &str = "virtio_mmio.device=";

/// A size as Linux's `memparse` reads it: `4K`, `1M`, or bytes.
fn mem_size(bytes: u64) -> String {
    match bytes {
        b if b != 0 && b.is_multiple_of(1 << 20) => format!("{}M", b >> 20),
        b if b != 0 && b.is_multiple_of(1 << 10) => format!("{}K", b >> 10),
        b => b.to_string(),
    }
}

/// Builds the command line (without its NUL terminator).
pub fn build(parts: &CmdlineParts<'_>) -> Result<Vec<u8>, CmdlineError> {
    let mut line = Vec::with_capacity(256);
    // Writing into a Vec cannot fail.
    let token = |line: &mut Vec<u8>, args: std::fmt::Arguments<'_>| {
        if !line.is_empty() {
            line.push(b' ');
        }
        let _ = line.write_fmt(args);
    };
    for (key, value) in parts.env {
        let mut kv = Vec::with_capacity(key.len() + 1 + value.len());
        kv.extend_from_slice(key);
        kv.push(b'=');
        kv.extend_from_slice(value);
        token(&mut line, format_args!("{PARAM_ENV}{}", Encoded(&kv)));
    }
    let mut hex = [0u8; 2 * SEED_LEN];
    for (i, b) in parts.seed.iter().enumerate() {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        hex[2 * i] = DIGITS[usize::from(b >> 4)];
        hex[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    token(&mut line, format_args!("{PARAM_SEED}{}", Encoded(&hex)));
    if let Some(level) = parts.log {
        token(&mut line, format_args!("{PARAM_LOG}{}", level.as_str()));
    }
    if let Some(addr) = parts.stats_addr {
        // 64-bit values go as exactly 16 hex digits, which the kernel
        // decodes eight at a time (every boot instruction is emulated on
        // kvm-pvm; decimal would cost it a loop per digit).
        token(&mut line, format_args!("{PARAM_STATS}{addr:#018x}"));
    }
    if let Some(khz) = parts.tsc_khz {
        token(&mut line, format_args!("{PARAM_TSC_KHZ}{khz:#018x}"));
    }
    if let Some(ns) = parts.epoch_ns {
        token(&mut line, format_args!("{PARAM_EPOCH_NS}{ns:#018x}"));
    }
    if parts.ring0_emulated {
        token(&mut line, format_args!("{PARAM_RING0}{RING0_EMULATED}"));
    }
    token(&mut line, format_args!("{PARAM_TTY}{}", parts.tty_mask));
    if let Some((rows, cols)) = parts.winsize {
        token(&mut line, format_args!("{PARAM_WINSIZE}{rows}x{cols}"));
    }
    if let Some(dev) = parts.virtio_mmio {
        token(
            &mut line,
            format_args!(
                "{PARAM_VIRTIO_MMIO}{}@{:#x}:{}",
                mem_size(dev.size),
                dev.base,
                dev.gsi
            ),
        );
    }
    if let Some(exe) = &parts.exe {
        token(&mut line, format_args!("{PARAM_EXE}{exe}"));
    }
    for file in parts.files {
        token(&mut line, format_args!("{PARAM_FILE}{file}"));
    }
    for extra in parts.extra {
        let extra = extra.as_bytes();
        if lstar_abi::cmdline::tokens(extra).any(|t| t == ARGV_SEPARATOR.as_bytes()) {
            return Err(CmdlineError::Separator);
        }
        if !extra.is_empty() {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(extra);
        }
    }
    token(&mut line, format_args!("{ARGV_SEPARATOR}"));
    for arg in parts.argv {
        token(&mut line, format_args!("{}", Encoded(arg)));
    }
    if line.len() + 1 > CMDLINE_MAX {
        return Err(CmdlineError::TooLong(line.len()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lstar_abi::cmdline::FileMeta;

    fn kv(k: &str, v: &str) -> EnvVar {
        (k.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn env_base_then_user_with_replacement_in_place() {
        let env = merge_env(
            Some(b"xterm"),
            &[
                kv("A", "1"),
                kv("HOME", "/root"),
                kv("B", "2"),
                kv("A", "3"),
            ],
        );
        assert_eq!(
            env,
            [
                kv("PATH", "/bin:/usr/bin"),
                kv("HOME", "/root"),
                kv("TERM", "xterm"),
                kv("A", "3"),
                kv("B", "2")
            ]
        );
        assert_eq!(
            merge_env(None, &[]),
            [kv("PATH", "/bin:/usr/bin"), kv("HOME", "/")]
        );
    }

    #[test]
    fn layout_and_encoding() {
        let env = [kv("PATH", "/bin"), kv("MSG", "a b%")];
        let extra = [OsString::from("console=ttyS0  x=1")];
        let line = build(&CmdlineParts {
            env: &env,
            seed: [0xab; SEED_LEN],
            log: Some(LogLevel::Info),
            stats_addr: Some(0x8_0000),
            tsc_khz: Some(2_100_000),
            ring0_emulated: true,
            epoch_ns: Some(1_700_000_000_000_000_000),
            tty_mask: 5,
            winsize: Some((24, 80)),
            virtio_mmio: Some(VirtioMmio {
                base: 0xd000_0000,
                size: 0x1000,
                gsi: 5,
            }),
            exe: Some(ExeToken {
                meta: FileMeta {
                    mode: 0o755,
                    mtime_sec: 1_700_000_000,
                    mtime_nsec: 7,
                },
                path: b"/hello",
            }),
            files: &[FileToken {
                module: 2,
                read_only: true,
                meta: FileMeta {
                    mode: 0o644,
                    mtime_sec: -5,
                    mtime_nsec: 0,
                },
                path: b"/etc/my file",
            }],
            extra: &extra,
            argv: &[b"./hello", b"two words", b""],
        })
        .unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            format!(
                "lstar.env=PATH%3D/bin lstar.env=MSG%3Da%20b%25 lstar.seed={} lstar.log=info \
                 lstar.stats=0x0000000000080000 lstar.tsc_khz=0x0000000000200b20 \
                 lstar.epoch_ns=0x17979cfe362a0000 lstar.ring0=emulated \
                 lstar.tty=5 lstar.winsize=24x80 virtio_mmio.device=4K@0xd0000000:5 \
                 lstar.exe=755,1700000000,7,/hello lstar.file=2,1,644,-5,0,/etc/my%20file \
                 console=ttyS0  x=1 -- ./hello two%20words %",
                "ab".repeat(SEED_LEN)
            )
        );
    }

    #[test]
    fn sizes_as_memparse_reads_them() {
        assert_eq!(mem_size(0x1000), "4K");
        assert_eq!(mem_size(512), "512");
        assert_eq!(mem_size(0x20_0000), "2M");
        assert_eq!(mem_size(0), "0");
    }

    #[test]
    fn seed_parses_back() {
        let seed: [u8; SEED_LEN] = core::array::from_fn(|i| (i as u8).wrapping_mul(17));
        let line = build(&CmdlineParts {
            env: &[],
            seed,
            log: None,
            stats_addr: None,
            tsc_khz: None,
            ring0_emulated: false,
            epoch_ns: None,
            tty_mask: 0,
            winsize: None,
            virtio_mmio: None,
            exe: None,
            files: &[],
            extra: &[],
            argv: &[b"p"],
        })
        .unwrap();
        let tok = lstar_abi::cmdline::tokens(&line).next().unwrap();
        assert_eq!(
            lstar_abi::cmdline::parse_seed(&tok[PARAM_SEED.len()..]),
            Some(seed)
        );
    }

    #[test]
    fn too_long_and_separator_are_errors() {
        let big = vec![b'x'; CMDLINE_MAX];
        let parts = CmdlineParts {
            env: &[],
            seed: [0; SEED_LEN],
            log: None,
            stats_addr: None,
            tsc_khz: None,
            ring0_emulated: false,
            epoch_ns: None,
            tty_mask: 0,
            winsize: None,
            virtio_mmio: None,
            exe: None,
            files: &[],
            extra: &[],
            argv: &[&big],
        };
        assert!(matches!(build(&parts), Err(CmdlineError::TooLong(_))));
        let extra = [OsString::from("a -- b")];
        let parts = CmdlineParts {
            env: &[],
            seed: [0; SEED_LEN],
            log: None,
            stats_addr: None,
            tsc_khz: None,
            ring0_emulated: false,
            epoch_ns: None,
            tty_mask: 0,
            winsize: None,
            virtio_mmio: None,
            exe: None,
            files: &[],
            extra: &extra,
            argv: &[],
        };
        assert_eq!(build(&parts).err(), Some(CmdlineError::Separator));
    }
}
