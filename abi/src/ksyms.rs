//! The kernel symbol table the VMM hands to the guest as PVH module 1
//! (module 0 is the program), so that fault reports name functions.
//!
//! The VMM builds it from the kernel ELF's own `.symtab` (function and object
//! symbols, sorted by address); the kernel only reads it. Under QEMU there is
//! no such module and reports show bare addresses.
//!
//! Layout, all little-endian:
//! ```text
//! Header  { magic: u32 = MAGIC, count: u32, strtab_offset: u32, strtab_len: u32 }
//! Entry   { addr: u64, name_offset: u32, name_len: u32 }   x count, sorted by addr
//! strtab  bytes (names, not NUL-terminated)
//! ```

pub const MAGIC: u32 = u32::from_le_bytes(*b"KSYM");
pub const HEADER_SIZE: usize = 16;
pub const ENTRY_SIZE: usize = 16;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// A validated view of a symbol table blob.
pub struct Ksyms<'a> {
    blob: &'a [u8],
    count: usize,
    strtab: &'a [u8],
}

impl<'a> Ksyms<'a> {
    pub fn parse(blob: &'a [u8]) -> Option<Ksyms<'a>> {
        if u32_at(blob, 0)? != MAGIC {
            return None;
        }
        let count = u32_at(blob, 4)? as usize;
        let str_off = u32_at(blob, 8)? as usize;
        let str_len = u32_at(blob, 12)? as usize;
        let entries_end = HEADER_SIZE.checked_add(count.checked_mul(ENTRY_SIZE)?)?;
        if entries_end > blob.len() {
            return None;
        }
        let strtab = blob.get(str_off..str_off.checked_add(str_len)?)?;
        Some(Ksyms {
            blob,
            count,
            strtab,
        })
    }

    fn entry(&self, i: usize) -> Option<(u64, &'a str)> {
        let at = HEADER_SIZE + i * ENTRY_SIZE;
        let addr = u64_at(self.blob, at)?;
        let off = u32_at(self.blob, at + 8)? as usize;
        let len = u32_at(self.blob, at + 12)? as usize;
        let name = self.strtab.get(off..off.checked_add(len)?)?;
        Some((addr, core::str::from_utf8(name).ok()?))
    }

    /// The symbol at or before `addr`, and `addr`'s offset into it.
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64)> {
        // Binary search for the last entry with entry.addr <= addr.
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.entry(mid)?.0 <= addr {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let (sym_addr, name) = self.entry(lo.checked_sub(1)?)?;
        Some((name, addr - sym_addr))
    }

    /// The address of the symbol named exactly `name` (a linear scan: the
    /// table is sorted by address, not by name).
    pub fn find(&self, name: &str) -> Option<u64> {
        (0..self.count)
            .filter_map(|i| self.entry(i))
            .find(|&(_, n)| n == name)
            .map(|(addr, _)| addr)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn blob(syms: &[(u64, &str)]) -> Vec<u8> {
        let mut strtab = Vec::new();
        let mut entries = Vec::new();
        for (addr, name) in syms {
            entries.extend_from_slice(&addr.to_le_bytes());
            entries.extend_from_slice(&(strtab.len() as u32).to_le_bytes());
            entries.extend_from_slice(&(name.len() as u32).to_le_bytes());
            strtab.extend_from_slice(name.as_bytes());
        }
        let mut b = Vec::new();
        b.extend_from_slice(&MAGIC.to_le_bytes());
        b.extend_from_slice(&(syms.len() as u32).to_le_bytes());
        b.extend_from_slice(&((HEADER_SIZE + entries.len()) as u32).to_le_bytes());
        b.extend_from_slice(&(strtab.len() as u32).to_le_bytes());
        b.extend(entries);
        b.extend(strtab);
        b
    }

    #[test]
    fn finds_nearest_preceding_symbol() {
        let b = blob(&[(0x1000, "a"), (0x2000, "bb"), (0x3000, "ccc")]);
        let k = Ksyms::parse(&b).unwrap();
        assert_eq!(k.lookup(0xfff), None);
        assert_eq!(k.lookup(0x1000), Some(("a", 0)));
        assert_eq!(k.lookup(0x2abc), Some(("bb", 0xabc)));
        assert_eq!(k.lookup(0xffff_0000), Some(("ccc", 0xfffe_d000)));
    }

    #[test]
    fn finds_symbols_by_exact_name() {
        let b = blob(&[(0x1000, "a"), (0x2000, "m::bb"), (0x3000, "ccc")]);
        let k = Ksyms::parse(&b).unwrap();
        assert_eq!(k.find("m::bb"), Some(0x2000));
        assert_eq!(k.find("ccc"), Some(0x3000));
        assert_eq!(k.find("bb"), None);
        assert_eq!(k.find(""), None);
    }

    #[test]
    fn rejects_truncated_or_foreign_blobs() {
        let b = blob(&[(0x1000, "a")]);
        assert!(Ksyms::parse(&b[..b.len() - 1]).is_none());
        assert!(Ksyms::parse(&b[..20]).is_none());
        assert!(Ksyms::parse(b"nope").is_none());
    }
}
