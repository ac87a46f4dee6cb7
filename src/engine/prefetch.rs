//! A hint to the processor to bring a value into cache ahead of its use.
//!
//! A large run's events touch records spread over hundreds of megabytes (a task, its
//! container instance), and each first touch waits for memory. Knowing the next event
//! while the current one is handled, the run asks for the next one's records early, so
//! the two waits overlap with work. A hint changes no value, only timing.

/// Asks for the cache lines of `value` (up to `lines` of 64 bytes from its start).
#[inline(always)]
pub fn prefetch<T>(value: &T, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let start: *const i8 = (value as *const T).cast();
        for l in 0..lines.min(std::mem::size_of::<T>().div_ceil(64)) {
            // SAFETY: a prefetch never faults and reads nothing the program can see;
            // SSE, which it needs, is part of every x86_64 processor.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(start.wrapping_add(l * 64));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (value, lines);
}
