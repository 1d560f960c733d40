//! A task's place in the file system (Linux's `fs_struct`): its root,
//! its working directory and its umask.

use alloc::sync::Arc;

use super::dentry::Dentry;

#[derive(Clone)]
pub struct FsStruct {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
}

impl FsStruct {
    /// The first task's: at the root, umask 022.
    pub fn new(root: Arc<Dentry>) -> FsStruct {
        FsStruct {
            cwd: root.clone(),
            root,
            umask: 0o022,
        }
    }
}
