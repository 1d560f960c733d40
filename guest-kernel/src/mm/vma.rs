//! The areas of an address space (Linux's `vm_area_struct`s and the tree
//! that holds them): ordered by start address, with neighbours that could
//! be one area merged into one, as Linux's vma_merge does. A lookup costs
//! a logarithm of the number of areas and an insertion or a split a
//! bounded shift (lstar_abi::chunked), so that a program with thousands
//! of mappings (an allocator's arenas, a JIT's pages) pays per call for
//! what the call touches, not for every area. An area that grows or
//! shrinks at either end changes in place: malloc's mmap of a page next
//! to the last one and its munmap (tens of thousands of calls in SQLite)
//! only move a boundary.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use alloc::sync::Arc;
use alloc::vec::Vec;

use lstar_abi::chunked::{Chunked, Pos};

use crate::fs::dentry::Dentry;
use crate::fs::file::File;
use crate::fs::inode::InodeRef;

use super::{PAGE_SIZE, page_align_down};

/// The initial stack: it never merges with a mapping below it (Linux's
/// VM_GROWSDOWN keeps it apart the same way).
pub const VM_GROWSDOWN: u32 = 1 << 0;
/// The kernel's own areas (the xstate trampoline and slots): never merged
/// with a program's mappings (Linux's VM_SPECIAL).
pub const VM_SPECIAL: u32 = 1 << 1;
/// madvise(MADV_NOHUGEPAGE): no huge pages here (huge_memory.rs).
pub const VM_NOHUGEPAGE: u32 = 1 << 2;

/// What a file mapping maps.
enum Backing {
    /// An open file, held open by the mapping (Linux's `vm_file`).
    File(Arc<File>),
    /// The first program's own file, which the file tree gets on first use
    /// (`fs::exe`): its text is mapped before any file is opened.
    Program,
}

/// The file behind a file mapping (`vm_file` and `vm_pgoff`).
pub struct VmaFile {
    backing: Backing,
    /// The file page at the area's start.
    pub pgoff: u64,
    /// MAP_SHARED: the file's cache pages are mapped themselves.
    pub shared: bool,
}

impl VmaFile {
    pub fn new(file: Arc<File>, pgoff: u64, shared: bool) -> VmaFile {
        VmaFile {
            backing: Backing::File(file),
            pgoff,
            shared,
        }
    }

    /// A private mapping of the first program's file.
    pub fn program(pgoff: u64) -> VmaFile {
        VmaFile {
            backing: Backing::Program,
            pgoff,
            shared: false,
        }
    }

    /// Where the mapped file is in the tree (/proc/self/maps).
    pub fn dentry(&self) -> Option<Arc<Dentry>> {
        match &self.backing {
            Backing::File(f) => Some(f.dentry.clone()),
            Backing::Program => crate::fs::exe(),
        }
    }

    pub fn inode(&self) -> Option<InodeRef> {
        self.dentry().map(|d| d.inode.clone())
    }

    /// The open file of a mapping made by mmap (msync writes it back).
    pub fn file(&self) -> Option<&Arc<File>> {
        match &self.backing {
            Backing::File(f) => Some(f),
            Backing::Program => None,
        }
    }

    fn at(&self, pages: u64) -> VmaFile {
        VmaFile {
            backing: match &self.backing {
                Backing::File(f) => Backing::File(f.clone()),
                Backing::Program => Backing::Program,
            },
            pgoff: self.pgoff + pages,
            shared: self.shared,
        }
    }

    /// The same open file (Linux merges areas of one `struct file` only).
    fn same_file(&self, other: &VmaFile) -> bool {
        match (&self.backing, &other.backing) {
            (Backing::File(a), Backing::File(b)) => Arc::ptr_eq(a, b),
            (Backing::Program, Backing::Program) => true,
            _ => false,
        }
    }
}

impl Drop for VmaFile {
    /// A mapping holds its file open; the last one goes as a close does.
    fn drop(&mut self) {
        if let Backing::File(f) = core::mem::replace(&mut self.backing, Backing::Program) {
            crate::fs::file::fput(f);
        }
    }
}

pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: u32,
    /// VM_GROWSDOWN, VM_SPECIAL.
    pub flags: u32,
    pub file: Option<VmaFile>,
}

impl Vma {
    /// Anonymous private memory.
    pub fn anon(start: u64, end: u64, prot: u32) -> Vma {
        Vma {
            start,
            end,
            prot,
            flags: 0,
            file: None,
        }
    }

    /// The part `[start, end)` of this area (inside it).
    pub fn slice(&self, start: u64, end: u64) -> Vma {
        Vma {
            start,
            end,
            prot: self.prot,
            flags: self.flags,
            file: self
                .file
                .as_ref()
                .map(|f| f.at((start - self.start) / PAGE_SIZE)),
        }
    }

    /// MAP_SHARED of a file: writes go to the file's cache pages, which
    /// fork shares as they are instead of copy-on-write.
    pub fn is_shared(&self) -> bool {
        self.file.as_ref().is_some_and(|f| f.shared)
    }

    /// The file page that backs `addr`.
    pub fn file_page(&self, addr: u64) -> Option<(&VmaFile, u64)> {
        let f = self.file.as_ref()?;
        Some((
            f,
            f.pgoff + (page_align_down(addr) - self.start) / PAGE_SIZE,
        ))
    }

    /// Whether `next`, which starts where this area ends, could be part
    /// of this area (Linux's is_mergeable_vma and its file offset check):
    /// the same protection and flags, and both anonymous private memory
    /// or the same file at contiguous offsets.
    fn can_merge_with(&self, next: &Vma) -> bool {
        if self.end != next.start
            || self.prot != next.prot
            || self.flags != next.flags
            || self.flags & VM_SPECIAL != 0
        {
            return false;
        }
        match (&self.file, &next.file) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.shared == b.shared
                    && a.same_file(b)
                    && a.pgoff + (self.end - self.start) / PAGE_SIZE == b.pgoff
            }
            _ => false,
        }
    }
}

/// The areas, ordered by address; they never overlap, so their ends are
/// ordered too.
#[derive(Default)]
pub struct Vmas {
    areas: Chunked<Vma>,
    /// Where the last area [`Vmas::find`] found (or an insertion touched)
    /// is: page faults come in runs on one area. Only a hint, checked
    /// before use: areas never overlap, so an area holding the address is
    /// the one whatever moved since.
    hint: Hint,
}

/// A position remembered through `&self` (find is a lookup); atomics
/// rather than a Cell so that Vmas stays Sync, relaxed loads and stores
/// are plain moves.
#[derive(Default)]
struct Hint {
    c: AtomicUsize,
    i: AtomicUsize,
}

impl Hint {
    const fn new() -> Hint {
        Hint {
            c: AtomicUsize::new(0),
            i: AtomicUsize::new(0),
        }
    }

    fn get(&self) -> Pos {
        Pos {
            c: self.c.load(Relaxed),
            i: self.i.load(Relaxed),
        }
    }

    fn set(&self, p: Pos) {
        self.c.store(p.c, Relaxed);
        self.i.store(p.i, Relaxed);
    }
}

impl Vmas {
    pub const fn new() -> Vmas {
        Vmas {
            areas: Chunked::new(),
            hint: Hint::new(),
        }
    }

    /// The position of the first area ending above `addr` (the one that
    /// holds `addr`, if any does).
    fn pos_ending_above(&self, addr: u64) -> Pos {
        self.areas.search(|v| v.end <= addr)
    }

    /// The position of the first area starting at or above `addr`.
    fn pos_starting_from(&self, addr: u64) -> Pos {
        self.areas.search(|v| v.start < addr)
    }

    /// Every area, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vma> {
        self.areas.iter()
    }

    /// The position of the area holding `addr` if one does (the hint's
    /// first), else of the first area above it.
    fn pos_holding(&self, addr: u64) -> Pos {
        let hint = self.hint.get();
        if self
            .areas
            .get(hint)
            .is_some_and(|v| v.start <= addr && addr < v.end)
        {
            return hint;
        }
        self.pos_ending_above(addr)
    }

    /// Where an area starting at `start`, which no area holds, goes: the
    /// position of the first area above it (the hint's first: a free gap
    /// search leaves it there).
    fn pos_for_new(&self, start: u64) -> Pos {
        let hint = self.hint.get();
        if self.areas.get(hint).is_some_and(|v| v.start >= start)
            && self
                .areas
                .prev(hint)
                .and_then(|q| self.areas.get(q))
                .is_none_or(|v| v.start < start)
        {
            return hint;
        }
        self.pos_starting_from(start)
    }

    /// The area holding `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        // The hint first, inline: faults come by the tens of thousands.
        if let Some(v) = self.areas.get(self.hint.get())
            && v.start <= addr
            && addr < v.end
        {
            return Some(v);
        }
        let p = self.pos_ending_above(addr);
        let v = self.areas.get(p).filter(|v| v.start <= addr)?;
        self.hint.set(p);
        Some(v)
    }

    /// The highest `len` bytes free below `top` (top-down, as Linux's
    /// default layout), or None when the first gap found below every area
    /// would start under `floor`. The area right above the gap becomes
    /// the hint, which the insertion of the new area then finds.
    pub fn gap_below(&self, top: u64, len: u64, floor: u64) -> Option<u64> {
        let mut top = top;
        let mut p = self.pos_starting_from(top);
        while let Some(q) = self.areas.prev(p) {
            let v = self.areas.get(q)?;
            if v.end <= top.checked_sub(len)? {
                self.hint.set(p);
                return Some(top - len);
            }
            top = v.start;
            p = q;
        }
        let start = top.checked_sub(len)?;
        self.hint.set(p);
        (start >= floor).then_some(start)
    }

    /// The areas that overlap `[start, end)`, lowest first.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        self.areas
            .iter_from(self.pos_ending_above(start))
            .take_while(move |v| v.start < end)
    }

    /// Whether any area overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_some()
    }

    /// Whether `[start, end)` is entirely covered by areas.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.overlapping(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// Adds an area over addresses no area holds, merged with the areas
    /// right before and after it where they are compatible: a neighbour
    /// that takes it in moves its boundary, nothing is inserted.
    pub fn insert(&mut self, vma: Vma) {
        let p = self.pos_for_new(vma.start);
        let into_next = self.areas.get(p).is_some_and(|n| vma.can_merge_with(n));
        let into_prev = self
            .areas
            .prev(p)
            .filter(|&q| self.areas.get(q).is_some_and(|v| v.can_merge_with(&vma)));
        match (into_prev, into_next) {
            (Some(q), true) => {
                // The upper area's file reference goes (fput), the lower
                // one's offset stays right for all three. The lower one
                // changes first: a removal may move positions.
                let end = self.areas.get(p).map_or(vma.end, |n| n.end);
                if let Some(prev) = self.areas.get_mut(q) {
                    prev.end = end;
                }
                self.areas.remove(p);
                self.hint.set(q);
            }
            (Some(q), false) => {
                if let Some(prev) = self.areas.get_mut(q) {
                    prev.end = vma.end;
                }
                self.hint.set(q);
            }
            (None, true) => {
                if let Some(next) = self.areas.get_mut(p) {
                    // The new area's file offset is the joined one's; its
                    // own file reference goes with it (fput).
                    next.start = vma.start;
                    if let (Some(nf), Some(vf)) = (next.file.as_mut(), vma.file.as_ref()) {
                        nf.pgoff = vf.pgoff;
                    }
                }
                self.hint.set(p);
            }
            (None, false) => {
                let start = vma.start;
                self.areas.insert(p, vma);
                // Unless its chunk split, the new area is at `p`.
                if self.areas.get(p).is_some_and(|v| v.start == start) {
                    self.hint.set(p);
                }
            }
        }
    }

    /// Adds an area as it is, never merged (fork's copy of the parent's
    /// areas, which are merged already).
    pub fn insert_unmerged(&mut self, vma: Vma) {
        let p = self.pos_starting_from(vma.start);
        self.areas.insert(p, vma);
    }

    /// Makes `addr` an area boundary: an area straddling it becomes two.
    pub fn split_at(&mut self, addr: u64) {
        let p = self.pos_holding(addr);
        let Some(v) = self.areas.get_mut(p) else {
            return;
        };
        if v.start >= addr {
            return;
        }
        let upper = v.slice(addr, v.end);
        v.end = addr;
        let after = self.areas.next(p);
        self.areas.insert(after, upper);
    }

    /// Removes `[start, end)`, splitting areas that straddle its edges,
    /// and returns the removed pieces, lowest first.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let mut pieces = Vec::new();
        self.remove_range_with(start, end, |piece| pieces.push(piece));
        pieces
    }

    /// [`Vmas::remove_range`] handing each removed piece, lowest first, to
    /// `f` once the tree no longer holds it: munmap's way, without a heap
    /// vector for its one piece (malloc makes tens of thousands of calls).
    pub fn remove_range_with(&mut self, start: u64, end: u64, mut f: impl FnMut(Vma)) {
        if start >= end {
            return;
        }
        // The common case, a range inside one area: one search, and the
        // area shrinks in place unless the range is all of it or its
        // middle.
        let p = self.pos_holding(start);
        if let Some(v) = self.areas.get_mut(p)
            && v.start <= start
            && end <= v.end
        {
            let piece = match (v.start == start, v.end == end) {
                (true, true) => self.areas.remove(p),
                (true, false) => {
                    let piece = v.slice(start, end);
                    v.start = end;
                    if let Some(file) = v.file.as_mut() {
                        file.pgoff += (end - start) / PAGE_SIZE;
                    }
                    piece
                }
                (false, true) => {
                    let piece = v.slice(start, end);
                    v.end = start;
                    piece
                }
                (false, false) => {
                    let piece = v.slice(start, end);
                    let upper = v.slice(end, v.end);
                    v.end = start;
                    let after = self.areas.next(p);
                    self.areas.insert(after, upper);
                    piece
                }
            };
            f(piece);
            return;
        }
        self.split_at(start);
        self.split_at(end);
        let mut pieces = Vec::new();
        loop {
            let p = self.pos_starting_from(start);
            if self.areas.get(p).is_none_or(|v| v.start >= end) {
                break;
            }
            pieces.push(self.areas.remove(p));
        }
        pieces.into_iter().for_each(f);
    }

    /// The areas inside `[start, end)` after splitting at its edges, for
    /// a change of all of them (mprotect); [`Vmas::merge_range`] rejoins
    /// what became compatible.
    pub fn split_range(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.split_at(start);
        self.split_at(end);
        let p = self.pos_starting_from(start);
        self.areas
            .iter_mut_from(p)
            .take_while(move |v| v.start < end)
    }

    /// Merges compatible neighbours at the boundaries in `[start, end]`
    /// (after a change of the areas in between: Linux's vma_modify merges
    /// each with its neighbours).
    pub fn merge_range(&mut self, start: u64, end: u64) {
        let mut at = start;
        loop {
            // The area starting at or after `at` joins the one before it
            // if they fit; its end is the next boundary to look at.
            let p = self.pos_starting_from(at);
            let Some(upper) = self.areas.get(p) else {
                return;
            };
            if upper.start > end {
                return;
            }
            at = upper.end;
            if let Some(q) = self.areas.prev(p)
                && self
                    .areas
                    .get(q)
                    .is_some_and(|lower| lower.can_merge_with(upper))
            {
                // The upper area's file reference goes (fput). The lower
                // one changes first: a removal may move positions.
                if let Some(lower) = self.areas.get_mut(q) {
                    lower.end = at;
                }
                self.areas.remove(p);
            }
            if at > end {
                return;
            }
        }
    }

    /// Drops every area (the machine is stopping, or exec replaced them).
    pub fn clear(&mut self) {
        self.areas.clear();
    }
}
