//! [`RequestStats`]: lock-free request counters for a service's hot path.

use crate::per_thread::{PerThread, ThreadCounter};
use core::fmt;

/// One shard's counters. The three words share a line on purpose: one
/// thread writes all three per request, so they travel together.
#[derive(Debug)]
struct Cell {
    requests: ThreadCounter,
    errors: ThreadCounter,
    bytes: ThreadCounter,
}

/// Request statistics recorded from any thread: request count, error count
/// and bytes, each in a cache-padded shard per thread slot.
///
/// `record` costs three relaxed updates on a line only the calling thread
/// writes: plain load + store pairs for the first `shards` live threads (they
/// own their cell, as in [`ShardedCounter`](crate::ShardedCounter)), and
/// `fetch_add`s on a shared overflow cell for threads beyond that.
///
/// # Consistency
///
/// A [`snapshot`](Self::snapshot) sums each counter separately with relaxed
/// loads. Every counter only grows (modulo `u64` wrap), and each field of a
/// snapshot lies between that counter's value when the snapshot started and
/// when it ended; a request recorded concurrently may show up in `requests`
/// but not yet in `bytes`. After the writers are joined, a snapshot is exact.
/// That is the "consistent enough" a metrics exporter needs.
///
/// # Examples
///
/// ```
/// use nanopath_atomic::RequestStats;
///
/// let stats = RequestStats::new();
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| {
///             stats.record(100, false);
///             stats.record(50, true);
///         });
///     }
/// });
/// let snap = stats.snapshot();
/// assert_eq!((snap.requests, snap.errors, snap.bytes), (4, 2, 300));
/// assert_eq!(snap.error_rate(), 0.5);
/// ```
pub struct RequestStats {
    /// One owned and one shared padded cell per shard.
    cells: PerThread<Cell>,
}

/// A point-in-time reading of [`RequestStats`] (see its consistency notes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatsSnapshot {
    /// Requests recorded.
    pub requests: u64,
    /// Requests recorded with the error flag set.
    pub errors: u64,
    /// Bytes recorded over all requests.
    pub bytes: u64,
}

impl StatsSnapshot {
    /// `errors / requests`, or 0 when there were no requests.
    ///
    /// ```
    /// use nanopath_atomic::StatsSnapshot;
    /// let s = StatsSnapshot { requests: 4, errors: 1, bytes: 0 };
    /// assert_eq!(s.error_rate(), 0.25);
    /// assert_eq!(StatsSnapshot::default().error_rate(), 0.0);
    /// ```
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    /// What was recorded between `earlier` and `self` (wrapping), for
    /// per-interval rates.
    ///
    /// ```
    /// use nanopath_atomic::StatsSnapshot;
    /// let a = StatsSnapshot { requests: 10, errors: 1, bytes: 1000 };
    /// let b = StatsSnapshot { requests: 15, errors: 1, bytes: 1600 };
    /// assert_eq!(b.since(&a), StatsSnapshot { requests: 5, errors: 0, bytes: 600 });
    /// ```
    pub fn since(&self, earlier: &StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.wrapping_sub(earlier.requests),
            errors: self.errors.wrapping_sub(earlier.errors),
            bytes: self.bytes.wrapping_sub(earlier.bytes),
        }
    }
}

impl RequestStats {
    /// Statistics with one shard per unit of available parallelism.
    ///
    /// ```
    /// let stats = nanopath_atomic::RequestStats::new();
    /// assert_eq!(stats.snapshot().requests, 0);
    /// ```
    #[cfg(feature = "std")]
    pub fn new() -> Self {
        Self::with_shards(crate::per_thread::default_shards())
    }

    /// Statistics with `shards` shards, rounded up to a power of two and
    /// clamped to `1..=1024`.
    ///
    /// ```
    /// let stats = nanopath_atomic::RequestStats::with_shards(5);
    /// stats.record(10, false);
    /// assert_eq!(stats.snapshot().bytes, 10);
    /// ```
    pub fn with_shards(shards: usize) -> Self {
        let zero = || Cell {
            requests: ThreadCounter::new(),
            errors: ThreadCounter::new(),
            bytes: ThreadCounter::new(),
        };
        Self {
            cells: PerThread::with_shards(shards, zero),
        }
    }

    /// Records one request of `bytes` bytes, and whether it failed.
    ///
    /// ```
    /// let stats = nanopath_atomic::RequestStats::with_shards(1);
    /// stats.record(512, true);
    /// let s = stats.snapshot();
    /// assert_eq!((s.requests, s.errors, s.bytes), (1, 1, 512));
    /// ```
    #[inline]
    pub fn record(&self, bytes: u64, is_error: bool) {
        let (cell, owner) = self.cells.current();
        // Plain load + store on an owned cell, `fetch_add` on a shared one;
        // relaxed either way (see the type's consistency notes).
        cell.requests.add(1, owner);
        cell.bytes.add(bytes, owner);
        if is_error {
            cell.errors.add(1, owner);
        }
    }

    /// Sums every shard (see [Consistency](Self#consistency)).
    ///
    /// ```
    /// let stats = nanopath_atomic::RequestStats::with_shards(2);
    /// let before = stats.snapshot();
    /// stats.record(3, false);
    /// assert_eq!(stats.snapshot().since(&before).requests, 1);
    /// ```
    pub fn snapshot(&self) -> StatsSnapshot {
        let mut snap = StatsSnapshot::default();
        for cell in self.cells.iter() {
            // Relaxed: see `record`.
            snap.requests = snap.requests.wrapping_add(cell.requests.get());
            snap.errors = snap.errors.wrapping_add(cell.errors.get());
            snap.bytes = snap.bytes.wrapping_add(cell.bytes.get());
        }
        snap
    }
}

#[cfg(feature = "std")]
impl Default for RequestStats {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RequestStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestStats")
            .field("shards", &self.cells.shards())
            .field("snapshot", &self.snapshot())
            .finish()
    }
}
