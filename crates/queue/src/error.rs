//! Error values: small, `Copy` where the payload allows, no allocation.

use core::fmt;

/// A push into a full queue: the value comes back.
///
/// ```
/// let (mut tx, _rx) = nanopath_queue::spsc::ring::<&str>(1);
/// tx.push("a").unwrap();
/// let nanopath_queue::Full(back) = tx.push("b").unwrap_err();
/// assert_eq!(back, "b");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// The value that did not fit.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::Full(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may not be Debug; it is the queue state that matters.
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}

#[cfg(feature = "std")]
impl<T> std::error::Error for Full<T> {}

/// A chunk request larger than what is available.
///
/// ```
/// let (mut tx, _rx) = nanopath_queue::spsc::ring::<u8>(4);
/// let err = tx.write_chunk_uninit(5).unwrap_err();
/// assert_eq!(err, nanopath_queue::ChunkError::TooFewSlots { requested: 5, available: 4 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChunkError {
    /// Fewer free slots (write chunk) or ready items (read chunk) than asked for.
    TooFewSlots {
        /// Slots asked for.
        requested: usize,
        /// Slots (or items) available at the time of the request.
        available: usize,
    },
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::TooFewSlots {
                requested,
                available,
            } => {
                write!(f, "asked for {requested} slots, only {available} available")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ChunkError {}

/// A capacity outside what a queue supports: zero slots where a queue needs
/// at least one, too many for its position arithmetic, or a buffer larger
/// than `isize::MAX` bytes (the most any allocation can hold). The limit
/// therefore depends on the item type: `maximum` is computed for it.
///
/// ```
/// let err = nanopath_queue::spsc::try_ring::<()>(usize::MAX).unwrap_err();
/// assert_eq!(err.requested, usize::MAX);
/// assert_eq!(err.maximum, usize::MAX / 2);
/// let err = nanopath_queue::spsc::try_ring::<[u8; 1024]>(usize::MAX / 2).unwrap_err();
/// assert_eq!(err.maximum, isize::MAX as usize / 1024);
/// let err = nanopath_queue::mpmc::Queue::<u8>::try_new(0).unwrap_err();
/// assert_eq!((err.requested, err.minimum), (0, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapacityError {
    /// The capacity asked for.
    pub requested: usize,
    /// The smallest capacity this queue supports.
    pub minimum: usize,
    /// The largest capacity this queue supports for this item type.
    pub maximum: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requested < self.minimum {
            // Capacity 0: a queue that is always full (no rendezvous
            // channel either: a send completes once its item is inside).
            write!(
                f,
                "capacity {} is below the minimum of {}: every queue and channel holds at least one item",
                self.requested, self.minimum
            )
        } else {
            write!(
                f,
                "capacity {} is outside the supported range {}..={}",
                self.requested, self.minimum, self.maximum
            )
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CapacityError {}
