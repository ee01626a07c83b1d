//! The loom shim of every nanopath crate: the one place their atomics,
//! fences, `Arc`, locks, spin hints and `UnsafeCell` come from.
//!
//! Not part of the API: this module is hidden from the documentation and
//! outside semver. It is public only so the other nanopath crates share it
//! (each imports it as `crate::sync`) instead of each keeping a copy.
//!
//! Normal builds re-export `core`, `alloc` and `std`. Under
//! `--cfg nanopath_loom` (with the `loom` feature) the same names come from
//! [`loom`](https://docs.rs/loom), so the model checker sees every atomic
//! access, every lock and every cell access and explores their
//! interleavings. Code never names `core::sync::atomic` outside this module;
//! the documented exceptions are process-wide `static`s (loom atomics cannot
//! live in statics) that no loom model explores: the thread-index counter
//! and slot-id bitmap of the per-thread cells.
//!
//! The pieces:
//!
//! * the atomics, [`fence`], [`compiler_fence`] and [`Arc`];
//! * [`UnsafeCell`] with loom's closure API (`with` / `with_mut`) in both
//!   builds, so loom checks that no shared and exclusive access overlap;
//! * [`Shadow`], for data loom cannot see (slots in one contiguous
//!   allocation that chunk APIs hand out as slices, nodes in plain heap
//!   memory): a loom-only cell touched whenever the real data is read or
//!   written, so the model still fails on a race there;
//! * [`Mutex`], [`MutexGuard`], [`Condvar`] (with `std`) and [`lock`], which
//!   ignores poisoning;
//! * [`spin_loop`] and [`yield_now`] hints (scheduling points under loom);
//! * [`fetch_byte_add`] (loom's `AtomicPtr` lacks it);
//! * the [`const_fn!`](crate::const_fn) macro for constructors that are
//!   `const` outside loom (loom's atomics and locks are not).

#[cfg(not(nanopath_loom))]
pub use alloc::sync::Arc;
/// Only where the target has 64-bit atomics (not, say, Cortex-M).
#[cfg(all(not(nanopath_loom), target_has_atomic = "64"))]
pub use core::sync::atomic::AtomicU64;
#[cfg(not(nanopath_loom))]
pub use core::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicUsize, Ordering, fence,
};

#[cfg(nanopath_loom)]
pub use loom::sync::Arc;
#[cfg(nanopath_loom)]
pub use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

/// A compiler-only fence: the same in both builds. It orders nothing
/// between threads, so loom has nothing to model; code uses it where a
/// process-wide barrier (membarrier) supplies the hardware ordering.
pub use core::sync::atomic::compiler_fence;

#[cfg(all(feature = "std", not(nanopath_loom)))]
pub use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(all(feature = "std", nanopath_loom))]
pub use loom::sync::{Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning. Every nanopath critical section
/// leaves its data consistent even when user code (a `Drop`, a closure)
/// panics inside it, so a poisoned lock is still good to use.
#[cfg(feature = "std")]
#[inline]
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A spin-wait hint: `PAUSE`/`YIELD` on hardware, a scheduling point under
/// loom (loom requires spinning threads to yield or it reports a livelock).
#[inline(always)]
pub fn spin_loop() {
    #[cfg(not(nanopath_loom))]
    core::hint::spin_loop();
    #[cfg(nanopath_loom)]
    loom::hint::spin_loop();
}

/// Gives the rest of the time slice to the OS scheduler where there is one
/// (a spin hint without `std`, a scheduling point under loom).
#[inline]
pub fn yield_now() {
    #[cfg(nanopath_loom)]
    loom::thread::yield_now();
    #[cfg(all(not(nanopath_loom), feature = "std"))]
    std::thread::yield_now();
    #[cfg(all(not(nanopath_loom), not(feature = "std")))]
    core::hint::spin_loop();
}

/// `AtomicPtr::fetch_byte_add`: one atomic read-modify-write that keeps the
/// pointer's provenance. Loom's `AtomicPtr` lacks it, so loom builds use a
/// CAS loop, which is the same single atomic step to the model.
#[inline(always)]
pub fn fetch_byte_add<T>(ptr: &AtomicPtr<T>, bytes: usize, order: Ordering) -> *mut T {
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

#[cfg(nanopath_loom)]
pub use loom::cell::UnsafeCell;

/// `core::cell::UnsafeCell` with loom's closure-based API.
#[cfg(not(nanopath_loom))]
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

#[cfg(not(nanopath_loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    #[inline(always)]
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// The value, taking the cell.
    #[inline(always)]
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

#[cfg(not(nanopath_loom))]
impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a pointer for shared access: no `&mut` may be made
    /// from it, and no exclusive access may overlap it.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a pointer for exclusive access: no other access may
    /// overlap it.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Access tracking for data loom cannot see (see the module docs): a
/// zero-sized no-op outside loom. Under loom, dropping a shadow records a
/// write (freeing the data is a write to it).
#[derive(Debug, Default)]
pub struct Shadow {
    #[cfg(nanopath_loom)]
    cell: loom::cell::UnsafeCell<()>,
}

impl Shadow {
    /// The shadow outside loom: there is nothing to track.
    #[cfg(not(nanopath_loom))]
    pub const NONE: Shadow = Shadow {};

    /// Records a write to (or a move out of) the data.
    #[inline(always)]
    pub fn write(&self) {
        #[cfg(nanopath_loom)]
        self.cell.with_mut(|_| ());
    }

    /// Records a shared read of the data.
    #[inline(always)]
    pub fn read(&self) {
        #[cfg(nanopath_loom)]
        self.cell.with(|_| ());
    }
}

#[cfg(nanopath_loom)]
impl Drop for Shadow {
    fn drop(&mut self) {
        self.cell.with_mut(|_| ());
    }
}

/// Defines a function that is `const` outside loom and a plain `fn` under
/// `--cfg nanopath_loom` (loom's atomics, cells and locks have no `const`
/// constructors). Write the function once, as `const fn`:
///
/// ```
/// use nanopath_atomic::sync::{AtomicU64, Ordering};
///
/// struct Hits {
///     n: AtomicU64,
/// }
/// impl Hits {
///     nanopath_atomic::const_fn! {
///         /// No hits yet.
///         pub const fn new() -> Self {
///             Self { n: AtomicU64::new(0) }
///         }
///     }
/// }
/// assert_eq!(Hits::new().n.load(Ordering::Relaxed), 0);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis const fn $($rest:tt)*) => {
        #[cfg(not(nanopath_loom))]
        $(#[$attr])* $vis const fn $($rest)*
        #[cfg(nanopath_loom)]
        $(#[$attr])* $vis fn $($rest)*
    };
}
