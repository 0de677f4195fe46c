//! How the `passeur` process keeps the memory it frees (glibc's malloc only).
//!
//! A decoding step allocates and frees the same buffers every step (layer outputs, attention
//! scratch: a few megabytes, hundreds of kilobytes each), and each batch its self-attention
//! caches (tens of megabytes). glibc's malloc adapts two thresholds to the sizes it sees freed:
//! blocks above `M_MMAP_THRESHOLD` get fresh mappings of their own, and once more than
//! `M_TRIM_THRESHOLD` lies free at the top of a heap it goes back to the system. With the
//! adaptive values, much of a step's memory went back and was faulted in, and zeroed by the
//! kernel, again at the next step. Fixed values keep it in the heap; one arena for the whole
//! process (instead of one per thread that allocates) lets the next batch reuse what the last
//! one freed on another thread, so the peak is not raised. Beam 4 × 64 sentences: 177,000 page
//! faults before, 68,000 after (int8: 190,000 and 53,000), a third less system time, the same
//! peak RSS, a few percent less wall time in most alternated pairs, and a server as fast under
//! 64 clients (notes/perf.md, change O). A program that embeds the library decides this for
//! itself: a library does not set its host's allocator.

/// Largest block served from the heap: above it, a mapping of its own (glibc's adaptive
/// threshold stops at 32 MiB on 64-bit systems; the model's large buffers are above it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Free memory at the top of the heap kept before any is returned to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 256 << 20;

/// One arena and fixed mmap and trim thresholds for glibc's malloc (see the module); true when
/// glibc accepted all three.
/// Elsewhere (musl, macOS, Windows) the system allocator is left as it is: false.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt takes any values and only changes malloc's parameters; it is called
        // before the process starts its other threads.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1) == 1
                && libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn a_freed_buffer_is_kept_in_the_heap() {
        assert!(super::keep_freed_memory());
        // 8 MB: a mapping of its own under glibc's starting thresholds (128 KB), and given back
        // to the system when freed; with the fixed ones, served from the heap and kept there.
        const SIZE: usize = 8 << 20;
        // SAFETY: mallinfo2 only reads malloc's counters.
        let before = unsafe { libc::mallinfo2() };
        let buffer = std::hint::black_box(vec![1u8; SIZE]);
        let holding = unsafe { libc::mallinfo2() };
        drop(buffer);
        let after = unsafe { libc::mallinfo2() };
        assert!(
            holding.hblkhd < before.hblkhd + SIZE,
            "the buffer got a mapping of its own ({} → {} bytes mapped)",
            before.hblkhd,
            holding.hblkhd
        );
        assert!(
            after.fordblks >= SIZE,
            "the freed buffer went back to the system ({} bytes free in the heap)",
            after.fordblks
        );
    }
}
