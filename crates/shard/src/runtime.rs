//! The runtime: the builder, the worker threads and their loop, sender
//! handles, the context workers send through, and shutdown.
//!
//! # Transport
//!
//! A full mesh of bounded SPSC rings (nanopath-queue's `spsc`): one ring
//! per (sender, worker) pair, where a sender is a [`Handle`] or a worker's
//! own outgoing row (its [`Context`]). No line is written by two senders on
//! the send path. A worker drains its rings round robin, up to `batch`
//! messages from each per round, into one reused `Vec`.
//!
//! # Wake-ups
//!
//! An idle worker follows the [`WaitStrategy`]: spin, yield, then park on
//! its [`EventCount`]. Parking is prepare (register, fence), re-check every
//! ring and the flags, then sleep; a send is push, then `notify_one` (a
//! fence and a load of the waiter count, a syscall only when the worker is
//! registered; a busy-spinning runtime, whose workers never park, skips
//! it). So the fast path makes no syscall, and a wake-up cannot be lost:
//! of the worker's registration and the sender's push, the fences order
//! one first, and either the re-check sees the message or the notify sees
//! the waiter. A sender blocked on a full ring parks the same way on the
//! worker's `room` eventcount, which the worker notifies after every round
//! that took messages.
//!
//! Where the fences are asymmetric ([`WakeFences`]; by default while a
//! worker streams) the pair is `nanopath_atomic::fence`'s light/heavy
//! pair: a send issues a compiler fence, the worker about to sleep issues
//! `membarrier`. Miri and loom run both as `SeqCst` fences, so they check
//! the protocol and the mode switches, not `membarrier` itself.
//!
//! # Stopping
//!
//! [`Runtime::shutdown`] sets `stopping` and wakes everyone. User handles
//! reject sends from then on; the worker threads return their rings,
//! worker and state. The calling thread then drains every ring, calling
//! each live worker's `handle_batch` (messages workers send each other
//! meanwhile are delivered too), until a whole pass finds nothing, runs
//! `on_stop` and returns the states. A user send racing the stop re-checks
//! `stopping` after its push (the fence after its push, light or not,
//! pairs with the heavy fence `shutdown` issues after setting `stopping`,
//! so one of the two sees the other): if it is
//! set, it takes the drain lock of that worker, and either the drain comes
//! after it and handles its message, or the drain is over and the send
//! takes its message back out of its own ring and returns it as
//! [`SendError::Stopped`]. So every `Ok` send is handled exactly once
//! (unless its worker panics first: then it is counted in
//! [`WorkerPanic::undelivered`](crate::WorkerPanic::undelivered)), and every
//! failed one hands its message back.
//!
//! The final drain runs until a whole pass over every queue finds nothing:
//! workers that keep sending to each other on their own must stop when
//! [`Context::is_stopping`] says so.

use crate::partition::Partitioner;
use crate::stats::{StatsCell, WorkerStats};
use crate::worker::Worker;
use crate::{BuildError, PinWarning, SendError, ShutdownError, WorkerPanic};
use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use nanopath_atomic::sync::{
    Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering, lock, spin_loop, yield_now,
};
use nanopath_atomic::{Backoff, CachePadded, EventCount};
use nanopath_queue::channel::WaitStrategy;
use nanopath_queue::spsc;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

/// A worker thread's handle: std's, or loom's in the loom models.
#[cfg(not(nanopath_loom))]
type JoinHandle<T> = std::thread::JoinHandle<T>;
#[cfg(nanopath_loom)]
type JoinHandle<T> = loom::thread::JoinHandle<T>;

/// Spawns worker thread `index`.
#[cfg(not(nanopath_loom))]
fn spawn_worker<T: Send + 'static>(
    index: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<JoinHandle<T>> {
    std::thread::Builder::new()
        .name(format!("nanopath-shard-{index}"))
        .spawn(f)
}

/// Spawns worker thread `index` as a loom thread.
#[cfg(nanopath_loom)]
fn spawn_worker<T: Send + 'static>(
    index: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<JoinHandle<T>> {
    let _ = index;
    Ok(loom::thread::spawn(f))
}

/// One ring into a worker, with the id of the sender that owns its other
/// end.
struct Inbound<M> {
    sender: u64,
    rx: spsc::Consumer<M>,
}

/// What everyone may reach of one worker.
struct WorkerSlot<M> {
    /// The worker parks here when idle; senders notify it after a push.
    events: CachePadded<EventCount>,
    /// Senders blocked on a full ring of this worker park here; the worker
    /// notifies it after each round that took messages.
    room: CachePadded<EventCount>,
    /// Set (Release) after a ring was added to `new_rings`; the worker
    /// clears it when it adopts them.
    has_new_rings: AtomicBool,
    /// Set once the worker panicked (under `leftover`'s lock, after its
    /// rings were put there).
    dead: AtomicBool,
    /// Messages `take_back` found behind its own in a dead worker's ring
    /// (sent `Ok` after the worker's last drain) and dropped.
    late_undelivered: AtomicUsize,
    /// Rings of new senders, waiting for the worker to adopt them.
    new_rings: Mutex<Vec<Inbound<M>>>,
    /// `None` while the worker (or the final drain) owns its rings; then
    /// the rings, for a late sender to take its message back from. Held by
    /// the final drain while it runs.
    leftover: Mutex<Option<Vec<Inbound<M>>>>,
    stats: StatsCell,
}

/// The runtime's shared block.
struct Shared<W: Worker> {
    slots: Box<[WorkerSlot<W::Message>]>,
    partitioner: Box<dyn Partitioner<W::Key>>,
    /// Set by `shutdown`; user handles reject sends once they see it.
    stopping: CachePadded<AtomicBool>,
    /// Ids for senders (handles and worker rows).
    next_sender: AtomicU64,
    capacity: usize,
    batch: usize,
    wait: WaitStrategy,
    fences: WakeFences,
}

/// A sender's row: one producer per worker.
struct Row<W: Worker> {
    shared: Arc<Shared<W>>,
    id: u64,
    rings: Box<[spsc::Producer<W::Message>]>,
    /// A worker's own row (its context) rather than a user handle: it may
    /// send while the runtime stops, since the final drain delivers it.
    of_worker: bool,
    /// During the final drain only: messages a worker sent to a full ring
    /// (nobody is draining concurrently, so a send must not wait), one
    /// queue per target worker.
    overflow: Option<Vec<VecDeque<W::Message>>>,
}

impl<W: Worker> Row<W> {
    /// A new row: a ring to every worker, each registered with its worker.
    fn new(shared: &Arc<Shared<W>>, of_worker: bool) -> Result<Self, BuildError> {
        // Relaxed: a new handle on a stopped runtime could only fail.
        if !of_worker && shared.stopping.load(Ordering::Relaxed) {
            return Err(BuildError::Stopped);
        }
        // Relaxed: a unique id is all that is needed.
        let id = shared.next_sender.fetch_add(1, Ordering::Relaxed);
        let mut rings = Vec::with_capacity(shared.slots.len());
        for slot in shared.slots.iter() {
            let (tx, rx) = spsc::try_ring(shared.capacity).map_err(BuildError::Capacity)?;
            lock(&slot.new_rings).push(Inbound { sender: id, rx });
            // Release: the worker's Acquire load sees the ring in the list
            // (the lock orders it anyway; the flag only spares a lock).
            slot.has_new_rings.store(true, Ordering::Release);
            rings.push(tx);
        }
        Ok(Row {
            shared: Arc::clone(shared),
            id,
            rings: rings.into_boxed_slice(),
            of_worker,
            overflow: None,
        })
    }

    fn workers(&self) -> usize {
        self.rings.len()
    }

    /// Sends `msg` to worker `w`; waits for room when `wait`, else hands a
    /// full ring's message back.
    fn push_to(
        &mut self,
        w: usize,
        msg: W::Message,
        wait: bool,
    ) -> Result<(), SendError<W::Message>> {
        let workers = self.workers();
        if w >= workers {
            return Err(SendError::NoSuchWorker {
                worker: w,
                workers,
                message: msg,
            });
        }
        let shared = &*self.shared;
        let slot = &shared.slots[w];
        // Relaxed: a fast refusal only; the decisive check is after the
        // push (see the module docs).
        if !self.of_worker && shared.stopping.load(Ordering::Relaxed) {
            return Err(SendError::Stopped(msg));
        }
        // Acquire: pairs with the dead worker's SeqCst store, made after
        // its rings were put where `take_back` finds them.
        if slot.dead.load(Ordering::Acquire) {
            return Err(SendError::WorkerDead {
                worker: w,
                message: msg,
            });
        }
        let mut msg = msg;
        if let Some(overflow) = self.overflow.as_mut()
            && !overflow[w].is_empty()
        {
            // Messages already parked for `w` go first, into the ring while
            // it has room (the final drain takes the ring before the
            // overflow, so order holds either way).
            while let Some(front) = overflow[w].pop_front() {
                if let Err(full) = self.rings[w].push(front) {
                    overflow[w].push_front(full.0);
                    break;
                }
            }
            if !overflow[w].is_empty() {
                if !wait {
                    return Err(SendError::Full(msg));
                }
                overflow[w].push_back(msg);
                return Ok(());
            }
        }
        let mut counted = false;
        let backoff = Backoff::new();
        let mut round = 0u32;
        loop {
            match self.rings[w].push(msg) {
                Ok(()) => break,
                Err(spsc_full) => {
                    msg = spsc_full.0;
                    if !counted {
                        slot.stats.record_full();
                        counted = true;
                    }
                    if !wait {
                        return Err(SendError::Full(msg));
                    }
                    if self.of_worker && shared.stopping.load(Ordering::Relaxed) {
                        // Stopping: the target may have left already, and
                        // nobody drains rings concurrently with the final
                        // drain. Park the message with the row, where the
                        // final drain finds it.
                        let overflow = self
                            .overflow
                            .get_or_insert_with(|| (0..workers).map(|_| VecDeque::new()).collect());
                        overflow[w].push_back(msg);
                        return Ok(());
                    }
                    if !self.of_worker && shared.stopping.load(Ordering::Relaxed) {
                        return Err(SendError::Stopped(msg));
                    }
                    // Acquire: as above.
                    if slot.dead.load(Ordering::Acquire) {
                        return Err(SendError::WorkerDead {
                            worker: w,
                            message: msg,
                        });
                    }
                    self.wait_for_room(w, &backoff, &mut round);
                }
            }
        }
        if shared.wait.park {
            // A fence (the light side where the fences are asymmetric), then
            // the worker's waiter count: pairs with the fence in its
            // `prepare_wait` (no lost wake-up, see the module docs).
            slot.events.notify_one();
        } else {
            // Nobody ever parks (busy-spinning): no one to wake. The light
            // side of the asymmetric fence stands in for the notify's fence
            // below; `shutdown` pays the heavy side.
            nanopath_atomic::fence::light();
        }
        // Relaxed: ordered after our push by the fence above (the light
        // side where the fences are asymmetric), which pairs with
        // `shutdown`'s heavy fence after it sets `stopping`. `dead` needs no
        // pairing: a dying worker empties its rings and sets it under the
        // drain lock, so a push it missed is either taken back here (we see
        // `dead`) or counted as undelivered later (we do not).
        let late = (!self.of_worker && shared.stopping.load(Ordering::Relaxed))
            || slot.dead.load(Ordering::Relaxed);
        // A worker row during the final drain: the drain holds every drain
        // lock, and nothing can die concurrently.
        if late && !(self.of_worker && shared.stopping.load(Ordering::Relaxed)) {
            return self.take_back(w);
        }
        Ok(())
    }

    /// Our push to worker `w` may have come after the final drain (or after
    /// the worker died): under the drain lock, either the drain is still to
    /// come (it will handle the message), or it is over and our message is
    /// still in our ring, the only one there (this row sends from one
    /// thread, and the drain, or the dying worker, emptied the ring before
    /// leaving it here): take it back.
    #[cold]
    fn take_back(&mut self, w: usize) -> Result<(), SendError<W::Message>> {
        let slot = &self.shared.slots[w];
        let mut leftover = lock(&slot.leftover);
        let Some(rings) = leftover.as_mut() else {
            return Ok(());
        };
        // A ring registered after the rings were left here.
        adopt(slot, rings);
        let Some(ring) = rings.iter_mut().find(|r| r.sender == self.id) else {
            return Ok(());
        };
        // Our message is the newest in our ring (this row sends from one
        // thread). Older ones can be there only for a dead worker: sends
        // that landed after its last drain but saw it alive, so they
        // returned `Ok`; they are counted as undelivered and dropped.
        let mut newest = None;
        let mut older = 0;
        while let Some(message) = ring.rx.pop() {
            if let Some(prev) = newest.replace(message) {
                older += 1;
                let _ = catch_unwind(AssertUnwindSafe(move || drop(prev)));
            }
        }
        // Relaxed: read by `shutdown` after it takes this lock.
        slot.late_undelivered.fetch_add(older, Ordering::Relaxed);
        match newest {
            None => Ok(()),
            // Acquire: `dead` is only ever set before `leftover` is filled
            // for a dead worker (and we hold its lock).
            Some(message) if slot.dead.load(Ordering::Acquire) => {
                Err(SendError::WorkerDead { worker: w, message })
            }
            Some(message) => Err(SendError::Stopped(message)),
        }
    }

    /// One step of waiting for room in our ring to worker `w`, by the wait
    /// strategy; parks on the worker's `room` eventcount when it says so.
    fn wait_for_room(&self, w: usize, backoff: &Backoff, round: &mut u32) {
        let wait = self.shared.wait;
        if *round < wait.spins {
            backoff.spin();
            *round += 1;
        } else if *round - wait.spins < wait.yields {
            yield_now();
            *round += 1;
        } else if wait.park {
            let slot = &self.shared.slots[w];
            let key = slot.room.prepare_wait();
            // Re-check after registering (the fence in `prepare_wait`
            // pairs with the one in the worker's `notify_all`).
            if self.rings[w].free_slots() > 0
                || self.shared.stopping.load(Ordering::Relaxed)
                || slot.dead.load(Ordering::Relaxed)
            {
                key.cancel();
            } else {
                key.wait();
            }
        } else {
            spin_loop();
        }
    }

    fn send_keyed(
        &mut self,
        key: &W::Key,
        msg: W::Message,
        wait: bool,
    ) -> Result<(), SendError<W::Message>> {
        let w = self.shared.partitioner.partition(key, self.workers());
        self.push_to(w, msg, wait)
    }

    fn broadcast(&mut self, msg: W::Message) -> Result<(), SendError<W::Message>>
    where
        W::Message: Clone,
    {
        let n = self.workers();
        for w in 0..n.saturating_sub(1) {
            self.push_to(w, msg.clone(), true)?;
        }
        if n > 0 {
            self.push_to(n - 1, msg, true)?;
        }
        Ok(())
    }
}

/// A sending handle: routes messages to the workers. `Send`, not `Sync`:
/// one per sending thread, each with its own ring to every worker. Get more
/// from [`Runtime::handle`] or [`Handle::new_handle`].
pub struct Handle<W: Worker> {
    row: Row<W>,
    /// Not `Sync`: the rings' producer ends are used from one thread.
    _not_sync: PhantomData<Cell<()>>,
}

impl<W: Worker> Handle<W> {
    /// Sends `msg` to the worker its key maps to, waiting (by the wait
    /// strategy) while that worker's queue is full.
    ///
    /// # Errors
    ///
    /// [`SendError::Stopped`] once the runtime is stopping,
    /// [`SendError::WorkerDead`] if the worker panicked, and
    /// [`SendError::NoSuchWorker`] if the partitioner returned an index out
    /// of range; each hands the message back.
    pub fn send(&mut self, key: &W::Key, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.send_keyed(key, msg, true)
    }

    /// Like [`send`](Self::send), but a full queue hands the message back
    /// as [`SendError::Full`] (backpressure; nothing is dropped).
    ///
    /// # Errors
    ///
    /// As for `send`, and [`SendError::Full`].
    pub fn try_send(&mut self, key: &W::Key, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.send_keyed(key, msg, false)
    }

    /// Sends `msg` to worker `worker`, waiting while its queue is full.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send).
    pub fn send_to(&mut self, worker: usize, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.push_to(worker, msg, true)
    }

    /// Like [`send_to`](Self::send_to), handing the message back on a full
    /// queue.
    ///
    /// # Errors
    ///
    /// As for [`try_send`](Self::try_send).
    pub fn try_send_to(
        &mut self,
        worker: usize,
        msg: W::Message,
    ) -> Result<(), SendError<W::Message>> {
        self.row.push_to(worker, msg, false)
    }

    /// Sends a clone of `msg` to every worker, in index order.
    ///
    /// # Errors
    ///
    /// The first failed send's error; workers before it got their copy.
    pub fn broadcast(&mut self, msg: W::Message) -> Result<(), SendError<W::Message>>
    where
        W::Message: Clone,
    {
        self.row.broadcast(msg)
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.row.workers()
    }

    /// Another handle on the same runtime, with rings of its own: for
    /// another sending thread.
    ///
    /// # Errors
    ///
    /// [`BuildError::Capacity`] if the rings cannot be allocated,
    /// [`BuildError::Stopped`] once the runtime is shutting down.
    pub fn new_handle(&self) -> Result<Handle<W>, BuildError> {
        Handle::new(&self.row.shared)
    }

    fn new(shared: &Arc<Shared<W>>) -> Result<Self, BuildError> {
        Ok(Handle {
            row: Row::new(shared, false)?,
            _not_sync: PhantomData,
        })
    }
}

impl<W: Worker> fmt::Debug for Handle<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.workers())
            .finish_non_exhaustive()
    }
}

/// What a worker's callbacks get: its index, and sends to any worker
/// (itself included) through its own rings, with the calls of [`Handle`].
pub struct Context<'a, W: Worker> {
    row: &'a mut Row<W>,
    index: usize,
}

impl<W: Worker> Context<'_, W> {
    /// This worker's index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.row.workers()
    }

    /// Whether the runtime is shutting down: a worker that keeps sending
    /// to others on its own (a heartbeat, a ping-pong) must stop once it
    /// sees this, or the final drain never finds the queues empty.
    pub fn is_stopping(&self) -> bool {
        // Relaxed: a hint; the drain delivers whatever is sent meanwhile.
        self.row.shared.stopping.load(Ordering::Relaxed)
    }

    /// [`Handle::send`] from a worker. While the runtime stops, sends
    /// between workers still go through (the final drain delivers them).
    /// Waiting on a full queue of this very worker waits forever (nobody
    /// else drains it): send to yourself with the `try_` calls.
    ///
    /// # Errors
    ///
    /// [`SendError::WorkerDead`], [`SendError::NoSuchWorker`].
    pub fn send(&mut self, key: &W::Key, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.send_keyed(key, msg, true)
    }

    /// [`Handle::try_send`] from a worker.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send), and [`SendError::Full`].
    pub fn try_send(&mut self, key: &W::Key, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.send_keyed(key, msg, false)
    }

    /// [`Handle::send_to`] from a worker. A worker that waits on its own
    /// full queue waits forever: send to yourself with `try_send_to`.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send).
    pub fn send_to(&mut self, worker: usize, msg: W::Message) -> Result<(), SendError<W::Message>> {
        self.row.push_to(worker, msg, true)
    }

    /// [`Handle::try_send_to`] from a worker.
    ///
    /// # Errors
    ///
    /// As for [`try_send`](Self::try_send).
    pub fn try_send_to(
        &mut self,
        worker: usize,
        msg: W::Message,
    ) -> Result<(), SendError<W::Message>> {
        self.row.push_to(worker, msg, false)
    }

    /// [`Handle::broadcast`] from a worker (this worker included: see
    /// [`send`](Self::send) about waiting on one's own queue).
    ///
    /// # Errors
    ///
    /// As for [`Handle::broadcast`].
    pub fn broadcast(&mut self, msg: W::Message) -> Result<(), SendError<W::Message>>
    where
        W::Message: Clone,
    {
        self.row.broadcast(msg)
    }
}

impl<W: Worker> fmt::Debug for Context<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("index", &self.index)
            .field("workers", &self.workers())
            .finish()
    }
}

/// Configures and starts a [`Runtime`]. From [`Runtime::builder`].
pub struct Builder<W: Worker> {
    workers: Option<usize>,
    capacity: usize,
    batch: usize,
    wait: WaitStrategy,
    fences: WakeFences,
    pin: bool,
    partitioner: Option<Box<dyn Partitioner<W::Key>>>,
}

/// Which side pays the store→load barrier that keeps a wake-up from being
/// lost: the sender after its push (it must see a worker that is going to
/// sleep) or the worker before it sleeps (it must see that push). Only
/// matters for a [`WaitStrategy`] that parks; a busy-spinning runtime pays
/// no fence per send either way. Senders blocked on a full ring always
/// use `SeqCst` fences with the worker (one per round it drains, shared by
/// the batch).
///
/// ```
/// use nanopath_shard::WakeFences;
/// assert_eq!(WakeFences::default(), WakeFences::Adaptive);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WakeFences {
    /// The default: each worker picks [`Asymmetric`](Self::Asymmetric)
    /// while it streams (at least 65 536 messages since it last got ready
    /// to park) and [`Symmetric`](Self::Symmetric) when it parks often
    /// (fewer than 4 096 messages since the last time), switching at its
    /// own pace (`EventCount::use_symmetric_fences` in nanopath-atomic).
    /// A fence saved per send is worth a few nanoseconds; a `membarrier`
    /// costs a few microseconds on bare metal and measured 36 µs on a
    /// 2-vCPU KVM guest, so parking more often than every few thousand
    /// messages costs more than the fences it saves.
    #[default]
    Adaptive,
    /// Always asymmetric, as Seastar's reactors do it: a send pays a
    /// compiler fence only, and an idle worker about to park pays
    /// `membarrier` on Linux, which makes every CPU running a thread of
    /// this process execute a barrier (an inter-processor interrupt each).
    /// Parking comes after the strategy's spins and yields, so that is at
    /// most one per idle period per worker. Where `membarrier` is
    /// unavailable (other systems, old kernels) both sides use `SeqCst`
    /// fences.
    Asymmetric,
    /// A `SeqCst` fence on both sides: a few nanoseconds more per send,
    /// no interrupts. For workers that go idle and wake thousands of times
    /// a second, or a host where interrupts are costly.
    Symmetric,
}

/// [`WakeFences::Adaptive`]: a worker that gets ready to park after fewer
/// messages than this since it last did moves to symmetric fences.
const PARKS_OFTEN_BELOW: u64 = 4096;

/// [`WakeFences::Adaptive`]: a worker that handled this many messages since
/// it last got ready to park moves to asymmetric fences.
const STREAMS_FROM: u64 = 65_536;

impl WakeFences {
    /// The eventcount an idle worker parks on.
    fn event_count(self) -> EventCount {
        match self {
            WakeFences::Adaptive | WakeFences::Asymmetric => EventCount::new_asymmetric(),
            WakeFences::Symmetric => EventCount::new(),
        }
    }
}

impl<W: Worker> fmt::Debug for Builder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("capacity", &self.capacity)
            .field("batch", &self.batch)
            .field("wait", &self.wait)
            .field("fences", &self.fences)
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

impl<W: Worker> Builder<W> {
    /// The number of workers (default: the CPUs this process may run on,
    /// [`default_workers`](crate::default_workers)).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = Some(n);
        self
    }

    /// The capacity of each ring into a worker (default 1024): a worker
    /// holds up to this many messages from each sender.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The most messages a worker takes from one ring per round, and so
    /// the largest batch `handle_batch` sees (default 64).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// How idle workers and blocked senders wait (default
    /// [`WaitStrategy::spin_yield_park`]).
    pub fn wait_strategy(mut self, wait: WaitStrategy) -> Self {
        self.wait = wait;
        self
    }

    /// Which side pays for wake-ups (default [`WakeFences::Adaptive`]:
    /// cheap sends while a worker streams, no `membarrier` per park when it
    /// parks often).
    pub fn wake_fences(mut self, fences: WakeFences) -> Self {
        self.fences = fences;
        self
    }

    /// Pins worker `i` to the `i`-th CPU this process may run on (default
    /// off). A pin that fails is reported by [`Runtime::pin_warnings`],
    /// never a panic; more workers than allowed CPUs is a build error.
    pub fn pin_workers(mut self, pin: bool) -> Self {
        self.pin = pin;
        self
    }

    /// How keys map to workers (default
    /// [`HashPartitioner`](crate::partition::HashPartitioner)).
    pub fn partitioner(mut self, p: impl Partitioner<W::Key> + 'static) -> Self {
        self.partitioner = Some(Box::new(p));
        self
    }

    /// Starts the workers; `make(i)` builds worker `i` and its state (on
    /// the calling thread; both are then moved to the worker's thread).
    ///
    /// # Errors
    ///
    /// A [`BuildError`] for 0 workers, a capacity or batch of 0, rings too
    /// large to allocate, more pinned workers than allowed CPUs, or a
    /// thread that could not be spawned.
    pub fn build(
        self,
        mut make: impl FnMut(usize) -> (W, W::State),
    ) -> Result<Runtime<W>, BuildError> {
        let workers = self.workers.unwrap_or_else(crate::default_workers);
        if workers == 0 {
            return Err(BuildError::NoWorkers);
        }
        if self.capacity == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        if self.batch == 0 {
            return Err(BuildError::ZeroBatch);
        }
        let cpus = if self.pin {
            let cpus = core_affinity::get_core_ids().unwrap_or_default();
            if workers > cpus.len() {
                return Err(BuildError::TooManyPinned {
                    workers,
                    cpus: cpus.len(),
                });
            }
            cpus
        } else {
            Vec::new()
        };
        let slots = (0..workers)
            .map(|_| WorkerSlot {
                events: CachePadded::new(self.fences.event_count()),
                room: CachePadded::new(EventCount::new()),
                has_new_rings: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                late_undelivered: AtomicUsize::new(0),
                new_rings: Mutex::new(Vec::new()),
                leftover: Mutex::new(None),
                stats: StatsCell::default(),
            })
            .collect();
        let shared = Arc::new(Shared {
            slots,
            partitioner: self
                .partitioner
                .unwrap_or_else(|| Box::new(crate::partition::HashPartitioner)),
            stopping: CachePadded::new(AtomicBool::new(false)),
            next_sender: AtomicU64::new(0),
            capacity: self.capacity,
            batch: self.batch,
            fences: self.fences,
            wait: self.wait,
        });
        // Pinned threads report how their pin went, first thing.
        let (pin_tx, pin_rx) = std::sync::mpsc::channel();
        let mut threads = Vec::with_capacity(workers);
        let runtime_threads = |threads: Vec<JoinHandle<Exit<W>>>| Runtime {
            shared: Arc::clone(&shared),
            threads,
            pin_warnings: Vec::new(),
        };
        for index in 0..workers {
            let (worker, state) = match catch_unwind(AssertUnwindSafe(|| make(index))) {
                Ok(made) => made,
                Err(payload) => {
                    // Stop the workers already started, then go on
                    // unwinding.
                    let _ = runtime_threads(threads).shutdown();
                    std::panic::resume_unwind(payload);
                }
            };
            let row = match Row::new(&shared, true) {
                Ok(row) => row,
                Err(e) => {
                    // Stop what was started; its states are dropped.
                    let _ = runtime_threads(threads).shutdown();
                    return Err(e);
                }
            };
            let thread_shared = Arc::clone(&shared);
            let cpu = cpus.get(index).copied();
            let pin_tx = cpu.map(|_| pin_tx.clone());
            let spawned = spawn_worker(index, move || {
                if let (Some(cpu), Some(pin_tx)) = (cpu, pin_tx) {
                    let pinned = core_affinity::set_for_current(cpu);
                    let _ = pin_tx.send((index, cpu.id, pinned));
                }
                worker_main(thread_shared, index, worker, state, row)
            });
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    let _ = runtime_threads(threads).shutdown();
                    return Err(BuildError::Spawn(e.kind()));
                }
            }
        }
        drop(pin_tx);
        let mut runtime = runtime_threads(threads);
        // Each pinned thread reports once and drops its sender; unpinned
        // ones never had one, so this returns at once without pinning.
        for (worker, cpu, pinned) in pin_rx.iter() {
            if !pinned {
                runtime.pin_warnings.push(PinWarning { worker, cpu });
            }
        }
        runtime.pin_warnings.sort_by_key(|w| w.worker);
        Ok(runtime)
    }
}

/// What a worker thread hands back when it ends.
struct Exit<W: Worker> {
    /// The worker and its state; `None` if it panicked.
    worker: Option<(W, W::State)>,
    /// The panic message, if it panicked.
    panic: Option<String>,
    /// If it panicked: the messages it took but did not finish (the whole
    /// batch that panicked) and those left in its rings, all dropped.
    undelivered: usize,
    /// Its rings (empty if it panicked: they went to `leftover`).
    rings: Vec<Inbound<W::Message>>,
    /// Its outgoing row.
    row: Row<W>,
}

/// A running set of workers. Dropping it without [`shutdown`](Self::shutdown)
/// shuts it down and drops the states.
pub struct Runtime<W: Worker> {
    shared: Arc<Shared<W>>,
    threads: Vec<JoinHandle<Exit<W>>>,
    pin_warnings: Vec<PinWarning>,
}

impl<W: Worker> fmt::Debug for Runtime<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .field("pin_warnings", &self.pin_warnings)
            .finish_non_exhaustive()
    }
}

impl<W: Worker> Runtime<W> {
    /// A builder with the defaults (see [`Builder`]).
    pub fn builder() -> Builder<W> {
        Builder {
            workers: None,
            capacity: 1024,
            batch: 64,
            wait: WaitStrategy::default(),
            fences: WakeFences::default(),
            pin: false,
            partitioner: None,
        }
    }

    /// A new sending handle (rings of its own to every worker).
    ///
    /// # Errors
    ///
    /// [`BuildError::Capacity`] if the rings cannot be allocated.
    pub fn handle(&self) -> Result<Handle<W>, BuildError> {
        Handle::new(&self.shared)
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.slots.len()
    }

    /// Pins that failed (empty unless pinning was asked for).
    pub fn pin_warnings(&self) -> &[PinWarning] {
        &self.pin_warnings
    }

    /// Worker `i`'s statistics, or `None` past the last worker.
    pub fn stats(&self, worker: usize) -> Option<WorkerStats> {
        self.shared.slots.get(worker).map(|s| s.stats.snapshot())
    }

    /// Every worker's statistics added up.
    pub fn total_stats(&self) -> WorkerStats {
        self.shared
            .slots
            .iter()
            .fold(WorkerStats::default(), |sum, s| {
                sum.add(&s.stats.snapshot())
            })
    }

    /// Stops accepting sends from handles, drains every queue (messages
    /// workers send each other meanwhile included), runs `on_stop`, joins
    /// the threads and returns every worker's final state, in index order.
    ///
    /// # Errors
    ///
    /// [`ShutdownError`] if a worker panicked: it names each such worker
    /// and its panic message, and still holds the other workers' states.
    pub fn shutdown(mut self) -> Result<Vec<W::State>, ShutdownError<W::State>> {
        self.stop()
    }

    fn stop(&mut self) -> Result<Vec<W::State>, ShutdownError<W::State>> {
        let shared = Arc::clone(&self.shared);
        shared.stopping.store(true, Ordering::Relaxed);
        // The heavy side (a `SeqCst` fence, and `membarrier` where the pair
        // is asymmetric): pairs with the fence after each user send's push,
        // which is a compiler fence only when the sends are asymmetric
        // (busy-spinning, or `WakeFences` in the asymmetric mode) and a
        // `SeqCst` fence otherwise. Once per shutdown.
        nanopath_atomic::fence::heavy();
        for slot in shared.slots.iter() {
            slot.events.notify_all();
            slot.room.notify_all();
        }
        let exits: Vec<Exit<W>> = self
            .threads
            .drain(..)
            .map(|t| t.join().expect("worker threads catch their panics"))
            .collect();
        final_drain(&shared, exits)
    }
}

impl<W: Worker> Drop for Runtime<W> {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            let _ = self.stop();
        }
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// Moves new senders' rings into `rings`.
fn adopt<M>(slot: &WorkerSlot<M>, rings: &mut Vec<Inbound<M>>) {
    let mut new = lock(&slot.new_rings);
    // Relaxed: under the lock that orders the list.
    slot.has_new_rings.store(false, Ordering::Relaxed);
    rings.append(&mut new);
}

/// A worker thread: its loop, with its panics caught.
fn worker_main<W: Worker>(
    shared: Arc<Shared<W>>,
    index: usize,
    mut worker: W,
    mut state: W::State,
    mut row: Row<W>,
) -> Exit<W> {
    let mut rings = Vec::new();
    // The size of the batch being handled (0 between batches), for the
    // count of undelivered messages if the worker panics in it.
    let in_flight = Cell::new(0usize);
    let run = catch_unwind(AssertUnwindSafe(|| {
        run_loop(
            &shared,
            index,
            &mut worker,
            &mut state,
            &mut row,
            &mut rings,
            &in_flight,
        )
    }));
    match run {
        Ok(()) => Exit {
            worker: Some((worker, state)),
            panic: None,
            undelivered: 0,
            rings,
            row,
        },
        Err(payload) => {
            let message = panic_message(&*payload);
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            // The worker and its state may be half-updated: drop them
            // (a panic there too is caught; nothing is left to report it to).
            let _ = catch_unwind(AssertUnwindSafe(move || drop((worker, state))));
            let slot = &shared.slots[index];
            let mut leftover = lock(&slot.leftover);
            adopt(slot, &mut rings);
            // Empty the rings before `dead` is set: whatever a sender then
            // finds in its ring came after the death and is its own
            // (`take_back`).
            let undelivered = in_flight.get()
                + rings
                    .iter_mut()
                    .map(|r| drain_count(&mut r.rx))
                    .sum::<usize>();
            *leftover = Some(std::mem::take(&mut rings));
            // SeqCst, after the rings are in place and under their lock:
            // a sender that sees it takes its message back (`take_back`).
            slot.dead.store(true, Ordering::SeqCst);
            drop(leftover);
            slot.room.notify_all();
            Exit {
                worker: None,
                panic: Some(message),
                undelivered,
                rings,
                row,
            }
        }
    }
}

/// Whether any of `rings` holds a message.
fn any_ready<M>(rings: &[Inbound<M>]) -> bool {
    rings.iter().any(|r| !r.rx.is_empty())
}

/// The worker loop: rounds over the rings until `stopping`.
fn run_loop<W: Worker>(
    shared: &Shared<W>,
    index: usize,
    worker: &mut W,
    state: &mut W::State,
    row: &mut Row<W>,
    rings: &mut Vec<Inbound<W::Message>>,
    in_flight: &Cell<usize>,
) {
    let slot = &shared.slots[index];
    let mut batch = Vec::with_capacity(shared.batch);
    let mut start = 0usize;
    let backoff = Backoff::new();
    let mut idle = 0u32;
    // Adaptive fences: messages since this worker last got ready to park,
    // and whether its eventcount is in the asymmetric mode (only this
    // worker switches it; it starts there).
    let adaptive = shared.fences == WakeFences::Adaptive;
    let mut since_park = 0u64;
    let mut light = adaptive;
    loop {
        // Acquire: pairs with the Release in `Row::new`.
        if slot.has_new_rings.load(Ordering::Acquire) {
            adopt(slot, rings);
        }
        let (mut received, mut batches) = (0u64, 0u64);
        let mut began = None;
        let n = rings.len();
        for k in 0..n {
            let ring = &mut rings[(start + k) % n];
            let got = ring.rx.pop_batch(&mut batch, shared.batch);
            if got == 0 {
                continue;
            }
            began.get_or_insert_with(Instant::now);
            slot.stats.record_received(got as u64);
            in_flight.set(got);
            let mut ctx = Context { row, index };
            worker.handle_batch(&mut ctx, state, &mut batch);
            in_flight.set(0);
            batch.clear();
            received += got as u64;
            batches += 1;
        }
        if n > 0 {
            start = (start + 1) % n;
        }
        if received > 0 {
            let mut ctx = Context { row, index };
            worker.tick(&mut ctx, state);
            // What the rings held when this round last looked: reading the
            // senders' positions again would cost each a cache miss.
            let depth = rings.iter().map(|r| r.rx.known_len() as u64).sum();
            let busy = began.map_or(Default::default(), |t| t.elapsed());
            slot.stats.record_round(received, batches, depth, busy);
            since_park = since_park.saturating_add(received);
            if adaptive && !light && since_park >= STREAMS_FROM {
                // Nobody is registered (only this worker waits here), so
                // the switch succeeds: sends stop fencing.
                light = slot.events.use_asymmetric_fences();
                slot.stats.record_fence_switch();
            }
            // Room was made: wake senders parked on a full ring (none park
            // when busy-spinning).
            if shared.wait.park {
                slot.room.notify_all();
            }
            idle = 0;
            backoff.reset();
            continue;
        }
        // Acquire: pairs with `shutdown`'s store (its fence orders it).
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        // Rings whose sender is gone and that are empty will stay empty.
        rings.retain(|r| !(r.rx.is_abandoned() && r.rx.is_empty()));
        let wait = shared.wait;
        if idle < wait.spins {
            // Growing pauses, as the strategy documents, except that a
            // worker that never parks (`busy_spin`) looks at its rings after
            // every pause once the backoff is spent: an endless spin must
            // not stretch the time between looks (a pause is tens of cycles
            // or more).
            if wait.park || idle <= Backoff::SPIN_LIMIT {
                backoff.spin();
            } else {
                spin_loop();
            }
            idle += 1;
        } else if idle - wait.spins < wait.yields {
            yield_now();
            idle += 1;
        } else if wait.park {
            if light && since_park < PARKS_OFTEN_BELOW {
                // Parking often: one `membarrier` now instead of one per
                // park (`WakeFences::Adaptive`).
                slot.events.use_symmetric_fences();
                light = false;
                slot.stats.record_fence_switch();
            }
            since_park = 0;
            let key = slot.events.prepare_wait();
            // The re-check after registering (module docs).
            if any_ready(rings)
                || slot.has_new_rings.load(Ordering::Acquire)
                || shared.stopping.load(Ordering::Acquire)
            {
                key.cancel();
            } else {
                slot.stats.record_park();
                key.wait();
                slot.stats.record_wake();
            }
            idle = 0;
            backoff.reset();
        } else {
            spin_loop();
        }
    }
}

/// `shutdown`'s second half, on the calling thread: drain every ring into
/// its live worker until nothing moves, run `on_stop`, leave the rings
/// where late senders can take their messages back.
fn final_drain<W: Worker>(
    shared: &Arc<Shared<W>>,
    exits: Vec<Exit<W>>,
) -> Result<Vec<W::State>, ShutdownError<W::State>> {
    let n = shared.slots.len();
    // Fewer than `n` only when `build` failed part way.
    let live = exits.len();
    // Every drain lock, in index order, for the whole drain.
    let mut leftovers: Vec<_> = shared.slots.iter().map(|s| lock(&s.leftover)).collect();
    let mut workers = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut rings: Vec<Vec<Inbound<W::Message>>> = Vec::with_capacity(n);
    let mut panics = Vec::new();
    for (index, exit) in exits.into_iter().enumerate() {
        let mut own = exit.rings;
        adopt(&shared.slots[index], &mut own);
        if let Some(message) = exit.panic {
            // Its rings are in `leftover` already: what they hold cannot be
            // handled any more.
            // Relaxed: written under the lock we hold.
            let late = shared.slots[index].late_undelivered.load(Ordering::Relaxed);
            let mut undelivered = exit.undelivered
                + late
                + own
                    .iter_mut()
                    .map(|r| drain_count(&mut r.rx))
                    .sum::<usize>();
            if let Some(left) = leftovers[index].as_mut() {
                left.append(&mut own);
                undelivered += left
                    .iter_mut()
                    .map(|r| drain_count(&mut r.rx))
                    .sum::<usize>();
            }
            panics.push(WorkerPanic {
                worker: index,
                message,
                undelivered,
            });
        }
        let mut row = exit.row;
        row.overflow
            .get_or_insert_with(|| (0..n).map(|_| VecDeque::new()).collect());
        workers.push(exit.worker);
        rows.push(row);
        rings.push(own);
    }
    let batch_size = shared.batch;
    let mut batch = Vec::with_capacity(batch_size);
    // As in the worker loop: the batch being handled, for `undelivered`.
    let in_flight = Cell::new(0usize);
    loop {
        let mut moved = false;
        for w in 0..live {
            let mut failed = None;
            if let Some((worker, state)) = workers[w].as_mut() {
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let mut moved_here = false;
                    for r in 0..rings[w].len() {
                        while rings[w][r].rx.pop_batch(&mut batch, batch_size) > 0 {
                            handle_final(
                                shared,
                                w,
                                worker,
                                state,
                                &mut rows[w],
                                &mut batch,
                                &in_flight,
                            );
                            moved_here = true;
                        }
                    }
                    for from in 0..live {
                        while let Some(msg) =
                            rows[from].overflow.as_mut().and_then(|o| o[w].pop_front())
                        {
                            batch.push(msg);
                            handle_final(
                                shared,
                                w,
                                worker,
                                state,
                                &mut rows[w],
                                &mut batch,
                                &in_flight,
                            );
                            moved_here = true;
                        }
                    }
                    if moved_here {
                        let mut ctx = Context {
                            row: &mut rows[w],
                            index: w,
                        };
                        worker.tick(&mut ctx, state);
                    }
                    moved_here
                }));
                match outcome {
                    Ok(m) => moved |= m,
                    Err(payload) => {
                        failed = Some(panic_message(&*payload));
                        let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
                    }
                }
            }
            if let Some(message) = failed {
                // As for a worker thread's panic: drop what it holds, and
                // count what it can no longer handle.
                let _ = catch_unwind(AssertUnwindSafe(|| batch.clear()));
                let gone = workers[w].take();
                let _ = catch_unwind(AssertUnwindSafe(move || drop(gone)));
                shared.slots[w].dead.store(true, Ordering::SeqCst);
                let mut undelivered: usize = in_flight.replace(0)
                    + rings[w]
                        .iter_mut()
                        .map(|r| drain_count(&mut r.rx))
                        .sum::<usize>();
                undelivered += drop_overflow(&mut rows, w);
                panics.push(WorkerPanic {
                    worker: w,
                    message,
                    undelivered,
                });
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    // Messages parked for workers that died on their own threads.
    for p in panics.iter_mut() {
        p.undelivered += drop_overflow(&mut rows, p.worker);
    }
    // The rings go where late senders look for their messages, and the
    // locks are released before any more user code (`on_stop`, drops) runs.
    for (slot_rings, leftover) in rings.into_iter().zip(leftovers.iter_mut()) {
        match leftover.as_mut() {
            Some(left) => left.extend(slot_rings),
            None => **leftover = Some(slot_rings),
        }
    }
    drop(leftovers);
    let mut states = Vec::with_capacity(n);
    for (w, worker) in workers.into_iter().enumerate() {
        let Some((mut worker, mut state)) = worker else {
            states.push(None);
            continue;
        };
        match catch_unwind(AssertUnwindSafe(|| worker.on_stop(&mut state))) {
            Ok(()) => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(worker))) {
                    panics.push(WorkerPanic {
                        worker: w,
                        message: panic_message(&*payload),
                        undelivered: 0,
                    });
                }
                states.push(Some(state));
            }
            Err(payload) => {
                panics.push(WorkerPanic {
                    worker: w,
                    message: panic_message(&*payload),
                    undelivered: 0,
                });
                let _ = catch_unwind(AssertUnwindSafe(move || drop((worker, state))));
                states.push(None);
            }
        }
    }
    panics.sort_by_key(|p| p.worker);
    if panics.is_empty() && states.len() == n {
        Ok(states.into_iter().flatten().collect())
    } else {
        Err(ShutdownError { panics, states })
    }
}

/// Hands a batch to worker `w` during the final drain.
fn handle_final<W: Worker>(
    shared: &Shared<W>,
    w: usize,
    worker: &mut W,
    state: &mut W::State,
    row: &mut Row<W>,
    batch: &mut Vec<W::Message>,
    in_flight: &Cell<usize>,
) {
    let got = batch.len();
    let began = Instant::now();
    shared.slots[w].stats.record_received(got as u64);
    in_flight.set(got);
    let mut ctx = Context { row, index: w };
    worker.handle_batch(&mut ctx, state, batch);
    in_flight.set(0);
    batch.clear();
    shared.slots[w]
        .stats
        .record_round(got as u64, 1, 0, began.elapsed());
}

/// Drops the messages the rows parked for worker `w`; returns how many.
fn drop_overflow<W: Worker>(rows: &mut [Row<W>], w: usize) -> usize {
    let mut n = 0;
    for row in rows.iter_mut() {
        if let Some(o) = row.overflow.as_mut() {
            for msg in o[w].drain(..) {
                n += 1;
                let _ = catch_unwind(AssertUnwindSafe(move || drop(msg)));
            }
        }
    }
    n
}

/// Pops and drops everything in `rx` (a message whose `Drop` panics is
/// still counted, and the rest still dropped); returns how many.
fn drain_count<M>(rx: &mut spsc::Consumer<M>) -> usize {
    let mut n = 0;
    while let Some(msg) = rx.pop() {
        n += 1;
        let _ = catch_unwind(AssertUnwindSafe(move || drop(msg)));
    }
    n
}
