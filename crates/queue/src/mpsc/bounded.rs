//! The bounded MPSC queue: the stamped ring with a CAS-free consumer.

use crate::error::{CapacityError, Full};
use crate::ring::Ring;
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};
use alloc::vec::Vec;
use core::fmt;

/// A bounded MPSC queue with room for exactly `capacity` items.
///
/// # Panics
///
/// If `capacity` is 0 or too large (see [`try_bounded`]), or if the
/// allocation fails.
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
#[track_caller]
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
/// [`CapacityError`] if `capacity` is 0, over `usize::MAX / 4`, or so
/// large that the slots would not fit in `isize::MAX` bytes (the error's
/// `maximum` is the largest capacity accepted for this `T`). Allocation
/// failure for an accepted capacity aborts, as for `Vec`.
///
/// ```
/// assert!(nanopath_queue::mpsc::try_bounded::<u8>(0).is_err());
/// assert!(nanopath_queue::mpsc::try_bounded::<u64>(usize::MAX / 8).is_err());
/// ```
pub fn try_bounded<T>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    let shared = Arc::new(Shared {
        ring: Ring::new(capacity)?,
        producers: AtomicUsize::new(1),
        consumer_gone: AtomicBool::new(false),
    });
    Ok((
        Producer {
            shared: shared.clone(),
        },
        Consumer { shared },
    ))
}

/// The ring and the handle bookkeeping, shared by all handles.
struct Shared<T> {
    /// The stamped ring; only the one consumer pops, so it pops without a
    /// CAS (the contract of `Ring::try_pop_single`).
    ring: Ring<T>,
    /// Live producer handles. Decremented with Release by each producer's
    /// drop, so a consumer that loads 0 with Acquire sees every push.
    producers: AtomicUsize,
    /// Set with Release when the consumer is dropped.
    consumer_gone: AtomicBool,
}

/// A sending handle of a bounded MPSC queue; clone it for more producers.
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving handle of a bounded MPSC queue (there is exactly one).
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        // Relaxed: a count of live handles; this handle is alive, so the
        // count cannot reach 0 meanwhile, and the new handle's pushes are
        // ordered before its own drop's Release decrement.
        self.shared.producers.fetch_add(1, Ordering::Relaxed);
        Producer {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // Release: our pushes happen-before a consumer's Acquire load that
        // sees the count reach 0 (the decrements form a release sequence,
        // so every producer's pushes do).
        self.shared.producers.fetch_sub(1, Ordering::Release);
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Release: pairs with the Acquire in `Producer::is_abandoned`.
        self.shared.consumer_gone.store(true, Ordering::Release);
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
        self.shared.ring.try_push(value)
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
        self.shared.ring.push_batch(items)
    }

    /// Items in the queue right now (a snapshot).
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::mpsc::bounded(2);
    /// tx.push(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.ring.len()
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
        self.shared.ring.capacity()
    }

    /// `true` once the [`Consumer`] has been dropped: nothing pushed from
    /// now on will be read.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::bounded::<u8>(1);
    /// assert!(!tx.is_abandoned());
    /// drop(rx);
    /// assert!(tx.is_abandoned());
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the consumer's Release on drop.
        self.shared.consumer_gone.load(Ordering::Acquire)
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
        unsafe { self.shared.ring.try_pop_single() }
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
        unsafe { self.shared.ring.pop_batch_single(out, max) }
    }

    /// Items in the queue right now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::mpsc::bounded(2);
    /// tx.push(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.ring.len()
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
        self.shared.ring.capacity()
    }

    /// `true` once every [`Producer`] is gone: nothing more will arrive
    /// after what is already inside.
    ///
    /// Every push made by any producer happens-before a call that returns
    /// `true`, so draining after it sees every item.
    ///
    /// ```
    /// let (tx, mut rx) = nanopath_queue::mpsc::bounded(2);
    /// let tx2 = tx.clone();
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert!(!rx.is_abandoned());
    /// tx2.push(2).unwrap();
    /// drop(tx2);
    /// assert!(rx.is_abandoned());
    /// assert_eq!((rx.pop(), rx.pop()), (Some(1), Some(2))); // nothing is lost
    /// ```
    pub fn is_abandoned(&self) -> bool {
        // Acquire: pairs with the producers' Release decrements on drop.
        self.shared.producers.load(Ordering::Acquire) == 0
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
