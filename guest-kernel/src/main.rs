//! The lstar guest kernel.
//!
//! Boots through PVH (arch/boot.rs), sets up the CPU, memory and console,
//! loads the program it was given as PVH module 0 into a fresh address
//! space and enters it in ring 3. From then on the kernel only runs when the
//! program makes a system call, faults, or an interrupt arrives; the
//! program's exit powers the machine off with its status.
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod binfmt_elf;
mod boot_params;
mod console;
mod drivers;
mod entry_common;
mod errno;
mod exit;
mod fault;
mod fs;
mod kernel;
mod ksyms;
mod log;
mod mm;
mod selftest;
mod stats;
mod syscall;
mod task;
mod task_work;
mod uaccess;

use alloc::vec::Vec;

use arch::pt_regs::PtRegs;
use lstar_abi::exit::{EXEC_FAILED, KERNEL_PANIC};

/// The task's kernel stack: every entry from user mode lands here (TSS.RSP0
/// for exceptions and interrupts, the per-CPU area for SYSCALL).
#[repr(C, align(16))]
struct KernelStack([u8; 64 * 1024]);
static mut KERNEL_STACK: KernelStack = KernelStack([0; 64 * 1024]);

unsafe extern "C" {
    static _end: u8;
}

fn kernel_stack_top() -> u64 {
    core::ptr::addr_of!(KERNEL_STACK) as u64 + core::mem::size_of::<KernelStack>() as u64
}

/// CR0.MP and CR4.OSFXSR/OSXMMEXCPT: user programs use SSE (every x86-64
/// program may), which faults with #UD until the OS declares it saves the
/// state. The kernel never touches the FPU; the scheduler saves a task's
/// with FXSAVE when it switches (arch/switch_to.rs).
fn enable_sse() {
    // SAFETY: only enables SSE for user mode; the kernel is soft-float.
    unsafe {
        core::arch::asm!(
            "mov {t}, cr0", "and {t}, ~4", "or {t}, 2", "mov cr0, {t}",
            "mov {t}, cr4", "or {t}, 0x600", "mov cr4, {t}",
            t = out(reg) _, options(nostack)
        );
    }
}

#[unsafe(no_mangle)]
extern "C" fn kernel_main(start_info: u64) -> ! {
    // Low memory holds the start info, command line and firmware; the
    // kernel image follows it.
    mm::frame::reserve(0, lstar_abi::layout::LOW_MEMORY_END);
    mm::frame::reserve(
        lstar_abi::layout::KERNEL_PHYS_BASE,
        mm::kernel_virt_to_phys(core::ptr::addr_of!(_end) as u64),
    );
    let Some(params) = boot_params::parse(start_info) else {
        warn!("no PVH start info (magic mismatch)");
        exit::power_off(KERNEL_PANIC);
    };
    log::set_level(params.log_level);
    mm::frame::init_refs();
    arch::gdt::init(kernel_stack_top());
    arch::idt::init();
    arch::apic::init();
    console::init();
    drivers::copy_engine::init(params.ring0_emulated);
    drivers::host_signal::init();
    syscall::entry::syscall_init(kernel_stack_top());
    enable_sse();
    arch::xstate::init();
    kernel::time::init(params.tsc_khz, params.epoch_ns);
    // Host randomness: AT_RANDOM, then the RNG key. Without it (QEMU) both
    // come from the TSC-keyed generator.
    let seed = params.seed.unwrap_or_default();
    let (at_random, rng_key) = seed.split_at(16);
    kernel::random::init(rng_key.try_into().unwrap_or(&[0; 16]));
    let at_random: [u8; 16] = match params.seed {
        Some(_) => at_random.try_into().unwrap_or_default(),
        None => {
            let mut bytes = [0; 16];
            kernel::random::fill(&mut bytes);
            bytes
        }
    };
    if let Some(addr) = params.stats_addr {
        stats::init(addr);
    }
    stats::init_syscall_hooks();
    // Module 1 is empty when lstar has no symbol table but files follow.
    if let Some(m) = params.modules.get(1).filter(|m| m.size > 0) {
        ksyms::init(m.paddr, m.size);
    }
    if params.bad_tokens > 0 {
        warn!(
            "{} malformed command-line tokens ignored",
            params.bad_tokens
        );
    }
    info!(
        "booted; {} modules, {} args, {} env, {} files",
        params.modules.len(),
        params.argv.len(),
        params.envp.len(),
        params.files.len()
    );

    if params.selftest == Some(b"boot-files") {
        selftest::boot_files(&params.files, params.exe.as_ref());
    }
    let Some(program) = params.modules.first() else {
        warn!("no program given (PVH module 0 is missing)");
        exit::power_off(EXEC_FAILED);
    };
    console::set_winsize(params.winsize);
    drivers::virtio_blk::init(params.virtio_mmio);
    start_program(
        program,
        params.argv,
        params.envp,
        at_random,
        params.selftest,
        params.tty_mask,
        params.exe,
        params.files,
    )
}

/// A boot file as the VFS takes it.
fn vfs_file(f: boot_params::BootFile) -> fs::BootFile {
    fs::BootFile {
        path: f.path,
        paddr: f.paddr,
        size: f.size,
        mode: f.mode,
        mtime: fs::inode::Timespec {
            sec: f.mtime.0,
            nsec: f.mtime.1,
        },
        read_only: f.read_only,
    }
}

#[allow(clippy::too_many_arguments)]
fn start_program(
    program: &boot_params::Module,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    at_random: [u8; 16],
    selftest: Option<&[u8]>,
    tty_mask: u32,
    exe: Option<boot_params::BootFile>,
    files: Vec<boot_params::BootFile>,
) -> ! {
    let name = argv.first().cloned().unwrap_or_else(|| b"program".to_vec());
    let Ok(mm) = mm::address_space::AddressSpace::new() else {
        warn!("out of memory");
        exit::power_off(EXEC_FAILED);
    };
    // The file tree, with the program's own file at its path (lstar.exe=;
    // without it, as under QEMU, argv[0] resolved against `/`) and the
    // --file files: their frames become the files' pages.
    let exe = exe.unwrap_or_else(|| boot_params::BootFile {
        paddr: program.paddr,
        size: program.size,
        path: resolve_exe_path(&name),
        read_only: false,
        mode: 0o755,
        mtime: (0, 0),
    });
    let (root, [ttys0, ttys1]) =
        match fs::init(core::iter::once(exe).chain(files).map(vfs_file).collect()) {
            Ok(tree) => tree,
            Err(e) => {
                warn!("cannot build the file system: {e:?}");
                exit::power_off(EXEC_FAILED);
            }
        };
    // fds 0 and 1 are COM1, fd 2 is COM2; each is a terminal when the
    // host's is (lstar.tty=), so programs buffer their output as they
    // would on the host.
    let tty = |fd: u32| tty_mask & (1 << fd) != 0;
    let mut files = fs::fdtable::FdTable::default();
    for (fd, d) in [(0u32, &ttys0), (1, &ttys0), (2, &ttys1)] {
        match fs::devfs::open_char(d.inode.meta().rdev, tty(fd)) {
            Ok(ops) => files.install_at(
                fd as usize,
                fs::file::File::new(d.clone(), ops, fs::file::O_RDWR),
                false,
            ),
            Err(e) => warn!("no console for fd {fd}: {e:?}"),
        }
    }
    let mut cmdline = Vec::new();
    for a in &argv {
        cmdline.extend_from_slice(a);
        cmdline.push(0);
    }
    let boot_task = task::insert(task::Task::new(task::NewTask {
        pid: 1,
        tgid: 1,
        ppid: 0,
        pgid: 1,
        sid: 1,
        state: task::TaskState::Running,
        exit_signal: 0,
        mm: task::Shared::new(mm),
        files: task::Shared::new(files),
        fs: task::Shared::new(fs::fs_struct::FsStruct::new(root)),
        sighand: task::Shared::new(Default::default()),
        signal: Default::default(),
        exe: None,
        cmdline,
        comm: name[..name.len().min(15)].to_vec(),
        fs_base: 0,
        gs_base: 0,
        thread: arch::switch_to::Thread::boot(kernel_stack_top()),
    }));
    task::set_current(boot_task);
    let task = task::current();
    if let Some(name) = selftest {
        selftest::run(name);
    }
    // SAFETY: the module's frames are reserved for it and direct-mapped.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            mm::phys_to_virt(program.paddr) as *const u8,
            program.size as usize,
        )
    };
    let image = binfmt_elf::Image {
        phys: program.paddr,
        bytes,
        file: binfmt_elf::ImageFile::Program,
    };
    let loaded = match binfmt_elf::load(&mut task.mm, &image, None, &argv, &envp, at_random) {
        Ok(l) => l,
        Err(e) => {
            warn!(
                "{}: cannot execute: {e}",
                core::str::from_utf8(&name).unwrap_or("?")
            );
            exit::power_off(EXEC_FAILED);
        }
    };
    drop((argv, envp));
    if task
        .mm
        .write_bytes(loaded.stack_pointer, &loaded.stack_image)
        .is_err()
    {
        warn!("out of memory for the initial stack");
        exit::power_off(EXEC_FAILED);
    }
    drop(loaded.stack_image);
    // Only now, with the address space complete, does it go live.
    mm::paging::load_cr3(task.mm.pml4);
    let regs = PtRegs {
        rip: loaded.entry,
        cs: u64::from(arch::gdt::USER_CS),
        rflags: 0x202,
        rsp: loaded.stack_pointer,
        ss: u64::from(arch::gdt::USER_DS),
        ..PtRegs::default()
    };
    arch::enter_user_mode(&regs, kernel_stack_top())
}

/// Where the program's file goes: its path as given, resolved lexically
/// against `/` (the working directory), so that argv[0] names it.
fn resolve_exe_path(argv0: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for p in argv0.split(|&b| b == b'/') {
        match p {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return b"/program".to_vec();
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    out
}

/// Called if `task::current()` runs before a task exists: a kernel bug.
pub fn panic_no_task() -> ! {
    warn!("no current task");
    exit::power_off(KERNEL_PANIC)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    log::print(
        lstar_abi::cmdline::LogLevel::Warn,
        format_args!("kernel panic: {info}"),
    );
    exit::power_off(KERNEL_PANIC)
}
