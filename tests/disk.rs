//! `lstar run --disk IMAGE [--read-only]`: the image lock (a second VM on
//! the same image fails like QEMU's), the option errors, the virtio-blk
//! device's counters on the control socket, and the device itself driven
//! end to end (MMIO registers, ioeventfd, device thread, irqfd) by a tiny
//! PVH probe kernel written here, so the VMM's wiring is tested without
//! the guest kernel's driver.

use std::fs;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::{Cmd, Outcome, http, prog, scratch_dir};

/// lstar's status when lstar itself failed, and after a socket shutdown.
const LSTAR_FAILED: i32 = 125;
const SHUT_DOWN: i32 = 124;

/// What the kernel command line announces (docs/boot-contract.md).
const TOKEN: &str = "virtio_mmio.device=4K@0xd0000000:5";

fn dir() -> PathBuf {
    scratch_dir("disk")
}

/// A fresh image of `bytes` bytes: `pattern(i)` at byte i.
fn image(name: &str, bytes: usize, pattern: impl Fn(usize) -> u8) -> PathBuf {
    let path = dir().join(name);
    let data: Vec<u8> = (0..bytes).map(pattern).collect();
    fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn locked_message(img: &Path) -> String {
    format!(
        "lstar: {}: disk image is in use by another process (locked)",
        img.display()
    )
}

fn get(socket: &Path, path: &str) -> String {
    try_get(socket, path).unwrap_or_else(|answer| panic!("GET {path}: {answer}"))
}

/// The body of a 200 answer, or the status and body.
fn try_get(socket: &Path, path: &str) -> Result<String, String> {
    match http(socket, "GET", path, "") {
        (200, body) => Ok(body),
        (status, body) => Err(format!("{status} {body}")),
    }
}

/// The members of a flat JSON object of integers (what /vm/blk serves).
fn int_members(body: &str) -> Vec<(String, u64)> {
    let inner = body
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not an object: {body}"));
    inner
        .split(',')
        .filter(|m| !m.trim().is_empty())
        .map(|m| {
            let (k, v) = m
                .split_once(':')
                .unwrap_or_else(|| panic!("bad member {m:?}"));
            let v = v
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("bad value {m:?}"));
            (k.trim().trim_matches('"').to_string(), v)
        })
        .collect()
}

fn shutdown(socket: &Path) {
    let (status, body) = http(socket, "PUT", "/vm/actions", r#"{"action": "shutdown"}"#);
    assert_eq!(status, 200, "{body}");
}

/// `lstar run --socket S --disk IMG -- getpid-block` with stdin left open,
/// on a thread: the program blocks reading stdin until shut down.
struct LiveVm {
    socket: PathBuf,
    run: JoinHandle<Outcome>,
}

impl LiveVm {
    fn start(name: &str, img: &Path, read_only: bool) -> LiveVm {
        let socket = dir().join(format!("{name}.sock"));
        let _ = fs::remove_file(&socket);
        let program = prog("getpid-block");
        let img = img.to_path_buf();
        let sock = socket.clone();
        let run = thread::spawn(move || {
            let mut cmd = Cmd::lstar();
            cmd.arg("--socket").arg(&sock).arg("--disk").arg(&img);
            if read_only {
                cmd.arg("--read-only");
            }
            cmd.arg("--").arg(&program).stdin_left_open().run()
        });
        let vm = LiveVm { socket, run };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if vm.socket.exists() && UnixStream::connect(&vm.socket).is_ok() {
                // 503 until the guest kernel has published its counters;
                // ready once the program wrote its line.
                let v = try_get(&vm.socket, "/vm/syscalls").unwrap_or_default();
                let writes = crate::common::json::parse(&v)
                    .and_then(|v| v["syscall"]["write"]["calls"].as_u64());
                if writes == Some(1) {
                    break vm;
                }
            }
            if vm.run.is_finished() {
                let out = vm.run.join().unwrap();
                panic!(
                    "lstar ended before the program was ready: {}",
                    out.describe()
                );
            }
            assert!(Instant::now() < deadline, "the program never got ready");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn shutdown(self) -> Outcome {
        shutdown(&self.socket);
        let out = self.run.join().expect("lstar runner thread");
        out.assert_status(SHUT_DOWN);
        out
    }
}

fn hello_with(img: &Path, read_only: bool) -> Outcome {
    let mut cmd = Cmd::lstar();
    cmd.arg("--disk").arg(img);
    if read_only {
        cmd.arg("--read-only");
    }
    cmd.arg("--").arg(prog("hello")).run()
}

#[test]
fn a_second_vm_on_the_same_image_is_refused_until_the_first_exits() {
    require_kvm!();
    let img = image("lock.img", 1 << 20, |_| 0);
    let vm = LiveVm::start("lock", &img, false);

    // The device is there, and the guest is told. Its counters show one
    // thing only: the kernel read the superblock at boot (1024 bytes at
    // byte 1024: does the disk hold an ext2 to mount at `/`?).
    let blk = int_members(&get(&vm.socket, "/vm/blk"));
    for (counter, want) in [
        ("reads", 1),
        ("writes", 0),
        ("flushes", 0),
        ("bytes_read", 1024),
        ("bytes_written", 0),
        ("errors", 0),
        ("notifications", 1),
        ("interrupts", 1),
    ] {
        assert_eq!(counter_of(&blk, counter), want, "{counter}: {blk:?}");
    }
    assert_eq!(counter_of(&blk, "capacity_sectors"), 2048);
    assert_eq!(counter_of(&blk, "read_only"), 0);
    let info = get(&vm.socket, "/vm");
    let (params, _argv) = info
        .split_once(" -- ")
        .unwrap_or_else(|| panic!("no command line in {info}"));
    assert!(
        params.split(' ').any(|t| t == TOKEN),
        "no {TOKEN} before `--` in {info}"
    );
    let metrics = get(&vm.socket, "/metrics");
    assert!(
        metrics.contains("lstar_blk_stat{name=\"reads\"} 1\n"),
        "{metrics}"
    );

    // A writer and a reader are both refused while the writer runs.
    for read_only in [false, true] {
        let out = hello_with(&img, read_only);
        out.assert_status(LSTAR_FAILED);
        assert!(
            out.stderr_str().contains(&locked_message(&img)),
            "{}",
            out.describe()
        );
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }

    vm.shutdown();
    // Released as soon as the first lstar has exited.
    hello_with(&img, false)
        .assert_status(0)
        .assert_stdout("hello world\n");
}

#[test]
fn read_only_users_share_an_image_and_exclude_writers() {
    require_kvm!();
    let img = image("shared.img", 64 << 10, |_| 0);
    let vm = LiveVm::start("shared", &img, true);
    let blk = int_members(&get(&vm.socket, "/vm/blk"));
    assert_eq!(counter_of(&blk, "read_only"), 1);
    hello_with(&img, true)
        .assert_status(0)
        .assert_stdout("hello world\n");
    let out = hello_with(&img, false);
    out.assert_status(LSTAR_FAILED);
    assert!(
        out.stderr_str().contains(&locked_message(&img)),
        "{}",
        out.describe()
    );
    vm.shutdown();
}

#[test]
fn the_guest_runs_with_a_disk_it_does_not_use() {
    require_kvm!();
    // Whole sectors, not whole pages.
    let img = image("unused.img", 1536, |i| i as u8);
    hello_with(&img, false)
        .assert_status(0)
        .assert_stdout("hello world\n");
    // Untouched: the program never opens /dev/vda.
    assert_eq!(fs::read(&img).unwrap(), image_bytes(1536));
}

fn image_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| i as u8).collect()
}

#[test]
fn bad_disk_options_and_images_fail_before_the_guest() {
    require_kvm!();
    let missing = dir().join("no-such.img");
    let out = hello_with(&missing, false);
    out.assert_status(LSTAR_FAILED).assert_lstar_message();
    assert!(
        out.stderr_str().contains(&format!(
            "lstar: {}: cannot open disk image",
            missing.display()
        )),
        "{}",
        out.describe()
    );
    let out = hello_with(&dir(), true);
    out.assert_status(LSTAR_FAILED);
    assert!(
        out.stderr_str()
            .contains("not a regular file or block device"),
        "{}",
        out.describe()
    );
    let out = Cmd::lstar()
        .arg("--read-only")
        .arg("--")
        .arg(prog("hello"))
        .run();
    out.assert_status(LSTAR_FAILED);
    assert!(
        out.stderr_str().contains("--read-only needs --disk"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.is_empty());
}

/// An image the device would truncate (it counts whole 512-byte sectors)
/// or that has no sector at all is refused before the guest starts.
#[test]
fn images_of_no_whole_number_of_sectors_are_refused() {
    require_kvm!();
    for (size, why) in [
        (0, "disk image is empty"),
        (1, "disk image size 1 bytes is not a multiple of 512"),
        (1000, "disk image size 1000 bytes is not a multiple of 512"),
    ] {
        let img = image(&format!("size-{size}.img"), size, |i| i as u8);
        let out = hello_with(&img, false);
        out.assert_status(LSTAR_FAILED).assert_lstar_message();
        let want = format!("lstar: {}: {why}", img.display());
        assert!(
            out.stderr_str().contains(&want),
            "no `{want}`: {}",
            out.describe()
        );
        assert!(out.stdout.is_empty(), "{}", out.describe());
        assert_eq!(
            fs::metadata(&img).map(|m| m.len()).ok(),
            Some(size as u64),
            "the image changed"
        );
    }
    // 512 bytes is a disk.
    let img = image("size-512.img", 512, |i| i as u8);
    hello_with(&img, false).assert_status(0);
}

// ---------------------------------------------------------------------------
// The device end to end, through a probe kernel.

/// A PVH kernel that is only a virtio driver: it checks the device at
/// 0xd0000000 (magic, version 2, block), negotiates VERSION_1 alone, sets
/// up queue 0 with 16 entries, then posts three requests at once (read
/// sector 0, write that buffer to sector 1, flush), notifies once, polls
/// the used ring, and exits through port 0xf4 with the three status bytes
/// (2 bits each: 0 = all OK), or 100 (not a virtio-blk device), 101
/// (features or queue refused), 102 (no answer within ~2^33 TSC cycles).
/// Interrupts stay disabled (the irqfd fires into a masked IOAPIC pin).
const PROBE: &str = r#"
    .section .note.pvh, "a", @note
    .p2align 2
    .long 4, 8, 18          # namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .p2align 2
    .quad start

    .text
    .code32
    .set MMIO, 0xd0000000
    .set DESC, 0x40000
    .set AVAIL, 0x41000
    .set USED, 0x42000
    .set HDR, 0x43000
    .set DATA, 0x44000
    .set STATUS, 0x45000

.macro reg_write off, val
    movl $\val, MMIO+\off
.endm
.macro desc i, addr, len, flags, next
    movl $\addr, DESC+16*\i
    movl $0, DESC+16*\i+4
    movl $\len, DESC+16*\i+8
    movw $\flags, DESC+16*\i+12
    movw $\next, DESC+16*\i+14
.endm

    .globl start
start:
    mov MMIO+0x000, %eax    # MagicValue
    cmp $0x74726976, %eax
    jne bad_device
    mov MMIO+0x004, %eax    # Version
    cmp $2, %eax
    jne bad_device
    mov MMIO+0x008, %eax    # DeviceID
    cmp $2, %eax
    jne bad_device
    reg_write 0x070, 0      # Status: reset
    reg_write 0x070, 1      # ACKNOWLEDGE
    reg_write 0x070, 3      # DRIVER
    reg_write 0x014, 1      # DeviceFeaturesSel = 1
    mov MMIO+0x010, %eax    # DeviceFeatures[63:32]
    test $1, %eax           # VERSION_1
    jz bad_features
    reg_write 0x024, 1      # DriverFeaturesSel = 1
    reg_write 0x020, 1      # VERSION_1
    reg_write 0x024, 0
    reg_write 0x020, 0      # nothing else (no EVENT_IDX)
    reg_write 0x070, 0xb    # FEATURES_OK
    mov MMIO+0x070, %eax
    test $8, %eax
    jz bad_features
    reg_write 0x030, 0      # QueueSel
    reg_write 0x038, 16     # QueueNum
    reg_write 0x080, DESC
    reg_write 0x084, 0
    reg_write 0x090, AVAIL
    reg_write 0x094, 0
    reg_write 0x0a0, USED
    reg_write 0x0a4, 0
    reg_write 0x044, 1      # QueueReady
    reg_write 0x070, 0xf    # DRIVER_OK
    mov MMIO+0x070, %eax
    test $0x40, %eax        # DEVICE_NEEDS_RESET
    jnz bad_features

    movl $0, HDR            # VIRTIO_BLK_T_IN, sector 0
    movl $1, HDR+0x10       # VIRTIO_BLK_T_OUT
    movl $1, HDR+0x18       #   sector 1
    movl $4, HDR+0x20       # VIRTIO_BLK_T_FLUSH
    movl $0xffffffff, STATUS
    desc 0, HDR, 16, 1, 1
    desc 1, DATA, 512, 3, 2
    desc 2, STATUS, 1, 2, 0
    desc 3, HDR+0x10, 16, 1, 4
    desc 4, DATA, 512, 1, 5
    desc 5, STATUS+1, 1, 2, 0
    desc 6, HDR+0x20, 16, 1, 7
    desc 7, STATUS+2, 1, 2, 0
    movw $0, AVAIL+4
    movw $3, AVAIL+6
    movw $6, AVAIL+8
    movw $3, AVAIL+2        # avail idx: three chains
    reg_write 0x050, 0      # QueueNotify 0: the ioeventfd, no exit

    rdtsc
    lea 2(%edx), %edi
wait:
    movzwl USED+2, %eax
    cmp $3, %eax
    je done
    pause
    rdtsc
    cmp %edi, %edx
    jb wait
    mov $102, %eax
    jmp exit
done:
    movzbl STATUS, %eax
    movzbl STATUS+1, %ebx
    shl $2, %ebx
    or %ebx, %eax
    movzbl STATUS+2, %ebx
    shl $4, %ebx
    or %ebx, %eax
    jmp exit
bad_device:
    mov $100, %eax
    jmp exit
bad_features:
    mov $101, %eax
exit:
    mov $0xf4, %dx
    out %eax, %dx
    hlt
    jmp exit
"#;

/// MMIO accesses the probe makes that exit to the VMM: 6 reads and 19
/// register writes. Its QueueNotify write is the 26th access and must not
/// exit (the ioeventfd takes it).
const PROBE_MMIO_EXITS: u64 = 25;

const PROBE_LD: &str = "ENTRY(start)
PHDRS { text PT_LOAD FLAGS(5); note PT_NOTE; }
SECTIONS {
    . = 0x100000;
    .text : { *(.text) } :text
    .note.pvh : { *(.note.pvh) } :text :note
    /DISCARD/ : { *(.note.GNU-stack) *(.note.gnu.property) }
}
";

/// The probe, assembled once per test run.
fn probe_kernel() -> PathBuf {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(build_probe).clone()
}

fn build_probe() -> PathBuf {
    let d = dir();
    let (src, ld, obj, elf) = (
        d.join("probe.s"),
        d.join("probe.ld"),
        d.join("probe.o"),
        d.join("probe.elf"),
    );
    fs::write(&src, PROBE).unwrap();
    fs::write(&ld, PROBE_LD).unwrap();
    for (tool, args) in [
        ("as", vec!["--64", "-o", path(&obj), path(&src)]),
        (
            "ld",
            vec![
                "-m",
                "elf_x86_64",
                "-T",
                path(&ld),
                "-o",
                path(&elf),
                path(&obj),
            ],
        ),
    ] {
        let out = Command::new(tool)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{tool} (binutils): {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    elf
}

fn path(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

/// The `blk:` line of `--stats` as (name, value) pairs.
fn blk_line(out: &Outcome) -> Vec<(String, u64)> {
    let stderr = out.stderr_str();
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("blk: "))
        .unwrap_or_else(|| panic!("no blk line: {}", out.describe()));
    line.split(", ")
        .map(|pair| {
            let (k, v) = pair.split_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn counter_of(pairs: &[(String, u64)], name: &str) -> u64 {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
        .1
}

fn probe_run(img: &Path, read_only: bool) -> Outcome {
    let mut cmd = Cmd::lstar();
    cmd.arg("--kernel")
        .arg(probe_kernel())
        .args(["--stats", "--verbose", "--disk"])
        .arg(img);
    if read_only {
        cmd.arg("--read-only");
    }
    cmd.run()
}

fn mmio_exits(out: &Outcome) -> u64 {
    let line = out
        .stderr_line_with(" MMIO, ")
        .unwrap_or_else(|| panic!("no exit summary: {}", out.describe()));
    let before = line.split(" MMIO, ").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn probe_driver_reads_writes_and_flushes_through_the_device() {
    require_kvm!();
    let img = image(
        "probe.img",
        4096,
        |i| if i < 512 { i as u8 ^ 0x5a } else { 0 },
    );
    let out = probe_run(&img, false);
    out.assert_status(0);
    let data = fs::read(&img).unwrap();
    assert_eq!(data[512..1024], data[..512], "sector 1 is not sector 0");
    let blk = blk_line(&out);
    for (name, want) in [
        ("reads", 1),
        ("writes", 1),
        ("flushes", 1),
        ("bytes_read", 512),
        ("bytes_written", 512),
        ("errors", 0),
        ("notifications", 1),
        ("interrupts", 1),
        ("invalid_accesses", 0),
        ("capacity_sectors", 8),
    ] {
        assert_eq!(counter_of(&blk, name), want, "{name}: {}", out.describe());
    }
    // The notification took the ioeventfd, not a vCPU exit.
    assert_eq!(mmio_exits(&out), PROBE_MMIO_EXITS, "{}", out.describe());
}

#[test]
fn probe_driver_cannot_write_a_read_only_disk() {
    require_kvm!();
    let img = image("probe-ro.img", 4096, |i| if i < 512 { 0xa5 } else { 0 });
    let out = probe_run(&img, true);
    // Read OK, write IOERR (1 << 2), flush OK.
    out.assert_status(4);
    let data = fs::read(&img).unwrap();
    assert!(data[512..].iter().all(|&b| b == 0), "the image was written");
    let blk = blk_line(&out);
    assert_eq!(counter_of(&blk, "errors"), 1, "{}", out.describe());
    assert_eq!(counter_of(&blk, "bytes_written"), 0);
    assert_eq!(counter_of(&blk, "read_only"), 1);
    assert!(
        out.stderr_line_with("write to a read-only disk").is_some(),
        "{}",
        out.describe()
    );
}
