//! Blocking and async channels with statistics on top of the queues of
//! this crate (`std` feature).
//!
//! | constructor | queue underneath | `Sender` | `Receiver` |
//! |---|---|---|---|
//! | [`spsc()`] | the [`spsc`](mod@crate::spsc) ring | one, `Send` | one, `Send` |
//! | [`mpsc()`] | the bounded [`mpsc`](mod@crate::mpsc) ring | `Clone + Sync` | one, `Send` |
//! | [`mpmc()`] | [`mpmc::Queue`](crate::mpmc::Queue) | `Clone + Sync` | `Clone + Sync` |
//!
//! The names: the crate's modules `spsc`, `mpsc` and `mpmc` hold the
//! non-blocking queues (`spsc::ring(capacity)` gives a `Producer` and a
//! `Consumer`); the functions `channel::spsc`, `channel::mpsc` and
//! `channel::mpmc` build the blocking channels. Modules and functions live
//! in different namespaces, so `use nanopath_queue::{spsc, channel};` and
//! `use std::sync::mpsc;` next to `channel::mpsc` all compile; call the
//! constructors through `channel::` to keep a file readable.
//!
//! # Waiting
//!
//! A blocking call first retries the queue following its [`WaitStrategy`]:
//! spin (with growing runs of spin hints), then yield, then park on an
//! [`EventCount`](nanopath_atomic::EventCount) from `nanopath-atomic`, one
//! per side. A sender or receiver that parks registers (`prepare_wait`,
//! which ends in a `SeqCst` fence) and tries once more before it sleeps;
//! the other side, after every successful operation, notifies (a `SeqCst`
//! fence and one load of the waiter count). Of the two fenced sequences
//! one comes first, so either the waiter's last try sees the item (or
//! space), or the notifier sees the waiter and wakes it: no lost wake-up
//! (the loom model `tests/loom_channel.rs` checks this). While nobody is
//! parked, the only cost of blocking support is that fence and one load of
//! a line nobody writes: no lock, no syscall.
//!
//! A channel whose [`WaitStrategy`] never parks
//! ([`busy_spin`](WaitStrategy::busy_spin)) drops that fence too: no thread
//! can be asleep on it, so its notifications are the light side of an
//! asymmetric fence ([`nanopath_atomic::fence`], a compiler fence where
//! `membarrier` is available), and the one store→load race left, a send
//! against the last receiver's drop, is paid by the drop (the heavy side,
//! once per channel). A task that waits on such a channel moves the side
//! it waits on to the fenced pair for good (one `membarrier`, once).
//!
//! # Async
//!
//! Every channel is also an async channel: `send_async`, `recv_async` and
//! `recv_many_async` return futures ([`SendFuture`], [`RecvFuture`],
//! [`RecvManyFuture`]) that wait without blocking the thread, and
//! [`Receiver::into_stream`] / [`Sender::into_sink`] give a
//! `futures_core::Stream` and a `futures_sink::Sink` (the default `async`
//! feature). A task waits on the same [`EventCount`](nanopath_atomic::EventCount)
//! as a parked thread, so a thread may feed a task and a task a thread
//! through one channel. Handles that are `Sync` (MPSC and MPMC senders,
//! MPMC receivers) take `&self`, the others `&mut self`, so every future is
//! `Send` and a spawned task can await it. With no task waiting, the sync
//! fast path is unchanged: a notification with nobody registered is still
//! the same fence (or, after an MPSC or MPMC push, a `SeqCst` load) and
//! one load of the waiter count.
//!
//! Cancellation: dropping a `recv_async` or `recv_many_async` future loses
//! no item, and a wake-up it was given passes on to the next waiting
//! receiver, so the futures can sit in a `select!` loop. Dropping a
//! `send_async` future that has not completed drops its value unsent
//! ([`SendFuture::cancel`] hands it back).
//!
//! A batch processor that takes what is there, up to 64 items, and
//! flushes at least every millisecond:
//!
//! ```
//! use nanopath_queue::channel;
//! use std::time::Duration;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! let (tx, mut rx) = channel::mpsc::<u32>(1024);
//! let processed = rt.block_on(async move {
//!     let producers: Vec<_> = (0..4)
//!         .map(|p| {
//!             let tx = tx.clone();
//!             tokio::spawn(async move {
//!                 for i in 0..250 {
//!                     tx.send_async(p * 1000 + i).await.unwrap();
//!                 }
//!             })
//!         })
//!         .collect();
//!     drop(tx);
//!     let mut batch = Vec::with_capacity(64);
//!     let mut processed = 0;
//!     // The flush deadline, set when a batch starts.
//!     let mut deadline = None;
//!     loop {
//!         let due = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + Duration::from_millis(1));
//!         let room = 64 - batch.len();
//!         match tokio::time::timeout_at(due, rx.recv_many_async(&mut batch, room)).await {
//!             Ok(Ok(_)) if batch.len() < 64 => continue, // keep filling
//!             Ok(Ok(_)) | Err(_) => {}                   // full, or the timer fired: flush
//!             Ok(Err(_)) => break,                       // every sender is gone, nothing left
//!         }
//!         processed += batch.len(); // process the batch here
//!         batch.clear();
//!         deadline = None;
//!     }
//!     processed += batch.len();
//!     for p in producers {
//!         p.await.unwrap();
//!     }
//!     processed
//! });
//! assert_eq!(processed, 1000);
//! ```
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
//! Capacity is exact and at least 1, as for every queue of this crate:
//! capacity 0 is an error ([`CapacityError`] from [`try_with`], and from
//! `spsc::try_ring`, `mpmc::Queue::try_new` and `mpsc::try_bounded`), and
//! the constructors without `try_` panic with that error at the caller's
//! line (`#[track_caller]`). It is not a rendezvous channel as in
//! crossbeam-channel, where `bounded(0)` makes every send wait for a
//! receiver, and never a queue that is always full.
//!
//! There is no unbounded channel. A channel that never refuses a send
//! turns a consumer that falls behind into memory that grows until the
//! process dies, and moves the failure far from its cause; every channel
//! here pushes back instead (`send` waits, `try_send` returns
//! [`TrySendError::Full`]), so overload shows where it starts. A bounded
//! channel allocates its slots once, at construction; a capacity sized
//! for the worst burst costs that memory up front and nothing per item.
//! Code that really wants an unbounded hand-off and polls for it has
//! [`mpsc::unbounded`](crate::mpsc::unbounded), the segmented lock-free
//! queue, which allocates one segment per
//! [`SEGMENT_SLOTS`](crate::mpsc::SEGMENT_SLOTS) items. Capacity 1 is
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

mod chan;
mod error;
mod flavors;
mod handles;
mod tasks;
mod waiting;

pub use chan::Stats;
pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
pub use flavors::{Flavor, Mpmc, Mpsc, Spsc};
#[doc(hidden)]
pub use flavors::{MpscQueue, SpscQueue};
pub use handles::{IntoIter, Iter, Receiver, Sender, TryIter};
pub use tasks::{RecvFuture, RecvManyFuture, RecvStream, SendFuture, SendSink};
pub use waiting::WaitStrategy;

use crate::error::CapacityError;
use chan::Chan;
use flavors::RawQueue;

#[track_caller]
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
#[track_caller]
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
#[track_caller]
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
#[track_caller]
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
#[track_caller]
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
#[track_caller]
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
#[track_caller]
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
    Ok(handles::pair(Chan::new(queue, wait), tx, rx))
}
