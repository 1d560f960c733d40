//! Builds the kernel symbol table blob (format: `lstar_abi::ksyms`) from a
//! kernel ELF's `.symtab`, so the guest's fault reports can name functions.
//!
//! Shared with `build.rs` (via `#[path]`), which runs it once for the
//! embedded kernel; `--kernel PATH` runs it at startup. Parsed by hand: the
//! few fields needed do not justify an ELF crate in the build script.

use lstar_abi::ksyms::{ENTRY_SIZE, HEADER_SIZE, MAGIC};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum KsymsError {
    #[error("not a 64-bit little-endian ELF file")]
    NotElf64,
    #[error("section headers are truncated or malformed")]
    BadSections,
    #[error("no symbol table (stripped kernel?)")]
    NoSymtab,
    #[error("symbol table is truncated or malformed")]
    BadSymtab,
    #[error("symbol table too large")]
    TooLarge,
}

const SHT_SYMTAB: u32 = 2;
const SECTION_HEADER_SIZE: usize = 64;
const SYM_SIZE: usize = 24;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STB_GLOBAL: u8 = 1;
const SHN_UNDEF: u16 = 0;
/// Section indices from here on are special (SHN_ABS, SHN_COMMON...).
const SHN_LORESERVE: u16 = 0xff00;

fn bytes<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes(b, at).map(u16::from_le_bytes)
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes(b, at).map(u32::from_le_bytes)
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes(b, at).map(u64::from_le_bytes)
}
fn usize_at(b: &[u8], at: usize) -> Option<usize> {
    u64_at(b, at).and_then(|v| usize::try_from(v).ok())
}

struct Section<'a> {
    kind: u32,
    link: u32,
    data: &'a [u8],
}

/// The `index`-th section header and the bytes it describes.
fn section<'a>(elf: &'a [u8], shoff: usize, index: usize) -> Option<Section<'a>> {
    let at = shoff.checked_add(index.checked_mul(SECTION_HEADER_SIZE)?)?;
    let header = elf.get(at..at.checked_add(SECTION_HEADER_SIZE)?)?;
    let kind = u32_at(header, 4)?;
    let offset = usize_at(header, 24)?;
    let size = usize_at(header, 32)?;
    let link = u32_at(header, 40)?;
    // SHT_NOBITS (.bss) has no bytes in the file; we never need its data.
    let data = if kind == 8 {
        &[][..]
    } else {
        elf.get(offset..offset.checked_add(size)?)?
    };
    Some(Section { kind, link, data })
}

/// The function and object symbols of `elf`, demangled, sorted by address,
/// one name per address.
pub fn symbols(elf: &[u8]) -> Result<Vec<(u64, String)>, KsymsError> {
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return Err(KsymsError::NotElf64);
    }
    let shoff = usize_at(elf, 0x28).ok_or(KsymsError::BadSections)?;
    let shentsize = u16_at(elf, 0x3a).ok_or(KsymsError::BadSections)?;
    let shnum = u16_at(elf, 0x3c).ok_or(KsymsError::BadSections)?;
    if shnum != 0 && usize::from(shentsize) != SECTION_HEADER_SIZE {
        return Err(KsymsError::BadSections);
    }
    let symtab = (0..usize::from(shnum))
        .map(|i| section(elf, shoff, i).ok_or(KsymsError::BadSections))
        .find(|s| s.as_ref().map_or(true, |s| s.kind == SHT_SYMTAB))
        .ok_or(KsymsError::NoSymtab)??;
    let strtab = usize::try_from(symtab.link)
        .ok()
        .filter(|&l| l < usize::from(shnum))
        .and_then(|l| section(elf, shoff, l))
        .ok_or(KsymsError::BadSymtab)?
        .data;

    let mut syms = Vec::new();
    for sym in symtab.data.chunks_exact(SYM_SIZE) {
        let kind = sym[4] & 0xf;
        let binding = sym[4] >> 4;
        let shndx = u16_at(sym, 6).ok_or(KsymsError::BadSymtab)?;
        let addr = u64_at(sym, 8).ok_or(KsymsError::BadSymtab)?;
        // Global labels of assembly code (`entry_syscall_64`, which MSR_LSTAR
        // points at) have no type; local ones are compiler noise.
        let asm_label = kind == STT_NOTYPE && binding == STB_GLOBAL;
        if !(kind == STT_FUNC || kind == STT_OBJECT || asm_label)
            || shndx == SHN_UNDEF
            || shndx >= SHN_LORESERVE
        {
            continue;
        }
        let name_at = u32_at(sym, 0).ok_or(KsymsError::BadSymtab)? as usize;
        let name = strtab.get(name_at..).ok_or(KsymsError::BadSymtab)?;
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        // `{:#}` drops the hash suffix: `lstar_kernel::trap::page_fault`.
        syms.push((addr, format!("{:#}", rustc_demangle::demangle(name))));
    }
    // Aliases share an address; the lookup only ever shows one of them.
    syms.sort();
    syms.dedup_by_key(|s| s.0);
    Ok(syms)
}

/// Encodes symbols (sorted by address) in the `lstar_abi::ksyms` format.
pub fn encode(syms: &[(u64, String)]) -> Result<Vec<u8>, KsymsError> {
    let too_large = |_| KsymsError::TooLarge;
    let names_len: usize = syms.iter().map(|(_, n)| n.len()).sum();
    let strtab_offset = HEADER_SIZE + syms.len() * ENTRY_SIZE;
    let mut blob = Vec::with_capacity(strtab_offset + names_len);
    blob.extend_from_slice(&MAGIC.to_le_bytes());
    blob.extend_from_slice(&u32::try_from(syms.len()).map_err(too_large)?.to_le_bytes());
    blob.extend_from_slice(
        &u32::try_from(strtab_offset)
            .map_err(too_large)?
            .to_le_bytes(),
    );
    blob.extend_from_slice(&u32::try_from(names_len).map_err(too_large)?.to_le_bytes());
    let mut name_offset = 0usize;
    for (addr, name) in syms {
        blob.extend_from_slice(&addr.to_le_bytes());
        blob.extend_from_slice(&u32::try_from(name_offset).map_err(too_large)?.to_le_bytes());
        blob.extend_from_slice(&u32::try_from(name.len()).map_err(too_large)?.to_le_bytes());
        name_offset += name.len();
    }
    for (_, name) in syms {
        blob.extend_from_slice(name.as_bytes());
    }
    Ok(blob)
}

/// The symbol table blob of a kernel ELF.
pub fn build(elf: &[u8]) -> Result<Vec<u8>, KsymsError> {
    encode(&symbols(elf)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lstar_abi::ksyms::Ksyms;

    /// A minimal ELF64 with sections: null, .strtab, .symtab.
    fn elf_with_symbols(syms: &[(&str, u8, u16, u64)]) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; SYM_SIZE]; // symbol 0 is null
        for &(name, kind, shndx, addr) in syms {
            let mut s = [0u8; SYM_SIZE];
            s[0..4].copy_from_slice(&(strtab.len() as u32).to_le_bytes());
            s[4] = 0x10 | kind; // STB_GLOBAL
            s[6..8].copy_from_slice(&shndx.to_le_bytes());
            s[8..16].copy_from_slice(&addr.to_le_bytes());
            symtab.extend_from_slice(&s);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        let mut elf = vec![0u8; 64];
        elf[..6].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1]);
        let strtab_off = elf.len();
        elf.extend_from_slice(&strtab);
        let symtab_off = elf.len();
        elf.extend_from_slice(&symtab);
        let shoff = elf.len();
        let mut sh = |kind: u32, off: usize, size: usize, link: u32| {
            let mut h = [0u8; SECTION_HEADER_SIZE];
            h[4..8].copy_from_slice(&kind.to_le_bytes());
            h[24..32].copy_from_slice(&(off as u64).to_le_bytes());
            h[32..40].copy_from_slice(&(size as u64).to_le_bytes());
            h[40..44].copy_from_slice(&link.to_le_bytes());
            elf.extend_from_slice(&h);
        };
        sh(0, 0, 0, 0);
        sh(3, strtab_off, strtab.len(), 0);
        sh(SHT_SYMTAB, symtab_off, symtab.len(), 1);
        elf[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
        elf[0x3a..0x3c].copy_from_slice(&(SECTION_HEADER_SIZE as u16).to_le_bytes());
        elf[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        elf
    }

    #[test]
    fn keeps_defined_functions_and_objects_sorted_and_demangled() {
        let elf = elf_with_symbols(&[
            (
                "_ZN12lstar_kernel4trap10page_fault17h0123456789abcdefE",
                STT_FUNC,
                1,
                0x3000,
            ),
            ("BOOT_STACK", STT_OBJECT, 2, 0x1000),
            ("a_section", 3, 1, 0x1500),   // STT_SECTION: skipped
            ("undefined", STT_FUNC, 0, 0), // SHN_UNDEF: skipped
            ("alias", STT_FUNC, 1, 0x3000),
            ("entry_syscall_64", STT_NOTYPE, 1, 0x2000), // global asm label
            ("absolute", STT_NOTYPE, 0xfff1, 0x2800),    // SHN_ABS: skipped
        ]);
        let syms = symbols(&elf).unwrap();
        assert_eq!(
            syms,
            [
                (0x1000, "BOOT_STACK".to_string()),
                (0x2000, "entry_syscall_64".to_string()),
                (0x3000, "alias".to_string())
            ]
        );
        let blob = build(&elf).unwrap();
        let k = Ksyms::parse(&blob).unwrap();
        assert_eq!(k.lookup(0x3010), Some(("alias", 0x10)));
        assert_eq!(k.lookup(0x1fff), Some(("BOOT_STACK", 0xfff)));
    }

    #[test]
    fn demangles_rust_names() {
        let elf = elf_with_symbols(&[(
            "_ZN12lstar_kernel4trap10page_fault17h0123456789abcdefE",
            STT_FUNC,
            1,
            0x3000,
        )]);
        assert_eq!(
            symbols(&elf).unwrap()[0].1,
            "lstar_kernel::trap::page_fault"
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        assert_eq!(build(b"nope"), Err(KsymsError::NotElf64));
        let elf = elf_with_symbols(&[("f", STT_FUNC, 1, 1)]);
        for cut in 0..elf.len() {
            let _ = build(&elf[..cut]);
        }
        let mut bad = elf.clone();
        bad[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(build(&bad), Err(KsymsError::BadSections));
        let mut none = elf;
        none[0x3c..0x3e].copy_from_slice(&0u16.to_le_bytes());
        assert_eq!(build(&none), Err(KsymsError::NoSymtab));
    }
}
