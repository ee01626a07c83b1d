//! [`ShardedCounter`]: a counter that many threads can bump without sharing
//! a cache line.

use crate::per_thread::{PerThread, ThreadCounter};
use core::fmt;

/// A `u64` counter split into cache-padded shards, one per thread slot.
///
/// `add` touches only the calling thread's shard (a thread keeps its shard for
/// life), so threads on different cores do not contend; `sum` reads every
/// shard. Use it for hot counters that are written far more than read.
///
/// With `std`, the first `shards()` live threads each *own* a shard and
/// update it with a plain load and store — no lock-prefixed instruction, so
/// an increment costs about as much as on a thread-local — because no other
/// thread writes it. Threads beyond that share a second set of padded shards
/// with atomic `fetch_add`. (See the crate's `shard` module for how
/// ownership is handed from an exiting thread to a new one.)
///
/// Arithmetic wraps at `u64::MAX`, like `AtomicU64::fetch_add`.
///
/// # Consistency
///
/// `sum` is not a snapshot: an `add` that runs concurrently with `sum` may or
/// may not be included. Once every `add` has happened-before the `sum` (e.g.
/// the writers were joined), the sum is exact.
///
/// # Examples
///
/// ```
/// use nanopath_atomic::ShardedCounter;
///
/// let hits = ShardedCounter::new();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 hits.incr();
///             }
///         });
///     }
/// });
/// assert_eq!(hits.sum(), 4000);
/// ```
pub struct ShardedCounter {
    /// One owned and one shared padded cell per shard.
    cells: PerThread<ThreadCounter>,
}

impl ShardedCounter {
    /// A counter with one shard per unit of available parallelism, rounded up
    /// to a power of two.
    ///
    /// ```
    /// let c = nanopath_atomic::ShardedCounter::new();
    /// assert!(c.shards().is_power_of_two());
    /// assert_eq!(c.sum(), 0);
    /// ```
    #[cfg(feature = "std")]
    pub fn new() -> Self {
        Self::with_shards(crate::per_thread::default_shards())
    }

    /// A counter with `shards` shards, rounded up to a power of two and
    /// clamped to `1..=1024`.
    ///
    /// ```
    /// let c = nanopath_atomic::ShardedCounter::with_shards(3);
    /// assert_eq!(c.shards(), 4);
    /// assert_eq!(nanopath_atomic::ShardedCounter::with_shards(0).shards(), 1);
    /// ```
    pub fn with_shards(shards: usize) -> Self {
        Self {
            cells: PerThread::with_shards(shards, ThreadCounter::new),
        }
    }

    /// The number of shards.
    ///
    /// ```
    /// assert_eq!(nanopath_atomic::ShardedCounter::with_shards(8).shards(), 8);
    /// ```
    #[inline]
    pub fn shards(&self) -> usize {
        self.cells.shards()
    }

    /// Adds `n` to the calling thread's shard.
    ///
    /// ```
    /// let c = nanopath_atomic::ShardedCounter::with_shards(2);
    /// c.add(40);
    /// c.add(2);
    /// assert_eq!(c.sum(), 42);
    /// ```
    #[inline]
    pub fn add(&self, n: u64) {
        let (cell, owner) = self.cells.current();
        // `sum` after a join is exact because the join synchronizes.
        cell.add(n, owner);
    }

    /// Adds one.
    ///
    /// ```
    /// let c = nanopath_atomic::ShardedCounter::with_shards(1);
    /// c.incr();
    /// assert_eq!(c.sum(), 1);
    /// ```
    #[inline]
    pub fn incr(&self) {
        self.add(1);
    }

    /// The wrapping sum of every shard (see [Consistency](Self#consistency)).
    ///
    /// ```
    /// let c = nanopath_atomic::ShardedCounter::with_shards(4);
    /// c.add(u64::MAX);
    /// c.add(2);
    /// assert_eq!(c.sum(), 1); // wraps like fetch_add
    /// ```
    pub fn sum(&self) -> u64 {
        self.cells
            .iter()
            .map(ThreadCounter::get)
            .fold(0u64, u64::wrapping_add)
    }
}

#[cfg(feature = "std")]
impl Default for ShardedCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ShardedCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedCounter")
            .field("shards", &self.shards())
            .field("sum", &self.sum())
            .finish()
    }
}
