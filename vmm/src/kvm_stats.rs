//! KVM's own binary statistics of the vCPU (KVM_GET_STATS_FD, Linux 5.14+):
//! a file with a header, descriptors (name, offset, size) and a data block
//! of u64s. kvm-ioctls 0.25 does not wrap the ioctl, so it is issued here;
//! reading is one pread, from any thread, without stopping the vCPU.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::FileExt;

use kvm_ioctls::VcpuFd;

/// `_IO(KVMIO, 0xce)`.
const KVM_GET_STATS_FD: libc::c_ulong = 0xae_ce;
const HEADER_SIZE: usize = 24;
const DESC_FIXED: usize = 16;
/// The stats file is small (a few KiB); refuse anything absurd.
const MAX_FILE: usize = 1 << 20;

/// Opens the vCPU's stats file; `None` if KVM has none.
pub fn open(vcpu: &VcpuFd) -> Option<File> {
    // SAFETY: KVM_GET_STATS_FD takes no argument and returns a new file
    // descriptor (or -1); the vCPU fd is valid for the call.
    let fd = unsafe { libc::ioctl(vcpu.as_raw_fd(), KVM_GET_STATS_FD as _, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` was just returned to us and is owned by nobody else.
    Some(unsafe { File::from_raw_fd(fd) })
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn read_at(file: &File, len: usize, offset: u64) -> Option<Vec<u8>> {
    if len > MAX_FILE {
        return None;
    }
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset).ok()?;
    Some(buf)
}

/// Every single-valued statistic by name (histograms are left out), in
/// the file's order.
pub fn read(file: &File) -> Option<Vec<(String, u64)>> {
    let header = read_at(file, HEADER_SIZE, 0)?;
    let name_size = u32_at(&header, 4)? as usize;
    let num_desc = u32_at(&header, 8)? as usize;
    let desc_offset = u32_at(&header, 16)?;
    let data_offset = u32_at(&header, 20)?;
    let desc_size = DESC_FIXED.checked_add(name_size)?;
    let descs = read_at(
        file,
        desc_size.checked_mul(num_desc)?,
        u64::from(desc_offset),
    )?;
    let mut wanted = Vec::with_capacity(num_desc);
    let mut data_len = 0usize;
    for d in descs.chunks_exact(desc_size) {
        let size = usize::from(u16_at(d, 6)?);
        let offset = u32_at(d, 8)? as usize;
        data_len = data_len.max(offset.checked_add(size.checked_mul(8)?)?);
        let name = &d[DESC_FIXED..];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if size == 1 {
            wanted.push((String::from_utf8_lossy(name).into_owned(), offset));
        }
    }
    let data = read_at(file, data_len, u64::from(data_offset))?;
    wanted
        .into_iter()
        .map(|(name, off)| {
            let v = u64::from_le_bytes(data.get(off..off + 8)?.try_into().ok()?);
            Some((name, v))
        })
        .collect()
}
