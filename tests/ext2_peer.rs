//! Linux as the independent peer of lstar's ext2 (issue 9): Debian's own
//! kernel, booted under QEMU TCG (scripts/linux-peer.sh), mounts an image
//! lstar wrote and checks it, writes to it, and lstar reads what Linux
//! wrote. With 1 KiB and 4 KiB blocks:
//!
//! 1. lstar (busybox sh in the guest) writes a tree on a fresh
//!    `mkfs.ext2` image: nested directories, files that end in the direct,
//!    single and double indirect blocks, a sparse file, fast, slow and
//!    dangling symlinks, a hard link, renamed and unlinked files and
//!    directories, a directory of several blocks, chmod'ed modes
//!    (setuid, sticky). `e2fsck -fn` is clean.
//! 2. Linux mounts it read-write (ext4.ko mounts ext2), lists every name,
//!    stat and sha256 of every file (tests/peer/dump.sh); the test
//!    compares that with the model of what it asked lstar to write. Linux
//!    then writes its own files, directories (one big enough for Linux to
//!    index it, dir_index), symlinks and hard link, renames, removes,
//!    appends and overwrites some of lstar's, lists again, unmounts.
//!    `e2fsck -fn` is clean.
//! 3. lstar mounts the image, lists it the same way (compared with the
//!    model), then writes to it again: in Linux's indexed directory too,
//!    whose index flag it must clear. `e2fsck -fn` is clean.
//! 4. Linux boots on it once more and lists the result (compared with the
//!    model); `e2fsck -fn` is clean.
//!
//! Wall time, measured on 2 CPUs at load average 6-7 (other builds and
//! tests): 44 s for the 1 KiB test alone, 95-121 s for both together.
//! Most of it is lstar on kvm-pvm reading and writing the
//! double-indirect files (4 MiB each with 4 KiB blocks); a Linux boot with
//! its steps is 4-15 s under TCG.
//!
//! The steps are shell commands generated together with the model
//! ([`Plan`]), so what is asked and what is expected cannot drift apart.
//! The expected sha256 sums come from the host's `sha256sum`.
//!
//! Needs /dev/kvm (skipped without, like every KVM test), and fails,
//! rather than skips, without QEMU, e2fsprogs, a static busybox or a Linux
//! kernel image: scripts/setup.sh installs them all.

use crate::common::{Cmd, Outcome, fresh_path, noise, repo_root, sha256, which};
use crate::ext2::{assert_clean, mkfs};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const BUSYBOX: &str = "/bin/busybox";

/// What Linux loads from the initramfs, dependencies added by
/// linux-peer.sh: the disk (Debian builds virtio as modules), and ext4,
/// which mounts ext2. ext4 in 6.1 allocates a crc32c hash at every mount,
/// with or without metadata_csum ("Cannot load crc32c driver").
const MODULES: &[&str] = &["virtio_mmio", "virtio_blk", "crc32c_generic", "ext4"];

fn fresh(prefix: &str) -> PathBuf {
    fresh_path("ext2-peer", prefix)
}

fn linux_peer_sh() -> PathBuf {
    repo_root().join("scripts/linux-peer.sh")
}

/// The tools this test cannot do without; scripts/setup.sh installs them.
fn require_tools() {
    for tool in [
        "qemu-system-x86_64",
        "mkfs.ext2",
        "e2fsck",
        "python3",
        "sha256sum",
    ] {
        assert!(
            which(tool).is_some() || Path::new("/sbin").join(tool).is_file(),
            "{tool} not found: run scripts/setup.sh"
        );
    }
    assert!(
        Path::new(BUSYBOX).is_file(),
        "{BUSYBOX} not found: run scripts/setup.sh (busybox-static)"
    );
}

/// Debian's kernel, ready to boot: its vmlinux ELF and its modules (with
/// their load order), made once per test run.
struct Linux {
    vmlinux: PathBuf,
    modules: PathBuf,
}

fn linux() -> &'static Linux {
    static LINUX: OnceLock<Result<Linux, String>> = OnceLock::new();
    LINUX
        .get_or_init(make_linux)
        .as_ref()
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Extracted under private names, then renamed to fixed ones in the
/// scratch directory: each run replaces the last one's (40 MiB).
fn make_linux() -> Result<Linux, String> {
    let dir = crate::common::scratch_dir("ext2-peer");
    let vmlinux_tmp = fresh("vmlinux");
    let out = Cmd::new("bash")
        .arg(linux_peer_sh())
        .arg("vmlinux")
        .arg(&vmlinux_tmp)
        .timeout(Duration::from_secs(120))
        .run();
    if out.code() != 0 {
        return Err(format!(
            "no Linux kernel to boot (run scripts/setup.sh, which installs linux-image-amd64): {}",
            out.describe()
        ));
    }
    let modules_tmp = fresh("modules");
    let out = Cmd::new("bash")
        .arg(linux_peer_sh())
        .arg("modules")
        .arg(&modules_tmp)
        .args(MODULES)
        .run();
    if out.code() != 0 {
        return Err(format!("collecting Linux's modules: {}", out.describe()));
    }
    fs::write(modules_tmp.join("order"), out.stdout_str()).map_err(|e| e.to_string())?;
    let (vmlinux, modules) = (dir.join("vmlinux"), dir.join("modules"));
    let _ = fs::remove_dir_all(&modules);
    fs::rename(&vmlinux_tmp, &vmlinux).map_err(|e| format!("{}: {e}", vmlinux.display()))?;
    fs::rename(&modules_tmp, &modules).map_err(|e| format!("{}: {e}", modules.display()))?;
    Ok(Linux { vmlinux, modules })
}

// ---------------------------------------------------------------------------
// The model: what the image should hold, and the commands that make it so

/// The host files the steps copy from, by name (`/in/NAME` in both guests).
struct Blobs {
    dir: PathBuf,
    bytes: BTreeMap<&'static str, Vec<u8>>,
}

impl Blobs {
    fn new(sizes: &[(&'static str, usize, u32)]) -> Blobs {
        let dir = fresh("blobs");
        fs::create_dir_all(&dir).unwrap();
        let mut bytes = BTreeMap::new();
        for &(name, len, seed) in sizes {
            let data = noise(len, seed);
            let path = dir.join(name);
            fs::write(&path, &data).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            bytes.insert(name, data);
        }
        Blobs { dir, bytes }
    }

    fn get(&self, name: &str) -> &[u8] {
        &self.bytes[name]
    }
}

#[derive(Clone, Debug)]
enum Node {
    Dir {
        mode: u32,
    },
    /// An index into [`Plan::inodes`]: hard links share it.
    File(usize),
    Link(String),
}

#[derive(Clone, Debug)]
struct Inode {
    data: Vec<u8>,
    mode: u32,
}

/// The image's tree (paths relative to its root) and the shell steps that
/// make it, built together. Steps run with `umask 022`, as root, in the
/// image's root directory.
struct Plan {
    tree: BTreeMap<String, Node>,
    inodes: Vec<Inode>,
    sh: String,
    /// Files whose holes must stay holes.
    sparse: BTreeSet<String>,
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A plan's tree at one moment, to check a dump made then.
type Snapshot = (BTreeMap<String, Node>, Vec<Inode>, BTreeSet<String>);

impl Plan {
    fn of((tree, inodes, sparse): Snapshot) -> Plan {
        Plan {
            tree,
            inodes,
            sparse,
            sh: String::new(),
        }
    }

    fn new() -> Plan {
        Plan {
            tree: BTreeMap::new(),
            inodes: Vec::new(),
            sh: String::new(),
            sparse: BTreeSet::new(),
        }
    }

    fn step(&mut self, line: String) {
        self.sh.push_str(&line);
        self.sh.push('\n');
    }

    /// The steps run so far are done; what comes next is a new script.
    fn take_script(&mut self) -> String {
        std::mem::take(&mut self.sh)
    }

    fn new_file(&mut self, path: &str, data: Vec<u8>) {
        assert!(!self.tree.contains_key(path), "the plan makes {path} twice");
        self.inodes.push(Inode { data, mode: 0o644 });
        self.tree
            .insert(path.to_string(), Node::File(self.inodes.len() - 1));
    }

    fn inode(&mut self, path: &str) -> &mut Inode {
        match self.tree.get(path) {
            Some(Node::File(i)) => &mut self.inodes[*i],
            other => panic!("the plan has no file {path}: {other:?}"),
        }
    }

    fn mkdir(&mut self, path: &str) {
        self.step(format!("mkdir {}", q(path)));
        self.tree
            .insert(path.to_string(), Node::Dir { mode: 0o755 });
    }

    fn text(&mut self, path: &str, text: &str) {
        self.step(format!("printf '%s' {} > {}", q(text), q(path)));
        self.new_file(path, text.as_bytes().to_vec());
    }

    fn append(&mut self, path: &str, text: &str) {
        self.step(format!("printf '%s' {} >> {}", q(text), q(path)));
        self.inode(path).data.extend_from_slice(text.as_bytes());
    }

    /// The first `len` bytes of a blob (all of it: `cp`).
    fn copy(&mut self, path: &str, blobs: &Blobs, blob: &str, len: usize) {
        let data = blobs.get(blob);
        if len == data.len() {
            self.step(format!("cp /in/{blob} {}", q(path)));
        } else {
            self.step(format!("head -c {len} /in/{blob} > {}", q(path)));
        }
        self.new_file(path, data[..len].to_vec());
    }

    /// `dd conv=notrunc` of a blob at block `seek` (of `bs` bytes): makes
    /// the file if it is missing, leaves a hole before the data if it
    /// starts past the end.
    fn dd(&mut self, path: &str, blobs: &Blobs, blob: &str, bs: usize, seek: usize) {
        self.step(format!(
            "dd if=/in/{blob} of={} bs={bs} seek={seek} conv=notrunc 2>/dev/null",
            q(path)
        ));
        if !self.tree.contains_key(path) {
            self.new_file(path, Vec::new());
        }
        let bytes = blobs.get(blob).to_vec();
        let data = &mut self.inode(path).data;
        let at = seek * bs;
        if data.len() < at + bytes.len() {
            data.resize(at + bytes.len(), 0);
        }
        data[at..at + bytes.len()].copy_from_slice(&bytes);
    }

    fn truncate(&mut self, path: &str, size: usize) {
        self.step(format!("truncate -s {size} {}", q(path)));
        self.inode(path).data.resize(size, 0);
    }

    fn symlink(&mut self, target: &str, path: &str) {
        self.step(format!("ln -s {} {}", q(target), q(path)));
        self.tree
            .insert(path.to_string(), Node::Link(target.to_string()));
    }

    fn hard_link(&mut self, existing: &str, path: &str) {
        self.step(format!("ln {} {}", q(existing), q(path)));
        let node = self.tree[existing].clone();
        assert!(matches!(node, Node::File(_)), "{existing} is not a file");
        self.tree.insert(path.to_string(), node);
    }

    /// `path` and everything under it.
    fn subtree(&self, path: &str) -> Vec<String> {
        let under = format!("{path}/");
        self.tree
            .keys()
            .filter(|k| *k == path || k.starts_with(&under))
            .cloned()
            .collect()
    }

    fn rename(&mut self, from: &str, to: &str) {
        self.step(format!("mv {} {}", q(from), q(to)));
        for old in self.subtree(from) {
            let node = self.tree.remove(&old).unwrap();
            self.tree
                .insert(format!("{to}{}", &old[from.len()..]), node);
        }
    }

    fn remove(&mut self, path: &str) {
        self.remove_all(&[path.to_string()]);
    }

    /// One `rm -r` for all of `paths`.
    fn remove_all(&mut self, paths: &[String]) {
        let mut line = String::from("rm -r");
        for path in paths {
            write!(line, " {}", q(path)).unwrap();
            for old in self.subtree(path) {
                self.tree.remove(&old);
                self.sparse.remove(&old);
            }
        }
        self.step(line);
    }

    fn chmod(&mut self, path: &str, mode: u32) {
        self.step(format!("chmod {mode:o} {}", q(path)));
        match self.tree.get_mut(path) {
            Some(Node::Dir { mode: m }) => *m = mode,
            Some(Node::File(_)) => self.inode(path).mode = mode,
            other => panic!("chmod of {path}: {other:?}"),
        }
    }

    /// Empty files, one `touch` for all of them.
    fn touch(&mut self, dir: &str, names: &[String]) {
        let mut line = String::from("touch");
        for n in names {
            let path = format!("{dir}/{n}");
            write!(line, " {}", q(&path)).unwrap();
            self.new_file(&path, Vec::new());
        }
        self.step(line);
    }

    fn dump(&mut self, name: &str, roots: &[&str]) {
        self.step(format!("dump {name} {}", roots.join(" ")));
    }

    /// The names in the image's root directory, as `ls -a | sort` prints
    /// them (with lost+found, which mkfs.ext2 made).
    fn top(&self) -> String {
        let mut names: Vec<String> = [".", "..", "lost+found"].map(String::from).to_vec();
        names.extend(self.tree.keys().filter(|k| !k.contains('/')).cloned());
        names.sort();
        names.join(" ")
    }
}

// ---------------------------------------------------------------------------
// What a peer saw (tests/peer/dump.sh), against the model

#[derive(Debug, Default)]
struct Seen {
    kind: String,
    mode: u32,
    links: u64,
    size: u64,
    blocks: u64,
    target: Option<String>,
    sum: Option<String>,
}

/// The lines between `peer: begin NAME` and `peer: end NAME`.
fn section<'a>(output: &'a str, name: &str) -> Vec<&'a str> {
    let begin = format!("peer: begin {name}");
    let end = format!("peer: end {name}");
    let mut lines = output.lines().map(|l| l.trim_end_matches('\r'));
    assert!(
        lines.any(|l| l == begin),
        "no `{begin}` in the output:\n{output}"
    );
    let body: Vec<&str> = lines.by_ref().take_while(|l| *l != end).collect();
    body
}

fn parse_dump(output: &str, name: &str) -> BTreeMap<String, Seen> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for line in section(output, name) {
        if let Some(rest) = line.strip_prefix("stat|") {
            let f: Vec<&str> = rest.splitn(7, '|').collect();
            assert!(f.len() == 7, "{name}: bad stat line {line:?}");
            let num = |s: &str| -> u64 {
                s.parse()
                    .unwrap_or_else(|_| panic!("{name}: bad number in {line:?}"))
            };
            let target = f[6]
                .split_once("' -> '")
                .map(|(_, t)| t.trim_end_matches('\'').to_string());
            let e = seen.entry(f[0].to_string()).or_default();
            e.kind = f[1].to_string();
            e.mode = u32::from_str_radix(f[2], 8)
                .unwrap_or_else(|_| panic!("{name}: bad mode in {line:?}"));
            e.links = num(f[3]);
            e.size = num(f[4]);
            e.blocks = num(f[5]);
            e.target = target;
        } else if let Some(rest) = line.strip_prefix("sum|") {
            let (sum, path) = rest
                .split_once("  ")
                .unwrap_or_else(|| panic!("{name}: bad sum line {line:?}"));
            seen.entry(path.to_string()).or_default().sum = Some(sum.to_string());
        } else if !line.trim().is_empty() {
            // A kernel message on Linux's console; not part of the dump.
            eprintln!("{name}: {line}");
        }
    }
    seen
}

/// Every difference between what `who` saw under `roots` and the plan.
fn check(plan: &Plan, roots: &[&str], seen: &BTreeMap<String, Seen>, who: &str) {
    // Keyed by content: the many empty files need one sha256sum.
    let mut sums: HashMap<&[u8], String> = HashMap::new();
    let mut wrong = Vec::new();
    let wanted: Vec<&String> = plan
        .tree
        .keys()
        .filter(|k| {
            roots
                .iter()
                .any(|r| *k == r || k.starts_with(&format!("{r}/")))
        })
        .collect();
    let want_names: BTreeSet<&str> = wanted.iter().map(|s| s.as_str()).collect();
    let seen_names: BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    for missing in want_names.difference(&seen_names) {
        wrong.push(format!("{missing}: missing"));
    }
    for extra in seen_names.difference(&want_names) {
        wrong.push(format!("{extra}: there, but never made (or removed)"));
    }
    for path in wanted {
        let Some(s) = seen.get(path.as_str()) else {
            continue;
        };
        let node = &plan.tree[path];
        let (kind, mode, links, size) = match node {
            Node::Dir { mode } => {
                let under = format!("{path}/");
                let subdirs = plan
                    .tree
                    .iter()
                    .filter(|(k, n)| {
                        matches!(n, Node::Dir { .. })
                            && k.strip_prefix(&under).is_some_and(|r| !r.contains('/'))
                    })
                    .count() as u64;
                ("directory", *mode, 2 + subdirs, None)
            }
            Node::File(i) => {
                let inode = &plan.inodes[*i];
                let links = plan
                    .tree
                    .values()
                    .filter(|n| matches!(n, Node::File(j) if j == i))
                    .count() as u64;
                let kind = if inode.data.is_empty() {
                    "regular empty file"
                } else {
                    "regular file"
                };
                (kind, inode.mode, links, Some(inode.data.len() as u64))
            }
            Node::Link(t) => ("symbolic link", 0o777, 1, Some(t.len() as u64)),
        };
        let mut field = |what: &str, got: String, want: String| {
            if got != want {
                wrong.push(format!("{path}: {what} {got}, want {want}"));
            }
        };
        field("type", s.kind.clone(), kind.to_string());
        field("mode", format!("{:o}", s.mode), format!("{mode:o}"));
        field("links", s.links.to_string(), links.to_string());
        if let Some(size) = size {
            field("size", s.size.to_string(), size.to_string());
        }
        match node {
            Node::Link(t) => field(
                "target",
                format!("{:?}", s.target),
                format!("{:?}", Some(t)),
            ),
            Node::File(i) => {
                let data = plan.inodes[*i].data.as_slice();
                let want = sums.entry(data).or_insert_with(|| sha256(data)).clone();
                field(
                    "sha256",
                    format!("{:?}", s.sum),
                    format!("{:?}", Some(want)),
                );
                if plan.sparse.contains(path.as_str()) && s.blocks * 512 >= s.size / 2 {
                    wrong.push(format!(
                        "{path}: {} blocks of 512 bytes for {} bytes: its holes are not holes",
                        s.blocks, s.size
                    ));
                }
            }
            Node::Dir { .. } => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{who} disagrees with what the test made (the image is kept):\n  {}",
        wrong.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// Running the peers

/// Whether the directory at `path` in the image has a hashed index
/// (INDEX_FL, 0x1000, in the flags `debugfs stat` prints).
fn indexed(img: &Path, path: &str) -> bool {
    let out = Cmd::new("debugfs")
        .arg("-R")
        .arg(format!("stat {path}"))
        .arg(img)
        .run();
    out.assert_status(0);
    let text = out.stdout_str();
    let flags = text
        .split("Flags: 0x")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|f| u32::from_str_radix(f, 16).ok())
        .unwrap_or_else(|| panic!("no flags for {path} in {}", out.describe()));
    flags & 0x1000 != 0
}

/// The dump function and `steps`, as one script for `sh`.
fn script(steps: &str) -> String {
    let dump = fs::read_to_string(repo_root().join("tests/peer/dump.sh")).unwrap();
    format!("{dump}\n{steps}")
}

/// `steps` in lstar, busybox sh in the image's root (`set -e`).
fn in_lstar(img: &Path, blobs: &Blobs, steps: &str) -> Outcome {
    let run = fresh("lstar-steps.sh");
    let text = format!("set -e\numask 022\ncd /\n{}", script(steps));
    fs::write(&run, text).unwrap();
    let mut cmd = Cmd::lstar();
    cmd.arg("--disk").arg(img);
    cmd.arg("--file")
        .arg(format!("{}:/in/steps.sh:ro", run.display()));
    for name in blobs.bytes.keys() {
        cmd.arg("--file")
            .arg(format!("{}:/in/{name}:ro", blobs.dir.join(name).display()));
    }
    let out = cmd
        .args(["--", BUSYBOX, "sh", "/in/steps.sh"])
        .timeout(Duration::from_secs(400))
        .run();
    out.assert_status(0);
    let _ = fs::remove_file(&run);
    out
}

/// Boots Linux on the image with `steps` as /steps.sh (tests/peer/init.sh
/// runs them in the mounted image); the console output.
fn in_linux(img: &Path, blobs: &Blobs, steps: &str) -> String {
    let linux = linux();
    let root = fresh("initramfs");
    for dir in ["bin", "lib/modules", "in"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    fs::copy(BUSYBOX, root.join("bin/busybox")).unwrap();
    let init = root.join("init");
    fs::copy(repo_root().join("tests/peer/init.sh"), &init).unwrap();
    fs::set_permissions(&init, fs::Permissions::from_mode(0o755)).unwrap();
    for m in fs::read_dir(&linux.modules).unwrap() {
        let m = m.unwrap().path();
        fs::copy(&m, root.join("lib/modules").join(m.file_name().unwrap())).unwrap();
    }
    for name in blobs.bytes.keys() {
        fs::copy(blobs.dir.join(name), root.join("in").join(name)).unwrap();
    }
    fs::write(root.join("steps.sh"), script(steps)).unwrap();
    let cpio = fresh("init.cpio");
    Cmd::new("bash")
        .arg(linux_peer_sh())
        .arg("initramfs")
        .arg(&root)
        .arg(&cpio)
        .run()
        .assert_status(0);
    let out = Cmd::new("bash")
        .arg(linux_peer_sh())
        .arg("boot")
        .arg(&linux.vmlinux)
        .arg(&cpio)
        .arg("--disk")
        .arg(img)
        .timeout(Duration::from_secs(400))
        .run();
    let console: String = out.stdout_str().replace('\r', "");
    assert!(
        out.code() == 0
            && console.lines().any(|l| l == "peer: unmounted")
            && !console.contains("peer: FAIL"),
        "Linux did not run the steps to a clean unmount: {}",
        out.describe()
    );
    // ext4's complaints reach the console (quiet keeps errors and warnings).
    let complaints: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("EXT4-fs") && !l.contains("mounting ext2 file system"))
        .collect();
    assert!(
        complaints.is_empty(),
        "Linux's ext4 complained about the image:\n{}",
        complaints.join("\n")
    );
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_file(&cpio);
    console
}

/// Prints the image's root directory (the steps run there) for [`tops`].
const TOP: &str = "echo \"peer: top $(ls -a | sort | tr '\\n' ' ')\"";

/// What each [`TOP`] printed.
fn tops(console: &str) -> Vec<String> {
    console
        .lines()
        .filter_map(|l| l.strip_prefix("peer: top "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Entries in the directories of several blocks lstar and Linux make: 68
/// bytes each with these names, so more than one 4 KiB block, and enough
/// for Linux to index its own (dir_index) once it grows past one block.
const LSTAR_MANY: usize = 80;
const LINUX_MANY: usize = 120;

fn names(prefix: &str, n: usize) -> Vec<String> {
    // Long names: the directory spans several blocks of either size.
    (0..n)
        .map(|i| format!("{prefix}-an-entry-with-a-long-name-to-fill-directory-blocks-{i:03}"))
        .collect()
}

fn round_trip(bs: usize) {
    require_kvm!();
    require_tools();
    linux(); // fails here, before any lstar run, without a kernel image
    let direct = 12 * bs;
    let single_end = direct + (bs / 4) * bs;
    let blobs = Blobs::new(&[
        ("a", single_end + 3 * bs + 17, 1),
        ("b", 5000, 2),
        ("c", single_end + 2 * bs + 123, 3),
        ("d", 3000, 4),
    ]);
    let img = mkfs(bs as u32, None, "64M", &[]);

    // 1. lstar writes.
    let mut p = Plan::new();
    for d in [
        "peer",
        "peer/dir",
        "peer/dir/a",
        "peer/dir/a/b",
        "peer/dir/a/b/c",
        "peer/dir/old",
        "peer/links",
        "peer/many",
    ] {
        p.mkdir(d);
    }
    p.text("peer/small.txt", "hello, peer\n");
    p.text("peer/empty", "");
    p.copy("peer/dir/a/b/c/deep.bin", &blobs, "a", direct); // every direct block
    p.copy("peer/indirect.bin", &blobs, "a", direct + 1); // one byte past them
    p.copy("peer/double.bin", &blobs, "a", single_end + 3 * bs + 17); // double indirect
    p.dd("peer/sparse", &blobs, "b", bs, 3);
    p.dd("peer/sparse", &blobs, "b", bs, single_end / bs + 5);
    p.truncate("peer/sparse", single_end + 40 * bs);
    p.sparse.insert("peer/sparse".into());
    p.symlink("../small.txt", "peer/links/fast");
    let slow = format!("../dir/{}a/b/c/deep.bin", "a/../".repeat(15));
    p.symlink(&slow, "peer/links/slow"); // > 60 bytes: a block of its own
    p.symlink("nowhere/at/all", "peer/links/dangling");
    p.hard_link("peer/indirect.bin", "peer/links/hard");
    p.copy("peer/tmpname", &blobs, "b", 5000);
    p.rename("peer/tmpname", "peer/dir/renamed.bin");
    p.text("peer/dir/old/inside", "inside\n");
    p.rename("peer/dir/old", "peer/dir/new");
    p.copy("peer/gone.bin", &blobs, "a", direct + 5 * bs); // frees an indirect block
    p.remove("peer/gone.bin");
    p.mkdir("peer/dir/gone");
    p.remove("peer/dir/gone");
    p.touch("peer/many", &names("lstar", LSTAR_MANY));
    p.chmod("peer/small.txt", 0o600);
    p.chmod("peer/dir/a", 0o751);
    p.chmod("peer/dir/renamed.bin", 0o4755);
    p.chmod("peer/many", 0o1777);
    p.chmod("peer/double.bin", 0o444);
    let steps = p.take_script();
    in_lstar(&img, &blobs, &steps);
    assert_clean(&img, "lstar wrote the tree");

    // 2. Linux checks, writes, checks what it wrote, unmounts.
    p.dump("lstar-wrote", &["peer"]);
    let before_linux = p.top();
    p.step(TOP.into());
    let after_lstar = (p.tree.clone(), p.inodes.clone(), p.sparse.clone());
    for d in ["linux", "linux/sub", "linux/sub/deeper", "linux/many"] {
        p.mkdir(d);
    }
    p.copy("linux/big.bin", &blobs, "c", single_end + 2 * bs + 123);
    p.copy("linux/sub/small.bin", &blobs, "d", 3000);
    p.dd("linux/sparse", &blobs, "d", bs, single_end / bs + 2);
    p.sparse.insert("linux/sparse".into());
    p.symlink("../peer/small.txt", "linux/fast");
    let slow = format!("../peer/{}double.bin", "dir/../".repeat(12));
    p.symlink(&slow, "linux/slow");
    p.hard_link("linux/big.bin", "linux/sub/deeper/big-hard");
    p.remove("peer/links/hard");
    p.remove("peer/empty");
    p.rename("peer/dir/renamed.bin", "linux/renamed-by-linux.bin");
    p.remove("peer/dir/new");
    p.append("peer/small.txt", "and linux\n");
    p.dd("peer/double.bin", &blobs, "d", bs, 5);
    p.chmod("linux/sub/small.bin", 0o640);
    p.chmod("linux/sub", 0o2755);
    p.touch("linux/many", &names("linux", LINUX_MANY));
    p.dump("linux-wrote", &["peer", "linux"]);
    p.step(TOP.into());
    let steps = p.take_script();
    let console = in_linux(&img, &blobs, &steps);
    check(
        &Plan::of(after_lstar),
        &["peer"],
        &parse_dump(&console, "lstar-wrote"),
        &format!("Linux, reading what lstar wrote ({}),", img.display()),
    );
    check(
        &p,
        &["peer", "linux"],
        &parse_dump(&console, "linux-wrote"),
        &format!("Linux, after its own writes ({}),", img.display()),
    );
    assert_eq!(
        tops(&console),
        [before_linux, p.top()],
        "the image's root directory, as Linux lists it"
    );
    assert_clean(&img, "Linux wrote to the image and unmounted it");
    assert!(
        indexed(&img, "/linux/many"),
        "Linux did not index its directory of several blocks: the test no longer covers dir_index"
    );

    // 3. lstar reads what Linux wrote (from the disk: a fresh mount), then
    // writes to it, in Linux's indexed directory too.
    p.dump("lstar-reads", &["peer", "linux"]);
    let read_model = (p.tree.clone(), p.inodes.clone(), p.sparse.clone());
    p.copy("linux/many/added-by-lstar", &blobs, "b", 5000);
    let gone: Vec<String> = names("linux", LINUX_MANY)
        .iter()
        .step_by(3)
        .map(|n| format!("linux/many/{n}"))
        .collect();
    p.remove_all(&gone);
    p.mkdir("after");
    p.rename("linux/big.bin", "after/big.bin");
    p.remove("linux/sub/small.bin");
    p.append("linux/renamed-by-linux.bin", "appended by lstar\n");
    let steps = p.take_script();
    let out = in_lstar(&img, &blobs, &steps);
    check(
        &Plan::of(read_model),
        &["peer", "linux"],
        &parse_dump(&out.stdout_str(), "lstar-reads"),
        &format!("lstar, reading what Linux wrote ({}),", img.display()),
    );
    assert_clean(&img, "lstar wrote to Linux's image");
    assert!(
        !indexed(&img, "/linux/many"),
        "lstar changed Linux's indexed directory without clearing its index flag"
    );

    // 4. Linux reads what lstar wrote there.
    p.dump("linux-reads", &["peer", "linux", "after"]);
    p.step(TOP.into());
    let steps = p.take_script();
    let console = in_linux(&img, &blobs, &steps);
    check(
        &p,
        &["peer", "linux", "after"],
        &parse_dump(&console, "linux-reads"),
        &format!(
            "Linux, reading what lstar wrote to Linux's image ({}),",
            img.display()
        ),
    );
    assert_eq!(
        tops(&console),
        [p.top()],
        "the image's root directory, as Linux lists it"
    );
    assert_clean(&img, "Linux read the image again");
    let _ = fs::remove_file(&img);
    let _ = fs::remove_dir_all(&blobs.dir);
}

#[test]
fn linux_and_lstar_read_each_others_ext2_with_1k_blocks() {
    round_trip(1024);
}

#[test]
fn linux_and_lstar_read_each_others_ext2_with_4k_blocks() {
    round_trip(4096);
}
