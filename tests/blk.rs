//! The disk's data path (issue 4): /dev/vda in the guest, through the page
//! cache and the virtio-blk driver, to the image file on the host. Writes
//! reach the image at the last close (fput -> task work -> writeback), not
//! before; reads see the image; the same program leaves the same image
//! under QEMU's own virtio-blk device.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Cmd, LSTAR, http, prog, scratch_dir};
use crate::qemu::qemu_missing;

/// An image of `len` bytes of a deterministic pseudo-random pattern.
fn image(name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let path = scratch_dir("blk").join(name);
    let mut x: u32 = 0x1234_5678 ^ len as u32;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&path, &bytes).expect("write the image");
    (path, bytes)
}

/// What vda-pattern.c writes: `(offset * 7 + 3) & 255` over its regions.
fn expected_after_pattern(original: &[u8]) -> Vec<u8> {
    let size = original.len();
    let mut out = original.to_vec();
    for (at, len) in [
        (100, 50),
        (4000, 200),
        (3 * 4096 + 17, 3 * 4096 + 100),
        (size - 777, 777),
    ] {
        for (off, byte) in out.iter_mut().enumerate().skip(at).take(len) {
            *byte = (off * 7 + 3) as u8;
        }
    }
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read the image")
}

fn get(socket: &Path, path: &str) -> String {
    let (status, body) = http(socket, "GET", path, "");
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// `"key": N` in a flat JSON text.
fn number(json: &str, key: &str) -> Option<u64> {
    let at = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[at..].trim_start_matches([':', ' ']);
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn writes_reach_the_image_at_close_not_before() {
    require_kvm!();
    let (img, original) = image("close.img", 1 << 20);
    let socket = scratch_dir("blk").join("close.sock");
    let _ = std::fs::remove_file(&socket);
    let mut child = Command::new(LSTAR)
        .arg("run")
        .arg("--disk")
        .arg(&img)
        .arg("--socket")
        .arg(&socket)
        .arg("--")
        .arg(prog("vda-pattern"))
        .arg("wait")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lstar");
    // Never leave the VM running, whatever happens below.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().expect("stdout");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut child = Kill(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .next()
            .expect("lstar ended early")
            .expect("read stdout");
        if line == "written" {
            break;
        }
        assert!(Instant::now() < deadline, "the program never wrote");
    }
    // The writes are done and the file is still open: nothing on disk yet.
    assert!(read(&img) == original, "the image changed before close");
    let blk = get(&socket, "/vm/blk");
    assert_eq!(
        number(&blk, "writes"),
        Some(0),
        "device writes before close: {blk}"
    );
    let dirty = number(&blk, "guest_dirty_pages").unwrap_or(0);
    assert!(
        dirty >= 6,
        "the page cache should hold the dirty pages: {blk}"
    );
    // Let the program close and exit.
    stdin.write_all(b"go\n").expect("release the program");
    drop(stdin);
    assert_eq!(
        lines.next().map(|l| l.ok()),
        Some(Some("closed".to_string()))
    );
    let status = child.0.wait().expect("wait for lstar");
    assert_eq!(status.code(), Some(0));
    assert!(
        read(&img) == expected_after_pattern(&original),
        "the image lacks the pattern after close"
    );
}

#[test]
fn exit_without_close_writes_back_too() {
    require_kvm!();
    let (img, original) = image("exit.img", 1 << 20);
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .arg("--stats")
        .arg("--")
        .arg(prog("vda-pattern"))
        .arg("exit")
        .run();
    out.assert_status(0);
    assert!(
        read(&img) == expected_after_pattern(&original),
        "{}",
        out.describe()
    );
    // Contiguous dirty pages go out together: fewer requests than pages.
    let err = out.stderr_str();
    assert!(
        err.contains("page cache: 0 dirty, 7 written back in 3 write requests"),
        "{}",
        out.describe()
    );
}

#[test]
fn reads_see_the_image_as_the_host_does() {
    require_kvm!();
    // Whole sectors, not whole pages: the last page is partial.
    let (img, bytes) = image("read.img", 3 * 1024 * 1024 + 1536);
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .arg("--")
        .arg("/bin/busybox")
        .args(["sha256sum", "/dev/vda"])
        .run();
    out.assert_status(0);
    let host = Command::new("sha256sum")
        .arg(&img)
        .output()
        .expect("sha256sum");
    let host = String::from_utf8_lossy(&host.stdout);
    let want = host.split(' ').next().unwrap_or("");
    assert!(
        out.stdout_str().starts_with(want),
        "guest {} host {host}",
        out.stdout_str()
    );
    // The C reader: odd-sized reads across pages and requests, lseek past the
    // end, pread, fstat and BLKGETSIZE64, and fsync (a FLUSH).
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .arg("--stats")
        .arg("--")
        .arg(prog("vda-read"))
        .run();
    out.assert_status(0);
    let sum = bytes
        .iter()
        .fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(u64::from(b)));
    let text = out.stdout_str();
    assert!(
        text.contains(&format!("size {}", bytes.len())),
        "{}",
        out.describe()
    );
    assert!(
        text.contains(&format!("read {} bytes, sum {sum}", bytes.len())),
        "{}",
        out.describe()
    );
    assert!(
        text.contains(&format!("bytes 4095 4096: {} {}", bytes[4095], bytes[4096])),
        "{}",
        out.describe()
    );
    assert!(text.contains("fsync 0"), "{}", out.describe());
    assert!(
        out.stderr_str().contains("flushes 1"),
        "fsync sent no FLUSH: {}",
        out.describe()
    );
    assert!(read(&img) == bytes, "reading changed the image");
}

#[test]
fn a_read_only_disk_refuses_writes_with_erofs() {
    require_kvm!();
    let (img, original) = image("ro.img", 64 * 1024);
    let out = Cmd::lstar()
        .args(["--disk"])
        .arg(&img)
        .arg("--read-only")
        .arg("--")
        .arg("/bin/busybox")
        .args(["dd", "if=/dev/zero", "of=/dev/vda", "count=1"])
        .run();
    out.assert_status(1);
    assert!(
        out.stderr_str().contains("Read-only file system"),
        "{}",
        out.describe()
    );
    assert!(read(&img) == original);
}

#[test]
fn qemu_s_own_device_ends_with_the_same_image() {
    require_kvm!();
    if qemu_missing() {
        return;
    }
    let (a, original) = image("peer-lstar.img", 1 << 20);
    let b = scratch_dir("blk").join("peer-qemu.img");
    std::fs::write(&b, &original).expect("copy the image");
    Cmd::lstar()
        .arg("--disk")
        .arg(&a)
        .arg("--")
        .arg(prog("vda-pattern"))
        .run()
        .assert_status(0);
    let mut q = Cmd::new("bash");
    q.arg(crate::common::repo_root().join("scripts/qemu-run.sh"))
        .arg("--kernel")
        .arg(crate::common::guest_kernel())
        .arg("--disk")
        .arg(&b)
        .arg(prog("vda-pattern"));
    q.run().assert_status(0);
    let (ia, ib) = (read(&a), read(&b));
    assert!(ia == ib, "lstar and QEMU left different images");
    assert!(ia == expected_after_pattern(&original));
}

/// lseek on /dev/vda stops at the disk's end: EINVAL past it with
/// SEEK_SET, SEEK_CUR and SEEK_END, as Linux's block devices answer.
#[test]
fn lseek_past_the_end_of_the_disk_is_einval() {
    require_kvm!();
    let (img, _) = image("seek.img", 64 * 1024);
    let out = Cmd::lstar()
        .arg("--disk")
        .arg(&img)
        .arg("--")
        .arg(prog("vda-seek"))
        .run();
    assert!(
        out.stdout_str().contains("size 65536"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout_str().contains("FAIL"), "{}", out.describe());
    out.assert_status(0);
}
