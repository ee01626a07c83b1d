//! The loom shim: the one place this crate takes its atomics, fences, spin
//! hints and `UnsafeCell` from.
//!
//! Normal builds re-export `core`. Under `--cfg nanopath_loom` (with the
//! `loom` feature) the same names come from [`loom`](https://docs.rs/loom), so
//! the model checker sees every atomic access and explores its interleavings.
//! Every other nanopath crate keeps a module shaped like this one; code never
//! names `core::sync::atomic` directly outside the shim (the documented
//! exceptions are the process-wide thread-index counter and slot-id bitmap in
//! `shard.rs`: they must be `static`s, which loom atomics cannot be, and loom
//! builds do not use the slot ids).
//!
//! `UnsafeCell` follows loom's closure API (`with` / `with_mut`) in both
//! builds, so loom can check that no shared and exclusive access overlap.

#[cfg(not(nanopath_loom))]
pub(crate) use core::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering, fence,
};

#[cfg(nanopath_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering, fence};

/// A spin-wait hint: `PAUSE`/`YIELD` on hardware, a scheduling point under loom
/// (loom requires spinning threads to yield or it reports a livelock).
#[inline(always)]
pub(crate) fn spin_loop() {
    #[cfg(not(nanopath_loom))]
    core::hint::spin_loop();
    #[cfg(nanopath_loom)]
    loom::hint::spin_loop();
}

/// Gives the rest of the time slice to the OS scheduler where there is one.
#[inline]
pub(crate) fn yield_now() {
    #[cfg(nanopath_loom)]
    loom::thread::yield_now();
    #[cfg(all(not(nanopath_loom), feature = "std"))]
    std::thread::yield_now();
    #[cfg(all(not(nanopath_loom), not(feature = "std")))]
    core::hint::spin_loop();
}

#[cfg(nanopath_loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `core::cell::UnsafeCell` with loom's closure-based API.
#[cfg(not(nanopath_loom))]
#[derive(Debug, Default)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

#[cfg(not(nanopath_loom))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(nanopath_loom))]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for shared access.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a pointer for exclusive access.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
