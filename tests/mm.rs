//! Memory areas (guest-kernel/src/mm/vma.rs): thousands of one-page
//! mappings merge, split and merge again as Linux's do, so that
//! /proc/self/maps counts the same areas natively and in lstar, and the
//! calls on them cost per call, not per area.

use crate::common::{Cmd, prog};
use std::time::Duration;

#[test]
fn five_thousand_one_page_mappings_merge_and_split_as_on_linux() {
    require_kvm!();
    let program = prog("vma-merge");
    let native = Cmd::new(&program).run();
    native.assert_status(0);
    // Linux's own counts (its merge rules), so that a change of the
    // program shows here first.
    let text = native.stdout_str();
    for line in [
        "5000 one-page mmaps: 1 areas",
        "every other page read-only: 5000 areas",
        "every third page unmapped: 3333 areas",
        "read-only pages writable again: 1667 areas",
        "mremap move: 1666 areas, contents kept",
        "everything unmapped: 0 areas",
    ] {
        assert!(text.contains(line), "natively: no {line:?}\n{text}");
    }
    // About 41 million emulated instructions on kvm-pvm: tens of seconds
    // (with a list of areas scanned per call it had not got past the
    // first step after 30 minutes). The limit only guards against a hang,
    // on a loaded machine too.
    let guest = Cmd::lstar_prog(&program)
        .timeout(Duration::from_secs(900))
        .run();
    guest.assert_status(0);
    assert_eq!(guest.stdout_str(), text, "{}", guest.describe());
}

/// munmap and MADV_DONTNEED of touched pages at the sizes where the
/// kernel's TLB invalidation changes (per page up to 33 pages, one flush
/// past that or when a whole page table is detached,
/// guest-kernel/src/mm/paging.rs zap_range): the dropped pages read as
/// zero or fault, the others keep their bytes, natively, in lstar and
/// under QEMU TCG (whose software TLB keeps a stale translation that the
/// shadow MMU of kvm-pvm would hide).
#[test]
fn unmapped_and_dropped_pages_are_gone_at_every_flush_size() {
    let program = prog("vma-zap");
    let native = Cmd::new(&program).run();
    native.assert_status(0);
    let text = native.stdout_str();
    for line in [
        "munmap 34 of 200 pages at 50: 0 zero, 34 faulted, 166 kept, 0 wrong",
        "madvise 512 of 1024 pages at 0: 512 zero, 0 faulted, 512 kept, 0 wrong",
    ] {
        assert!(text.contains(line), "natively: no {line:?}\n{text}");
    }
    if !crate::qemu::qemu_missing() {
        let tcg = crate::qemu::qemu_run(&program, &[]);
        tcg.assert_status(0);
        assert_eq!(tcg.stdout_str(), text, "under QEMU TCG: {}", tcg.describe());
    }
    require_kvm!();
    let guest = Cmd::lstar_prog(&program).run();
    guest.assert_status(0);
    assert_eq!(guest.stdout_str(), text, "{}", guest.describe());
}
