//! Weight buffers backed by 2 MB pages where the system allows it.
//!
//! A decoder step streams every weight matrix once (about 210 MB in f32 for opus-mt-fr-en): in
//! 4 KB pages that is a TLB miss and a page walk every 64 cache lines, and the hardware
//! prefetcher stops at every page boundary. Linux backs memory with transparent huge pages
//! when asked (`madvise(MADV_HUGEPAGE)`, the default `madvise` mode of
//! `/sys/kernel/mm/transparent_hugepage/enabled`), provided the advice comes before the pages
//! are first touched. Elsewhere this is a plain `Vec`.

use rayon::prelude::*;

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
    let piece = (PIECE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    if len <= piece {
        // One piece: no hand-off to the pool (from outside it, that costs more than the fill).
        values.resize(len, value);
        return values;
    }
    values.spare_capacity_mut()[..len]
        .par_chunks_mut(piece)
        .for_each(|chunk| {
            for slot in chunk {
                slot.write(value);
            }
        });
    // SAFETY: the first `len` elements were written just above.
    unsafe { values.set_len(len) };
    values
}

/// The piece of a vector that one thread fills: one huge page.
const PIECE_BYTES: usize = 2 << 20;

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
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
}
