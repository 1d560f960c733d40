//! procfs: the kernel's view of itself as files, made when they are
//! opened (Linux's seq_file: the text is produced at open, then read like
//! a file). `/proc/self` links to the task's directory; under it, `exe`,
//! `cwd` and `fd/N` are links whose readlink is a path and which, when a
//! walk goes through them, lead to the object itself (so an unlinked file
//! still opens through `/proc/self/fd/N`, as on Linux).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt::Write;

use super::dentry::Dentry;
use super::file::{File, FileOps};
use super::inode::{
    DirEntry, FileType, Filldir, Inode, InodeOps, InodeRef, Meta, S_IFDIR, S_IFLNK, S_IFREG,
};
use super::mount::{StatFs, SuperBlock, SuperOps};
use crate::errno::{ENOENT, Errno, SysResult};
use crate::task::{self, Task, TaskState, current};

pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// What a procfs inode stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Root,
    /// /proc/sys and /proc/sys/fs.
    SysDir,
    SysFsDir,
    SelfLink,
    PidDir(u32),
    Exe(u32),
    Cwd(u32),
    FdDir(u32),
    Fd(u32, u32),
    Text(Text),
}

/// The generated files.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Meminfo,
    Cpuinfo,
    Mounts,
    Uptime,
    Version,
    Filesystems,
    DentryState,
    InodeNr,
    Maps(u32),
    Cmdline(u32),
    Comm(u32),
    Status(u32),
    Stat(u32),
    PidMounts(u32),
}

const ROOT_FILES: [(&[u8], Text); 6] = [
    (b"cpuinfo", Text::Cpuinfo),
    (b"filesystems", Text::Filesystems),
    (b"meminfo", Text::Meminfo),
    (b"mounts", Text::Mounts),
    (b"uptime", Text::Uptime),
    (b"version", Text::Version),
];

/// /proc/sys/fs: the dentry and inode cache figures.
const SYS_FS_FILES: [(&[u8], Text); 2] = [
    (b"dentry-state", Text::DentryState),
    (b"inode-nr", Text::InodeNr),
];

fn pid_entries(pid: u32) -> [(&'static [u8], Node); 9] {
    [
        (b"cmdline", Node::Text(Text::Cmdline(pid))),
        (b"comm", Node::Text(Text::Comm(pid))),
        (b"cwd", Node::Cwd(pid)),
        (b"exe", Node::Exe(pid)),
        (b"fd", Node::FdDir(pid)),
        (b"maps", Node::Text(Text::Maps(pid))),
        (b"mounts", Node::Text(Text::PidMounts(pid))),
        (b"stat", Node::Text(Text::Stat(pid))),
        (b"status", Node::Text(Text::Status(pid))),
    ]
}

struct ProcSuper;

impl SuperOps for ProcSuper {
    fn statfs(&self, _sb: &SuperBlock) -> StatFs {
        StatFs {
            magic: PROC_SUPER_MAGIC,
            bsize: 4096,
            namelen: 255,
            ..StatFs::default()
        }
    }
}

struct ProcInode {
    node: Node,
}

/// A stable inode number per node, as Linux's procfs gives.
fn ino_of(node: Node) -> u64 {
    let text = |t: Text| -> u64 {
        match t {
            Text::Meminfo => 10,
            Text::Cpuinfo => 11,
            Text::Mounts => 12,
            Text::Uptime => 13,
            Text::Version => 14,
            Text::Filesystems => 15,
            Text::DentryState => 16,
            Text::InodeNr => 17,
            Text::Maps(p) => u64::from(p) << 16 | 20,
            Text::Cmdline(p) => u64::from(p) << 16 | 21,
            Text::Comm(p) => u64::from(p) << 16 | 22,
            Text::Status(p) => u64::from(p) << 16 | 23,
            Text::PidMounts(p) => u64::from(p) << 16 | 24,
            Text::Stat(p) => u64::from(p) << 16 | 25,
        }
    };
    match node {
        Node::Root => 1,
        Node::SelfLink => 2,
        Node::SysDir => 3,
        Node::SysFsDir => 4,
        Node::PidDir(p) => u64::from(p) << 16 | 1,
        Node::Exe(p) => u64::from(p) << 16 | 2,
        Node::Cwd(p) => u64::from(p) << 16 | 3,
        Node::FdDir(p) => u64::from(p) << 16 | 4,
        Node::Fd(p, fd) => (u64::from(p) << 16 | 0x8000 | u64::from(fd)) << 8,
        Node::Text(t) => text(t),
    }
}

fn mode_of(node: Node) -> u32 {
    match node {
        Node::Root | Node::SysDir | Node::SysFsDir | Node::PidDir(_) => S_IFDIR | 0o555,
        Node::FdDir(_) => S_IFDIR | 0o500,
        Node::SelfLink | Node::Exe(_) | Node::Cwd(_) => S_IFLNK | 0o777,
        Node::Fd(..) => S_IFLNK | 0o700,
        Node::Text(_) => S_IFREG | 0o444,
    }
}

fn make(sb: &Arc<SuperBlock>, node: Node) -> InodeRef {
    let nlink = if mode_of(node) & S_IFDIR != 0 { 2 } else { 1 };
    Inode::new(
        sb,
        ino_of(node),
        Meta::new(mode_of(node), nlink),
        Box::new(ProcInode { node }),
    )
}

/// A new procfs; returns its root inode.
pub fn new() -> InodeRef {
    let sb = SuperBlock::new("proc", false, true, Box::new(ProcSuper));
    make(&sb, Node::Root)
}

/// The task a /proc/PID directory stands for, while it exists.
fn task_of(pid: u32) -> Option<&'static mut Task> {
    task::find(pid)
}

fn pid_exists(pid: u32) -> bool {
    task_of(pid).is_some()
}

fn fd_file(pid: u32, fd: u32) -> Option<Arc<File>> {
    task_of(pid)?.files.get(u64::from(fd)).ok()
}

/// The program file of `pid` (the first program's until it execs).
fn exe_of(pid: u32) -> Option<Arc<Dentry>> {
    match task_of(pid)?.exe.clone() {
        Some(d) => Some(d),
        None => super::exe(),
    }
}

/// The path a link shows: a file's path, " (deleted)" when it lost its
/// name, or the name of a nameless file (memfd:x, anon_inode:...).
pub fn d_path(d: &Dentry) -> Vec<u8> {
    if d.parent().is_none() && !d.name().is_empty() {
        let mut p = d.name();
        p.extend_from_slice(b" (deleted)");
        return p;
    }
    let mut p = d.path();
    if d.is_deleted() {
        p.extend_from_slice(b" (deleted)");
    }
    p
}

impl ProcInode {
    fn children(&self) -> Vec<(Vec<u8>, Node)> {
        match self.node {
            Node::Root => {
                let mut v: Vec<(Vec<u8>, Node)> = ROOT_FILES
                    .iter()
                    .map(|(n, t)| (n.to_vec(), Node::Text(*t)))
                    .collect();
                for pid in task::pids() {
                    v.push((format!("{pid}").into_bytes(), Node::PidDir(pid)));
                }
                v.push((b"self".to_vec(), Node::SelfLink));
                v.push((b"sys".to_vec(), Node::SysDir));
                v
            }
            Node::SysDir => alloc::vec![(b"fs".to_vec(), Node::SysFsDir)],
            Node::SysFsDir => SYS_FS_FILES
                .iter()
                .map(|(n, t)| (n.to_vec(), Node::Text(*t)))
                .collect(),
            Node::PidDir(pid) => pid_entries(pid)
                .iter()
                .map(|(n, node)| (n.to_vec(), *node))
                .collect(),
            Node::FdDir(pid) => task_of(pid)
                .map(|t| {
                    t.files
                        .fds()
                        .map(|(fd, _)| (format!("{fd}").into_bytes(), Node::Fd(pid, fd as u32)))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

fn parse_u32(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 9 || (name[0] == b'0' && name.len() > 1) {
        return None;
    }
    name.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

impl InodeOps for ProcInode {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn lookup(&self, dir: &Inode, name: &[u8]) -> Result<InodeRef, Errno> {
        let node = match self.node {
            Node::Root => match name {
                b"self" => Node::SelfLink,
                b"sys" => Node::SysDir,
                _ => match parse_u32(name) {
                    Some(pid) if pid_exists(pid) => Node::PidDir(pid),
                    _ => ROOT_FILES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, t)| Node::Text(*t))
                        .ok_or(ENOENT)?,
                },
            },
            Node::PidDir(pid) => pid_entries(pid)
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, node)| *node)
                .ok_or(ENOENT)?,
            Node::SysDir if name == b"fs" => Node::SysFsDir,
            Node::SysDir => return Err(ENOENT),
            Node::SysFsDir => SYS_FS_FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| Node::Text(*t))
                .ok_or(ENOENT)?,
            Node::FdDir(pid) => match parse_u32(name) {
                Some(fd) if fd_file(pid, fd).is_some() => Node::Fd(pid, fd),
                _ => return Err(ENOENT),
            },
            _ => return Err(crate::errno::ENOTDIR),
        };
        Ok(make(&dir.sb, node))
    }

    fn readdir(&self, _dir: &Inode, pos: u64, emit: &mut Filldir) -> Result<(), Errno> {
        for (i, (name, node)) in self.children().iter().enumerate().skip(pos as usize) {
            let kind = FileType::from_mode(mode_of(*node)).unwrap_or(FileType::Regular);
            let e = DirEntry {
                name,
                ino: ino_of(*node),
                kind,
            };
            if !emit(&e, i as u64 + 1) {
                break;
            }
        }
        Ok(())
    }

    fn is_empty_dir(&self, _dir: &Inode) -> bool {
        false
    }

    fn readlink(&self, _inode: &Inode) -> Result<Vec<u8>, Errno> {
        match self.node {
            Node::SelfLink => Ok(format!("{}", current().tgid).into_bytes()),
            Node::Exe(pid) => exe_of(pid).map(|d| d_path(&d)).ok_or(ENOENT),
            Node::Cwd(pid) => task_of(pid).map(|t| d_path(&t.fs.cwd)).ok_or(ENOENT),
            Node::Fd(pid, fd) => fd_file(pid, fd).map(|f| d_path(&f.dentry)).ok_or(ENOENT),
            _ => Err(crate::errno::EINVAL),
        }
    }

    fn open(&self, _inode: &InodeRef, _flags: u32) -> Option<Result<Arc<dyn FileOps>, Errno>> {
        match self.node {
            Node::Text(t) => Some(Ok(Arc::new(Generated {
                text: generate(t).into_bytes(),
            }))),
            _ => None,
        }
    }
}

/// Where a procfs link leads, when it names an object rather than a path
/// (exe, cwd, fd/N); None for links to follow by their text.
pub fn follow(inode: &Inode) -> Option<Result<Arc<Dentry>, Errno>> {
    let p = inode.ops.as_any().downcast_ref::<ProcInode>()?;
    Some(match p.node {
        Node::Exe(pid) => exe_of(pid).ok_or(ENOENT),
        Node::Cwd(pid) => task_of(pid).map(|t| t.fs.cwd.clone()).ok_or(ENOENT),
        Node::Fd(pid, fd) => fd_file(pid, fd).map(|f| f.dentry.clone()).ok_or(ENOENT),
        _ => return None,
    })
}

/// A generated file: its text, made at open.
struct Generated {
    text: Vec<u8>,
}

impl FileOps for Generated {
    fn seekable(&self) -> bool {
        true
    }
    fn read_at(&self, _file: &File, pos: u64, buf: &mut [u8]) -> SysResult {
        let start = (pos as usize).min(self.text.len());
        let n = buf.len().min(self.text.len() - start);
        buf[..n].copy_from_slice(&self.text[start..start + n]);
        Ok(n as u64)
    }
    fn size(&self, _file: &File) -> u64 {
        self.text.len() as u64
    }
}

fn generate(t: Text) -> String {
    let mut s = String::new();
    let _ = match t {
        Text::Meminfo => meminfo(&mut s),
        Text::Cpuinfo => cpuinfo(&mut s),
        Text::Mounts | Text::PidMounts(_) => mounts(&mut s),
        Text::Uptime => {
            let ns = crate::kernel::time::monotonic_ns();
            writeln!(
                s,
                "{}.{:02} {}.{:02}",
                ns / 1_000_000_000,
                ns / 10_000_000 % 100,
                ns / 1_000_000_000,
                ns / 10_000_000 % 100
            )
        }
        Text::Version => writeln!(s, "Linux version 6.1.0-lstar (lstar) #1 SMP lstar"),
        Text::Filesystems => writeln!(s, "nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc"),
        // Linux's fields: nr_dentry, nr_unused, age_limit, want_pages,
        // nr_negative, dummy (no negative dentries are kept here).
        Text::DentryState => writeln!(
            s,
            "{}\t{}\t45\t0\t0\t0",
            super::dentry::count(),
            super::dentry::unused()
        ),
        // nr_inodes, nr_free_inodes: an inode nothing holds is freed at
        // once, so none is free.
        Text::InodeNr => writeln!(s, "{}\t0", super::inode::count()),
        Text::Maps(pid) => task_of(pid).map_or(Ok(()), |t| maps(&mut s, t)),
        Text::Cmdline(pid) => {
            if let Some(t) = task_of(pid) {
                s.push_str(&String::from_utf8_lossy(&t.cmdline));
            }
            Ok(())
        }
        Text::Comm(pid) => task_of(pid).map_or(Ok(()), |t| writeln!(s, "{}", comm(t))),
        Text::Status(pid) => task_of(pid).map_or(Ok(()), |t| status(&mut s, t)),
        Text::Stat(pid) => task_of(pid).map_or(Ok(()), |t| stat(&mut s, t)),
    };
    s
}

/// The name Linux keeps for the task: the program file's name, 15 bytes.
fn comm(t: &Task) -> String {
    let c = &t.comm;
    let base = c.rsplit(|&b| b == b'/').next().unwrap_or(c);
    String::from_utf8_lossy(&base[..base.len().min(15)]).into_owned()
}

/// The state letter and word ps shows.
fn state_of(t: &Task) -> (char, &'static str) {
    match t.state {
        TaskState::Running => ('R', "running"),
        TaskState::Sleeping => ('S', "sleeping"),
        TaskState::Stopped => ('T', "stopped"),
        TaskState::Zombie => ('Z', "zombie"),
    }
}

fn meminfo(s: &mut String) -> core::fmt::Result {
    let (total, used) = crate::mm::frame::usage();
    let kb = |pages: u64| pages * 4;
    let free = total.saturating_sub(used);
    let cached = super::tmpfs::total_pages();
    writeln!(s, "MemTotal:       {:8} kB", kb(total))?;
    writeln!(s, "MemFree:        {:8} kB", kb(free))?;
    writeln!(s, "MemAvailable:   {:8} kB", kb(free))?;
    // Linux's Buffers: the block device's metadata blocks.
    let buffers = super::ext2::metadata_frames();
    writeln!(s, "Buffers:        {:8} kB", kb(buffers))?;
    writeln!(s, "Cached:         {:8} kB", kb(cached))?;
    writeln!(s, "SwapCached:     {:8} kB", 0)?;
    writeln!(s, "Shmem:          {:8} kB", kb(cached))?;
    writeln!(s, "SwapTotal:      {:8} kB", 0)?;
    writeln!(s, "SwapFree:       {:8} kB", 0)?;
    let huge = crate::mm::frame::huge_mapped() * crate::mm::frame::HUGE_FRAMES;
    writeln!(s, "AnonHugePages:  {:8} kB", kb(huge))
}

fn cpuid(leaf: u32) -> core::arch::x86_64::CpuidResult {
    // cpuid is available on every x86-64 CPU.
    core::arch::x86_64::__cpuid(leaf)
}

fn cpuinfo(s: &mut String) -> core::fmt::Result {
    let v = cpuid(0);
    let mut vendor = Vec::with_capacity(12);
    for r in [v.ebx, v.edx, v.ecx] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    let f = cpuid(1);
    let family = (f.eax >> 8) & 0xf;
    let ext_family = (f.eax >> 20) & 0xff;
    let model = ((f.eax >> 4) & 0xf) | (((f.eax >> 16) & 0xf) << 4);
    let family = if family == 0xf {
        family + ext_family
    } else {
        family
    };
    let mut brand = Vec::with_capacity(48);
    if cpuid(0x8000_0000).eax >= 0x8000_0004 {
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            let r = cpuid(leaf);
            for x in [r.eax, r.ebx, r.ecx, r.edx] {
                brand.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    let brand = String::from_utf8_lossy(&brand);
    let khz = crate::kernel::time::tsc_khz();
    const EDX_FLAGS: [(u32, &str); 14] = [
        (0, "fpu"),
        (4, "tsc"),
        (5, "msr"),
        (6, "pae"),
        (8, "cx8"),
        (9, "apic"),
        (11, "sep"),
        (13, "pge"),
        (15, "cmov"),
        (16, "pat"),
        (19, "clflush"),
        (23, "mmx"),
        (25, "sse"),
        (26, "sse2"),
    ];
    const ECX_FLAGS: [(u32, &str); 10] = [
        (0, "pni"),
        (1, "pclmulqdq"),
        (9, "ssse3"),
        (12, "fma"),
        (13, "cx16"),
        (19, "sse4_1"),
        (20, "sse4_2"),
        (23, "popcnt"),
        (25, "aes"),
        (28, "avx"),
    ];
    let mut flags = String::new();
    for (bit, name) in EDX_FLAGS {
        if f.edx & (1 << bit) != 0 {
            flags.push_str(name);
            flags.push(' ');
        }
    }
    for (bit, name) in ECX_FLAGS {
        if f.ecx & (1 << bit) != 0 {
            flags.push_str(name);
            flags.push(' ');
        }
    }
    writeln!(s, "processor\t: 0")?;
    writeln!(s, "vendor_id\t: {}", String::from_utf8_lossy(&vendor))?;
    writeln!(s, "cpu family\t: {family}")?;
    writeln!(s, "model\t\t: {model}")?;
    writeln!(s, "model name\t: {}", brand.trim_end_matches('\0').trim())?;
    writeln!(s, "stepping\t: {}", f.eax & 0xf)?;
    writeln!(s, "cpu MHz\t\t: {}.{:03}", khz / 1000, khz % 1000)?;
    writeln!(
        s,
        "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1"
    )?;
    writeln!(s, "fpu\t\t: yes\nfpu_exception\t: yes\nwp\t\t: yes")?;
    writeln!(s, "flags\t\t: {}", flags.trim_end())?;
    writeln!(s, "bogomips\t: {}.{:02}", khz / 500, (khz / 5) % 100)?;
    writeln!(
        s,
        "clflush size\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual"
    )?;
    writeln!(s)
}

fn mounts(s: &mut String) -> core::fmt::Result {
    let mut r = Ok(());
    super::mount::for_each_mount(|m| {
        let ro = if m.sb.read_only { "ro" } else { "rw" };
        r = r.and(writeln!(
            s,
            "{} {} {} {},relatime 0 0",
            m.source,
            String::from_utf8_lossy(&m.mount_point.path()),
            m.sb.fs_type,
            ro
        ));
    });
    r
}

/// /proc/PID/maps, one line per area as Linux prints it. Each line is
/// put together in a [`Line`] rather than with `format!`: a program with
/// thousands of areas reads thousands of lines, and core::fmt costs
/// several hundred emulated instructions a line on kvm-pvm.
fn maps(s: &mut String, t: &Task) -> core::fmt::Result {
    use crate::mm::address_space::{PROT_EXEC, PROT_READ, PROT_WRITE, STACK_TOP};
    let mm = &t.mm;
    for v in mm.vmas.iter() {
        let mut line = Line::new();
        line.hex(v.start, 8);
        line.byte(b'-');
        line.hex(v.end, 8);
        line.byte(b' ');
        for (bit, c) in [(PROT_READ, b'r'), (PROT_WRITE, b'w'), (PROT_EXEC, b'x')] {
            line.byte(if v.prot & bit != 0 { c } else { b'-' });
        }
        line.byte(if v.is_shared() { b's' } else { b'p' });
        line.byte(b' ');
        let name = match v.file.as_ref().and_then(|f| Some((f, f.dentry()?))) {
            Some((f, d)) => {
                let (maj, min) = super::inode::decode_dev(d.inode.sb.dev);
                line.hex(f.pgoff * crate::mm::PAGE_SIZE, 8);
                line.byte(b' ');
                line.hex(maj, 2);
                line.byte(b':');
                line.hex(min, 2);
                line.byte(b' ');
                line.decimal(d.inode.ino);
                Some(String::from_utf8_lossy(&d_path(&d)).into_owned())
            }
            None => {
                line.bytes(b"00000000 00:00 0");
                // Linux's vma_is_initial_heap: the area overlaps
                // [start_brk, brk) (the heap may have merged with the bss
                // below it).
                if v.start < mm.brk && v.end > mm.brk_start {
                    Some(String::from("[heap]"))
                } else if v.end == STACK_TOP {
                    Some(String::from("[stack]"))
                } else {
                    None
                }
            }
        };
        if name.is_some() {
            // Padded to 72 columns and a space, as Linux's seq_pad does.
            while line.len < 72 {
                line.byte(b' ');
            }
            line.byte(b' ');
        }
        // SAFETY: a line holds ASCII bytes only, so the String stays UTF-8.
        unsafe { s.as_mut_vec().extend_from_slice(line.as_bytes()) };
        if let Some(name) = name {
            s.push_str(&name);
        }
        s.push('\n');
    }
    Ok(())
}

/// One line of /proc/PID/maps up to the name: ASCII only.
struct Line {
    buf: [u8; 96],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 96],
            len: 0,
        }
    }

    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.byte(b);
        }
    }

    /// `value` in lower-case hex, at least `min` digits (Linux's
    /// seq_put_hex_ll): all 16 digits at once in two words, then the
    /// significant ones copied (a digit loop costs ten times more here).
    fn hex(&mut self, value: u64, min: usize) {
        let digits = (64 - value.leading_zeros() as usize).div_ceil(4).max(min);
        let mut all = [0u8; 16];
        all[..8].copy_from_slice(&hex8((value >> 32) as u32));
        all[8..].copy_from_slice(&hex8(value as u32));
        self.bytes(&all[16 - digits.min(16)..]);
    }

    fn decimal(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let (mut n, mut i) = (value, digits.len());
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.bytes(&digits[i..]);
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The 8 hex digits of `v`, most significant first: each nibble spread to
/// its own byte, then turned into '0'..'9' or 'a'..'f' all at once.
fn hex8(v: u32) -> [u8; 8] {
    let mut t = u64::from(v);
    t = (t | (t << 16)) & 0x0000_ffff_0000_ffff;
    t = (t | (t << 8)) & 0x00ff_00ff_00ff_00ff;
    t = (t | (t << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // Byte i holds nibble i: big-endian bytes put the most significant
    // digit first. 0x27 more for the digits above 9 ('a' - '0' - 10).
    let letters = ((t + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (t + 0x3030_3030_3030_3030 + letters * 0x27).to_be_bytes()
}

fn status(s: &mut String, t: &Task) -> core::fmt::Result {
    let (letter, word) = state_of(t);
    writeln!(s, "Name:\t{}", comm(t))?;
    writeln!(s, "Umask:\t{:04o}", t.fs.umask)?;
    writeln!(s, "State:\t{letter} ({word})")?;
    writeln!(
        s,
        "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0",
        t.tgid, t.pid, t.ppid
    )?;
    writeln!(s, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0")?;
    writeln!(s, "FDSize:\t{}", crate::fs::fdtable::NR_OPEN)?;
    writeln!(s, "Threads:\t1")?;
    writeln!(s, "SigPnd:\t{:016x}", t.signal.pending())?;
    writeln!(s, "SigBlk:\t{:016x}", t.signal.blocked)?;
    writeln!(s, "Cpus_allowed_list:\t0")
}

/// /proc/PID/stat, the fields ps reads (Linux's order; times in clock
/// ticks of 100 Hz; no CPU-time accounting yet, so utime and stime are 0).
fn stat(s: &mut String, t: &Task) -> core::fmt::Result {
    let (letter, _) = state_of(t);
    let vsize: u64 = t.mm.vmas.iter().map(|v| v.end - v.start).sum();
    let start_ticks = t.start_ns / 10_000_000;
    writeln!(
        s,
        "{} ({}) {letter} {} {} {} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 {start_ticks} {vsize} 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
        t.pid,
        comm(t),
        t.ppid,
        t.pgid,
        t.sid
    )
}
