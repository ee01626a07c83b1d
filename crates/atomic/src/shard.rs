//! Which shard the calling thread writes: shared by [`ShardedCounter`] and
//! [`RequestStats`].
//!
//! With `std`, each thread draws a sequential index from a process-wide
//! counter the first time it asks and keeps it for life, so a thread always
//! hits the same shard and consecutive threads hit different ones. Without
//! `std` there are no thread-locals; the index is derived from the address of
//! a stack slot (threads have disjoint stacks, and a thread's stack depth
//! varies little), mixed so that neighbouring stacks spread out.
//!
//! [`ShardedCounter`]: crate::ShardedCounter
//! [`RequestStats`]: crate::RequestStats

/// Upper bound on the shard count of any sharded structure: constructors
/// clamp to it, so a caller's typo cannot make us allocate without bound.
pub(crate) const MAX_SHARDS: usize = 1024;

/// A shard count for `requested` shards: at least 1, at most [`MAX_SHARDS`],
/// rounded up to a power of two so that a shard is picked with a mask.
pub(crate) fn shard_count(requested: usize) -> usize {
    requested.clamp(1, MAX_SHARDS).next_power_of_two()
}

/// The default shard count: available parallelism rounded up to a power of
/// two (1 when it cannot be queried).
#[cfg(feature = "std")]
pub(crate) fn default_shard_count() -> usize {
    shard_count(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The calling thread's shard index, before masking.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn thread_index() -> usize {
    use core::cell::Cell;
    // Not routed through the loom shim on purpose: this is a `static` handing
    // out identities, not part of an algorithm a loom model explores, and
    // loom atomics cannot live in statics. Relaxed: only uniqueness matters.
    static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
    std::thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX
        .try_with(|slot| {
            let mut index = slot.get();
            if index == usize::MAX {
                index = NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                slot.set(index);
            }
            index
        })
        // During thread-local destruction: any shard is correct, 0 will do.
        .unwrap_or(0)
}

/// The calling thread's shard index, before masking (no `std`: stack address).
#[cfg(not(feature = "std"))]
#[inline]
pub(crate) fn thread_index() -> usize {
    let marker = 0u8;
    let addr = core::ptr::addr_of!(marker).addr();
    // Stacks are at least pages apart; drop the in-page bits, then mix.
    let x = (addr >> 12) as u64;
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts_are_bounded_powers_of_two() {
        assert_eq!(shard_count(0), 1);
        assert_eq!(shard_count(1), 1);
        assert_eq!(shard_count(3), 4);
        assert_eq!(shard_count(64), 64);
        assert_eq!(shard_count(usize::MAX), MAX_SHARDS);
    }

    #[cfg(feature = "std")]
    #[test]
    fn a_thread_keeps_its_index_and_threads_differ() {
        let mine = thread_index();
        assert_eq!(mine, thread_index());
        let other = std::thread::spawn(thread_index).join().unwrap();
        assert_ne!(mine, other);
    }
}
