//! Blocking channels with statistics on top of the queues of this crate
//! (`std` feature).
//!
//! | constructor | queue underneath | `Sender` | `Receiver` |
//! |---|---|---|---|
//! | [`spsc()`] | the [`spsc`](mod@crate::spsc) ring | one, `Send` | one, `Send` |
//! | [`mpsc()`] | the bounded [`mpsc`](mod@crate::mpsc) ring | `Clone + Sync` | one, `Send` |
//! | [`mpmc()`] | [`mpmc::Queue`] | `Clone + Sync` | `Clone + Sync` |
//!
//! # Waiting
//!
//! A blocking call first retries the queue following its [`WaitStrategy`]:
//! spin (with growing runs of spin hints), then yield, then park on a
//! condition variable. A sender or receiver that parks registers in a
//! waiter count, then issues a `SeqCst` fence and tries once more before it
//! sleeps; the other side, after every successful operation, issues a
//! `SeqCst` fence and reads that count. Of the two fenced sequences one
//! comes first, so either the waiter's last try sees the item (or space),
//! or the notifier sees the waiter and wakes it under the lock the waiter
//! holds until it sleeps: no lost wake-up (the loom model
//! `tests/loom_channel.rs` checks this). While nobody is parked, the only
//! cost of blocking support is that fence and one load of a line nobody
//! writes: no lock, no syscall.
//!
//! # Disconnection
//!
//! When the last sender goes, receivers drain what is left and then get
//! [`RecvError`]. When the last receiver goes, its drop drops every item
//! still inside at once (the senders may live on), and from then on sends
//! fail and return the value ([`SendError`]). A send that races that drop
//! either fails with its value or succeeds, and then its item is dropped
//! with the rest before the send returns or by the receiver's drop: no
//! item outlives the receivers, and none is dropped twice. If an item's
//! `Drop` panics there, the remaining items are still dropped while the
//! panic unwinds (a second panic aborts, as for `Vec`), and the panic
//! comes out of the receiver's drop (or of the racing send).
//!
//! # Capacity
//!
//! Capacity is exact and at least 1: capacity 0 is an error
//! ([`CapacityError`]), not a rendezvous channel as in crossbeam-channel,
//! where `bounded(0)` makes every send wait for a receiver. Capacity 1 is
//! the closest hand-off here; a send then returns once the item is in the
//! channel, not once it has been received.
//!
//! ```
//! use nanopath_queue::channel;
//! let (tx, rx) = channel::mpsc::<u64>(64);
//! let workers: Vec<_> = (0..4)
//!     .map(|w| {
//!         let tx = tx.clone();
//!         std::thread::spawn(move || (0..100).for_each(|i| tx.send(w * 100 + i).unwrap()))
//!     })
//!     .collect();
//! drop(tx);
//! let total: u64 = rx.iter().sum(); // ends when every sender is gone
//! assert_eq!(total, (0..400).sum());
//! workers.into_iter().for_each(|w| w.join().unwrap());
//! assert_eq!(rx.stats().received, 400);
//! ```

use crate::error::CapacityError;
use crate::sync::{
    Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, drop_each, fence, spin_loop, yield_now,
};
use crate::{mpmc, ring::Ring, spsc};
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use nanopath_atomic::{Backoff, CachePadded};
use std::time::{Duration, Instant};
use std::vec::Vec;

/// How a blocked `send` or `recv` waits.
///
/// ```
/// use nanopath_queue::channel::{self, WaitStrategy};
/// // A pinned core that must never sleep:
/// let (tx, rx) = channel::spsc_with::<u8>(16, WaitStrategy::busy_spin());
/// tx.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(WaitStrategy::default(), WaitStrategy::spin_yield_park());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitStrategy {
    /// Spin rounds before yielding; round `k` issues `2^min(k, 6)` spin
    /// hints (a [`Backoff`] from `nanopath-atomic`).
    pub spins: u32,
    /// `yield_now` calls after spinning, before parking.
    pub yields: u32,
    /// Park on a condition variable after that; `false` keeps spinning
    /// (with spin hints) for as long as the wait lasts.
    pub park: bool,
}

impl WaitStrategy {
    /// Never sleep, never yield: for threads pinned to their own cores.
    pub const fn busy_spin() -> Self {
        WaitStrategy {
            spins: u32::MAX,
            yields: 0,
            park: false,
        }
    }

    /// The default: spin briefly, yield a little, then park (a good citizen
    /// on shared machines, still fast when the other side is running).
    pub const fn spin_yield_park() -> Self {
        WaitStrategy {
            spins: 10,
            yields: 10,
            park: true,
        }
    }

    /// Park at once: lowest CPU use, highest wake-up latency.
    pub const fn park() -> Self {
        WaitStrategy {
            spins: 0,
            yields: 0,
            park: true,
        }
    }
}

impl Default for WaitStrategy {
    fn default() -> Self {
        Self::spin_yield_park()
    }
}

/// Counters of a channel's life so far: relaxed snapshots, free on the fast
/// path (`sent` and `received` come from the queue's own positions, or from
/// single-writer counters, and the other two count only slow-path events).
///
/// ```
/// let (tx, rx) = nanopath_queue::channel::spsc::<u8>(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).is_err());
/// rx.try_recv().unwrap();
/// assert!(rx.try_recv().is_err());
/// let s = rx.stats();
/// assert_eq!((s.sent, s.received, s.full_on_send, s.empty_on_recv), (1, 1, 1, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Items sent.
    pub sent: u64,
    /// Items taken out of the channel: received, or dropped by the last
    /// receiver's drop.
    pub received: u64,
    /// Sends that found the channel full (a failed `try_send`, or a `send`
    /// that had to wait).
    pub full_on_send: u64,
    /// Receives that found the channel empty (a failed `try_recv`, or a
    /// `recv` that had to wait).
    pub empty_on_recv: u64,
}

/// `send` on a channel whose receivers are all gone: the value comes back.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendError<T>(pub T);

/// Why `try_send` failed; the value comes back either way.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrySendError<T> {
    /// No free slot right now.
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// Why `send_timeout` failed; the value comes back either way.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendTimeoutError<T> {
    /// Still full at the deadline.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// `recv` on an empty channel whose senders are all gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecvError;

/// Why `try_recv` returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing ready right now.
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// Why `recv_timeout` returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// Still empty at the deadline.
    Timeout,
    /// Empty, and every sender is gone.
    Disconnected,
}

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc(1);
    /// drop(rx);
    /// assert_eq!(tx.send("a").unwrap_err().into_inner(), "a");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::spsc(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.try_send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Disconnected(v) => v,
        }
    }

    /// `true` for [`TrySendError::Full`].
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::spsc(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// `true` for [`TrySendError::Disconnected`].
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(1);
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TrySendError::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = nanopath_queue::channel::mpmc(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.send_timeout(2, Duration::ZERO).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Disconnected(v) => v,
        }
    }

    /// `true` for [`SendTimeoutError::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = nanopath_queue::channel::mpmc(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.send_timeout(2, Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// `true` for [`SendTimeoutError::Disconnected`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = nanopath_queue::channel::mpmc(1);
    /// drop(rx);
    /// assert!(tx.send_timeout(1, Duration::MAX).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, SendTimeoutError::Disconnected(_))
    }
}

impl TryRecvError {
    /// `true` for [`TryRecvError::Empty`].
    ///
    /// ```
    /// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// `true` for [`TryRecvError::Disconnected`].
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// drop(tx);
    /// assert!(rx.try_recv().unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TryRecvError::Disconnected)
    }
}

impl RecvTimeoutError {
    /// `true` for [`RecvTimeoutError::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// assert!(rx.recv_timeout(Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }

    /// `true` for [`RecvTimeoutError::Disconnected`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// drop(tx);
    /// assert!(rx.recv_timeout(Duration::MAX).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, RecvTimeoutError::Disconnected)
    }
}

/// A disconnected `send` is a disconnected `try_send`.
///
/// ```
/// use nanopath_queue::channel::{SendError, TrySendError};
/// assert_eq!(TrySendError::from(SendError(1)), TrySendError::Disconnected(1));
/// ```
impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Disconnected(e.0)
    }
}

/// A disconnected `send` is a disconnected `send_timeout`.
///
/// ```
/// use nanopath_queue::channel::{SendError, SendTimeoutError};
/// assert_eq!(SendTimeoutError::from(SendError(1)), SendTimeoutError::Disconnected(1));
/// ```
impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Disconnected(e.0)
    }
}

/// A failed `recv` is a disconnected `try_recv`.
///
/// ```
/// use nanopath_queue::channel::{RecvError, TryRecvError};
/// assert_eq!(TryRecvError::from(RecvError), TryRecvError::Disconnected);
/// ```
impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Disconnected
    }
}

/// A failed `recv` is a disconnected `recv_timeout`.
///
/// ```
/// use nanopath_queue::channel::{RecvError, RecvTimeoutError};
/// assert_eq!(RecvTimeoutError::from(RecvError), RecvTimeoutError::Disconnected);
/// ```
impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        RecvTimeoutError::Disconnected
    }
}

const GONE_RECEIVERS: &str = "sending on a channel whose receivers are gone";
const GONE_SENDERS: &str = "receiving on an empty channel whose senders are gone";

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(GONE_RECEIVERS)
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "sending on a full channel",
            TrySendError::Disconnected(_) => GONE_RECEIVERS,
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "timed out sending on a full channel",
            SendTimeoutError::Disconnected(_) => GONE_RECEIVERS,
        })
    }
}

// The value may not be `Debug`; the variant is what matters.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(GONE_SENDERS)
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receiving on an empty channel",
            TryRecvError::Disconnected => GONE_SENDERS,
        })
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out receiving on an empty channel",
            RecvTimeoutError::Disconnected => GONE_SENDERS,
        })
    }
}

impl<T> std::error::Error for SendError<T> {}
impl<T> std::error::Error for TrySendError<T> {}
impl<T> std::error::Error for SendTimeoutError<T> {}
impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}
impl std::error::Error for RecvTimeoutError {}

mod sealed {
    use super::*;

    /// The queue under a channel flavor, split by who may reach what: the
    /// queue itself is shared by every handle (so it holds only what any
    /// end may read at any time: positions, counts, capacity), while `Tx`
    /// and `Rx` are the single-owner ends, each reachable only from the one
    /// handle that owns it. `push`/`pop` are `unsafe`: the flavor's handle
    /// types decide who may call them concurrently.
    pub trait RawQueue<T>: Sized {
        /// The sending handle's own state: the SPSC producer, or `()` where
        /// senders share everything.
        type Tx;
        /// The receiving handle's own state: the SPSC consumer, or `()`
        /// where receivers share everything. The last receiver's drop moves
        /// it into the channel's drain slot.
        type Rx;
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

use sealed::RawQueue;

/// A sending handle's own end of the queue of flavor `F`.
type TxEnd<T, F> = <<F as sealed::Sealed>::Queue<T> as RawQueue<T>>::Tx;
/// A receiving handle's own end of the queue of flavor `F`.
type RxEnd<T, F> = <<F as sealed::Sealed>::Queue<T> as RawQueue<T>>::Rx;

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

/// Adds `n` to a counter that has one writer at a time.
#[inline]
fn bump(counter: &AtomicUsize, n: usize) {
    // Relaxed: a statistic; its one writer at a time reads its own last
    // store, or one ordered before it by the drain lock.
    let count = counter.load(Ordering::Relaxed);
    counter.store(count.wrapping_add(n), Ordering::Relaxed);
}

/// What both ends of an SPSC channel read: the counts and the capacity.
/// The producer and consumer themselves live in the handles (`Tx`, `Rx`),
/// so no handle ever forms a reference to the other's state.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never reachable by users
pub struct SpscQueue<T> {
    /// Items pushed so far (wrapping); written only by the sender, after
    /// each push.
    sent: CachePadded<AtomicUsize>,
    /// Items popped so far (wrapping); written only by the holder of the
    /// consumer (the receiver, then the drain under its lock), after each
    /// pop.
    received: CachePadded<AtomicUsize>,
    /// Exact capacity, `1..=usize::MAX / 2`; never changes.
    capacity: usize,
    /// The items themselves are owned by the ring the two ends share.
    items: PhantomData<fn(T) -> T>,
}

impl<T> RawQueue<T> for SpscQueue<T> {
    type Tx = UnsafeCell<spsc::Producer<T>>;
    type Rx = UnsafeCell<spsc::Consumer<T>>;
    fn with_capacity(capacity: usize) -> Result<(Self, Self::Tx, Self::Rx), CapacityError> {
        if capacity == 0 {
            return Err(CapacityError {
                requested: 0,
                minimum: 1,
                maximum: spsc::max_capacity::<T>(),
            });
        }
        let (tx, rx) = spsc::try_channel(capacity)?;
        let queue = SpscQueue {
            sent: CachePadded::new(AtomicUsize::new(0)),
            received: CachePadded::new(AtomicUsize::new(0)),
            capacity,
            items: PhantomData,
        };
        Ok((queue, UnsafeCell::new(tx), UnsafeCell::new(rx)))
    }
    #[inline]
    unsafe fn push(&self, tx: &Self::Tx, value: T) -> Result<(), T> {
        // SAFETY: the caller's contract: nobody else uses the producer
        // during this call (the SPSC sender is neither `Clone` nor `Sync`,
        // and `push` runs no user code while the borrow lives).
        let producer = unsafe { &mut *tx.get() };
        producer.push(value).map_err(|f| f.0)?;
        bump(&self.sent, 1);
        Ok(())
    }
    #[inline]
    unsafe fn pop(&self, rx: &Self::Rx) -> Option<T> {
        // SAFETY: as in `push`, for the consumer: the SPSC receiver is
        // neither `Clone` nor `Sync`, and once it is gone the drain lock
        // serialises the drains.
        let consumer = unsafe { &mut *rx.get() };
        let value = consumer.pop()?;
        bump(&self.received, 1);
        Some(value)
    }
    unsafe fn pop_batch(&self, rx: &Self::Rx, out: &mut Vec<T>, max: usize) -> usize {
        // SAFETY: as in `pop`.
        let consumer = unsafe { &mut *rx.get() };
        let n = consumer.pop_batch(out, max);
        bump(&self.received, n);
        n
    }
    fn len(&self) -> usize {
        // Relaxed: a snapshot. Each count trails its ring position by at
        // most the item being moved right now, so the difference may be
        // one outside `0..=capacity` for a moment: clamp it.
        let received = self.received.load(Ordering::Relaxed);
        let sent = self.sent.load(Ordering::Relaxed);
        let len = sent.wrapping_sub(received) as isize;
        // `capacity <= usize::MAX / 2` fits in an `isize`.
        len.clamp(0, self.capacity as isize) as usize
    }
    fn capacity(&self) -> usize {
        self.capacity
    }
    fn sent(&self) -> u64 {
        // Relaxed: a statistic.
        self.sent.load(Ordering::Relaxed) as u64
    }
    fn received(&self) -> u64 {
        // Relaxed: a statistic.
        self.received.load(Ordering::Relaxed) as u64
    }
}

/// The MPSC flavor's queue: the stamped ring with its CAS-free consumer.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // never reachable by users
pub struct MpscQueue<T>(Ring<T>);

impl<T> RawQueue<T> for MpscQueue<T> {
    type Tx = ();
    type Rx = ();
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

/// Threads parked waiting for one side's event (an item, or free space).
struct Waiters {
    /// Threads registered to park: incremented under `lock` before the
    /// waiter's last try, decremented when it stops waiting.
    count: AtomicUsize,
    lock: Mutex<()>,
    cond: Condvar,
}

impl Waiters {
    fn new() -> Self {
        Waiters {
            count: AtomicUsize::new(0),
            lock: Mutex::new(()),
            cond: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data, so a poisoned one is still usable.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called after an operation that may unblock this side's waiters.
    #[inline]
    fn notify(&self) {
        // SeqCst fence: pairs with the waiter's fence after it registers
        // (see the module docs); then a Relaxed load of the count suffices.
        fence(Ordering::SeqCst);
        self.notify_fenced();
    }

    /// `notify` for a caller that has just issued the `SeqCst` fence.
    #[inline]
    fn notify_fenced(&self) {
        // Relaxed: after the caller's fence (see `notify`).
        if self.count.load(Ordering::Relaxed) != 0 {
            self.notify_all();
        }
    }

    /// Wakes every parked thread, unconditionally (disconnection).
    #[cold]
    fn notify_all(&self) {
        // Taking the lock orders the wake-up after any waiter's last try:
        // a waiter holds it from registering until it sleeps.
        drop(self.lock());
        self.cond.notify_all();
    }
}

/// Live sender and receiver handles; the channel is disconnected for one
/// side when the other side's count reaches zero.
struct Handles {
    senders: AtomicUsize,
    receivers: AtomicUsize,
}

/// What one attempt of a blocking operation found; `S` is what the
/// operation carries between attempts (the value, for a send).
enum Step<R, S> {
    Done(R),
    Again(S),
    Closed(S),
}

/// Why a wait ended without a result.
enum WaitEnd {
    Timeout,
    Closed,
}

struct Chan<T, F: Flavor> {
    /// The shared part of the queue; the handles hold their own ends.
    queue: F::Queue<T>,
    /// Waiting receivers (woken by senders).
    receivers_waiting: CachePadded<Waiters>,
    /// Waiting senders (woken by receivers).
    senders_waiting: CachePadded<Waiters>,
    /// Live handles: read on every send (receivers) and on empty receives
    /// (senders), written only on clone and drop, so they get a line of
    /// their own that stays shared in every core's cache.
    handles: CachePadded<Handles>,
    /// Slow-path counters, each on its own line: a receiver counting an
    /// empty poll must not invalidate a line the sender reads per send.
    full_on_send: CachePadded<AtomicUsize>,
    empty_on_recv: CachePadded<AtomicUsize>,
    wait: WaitStrategy,
    /// The receivers' end once the last receiver is gone (`None` before):
    /// the last receiver's drop moves its end here and drains through it,
    /// and a send that finds no receiver left after its push drains through
    /// it too. Holding the lock is the right to pop: it makes every drain
    /// the queue's only consumer. Touched only at disconnection.
    orphan: Mutex<Option<RxEnd<T, F>>>,
    flavor: PhantomData<F>,
}

impl<T, F: Flavor> Chan<T, F> {
    /// Runs `attempt` until it is done, closed, or `deadline` passes,
    /// waiting between tries as the strategy says and parking on `waiters`.
    /// `state` goes into each attempt and comes back from a failed one.
    fn wait<S, R>(
        &self,
        waiters: &Waiters,
        deadline: Option<Instant>,
        mut state: S,
        mut attempt: impl FnMut(S) -> Step<R, S>,
    ) -> Result<R, (S, WaitEnd)> {
        let backoff = Backoff::new();
        let mut round: u32 = 0;
        loop {
            state = match attempt(state) {
                Step::Done(r) => return Ok(r),
                Step::Closed(s) => return Err((s, WaitEnd::Closed)),
                Step::Again(s) => s,
            };
            let now = deadline.map(|d| (d, Instant::now()));
            if let Some((d, now)) = now
                && now >= d
            {
                return Err((state, WaitEnd::Timeout));
            }
            if round < self.wait.spins {
                backoff.spin();
                round += 1;
            } else if round - self.wait.spins < self.wait.yields {
                yield_now();
                round += 1;
            } else if self.wait.park {
                let guard = waiters.lock();
                // Relaxed increment, then a SeqCst fence: the fence pairs
                // with the one in `notify` (the fences, not the increment,
                // give the Dekker-style guarantee in the module docs).
                waiters.count.fetch_add(1, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                let step = attempt(state);
                if let Step::Again(_) = step {
                    // Sleep; the lock is released while asleep, and held from
                    // registering until here, so no notifier slips between
                    // our last try and the sleep.
                    match now {
                        None => drop(waiters.cond.wait(guard)),
                        Some((d, now)) => drop(waiters.cond.wait_timeout(guard, d - now)),
                    }
                } else {
                    drop(guard);
                }
                // Relaxed: a stale non-zero count only costs a notifier a
                // spare lock; a waiter always re-registers before sleeping.
                waiters.count.fetch_sub(1, Ordering::Relaxed);
                state = match step {
                    Step::Done(r) => return Ok(r),
                    Step::Closed(s) => return Err((s, WaitEnd::Closed)),
                    Step::Again(s) => s,
                };
            } else {
                spin_loop();
            }
        }
    }

    /// One send attempt through the sender's end `tx`; a failed one hands
    /// the value back.
    #[inline]
    fn attempt_send(&self, tx: &TxEnd<T, F>, value: T) -> Step<(), T> {
        // Acquire: pairs with the last receiver's Release on drop.
        if self.handles.receivers.load(Ordering::Acquire) == 0 {
            return Step::Closed(value);
        }
        // SAFETY: `tx` is the calling sender's own end, and the `Sender`
        // methods that reach here are only callable as concurrently as the
        // flavor allows (`Sync`/`Clone` per flavor).
        match unsafe { self.queue.push(tx, value) } {
            Ok(()) => Step::Done(()),
            Err(value) => Step::Again(value),
        }
    }

    /// What every successful send does next: wake a parked receiver, and
    /// drop what is queued if the receivers went meanwhile.
    #[inline]
    fn sent_one(&self) {
        // SeqCst fence: pairs with a parking receiver's fence (module docs)
        // and with the last receiver's fence in `receiver_gone`. Of our
        // push-then-fence and its count-drop-then-fence, one comes first:
        // either its drain sees our item, or our load below sees zero
        // receivers (possibly both; the drains share a lock).
        fence(Ordering::SeqCst);
        self.receivers_waiting.notify_fenced();
        // Relaxed: after the fence above.
        if self.handles.receivers.load(Ordering::Relaxed) == 0 {
            self.drain_orphaned();
        }
    }

    /// A send found no receiver left after its push: drop what is queued,
    /// our item included, unless the last receiver has not taken the
    /// drain lock yet (then its drain comes after us and sees our item).
    #[cold]
    fn drain_orphaned(&self) {
        let orphan = lock(&self.orphan);
        if let Some(rx) = orphan.as_ref() {
            // SAFETY: we hold the drain lock, and `rx` is the receivers'
            // end left there by the last receiver.
            unsafe { self.drain(rx) };
        }
    }

    /// Pops and drops every item left. If an item's `Drop` panics, the
    /// rest are still dropped while the panic unwinds.
    ///
    /// # Safety
    ///
    /// The caller holds the `orphan` lock, and `rx` is the end kept there
    /// (so every receiver is gone and this is the only consumer).
    unsafe fn drain(&self, rx: &RxEnd<T, F>) {
        drop_each(|| {
            // SAFETY: the caller's contract: we are the only consumer.
            // `pop` moves the item out before it is dropped, as `drop_each`
            // requires.
            match unsafe { self.queue.pop(rx) } {
                Some(item) => {
                    drop(item);
                    true
                }
                None => false,
            }
        });
    }

    /// A receiver's drop: the last one moves its end into the drain slot,
    /// wakes parked senders (their sends now fail) and drops every item
    /// left.
    fn receiver_gone(&self, rx: RxEnd<T, F>) {
        // AcqRel: Release publishes our pops to the drain (which also
        // takes the lock after us); Acquire sees the other receivers'.
        if self.handles.receivers.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // SeqCst fence: pairs with the one in `sent_one` (see there).
        fence(Ordering::SeqCst);
        // Wake parked senders first: if an item's `Drop` panics below, they
        // must not sleep on.
        self.senders_waiting.notify_all();
        let mut orphan = lock(&self.orphan);
        let rx = orphan.insert(rx);
        // SAFETY: we hold the drain lock and `rx` is the end kept there.
        unsafe { self.drain(rx) };
    }

    /// One receive attempt through the receiver's end `rx`.
    #[inline]
    fn attempt_recv(&self, rx: &RxEnd<T, F>) -> Step<T, ()> {
        // SAFETY: as in `attempt_send`, for receivers.
        if let Some(v) = unsafe { self.queue.pop(rx) } {
            return Step::Done(v);
        }
        // Acquire: pairs with the last sender's Release on drop, so its
        // pushes are visible to the second look below.
        if self.handles.senders.load(Ordering::Acquire) == 0 {
            // SAFETY: as above.
            return match unsafe { self.queue.pop(rx) } {
                Some(v) => Step::Done(v),
                None => Step::Closed(()),
            };
        }
        Step::Again(())
    }

    fn send(
        &self,
        tx: &TxEnd<T, F>,
        value: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let outcome = match self.attempt_send(tx, value) {
            Step::Done(()) => Ok(()),
            Step::Closed(value) => Err((value, WaitEnd::Closed)),
            Step::Again(value) => {
                // Relaxed: a statistic.
                self.full_on_send.fetch_add(1, Ordering::Relaxed);
                self.wait(&self.senders_waiting, deadline, value, |v| {
                    self.attempt_send(tx, v)
                })
            }
        };
        match outcome {
            Ok(()) => {
                self.sent_one();
                Ok(())
            }
            Err((value, WaitEnd::Timeout)) => Err(SendTimeoutError::Timeout(value)),
            Err((value, WaitEnd::Closed)) => Err(SendTimeoutError::Disconnected(value)),
        }
    }

    fn recv(&self, rx: &RxEnd<T, F>, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let outcome = match self.attempt_recv(rx) {
            Step::Done(v) => Ok(v),
            Step::Closed(()) => Err(((), WaitEnd::Closed)),
            Step::Again(()) => {
                // Relaxed: a statistic.
                self.empty_on_recv.fetch_add(1, Ordering::Relaxed);
                self.wait(&self.receivers_waiting, deadline, (), |()| {
                    self.attempt_recv(rx)
                })
            }
        };
        match outcome {
            Ok(v) => {
                self.senders_waiting.notify();
                Ok(v)
            }
            Err((_, WaitEnd::Timeout)) => Err(RecvTimeoutError::Timeout),
            Err((_, WaitEnd::Closed)) => Err(RecvTimeoutError::Disconnected),
        }
    }

    fn stats(&self) -> Stats {
        Stats {
            sent: self.queue.sent(),
            received: self.queue.received(),
            // Relaxed: statistics.
            full_on_send: self.full_on_send.load(Ordering::Relaxed) as u64,
            empty_on_recv: self.empty_on_recv.load(Ordering::Relaxed) as u64,
        }
    }
}

/// Locks `m`; a poisoned lock (an item's `Drop` panicked in a drain) is
/// still usable: the drain leaves nothing half done.
fn lock<D>(m: &Mutex<D>) -> MutexGuard<'_, D> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The sending half of a channel; see the [module docs](self).
pub struct Sender<T, F: Flavor = Mpmc> {
    chan: Arc<Chan<T, F>>,
    /// This sender's own end of the queue (the SPSC producer; `()` for
    /// the flavors whose senders share everything). Reachable only through
    /// this handle.
    end: TxEnd<T, F>,
}

/// The receiving half of a channel; see the [module docs](self).
pub struct Receiver<T, F: Flavor = Mpmc> {
    chan: Arc<Chan<T, F>>,
    /// This receiver's own end of the queue (the SPSC consumer; `()` for
    /// MPSC and MPMC). Reachable only through this handle; taken by `drop`,
    /// which hands it to the channel's drain slot if this is the last
    /// receiver.
    end: ManuallyDrop<RxEnd<T, F>>,
}

// SAFETY: a handle moves `T`s in or out (needs `T: Send`); the flavor's
// single-user ends live inside handles that are not `Clone` or `Sync`, so
// moving a handle to another thread moves its end's only user.
unsafe impl<T: Send, F: Flavor> Send for Sender<T, F> {}
// SAFETY: as for `Sender`.
unsafe impl<T: Send, F: Flavor> Send for Receiver<T, F> {}
// SAFETY: MPSC and MPMC queues take any number of concurrent producers.
unsafe impl<T: Send> Sync for Sender<T, Mpsc> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Sender<T, Mpmc> {}
// SAFETY: the MPMC queue takes any number of concurrent consumers.
unsafe impl<T: Send> Sync for Receiver<T, Mpmc> {}

fn unwrap_capacity<P>(r: Result<P, CapacityError>) -> P {
    match r {
        Ok(pair) => pair,
        Err(e) => panic!("{e}"),
    }
}

/// An SPSC channel of exactly `capacity` slots with the default
/// [`WaitStrategy`].
///
/// # Panics
///
/// If `capacity` is 0 (there is no rendezvous channel; see
/// [Capacity](self#capacity)) or too large; [`try_with`] returns an error
/// instead.
///
/// ```
/// let (tx, rx) = nanopath_queue::channel::spsc(8);
/// std::thread::spawn(move || (0..100).for_each(|i| tx.send(i).unwrap()));
/// assert_eq!(rx.iter().collect::<Vec<_>>(), (0..100).collect::<Vec<_>>());
/// ```
pub fn spsc<T>(capacity: usize) -> (Sender<T, Spsc>, Receiver<T, Spsc>) {
    unwrap_capacity(try_with(capacity, WaitStrategy::default()))
}

/// [`spsc()`] with a chosen [`WaitStrategy`].
///
/// # Panics
///
/// As for [`spsc()`].
///
/// ```
/// use nanopath_queue::channel::{self, WaitStrategy};
/// let (tx, rx) = channel::spsc_with(8, WaitStrategy::park());
/// tx.send('x').unwrap();
/// assert_eq!(rx.recv(), Ok('x'));
/// ```
pub fn spsc_with<T>(capacity: usize, wait: WaitStrategy) -> (Sender<T, Spsc>, Receiver<T, Spsc>) {
    unwrap_capacity(try_with(capacity, wait))
}

/// An MPSC channel of exactly `capacity` slots with the default
/// [`WaitStrategy`].
///
/// # Panics
///
/// If `capacity` is 0 (there is no rendezvous channel; see
/// [Capacity](self#capacity)) or too large; [`try_with`] returns an error
/// instead.
///
/// ```
/// let (tx, rx) = nanopath_queue::channel::mpsc(4);
/// let tx2 = tx.clone();
/// tx.send(1).unwrap();
/// tx2.send(2).unwrap();
/// assert_eq!(rx.recv().unwrap() + rx.recv().unwrap(), 3);
/// ```
pub fn mpsc<T>(capacity: usize) -> (Sender<T, Mpsc>, Receiver<T, Mpsc>) {
    unwrap_capacity(try_with(capacity, WaitStrategy::default()))
}

/// [`mpsc()`] with a chosen [`WaitStrategy`].
///
/// # Panics
///
/// As for [`mpsc()`].
///
/// ```
/// use nanopath_queue::channel::{self, WaitStrategy};
/// let (tx, rx) = channel::mpsc_with(4, WaitStrategy::busy_spin());
/// tx.send(1u8).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn mpsc_with<T>(capacity: usize, wait: WaitStrategy) -> (Sender<T, Mpsc>, Receiver<T, Mpsc>) {
    unwrap_capacity(try_with(capacity, wait))
}

/// An MPMC channel of exactly `capacity` slots with the default
/// [`WaitStrategy`].
///
/// # Panics
///
/// If `capacity` is 0 (there is no rendezvous channel; see
/// [Capacity](self#capacity)) or too large; [`try_with`] returns an error
/// instead.
///
/// ```
/// let (tx, rx) = nanopath_queue::channel::mpmc(4);
/// let rx2 = rx.clone();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// assert_eq!(rx.recv().unwrap() + rx2.recv().unwrap(), 3);
/// ```
pub fn mpmc<T>(capacity: usize) -> (Sender<T, Mpmc>, Receiver<T, Mpmc>) {
    unwrap_capacity(try_with(capacity, WaitStrategy::default()))
}

/// [`mpmc()`] with a chosen [`WaitStrategy`].
///
/// # Panics
///
/// As for [`mpmc()`].
///
/// ```
/// use nanopath_queue::channel::{self, WaitStrategy};
/// let (tx, rx) = channel::mpmc_with(4, WaitStrategy::park());
/// tx.send(1u8).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn mpmc_with<T>(capacity: usize, wait: WaitStrategy) -> (Sender<T, Mpmc>, Receiver<T, Mpmc>) {
    unwrap_capacity(try_with(capacity, wait))
}

/// Any flavor, without panicking: the flavor is the type parameter.
///
/// # Errors
///
/// [`CapacityError`] if `capacity` is 0 (unlike crossbeam-channel's
/// `bounded(0)`, not a rendezvous channel; see [Capacity](self#capacity)),
/// or too large for the queue: past its position arithmetic, or slots that
/// would not fit in `isize::MAX` bytes.
///
/// ```
/// use nanopath_queue::channel::{self, Mpmc, Mpsc, Spsc, WaitStrategy};
/// assert!(channel::try_with::<u8, Mpsc>(0, WaitStrategy::default()).is_err());
/// assert!(channel::try_with::<u64, Spsc>(usize::MAX / 2, WaitStrategy::default()).is_err());
/// assert!(channel::try_with::<u64, Mpmc>(usize::MAX / 4, WaitStrategy::default()).is_err());
/// let (tx, rx) = channel::try_with::<u8, Mpsc>(2, WaitStrategy::default()).unwrap();
/// tx.send(3).unwrap();
/// assert_eq!(rx.recv(), Ok(3));
/// ```
#[allow(clippy::type_complexity)] // a pair of handles in a `Result`
pub fn try_with<T, F: Flavor>(
    capacity: usize,
    wait: WaitStrategy,
) -> Result<(Sender<T, F>, Receiver<T, F>), CapacityError> {
    let (queue, tx, rx) = F::Queue::<T>::with_capacity(capacity)?;
    let chan = Arc::new(Chan {
        queue,
        receivers_waiting: CachePadded::new(Waiters::new()),
        senders_waiting: CachePadded::new(Waiters::new()),
        handles: CachePadded::new(Handles {
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }),
        full_on_send: CachePadded::new(AtomicUsize::new(0)),
        empty_on_recv: CachePadded::new(AtomicUsize::new(0)),
        wait,
        orphan: Mutex::new(None),
        flavor: PhantomData,
    });
    let sender = Sender {
        chan: chan.clone(),
        end: tx,
    };
    let receiver = Receiver {
        chan,
        end: ManuallyDrop::new(rx),
    };
    Ok((sender, receiver))
}

impl<T, F: Flavor> Sender<T, F> {
    /// Sends without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Disconnected`], with the
    /// value.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, TrySendError};
    /// let (tx, rx) = channel::spsc(1);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// ```
    #[inline]
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let chan = &*self.chan;
        match chan.attempt_send(&self.end, value) {
            Step::Done(()) => {
                chan.sent_one();
                Ok(())
            }
            Step::Again(value) => {
                // Relaxed: a statistic.
                chan.full_on_send.fetch_add(1, Ordering::Relaxed);
                Err(TrySendError::Full(value))
            }
            Step::Closed(value) => Err(TrySendError::Disconnected(value)),
        }
    }

    /// Sends, waiting for space as the channel's [`WaitStrategy`] says.
    ///
    /// If the last receiver goes while this send is pushing, the item is
    /// dropped with the rest of the queue (see the
    /// [module docs](self#disconnection)), possibly by this call.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpmc(1);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    #[inline]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan
            .send(&self.end, value, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends, waiting at most `timeout` for space.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Disconnected`],
    /// with the value.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, SendTimeoutError};
    /// use std::time::Duration;
    /// let (tx, _rx) = channel::spsc(1);
    /// tx.send(1).unwrap();
    /// let err = tx.send_timeout(2, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err, SendTimeoutError::Timeout(2));
    /// ```
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        // A timeout too large to represent waits forever.
        self.chan
            .send(&self.end, value, Instant::now().checked_add(timeout))
    }

    /// Items in the channel right now (a snapshot).
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::mpsc(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// `len() == 0`.
    ///
    /// ```
    /// assert!(nanopath_queue::channel::mpsc::<u8>(4).0.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len() == capacity()`.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::mpsc(1);
    /// tx.send(()).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::channel::spsc::<u8>(6).0.capacity(), 6);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.queue.capacity()
    }

    /// `true` once every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc::<u8>(1);
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        // Acquire: as in `attempt_send`.
        self.chan.handles.receivers.load(Ordering::Acquire) == 0
    }

    /// The channel's counters.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::mpmc(2);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.stats().sent, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        self.chan.stats()
    }
}

impl<T, F: Flavor> Receiver<T, F> {
    /// Receives without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Disconnected`] once the
    /// channel is empty and every sender is gone.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, TryRecvError};
    /// let (tx, rx) = channel::spsc(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1)); // drained before disconnection shows
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let chan = &*self.chan;
        match chan.attempt_recv(&self.end) {
            Step::Done(v) => {
                chan.senders_waiting.notify();
                Ok(v)
            }
            Step::Again(()) => {
                // Relaxed: a statistic.
                chan.empty_on_recv.fetch_add(1, Ordering::Relaxed);
                Err(TryRecvError::Empty)
            }
            Step::Closed(()) => Err(TryRecvError::Disconnected),
        }
    }

    /// Receives, waiting for an item as the channel's [`WaitStrategy`] says.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc(1);
    /// std::thread::spawn(move || tx.send(7).unwrap());
    /// assert_eq!(rx.recv(), Ok(7));
    /// assert_eq!(rx.recv(), Err(nanopath_queue::channel::RecvError));
    /// ```
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.chan.recv(&self.end, None).map_err(|_| RecvError)
    }

    /// Receives, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`], or [`RecvTimeoutError::Disconnected`]
    /// once the channel is empty and every sender is gone.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, RecvTimeoutError};
    /// use std::time::Duration;
    /// let (_tx, rx) = channel::mpmc::<u8>(1);
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.chan
            .recv(&self.end, Instant::now().checked_add(timeout))
    }

    /// Waits for at least one item, then moves up to `max` ready items to
    /// the end of `out` without waiting further; returns how many (at least
    /// one unless `max` is 0). `out` grows by at most `max`.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(8);
    /// (0..5).for_each(|i| tx.send(i).unwrap());
    /// let mut out = Vec::new();
    /// assert_eq!(rx.recv_batch(&mut out, 3), Ok(3));
    /// assert_eq!(rx.recv_batch(&mut out, 10), Ok(2));
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// ```
    pub fn recv_batch(&self, out: &mut Vec<T>, max: usize) -> Result<usize, RecvError> {
        if max == 0 {
            return Ok(0);
        }
        let first = self.recv()?;
        out.push(first);
        // SAFETY: as in `attempt_recv`: this receiver's flavor rules apply.
        let more = unsafe { self.chan.queue.pop_batch(&self.end, out, max - 1) };
        if more > 0 {
            self.chan.senders_waiting.notify();
        }
        Ok(1 + more)
    }

    /// A blocking iterator: yields until the channel is empty and every
    /// sender is gone.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T, F> {
        Iter { receiver: self }
    }

    /// A non-blocking iterator over the items ready right now.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T, F> {
        TryIter { receiver: self }
    }

    /// Items in the channel right now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpmc(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// `len() == 0`.
    ///
    /// ```
    /// assert!(nanopath_queue::channel::mpmc::<u8>(4).1.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len() == capacity()`.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(1);
    /// tx.send(()).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The exact capacity.
    ///
    /// ```
    /// assert_eq!(nanopath_queue::channel::mpmc::<u8>(6).1.capacity(), 6);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.queue.capacity()
    }

    /// `true` once every sender is gone (items may still be inside).
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        // Acquire: as in `attempt_recv`.
        self.chan.handles.senders.load(Ordering::Acquire) == 0
    }

    /// The channel's counters.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(2);
    /// tx.send(1).unwrap();
    /// rx.recv().unwrap();
    /// assert_eq!(rx.stats().received, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        self.chan.stats()
    }
}

impl<T> Clone for Sender<T, Mpsc> {
    fn clone(&self) -> Self {
        // Relaxed: like `Arc::clone`, the new handle is reached through an
        // existing one.
        self.chan.handles.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
            end: (),
        }
    }
}

impl<T> Clone for Sender<T, Mpmc> {
    fn clone(&self) -> Self {
        // Relaxed: as above.
        self.chan.handles.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
            end: (),
        }
    }
}

impl<T> Clone for Receiver<T, Mpmc> {
    fn clone(&self) -> Self {
        // Relaxed: as above.
        self.chan.handles.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver {
            chan: self.chan.clone(),
            end: ManuallyDrop::new(()),
        }
    }
}

impl<T, F: Flavor> Drop for Sender<T, F> {
    fn drop(&mut self) {
        // AcqRel: Release publishes our sends to receivers that see zero.
        if self.chan.handles.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.receivers_waiting.notify_all();
        }
    }
}

impl<T, F: Flavor> Drop for Receiver<T, F> {
    /// The last receiver's drop drops every item still queued (see the
    /// [module docs](self)).
    fn drop(&mut self) {
        // SAFETY: the end is taken once, here, and never touched again.
        let end = unsafe { ManuallyDrop::take(&mut self.end) };
        self.chan.receiver_gone(end);
    }
}

/// Blocking iterator from [`Receiver::iter`].
pub struct Iter<'a, T, F: Flavor> {
    receiver: &'a Receiver<T, F>,
}

/// Non-blocking iterator from [`Receiver::try_iter`].
pub struct TryIter<'a, T, F: Flavor> {
    receiver: &'a Receiver<T, F>,
}

/// Owning blocking iterator from `Receiver::into_iter`.
pub struct IntoIter<T, F: Flavor> {
    receiver: Receiver<T, F>,
}

impl<T, F: Flavor> Iterator for Iter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T, F: Flavor> Iterator for TryIter<'_, T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T, F: Flavor> Iterator for IntoIter<T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T, F: Flavor> IntoIterator for &'a Receiver<T, F> {
    type Item = T;
    type IntoIter = Iter<'a, T, F>;
    fn into_iter(self) -> Iter<'a, T, F> {
        self.iter()
    }
}

impl<T, F: Flavor> IntoIterator for Receiver<T, F> {
    type Item = T;
    type IntoIter = IntoIter<T, F>;
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(2);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.into_iter().sum::<i32>(), 1);
    /// ```
    fn into_iter(self) -> IntoIter<T, F> {
        IntoIter { receiver: self }
    }
}

macro_rules! debug_handle {
    ($($ty:ident),*) => {$(
        impl<T, F: Flavor> fmt::Debug for $ty<T, F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("len", &self.len())
                    .field("capacity", &self.capacity())
                    .finish_non_exhaustive()
            }
        }
    )*};
}
debug_handle!(Sender, Receiver);

macro_rules! debug_iter {
    ($($ty:ident $(<$lt:lifetime>)?),*) => {$(
        impl<$($lt,)? T, F: Flavor> fmt::Debug for $ty<$($lt,)? T, F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
debug_iter!(Iter<'a>, TryIter<'a>, IntoIter);
