//! The ext2 superblock: the geometry every other part computes with, and
//! the features this kernel implements, refuses, or can only read.

use alloc::format;
use alloc::string::String;

use super::buffer::{le16, le32};

pub const MAGIC: u16 = 0xEF53;

// s_feature_compat: a kernel may ignore these (by the format's rules).
// s_feature_incompat: a kernel that lacks one must not mount.
pub const INCOMPAT_FILETYPE: u32 = 0x0002;
const INCOMPAT_NAMES: [(u32, &str); 14] = [
    (0x0001, "compression"),
    (0x0004, "needs_recovery (a journal to replay)"),
    (0x0008, "journal_dev"),
    (0x0010, "meta_bg"),
    (0x0040, "extents"),
    (0x0080, "64bit"),
    (0x0100, "mmp"),
    (0x0200, "flex_bg"),
    (0x0400, "ea_inode"),
    (0x1000, "dirdata"),
    (0x2000, "metadata_csum_seed"),
    (0x4000, "large_dir"),
    (0x8000, "inline_data"),
    (0x10000, "encrypt"),
];
// s_feature_ro_compat: without one, a kernel may still read.
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
const RO_COMPAT_METADATA_CSUM: u32 = 0x0400;
const RO_COMPAT_GDT_CSUM: u32 = 0x0010;

/// Superblock field offsets (within its 1024 bytes).
pub const S_FREE_BLOCKS: usize = 12;
pub const S_FREE_INODES: usize = 16;
pub const S_RO_COMPAT: usize = 100;
const S_STATE_ERROR: u16 = 2;

/// What the superblock says, checked.
#[derive(Clone, Copy, Debug)]
pub struct Geo {
    pub bs: u32,
    /// Block numbers per indirect block.
    pub per: u32,
    pub blocks_count: u32,
    pub inodes_count: u32,
    pub r_blocks: u32,
    pub first_data_block: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub groups: u32,
    pub inode_size: u32,
    pub first_ino: u32,
    /// Entries carry their file type (INCOMPAT_FILETYPE).
    pub filetype: bool,
}

impl Geo {
    /// 512-byte sectors per block (i_blocks units).
    pub fn spb(&self) -> u32 {
        self.bs / 512
    }
    /// The first block of the group descriptor table.
    pub fn gdt_block(&self) -> u32 {
        self.first_data_block + 1
    }
    pub fn group_of_block(&self, blk: u32) -> u32 {
        (blk.saturating_sub(self.first_data_block) / self.blocks_per_group).min(self.groups - 1)
    }
    pub fn group_of_ino(&self, ino: u32) -> u32 {
        (ino - 1) / self.inodes_per_group
    }
    pub fn valid_block(&self, blk: u32) -> bool {
        blk >= self.first_data_block && blk < self.blocks_count
    }
}

/// How a disk may be mounted, or why not.
pub enum Verdict {
    ReadWrite(Geo),
    /// Only readable: the reason (an ro_compat feature, errors recorded).
    ReadOnly(Geo, String),
    Refused(String),
}

/// Checks the 1024 bytes of a superblock on a disk of `disk_bytes`.
/// Not ext2 at all (no magic): None.
pub fn check(raw: &[u8], disk_bytes: u64) -> Option<Verdict> {
    if raw.len() < 1024 || le16(raw, 56) != MAGIC {
        return None;
    }
    let refuse = |why: String| Some(Verdict::Refused(why));
    let rev = le32(raw, 76);
    let log = le32(raw, 24);
    if log > 2 {
        return refuse(format!(
            "block size {} (this kernel reads 1, 2 and 4 KiB blocks)",
            1024u64 << log.min(20)
        ));
    }
    let bs = 1024u32 << log;
    let (inode_size, first_ino, incompat, ro_compat) = if rev == 0 {
        (128, 11, 0, 0)
    } else {
        (
            u32::from(le16(raw, 88)),
            le32(raw, 84),
            le32(raw, 96),
            le32(raw, 100),
        )
    };
    if rev > 1 {
        return refuse(format!("revision {rev}"));
    }
    for (bit, name) in INCOMPAT_NAMES {
        if incompat & bit != 0 {
            return refuse(format!("feature {name}"));
        }
    }
    if incompat & !INCOMPAT_FILETYPE != 0 {
        return refuse(format!(
            "unknown incompatible features {:#x}",
            incompat & !INCOMPAT_FILETYPE
        ));
    }
    if ro_compat & RO_COMPAT_METADATA_CSUM != 0 {
        return refuse(String::from("feature metadata_csum"));
    }
    let g = Geo {
        bs,
        per: bs / 4,
        blocks_count: le32(raw, 4),
        inodes_count: le32(raw, 0),
        r_blocks: le32(raw, 8),
        first_data_block: le32(raw, 20),
        blocks_per_group: le32(raw, 32),
        inodes_per_group: le32(raw, 40),
        groups: 0,
        inode_size,
        first_ino,
        filetype: incompat & INCOMPAT_FILETYPE != 0,
    };
    // Geometry the rest of the code relies on; a corrupt superblock is
    // refused here rather than trusted.
    let sane = g.blocks_per_group > 0
        && g.blocks_per_group <= 8 * bs
        && g.inodes_per_group > 0
        && g.inodes_per_group <= 8 * bs
        && inode_size >= 128
        && inode_size <= bs
        && inode_size.is_power_of_two()
        && g.first_data_block == u32::from(bs == 1024)
        && g.blocks_count > g.first_data_block
        && u64::from(g.blocks_count) * u64::from(bs) <= disk_bytes
        && first_ino >= 11
        && first_ino <= g.inodes_count;
    if !sane {
        return refuse(String::from("an inconsistent superblock (run e2fsck)"));
    }
    let groups = (g.blocks_count - g.first_data_block).div_ceil(g.blocks_per_group);
    if u64::from(groups) * u64::from(g.inodes_per_group) != u64::from(g.inodes_count)
        || u64::from(groups) * 32 > u64::from(bs) * 1024
    {
        return refuse(String::from("an inconsistent group count (run e2fsck)"));
    }
    let g = Geo { groups, ..g };
    let known_ro = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;
    if ro_compat & !known_ro != 0 {
        let why = if ro_compat & RO_COMPAT_GDT_CSUM != 0 {
            String::from("feature uninit_bg")
        } else {
            format!("read-only compatible features {:#x}", ro_compat & !known_ro)
        };
        return Some(Verdict::ReadOnly(g, why));
    }
    if le16(raw, 58) & S_STATE_ERROR != 0 {
        return Some(Verdict::ReadOnly(
            g,
            String::from("errors recorded in the superblock (run e2fsck)"),
        ));
    }
    Some(Verdict::ReadWrite(g))
}
