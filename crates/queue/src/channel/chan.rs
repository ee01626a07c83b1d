//! The shared core of a channel: the queue, the waiters of each side, the
//! handle counts, the statistics and the drain at disconnection.

use super::error::{RecvError, RecvTimeoutError, SendError, SendTimeoutError};
use super::flavors::{Flavor, RawQueue, RxEnd, TxEnd};
use super::waiting::{Step, WaitEnd, WaitStrategy};
use crate::sync::{AtomicUsize, Mutex, Ordering, lock};
use crate::unwind::drop_each;
use core::marker::PhantomData;
use core::task::{Context, Poll};
use nanopath_atomic::{CachePadded, EventCount, Registration, WakerSlot};
use std::time::Instant;
use std::vec::Vec;

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

/// Live sender and receiver handles; the channel is disconnected for one
/// side when the other side's count reaches zero.
pub(super) struct Handles {
    /// Live `Sender`s; 0 once the last one is dropped, never back up.
    pub(super) senders: AtomicUsize,
    /// Live `Receiver`s; 0 once the last one is dropped, never back up.
    pub(super) receivers: AtomicUsize,
}

/// Everything the handles of one channel share.
pub(super) struct Chan<T, F: Flavor> {
    /// The shared part of the queue; the handles hold their own ends.
    pub(super) queue: F::Queue<T>,
    /// Parked receivers, woken by senders (after every send) and by the
    /// last sender's drop.
    pub(super) receivers_waiting: CachePadded<EventCount>,
    /// Parked senders, woken by receivers (after every receive) and by the
    /// last receiver's drop.
    pub(super) senders_waiting: CachePadded<EventCount>,
    /// Live handles: read on every send (receivers) and on empty receives
    /// (senders), written only on clone and drop, so they get a line of
    /// their own that stays shared in every core's cache.
    pub(super) handles: CachePadded<Handles>,
    /// Slow-path counters, each on its own line: a receiver counting an
    /// empty poll must not invalidate a line the sender reads per send.
    pub(super) full_on_send: CachePadded<AtomicUsize>,
    /// As for `full_on_send`, for receives that found the channel empty.
    pub(super) empty_on_recv: CachePadded<AtomicUsize>,
    /// How blocked operations wait; fixed at construction.
    wait: WaitStrategy,
    /// The receivers' end once the last receiver is gone (`None` before):
    /// the last receiver's drop moves its end here and drains through it,
    /// and a send that finds no receiver left after its push drains through
    /// it too. Holding the lock is the right to pop: it makes every drain
    /// the queue's only consumer. Touched only at disconnection.
    orphan: Mutex<Option<RxEnd<T, F>>>,
    /// The flavor is a type-level choice only (no value of it exists).
    flavor: PhantomData<F>,
}

impl<T, F: Flavor> Chan<T, F> {
    /// A channel core around `queue`, with one sender and one receiver.
    pub(super) fn new(queue: F::Queue<T>, wait: WaitStrategy) -> Self {
        // A channel whose threads never park registers no thread: its
        // notifications skip the hardware fence (the asymmetric pair), and
        // only the rare side of the disconnection race pays (see
        // `receiver_gone`); a task that waits on it moves that side to
        // SeqCst fences first (see `register_task`). A channel that may park keeps SeqCst fences on
        // both sides, so parking stays a plain futex wait.
        let events = || {
            CachePadded::new(if wait.park {
                EventCount::new()
            } else {
                EventCount::new_asymmetric()
            })
        };
        Chan {
            queue,
            receivers_waiting: events(),
            senders_waiting: events(),
            handles: CachePadded::new(Handles {
                senders: AtomicUsize::new(1),
                receivers: AtomicUsize::new(1),
            }),
            full_on_send: CachePadded::new(AtomicUsize::new(0)),
            empty_on_recv: CachePadded::new(AtomicUsize::new(0)),
            wait,
            orphan: Mutex::new(None),
            flavor: PhantomData,
        }
    }

    /// One send attempt through the sender's end `tx`; a failed one hands
    /// the value back.
    #[inline]
    pub(super) fn attempt_send(&self, tx: &TxEnd<T, F>, value: T) -> Step<(), T> {
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
    pub(super) fn sent_one(&self) {
        /// The check for receivers gone, after the notification, and also
        /// if the notification panics (a task's waker is user code).
        struct CheckReceivers<'a, T, F: Flavor>(&'a Chan<T, F>);
        impl<T, F: Flavor> Drop for CheckReceivers<'_, T, F> {
            #[inline]
            fn drop(&mut self) {
                let chan = self.0;
                let receivers = if F::Queue::<T>::PUSH_CLAIMS_SEQCST {
                    // SeqCst, after the notify, for the argument in the
                    // comment below against the last receiver's fence in
                    // `receiver_gone`: of our SeqCst push and its
                    // count-drop-then-fence, one comes first in the SeqCst
                    // order, so either its drain sees our item or this load
                    // sees zero receivers (possibly both; the drains share
                    // a lock).
                    chan.handles.receivers.load(Ordering::SeqCst)
                } else {
                    // Relaxed, and it must stay after the notify: it is
                    // ordered by the barrier inside `notify_one`, which also
                    // pairs with the last receiver's barrier in
                    // `receiver_gone` (a SeqCst fence, or the heavy side).
                    // Of our push-then-barrier and its
                    // count-drop-then-barrier, one comes first: either its
                    // drain sees our item, or this load sees zero receivers
                    // (possibly both; the drains share a lock).
                    chan.handles.receivers.load(Ordering::Relaxed)
                };
                if receivers == 0 {
                    chan.drain_orphaned();
                }
            }
        }
        let _check = CheckReceivers(self);
        // One item is there for one receiver, so waking one is enough: see
        // `WaitStrategy::block` for why every wake-up leads to a retry.
        if F::Queue::<T>::PUSH_CLAIMS_SEQCST {
            // The push was a SeqCst CAS of the word a parking receiver's
            // re-check reads, so a SeqCst load of the waiter count is
            // enough (see `EventCount`'s design notes): no fence.
            self.receivers_waiting.notify_one_after_seqcst();
        } else {
            // `notify_one` runs its barrier (a SeqCst fence, or the light
            // side of the asymmetric pair) and then reads the waiter
            // count: it pairs with a parking receiver's barrier in
            // `prepare_wait` (no lost wake-up, see `EventCount`).
            self.receivers_waiting.notify_one();
        }
    }

    /// What every successful receive of `n` items does next: wake parked
    /// senders, one per freed slot at most.
    #[inline]
    pub(super) fn received(&self, n: usize) {
        // The barrier inside pairs with a parking sender's in
        // `prepare_wait` (see `EventCount`); after a SeqCst claim of `head`
        // a SeqCst load of the waiter count stands in for it (as in
        // `sent_one`). One freed slot takes one sender (see `sent_one`); a
        // batch wakes them all.
        match (n, F::Queue::<T>::POP_CLAIMS_SEQCST) {
            (0, _) => {}
            (1, true) => self.senders_waiting.notify_one_after_seqcst(),
            (1, false) => self.senders_waiting.notify_one(),
            (_, true) => self.senders_waiting.notify_all_after_seqcst(),
            (_, false) => self.senders_waiting.notify_all(),
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
    pub(super) fn receiver_gone(&self, rx: RxEnd<T, F>) {
        // AcqRel: Release publishes our pops to the drain (which also
        // takes the lock after us); Acquire sees the other receivers'.
        if self.handles.receivers.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        /// The drain, on return and also if waking the senders panics (a
        /// task's waker is user code): no item outlives the receivers.
        struct Drain<'a, T, F: Flavor> {
            chan: &'a Chan<T, F>,
            rx: Option<RxEnd<T, F>>,
        }
        impl<T, F: Flavor> Drop for Drain<'_, T, F> {
            fn drop(&mut self) {
                let chan = self.chan;
                if !chan.wait.park {
                    // A channel that never parks threads notifies with the
                    // light side of the asymmetric pair (until a task moves
                    // an eventcount to `SeqCst` fences), and two light sides
                    // do not pair. This side is rare (once per channel), so
                    // it takes the heavy side whatever the mode is now:
                    // either a racing send's push is visible to the drain
                    // below, or its count load sees zero receivers and it
                    // drains itself.
                    nanopath_atomic::fence::heavy();
                }
                let mut orphan = lock(&chan.orphan);
                if let Some(rx) = self.rx.take() {
                    let rx = orphan.insert(rx);
                    // SAFETY: we hold the drain lock and `rx` is the end
                    // kept there.
                    unsafe { chan.drain(rx) };
                }
            }
        }
        let drain = Drain {
            chan: self,
            rx: Some(rx),
        };
        // Wake parked senders first: if an item's `Drop` panics in the
        // drain, they must not sleep on. The SeqCst fence inside a
        // symmetric `notify_all` also pairs with the one in `sent_one` (see
        // there), so it must stay between the count drop above and the
        // drain.
        self.senders_waiting.notify_all();
        drop(drain);
    }

    /// One receive attempt through the receiver's end `rx`.
    #[inline]
    pub(super) fn attempt_recv(&self, rx: &RxEnd<T, F>) -> Step<T, ()> {
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

    pub(super) fn send(
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
                self.wait
                    .block(&self.senders_waiting, deadline, value, |v| {
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

    pub(super) fn recv(
        &self,
        rx: &RxEnd<T, F>,
        deadline: Option<Instant>,
    ) -> Result<T, RecvTimeoutError> {
        let outcome = match self.attempt_recv(rx) {
            Step::Done(v) => Ok(v),
            Step::Closed(()) => Err(((), WaitEnd::Closed)),
            Step::Again(()) => {
                // Relaxed: a statistic.
                self.empty_on_recv.fetch_add(1, Ordering::Relaxed);
                self.wait
                    .block(&self.receivers_waiting, deadline, (), |()| {
                        self.attempt_recv(rx)
                    })
            }
        };
        match outcome {
            Ok(v) => {
                self.received(1);
                Ok(v)
            }
            Err((_, WaitEnd::Timeout)) => Err(RecvTimeoutError::Timeout),
            Err((_, WaitEnd::Closed)) => Err(RecvTimeoutError::Disconnected),
        }
    }

    /// One poll of an async send of `value` (taken out while the send is
    /// tried, put back if it must wait; `None` once it is done) by a task
    /// whose registration with the senders' eventcount is `slot`. `waited`
    /// says whether this send was already counted in `full_on_send`.
    ///
    /// The protocol of [`EventCount::register_waker`]: try, register,
    /// try again, and only then return `Pending`; a task still registered
    /// from an earlier poll (nobody has notified it) returns `Pending` after
    /// one try.
    pub(super) fn poll_send(
        &self,
        tx: &TxEnd<T, F>,
        value: &mut Option<T>,
        slot: &mut WakerSlot,
        waited: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        // Whether this poll registered anew: then one failed re-check
        // means pending, without another look at the registration.
        let mut registered_now = false;
        loop {
            let Some(v) = value.take() else {
                // The future completed before (its value was sent or
                // handed back): polling it again breaks `Future`'s contract.
                panic!("a send future polled after it completed");
            };
            match self.attempt_send(tx, v) {
                Step::Done(()) => {
                    self.stop_waiting(&self.senders_waiting, slot);
                    self.sent_one();
                    return Poll::Ready(Ok(()));
                }
                Step::Closed(v) => {
                    self.stop_waiting(&self.senders_waiting, slot);
                    return Poll::Ready(Err(SendError(v)));
                }
                Step::Again(v) => *value = Some(v),
            }
            if registered_now {
                // The re-check after a new registration failed too.
                return Poll::Pending;
            }
            if !*waited {
                *waited = true;
                // Relaxed: a statistic.
                self.full_on_send.fetch_add(1, Ordering::Relaxed);
            }
            match self.register_task(&self.senders_waiting, slot, cx) {
                Registration::Kept => return Poll::Pending,
                Registration::New => registered_now = true,
            }
        }
    }

    /// One poll of an async receive, as [`poll_send`](Self::poll_send)
    /// for receivers.
    pub(super) fn poll_recv(
        &self,
        rx: &RxEnd<T, F>,
        slot: &mut WakerSlot,
        waited: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, RecvError>> {
        // As in `poll_send`.
        let mut registered_now = false;
        loop {
            match self.attempt_recv(rx) {
                Step::Done(v) => {
                    self.stop_waiting(&self.receivers_waiting, slot);
                    self.received(1);
                    return Poll::Ready(Ok(v));
                }
                Step::Closed(()) => {
                    self.stop_waiting(&self.receivers_waiting, slot);
                    return Poll::Ready(Err(RecvError));
                }
                Step::Again(()) => {}
            }
            if registered_now {
                // The re-check after a new registration failed too.
                return Poll::Pending;
            }
            if !*waited {
                *waited = true;
                // Relaxed: a statistic.
                self.empty_on_recv.fetch_add(1, Ordering::Relaxed);
            }
            match self.register_task(&self.receivers_waiting, slot, cx) {
                Registration::Kept => return Poll::Pending,
                Registration::New => registered_now = true,
            }
        }
    }

    /// One poll of an async batch receive: up to `max` (at least 1) ready
    /// items onto `out`, as [`poll_recv`](Self::poll_recv) otherwise.
    pub(super) fn poll_recv_many(
        &self,
        rx: &RxEnd<T, F>,
        out: &mut Vec<T>,
        max: usize,
        slot: &mut WakerSlot,
        waited: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Result<usize, RecvError>> {
        // As in `poll_send`.
        let mut registered_now = false;
        loop {
            // SAFETY: as in `attempt_recv`: `rx` is the calling receiver's
            // own end, used as concurrently as the flavor allows.
            let n = unsafe { self.queue.pop_batch(rx, out, max) };
            let n = if n > 0 {
                n
            } else if self.handles.senders.load(Ordering::Acquire) == 0 {
                // Acquire and the second look: as in `attempt_recv`.
                // SAFETY: as above.
                match unsafe { self.queue.pop_batch(rx, out, max) } {
                    0 => {
                        self.stop_waiting(&self.receivers_waiting, slot);
                        return Poll::Ready(Err(RecvError));
                    }
                    n => n,
                }
            } else {
                0
            };
            if n > 0 {
                self.stop_waiting(&self.receivers_waiting, slot);
                self.received(n);
                return Poll::Ready(Ok(n));
            }
            if registered_now {
                // The re-check after a new registration failed too.
                return Poll::Pending;
            }
            if !*waited {
                *waited = true;
                // Relaxed: a statistic.
                self.empty_on_recv.fetch_add(1, Ordering::Relaxed);
            }
            match self.register_task(&self.receivers_waiting, slot, cx) {
                Registration::Kept => return Poll::Pending,
                Registration::New => registered_now = true,
            }
        }
    }

    /// Registers a task on `events` (see `EventCount::register_waker`). A
    /// channel that never parks threads (`busy_spin`) keeps its eventcounts
    /// on the asymmetric fence pair, where each registration pays the heavy
    /// side (`membarrier`): a task that waits moves that eventcount to
    /// `SeqCst` fences once, for good (one heavy fence, then plain ones).
    #[inline]
    fn register_task(
        &self,
        events: &EventCount,
        slot: &mut WakerSlot,
        cx: &mut Context<'_>,
    ) -> Registration {
        if !self.wait.park {
            // Returns at once unless still asymmetric.
            events.use_symmetric_fences();
        }
        events.register_waker(slot, cx.waker())
    }

    /// A task's operation finished: withdraw its registration, if any.
    #[inline]
    fn stop_waiting(&self, events: &EventCount, slot: &mut WakerSlot) {
        if slot.is_registered() {
            // A notification it took was for this very operation, which
            // has now acted on the channel: nothing to pass on.
            let _ = events.unregister_waker(slot);
        }
    }

    /// A task's future is dropped before its operation finished: withdraw
    /// its registration, and if a notification already took it, pass that
    /// on to the next waiter, which may be waiting for the very item (or
    /// slot) this task was woken for.
    pub(super) fn abandon_wait(&self, events: &EventCount, slot: &mut WakerSlot) {
        if slot.is_registered() && events.unregister_waker(slot) {
            events.notify_one();
        }
    }

    pub(super) fn stats(&self) -> Stats {
        Stats {
            sent: self.queue.sent(),
            received: self.queue.received(),
            // Relaxed: statistics.
            full_on_send: self.full_on_send.load(Ordering::Relaxed) as u64,
            empty_on_recv: self.empty_on_recv.load(Ordering::Relaxed) as u64,
        }
    }
}
