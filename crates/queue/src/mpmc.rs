//! A bounded multi-producer multi-consumer queue: load balancing across
//! worker threads.
//!
//! Algorithm: Dmitry Vyukov's bounded MPMC queue with per-slot sequence
//! numbers ("Bounded MPMC queue", 1024cores.net), with exact (not
//! power-of-two) capacity and batch operations that claim several slots with
//! one CAS on the shared index. The details, orderings and the full
//! argument are in the crate's `ring` module documentation.
//!
//! `pop` returns `None` only if the queue was empty at some instant during
//! the call, and `push` returns [`Full`] only if it was full: a pop that
//! reaches a slot whose producer has claimed it but not finished writing
//! waits for that producer (spinning, then yielding) instead of reporting
//! empty, and a push waits in the same way for a pop that is moving a value
//! out. This is crossbeam's `ArrayQueue` behaviour.
//!
//! Progress guarantee: lock-free among threads that are not suspended in
//! the middle of an operation: `push` and `pop` retry only after losing a
//! CAS to a thread that made progress. A thread suspended between claiming
//! a slot and publishing it holds up the operations that reach that slot
//! until it resumes (so, strictly, the queue is blocking).
//!
//! Positions are `usize` counters that only grow (wrapping). On 64-bit
//! targets they never come round. On 32-bit targets a thread stalled
//! between reading a position and its CAS could see that CAS succeed
//! stale if exactly a multiple of 2^32 other operations land meanwhile
//! (as in crossbeam's `ArrayQueue`): tens of seconds of unbroken traffic
//! while one thread is stopped at one instruction.

use crate::error::{CapacityError, Full};
use crate::ring::Ring;
use alloc::vec::Vec;
use core::fmt;

/// A bounded MPMC queue shared by reference (wrap it in an `Arc` to share it
/// between threads that outlive the current scope).
///
/// ```
/// use nanopath_queue::mpmc::Queue;
/// let q = Queue::new(2);
/// std::thread::scope(|s| {
///     s.spawn(|| q.push(1).unwrap());
///     s.spawn(|| q.push(2).unwrap());
/// });
/// let mut got = [q.pop().unwrap(), q.pop().unwrap()];
/// got.sort();
/// assert_eq!(got, [1, 2]);
/// assert_eq!(q.pop(), None);
/// ```
pub struct Queue<T> {
    /// The stamped ring; consumers claim with a CAS on its `head`.
    ring: Ring<T>,
}

impl<T> Queue<T> {
    /// A queue with room for exactly `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or too large (see [`Queue::try_new`]), or if the
    /// allocation fails.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::<u8>::new(3);
    /// assert_eq!(q.capacity(), 3);
    /// ```
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        match Self::try_new(capacity) {
            Ok(q) => q,
            Err(e) => panic!("{e}"),
        }
    }

    /// A queue with room for exactly `capacity` items.
    ///
    /// # Errors
    ///
    /// [`CapacityError`] if `capacity` is 0, over `usize::MAX / 4`, or so
    /// large that the slots (a `T` and a `usize` stamp each) would not fit
    /// in `isize::MAX` bytes; the error's `maximum` is the largest capacity
    /// accepted for this `T`. Allocation failure for an accepted capacity
    /// aborts, as for `Vec`.
    ///
    /// ```
    /// use nanopath_queue::mpmc::Queue;
    /// assert!(Queue::<u8>::try_new(0).is_err());
    /// assert_eq!(Queue::<u8>::try_new(5).unwrap().capacity(), 5);
    /// let err = Queue::<u64>::try_new(usize::MAX / 8).unwrap_err();
    /// assert_eq!(err.requested, usize::MAX / 8);
    /// assert!(err.maximum < usize::MAX / 8); // slots of 16 bytes would not fit
    /// ```
    pub fn try_new(capacity: usize) -> Result<Self, CapacityError> {
        Ok(Queue {
            ring: Ring::new(capacity)?,
        })
    }

    /// Appends `value`.
    ///
    /// # Errors
    ///
    /// [`Full`] with the value when every slot is taken.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(1);
    /// q.push('a').unwrap();
    /// assert_eq!(q.push('b'), Err(nanopath_queue::Full('b')));
    /// ```
    #[inline]
    pub fn push(&self, value: T) -> Result<(), Full<T>> {
        self.ring.try_push(value)
    }

    /// Removes the oldest item.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(2);
    /// q.push(1).unwrap();
    /// assert_eq!(q.pop(), Some(1));
    /// assert_eq!(q.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&self) -> Option<T> {
        self.ring.try_pop_shared()
    }

    /// Moves the longest prefix of `items` that fits into the queue, in
    /// order, claiming all its slots with one CAS. What did not fit stays in
    /// `items` (nothing is lost); returns how many went in.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(3);
    /// let mut items = vec![1, 2, 3, 4, 5];
    /// assert_eq!(q.push_batch(&mut items), 3);
    /// assert_eq!(items, [4, 5]);
    /// ```
    pub fn push_batch(&self, items: &mut Vec<T>) -> usize {
        self.ring.push_batch(items)
    }

    /// Appends up to `max` of the oldest items to `out`, in order, claiming
    /// them with one CAS; returns how many. `out` grows by at most
    /// `min(max, capacity)`.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(4);
    /// for i in 0..4 {
    ///     q.push(i).unwrap();
    /// }
    /// let mut out = Vec::new();
    /// assert_eq!(q.pop_batch(&mut out, 3), 3);
    /// assert_eq!(out, [0, 1, 2]);
    /// ```
    pub fn pop_batch(&self, out: &mut Vec<T>, max: usize) -> usize {
        self.ring.pop_batch_shared(out, max)
    }

    /// Items in the queue right now (a snapshot; includes items whose
    /// producer has claimed a slot but not finished writing).
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(4);
    /// q.push(1).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// `len() == 0`.
    ///
    /// ```
    /// assert!(nanopath_queue::mpmc::Queue::<u8>::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len() == capacity()`.
    ///
    /// ```
    /// let q = nanopath_queue::mpmc::Queue::new(1);
    /// q.push(()).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The ring underneath (for the channel's statistics).
    #[cfg(feature = "std")]
    pub(crate) fn ring(&self) -> &Ring<T> {
        &self.ring
    }

    /// The exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::mpmc::Queue::<u8>::new(1000).capacity(), 1000);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Queue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}
