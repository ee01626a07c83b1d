//! The handles: [`Sender`], [`Receiver`] and the receiver's iterators.

use super::chan::{Chan, Stats};
use super::error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use super::flavors::{Flavor, Mpmc, Mpsc, RawQueue, RxEnd, TxEnd};
use super::waiting::Step;
use crate::sync::{Arc, Ordering};
use core::fmt;
use core::mem::ManuallyDrop;
use std::time::{Duration, Instant};
use std::vec::Vec;

/// The sending half of a channel; see the [module docs](super).
///
/// The flavor is part of the type, with no default: `Sender<T, Mpsc>`,
/// not a `Sender<T>` that silently means one of them (the constructor
/// names it: `channel::mpsc` gives `Sender<T, Mpsc>`).
///
/// ```compile_fail
/// fn takes(_: nanopath_queue::channel::Sender<u8>) {}
/// ```
///
/// ```
/// use nanopath_queue::channel::{self, Mpsc, Sender};
/// fn takes(tx: Sender<u8, Mpsc>) { tx.send(1).unwrap() }
/// let (tx, rx) = channel::mpsc(1);
/// takes(tx);
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub struct Sender<T, F: Flavor> {
    /// The shared core; the handle counts in it include this handle.
    pub(super) chan: Arc<Chan<T, F>>,
    /// This sender's own end of the queue (the SPSC producer; `()` for
    /// the flavors whose senders share everything). Reachable only through
    /// this handle.
    pub(super) end: TxEnd<T, F>,
}

/// The receiving half of a channel; see the [module docs](super). Its
/// flavor has no default either (see [`Sender`]).
pub struct Receiver<T, F: Flavor> {
    /// The shared core; the handle counts in it include this handle.
    pub(super) chan: Arc<Chan<T, F>>,
    /// This receiver's own end of the queue (the SPSC consumer; `()` for
    /// MPSC and MPMC). Reachable only through this handle; taken by `drop`,
    /// which hands it to the channel's drain slot if this is the last
    /// receiver.
    pub(super) end: ManuallyDrop<RxEnd<T, F>>,
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

/// The two handles of a new channel around `chan`, each with its own end.
pub(super) fn pair<T, F: Flavor>(
    chan: Chan<T, F>,
    tx: TxEnd<T, F>,
    rx: RxEnd<T, F>,
) -> (Sender<T, F>, Receiver<T, F>) {
    let chan = Arc::new(chan);
    let sender = Sender {
        chan: chan.clone(),
        end: tx,
    };
    let receiver = Receiver {
        chan,
        end: ManuallyDrop::new(rx),
    };
    (sender, receiver)
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

    /// Sends, waiting for space as the channel's
    /// [`WaitStrategy`](super::WaitStrategy) says.
    ///
    /// If the last receiver goes while this send is pushing, the item is
    /// dropped with the rest of the queue (see the
    /// [module docs](super#disconnection)), possibly by this call.
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

    /// Sends, waiting for space until `deadline` at the latest (a deadline
    /// already past makes one attempt).
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Disconnected`],
    /// with the value.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, SendTimeoutError};
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = channel::spsc(1);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// tx.send_deadline(1, deadline).unwrap();
    /// assert_eq!(tx.send_deadline(2, deadline), Err(SendTimeoutError::Timeout(2)));
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.chan.send(&self.end, value, Some(deadline))
    }

    /// Live senders of this channel right now (a snapshot; this one
    /// included).
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpmc::<u8>(4);
    /// let tx2 = tx.clone();
    /// assert_eq!((tx.sender_count(), tx.receiver_count()), (2, 1));
    /// drop(tx2);
    /// assert_eq!(rx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        // Relaxed: a snapshot for monitoring, synchronising nothing.
        self.chan.handles.senders.load(Ordering::Relaxed)
    }

    /// Live receivers of this channel right now (a snapshot).
    pub fn receiver_count(&self) -> usize {
        // Relaxed: as in `sender_count`.
        self.chan.handles.receivers.load(Ordering::Relaxed)
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
                chan.received(1);
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

    /// Receives, waiting for an item as the channel's
    /// [`WaitStrategy`](super::WaitStrategy) says.
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

    /// Receives, waiting until `deadline` at the latest (a deadline
    /// already past makes one attempt).
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`], or [`RecvTimeoutError::Disconnected`]
    /// once the channel is empty and every sender is gone.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, RecvTimeoutError};
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = channel::mpsc(2);
    /// tx.send(4).unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(rx.recv_deadline(deadline), Ok(4));
    /// assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.chan.recv(&self.end, Some(deadline))
    }

    /// Moves up to `max` items that are ready to the end of `out` without
    /// waiting; returns how many (at least one unless `max` is 0). `out`
    /// grows by at most `max`.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is ready,
    /// [`TryRecvError::Disconnected`] once the channel is empty and every
    /// sender is gone.
    ///
    /// ```
    /// use nanopath_queue::channel::{self, TryRecvError};
    /// let (tx, rx) = channel::spsc(8);
    /// let mut out = Vec::new();
    /// assert_eq!(rx.try_recv_batch(&mut out, 4), Err(TryRecvError::Empty));
    /// (0..3).for_each(|i| tx.send(i).unwrap());
    /// assert_eq!(rx.try_recv_batch(&mut out, 4), Ok(3));
    /// drop(tx);
    /// assert_eq!(rx.try_recv_batch(&mut out, 4), Err(TryRecvError::Disconnected));
    /// assert_eq!(out, [0, 1, 2]);
    /// ```
    pub fn try_recv_batch(&self, out: &mut Vec<T>, max: usize) -> Result<usize, TryRecvError> {
        if max == 0 {
            return Ok(0);
        }
        let first = self.try_recv()?;
        out.push(first);
        // SAFETY: as in `attempt_recv`: this receiver's flavor rules apply.
        let more = unsafe { self.chan.queue.pop_batch(&self.end, out, max - 1) };
        self.chan.received(more);
        Ok(1 + more)
    }

    /// Live senders of this channel right now (a snapshot).
    pub fn sender_count(&self) -> usize {
        // Relaxed: a snapshot for monitoring, synchronising nothing.
        self.chan.handles.senders.load(Ordering::Relaxed)
    }

    /// Live receivers of this channel right now (a snapshot; this one
    /// included).
    pub fn receiver_count(&self) -> usize {
        // Relaxed: as in `sender_count`.
        self.chan.handles.receivers.load(Ordering::Relaxed)
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
        self.chan.received(more);
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
            // Every parked receiver must see the disconnection. The barrier
            // inside `notify_all` pairs with a parking receiver's, after
            // which its re-check reads the sender count.
            self.chan.receivers_waiting.notify_all();
        }
    }
}

impl<T, F: Flavor> Drop for Receiver<T, F> {
    /// The last receiver's drop drops every item still queued (see the
    /// [module docs](super)).
    fn drop(&mut self) {
        // SAFETY: the end is taken once, here, and never touched again.
        let end = unsafe { ManuallyDrop::take(&mut self.end) };
        self.chan.receiver_gone(end);
    }
}

/// Blocking iterator from [`Receiver::iter`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<'a, T, F: Flavor> {
    /// Receives through this handle.
    receiver: &'a Receiver<T, F>,
}

/// Non-blocking iterator from [`Receiver::try_iter`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct TryIter<'a, T, F: Flavor> {
    /// Receives through this handle.
    receiver: &'a Receiver<T, F>,
}

/// Owning blocking iterator from `Receiver::into_iter`.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct IntoIter<T, F: Flavor> {
    /// Receives through this handle, dropped with the iterator.
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
