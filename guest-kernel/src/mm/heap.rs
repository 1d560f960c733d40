//! The kernel heap: a fixed arena in .bss (zero-filled by the ELF loader,
//! so it costs nothing at boot) managed by the `talc` allocator, chosen for
//! its short allocation paths: under kvm-pvm each kernel instruction costs
//! ~1,000 cycles, and a first-fit list walk showed up in boot profiles.

use talc::{ClaimOnOom, Span, Talc, Talck};

const HEAP_SIZE: usize = 2 << 20;

#[repr(C, align(4096))]
struct Arena([u8; HEAP_SIZE]);

static mut ARENA: Arena = Arena([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: Talck<spin::Mutex<()>, ClaimOnOom> = Talc::new(
    // SAFETY: the arena is used by nothing but this allocator, which claims
    // it on the first allocation.
    unsafe {
        ClaimOnOom::new(Span::from_base_size(
            core::ptr::addr_of_mut!(ARENA) as *mut u8,
            HEAP_SIZE,
        ))
    },
)
.lock();
