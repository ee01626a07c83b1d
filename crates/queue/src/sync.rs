//! The loom shim (the same pattern as `nanopath-atomic`'s `sync` module):
//! atomics, `Arc` and spin hints come from `core`/`alloc` normally and from
//! loom under `--cfg nanopath_loom`.
//!
//! The ring buffers keep their slots in one contiguous allocation (so chunk
//! APIs can hand out slices), which loom cannot see. Under loom each slot
//! therefore also has a [`Shadow`] cell that is touched whenever the real
//! slot is written or read, so loom still reports a producer and a consumer
//! that could access the same slot concurrently. Outside loom there are no
//! shadows: one zero-sized no-op stands for all of them.
//!
//! Two small helpers every queue shares live here too: [`drop_each`], which
//! keeps dropping the remaining items when one item's `Drop` panics, and
//! [`Backoff`], the wait for a slot another thread has claimed but not yet
//! finished with.

#[cfg(not(nanopath_loom))]
pub(crate) use alloc::sync::Arc;
#[cfg(not(nanopath_loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};

#[cfg(nanopath_loom)]
pub(crate) use loom::sync::Arc;
#[cfg(nanopath_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};

/// `AtomicPtr::fetch_byte_add`: one atomic read-modify-write that keeps the
/// pointer's provenance. Loom's `AtomicPtr` lacks it, so loom builds use a
/// CAS loop, which is the same single atomic step to the model.
#[inline(always)]
pub(crate) fn fetch_byte_add<T>(ptr: &AtomicPtr<T>, bytes: usize, order: Ordering) -> *mut T {
    #[cfg(not(nanopath_loom))]
    return ptr.fetch_byte_add(bytes, order);
    #[cfg(nanopath_loom)]
    {
        let mut current = ptr.load(Ordering::Relaxed);
        loop {
            match ptr.compare_exchange_weak(
                current,
                current.wrapping_byte_add(bytes),
                order,
                Ordering::Relaxed,
            ) {
                Ok(previous) => return previous,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Access tracking for one slot (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Shadow {
    #[cfg(nanopath_loom)]
    cell: loom::cell::UnsafeCell<()>,
}

impl Shadow {
    /// The shadow of every slot outside loom: there is nothing to track.
    #[cfg(not(nanopath_loom))]
    pub(crate) const NONE: Shadow = Shadow {};

    /// Records a write to (or a move out of) the slot.
    #[inline(always)]
    pub(crate) fn write(&self) {
        #[cfg(nanopath_loom)]
        self.cell.with_mut(|_| ());
    }

    /// Records a shared read of the slot.
    #[inline(always)]
    pub(crate) fn read(&self) {
        #[cfg(nanopath_loom)]
        self.cell.with(|_| ());
    }
}

#[cfg(all(feature = "std", not(nanopath_loom)))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(all(feature = "std", nanopath_loom))]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

/// A spin-wait hint: `PAUSE` on hardware, a scheduling point under loom.
#[inline(always)]
pub(crate) fn spin_loop() {
    #[cfg(not(nanopath_loom))]
    core::hint::spin_loop();
    #[cfg(nanopath_loom)]
    loom::hint::spin_loop();
}

/// Gives the rest of the time slice away (a scheduling point under loom).
#[cfg(feature = "std")]
#[inline]
pub(crate) fn yield_now() {
    #[cfg(not(nanopath_loom))]
    std::thread::yield_now();
    #[cfg(nanopath_loom)]
    loom::thread::yield_now();
}

/// Calls `drop_next` until it returns `false`. Each call must first step
/// past one item and then drop it, so that a panicking `Drop` leaves the
/// position past the item it was dropping. If a call panics, the remaining
/// items are still dropped while the panic unwinds (a second panic then
/// aborts the process, as for `Vec`), so no item is leaked or dropped twice.
pub(crate) fn drop_each(drop_next: impl FnMut() -> bool) {
    /// Finishes the loop during unwinding.
    struct Rest<F: FnMut() -> bool>(F);
    impl<F: FnMut() -> bool> Drop for Rest<F> {
        fn drop(&mut self) {
            while (self.0)() {}
        }
    }
    let mut rest = Rest(drop_next);
    while (rest.0)() {}
    // On the normal path `rest` is dropped here and its loop ends at once.
}

/// Waiting for another thread to finish with a slot it has claimed:
/// spins with exponentially more `PAUSE`s, then (with `std`) yields the
/// time slice, so a preempted thread gets the CPU back. Under loom every
/// step is a single scheduling point.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// Steps taken so far, capped at `SPIN_LIMIT + 1`.
    step: u32,
}

impl Backoff {
    /// Steps that spin (`2^step` hints each) before yielding starts (not
    /// used under loom, where every step is one scheduling point).
    #[cfg_attr(nanopath_loom, allow(dead_code))]
    const SPIN_LIMIT: u32 = 6;

    /// Waits a little longer than last time.
    #[inline]
    pub(crate) fn snooze(&mut self) {
        #[cfg(nanopath_loom)]
        {
            let _ = self.step;
            spin_loop();
        }
        #[cfg(not(nanopath_loom))]
        {
            if self.step <= Self::SPIN_LIMIT {
                for _ in 0..1u32 << self.step {
                    spin_loop();
                }
                self.step += 1;
            } else {
                #[cfg(feature = "std")]
                yield_now();
                #[cfg(not(feature = "std"))]
                spin_loop();
            }
        }
    }
}
