//! How blocked operations wait: the [`WaitStrategy`] (spin, yield, park)
//! and the loop that retries an operation and parks on an [`EventCount`].

use crate::sync::{spin_loop, yield_now};
use nanopath_atomic::{Backoff, EventCount};
use std::time::Instant;

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
    /// Spin rounds before yielding; round `k` gives `2^min(k, 6)` spin
    /// hints (a [`Backoff`] from `nanopath-atomic`).
    pub spins: u32,
    /// `yield_now` calls after spinning, before parking.
    pub yields: u32,
    /// Park after that (on an [`EventCount`], a condition variable
    /// underneath); `false` keeps spinning (with spin hints) for as long as
    /// the wait lasts.
    pub park: bool,
}

impl WaitStrategy {
    /// Never sleep, never yield: for threads pinned to their own cores.
    ///
    /// A channel built with a strategy that never parks (`park: false`)
    /// pays no hardware fence per operation: no thread can be asleep on it,
    /// so its notifications use the light side of an asymmetric fence (see
    /// `nanopath_atomic::fence`), and the last receiver's drop pays the
    /// heavy side once (`membarrier` on Linux). An async task that waits on
    /// such a channel (`recv_async` on an empty one, say) moves that side
    /// to `SeqCst` fences for good, once. A strategy that may park keeps
    /// one `SeqCst` fence per successful operation.
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

/// What one attempt of a blocking operation found; `S` is what the
/// operation carries between attempts (the value, for a send).
pub(super) enum Step<R, S> {
    /// It succeeded, with this result.
    Done(R),
    /// Not now (full, or empty): try again later.
    Again(S),
    /// It can never succeed: the other side is gone.
    Closed(S),
}

/// Why a wait ended without a result.
pub(super) enum WaitEnd {
    /// The deadline passed.
    Timeout,
    /// The other side is gone.
    Closed,
}

impl WaitStrategy {
    /// Runs `attempt` until it is done, closed, or `deadline` passes,
    /// waiting between tries as the strategy says and parking on `events`
    /// (notified by the other side after each operation that may unblock
    /// this one). `state` goes into each attempt and comes back from a
    /// failed one.
    ///
    /// Every wake-up leads to a retry before the loop may give up or sleep
    /// again, so one notification per item (or freed slot) is enough: the
    /// thread it wakes either takes that item, or finds it taken by
    /// another thread, which then was the one that needed it.
    pub(super) fn block<S, R>(
        &self,
        events: &EventCount,
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
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err((state, WaitEnd::Timeout));
            }
            if round < self.spins {
                backoff.spin();
                round += 1;
            } else if round - self.spins < self.yields {
                yield_now();
                round += 1;
            } else if self.park {
                // Register, then the one more attempt that `prepare_wait`'s
                // barrier orders against the notifier's: either it sees the
                // other side's operation, or the notifier sees us
                // registered and wakes us (see `EventCount`).
                let key = events.prepare_wait();
                state = match attempt(state) {
                    Step::Again(s) => {
                        // Notified or timed out: the loop tries again
                        // either way, and checks the deadline after that.
                        key.wait_until(deadline);
                        s
                    }
                    Step::Done(r) => {
                        key.cancel();
                        return Ok(r);
                    }
                    Step::Closed(s) => {
                        key.cancel();
                        return Err((s, WaitEnd::Closed));
                    }
                };
            } else {
                spin_loop();
            }
        }
    }
}
