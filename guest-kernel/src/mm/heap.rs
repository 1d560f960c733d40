//! The kernel heap: power-of-two size classes carved from a fixed arena in
//! .bss (zero-filled by the ELF loader, so it costs nothing at boot), with
//! one free list per class.
//!
//! Why hand-written instead of talc or linked_list_allocator: under kvm-pvm
//! every kernel instruction is emulated, and one allocate/free pair through
//! either crate cost ~315,000 cycles (143 µs, measured in the guest), about
//! fifteen per boot. Here an allocation is a pop or a pointer bump (a few
//! dozen instructions). The price is internal fragmentation (up to 2x),
//! which a kernel with a handful of long-lived objects can afford; memory of
//! a class is never returned to other classes.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{addr_of_mut, null_mut};

use spin::Mutex;

const HEAP_SIZE: usize = 4 << 20;
/// Classes 16 B .. 1 MiB.
const MIN_SHIFT: u32 = 4;
const MAX_SHIFT: u32 = 20;
const CLASSES: usize = (MAX_SHIFT - MIN_SHIFT + 1) as usize;

#[repr(C, align(4096))]
struct Arena([u8; HEAP_SIZE]);

static mut ARENA: Arena = Arena([0; HEAP_SIZE]);

struct Heap {
    /// Next unused byte of the arena (offset).
    next: usize,
    /// Heads of the free lists; a free block's first word links the next.
    free: [usize; CLASSES],
}

pub struct SizeClassHeap(Mutex<Heap>);

#[global_allocator]
static HEAP: SizeClassHeap = SizeClassHeap(Mutex::new(Heap {
    next: 0,
    free: [0; CLASSES],
}));

/// The class of a layout: a power of two at least its size and alignment.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let shift = usize::BITS - (size - 1).leading_zeros();
    (shift <= MAX_SHIFT).then(|| (shift - MIN_SHIFT) as usize)
}

// SAFETY: blocks are disjoint ranges of the arena, handed out once until
// freed; the mutex serialises all access to the lists.
unsafe impl GlobalAlloc for SizeClassHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return null_mut();
        };
        let size = 1usize << (class as u32 + MIN_SHIFT);
        let block = self.take(class, size);
        if !block.is_null() {
            return block;
        }
        self.grow(class, size, layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            return;
        };
        let mut heap = self.0.lock();
        // SAFETY: `ptr` is a block of this class that the caller no longer
        // uses (GlobalAlloc contract); its first word becomes the link.
        unsafe { *(ptr as *mut usize) = heap.free[class] };
        heap.free[class] = ptr as usize;
    }
}

impl SizeClassHeap {
    /// The arena is used up: a block from the frame allocator, asked for
    /// without the heap lock held. Out of line, so that the common path
    /// (`take`) stays a few instructions: each one is emulated on kvm-pvm.
    #[cold]
    #[inline(never)]
    fn grow(&self, class: usize, size: usize, layout: Layout) -> *mut u8 {
        const PAGE: usize = crate::mm::PAGE_SIZE as usize;
        if layout.align() > PAGE {
            return null_mut();
        }
        let frames = if size <= PAGE {
            crate::mm::frame::alloc_zeroed()
        } else {
            crate::mm::frame::alloc_contiguous((size / PAGE) as u64)
        };
        let Some(phys) = frames else {
            return null_mut();
        };
        let va = crate::mm::phys_to_virt(phys) as usize;
        if size < PAGE {
            // The rest of the page becomes free blocks of this class.
            let mut heap = self.0.lock();
            for off in (size..PAGE).step_by(size) {
                // SAFETY: a block of the new page, which is ours alone.
                unsafe { *((va + off) as *mut usize) = heap.free[class] };
                heap.free[class] = va + off;
            }
        }
        va as *mut u8
    }

    /// A block of `class` from its free list or the arena; null if neither
    /// has one.
    #[inline(always)]
    fn take(&self, class: usize, size: usize) -> *mut u8 {
        let base = addr_of_mut!(ARENA) as usize;
        let mut heap = self.0.lock();
        let head = heap.free[class];
        if head != 0 {
            // SAFETY: `head` is a free block of this class; its first word
            // holds the next free block (or 0).
            heap.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        // Blocks are aligned to their size, which covers `layout.align()`.
        let start = (heap.next + size - 1) & !(size - 1);
        if start + size > HEAP_SIZE {
            return null_mut();
        }
        heap.next = start + size;
        (base + start) as *mut u8
    }
}
