//! The kernel command line that carries a program's argv and environment.
//!
//! Layout: `KERNEL-PARAMS... -- ARGV0 ARGV1 ...`, tokens separated by spaces,
//! the way Linux hands everything after `--` to init. Every token is
//! percent-encoded ([`Encoded`]) so that arguments may contain spaces, `%`,
//! control characters or any byte at all, and still be one token.
//!
//! Kernel parameters understood by the lstar kernel:
//! - `lstar.env=KEY=VALUE` (repeatable, in order): one environment string.
//! - `lstar.seed=HEX` ([`SEED_LEN`] bytes as hex): host randomness; the first
//!   16 bytes are the program's AT_RANDOM, the rest keys the kernel's RNG.
//! - `lstar.log=quiet|warn|info|debug`: kernel log level on COM2 (default warn).
//! - `lstar.stats=0xADDR`: guest-physical address of the stats area.
//! - `lstar.tsc_khz=N`: TSC frequency (the kernel's clock source).
//! - `lstar.epoch_ns=N`: wall-clock time (ns since 1970) when the TSC was 0.
//! - `lstar.ring0=emulated`: the host emulates the guest's ring-0 code
//!   instruction by instruction (kvm-pvm), so bulk copies are cheaper as a
//!   VM exit to the copy port than as a kernel memcpy. Absent: native.
//! - `lstar.tty=MASK`: which of the program's fds 0, 1, 2 (bits 0, 1, 2) are
//!   terminals, mirroring the host's (default 7: all, as on a serial console).
//! - `lstar.winsize=ROWSxCOLS`: the terminal size TIOCGWINSZ reports.
//! - `lstar.selftest=task-work|kernel-fault|boot-files`: run a kernel self-test at boot
//!   (for the test suite: `lstar run --cmdline lstar.selftest=...`).
//! - `lstar.file=MODULE,FLAGS,MODE,MTIME_SEC,MTIME_NSEC,PATH` (repeatable):
//!   a host file (`lstar run --file`) as PVH module MODULE (decimal), to
//!   appear at the absolute guest path PATH (percent-encoded, the last field,
//!   so it may contain commas). FLAGS (decimal): bit 0 [`FILE_READ_ONLY`];
//!   other bits are reserved and make the token invalid. MODE: the host's
//!   permission bits (`st_mode & 0o7777`) in octal, no prefix. MTIME_SEC
//!   (decimal, may be negative) and MTIME_NSEC (decimal, < 10^9): the host's
//!   st_mtime. See [`FileToken`].
//! - `lstar.exe=MODE,MTIME_SEC,MTIME_NSEC,PATH`: the program (module 0): its
//!   host mode and mtime as above, and the absolute guest path it is known
//!   by (percent-encoded). See [`ExeToken`].
//!
//! Anything else (`console=ttyS0`, `virtio_mmio.device=...`) is left to the
//! subsystem that wants it.

use core::fmt;

pub const PARAM_ENV: &str = "lstar.env=";
pub const PARAM_SEED: &str = "lstar.seed=";
pub const PARAM_LOG: &str = "lstar.log=";
pub const PARAM_STATS: &str = "lstar.stats=";
pub const PARAM_TSC_KHZ: &str = "lstar.tsc_khz=";
pub const PARAM_EPOCH_NS: &str = "lstar.epoch_ns=";
pub const PARAM_RING0: &str = "lstar.ring0=";
/// The one value of [`PARAM_RING0`].
pub const RING0_EMULATED: &str = "emulated";
pub const PARAM_SELFTEST: &str = "lstar.selftest=";
pub const PARAM_TTY: &str = "lstar.tty=";
pub const PARAM_WINSIZE: &str = "lstar.winsize=";
pub const PARAM_FILE: &str = "lstar.file=";
pub const PARAM_EXE: &str = "lstar.exe=";

/// Parses `ROWSxCOLS`.
pub fn parse_winsize(s: &[u8]) -> Option<(u16, u16)> {
    let x = s.iter().position(|&b| b == b'x')?;
    let rows = u16::try_from(parse_u64(&s[..x])?).ok()?;
    let cols = u16::try_from(parse_u64(&s[x + 1..])?).ok()?;
    Some((rows, cols))
}
/// Separates kernel parameters from the program's argv.
pub const ARGV_SEPARATOR: &str = "--";

/// Kernel log levels, most quiet first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing at all, not even a fault report.
    Quiet,
    /// Fault reports and errors (the default).
    Warn,
    /// Boot progress.
    Info,
    /// Everything, including every system call.
    Debug,
}

impl LogLevel {
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s {
            "quiet" => Some(LogLevel::Quiet),
            "warn" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Quiet => "quiet",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// True for the bytes that are written literally in a token. `=` is
/// escaped too: after `--`, a token with a literal `=` can then only be a
/// parameter a boot loader appended (QEMU microvm adds
/// `virtio_mmio.device=...` at the very end of the line).
fn is_literal(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && b != b'%' && b != b'='
}

/// Displays bytes percent-encoded as one command-line token. An empty
/// argument becomes [`EMPTY_TOKEN`], since an empty token cannot be split out.
pub struct Encoded<'a>(pub &'a [u8]);

/// How an empty string travels (a lone `%` is never produced otherwise).
pub const EMPTY_TOKEN: &str = "%";

impl fmt::Display for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(EMPTY_TOKEN);
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in self.0 {
            if is_literal(b) {
                fmt::Write::write_char(f, b as char)?;
            } else {
                let s = [b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]];
                // The three bytes are ASCII by construction.
                f.write_str(core::str::from_utf8(&s).map_err(|_| fmt::Error)?)?;
            }
        }
        Ok(())
    }
}

/// A token that is not valid percent-encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a token in place and returns the decoded length (never longer).
pub fn decode_in_place(buf: &mut [u8]) -> Result<usize, DecodeError> {
    if buf == EMPTY_TOKEN.as_bytes() {
        return Ok(0);
    }
    let (mut r, mut w) = (0, 0);
    while r < buf.len() {
        let b = buf[r];
        if b == b'%' {
            let hi = buf
                .get(r + 1)
                .copied()
                .and_then(hex_value)
                .ok_or(DecodeError)?;
            let lo = buf
                .get(r + 2)
                .copied()
                .and_then(hex_value)
                .ok_or(DecodeError)?;
            buf[w] = (hi << 4) | lo;
            r += 3;
        } else {
            buf[w] = b;
            r += 1;
        }
        w += 1;
    }
    Ok(w)
}

/// Splits a command line into tokens (runs of non-space bytes).
pub fn tokens(cmdline: &[u8]) -> impl Iterator<Item = &[u8]> {
    cmdline
        .split(|&b| b == b' ' || b == b'\t' || b == b'\n')
        .filter(|t| !t.is_empty())
}

/// Bytes of host randomness in `lstar.seed=`.
pub const SEED_LEN: usize = 32;

/// Parses the `2 * SEED_LEN` hex digits of `lstar.seed=`.
pub fn parse_seed(hex: &[u8]) -> Option<[u8; SEED_LEN]> {
    if hex.len() != 2 * SEED_LEN {
        return None;
    }
    let mut seed = [0u8; SEED_LEN];
    for (out, chunk) in seed.chunks_exact_mut(4).zip(hex.chunks_exact(8)) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        out.copy_from_slice(&hex8(word)?.to_le_bytes());
    }
    Some(seed)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = ONES * 0x80;

/// Per byte of `x` (every byte < 0x80): 0x80 where `lo <= byte <= hi`.
const fn bytes_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    // Neither sum nor difference carries across bytes: bytes are < 0x80.
    let at_least_lo = x + ONES * (0x80 - lo as u64);
    let at_most_hi = ONES * (0x80 + hi as u64) - x;
    at_least_lo & at_most_hi & HIGH
}

/// Decodes eight ASCII hex digits (loaded little-endian: the first digit
/// in the lowest byte) into four bytes, eight digits at a time (SWAR).
/// Why not a loop: the guest kernel parses this at boot, where every
/// instruction is emulated on kvm-pvm; this is ~30 instructions, a
/// digit-by-digit loop ~80.
fn hex8(x: u64) -> Option<u32> {
    if x & HIGH != 0 {
        return None;
    }
    let digit = bytes_in_range(x, b'0', b'9');
    let letter = bytes_in_range(x | (ONES * 0x20), b'a', b'f');
    if digit | letter != HIGH {
        return None;
    }
    // '0'..'9' -> 0..9 and 'a'..'f' / 'A'..'F' -> 10..15 in every byte.
    let nibbles = (x & (ONES * 0x0f)) + ((x >> 6) & ONES) * 9;
    // Pairs of digits into bytes, then bytes next to each other.
    let pairs = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    Some((quads | (quads >> 16)) as u32)
}

/// Parses a `0x`-prefixed hexadecimal or a decimal u64.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        _ => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    // Exactly 16 hex digits (how lstar sends 64-bit values): eight at a time.
    if radix == 16 && digits.len() == 16 {
        let hi = hex8(u64::from_le_bytes(digits[..8].try_into().ok()?))?;
        let lo = hex8(u64::from_le_bytes(digits[8..].try_into().ok()?))?;
        // hex8 yields the bytes in reading order, little-endian.
        return Some((u64::from(u32::from_be(hi)) << 32) | u64::from(u32::from_be(lo)));
    }
    let mut v: u64 = 0;
    for &d in digits {
        let x = hex_value(d).filter(|&x| u32::from(x) < radix)?;
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(x))?;
    }
    Some(v)
}

// ---------------------------------------------------------------------------
// Host files in the guest: `lstar.file=` and `lstar.exe=`

/// FLAGS bit 0 of `lstar.file=`: the file is read-only in the guest.
pub const FILE_READ_ONLY: u32 = 1;
/// Every FLAGS bit defined so far; a token with any other bit is invalid.
const FILE_FLAGS: u32 = FILE_READ_ONLY;

/// Linux's PATH_MAX: a path has fewer bytes than this (the NUL fills it).
pub const PATH_MAX: usize = 4096;
/// Linux's NAME_MAX: the longest path component, in bytes.
pub const NAME_MAX: usize = 255;
/// Directories that belong to the guest kernel: no host file goes there.
pub const KERNEL_DIRS: [&str; 2] = ["/dev", "/proc"];

/// Why bytes are not a guest path as `lstar.file=` and `lstar.exe=` carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestPathError {
    /// It does not start with `/`.
    NotAbsolute,
    /// It is `/` itself.
    Root,
    /// An empty, `.` or `..` component (`//`, `/./`, `/../`, a trailing `/`).
    NotNormal,
    /// A NUL byte.
    Nul,
    /// A component longer than [`NAME_MAX`].
    NameTooLong,
    /// [`PATH_MAX`] bytes or more.
    TooLong,
}

/// Finds the first `needle` in `haystack`: how the parsers below scan.
/// The guest kernel passes `repne scasb` (one emulated instruction per
/// scan on kvm-pvm, where a byte loop costs several per byte); the host,
/// [`find_byte`].
pub type FindByte = fn(haystack: &[u8], needle: u8) -> Option<usize>;

/// A plain [`FindByte`].
pub fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Checks that `path` is absolute, lexically normal (no empty, `.` or `..`
/// component, no trailing `/`), not `/` itself, without NUL, and within
/// Linux's [`NAME_MAX`] and [`PATH_MAX`].
pub fn check_guest_path(path: &[u8]) -> Result<(), GuestPathError> {
    check_guest_path_with(path, find_byte)
}

/// [`check_guest_path`], scanning with `find`: one scan per component.
pub fn check_guest_path_with(path: &[u8], find: FindByte) -> Result<(), GuestPathError> {
    let Some(mut rest) = path.strip_prefix(b"/") else {
        return Err(GuestPathError::NotAbsolute);
    };
    if rest.is_empty() {
        return Err(GuestPathError::Root);
    }
    if path.len() >= PATH_MAX {
        return Err(GuestPathError::TooLong);
    }
    if find(path, 0).is_some() {
        return Err(GuestPathError::Nul);
    }
    loop {
        let end = find(rest, b'/');
        let name = &rest[..end.unwrap_or(rest.len())];
        match name {
            b"" | b"." | b".." => return Err(GuestPathError::NotNormal),
            n if n.len() > NAME_MAX => return Err(GuestPathError::NameTooLong),
            _ => {}
        }
        match end {
            Some(end) => rest = &rest[end + 1..],
            None => return Ok(()),
        }
    }
}

/// The kernel directory of [`KERNEL_DIRS`] that `path` is or lies under.
pub fn kernel_dir(path: &[u8]) -> Option<&'static str> {
    KERNEL_DIRS
        .into_iter()
        .find(|dir| is_same_or_below(path, dir.as_bytes()))
}

/// `path` is `dir` or lies below it (`/a/b` is below `/a`, `/ab` is not).
fn is_same_or_below(path: &[u8], dir: &[u8]) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest[0] == b'/')
}

/// Two normal guest paths clash when they are the same or one is a
/// directory the other lies in (`/a` and `/a/b`): both cannot be files.
pub fn paths_clash(a: &[u8], b: &[u8]) -> bool {
    is_same_or_below(a, b) || is_same_or_below(b, a)
}

/// A host file's metadata, as the guest presents it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// Permission bits: `st_mode & 0o7777`.
    pub mode: u32,
    /// st_mtime: seconds since 1970 (negative before).
    pub mtime_sec: i64,
    /// st_mtime's nanoseconds, below 1_000_000_000.
    pub mtime_nsec: u32,
}

/// The value of a `lstar.file=` token. Displays as that value (the path
/// percent-encoded); [`parse_file`] reads it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileToken<'a> {
    /// The PVH module that holds the file's bytes.
    pub module: u32,
    pub read_only: bool,
    pub meta: FileMeta,
    /// The absolute guest path (raw bytes, not encoded).
    pub path: &'a [u8],
}

/// The value of a `lstar.exe=` token: the program (PVH module 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExeToken<'a> {
    pub meta: FileMeta,
    /// The absolute guest path (raw bytes, not encoded).
    pub path: &'a [u8],
}

impl fmt::Display for FileMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:o},{},{}", self.mode, self.mtime_sec, self.mtime_nsec)
    }
}

impl fmt::Display for FileToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = if self.read_only { FILE_READ_ONLY } else { 0 };
        write!(
            f,
            "{},{flags},{},{}",
            self.module,
            self.meta,
            Encoded(self.path)
        )
    }
}

impl fmt::Display for ExeToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.meta, Encoded(self.path))
    }
}

/// Splits `N` comma-terminated fields off the front of `value`; the rest
/// (which may contain commas) is the last field.
fn split_fields<const N: usize>(
    value: &mut [u8],
    find: FindByte,
) -> Option<([&[u8]; N], &mut [u8])> {
    let mut ends = [0; N];
    let mut at = 0;
    for end in &mut ends {
        *end = at + find(value.get(at..)?, b',')?;
        at = *end + 1;
    }
    let (head, tail) = value.split_at_mut(at);
    let head: &[u8] = head;
    let mut start = 0;
    let fields = ends.map(|end| {
        let field = &head[start..end];
        start = end + 1;
        field
    });
    Some((fields, tail))
}

/// At least one digit of `radix` (at most 10), at most 19 (so that the
/// value fits in a u64 without a check per digit), nothing else.
fn parse_digits(s: &[u8], radix: u8) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in s {
        let x = d.wrapping_sub(b'0');
        if x >= radix {
            return None;
        }
        v = v * u64::from(radix) + u64::from(x);
    }
    Some(v)
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    match s {
        [b'-', digits @ ..] => 0i64.checked_sub_unsigned(parse_digits(digits, 10)?),
        _ => i64::try_from(parse_digits(s, 10)?).ok(),
    }
}

fn parse_meta([mode, sec, nsec]: [&[u8]; 3]) -> Option<FileMeta> {
    let mode = u32::try_from(parse_digits(mode, 8)?)
        .ok()
        .filter(|&m| m <= 0o7777)?;
    let mtime_nsec = u32::try_from(parse_digits(nsec, 10)?)
        .ok()
        .filter(|&n| n < 1_000_000_000)?;
    Some(FileMeta {
        mode,
        mtime_sec: parse_i64(sec)?,
        mtime_nsec,
    })
}

/// Decodes the path field in place (only if it has a `%`); it must be a
/// guest path ([`check_guest_path`]).
fn parse_path(field: &mut [u8], find: FindByte) -> Option<&[u8]> {
    let n = match find(field, b'%') {
        Some(_) => decode_in_place(field).ok()?,
        None => field.len(),
    };
    let path = &field[..n];
    check_guest_path_with(path, find).ok()?;
    Some(path)
}

/// Parses the value of `lstar.file=` (after the `=`), decoding its path in
/// place. None when any field is malformed, FLAGS has an unknown bit, or
/// the path is not a guest path or lies in a [`KERNEL_DIRS`] directory.
/// Whether the module exists is for the caller to check.
pub fn parse_file(value: &mut [u8]) -> Option<FileToken<'_>> {
    parse_file_with(value, find_byte)
}

/// [`parse_file`], scanning with `find`.
pub fn parse_file_with(value: &mut [u8], find: FindByte) -> Option<FileToken<'_>> {
    let ([module, flags, mode, sec, nsec], path) = split_fields::<5>(value, find)?;
    let module = u32::try_from(parse_digits(module, 10)?).ok()?;
    let flags = parse_digits(flags, 10)?;
    if flags & !u64::from(FILE_FLAGS) != 0 {
        return None;
    }
    let meta = parse_meta([mode, sec, nsec])?;
    let path = parse_path(path, find)?;
    if kernel_dir(path).is_some() {
        return None;
    }
    Some(FileToken {
        module,
        read_only: flags & u64::from(FILE_READ_ONLY) != 0,
        meta,
        path,
    })
}

/// Parses the value of `lstar.exe=` (after the `=`), decoding its path in
/// place. None when a field is malformed or the path is not a guest path.
pub fn parse_exe(value: &mut [u8]) -> Option<ExeToken<'_>> {
    parse_exe_with(value, find_byte)
}

/// [`parse_exe`], scanning with `find`.
pub fn parse_exe_with(value: &mut [u8], find: FindByte) -> Option<ExeToken<'_>> {
    let ([mode, sec, nsec], path) = split_fields::<3>(value, find)?;
    let meta = parse_meta([mode, sec, nsec])?;
    Some(ExeToken {
        meta,
        path: parse_path(path, find)?,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;
    use std::vec::Vec;

    fn roundtrip(s: &[u8]) {
        let enc = format!("{}", Encoded(s));
        assert!(!enc.is_empty());
        assert!(!enc.contains(' '), "{enc:?}");
        let mut buf: Vec<u8> = enc.into_bytes();
        let n = decode_in_place(&mut buf).unwrap();
        assert_eq!(&buf[..n], s);
    }

    #[test]
    fn encoding_roundtrips_every_byte() {
        roundtrip(b"hello");
        roundtrip(b"");
        roundtrip(b"%");
        roundtrip(b"a b\tc\nd");
        roundtrip(b"PATH=/bin:/usr/bin");
        let all: Vec<u8> = (0..=255u8).collect();
        roundtrip(&all);
    }

    #[test]
    fn spaces_never_survive_encoding() {
        assert_eq!(format!("{}", Encoded(b"a b")), "a%20b");
        assert_eq!(format!("{}", Encoded(b"100%")), "100%25");
        assert_eq!(format!("{}", Encoded(b"a=b")), "a%3Db");
    }

    #[test]
    fn bad_escapes_are_errors() {
        assert_eq!(decode_in_place(&mut b"%4".to_vec()), Err(DecodeError));
        assert_eq!(decode_in_place(&mut b"%zz".to_vec()), Err(DecodeError));
        assert_eq!(decode_in_place(&mut b"ab%".to_vec()), Err(DecodeError));
    }

    #[test]
    fn tokens_split_on_whitespace() {
        let t: Vec<&[u8]> = tokens(b"  a bb\tc  -- x ").collect();
        assert_eq!(t, [&b"a"[..], b"bb", b"c", b"--", b"x"]);
    }

    #[test]
    fn window_sizes() {
        assert_eq!(parse_winsize(b"24x80"), Some((24, 80)));
        assert_eq!(parse_winsize(b"24x"), None);
        assert_eq!(parse_winsize(b"70000x80"), None);
        assert_eq!(parse_winsize(b"24"), None);
    }

    #[test]
    fn numbers_and_seeds() {
        assert_eq!(parse_u64(b"0x40000"), Some(0x40000));
        assert_eq!(parse_u64(b"123"), Some(123));
        assert_eq!(parse_u64(b"0x"), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b"0xffffffffffffffffff"), None);
        assert_eq!(
            parse_u64(b"0x0123456789abcdef"),
            Some(0x0123_4567_89ab_cdef)
        );
        assert_eq!(
            parse_u64(b"0xFEDCBA9876543210"),
            Some(0xfedc_ba98_7654_3210)
        );
        assert_eq!(parse_u64(b"0x0123456789abcdeg"), None);
        let s = parse_seed(b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
            .unwrap();
        assert_eq!(s[31], 0x1f);
        assert_eq!(parse_seed(b"000102030405060708090a0b0c0d0e0f"), None);
        let upper = parse_seed(b"FFfe0A0b0c0d0e0f000102030405060708090a0b0c0d0e0f1011121314151617");
        assert_eq!(upper.map(|s| (s[0], s[1], s[2])), Some((0xff, 0xfe, 0x0a)));
    }

    #[test]
    fn seed_decoding_matches_a_plain_decoder_and_rejects_non_hex() {
        let bytes: Vec<u8> = (0..SEED_LEN as u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        let hex: std::string::String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(parse_seed(hex.as_bytes()).map(|s| s.to_vec()), Some(bytes));
        for bad in [b'g', b'G', b'/', b':', b'@', b'`', b' ', 0x80, 0xff] {
            for at in [0, 7, 63] {
                let mut h = hex.clone().into_bytes();
                h[at] = bad;
                assert_eq!(parse_seed(&h), None, "byte {bad:#x} at {at}");
            }
        }
        assert_eq!(parse_seed(b"00"), None);
    }
    fn file_value(t: &FileToken<'_>) -> Vec<u8> {
        format!("{t}").into_bytes()
    }

    #[test]
    fn file_tokens_roundtrip() {
        let tokens = [
            FileToken {
                module: 2,
                read_only: true,
                meta: FileMeta {
                    mode: 0o644,
                    mtime_sec: 1_700_000_000,
                    mtime_nsec: 123_456_789,
                },
                path: b"/etc/hosts",
            },
            FileToken {
                module: 63,
                read_only: false,
                meta: FileMeta {
                    mode: 0o4755,
                    mtime_sec: -1,
                    mtime_nsec: 999_999_999,
                },
                path: b"/a b/c,d/%=\x01\xff",
            },
            FileToken {
                module: 2,
                read_only: false,
                meta: FileMeta {
                    mode: 0,
                    mtime_sec: i64::MIN,
                    mtime_nsec: 0,
                },
                path: b"/x",
            },
        ];
        for t in tokens {
            let mut v = file_value(&t);
            assert!(!v.contains(&b' '));
            assert_eq!(parse_file(&mut v), Some(t));
        }
        assert_eq!(
            format!("{}", tokens[0]),
            "2,1,644,1700000000,123456789,/etc/hosts"
        );
        assert_eq!(
            format!("{}", tokens[1]),
            "63,0,4755,-1,999999999,/a%20b/c,d/%25%3D%01%FF"
        );
    }

    #[test]
    fn exe_tokens_roundtrip() {
        let t = ExeToken {
            meta: FileMeta {
                mode: 0o755,
                mtime_sec: 1_700_000_000,
                mtime_nsec: 5,
            },
            path: b"/bin/busybox",
        };
        assert_eq!(format!("{t}"), "755,1700000000,5,/bin/busybox");
        let mut v = format!("{t}").into_bytes();
        assert_eq!(parse_exe(&mut v), Some(t));
        // An exe may live anywhere, /dev included (a file may not).
        let mut v = b"755,0,0,/dev/shm/prog".to_vec();
        assert_eq!(
            parse_exe(&mut v).map(|t| t.path),
            Some(&b"/dev/shm/prog"[..])
        );
    }

    #[test]
    fn bad_file_tokens_are_refused() {
        for bad in [
            &b""[..],
            b"2,0,644,0,0",
            b"2,0,644,0,0,",
            b"2,0,644,0,0,%",
            b"2,0,644,0,0,relative",
            b"2,0,644,0,0,/",
            b"2,0,644,0,0,/a//b",
            b"2,0,644,0,0,/a/./b",
            b"2,0,644,0,0,/a/../b",
            b"2,0,644,0,0,/a/",
            b"2,0,644,0,0,/a%00b",
            b"2,0,644,0,0,/a%zz",
            b"2,0,644,0,0,/dev",
            b"2,0,644,0,0,/dev/x",
            b"2,0,644,0,0,/proc/self",
            b"x,0,644,0,0,/a",
            b",0,644,0,0,/a",
            b"-2,0,644,0,0,/a",
            b"4294967296,0,644,0,0,/a",
            b"2,2,644,0,0,/a",
            b"2,0x1,644,0,0,/a",
            b"2,0,648,0,0,/a",
            b"2,0,17777,0,0,/a",
            b"2,0,,0,0,/a",
            b"2,0,644,,0,/a",
            b"2,0,644,1e9,0,/a",
            b"2,0,644,9223372036854775808,0,/a",
            b"2,0,644,-9223372036854775809,0,/a",
            b"2,0,644,0,1000000000,/a",
            b"2,0,644,0,-1,/a",
            b"2 0,644,0,0,/a",
        ] {
            let mut v = bad.to_vec();
            assert_eq!(parse_file(&mut v), None, "{:?}", std::str::from_utf8(bad));
        }
        let mut v = b"2,0,644,0,0,/devices".to_vec();
        assert!(parse_file(&mut v).is_some());
        for bad in [&b"755,0,0"[..], b"755,0,/a", b"755,0,0,a", b"8,0,0,/a"] {
            assert_eq!(parse_exe(&mut bad.to_vec()), None);
        }
    }

    #[test]
    fn guest_paths() {
        assert_eq!(check_guest_path(b"/a/b"), Ok(()));
        assert_eq!(check_guest_path(b"/..."), Ok(()));
        assert_eq!(check_guest_path(b"a"), Err(GuestPathError::NotAbsolute));
        assert_eq!(check_guest_path(b""), Err(GuestPathError::NotAbsolute));
        assert_eq!(check_guest_path(b"/"), Err(GuestPathError::Root));
        assert_eq!(check_guest_path(b"//"), Err(GuestPathError::NotNormal));
        assert_eq!(check_guest_path(b"/a/.."), Err(GuestPathError::NotNormal));
        assert_eq!(check_guest_path(b"/a\0"), Err(GuestPathError::Nul));
        let name = [b'n'; NAME_MAX];
        let mut p = b"/".to_vec();
        p.extend_from_slice(&name);
        assert_eq!(check_guest_path(&p), Ok(()));
        p.push(b'n');
        assert_eq!(check_guest_path(&p), Err(GuestPathError::NameTooLong));
        let mut long = Vec::new();
        while long.len() < PATH_MAX - 1 {
            long.extend_from_slice(b"/xx");
        }
        long.truncate(PATH_MAX - 1);
        assert_eq!(check_guest_path(&long), Ok(()));
        long.extend_from_slice(b"x");
        assert_eq!(check_guest_path(&long), Err(GuestPathError::TooLong));
        assert_eq!(kernel_dir(b"/dev"), Some("/dev"));
        assert_eq!(kernel_dir(b"/proc/1"), Some("/proc"));
        assert_eq!(kernel_dir(b"/devx"), None);
        assert_eq!(kernel_dir(b"/a/dev"), None);
        assert!(paths_clash(b"/a", b"/a"));
        assert!(paths_clash(b"/a", b"/a/b"));
        assert!(paths_clash(b"/a/b/c", b"/a"));
        assert!(!paths_clash(b"/a", b"/ab"));
        assert!(!paths_clash(b"/a/b", b"/a/c"));
    }
}
