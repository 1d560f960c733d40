//! What the boot loader hands over: the PVH start info (memory map, command
//! line, modules) and the parameters on the command line.

use alloc::vec::Vec;

use lstar_abi::cmdline::{self, LogLevel};
use lstar_abi::pvh::{
    HvmMemmapTableEntry, HvmModlistEntry, HvmStartInfo, MEMMAP_TYPE_RAM, START_MAGIC,
};

use crate::arch::string::find_byte;
use crate::mm::phys_to_virt;

pub struct Module {
    pub paddr: u64,
    pub size: u64,
}

/// A host file handed over as a PVH module, and where it belongs in the
/// guest's file system (`lstar.file=`, `lstar.exe=`, `lstar_abi::cmdline`).
/// The module's frames are reserved; it starts on a page boundary and the
/// rest of its last page is zero.
pub struct BootFile {
    pub paddr: u64,
    pub size: u64,
    /// Absolute and normal (`lstar_abi::cmdline::check_guest_path`).
    pub path: Vec<u8>,
    pub read_only: bool,
    /// Permission bits (`st_mode & 0o7777` on the host).
    pub mode: u32,
    /// st_mtime: (seconds, nanoseconds).
    pub mtime: (i64, u32),
}

/// Everything the kernel keeps from boot.
pub struct BootParams {
    pub modules: Vec<Module>,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    pub seed: Option<[u8; cmdline::SEED_LEN]>,
    pub log_level: LogLevel,
    pub stats_addr: Option<u64>,
    pub tsc_khz: Option<u64>,
    /// `lstar.ring0=emulated`: ring-0 instructions are emulated (kvm-pvm).
    pub ring0_emulated: bool,
    pub epoch_ns: Option<u64>,
    pub selftest: Option<&'static [u8]>,
    /// Which of fds 0, 1, 2 are terminals (bits 0..2).
    pub tty_mask: u32,
    pub winsize: Option<(u16, u16)>,
    /// `virtio_mmio.device=SIZE@ADDR:IRQ`: (address, GSI).
    pub virtio_mmio: Option<(u64, u32)>,
    /// `lstar.file=`: the host files, in command-line order.
    pub files: Vec<BootFile>,
    /// `lstar.exe=`: the program (module 0) as a file.
    pub exe: Option<BootFile>,
    /// Tokens that were not understood (reported once logging is set up).
    pub bad_tokens: usize,
}

/// # Safety
/// `phys` must be the start info address the PVH loader passed in EBX.
unsafe fn read<T: Copy>(phys: u64) -> T {
    // SAFETY: the caller guarantees the structure is there; the direct map
    // covers all guest memory below 4 GiB.
    unsafe { core::ptr::read_unaligned(phys_to_virt(phys) as *const T) }
}

/// A NUL-terminated string in guest memory, at most `max` bytes.
fn c_string(phys: u64, max: usize) -> &'static [u8] {
    if phys == 0 {
        return &[];
    }
    // SAFETY: the loader placed a NUL-terminated string there; the scan is
    // bounded by `max` within the direct map.
    let bytes = unsafe { core::slice::from_raw_parts(phys_to_virt(phys) as *const u8, max) };
    let len = find_byte(bytes, 0).unwrap_or(max);
    &bytes[..len]
}

/// Reads the start info and registers RAM with the frame allocator.
/// Returns None when EBX does not point at a PVH start info.
pub fn parse(start_info: u64) -> Option<BootParams> {
    // SAFETY: EBX from the PVH entry; the magic is checked before use.
    let info: HvmStartInfo = unsafe { read(start_info) };
    if info.magic != START_MAGIC {
        return None;
    }
    let mut modules = Vec::with_capacity(4);
    let nr_modules = (info.nr_modules as usize).min(lstar_abi::layout::MAX_MODULES);
    for i in 0..nr_modules as u64 {
        // SAFETY: nr_modules entries follow modlist_paddr (PVH spec).
        let m: HvmModlistEntry = unsafe { read(info.modlist_paddr + i * 32) };
        crate::mm::frame::reserve(m.paddr, m.paddr + m.size);
        modules.push(Module {
            paddr: m.paddr,
            size: m.size,
        });
    }
    if info.version >= 1 && info.memmap_entries > 0 {
        for i in 0..u64::from(info.memmap_entries.min(128)) {
            // SAFETY: memmap_entries entries follow memmap_paddr (PVH v1).
            let e: HvmMemmapTableEntry = unsafe { read(info.memmap_paddr + i * 24) };
            if e.kind == MEMMAP_TYPE_RAM {
                crate::mm::frame::add_ram(
                    e.addr,
                    e.addr
                        .saturating_add(e.size)
                        .min(lstar_abi::layout::MMIO_HOLE_START),
                );
            }
        }
    } else {
        // No memory map (PVH v0): assume RAM up to the first module's end.
        let top = modules
            .iter()
            .map(|m| m.paddr + m.size)
            .max()
            .unwrap_or(16 << 20);
        crate::mm::frame::add_ram(0, top);
    }
    let cmdline = c_string(info.cmdline_paddr, lstar_abi::layout::CMDLINE_MAX);
    let mut params = BootParams {
        modules,
        argv: Vec::with_capacity(8),
        envp: Vec::with_capacity(8),
        seed: None,
        log_level: LogLevel::Warn,
        stats_addr: None,
        tsc_khz: None,
        ring0_emulated: false,
        epoch_ns: None,
        bad_tokens: 0,
        selftest: None,
        tty_mask: 0b111,
        winsize: None,
        virtio_mmio: None,
        files: Vec::new(),
        exe: None,
    };
    parse_cmdline(cmdline, &mut params);
    Some(params)
}

/// Decodes a percent-encoded token; most tokens have no `%` and are copied.
fn decode(token: &[u8]) -> Option<Vec<u8>> {
    let mut buf = token.to_vec();
    if find_byte(token, b'%').is_some() {
        let n = cmdline::decode_in_place(&mut buf).ok()?;
        buf.truncate(n);
    }
    Some(buf)
}

/// A `lstar.file=` value, its module looked up.
fn boot_file(value: &[u8], modules: &[Module]) -> Option<BootFile> {
    let mut buf = value.to_vec();
    let t = cmdline::parse_file_with(&mut buf, find_byte)?;
    let m = modules.get(usize::try_from(t.module).ok()?)?;
    Some(BootFile {
        paddr: m.paddr,
        size: m.size,
        path: t.path.to_vec(),
        read_only: t.read_only,
        mode: t.meta.mode,
        mtime: (t.meta.mtime_sec, t.meta.mtime_nsec),
    })
}

/// A `lstar.exe=` value: the program, module 0.
fn boot_exe(value: &[u8], modules: &[Module]) -> Option<BootFile> {
    let mut buf = value.to_vec();
    let t = cmdline::parse_exe_with(&mut buf, find_byte)?;
    let m = modules.first()?;
    Some(BootFile {
        paddr: m.paddr,
        size: m.size,
        path: t.path.to_vec(),
        read_only: false,
        mode: t.meta.mode,
        mtime: (t.meta.mtime_sec, t.meta.mtime_nsec),
    })
}

/// Splits off the first space-separated token (the VMM percent-encodes
/// every other whitespace byte, so spaces are the only separator).
fn next_token(line: &mut &'static [u8]) -> Option<&'static [u8]> {
    loop {
        if line.is_empty() {
            return None;
        }
        let end = find_byte(line, b' ').unwrap_or(line.len());
        let token = &line[..end];
        *line = &line[(end + 1).min(line.len())..];
        if !token.is_empty() {
            return Some(token);
        }
    }
}

/// The parameter keys as byte patterns (matching bytes needs no UTF-8
/// validation, which showed up in boot profiles).
mod keys {
    use lstar_abi::cmdline as c;
    pub const ENV: &[u8] = c::PARAM_ENV.as_bytes();
    pub const SEED: &[u8] = c::PARAM_SEED.as_bytes();
    pub const LOG: &[u8] = c::PARAM_LOG.as_bytes();
    pub const STATS: &[u8] = c::PARAM_STATS.as_bytes();
    pub const TSC_KHZ: &[u8] = c::PARAM_TSC_KHZ.as_bytes();
    pub const EPOCH_NS: &[u8] = c::PARAM_EPOCH_NS.as_bytes();
    pub const RING0: &[u8] = c::PARAM_RING0.as_bytes();
    pub const SELFTEST: &[u8] = c::PARAM_SELFTEST.as_bytes();
    pub const TTY: &[u8] = c::PARAM_TTY.as_bytes();
    pub const WINSIZE: &[u8] = c::PARAM_WINSIZE.as_bytes();
    pub const FILE: &[u8] = c::PARAM_FILE.as_bytes();
    pub const EXE: &[u8] = c::PARAM_EXE.as_bytes();
    pub const VIRTIO_MMIO: &[u8] = b"virtio_mmio.device=";
}

fn parse_cmdline(mut line: &'static [u8], p: &mut BootParams) {
    while let Some(token) = next_token(&mut line) {
        if token == cmdline::ARGV_SEPARATOR.as_bytes() {
            break;
        }
        // One search for '=' and one match on the key per token, rather than
        // trying every known prefix in turn.
        let Some(eq) = find_byte(token, b'=') else {
            continue;
        };
        let (key, value) = (&token[..=eq], &token[eq + 1..]);
        match key {
            keys::ENV => match decode(value) {
                Some(env) => p.envp.push(env),
                None => p.bad_tokens += 1,
            },
            keys::SEED => p.seed = cmdline::parse_seed(value),
            keys::LOG => match core::str::from_utf8(value).ok().and_then(LogLevel::parse) {
                Some(level) => p.log_level = level,
                None => p.bad_tokens += 1,
            },
            keys::STATS => p.stats_addr = cmdline::parse_u64(value),
            keys::TSC_KHZ => p.tsc_khz = cmdline::parse_u64(value),
            keys::EPOCH_NS => p.epoch_ns = cmdline::parse_u64(value),
            keys::RING0 => match value == cmdline::RING0_EMULATED.as_bytes() {
                true => p.ring0_emulated = true,
                false => p.bad_tokens += 1,
            },
            keys::SELFTEST => p.selftest = Some(value),
            keys::TTY => match cmdline::parse_u64(value) {
                Some(mask) => p.tty_mask = (mask & 0b111) as u32,
                None => p.bad_tokens += 1,
            },
            keys::WINSIZE => p.winsize = cmdline::parse_winsize(value),
            keys::FILE => match boot_file(value, &p.modules) {
                Some(file) => p.files.push(file),
                None => p.bad_tokens += 1,
            },
            keys::EXE => match boot_exe(value, &p.modules) {
                Some(exe) => p.exe = Some(exe),
                None => p.bad_tokens += 1,
            },
            keys::VIRTIO_MMIO => {
                p.virtio_mmio = crate::drivers::virtio_mmio::parse_device_param(value);
            }
            _ => {}
        }
    }
    while let Some(token) = next_token(&mut line) {
        // A literal '=' after `--` marks a parameter a boot loader appended
        // (the encoder escapes '=' in arguments): QEMU's virtio_mmio.device.
        if let Some(value) = token.strip_prefix(keys::VIRTIO_MMIO) {
            p.virtio_mmio = crate::drivers::virtio_mmio::parse_device_param(value);
            continue;
        }
        if find_byte(token, b'=').is_some() {
            continue;
        }
        match decode(token) {
            Some(arg) => p.argv.push(arg),
            None => p.bad_tokens += 1,
        }
    }
}
