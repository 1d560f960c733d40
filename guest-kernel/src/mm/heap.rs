//! The kernel heap: a fixed arena in .bss (zero-filled by the ELF loader,
//! so it costs nothing at boot) under the `linked_list_allocator` crate.

use linked_list_allocator::LockedHeap;

const HEAP_SIZE: usize = 2 << 20;

#[repr(C, align(4096))]
struct Arena([u8; HEAP_SIZE]);

static mut ARENA: Arena = Arena([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

pub fn init() {
    // SAFETY: called once at boot; the arena is used by nothing else.
    unsafe {
        HEAP.lock()
            .init(core::ptr::addr_of_mut!(ARENA) as *mut u8, HEAP_SIZE);
    }
}
