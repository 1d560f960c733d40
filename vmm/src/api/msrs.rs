//! The MSRs `GET /vm/vcpus/0/msrs` reports, and what their bits mean.

use lstar_abi::ksyms::Ksyms;

use crate::msr::{
    MSR_CSTAR, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP, MSR_IA32_SYSENTER_ESP, MSR_IA32_TSC,
    MSR_KERNEL_GS_BASE, MSR_LSTAR, MSR_STAR, MSR_SYSCALL_MASK,
};

pub const MSR_EFER: u32 = 0xc000_0080;
pub const MSR_FS_BASE: u32 = 0xc000_0100;
pub const MSR_GS_BASE: u32 = 0xc000_0101;
pub const MSR_APIC_BASE: u32 = 0x1b;
pub const MSR_PAT: u32 = 0x277;

/// How a value is explained.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Efer,
    Star,
    Fmask,
    ApicBase,
    Pat,
    /// A code or data address: symbolized.
    Address,
    Selector,
    Plain,
}

/// (name, index, kind), in the order reported.
const MSRS: [(&str, u32, Kind); 14] = [
    ("IA32_EFER", MSR_EFER, Kind::Efer),
    ("IA32_STAR", MSR_STAR, Kind::Star),
    ("IA32_LSTAR", MSR_LSTAR, Kind::Address),
    ("IA32_CSTAR", MSR_CSTAR, Kind::Address),
    ("IA32_FMASK", MSR_SYSCALL_MASK, Kind::Fmask),
    ("IA32_FS_BASE", MSR_FS_BASE, Kind::Address),
    ("IA32_GS_BASE", MSR_GS_BASE, Kind::Address),
    ("IA32_KERNEL_GS_BASE", MSR_KERNEL_GS_BASE, Kind::Address),
    ("IA32_TSC", MSR_IA32_TSC, Kind::Plain),
    ("IA32_APIC_BASE", MSR_APIC_BASE, Kind::ApicBase),
    ("IA32_SYSENTER_CS", MSR_IA32_SYSENTER_CS, Kind::Selector),
    ("IA32_SYSENTER_ESP", MSR_IA32_SYSENTER_ESP, Kind::Address),
    ("IA32_SYSENTER_EIP", MSR_IA32_SYSENTER_EIP, Kind::Address),
    ("IA32_PAT", MSR_PAT, Kind::Pat),
];

/// The indices to ask KVM for.
pub fn indices() -> Vec<u32> {
    MSRS.iter().map(|m| m.1).collect()
}

/// Names of the set bits among `bits` (bit, name), `|`-joined; "none" if none.
fn flags(value: u64, bits: &[(u32, &str)]) -> String {
    let set: Vec<&str> = bits
        .iter()
        .filter(|(b, _)| value & (1 << b) != 0)
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        "none".to_string()
    } else {
        set.join("|")
    }
}

const RFLAGS_BITS: [(u32, &str); 17] = [
    (0, "CF"),
    (2, "PF"),
    (4, "AF"),
    (6, "ZF"),
    (7, "SF"),
    (8, "TF"),
    (9, "IF"),
    (10, "DF"),
    (11, "OF"),
    (12, "IOPL0"),
    (13, "IOPL1"),
    (14, "NT"),
    (16, "RF"),
    (17, "VM"),
    (18, "AC"),
    (19, "VIF"),
    (21, "ID"),
];

fn pat_type(t: u64) -> &'static str {
    match t {
        0 => "UC",
        1 => "WC",
        4 => "WT",
        5 => "WP",
        6 => "WB",
        7 => "UC-",
        _ => "reserved",
    }
}

fn decode(kind: Kind, value: u64) -> String {
    match kind {
        Kind::Efer => flags(value, &[(0, "SCE"), (8, "LME"), (10, "LMA"), (11, "NXE")]),
        Kind::Star => {
            let kernel = (value >> 32) & 0xffff;
            let user = value >> 48;
            format!(
                "SYSCALL CS={kernel:#x} SS={:#x}; SYSRET base={user:#x}: CS={:#x} SS={:#x} (64-bit), CS={user:#x} (32-bit)",
                kernel + 8,
                (user + 16) & 0xffff,
                (user + 8) & 0xffff
            )
        }
        Kind::Fmask => format!("SYSCALL clears {}", flags(value, &RFLAGS_BITS)),
        Kind::ApicBase => {
            let mut s = format!("base={:#x}", value & !0xfff);
            for (bit, what) in [(8, " BSP"), (10, " x2APIC"), (11, " enabled")] {
                if value & (1 << bit) != 0 {
                    s.push_str(what);
                }
            }
            s
        }
        Kind::Pat => (0..8)
            .map(|i| format!("PA{i}={}", pat_type((value >> (i * 8)) & 7)))
            .collect::<Vec<_>>()
            .join(" "),
        Kind::Selector => format!("selector {value:#x}"),
        Kind::Address | Kind::Plain => String::new(),
    }
}

/// `name` or `name+0xOFF` for an address in the kernel's half.
pub fn symbol(ksyms: Option<&[u8]>, addr: u64) -> Option<String> {
    if addr < 0xffff_8000_0000_0000 {
        return None;
    }
    let (name, off) = Ksyms::parse(ksyms?)?.lookup(addr)?;
    Some(if off == 0 {
        name.to_string()
    } else {
        format!("{name}+{off:#x}")
    })
}

/// One row of the answer.
pub struct MsrRow {
    pub name: &'static str,
    pub index: u32,
    pub value: Option<u64>,
    pub decoded: String,
    pub symbol: Option<String>,
}

/// Rows for the values KVM returned, in [`indices`] order.
pub fn rows(values: &[(u32, Option<u64>)], ksyms: Option<&[u8]>) -> Vec<MsrRow> {
    MSRS.iter()
        .map(|&(name, index, kind)| {
            let value = values.iter().find(|v| v.0 == index).and_then(|v| v.1);
            MsrRow {
                name,
                index,
                value,
                decoded: value.map(|v| decode(kind, v)).unwrap_or_default(),
                symbol: value
                    .filter(|_| kind == Kind::Address)
                    .and_then(|v| symbol(ksyms, v)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_syscall_msrs() {
        assert_eq!(decode(Kind::Efer, 0xd01), "SCE|LME|LMA|NXE");
        assert_eq!(decode(Kind::Efer, 0), "none");
        let star = (0x23u64 << 48) | (0x10u64 << 32);
        assert_eq!(
            decode(Kind::Star, star),
            "SYSCALL CS=0x10 SS=0x18; SYSRET base=0x23: CS=0x33 SS=0x2b (64-bit), CS=0x23 (32-bit)"
        );
        assert_eq!(
            decode(Kind::Fmask, 0x47700),
            "SYSCALL clears TF|IF|DF|IOPL0|IOPL1|NT|AC"
        );
        assert_eq!(
            decode(Kind::ApicBase, 0xfee0_0900),
            "base=0xfee00000 BSP enabled"
        );
        assert_eq!(
            decode(Kind::Pat, 0x0007_0406_0007_0406),
            "PA0=WB PA1=WT PA2=UC- PA3=UC PA4=WB PA5=WT PA6=UC- PA7=UC"
        );
        assert_eq!(symbol(None, 0xffff_ffff_8000_0000), None);
        assert_eq!(indices().len(), 14);
    }
}
