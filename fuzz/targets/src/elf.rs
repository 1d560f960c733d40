//! The program ELF checks (`lstar_abi::elf`, what `lstar run` applies to a
//! program before it boots): any file, or a valid static executable with
//! bytes overwritten, is accepted or refused without a panic, and what is
//! accepted really has its program headers and loadable segments within
//! the file, at least one PT_LOAD and no PT_INTERP.

use lstar_abi::elf::{self, ELF_HEADER_SIZE, ET_DYN, ET_EXEC, PHDR_SIZE, PT_INTERP, PT_LOAD};

use crate::input::Input;

/// A small static executable's header and `phnum` program headers, the
/// first two PT_LOAD within the file.
fn skeleton(kind: u16, phnum: u16) -> Vec<u8> {
    let mut b = vec![0u8; ELF_HEADER_SIZE + PHDR_SIZE * usize::from(phnum) + 256];
    b[..ELF_HEADER_SIZE].copy_from_slice(&elf::header(kind, phnum));
    let len = b.len() as u64;
    for i in 0..usize::from(phnum) {
        let ph = &mut b[ELF_HEADER_SIZE + PHDR_SIZE * i..][..PHDR_SIZE];
        let kind = if i < 2 { PT_LOAD } else { 6 + i as u32 % 3 };
        ph[..4].copy_from_slice(&kind.to_le_bytes());
        ph[32..40].copy_from_slice(&(len / 2).to_le_bytes());
    }
    b
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(le)
}

pub fn elf(data: &[u8]) {
    let mut input = Input::new(data);
    let file = match input.u8() % 4 {
        // Any bytes at all.
        0 => input.rest().to_vec(),
        // A valid program with bytes overwritten (offset, value) and
        // maybe cut short.
        _ => {
            let kind = if input.bool() { ET_EXEC } else { ET_DYN };
            let mut b = skeleton(kind, 1 + u16::from(input.u8() % 8));
            let cut = input.u16();
            while !input.is_empty() {
                let at = usize::from(input.u16()) % b.len();
                b[at] = input.u8();
            }
            if cut & 0x8000 != 0 {
                b.truncate(usize::from(cut & 0x7fff));
            }
            b
        }
    };
    if elf::check_file(&file).is_ok() {
        check_accepted(&file);
    }
}

/// Re-checks an accepted file the slow, obvious way.
fn check_accepted(b: &[u8]) {
    assert!(b.len() >= ELF_HEADER_SIZE && b.starts_with(b"\x7fELF"));
    let phoff = usize::try_from(u64_at(b, 32)).expect("phoff within the file");
    let phnum = usize::from(u16::from_le_bytes([b[56], b[57]]));
    let table = b
        .get(phoff..phoff + phnum * PHDR_SIZE)
        .expect("program headers within the file");
    let mut loads = 0;
    for ph in table.chunks_exact(PHDR_SIZE) {
        let kind = u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]);
        assert_ne!(kind, PT_INTERP, "accepted with an interpreter");
        if kind == PT_LOAD {
            loads += 1;
            let end = u128::from(u64_at(ph, 8)) + u128::from(u64_at(ph, 32));
            assert!(end <= b.len() as u128, "a PT_LOAD past the end accepted");
        }
    }
    assert!(loads > 0, "accepted without PT_LOAD");
}
