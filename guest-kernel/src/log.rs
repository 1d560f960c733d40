//! The kernel log: COM2 (the program's stderr stream), filtered by
//! `lstar.log=`. Each message goes out as one `rep outsb` (one VM exit).

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, Ordering};

use lstar_abi::cmdline::LogLevel;

static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);

pub fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: LogLevel) -> bool {
    level != LogLevel::Quiet && level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Collects a formatted message so it leaves in a single port write.
struct LineBuffer {
    buf: [u8; 256],
    len: usize,
}

impl Write for LineBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                crate::console::write_log(&self.buf);
                self.len = 0;
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

pub fn print(level: LogLevel, args: fmt::Arguments) {
    if !enabled(level) {
        return;
    }
    let mut line = LineBuffer {
        buf: [0; 256],
        len: 0,
    };
    let _ = line.write_str("lstar-kernel: ");
    let _ = line.write_fmt(args);
    let _ = line.write_str("\n");
    crate::console::write_log(&line.buf[..line.len]);
}

#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::print(lstar_abi::cmdline::LogLevel::Warn, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::print(lstar_abi::cmdline::LogLevel::Info, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::print(lstar_abi::cmdline::LogLevel::Debug, format_args!($($arg)*)) };
}
