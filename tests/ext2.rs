//! ext2 on the virtio-blk disk: images made by e2fsprogs (`mkfs.ext2 -d`),
//! used by real programs in lstar, and checked by e2fsprogs again
//! (`e2fsck -fn` after every run, `debugfs` for what the image holds).
//!
//! - tests/progs/vfs.c in a directory of an ext2 root (1 and 4 KiB
//!   blocks) prints what it prints natively; the tree it leaves, taken
//!   out of the image with `debugfs rdump`, equals the one it leaves
//!   natively (contents, modes, link counts, symlink targets).
//! - Writeback at close, seen from the host while the program waits.
//! - A populated image reads in the guest as its source tree on the host
//!   (busybox find, sha256sum, ls -lnR; a 10,000-entry directory).
//! - Growth across the indirect levels and past 4 GiB, sparse files,
//!   truncation; a full disk; a read-only disk; refused features.
//!
//! Each guest step is its own `lstar run` on the same image.

use crate::common::live::Live;
use crate::common::{Cmd, Outcome, prog, report_skip, which};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BUSYBOX: &str = "/bin/busybox";

/// Returns from the test, reported skipped, without e2fsprogs.
macro_rules! require_e2fsprogs {
    () => {
        require_kvm!();
        if ["mkfs.ext2", "e2fsck", "debugfs"]
            .iter()
            .any(|t| which(t).is_none())
        {
            report_skip("e2fsprogs (mkfs.ext2, e2fsck, debugfs) not installed");
            return;
        }
    };
}

/// A fresh path in the scratch directory.
fn fresh(prefix: &str) -> PathBuf {
    crate::common::fresh_path("ext2", prefix)
}

fn mkdir(path: &Path, mode: u32) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `mkfs.ext2 -b BS [-d SRC] EXTRA... IMG SIZE`, a fresh IMG.
pub(crate) fn mkfs(bs: u32, src: Option<&Path>, size: &str, extra: &[&str]) -> PathBuf {
    let img = fresh("img");
    let mut cmd = Cmd::new("mkfs.ext2");
    cmd.args(["-q", "-F", "-b", &bs.to_string()]).args(extra);
    if let Some(src) = src {
        cmd.arg("-d").arg(src);
    }
    cmd.arg(&img).arg(size).run().assert_status(0);
    img
}

/// A source tree with only `/tmp` (1777), for images a program works in.
fn tmp_only() -> PathBuf {
    let src = fresh("src");
    mkdir(&src.join("tmp"), 0o1777);
    src
}

/// `e2fsck -fn` finds nothing to fix.
#[track_caller]
pub(crate) fn assert_clean(img: &Path, after: &str) {
    let out = Cmd::new("e2fsck").arg("-fn").arg(img).run();
    assert!(
        out.code() == 0,
        "e2fsck -fn after {after}: {}",
        out.describe()
    );
}

fn debugfs(img: &Path, request: &str) -> String {
    let out = Cmd::new("debugfs").arg("-R").arg(request).arg(img).run();
    out.assert_status(0);
    out.stdout_str()
}

/// `lstar run --disk IMG [options] -- busybox ARGS...`.
fn busybox(img: &Path, options: &[&str], args: &[&str]) -> Outcome {
    Cmd::lstar()
        .arg("--disk")
        .arg(img)
        .args(options)
        .args(["--env", "TZ=UTC0", "--", BUSYBOX])
        .args(args)
        .timeout(Duration::from_secs(240))
        .run()
}

// ---------------------------------------------------------------------------
// vfs.c on an ext2 root

/// What a tree holds, per relative path: kind, permission bits, content
/// or symlink target; link counts come separately (rdump cannot keep them).
fn tree_of(root: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let m = fs::symlink_metadata(&path).unwrap();
            let t = m.file_type();
            let (kind, data) = if t.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                ('l', target.into_os_string().into_encoded_bytes())
            } else if t.is_dir() {
                stack.push(path.clone());
                ('d', Vec::new())
            } else if t.is_file() {
                ('f', fs::read(&path).unwrap())
            } else {
                ('o', Vec::new())
            };
            let mode = if kind == 'l' { 0 } else { m.mode() & 0o7777 };
            out.insert(rel, (kind, mode, data));
        }
    }
    out
}

/// Link counts and permission bits of `paths` (relative to `base` in the
/// image), from one debugfs: rdump cannot keep link counts, and it chowns
/// after it chmods, which drops a directory's setgid bit.
fn image_stats(img: &Path, base: &str, paths: &[String]) -> Vec<(u64, u32)> {
    let cmds = fresh("debugfs-cmds");
    let text: String = paths
        .iter()
        .map(|p| format!("stat \"{base}/{p}\"\n"))
        .collect();
    fs::write(&cmds, text).unwrap();
    let out = Cmd::new("debugfs").arg("-f").arg(&cmds).arg(img).run();
    out.assert_status(0);
    let text = out.stdout_str();
    let field = |name: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let at = l.find(name)?;
                Some(l[at + name.len()..].split_whitespace().next()?.to_string())
            })
            .collect()
    };
    let links: Vec<u64> = field("Links: ")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let modes: Vec<u32> = field("Mode: ")
        .iter()
        .filter_map(|v| u32::from_str_radix(v, 8).ok())
        .collect();
    assert!(
        links.len() == paths.len() && modes.len() == paths.len(),
        "debugfs stat: {}",
        out.describe()
    );
    links.into_iter().zip(modes).collect()
}

/// The lines vfs.c prints about a write at 2^40: ext2 with 1 KiB blocks
/// holds at most 16 GiB per file (EFBIG, as Linux's ext2 says there).
const AT_2_40: [&str; 4] = [
    "pwrite 1 byte at 2^40",
    "size 2^40 + ",
    "pread it back",
    "the byte is there",
];

fn vfs_on_ext2(bs: u32) {
    let here = fresh("native");
    let want = Cmd::new(prog("vfs"))
        .arg(&here)
        .env_clear()
        .env("PATH", "/bin:/usr/bin")
        .current_dir("/")
        .run();
    want.assert_status(0);
    let img = mkfs(bs, Some(&tmp_only()), "64M", &[]);
    let got = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .args(["--", prog("vfs").to_str().unwrap(), "/tmp/w"])
        .timeout(Duration::from_secs(400))
        .run();
    got.assert_status(0);
    let keep = |text: &str| -> String {
        text.lines()
            .filter(|l| bs != 1024 || !AT_2_40.iter().any(|p| l.starts_with(p)))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (w, g) = (keep(&want.stdout_str()), keep(&got.stdout_str()));
    if w != g {
        let diff: Vec<String> = w
            .lines()
            .zip(g.lines())
            .filter(|(a, b)| a != b)
            .take(20)
            .map(|(a, b)| format!("- {a}\n+ {b}"))
            .collect();
        panic!(
            "vfs.c on ext2 ({bs}-byte blocks) differs from Linux:\n{}\n{}",
            diff.join("\n"),
            got.describe()
        );
    }
    if bs == 1024 {
        assert!(
            got.stdout_str()
                .contains("pwrite 1 byte at 2^40: -1 EFBIG\n"),
            "{}",
            got.describe()
        );
    }
    assert_clean(&img, "vfs.c");

    let out = fresh("rdump");
    fs::create_dir_all(&out).unwrap();
    debugfs(&img, &format!("rdump /tmp/w {}", out.display()));
    let (native_tree, image_tree) = (tree_of(&here), tree_of(&out.join("w")));
    assert_eq!(
        native_tree.keys().collect::<Vec<_>>(),
        image_tree.keys().collect::<Vec<_>>(),
        "the names vfs.c left natively (left) and in the image (right)"
    );
    // Absolute symlink targets name the work directory: its native path.
    let here_text = here.display().to_string();
    for (path, (kind, _, data)) in &native_tree {
        let (ikind, _, idata) = &image_tree[path];
        let want = if *kind == 'l' {
            String::from_utf8_lossy(data)
                .replace(&here_text, "/tmp/w")
                .into_bytes()
        } else {
            data.clone()
        };
        assert_eq!(
            (kind, &want),
            (ikind, idata),
            "{path}: kind, content or target"
        );
    }
    let paths: Vec<String> = native_tree.keys().cloned().collect();
    let native_stats: Vec<(u64, u32)> = paths
        .iter()
        .map(|p| {
            let m = fs::symlink_metadata(here.join(p)).unwrap();
            (m.nlink(), m.mode() & 0o7777)
        })
        .collect();
    assert_eq!(
        native_stats,
        image_stats(&img, "/tmp/w", &paths),
        "link counts and modes of {paths:?}"
    );
    let _ = fs::remove_dir_all(&here);
    let _ = fs::remove_dir_all(&out);
    let _ = fs::remove_file(&img);
}

#[test]
fn vfs_checks_on_an_ext2_root_with_4k_blocks_match_linux() {
    require_e2fsprogs!();
    vfs_on_ext2(4096);
}

#[test]
fn vfs_checks_on_an_ext2_root_with_1k_blocks_match_linux() {
    require_e2fsprogs!();
    vfs_on_ext2(1024);
}

// ---------------------------------------------------------------------------
// Writeback at close, from the host

#[test]
fn a_file_reaches_the_image_when_it_is_closed() {
    require_e2fsprogs!();
    let src = tmp_only();
    mkdir(&src.join("out"), 0o755);
    fs::write(src.join("out/result.txt"), "old content\n").unwrap();
    let img = mkfs(1024, Some(&src), "8M", &[]);
    let text = "written by the guest, closed before the host reads it";
    let mut vm = Live::start(
        [
            "--disk".as_ref(),
            img.as_os_str(),
            "--".as_ref(),
            prog("ext2-close").as_os_str(),
            "/out/result.txt".as_ref(),
            text.as_ref(),
        ],
        &[],
    );
    let cat = || debugfs(&img, "cat /out/result.txt");

    assert_eq!(vm.next_line(), "written");
    // Open with O_TRUNC is on disk (a namespace change); the data is not.
    let before = cat();
    assert!(!before.contains(text), "data before close: {before:?}");
    assert_clean(&img, "write() before close()");

    vm.send(b"\n");
    assert_eq!(vm.next_line(), "closed");
    assert_eq!(cat(), text, "after close() returned");
    assert_clean(&img, "close()");

    vm.send(b"\n");
    vm.close_stdin();
    assert_eq!(vm.end().status.code(), Some(0));
    assert_clean(&img, "exit");
    let _ = fs::remove_file(&img);
}

/// The issue's guarantee, one system call at a time: after each of
/// create, write, close, mkdir, rename, link, symlink (fast and slow),
/// truncate, chmod + utimes, fsync, a write to an open file, the last
/// close, unlink, mkfifo and rmdir returns, the VM is paused through the
/// control socket and `e2fsck -fn` finds nothing to fix; debugfs shows the
/// namespace change, and file data only after close or fsync.
#[test]
fn every_system_call_leaves_a_clean_image_seen_with_the_vm_paused() {
    require_e2fsprogs!();
    let src = tmp_only();
    mkdir(&src.join("w"), 0o755);
    let img = mkfs(1024, Some(&src), "96M", &[]);
    let socket = fresh("steps-socket");
    let mut vm = Live::start(
        [
            "--disk".as_ref(),
            img.as_os_str(),
            "--socket".as_ref(),
            socket.as_os_str(),
            "--".as_ref(),
            prog("ext2-steps").as_os_str(),
            "/w".as_ref(),
        ],
        &[],
    );
    let inspect = |what: &str| {
        let out = Cmd::new(crate::common::LSTAR)
            .arg("inspect")
            .arg(&socket)
            .arg(what)
            .run();
        out.assert_status(0);
    };
    let stat = |path: &str| debugfs(&img, &format!("stat {path}"));
    // `ls -p`: one "/INODE/MODE/UID/GID/NAME/SIZE/" line per entry.
    let names = |dir: &str| -> Vec<String> {
        debugfs(&img, &format!("ls -p {dir}"))
            .lines()
            .filter_map(|l| l.split('/').nth(5).map(str::to_string))
            .collect()
    };
    let steps = [
        "create",
        "write",
        "close",
        "mkdir",
        "rename",
        "link",
        "symlink",
        "truncate",
        "chmod-utimes",
        "fsync",
        "pwrite-open",
        "close-2",
        "unlink",
        "mkfifo",
        "rmdir",
    ];
    let alphabet: Vec<u8> = (0..3 * 4096).map(|i| b'a' + (i % 26) as u8).collect();
    for want in steps {
        assert_eq!(vm.next_line(), format!("step {want}"), "the program's step");
        inspect("pause");
        assert_clean(&img, want);
        match want {
            "create" | "write" => {
                // The entry and inode are on disk; the data is not.
                let st = stat("/w/f");
                assert!(st.contains("Size: 0"), "{want}: {st}");
            }
            "close" => {
                assert_eq!(
                    debugfs(&img, "cat /w/f").into_bytes(),
                    alphabet,
                    "after close"
                );
            }
            "mkdir" => assert!(stat("/w/d").contains("Type: directory"), "mkdir"),
            "rename" => {
                assert!(
                    !names("/w").contains(&"f".to_string()),
                    "rename: {:?}",
                    names("/w")
                );
                assert!(stat("/w/d/g").contains("Size: 12288"), "rename");
            }
            "link" => assert!(stat("/w/d/h").contains("Links: 2"), "link"),
            "symlink" => {
                let fast = stat("/w/d/fast");
                assert!(fast.contains("Fast link dest: \"g\""), "fast: {fast}");
                let slow = stat("/w/d/slow");
                assert!(
                    slow.contains("Type: symlink") && slow.contains("Size: 199"),
                    "slow: {slow}"
                );
            }
            "truncate" => assert!(stat("/w/d/g").contains("Size: 5000"), "truncate"),
            "chmod-utimes" => {
                let st = stat("/w/d/g");
                assert!(st.contains("Mode:  0604"), "chmod: {st}");
                assert!(st.contains("mtime: 0x499602d2"), "utimes: {st}");
            }
            "fsync" | "pwrite-open" => {
                // fsync wrote "far" at 64 MiB; the write after it waits
                // for the close.
                let st = stat("/w/d/g");
                assert!(
                    st.contains(&format!("Size: {}", (64u64 << 20) + 3)),
                    "{want}: {st}"
                );
            }
            "close-2" => {
                let st = stat("/w/d/g");
                assert!(
                    st.contains(&format!("Size: {}", (64u64 << 20) + 7)),
                    "close-2: {st}"
                );
            }
            "unlink" => assert!(stat("/w/d/g").contains("Links: 1"), "unlink"),
            "mkfifo" => assert!(stat("/w/d/p").contains("Type: FIFO"), "mkfifo"),
            "rmdir" => assert_eq!(names("/w"), [".", ".."], "rmdir"),
            _ => unreachable!(),
        }
        inspect("resume");
        vm.send(b"\n");
    }
    vm.close_stdin();
    assert_eq!(vm.end().status.code(), Some(0));
    assert_clean(&img, "exit");
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// A populated image

/// The tree the image is made from: `{root}/data/...`.
fn populated_tree(root: &Path) {
    let data = root.join("data");
    mkdir(&data, 0o755);
    let many = data.join("many");
    mkdir(&many, 0o755);
    for i in 0..10_000 {
        fs::write(many.join(format!("f{i:05}")), b"").unwrap();
    }
    for d in 0..20 {
        let dir = data.join(format!("tree/d{d:02}"));
        mkdir(&dir, 0o755);
        for f in 0..50 {
            let bytes = crate::common::noise((d * 50 + f) * 37 % 5000, (d * 50 + f + 1) as u32);
            let p = dir.join(format!("file-{f:02}.bin"));
            fs::write(&p, bytes).unwrap();
            fs::set_permissions(
                &p,
                fs::Permissions::from_mode(0o600 + (f as u32 % 3) * 0o44),
            )
            .unwrap();
        }
    }
    fs::write(data.join("big.bin"), crate::common::noise(12 << 20, 7)).unwrap();
    let mut deep = data.join("deep");
    for _ in 0..40 {
        deep = deep.join("level");
    }
    mkdir(&deep, 0o755);
    fs::write(deep.join("bottom.txt"), b"at the bottom\n").unwrap();
    let long = "n".repeat(255);
    fs::write(data.join(&long), b"a long name\n").unwrap();
    mkdir(&data.join("links"), 0o755);
    std::os::unix::fs::symlink("../big.bin", data.join("links/fast")).unwrap();
    let slow_target = format!("../tree/{}d01/file-01.bin", "d00/../".repeat(20));
    std::os::unix::fs::symlink(&slow_target, data.join("links/slow")).unwrap();
    fs::hard_link(data.join("tree/d00/file-00.bin"), data.join("links/hard")).unwrap();
    let out = Cmd::new("touch")
        .args(["-h", "-d", "2021-03-04 05:06:07 UTC"])
        .arg(data.join("links/fast"))
        .arg(data.join("links/slow"))
        .run();
    out.assert_status(0);
}

/// `busybox ARGS` on the host, output with `host_root` spelled `/`.
fn host_busybox(host_root: &Path, args: &[String]) -> String {
    let out = Cmd::new(BUSYBOX)
        .args(args)
        .env_clear()
        .env("TZ", "UTC0")
        .current_dir("/")
        .run();
    out.assert_status(0);
    out.stdout_str()
        .replace(&format!("{}/", host_root.display()), "/")
}

/// ls -lnR without what each file system chooses: directory sizes and
/// "total" block counts.
fn without_fs_choices(listing: &str) -> String {
    listing
        .lines()
        .filter(|l| !l.starts_with("total "))
        .map(|l| {
            if l.starts_with('d') {
                let f: Vec<&str> = l.split_whitespace().collect();
                if f.len() > 5 {
                    return format!("{} {} {} {} - {}", f[0], f[1], f[2], f[3], f[5..].join(" "));
                }
            }
            l.to_string()
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sorted(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn a_populated_image_reads_as_its_source_tree() {
    require_e2fsprogs!();
    let root = fresh("populated");
    populated_tree(&root);
    let img = mkfs(4096, Some(&root), "96M", &["-N", "16384"]);
    let host = |args: &[&str]| {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("/data", &format!("{}/data", root.display())))
            .collect();
        host_busybox(&root, &args)
    };
    let guest = |args: &[&str]| {
        let out = busybox(&img, &[], args);
        out.assert_status(0);
        out.stdout_str()
    };

    // Every kernel instruction is emulated on kvm-pvm (~6 ms per file
    // looked up and stat'ed): find and ls -lnR leave the 10,000-entry
    // directory to a listing by glob, which reads it without a stat each,
    // and one lookup in it.
    let find = [
        "find",
        "/data",
        "-path",
        "/data/many",
        "-prune",
        "-o",
        "-print",
    ];
    assert_eq!(sorted(&guest(&find)), sorted(&host(&find)), "find /data");
    let glob = ["sh", "-c", "echo /data/many/*"];
    let names = guest(&glob);
    assert_eq!(names, host(&glob), "the 10,000-entry directory");
    assert_eq!(names.split_whitespace().count(), 10_000);
    let one = ["ls", "-ln", "/data/many/f05000", "/data/many/f09999"];
    assert_eq!(guest(&one), host(&one), "lookups in it");

    let mut sums: Vec<String> = (0..50)
        .map(|f| format!("/data/tree/d00/file-{f:02}.bin"))
        .collect();
    let long = format!("/data/{}", "n".repeat(255));
    let deep = format!("/data/deep{}/bottom.txt", "/level".repeat(40));
    sums.extend(
        [
            "/data/big.bin",
            "/data/links/fast",
            "/data/links/slow",
            "/data/links/hard",
            "/data/tree/d19/file-49.bin",
            &long,
            &deep,
        ]
        .map(String::from),
    );
    let mut args = vec!["sha256sum"];
    args.extend(sums.iter().map(String::as_str));
    assert_eq!(guest(&args), host(&args), "sha256sum");

    let ls = [
        "ls",
        "-lnR",
        "/data/tree/d00",
        "/data/tree/d07",
        "/data/links",
        "/data/deep",
    ];
    let (g, h) = (guest(&ls), host(&ls));
    assert_eq!(
        without_fs_choices(&g),
        without_fs_choices(&h),
        "ls -lnR (directory sizes and totals left out)"
    );
    assert_clean(&img, "reading");
    let _ = fs::remove_dir_all(&root);
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// Block maps, sizes, a full disk

#[test]
fn files_grow_across_the_indirect_levels_and_past_4_gib() {
    require_e2fsprogs!();
    let img = mkfs(1024, None, "96M", &[]);
    let pattern = fresh("pattern");
    let bytes: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    fs::write(&pattern, &bytes).unwrap();
    let file_arg = format!("{}:/pat", pattern.display());
    // KiB offsets (1 KiB blocks): direct, single, double and triple
    // indirect, then 5 GiB (still triple: ext2's limit there is 16 GiB).
    let offsets = [1u64, 100, 5_000, 70_000, 5 << 20];
    for seek in offsets {
        let out = busybox(
            &img,
            &["--file", &file_arg],
            &[
                "dd",
                "if=/pat",
                "of=/sparse",
                "bs=1024",
                &format!("seek={seek}"),
                "conv=notrunc",
            ],
        );
        out.assert_status(0);
        assert_clean(&img, &format!("a write at {seek} KiB"));
    }
    let stat = debugfs(&img, "stat /sparse");
    let size = (5u64 << 30) + 1024;
    assert!(stat.contains(&format!("Size: {size}")), "{stat}");
    // 5 data blocks, and 1 + 2 + 3 + 3 indirect blocks on their ways.
    assert!(stat.contains("Blockcount: 28"), "{stat}");
    for seek in offsets {
        let out = busybox(
            &img,
            &[],
            &[
                "dd",
                "if=/sparse",
                "bs=1024",
                "count=1",
                &format!("skip={seek}"),
            ],
        );
        out.assert_status(0);
        assert_eq!(out.stdout, bytes, "the block at {seek} KiB");
    }
    let hole = busybox(
        &img,
        &[],
        &["dd", "if=/sparse", "bs=1024", "count=1", "skip=4000"],
    );
    assert_eq!(hole.stdout, vec![0u8; 1024], "a hole");
    let out = busybox(&img, &[], &["truncate", "-s", "3000", "/sparse"]);
    out.assert_status(0);
    assert_clean(&img, "truncate");
    let stat = debugfs(&img, "stat /sparse");
    assert!(
        // Blocks 0 and 1: the first write's page was written whole.
        stat.contains("Size: 3000") && stat.contains("Blockcount: 4"),
        "{stat}"
    );
    let out = busybox(&img, &[], &["rm", "/sparse"]);
    out.assert_status(0);
    assert_clean(&img, "rm");
    let _ = fs::remove_file(&img);
}

#[test]
fn a_full_disk_gives_enospc_and_a_clean_image() {
    require_e2fsprogs!();
    let img = mkfs(1024, Some(&tmp_only()), "4M", &[]);
    let out = busybox(
        &img,
        &[],
        &["dd", "if=/dev/zero", "of=/tmp/big", "bs=65536"],
    );
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert!(
        out.stderr_str().contains("No space left on device"),
        "{}",
        out.describe()
    );
    assert_clean(&img, "filling the disk");
    let stat = debugfs(&img, "stat /tmp/big");
    assert!(stat.contains("Size: 3"), "most of 4 MiB written: {stat}");
    let out = busybox(&img, &[], &["mkdir", "/tmp/d"]);
    assert_eq!(out.code(), 1, "{}", out.describe());
    assert_clean(&img, "mkdir on a full disk");
    busybox(&img, &[], &["rm", "/tmp/big"]).assert_status(0);
    busybox(&img, &[], &["mkdir", "/tmp/d"]).assert_status(0);
    assert_clean(&img, "rm and mkdir");
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// Mounting: which root, read-only, refused features

#[test]
fn the_root_is_the_disk_when_it_holds_ext2() {
    require_e2fsprogs!();
    let src = tmp_only();
    mkdir(&src.join("etc"), 0o755);
    fs::write(src.join("etc/hostname"), "from-the-image\n").unwrap();
    let img = mkfs(4096, Some(&src), "8M", &[]);
    let out = busybox(&img, &["--verbose"], &["cat", "/etc/hostname"]);
    out.assert_status(0).assert_stdout("from-the-image\n");
    assert!(
        out.stderr_str().contains("root: ext2 on /dev/vda"),
        "{}",
        out.describe()
    );
    // The image has no /dev or /proc: they are there anyway, not on disk.
    let out = busybox(&img, &[], &["ls", "/dev/null", "/proc/self/exe"]);
    out.assert_status(0);
    assert!(!debugfs(&img, "ls /").contains("proc"));
    // The disk may not be written under its file system.
    let out = busybox(&img, &[], &["dd", "if=/dev/zero", "of=/dev/vda", "count=1"]);
    assert!(
        out.code() == 1 && out.stderr_str().contains("busy"),
        "{}",
        out.describe()
    );
    assert_clean(&img, "dd to /dev/vda");

    // A disk without ext2 leaves the tmpfs root.
    let raw = fresh("raw");
    fs::write(&raw, vec![0u8; 1 << 20]).unwrap();
    let out = busybox(&raw, &["--verbose"], &["ls", "/tmp"]);
    out.assert_status(0);
    assert!(
        out.stderr_str().contains("the root is a tmpfs"),
        "{}",
        out.describe()
    );
    let _ = fs::remove_file(&img);
    let _ = fs::remove_file(&raw);
}

#[test]
fn a_read_only_disk_is_mounted_read_only() {
    require_e2fsprogs!();
    let src = tmp_only();
    fs::write(src.join("tmp/f"), "kept\n").unwrap();
    let img = mkfs(1024, Some(&src), "8M", &[]);
    let before = fs::read(&img).unwrap();
    let ro = ["--read-only"];
    busybox(&img, &ro, &["cat", "/tmp/f"])
        .assert_status(0)
        .assert_stdout("kept\n");
    for args in [
        &["touch", "/tmp/new"][..],
        &["rm", "/tmp/f"],
        &["mkdir", "/tmp/d"],
        &["chmod", "600", "/tmp/f"],
    ] {
        let out = busybox(&img, &ro, args);
        assert!(
            out.code() == 1 && out.stderr_str().contains("Read-only file system"),
            "{args:?}: {}",
            out.describe()
        );
    }
    assert!(fs::read(&img).unwrap() == before, "the image changed");
    let _ = fs::remove_file(&img);
}

#[test]
fn images_with_features_the_kernel_lacks_are_refused_or_read_only() {
    require_e2fsprogs!();
    // ext4's extents (with metadata_csum, 64bit, flex_bg): not mounted.
    let img = fresh("ext4");
    Cmd::new("mkfs.ext4")
        .args(["-q", "-F", "-O", "^has_journal"])
        .arg(&img)
        .arg("8M")
        .run()
        .assert_status(0);
    let before = fs::read(&img).unwrap();
    let out = busybox(&img, &[], &["ls", "/"]);
    out.assert_status(0);
    assert!(
        out.stderr_str().contains("ext2 on /dev/vda not mounted")
            && out.stdout_str().contains("tmp"),
        "{}",
        out.describe()
    );
    assert!(fs::read(&img).unwrap() == before, "the image changed");

    // A read-only compatible feature it does not know: read-only.
    let src = tmp_only();
    fs::write(src.join("tmp/f"), "readable\n").unwrap();
    let img2 = mkfs(1024, Some(&src), "8M", &["-O", "huge_file"]);
    let out = busybox(&img2, &[], &["cat", "/tmp/f"]);
    out.assert_status(0).assert_stdout("readable\n");
    assert!(
        out.stderr_str().contains("mounted read-only"),
        "{}",
        out.describe()
    );
    let out = busybox(&img2, &[], &["touch", "/tmp/g"]);
    assert!(
        out.stderr_str().contains("Read-only file system"),
        "{}",
        out.describe()
    );
    let _ = fs::remove_file(&img);
    let _ = fs::remove_file(&img2);
}

// ---------------------------------------------------------------------------
// The page cache's counters

/// The numbers of the `--stats` line that starts with `prefix`, in order.
fn stats_numbers(out: &Outcome, prefix: &str) -> Vec<f64> {
    let line = out
        .stderr_line_with(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} line: {}", out.describe()));
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|w| !w.is_empty() && *w != ".")
        .map(|w| w.parse().expect("a number"))
        .collect()
}

#[test]
fn writeback_counters_say_why_pages_were_written() {
    require_e2fsprogs!();
    let img = mkfs(4096, Some(&tmp_only()), "16M", &[]);
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .arg("--stats")
        .arg("--")
        .arg(prog("ext2-writeback"))
        .arg("/tmp")
        .run();
    out.assert_status(0);
    assert_eq!(out.stdout_str(), "done\n");
    // 3 files of 5 pages closed, 2 pages fsynced, 4 left open at exit.
    let wb = stats_numbers(&out, "writeback: ");
    assert_eq!(
        wb[..6],
        [15.0, 3.0, 5.0, 2.0, 4.0, 0.0],
        "{}",
        out.describe()
    );
    let metadata = wb[6];
    assert!(
        metadata >= 5.0,
        "metadata blocks written: {}",
        out.describe()
    );
    // Nothing left dirty; every page written counted once.
    let pc = stats_numbers(&out, "page cache: ");
    assert_eq!(pc[..2], [0.0, 21.0], "{}", out.describe());
    assert_clean(&img, "the workload");
    for (name, pages) in [("c0", 5), ("c1", 5), ("c2", 5), ("s", 2), ("e", 4)] {
        let data = debugfs(&img, &format!("cat /tmp/{name}"));
        assert_eq!(data.len(), pages * 4096, "/tmp/{name}");
    }
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// A file larger than guest RAM

/// The bytes tests/progs/ext2-pattern.c writes: word i is
/// splitmix64(seed + i), little-endian.
fn pattern(mib: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(mib << 20);
    for i in 0..(mib << 20) as u64 / 8 {
        let mut x = seed.wrapping_add(i).wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(x ^ (x >> 31)).to_le_bytes());
    }
    out
}

/// The guest has 16 MiB (lstar's least) and writes a 24 MiB file: the
/// page cache writes dirty pages back early and evicts clean ones, then a
/// read of the whole file (busybox sha256sum, in a fresh 16 MiB guest)
/// fills it again through evictions. The bytes are checked three ways:
/// the guest's sha256 against the host's of `debugfs dump`, and the dump
/// against the pattern computed here.
#[test]
fn a_file_larger_than_guest_ram_is_written_and_read_back() {
    require_e2fsprogs!();
    const MIB: usize = 24;
    let img = mkfs(4096, Some(&tmp_only()), "64M", &[]);
    let out = Cmd::lstar()
        .args(["--mem", "16", "--stats", "--disk"])
        .arg(&img)
        .arg("--")
        .arg(prog("ext2-pattern"))
        .args(["/tmp/big", &MIB.to_string(), "7"])
        .timeout(Duration::from_secs(600))
        .run();
    out.assert_status(0);
    assert_eq!(out.stdout_str(), "written\n");
    let wb = stats_numbers(&out, "writeback: ");
    let pc = stats_numbers(&out, "page cache: ");
    assert_eq!(pc[..2], [0.0, (MIB * 256) as f64], "{}", out.describe());
    assert!(wb[5] > 0.0, "no early writeback: {}", out.describe());
    assert_eq!(wb[0] + wb[5], (MIB * 256) as f64, "{}", out.describe());
    let evicted = stats_numbers(&out, "evicted under memory pressure: ");
    assert!(evicted[0] > 0.0, "{}", out.describe());
    assert_clean(&img, "writing a file larger than RAM");

    let read = busybox(&img, &["--mem", "16"], &["sha256sum", "/tmp/big"]);
    read.assert_status(0);
    let dumped = fresh("big");
    debugfs(&img, &format!("dump /tmp/big {}", dumped.display()));
    let host = Cmd::new("sha256sum").arg(&dumped).run();
    host.assert_status(0);
    let hash = |s: String| s.split_whitespace().next().unwrap_or_default().to_string();
    assert_eq!(hash(read.stdout_str()), hash(host.stdout_str()));
    let bytes = fs::read(&dumped).unwrap();
    assert!(
        bytes == pattern(MIB, 7),
        "the image's /tmp/big is not what was written"
    );
    assert_clean(&img, "reading it back");
    let _ = fs::remove_file(&dumped);
    let _ = fs::remove_file(&img);
}

/// The `blk:` line's notification count of `lstar run --stats`.
fn notifications(out: &Outcome) -> u64 {
    let line = out
        .stderr_line_with("blk: ")
        .unwrap_or_else(|| panic!("no blk line: {}", out.describe()));
    line.split(", ")
        .find_map(|kv| {
            kv.trim_start_matches("blk: ")
                .strip_prefix("notifications ")
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no notifications in {line:?}"))
}

/// A file's create is one notification (its bitmap, inode and directory
/// entry in one batch, in that order: lstar's device serves requests in
/// ring order) and its close with a page of data one more.
#[test]
fn a_small_file_costs_one_notification_to_create_and_one_to_close() {
    require_e2fsprogs!();
    const FILES: u64 = 20;
    let run = |n: u64| {
        let img = mkfs(4096, Some(&tmp_only()), "16M", &[]);
        let out = Cmd::lstar()
            .args(["--quiet", "--stats", "--disk"])
            .arg(&img)
            .arg("--")
            .arg(prog("vfs-bench"))
            .args(["/tmp/b", &n.to_string()])
            .run();
        out.assert_status(0);
        assert_clean(&img, "creating files");
        let _ = fs::remove_file(&img);
        notifications(&out)
    };
    let (none, some) = (run(0), run(FILES));
    // A few reads come on top (inode table and directory blocks met for
    // the first time); phase by phase it was 5 per file.
    assert!(
        some - none <= 2 * FILES + FILES / 4,
        "{} notifications for {FILES} files created, written and closed",
        some - none
    );
}

// ---------------------------------------------------------------------------
// Read-ahead

/// `busybox sha256sum PATHS...` in lstar (`--stats`): the guest's digests,
/// in order, and the run's notification count.
fn guest_sha256(img: &Path, paths: &[&str]) -> (Vec<String>, u64) {
    let mut args = vec!["--quiet", "--stats", "--", BUSYBOX, "sha256sum"];
    args.extend_from_slice(paths);
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(img)
        .args(args)
        .timeout(Duration::from_secs(600))
        .run();
    out.assert_status(0);
    let sums = out
        .stdout_str()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    (sums, notifications(&out))
}

/// A page-cache miss reads a window of pages, not one: an 8 MiB file read
/// in 4 KiB reads (busybox sha256sum) costs a few notifications per MiB,
/// not one per page (256 per MiB before read-ahead), on 4 and 1 KiB block
/// images; the bytes are the host's, a sparse file's holes read as zeros
/// and a tail that ends inside a page reads exactly.
#[test]
fn reads_of_a_file_go_in_read_ahead_windows() {
    require_e2fsprogs!();
    const MIB: usize = 8;
    let src = fresh("src");
    mkdir(&src.join("data"), 0o755);
    let mut seq = pattern(MIB, 3);
    seq.extend_from_slice(&pattern(1, 4)[..1234]);
    fs::write(src.join("data/seq"), &seq).unwrap();
    // Data, a 1 MiB hole, data, a hole to the end.
    let sparse = src.join("data/sparse");
    {
        use std::os::unix::fs::FileExt;
        let f = fs::File::create(&sparse).unwrap();
        let chunk = pattern(1, 5);
        f.write_all_at(&chunk[..300_000], 0).unwrap();
        f.write_all_at(&chunk[300_000..700_000], (1 << 20) + 300_000)
            .unwrap();
        f.set_len(3 << 20).unwrap();
    }
    fs::write(src.join("data/small"), b"small\n").unwrap();
    let want = [
        crate::common::sha256_file(&src.join("data/seq")),
        crate::common::sha256_file(&sparse),
    ];
    for bs in [4096, 1024] {
        let img = mkfs(bs, Some(&src), "32M", &[]);
        let (_, base) = guest_sha256(&img, &["/data/small"]);
        let (sums, n) = guest_sha256(&img, &["/data/seq", "/data/sparse"]);
        assert_eq!(sums, want, "{bs}-byte blocks: what the guest read");
        let per_mib = (n - base) as f64 / (MIB + 3) as f64;
        assert!(
            per_mib <= 16.0,
            "{bs}-byte blocks: {per_mib:.1} notifications per MiB read ({n} - {base})"
        );
        assert_clean(&img, "reading");
        let _ = fs::remove_file(&img);
    }
}

/// The same for the raw disk: 8 MiB of /dev/vda read in 4 KiB reads.
#[test]
fn reads_of_the_raw_disk_go_in_read_ahead_windows() {
    require_kvm!();
    const MIB: usize = 8;
    let img = fresh("raw");
    fs::write(&img, pattern(MIB, 9)).unwrap();
    let (_, base) = guest_sha256(&img, &["/dev/null"]);
    let (sums, n) = guest_sha256(&img, &["/dev/vda"]);
    assert_eq!(
        sums,
        [crate::common::sha256_file(&img)],
        "what the guest read"
    );
    let per_mib = (n - base) as f64 / MIB as f64;
    assert!(
        per_mib <= 16.0,
        "{per_mib:.1} notifications per MiB read ({n} - {base})"
    );
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// The metadata cache under memory pressure

/// A 16 MiB guest lists a directory of 4,000 long names on a 1 KiB-block
/// image (~1,300 directory blocks, a 4 KiB frame each in the metadata
/// cache: about 5 MiB, /proc/meminfo's Buffers), then maps and writes 6
/// MiB of anonymous memory, which fits only when reclaim gives the clean
/// metadata blocks back (without it: killed, out of memory). The listing
/// is complete, Buffers shrank, the image is clean.
#[test]
fn clean_metadata_blocks_are_given_back_under_memory_pressure() {
    require_e2fsprogs!();
    const ENTRIES: usize = 4000;
    let src = fresh("src");
    mkdir(&src.join("d"), 0o755);
    for i in 0..ENTRIES {
        fs::write(src.join(format!("d/{i:05}{}", "x".repeat(240))), b"").unwrap();
    }
    let img = mkfs(1024, Some(&src), "32M", &[]);
    let _ = fs::remove_dir_all(&src);
    let out = Cmd::lstar()
        .args(["--mem", "16", "--disk"])
        .arg(&img)
        .arg("--")
        .arg(prog("ext2-shrink"))
        .args(["/d", "6"])
        .timeout(Duration::from_secs(600))
        .run();
    out.assert_status(0);
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.describe());
    assert_eq!(lines[0], format!("entries {ENTRIES}"));
    assert_eq!(lines[2], "touched 6 MiB");
    let kb = |line: &str| -> u64 {
        line.strip_prefix("buffers_kb ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a Buffers figure: {line:?}"))
    };
    let (before, after) = (kb(lines[1]), kb(lines[3]));
    assert!(
        before >= 3 * 1024,
        "the walk cached only {before} kB of metadata"
    );
    assert!(
        after < before,
        "Buffers {before} kB -> {after} kB: nothing given back"
    );
    assert_clean(&img, "the walk and the pressure");
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// Dentry and inode eviction

/// A 16 MiB guest walks 3,000 files in 30 directories (busybox find, which
/// stats each): the dentry and inode caches stay near their limit (one
/// entry per 4 frames of RAM, ~500 here) instead of holding all 3,000
/// (/proc/sys/fs/dentry-state and inode-nr). Evicted names come back from
/// the disk: files of the first directory walked read their content, and
/// a file created there afterwards is in the image, which is clean.
#[test]
fn unused_dentries_and_inodes_are_evicted_during_a_tree_walk() {
    require_e2fsprogs!();
    const DIRS: usize = 30;
    const FILES: usize = 100;
    let src = fresh("src");
    for d in 0..DIRS {
        mkdir(&src.join(format!("d{d:02}")), 0o755);
        for f in 0..FILES {
            fs::write(src.join(format!("d{d:02}/f{f:03}")), format!("{d}/{f}\n")).unwrap();
        }
    }
    let img = mkfs(4096, Some(&src), "64M", &["-N", "8192"]);
    let _ = fs::remove_dir_all(&src);
    let script = "find / -type f -name 'f*' | wc -l; \
                  cat /proc/sys/fs/dentry-state /proc/sys/fs/inode-nr; \
                  cat /d00/f000 /d00/f099 /d29/f050; \
                  echo new > /d00/new && cat /d00/new";
    let out = busybox(&img, &["--mem", "16"], &["sh", "-c", script]);
    out.assert_status(0);
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{}", out.describe());
    assert_eq!(lines[0].trim(), (DIRS * FILES).to_string());
    let first = |line: &str| -> u64 {
        line.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a count: {line:?}"))
    };
    let (dentries, inodes) = (first(lines[1]), first(lines[2]));
    assert!(
        dentries < (DIRS * FILES / 3) as u64,
        "{dentries} dentries alive after walking {} files",
        DIRS * FILES
    );
    assert!(
        inodes <= dentries + 64,
        "{inodes} inodes, {dentries} dentries"
    );
    assert_eq!(lines[3..], ["0/0", "0/99", "29/50", "new"]);
    assert_clean(&img, "the walk");
    assert_eq!(debugfs(&img, "cat /d00/new"), "new\n");
    let _ = fs::remove_file(&img);
}

// ---------------------------------------------------------------------------
// FALLOC_FL_PUNCH_HOLE

/// tests/progs/ext2-punch.c natively in a host directory and in lstar: on
/// the guest's tmpfs, and on ext2 images of 4 and 1 KiB blocks. The
/// content after every punch (a hash of the whole file) is the host's
/// everywhere; st_blocks too on tmpfs and 4 KiB blocks (the host's block
/// size), except for the 6 MiB file, whose ext2 count includes its
/// indirect blocks: 259 data blocks left and 2 indirect ones (the single
/// indirect block freed with its range, the double one and one of its
/// children kept). Each image is e2fsck-clean after, and the file in it
/// (debugfs dump) is the one the host has.
#[test]
fn punch_hole_frees_blocks_and_reads_as_the_host_does() {
    require_e2fsprogs!();
    let here = fresh("native");
    let want = Cmd::new(prog("ext2-punch")).arg(&here).run();
    want.assert_status(0);
    let want = want.stdout_str();
    assert!(
        want.contains("punch without KEEP_SIZE: EOPNOTSUPP\n"),
        "{want}"
    );
    let tmpfs = Cmd::lstar()
        .args(["--", prog("ext2-punch").to_str().unwrap(), "/tmp/w"])
        .run();
    tmpfs.assert_status(0);
    assert_eq!(tmpfs.stdout_str(), want, "on the guest's tmpfs");
    // The host's count for the big file: data blocks only.
    let big_native = "big punched-blocks 2072\n";
    assert!(want.contains(big_native), "host: {want}");
    let no_blocks = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.contains("-blocks "))
            .map(|l| match l.find(" blocks=") {
                Some(at) => {
                    let rest = &l[at + 1..];
                    let end = rest.find(' ').map_or(l.len(), |e| at + 1 + e);
                    format!("{}{}\n", &l[..at], &l[end..])
                }
                None => format!("{l}\n"),
            })
            .collect()
    };
    for bs in [4096, 1024] {
        let img = mkfs(bs, Some(&tmp_only()), "64M", &[]);
        let got = Cmd::lstar()
            .arg("--disk")
            .arg(&img)
            .args(["--", prog("ext2-punch").to_str().unwrap(), "/tmp/w"])
            .timeout(Duration::from_secs(400))
            .run();
        got.assert_status(0);
        let got = got.stdout_str();
        if bs == 4096 {
            assert_eq!(
                got,
                want.replace("-blocks 2072\n", "-blocks 2088\n"),
                "on ext2, 4 KiB blocks"
            );
        } else {
            assert_eq!(no_blocks(&got), no_blocks(&want), "on ext2, 1 KiB blocks");
        }
        assert_clean(&img, "punching holes");
        for name in ["small", "dirty", "big"] {
            let dumped = fresh(name);
            debugfs(&img, &format!("dump /tmp/w/{name} {}", dumped.display()));
            assert!(
                fs::read(&dumped).unwrap() == fs::read(here.join(name)).unwrap(),
                "{bs}-byte blocks: /tmp/w/{name} in the image differs from the host's"
            );
            let _ = fs::remove_file(&dumped);
        }
        let _ = fs::remove_file(&img);
    }
    let _ = fs::remove_dir_all(&here);
}

// ---------------------------------------------------------------------------
// kill -9 at random moments

/// tests/progs/ext2-churn.c's file i: its size and its byte.
fn churn_file(i: u64) -> Vec<u8> {
    let size = (i % 9) * 4096 + (i * 37) % 4096;
    vec![b'A' + (i % 26) as u8; size as usize]
}

/// What the churn's reported lines say is on disk: name -> file index,
/// and the names the next (unreported, maybe half done) operation touches.
fn churn_state(lines: &[String]) -> (BTreeMap<String, u64>, Vec<String>) {
    let mut files = BTreeMap::new();
    let name = |j: u64, renamed: bool| format!("{}{j}", if renamed { 'g' } else { 'f' });
    let mut last = None;
    for line in lines {
        let mut w = line.split_whitespace();
        let (Some(op), Some(Ok(j))) = (w.next(), w.next().map(str::parse::<u64>)) else {
            panic!("churn printed {line:?}");
        };
        match op {
            "c" => {
                files.insert(name(j, false), j);
            }
            "r" => {
                files.remove(&name(j, false));
                files.insert(name(j, true), j);
            }
            "u" => {
                files.remove(&name(j, j % 3 == 1));
            }
            _ => panic!("churn printed {line:?}"),
        }
        last = Some((op.to_string(), j));
    }
    // The operation after the last line (the program's order: c i, then
    // r i-1 when i % 3 == 2, then u i-3 when i % 4 == 3).
    let i = last.as_ref().map(|(op, j)| match op.as_str() {
        "c" => *j,
        "r" => j + 1,
        _ => j + 3,
    });
    let after = |i: u64, op: &str| -> Vec<String> {
        let rename = i % 3 == 2 && op == "c";
        let unlink = i % 4 == 3 && op != "u";
        if rename {
            vec![name(i - 1, false), name(i - 1, true)]
        } else if unlink {
            vec![name(i - 3, (i - 3) % 3 == 1)]
        } else {
            vec![name(i + 1, false)]
        }
    };
    let next = match (&last, i) {
        (Some((op, _)), Some(i)) => after(i, op),
        _ => vec![name(0, false)],
    };
    (files, next)
}

/// A workload that creates, writes, renames and unlinks files is killed
/// (SIGKILL to lstar) at 20 seeded random moments, each run going on on
/// the same image in a new directory. After each kill `e2fsck -fy` finds
/// at most leaks (status 0 or 1, no multiply-claimed blocks, wrong sizes
/// or entries naming free inodes), and every file whose last operation the
/// guest reported is there with its bytes (debugfs rdump).
#[test]
fn kill_9_at_random_moments_leaves_at_most_leaks() {
    require_e2fsprogs!();
    let img = mkfs(1024, Some(&tmp_only()), "32M", &[]);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for run in 0..20 {
        let delay = Duration::from_millis(100 + rand() % 1400);
        let dir = format!("/tmp/w{run}");
        let mut child = Command::new(crate::common::LSTAR)
            .args(["run", "--disk"])
            .arg(&img)
            .arg("--")
            .arg(prog("ext2-churn"))
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting lstar");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let lines = reader.join().unwrap();
        let what = format!(
            "run {run}, killed after {delay:?} and {} lines",
            lines.len()
        );

        let fsck = Cmd::new("e2fsck").arg("-fy").arg(&img).run();
        eprintln!("{what}: e2fsck {}", fsck.code());
        let report = fsck.stdout_str();
        assert!(
            fsck.code() == 0 || fsck.code() == 1,
            "{what}: e2fsck -fy: {}",
            fsck.describe()
        );
        for damage in [
            "ultiply-claimed",
            "deleted/unused inode",
            "i_size is",
            "illegal block",
            "has bad",
        ] {
            assert!(!report.contains(damage), "{what}: e2fsck -fy: {report}");
        }
        let (files, next) = churn_state(&lines);
        if files.is_empty() {
            continue;
        }
        let out = fresh("rdump");
        mkdir(&out, 0o755);
        debugfs(&img, &format!("rdump {dir} {}", out.display()));
        let got = out.join(format!("w{run}"));
        for (name, &i) in &files {
            if next.contains(name) {
                continue;
            }
            let data = fs::read(got.join(name))
                .unwrap_or_else(|e| panic!("{what}: {dir}/{name} reported done: {e}"));
            assert!(data == churn_file(i), "{what}: {dir}/{name} is not intact");
        }
        for e in fs::read_dir(&got).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(
                files.contains_key(&name) || next.contains(&name),
                "{what}: {dir}/{name} should not be there"
            );
        }
        let _ = fs::remove_dir_all(&out);
    }
    assert_clean(&img, "the last e2fsck -fy");
    let _ = fs::remove_file(&img);
}
