//! Multi-producer single-consumer queues: fan-in.
//!
//! * [`bounded`]: the stamped ring of [`mpmc`](crate::mpmc) (Vyukov's
//!   per-slot sequence numbers, exact capacity) whose one consumer never
//!   does a CAS: it owns `head`, so a pop is a stamp load, a move and two
//!   stores. Producers are lock-free (a CAS on the shared tail).
//! * [`unbounded`]: linked segments whose producers reserve a slot with one
//!   `fetch_add` and never retry in a loop on the fast path; see
//!   [`unbounded`] for the reclamation argument.
//!
//! Both drop exactly the items still inside when the last handle goes.

use crate::error::{CapacityError, Full};
use crate::ring::Ring;
use crate::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

pub use crate::unbounded::{
    MAX_PRODUCERS, SEGMENT_ALIGN, SEGMENT_SLOTS, TooManyProducers, UnboundedConsumer,
    UnboundedProducer, unbounded,
};

/// A bounded MPSC queue with room for exactly `capacity` items.
///
/// # Panics
///
/// If `capacity` is 0 or over `usize::MAX / 4` (see [`try_bounded`]).
///
/// ```
/// let (tx, mut rx) = nanopath_queue::mpsc::bounded(8);
/// let tx2 = tx.clone();
/// std::thread::scope(|s| {
///     s.spawn(move || tx.push(1).unwrap());
///     s.spawn(move || tx2.push(2).unwrap());
/// });
/// let mut got = [rx.pop().unwrap(), rx.pop().unwrap()];
/// got.sort();
/// assert_eq!(got, [1, 2]);
/// ```
pub fn bounded<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    match try_bounded(capacity) {
        Ok(pair) => pair,
        Err(e) => panic!("{e}"),
    }
}

/// A bounded MPSC queue with room for exactly `capacity` items.
///
/// # Errors
///
/// [`CapacityError`] if `capacity` is 0 or over `usize::MAX / 4`.
///
/// ```
/// assert!(nanopath_queue::mpsc::try_bounded::<u8>(0).is_err());
/// ```
pub fn try_bounded<T>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let ring = Arc::new(Ring::new(capacity)?);
    Ok((Producer { ring: ring.clone() }, Consumer { ring }))
}

/// A sending handle of a bounded MPSC queue; clone it for more producers.
pub struct Producer<T> {
    ring: Arc<Ring<T>>,
}

/// The receiving handle of a bounded MPSC queue (there is exactly one).
pub struct Consumer<T> {
    /// Shared with the producers; only this handle pops, so it pops without
    /// a CAS (the contract of `Ring::try_pop_single`).
    ring: Arc<Ring<T>>,
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        Producer {
            ring: self.ring.clone(),
        }
    }
}

impl<T> Producer<T> {
    /// Appends `value`.
    ///
    /// # Errors
    ///
    /// [`Full`] with the value when the queue is full.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::mpsc::bounded(1);
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.push(2), Err(nanopath_queue::Full(2)));
    /// ```
    #[inline]
    pub fn push(&self, value: T) -> Result<(), Full<T>> {
        self.ring.try_push(value)
    }

    /// Moves the longest prefix of `items` that fits into the queue with one
    /// CAS; what did not fit stays in `items`. Returns how many went in.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::bounded(2);
    /// let mut items = vec!['a', 'b', 'c'];
    /// assert_eq!(tx.push_batch(&mut items), 2);
    /// assert_eq!(items, ['c']);
    /// assert_eq!(rx.pop(), Some('a'));
    /// ```
    pub fn push_batch(&self, items: &mut Vec<T>) -> usize {
        self.ring.push_batch(items)
    }

    /// Items in the queue right now (a snapshot).
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::mpsc::bounded(2);
    /// tx.push(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// `len() == 0`.
    ///
    /// ```
    /// assert!(nanopath_queue::mpsc::bounded::<u8>(2).0.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::mpsc::bounded::<u8>(7).0.capacity(), 7);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }
}

impl<T> Consumer<T> {
    /// Removes the oldest item, without a CAS.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::bounded(2);
    /// tx.push(5).unwrap();
    /// assert_eq!(rx.pop(), Some(5));
    /// assert_eq!(rx.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        // SAFETY: `Consumer` is not `Clone` and `pop*` take `&mut self`, so
        // this is the ring's only consumer.
        unsafe { self.ring.try_pop_single() }
    }

    /// Appends up to `max` of the oldest items to `out` in order; returns
    /// how many. `out` grows by at most `min(max, capacity)`.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::bounded(4);
    /// let mut items = vec![1, 2, 3];
    /// tx.push_batch(&mut items);
    /// let mut out = vec![0];
    /// assert_eq!(rx.pop_batch(&mut out, 8), 3);
    /// assert_eq!(out, [0, 1, 2, 3]);
    /// ```
    pub fn pop_batch(&mut self, out: &mut Vec<T>, max: usize) -> usize {
        // SAFETY: as in `pop`.
        unsafe { self.ring.pop_batch_single(out, max) }
    }

    /// Items in the queue right now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::bounded(2);
    /// tx.push(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// `len() == 0`.
    ///
    /// ```
    /// assert!(nanopath_queue::mpsc::bounded::<u8>(2).1.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::mpsc::bounded::<u8>(7).1.capacity(), 7);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// `true` once every [`Producer`] is gone: nothing more will arrive
    /// after what is already inside.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::bounded::<u8>(1);
    /// assert!(!rx.is_abandoned());
    /// drop(tx);
    /// assert!(rx.is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) == 1
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Producer")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Consumer")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}
