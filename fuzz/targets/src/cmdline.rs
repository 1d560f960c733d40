//! The kernel command line (`lstar_abi::cmdline`): what the VMM encodes
//! must decode to the same argv, environment and file tokens, and decoding
//! any bytes at all must never panic and must only ever accept what the
//! encoder could have produced (a decoded path is a guest path; a value
//! re-encoded decodes the same). The number and seed parsers, which decode
//! eight hex digits at a time, must agree with plain digit-by-digit ones.

use std::fmt::Write as _;

use lstar_abi::cmdline::{
    self, ARGV_SEPARATOR, Encoded, ExeToken, FileMeta, FileToken, PARAM_ENV, PARAM_EXE, PARAM_FILE,
    SEED_LEN,
};

use crate::input::Input;

pub fn cmdline(data: &[u8]) {
    let mut input = Input::new(data);
    if input.bool() {
        round_trip(&mut input);
    } else {
        decode_anything(input.rest());
    }
}

/// Bytes that may be anything, biased toward the characters the encoding
/// treats specially.
fn arg(input: &mut Input<'_>) -> Vec<u8> {
    let n = usize::from(input.u8() % 24);
    (0..n)
        .map(|_| match input.u8() % 4 {
            0 => input.pick(b"% =-/\t\n\0.,x"),
            _ => input.u8(),
        })
        .collect()
}

/// A path: `/` then components, mostly valid, sometimes not.
fn path(input: &mut Input<'_>) -> Vec<u8> {
    let mut p = Vec::new();
    for _ in 0..1 + input.u8() % 4 {
        p.extend_from_slice(b"/");
        match input.u8() % 8 {
            0 => p.extend_from_slice(input.pick(&[&b""[..], b".", b"..", b"dev", b"proc"])),
            1 => p.extend_from_slice(&arg(input)),
            _ => {
                let n = 1 + usize::from(input.u8() % 12);
                p.extend((0..n).map(|_| b'a' + input.u8() % 26));
            }
        }
    }
    if input.u8().is_multiple_of(16) {
        p.remove(0);
    }
    p
}

fn meta(input: &mut Input<'_>) -> FileMeta {
    FileMeta {
        mode: if input.u8().is_multiple_of(8) {
            input.u32()
        } else {
            input.u32() & 0o7777
        },
        mtime_sec: input.u64() as i64,
        mtime_nsec: if input.u8().is_multiple_of(8) {
            input.u32()
        } else {
            input.u32() % 1_000_000_000
        },
    }
}

fn meta_ok(m: &FileMeta) -> bool {
    m.mode <= 0o7777 && m.mtime_nsec < 1_000_000_000
}

/// The line the VMM builds (vmm/src/cmdline.rs's order), decoded the way
/// the guest kernel does (guest-kernel/src/boot_params.rs).
fn round_trip(input: &mut Input<'_>) {
    let env: Vec<Vec<u8>> = (0..input.u8() % 4).map(|_| arg(input)).collect();
    let argv: Vec<Vec<u8>> = (0..input.u8() % 6).map(|_| arg(input)).collect();
    let exe_path = path(input);
    let exe = ExeToken {
        meta: meta(input),
        path: &exe_path,
    };
    let file_paths: Vec<Vec<u8>> = (0..input.u8() % 3).map(|_| path(input)).collect();
    let files: Vec<FileToken<'_>> = file_paths
        .iter()
        .map(|p| FileToken {
            module: input.u32(),
            read_only: input.bool(),
            meta: meta(input),
            path: p,
        })
        .collect();

    let mut line = String::new();
    for e in &env {
        let _ = write!(line, "{PARAM_ENV}{} ", Encoded(e));
    }
    let _ = write!(line, "{PARAM_EXE}{exe} ");
    for f in &files {
        let _ = write!(line, "{PARAM_FILE}{f} ");
    }
    let _ = write!(line, "{ARGV_SEPARATOR}");
    for a in &argv {
        let enc = Encoded(a).to_string();
        assert!(
            enc.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'='),
            "{a:?} encoded as {enc:?}"
        );
        let _ = write!(line, " {enc}");
    }

    let mut tokens = cmdline::tokens(line.as_bytes());
    let mut got_env = Vec::new();
    let mut got_files = Vec::new();
    let mut got_exe = None;
    for token in tokens.by_ref() {
        if token == ARGV_SEPARATOR.as_bytes() {
            break;
        }
        let mut buf = token.to_vec();
        if let Some(v) = token.strip_prefix(PARAM_ENV.as_bytes()) {
            got_env.push(decode(v).expect("an encoded env string decodes"));
        } else if token.starts_with(PARAM_EXE.as_bytes()) {
            let t = cmdline::parse_exe(&mut buf[PARAM_EXE.len()..]);
            got_exe = Some(t.map(|t| (t.meta, t.path.to_vec())));
        } else if token.starts_with(PARAM_FILE.as_bytes()) {
            let t = cmdline::parse_file(&mut buf[PARAM_FILE.len()..]);
            got_files.push(t.map(|t| (t.module, t.read_only, t.meta, t.path.to_vec())));
        } else {
            panic!("unexpected token {token:?} in {line:?}");
        }
    }
    let got_argv: Vec<Vec<u8>> = tokens
        .map(|t| decode(t).expect("an encoded argument decodes"))
        .collect();
    assert_eq!(got_env, env, "{line:?}");
    assert_eq!(got_argv, argv, "{line:?}");

    let exe_ok = meta_ok(&exe.meta) && cmdline::check_guest_path(exe.path).is_ok();
    let want_exe = exe_ok.then(|| (exe.meta, exe_path.clone()));
    assert_eq!(got_exe, Some(want_exe), "{line:?}");
    let want_files: Vec<_> = files
        .iter()
        .map(|f| {
            let ok = meta_ok(&f.meta)
                && cmdline::check_guest_path(f.path).is_ok()
                && cmdline::kernel_dir(f.path).is_none();
            ok.then(|| (f.module, f.read_only, f.meta, f.path.to_vec()))
        })
        .collect();
    assert_eq!(got_files, want_files, "{line:?}");
}

fn decode(token: &[u8]) -> Option<Vec<u8>> {
    let mut buf = token.to_vec();
    let n = cmdline::decode_in_place(&mut buf).ok()?;
    assert!(n <= token.len());
    buf.truncate(n);
    Some(buf)
}

/// Every decoder over arbitrary bytes: whole, and each token of it.
fn decode_anything(data: &[u8]) {
    decode_one(data);
    for token in cmdline::tokens(data) {
        decode_one(token);
        if let Some(eq) = token.iter().position(|&b| b == b'=') {
            decode_one(&token[eq + 1..]);
        }
    }
}

fn decode_one(value: &[u8]) {
    if let Some(d) = decode(value) {
        // Decoding is the inverse of encoding: encode what came out and
        // decode again.
        let again = Encoded(&d).to_string();
        assert_eq!(decode(again.as_bytes()).as_deref(), Some(&d[..]));
    }
    let mut buf = value.to_vec();
    if let Some(t) = cmdline::parse_file(&mut buf) {
        assert!(cmdline::check_guest_path(t.path).is_ok(), "{t:?}");
        assert!(cmdline::kernel_dir(t.path).is_none(), "{t:?}");
        assert!(meta_ok(&t.meta));
        let mut again = t.to_string().into_bytes();
        assert_eq!(cmdline::parse_file(&mut again), Some(t));
    }
    let mut buf = value.to_vec();
    if let Some(t) = cmdline::parse_exe(&mut buf) {
        assert!(cmdline::check_guest_path(t.path).is_ok(), "{t:?}");
        assert!(meta_ok(&t.meta));
        let mut again = t.to_string().into_bytes();
        assert_eq!(cmdline::parse_exe(&mut again), Some(t));
    }
    assert_eq!(cmdline::parse_u64(value), plain_u64(value), "{value:?}");
    assert_eq!(cmdline::parse_seed(value), plain_seed(value), "{value:?}");
    if let Some((rows, cols)) = cmdline::parse_winsize(value) {
        let x = value.iter().position(|&b| b == b'x').expect("has an x");
        assert_eq!(plain_u64(&value[..x]), Some(u64::from(rows)));
        assert_eq!(plain_u64(&value[x + 1..]), Some(u64::from(cols)));
    }
    let _ = cmdline::check_guest_path(value);
    let _ = std::str::from_utf8(value).map(cmdline::LogLevel::parse);
}

/// `0x`-prefixed hex or decimal, a digit at a time.
fn plain_u64(s: &[u8]) -> Option<u64> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        _ => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v = 0u64;
    for &d in digits {
        let x = char::from(d).to_digit(radix)?;
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(x))?;
    }
    Some(v)
}

fn plain_seed(s: &[u8]) -> Option<[u8; SEED_LEN]> {
    if s.len() != 2 * SEED_LEN {
        return None;
    }
    let mut out = [0u8; SEED_LEN];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *o = (hi * 16 + lo) as u8;
    }
    Some(out)
}
