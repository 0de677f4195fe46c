//! Weight buffers backed by 2 MB pages where the system allows it.
//!
//! A decoder step streams every weight matrix once (about 210 MB in f32 for opus-mt-fr-en): in
//! 4 KB pages that is a TLB miss and a page walk every 64 cache lines, and the hardware
//! prefetcher stops at every page boundary. Linux backs memory with transparent huge pages
//! when asked (`madvise(MADV_HUGEPAGE)`, the default `madvise` mode of
//! `/sys/kernel/mm/transparent_hugepage/enabled`), provided the advice comes before the pages
//! are first touched. Only whole 2 MB pages can be huge, so the packed weights live in a
//! [`Pages`] buffer that starts on a 2 MB boundary (a `Vec` cannot: its memory must be given back
//! with the element type's alignment); buffers handed on as a `Vec` ([`filled`]) get the huge
//! pages that happen to lie inside them. Elsewhere this is plain memory.

use rayon::prelude::*;
use std::alloc::Layout;
use std::ptr::NonNull;

/// Bytes of one huge page.
const HUGE: usize = 2 << 20;

/// A vector of `len` copies of `value` whose memory was advised to use huge pages before it was
/// written.
///
/// The first write to a page is where the system allocates and zeroes it, which costs more than
/// the write itself (for 300 MB of weights on a 2-vCPU virtual machine, about half of a model
/// load: notes/perf.md, change M), so the vector is filled in 2 MB pieces shared among the
/// threads of the current pool.
pub(crate) fn filled<T: Copy + Send + Sync>(len: usize, value: T) -> Vec<T> {
    let mut values: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(
        values.as_mut_ptr() as *mut u8,
        len * std::mem::size_of::<T>(),
    );
    fill(&mut values.spare_capacity_mut()[..len], value);
    // SAFETY: the first `len` elements were written just above.
    unsafe { values.set_len(len) };
    values
}

/// Writes `value` into every slot, in pieces of one huge page shared among the threads of the
/// current pool (one piece alone: on the calling thread, as a hand-off to the pool from outside
/// it costs more than the fill).
fn fill<T: Copy + Send + Sync>(slots: &mut [std::mem::MaybeUninit<T>], value: T) {
    let piece = (PIECE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    if slots.len() <= piece {
        for slot in slots {
            slot.write(value);
        }
        return;
    }
    slots.par_chunks_mut(piece).for_each(|chunk| {
        for slot in chunk {
            slot.write(value);
        }
    });
}

/// `len` values in memory that starts on a huge-page boundary when it spans at least one huge
/// page, advised to use huge pages before it was written (see the module): the packed weights.
pub(crate) struct Pages<T> {
    start: NonNull<T>,
    len: usize,
    layout: Layout,
}

// SAFETY: `Pages` owns its values like a `Vec` does.
unsafe impl<T: Send> Send for Pages<T> {}
unsafe impl<T: Sync> Sync for Pages<T> {}

impl<T: Copy + Send + Sync> Pages<T> {
    /// `len` copies of `value`, filled like [`filled`]'s vector.
    pub(crate) fn filled(len: usize, value: T) -> Self {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .expect("a weight buffer larger than the address space");
        let align = if bytes >= HUGE {
            HUGE
        } else {
            std::mem::align_of::<T>()
        };
        let layout = Layout::from_size_align(bytes, align).expect("a valid layout");
        let start = if bytes == 0 {
            NonNull::dangling()
        } else {
            // SAFETY: the layout's size is not zero.
            let memory = unsafe { std::alloc::alloc(layout) } as *mut T;
            NonNull::new(memory).unwrap_or_else(|| std::alloc::handle_alloc_error(layout))
        };
        advise_huge_pages(start.as_ptr() as *mut u8, bytes);
        // SAFETY: `start` is valid for `len` values (or dangling and `len` values take no
        // bytes); they are written below, before any is read.
        let slots = unsafe {
            std::slice::from_raw_parts_mut(start.as_ptr() as *mut std::mem::MaybeUninit<T>, len)
        };
        fill(slots, value);
        Self { start, len, layout }
    }
}

impl<T> std::ops::Deref for Pages<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `start` holds `len` initialised values (see `filled`).
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

impl<T> std::ops::DerefMut for Pages<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `self` is borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.len) }
    }
}

impl<T> Drop for Pages<T> {
    fn drop(&mut self) {
        if self.layout.size() != 0 {
            // SAFETY: allocated in `filled` with this layout; the values are `Copy` (no drop).
            unsafe { std::alloc::dealloc(self.start.as_ptr() as *mut u8, self.layout) };
        }
    }
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the values: a weight matrix holds millions.
        f.debug_struct("Pages")
            .field("len", &self.len)
            .field("align", &self.layout.align())
            .finish()
    }
}

/// The piece of a vector that one thread fills: one huge page.
const PIECE_BYTES: usize = HUGE;

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    // Only whole 2 MB pages inside the allocation can be huge; smaller buffers gain nothing.
    let first = (start as usize).next_multiple_of(HUGE);
    let end = start as usize + bytes;
    if end < first + HUGE {
        return;
    }
    let length = (end - first) / HUGE * HUGE;
    // SAFETY: the range lies inside this allocation (not yet initialised: the advice changes
    // how its pages will be backed, never its contents). A refusal (THP disabled) is harmless.
    unsafe {
        libc::madvise(first as *mut libc::c_void, length, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn every_element_is_written_whether_the_vector_is_one_piece_or_several() {
        let piece = super::PIECE_BYTES / 4;
        for len in [0, 1, piece, piece + 1, 3 * piece + 5] {
            let values = super::filled(len, 7u32);
            assert_eq!(values.len(), len);
            assert!(values.iter().all(|&v| v == 7), "len {len}");
        }
    }

    #[test]
    fn pages_of_a_huge_page_or_more_start_on_a_huge_page_boundary_and_hold_every_value() {
        let piece = super::PIECE_BYTES / 4;
        for len in [0, 1, piece - 1, piece, 3 * piece + 5] {
            let mut values = super::Pages::filled(len, 7u32);
            assert_eq!(values.len(), len);
            assert!(values.iter().all(|&v| v == 7), "len {len}");
            if len >= piece {
                assert_eq!(values.as_ptr() as usize % super::HUGE, 0, "len {len}");
            }
            if let Some(last) = values.last_mut() {
                *last = 9;
                assert_eq!(values[len - 1], 9);
            }
        }
    }
}
