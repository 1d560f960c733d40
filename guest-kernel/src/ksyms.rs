//! Kernel symbol lookup for fault reports, from the table the VMM passes as
//! PVH module 1 (`lstar_abi::ksyms`). Absent under QEMU: bare addresses.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use lstar_abi::ksyms::Ksyms;

static BLOB: AtomicU64 = AtomicU64::new(0);
static LEN: AtomicU64 = AtomicU64::new(0);

pub fn init(phys: u64, len: u64) {
    BLOB.store(crate::mm::phys_to_virt(phys), Ordering::Relaxed);
    LEN.store(len, Ordering::Relaxed);
}

/// Displays `<symbol+0xoff>` when the address is known.
pub struct Symbol(pub u64);

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (blob, len) = (BLOB.load(Ordering::Relaxed), LEN.load(Ordering::Relaxed));
        if blob == 0 {
            return Ok(());
        }
        // SAFETY: the module's frames are reserved for it and mapped by the
        // direct map; `Ksyms::parse` validates every offset it reads.
        let bytes = unsafe { core::slice::from_raw_parts(blob as *const u8, len as usize) };
        match Ksyms::parse(bytes).and_then(|k| k.lookup(self.0)) {
            Some((name, off)) => write!(f, "<{name}+{off:#x}>"),
            None => Ok(()),
        }
    }
}
