//! Block reads gathered into device requests (Linux's fs/mpage.c): the
//! blocks of consecutive cache pages that lie in a row on the disk become
//! one request, and all requests go in one batch (one notification when
//! the queue has room), waited for together.
//!
//! A request is a list of frames, each whole except the last
//! (`Transfer`): a run may continue into the next page only when it
//! started at a page boundary and fills its pages so far; otherwise (a 1
//! KiB-block file whose blocks are not aligned to pages on the disk, a
//! hole) a new request starts.

use alloc::vec::Vec;

use crate::drivers::virtio_blk::{self, SECTOR, Transfer};
use crate::errno::{EIO, Errno};
use crate::mm::PAGE_SIZE;

struct Run {
    sector: u64,
    /// Physical addresses: the first may be inside a frame; the others
    /// are frame starts.
    pages: Vec<u64>,
    last_len: u32,
}

impl Run {
    fn bytes(&self) -> u64 {
        (self.pages.len() as u64 - 1) * PAGE_SIZE + u64::from(self.last_len)
    }
}

/// Reads being gathered, in file order.
pub struct ReadRuns {
    runs: Vec<Run>,
    seg_max: u64,
}

impl ReadRuns {
    /// Requests of at most `seg_max` segments (the device's SEG_MAX).
    pub fn new(seg_max: u64) -> ReadRuns {
        ReadRuns {
            runs: Vec::new(),
            seg_max: seg_max.max(1),
        }
    }

    /// `len` bytes at disk `sector` into the frame `frame` at `offset`
    /// (`offset + len` within the page), after everything added so far.
    pub fn add(&mut self, sector: u64, frame: u64, offset: u64, len: u32) {
        let at = frame + offset;
        if let Some(run) = self.runs.last_mut()
            && run.sector + run.bytes() / SECTOR == sector
        {
            let last = *run.pages.last().unwrap_or(&0);
            if offset > 0 && last + u64::from(run.last_len) == at {
                // The same page, the next bytes of it.
                run.last_len += len;
                return;
            }
            if offset == 0
                && run.pages[0] % PAGE_SIZE == 0
                && u64::from(run.last_len) == PAGE_SIZE
                && (run.pages.len() as u64) < self.seg_max
            {
                run.pages.push(frame);
                run.last_len = len;
                return;
            }
        }
        self.runs.push(Run {
            sector,
            pages: alloc::vec![at],
            last_len: len,
        });
    }

    /// Performs every request and waits for them.
    pub fn submit(self) -> Result<(), Errno> {
        if self.runs.is_empty() {
            return Ok(());
        }
        let transfers: Vec<Transfer> = self
            .runs
            .iter()
            .map(|r| Transfer {
                write: false,
                sector: r.sector,
                pages: &r.pages,
                last_len: r.last_len,
            })
            .collect();
        virtio_blk::transfer(&transfers).map_err(|_| EIO)
    }
}
