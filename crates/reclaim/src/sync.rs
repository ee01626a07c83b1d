//! The loom shim (the same pattern as the other nanopath crates): atomics
//! and spin hints come from `core` normally and from loom under
//! `--cfg nanopath_loom`. Every atomic in this crate is imported from here.

#[cfg(not(nanopath_loom))]
pub use core::sync::atomic::AtomicPtr;
#[cfg(not(nanopath_loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

#[cfg(nanopath_loom)]
pub use loom::sync::atomic::AtomicPtr;
#[cfg(nanopath_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

#[cfg(not(nanopath_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(nanopath_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section in this crate
/// leaves the protected `Vec` consistent even if a destructor panics.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(not(nanopath_loom))]
    return m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    #[cfg(nanopath_loom)]
    return m.lock().unwrap();
}

/// Access tracking for a node (loom only; a zero-sized no-op otherwise).
/// Nodes are plain heap memory that loom cannot see; under loom each node
/// carries a shadow cell that is read when the node is read and written
/// when it is freed, so loom reports a free that is not ordered after
/// every read (a use-after-free in the real algorithm).
#[derive(Debug, Default)]
pub(crate) struct Shadow {
    #[cfg(nanopath_loom)]
    cell: loom::cell::UnsafeCell<()>,
}

impl Shadow {
    /// Records a read of the node.
    #[inline(always)]
    pub(crate) fn read(&self) {
        #[cfg(nanopath_loom)]
        self.cell.with(|_| ());
    }
}

#[cfg(nanopath_loom)]
impl Drop for Shadow {
    fn drop(&mut self) {
        // The free is a write to the node.
        self.cell.with_mut(|_| ());
    }
}
