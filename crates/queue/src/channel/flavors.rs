//! The queues under the channel flavors: the sealed `RawQueue` interface
//! the channel core drives, the `Flavor` marker types, and one adapter
//! per flavor (the SPSC ring with its counts, the stamped ring with its
//! CAS-free consumer, the MPMC queue).

use crate::error::CapacityError;
use crate::sync::UnsafeCell;
use crate::{mpmc, ring::Ring, spsc};
use std::vec::Vec;

pub(super) mod sealed {
    use super::{CapacityError, Vec};

    /// The queue under a channel flavor, split by who may reach what: the
    /// queue itself is shared by every handle (so it holds only what any
    /// end may read at any time: positions, counts, capacity), while `Tx`
    /// and `Rx` are the single-owner ends, each reachable only from the one
    /// handle that owns it. `push`/`pop` are `unsafe`: the flavor's handle
    /// types decide who may call them concurrently.
    // Sealed: public in a private module (compilers before 1.95 flag it as
    // unreachable).
    #[allow(unreachable_pub)]
    pub trait RawQueue<T>: Sized {
        /// The sending handle's own state: the SPSC producer, or `()` where
        /// senders share everything.
        type Tx;
        /// The receiving handle's own state: the SPSC consumer, or `()`
        /// where receivers share everything. The last receiver's drop moves
        /// it into the channel's drain slot.
        type Rx;
        /// Whether every successful `push` makes its item visible with a
        /// `SeqCst` read-modify-write of the word that a failed `pop`
        /// re-reads before it reports empty (the stamped ring's `tail`
        /// CAS): then a notification after it needs no fence
        /// (`EventCount::notify_one_after_seqcst`).
        const PUSH_CLAIMS_SEQCST: bool;
        /// The same for every successful `pop` and the word a failed
        /// `push` re-reads before it reports full (`head`).
        const POP_CLAIMS_SEQCST: bool;
        fn with_capacity(capacity: usize) -> Result<(Self, Self::Tx, Self::Rx), CapacityError>;
        /// # Safety
        /// `tx` is this queue's sending end, used by no other thread during
        /// the call, and only as many concurrent callers as the flavor's
        /// senders allow.
        unsafe fn push(&self, tx: &Self::Tx, value: T) -> Result<(), T>;
        /// # Safety
        /// `rx` is this queue's receiving end, used by no other thread
        /// during the call, and only as many concurrent callers as the
        /// flavor's receivers allow.
        unsafe fn pop(&self, rx: &Self::Rx) -> Option<T>;
        /// # Safety
        /// As for `pop`.
        unsafe fn pop_batch(&self, rx: &Self::Rx, out: &mut Vec<T>, max: usize) -> usize;
        fn len(&self) -> usize;
        fn capacity(&self) -> usize;
        fn sent(&self) -> u64;
        fn received(&self) -> u64;
    }

    pub trait Sealed {
        type Queue<T>: RawQueue<T>;
    }
}

pub(super) use sealed::RawQueue;

/// A sending handle's own end of the queue of flavor `F`.
pub(super) type TxEnd<T, F> = <<F as sealed::Sealed>::Queue<T> as RawQueue<T>>::Tx;
/// A receiving handle's own end of the queue of flavor `F`.
pub(super) type RxEnd<T, F> = <<F as sealed::Sealed>::Queue<T> as RawQueue<T>>::Rx;

/// The queue behind a channel: [`Spsc`], [`Mpsc`] or [`Mpmc`].
pub trait Flavor: sealed::Sealed {}

/// One sender, one receiver, on the SPSC ring.
///
/// Each handle owns its end of the ring, so neither is `Clone` or `Sync`
/// (both are `Send`):
///
/// ```compile_fail
/// fn shared<S: Sync>(_: &S) {}
/// let (tx, _rx) = nanopath_queue::channel::spsc::<u8>(1);
/// shared(&tx);
/// ```
///
/// ```compile_fail
/// fn shared<S: Sync>(_: &S) {}
/// let (_tx, rx) = nanopath_queue::channel::spsc::<u8>(1);
/// shared(&rx);
/// ```
///
/// ```compile_fail
/// let (tx, _rx) = nanopath_queue::channel::spsc::<u8>(1);
/// let _ = tx.clone();
/// ```
///
/// ```compile_fail
/// let (_tx, rx) = nanopath_queue::channel::spsc::<u8>(1);
/// let _ = rx.clone();
/// ```
#[derive(Debug)]
pub enum Spsc {}
/// Many senders, one receiver, on the bounded MPSC ring.
///
/// The sender is `Clone + Sync`; the receiver, the ring's only consumer,
/// is neither:
///
/// ```compile_fail
/// fn shared<S: Sync>(_: &S) {}
/// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
/// shared(&rx);
/// ```
///
/// ```compile_fail
/// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
/// let _ = rx.clone();
/// ```
///
/// ```
/// fn shared<S: Sync + Send>(_: &S) {}
/// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
/// shared(&tx.clone());
/// std::thread::spawn(move || drop(rx)).join().unwrap();
/// ```
#[derive(Debug)]
pub enum Mpsc {}
/// Many senders, many receivers, on the MPMC queue.
#[derive(Debug)]
pub enum Mpmc {}

impl Flavor for Spsc {}
impl Flavor for Mpsc {}
impl Flavor for Mpmc {}

/// What both ends of an SPSC channel read: the ring's positions (which
/// count the items pushed and popped) and the capacity. The producer and
/// consumer themselves live in the handles (`Tx`, `Rx`), so no handle ever
/// forms a reference to the other's state.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never reachable by users
pub struct SpscQueue<T> {
    /// The positions the two handles publish, read for `len` and the
    /// statistics.
    positions: spsc::Positions<T>,
    /// Exact capacity, `1..=usize::MAX / 2`; never changes.
    capacity: usize,
}

impl<T> RawQueue<T> for SpscQueue<T> {
    type Tx = UnsafeCell<spsc::Producer<T>>;
    type Rx = UnsafeCell<spsc::Consumer<T>>;
    /// The ring publishes with plain Release stores of its positions.
    const PUSH_CLAIMS_SEQCST: bool = false;
    const POP_CLAIMS_SEQCST: bool = false;
    fn with_capacity(capacity: usize) -> Result<(Self, Self::Tx, Self::Rx), CapacityError> {
        // `try_ring` refuses capacity 0, as every queue does.
        let (tx, rx) = spsc::try_ring(capacity)?;
        let queue = SpscQueue {
            positions: tx.positions(),
            capacity,
        };
        Ok((queue, UnsafeCell::new(tx), UnsafeCell::new(rx)))
    }
    #[inline]
    unsafe fn push(&self, tx: &Self::Tx, value: T) -> Result<(), T> {
        tx.with_mut(|producer| {
            // SAFETY: the caller's contract: nobody else uses the producer
            // during this call (the SPSC sender is neither `Clone` nor
            // `Sync`, and `push` runs no user code while the borrow lives).
            let producer = unsafe { &mut *producer };
            producer.push(value).map_err(|f| f.0)
        })
    }
    #[inline]
    unsafe fn pop(&self, rx: &Self::Rx) -> Option<T> {
        rx.with_mut(|consumer| {
            // SAFETY: as in `push`, for the consumer: the SPSC receiver is
            // neither `Clone` nor `Sync`, and once it is gone the drain lock
            // serialises the drains.
            unsafe { &mut *consumer }.pop()
        })
    }
    unsafe fn pop_batch(&self, rx: &Self::Rx, out: &mut Vec<T>, max: usize) -> usize {
        // SAFETY: as in `pop`.
        rx.with_mut(|consumer| unsafe { &mut *consumer }.pop_batch(out, max))
    }
    fn len(&self) -> usize {
        // A snapshot of two positions loaded one after the other: `popped`
        // first, so `pushed` is at least as large (see `Positions::popped`)
        // and the difference never wraps below zero. It may overstate by
        // what was pushed meanwhile: clamp to the capacity.
        let popped = self.positions.popped();
        let pushed = self.positions.pushed();
        pushed.wrapping_sub(popped).min(self.capacity)
    }
    fn capacity(&self) -> usize {
        self.capacity
    }
    fn sent(&self) -> u64 {
        self.positions.pushed() as u64
    }
    fn received(&self) -> u64 {
        self.positions.popped() as u64
    }
}

/// The MPSC flavor's queue: the stamped ring with its CAS-free consumer.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never reachable by users
pub struct MpscQueue<T>(Ring<T>);

impl<T> RawQueue<T> for MpscQueue<T> {
    type Tx = ();
    type Rx = ();
    /// Producers claim `tail` with a `SeqCst` CAS; the single consumer
    /// moves `head` with a plain Release store.
    const PUSH_CLAIMS_SEQCST: bool = true;
    const POP_CLAIMS_SEQCST: bool = false;
    fn with_capacity(capacity: usize) -> Result<(Self, (), ()), CapacityError> {
        Ring::new(capacity).map(|ring| (MpscQueue(ring), (), ()))
    }
    #[inline]
    unsafe fn push(&self, (): &(), value: T) -> Result<(), T> {
        self.0.try_push(value).map_err(|f| f.0)
    }
    #[inline]
    unsafe fn pop(&self, (): &()) -> Option<T> {
        // SAFETY: an MPSC receiver is neither `Clone` nor `Sync`, and once
        // it is gone the drain lock serialises the drains: this is the
        // ring's only consumer.
        unsafe { self.0.try_pop_single() }
    }
    unsafe fn pop_batch(&self, (): &(), out: &mut Vec<T>, max: usize) -> usize {
        // SAFETY: as in `pop`.
        unsafe { self.0.pop_batch_single(out, max) }
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn capacity(&self) -> usize {
        self.0.capacity()
    }
    fn sent(&self) -> u64 {
        self.0.pushed()
    }
    fn received(&self) -> u64 {
        self.0.popped()
    }
}

impl<T> RawQueue<T> for mpmc::Queue<T> {
    type Tx = ();
    type Rx = ();
    /// Both sides claim with `SeqCst` CASes (`tail`, `head`).
    const PUSH_CLAIMS_SEQCST: bool = true;
    const POP_CLAIMS_SEQCST: bool = true;
    fn with_capacity(capacity: usize) -> Result<(Self, (), ()), CapacityError> {
        mpmc::Queue::try_new(capacity).map(|queue| (queue, (), ()))
    }
    #[inline]
    unsafe fn push(&self, (): &(), value: T) -> Result<(), T> {
        mpmc::Queue::push(self, value).map_err(|f| f.0)
    }
    #[inline]
    unsafe fn pop(&self, (): &()) -> Option<T> {
        mpmc::Queue::pop(self)
    }
    unsafe fn pop_batch(&self, (): &(), out: &mut Vec<T>, max: usize) -> usize {
        mpmc::Queue::pop_batch(self, out, max)
    }
    fn len(&self) -> usize {
        mpmc::Queue::len(self)
    }
    fn capacity(&self) -> usize {
        mpmc::Queue::capacity(self)
    }
    fn sent(&self) -> u64 {
        self.ring().pushed()
    }
    fn received(&self) -> u64 {
        self.ring().popped()
    }
}

impl sealed::Sealed for Spsc {
    type Queue<T> = SpscQueue<T>;
}
impl sealed::Sealed for Mpsc {
    type Queue<T> = MpscQueue<T>;
}
impl sealed::Sealed for Mpmc {
    type Queue<T> = mpmc::Queue<T>;
}
