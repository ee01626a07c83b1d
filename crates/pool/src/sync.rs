//! The loom shim (the same pattern as the other nanopath crates): atomics,
//! locks and cells come from `core`/`std` normally and from loom under
//! `--cfg nanopath_loom`.

#[cfg(not(nanopath_loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(nanopath_loom))]
pub(crate) use std::sync::{Condvar, Mutex};

#[cfg(nanopath_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(nanopath_loom)]
pub(crate) use loom::sync::{Condvar, Mutex};

/// A cell for a slot's object: `core`'s `UnsafeCell` normally, loom's
/// (which checks that accesses are ordered) under loom.
#[derive(Debug)]
pub(crate) struct Cell<T> {
    #[cfg(not(nanopath_loom))]
    inner: core::cell::UnsafeCell<T>,
    #[cfg(nanopath_loom)]
    inner: loom::cell::UnsafeCell<T>,
}

impl<T> Cell<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            #[cfg(not(nanopath_loom))]
            inner: core::cell::UnsafeCell::new(value),
            #[cfg(nanopath_loom)]
            inner: loom::cell::UnsafeCell::new(value),
        }
    }

    /// Runs `f` with a pointer to the contents for shared access: no
    /// `&mut` is created, so several such pointers (and `&` references made
    /// from them) may be live at once.
    ///
    /// # Safety
    /// Nobody writes the contents while the pointer (or a reference made
    /// from it) is in use, except through interior mutability of the
    /// contents themselves.
    #[inline(always)]
    pub(crate) unsafe fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(not(nanopath_loom))]
        return f(self.inner.get());
        #[cfg(nanopath_loom)]
        return self.inner.with(f);
    }

    /// Runs `f` with a mutable pointer to the contents.
    ///
    /// # Safety
    /// The caller has exclusive access to the cell (it owns the slot).
    #[inline(always)]
    pub(crate) unsafe fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(nanopath_loom))]
        return f(self.inner.get());
        #[cfg(nanopath_loom)]
        return self.inner.with_mut(f);
    }
}
