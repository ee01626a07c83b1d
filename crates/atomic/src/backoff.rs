//! [`Backoff`]: exponential backoff for spin loops.
//! (See the type's documentation for the design.)

use crate::sync::{spin_loop, yield_now};
use core::cell::Cell;
use core::fmt;

/// Exponential backoff for spin loops.
///
/// Step `s` spins `2^s` times; spinning stops growing after [`SPIN_LIMIT`]
/// steps, and `snooze` switches to yielding past it. After [`YIELD_LIMIT`]
/// steps [`is_completed`](Self::is_completed) returns `true`.
///
/// # Examples
///
/// Retrying a CAS:
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use nanopath_atomic::Backoff;
///
/// fn fetch_double(a: &AtomicUsize) -> usize {
///     let backoff = Backoff::new();
///     let mut current = a.load(Ordering::Relaxed);
///     loop {
///         match a.compare_exchange_weak(current, current * 2, Ordering::AcqRel, Ordering::Relaxed) {
///             Ok(previous) => return previous,
///             Err(actual) => {
///                 current = actual;
///                 backoff.spin();
///             }
///         }
///     }
/// }
///
/// let a = AtomicUsize::new(21);
/// assert_eq!(fetch_double(&a), 21);
/// assert_eq!(a.load(Ordering::Relaxed), 42);
/// ```
///
/// [`SPIN_LIMIT`]: Backoff::SPIN_LIMIT
/// [`YIELD_LIMIT`]: Backoff::YIELD_LIMIT
///
/// # Design
///
/// Two different situations call for backing off, and they want different
/// behaviour:
///
/// * a CAS lost a race ([`Backoff::spin`]): the other thread has already made
///   progress, so retry soon, with a short and growing run of spin hints to
///   stop cores from hammering the same line in lock-step;
/// * we wait for another thread to do something ([`Backoff::snooze`]): spin a
///   little, then give the core away with `yield_now`, and once that has gone
///   on for a while [`Backoff::is_completed`] tells the caller to block
///   (park, futex, condvar) instead.
pub struct Backoff {
    /// Steps taken so far; `0..=YIELD_LIMIT + 1` (it stops growing there).
    step: Cell<u32>,
}

impl Backoff {
    /// Steps after which spinning stops growing (`2^6 = 64` hints per step)
    /// and `snooze` starts yielding.
    pub const SPIN_LIMIT: u32 = 6;
    /// Steps after which [`is_completed`](Self::is_completed) advises
    /// blocking.
    pub const YIELD_LIMIT: u32 = 10;

    /// A fresh backoff at step 0.
    ///
    /// ```
    /// let b = nanopath_atomic::Backoff::new();
    /// assert!(!b.is_completed());
    /// ```
    #[inline]
    pub const fn new() -> Self {
        Self { step: Cell::new(0) }
    }

    /// Starts over from step 0, e.g. after progress was made.
    ///
    /// ```
    /// let b = nanopath_atomic::Backoff::new();
    /// while !b.is_completed() {
    ///     b.snooze();
    /// }
    /// b.reset();
    /// assert!(!b.is_completed());
    /// ```
    #[inline]
    pub fn reset(&self) {
        self.step.set(0);
    }

    /// Backs off after a failed CAS: spins `2^min(step, SPIN_LIMIT)` times
    /// and never yields (the other thread already made progress).
    ///
    /// ```
    /// let b = nanopath_atomic::Backoff::new();
    /// for _ in 0..100 {
    ///     b.spin();
    /// }
    /// // spin never advances far enough to advise parking.
    /// assert!(!b.is_completed());
    /// ```
    #[inline]
    pub fn spin(&self) {
        let step = self.step.get().min(Self::SPIN_LIMIT);
        spin_hints(step);
        if self.step.get() <= Self::SPIN_LIMIT {
            self.step.set(self.step.get() + 1);
        }
    }

    /// Backs off while waiting for another thread: spins while the step is
    /// small, then yields the time slice (`std::thread::yield_now`; a spin
    /// hint without `std`).
    ///
    /// ```
    /// use core::sync::atomic::{AtomicBool, Ordering};
    /// use nanopath_atomic::Backoff;
    ///
    /// let ready = AtomicBool::new(false);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| ready.store(true, Ordering::Release));
    ///     let backoff = Backoff::new();
    ///     while !ready.load(Ordering::Acquire) {
    ///         backoff.snooze();
    ///     }
    /// });
    /// assert!(ready.load(Ordering::Relaxed));
    /// ```
    #[inline]
    pub fn snooze(&self) {
        let step = self.step.get();
        if step <= Self::SPIN_LIMIT {
            spin_hints(step);
        } else {
            yield_now();
        }
        if step <= Self::YIELD_LIMIT {
            self.step.set(step + 1);
        }
    }

    /// `true` once backing off has gone on long enough that the caller should
    /// block instead of spinning.
    ///
    /// ```
    /// let b = nanopath_atomic::Backoff::new();
    /// let mut snoozes = 0;
    /// while !b.is_completed() {
    ///     b.snooze();
    ///     snoozes += 1;
    /// }
    /// assert_eq!(snoozes, nanopath_atomic::Backoff::YIELD_LIMIT + 1);
    /// ```
    #[inline]
    pub fn is_completed(&self) -> bool {
        self.step.get() > Self::YIELD_LIMIT
    }
}

/// `2^step` spin hints; one under loom, where each hint is a scheduling
/// point and a run of them only multiplies the interleavings to explore.
#[inline]
fn spin_hints(step: u32) {
    #[cfg(not(nanopath_loom))]
    for _ in 0..(1u32 << step) {
        spin_loop();
    }
    #[cfg(nanopath_loom)]
    {
        let _ = step;
        spin_loop();
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backoff")
            .field("step", &self.step.get())
            .field("is_completed", &self.is_completed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn spin_saturates_below_completion() {
        let b = Backoff::new();
        for _ in 0..1000 {
            b.spin();
        }
        assert_eq!(b.step.get(), Backoff::SPIN_LIMIT + 1);
        assert!(!b.is_completed());
    }

    #[test]
    fn snooze_completes_after_yield_limit_steps() {
        let b = Backoff::new();
        for i in 0..=Backoff::YIELD_LIMIT {
            assert!(!b.is_completed(), "completed early at step {i}");
            b.snooze();
        }
        assert!(b.is_completed());
        b.snooze();
        assert_eq!(b.step.get(), Backoff::YIELD_LIMIT + 1);
        b.reset();
        assert!(!b.is_completed());
        assert_eq!(b.step.get(), 0);
    }
}
