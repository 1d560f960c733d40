//! Guest virtual memory for the control socket: `GET /vm/memory` (bytes at
//! a virtual address or a kernel symbol) and `GET /vm/syscall-table` (the
//! kernel's two system call tables, read the same way and symbolized).
//!
//! The translation is done here, not by KVM: CR3 comes from vCPU 0's
//! special registers (one kick, as `/vm/vcpus/0/sregs`), then the 4-level
//! tables (PML4, PDPT, PD, PT; 1 GiB and 2 MiB pages) are read from guest
//! physical memory through vm-memory. The guest keeps running while its
//! tables and data are read, so a read is not atomic with respect to it;
//! the kernel's mappings do not change once it has booted.

use lstar_abi::ksyms::Ksyms;
use lstar_abi::syscall_nr::{NR_SYSCALLS_64, NR_SYSCALLS_I386, name_64, name_i386};
use thiserror::Error;
use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

use super::Context;
use super::http::Response;
use super::types;
use crate::vcpu_control::{ControlError, Reply, Request as VcpuRequest};

/// The most bytes one request may read.
pub const MAX_LEN: u64 = 64 * 1024;

/// The kernel's tables as its symbol table names them.
pub const SYS_CALL_TABLE: &str = "lstar_kernel::syscall::table::SYS_CALL_TABLE";
pub const IA32_SYS_CALL_TABLE: &str = "lstar_kernel::syscall::table::IA32_SYS_CALL_TABLE";

const PRESENT: u64 = 1;
/// Page size bit of a PDPTE (1 GiB page) or PDE (2 MiB page).
const PAGE_SIZE_BIT: u64 = 1 << 7;
/// Physical address bits 51:12 of CR3 and of every entry.
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const CR0_PG: u64 = 1 << 31;
const CR4_LA57: u64 = 1 << 12;
const EFER_LMA: u64 = 1 << 10;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MemoryError {
    #[error("gva {0:#x}: not mapped")]
    NotMapped(u64),
    #[error("gva {0:#x}: not canonical")]
    NonCanonical(u64),
    #[error("gva {gva:#x}: guest physical address {gpa:#x} is not guest RAM")]
    NotRam { gva: u64, gpa: u64 },
    #[error(
        "the guest does not use 4-level long-mode paging \
         (CR0.PG={pg}, EFER.LMA={lma}, CR4.LA57={la57})"
    )]
    NotLongMode { pg: bool, lma: bool, la57: bool },
}

impl MemoryError {
    fn response(&self) -> Response {
        let status = match self {
            MemoryError::NotLongMode { .. } => 409,
            _ => 404,
        };
        Response::error(status, &self.to_string())
    }
}

/// The PML4's guest physical address, if the guest pages with 4 levels.
pub fn paging_root(cr0: u64, cr3: u64, cr4: u64, efer: u64) -> Result<u64, MemoryError> {
    let (pg, lma, la57) = (cr0 & CR0_PG != 0, efer & EFER_LMA != 0, cr4 & CR4_LA57 != 0);
    if !pg || !lma || la57 {
        return Err(MemoryError::NotLongMode { pg, lma, la57 });
    }
    Ok(cr3 & ADDR_MASK)
}

fn canonical(gva: u64) -> bool {
    // Bits 63:47 all equal.
    let top = gva >> 47;
    top == 0 || top == 0x1_ffff
}

/// The guest physical address of `gva` and the size of the page it is in.
pub fn translate(mem: &GuestMemoryMmap, pml4: u64, gva: u64) -> Result<(u64, u64), MemoryError> {
    if !canonical(gva) {
        return Err(MemoryError::NonCanonical(gva));
    }
    let mut table = pml4;
    // PML4 (bit 39), PDPT (30), PD (21), PT (12).
    for shift in [39u32, 30, 21, 12] {
        let gpa = table + ((gva >> shift) & 0x1ff) * 8;
        let entry: u64 = mem
            .read_obj(GuestAddress(gpa))
            .map_err(|_| MemoryError::NotRam { gva, gpa })?;
        if entry & PRESENT == 0 {
            return Err(MemoryError::NotMapped(gva));
        }
        let leaf = shift == 12 || ((shift == 30 || shift == 21) && entry & PAGE_SIZE_BIT != 0);
        if leaf {
            let size = 1u64 << shift;
            let base = entry & ADDR_MASK & !(size - 1);
            return Ok((base | (gva & (size - 1)), size));
        }
        table = entry & ADDR_MASK;
    }
    // The loop returns at the last level.
    Err(MemoryError::NotMapped(gva))
}

/// `len` bytes at `gva`, page by page.
pub fn read_virtual(
    mem: &GuestMemoryMmap,
    pml4: u64,
    gva: u64,
    len: usize,
) -> Result<Vec<u8>, MemoryError> {
    let mut out = vec![0u8; len];
    let mut done = 0usize;
    while done < len {
        let at = gva.wrapping_add(done as u64);
        let (gpa, size) = translate(mem, pml4, at)?;
        let in_page = usize::try_from(size - (at & (size - 1))).unwrap_or(usize::MAX);
        let n = in_page.min(len - done);
        mem.read_slice(&mut out[done..done + n], GuestAddress(gpa))
            .map_err(|_| MemoryError::NotRam { gva: at, gpa })?;
        done += n;
    }
    Ok(out)
}

/// Where to read: an address, or a kernel symbol by exact name.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Gva(u64),
    Symbol(String),
}

#[derive(Debug, PartialEq, Eq)]
pub struct MemoryQuery {
    pub target: Target,
    pub len: u64,
}

/// Decimal or `0x` hexadecimal.
pub fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && !hex.starts_with('+') => u64::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// `%XX` escapes decoded (no `+` for space: symbols have no spaces).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The query of `GET /vm/memory`: `gva=ADDR` or `symbol=NAME`, and `len=N`.
pub fn parse_query(query: Option<&str>) -> Result<MemoryQuery, String> {
    let (mut gva, mut symbol, mut len) = (None, None, None);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("query parameter {pair:?}: expected KEY=VALUE"))?;
        let value = percent_decode(value)
            .ok_or_else(|| format!("query parameter {key}: bad percent-encoding"))?;
        let slot = match key {
            "gva" => &mut gva,
            "symbol" => &mut symbol,
            "len" => &mut len,
            other => {
                return Err(format!(
                    "unknown query parameter {other:?} (expected gva or symbol, and len)"
                ));
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("query parameter {key} given twice"));
        }
    }
    let target = match (gva, symbol) {
        (Some(g), None) => Target::Gva(
            parse_number(&g)
                .ok_or_else(|| format!("gva {g:?}: expected a decimal or 0x-hex address"))?,
        ),
        (None, Some(s)) if !s.is_empty() => Target::Symbol(s),
        (None, Some(_)) => return Err("symbol: empty name".to_string()),
        (Some(_), Some(_)) => return Err("give gva or symbol, not both".to_string()),
        (None, None) => return Err("missing gva=ADDR or symbol=NAME".to_string()),
    };
    let len = len.ok_or("missing len=N")?;
    let len = parse_number(&len)
        .filter(|n| (1..=MAX_LEN).contains(n))
        .ok_or_else(|| format!("len {len:?}: expected a number from 1 to {MAX_LEN}"))?;
    Ok(MemoryQuery { target, len })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn control_error(e: &ControlError) -> Response {
    match e {
        ControlError::Exited => Response::error(409, &e.to_string()),
        _ => Response::error(503, &e.to_string()),
    }
}

/// The PML4 of vCPU 0, from its special registers.
fn pml4(ctx: &Context) -> Result<u64, Response> {
    match ctx.control.ask(VcpuRequest::Sregs) {
        Ok(Reply::Sregs(s)) => paging_root(s.cr0, s.cr3, s.cr4, s.efer).map_err(|e| e.response()),
        Ok(Reply::Failed(what)) => Err(Response::error(500, &what)),
        Ok(_) => Err(Response::error(500, "unexpected answer from the vCPU")),
        Err(e) => Err(control_error(&e)),
    }
}

fn ksyms(ctx: &Context) -> Result<Ksyms<'_>, Response> {
    ctx.ksyms
        .as_deref()
        .and_then(Ksyms::parse)
        .ok_or_else(|| Response::error(503, "no kernel symbol table"))
}

fn symbol_address(ctx: &Context, name: &str) -> Result<u64, Response> {
    ksyms(ctx)?.find(name).ok_or_else(|| {
        Response::error(
            404,
            &format!("symbol {name:?}: not in the kernel symbol table"),
        )
    })
}

/// `GET /vm/memory?gva=ADDR&len=N` or `?symbol=NAME&len=N`.
pub fn get(ctx: &Context, query: Option<&str>) -> Response {
    let q = match parse_query(query) {
        Ok(q) => q,
        Err(message) => return Response::error(400, &message),
    };
    let gva = match &q.target {
        Target::Gva(gva) => *gva,
        Target::Symbol(name) => match symbol_address(ctx, name) {
            Ok(a) => a,
            Err(r) => return r,
        },
    };
    if gva.checked_add(q.len - 1).is_none() {
        return Response::error(
            400,
            &format!(
                "gva {gva:#x} + len {}: past the end of the address space",
                q.len
            ),
        );
    }
    let root = match pml4(ctx) {
        Ok(r) => r,
        Err(r) => return r,
    };
    // len <= MAX_LEN, so it fits.
    let len = usize::try_from(q.len).unwrap_or(0);
    match read_virtual(&ctx.memory, root, gva, len) {
        Ok(bytes) => Response::json(
            200,
            &types::Memory {
                gva,
                len: bytes.len() as u64,
                hex: hex(&bytes),
            },
        ),
        Err(e) => e.response(),
    }
}

/// One table: where it is and its non-empty entries, symbolized.
fn table(
    ctx: &Context,
    root: u64,
    symbol: &str,
    entries: usize,
    name: fn(u64) -> Option<&'static str>,
) -> Result<types::SyscallTable, Response> {
    let syms = ksyms(ctx)?;
    let gva = symbol_address(ctx, symbol)?;
    let bytes = read_virtual(&ctx.memory, root, gva, entries * 8).map_err(|e| e.response())?;
    let implemented = bytes
        .chunks_exact(8)
        .enumerate()
        .filter_map(|(nr, raw)| {
            let address = u64::from_le_bytes(raw.try_into().ok()?);
            (address != 0).then_some((nr as u64, address))
        })
        .map(|(nr, address)| {
            let found = syms
                .lookup(address)
                .filter(|_| address >= 0xffff_8000_0000_0000);
            types::SyscallSlot {
                nr,
                name: name(nr).map(str::to_string),
                address,
                symbol: found.map(|(s, _)| s.to_string()),
                offset: found.map(|(_, o)| o),
            }
        })
        .collect();
    Ok(types::SyscallTable {
        symbol: symbol.to_string(),
        gva,
        entries: entries as u64,
        implemented,
    })
}

/// `GET /vm/syscall-table`: both tables, read as `/vm/memory?symbol=` reads
/// them, each entry with its symbol.
pub fn syscall_table(ctx: &Context) -> Response {
    let root = match pml4(ctx) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let tables = table(ctx, root, SYS_CALL_TABLE, NR_SYSCALLS_64, name_64).and_then(|syscall| {
        table(ctx, root, IA32_SYS_CALL_TABLE, NR_SYSCALLS_I386, name_i386)
            .map(|int80| types::SyscallTables { syscall, int80 })
    });
    match tables {
        Ok(t) => Response::json(200, &t),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const RW: u64 = 0b11;

    /// 8 MiB of guest RAM with hand-built tables:
    /// - PML4 at 0x1000; gva 0x40_1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000
    ///   -> frames 0x10_0000 (gva 0x40_1000) and 0x20_0000 (gva 0x40_2000);
    ///   gva 0x40_3000 not present.
    /// - gva 0xffffffff80000000 (PML4 511, PDPT 510) -> a 2 MiB page at 4 MiB.
    /// - gva 0xffff888000000000 (PML4 273, PDPT 0) -> a 1 GiB page at 0
    ///   (beyond 8 MiB it is not RAM).
    fn guest() -> (GuestMemoryMmap, u64) {
        let mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), (8 * MIB) as usize)]).unwrap();
        let put = |at: u64, v: u64| mem.write_obj(v, GuestAddress(at)).unwrap();
        let pml4 = 0x1000;
        // 0x40_1000: PML4 index 0, PDPT 0, PD 2, PT 1.
        put(pml4, 0x2000 | RW);
        put(0x2000, 0x3000 | RW);
        put(0x3000 + 8 * 2, 0x4000 | RW);
        put(0x4000 + 8, 0x10_0000 | RW | (1 << 63)); // NX: irrelevant
        put(0x4000 + 8 * 2, 0x20_0000 | RW);
        put(0x4000 + 8 * 3, 0x30_0000); // not present
        // Kernel image: PML4 511 -> PDPT 0x5000, entry 510 -> PD 0x6000,
        // entry 0 -> 2 MiB page at 4 MiB.
        put(pml4 + 8 * 511, 0x5000 | RW);
        put(0x5000 + 8 * 510, 0x6000 | RW);
        put(0x6000, (4 * MIB) | RW | PAGE_SIZE_BIT);
        // Direct map: PML4 273 -> PDPT 0x7000, entry 0 -> 1 GiB page at 0.
        put(pml4 + 8 * 273, 0x7000 | RW);
        put(0x7000, RW | PAGE_SIZE_BIT);
        (mem, pml4)
    }

    #[test]
    fn walks_4k_2m_and_1g_pages() {
        let (mem, pml4) = guest();
        assert_eq!(translate(&mem, pml4, 0x40_1234), Ok((0x10_0234, 4096)));
        assert_eq!(translate(&mem, pml4, 0x40_2000), Ok((0x20_0000, 4096)));
        assert_eq!(
            translate(&mem, pml4, 0xffff_ffff_8012_3456),
            Ok((4 * MIB + 0x12_3456, 2 * MIB))
        );
        assert_eq!(
            translate(&mem, pml4, 0xffff_8880_0000_5000),
            Ok((0x5000, 1 << 30))
        );
    }

    #[test]
    fn reports_unmapped_noncanonical_and_non_ram() {
        let (mem, pml4) = guest();
        for gva in [0x40_3000, 0x0, 0x7fff_ffff_f000, 0xffff_ffff_8020_0000] {
            assert_eq!(
                translate(&mem, pml4, gva),
                Err(MemoryError::NotMapped(gva)),
                "{gva:#x}"
            );
        }
        assert_eq!(
            MemoryError::NotMapped(0x40_3000).to_string(),
            "gva 0x403000: not mapped"
        );
        assert_eq!(
            translate(&mem, pml4, 0x8000_0000_0000),
            Err(MemoryError::NonCanonical(0x8000_0000_0000))
        );
        // The 1 GiB page reaches past the 8 MiB of RAM.
        assert_eq!(
            read_virtual(&mem, pml4, 0xffff_8880_0100_0000, 4),
            Err(MemoryError::NotRam {
                gva: 0xffff_8880_0100_0000,
                gpa: 0x100_0000
            })
        );
        // A table pointer outside RAM.
        assert!(matches!(
            translate(&mem, 0x7fff_f000_0000, 0x1000),
            Err(MemoryError::NotRam { .. })
        ));
    }

    #[test]
    fn reads_across_pages() {
        let (mem, pml4) = guest();
        mem.write_slice(b"abcd", GuestAddress(0x10_0ffe)).unwrap();
        mem.write_slice(b"efgh", GuestAddress(0x20_0000)).unwrap();
        // Two physically distant frames, virtually adjacent.
        assert_eq!(read_virtual(&mem, pml4, 0x40_1ffe, 6).unwrap(), b"abefgh");
        // The same bytes through the direct map and the kernel window.
        assert_eq!(
            read_virtual(&mem, pml4, 0xffff_8880_0020_0000, 4).unwrap(),
            b"efgh"
        );
        mem.write_slice(b"kern", GuestAddress(4 * MIB + 0x10))
            .unwrap();
        assert_eq!(
            read_virtual(&mem, pml4, 0xffff_ffff_8000_0010, 4).unwrap(),
            b"kern"
        );
        // Running into an unmapped page fails with that page's address.
        assert_eq!(
            read_virtual(&mem, pml4, 0x40_2ff0, 0x20),
            Err(MemoryError::NotMapped(0x40_3000))
        );
    }

    #[test]
    fn checks_the_paging_mode() {
        let (pg, lma, la57) = (CR0_PG, EFER_LMA, CR4_LA57);
        assert_eq!(paging_root(pg | 1, 0x1018, 0x20, lma | 1), Ok(0x1000));
        assert!(paging_root(1, 0x1000, 0x20, lma).is_err());
        assert!(paging_root(pg, 0x1000, 0x20, 0).is_err());
        assert!(paging_root(pg, 0x1000, la57, lma).is_err());
    }

    #[test]
    fn parses_queries() {
        let q = |s: &str| parse_query(Some(s));
        assert_eq!(
            q("gva=0x401000&len=16"),
            Ok(MemoryQuery {
                target: Target::Gva(0x40_1000),
                len: 16
            })
        );
        assert_eq!(
            q("len=65536&gva=4198400"),
            Ok(MemoryQuery {
                target: Target::Gva(0x40_1000),
                len: MAX_LEN
            })
        );
        assert_eq!(
            q("symbol=a%3A%3Ab&len=8"),
            Ok(MemoryQuery {
                target: Target::Symbol("a::b".into()),
                len: 8
            })
        );
        assert_eq!(q("symbol=a::b&len=0X10").map(|q| q.len), Ok(16));
        for bad in [
            "",
            "gva=1",
            "len=8",
            "gva=1&len=0",
            "gva=1&len=65537",
            "gva=1&len=-1",
            "gva=zz&len=1",
            "gva=0x&len=1",
            "gva=+1&len=1",
            "gva=1&symbol=x&len=1",
            "gva=1&gva=2&len=1",
            "symbol=&len=1",
            "symbol=%zz&len=1",
            "symbol=%ff&len=1",
            "gva=1&len=1&x=2",
            "gva&len=1",
            "gva=18446744073709551616&len=1",
        ] {
            assert!(q(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_query(None).is_err());
    }

    #[test]
    fn hex_is_lower_case_pairs() {
        assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }
}
