//! The async side of the channels: futures for one send, one receive and
//! a batch receive, and the owned [`RecvStream`] and [`SendSink`].
//!
//! A task waits on the same eventcount as a parked thread (see
//! [`EventCount::register_waker`](nanopath_atomic::EventCount::register_waker)),
//! so one channel serves sync and async code at once.

use super::chan::Chan;
use super::error::{RecvError, SendError};
use super::flavors::{Flavor, Mpmc, Mpsc, Spsc};
use super::handles::{Receiver, Sender};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use nanopath_atomic::WakerSlot;
use std::vec::Vec;

/// The future of an async send: [`Sender::send_async`].
///
/// Handles that are not `Sync` make their futures only through `&mut`
/// (so the future, which is `Send`, is their only user while it lives):
///
/// ```compile_fail
/// let (tx, _rx) = nanopath_queue::channel::spsc::<u8>(1);
/// let _ = (&tx).send_async(1);
/// ```
///
/// ```compile_fail
/// let (_tx, rx) = nanopath_queue::channel::spsc::<u8>(1);
/// let _ = (&rx).recv_async();
/// ```
///
/// ```compile_fail
/// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
/// let _ = (&rx).recv_async();
/// ```
///
/// Cancellation: dropping it before it completes drops the value unsent
/// (take it back with [`cancel`](Self::cancel)); a value that was sent
/// stays in the channel. A wake-up it was given passes on to the next
/// waiting sender.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T, F: Flavor> {
    /// Sends through this handle.
    sender: &'a Sender<T, F>,
    /// The value until it is sent (or handed back in an error).
    value: Option<T>,
    /// This task's registration with the senders' eventcount.
    slot: WakerSlot,
    /// Counted once in `full_on_send`.
    waited: bool,
}

/// The future of an async receive: [`Receiver::recv_async`].
///
/// Cancellation: dropping it loses no item (an item is taken out of the
/// channel only by the poll that returns it); a wake-up it was given
/// passes on to the next waiting receiver.
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T, F: Flavor> {
    /// Receives through this handle.
    receiver: &'a Receiver<T, F>,
    /// This task's registration with the receivers' eventcount.
    slot: WakerSlot,
    /// Counted once in `empty_on_recv`.
    waited: bool,
}

/// The future of an async batch receive: [`Receiver::recv_many_async`].
/// Cancellation as for [`RecvFuture`]: items are moved to the vector only
/// by the poll that returns their count.
#[must_use = "futures do nothing unless polled"]
pub struct RecvManyFuture<'a, T, F: Flavor> {
    /// Receives through this handle.
    receiver: &'a Receiver<T, F>,
    /// Where the items go.
    out: &'a mut Vec<T>,
    /// At most this many; 0 completes at once.
    max: usize,
    /// This task's registration with the receivers' eventcount.
    slot: WakerSlot,
    /// Counted once in `empty_on_recv`.
    waited: bool,
}

// None of the futures is self-referential or pins its value.
impl<T, F: Flavor> Unpin for SendFuture<'_, T, F> {}
impl<T, F: Flavor> Unpin for RecvFuture<'_, T, F> {}
impl<T, F: Flavor> Unpin for RecvManyFuture<'_, T, F> {}

// SAFETY: a future moves `T`s (needs `T: Send`) through a borrowed handle.
// Where the handle is `Sync` (MPSC and MPMC senders, MPMC receivers) the
// borrow may cross threads anyway. Where it is not (both SPSC handles, the
// MPSC receiver) the only way to make the future is a method taking
// `&mut self`, so for the future's lifetime no other reference to the
// handle exists, on this thread or another: moving the future moves the
// handle's only user, as moving the handle itself would (handles are
// `Send`).
unsafe impl<T: Send, F: Flavor> Send for SendFuture<'_, T, F> {}
// SAFETY: as above.
unsafe impl<T: Send, F: Flavor> Send for RecvFuture<'_, T, F> {}
// SAFETY: as above; the vector is borrowed mutably and holds `T: Send`.
unsafe impl<T: Send, F: Flavor> Send for RecvManyFuture<'_, T, F> {}

impl<'a, T, F: Flavor> SendFuture<'a, T, F> {
    fn new(sender: &'a Sender<T, F>, value: T) -> Self {
        SendFuture {
            sender,
            value: Some(value),
            slot: WakerSlot::new(),
            waited: false,
        }
    }

    /// Gives up the send: the value back if it has not been sent, `None`
    /// if it has.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use std::future::Future;
    /// let (tx, _rx) = nanopath_queue::channel::mpsc(1);
    /// tx.send(1).unwrap();
    /// let mut send = tx.send_async(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(std::pin::Pin::new(&mut send).poll(&mut cx).is_pending()); // full
    /// assert_eq!(send.cancel(), Some(2));
    /// ```
    pub fn cancel(mut self) -> Option<T> {
        self.value.take()
    }
}

impl<'a, T, F: Flavor> RecvFuture<'a, T, F> {
    fn new(receiver: &'a Receiver<T, F>) -> Self {
        RecvFuture {
            receiver,
            slot: WakerSlot::new(),
            waited: false,
        }
    }
}

impl<'a, T, F: Flavor> RecvManyFuture<'a, T, F> {
    fn new(receiver: &'a Receiver<T, F>, out: &'a mut Vec<T>, max: usize) -> Self {
        RecvManyFuture {
            receiver,
            out,
            max,
            slot: WakerSlot::new(),
            waited: false,
        }
    }
}

impl<T, F: Flavor> Future for SendFuture<'_, T, F> {
    type Output = Result<(), SendError<T>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sender = this.sender;
        sender.chan.poll_send(
            &sender.end,
            &mut this.value,
            &mut this.slot,
            &mut this.waited,
            cx,
        )
    }
}

impl<T, F: Flavor> Future for RecvFuture<'_, T, F> {
    type Output = Result<T, RecvError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let receiver = this.receiver;
        receiver
            .chan
            .poll_recv(&receiver.end, &mut this.slot, &mut this.waited, cx)
    }
}

impl<T, F: Flavor> Future for RecvManyFuture<'_, T, F> {
    type Output = Result<usize, RecvError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.max == 0 {
            return Poll::Ready(Ok(0));
        }
        let receiver = this.receiver;
        receiver.chan.poll_recv_many(
            &receiver.end,
            this.out,
            this.max,
            &mut this.slot,
            &mut this.waited,
            cx,
        )
    }
}

impl<T, F: Flavor> Drop for SendFuture<'_, T, F> {
    fn drop(&mut self) {
        let chan: &Chan<T, F> = &self.sender.chan;
        chan.abandon_wait(&chan.senders_waiting, &mut self.slot);
    }
}

impl<T, F: Flavor> Drop for RecvFuture<'_, T, F> {
    fn drop(&mut self) {
        let chan: &Chan<T, F> = &self.receiver.chan;
        chan.abandon_wait(&chan.receivers_waiting, &mut self.slot);
    }
}

impl<T, F: Flavor> Drop for RecvManyFuture<'_, T, F> {
    fn drop(&mut self) {
        let chan: &Chan<T, F> = &self.receiver.chan;
        chan.abandon_wait(&chan.receivers_waiting, &mut self.slot);
    }
}

/// The async methods, borrowing the handle the way its flavor allows: `&self`
/// where the handle is `Sync` (it may be shared between tasks), `&mut self`
/// where it is not (so the future is `Send` and a spawned task can await
/// it).
macro_rules! send_async {
    ($flavor:ident, $ctor:literal, $($mut_:ident)?) => {
        impl<T> Sender<T, $flavor> {
            /// Sends, waiting asynchronously for space: the future
            /// completes once the value is in the channel. Usable beside
            /// blocking calls on the same channel (a thread may `recv`
            /// what a task sends).
            ///
            /// # Errors
            ///
            /// [`SendError`] with the value if every receiver is gone.
            ///
            /// Cancellation: see [`SendFuture`].
            ///
            /// ```
            #[doc = concat!("let (", $(stringify!($mut_),)? " tx, rx) = nanopath_queue::channel::", $ctor, "(1);")]
            /// let consumer = std::thread::spawn(move || rx.iter().sum::<u64>());
            /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            /// rt.block_on(async {
            ///     for i in 0..100 {
            ///         tx.send_async(i).await.unwrap();
            ///     }
            /// });
            /// drop(tx);
            /// assert_eq!(consumer.join().unwrap(), (0..100).sum());
            /// ```
            #[inline]
            pub fn send_async(&$($mut_)? self, value: T) -> SendFuture<'_, T, $flavor> {
                SendFuture::new(self, value)
            }
        }
    };
}

macro_rules! recv_async {
    ($flavor:ident, $ctor:literal, $($mut_:ident)?) => {
        impl<T> Receiver<T, $flavor> {
            /// Receives, waiting asynchronously for an item. Usable beside
            /// blocking calls on the same channel (a task may receive what
            /// a thread sends).
            ///
            /// # Errors
            ///
            /// [`RecvError`] once the channel is empty and every sender is
            /// gone.
            ///
            /// Cancellation: see [`RecvFuture`]; dropping the future loses
            /// no item, so it can sit in a `select!` loop.
            ///
            /// ```
            #[doc = concat!("let (tx, ", $(stringify!($mut_),)? " rx) = nanopath_queue::channel::", $ctor, "(4);")]
            /// std::thread::spawn(move || (1..=10u64).for_each(|i| tx.send(i).unwrap()));
            /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            /// let sum = rt.block_on(async {
            ///     let mut sum = 0;
            ///     while let Ok(v) = rx.recv_async().await {
            ///         sum += v;
            ///     }
            ///     sum
            /// });
            /// assert_eq!(sum, 55);
            /// ```
            #[inline]
            pub fn recv_async(&$($mut_)? self) -> RecvFuture<'_, T, $flavor> {
                RecvFuture::new(self)
            }

            /// Waits asynchronously for at least one item, then moves up to
            /// `max` ready items to the end of `out`; returns how many (at
            /// least one unless `max` is 0, which completes at once with 0).
            /// `out` grows by at most `max`.
            ///
            /// Unlike tokio's `recv_many`, which returns 0 for a closed
            /// channel, disconnection is an error here, as for
            /// [`recv_batch`](Receiver::recv_batch).
            ///
            /// # Errors
            ///
            /// [`RecvError`] once the channel is empty and every sender is
            /// gone.
            ///
            /// ```
            #[doc = concat!("let (tx, ", $(stringify!($mut_),)? " rx) = nanopath_queue::channel::", $ctor, "::<u32>(64);")]
            /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            /// rt.block_on(async move {
            ///     (0..10).for_each(|i| tx.send(i).unwrap());
            ///     drop(tx);
            ///     let mut batch = Vec::with_capacity(4);
            ///     let mut seen = 0;
            ///     while let Ok(n) = rx.recv_many_async(&mut batch, 4).await {
            ///         assert!((1..=4).contains(&n));
            ///         seen += n;
            ///         batch.clear();
            ///     }
            ///     assert_eq!(seen, 10);
            /// });
            /// ```
            #[inline]
            pub fn recv_many_async<'a>(
                &'a $($mut_)? self,
                out: &'a mut Vec<T>,
                max: usize,
            ) -> RecvManyFuture<'a, T, $flavor> {
                RecvManyFuture::new(self, out, max)
            }
        }
    };
}

send_async!(Spsc, "spsc", mut);
send_async!(Mpsc, "mpsc",);
send_async!(Mpmc, "mpmc",);
recv_async!(Spsc, "spsc", mut);
recv_async!(Mpsc, "mpsc", mut);
recv_async!(Mpmc, "mpmc",);

/// A [`Receiver`] as a stream (`futures_core::Stream` with the `async`
/// feature): [`Receiver::into_stream`]. It ends once the channel is empty
/// and every sender is gone. Dropping it drops the receiver.
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<T, F: Flavor> {
    /// Receives through this handle, dropped with the stream.
    receiver: Receiver<T, F>,
    /// This task's registration with the receivers' eventcount.
    slot: WakerSlot,
    /// Whether the current wait was counted in `empty_on_recv`.
    waited: bool,
    /// The stream has ended.
    done: bool,
}

/// A [`Sender`] as a sink (`futures_sink::Sink` with the `async` feature):
/// [`Sender::into_sink`]. It holds at most one item that did not fit yet;
/// `poll_flush` (and `poll_ready`) wait until that one is in the channel.
/// `poll_close` flushes, then drops the sender (as `futures`' channels
/// do): the receivers see the disconnection once every other sender is
/// gone too, and later sends fail with their item. An item still held when
/// the sink is dropped is dropped unsent: flush first.
#[must_use = "sinks do nothing unless polled"]
pub struct SendSink<T, F: Flavor> {
    /// Sends through this handle until the sink is closed (`None` after).
    sender: Option<Sender<T, F>>,
    /// The item `start_send` took that is not in the channel yet.
    pending: Option<T>,
    /// This task's registration with the senders' eventcount.
    slot: WakerSlot,
    /// Whether the pending item was counted in `full_on_send`.
    waited: bool,
}

impl<T, F: Flavor> Unpin for RecvStream<T, F> {}
impl<T, F: Flavor> Unpin for SendSink<T, F> {}

impl<T, F: Flavor> Receiver<T, F> {
    /// This receiver as a [`RecvStream`].
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// let (tx, rx) = nanopath_queue::channel::mpsc(8);
    /// std::thread::spawn(move || (0..5).for_each(|i| tx.send(i).unwrap()));
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let all: Vec<i32> = rt.block_on(rx.into_stream().collect());
    /// assert_eq!(all, [0, 1, 2, 3, 4]);
    /// ```
    pub fn into_stream(self) -> RecvStream<T, F> {
        RecvStream {
            receiver: self,
            slot: WakerSlot::new(),
            waited: false,
            done: false,
        }
    }
}

impl<T, F: Flavor> Sender<T, F> {
    /// This sender as a [`SendSink`].
    ///
    /// ```
    /// use futures_util::SinkExt;
    /// let (tx, rx) = nanopath_queue::channel::spsc(2);
    /// let consumer = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async move {
    ///     let mut sink = tx.into_sink();
    ///     for i in 0..10 {
    ///         sink.send(i).await.unwrap(); // waits while the ring is full
    ///     }
    /// });
    /// assert_eq!(consumer.join().unwrap(), (0..10).collect::<Vec<_>>());
    /// ```
    pub fn into_sink(self) -> SendSink<T, F> {
        SendSink {
            sender: Some(self),
            pending: None,
            slot: WakerSlot::new(),
            waited: false,
        }
    }
}

impl<T, F: Flavor> RecvStream<T, F> {
    /// The next item, as [`Receiver::recv_async`] but through the stream
    /// (so `&mut self` on every flavor); `None` once the stream has ended.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.done {
            return Poll::Ready(None);
        }
        let receiver = &self.receiver;
        match receiver
            .chan
            .poll_recv(&receiver.end, &mut self.slot, &mut self.waited, cx)
        {
            Poll::Ready(Ok(v)) => {
                self.waited = false;
                Poll::Ready(Some(v))
            }
            Poll::Ready(Err(RecvError)) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The receiver inside.
    pub fn receiver(&self) -> &Receiver<T, F> {
        &self.receiver
    }
}

impl<T, F: Flavor> SendSink<T, F> {
    /// Waits until the held item, if any, is in the channel: the sink's
    /// `poll_ready` and `poll_flush`.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the held item if every receiver is gone.
    pub fn poll_flush_item(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        if self.pending.is_none() {
            return Poll::Ready(Ok(()));
        }
        let Some(sender) = &self.sender else {
            // Closed: nothing is ever held then (see `start_send_item`).
            return Poll::Ready(Ok(()));
        };
        let done = sender.chan.poll_send(
            &sender.end,
            &mut self.pending,
            &mut self.slot,
            &mut self.waited,
            cx,
        );
        if done.is_ready() {
            self.waited = false;
        }
        done
    }

    /// Flushes, then drops the sender: the sink's `poll_close`.
    ///
    /// # Errors
    ///
    /// As for [`poll_flush_item`](Self::poll_flush_item); the sender is
    /// dropped either way once the flush is done.
    pub fn poll_close_sender(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let flushed = self.poll_flush_item(cx);
        if flushed.is_ready() {
            self.sender = None;
        }
        flushed
    }

    /// Hands `item` to the sink (its `start_send`): sent at once if there
    /// is room, else held until the next flush. Call after the flush
    /// completed.
    ///
    /// # Errors
    ///
    /// [`SendError`] with `item` if every receiver is gone, if the sink was
    /// closed, or if an earlier item is still held (the flush did not
    /// complete first, breaking the `Sink` contract): nothing is lost
    /// either way.
    pub fn start_send_item(&mut self, item: T) -> Result<(), SendError<T>> {
        let Some(sender) = &self.sender else {
            return Err(SendError(item));
        };
        if self.pending.is_some() {
            return Err(SendError(item));
        }
        match sender.try_send(item) {
            Ok(()) => Ok(()),
            Err(super::TrySendError::Disconnected(item)) => Err(SendError(item)),
            Err(super::TrySendError::Full(item)) => {
                // `try_send` counted it in `full_on_send`.
                self.waited = true;
                self.pending = Some(item);
                Ok(())
            }
        }
    }

    /// The sender inside, until the sink is closed.
    pub fn sender(&self) -> Option<&Sender<T, F>> {
        self.sender.as_ref()
    }
}

impl<T, F: Flavor> Drop for RecvStream<T, F> {
    fn drop(&mut self) {
        let chan = &self.receiver.chan;
        chan.abandon_wait(&chan.receivers_waiting, &mut self.slot);
    }
}

impl<T, F: Flavor> Drop for SendSink<T, F> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            let chan = &sender.chan;
            chan.abandon_wait(&chan.senders_waiting, &mut self.slot);
        }
    }
}

#[cfg(feature = "async")]
impl<T, F: Flavor> futures_core::Stream for RecvStream<T, F> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

#[cfg(feature = "async")]
impl<T, F: Flavor> futures_core::stream::FusedStream for RecvStream<T, F> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

#[cfg(feature = "async")]
impl<T, F: Flavor> futures_sink::Sink<T> for SendSink<T, F> {
    type Error = SendError<T>;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_flush_item(cx)
    }
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        self.get_mut().start_send_item(item)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_flush_item(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_close_sender(cx)
    }
}

macro_rules! debug_future {
    ($($ty:ident $(<$lt:lifetime>)?),*) => {$(
        impl<$($lt,)? T, F: Flavor> fmt::Debug for $ty<$($lt,)? T, F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("registered", &self.slot.is_registered())
                    .finish_non_exhaustive()
            }
        }
    )*};
}
debug_future!(
    SendFuture<'a>,
    RecvFuture<'a>,
    RecvManyFuture<'a>,
    RecvStream,
    SendSink
);
