//! File system calls. For now the only files are the console streams; paths
//! name nothing yet (the block device arrives with virtio-blk).

pub mod fcntl;
pub mod ioctl;
pub mod namei;
pub mod page_cache;
pub mod read_write;
pub mod stat;
