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
