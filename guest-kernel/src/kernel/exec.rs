//! execve and execveat (Linux's fs/exec.c): find the program through the
//! VFS, follow `#!` lines to their interpreter, build the new address
//! space completely (binfmt_elf), and only then replace the old one: an
//! exec that fails leaves the caller as it was. Past that point the
//! descriptors marked close-on-exec are closed, caught signals go back to
//! their default, and the task returns to user mode at the new entry.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::arch::pt_regs::PtRegs;
use crate::binfmt_elf::{self, ExecError, Image, ImageFile};
use crate::errno::{E2BIG, EACCES, EFAULT, ELOOP, ENOENT, ENOEXEC, ENOMEM, Errno, SysResult};
use crate::fs::dentry::Dentry;
use crate::fs::inode::FileType;
use crate::fs::namei;
use crate::mm::address_space::AddressSpace;
use crate::mm::{PAGE_SIZE, frame, phys_to_virt};
use crate::syscall::Args;
use crate::task::{Shared, current};
use crate::uaccess::{copy_from_user, get_user};

const AT_EMPTY_PATH: u64 = 0x1000;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// Linux's MAX_ARG_STRLEN (32 pages) and the total a 8 MiB stack allows
/// (a quarter of it).
const MAX_ARG_STRLEN: usize = 32 * 4096;
const MAX_ARG_TOTAL: usize = 2 << 20;
/// `#!` nesting Linux allows (BINPRM_MAX_RECURSION) and the line length.
const MAX_INTERP_DEPTH: usize = 4;
const BINPRM_BUF_SIZE: usize = 256;

/// Copies a NULL-terminated array of user strings (argv or envp).
fn copy_strings(mut array: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if array == 0 {
        return Ok(out);
    }
    loop {
        let ptr: u64 = get_user(array)?;
        if ptr == 0 {
            return Ok(out);
        }
        let s = strndup_user(ptr, MAX_ARG_STRLEN)?;
        *total += s.len() + 1 + 8;
        if *total > MAX_ARG_TOTAL {
            return Err(E2BIG);
        }
        out.push(s);
        array += 8;
    }
}

/// A NUL-terminated user string of at most `max` bytes (E2BIG beyond).
fn strndup_user(mut at: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut s = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        // Up to the end of the page, so a string that ends just before an
        // unmapped page is read without faulting on it.
        let n = (PAGE_SIZE - at % PAGE_SIZE).min(chunk.len() as u64) as usize;
        copy_from_user(&mut chunk[..n], at).map_err(|_| EFAULT)?;
        if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
            s.extend_from_slice(&chunk[..end]);
            return Ok(s);
        }
        s.extend_from_slice(&chunk[..n]);
        if s.len() > max {
            return Err(E2BIG);
        }
        at += n as u64;
    }
}

/// The program file: a regular file with an execute bit (root may run any
/// file with one), opened for reading.
fn open_exec(d: &Arc<Dentry>) -> Result<Arc<crate::fs::file::File>, Errno> {
    let inode = &d.inode;
    if inode.file_type() != FileType::Regular || inode.meta().mode & 0o111 == 0 {
        return Err(EACCES);
    }
    crate::fs::open::open_for_exec(d.clone())
}

/// The first bytes of the file, for `#!` and the ELF magic.
fn read_head(d: &Arc<Dentry>) -> Result<Vec<u8>, Errno> {
    let mut buf = alloc::vec![0u8; BINPRM_BUF_SIZE];
    let n = crate::fs::filemap::read_at(&d.inode, 0, &mut buf)? as usize;
    buf.truncate(n);
    Ok(buf)
}

/// `#!interpreter [one argument]`: the interpreter and its argument.
fn parse_shebang(head: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Errno> {
    let line = &head[2..];
    let line = match line.iter().position(|&b| b == b'\n') {
        Some(end) => &line[..end],
        // A line longer than the buffer: Linux takes it if the interpreter
        // name ends inside; keep it simple and refuse.
        None if line.len() + 2 >= BINPRM_BUF_SIZE => return Err(ENOEXEC),
        None => line,
    };
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let line: &[u8] = {
        let start = line.iter().position(|b| !is_space(b)).unwrap_or(line.len());
        let end = line
            .iter()
            .rposition(|b| !is_space(b))
            .map_or(start, |e| e + 1);
        &line[start..end.max(start)]
    };
    if line.is_empty() {
        return Err(ENOEXEC);
    }
    let split = line.iter().position(is_space).unwrap_or(line.len());
    let interp = line[..split].to_vec();
    let rest = &line[split..];
    let arg = rest
        .iter()
        .position(|b| !is_space(b))
        .map(|start| rest[start..].to_vec());
    Ok((interp, arg))
}

/// The file's pages as one physically contiguous run, when they are (every
/// file lstar placed): the image maps them in place. Otherwise a copy in
/// fresh frames, freed once the segments are loaded (`owned`).
fn file_image(
    file: &Arc<crate::fs::file::File>,
    owned: &mut Vec<(u64, u64)>,
) -> Result<Image, Errno> {
    let inode = &file.dentry.inode;
    let size = inode.size();
    if size == 0 {
        return Err(ENOEXEC);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let contiguous = inode.pages.lock().contiguous_run(pages);
    let phys = match contiguous {
        Some(first) => first,
        None => {
            let first = frame::alloc_contiguous(pages).ok_or(ENOMEM)?;
            owned.push((first, pages));
            // SAFETY: fresh frames of ours, direct-mapped.
            let buf = unsafe {
                core::slice::from_raw_parts_mut(phys_to_virt(first) as *mut u8, size as usize)
            };
            crate::fs::filemap::read_at(inode, 0, buf)?;
            first
        }
    };
    // SAFETY: `size` bytes from `phys` are the file's pages (or our copy),
    // kept alive by the open file (or `owned`) until the load is done.
    let bytes =
        unsafe { core::slice::from_raw_parts(phys_to_virt(phys) as *const u8, size as usize) };
    Ok(Image {
        phys,
        bytes,
        file: ImageFile::File(file.clone()),
    })
}

/// The interpreter a dynamically linked program names, opened as a
/// program file is (ENOENT when the guest has no such file).
fn find_interpreter(path: &[u8], owned: &mut Vec<(u64, u64)>) -> Result<Image, Errno> {
    let d = namei::lookup_at(namei::AT_FDCWD, path, true)?;
    let file = crate::fs::open::open_for_exec(d.clone())?;
    if d.inode.file_type() != FileType::Regular {
        return Err(EACCES);
    }
    file_image(&file, owned)
}

fn exec_errno(e: &ExecError) -> Errno {
    match e {
        ExecError::OutOfMemory => ENOMEM,
        ExecError::ArgumentsTooLong => E2BIG,
        ExecError::Dynamic(_) => ENOENT,
        _ => ENOEXEC,
    }
}

fn do_execveat(dirfd: u64, path_ptr: u64, argv_ptr: u64, envp_ptr: u64, flags: u64) -> SysResult {
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(crate::errno::EINVAL);
    }
    let mut path = if flags & AT_EMPTY_PATH != 0 {
        namei::getname_empty_ok(path_ptr)?
    } else {
        namei::getname(path_ptr)?
    };
    let mut total = 0;
    let mut argv = copy_strings(argv_ptr, &mut total)?;
    let envp = copy_strings(envp_ptr, &mut total)?;
    let mut dentry = if path.is_empty() {
        current().files.get(dirfd)?.dentry.clone()
    } else {
        namei::lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    if dentry.inode.file_type() == FileType::Symlink {
        return Err(ELOOP);
    }
    let mut depth = 0;
    let file = loop {
        let file = open_exec(&dentry)?;
        let head = read_head(&dentry)?;
        if !head.starts_with(b"#!") {
            break file;
        }
        depth += 1;
        if depth > MAX_INTERP_DEPTH {
            return Err(ELOOP);
        }
        let (interp, arg) = parse_shebang(&head)?;
        // argv[0] goes; the interpreter, its argument and the script path
        // come first (Linux's binfmt_script).
        let rest = if argv.is_empty() {
            Vec::new()
        } else {
            argv.split_off(1)
        };
        argv = core::iter::once(interp.clone())
            .chain(arg)
            .chain(core::iter::once(path.clone()))
            .chain(rest)
            .collect();
        dentry = namei::lookup_at(namei::AT_FDCWD, &interp, true)?;
        path = interp;
    };
    let mut owned = Vec::new();
    let image = file_image(&file, &mut owned)?;
    let mut random = [0u8; 16];
    crate::kernel::random::fill(&mut random);
    let mut interp_image = None;
    let result = loop {
        let mut mm = AddressSpace::new().map_err(|_| ENOMEM)?;
        match binfmt_elf::load(&mut mm, &image, interp_image.as_ref(), &argv, &envp, random) {
            Err(ExecError::Dynamic(interp)) if interp_image.is_none() => {
                // The interpreter from the guest's file system, if it is
                // there; the first attempt's areas go with its `mm`.
                match find_interpreter(&interp, &mut owned) {
                    Ok(i) => interp_image = Some(i),
                    Err(e) => {
                        crate::warn!(
                            "{}: dynamically linked, and its interpreter {} is not in the guest's file system",
                            core::str::from_utf8(&path).unwrap_or("?"),
                            core::str::from_utf8(&interp).unwrap_or("?")
                        );
                        break Err(e);
                    }
                }
            }
            Ok(l) => break Ok((mm, l)),
            Err(e) => break Err(exec_errno(&e)),
        }
    };
    drop(interp_image);
    for (first, pages) in owned {
        // The copies' frames now belong to the mappings that took them.
        for i in 0..pages {
            frame::put(first + i * PAGE_SIZE);
        }
    }
    let (mut mm, loaded) = result?;
    mm.write_bytes(loaded.stack_pointer, &loaded.stack_image)
        .map_err(|_| ENOMEM)?;
    // The point of no return.
    kill_other_threads(current());
    let t = current();
    let old = core::mem::replace(&mut t.mm, Shared::new(mm));
    crate::mm::paging::load_cr3(t.mm.pml4);
    drop(old);
    crate::exit::release_vfork_parent(t);
    if t.files.is_shared() {
        t.files = Shared::new((*t.files).clone());
    }
    t.files.close_on_exec();
    // Caught signals go back to the default; ignored ones stay ignored.
    if t.sighand.is_shared() {
        t.sighand = Shared::new((*t.sighand).clone());
    }
    t.sighand.reset_for_exec();
    t.signal.reset_for_exec();
    t.exe = Some(dentry);
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
    t.comm = name[..name.len().min(15)].to_vec();
    crate::stats::publish_task(t);
    t.cmdline = argv
        .iter()
        .flat_map(|a| a.iter().copied().chain([0]))
        .collect();
    t.clear_child_tid = 0;
    t.robust_list = (0, 0);
    t.xstate_regs = None;
    t.xstate_saved = false;
    // SAFETY: zero is a valid FS/GS base; the new program sets its own.
    unsafe {
        if t.fs_base != 0 {
            crate::arch::msr::wrmsr(crate::arch::msr::FS_BASE, 0);
        }
        if t.gs_base != 0 {
            crate::arch::msr::wrmsr(crate::arch::msr::KERNEL_GS_BASE, 0);
        }
    }
    t.fs_base = 0;
    t.gs_base = 0;
    crate::arch::switch_to::FpuState::initial().restore();
    let regs = t.pt_regs();
    *regs = PtRegs {
        rip: loaded.entry,
        cs: u64::from(crate::arch::gdt::USER_CS),
        rflags: 0x202,
        rsp: loaded.stack_pointer,
        ss: u64::from(crate::arch::gdt::USER_DS),
        vector: regs.vector,
        error_code: regs.error_code,
        ..PtRegs::default()
    };
    Ok(0)
}

/// execve from a thread ends every other thread of its group (Linux's
/// de_thread). Each is first made a group of its own that nobody waits
/// for, so that its SIGKILL ends only itself. A thread other than the
/// leader takes over the leader's pid, parent and exit signal, so that
/// getpid stays and the parent's wait finds the new program.
fn kill_other_threads(t: &mut crate::task::Task) {
    use crate::task;
    let others = task::other_threads(t);
    let leader_pid = t.tgid;
    if t.pid != leader_pid
        && let (Some(mut me), Some(mut leader)) = (task::remove(t.pid), task::remove(leader_pid))
    {
        let my_pid = me.pid;
        me.pid = leader_pid;
        me.ppid = leader.ppid;
        me.exit_signal = leader.exit_signal;
        leader.pid = my_pid;
        let leader_was_zombie = leader.state == task::TaskState::Zombie;
        task::insert(me);
        let old = task::insert(leader);
        old.tgid = old.pid;
        old.ppid = 0;
        old.exit_signal = 0;
        if leader_was_zombie {
            drop(task::remove(my_pid));
        } else {
            crate::kernel::signal::send_signal_from_kernel(old, 9);
        }
    }
    for pid in others {
        if pid == leader_pid {
            continue;
        }
        if let Some(o) = task::find(pid) {
            o.tgid = o.pid;
            o.ppid = 0;
            o.exit_signal = 0;
            crate::kernel::signal::send_signal_from_kernel(o, 9);
        }
    }
}

pub fn sys_execve(a: &Args) -> SysResult {
    do_execveat(namei::AT_FDCWD, a[0], a[1], a[2], 0)
}

pub fn sys_execveat(a: &Args) -> SysResult {
    do_execveat(a[0], a[1], a[2], a[3], a[4])
}
