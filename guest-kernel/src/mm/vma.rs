//! The areas of an address space (Linux's `vm_area_struct`s and the tree
//! that holds them): ordered by start address, with neighbours that could
//! be one area merged into one, as Linux's vma_merge does. A lookup, an
//! insertion and a split cost a logarithm of the number of areas, so that
//! a program with thousands of mappings (an allocator's arenas, a JIT's
//! pages) pays per call for what the call touches, not for every area.

use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;
use alloc::sync::Arc;
use alloc::vec::Vec;

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

/// The areas, keyed by start address; they never overlap.
#[derive(Default)]
pub struct Vmas {
    map: BTreeMap<u64, Vma>,
}

impl Vmas {
    pub const fn new() -> Vmas {
        Vmas {
            map: BTreeMap::new(),
        }
    }

    /// Every area, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vma> {
        self.map.values()
    }

    /// The area holding `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        let (_, v) = self.map.range(..=addr).next_back()?;
        (addr < v.end).then_some(v)
    }

    /// The areas that overlap `[start, end)`, lowest first.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        // The one area that may start below `start` and reach into the
        // range, then those starting inside it.
        let first = self
            .map
            .range(..start)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.end > start);
        first
            .into_iter()
            .chain(self.map.range(start..end.max(start)).map(|(_, v)| v))
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

    /// The areas that start below `top`, highest first (top-down search
    /// for a free gap).
    pub fn below(&self, top: u64) -> impl Iterator<Item = &Vma> {
        self.map.range(..top).rev().map(|(_, v)| v)
    }

    /// Adds an area over addresses no area holds, merged with the areas
    /// right before and after it where they are compatible. A handful of
    /// tree searches: each costs tens of emulated instructions on kvm-pvm.
    pub fn insert(&mut self, mut vma: Vma) {
        if let Entry::Occupied(next) = self.map.entry(vma.end)
            && vma.can_merge_with(next.get())
        {
            // The upper area's file reference goes (fput), the lower
            // one's offset stays right for both.
            vma.end = next.remove().end;
        }
        if let Some((_, prev)) = self.map.range_mut(..vma.start).next_back()
            && prev.can_merge_with(&vma)
        {
            prev.end = vma.end;
            return;
        }
        self.map.insert(vma.start, vma);
    }

    /// Adds an area as it is, never merged (fork's copy of the parent's
    /// areas, which are merged already).
    pub fn insert_unmerged(&mut self, vma: Vma) {
        self.map.insert(vma.start, vma);
    }

    /// Makes `addr` an area boundary: an area straddling it becomes two.
    pub fn split_at(&mut self, addr: u64) {
        let Some((_, v)) = self.map.range_mut(..addr).next_back() else {
            return;
        };
        if v.end <= addr {
            return;
        }
        let upper = v.slice(addr, v.end);
        v.end = addr;
        self.map.insert(addr, upper);
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
        // The common case, a range inside one area: one search, and one
        // insertion or removal, instead of two splits and an extraction.
        if let Some((&key, v)) = self.map.range_mut(..end).next_back()
            && v.start <= start
            && end <= v.end
        {
            let upper = (end < v.end).then(|| v.slice(end, v.end));
            let piece = if key < start {
                let piece = v.slice(start, end);
                v.end = start;
                Some(piece)
            } else {
                self.map.remove(&key).map(|mut whole| {
                    whole.end = end;
                    whole
                })
            };
            if let Some(upper) = upper {
                self.map.insert(end, upper);
            }
            if let Some(piece) = piece {
                f(piece);
            }
            return;
        }
        self.split_at(start);
        self.split_at(end);
        let pieces: Vec<Vma> = self
            .map
            .extract_if(start..end, |_, _| true)
            .map(|(_, v)| v)
            .collect();
        pieces.into_iter().for_each(f);
    }

    /// The areas inside `[start, end)` after splitting at its edges, for
    /// a change of all of them (mprotect); [`Vmas::merge_range`] rejoins
    /// what became compatible.
    pub fn split_range(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        self.split_at(start);
        self.split_at(end);
        self.map.range_mut(start..end).map(|(_, v)| v)
    }

    /// Merges compatible neighbours at the boundaries in `[start, end]`
    /// (after a change of the areas in between: Linux's vma_modify merges
    /// each with its neighbours).
    pub fn merge_range(&mut self, start: u64, end: u64) {
        self.merge_at(start);
        // Boundaries inside the range exist only if it held several areas
        // (a one-page range holds one).
        if end - start > PAGE_SIZE {
            let inner: Vec<u64> = self.map.range(start + 1..end).map(|(&k, _)| k).collect();
            for k in inner {
                self.merge_at(k);
            }
        }
        self.merge_at(end);
    }

    /// Joins the area starting at `addr` onto the one ending there if
    /// they fit: one search finds both.
    fn merge_at(&mut self, addr: u64) {
        let mut pair = self.map.range_mut(..=addr).rev();
        let (Some((&k, upper)), Some((_, lower))) = (pair.next(), pair.next()) else {
            return;
        };
        if k != addr || !lower.can_merge_with(upper) {
            return;
        }
        lower.end = upper.end;
        // The upper area's file reference goes (fput).
        self.map.remove(&addr);
    }

    /// Drops every area (the machine is stopping, or exec replaced them).
    pub fn clear(&mut self) {
        self.map.clear();
    }
}
