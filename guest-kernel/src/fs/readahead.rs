//! Read-ahead (what Linux's mm/readahead.c does for a page-cache miss):
//! a miss fills a window of pages, not one, so that a file or disk read
//! from start to end costs one device batch per window instead of one
//! request per page.
//!
//! The window, as Linux sizes it: a miss that is not where the previous
//! window ended (a first read, a seek) starts small, `INIT_PAGES` past
//! the pages the read itself asks for; each miss at the end of the
//! previous window (sequential access) doubles it, up to `MAX_PAGES`.
//! 16 KiB to start keeps a random reader's waste at a few pages; 128 KiB
//! at most is Linux's default (VM_READAHEAD_PAGES), 32 pages, which fit
//! one request when the blocks are contiguous (lstar's device takes up
//! to 254 segments, SEG_MAX). Nothing is read past the end of the file.
//!
//! Linux also starts the next window asynchronously before the reader
//! reaches it (PG_readahead); every read here waits for its device
//! batch, so there is nothing to overlap, and the window is read at the
//! miss.

/// The first window past a read's own pages (16 KiB).
pub const INIT_PAGES: u64 = 4;
/// The largest window (128 KiB, Linux's VM_READAHEAD_PAGES).
pub const MAX_PAGES: u64 = 32;
/// Pages filled by one miss at most, the read's own included (1 MiB),
/// so that a huge read() does not take frames by the thousand at once.
pub const MAX_BATCH: u64 = 256;

/// The read-ahead state of one file (Linux's `file_ra_state`, here per
/// inode: the page after the last window and the window's size).
#[derive(Debug)]
pub struct ReadAhead {
    next: u64,
    window: u64,
}

impl ReadAhead {
    pub const fn new() -> ReadAhead {
        ReadAhead {
            next: u64::MAX,
            window: 0,
        }
    }

    /// A miss at page `index` of a read whose last page is `last`, in a
    /// file of `eof` pages: the end (exclusive) of the pages to fill from
    /// `index`, at least `index + 1`, at most `eof` (when `index` is
    /// before it) and `index + MAX_BATCH`.
    pub fn on_miss(&mut self, index: u64, last: u64, eof: u64) -> u64 {
        self.window = if index == self.next {
            (self.window * 2).clamp(INIT_PAGES, MAX_PAGES)
        } else {
            INIT_PAGES
        };
        let want = last
            .max(index)
            .saturating_add(1)
            .saturating_add(self.window);
        let end = want
            .min(eof)
            .min(index.saturating_add(MAX_BATCH))
            .max(index.saturating_add(1));
        self.next = end;
        end
    }
}

impl Default for ReadAhead {
    fn default() -> ReadAhead {
        ReadAhead::new()
    }
}
