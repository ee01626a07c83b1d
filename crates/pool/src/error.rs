//! What both pools report: their traffic counters, and the typed errors
//! of their fallible constructors and waits.

use core::fmt;

/// Largest capacity of either pool: slot indices are `u32`, and
/// `u32::MAX` ends a free list.
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

/// Counters of a pool's traffic (see [`ObjectPool::stats`](crate::ObjectPool::stats) and
/// [`BufferPool::stats`](crate::BufferPool::stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Objects handed out (by any acquire).
    pub acquired: u64,
    /// Objects given back (dropped `Pooled`s, including those the pool
    /// dropped because it was full).
    pub released: u64,
    /// Objects built by the factory.
    pub created: u64,
    /// `acquire_timeout` calls that had to wait for a release.
    pub waited: u64,
    /// `acquire_timeout` calls that gave up.
    pub timeouts: u64,
}

/// `acquire_timeout` found no object within the time allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no pooled object became free before the timeout")
    }
}

impl std::error::Error for Timeout {}

/// [`ObjectPool::try_new`](crate::ObjectPool::try_new) (or
/// [`BufferPool::try_new`](crate::BufferPool::try_new)) could not set up the pool: the capacity is above
/// [`MAX_CAPACITY`], or the slot array could not be allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityError {
    /// The capacity asked for.
    pub requested: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot allocate an object pool of {} slots (at most {MAX_CAPACITY}, memory permitting)",
            self.requested
        )
    }
}

impl std::error::Error for CapacityError {}
