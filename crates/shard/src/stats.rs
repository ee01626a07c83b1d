//! Per-worker statistics: written only by the worker that owns them, with
//! plain stores on a line of their own, read by anyone.

use core::time::Duration;
use nanopath_atomic::CachePadded;
use nanopath_atomic::sync::{AtomicU64, Ordering};

/// A snapshot of one worker's counters (or their sum, from
/// [`Runtime::total_stats`](crate::Runtime::total_stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Messages taken off the worker's queues.
    pub received: u64,
    /// Messages whose `handle_batch` call returned.
    pub handled: u64,
    /// `handle_batch` calls.
    pub batches: u64,
    /// Messages waiting in the worker's queues after its last round, as far
    /// as the worker had seen (a snapshot it takes after each round that
    /// handled something, without re-reading the senders' positions: a
    /// lower bound).
    pub queue_depth: u64,
    /// Sends that found this worker's queue full (counted by the senders).
    pub full_events: u64,
    /// Times the worker parked because it had nothing to do.
    pub parks: u64,
    /// Times a parked worker woke up.
    pub wakes: u64,
    /// Switches of the wake-up fences between the asymmetric and the
    /// symmetric pair (`WakeFences::Adaptive`; 0 otherwise).
    pub fence_switches: u64,
    /// Time spent in rounds that handled messages.
    pub busy: Duration,
}

impl WorkerStats {
    /// The counters of `self` and `other` added up (the depth too).
    pub fn add(&self, other: &WorkerStats) -> WorkerStats {
        WorkerStats {
            received: self.received + other.received,
            handled: self.handled + other.handled,
            batches: self.batches + other.batches,
            queue_depth: self.queue_depth + other.queue_depth,
            full_events: self.full_events + other.full_events,
            parks: self.parks + other.parks,
            wakes: self.wakes + other.wakes,
            fence_switches: self.fence_switches + other.fence_switches,
            busy: self.busy + other.busy,
        }
    }
}

/// The counters one worker writes.
#[derive(Debug, Default)]
pub(crate) struct OwnedCounters {
    received: AtomicU64,
    handled: AtomicU64,
    batches: AtomicU64,
    queue_depth: AtomicU64,
    parks: AtomicU64,
    wakes: AtomicU64,
    fence_switches: AtomicU64,
    busy_nanos: AtomicU64,
}

/// A worker's statistics: its own counters on their line, and the senders'
/// full-queue count on another (written only on that slow path).
#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    owned: CachePadded<OwnedCounters>,
    full_events: CachePadded<AtomicU64>,
}

/// Adds `n` to a counter only its owner writes: a load and a store, no
/// read-modify-write.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    // Relaxed load: the one writer reads its own last store. Release
    // store: a reader that loads this value (Acquire) also sees the
    // counters written before it (see `snapshot`). Both are plain moves on
    // x86-64.
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Release,
    );
}

impl StatsCell {
    /// Owner only: `n` messages taken off the queues, about to be handled.
    pub(crate) fn record_received(&self, n: u64) {
        bump(&self.owned.received, n);
    }

    /// Owner only: a round that handled `handled` messages in `batches`
    /// calls, left `depth` waiting and took `busy`.
    pub(crate) fn record_round(&self, handled: u64, batches: u64, depth: u64, busy: Duration) {
        let c = &*self.owned;
        bump(&c.handled, handled);
        bump(&c.batches, batches);
        // Relaxed: a snapshot value.
        c.queue_depth.store(depth, Ordering::Relaxed);
        bump(
            &c.busy_nanos,
            busy.as_nanos().min(u128::from(u64::MAX)) as u64,
        );
    }

    /// Owner only: one park, and whether it ended in a wake-up.
    pub(crate) fn record_park(&self) {
        bump(&self.owned.parks, 1);
    }

    /// Owner only: a parked worker woke up.
    pub(crate) fn record_wake(&self) {
        bump(&self.owned.wakes, 1);
    }

    /// Owner only: its wake-up fences changed mode.
    pub(crate) fn record_fence_switch(&self) {
        bump(&self.owned.fence_switches, 1);
    }

    /// Any sender: its send found the queue full.
    pub(crate) fn record_full(&self) {
        // Relaxed: a statistic; senders share this line only when full.
        self.full_events.fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot (each counter read once; they may be from slightly
    /// different moments).
    pub(crate) fn snapshot(&self) -> WorkerStats {
        let c = &*self.owned;
        // Acquire: pairs with `bump`'s Release. `handled` is read before
        // `received`, the reverse of the order they are written (received
        // before a batch, handled after its round), so a snapshot never
        // shows more handled than received.
        let load = |a: &AtomicU64| a.load(Ordering::Acquire);
        let handled = load(&c.handled);
        WorkerStats {
            received: load(&c.received),
            handled,
            batches: load(&c.batches),
            queue_depth: load(&c.queue_depth),
            full_events: load(&self.full_events),
            parks: load(&c.parks),
            wakes: load(&c.wakes),
            fence_switches: load(&c.fence_switches),
            busy: Duration::from_nanos(load(&c.busy_nanos)),
        }
    }
}
